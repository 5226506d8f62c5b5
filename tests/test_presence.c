/*
 * Unit tests of presence.c and message.c on real stanza fixtures
 * (tests/fixtures/, one stanza per file, as Prosody delivers them), plus
 * a table of SourceInfo cases.  Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <strophe.h>

#include "fixture.h"
#include "message.h"
#include "presence.h"

static xmpp_ctx_t	*ctx;

static xmpp_stanza_t *
fixture(const char *name)
{
	return fixture_load(ctx, name);
}

/*
 * The checks of one presence fixture; a failing assertion points into the
 * function, which names the fixture.
 */
static void
check_join(const struct presence *p)
{
	assert_int_equal(p->kind, PRESENCE_AVAILABLE);
	assert_string_equal(p->room, "standup@conference.meet.jitsi");
	assert_string_equal(p->nick, "3f9a1c2e");
	assert_string_equal(p->jid,
	    "3f9a1c2e-5b7d-4c1e-9a35-0f1e2d3c4b5a@meet.jitsi/Xq3bYt2P");
	assert_string_equal(p->role, "moderator");
	assert_string_equal(p->affiliation, "owner");
	assert_string_equal(p->stats_id, "Zoey-k3Q");
	assert_string_equal(p->display_name, "Alice");
	assert_int_equal(p->media.audio, 1);
	assert_int_equal(p->media.camera, 0);
	assert_int_equal(p->media.share, 1);
	assert_int_equal(p->hand_raised, 1);
	assert_int_equal(p->ncodes, 0);
	assert_null(p->identity_id);
	assert_int_equal(p->has_recording, 0);
}

static void
check_self_110(const struct presence *p)
{
	assert_true(presence_has_code(p, 110));
	assert_true(presence_has_code(p, 100));
	assert_false(presence_has_code(p, 201));
	assert_int_equal(p->media.audio, MEDIA_UNKNOWN);	/* no media info */
	assert_int_equal(p->media.camera, MEDIA_UNKNOWN);
	assert_int_equal(p->media.share, MEDIA_UNKNOWN);
	assert_int_equal(p->hand_raised, -1);
}

static void
check_nick_303(const struct presence *p)
{
	assert_int_equal(p->kind, PRESENCE_UNAVAILABLE);
	assert_true(presence_has_code(p, 303));
	assert_string_equal(p->new_nick, "newnick");
}

static void
check_kicked_307(const struct presence *p)
{
	assert_true(presence_has_code(p, 307));
	assert_string_equal(p->actor_nick, "3f9a1c2e");
	assert_string_equal(p->reason, "Please rejoin with audio");
}

static void
check_disconnected(const struct presence *p)
{
	assert_string_equal(p->status_text,
	    "Disconnected: Hibernating too long");
}

static void
check_kicked_333(const struct presence *p)
{
	assert_true(presence_has_code(p, 333));
	assert_string_equal(p->status_text, "Kicked: recipient unavailable");
}

static void
check_flip(const struct presence *p)
{
	assert_int_equal(p->flip_device, 1);
	assert_true(presence_has_code(p, 307));
}

static void
check_destroy(const struct presence *p)
{
	assert_int_equal(p->destroyed, 1);
	assert_string_equal(p->destroy_reason,
	    "The meeting has been terminated");
}

/* Several items (a two-session occupant): the first one counts. */
static void
check_multi_item(const struct presence *p)
{
	assert_string_equal(p->jid, "teletrack@hidden.meet.jitsi/a");
}

static void
check_not_allowed(const struct presence *p)
{
	assert_int_equal(p->kind, PRESENCE_ERROR);
	assert_string_equal(p->room, "room1@conference.meet.jitsi");
	assert_string_equal(p->error_condition, "not-allowed");
}

