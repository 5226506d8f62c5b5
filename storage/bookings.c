/*
 * Reading the schedule for the daemon: see bookings.h.
 *
 * Times may have been written by the scheduling application in any form
 * SQLite understands ("2026-11-30 10:00", "...T10:00:00Z", with an
 * offset), so they are compared and converted with julianday() rather
 * than as text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bookings.h"
#include "db.h"
#include "jid.h"
#include "log.h"
#include "settings.h"
#include "xmalloc.h"

#define BOOKINGS_MAX	10000	/* rows read per poll */
#define DAY_MS		86400000LL

static const char sql_bookings[] =
	"SELECT id, session_uid, appointmentId,"
	" COALESCE(jitsi_room_name, roomId),"
	" CAST(ROUND((julianday(scheduled_start) - 2440587.5) * 86400000.0)"
	"  AS INTEGER),"
	" scheduled_duration_minutes, session_status, status_reason,"
	" billable_seconds, patient_wait_seconds"
	" FROM teleconferencesessions"
	" WHERE session_status IN ('scheduled', 'active', 'cancelled')"
	" AND scheduled_start IS NOT NULL"
	" AND julianday(scheduled_start) BETWEEN ?1 AND ?2"
	" ORDER BY julianday(scheduled_start), id LIMIT ?3";

/* Who a previous run saw in an appointment it was observing. */
static const char sql_seen[] =
	"SELECT participant_key, participant_id, participant_name,"
	" participant_role,"
	" CAST(ROUND((julianday(joined_at) - 2440587.5) * 86400000.0)"
	"  AS INTEGER)"
	" FROM teleconference_participant_sessions"
	" WHERE teleconference_session_id = ?1 AND joined_at IS NOT NULL"
	" ORDER BY id";

static const char sql_roster[] =
	"SELECT participant_id, participant_role, participant_name"
	" FROM teleconference_expected_participants"
	" WHERE teleconference_session_id = ?1 ORDER BY id";

static const char *
own(struct booking *bk, const unsigned char *s)
{
	if (s == NULL)
		return NULL;
	bk->own = xreallocarray(bk->own, bk->nown + 1, sizeof(*bk->own));
	bk->own[bk->nown] = xstrdup((const char *)s);
	return bk->own[bk->nown++];
}

static void
booking_clear(struct booking *bk)
{
	freev(bk->own, bk->nown);
	free(bk->roster);
	free(bk->seen);
	memset(bk, 0, sizeof(*bk));
}

void
bookings_clear(struct bookings *out)
{
	size_t	 i;

	for (i = 0; i < out->n; i++)
		booking_clear(&out->v[i]);
	free(out->v);
	out->v = NULL;
	out->n = 0;
}

/*
 * The room name a row gives: its node when it is a JID, lower case (Jitsi
 * lowercases room names).  NULL when it cannot be a room name.
 */
static char *
room_name(const unsigned char *s)
{
	char	*name, *p;

	if (s == NULL)
		return NULL;
	if (strchr((const char *)s, '@') != NULL)
		name = jid_part((const char *)s, JID_NODE);
	else
		name = xstrdup((const char *)s);
	for (p = name; *p != '\0'; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) ||
		    *p == '/' || *p == '"' || *p == '&' || *p == '\'' ||
		    *p == '<' || *p == '>' || *p == ':') {
			free(name);
			return NULL;
		}
		*p = (char)tolower((unsigned char)*p);
	}
	if (*name == '\0' || strlen(name) > 1023) {
		free(name);
		return NULL;
	}
	return name;
}

