-- Migration 2 -> 3: the settings nothing read are gone (issue 11).
-- ../003_unused_settings.sql says why.
ALTER TABLE meeting_settings DROP COLUMN require_moderator;
ALTER TABLE meeting_settings DROP COLUMN enable_file_sharing;
ALTER TABLE meeting_settings DROP COLUMN enable_virtual_background;
ALTER TABLE meeting_settings DROP COLUMN video_quality;
ALTER TABLE meeting_settings DROP COLUMN leave_grace_seconds;
