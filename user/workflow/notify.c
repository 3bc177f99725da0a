// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "workflow/notify.h"
#include "lib/util.h"

static void fail(struct jg_notify *n, const char *event, const char *cmd, const char *what)
{
	n->failed++;
	if (n->on_error)
		n->on_error(event, cmd, what);
}

static struct jg_notify_child *free_slot(struct jg_notify *n)
{
	for (int i = 0; i < JG_NOTIFY_MAX_RUNNING; i++)
		if (!n->run[i].pid)
			return &n->run[i];
	return NULL;
}

static void spawn(struct jg_notify *n, const struct jg_notify_hook *h, const char *event,
		  const char *text)
{
	struct jg_notify_child *c = free_slot(n);
	int fds[2];
	pid_t pid;

	if (!c) {
		n->skipped++;
		fail(n, event, h->argv[0], "not started: too many hooks are still running");
		return;
	}
	if (pipe2(fds, O_CLOEXEC)) {
		fail(n, event, h->argv[0], strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		fail(n, event, h->argv[0], strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return;
	}
	if (pid == 0) {
		sigset_t none;
		int devnull = open("/dev/null", O_WRONLY);

		/* the daemon blocks its signals for signalfd: a hook must not inherit that */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		dup2(fds[0], STDIN_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		execv(h->argv[0], h->argv);
		_exit(127);
	}
	close(fds[0]);
	/* an event is a few KiB, far below a pipe's 64 KiB: this write does not block; a hook
	 * that exits without reading gets EPIPE here, which is its business */
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	if (writev(fds[1], (struct iovec[]){ { (void *)text, strlen(text) }, { "\n", 1 } }, 2) < 0 &&
	    errno != EPIPE)
		fail(n, event, h->argv[0], "its stdin could not be written");
	close(fds[1]);
	c->pid = pid;
	c->deadline_ns = util__boottime_ns() + h->timeout_s * 1000000000ULL;
	snprintf(c->cmd, sizeof(c->cmd), "%s", h->argv[0]);
	snprintf(c->event, sizeof(c->event), "%s", event);
	n->started++;
}

void notify__event(struct jg_notify *n, const struct jg_policy *p, json_t *ev, uint64_t seq,
		   const char *host)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	unsigned bit = type ? policy__notify_event_bit(type) : 0;
	char when[48], *text = NULL;
	json_t *rec;

	if (!bit || !p)
		return;
	for (size_t i = 0; i < p->nnotify; i++) {
		if (!(p->notify[i].events & bit))
			continue;
		if (!text) {
			rec = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)seq, "time",
					util__rfc3339(util__realtime_ns(), when, sizeof(when)),
					"host", host);
			json_object_update(rec, ev);
			text = json_dumps(rec, JSON_COMPACT);
			json_decref(rec);
			if (!text)
				return;
		}
		spawn(n, &p->notify[i], type, text);
	}
	free(text);
}

void notify__reap(struct jg_notify *n)
{
	uint64_t now = util__boottime_ns();

	for (int i = 0; i < JG_NOTIFY_MAX_RUNNING; i++) {
		struct jg_notify_child *c = &n->run[i];
		char what[96];
		int status;
		pid_t r;

		if (!c->pid)
			continue;
		r = waitpid(c->pid, &status, WNOHANG);
		if (r == 0) {
			if (now >= c->deadline_ns && !kill(-c->pid, SIGKILL)) {
				fail(n, c->event, c->cmd, "killed: it ran past its timeout");
				c->deadline_ns = UINT64_MAX;	/* reported once; reaped next time */
			}
			continue;
		}
		if (r < 0) {
			c->pid = 0;
			continue;
		}
		what[0] = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(what, sizeof(what), "could not be started (exit status 127)");
		else if (WIFEXITED(status) && WEXITSTATUS(status))
			snprintf(what, sizeof(what), "exited with status %d", WEXITSTATUS(status));
		else if (WIFSIGNALED(status) && c->deadline_ns != UINT64_MAX)
			snprintf(what, sizeof(what), "was killed by signal %d", WTERMSIG(status));
		if (what[0])
			fail(n, c->event, c->cmd, what);
		c->pid = 0;
	}
}
