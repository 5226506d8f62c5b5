-- Migration 4 -> 5: many observers, one database (issue 14).
--
-- shard: the [xmpp] shard of the observer that recorded the session
-- (NULL: none configured, or a booking no shard has taken yet).  A
-- booked appointment is taken by the first shard that sees its room, or,
-- when nobody ever came, by the first to decide its outcome; the others
-- leave it alone (storage/claim.c).  A daemon repairs at start only the
-- sessions of its own shard.
ALTER TABLE teleconferencesessions ADD COLUMN shard TEXT;
CREATE INDEX idx_sessions_shard ON teleconferencesessions
 (shard, session_status);
