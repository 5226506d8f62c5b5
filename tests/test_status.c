/*
 * Unit tests for the status command's pure half (bot/cmd/status_cli.c):
 * fixture status files from tests/fixtures/status/ are parsed and judged
 * at a fixed clock, one table row per file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "status_cli.h"
#include "log.h"

#define FIXTURES	"tests/fixtures/status/"
/* 2026-12-01T10:05:00.500Z, the fixtures' "now" */
#define NOW		1796119500500LL

static char *
fixture(const char *name)
{
	char	 path[256], *buf;
	FILE	*fp;
	size_t	 n;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	buf = malloc(65536);
	assert_non_null(buf);
	n = fread(buf, 1, 65535, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* The status file name, parsed into st: it must parse. */
static void
parse_fixture(const char *name, struct status_info *st)
{
	char	*text = fixture(name), err[256];

	if (status_info_parse(text, st, err, sizeof(err)) != 0)
		fail_msg("%s: %s", name, err);
	free(text);
}

static const struct {
	const char	*file;
	int		 parses;
	int		 health;	/* 0 healthy, 1 unhealthy */
	const char	*why;		/* substring of the reasons */
} cases[] = {
	{ "healthy.json",	1, 0, "" },
	{ "stale.json",		1, 1, "stale: last update 20 s ago" },
	{ "disconnected.json",	1, 1, "XMPP disconnected" },
	{ "dropped.json",	1, 1, "3 event(s) dropped" },
	{ "held-briefly.json",	1, 0, "" },
	{ "held-long.json",	1, 1, "5 event(s) held" },
	{ "old-daemon.json",	1, 0, "" },
	{ "hostile-mode.json",	1, 0, "" },
	{ "by-type.json",	1, 0, "" },	/* what status.c writes */
	{ "torn.json",		0, 1, "" },
	{ "array.json",		0, 1, "" },
};

static void
test_table(void **state)
{
	struct status_info	 st;
	char			*text, err[256], why[512];
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = fixture(cases[i].file);
		rc = status_info_parse(text, &st, err, sizeof(err));
		free(text);
		if (rc != (cases[i].parses ? 0 : -1))
			fail_msg("%s: parse returned %d (%s)", cases[i].file,
			    rc, err);
		if (!cases[i].parses)
			continue;
		rc = status_info_health(&st, NOW, why, sizeof(why));
		if (rc != cases[i].health || strstr(why, cases[i].why) == NULL)
			fail_msg("%s: expected %d \"%s\", got %d \"%s\"",
			    cases[i].file, cases[i].health, cases[i].why, rc,
			    why);
	}
}

static void
test_fields(void **state)
{
	struct status_info	 st;

	(void)state;
	parse_fixture("healthy.json", &st);
	assert_int_equal(st.version, 1);
	assert_int_equal(st.pid, 1234);
	assert_int_equal(st.started, 1796119200000LL);
	assert_int_equal(st.updated, 1796119500123LL);
	assert_int_equal(st.connected, 1);
	assert_int_equal(st.connected_since, 1796119201000LL);
	assert_int_equal(st.disconnected_since, -1);	/* null */
	assert_string_equal(st.mode, "full");
	assert_int_equal(st.rooms_watched, 3);
	assert_int_equal(st.rooms_joined, 2);
	assert_int_equal(st.sessions_open, 2);
	assert_int_equal(st.participants_present, 5);
	assert_int_equal(st.writer_queue, 0);
	assert_int_equal(st.events_held, 0);
	assert_int_equal(st.events_dropped, 0);
	assert_int_equal(st.events_written, 1234);
	assert_int_equal(st.last_commit, 1796119499900LL);
	assert_int_equal(st.alerts_open, 1);

	/* An older daemon: what it did not write stays -1, seconds-only
	 * times parse. */
	parse_fixture("old-daemon.json", &st);
	assert_int_equal(st.updated, 1796119499000LL);
	assert_int_equal(st.pid, -1);
	assert_int_equal(st.last_commit, -1);
	assert_int_equal(st.events_dropped, -1);
	assert_string_equal(st.mode, "unknown");

	/* Only per-type counts (status.c's "events_by_type"): summed. */
	parse_fixture("by-type.json", &st);
	assert_int_equal(st.events_written, 6);
	assert_int_equal(st.started, -1);
	assert_int_equal(st.last_commit, -1);
	assert_string_equal(st.mode, "basic");

	/* A mode we do not know is not echoed. */
	parse_fixture("hostile-mode.json", &st);
	assert_string_equal(st.mode, "unknown");
}

/* Several reasons at once are all given. */
static void
test_every_reason(void **state)
{
	struct status_info	 st;
	char			 why[512];

	(void)state;
	parse_fixture("disconnected.json", &st);
	st.events_dropped = 2;
	assert_int_equal(status_info_health(&st, NOW + 60000, why,
	    sizeof(why)), 1);
	assert_string_equal(why, "stale: last update 60 s ago (daemon hung "
	    "or gone); XMPP disconnected; 2 event(s) dropped");
}

static void
test_print(void **state)
{
	struct status_info	 st;
	char			 out[4096];
	FILE			*fp;
	size_t			 n;

	(void)state;
	parse_fixture("disconnected.json", &st);
	fp = tmpfile();
	assert_non_null(fp);
	status_info_print(fp, &st, NOW);
	rewind(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(out, "teletrack: unhealthy: XMPP "
	    "disconnected\n"));
	assert_non_null(strstr(out, "  connected      no, since "
	    "2026-12-01T10:04:30.000Z (30 s ago)\n"));
	assert_non_null(strstr(out, "  rooms          0 joined of 3 "
	    "watched\n"));
	assert_non_null(strstr(out, "  writer queue   0 (0 held, 0 dropped, "
	    "1234 written)\n"));
	assert_non_null(strstr(out, "  last commit    "
	    "2026-12-01T10:04:59.900Z (0 s ago)\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_every_reason),
		cmocka_unit_test(test_print),
	};

	log_init(0, "test_status");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
