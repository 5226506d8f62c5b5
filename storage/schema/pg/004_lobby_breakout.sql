-- Migration 3 -> 4: the lobby and breakout rooms (issue 8).
-- ../004_lobby_breakout.sql says why.
ALTER TABLE teleconference_participant_sessions
 ADD COLUMN lobby_wait_seconds BIGINT;
