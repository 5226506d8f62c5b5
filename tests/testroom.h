/*
 * The options the room tests (test_room.c) and the benchmark (bench.c)
 * open a room with: the observer's nick, the hidden members' domain, a
 * leave grace and an IP key.  Included after "room.h".
 */
#ifndef TELETRACK_TESTROOM_H
#define TELETRACK_TESTROOM_H

#include <string.h>

static void
test_room_opts(struct room_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->self_nick = "teletrack";
	o->hidden_domain = "hidden.meet.jitsi";
	o->leave_grace_s = 10;
	o->ip_key = (const unsigned char *)"0123456789abcdef0123456789abcdef";
	o->ip_key_len = 32;
}

#endif
