/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Notification hooks: the policy's "notify" commands run on request events with the event's
 * JSON on stdin, so a site can page its approvers. A hook never blocks the daemon: it is
 * started and forgotten, reaped on SIGCHLD, killed after its timeout, and a failure is logged
 * and audited (notify.error), nothing more. */
#ifndef JG_NOTIFY_H
#define JG_NOTIFY_H

#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>
#include "policy/policy.h"

#define JG_NOTIFY_MAX_RUNNING 32

struct jg_notify_child {
	pid_t pid;
	uint64_t deadline_ns;		/* CLOCK_BOOTTIME */
	char cmd[128];
	char event[32];
};

struct jg_notify {
	struct jg_notify_child run[JG_NOTIFY_MAX_RUNNING];
	uint64_t started, failed, skipped;	/* skipped: too many still running */
	/* called for each failure with one sentence (the daemon audits it) */
	void (*on_error)(const char *event, const char *cmd, const char *what);
};

/* Run every hook of p that listens to ev's "type"; ev gets seq/host like the audit line. */
void notify__event(struct jg_notify *n, const struct jg_policy *p, json_t *ev, uint64_t seq,
		   const char *host);
/* Reap finished hooks and kill those past their deadline; call on SIGCHLD and on a timer. */
void notify__reap(struct jg_notify *n);

#endif
