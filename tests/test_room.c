/*
 * Unit tests of room.c: sequences of presences and messages go through a
 * capture sink, and the resulting events and rollups are compared with
 * what the rules say.  Presences are built field by field here so each
 * case states exactly what arrived; test_presence.c covers the parsing of
 * real stanza fixtures into the same struct.
 *
 * Over 800 lines: one cmocka binary per module under test (the room
 * derivation); the room options it shares with bench.c are in testroom.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "event.h"
#include "fixture.h"
#include "message.h"
#include "presence.h"
#include "room.h"
#include "testroom.h"

#define ROOM	"standup@conference.meet.jitsi"
#define T0	1767258000000LL		/* 2026-01-01T09:00:00Z */

struct captured {
	enum event_type	 type;
	int64_t		 ts;
	char		*key;		/* participant key or NULL */
	char		*data;
	struct participant_rec p;	/* shallow numbers only */
	char		*pquality;
	char		*pleft;
	char		*pissues;
	char		*pname;
	char		*prole;
	struct session_rec s;		/* numbers only */
	char		*sstatus;
	char		*srecording;
	char		*suid;
};

static xmpp_ctx_t	*ctx;
static struct captured	ev[512];
static int		nev;

static void
capture(const struct event *e, void *arg)
{
	struct captured	*c;

	(void)arg;
	assert_true(nev < (int)(sizeof(ev) / sizeof(ev[0])));
	c = &ev[nev++];
	memset(c, 0, sizeof(*c));
	c->type = e->type;
	c->ts = e->ts_ms;
	c->data = event_json(e);
	if (e->participant != NULL) {
		c->key = strdup(e->participant->key);
		c->p = *e->participant;
		c->pquality = e->participant->connection_quality != NULL ?
		    strdup(e->participant->connection_quality) : NULL;
		c->pleft = e->participant->left_reason != NULL ?
		    strdup(e->participant->left_reason) : NULL;
		c->pissues = event_issues_json(e->participant->issues,
		    e->participant->nissues);
		c->pname = strdup(e->participant->name);
		c->prole = strdup(e->participant->role);
	}
	c->s = *e->session;
	c->sstatus = e->session->status != NULL ? strdup(e->session->status) :
	    NULL;
	c->srecording = strdup(e->session->recording_status);
	c->suid = strdup(e->session->uid);
}

static const struct event_sink sink = { capture, NULL };

static void
reset_capture(void)
{
	int	 i;

	for (i = 0; i < nev; i++) {
		free(ev[i].key);
		free(ev[i].data);
		free(ev[i].pquality);
		free(ev[i].pleft);
		free(ev[i].pissues);
		free(ev[i].pname);
		free(ev[i].prole);
		free(ev[i].sstatus);
		free(ev[i].srecording);
		free(ev[i].suid);
	}
	nev = 0;
}

static int
count(enum event_type t)
{
	int	 i, n = 0;

	for (i = 0; i < nev; i++)
		if (ev[i].type == t)
			n++;
	return n;
}

/* The last event of type t (for participant key, when not NULL). */
static struct captured *
last(enum event_type t, const char *key)
{
	int	 i;

	for (i = nev - 1; i >= 0; i--)
		if (ev[i].type == t && (key == NULL ||
		    (ev[i].key != NULL && strcmp(ev[i].key, key) == 0)))
			return &ev[i];
	return NULL;
}

/* Count the non-rollup events, in order, as a comma list of names. */
static void
names(char *buf, size_t sz)
{
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < nev; i++) {
		if (ev[i].type == EVENT_ROLLUP)
			continue;
		if (buf[0] != '\0')
			strncat(buf, ",", sz - strlen(buf) - 1);
		strncat(buf, event_type_name(ev[i].type), sz - strlen(buf) - 1);
	}
}

/* c's participant's microphone, camera and screen share as stated. */
static void
media_is(const struct captured *c, int mic, int camera, int share)
{
	assert_int_equal(c->p.microphone_enabled, mic);
	assert_int_equal(c->p.camera_enabled, camera);
	assert_int_equal(c->p.screen_shared, share);
}

/* --- presence builders ------------------------------------------------ */

static struct presence
pres(char *nick)
{
	struct presence	 p;

	memset(&p, 0, sizeof(p));
	p.kind = PRESENCE_AVAILABLE;
	p.room = (char *)ROOM;
	p.nick = nick;
	p.role = (char *)"participant";
	p.affiliation = (char *)"none";
	p.hand_raised = -1;
	p.transcription = -1;
	return p;
}

static struct presence
person(char *nick, char *stats)
{
	struct presence	 p = pres(nick);
	static char	 jid[8][128];
	static int	 n;

	snprintf(jid[n % 8], sizeof(jid[0]), "%s@meet.jitsi/res", nick);
	p.jid = jid[n++ % 8];
	p.stats_id = stats;
	/* Legacy-complete media: everything known and off. */
	p.media.audio = 0;
	p.media.camera = 0;
	p.media.share = 0;
	return p;
}

/* person() before its client announced any media (lib-jitsi-meet's join). */
static struct presence
newcomer(char *nick, char *stats)
{
	struct presence	 p = person(nick, stats);

	p.media.audio = p.media.camera = p.media.share = MEDIA_UNKNOWN;
	return p;
}

static struct presence
gone(char *nick)
{
	struct presence	 p = pres(nick);

	p.kind = PRESENCE_UNAVAILABLE;
	p.role = (char *)"none";
	return p;
}

/* gone(), with the status text in which Prosody says why. */
static struct presence
gone_text(char *nick, char *text)
{
	struct presence	 p = gone(nick);

	p.status_text = text;
	return p;
}

/* gone(), with status code 333: the server dropped nick's connection. */
static struct presence
dropped(char *nick)
{
	struct presence	 p = gone(nick);

	p.codes[0] = 333;
	p.ncodes = 1;
	return p;
}

static struct presence
focus(void)
{
	struct presence	 p = pres("focus");

	p.jid = (char *)"focus@auth.meet.jitsi/focus1";
	p.role = (char *)"moderator";
	p.affiliation = (char *)"owner";
	return p;
}

static struct presence
self(void)
{
	struct presence	 p = pres("teletrack");

	p.jid = (char *)"teletrack@hidden.meet.jitsi/x";
	p.codes[0] = 110;
	p.codes[1] = 100;
	p.ncodes = 2;
	return p;
}

/* Our self-presence going unavailable: removed with status code code. */
static struct presence
self_removed(int code)
{
	struct presence	 p = self();

	p.kind = PRESENCE_UNAVAILABLE;
	p.codes[0] = code;
	p.codes[1] = 110;
	return p;
}

/* Our self-presence going unavailable: the room destroyed (why, or NULL). */
static struct presence
destroyed(char *reason)
{
	struct presence	 p = self();

	p.kind = PRESENCE_UNAVAILABLE;
	p.destroyed = 1;
	p.destroy_reason = reason;
	return p;
}

/* --- message builders ------------------------------------------------- */

/* A groupchat message from nick. */
static struct message
chat(char *nick)
{
	struct message	 m;

	memset(&m, 0, sizeof(m));
	m.kind = MESSAGE_CHAT;
	m.groupchat = 1;
	m.room = (char *)ROOM;
	m.nick = nick;
	return m;
}

/* The companion module's note of kind (and event) about nick. */
static struct message
note(enum module_note kind, int event, char *nick)
{
	struct message	 m;

	memset(&m, 0, sizeof(m));
	m.kind = MESSAGE_MODULE;
	m.note = kind;
	m.note_event = event;
	m.note_room = (char *)ROOM;
	m.note_nick = nick;
	return m;
}

/* --- rooms -------------------------------------------------------------- */

static struct room *
mkroom(void)
{
	struct room_opts	 o;

	test_room_opts(&o);
	o.quality_fair_per_hour = 2;
	o.quality_poor_per_hour = 6;
	reset_capture();
	return room_new(ROOM, &o);
}

static int
apply(struct room *r, struct presence p, int64_t t)
{
	return room_apply(r, &p, t, &sink);
}

/*
 * Our join of r as Prosody answers it: the join sent at t, focus's
 * presence at t + dt, then a person for each nick and stats id pair (a
 * NULL nick ends them) and our self-presence, each 1 ms after the one
 * before.  Returns what our self-presence asks for.
 */
static int
enter(struct room *r, int64_t t, int64_t dt, ...)
{
	va_list	 ap;
	char	*nick, *stats;
	int64_t	 at = t + dt;

	room_join_sent(r, t);
	apply(r, focus(), at);
	va_start(ap, dt);
	while ((nick = va_arg(ap, char *)) != NULL) {
		stats = va_arg(ap, char *);
		apply(r, person(nick, stats), ++at);
	}
	va_end(ap);
	return apply(r, self(), ++at);
}

