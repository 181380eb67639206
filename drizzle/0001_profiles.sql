CREATE TABLE `identification_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`name` text NOT NULL,
	`name_key` text NOT NULL,
	`source` text,
	`attributes` text NOT NULL,
	`unique` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identification_keys_name` ON `identification_keys` (`tenant`,`name_key`);--> statement-breakpoint
CREATE TABLE `key_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`key_id` integer NOT NULL,
	`profile_id` integer NOT NULL,
	`v1` text NOT NULL,
	`v2` text DEFAULT '' NOT NULL,
	`v3` text DEFAULT '' NOT NULL,
	`v4` text DEFAULT '' NOT NULL,
	`v5` text DEFAULT '' NOT NULL,
	`is_unique` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `key_entries_lookup` ON `key_entries` (`tenant`,`key_id`,`v1`,`v2`,`v3`,`v4`,`v5`);--> statement-breakpoint
CREATE UNIQUE INDEX `key_entries_unique` ON `key_entries` (`tenant`,`key_id`,`v1`,`v2`,`v3`,`v4`,`v5`) WHERE "key_entries"."is_unique" = 1;--> statement-breakpoint
CREATE INDEX `key_entries_profile` ON `key_entries` (`tenant`,`profile_id`);--> statement-breakpoint
CREATE TABLE `profile_schemas` (
	`tenant` text PRIMARY KEY NOT NULL,
	`attributes` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `profiles` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`tenant` text NOT NULL,
	`customer_id` text NOT NULL,
	`attributes` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `profiles_customer` ON `profiles` (`tenant`,`customer_id`);