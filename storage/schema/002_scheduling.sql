-- Migration 1 -> 2: scheduling, attendance and alerts (issue #4).
--
-- A scheduled appointment is a teleconferencesessions row with
-- session_status 'scheduled', scheduled_start and
-- scheduled_duration_minutes, and its roster in
-- teleconference_expected_participants.  The observer's meeting session
-- for it is that same row (found by session_uid), so the booking and what
-- happened sit side by side.  status_reason says why a session ended as
-- it did (caregiver_no_show, ...); end_reason stays the technical end
-- (focus_left, ...).  Minutes are REAL: fractions are allowed.

ALTER TABLE teleconferencesessions ADD COLUMN scheduled_start TEXT;
ALTER TABLE teleconferencesessions ADD COLUMN
 scheduled_duration_minutes REAL;
ALTER TABLE teleconferencesessions ADD COLUMN status_reason TEXT;
ALTER TABLE teleconferencesessions ADD COLUMN billable_seconds
 INTEGER;
ALTER TABLE teleconferencesessions ADD COLUMN patient_wait_seconds
 INTEGER;
CREATE INDEX idx_sessions_scheduled ON teleconferencesessions
 (session_status, scheduled_start);

CREATE TABLE teleconference_expected_participants (
 id INTEGER PRIMARY KEY,
 teleconference_session_id INTEGER NOT NULL
  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,
 participant_id TEXT NOT NULL,
 participant_role TEXT NOT NULL,
 participant_name TEXT,
 createdAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
 UNIQUE (teleconference_session_id, participant_id)
);

-- expected: 1 on the roster, 0 not (an unexpected participant),
-- NULL when the session has no roster.  attendance: on_time | late.
ALTER TABLE teleconference_participant_sessions ADD COLUMN expected
 INTEGER;
ALTER TABLE teleconference_participant_sessions ADD COLUMN
 attendance TEXT;
ALTER TABLE teleconference_participant_sessions ADD COLUMN
 late_minutes REAL;
ALTER TABLE teleconference_participant_sessions ADD COLUMN
 left_early_minutes REAL;
ALTER TABLE teleconference_participant_sessions ADD COLUMN
 overran_minutes REAL;

-- One row per alert: raised once, cleared when its condition stops
-- holding.  subject tells alerts of one rule apart (a participant
-- key, a roster id, or ''); at most one is open per (session, rule,
-- subject).
CREATE TABLE alerts (
 id INTEGER PRIMARY KEY,
 teleconference_session_id INTEGER NOT NULL
  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,
 participant_session_id INTEGER
  REFERENCES teleconference_participant_sessions (id)
  ON DELETE SET NULL,
 appointment_id TEXT,
 rule TEXT NOT NULL,
 subject TEXT NOT NULL DEFAULT '',
 severity TEXT NOT NULL CHECK
 (severity IN ('info','warning','critical')),
 raised_at TEXT NOT NULL,
 cleared_at TEXT,
 details TEXT,	-- JSON object
 createdAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
 updatedAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE UNIQUE INDEX idx_alerts_open ON alerts
 (teleconference_session_id, rule, subject) WHERE cleared_at IS NULL;
CREATE INDEX idx_alerts_session ON alerts (teleconference_session_id);
CREATE INDEX idx_alerts_raised ON alerts (raised_at);

ALTER TABLE meeting_settings ADD COLUMN late_grace_minutes REAL
 NOT NULL DEFAULT 5;
ALTER TABLE meeting_settings ADD COLUMN left_early_grace_minutes REAL
 NOT NULL DEFAULT 5;
ALTER TABLE meeting_settings ADD COLUMN overrun_grace_minutes REAL
 NOT NULL DEFAULT 5;
ALTER TABLE meeting_settings ADD COLUMN
 alert_caregiver_absent_minutes REAL NOT NULL DEFAULT 5;
ALTER TABLE meeting_settings ADD COLUMN
 alert_patient_waiting_minutes REAL NOT NULL DEFAULT 5;
ALTER TABLE meeting_settings ADD COLUMN alert_drop_minutes REAL
 NOT NULL DEFAULT 2;
ALTER TABLE meeting_settings ADD COLUMN alert_disconnects INTEGER
 NOT NULL DEFAULT 3;
ALTER TABLE meeting_settings ADD COLUMN
 alert_disconnect_window_minutes REAL NOT NULL DEFAULT 15;
ALTER TABLE meeting_settings ADD COLUMN
 alert_recording_missing_minutes REAL NOT NULL DEFAULT 5;
ALTER TABLE meeting_settings ADD COLUMN alert_rules TEXT NOT NULL
 DEFAULT 'all';
ALTER TABLE meeting_settings ADD COLUMN alert_admin_jids TEXT NOT NULL
 DEFAULT '';
ALTER TABLE meeting_settings ADD COLUMN caregiver_role TEXT NOT NULL
 DEFAULT 'caregiver';
ALTER TABLE meeting_settings ADD COLUMN patient_role TEXT NOT NULL
 DEFAULT 'patient';

CREATE VIEW attendance_report AS SELECT
 s.id AS session_id, s.appointmentId, s.jitsi_room_name AS room,
 s.scheduled_start, s.scheduled_duration_minutes, s.session_status,
 s.status_reason, p.participant_id, p.participant_role,
 p.participant_name, p.expected, p.attendance, p.late_minutes,
 p.left_early_minutes, p.overran_minutes, p.joined_at, p.left_at,
 p.session_duration_seconds, p.disconnection_count
 FROM teleconference_participant_sessions p
 JOIN teleconferencesessions s ON s.id = p.teleconference_session_id
 WHERE s.scheduled_start IS NOT NULL;
