/*
 * Events as the derivation would emit them, for the storage tests
 * (test_storage.c, test_pg.c): a session and a participant snapshot
 * with defaults (testrecs.h), and emit(), which turns a JSON text into the typed
 * fields, alert or attendance of an event and hands it to a writer;
 * caregiver_joins() sets up the usual first join, flush_all() commits.
 * Included after <cmocka.h>, <jansson.h>, "event.h" and "writer.h".
 */
#ifndef TELETRACK_TESTEVENTS_H
#define TELETRACK_TESTEVENTS_H

#include <stdint.h>
#include <string.h>

#include "testrecs.h"

/*
 * The details of a test event, written as JSON for brevity and turned
 * into the typed fields the derivation would give: strings, integers,
 * booleans, null and nested objects.  The strings stay in the parsed
 * json_t, which the caller keeps until the event is emitted.
 */
static void
to_fields(json_t *obj, struct event_fields *f)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(obj, k, v) {
		switch (json_typeof(v)) {
		case JSON_STRING:
			ef_str(f, k, json_string_value(v));
			break;
		case JSON_INTEGER:
			ef_int(f, k, json_integer_value(v));
			break;
		case JSON_TRUE:
		case JSON_FALSE:
			ef_bool(f, k, json_is_true(v));
			break;
		case JSON_OBJECT:
			ef_object(f, k);
			to_fields(v, f);
			ef_end(f);
			break;
		default:
			ef_null(f, k);
			break;
		}
	}
}

static const char *
jget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Minutes as the tracker keeps them: ms (-1 for null). */
static int64_t
jminutes_ms(json_t *o, const char *k)
{
	json_t	*v = json_object_get(o, k);

	return json_is_number(v) ? (int64_t)(json_number_value(v) * 60000) :
	    -1;
}

static void
emit(struct writer *w, enum event_type type, int64_t ts,
    const struct session_rec *s, const struct participant_rec *p,
    const char *data)
{
	struct event		 ev;
	struct event_fields	 f = { .n = 0 };
	struct alert_rec	 al;
	struct attendance_rec	 at;
	json_t			*j = NULL, *d;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.ts_ms = ts;
	ev.session = s;
	ev.participant = p;
	if (data != NULL) {
		j = json_loads(data, JSON_PRESERVE_ORDER, NULL);
		assert_non_null(j);
	}
	if (type == EVENT_ALERT && j != NULL) {
		memset(&al, 0, sizeof(al));
		al.rule = jget(j, "rule");
		al.severity = jget(j, "severity");
		al.raised = strcmp(jget(j, "state"), "raised") == 0;
		al.subject = jget(j, "subject");
		al.participant_key = jget(j, "participant_key");
		al.appointment_id = jget(j, "appointment_id");
		al.room = jget(j, "room");
		al.message = jget(j, "message");
		if ((d = json_object_get(j, "details")) != NULL)
			to_fields(d, &f);
		ev.alert = &al;
	} else if (type == EVENT_ATTENDANCE && j != NULL) {
		memset(&at, 0, sizeof(at));
		d = json_object_get(j, "expected");
		at.expected = json_is_boolean(d) ? json_is_true(d) : -1;
		at.role = jget(j, "role");
		at.attendance = jget(j, "attendance");
		at.late_ms = jminutes_ms(j, "late_minutes");
		at.left_early_ms = jminutes_ms(j, "left_early_minutes");
		at.overran_ms = jminutes_ms(j, "overran_minutes");
		ev.attendance = &at;
	} else if (j != NULL)
		to_fields(j, &f);
	ev.fields = f.v;
	ev.nfields = f.n;
	writer_emit(&ev, w);
	json_decref(j);
}

/*
 * The first participant of s, a caregiver ("Dr Who", key, id, stats id),
 * as the derivation gives it at its join at t: p and the session's
 * counts.  The caller emits the EVENT_JOIN.
 */
static void
caregiver_joins(struct session_rec *s, struct participant_rec *p,
    const char *key, const char *id, const char *stats, int64_t t)
{
	s->participant_count = s->peak_participants = 1;
	s->connection_quality = "good";
	participant_init(p, key, "Dr Who", t);
	p->participant_id = id;
	p->role = "caregiver";
	p->stats_id = stats;
}

/* Commit what w holds: the flush succeeds and nothing is left pending. */
static void
flush_all(struct writer *w)
{
	assert_int_equal(writer_flush(w), 0);
	assert_int_equal(writer_pending(w), 0);
}

/* EVENT_PARTICIPANT_MERGE: the provisional participant from is p. */
static void
emit_merge(struct writer *w, int64_t ts, const struct session_rec *s,
    const struct participant_rec *p, const char *from, int peak_lowered)
{
	char		*copy = xstrdup(from);
	struct event	 ev = {
		.type = EVENT_PARTICIPANT_MERGE,
		.ts_ms = ts,
		.session = s,
		.participant = p,
		.merge_from = copy,
		.merge_peak_lowered = peak_lowered,
	};

	writer_emit(&ev, w);
	free(copy);	/* the writer keeps its own */
}

#endif
