/*
 * Unit tests for notify.c: the alert command gets the JSON on stdin, a
 * command that hangs is killed at its deadline, a burst is bounded, and
 * stopping never waits longer than asked.  Real /bin/sh children; every
 * wait is bounded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clock.h"
#include "log.h"
#include "notify.h"

static char	 dir[64];

/* Poll until nothing runs or is queued, for at most ms. */
static void
settle(struct notify *n, int ms)
{
	struct timespec	 nap = { 0, 10 * 1000 * 1000 };
	int64_t		 end = mono_ms() + ms;

	while ((notify_running(n) > 0 || notify_queued(n) > 0) &&
	    mono_ms() < end) {
		notify_poll(n, mono_ms());
		nanosleep(&nap, NULL);
	}
}

static void
test_json_on_stdin(void **state)
{
	struct notify	*n;
	char		 cmd[512], path[128], buf[256];
	FILE		*fp;
	size_t		 len;

	(void)state;
	snprintf(path, sizeof(path), "%s/out", dir);
	snprintf(cmd, sizeof(cmd), "cat >> '%s'; echo >> '%s'", path, path);
	n = notify_new(cmd, 5000);
	notify_send(n, "{\"rule\":\"no_show\"}", mono_ms());
	notify_send(n, "{\"rule\":\"patient_waiting\"}", mono_ms());
	settle(n, 5000);
	assert_int_equal(notify_running(n), 0);
	fp = fopen(path, "r");
	assert_non_null(fp);
	len = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[len] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "{\"rule\":\"no_show\"}\n"));
	assert_non_null(strstr(buf, "{\"rule\":\"patient_waiting\"}\n"));
	/* In the order raised. */
	assert_true(strstr(buf, "no_show") < strstr(buf, "patient_waiting"));
	notify_free(n, 1000);
}

/* What one run of cmd printed into path. */
static void
run_once(const char *cmd, const char *path, char *buf, size_t bufsz)
{
	struct notify	*n;
	FILE		*fp;
	size_t		 len;

	n = notify_new(cmd, 5000);
	notify_send(n, "{}", mono_ms());
	settle(n, 5000);
	notify_free(n, 1000);
	fp = fopen(path, "r");
	assert_non_null(fp);
	len = fread(buf, 1, bufsz - 1, fp);
	buf[len] = '\0';
	fclose(fp);
}

/*
 * A variable the daemon set for itself (SSL_CERT_FILE = its ca_file)
 * reaches the command as it was before (unset, or its old value): an
 * HTTPS webhook there keeps the system CAs.  The rest of the
 * environment passes as it is.
 */
static void
test_child_env(void **state)
{
	char	 cmd[512], path[128], buf[256];

	(void)state;
	snprintf(path, sizeof(path), "%s/env", dir);
	snprintf(cmd, sizeof(cmd), "cat > /dev/null; echo \"cert="
	    "${SSL_CERT_FILE-unset} keep=${TT_KEEP-unset}\" > '%s'", path);
	assert_int_equal(setenv("SSL_CERT_FILE", "/etc/prosody/ca.crt", 1), 0);
	assert_int_equal(setenv("TT_KEEP", "yes", 1), 0);
	notify_child_env("SSL_CERT_FILE", NULL);
	run_once(cmd, path, buf, sizeof(buf));
	assert_string_equal(buf, "cert=unset keep=yes\n");
	notify_child_env("SSL_CERT_FILE", "/etc/ssl/certs/bundle.crt");
	run_once(cmd, path, buf, sizeof(buf));
	assert_string_equal(buf, "cert=/etc/ssl/certs/bundle.crt keep=yes\n");
	notify_child_env(NULL, NULL);
	run_once(cmd, path, buf, sizeof(buf));
	assert_string_equal(buf, "cert=/etc/prosody/ca.crt keep=yes\n");
	/* The daemon keeps its own. */
	assert_string_equal(getenv("SSL_CERT_FILE"), "/etc/prosody/ca.crt");
	unsetenv("SSL_CERT_FILE");
	unsetenv("TT_KEEP");
}

static void
test_timeout_and_failure(void **state)
{
	struct notify	*n;
	int64_t		 t0 = mono_ms();

	(void)state;
	/* Ignores its input and hangs: killed at the deadline. */
	n = notify_new("sleep 30", 200);
	notify_send(n, "{}", t0);
	assert_int_equal(notify_running(n), 1);
	notify_poll(n, t0 + 100);
	assert_int_equal(notify_running(n), 1);
	notify_poll(n, t0 + 250);	/* kills */
	settle(n, 3000);
	assert_int_equal(notify_running(n), 0);
	assert_true(mono_ms() - t0 < 3000);
	notify_free(n, 0);

	/* Fails: reaped and logged, nothing else. */
	n = notify_new("exit 3", 1000);
	notify_send(n, "{}", mono_ms());
	settle(n, 3000);
	assert_int_equal(notify_running(n), 0);
	notify_free(n, 0);
}

static void
test_bounds(void **state)
{
	struct notify	*n;
	char		*big;
	int		 i;
	int64_t		 t0;

	(void)state;
	n = notify_new("sleep 30", 60000);
	for (i = 0; i < NOTIFY_MAX_RUNNING + NOTIFY_MAX_QUEUED + 10; i++)
		notify_send(n, "{}", mono_ms());
	assert_int_equal(notify_running(n), NOTIFY_MAX_RUNNING);
	assert_int_equal(notify_queued(n), NOTIFY_MAX_QUEUED);
	big = malloc(NOTIFY_MAX_INPUT + 2);
	assert_non_null(big);
	memset(big, 'x', NOTIFY_MAX_INPUT + 1);
	big[NOTIFY_MAX_INPUT + 1] = '\0';
	notify_send(n, big, mono_ms());
	free(big);
	assert_int_equal(notify_queued(n), NOTIFY_MAX_QUEUED);
	/* Stopping: a short grace, then everything is killed and reaped. */
	t0 = mono_ms();
	notify_free(n, 100);
	assert_true(mono_ms() - t0 < 5000);
	notify_free(NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_on_stdin),
		cmocka_unit_test(test_child_env),
		cmocka_unit_test(test_timeout_and_failure),
		cmocka_unit_test(test_bounds),
	};
	char	 cmd[128];
	int	 rc;

	log_init(0, "test_notify");
	snprintf(dir, sizeof(dir), "/tmp/teletrack-notify.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return rc;
}
