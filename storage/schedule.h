/*
 * Scheduling in SQL: writing a checked batch of appointments
 * (schedule_batch.h) and their expected participants (the roster),
 * cancelling and listing them, and reading or writing the
 * meeting_settings row.  Used by the `schedule` and `settings` commands
 * (schedule_cli.c); nothing here prints or logs: errors go back to the
 * caller, who knows the context.
 *
 * A booking is a teleconferencesessions row with session_uid
 * "appt:<appointmentId>", session_status 'scheduled', roomId and
 * jitsi_room_name the lowercased room, scheduled_start (UTC text) and
 * scheduled_duration_minutes; the daemon later turns that same row into
 * the meeting's session.
 */
#ifndef TELETRACK_SCHEDULE_H
#define TELETRACK_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

struct db;
struct report_rows;
struct schedule_batch;

/*
 * Write the batch in one transaction: each appointment is added, or
 * updated when a row for it is still 'scheduled' (start, minutes, room,
 * roster replaced); one that is active, completed, failed or cancelled is
 * an error.  cancel entries cancel a scheduled row and are otherwise
 * skipped.  Every problem found is appended to b->errs (validation of
 * every entry first, schedule_batch_validate(), then the database's refusals), and then nothing is
 * written; a batch that already holds errors (from parsing) is checked
 * the same way and never written.  A booking longer than
 * max_meeting_duration (when it is not 0) is refused.  now_ms stamps createdAt/updatedAt.
 * Returns 0 when committed, -1 otherwise (b->nerrs > 0).
 */
int	 schedule_apply(struct db *, struct schedule_batch *b,
	    int64_t now_ms);

/*
 * Cancel appointment appt if it is 'scheduled' or 'active':
 * session_status 'cancelled', status_reason reason (NULL: "cancelled").
 * Returns 0, or -1 with a message in err (unknown appointment, already
 * ended, database error).
 */
int	 schedule_cancel(struct db *, const char *appt, const char *reason,
	    int64_t now_ms, char *err, size_t errsz);

/*
 * Appointments by start: appointment, room, start, minutes, status,
 * reason, roster ("id:role:name; ...").  Scheduled and active ones only
 * unless all is set.  limit <= 0 means all.  Returns rows for
 * report_rows_free(), or NULL with a message in err.
 */
struct report_rows *schedule_list(struct db *, int all, int limit,
	    char *err, size_t errsz);

/*
 * meeting_settings as rows: setting, type (int, real, text), value,
 * help; one per entry of settings_table.  Returns rows for
 * report_rows_free(), or NULL with a message in err.
 */
struct report_rows *schedule_settings(struct db *, char *err, size_t errsz);

/*
 * Set each "KEY=VALUE" of kv[0..n-1] and updatedAt, in one transaction.
 * Every pair is checked first; on any error nothing is written.  Returns
 * 0, or -1 with a message in err.
 */
int	 schedule_settings_set(struct db *, char *const *kv, size_t n,
	    int64_t now_ms, char *err, size_t errsz);

#endif
