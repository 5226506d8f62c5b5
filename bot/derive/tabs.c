/*
 * Two occupants with one identity: a second tab, or a reconnect whose old
 * connection has not been dropped yet.
 *
 * lib-jitsi-meet keeps its stats-id per browser profile, so a second tab
 * joins with the identity of the first while the first is still in the
 * room.  So does a user whose tab crashed or whose network changed: the
 * dead occupant stays until Prosody drops its session (smacks
 * hibernation, 60 s in Jitsi's config) with 333 or "Disconnected: ...".
 * A reload is neither: the old occupant leaves before the new one joins,
 * an ordinary reconnect (session.c).
 *
 * At the join the two cannot be told apart.  The newcomer becomes a
 * participant of its own, a tab keyed "<key>#2" (#3 ...), and the old
 * participant's next step decides:
 *   - any presence from it: it is alive, a second tab; two participants;
 *   - it leaves cleanly, or is kicked: two participants;
 *   - it is dropped as a lost connection within TAB_MERGE_MS of the tab's
 *     join, having said nothing since: the same person reconnecting.  The
 *     tab is folded into it (a reconnect at the tab's join), and
 *     EVENT_PARTICIPANT_MERGE tells the sinks to fold the tab's rows too.
 * Whatever is still undecided when the session ends stays two.  With the
 * companion module the lost connection is known before the newcomer
 * joins (connection_interrupted): that join is a reconnect at once, no
 * tab (part_interrupted()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "room_int.h"
#include "xmalloc.h"

/*
 * A drop this long after the newcomer joined is not the connection it
 * replaced: hibernation (60 s) plus Prosody's own detection time.
 */
#define TAB_MERGE_MS	120000

#define TAB_MAX		99	/* "#2" .. "#99"; past that, #99 takes all */

/*
 * The participant a newcomer with of's identity attaches to while of is
 * present: a pending tab of of's that left (that tab reconnecting: still
 * undecided), else a new tab.  A settled tab is a person of its own and
 * is not reused: another crash of of's must still be folded into of.
 * Nor is the key of a tab folded into of: a key names one participant
 * for the whole session, and the sinks still hold rows and events of the
 * folded one under it (fuzz finding F7: the writer's batch took the new
 * tab's join for the folded tab's row, deleted with the merge).
 */
struct participant *
tab_get(struct room *room, struct participant *of, int64_t ts)
{
	struct room		*r = M(room);
	struct participant	*t = NULL;
	char			*key = NULL;
	int			 n;

	for (n = 2; n <= TAB_MAX; n++) {
		free(key);
		xasprintf(&key, "%s#%d", of->key, n);
		/* Gone below of's highest: folded into of (#99 takes all). */
		if ((t = part_find(r, key)) == NULL && n <= of->tab_last &&
		    n < TAB_MAX)
			continue;
		if (t == NULL)
			break;
		if (!PRESENT(t) && t->tab_of == of)
			break;
	}
	if (t != NULL) {
		free(key);
		return t;
	}
	t = part_new(r, key, ts);
	free(key);
	if (n > of->tab_last)
		of->tab_last = n;
	t->tab_of = of;
	t->tab_since = ts;
	t->peak_before = r->sess.rec.peak_participants;
	of->ntabs++;
	return t;
}

/* of is alive (or left on its own): its pending tabs are people too. */
void
tab_settle(struct room *room, struct participant *of)
{
	struct room		*r = M(room);
	struct participant	*t;

	if (of->ntabs == 0)
		return;
	TAILQ_FOREACH(t, &r->parts, entry)
		if (t->tab_of == of)
			t->tab_of = NULL;
	of->ntabs = 0;
}

/* Occupants of t (in any room of the meeting) become into's. */
static void
repoint(struct room *r, struct participant *t, struct participant *into)
{
	struct occupant	*o;
	size_t		 i;

	TAILQ_FOREACH(o, &r->occupants, entry)
		if (o->part == t)
			o->part = into;
	for (i = 0; i < r->nbreakouts; i++)
		TAILQ_FOREACH(o, &r->breakouts[i]->occupants, entry)
			if (o->part == t)
				o->part = into;
	if (r->speaker == t)
		r->speaker = into;
}

static void
take_str(char **dst, char **src)
{
	if (*src == NULL)
		return;
	free(*dst);
	*dst = *src;
	*src = NULL;
}

