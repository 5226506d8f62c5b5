/*
 * Reading the schedule for the daemon: see bookings.h.
 *
 * Times may have been written by the scheduling application in any form
 * the database understands ("2026-11-30 10:00", "...T10:00:00Z", with an
 * offset), so they are converted to ms since the epoch (SQLite's
 * julianday(), PostgreSQL's teletrack_time(): NULL for what is not a
 * time) rather than compared as text.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bookings.h"
#include "db.h"
#include "jid.h"
#include "log.h"
#include "settings.h"
#include "xmalloc.h"

#define BOOKINGS_MAX	10000	/* rows read per poll */
#define DAY_MS		86400000LL

/* A time column as ms since the epoch, NULL when it is not a time. */
#define MS_LITE(t) \
	"CAST(ROUND((julianday(" t ") - 2440587.5) * 86400000.0) AS INTEGER)"
#define MS_PG(t) \
	"CAST(ROUND(EXTRACT(EPOCH FROM teletrack_time(" t ")) * 1000)" \
	" AS BIGINT)"

/*
 * ?4: the daemon's shard: a booking another shard took is not ours to
 * follow (NULL: no shard, every booking).
 */
#define BOOKINGS_SQL(ms) \
	"SELECT id, session_uid, appointmentId," \
	" COALESCE(jitsi_room_name, roomId), " ms("scheduled_start") "," \
	" scheduled_duration_minutes, session_status, status_reason," \
	" billable_seconds, patient_wait_seconds" \
	" FROM teleconferencesessions" \
	" WHERE session_status IN ('scheduled', 'active', 'cancelled')" \
	" AND scheduled_start IS NOT NULL" \
	" AND " ms("scheduled_start") " BETWEEN ?1 AND ?2" \
	" AND (CAST(?4 AS TEXT) IS NULL OR shard IS NULL OR shard = ?4)" \
	" ORDER BY " ms("scheduled_start") ", id LIMIT ?3"
static const char sql_bookings[] = BOOKINGS_SQL(MS_LITE);
static const char sql_bookings_pg[] = BOOKINGS_SQL(MS_PG);

/* Who a previous run saw in an appointment it was observing. */
#define SEEN_SQL(ms) \
	"SELECT participant_key, participant_id, participant_name," \
	" participant_role, " ms("joined_at") \
	" FROM teleconference_participant_sessions" \
	" WHERE teleconference_session_id = ?1 AND joined_at IS NOT NULL" \
	" ORDER BY id"
static const char sql_seen[] = SEEN_SQL(MS_LITE);
static const char sql_seen_pg[] = SEEN_SQL(MS_PG);

static const char sql_roster[] =
	"SELECT participant_id, participant_role, participant_name"
	" FROM teleconference_expected_participants"
	" WHERE teleconference_session_id = ?1 ORDER BY id";

