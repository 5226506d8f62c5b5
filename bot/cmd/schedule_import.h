/*
 * Reading schedule files (CSV, iCalendar) into a struct schedule_batch
 * for schedule_apply().  Parses only: no database, no output.
 */
#ifndef TELETRACK_SCHEDULE_IMPORT_H
#define TELETRACK_SCHEDULE_IMPORT_H

#include <stddef.h>

struct schedule_batch;

#define SCHEDULE_IMPORT_MAX	(16 * 1024 * 1024)	/* bytes of a file */

/* The roles an import gives caregivers and patients (meeting_settings). */
struct schedule_roles {
	const char	*caregiver;
	const char	*patient;
};

/*
 * Parse an import's text (len bytes; NUL bytes are refused) into b,
 * whose file names it in messages.  Every problem is added to b->errs
 * as "FILE:LINE: message" and parsing goes on past it;
 * schedule_apply() then refuses to write a batch holding errors.
 *
 * CSV: a header row names the columns, in any order and any case:
 * appointment_id, room, start, duration_minutes, participants
 * ("ID:ROLE[:NAME];..."), caregiver_id, caregiver_name, patient_id,
 * patient_name; others are ignored.  LINE is where the row begins.
 *
 * iCalendar: one appointment per VEVENT (see README.md, "Scheduling");
 * LINE is the VEVENT's BEGIN line.
 */
void	 schedule_import_csv(struct schedule_batch *b, const char *buf,
	    size_t len, const struct schedule_roles *roles);
void	 schedule_import_ics(struct schedule_batch *b, const char *buf,
	    size_t len, const struct schedule_roles *roles);

/*
 * Read path (at most SCHEDULE_IMPORT_MAX bytes) and parse it as CSV or
 * iCalendar: by its extension (.csv; .ics, .ical), else by its content
 * (BEGIN:VCALENDAR).  b was initialised with path as its file; errors,
 * an unreadable file included, go to b.
 */
void	 schedule_import_file(struct schedule_batch *b, const char *path,
	    const struct schedule_roles *roles);

#endif