static void
check_focus_recording(const struct presence *p)
{
	assert_string_equal(p->nick, "focus");
	assert_int_equal(p->has_recording, 1);
	assert_string_equal(p->rec_status, "on");
	assert_string_equal(p->rec_mode, "file");
	assert_string_equal(p->rec_session,
	    "8e0c6d4e-2b4a-4f7e-9d55-3c1e0a2b7f10");
	assert_string_equal(p->rec_initiator,
	    "standup@conference.meet.jitsi/3f9a1c2e");
	assert_null(p->rec_failure);
}

static void
check_recording_failed(const struct presence *p)
{
	assert_string_equal(p->rec_status, "off");
	assert_string_equal(p->rec_failure, "busy");
}

static void
check_jibri(const struct presence *p)
{
	assert_int_equal(p->feature_jibri, 1);
	assert_int_equal(p->feature_transcriber, 0);
	assert_string_equal(p->jid, "recorder@hidden.meet.jitsi/r1");
}

static void
check_transcriber(const struct presence *p)
{
	assert_int_equal(p->feature_transcriber, 1);
	assert_int_equal(p->transcription, 1);
}

static void
check_legacy_mute(const struct presence *p)
{
	assert_int_equal(p->media.audio, 1);
	assert_int_equal(p->media.share, 1);	/* videoType desktop */
	assert_int_equal(p->media.camera, 0);
}

/* 2019 clients: namespaced elements, no videoType = camera */
static void
check_legacy_ns(const struct presence *p)
{
	assert_int_equal(p->media.audio, 0);
	assert_int_equal(p->media.camera, 1);
	assert_int_equal(p->media.share, 0);	/* legacy: always complete */
}

static void
check_broken_sourceinfo(const struct presence *p)
{
	assert_int_equal(p->media.audio, MEDIA_UNKNOWN);	/* not "muted" */
	assert_int_equal(p->hand_raised, 0);	/* empty element: lowered */
}

static void
check_identity(const struct presence *p)
{
	assert_string_equal(p->identity_id, "cg-17");
	assert_string_equal(p->identity_name, "Dr. Wilson Ndambuki");
	assert_string_equal(p->identity_role, "caregiver");
	assert_string_equal(p->room, "appointment-42@conference.meet.jitsi");
}

/*
 * A note from the companion module of this type, as every module fixture
 * is; a failure names the type, hence the fixture.
 */
static void
assert_note(const struct message *m, enum module_note type)
{
	if (m->kind != MESSAGE_MODULE || m->note != type)
		fail_msg("kind %d note %d, expected a module note %d", m->kind,
		    m->note, type);
}

/* The checks of one message fixture, as for the presences above. */
static void
check_groupchat(const struct message *m)
{
	assert_int_equal(m->kind, MESSAGE_CHAT);
	assert_string_equal(m->room, "standup@conference.meet.jitsi");
	assert_string_equal(m->nick, "3f9a1c2e");
	assert_int_equal(m->delayed, 0);
	assert_int_equal(m->is_reply, 1);
}

static void
check_groupchat_delayed(const struct message *m)
{
	assert_int_equal(m->kind, MESSAGE_CHAT);
	assert_int_equal(m->delayed, 1);
}

static void
check_reaction(const struct message *m)
{
	assert_int_equal(m->kind, MESSAGE_REACTION);
	assert_int_equal(m->nreactions, 2);
}

static void
check_speakerstats(const struct message *m)
{
	int	 i, seen = 0;

	assert_int_equal(m->kind, MESSAGE_SPEAKERSTATS);
	assert_string_equal(m->from, "speakerstats.meet.jitsi");
	assert_null(m->nick);
	/* "bad" has no number; "huge" (1e300: no int64_t) and "neg" are junk */
	assert_int_equal(m->nstats, 2);
	for (i = 0; i < m->nstats; i++) {
		if (strcmp(m->stats[i].nick, "3f9a1c2e") == 0 &&
		    m->stats[i].total_ms == 184230 &&
		    m->stats[i].display_name == NULL)
			seen |= 1;
		if (strcmp(m->stats[i].nick, "7b1d4c7e") == 0 &&
		    m->stats[i].total_ms == 52011 &&
		    strcmp(m->stats[i].display_name, "Bob") == 0)
			seen |= 2;
	}
	assert_int_equal(seen, 3);
}

