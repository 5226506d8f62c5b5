/*
 * The storage writer's memory (writer_int.h): the queue of deep-copied
 * events, a ring in arrival order; the batch cache, which row each
 * snapshot of a batch belongs to (open addressing, cleared per flush);
 * and the rows as last committed, whose snapshots say between batches
 * which rows an event would change.
 */
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "text.h"
#include "writer_int.h"
#include "xmalloc.h"

/*
 * Queue
 */

/* The string fields of a queued event, for copying and repointing. */
static size_t
string_fields(struct qev *e, const char ***f)
{
	size_t	 n = 0;

	f[n++] = &e->data;
	f[n++] = &e->details;
	f[n++] = &e->s.uid;
	f[n++] = &e->s.room;
	f[n++] = &e->s.room_jid;
	f[n++] = &e->s.meeting_id;
	f[n++] = &e->s.appointment_id;
	f[n++] = &e->s.status;
	f[n++] = &e->s.end_reason;
	f[n++] = &e->s.recording_status;
	f[n++] = &e->s.connection_quality;
	f[n++] = &e->s.status_reason;
	if (e->ev.alert != NULL) {
		f[n++] = &e->al.rule;
		f[n++] = &e->al.severity;
		f[n++] = &e->al.subject;
		f[n++] = &e->al.participant_key;
		f[n++] = &e->al.appointment_id;
		f[n++] = &e->al.room;
		f[n++] = &e->al.message;
	}
	if (e->ev.attendance != NULL) {
		f[n++] = &e->at.role;
		f[n++] = &e->at.attendance;
	}
	f[n++] = &e->ev.merge_from;
	if (e->ev.participant == NULL)
		return n;
	f[n++] = &e->p.key;
	f[n++] = &e->p.nick;
	f[n++] = &e->p.name;
	f[n++] = &e->p.participant_id;
	f[n++] = &e->p.role;
	f[n++] = &e->p.jid;
	f[n++] = &e->p.stats_id;
	f[n++] = &e->p.connection_quality;
	f[n++] = &e->p.left_reason;
	f[n++] = &e->p.ip_address;
	f[n++] = &e->p.user_agent;
	f[n++] = &e->p.browser;
	f[n++] = &e->p.operating_system;
	f[n++] = &e->p.device_type;
	return n;
}

#define MAX_FIELDS	48

/*
 * A deep copy of ev in one allocation (free() frees it), with its
 * details rendered: this is where an event becomes the JSON it is
 * stored as, once.
 */
struct qev *
qev_new(const struct event *ev)
{
	struct qev	 tmp, *e;
	const char	**f[MAX_FIELDS];
	char		*data = NULL, *details = NULL, *o;
	size_t		 n, i, len = 0, ilen = 0, sl;

	memset(&tmp, 0, sizeof(tmp));
	tmp.ev = *ev;
	tmp.s = *ev->session;
	if (ev->participant != NULL) {
		tmp.p = *ev->participant;
		ilen = tmp.p.nissues * sizeof(*tmp.p.issues);
	}
	if (ev->alert != NULL) {
		tmp.al = *ev->alert;
		details = event_fields_json(ev->fields, ev->nfields);
	}
	if (ev->attendance != NULL)
		tmp.at = *ev->attendance;
	tmp.data = data = event_json(ev);
	tmp.details = details;
	n = string_fields(&tmp, f);
	for (i = 0; i < n; i++)
		if (*f[i] != NULL)
			len += strlen(*f[i]) + 1;

	/* sizeof(*e) keeps the issues after it aligned. */
	e = xmalloc(sizeof(*e) + ilen + len);
	memcpy(e, &tmp, sizeof(tmp));
	if (ilen > 0) {
		memcpy(e + 1, tmp.p.issues, ilen);
		e->p.issues = (const struct issue *)(e + 1);
	} else
		e->p.issues = NULL;
	o = (char *)(e + 1) + ilen;
	n = string_fields(e, f);
	for (i = 0; i < n; i++) {
		if (*f[i] == NULL)
			continue;
		sl = strlen(*f[i]) + 1;
		memcpy(o, *f[i], sl);
		*f[i] = o;
		o += sl;
	}
	free(data);
	free(details);
	/* The copies own nothing outside e. */
	e->ev.session = &e->s;
	e->ev.participant = ev->participant != NULL ? &e->p : NULL;
	e->ev.alert = ev->alert != NULL ? &e->al : NULL;
	e->ev.attendance = ev->attendance != NULL ? &e->at : NULL;
	e->ev.fields = NULL;
	e->ev.nfields = 0;
	e->refs = 1;
	return e;
}

void
qev_unref(struct qev *e)
{
	if (e != NULL && --e->refs == 0)
		free(e);
}

struct qev *
queue_at(const struct writer *w, size_t i)
{
	return w->q[(w->head + i) % w->cap];
}

void
queue_drop_oldest(struct writer *w)
{
	if (w->doubt_n > 0)
		w->doubt_n--;
	qev_unref(w->q[w->head]);
	w->head = (w->head + 1) % w->cap;
	w->count--;
}

