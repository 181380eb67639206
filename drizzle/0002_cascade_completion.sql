-- Completing a service completes its still-active states and tasks with the service's timestamp
-- only (docs/behaviour.md#completion), inside the completing UPDATE itself: atomic with it on every write path,
-- and no extra statements in the request's batch.
CREATE TRIGGER `services_cascade_completion` AFTER UPDATE OF `completed` ON `services`
WHEN OLD.`completed` IS NULL AND NEW.`completed` IS NOT NULL
BEGIN
  UPDATE `states` SET `completed` = json_object('timestamp', json_extract(NEW.`completed`, '$.timestamp'))
    WHERE `tenant` = NEW.`tenant` AND `service_id` = NEW.`id` AND `completed` IS NULL;
  UPDATE `tasks` SET `completed` = json_object('timestamp', json_extract(NEW.`completed`, '$.timestamp'))
    WHERE `tenant` = NEW.`tenant` AND `service_id` = NEW.`id` AND `completed` IS NULL;
END;