/* Join with focus, alice (A) and bob (B) already in the room. */
static struct room *
joined_room(void)
{
	struct room	*r = mkroom();

	room_join_sent(r, T0);
	assert_int_equal(apply(r, focus(), T0 + 10), 0);
	assert_int_equal(apply(r, person("alice", "A"), T0 + 11), 0);
	assert_int_equal(apply(r, person("bob", "B"), T0 + 12), 0);
	assert_int_equal(nev, 0);	/* nothing before our self-presence */
	assert_int_equal(apply(r, self(), T0 + 13), ROOM_ACT_QUERY_INFO);
	/* Live from the self-presence on: the meeting id comes later. */
	assert_int_equal(room_state(r), ROOM_JOINED);
	assert_int_equal(count(EVENT_JOIN), 2);
	room_meeting_info(r, "m-1", T0 + 20, &sink);
	assert_int_equal(room_state(r), ROOM_JOINED);
	return r;
}

/*
 * cmocka fixtures: *state is the room of a test, as joined_room() leaves
 * it (with or without the events so far) or new (mkroom()); the teardown
 * frees it and the captured events.
 */
static int
joined_setup(void **state)
{
	*state = joined_room();
	return 0;
}

/* joined_setup() with the events of the join forgotten. */
static int
quiet_setup(void **state)
{
	*state = joined_room();
	reset_capture();
	return 0;
}

static int
new_setup(void **state)
{
	*state = mkroom();
	return 0;
}

static int
room_teardown(void **state)
{
	room_free(*state);
	reset_capture();
	return 0;
}

/* --- tests ------------------------------------------------------------- */

static void
test_join_opens_session(void **state)
{
	struct room	*r = *state;
	char		 buf[512];
	struct captured	*c;

	names(buf, sizeof(buf));
	/* joins are emitted in arrival order */
	assert_string_equal(buf,
	    "session_start,observer_join,join,join,meeting_info");
	c = last(EVENT_JOIN, "sid:A");
	assert_non_null(c);
	assert_int_equal(c->ts, T0 + 11);
	assert_non_null(strstr(c->data, "\"already_present\":true"));
	assert_int_equal(c->s.peak_participants, 1);
	assert_int_equal(last(EVENT_JOIN, NULL)->s.peak_participants, 2);
	assert_string_equal(c->sstatus, "active");
	assert_string_equal(c->suid, ROOM "/1767258000011");
	assert_int_equal(room_participants_present(r), 2);
}

/*
 * A busy server echoes our leave after we started joining again: that is
 * not a removal (no rejoin, no gap).
 */
static void
test_late_echo_of_our_leave(void **state)
{
	struct room	*r = *state;
	struct presence	 p = self();

	room_left(r, T0 + 60000, "no_participants", &sink);
	room_join_sent(r, T0 + 61000);
	p.kind = PRESENCE_UNAVAILABLE;
	p.role = (char *)"none";
	reset_capture();
	assert_int_equal(apply(r, p, T0 + 64000), 0);
	assert_int_equal(room_state(r), ROOM_JOINING);
	assert_int_equal(apply(r, self(), T0 + 64100), ROOM_ACT_QUERY_INFO);
	assert_int_equal(room_state(r), ROOM_JOINED);
	assert_int_equal(count(EVENT_OBSERVER_GAP), 0);
}

static void
test_not_allowed_retries(void **state)
{
	struct room	*r = *state;
	struct presence	 p = pres("teletrack");

	room_join_sent(r, T0);
	p.kind = PRESENCE_ERROR;
	p.error_condition = (char *)"not-allowed";
	assert_int_equal(room_apply(r, &p, T0 + 5, &sink), ROOM_ACT_RETRY);
	assert_int_equal(room_state(r), ROOM_IDLE);
	assert_int_equal(nev, 0);
	assert_null(room_session(r));
}

static void
test_media_transitions(void **state)
{
	struct room	*r = *state;
	struct presence	 a = person("alice", "A");

	/* Same state again: nothing. */
	apply(r, a, T0 + 1000);
	assert_int_equal(nev, 0);
	a.media.audio = 1;
	apply(r, a, T0 + 2000);
	a.media.camera = 1;
	apply(r, a, T0 + 3000);
	a.media.share = 1;
	apply(r, a, T0 + 4000);
	a.media.share = 0;
	apply(r, a, T0 + 5000);
	a.media.audio = 0;
	a.media.camera = 0;
	apply(r, a, T0 + 6000);
	assert_int_equal(count(EVENT_AUDIO_UNMUTE), 1);
	assert_int_equal(count(EVENT_AUDIO_MUTE), 1);
	assert_int_equal(count(EVENT_VIDEO_UNMUTE), 1);
	assert_int_equal(count(EVENT_VIDEO_MUTE), 1);
	assert_int_equal(count(EVENT_SCREENSHARE_START), 1);
	assert_int_equal(count(EVENT_SCREENSHARE_STOP), 1);
	media_is(last(EVENT_AUDIO_MUTE, "sid:A"), 1, 1, 1);
	/* A presence without media info does not read as "muted". */
	a.media.audio = a.media.camera = a.media.share = MEDIA_UNKNOWN;
	reset_capture();
	apply(r, a, T0 + 7000);
	assert_int_equal(nev, 0);
}

/* Apply the presence of a real-client fixture (tests/fixtures/<name>). */
static int
apply_fx(struct room *r, const char *name, int64_t t)
{
	xmpp_stanza_t	*st = fixture_load(ctx, name);
	struct presence	 p;
	int		 rc;

	assert_non_null(st);
	assert_int_equal(presence_parse(st, NULL, &p, NULL), 0);
	xmpp_stanza_release(st);
	rc = room_apply(r, &p, t, &sink);
	presence_clear(&p);
	return rc;
}

/* The participant's figures as the next rollup states them. */
static struct captured *
rolled(struct room *r, const char *key, int64_t t)
{
	room_tick(r, t, &sink);
	return last(EVENT_ROLLUP, key);
}

/*
 * lib-jitsi-meet announces its sources only once its media session
 * starts: SourceInfo {} at the join, the real state ~0.5 s later.  Neither
 * is the user's action.
 */
static void
test_ljm_followup_is_state(void **state)
{
	struct room	*r = *state;
	struct presence	 f;
	struct captured	*c;
	char		 buf[512];
	const int64_t	 t = T0 + 60000;

	apply_fx(r, "ljm/join.xml", t);
	apply_fx(r, "ljm/followup.xml", t + 433);
	names(buf, sizeof(buf));
	assert_string_equal(buf, "join");
	c = rolled(r, "sid:Korey-SDE", t + 1000);
	assert_non_null(c);
	assert_int_equal(c->p.microphone_enabled, 1);
	assert_int_equal(c->p.camera_enabled, 1);
	/* From then on a change is a change, whatever moves where. */
	reset_capture();
	apply_fx(r, "ljm/name-later.xml", t + 5000);
	c = rolled(r, "sid:Korey-SDE", t + 6000);
	assert_string_equal(c->pname, "Bob");
	apply_fx(r, "ljm/audio-mute.xml", t + 20000);
	apply_fx(r, "ljm/audio-unmute.xml", t + 21000);
	apply_fx(r, "ljm/video-mute.xml", t + 22000);
	apply_fx(r, "ljm/video-unmute.xml", t + 23000);
	apply_fx(r, "ljm/share-start.xml", t + 24000);
	apply_fx(r, "ljm/share-stop.xml", t + 25000);
	names(buf, sizeof(buf));
	/* The first name given is not a rename. */
	assert_string_equal(buf, "audio_mute,audio_unmute,video_mute,"
	    "video_unmute,screenshare_start,screenshare_stop");

	/*
	 * A follow-up names microphone and camera together: state, however
	 * late it comes (a loaded server, a session started by a leave).
	 */
	reset_capture();
	f = newcomer("f00d0001", "F");
	apply(r, f, t + 26000);
	f.media.audio = 1;
	f.media.camera = 1;
	apply(r, f, t + 26000 + 8000);
	assert_int_equal(count(EVENT_AUDIO_UNMUTE) + count(EVENT_VIDEO_UNMUTE),
	    0);

	/* Joined muted without a camera: state, and no camera at all. */
	reset_capture();
	apply_fx(r, "ljm/muted-join.xml", t + 30000);
	apply_fx(r, "ljm/muted-followup.xml", t + 30652);
	names(buf, sizeof(buf));
	assert_string_equal(buf, "join");
	c = rolled(r, "sid:Jaime-ck9", t + 31000);
	assert_int_equal(c->p.microphone_enabled, 0);
	assert_int_equal(c->p.camera_enabled, 0);
}

/*
 * Without a media session a client announces a source the first time it
 * changes: long after any join, that first announcement is the change,
 * and a source announced muted was on until then.
 */
static void
test_ljm_first_announcement_is_a_change(void **state)
{
	struct room	*r = *state;
	struct captured	*c;
	char		 buf[512];
	const int64_t	 t = T0 + 60000;

	apply(r, newcomer("3d0ab6a7", "Kiera-05Z"), t);
	apply_fx(r, "ljm/first-announce-video-mute.xml", t + 45000);
	names(buf, sizeof(buf));
	assert_string_equal(buf, "join,video_mute");
	c = last(EVENT_VIDEO_MUTE, "sid:Kiera-05Z");
	assert_int_equal(c->ts, t + 45000);
	assert_int_equal(c->p.camera_enabled, 1);	/* on until then */
	assert_int_equal(c->p.microphone_enabled, 0);	/* never said */
}

