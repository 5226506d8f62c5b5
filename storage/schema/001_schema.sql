-- Migration 0 -> 1: the whole schema.
--
-- Every migration here is SQLite's; pg.awk derives PostgreSQL's from it
-- at build time (its header has the rules), with PostgreSQL's own lines
-- from pg/NNN_name.sql where there is one (for this file: the date
-- helpers and two lines of caregiver_performance).
--
-- Vocabularies (not CHECKed where room.c supplies the value, so a new
-- word never makes the writer reject events; session_status is the
-- exception: the scheduler and every report depend on it):
--   recording_status: not_recorded, pending, recording, recorded, failed
--   connection_quality: good, fair, poor (NULL: no participant yet)
--   left_reason: leave, disconnect, kicked, observer_restarted, ...

CREATE TABLE meeting_settings (
 id INTEGER PRIMARY KEY CHECK (id = 1),
 default_duration INTEGER NOT NULL DEFAULT 60,
 allow_early_join_minutes INTEGER NOT NULL DEFAULT 15,
 max_late_join_minutes INTEGER NOT NULL DEFAULT 30,
 max_meeting_duration INTEGER NOT NULL DEFAULT 180,
 auto_end_after_minutes INTEGER NOT NULL DEFAULT 30,
 record_meetings INTEGER NOT NULL DEFAULT 0,
 require_moderator INTEGER NOT NULL DEFAULT 1,
 enable_chat INTEGER NOT NULL DEFAULT 1,
 enable_screen_share INTEGER NOT NULL DEFAULT 1,
 enable_recording INTEGER NOT NULL DEFAULT 1,
 enable_file_sharing INTEGER NOT NULL DEFAULT 0,
 enable_virtual_background INTEGER NOT NULL DEFAULT 1,
 video_quality TEXT NOT NULL DEFAULT 'high',
 max_participants INTEGER NOT NULL DEFAULT 2,
 quality_fair_per_hour REAL NOT NULL DEFAULT 2.0,
 quality_poor_per_hour REAL NOT NULL DEFAULT 6.0,
 leave_grace_seconds INTEGER NOT NULL DEFAULT 10,
 createdAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
 updatedAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
INSERT INTO meeting_settings (id) VALUES (1);

-- roomId is not UNIQUE (the design's was): room names are reused by
-- every meeting held in them.  jitsi_meeting_id is not unique either:
-- a daemon restart mid-meeting opens a second row for the meeting.
CREATE TABLE teleconferencesessions (
 id INTEGER PRIMARY KEY,
 session_uid TEXT NOT NULL UNIQUE,
 appointmentId TEXT,
 roomId TEXT,
 jitsi_room_name TEXT,
 jitsi_meeting_id TEXT,
 startTime TEXT,
 endTime TEXT,
 recordingUrl TEXT,
 transcription TEXT,
 chatHistory TEXT,	-- always NULL: no chat kept
 session_status TEXT NOT NULL DEFAULT 'scheduled' CHECK
 (session_status IN ('scheduled','active','completed',
'cancelled','failed')),
 end_reason TEXT,
 total_duration_seconds INTEGER NOT NULL DEFAULT 0,
 participant_count INTEGER NOT NULL DEFAULT 0,
 peak_participants INTEGER NOT NULL DEFAULT 0,
 connection_quality TEXT,
 total_disconnections INTEGER NOT NULL DEFAULT 0,
 recording_status TEXT NOT NULL DEFAULT 'not_recorded',
 recording_duration_seconds INTEGER NOT NULL DEFAULT 0,
 session_notes TEXT,
 metadata TEXT,	-- JSON
 createdAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
 updatedAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
CREATE INDEX idx_sessions_status ON teleconferencesessions
 (session_status);
CREATE INDEX idx_sessions_start ON teleconferencesessions (startTime);
CREATE INDEX idx_sessions_end ON teleconferencesessions (endTime);
CREATE INDEX idx_sessions_appointment ON teleconferencesessions
 (appointmentId);
CREATE INDEX idx_sessions_meeting ON teleconferencesessions
 (jitsi_meeting_id);
CREATE INDEX idx_sessions_room ON teleconferencesessions (roomId);

CREATE TABLE teleconference_participant_sessions (
 id INTEGER PRIMARY KEY,
 teleconference_session_id INTEGER NOT NULL
  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,
 participant_key TEXT NOT NULL,
 appointment_id TEXT,
 participant_id TEXT,
 participant_role TEXT NOT NULL DEFAULT 'unknown',
 participant_name TEXT,
 nick TEXT,
 user_id TEXT,	-- set by the application
 jid TEXT,
 stats_id TEXT,
 joined_at TEXT,
 left_at TEXT,	-- NULL while present
 left_reason TEXT,
 session_duration_seconds INTEGER NOT NULL DEFAULT 0,
 join_count INTEGER NOT NULL DEFAULT 0,
 disconnection_count INTEGER NOT NULL DEFAULT 0,
 connection_quality TEXT,
 avg_bandwidth_kbps INTEGER,	-- not observable: NULL
 device_type TEXT,
 browser TEXT,
 operating_system TEXT,
 ip_address TEXT,
 user_agent TEXT,
 camera_enabled INTEGER NOT NULL DEFAULT 0,
 microphone_enabled INTEGER NOT NULL DEFAULT 0,
 screen_shared INTEGER NOT NULL DEFAULT 0,
 spoke_time_seconds REAL,	-- NULL: unknown
 messages_sent INTEGER NOT NULL DEFAULT 0,
 reactions_sent INTEGER NOT NULL DEFAULT 0,
 issues_encountered TEXT,	-- JSON array
 error_logs TEXT,
 is_moderator INTEGER NOT NULL DEFAULT 0,
 session_status TEXT NOT NULL DEFAULT 'present' CHECK
 (session_status IN ('present','left')),
 createdAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
 updatedAt TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
 UNIQUE (teleconference_session_id, participant_key)
);
-- The UNIQUE index serves lookups by session.
CREATE INDEX idx_parts_appointment ON
 teleconference_participant_sessions (appointment_id);
CREATE INDEX idx_parts_participant ON
 teleconference_participant_sessions (participant_id,
 participant_role);
CREATE INDEX idx_parts_joined ON teleconference_participant_sessions
 (joined_at);
CREATE INDEX idx_parts_left ON teleconference_participant_sessions
 (left_at);
CREATE INDEX idx_parts_user ON teleconference_participant_sessions
 (user_id);
CREATE INDEX idx_parts_role_joined ON
 teleconference_participant_sessions (participant_role, joined_at);

CREATE TABLE teleconference_events (
 id INTEGER PRIMARY KEY,
 teleconference_session_id INTEGER NOT NULL
  REFERENCES teleconferencesessions (id) ON DELETE CASCADE,
 participant_session_id INTEGER
  REFERENCES teleconference_participant_sessions (id)
  ON DELETE CASCADE,
 event_type TEXT NOT NULL,
 event_data TEXT,	-- JSON object
 timestamp TEXT NOT NULL
);
CREATE INDEX idx_events_session ON teleconference_events
 (teleconference_session_id);
CREATE INDEX idx_events_participant ON teleconference_events
 (participant_session_id);
CREATE INDEX idx_events_type ON teleconference_events (event_type);
CREATE INDEX idx_events_timestamp ON teleconference_events
 (timestamp);

-- The design's billing query averaged the text quality column; here
-- each participant's quality becomes a number first.
CREATE VIEW billing_report AS SELECT
 s.id AS session_id, s.appointmentId, s.jitsi_room_name AS room,
 s.roomId, s.jitsi_meeting_id, s.startTime, s.endTime,
 s.session_status, s.total_duration_seconds,
 ROUND(s.total_duration_seconds / 60.0, 2) AS duration_minutes,
 s.participant_count, s.peak_participants, s.connection_quality,
 (SELECT ROUND(AVG(CASE p.connection_quality WHEN 'good' THEN 3
  WHEN 'fair' THEN 2 WHEN 'poor' THEN 1 END), 2)
  FROM teleconference_participant_sessions p
  WHERE p.teleconference_session_id = s.id) AS avg_quality_score,
 s.recording_status, s.recording_duration_seconds
 FROM teleconferencesessions s;

CREATE VIEW problem_sessions AS SELECT q.*,
 substr(CASE WHEN q.total_disconnections > 3
  THEN ',disconnections' ELSE '' END
 || CASE WHEN q.session_status = 'failed' THEN ',failed' ELSE '' END
 || CASE WHEN q.connection_quality = 'poor'
  THEN ',poor_quality' ELSE '' END
 || CASE WHEN q.kicked_count > 0 THEN ',kicked' ELSE '' END, 2)
 AS reasons
 FROM (SELECT
 s.id AS session_id, s.appointmentId, s.jitsi_room_name AS room,
 s.jitsi_meeting_id, s.startTime, s.endTime, s.session_status,
 s.end_reason, s.connection_quality, s.total_disconnections,
 (SELECT COUNT(*) FROM teleconference_events e
  WHERE e.teleconference_session_id = s.id
  AND e.event_type = 'disconnect') AS disconnect_events,
 (SELECT COUNT(*) FROM teleconference_participant_sessions p
  WHERE p.teleconference_session_id = s.id
  AND (p.left_reason = 'kicked' OR EXISTS (SELECT 1
  FROM teleconference_events k WHERE k.participant_session_id = p.id
  AND k.event_type = 'kicked'))) AS kicked_count
 FROM teleconferencesessions s) AS q
 WHERE q.total_disconnections > 3 OR q.session_status = 'failed'
 OR q.connection_quality = 'poor' OR q.kicked_count > 0;

-- The design took the status from the participant row; what counts
-- is whether the session was completed.  Caregivers without an id
-- cannot be told apart and are left out.  participant_name is the
-- name of the row with the latest joined_at (SQLite's bare column
-- with MAX()).
CREATE VIEW caregiver_performance AS SELECT
 p.participant_id, p.participant_name AS name,
 COUNT(DISTINCT p.teleconference_session_id) AS total_sessions,
 ROUND(AVG(p.session_duration_seconds) / 60.0, 2)
  AS avg_duration_minutes,
 ROUND(AVG(p.spoke_time_seconds), 1) AS avg_spoke_time_seconds,
 SUM(p.messages_sent) AS total_messages,
 ROUND(AVG(p.disconnection_count), 2) AS avg_disconnections,
 MAX(p.joined_at) AS last_joined_at
 FROM teleconference_participant_sessions p
 JOIN teleconferencesessions s ON s.id = p.teleconference_session_id
 WHERE p.participant_role = 'caregiver'
 AND s.session_status = 'completed'
 AND p.participant_id IS NOT NULL
 GROUP BY p.participant_id;