/* The oldest event is on record: counted (an event row), then dropped. */
void
drop_committed(struct writer *w)
{
	enum event_type	 t = queue_at(w, 0)->ev.type;

	if (!event_type_is_rollup(t) && t != EVENT_PARTICIPANT_MERGE)
		w->written[t]++;
	queue_drop_oldest(w);
}

/* Remove the event at position i (0 = oldest), keeping the order. */
void
queue_remove(struct writer *w, size_t i)
{
	qev_unref(queue_at(w, i));
	for (; i + 1 < w->count; i++)
		w->q[(w->head + i) % w->cap] = queue_at(w, i + 1);
	w->count--;
}

void
queue_push(struct writer *w, struct qev *e)
{
	struct qev	**nq;
	size_t		 ncap, i;

	if (w->count >= w->max) {
		queue_drop_oldest(w);
		w->dropped++;
		w->dropped_failing++;
		if (w->dropped_failing == 1 ||
		    w->dropped_failing % 10000 == 0)
			log_warnx("%s: event queue full (%zu events held): "
			    "dropped %llu oldest event(s) so far",
			    db_path(w->db), w->count + 1,
			    (unsigned long long)w->dropped_failing);
	}
	if (w->count == w->cap) {
		ncap = w->cap == 0 ? 64 : w->cap * 2;
		nq = xreallocarray(NULL, ncap, sizeof(*nq));
		for (i = 0; i < w->count; i++)
			nq[i] = queue_at(w, i);
		free(w->q);
		w->q = nq;
		w->cap = ncap;
		w->head = 0;
	}
	w->q[(w->head + w->count) % w->cap] = e;
	w->count++;
}

/*
 * Batch cache: open addressing over (uid, key), cleared per flush.
 */

static uint64_t
hash2(const char *a, const char *b)
{
	uint64_t	 h = 1469598103934665603ULL;

	for (; *a != '\0'; a++)
		h = (h ^ (unsigned char)*a) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	if (b != NULL)
		for (; *b != '\0'; b++)
			h = (h ^ (unsigned char)*b) * 1099511628211ULL;
	return h;
}

static int
ent_match(const struct ent *e, const char *uid, const char *key)
{
	if (strcmp(e->uid, uid) != 0)
		return 0;
	if (e->key == NULL || key == NULL)
		return e->key == key;
	return strcmp(e->key, key) == 0;
}

/* The slot for (uid, key): its entry, or the empty slot to fill. */
static struct ent *
cache_slot(struct cache *c, const char *uid, const char *key)
{
	size_t	 i = (size_t)hash2(uid, key) & (c->cap - 1);

	while (c->v[i].uid != NULL && !ent_match(&c->v[i], uid, key))
		i = (i + 1) & (c->cap - 1);
	return &c->v[i];
}

void
cache_clear(struct cache *c)
{
	if (c->cap > 0)
		memset(c->v, 0, c->cap * sizeof(*c->v));
	c->n = 0;
}

struct ent *
cache_get(struct cache *c, const char *uid, const char *key)
{
	struct ent	*e;

	if (c->cap == 0)
		return NULL;
	e = cache_slot(c, uid, key);
	return e->uid != NULL ? e : NULL;
}

/* Add (uid, key), known absent; the table stays at most half full. */
struct ent *
cache_add(struct cache *c, const char *uid, const char *key)
{
	struct ent	*old = c->v, *e;
	size_t		 oldcap = c->cap, i;

	if ((c->n + 1) * 2 > c->cap) {
		c->cap = c->cap == 0 ? 64 : c->cap * 2;
		c->v = xcalloc(c->cap, sizeof(*c->v));
		for (i = 0; i < oldcap; i++)
			if (old[i].uid != NULL)
				*cache_slot(c, old[i].uid, old[i].key) =
				    old[i];
		free(old);
	}
	e = cache_slot(c, uid, key);
	e->uid = uid;
	e->key = key;
	c->n++;
	return e;
}

/*
 * Rows as committed
 */


static int
row_cmp(const void *a, const void *b)
{
	const struct row	*x = a, *y = b;
	int			 c = strcmp(x->uid, y->uid);

	if (c != 0)
		return c;
	if (x->key == NULL || y->key == NULL)
		return (x->key != NULL) - (y->key != NULL);
	return strcmp(x->key, y->key);
}

struct row *
row_find(struct writer *w, const char *uid, const char *key)
{
	struct row	 k;
	void		*n;

	k.uid = uid;
	k.key = key;
	n = tfind(&k, &w->rows, row_cmp);
	return n != NULL ? *(struct row **)n : NULL;
}

/* The session row would not change, but for the durations rollups write. */
int
same_session(const struct session_rec *a, const struct session_rec *b)
{
	return a->start_ms == b->start_ms && a->end_ms == b->end_ms &&
	    streq(a->room, b->room) && streq(a->room_jid, b->room_jid) &&
	    streq(a->meeting_id, b->meeting_id) &&
	    streq(a->appointment_id, b->appointment_id) &&
	    streq(a->status, b->status) && streq(a->end_reason, b->end_reason) &&
	    a->participant_count == b->participant_count &&
	    a->peak_participants == b->peak_participants &&
	    a->total_disconnections == b->total_disconnections &&
	    streq(a->recording_status, b->recording_status) &&
	    streq(a->connection_quality, b->connection_quality) &&
	    streq(a->status_reason, b->status_reason) &&
	    a->appt_figures == b->appt_figures &&
	    a->billable_s == b->billable_s &&
	    a->patient_wait_s == b->patient_wait_s;
}