/*
 * The same presence within the window of someone else's join reads as a
 * follow-up (the known residual error of the rule).
 */
static void
test_ljm_first_announcement_near_a_join(void **state)
{
	struct room	*r = *state;
	struct presence	 d = newcomer("3d0ab6a7", "Kiera-05Z");
	const int64_t	 t = T0 + 60000;

	apply(r, d, t);
	apply(r, person("erin", "E"), t + 40000);
	apply_fx(r, "ljm/first-announce-video-mute.xml", t + 42000);
	assert_int_equal(count(EVENT_VIDEO_MUTE), 0);
	/* ... and after that window it is a change again. */
	d.media.audio = 1;
	apply(r, d, t + 60000);
	assert_int_equal(count(EVENT_AUDIO_UNMUTE), 1);
}

/*
 * A person's new connection (a reload, a move between rooms) announces
 * its sources afresh: compared with what the person's last connection
 * said, within the follow-up window too.
 */
static void
test_first_announcement_after_reconnect(void **state)
{
	struct room	*r = *state;
	struct presence	 b = newcomer("bob2", "B");
	const int64_t	 t = T0 + 60000;

	apply(r, gone("bob"), t);		/* bob (muted) reloads */
	apply(r, b, t + 900);
	b.media.audio = 0;			/* still muted: nothing */
	b.media.camera = 0;
	apply(r, b, t + 1400);
	assert_int_equal(count(EVENT_AUDIO_MUTE) + count(EVENT_AUDIO_UNMUTE),
	    0);
	apply(r, gone("bob2"), t + 2000);	/* again; back unmuted */
	b = newcomer("bob3", "B");
	apply(r, b, t + 3000);
	b.media.audio = 1;
	apply(r, b, t + 3500);
	assert_int_equal(count(EVENT_AUDIO_UNMUTE), 1);
	assert_int_equal(count(EVENT_VIDEO_UNMUTE), 0);
}

/*
 * Alone in the room a client has no media session to announce: its first
 * announcement, however soon after its join, is its change (a patient
 * muting while waiting).  With company the same presence is a follow-up.
 */
static void
test_alone_has_no_followup(void **state)
{
	struct room	*r = *state;
	struct presence	 p = newcomer("pat01", "P");
	struct captured	*c;

	room_join_sent(r, T0);
	apply(r, focus(), T0 + 10);
	apply(r, self(), T0 + 20);
	apply(r, p, T0 + 1000);
	p.media.audio = 0;
	apply(r, p, T0 + 2500);
	c = last(EVENT_AUDIO_MUTE, "sid:P");
	assert_non_null(c);
	assert_int_equal(c->p.microphone_enabled, 1);	/* on until then */
	/* The caregiver arrives: the patient's camera follow-up is state. */
	apply(r, person("cg01", "C"), T0 + 60000);
	p.media.camera = 1;
	apply(r, p, T0 + 60800);
	assert_int_equal(count(EVENT_VIDEO_UNMUTE), 0);
}

/* A share's first announcement is the user starting it. */
static void
test_ljm_share_first_seen(void **state)
{
	struct room	*r = *state;
	const int64_t	 t = T0 + 60000;

	apply(r, newcomer("cfd7c68d", "Korey-SDE"), t);
	apply_fx(r, "ljm/share-start.xml", t + 2000);
	assert_int_equal(count(EVENT_SCREENSHARE_START), 1);
	assert_int_equal(count(EVENT_AUDIO_UNMUTE), 0);	/* follow-up */
	assert_int_equal(count(EVENT_VIDEO_UNMUTE), 0);
}

static void
test_initial_state_is_not_an_event(void **state)
{
	struct room	*r = *state;
	struct presence	 c = person("carol", "C");
	struct captured	*e;

	c.media.audio = 1;
	c.media.camera = 1;
	c.hand_raised = 1;
	apply(r, c, T0 + 1000);
	assert_int_equal(count(EVENT_JOIN), 1);
	assert_int_equal(count(EVENT_AUDIO_UNMUTE), 0);
	assert_int_equal(count(EVENT_VIDEO_UNMUTE), 0);
	assert_int_equal(count(EVENT_HAND_RAISE), 0);
	e = last(EVENT_JOIN, "sid:C");
	media_is(e, 1, 1, 0);
	assert_null(strstr(e->data, "already_present"));
}

/*
 * quiet_setup(), then bob2 joins at T0 + 30000 with bob's identity (stats
 * id B) while bob is still in: a provisional participant, sid:B#2.
 */
static int
bob2_setup(void **state)
{
	quiet_setup(state);
	apply(*state, person("bob2", "B"), T0 + 30000);
	return 0;
}

/*
 * bob's connection dies and he comes back under a new nick while the dead
 * occupant is still in the room: a provisional participant (a tab) until
 * Prosody drops the old one as a lost connection, then one participant
 * with a reconnect at the new join.
 */
static void
test_reconnect_before_delayed_leave(void **state)
{
	struct room	*r = *state;
	struct presence	 p;
	struct captured	*c;
	char		 buf[512];

	c = last(EVENT_JOIN, "sid:B#2");
	assert_non_null(c);
	assert_int_equal(c->s.participant_count, 3);
	assert_int_equal(room_participants_present(r), 3);
	/* bob2's follow-up is its own presence: nothing decided by it */
	p = person("bob2", "B");
	p.media.audio = 1;
	apply(r, p, T0 + 30500);
	/* 60 s later Prosody gives up on the old session */
	reset_capture();
	apply(r, gone_text("bob", "Disconnected: Hibernating too long"),
	    T0 + 90000);
	names(buf, sizeof(buf));
	assert_string_equal(buf, "participant_merge,reconnect,disconnect");
	c = last(EVENT_PARTICIPANT_MERGE, "sid:B");
	assert_non_null(strstr(c->data, "\"from\":\"sid:B#2\""));
	c = last(EVENT_RECONNECT, "sid:B");
	assert_int_equal(c->ts, T0 + 30000);
	assert_int_equal(c->p.join_count, 2);
	assert_non_null(strstr(c->data, "\"previous_nick\":\"bob\""));
	c = last(EVENT_DISCONNECT, "sid:B");
	assert_non_null(c);
	assert_int_equal(c->p.disconnection_count, 1);
	assert_int_equal(c->p.present, 1);	/* bob2 is still here */
	assert_int_equal(c->p.microphone_enabled, 1);	/* bob2's */
	assert_int_equal(c->s.total_disconnections, 1);
	assert_int_equal(c->s.participant_count, 2);	/* no duplicate */
	assert_int_equal(c->s.peak_participants, 2);
	assert_int_equal(room_participants_present(r), 2);
	/* bob2 leaves cleanly at +120 s: present from +12 ms to +120 s */
	apply(r, gone("bob2"), T0 + 120000);
	c = last(EVENT_LEAVE, "sid:B");
	assert_int_equal(c->p.present, 0);
	assert_int_equal(c->p.duration_s, (120000 - 12) / 1000);
	assert_string_equal(c->pleft, "leave");
	assert_string_equal(c->pissues,
	    "[\"reconnect-at-29s\",\"disconnect-at-89s\"]");
}

/*
 * A tab folded into bob, then another newcomer with bob's identity while
 * bob2 is in: a new tab, under a key of its own.  The folded tab's key
 * still names the folded one in the sinks (fuzz finding F7: the new tab
 * got sid:B#2 again, and the writer stored its join under the deleted
 * row).
 */
static void
test_tab_key_not_reused(void **state)
{
	struct room	*r = *state;
	struct captured	*c;

	assert_non_null(last(EVENT_JOIN, "sid:B#2"));
	apply(r, gone_text("bob", "Disconnected: Hibernating too long"),
	    T0 + 90000);
	assert_non_null(last(EVENT_PARTICIPANT_MERGE, "sid:B"));
	reset_capture();
	apply(r, person("bob", "B"), T0 + 90005);
	assert_null(last(EVENT_JOIN, "sid:B#2"));
	c = last(EVENT_JOIN, "sid:B#3");
	assert_non_null(c);
	assert_int_equal(c->s.participant_count, 3);	/* A, B, B#3 */
	/* bob dropped again: the new tab is folded into B as well */
	apply(r, gone_text("bob2", "Disconnected: Hibernating too long"),
	    T0 + 100000);
	c = last(EVENT_PARTICIPANT_MERGE, "sid:B");
	assert_non_null(c);
	assert_non_null(strstr(c->data, "\"from\":\"sid:B#3\""));
	assert_int_equal(c->s.participant_count, 2);
}

/* person(), with a raised hand: a sign that this tab is alive. */
static struct presence
raised(char *nick, char *stats)
{
	struct presence	 p = person(nick, stats);

	p.hand_raised = 1;
	return p;
}

/*
 * A second tab (bob2_setup()): same identity, both alive.  Whatever the
 * first tab says settles it, and later drops change nothing.
 */
