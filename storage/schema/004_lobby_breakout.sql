-- Migration 3 -> 4: the lobby and breakout rooms (issue 8).
--
-- lobby_wait_seconds: how long the person waited in the meeting's lobby
-- before a moderator let them in (NULL: they never knocked, or teletrack
-- ran without the companion module, which alone can see the lobby).
ALTER TABLE teleconference_participant_sessions
 ADD COLUMN lobby_wait_seconds INTEGER;