/* t's figures and facts, added to into's. */
static void
fold(struct room *r, struct participant *t, struct participant *into,
    int64_t now)
{
	struct participant_rec	*a = &into->rec;
	const struct participant_rec *b = &t->rec;
	int64_t			 shift = (b->joined_ms - a->joined_ms) / 1000;
	size_t			 i;

	a->join_count += b->join_count;
	a->disconnection_count += b->disconnection_count;
	a->messages_sent += b->messages_sent;
	a->reactions_sent += b->reactions_sent;
	a->camera_enabled |= b->camera_enabled;
	a->microphone_enabled |= b->microphone_enabled;
	a->screen_shared |= b->screen_shared;
	a->is_moderator |= b->is_moderator;
	a->spoke_known |= b->spoke_known;
	if (!a->lobby_known && b->lobby_known) {
		a->lobby_known = 1;
		a->lobby_wait_s = b->lobby_wait_s;
	}
	into->interruptions += t->interruptions;
	into->spoke_ms += t->spoke_ms;
	if (t->speak_since > 0 && into->speak_since == 0)
		into->speak_since = t->speak_since;
	/* The newer connection says who and what the person is now. */
	take_str(&into->nick, &t->nick);
	take_str(&into->name, &t->name);
	take_str(&into->jid, &t->jid);
	take_str(&into->ip, &t->ip);
	take_str(&into->ua, &t->ua);
	if (t->ua != NULL || t->browser != NULL) {
		into->browser = t->browser;
		into->os = t->os;
		into->device = t->device;
	}
	if (into->pid == NULL)
		take_str(&into->pid, &t->pid);
	if (into->prole == NULL)
		take_str(&into->prole, &t->prole);
	part_issue(r, into, "reconnect", b->joined_ms, now);
	into->issues = xreallocarray(into->issues,
	    into->nissues + t->nissues, sizeof(*into->issues));
	for (i = 0; i < t->nissues; i++) {
		into->issues[into->nissues] = t->issues[i];
		into->issues[into->nissues].at_s += shift > 0 ? shift : 0;
		into->nissues++;
	}
	into->dirty = 1;
}

/*
 * of was dropped as a lost connection: its newest pending tab, if it
 * joined recently enough, was of reconnecting.  Fold it into of, before
 * of's occupant goes (part_detach()), so of stays present through its
 * tab's occupants.  Other pending tabs are settled as people.
 */
void
tab_merge_into(struct room *room, struct participant *of, int64_t now,
    const struct event_sink *sink)
{
	struct room		*r = M(room);
	struct participant	*t, *pick = NULL;
	struct session		*s = &r->sess;
	struct event_fields	 f = { .n = 0 };
	char			*prev_nick;
	int			 lowered;

	TAILQ_FOREACH(t, &r->parts, entry)
		if (t->tab_of == of && now - t->tab_since <= TAB_MERGE_MS &&
		    (pick == NULL || t->tab_since > pick->tab_since))
			pick = t;
	tab_settle(r, of);
	if (pick == NULL)
		return;
	t = pick;
	prev_nick = xstrdup_null(of->nick);

	/* The tab was counted as a participant of its own. */
	repoint(r, t, of);
	of->noccupants += t->noccupants;
	if (PRESENT(t))
		present_changed(r, -1, now);
	s->rec.participant_count--;
	/* A peak reached while the tab was counted was one too high. */
	if ((lowered = s->rec.peak_participants > t->peak_before))
		s->rec.peak_participants--;
	if (t->quality != Q_NONE)
		s->nquality[t->quality]--;
	fold(r, t, of, now);

	/* The sinks fold the tab's rows, then the reconnect is stated. */
	emit_merge(r, of, t->key, lowered, now, sink);
	ef_str(&f, "nick", of->nick);
	ef_str(&f, "name", of->name != NULL ? of->name : of->nick);
	ef_str(&f, "role", of->prole != NULL ? of->prole : "unknown");
	ef_str(&f, "previous_nick", prev_nick);
	ef_int(&f, "join_count", of->rec.join_count);
	emit(r, EVENT_RECONNECT, of, t->rec.joined_ms, &f, now, sink);
	free(prev_nick);

	part_remove(r, t);
}
