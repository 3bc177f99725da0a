// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Handlers of the control commands: status, policy.reload, unload. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <bpf/libbpf.h>
#include <openssl/crypto.h>
#include "daemon/daemon.h"

/* ------------------------------------------------------------------ requests */

json_t *reply_status(void)
{
	uint64_t stats[JG_STAT_MAX] = { 0 };
	char err[256], when[48];
	bool enforcing = gate__canary(d.canary, err, sizeof(err)) == 0;
	const char *hooks[64];
	size_t nhooks = gate__hooks(d.gate, hooks, 64);
	json_t *programs = json_array(), *st, *sj;

	struct jg_recheck rc = { 0 };

	for (size_t i = 0; i < nhooks; i++)
		json_array_append_new(programs, json_string(hooks[i]));
	gate__stats(d.gate, stats);
	gate__recheck(d.gate, &rc);
	st = json_pack("{s:b, s:{s:i, s:s, s:s}, s:o, s:{s:s, s:o, s:s, s:b, s:{s:b, s:I, "
			 "s:I, s:I}}, s:{s:i, s:i, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o}",
			 "enforcing", enforcing,
			 "daemon", "pid", (int)getpid(), "version", JG_VERSION, "started",
			 util__rfc3339(d.started_ns, when, sizeof(when)),
			 "policy", policy_summary(),
			 "gate", "pin_dir", d.cfg.pin_dir, "programs", programs, "canary",
			 enforcing ? "denied" : err, "adopted", d.gate->adopted,
			 "recheck", "armed", rc.armed, "held_files", (json_int_t)rc.held,
			 "held_full", (json_int_t)rc.held_full, "unarmed", (json_int_t)rc.unarmed,
			 "grants", "live", (int)d.grants.n, "capacity", (int)d.gate->max_grants,
			 "forged", (json_int_t)d.forged, "corrected", (json_int_t)d.corrected,
			 "restored", (json_int_t)d.restored,
			 "stats", "deny", (json_int_t)stats[JG_STAT_DENY],
			 "allow", (json_int_t)stats[JG_STAT_ALLOW],
			 "audit", (json_int_t)stats[JG_STAT_AUDIT],
			 "events_lost", (json_int_t)stats[JG_STAT_EVENTS_LOST],
			 "too_deep", (json_int_t)stats[JG_STAT_TOO_DEEP],
			 "audit_write_errors", (json_int_t)d.audit.write_errors,
			 "sinks", sink__stats());
	if (!st)
		return NULL;
	/* both rings, and what kept denials and standing rules out of them */
	json_object_set_new(st, "sessions", sessions__status());
	json_object_set_new(st, "audit", audit__state(&d.audit));
	json_object_set_new(st, "ledger", ledger_state());
	if (fleet_enabled())
		json_object_set_new(st, "fleet", fleet_status());
	sj = json_object_get(st, "stats");
	json_object_set_new(sj, "prio_lost", json_integer((json_int_t)stats[JG_STAT_PRIO_LOST]));
	json_object_set_new(sj, "suppressed", json_integer((json_int_t)stats[JG_STAT_SUPPRESSED]));
	json_object_set_new(sj, "tainted", json_integer((json_int_t)stats[JG_STAT_TAINTED]));
	json_object_set_new(sj, "rate_full", json_integer((json_int_t)stats[JG_STAT_RATE_FULL]));
	json_object_set_new(json_object_get(st, "gate"), "rings",
			    json_pack("{s:{s:I, s:I}, s:{s:I, s:I}}",
				      "events", "bytes", (json_int_t)d.gate->ringbuf_bytes,
				      "lost", (json_int_t)stats[JG_STAT_EVENTS_LOST],
				      "priority", "bytes", (json_int_t)d.gate->prio_ringbuf_bytes,
				      "lost", (json_int_t)stats[JG_STAT_PRIO_LOST]));
	json_object_set_new(json_object_get(st, "gate"), "deny_budget",
			    json_pack("{s:I, s:I}", "rate", (json_int_t)d.cfg.deny_rate,
				      "burst", (json_int_t)d.cfg.deny_burst));
	/* how the file gate's identity checks went (docs/design.md, "Identity, not names") */
	json_object_set_new(sj, "disconnected",
			    json_integer((json_int_t)stats[JG_STAT_DISCONNECTED]));
	json_object_set_new(sj, "rebind", json_integer((json_int_t)stats[JG_STAT_REBIND]));
	json_object_set_new(sj, "rebind_full",
			    json_integer((json_int_t)stats[JG_STAT_REBIND_FULL]));
	json_object_set_new(sj, "stale", json_integer((json_int_t)stats[JG_STAT_STALE]));
	/* elevated sessions and the sealed gate */
	json_object_set_new(sj, "session_end",
			    json_integer((json_int_t)stats[JG_STAT_SESSION_END]));
	json_object_set_new(sj, "session_full",
			    json_integer((json_int_t)stats[JG_STAT_SESSION_FULL]));
	json_object_set_new(sj, "session_files_full",
			    json_integer((json_int_t)stats[JG_STAT_SESSION_FILES_FULL]));
	json_object_set_new(sj, "session_unarmed",
			    json_integer((json_int_t)stats[JG_STAT_SESSION_UNARMED]));
	json_object_set_new(sj, "tamper", json_integer((json_int_t)stats[JG_STAT_TAMPER]));
	return st;
}

json_t *do_reload(const struct peer *p, json_t *args)
{
	char err[1024];
	json_t *ev;

	/* root in an elevated session is not an admin, but its try is a tamper attempt */
	if (!p->admin && p->uid != 0)
		return deny_perm(p, "reload the policy");
	if (!seal_may_admin(p, "reloading the policy", &ev))
		return ev;
	if (policy_apply(d.cfg.policy, err, sizeof(err)) == 0)
		return proto__ok(json_pack("{s:o}", "policy", policy_summary()));
	ev = audit__new("policy.reject");
	json_object_set_new(ev, "file", json_string(d.cfg.policy));
	json_object_set_new(ev, "error", json_string(err));
	audit__emit(&d.audit, ev, 0);
	return proto__error("EINVAL", "%s; the running policy stays", err);
}

json_t *do_unload(const struct peer *p, json_t *args)
{
	char err[1024];
	json_t *ev;

	if (p->uid != 0)
		return proto__error("EPERM", "only root may unload the gate");
	if (!seal_may_admin(p, "unloading the gate", &ev))
		return ev;
	ev = audit__new("gate.unload");
	json_object_set_new(ev, "by", peer_json(p));
	audit__emit(&d.audit, ev, 0);
	if (gate__unpin(d.cfg.pin_dir, err, sizeof(err)))
		return proto__error("EIO", "%s", err);
	d.stop = true;
	return proto__ok(json_pack("{s:b}", "unloaded", 1));
}
