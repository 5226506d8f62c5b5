/*
 * Unit tests of config.c: defaults, every key, file:line errors (all of
 * them, in one run), room lists, nick derivation, password sources, and
 * that the password never reaches the log.  stderr is captured into a
 * temp file around each load to check the messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

#include "testtext.h"

#define SECRET	"S3cr3t-XYZ"

static char	 errbuf[16384];

/* Load text into c with stderr captured into errbuf; returns the rc. */
static int
load(const char *text, struct config *c)
{
	FILE	*tmp = tmpfile();
	int	 saved, rc;
	size_t	 n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	config_init(c);
	rc = config_load_string(text, c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(errbuf, 1, sizeof(errbuf) - 1, tmp);
	errbuf[n] = '\0';
	fclose(tmp);
	return rc;
}

#define MIN_OK	"[xmpp]\njid = teletrack@hidden.meet.jitsi\n" \
	"password = " SECRET "\nmuc_domain = conference.meet.jitsi\n" \
	"[rooms]\njoin = a\n"

static void
test_table_sorted(void **state)
{
	(void)state;
	assert_int_equal(config_keys_sorted(), 1);
}

static void
test_defaults_and_derived(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load(MIN_OK, &c), 0);
	assert_string_equal(c.server, "hidden.meet.jitsi");
	assert_string_equal(c.hidden_domain, "hidden.meet.jitsi");
	assert_string_equal(c.nick, "teletrack");
	assert_int_equal(c.port, 5222);
	assert_int_equal(c.tls, TLS_REQUIRED);
	assert_string_equal(c.focus_nick, "focus");
	assert_int_equal(c.leave_grace_s, 10);
	assert_int_equal(c.flush_ms, 100);
	assert_int_equal(c.flush_count, 1000);
	assert_string_equal(c.role_field, "group");
	assert_string_equal(c.ip_mode, "hash");
	assert_string_equal(c.database, "/var/lib/teletrack/teletrack.db");
	assert_int_equal(c.nrooms, 1);
	assert_string_equal(c.rooms[0], "a");
	config_free(&c);
}

/* [log]: level words and yes/no; bad values are file:line errors. */
static void
test_log_section(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load(MIN_OK, &c), 0);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_int_equal(c.log_syslog, 0);
	config_free(&c);
	assert_int_equal(load(MIN_OK "[log]\nlevel = Warning\nsyslog = yes\n",
	    &c), 0);
	assert_int_equal(c.log_level, LOG_WARNING);
	assert_int_equal(c.log_syslog, 1);
	config_free(&c);
	assert_int_equal(load(MIN_OK "[log]\nlevel = debug\nsyslog = off\n",
	    &c), 0);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.log_syslog, 0);
	config_free(&c);
	assert_int_equal(load(MIN_OK "[log]\nlevel = loud\nsyslog = maybe\n",
	    &c), -1);
	assert_has(errbuf, "(string):8: log.level: \"loud\"",
	    "(string):9: log.syslog: \"maybe\"");
	config_free(&c);
}

static void
test_every_key(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load(
	    "[xmpp]\n"
	    "jid = Obs.One@hidden.example.org/ignored\n"
	    "password = " SECRET "\n"
	    "server = 127.0.0.1\nport = 5223\ntls = optional\n"
	    "ca_file = /etc/ca.pem\nmuc_domain = Conference.Example.Org\n"
	    "nick = watcher_1\nhidden_domain = recorder.example.org\n"
	    "focus_nick = jicofo\nreconnect_min_s = 2\nreconnect_max_s = 30\n"
	    "[rooms]\njoin = A, b ,, a,c@conference.example.org, all\n"
	    "leave_grace_s = 0\nretry_min_s = 3\nretry_max_s = 9\n"
	    "[storage]\ndatabase = /tmp/x.db\nflush_ms = 250\n"
	    "flush_count = 10\n"
	    "[tracking]\nrole_field = user/role\nip_mode = store\n"
	    "rollup_interval_s = 7\n", &c), 0);
	assert_string_equal(c.jid, "Obs.One@hidden.example.org");
	assert_string_equal(c.server, "127.0.0.1");
	assert_int_equal(c.port, 5223);
	assert_int_equal(c.tls, TLS_OPTIONAL);
	assert_string_equal(c.ca_file, "/etc/ca.pem");
	assert_string_equal(c.muc_domain, "conference.example.org");
	assert_string_equal(c.nick, "watcher_1");
	assert_string_equal(c.hidden_domain, "recorder.example.org");
	assert_string_equal(c.focus_nick, "jicofo");
	assert_int_equal(c.reconnect_min_s, 2);
	assert_int_equal(c.reconnect_max_s, 30);
	assert_int_equal(c.nrooms, 3);	/* lower-cased, deduplicated */
	assert_string_equal(c.rooms[0], "a");
	assert_string_equal(c.rooms[1], "b");
	assert_string_equal(c.rooms[2], "c");	/* JID reduced to the node */
	assert_int_equal(c.join_all, 1);
	assert_int_equal(c.leave_grace_s, 0);
	assert_int_equal(c.retry_min_s, 3);
	assert_int_equal(c.retry_max_s, 9);
	assert_string_equal(c.database, "/tmp/x.db");
	assert_int_equal(c.flush_ms, 250);
	assert_int_equal(c.flush_count, 10);
	assert_string_equal(c.role_field, "user/role");
	assert_string_equal(c.ip_mode, "store");
	assert_int_equal(c.rollup_interval_s, 7);
	config_free(&c);
}