static void
test_second_tab_first_alive(void **state)
{
	struct room	*r = *state;
	struct captured	*c;

	/* the first tab is alive */
	apply(r, raised("bob", "B"), T0 + 40000);
	assert_non_null(last(EVENT_HAND_RAISE, "sid:B"));
	apply(r, dropped("bob"), T0 + 50000);
	assert_int_equal(count(EVENT_PARTICIPANT_MERGE), 0);
	assert_int_equal(count(EVENT_RECONNECT), 0);
	c = last(EVENT_DISCONNECT, "sid:B");
	assert_int_equal(c->p.present, 0);
	assert_int_equal(c->s.participant_count, 3);
	assert_int_equal(room_participants_present(r), 2);
}

/* The first tab closed cleanly: two people as well. */
static void
test_second_tab_first_closed(void **state)
{
	struct room	*r = *state;
	struct captured	*c;

	apply(r, gone("bob"), T0 + 31000);
	assert_int_equal(count(EVENT_PARTICIPANT_MERGE), 0);
	assert_non_null(last(EVENT_LEAVE, "sid:B"));
	assert_int_equal(room_participants_present(r), 2);
	/* ... and the tab reconnecting is the tab's own reconnect */
	apply(r, gone("bob2"), T0 + 32000);
	apply(r, person("bob3", "B"), T0 + 33000);
	c = last(EVENT_RECONNECT, NULL);
	assert_non_null(c);
	assert_string_equal(c->key, "sid:B");	/* B left: B is back */
}

/*
 * A settled tab that left is a person of its own: bob crashing later
 * and coming back is still folded into bob, not into that tab.
 */
static void
test_second_tab_settled_then_crash(void **state)
{
	struct room	*r = *state;
	struct captured	*c;

	/* bob alive: two people */
	apply(r, raised("bob", "B"), T0 + 31000);
	apply(r, gone("bob2"), T0 + 32000);	/* the tab closes */
	apply(r, person("bob3", "B"), T0 + 40000);	/* bob crashed */
	assert_non_null(last(EVENT_JOIN, "sid:B#3"));
	apply(r, dropped("bob"), T0 + 100000);
	c = last(EVENT_PARTICIPANT_MERGE, "sid:B");
	assert_non_null(c);
	assert_non_null(strstr(c->data, "\"from\":\"sid:B#3\""));
	assert_int_equal(c->p.join_count, 2);
	assert_int_equal(c->s.participant_count, 3);	/* A, B, B#2 */
}

/* A drop long after the newcomer joined was not its connection. */
static void
test_second_tab_late_drop(void **state)
{
	struct room	*r = *state;

	apply(r, dropped("bob"), T0 + 30000 + 121000);
	assert_int_equal(count(EVENT_PARTICIPANT_MERGE), 0);
	assert_int_equal(room_participants_present(r), 2);
}

/*
 * The companion module saw bob's connection drop before bob2 joined:
 * that join is bob's reconnect at once, no provisional participant.
 */
static void
test_interrupted_then_rejoin(void **state)
{
	struct room	*r = *state;
	struct message	 m = note(NOTE_INTERRUPTED, 0, "bob");
	struct captured	*c;

	room_module_note(r, &m, T0 + 20000, &sink);
	assert_non_null(last(EVENT_CONNECTION_INTERRUPTED, "sid:B"));
	apply(r, person("bob2", "B"), T0 + 21000);
	c = last(EVENT_RECONNECT, "sid:B");
	assert_non_null(c);
	assert_int_equal(c->p.join_count, 2);
	assert_int_equal(count(EVENT_JOIN), 0);
	assert_int_equal(c->s.participant_count, 2);
}

static void
test_rejoin_after_leave_counts_time_present(void **state)
{
	struct room	*r = *state;
	struct presence	 p;
	struct captured	*c;

	p = gone_text("alice", "Disconnected: unexpected eof while reading");
	apply(r, p, T0 + 60011);		/* present 60 s */
	apply(r, person("alice-2", "A"), T0 + 120011);	/* away 60 s */
	apply(r, gone("alice-2"), T0 + 150011);	/* present 30 s */
	c = last(EVENT_LEAVE, "sid:A");
	assert_int_equal(c->p.duration_s, 90);
	assert_int_equal(c->p.join_count, 2);
	assert_int_equal(c->p.disconnection_count, 1);
	assert_int_equal(count(EVENT_RECONNECT), 1);
}

static void
test_kicks_and_333(void **state)
{
	struct room	*r = *state;
	struct presence	 p;
	struct captured	*c;

	p = gone("bob");
	p.codes[0] = 307;
	p.ncodes = 1;
	p.actor_nick = (char *)"alice";
	p.reason = (char *)"Please rejoin with audio";
	apply(r, p, T0 + 1000);
	c = last(EVENT_KICKED, "sid:B");
	assert_non_null(c);
	assert_non_null(strstr(c->data, "\"actor\":\"alice\""));
	assert_string_equal(c->pleft, "kicked");

	p = dropped("alice");
	p.status_text = (char *)"Kicked: recipient unavailable";
	apply(r, p, T0 + 2000);
	c = last(EVENT_DISCONNECT, "sid:A");
	assert_non_null(c);
	assert_int_equal(c->p.disconnection_count, 1);
	assert_string_equal(c->pleft, "disconnect");
}

static void
test_device_switch(void **state)
{
	struct room	*r = *state;
	struct presence	 p;

	p = person("bobphone", "B");
	p.flip_device = 1;
	apply(r, p, T0 + 1000);
	p = gone("bob");
	p.codes[0] = 307;
	p.ncodes = 1;
	p.flip_device = 1;
	apply(r, p, T0 + 1001);
	assert_int_equal(count(EVENT_DEVICE_SWITCH), 1);
	assert_int_equal(count(EVENT_KICKED), 0);
	assert_int_equal(room_participants_present(r), 2);
}

/*
 * Someone who left with nothing changed since is on record: the end of a
 * meeting with thousands of past participants costs one rollup each only
 * for those still there.
 */
static void
test_session_end_rolls_up_only_the_changed(void **state)
{
	struct room	*r = *state;

	apply(r, gone("alice"), T0 + 5000);
	assert_non_null(last(EVENT_LEAVE, "sid:A"));
	reset_capture();
	apply(r, gone("focus"), T0 + 9000);
	assert_non_null(last(EVENT_SESSION_END, NULL));
	assert_null(last(EVENT_ROLLUP, "sid:A"));
	assert_non_null(last(EVENT_ROLLUP, "sid:B"));
	assert_string_equal(last(EVENT_ROLLUP, "sid:B")->pleft,
	    "session_end");
}

static void
test_focus_leaves_ends_session(void **state)
{
	struct room	*r = *state;
	struct presence	 f = gone("focus");
	struct captured	*c;

	assert_int_equal(room_apply(r, &f, T0 + 600020, &sink),
	    ROOM_ACT_LEAVE);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(c);
	assert_string_equal(c->sstatus, "completed");
	assert_int_equal(c->s.end_ms, T0 + 600020);
	assert_int_equal(c->s.duration_s, 600);
	assert_non_null(strstr(c->data, "\"reason\":\"focus_left\""));
	/* both participants got their final rollup with the session end */
	c = last(EVENT_ROLLUP, "sid:A");
	assert_non_null(c);
	assert_int_equal(c->p.present, 0);
	assert_string_equal(c->pleft, "session_end");
	assert_null(room_session(r));
	/* the participants' own leaves after that change nothing */
	reset_capture();
	apply(r, gone("alice"), T0 + 600100);
	assert_int_equal(nev, 0);
}

static void
test_failed_when_one_side_only(void **state)
{
	struct room	*r = *state;
	struct presence	 f = gone("focus");
	struct captured	*c;

	enter(r, T0, 1, NULL);
	room_meeting_info(r, NULL, T0 + 3, &sink);
	assert_int_equal(nev, 0);	/* no participant: no session yet */
	apply(r, person("alice", "A"), T0 + 1000);
	apply(r, gone("alice"), T0 + 5000);
	apply(r, person("alice2", "A"), T0 + 6000);
	room_apply(r, &f, T0 + 9000, &sink);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(c);
	assert_string_equal(c->sstatus, "failed");
	assert_int_equal(c->s.peak_participants, 1);
}

/*
 * Focus's presence f (with its recording mode) says session is on at
 * on, then off at off.
 */
static void
recorded(struct room *r, struct presence *f, char *session, int64_t on,
    int64_t off)
{
	f->rec_session = session;
	f->rec_status = (char *)"on";
	apply(r, *f, on);
	f->rec_status = (char *)"off";
	apply(r, *f, off);
}

