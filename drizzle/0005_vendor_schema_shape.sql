ALTER TABLE `extension_schemas` ADD `required` integer;--> statement-breakpoint
-- Profile extension schemas print `required` (docs/behaviour.md#extension-schemas); others keep NULL.
UPDATE `extension_schemas` SET `required` = 0 WHERE `owner_kind` = 'profile';
