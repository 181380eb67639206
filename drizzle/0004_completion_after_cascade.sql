ALTER TABLE `states` ADD `completed_by_cascade` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `tasks` ADD `completed_by_cascade` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- A cascade marks what it completed, so that one explicit completion can still record its end event
-- (docs/behaviour.md#completion). Same timestamps as migration 0003: the later of the service's end and the child's start.
DROP TRIGGER `services_cascade_completion`;--> statement-breakpoint
CREATE TRIGGER `services_cascade_completion` AFTER UPDATE OF `completed` ON `services`
WHEN OLD.`completed` IS NULL AND NEW.`completed` IS NOT NULL
BEGIN
  UPDATE `states` SET `completed_by_cascade` = 1, `completed` = json_object('timestamp',
      max(json_extract(NEW.`completed`, '$.timestamp'), json_extract(`started`, '$.timestamp')))
    WHERE `tenant` = NEW.`tenant` AND `service_id` = NEW.`id` AND `completed` IS NULL;
  UPDATE `tasks` SET `completed_by_cascade` = 1, `completed` = json_object('timestamp',
      max(json_extract(NEW.`completed`, '$.timestamp'), json_extract(`started`, '$.timestamp')))
    WHERE `tenant` = NEW.`tenant` AND `service_id` = NEW.`id` AND `completed` IS NULL;
END;