static void
test_recording(void **state)
{
	struct room	*r = *state;
	struct presence	 f = focus();
	struct captured	*c;

	f.has_recording = 1;
	f.rec_status = (char *)"pending";
	f.rec_mode = (char *)"file";
	apply(r, f, T0 + 1000);
	apply(r, f, T0 + 1500);		/* unchanged: nothing */
	recorded(r, &f, "s1", T0 + 2000, T0 + 62000);
	assert_int_equal(count(EVENT_RECORDING_PENDING), 1);
	assert_int_equal(count(EVENT_RECORDING_START), 1);
	assert_int_equal(count(EVENT_RECORDING_STOP), 1);
	c = last(EVENT_RECORDING_STOP, NULL);
	assert_string_equal(c->srecording, "recorded");
	assert_int_equal(c->s.recording_duration_s, 60);
	assert_non_null(strstr(c->data, "\"duration_s\":60"));

	/* A failed attempt. */
	f.rec_status = (char *)"pending";
	f.rec_session = (char *)"s2";
	apply(r, f, T0 + 70000);
	f.rec_status = (char *)"off";
	f.rec_failure = (char *)"busy";
	apply(r, f, T0 + 71000);
	c = last(EVENT_RECORDING_FAILED, NULL);
	assert_non_null(c);
	assert_string_equal(c->srecording, "failed");

	/* Live streaming is its own pair of events. */
	f.rec_failure = NULL;
	f.rec_mode = (char *)"stream";
	recorded(r, &f, "s3", T0 + 80000, T0 + 90000);
	assert_int_equal(count(EVENT_LIVESTREAM_START), 1);
	assert_int_equal(count(EVENT_LIVESTREAM_STOP), 1);
	c = last(EVENT_LIVESTREAM_STOP, NULL);
	assert_non_null(strstr(c->data, "\"duration_s\":10"));
}

static void
test_recording_already_on(void **state)
{
	struct room	*r = *state;
	struct presence	 f = focus();
	struct captured	*c;

	room_join_sent(r, T0);
	f.has_recording = 1;
	f.rec_status = (char *)"on";
	f.rec_mode = (char *)"file";
	apply(r, f, T0 + 1);
	apply(r, person("alice", "A"), T0 + 2);
	apply(r, self(), T0 + 3);
	room_meeting_info(r, NULL, T0 + 4, &sink);
	c = last(EVENT_RECORDING_START, NULL);
	assert_non_null(c);
	assert_non_null(strstr(c->data, "\"already_on\":true"));
	assert_string_equal(c->srecording, "recording");
}

static void
test_hidden_members(void **state)
{
	struct room	*r = *state;
	struct presence	 j = pres("jibri1");
	struct presence	 t = pres("transcriber");
	struct captured	*c;

	j.jid = (char *)"recorder@hidden.meet.jitsi/r";
	j.feature_jibri = 1;
	apply(r, j, T0 + 1000);
	t.jid = (char *)"transcriber@hidden.meet.jitsi/t";
	t.feature_transcriber = 1;
	t.transcription = 1;
	apply(r, t, T0 + 2000);
	apply(r, gone("transcriber"), T0 + 3000);
	apply(r, gone("jibri1"), T0 + 4000);
	assert_int_equal(count(EVENT_HIDDEN_JOIN), 2);
	assert_int_equal(count(EVENT_HIDDEN_LEAVE), 2);
	assert_int_equal(count(EVENT_TRANSCRIPTION_START), 1);
	assert_int_equal(count(EVENT_TRANSCRIPTION_STOP), 1);
	assert_int_equal(count(EVENT_JOIN), 0);
	c = last(EVENT_HIDDEN_JOIN, NULL);
	assert_non_null(strstr(c->data, "\"kind\":\"transcriber\""));
	assert_int_equal(c->s.participant_count, 2);
	assert_int_equal(room_participants_present(r), 2);
}

/*
 * Everything after our self-presence is live, whatever the disco#info
 * answer's delay (a busy Prosody answers behind the queue): mutes, chat,
 * a whole visit and a leave before the meeting id are all recorded, and
 * the id joins the same session when it comes.
 */
static void
test_live_before_meeting_id(void **state)
{
	struct room	*r = *state;
	struct presence	 a = person("alice", "A");
	struct message	 m = chat("bob");
	char		 buf[512];

	assert_int_equal(enter(r, T0, 1, "alice", "A", "bob", "B", NULL),
	    ROOM_ACT_QUERY_INFO);
	a.media.audio = 1;
	apply(r, a, T0 + 10);
	room_message(r, &m, T0 + 11, &sink);
	apply(r, person("carol", "C"), T0 + 12);
	apply(r, gone("carol"), T0 + 13);
	apply(r, gone("bob"), T0 + 14);
	room_meeting_info(r, "m-late", T0 + 5000, &sink);
	names(buf, sizeof(buf));
	assert_string_equal(buf, "session_start,observer_join,join,join,"
	    "audio_unmute,chat_message,join,leave,leave,meeting_info");
	assert_string_equal(last(EVENT_LEAVE, "sid:C")->suid,
	    last(EVENT_MEETING_INFO, NULL)->suid);
	assert_int_equal(last(EVENT_MEETING_INFO, NULL)->s.participant_count,
	    3);
}

/* --- the lobby, breakout rooms, the end (issue 8) ------------------------ */

#define BROOM	"9db848ea@breakout.meet.jitsi"

/*
 * The module's lobby note about nick (real JID jid) handed to the room
 * at t; detail is what the event names: the display name of a knock
 * (LOBBY_JOIN), who let in or turned away (LOBBY_ADMITTED, LOBBY_DENIED),
 * or why the lobby was left (LOBBY_LEAVE).
 */
static void
lobby(struct room *r, int event, char *nick, char *jid, char *detail,
    int64_t t)
{
	struct message	 m = note(NOTE_LOBBY, event, nick);

	m.note_jid = jid;
	if (event == LOBBY_JOIN)
		m.note_name = detail;
	else if (event == LOBBY_LEAVE)
		m.note_reason = detail;
	else
		m.note_by = detail;
	room_module_note(r, &m, t, &sink);
}

#define PAT	"pat@meet.jitsi/res1"	/* the patient's real JID */

/* Knock, let in, join: one participant whose lobby wait is recorded. */
static void
test_lobby(void **state)
{
	struct room	*r = *state;
	struct message	 m;
	struct presence	 p;
	struct captured	*c;
	char		 buf[512];
	int		 i;

	m = note(NOTE_LOBBY, LOBBY_JOIN, "pat01");
	m.note_jid = (char *)PAT;
	m.note_name = (char *)"Pat";
	m.note_identity_id = (char *)"pt-1";
	m.note_identity_role = (char *)"patient";
	room_module_note(r, &m, T0 + 1000, &sink);
	lobby(r, LOBBY_ADMITTED, "pat01", PAT, "alice", T0 + 61000);
	p = person("pat01", "P");
	p.jid = (char *)PAT;
	apply(r, p, T0 + 61500);
	lobby(r, LOBBY_LEAVE, "pat01", PAT, "admitted", T0 + 61600);
	/* Dave is turned away: events, no participant. */
	lobby(r, LOBBY_JOIN, "dave01", "dave@meet.jitsi/r", "Dave", T0 + 62000);
	lobby(r, LOBBY_DENIED, "dave01", "dave@meet.jitsi/r", "alice",
	    T0 + 65000);
	names(buf, sizeof(buf));
	assert_string_equal(buf, "lobby_join,lobby_admitted,join,"
	    "lobby_leave,lobby_join,lobby_denied");
	c = last(EVENT_LOBBY_ADMITTED, NULL);
	assert_non_null(strstr(c->data, "\"wait_s\":60"));
	assert_non_null(strstr(c->data, "\"by\":\"alice\""));
	c = last(EVENT_JOIN, "sid:P");
	assert_int_equal(c->p.lobby_known, 1);
	assert_int_equal(c->p.lobby_wait_s, 60);
	assert_int_equal(last(EVENT_LOBBY_DENIED, NULL)->s.participant_count,
	    3);
	/* the first knock: Pat's, with the JWT identity */
	for (c = NULL, i = 0; i < nev && c == NULL; i++)
		if (ev[i].type == EVENT_LOBBY_JOIN)
			c = &ev[i];
	assert_non_null(strstr(c->data, "\"participant_id\":\"pt-1\""));
}

static struct presence
in_breakout(struct presence p)
{
	p.room = (char *)BROOM;
	return p;
}

/*
 * A move to a breakout room and back is a breakout_move, not a leave;
 * what happens there is the meeting's; a breakout room that closes sends
 * its people back without a leave; a move that never arrives is a leave.
 */