static void
test_all_errors_with_lines(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load(
	    "[xmpp]\n"				/* 1 */
	    "jid = teletrack@hidden.meet.jitsi\n"	/* 2 */
	    "password = " SECRET "\n"		/* 3 */
	    "muc_domain = conference.meet.jitsi\n"	/* 4 */
	    "port = 99999\n"			/* 5: range */
	    "tls = maybe\n"			/* 6: enum */
	    "colour = blue\n"			/* 7: unknown */
	    "[storage]\n"			/* 8 */
	    "flush_ms = 1000\n"			/* 9: > 250 */
	    "flush_count = 12abc\n"		/* 10: not a number */
	    "[rooms]\n"				/* 11 */
	    "join = ok, bad room, x@elsewhere.org\n"	/* 12 */
	    "[tracking]\nip_mode = all\n"		/* 13, 14 */
	    "[nowhere]\nkey = v\n", &c), -1);	/* 15, 16 */
	assert_has(errbuf, "(string):5: xmpp.port", "(string):6: xmpp.tls",
	    "(string):7: unknown key \"xmpp.colour\"",
	    "(string):9: storage.flush_ms", "(string):10: storage.flush_count",
	    "(string):12: rooms.join: bad room name",
	    "x@elsewhere.org is not on", "(string):14: tracking.ip_mode",
	    "(string):16: unknown key \"nowhere.key\"");
	assert_lacks(errbuf, SECRET);
	config_free(&c);
}

static void
test_required_and_ranges(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load("[xmpp]\npassword = " SECRET "\n", &c), -1);
	assert_has(errbuf, "xmpp.jid is required",
	    "xmpp.muc_domain is required");
	config_free(&c);

	assert_int_equal(load("[xmpp]\njid = nodomain\npassword = p\n"
	    "muc_domain = m\n", &c), -1);
	assert_has(errbuf, "is not node@domain");
	config_free(&c);

	assert_int_equal(load(MIN_OK "[xmpp]\nreconnect_min_s = 9\n"
	    "reconnect_max_s = 3\n", &c), -1);
	assert_has(errbuf, "reconnect_min_s exceeds");
	config_free(&c);

	/* syntax error: a line that is neither section nor key = value */
	assert_int_equal(load(MIN_OK "this line is wrong\n", &c), -1);
	assert_has(errbuf, ":7: syntax error");
	config_free(&c);
}

static void
test_nicks(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load("[xmpp]\njid = tele-track.obs@h.example\n"
	    "password = p\nmuc_domain = m.example\n[rooms]\njoin = r\n", &c), 0);
	assert_string_equal(c.nick, "tele_track_obs");
	config_free(&c);
	assert_int_equal(load("[xmpp]\njid = _x@h.example\npassword = p\n"
	    "muc_domain = m.example\n[rooms]\njoin = r\n", &c), 0);
	assert_string_equal(c.nick, "t_x");
	config_free(&c);
	assert_int_equal(load(MIN_OK "[xmpp]\nnick = bad-nick\n", &c), -1);
	assert_has(errbuf, "must match");
	config_free(&c);
}