static void
check_module_speaker(const struct message *m)
{
	assert_note(m, NOTE_SPEAKER);
	assert_string_equal(m->from, "conference.meet.jitsi");
	assert_string_equal(m->note_room, "standup@conference.meet.jitsi");
	assert_string_equal(m->note_nick, "3f9a1c2e");
	assert_int_equal(m->note_silence, 0);
}

static void
check_module_connection(const struct message *m)
{
	assert_note(m, NOTE_RESTORED);
	assert_int_equal(m->note_ms, 4021);
}

static void
check_module_client(const struct message *m)
{
	assert_note(m, NOTE_CLIENT);
	assert_string_equal(m->note_ip, "203.0.113.7");
	assert_non_null(strstr(m->note_ua, "iPhone"));
}

static void
check_module_room(const struct message *m)
{
	assert_note(m, NOTE_ROOM_CREATED);
	assert_string_equal(m->note_room, "new-room@conference.meet.jitsi");
}

/*
 * Every fixture that parses alone: a <presence/> goes to presence_parse()
 * and then its presence check, anything else to message_parse() and its
 * message check; rc is what the parser must return (no check when -1).
 */
static const struct {
	const char	*name;
	int		 rc;
	void		(*presence)(const struct presence *);
	void		(*message)(const struct message *);
} fixtures[] = {
	{ "join.xml", 0, check_join, NULL },
	{ "self-110.xml", 0, check_self_110, NULL },
	{ "nick-303.xml", 0, check_nick_303, NULL },
	{ "kicked-307.xml", 0, check_kicked_307, NULL },
	{ "disconnected.xml", 0, check_disconnected, NULL },
	{ "kicked-333.xml", 0, check_kicked_333, NULL },
	{ "flip.xml", 0, check_flip, NULL },
	{ "destroy.xml", 0, check_destroy, NULL },
	{ "multi-item.xml", 0, check_multi_item, NULL },
	{ "not-allowed.xml", 0, check_not_allowed, NULL },
	{ "focus-recording-on.xml", 0, check_focus_recording, NULL },
	{ "recording-failed.xml", 0, check_recording_failed, NULL },
	{ "jibri.xml", 0, check_jibri, NULL },
	{ "transcriber.xml", 0, check_transcriber, NULL },
	{ "legacy-mute.xml", 0, check_legacy_mute, NULL },
	{ "legacy-ns.xml", 0, check_legacy_ns, NULL },
	{ "sourceinfo-broken.xml", 0, check_broken_sourceinfo, NULL },
	{ "identity.xml", 0, check_identity, NULL },
	{ "groupchat.xml", 0, NULL, check_groupchat },
	{ "groupchat-delayed.xml", 0, NULL, check_groupchat_delayed },
	{ "reaction.xml", 0, NULL, check_reaction },
	{ "speakerstats.xml", 0, NULL, check_speakerstats },
	{ "speakerstats-broken.xml", -1, NULL, NULL },
	{ "module-speaker.xml", 0, NULL, check_module_speaker },
	{ "module-connection.xml", 0, NULL, check_module_connection },
	{ "module-client.xml", 0, NULL, check_module_client },
	{ "module-room.xml", 0, NULL, check_module_room },
	{ "module-bad.xml", -1, NULL, NULL },
};