static const char *
own(struct booking *bk, const char *s)
{
	if (s == NULL)
		return NULL;
	bk->own = xreallocarray(bk->own, bk->nown + 1, sizeof(*bk->own));
	bk->own[bk->nown] = xstrdup(s);
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
room_name(const char *s)
{
	char	*name, *p;

	if (s == NULL)
		return NULL;
	if (strchr(s, '@') != NULL)
		name = jid_part(s, JID_NODE);
	else
		name = xstrdup(s);
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
	struct db_stmt	*st;
	struct appt_member *m;
	int		 rc;

	if ((st = db_prepare(db, sql_roster)) == NULL)
		return -1;
	if (db_bind_int(st, 1, id) == -1) {
		db_reset(st);
		return -1;
	}
	while ((rc = db_step(st)) == DB_ROW) {
		if (db_column_type(st, 0) == DB_NULL)
			continue;
		bk->roster = xreallocarray(bk->roster, bk->b.nroster + 1,
		    sizeof(*bk->roster));
		m = &bk->roster[bk->b.nroster++];
		m->id = own(bk, db_column_text(st, 0));
		m->role = own(bk, db_column_text(st, 1));
		m->name = own(bk, db_column_text(st, 2));
	}
	db_reset(st);
	bk->b.roster = bk->roster;
	return rc == DB_DONE ? 0 : -1;
}

static int
load_seen(struct db *db, int64_t id, struct booking *bk)
{
	struct db_stmt	*st;
	struct appt_seen *sn;
	int		 rc;

	if ((st = db_prepare(db, db_pick(db, sql_seen, sql_seen_pg))) ==
	    NULL)
		return -1;
	if (db_bind_int(st, 1, id) == -1) {
		db_reset(st);
		return -1;
	}
	while ((rc = db_step(st)) == DB_ROW) {
		bk->seen = xreallocarray(bk->seen, bk->b.nseen + 1,
		    sizeof(*bk->seen));
		sn = &bk->seen[bk->b.nseen++];
		sn->key = own(bk, db_column_text(st, 0));
		sn->id = own(bk, db_column_text(st, 1));
		sn->name = own(bk, db_column_text(st, 2));
		sn->role = own(bk, db_column_text(st, 3));
		sn->first_join_ms = db_column_int(st, 4);
	}
	db_reset(st);
	bk->b.seen = bk->seen;
	return rc == DB_DONE ? 0 : -1;
}

int
bookings_load(struct db *db, int64_t now_ms, int64_t horizon_ms,
    const char *muc_domain, const char *shard, struct bookings *out)
{
	struct settings	 set;
	struct booking		*bk;
	struct db_stmt		*st;
	char			*name, *jid, esc[128];
	int64_t			 id;
	double			 dur;
	int			 rc;

	memset(out, 0, sizeof(*out));
	if (db_settings(db, &set) == -1)
		goto fail;
	settings_policy(&set, &out->pol);
	snprintf(out->admin_jids, sizeof(out->admin_jids), "%s",
	    set.alert_admin_jids);
	out->quality_fair_per_hour = set.quality_fair_per_hour;
	out->quality_poor_per_hour = set.quality_poor_per_hour;
	if ((st = db_prepare(db, db_pick(db, sql_bookings,
	    sql_bookings_pg))) == NULL)
		goto fail;
	if (db_bind_int(st, 1, now_ms - DAY_MS) == -1 ||
	    db_bind_int(st, 2, now_ms + horizon_ms) == -1 ||
	    db_bind_int(st, 3, BOOKINGS_MAX) == -1 ||
	    db_bind_text(st, 4, shard != NULL && *shard != '\0' ? shard :
	    NULL) == -1) {
		db_reset(st);
		goto fail;
	}
	while ((rc = db_step(st)) == DB_ROW) {
		id = db_column_int(st, 0);
		if ((name = room_name(db_column_text(st, 3))) == NULL) {
			log_warnx("%s: appointment %s: no usable room name, "
			    "skipped", db_path(db), log_escape(esc,
			    sizeof(esc), db_column_text(st, 1)));
			continue;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		bk = &out->v[out->n++];
		memset(bk, 0, sizeof(*bk));
		bk->b.uid = own(bk, db_column_text(st, 1));
		bk->b.appointment_id = own(bk, db_column_text(st, 2));
		bk->b.room = own(bk, name);
		xasprintf(&jid, "%s@%s", name, muc_domain);
		bk->b.room_jid = own(bk, jid);
		free(jid);
		free(name);
		bk->b.start_ms = db_column_int(st, 4);
		dur = db_column_type(st, 5) == DB_NULL ?
		    set.default_duration : db_column_real(st, 5);
		bk->b.duration_ms = (int64_t)(dur * 60000.0);
		bk->status = own(bk, db_column_text(st, 6));
		bk->status_reason = own(bk, db_column_text(st, 7));
		if (load_roster(db, id, bk) == -1) {
			db_reset(st);
			goto fail;
		}
		/* Active: a previous run was observing it (see db.h). */
		if (strcmp(bk->status, "active") == 0) {
			bk->b.resumed = 1;
			bk->b.base_billable_ms = db_column_int(st, 8) * 1000;
			bk->b.base_wait_ms = db_column_int(st, 9) * 1000;
			if (load_seen(db, id, bk) == -1) {
				db_reset(st);
				goto fail;
			}
		}
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
fail:
	bookings_clear(out);
	return -1;
}
