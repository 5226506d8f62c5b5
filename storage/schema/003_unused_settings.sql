-- Migration 2 -> 3: the settings nothing read are gone (issue 11).
--
-- require_moderator, enable_file_sharing, enable_virtual_background and
-- video_quality describe the meeting's front end, which an XMPP
-- observer cannot see or enforce; leave_grace_seconds duplicated the
-- config file's [rooms] leave_grace_s, which always won.  An application
-- that wrote these columns must stop: UPDATEs naming them now fail.
-- Every other column of meeting_settings is declared, with what reads
-- it, in bot/core/settings.c.
ALTER TABLE meeting_settings DROP COLUMN require_moderator;
ALTER TABLE meeting_settings DROP COLUMN enable_file_sharing;
ALTER TABLE meeting_settings DROP COLUMN enable_virtual_background;
ALTER TABLE meeting_settings DROP COLUMN video_quality;
ALTER TABLE meeting_settings DROP COLUMN leave_grace_seconds;
