/*
 * What arrives in a room besides presence: groupchat (chat messages and
 * reactions, counted, never their text), speakerstats snapshots, and the
 * companion module's notes (dominant speaker, interrupted and restored
 * connections, client facts, true join times, the lobby, breakout rooms,
 * ending for all).  room.c owns the occupants these refer to; session.c
 * the participants they are recorded on.  Pure: no I/O, no clock.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "room_int.h"
#include "text.h"
#include "xmalloc.h"

/* --- messages ---------------------------------------------------------- */

void
room_message(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	struct occupant		*o;

	if (m->nick == NULL || m->delayed)
		return;		/* room-level message, or history replay */
	if ((o = occ_find(r, m->nick)) == NULL || o->part == NULL)
		return;		/* focus, observer, hidden, or unknown */
	ef_str(&f, "nick", o->nick);
	if (m->kind == MESSAGE_CHAT) {
		o->part->rec.messages_sent++;
		ef_bool(&f, "reply", m->is_reply);
		emit(r, EVENT_CHAT_MESSAGE, o->part, now, &f, now, sink);
	} else if (m->kind == MESSAGE_REACTION && m->nreactions > 0) {
		o->part->rec.reactions_sent += m->nreactions;
		ef_int(&f, "count", m->nreactions);
		emit(r, EVENT_REACTION, o->part, now, &f, now, sink);
	} else
		return;
	o->part->dirty = 1;
}

void
room_speakerstats(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct event_field	*f;
	struct occupant		*o;
	size_t			 n = 0, len = sizeof("users");
	char			*text;
	int			 i;

	/* One block: the fields, then the keys they point to. */
	for (i = 0; i < m->nstats; i++)
		len += strlen(m->stats[i].nick) + 1;
	f = xcalloc(1, ((size_t)m->nstats + 2) * sizeof(*f) + len);
	text = (char *)(f + m->nstats + 2);
	memcpy(text, "users", sizeof("users"));
	f[n].key = text;
	f[n++].type = EV_OBJECT;
	text += sizeof("users");
	for (i = 0; i < m->nstats; i++) {
		const struct speaker_stat *st = &m->stats[i];

		len = strlen(st->nick) + 1;
		memcpy(text, st->nick, len);
		f[n].key = text;
		f[n].type = EV_INT;
		f[n++].i = st->total_ms;
		text += len;
		if ((o = occ_find(r, st->nick)) == NULL)
			continue;
		o->snapshot_ms = st->total_ms;
		if (o->part != NULL) {
			o->part->spoke_base_ms = st->total_ms;
			o->part->rec.spoke_known = 1;
			o->part->dirty = 1;
		}
	}
	f[n++].type = EV_END;
	/* Kept until the session opens, when it has not yet. */
	free(r->pending_stats);
	r->pending_stats = f;
	r->npending_stats = n;
	session_stats(r, now, sink);
}

/*
 * The server admitted o at at_ms (the companion module saw it; rate
 * limits and jicofo's lock can hold a join for seconds): people already
 * here when we came joined then, not when we did.
 */
static void
joined_at(struct room *r, struct occupant *o, int64_t at_ms)
{
	struct participant	*p = o->part;

	if (at_ms <= 0 || at_ms >= o->arrived_ms)
		return;
	o->true_join_ms = at_ms;
	o->arrived_ms = at_ms;
	if (p == NULL)
		return;
	if (at_ms < p->rec.joined_ms)
		p->rec.joined_ms = at_ms;
	if (p->noccupants == 1 && at_ms < p->present_since)
		p->present_since = at_ms;
	p->dirty = 1;
	(void)r;
}

/* The ended note and the destroy reason are only good for one end. */
void
end_notes_clear(struct room *r)
{
	free(r->ended_by);
	free(r->ended_by_jid);
	free(r->destroy_reason);
	r->ended_by = r->ended_by_jid = r->destroy_reason = NULL;
}

/* The bare part of a real JID, copied, or NULL. */
static char *
bare_dup(const char *jid)
{
	return jid != NULL ? strndup(jid, strcspn(jid, "/")) : NULL;
}

static struct knock *
knock_find(struct room *r, const char *nick, const char *jid)
{
	struct knock	*k;
	char		*b = bare_dup(jid);

	TAILQ_FOREACH(k, &r->knocks, entry)
		if ((b != NULL && streq(k->jid, b)) || streq(k->nick, nick))
			break;
	free(b);
	return k;
}

/*
 * The lobby, from the companion module's notes (knockers' presence in the
 * lobby room reaches only the meeting's owners).  A knock is kept until
 * its person is let in and joins (part_attach() turns the time between
 * into lobby_wait_seconds) or leaves the lobby without that.
 */