static void
test_password_sources(void **state)
{
	struct config	 c;
	char		 path[] = "/tmp/tt-pw-XXXXXX", text[512];
	int		 fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, SECRET "\n", strlen(SECRET) + 1),
	    (ssize_t)strlen(SECRET) + 1);
	close(fd);
	snprintf(text, sizeof(text), "[xmpp]\njid = a@b.c\npassword_file = %s\n"
	    "muc_domain = m.b.c\n[rooms]\njoin = r\n", path);
	assert_int_equal(load(text, &c), 0);
	assert_string_equal(c.password, SECRET);
	config_free(&c);
	unlink(path);
	/* unreadable file: an error naming the file, not the password */
	assert_int_equal(load(text, &c), -1);
	assert_has(errbuf, path);
	config_free(&c);

	setenv("TELETRACK_XMPP_PASSWORD", "from-env", 1);
	assert_int_equal(load("[xmpp]\njid = a@b.c\nmuc_domain = m.b.c\n"
	    "[rooms]\njoin = r\n", &c), 0);
	assert_string_equal(c.password, "from-env");
	config_free(&c);
	unsetenv("TELETRACK_XMPP_PASSWORD");

	assert_int_equal(load("[xmpp]\njid = a@b.c\nmuc_domain = m.b.c\n"
	    "[rooms]\njoin = r\n", &c), -1);
	assert_has(errbuf, "no password");
	config_free(&c);
}

/*
 * [storage] url and its password, schema; [xmpp] shard: a URL holding a
 * password is refused without echoing it; the password comes from
 * password_file or $TELETRACK_DB_PASSWORD and is masked in the dump.
 */
static void
test_postgres_keys(void **state)
{
	struct config	 c;
	char		 path[] = "/tmp/tt-dbpw-XXXXXX", text[1024];
	char		*dump = NULL;
	size_t		 dumplen = 0;
	FILE		*fp;
	int		 fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "db-" SECRET "\n", strlen(SECRET) + 4),
	    (ssize_t)strlen(SECRET) + 4);
	close(fd);
	snprintf(text, sizeof(text), MIN_OK "[xmpp]\nshard = east-1.a\n"
	    "[storage]\nurl = postgresql://tt@db.example.org/clinic"
	    "?sslmode=verify-full\npassword_file = %s\nschema = tele_track\n",
	    path);
	assert_int_equal(load(text, &c), 0);
	assert_string_equal(c.db_url,
	    "postgresql://tt@db.example.org/clinic?sslmode=verify-full");
	assert_string_equal(c.db_password, "db-" SECRET);
	assert_string_equal(c.db_schema, "tele_track");
	assert_string_equal(c.shard, "east-1.a");
	fp = open_memstream(&dump, &dumplen);
	config_dump(&c, fp);
	fclose(fp);
	assert_has(dump, "shard = east-1.a", "url = postgresql://");
	assert_lacks(dump, SECRET);
	free(dump);
	config_free(&c);
	unlink(path);

	setenv("TELETRACK_DB_PASSWORD", "from-env", 1);
	assert_int_equal(load(MIN_OK "[storage]\nurl = postgres://h/d\n", &c),
	    0);
	assert_string_equal(c.db_password, "from-env");
	config_free(&c);
	unsetenv("TELETRACK_DB_PASSWORD");
	assert_int_equal(load(MIN_OK "[storage]\nurl = postgres://h/d\n", &c),
	    0);
	assert_null(c.db_password);	/* libpq's own: PGPASSWORD, .pgpass */
	config_free(&c);

	assert_int_equal(load(MIN_OK "[storage]\nurl = postgresql://u:"
	    SECRET "@h/d\n", &c), -1);
	assert_has(errbuf, "holds a password");
	assert_lacks(errbuf, SECRET);
	config_free(&c);
	assert_int_equal(load(MIN_OK "[storage]\nurl = postgresql://h/d"
	    "?sslmode=require&password=" SECRET "\n", &c), -1);
	assert_lacks(errbuf, SECRET);
	config_free(&c);
	assert_int_equal(load(MIN_OK "[storage]\nurl = mysql://h/d\n", &c),
	    -1);
	assert_has(errbuf, "must start with postgresql://");
	config_free(&c);
	assert_int_equal(load(MIN_OK "[storage]\nurl = postgresql://h/d\n"
	    "schema = 1bad\n[xmpp]\nshard = -x\n", &c), -1);
	assert_has(errbuf, "storage.schema", "xmpp.shard");
	config_free(&c);
	assert_int_equal(load(MIN_OK "[storage]\nschema = s\n", &c), 0);
	assert_has(errbuf, "apply to storage.url only");
	config_free(&c);
}

static void
test_dump_masks_password(void **state)
{
	struct config	 c;
	FILE		*tmp = tmpfile();
	char		 out[4096];
	size_t		 n;

	(void)state;
	assert_int_equal(load(MIN_OK, &c), 0);
	config_dump(&c, tmp);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	assert_has(out, "password = ********", "join = a");
	assert_lacks(out, SECRET);
	config_free(&c);
}