static void
test_breakout(void **state)
{
	struct room	*r = *state;
	struct room_opts o;
	struct room	*b;
	struct presence	 a = person("alice", "A"), g;
	struct captured	*c;
	char		 buf[512];

	memset(&o, 0, sizeof(o));
	o.self_nick = "teletrack";
	o.hidden_domain = "hidden.meet.jitsi";
	b = room_new_breakout(BROOM, &o, r, "Room_A");
	room_join_sent(b, T0 + 100);
	g = in_breakout(self());
	assert_int_equal(room_apply(b, &g, T0 + 101, &sink),
	    ROOM_ACT_QUERY_INFO);
	reset_capture();
	apply(r, gone_text("alice", "switch_room"), T0 + 1000);
	assert_int_equal(count(EVENT_LEAVE), 0);
	g = in_breakout(a);
	room_apply(b, &g, T0 + 1500, &sink);
	c = last(EVENT_BREAKOUT_MOVE, "sid:A");
	assert_non_null(c);
	assert_non_null(strstr(c->data, "\"to\":\"Room_A\""));
	assert_non_null(strstr(c->data, "\"from\":\"main\""));
	a.media.audio = 1;
	g = in_breakout(a);
	room_apply(b, &g, T0 + 2000, &sink);
	c = last(EVENT_AUDIO_UNMUTE, "sid:A");
	assert_non_null(c);
	if (strstr(c->data, "\"breakout\":\"Room_A\"") == NULL)
		fail_msg("data %s", c->data);
	/* Closed: back to the main room, no leave. */
	g = in_breakout(destroyed(NULL));
	assert_int_equal(room_apply(b, &g, T0 + 5000, &sink),
	    ROOM_ACT_GIVE_UP);
	apply(r, a, T0 + 5500);
	c = last(EVENT_BREAKOUT_MOVE, "sid:A");
	assert_non_null(strstr(c->data, "\"reason\":\"closed\""));
	if (strstr(c->data, "\"from\":\"Room_A\"") == NULL)
		fail_msg("data %s", c->data);
	assert_int_equal(c->p.join_count, 1);
	assert_int_equal(count(EVENT_RECONNECT), 0);
	/* Bob switches and never arrives: a leave when he left. */
	apply(r, gone_text("bob", "switch_room"), T0 + 6000);
	room_tick(r, T0 + 30000, &sink);
	assert_int_equal(count(EVENT_LEAVE), 0);
	room_tick(r, T0 + 67000, &sink);
	c = last(EVENT_LEAVE, "sid:B");
	assert_non_null(c);
	assert_int_equal(c->ts, T0 + 6000);
	names(buf, sizeof(buf));
	assert_null(strstr(buf, "session_end"));
	room_free(b);
}

/* Ended for all: the reason, who, and the destroy text. */
static void
test_ended_for_all(void **state)
{
	struct room	*r = *state;
	struct message	 m = note(NOTE_ENDED, 0, "alice");
	struct captured	*c;

	m.note_jid = (char *)"alice@meet.jitsi/res";
	room_module_note(r, &m, T0 + 1000, &sink);
	apply(r, destroyed("The meeting has been terminated"), T0 + 1001);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(c);
	assert_non_null(strstr(c->data, "\"reason\":\"ended_for_all\""));
	assert_non_null(strstr(c->data, "\"by\":\"alice\""));
	assert_non_null(strstr(c->data,
	    "\"destroy_reason\":\"The meeting has been terminated\""));
}

/* True join times from the module; 322 without it. */
static void
test_joined_and_322(void **state)
{
	struct room	*r = *state;
	struct message	 m = note(NOTE_JOINED, 0, "alice");
	struct captured	*c;

	m.note_at_ms = T0 - 5000;
	room_module_note(r, &m, T0 + 30, &sink);
	room_tick(r, T0 + 5000, &sink);
	c = last(EVENT_ROLLUP, "sid:A");
	assert_int_equal(c->p.joined_ms, T0 - 5000);
	assert_int_equal(c->p.duration_s, 10);
	assert_int_equal(apply(r, self_removed(322), T0 + 6000),
	    ROOM_ACT_RETRY);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(strstr(c->data, "observer_removed"));
}

static void
test_chat_and_reactions(void **state)
{
	struct room	*r = *state;
	struct message	 m = chat("bob");
	struct captured	*c;

	room_message(r, &m, T0 + 1000, &sink);
	room_message(r, &m, T0 + 2000, &sink);
	m.delayed = 1;			/* history replay */
	room_message(r, &m, T0 + 2500, &sink);
	m.delayed = 0;
	m.nick = (char *)"teletrack";	/* never counts */
	room_message(r, &m, T0 + 2600, &sink);
	m.nick = (char *)"bob";
	m.kind = MESSAGE_REACTION;
	m.nreactions = 2;
	room_message(r, &m, T0 + 3000, &sink);
	assert_int_equal(count(EVENT_CHAT_MESSAGE), 2);
	assert_int_equal(count(EVENT_REACTION), 1);
	c = last(EVENT_REACTION, "sid:B");
	assert_int_equal(c->p.messages_sent, 2);
	assert_int_equal(c->p.reactions_sent, 2);
	/* only a count: no text is ever in the event */
	assert_string_equal(last(EVENT_CHAT_MESSAGE, "sid:B")->data,
	    "{\"nick\":\"bob\",\"reply\":false}");
}

static void
test_names_roles_identity(void **state)
{
	struct room	*r = *state;
	struct presence	 p = person("c0ffee12", "ZZ");
	struct captured	*c;

	p.identity_id = (char *)"cg-17";
	p.identity_name = (char *)"Dr. Wilson";
	p.identity_role = (char *)"caregiver";
	apply(r, p, T0 + 1000);
	c = last(EVENT_JOIN, "id:cg-17");
	assert_non_null(c);
	assert_string_equal(c->pname, "Dr. Wilson");
	assert_string_equal(c->prole, "caregiver");
	assert_string_equal(c->p.participant_id, "cg-17");

	/*
	 * Someone without identity: the first name given after a nameless
	 * join is no rename, a later change is.
	 */
	p = person("alice", "A");
	p.display_name = (char *)"Alice";
	apply(r, p, T0 + 2000);
	assert_int_equal(count(EVENT_NICK_CHANGE), 0);
	p.display_name = (char *)"Alice B.";
	apply(r, p, T0 + 2500);
	c = last(EVENT_NICK_CHANGE, "sid:A");
	assert_non_null(c);
	assert_string_equal(c->pname, "Alice B.");
	assert_non_null(strstr(c->data, "\"old\":\"Alice\""));
	assert_string_equal(c->prole, "unknown");

	/* role change: made moderator */
	p.role = (char *)"moderator";
	p.affiliation = (char *)"owner";
	apply(r, p, T0 + 3000);
	c = last(EVENT_ROLE_CHANGE, "sid:A");
	assert_non_null(c);
	assert_int_equal(c->p.is_moderator, 1);
	assert_non_null(strstr(c->data, "\"new_role\":\"moderator\""));

	/* hand */
	p.hand_raised = 1;
	apply(r, p, T0 + 4000);
	p.hand_raised = 0;
	apply(r, p, T0 + 5000);
	assert_int_equal(count(EVENT_HAND_RAISE), 1);
	assert_int_equal(count(EVENT_HAND_LOWER), 1);
}

/*
 * quiet_setup(), then our connection lost at T0 + 60000: the room is
 * ROOM_LOST until we join again.
 */
static int
gap_setup(void **state)
{
	quiet_setup(state);
	room_connection_lost(*state, T0 + 60000);
	return 0;
}

static void
test_gap_reconciliation(void **state)
{
	struct room	*r = *state;
	struct captured	*c;
	char		 buf[512];

	assert_int_equal(room_state(r), ROOM_LOST);
	/*
	 * alice is still here and carol came meanwhile; bob is not listed:
	 * he left during the gap.
	 */
	assert_int_equal(enter(r, T0 + 65000, 10, "alice", "A", "carol", "C",
	    NULL), ROOM_ACT_QUERY_INFO);
	room_meeting_info(r, "m-1", T0 + 65020, &sink);
	names(buf, sizeof(buf));
	assert_string_equal(buf, "leave,join,observer_gap");
	c = last(EVENT_LEAVE, "sid:B");
	assert_int_equal(c->ts, T0 + 60000);	/* at the gap's start */
	assert_string_equal(c->pleft, "left_during_gap");
	c = last(EVENT_OBSERVER_GAP, NULL);
	assert_non_null(strstr(c->data, "\"seconds\":5"));
	assert_non_null(strstr(c->data, "\"left_during_gap\":1"));
	assert_int_equal(c->s.participant_count, 3);
	assert_int_equal(room_participants_present(r), 2);
	assert_string_equal(c->suid, ROOM "/1767258000011");	/* same row */
}

/*
 * Focus left while we could not see the room, the people stayed: the
 * meeting ended at the gap's start, and they are in the next one from
 * the moment we see them again, never before (fuzz finding F1: the new
 * session started before the old one ended and could share its uid).
 */
static void
test_gap_focus_left_people_stayed(void **state)
{
	struct room	*r = *state;
	struct captured	*end, *start, *c;

	room_join_sent(r, T0 + 65000);
	apply(r, person("alice", "A"), T0 + 65011);
	apply(r, person("bob", "B"), T0 + 65012);
	assert_int_equal(apply(r, self(), T0 + 65013), ROOM_ACT_QUERY_INFO);
	end = last(EVENT_SESSION_END, NULL);
	assert_non_null(end);
	assert_int_equal(end->ts, T0 + 60000);
	assert_non_null(strstr(end->data, "\"reason\":\"focus_left\""));
	start = last(EVENT_SESSION_START, NULL);
	assert_non_null(start);
	assert_true(start->ts >= T0 + 65000);
	assert_string_not_equal(start->suid, end->suid);
	c = last(EVENT_JOIN, "sid:A");
	assert_true(c->ts >= T0 + 65000);
	assert_non_null(strstr(c->data, "\"already_present\":true"));
	assert_int_equal(c->p.join_count, 1);
}

