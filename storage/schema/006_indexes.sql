-- Migration 5 -> 6: lighter indexes for the writer (issue 10), each a
-- cost every insert paid for.
--
-- Indexes on columns most rows leave NULL hold only the rows with a value.
-- user_id is the application's and NULL until it links a row; an
-- appointment, a participant id and a meeting id exist only for booked
-- appointments, people with a token and servers with muc_meeting_id;
-- session-level events have no participant.  Each of these indexes
-- held an entry for every NULL too, which every insert paid for (a
-- fifth of a new participant row's cost) and no lookup used: a lookup
-- by value (col = ?, a join on col, col IS NOT NULL) uses the partial
-- index as it used the whole one, in SQLite and in PostgreSQL.  A query
-- for the NULLs themselves (col IS NULL) no longer finds them in an
-- index; no report asks for them.
DROP INDEX idx_sessions_appointment;
CREATE INDEX idx_sessions_appointment ON teleconferencesessions
 (appointmentId) WHERE appointmentId IS NOT NULL;
DROP INDEX idx_sessions_meeting;
CREATE INDEX idx_sessions_meeting ON teleconferencesessions
 (jitsi_meeting_id) WHERE jitsi_meeting_id IS NOT NULL;
DROP INDEX idx_parts_appointment;
CREATE INDEX idx_parts_appointment ON
 teleconference_participant_sessions (appointment_id)
 WHERE appointment_id IS NOT NULL;
DROP INDEX idx_parts_participant;
CREATE INDEX idx_parts_participant ON
 teleconference_participant_sessions (participant_id, participant_role)
 WHERE participant_id IS NOT NULL;
DROP INDEX idx_parts_user;
CREATE INDEX idx_parts_user ON teleconference_participant_sessions
 (user_id) WHERE user_id IS NOT NULL;
DROP INDEX idx_events_participant;
CREATE INDEX idx_events_participant ON teleconference_events
 (participant_session_id) WHERE participant_session_id IS NOT NULL;

-- An event's type is looked up within its session (problem_sessions
-- counts a session's disconnects), never alone: one index on both takes
-- the place of the session's and of the type's, which held a few values
-- in millions of rows and cost a fifth of an event row's insert.  The
-- count of every event by type (the dashboard's metrics) reads the new
-- index whole, as it read the old one.
DROP INDEX idx_events_type;
DROP INDEX idx_events_session;
CREATE INDEX idx_events_session ON teleconference_events
 (teleconference_session_id, event_type);
