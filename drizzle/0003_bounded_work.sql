PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_guard` (
	`code` text NOT NULL,
	CONSTRAINT "metadata_changed" CHECK("__new_guard"."code" <> 'metadata_changed'),
	CONSTRAINT "maintenance_mode" CHECK("__new_guard"."code" <> 'maintenance_mode'),
	CONSTRAINT "service_not_found" CHECK("__new_guard"."code" <> 'service_not_found'),
	CONSTRAINT "state_not_found" CHECK("__new_guard"."code" <> 'state_not_found'),
	CONSTRAINT "task_not_found" CHECK("__new_guard"."code" <> 'task_not_found'),
	CONSTRAINT "already_completed" CHECK("__new_guard"."code" <> 'already_completed'),
	CONSTRAINT "service_completed" CHECK("__new_guard"."code" <> 'service_completed'),
	CONSTRAINT "state_completed" CHECK("__new_guard"."code" <> 'state_completed'),
	CONSTRAINT "invalid_state_reference" CHECK("__new_guard"."code" <> 'invalid_state_reference'),
	CONSTRAINT "extension_not_found" CHECK("__new_guard"."code" <> 'extension_not_found'),
	CONSTRAINT "name_taken" CHECK("__new_guard"."code" <> 'name_taken'),
	CONSTRAINT "profile_not_found" CHECK("__new_guard"."code" <> 'profile_not_found'),
	CONSTRAINT "record_not_found" CHECK("__new_guard"."code" <> 'record_not_found'),
	CONSTRAINT "customer_exists" CHECK("__new_guard"."code" <> 'customer_exists'),
	CONSTRAINT "schema_in_use" CHECK("__new_guard"."code" <> 'schema_in_use'),
	CONSTRAINT "attribute_in_use" CHECK("__new_guard"."code" <> 'attribute_in_use'),
	CONSTRAINT "identification_key_not_found" CHECK("__new_guard"."code" <> 'identification_key_not_found'),
	CONSTRAINT "unique_key_violation" CHECK("__new_guard"."code" <> 'unique_key_violation'),
	CONSTRAINT "key_values_not_unique" CHECK("__new_guard"."code" <> 'key_values_not_unique'),
	CONSTRAINT "too_many_records" CHECK("__new_guard"."code" <> 'too_many_records'),
	CONSTRAINT "too_many_key_entries" CHECK("__new_guard"."code" <> 'too_many_key_entries')
);
--> statement-breakpoint
INSERT INTO `__new_guard`("code") SELECT "code" FROM `guard`;--> statement-breakpoint
DROP TABLE `guard`;--> statement-breakpoint
ALTER TABLE `__new_guard` RENAME TO `guard`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
-- A cascade never completes a child before it started (docs/behaviour.md#completion): the completion timestamp is
-- the later of the service's and the child's start. (Timestamps are stored as fixed-width UTC text,
-- so text order is time order.)
DROP TRIGGER `services_cascade_completion`;--> statement-breakpoint
CREATE TRIGGER `services_cascade_completion` AFTER UPDATE OF `completed` ON `services`
WHEN OLD.`completed` IS NULL AND NEW.`completed` IS NOT NULL
BEGIN
  UPDATE `states` SET `completed` = json_object('timestamp',
      max(json_extract(NEW.`completed`, '$.timestamp'), json_extract(`started`, '$.timestamp')))
    WHERE `tenant` = NEW.`tenant` AND `service_id` = NEW.`id` AND `completed` IS NULL;
  UPDATE `tasks` SET `completed` = json_object('timestamp',
      max(json_extract(NEW.`completed`, '$.timestamp'), json_extract(`started`, '$.timestamp')))
    WHERE `tenant` = NEW.`tenant` AND `service_id` = NEW.`id` AND `completed` IS NULL;
END;