static void
lobby_note(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	static const enum event_type types[] = {
		[LOBBY_JOIN] = EVENT_LOBBY_JOIN,
		[LOBBY_ADMITTED] = EVENT_LOBBY_ADMITTED,
		[LOBBY_DENIED] = EVENT_LOBBY_DENIED,
		[LOBBY_LEAVE] = EVENT_LOBBY_LEAVE
	};
	struct event_fields	 f = { .n = 0 };
	struct knock		*k;
	struct occupant		*o;
	char			*b;

	k = knock_find(r, m->note_nick, m->note_jid);
	if (m->note_event == LOBBY_JOIN) {
		if (k == NULL) {
			k = xcalloc(1, sizeof(*k));
			TAILQ_INSERT_TAIL(&r->knocks, k, entry);
		}
		set_str(&k->nick, m->note_nick);
		free(k->jid);
		k->jid = bare_dup(m->note_jid);
		set_str(&k->name, m->note_identity_name != NULL ?
		    m->note_identity_name : m->note_name);
		set_str(&k->pid, m->note_identity_id);
		set_str(&k->role, m->note_identity_role);
		k->since = now;
		k->admitted = k->left = 0;
		/* A knock is the meeting's business: it opens the session. */
		if (!r->sess.open)
			session_open(r, now, now, sink);
	}
	if (k == NULL)
		return;		/* a knock from before we came */
	ef_str(&f, "nick", k->nick);
	if (m->note_event == LOBBY_JOIN) {
		ef_str(&f, "name", k->name);
		if (k->pid != NULL)
			ef_str(&f, "participant_id", k->pid);
		if (k->role != NULL)
			ef_str(&f, "role", k->role);
	} else
		ef_int(&f, "wait_s", ((k->admitted > 0 ? k->admitted : now) -
		    k->since) / 1000);
	if (m->note_by != NULL)
		ef_str(&f, "by", m->note_by);
	if (m->note_event == LOBBY_LEAVE && m->note_reason != NULL)
		ef_str(&f, "reason", m->note_reason);
	emit_knock(r, types[m->note_event], k, &f, now, sink);
	switch (m->note_event) {
	case LOBBY_ADMITTED:
		k->admitted = now;
		/* Already in (the join can come first): link it now. */
		b = bare_dup(m->note_jid);
		TAILQ_FOREACH(o, &r->occupants, entry) {
			char *ob = bare_dup(o->jid);
			int match = o->part != NULL && ((b != NULL &&
			    streq(ob, b)) || streq(o->nick, k->nick));

			free(ob);
			if (!match)
				continue;
			o->part->rec.lobby_wait_s = (k->admitted - k->since) /
			    1000;
			o->part->rec.lobby_known = 1;
			o->part->dirty = 1;
			k->linked = 1;
			break;
		}
		free(b);
		break;
	case LOBBY_LEAVE:
		/* Let in: kept (a minute at most) until the person joins. */
		if (k->admitted == 0 || k->linked) {
			TAILQ_REMOVE(&r->knocks, k, entry);
			knock_free(k);
		} else
			k->left = now;
		break;
	default:
		break;
	}
}

void
room_module_note(struct room *r, const struct message *m, int64_t now,
    const struct event_sink *sink)
{
	struct event_fields	 f = { .n = 0 };
	struct occupant		*o;
	struct participant	*p;
	const char		*ip = NULL;
	char			 hash[CLIENT_PSEUDONYM_LEN];

	switch (m->note) {
	case NOTE_LOBBY:
		lobby_note(M(r), m, now, sink);
		return;
	case NOTE_ENDED:
		/* The destroy presences follow: they end the session. */
		set_str(&M(r)->ended_by, m->note_nick);
		set_str(&M(r)->ended_by_jid, m->note_jid);
		log_info("room %s: ended for all by %s", M(r)->jid,
		    m->note_nick != NULL ? m->note_nick : "?");
		return;
	default:
		break;
	}
	if (m->note_nick == NULL || (o = occ_find(r, m->note_nick)) == NULL)
		return;
	if (m->note == NOTE_JOINED) {
		joined_at(r, o, m->note_at_ms);
		return;
	}
	if (m->note == NOTE_CLIENT) {
		if (m->note_ip != NULL && streq(r->ip_mode, "store"))
			ip = m->note_ip;
		else if (m->note_ip != NULL && !streq(r->ip_mode, "none"))
			ip = client_ip_pseudonym(r->ip_key, r->ip_key_len,
			    m->note_ip, hash, sizeof(hash));
		if (o->part != NULL)
			part_client(r, o->part, ip, m->note_ua, now, sink);
		else if (o->kind == OCC_PARTICIPANT) {
			/* Not attached yet (we are still joining). */
			set_str(&o->pending_ip, ip);
			set_str(&o->pending_ua, m->note_ua);
		}
		return;
	}
	if ((p = o->part) == NULL)
		return;
	ef_str(&f, "nick", o->nick);
	switch (m->note) {
	case NOTE_SPEAKER:
		part_speaker(r, m->note_silence ? NULL : p, now);
		ef_bool(&f, "silence", m->note_silence);
		emit(r, EVENT_DOMINANT_SPEAKER, p, now, &f, now, sink);
		return;
	case NOTE_INTERRUPTED:
		o->interrupted = 1;
		p->interruptions++;
		part_issue(r, p, "interrupted", now, now);
		emit(r, EVENT_CONNECTION_INTERRUPTED, p, now, &f, now, sink);
		return;
	case NOTE_RESTORED:
		o->interrupted = 0;
		ef_int(&f, "duration_ms", m->note_ms);
		p->dirty = 1;
		emit(r, EVENT_CONNECTION_RESTORED, p, now, &f, now, sink);
		return;
	default:
		return;
	}
}
