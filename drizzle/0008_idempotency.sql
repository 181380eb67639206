CREATE TABLE `idempotency_records` (
	`tenant` text NOT NULL,
	`key` text NOT NULL,
	`fingerprint` text NOT NULL,
	`status` integer NOT NULL,
	`body` text,
	`location` text,
	`expires_at` text NOT NULL,
	PRIMARY KEY(`tenant`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_records_expiry` ON `idempotency_records` (`expires_at`);--> statement-breakpoint
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
	CONSTRAINT "too_many_key_entries" CHECK("__new_guard"."code" <> 'too_many_key_entries'),
	CONSTRAINT "business_attribute_not_found" CHECK("__new_guard"."code" <> 'business_attribute_not_found'),
	CONSTRAINT "cv_attribute_taken" CHECK("__new_guard"."code" <> 'cv_attribute_taken'),
	CONSTRAINT "api_key_not_found" CHECK("__new_guard"."code" <> 'api_key_not_found'),
	CONSTRAINT "idempotency_key_used" CHECK("__new_guard"."code" <> 'idempotency_key_used')
);
--> statement-breakpoint
INSERT INTO `__new_guard`("code") SELECT "code" FROM `guard`;--> statement-breakpoint
DROP TABLE `guard`;--> statement-breakpoint
ALTER TABLE `__new_guard` RENAME TO `guard`;--> statement-breakpoint
PRAGMA foreign_keys=ON;