/* The same for a participant row (time present and spoken aside). */
int
same_participant(const struct participant_rec *a,
    const struct participant_rec *b)
{
	return streq(a->nick, b->nick) && streq(a->name, b->name) &&
	    streq(a->participant_id, b->participant_id) &&
	    streq(a->role, b->role) && streq(a->jid, b->jid) &&
	    streq(a->stats_id, b->stats_id) && a->joined_ms == b->joined_ms &&
	    a->left_ms == b->left_ms && a->present == b->present &&
	    a->join_count == b->join_count &&
	    a->disconnection_count == b->disconnection_count &&
	    a->camera_enabled == b->camera_enabled &&
	    a->microphone_enabled == b->microphone_enabled &&
	    a->screen_shared == b->screen_shared &&
	    a->is_moderator == b->is_moderator &&
	    a->messages_sent == b->messages_sent &&
	    a->reactions_sent == b->reactions_sent &&
	    a->spoke_known == b->spoke_known &&
	    a->lobby_known == b->lobby_known &&
	    a->lobby_wait_s == b->lobby_wait_s &&
	    a->nissues == b->nissues &&
	    (a->nissues == 0 || memcmp(a->issues, b->issues,
	    a->nissues * sizeof(*a->issues)) == 0) &&
	    streq(a->connection_quality, b->connection_quality) &&
	    streq(a->left_reason, b->left_reason) &&
	    streq(a->ip_address, b->ip_address) &&
	    streq(a->user_agent, b->user_agent) &&
	    streq(a->browser, b->browser) &&
	    streq(a->operating_system, b->operating_system) &&
	    streq(a->device_type, b->device_type);
}

struct forget {
	const char	*uid;
	struct row	**v;
	size_t		 n;
};

static void
collect(const void *node, VISIT which, void *arg)
{
	struct row	*r = *(struct row *const *)node;
	struct forget	*f = arg;

	if ((which == postorder || which == leaf) &&
	    strcmp(r->uid, f->uid) == 0) {
		f->v = xreallocarray(f->v, f->n + 1, sizeof(*f->v));
		f->v[f->n++] = r;
	}
}

/* Forget the rows of the session uid (it ended). */
void
rows_forget(struct writer *w, const char *uid)
{
	struct forget	 f;
	char		*copy = xstrdup(uid);
	size_t		 i;

	memset(&f, 0, sizeof(f));
	f.uid = copy;
	twalk_r(w->rows, collect, &f);
	for (i = 0; i < f.n; i++) {
		tdelete(f.v[i], &w->rows, row_cmp);
		qev_unref(f.v[i]->q);
		free(f.v[i]);
	}
	free(f.v);
	free(copy);
}

void
row_free(void *p)
{
	struct row	*r = p;

	qev_unref(r->q);
	free(r);
}

/*
 * After a commit: the rows written are as their latest snapshots say;
 * the rows of sessions that ended are forgotten.
 */
void
rows_commit(struct writer *w)
{
	struct cache	*c = &w->cache;
	struct ent	*e;
	struct qev	*e2;
	struct row	*r;
	size_t		 i;

	for (i = 0; i < c->cap; i++) {
		e = &c->v[i];
		if (e->uid == NULL || !e->written)
			continue;
		r = row_find(w, e->uid, e->key);
		/*
		 * Someone who left is written when they come back: keeping
		 * the snapshot of everyone who ever left would grow with the
		 * meeting's history.
		 */
		if (e->key != NULL && !e->latest->p.present) {
			if (r != NULL) {
				tdelete(r, &w->rows, row_cmp);
				row_free(r);
			}
			continue;
		}
		if (r == NULL) {
			r = xcalloc(1, sizeof(*r));
			r->uid = e->latest->s.uid;
			r->key = e->key != NULL ? e->latest->p.key : NULL;
			if (tsearch(r, &w->rows, row_cmp) == NULL)
				fatal("tsearch");
		}
		/* The same strings, now in the kept snapshot. */
		e->latest->refs++;
		qev_unref(r->q);
		r->q = e->latest;
		r->uid = r->q->s.uid;
		r->key = e->key != NULL ? r->q->p.key : NULL;
		r->id = e->id;
	}
	for (i = 0; i < w->count; i++) {
		e2 = queue_at(w, i);
		if (e2->ev.type == EVENT_SESSION_END)
			rows_forget(w, e2->s.uid);
		else if (e2->ev.type == EVENT_PARTICIPANT_MERGE &&
		    e2->ev.merge_from != NULL &&
		    (r = row_find(w, e2->s.uid, e2->ev.merge_from)) != NULL) {
			tdelete(r, &w->rows, row_cmp);
			row_free(r);
		}
	}
}