static void
test_gap_meeting_changed(void **state)
{
	struct room	*r = *state;
	struct captured	*c;

	enter(r, T0 + 70000, 10, "dave", "D", NULL);
	room_meeting_info(r, "m-2", T0 + 70020, &sink);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(c);
	assert_int_equal(c->ts, T0 + 60000);
	assert_non_null(strstr(c->data, "ended_during_gap"));
	c = last(EVENT_SESSION_START, NULL);
	assert_string_equal(c->suid, ROOM "/1767258070011");
	c = last(EVENT_JOIN, "sid:D");
	assert_non_null(c);
	assert_int_equal(c->s.participant_count, 1);
}

/*
 * The room was re-created during the gap, and someone we knew before it
 * comes back while we wait for the meeting id: the new meeting starts
 * after the old one ended, with a uid of its own (fuzz finding F5: it
 * started at her old arrival, in the closed session's row).
 */
static void
test_gap_meeting_changed_known_face(void **state)
{
	struct room	*r = *state;
	struct captured	*end, *start, *c;

	room_join_sent(r, T0 + 70000);
	apply(r, focus(), T0 + 70010);
	apply(r, self(), T0 + 70012);
	assert_int_equal(room_state(r), ROOM_INFO);
	apply(r, person("alice", "A"), T0 + 70015);
	room_meeting_info(r, "m-2", T0 + 70020, &sink);
	end = last(EVENT_SESSION_END, NULL);
	assert_non_null(end);
	assert_int_equal(end->ts, T0 + 60000);
	start = last(EVENT_SESSION_START, NULL);
	assert_non_null(start);
	assert_true(start->ts >= T0 + 70000);
	assert_string_not_equal(start->suid, end->suid);
	c = last(EVENT_JOIN, "sid:A");
	assert_non_null(c);
	assert_string_equal(c->suid, start->suid);
	assert_true(c->ts >= start->ts);
	assert_int_equal(c->p.join_count, 1);
	assert_int_equal(c->s.participant_count, 1);
}

/*
 * A meeting that began and ended in one millisecond, and the next one in
 * the same millisecond: the uid is the room and the start, so the next
 * one starts a millisecond later rather than share the row.
 */
static void
test_session_same_millisecond(void **state)
{
	struct room	*r = *state;
	struct captured	*end, *start, *c;

	room_join_sent(r, T0);
	apply(r, self(), T0 + 5);
	apply(r, focus(), T0 + 100);
	apply(r, person("alice", "A"), T0 + 100);
	assert_int_equal(apply(r, gone("focus"), T0 + 100), ROOM_ACT_LEAVE);
	end = last(EVENT_SESSION_END, NULL);
	assert_non_null(end);
	assert_int_equal(end->s.start_ms, T0 + 100);
	apply(r, person("bob", "B"), T0 + 100);
	start = last(EVENT_SESSION_START, NULL);
	assert_non_null(start);
	assert_int_equal(start->ts, T0 + 101);
	assert_string_not_equal(start->suid, end->suid);
	c = last(EVENT_JOIN, "sid:B");
	assert_non_null(c);
	assert_int_equal(c->ts, T0 + 101);
}

static void
test_room_gone_during_gap(void **state)
{
	struct room	*r = *state;
	struct presence	 e = pres("teletrack");
	struct captured	*c;

	room_join_sent(r, T0 + 90000);
	e.kind = PRESENCE_ERROR;
	e.error_condition = (char *)"not-allowed";
	assert_int_equal(room_apply(r, &e, T0 + 90001, &sink),
	    ROOM_ACT_RETRY);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(c);
	assert_int_equal(c->ts, T0 + 60000);
	assert_string_equal(c->sstatus, "completed");
}

static void
test_observer_removed_and_destroyed(void **state)
{
	struct room	*r = *state;
	struct captured	*c;

	assert_int_equal(apply(r, self_removed(333), T0 + 1000),
	    ROOM_ACT_REJOIN);
	assert_int_equal(room_state(r), ROOM_LOST);
	assert_non_null(room_session(r));	/* meeting goes on */
	enter(r, T0 + 2000, 1, "alice", "A", "bob", "B", NULL);
	room_meeting_info(r, "m-1", T0 + 2005, &sink);
	assert_int_equal(count(EVENT_OBSERVER_GAP), 1);
	assert_int_equal(count(EVENT_JOIN), 0);
	assert_int_equal(count(EVENT_LEAVE), 0);

	assert_int_equal(apply(r, destroyed(NULL), T0 + 3000), ROOM_ACT_RETRY);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(strstr(c->data, "room_destroyed"));
	assert_int_equal(room_state(r), ROOM_IDLE);
}

static void
test_leave_after_grace(void **state)
{
	struct room	*r = *state;
	struct captured	*c;

	apply(r, gone("alice"), T0 + 1000);
	apply(r, gone("bob"), T0 + 2000);
	assert_int_equal(room_tick(r, T0 + 5000, &sink), 0);
	assert_int_equal(room_tick(r, T0 + 12000, &sink), ROOM_ACT_LEAVE);
	room_left(r, T0 + 12000, "no_participants", &sink);
	c = last(EVENT_SESSION_END, NULL);
	assert_non_null(c);
	assert_int_equal(c->s.end_ms, T0 + 12000);
	assert_int_equal(room_state(r), ROOM_IDLE);
	/* A room with only focus: the observer leaves it too. */
	reset_capture();
	enter(r, T0 + 20000, 1, NULL);
	room_meeting_info(r, NULL, T0 + 20003, &sink);
	assert_int_equal(room_tick(r, T0 + 31000, &sink), ROOM_ACT_LEAVE);
	assert_int_equal(nev, 0);
}

static void
test_rollups_and_quality(void **state)
{
	struct room	*r = *state;
	struct captured	*c;
	int		 i;

	assert_int_equal(room_tick(r, T0 + 30011, &sink), 0);
	c = last(EVENT_ROLLUP, "sid:A");
	assert_non_null(c);
	assert_int_equal(c->p.duration_s, 30);
	assert_string_equal(c->pquality, "good");
	c = last(EVENT_ROLLUP, NULL);
	assert_int_equal(c->s.duration_s, 30);

	/* 1 incident in 30 min -> 2/h: fair; 3 more -> poor */
	apply(r, gone_text("bob", "Disconnected: closed"), T0 + 1800012);
	c = last(EVENT_DISCONNECT, "sid:B");
	assert_string_equal(c->pquality, "fair");
	for (i = 0; i < 2; i++) {
		apply(r, person("bobx", "B"), T0 + 1800100 + i * 1000);
		apply(r, gone_text("bobx", "Disconnected: closed"),
		    T0 + 1800500 + i * 1000);
	}
	c = last(EVENT_DISCONNECT, "sid:B");
	assert_string_equal(c->pquality, "poor");
	assert_string_equal(c->s.connection_quality, "poor");
}

static void
test_speakerstats_and_module(void **state)
{
	struct room		*r = *state;
	struct message		 m;
	struct speaker_stat	 st[2];
	struct captured		*c;

	enter(r, T0, 1, "alice", "A", "bob", "B", NULL);
	/* the snapshot arrives before the meeting id */
	memset(&m, 0, sizeof(m));
	m.kind = MESSAGE_SPEAKERSTATS;
	st[0].nick = (char *)"alice";
	st[0].display_name = NULL;
	st[0].total_ms = 184230;
	st[1].nick = (char *)"gone-before";
	st[1].display_name = (char *)"Old";
	st[1].total_ms = 5000;
	m.stats = st;
	m.nstats = 2;
	room_speakerstats(r, &m, T0 + 5, &sink);
	assert_int_equal(count(EVENT_SPEAKER_STATS), 1);	/* at once */
	room_meeting_info(r, "m", T0 + 10, &sink);
	assert_int_equal(count(EVENT_SPEAKER_STATS), 1);

	/* module: bob speaks 10 s, then alice 5 s, then silence */
	m = note(NOTE_SPEAKER, 0, "bob");
	room_module_note(r, &m, T0 + 1000, &sink);
	m.note_nick = (char *)"alice";
	room_module_note(r, &m, T0 + 11000, &sink);
	m.note_silence = 1;
	room_module_note(r, &m, T0 + 16000, &sink);
	room_tick(r, T0 + 20000, &sink);
	c = last(EVENT_ROLLUP, "sid:B");
	assert_int_equal(c->p.spoke_known, 1);
	assert_true(c->p.spoke_time_s > 9.99 && c->p.spoke_time_s < 10.01);
	c = last(EVENT_ROLLUP, "sid:A");
	assert_true(c->p.spoke_time_s > 189.22 && c->p.spoke_time_s < 189.24);
	assert_int_equal(count(EVENT_DOMINANT_SPEAKER), 3);

	/* interruption and client info */
	m = note(NOTE_INTERRUPTED, 0, "bob");
	room_module_note(r, &m, T0 + 30000, &sink);
	m.note = NOTE_RESTORED;
	m.note_ms = 4000;
	room_module_note(r, &m, T0 + 34000, &sink);
	m.note = NOTE_CLIENT;
	m.note_ip = (char *)"203.0.113.7";
	m.note_ua = (char *)"Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
	    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
	room_module_note(r, &m, T0 + 35000, &sink);
	c = last(EVENT_CLIENT_INFO, "sid:B");
	assert_non_null(c);
	assert_string_equal(c->p.browser, "Chrome");
	assert_string_equal(c->p.operating_system, "Windows");
	assert_string_equal(c->p.device_type, "desktop");
	assert_non_null(strstr(c->data, "\"ip\":\"h:"));
	assert_null(strstr(c->data, "203.0.113.7"));
	assert_int_equal(count(EVENT_CONNECTION_INTERRUPTED), 1);
	assert_non_null(strstr(last(EVENT_CONNECTION_RESTORED, "sid:B")->data,
	    "\"duration_ms\":4000"));
	room_set_ip(r, "store", NULL, 0);
	room_module_note(r, &m, T0 + 36000, &sink);
	assert_non_null(strstr(last(EVENT_CLIENT_INFO, "sid:B")->data,
	    "203.0.113.7"));
}