static int
load_roster(struct db *db, int64_t id, struct booking *bk)
{
	sqlite3_stmt	*st;
	struct appt_member *m;
	int		 rc;

	if ((st = db_prepare(db, sql_roster)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			continue;
		bk->roster = xreallocarray(bk->roster, bk->b.nroster + 1,
		    sizeof(*bk->roster));
		m = &bk->roster[bk->b.nroster++];
		m->id = own(bk, sqlite3_column_text(st, 0));
		m->role = own(bk, sqlite3_column_text(st, 1));
		m->name = own(bk, sqlite3_column_text(st, 2));
	}
	if (rc != SQLITE_DONE)
		db_record_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	bk->b.roster = bk->roster;
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
load_seen(struct db *db, int64_t id, struct booking *bk)
{
	sqlite3_stmt	*st;
	struct appt_seen *sn;
	int		 rc;

	if ((st = db_prepare(db, sql_seen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bk->seen = xreallocarray(bk->seen, bk->b.nseen + 1,
		    sizeof(*bk->seen));
		sn = &bk->seen[bk->b.nseen++];
		sn->key = own(bk, sqlite3_column_text(st, 0));
		sn->id = own(bk, sqlite3_column_text(st, 1));
		sn->name = own(bk, sqlite3_column_text(st, 2));
		sn->role = own(bk, sqlite3_column_text(st, 3));
		sn->first_join_ms = sqlite3_column_int64(st, 4);
	}
	if (rc != SQLITE_DONE)
		db_record_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	bk->b.seen = bk->seen;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
bookings_load(struct db *db, int64_t now_ms, int64_t horizon_ms,
    const char *muc_domain, struct bookings *out)
{
	struct settings	 set;
	struct booking		*bk;
	sqlite3_stmt		*st;
	char			*name, *jid, esc[128];
	int64_t			 id;
	double			 dur;
	int			 rc;

	memset(out, 0, sizeof(*out));
	if (db_settings(db, &set) == -1)
		return -1;
	settings_policy(&set, &out->pol);
	snprintf(out->admin_jids, sizeof(out->admin_jids), "%s",
	    set.alert_admin_jids);
	out->quality_fair_per_hour = set.quality_fair_per_hour;
	out->quality_poor_per_hour = set.quality_poor_per_hour;
	if ((st = db_prepare(db, sql_bookings)) == NULL)
		goto fail;
	sqlite3_bind_double(st, 1, (double)(now_ms - DAY_MS) / DAY_MS +
	    2440587.5);
	sqlite3_bind_double(st, 2, (double)(now_ms + horizon_ms) / DAY_MS +
	    2440587.5);
	sqlite3_bind_int(st, 3, BOOKINGS_MAX);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if ((name = room_name(sqlite3_column_text(st, 3))) == NULL) {
			log_warnx("%s: appointment %s: no usable room name, "
			    "skipped", db_path(db), log_escape(esc,
			    sizeof(esc), (const char *)
			    sqlite3_column_text(st, 1)));
			continue;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		bk = &out->v[out->n++];
		memset(bk, 0, sizeof(*bk));
		bk->b.uid = own(bk, sqlite3_column_text(st, 1));
		bk->b.appointment_id = own(bk, sqlite3_column_text(st, 2));
		bk->b.room = own(bk, (const unsigned char *)name);
		xasprintf(&jid, "%s@%s", name, muc_domain);
		bk->b.room_jid = own(bk, (const unsigned char *)jid);
		free(jid);
		free(name);
		bk->b.start_ms = sqlite3_column_int64(st, 4);
		dur = sqlite3_column_type(st, 5) == SQLITE_NULL ?
		    set.default_duration : sqlite3_column_double(st, 5);
		bk->b.duration_ms = (int64_t)(dur * 60000.0);
		bk->status = own(bk, sqlite3_column_text(st, 6));
		bk->status_reason = own(bk, sqlite3_column_text(st, 7));
		if (load_roster(db, id, bk) == -1) {
			sqlite3_reset(st);
			goto fail;
		}
		/* Active: a previous run was observing it (see db.h). */
		if (strcmp(bk->status, "active") == 0) {
			bk->b.resumed = 1;
			bk->b.base_billable_ms = sqlite3_column_int64(st, 8) *
			    1000;
			bk->b.base_wait_ms = sqlite3_column_int64(st, 9) * 1000;
			if (load_seen(db, id, bk) == -1) {
				sqlite3_reset(st);
				goto fail;
			}
		}
	}
	if (rc != SQLITE_DONE)
		db_record_error(db);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
fail:
	log_warnx("%s: reading the schedule: %s", db_path(db), db_errmsg(db));
	bookings_clear(out);
	return -1;
}