#define HEAD	"[xmpp]\njid = teletrack@hidden.meet.jitsi\n" \
	"password = " SECRET "\nmuc_domain = conference.meet.jitsi\n" \
	"[rooms]\n"

/* A growing text buffer for generated configs. */
struct text {
	char	*s;
	size_t	 len;
	FILE	*fp;
};

static void
text_open(struct text *t, const char *head)
{
	t->s = NULL;
	t->len = 0;
	assert_non_null(t->fp = open_memstream(&t->s, &t->len));
	fputs(head, t->fp);
}

/* Close t and load its text into c: load()'s result; the text is freed. */
static int
text_load(struct text *t, struct config *c)
{
	int	 rc;

	assert_int_equal(fclose(t->fp), 0);
	rc = load(t->s, c);
	free(t->s);
	return rc;
}

/* 50 rooms, ten a line: continuation lines append (issue 10). */
static void
test_join_continuation_lines(void **state)
{
	struct config	 c;
	struct text	 t;
	char		 want[32];
	int		 i;

	(void)state;
	text_open(&t, HEAD "join =\n");
	for (i = 0; i < 50; i++)
		fprintf(t.fp, "%sroom-%02d%s", i % 10 == 0 ? "    " : " ",
		    i, i % 10 == 9 ? ",\n" : ",");
	fputs("leave_grace_s = 3\n", t.fp);
	if (text_load(&t, &c) != 0)
		fail_msg("%s", errbuf);
	assert_int_equal(c.nrooms, 50);
	for (i = 0; i < 50; i++) {
		snprintf(want, sizeof(want), "room-%02d", i);
		assert_string_equal(c.rooms[i], want);
	}
	assert_int_equal(c.leave_grace_s, 3);
	config_free(&c);

	/* a list on the join line itself, then more below it */
	assert_int_equal(load(HEAD "join = a, b\n\tc\n  d, e ; comment\n"
	    "[storage]\nflush_ms = 150\n", &c), 0);
	assert_int_equal(c.nrooms, 5);
	assert_string_equal(c.rooms[2], "c");
	assert_string_equal(c.rooms[4], "e");
	assert_int_equal(c.flush_ms, 150);
	config_free(&c);
}

/* A 5000-byte line: past inih's compiled-in 200 bytes. */
static void
test_long_line(void **state)
{
	struct config	 c;
	struct text	 t;
	char		 want[16];
	long		 start;
	int		 i, n;

	(void)state;
	text_open(&t, HEAD "join = ");
	start = ftell(t.fp);
	for (n = 0; ftell(t.fp) - start < 5000; n++)
		fprintf(t.fp, "%sr%04d", n > 0 ? ", " : "", n);
	fputs("\nretry_min_s = 4\n", t.fp);
	if (text_load(&t, &c) != 0)
		fail_msg("%s", errbuf);
	assert_int_equal(c.nrooms, (size_t)n);
	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "r%04d", i);
		assert_string_equal(c.rooms[i], want);
	}
	assert_int_equal(c.retry_min_s, 4);	/* the next line is intact */
	config_free(&c);
}

/* Beyond 1 MiB a line is an error with its number; the next is read. */
static void
test_too_long_line(void **state)
{
	struct config	 c;
	struct text	 t;
	long		 i;

	(void)state;
	text_open(&t, HEAD "join = ");
	for (i = 0; i < 1100 * 1024; i++)
		fputc('x', t.fp);
	fputs("\nleave_grace_s = 7\n", t.fp);
	assert_int_equal(text_load(&t, &c), -1);
	assert_has(errbuf, "(string):6: line longer than");
	assert_lacks(errbuf, "syntax error");
	assert_int_equal(c.leave_grace_s, 7);
	config_free(&c);
}

