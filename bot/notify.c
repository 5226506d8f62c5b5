/*
 * Running the alert command: see notify.h.
 *
 * The JSON goes through a pipe written at once: it is bounded by
 * NOTIFY_MAX_INPUT, below the 64 KiB a Linux pipe holds, so the write
 * never blocks even if the command never reads.  The child gets its own
 * process group so a timeout kills whatever the shell started too.
 * SIGPIPE is ignored by the daemon, so a command that exits without
 * reading costs an EPIPE, not the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "notify.h"
#include "xmalloc.h"

struct child {
	pid_t		 pid;
	int64_t		 deadline;
	int		 killed;
};

struct notify {
	char		*command;
	int64_t		 timeout_ms;
	struct child	 run[NOTIFY_MAX_RUNNING];
	size_t		 nrun;
	char		*queue[NOTIFY_MAX_QUEUED];
	size_t		 head, nqueue;
	unsigned long	 dropped;
};

/*
 * Set in the child after fork(): glibc keeps malloc usable there, and
 * only setenv/unsetenv, which no other thread calls, take its lock on
 * the environment.
 */
static const char	*child_name, *child_value;

void
notify_child_env(const char *name, const char *value)
{
	child_name = name;
	child_value = value;
}

struct notify *
notify_new(const char *command, int64_t timeout_ms)
{
	struct notify	*n = xcalloc(1, sizeof(*n));

	n->command = xstrdup(command);
	n->timeout_ms = timeout_ms > 0 ? timeout_ms : 1000;
	return n;
}

static int
start(struct notify *n, const char *json, int64_t now)
{
	struct child	*c;
	size_t		 len = strlen(json);
	ssize_t		 w;
	pid_t		 pid;
	int		 fd[2];

	if (pipe2(fd, O_CLOEXEC) == -1) {
		log_warn("alert command: pipe");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("alert command: fork");
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		/* The child: stdin from the pipe, default signals. */
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(fd[0], STDIN_FILENO) == -1)
			_exit(126);
		if (child_name != NULL && (child_value != NULL ?
		    setenv(child_name, child_value, 1) :
		    unsetenv(child_name)) == -1)
			_exit(126);
		execl("/bin/sh", "sh", "-c", n->command, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);	/* both sides: no race with kill() */
	close(fd[0]);
	w = write(fd[1], json, len);
	if (w != (ssize_t)len)
		log_warnx("alert command: wrote %zd of %zu bytes: %s", w, len,
		    w == -1 ? strerror(errno) : "short write");
	close(fd[1]);
	c = &n->run[n->nrun++];
	c->pid = pid;
	c->deadline = now + n->timeout_ms;
	c->killed = 0;
	return 0;
}

static void
reap(struct notify *n, int64_t now)
{
	struct child	*c;
	size_t		 i;
	pid_t		 r;
	int		 status;

	for (i = 0; i < n->nrun; ) {
		c = &n->run[i];
		r = waitpid(c->pid, &status, WNOHANG);
		if (r == 0) {
			if (!c->killed && now >= c->deadline) {
				log_warnx("alert command (pid %ld) still "
				    "running after %lld ms: killed",
				    (long)c->pid, (long long)n->timeout_ms);
				kill(-c->pid, SIGKILL);
				kill(c->pid, SIGKILL);
				c->killed = 1;
			}
			i++;
			continue;
		}
		if (r == -1 && errno == EINTR) {
			i++;
			continue;
		}
		if (r > 0 && !c->killed) {
			if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
				log_warnx("alert command failed: exit status "
				    "%d", WEXITSTATUS(status));
			else if (WIFSIGNALED(status))
				log_warnx("alert command killed by signal %d",
				    WTERMSIG(status));
			else
				log_debug("%s: alert command done", __func__);
		}
		n->run[i] = n->run[--n->nrun];
	}
}

static void
drain(struct notify *n, int64_t now)
{
	char	*json;

	while (n->nqueue > 0 && n->nrun < NOTIFY_MAX_RUNNING) {
		json = n->queue[n->head];
		n->queue[n->head] = NULL;
		n->head = (n->head + 1) % NOTIFY_MAX_QUEUED;
		n->nqueue--;
		if (start(n, json, now) == -1)
			log_warnx("alert command not run: one alert lost");
		free(json);
	}
}

void
notify_send(struct notify *n, const char *json, int64_t now)
{
	size_t	 len;

	if ((len = strlen(json)) > NOTIFY_MAX_INPUT) {
		log_warnx("alert of %zu bytes is too large for the command, "
		    "not sent", len);
		return;
	}
	if (n->nqueue == NOTIFY_MAX_QUEUED) {
		if (n->dropped++ % 100 == 0)
			log_warnx("alert command too slow: %lu alert(s) "
			    "dropped", n->dropped);
		return;
	}
	n->queue[(n->head + n->nqueue) % NOTIFY_MAX_QUEUED] = xstrdup(json);
	n->nqueue++;
	reap(n, now);
	drain(n, now);
}

void
notify_poll(struct notify *n, int64_t now)
{
	reap(n, now);
	drain(n, now);
}

size_t
notify_running(const struct notify *n)
{
	return n->nrun;
}

size_t
notify_queued(const struct notify *n)
{
	return n->nqueue;
}

void
notify_free(struct notify *n, int64_t grace_ms)
{
	struct timespec	 nap = { 0, 20 * 1000 * 1000 };
	int64_t		 until;
	size_t		 i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nqueue; i++)
		free(n->queue[(n->head + i) % NOTIFY_MAX_QUEUED]);
	if (n->nqueue > 0)
		log_warnx("stopping: %zu queued alert(s) not sent to the "
		    "command", n->nqueue);
	n->nqueue = 0;
	until = mono_ms() + grace_ms;
	while (n->nrun > 0 && mono_ms() < until) {
		reap(n, 0);
		if (n->nrun > 0)
			nanosleep(&nap, NULL);
	}
	for (i = 0; i < n->nrun; i++) {
		kill(-n->run[i].pid, SIGKILL);
		kill(n->run[i].pid, SIGKILL);
		waitpid(n->run[i].pid, NULL, 0);
	}
	free(n->command);
	free(n);
}