static void
test_fixtures(void **state)
{
	struct presence	 p;
	struct message	 m;
	xmpp_stanza_t	*st;
	size_t		 i;
	int		 rc;

	(void)state;
	for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		if ((st = fixture(fixtures[i].name)) == NULL)
			fail_msg("%s: not well-formed", fixtures[i].name);
		if (strcmp(xmpp_stanza_get_name(st), "presence") == 0) {
			rc = presence_parse(st, NULL, &p, NULL);
			if (rc == 0 && fixtures[i].presence != NULL)
				fixtures[i].presence(&p);
			presence_clear(&p);
		} else {
			rc = message_parse(st, NULL, &m, NULL);
			if (rc == 0 && fixtures[i].message != NULL)
				fixtures[i].message(&m);
			message_clear(&m);
		}
		xmpp_stanza_release(st);
		if (rc != fixtures[i].rc)
			fail_msg("%s: parsed with %d, expected %d",
			    fixtures[i].name, rc, fixtures[i].rc);
	}
}

static void
test_role_field(void **state)
{
	struct presence	 p;
	xmpp_stanza_t	*st;

	(void)state;
	st = fixture("identity.xml");
	assert_int_equal(presence_parse(st, "user/role", &p, NULL), 0);
	assert_string_equal(p.identity_role, "doctor");
	presence_clear(&p);
	assert_int_equal(presence_parse(st, "user/missing", &p, NULL), 0);
	assert_null(p.identity_role);
	presence_clear(&p);
	xmpp_stanza_release(st);
}

static void
test_hostile_and_malformed(void **state)
{
	struct presence	 p;
	const char	*err = NULL;
	xmpp_stanza_t	*st;

	(void)state;
	st = fixture("hostile-nick.xml");
	assert_int_equal(presence_parse(st, NULL, &p, NULL), 0);
	assert_string_equal(p.nick,
	    "x');DROP TABLE teleconference_events;--\ttab");
	assert_string_equal(p.display_name, "<script>\n\"quoted\"");
	/* non-numeric and out-of-range codes are ignored */
	assert_int_equal(p.ncodes, 1);
	assert_int_equal(p.codes[0], 100);
	presence_clear(&p);
	xmpp_stanza_release(st);

	st = fixture("huge-nick.xml");
	assert_non_null(st);
	assert_int_equal(presence_parse(st, NULL, &p, &err), -1);
	assert_string_equal(err, "nick too long");
	xmpp_stanza_release(st);

	assert_null(fixture("truncated.xml"));	/* not well-formed */

	st = fixture("probe.xml");
	assert_int_equal(presence_parse(st, NULL, &p, &err), -1);
	xmpp_stanza_release(st);
	st = fixture("no-resource.xml");
	assert_int_equal(presence_parse(st, NULL, &p, &err), -1);
	assert_non_null(err);
	xmpp_stanza_release(st);
	/* a message is not a presence */
	st = fixture("groupchat.xml");
	assert_int_equal(presence_parse(st, NULL, &p, NULL), -1);
	xmpp_stanza_release(st);
	assert_int_equal(presence_parse(NULL, NULL, &p, NULL), -1);
}

#define U	MEDIA_UNKNOWN