static void
test_hostile_nicks(void **state)
{
	struct room	*r = *state;
	char		 big[300];
	struct presence	 p;
	struct captured	*c;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	p = person("x'); DROP TABLE teleconference_events;--", NULL);
	apply(r, p, T0 + 1000);
	p = person("ctl\x01\x1b[31m\"quote", NULL);
	apply(r, p, T0 + 1001);
	p = person(big, NULL);
	apply(r, p, T0 + 1002);
	assert_int_equal(count(EVENT_JOIN), 3);
	c = last(EVENT_JOIN, "nick:ctl\x01\x1b[31m\"quote");
	assert_non_null(c);
	/* JSON escaping keeps the data parseable */
	assert_non_null(strstr(c->data, "\\u0001"));
	assert_non_null(strstr(c->data, "\\\"quote"));
}

static void
test_focus_by_real_jid(void **state)
{
	struct room	*r = *state;
	struct presence	 f2 = pres("focus2");

	/* a second jicofo session under another nick is focus, not a person */
	f2.jid = (char *)"focus@auth.meet.jitsi/other";
	apply(r, f2, T0 + 1000);
	assert_int_equal(count(EVENT_JOIN), 0);
	assert_int_equal(room_participants_present(r), 2);
	/* "focusfan" is a person: only the JID node "focus" counts */
	f2 = person("focusfan", "FF");
	f2.jid = (char *)"focusfan@meet.jitsi/x";
	apply(r, f2, T0 + 2000);
	assert_int_equal(count(EVENT_JOIN), 1);
}

static void
test_stray_presences(void **state)
{
	struct room	*r = mkroom();

	(void)state;
	/* presences while not joined are ignored */
	assert_int_equal(apply(r, person("alice", "A"), T0), 0);
	assert_int_equal(apply(r, gone("nobody"), T0), 0);
	assert_int_equal(nev, 0);
	room_join_sent(r, T0);
	apply(r, gone("never-seen"), T0 + 1);
	assert_int_equal(nev, 0);
	room_free(r);
	room_free(NULL);
}

/* A room attached to a booked appointment records on the booked row. */
static void
test_appointment_sessions(void **state)
{
	struct room	*r = *state;
	struct presence	 f = gone("focus");
	struct captured	*c;

	room_set_appointment(r, "appt:A1", "A1");
	assert_string_equal(room_appointment(r), "A1");
	enter(r, T0, 10, "alice", "A", NULL);
	room_meeting_info(r, "m-1", T0 + 20, &sink);
	c = last(EVENT_SESSION_START, NULL);
	assert_non_null(c);
	/* The booked row, its status left to the appointment. */
	assert_string_equal(c->suid, "appt:A1");
	assert_null(c->sstatus);
	assert_string_equal(c->s.appointment_id, "A1");
	assert_int_equal(room_apply(r, &f, T0 + 60000, &sink),
	    ROOM_ACT_LEAVE);
	assert_null(last(EVENT_SESSION_END, NULL)->sstatus);
	room_left(r, T0 + 60001, "no_participants", &sink);

	/* The room re-created within the appointment: a row of its own. */
	reset_capture();
	enter(r, T0 + 70000, 10, "carol", "C", NULL);
	room_meeting_info(r, "m-2", T0 + 70020, &sink);
	c = last(EVENT_SESSION_START, NULL);
	assert_non_null(c);
	assert_non_null(strstr(c->suid, "appt:A1/"));
	assert_string_equal(c->sstatus, "active");
	assert_string_equal(c->s.appointment_id, "A1");

	/* Attached while a meeting is open: it carries the id from then. */
	room_set_appointment(r, NULL, NULL);
	assert_null(room_appointment(r));
	room_set_appointment(r, "appt:B2", "B2");
	reset_capture();
	apply(r, person("bob", "B"), T0 + 80000);
	c = last(EVENT_JOIN, "sid:B");
	assert_non_null(c);
	assert_string_equal(c->s.appointment_id, "B2");
	assert_non_null(strstr(c->suid, "appt:A1/"));
}

/*
 * The IP pseudonym is HMAC-SHA-256 (RFC 4231 cases 1, 2 and 6), the same
 * whichever key was used before (client.c keeps the context keyed last).
 */
static void
test_ip_pseudonym(void **state)
{
	unsigned char	 k1[20], k6[131];
	char		 buf[CLIENT_PSEUDONYM_LEN];
	const char	*h1 = "h:b0344c61d8db38535ca8afceaf0bf12b"
			    "881dc200c9833da726e9376c2e32cff7";
	const char	*h2 = "h:5bdcc146bf60754e6a042426089575c7"
			    "5a003f089d2739839dec58b964ec3843";
	const char	*h6 = "h:60e431591ee0b67f0d8a26aacbf5b77f"
			    "8e0bc6213728c5140546040f0ee37f54";
	int		 i;

	(void)state;
	memset(k1, 0x0b, sizeof(k1));
	memset(k6, 0xaa, sizeof(k6));
	for (i = 0; i < 2; i++) {
		assert_non_null(client_ip_pseudonym(k1, sizeof(k1),
		    "Hi There", buf, sizeof(buf)));
		assert_string_equal(buf, h1);
		assert_non_null(client_ip_pseudonym(k1, sizeof(k1),
		    "Hi There", buf, sizeof(buf)));
		assert_string_equal(buf, h1);
		assert_non_null(client_ip_pseudonym((const unsigned char *)
		    "Jefe", 4, "what do ya want for nothing?", buf,
		    sizeof(buf)));
		assert_string_equal(buf, h2);
		assert_non_null(client_ip_pseudonym(k6, sizeof(k6),
		    "Test Using Larger Than Block-Size Key - Hash Key First",
		    buf, sizeof(buf)));
		assert_string_equal(buf, h6);
	}
	assert_null(client_ip_pseudonym(NULL, 0, "Hi There", buf,
	    sizeof(buf)));
	assert_null(client_ip_pseudonym(k1, sizeof(k1), "Hi There", buf,
	    CLIENT_PSEUDONYM_LEN - 1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_opens_session,
		    joined_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_live_before_meeting_id,
		    new_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_lobby, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_breakout, joined_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_ended_for_all, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_joined_and_322,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_not_allowed_retries,
		    new_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_late_echo_of_our_leave,
		    joined_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_media_transitions,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_initial_state_is_not_an_event, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_ljm_followup_is_state,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ljm_first_announcement_is_a_change, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_ljm_first_announcement_near_a_join, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_ljm_share_first_seen,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_alone_has_no_followup,
		    new_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_first_announcement_after_reconnect, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_reconnect_before_delayed_leave, bob2_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_tab_key_not_reused,
		    bob2_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_second_tab_first_alive,
		    bob2_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_second_tab_first_closed,
		    bob2_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_second_tab_settled_then_crash, bob2_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_second_tab_late_drop,
		    bob2_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_then_rejoin,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_rejoin_after_leave_counts_time_present, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_kicks_and_333, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_device_switch, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_focus_leaves_ends_session,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_session_end_rolls_up_only_the_changed, joined_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_failed_when_one_side_only,
		    new_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_recording, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_recording_already_on,
		    new_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_hidden_members,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_chat_and_reactions,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_names_roles_identity,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_gap_reconciliation,
		    gap_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_gap_focus_left_people_stayed, gap_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_gap_meeting_changed,
		    gap_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_gap_meeting_changed_known_face, gap_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_session_same_millisecond,
		    new_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_room_gone_during_gap,
		    gap_setup, room_teardown),
		cmocka_unit_test_setup_teardown(
		    test_observer_removed_and_destroyed, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_leave_after_grace,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_rollups_and_quality,
		    quiet_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_speakerstats_and_module,
		    new_setup, room_teardown),
		cmocka_unit_test_setup_teardown(test_hostile_nicks, quiet_setup,
		    room_teardown),
		cmocka_unit_test_setup_teardown(test_focus_by_real_jid,
		    quiet_setup, room_teardown),
		cmocka_unit_test(test_stray_presences),
		cmocka_unit_test_setup_teardown(test_appointment_sessions,
		    new_setup, room_teardown),
		cmocka_unit_test(test_ip_pseudonym),
	};

	int	 rc;

	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return rc;
}
