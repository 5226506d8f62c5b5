/*
 * A session and a participant snapshot with defaults, as the derivation
 * would hand them to the sinks: for the storage tests (testevents.h)
 * and the benchmarks.  Included after "event.h".
 */
#ifndef TELETRACK_TESTRECS_H
#define TELETRACK_TESTRECS_H

#include <stdint.h>
#include <string.h>

static void
session_init(struct session_rec *s, const char *uid, int64_t start)
{
	memset(s, 0, sizeof(*s));
	s->uid = uid;
	s->room = "consult42";
	s->room_jid = "consult42@conference.example.org";
	s->meeting_id = "3f9a-meeting";
	s->start_ms = start;
	s->status = "active";
	s->recording_status = "not_recorded";
}

static void
participant_init(struct participant_rec *p, const char *key,
    const char *nick, int64_t joined)
{
	memset(p, 0, sizeof(*p));
	p->key = key;
	p->nick = nick;
	p->name = nick;
	p->role = "unknown";
	p->joined_ms = joined;
	p->present = 1;
	p->join_count = 1;
	p->connection_quality = "good";
}

#endif
