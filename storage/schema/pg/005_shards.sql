-- Migration 4 -> 5: many observers, one database (issue 14).
-- ../005_shards.sql says why.
ALTER TABLE teleconferencesessions ADD COLUMN shard TEXT;
CREATE INDEX idx_sessions_shard ON teleconferencesessions
 (shard, session_status);