static void
test_join_file(void **state)
{
	struct config	 c;
	char		 path[] = "/tmp/tt-rooms-XXXXXX", text[512];
	FILE		*fp;
	int		 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs("# rooms of the clinic\n"
	    "Clinic-1\n"
	    "\n"
	    "  clinic-2   # the second one\n"
	    "a\n"				/* also in join */
	    "clinic-3@conference.meet.jitsi\n"
	    "clinic-1\n", fp);		/* twice */
	fclose(fp);
	snprintf(text, sizeof(text), HEAD "join = a, b\njoin_file = %s\n",
	    path);
	assert_int_equal(load(text, &c), 0);
	assert_int_equal(c.nrooms, 5);
	assert_string_equal(c.rooms[0], "a");
	assert_string_equal(c.rooms[1], "b");
	assert_string_equal(c.rooms[2], "clinic-1");
	assert_string_equal(c.rooms[3], "clinic-2");
	assert_string_equal(c.rooms[4], "clinic-3");
	assert_string_equal(c.join_file, path);
	config_free(&c);

	/* errors name the room file and its line */
	assert_non_null(fp = fopen(path, "w"));
	fputs("good\nbad room\nx, y\nz@elsewhere.org\n", fp);
	fclose(fp);
	assert_int_equal(load(text, &c), -1);
	snprintf(text, sizeof(text), "%s:2: rooms.join: bad room name", path);
	assert_has(errbuf, text);
	snprintf(text, sizeof(text), "%s:3: one room a line", path);
	assert_has(errbuf, text);
	snprintf(text, sizeof(text), "%s:4: rooms.join: z@elsewhere.org is "
	    "not on", path);
	assert_has(errbuf, text);
	config_free(&c);

	unlink(path);
	snprintf(text, sizeof(text), HEAD "join_file = %s\n", path);
	assert_int_equal(load(text, &c), -1);
	assert_has(errbuf, "rooms.join_file");
	config_free(&c);
}

/* A room named twice, by name, by JID or in another case, is one room. */
static void
test_duplicates(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load(HEAD "join = b, a, B\n"
	    "  a@conference.meet.jitsi, c, b\n", &c), 0);
	assert_int_equal(c.nrooms, 3);
	assert_string_equal(c.rooms[0], "b");	/* first listed first */
	assert_string_equal(c.rooms[1], "a");
	assert_string_equal(c.rooms[2], "c");
	config_free(&c);
}

/* What used to lose rooms silently is now an error with its line. */
static void
test_join_mistakes(void **state)
{
	struct config	 c;

	(void)state;
	assert_int_equal(load(HEAD "join = a\n"	/* 6 */
	    "join = b\n"				/* 7 */
	    "[storage]\ndatabase = /tmp/x.db\n"	/* 8, 9 */
	    "   /tmp/y.db\n"			/* 10 */
	    "[rooms]\njoin = c@d@e, r/x\n", &c), -1);	/* 11, 12 */
	assert_has(errbuf,
	    "(string):7: rooms.join: set again (first at line 6)",
	    "(string):10: storage.database: an indented line",
	    "(string):12: rooms.join: set again");
	config_free(&c);

	assert_int_equal(load(HEAD "join = c@d@e, x@conference.meet.jitsi/r\n",
	    &c), -1);
	assert_has(errbuf, "(string):6: rooms.join: bad room JID \"c@d@e\"",
	    "bad room JID \"x@conference.meet.jitsi/r\"");
	config_free(&c);
}

/* config_reload: a good file replaces, a bad one leaves nothing. */
static void
test_reload(void **state)
{
	struct config	 c;
	char		 path[] = "/tmp/tt-conf-XXXXXX";
	FILE		*fp;
	int		 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(fp = fdopen(fd, "w"));
	fputs(HEAD "join = a,\n  b\n", fp);
	fclose(fp);
	assert_int_equal(config_reload(path, &c), 0);
	assert_int_equal(c.nrooms, 2);
	config_free(&c);
	assert_non_null(fp = fopen(path, "a"));
	fputs("bogus = 1\n", fp);
	fclose(fp);
	assert_int_equal(config_reload(path, &c), -1);
	assert_null(c.rooms);
	assert_null(c.jid);
	unlink(path);
}

static void
test_format_strings_are_data(void **state)
{
	struct config	 c;

	(void)state;
	/* % sequences in values and keys must be printed, not interpreted */
	assert_int_equal(load(MIN_OK "[xmpp]\nport = %s%n%s%n\n"
	    "%n%s = 1\n", &c), -1);
	assert_has(errbuf, "\"%s%n%s%n\"");
	config_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sorted),
		cmocka_unit_test(test_defaults_and_derived),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_log_section),
		cmocka_unit_test(test_all_errors_with_lines),
		cmocka_unit_test(test_required_and_ranges),
		cmocka_unit_test(test_nicks),
		cmocka_unit_test(test_password_sources),
		cmocka_unit_test(test_postgres_keys),
		cmocka_unit_test(test_dump_masks_password),
		cmocka_unit_test(test_format_strings_are_data),
		cmocka_unit_test(test_join_continuation_lines),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_too_long_line),
		cmocka_unit_test(test_join_file),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_join_mistakes),
		cmocka_unit_test(test_reload),
	};

	log_init(0, "test_config");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
