-- Services deleted in AWS: a sync that lists a cluster completely and no longer finds a service marks
-- it removed instead of deleting it, so its history stays. Times are epoch seconds.
-- last_seen: the newest sync (or demo load) that found the service in AWS.
-- removed_at: when a sync first found it gone; NULL while it exists (a service that reappears is
-- cleared again).
ALTER TABLE services ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE services ADD COLUMN removed_at INTEGER;
-- Rows written before this migration were last seen when they were last written.
UPDATE services SET last_seen = updated_at;