static const struct {
	const char	*json;
	int		 rc, audio, camera, share;
} si_cases[] = {
	{ "{\"e-a0\":{\"muted\":false},\"e-v0\":{\"muted\":true}}",
	    0, 1, 0, U },
	{ "{\"e-a0\":{\"muted\":true},\"e-v0\":{\"muted\":false}}",
	    0, 0, 1, U },
	/* desktop on v0 (no camera track) and on v1: by videoType */
	{ "{\"e-v0\":{\"muted\":false,\"videoType\":\"desktop\"}}",
	    0, U, U, 1 },
	{ "{\"e-v0\":{\"muted\":true},\"e-v1\":{\"muted\":false,"
	    "\"videoType\":\"desktop\"}}", 0, U, 0, 1 },
	/* a stopped share stays as a muted desktop source */
	{ "{\"e-v0\":{\"muted\":false},\"e-v1\":{\"muted\":true,"
	    "\"videoType\":\"desktop\"}}", 0, U, 1, 0 },
	{ "{\"e-a0\":{}}", 0, 0, U, U },	/* no "muted": muted */
	{ "{\"e-a0.en\":{\"muted\":false}}", 0, 1, U, U },	/* translated */
	{ "{\"e-with-dash-a0\":{\"muted\":false}}", 0, 1, U, U },
	/* two sources of a kind: on when either is */
	{ "{\"e-a0\":{\"muted\":true},\"e-a1\":{\"muted\":false}}",
	    0, 1, U, U },
	{ "{\"e-a0\":{\"muted\":false},\"e-a1\":{\"muted\":true}}",
	    0, 1, U, U },
	{ "{\"weird\":{\"muted\":false}}", 0, U, U, U },
	{ "{\"e-a0\":\"muted\"}", 0, U, U, U },
	{ "{\"e-a0\":{\"muted\":\"false\"}}", 0, 0, U, U },	/* not bool */
	{ "{}", 0, U, U, U },	/* a join: nothing announced yet */
	{ "[]", -1, 0, 0, 0 },
	{ "\"x\"", -1, 0, 0, 0 },
	{ "3", -1, 0, 0, 0 },
	{ "{\"e-a0\":{\"muted\":fals", -1, 0, 0, 0 },
	{ "", -1, 0, 0, 0 },
	{ "{\"e-a0\":{\"muted\":false},\"e-a0\":{\"muted\":true}}",
	    -1, 0, 0, 0 },	/* duplicate keys: refused */
	{ "{\"e-a0\":{\"muted\":false,\"x\":{\"y\":[1,2,{\"z\":null}]}}}",
	    0, 1, U, U },
};

#undef U

static void
test_sourceinfo_table(void **state)
{
	struct media_state	 m;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(si_cases) / sizeof(si_cases[0]); i++) {
		memset(&m, 0x55, sizeof(m));
		if (presence_parse_sourceinfo(si_cases[i].json, &m) !=
		    si_cases[i].rc)
			fail_msg("case %zu %s: rc", i, si_cases[i].json);
		if (si_cases[i].rc != 0)
			continue;
		if (m.audio != si_cases[i].audio ||
		    m.camera != si_cases[i].camera ||
		    m.share != si_cases[i].share)
			fail_msg("case %zu %s: expected a%d c%d s%d, got a%d "
			    "c%d s%d", i, si_cases[i].json,
			    si_cases[i].audio, si_cases[i].camera,
			    si_cases[i].share, m.audio, m.camera, m.share);
	}
	assert_int_equal(presence_parse_sourceinfo(NULL, &m), -1);
}

static void
test_chat_text_never_copied(void **state)
{
	struct message	 m;
	xmpp_stanza_t	*st;

	(void)state;
	st = xmpp_stanza_new_from_string(ctx, "<message xmlns='jabber:client' "
	    "from='r@conference.meet.jitsi/n' type='groupchat'>"
	    "<body>SECRET-CHAT-TEXT</body></message>");
	assert_int_equal(message_parse(st, NULL, &m, NULL), 0);
	assert_int_equal(m.kind, MESSAGE_CHAT);
	/* no field of struct message holds the body */
	assert_null(strstr(m.from, "SECRET"));
	assert_null(m.note_ua);
	assert_null(m.note_ip);
	message_clear(&m);
	xmpp_stanza_release(st);

	/* error messages are never counted nor answered */
	st = xmpp_stanza_new_from_string(ctx, "<message xmlns='jabber:client' "
	    "from='r@conference.meet.jitsi/n' type='error'><body>x</body>"
	    "</message>");
	assert_int_equal(message_parse(st, NULL, &m, NULL), 0);
	assert_int_equal(m.kind, MESSAGE_OTHER);
	message_clear(&m);
	xmpp_stanza_release(st);
}

static int
setup(void **state)
{
	(void)state;
	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	return ctx == NULL;
}

static int
teardown(void **state)
{
	(void)state;
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_role_field),
		cmocka_unit_test(test_hostile_and_malformed),
		cmocka_unit_test(test_sourceinfo_table),
		cmocka_unit_test(test_chat_text_never_copied),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
