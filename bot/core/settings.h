/*
 * meeting_settings, declared once: settings_table[] holds each column's
 * name, type, default, help and who reads it.  From it come the values
 * the daemon and the commands start from (settings_defaults), the
 * checks of `teletrack settings set` (settings_parse), what `settings
 * show` lists, and the appointment tracker's policy (settings_policy).
 * The SQL side (reading the row, writing a column) is storage's; the
 * schema's columns live in storage/schema/NNN_name.sql, and test_storage.c
 * checks that they and this table agree (names, types, defaults).
 */
#ifndef TELETRACK_SETTINGS_H
#define TELETRACK_SETTINGS_H

#include <stddef.h>

struct appt_policy;

enum setting_type {
	SETTING_INT,		/* a whole number >= 0 */
	SETTING_REAL,		/* a number >= 0; minutes may be fractions */
	SETTING_TEXT
};

/* The meeting_settings row.  Durations named *_minutes are minutes. */
struct settings {
	double	 default_duration;		/* minutes */
	double	 allow_early_join_minutes;
	double	 max_late_join_minutes;
	double	 max_meeting_duration;		/* minutes; 0: no limit */
	double	 auto_end_after_minutes;
	int	 record_meetings;		/* recording expected */
	int	 enable_chat;
	int	 enable_screen_share;
	int	 enable_recording;		/* recording allowed */
	int	 max_participants;		/* 0: no limit */
	double	 quality_fair_per_hour;		/* incidents per hour */
	double	 quality_poor_per_hour;
	double	 late_grace_minutes;
	double	 left_early_grace_minutes;
	double	 overrun_grace_minutes;
	double	 alert_caregiver_absent_minutes;
	double	 alert_patient_waiting_minutes;
	double	 alert_drop_minutes;
	int	 alert_disconnects;
	double	 alert_disconnect_window_minutes;
	double	 alert_recording_missing_minutes;
	char	 alert_rules[512];		/* "all" or rule names */
	char	 alert_admin_jids[1024];	/* comma-separated */
	char	 caregiver_role[64];
	char	 patient_role[64];
};

struct setting {
	const char		*name;		/* the column */
	enum setting_type	 type;
	size_t			 off;		/* in struct settings */
	size_t			 size;		/* text: its buffer */
	const char		*def;		/* the default, as text */
	const char		*help;
	const char		*reader;	/* what reads it */
};

/* The columns in the schema's order, ended by a { NULL } entry. */
extern const struct setting settings_table[];

/* The column named name, or NULL. */
const struct setting *settings_find(const char *name);

/* "int", "real" or "text". */
const char	*settings_type_name(enum setting_type);

/* Fill s with every column's default. */
void		 settings_defaults(struct settings *s);

/*
 * Check value for column c (int: a whole number from 0 to INT32_MAX;
 * real: a plain decimal number from 0 to 1e9, no sign, blanks, hex, inf
 * or nan; text: valid UTF-8 without control characters that fits the
 * buffer, may be empty) and, when s is not NULL, store it in s.
 * Returns 0, or -1 with "name: value: problem" in err.
 */
int		 settings_parse(const struct setting *c, const char *value,
		    struct settings *s, char *err, size_t errsz);

/*
 * Split "KEY=VALUE": the column named KEY (so its name, from the table,
 * is safe to put into SQL) and the value, borrowed from kv.  NULL with a
 * message in err when there is no '=' or no such column.
 */
const struct setting *settings_split(const char *kv, const char **value,
		    char *err, size_t errsz);

/* settings_split() and settings_parse() of one "KEY=VALUE": 0 or -1. */
int		 settings_check(const char *kv, char *err, size_t errsz);

/* The appointment tracker's policy (booking.h) from settings s. */
void		 settings_policy(const struct settings *s,
		    struct appt_policy *p);

#endif
