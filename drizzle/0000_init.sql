CREATE TABLE `extension_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`owner_kind` text NOT NULL,
	`owner_id` integer NOT NULL,
	`extension` text NOT NULL,
	`record_key` text,
	`data` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `extension_records_key` ON `extension_records` (`tenant`,`owner_kind`,`owner_id`,`extension`,`record_key`);--> statement-breakpoint
CREATE TABLE `extension_schemas` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`owner_kind` text NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`multi_valued` integer NOT NULL,
	`attributes` text NOT NULL,
	`unique_attributes` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `extension_schemas_name` ON `extension_schemas` (`tenant`,`owner_kind`,`name_key`);--> statement-breakpoint
CREATE TABLE `guard` (
	`code` text NOT NULL,
	CONSTRAINT "metadata_changed" CHECK("guard"."code" <> 'metadata_changed'),
	CONSTRAINT "maintenance_mode" CHECK("guard"."code" <> 'maintenance_mode'),
	CONSTRAINT "service_not_found" CHECK("guard"."code" <> 'service_not_found'),
	CONSTRAINT "state_not_found" CHECK("guard"."code" <> 'state_not_found'),
	CONSTRAINT "task_not_found" CHECK("guard"."code" <> 'task_not_found'),
	CONSTRAINT "already_completed" CHECK("guard"."code" <> 'already_completed'),
	CONSTRAINT "service_completed" CHECK("guard"."code" <> 'service_completed'),
	CONSTRAINT "state_completed" CHECK("guard"."code" <> 'state_completed'),
	CONSTRAINT "invalid_state_reference" CHECK("guard"."code" <> 'invalid_state_reference'),
	CONSTRAINT "extension_not_found" CHECK("guard"."code" <> 'extension_not_found'),
	CONSTRAINT "name_taken" CHECK("guard"."code" <> 'name_taken'),
	CONSTRAINT "profile_not_found" CHECK("guard"."code" <> 'profile_not_found'),
	CONSTRAINT "record_not_found" CHECK("guard"."code" <> 'record_not_found'),
	CONSTRAINT "customer_exists" CHECK("guard"."code" <> 'customer_exists'),
	CONSTRAINT "schema_in_use" CHECK("guard"."code" <> 'schema_in_use'),
	CONSTRAINT "attribute_in_use" CHECK("guard"."code" <> 'attribute_in_use'),
	CONSTRAINT "identification_key_not_found" CHECK("guard"."code" <> 'identification_key_not_found'),
	CONSTRAINT "unique_key_violation" CHECK("guard"."code" <> 'unique_key_violation'),
	CONSTRAINT "key_values_not_unique" CHECK("guard"."code" <> 'key_values_not_unique')
);
--> statement-breakpoint
CREATE TABLE `services` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`customer_id` text,
	`contact_key` text,
	`service_type` text NOT NULL,
	`est_duration` integer,
	`started` text NOT NULL,
	`completed` text
);
--> statement-breakpoint
CREATE INDEX `services_customer` ON `services` (`tenant`,`customer_id`,`id`);--> statement-breakpoint
CREATE INDEX `services_contact_key` ON `services` (`tenant`,`contact_key`,`id`);--> statement-breakpoint
CREATE TABLE `states` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`service_id` integer NOT NULL,
	`state_type` text NOT NULL,
	`previous_state_id` integer,
	`est_duration` integer,
	`started` text NOT NULL,
	`completed` text,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `states_service` ON `states` (`tenant`,`service_id`,`id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`service_id` integer NOT NULL,
	`state_id` integer,
	`task_type` text NOT NULL,
	`est_duration` integer,
	`started` text NOT NULL,
	`completed` text,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tasks_service` ON `tasks` (`tenant`,`service_id`,`id`);--> statement-breakpoint
CREATE TABLE `tenant_state` (
	`tenant` text PRIMARY KEY NOT NULL,
	`metadata_version` integer DEFAULT 0 NOT NULL,
	`mode` text DEFAULT 'production' NOT NULL
);
