// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgated: owns the kernel gate. Loads (or adopts) the pinned BPF LSM programs, keeps the
 * kernel maps equal to the policy and the live grants, streams kernel events into the audit
 * log and answers the CLI on a Unix socket. Runs in the foreground, systemd style. */
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
#include "audit/audit.h"
#include "policy/compile.h"
#include "lib/defaults.h"
#include "lib/duration.h"
#include "gate/gate.h"
#include "workflow/grants.h"
#include "workflow/ledger.h"
#include "workflow/notify.h"
#include "lib/log.h"
#include "policy/policy.h"
#include "gate/preexisting.h"
#include "lib/proto.h"
#include "policy/schedule.h"
#include "audit/sink.h"
#include "workflow/totp.h"
#include "lib/util.h"
#include "workflow/workflow.h"
#include <openssl/crypto.h>

#define MAX_ADMIN_GROUPS 16
/* Control socket limits (config keys of the same names; docs/protocol.md) */
#define MAX_CLIENTS_DEFAULT		64
#define MAX_CLIENTS_PER_UID_DEFAULT	8
#define MAX_CLIENTS_LIMIT		1024
#define CLIENT_READ_TIMEOUT_MS		2000
#define CLIENT_WRITE_TIMEOUT_MS		10000

struct config {
	char policy[256];
	char socket[256];
	char pin_dir[256];
	char audit_log[256];
	char state_dir[256];
	char ledger[300];		/* "" = STATE_DIR/ledger.db */
	char host[256];
	uint32_t ringbuf_bytes;
	uint32_t prio_ringbuf_bytes;
	uint32_t deny_rate;		/* denial events streamed per second and subject; 0: all */
	uint32_t deny_burst;
	uint32_t max_grants;
	uint64_t audit_max_bytes;	/* rotate the audit log past this; 0: never */
	uint32_t audit_keep;		/* rotated audit files kept */
	bool audit_stdout;
	bool stream_allow_events;
	char admin_groups[MAX_ADMIN_GROUPS][JG_NAME_LEN];
	size_t nadmin_groups;
	char auditor_groups[MAX_ADMIN_GROUPS][JG_NAME_LEN];
	size_t nauditor_groups;
	json_t *sinks;			/* "sinks" as given; sink.c parses it */
	uint32_t max_clients;		/* connections open at once (root may use more) */
	uint32_t max_clients_per_uid;
	uint32_t client_read_timeout_ms;	/* the request must be in within this */
	uint32_t client_write_timeout_ms;	/* the reply must be taken within this */
	struct jg_mfa_policy mfa;	/* "mfa_lockout" */
	struct jg_req_limits req;	/* "requests" */
};

struct peer {
	pid_t pid;
	uint32_t uid, gid, loginuid;
	uint32_t subject;		/* loginuid when set, else uid */
	char user[JG_NAME_LEN];		/* name of subject */
	bool admin;
	bool auditor;			/* may read requests and history */
};

struct objpath {
	uint32_t dev;
	uint64_t ino;
	struct jg_object val;		/* resource, kind, mode */
	char *path;
};

static struct daemon {
	struct config cfg;
	struct jg_gate *gate;
	struct jg_audit audit;
	struct jg_grants grants;
	struct jg_policy *policy;
	int64_t policy_loaded_ns;
	char *res_names[JG_MAX_RESOURCES];	/* kernel resource id -> name, stable */
	struct ring_buffer *rb;
	int listen_fd, sig_fd, timer_fd, ep_fd, lock_fd;
	char canary[300];
	struct jg_ledger ledger;
	struct jg_notify notify;
	struct objpath *objpaths;	/* the applied policy's objects by (dev, ino) */
	size_t nobjpaths;
	char boot_id[64];
	int64_t started_ns;
	uint64_t lost_reported;
	uint64_t prio_lost_reported;
	int64_t suppressed_checked_ns;	/* wall time of the last access.suppressed check, 0: none
					 * since start */
	uint64_t suppressed_seen;	/* JG_STAT_SUPPRESSED at that check */
	bool crash_after_commit;	/* JITGATED_FAILPOINT=crash-after-commit (tests only) */
	bool recheck_warned;		/* said once that the re-check could not be detached */
	bool stop;
	struct jg_refusals refusals;	/* request refusals being summarised */
	uint64_t forged, corrected, restored;	/* kernel grant entries the guard fixed */
	int64_t guarded_ns;		/* last pass of grants_guard (boot time) */
} d = { .listen_fd = -1, .sig_fd = -1, .timer_fd = -1, .ep_fd = -1, .lock_fd = -1,
	.suppressed_seen = UINT64_MAX };

/* ------------------------------------------------------------------ config */

static int copy_str(json_t *v, const char *file, const char *key, char *dst, size_t len,
		    char *err, size_t errlen)
{
	if (!json_is_string(v) || !*json_string_value(v) || strlen(json_string_value(v)) >= len) {
		snprintf(err, errlen, "%s: \"%s\" must be a non-empty string shorter than %zu bytes",
			 file, key, len);
		return -EINVAL;
	}
	snprintf(dst, len, "%s", json_string_value(v));
	return 0;
}

static int group_list(json_t *v, const char *file, const char *key,
		      char (*groups)[JG_NAME_LEN], size_t *n, char *err, size_t errlen)
{
	size_t i;
	json_t *g;
	int ret = 0;

	if (!json_is_array(v) || json_array_size(v) > MAX_ADMIN_GROUPS) {
		snprintf(err, errlen, "%s: \"%s\" must be an array of at most %d group names", file,
			 key, MAX_ADMIN_GROUPS);
		return -EINVAL;
	}
	json_array_foreach(v, i, g) {
		ret = copy_str(g, file, key, groups[i], JG_NAME_LEN, err, errlen);
		if (ret)
			return ret;
		*n = i + 1;
	}
	return 0;
}

/* "KEY": a duration ("15m") of at least one second, in ns. */
static int config_duration(json_t *v, const char *file, const char *obj, const char *key,
			   int64_t *ns, char *err, size_t errlen)
{
	char e[128];
	uint64_t secs;

	if (!json_is_string(v) || duration__parse(json_string_value(v), &secs, e, sizeof(e)) ||
	    !secs) {
		snprintf(err, errlen, "%s: \"%s\".\"%s\" must be a duration like \"15m\" (at least "
			 "1s)", file, obj, key);
		return -EINVAL;
	}
	*ns = (int64_t)secs * 1000000000LL;
	return 0;
}

/* "KEY": a whole number in [min, max]. */
static int config_count(json_t *v, const char *file, const char *obj, const char *key,
			json_int_t min, json_int_t max, json_int_t *n, char *err, size_t errlen)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "%s: \"%s\".\"%s\" must be a whole number from %lld to %lld",
			 file, obj, key, (long long)min, (long long)max);
		return -EINVAL;
	}
	*n = json_integer_value(v);
	return 0;
}

/* "mfa_lockout": {"deny", "fail_interval", "unlock_time"} (faillock's names and meaning). */
static int config_mfa(json_t *o, const char *file, struct jg_mfa_policy *m, char *err,
		      size_t errlen)
{
	const char *key;
	json_int_t n;
	json_t *v;
	int ret = 0;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: \"mfa_lockout\" must be an object", file);
		return -EINVAL;
	}
	json_object_foreach(o, key, v) {
		if (!strcmp(key, "deny")) {
			ret = config_count(v, file, "mfa_lockout", key, 0, JG_MFA_DENY_MAX, &n, err,
					   errlen);
			if (!ret)
				m->deny = (unsigned)n;
		} else if (!strcmp(key, "fail_interval")) {
			ret = config_duration(v, file, "mfa_lockout", key, &m->fail_interval_ns, err,
					      errlen);
		} else if (!strcmp(key, "unlock_time")) {
			ret = config_duration(v, file, "mfa_lockout", key, &m->unlock_time_ns, err,
					      errlen);
		} else {
			snprintf(err, errlen, "%s: unknown key \"mfa_lockout\".\"%s\" (deny, "
				 "fail_interval, unlock_time)", file, key);
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* "requests": {"max_pending", "rate", "rate_window", "max_reason_bytes"}. */
static int config_requests(json_t *o, const char *file, struct jg_req_limits *l, char *err,
			   size_t errlen)
{
	const char *key;
	json_int_t n;
	json_t *v;
	int ret = 0;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: \"requests\" must be an object", file);
		return -EINVAL;
	}
	json_object_foreach(o, key, v) {
		if (!strcmp(key, "max_pending")) {
			ret = config_count(v, file, "requests", key, 1, 1000, &n, err, errlen);
			if (!ret)
				l->max_pending = (unsigned)n;
		} else if (!strcmp(key, "rate")) {
			ret = config_count(v, file, "requests", key, 0, 100000, &n, err, errlen);
			if (!ret)
				l->rate = (unsigned)n;
		} else if (!strcmp(key, "rate_window")) {
			ret = config_duration(v, file, "requests", key, &l->rate_window_ns, err,
					      errlen);
		} else if (!strcmp(key, "max_reason_bytes")) {
			ret = config_count(v, file, "requests", key, 1, JG_REASON_LEN - 1, &n, err,
					   errlen);
			if (!ret)
				l->reason_max = (size_t)n;
		} else {
			snprintf(err, errlen, "%s: unknown key \"requests\".\"%s\" (max_pending, "
				 "rate, rate_window, max_reason_bytes)", file, key);
			ret = -EINVAL;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int config_load(struct config *c, const char *file, bool must_exist, char *err,
		       size_t errlen)
{
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	int ret = 0;

	if (access(file, F_OK) && !must_exist)
		return 0;
	root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", file, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: the config must be a JSON object", file);
		json_decref(root);
		return -EINVAL;
	}
	json_object_foreach(root, key, v) {
		if (!strcmp(key, "policy"))
			ret = copy_str(v, file, key, c->policy, sizeof(c->policy), err, errlen);
		else if (!strcmp(key, "socket"))
			ret = copy_str(v, file, key, c->socket, sizeof(c->socket), err, errlen);
		else if (!strcmp(key, "pin_dir"))
			ret = copy_str(v, file, key, c->pin_dir, sizeof(c->pin_dir), err, errlen);
		else if (!strcmp(key, "audit_log"))
			ret = copy_str(v, file, key, c->audit_log, sizeof(c->audit_log), err, errlen);
		else if (!strcmp(key, "state_dir"))
			ret = copy_str(v, file, key, c->state_dir, sizeof(c->state_dir), err, errlen);
		else if (!strcmp(key, "host"))
			ret = copy_str(v, file, key, c->host, sizeof(c->host), err, errlen);
		else if (!strcmp(key, "audit_stdout") || !strcmp(key, "stream_allow_events")) {
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "%s: \"%s\" must be true or false", file, key);
				ret = -EINVAL;
			} else if (!strcmp(key, "audit_stdout")) {
				c->audit_stdout = json_is_true(v);
			} else {
				c->stream_allow_events = json_is_true(v);
			}
		} else if (!strcmp(key, "ringbuf_bytes") || !strcmp(key, "prio_ringbuf_bytes")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

			/* the kernel wants a power of two, at least one page */
			if (n < 4096 || n > (1 << 30) || (n & (n - 1))) {
				snprintf(err, errlen, "%s: \"%s\" must be a power of two "
					 "between 4096 and 1073741824", file, key);
				ret = -EINVAL;
			} else if (!strcmp(key, "ringbuf_bytes")) {
				c->ringbuf_bytes = (uint32_t)n;
			} else {
				c->prio_ringbuf_bytes = (uint32_t)n;
			}
		} else if (!strcmp(key, "deny_rate") || !strcmp(key, "deny_burst")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
			bool burst = !strcmp(key, "deny_burst");

			if (n < (burst ? 1 : 0) || n > 1000000) {
				snprintf(err, errlen, "%s: \"%s\" must be between %d and 1000000%s",
					 file, key, burst ? 1 : 0,
					 burst ? "" : " (0: stream every denial)");
				ret = -EINVAL;
			} else if (burst) {
				c->deny_burst = (uint32_t)n;
			} else {
				c->deny_rate = (uint32_t)n;
			}
		} else if (!strcmp(key, "max_grants")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

			if (n < 1 || n > 1 << 20) {
				snprintf(err, errlen, "%s: \"max_grants\" must be between 1 and 1048576",
					 file);
				ret = -EINVAL;
			} else {
				c->max_grants = (uint32_t)n;
			}
		} else if (!strcmp(key, "admin_groups")) {
			ret = group_list(v, file, key, c->admin_groups, &c->nadmin_groups, err,
					 errlen);
		} else if (!strcmp(key, "auditor_groups")) {
			ret = group_list(v, file, key, c->auditor_groups, &c->nauditor_groups, err,
					 errlen);
		} else if (!strcmp(key, "audit_max_bytes") || !strcmp(key, "audit_keep")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
			bool keep = !strcmp(key, "audit_keep");

			if (n < 0 || (keep && n > 1000)) {
				snprintf(err, errlen, "%s: \"%s\" must be %s", file, key,
					 keep ? "between 0 and 1000" : "0 (never rotate) or more");
				ret = -EINVAL;
			} else if (keep) {
				c->audit_keep = (uint32_t)n;
			} else {
				c->audit_max_bytes = (uint64_t)n;
			}
		} else if (!strcmp(key, "max_clients") || !strcmp(key, "max_clients_per_uid") ||
			   !strcmp(key, "client_read_timeout_ms") ||
			   !strcmp(key, "client_write_timeout_ms")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
			bool count = !strncmp(key, "max_", 4);
			json_int_t lo = count ? 1 : 100, hi = count ? MAX_CLIENTS_LIMIT : 600000;

			if (n < lo || n > hi) {
				snprintf(err, errlen, "%s: \"%s\" must be an integer between %lld and "
					 "%lld", file, key, (long long)lo, (long long)hi);
				ret = -EINVAL;
			} else if (!strcmp(key, "max_clients")) {
				c->max_clients = (uint32_t)n;
			} else if (!strcmp(key, "max_clients_per_uid")) {
				c->max_clients_per_uid = (uint32_t)n;
			} else if (!strcmp(key, "client_read_timeout_ms")) {
				c->client_read_timeout_ms = (uint32_t)n;
			} else {
				c->client_write_timeout_ms = (uint32_t)n;
			}
		} else if (!strcmp(key, "ledger")) {
			ret = copy_str(v, file, key, c->ledger, sizeof(c->ledger), err, errlen);
		} else if (!strcmp(key, "sinks")) {
			json_decref(c->sinks);
			c->sinks = json_incref(v);
		} else if (!strcmp(key, "mfa_lockout")) {
			ret = config_mfa(v, file, &c->mfa, err, errlen);
		} else if (!strcmp(key, "requests")) {
			ret = config_requests(v, file, &c->req, err, errlen);
		} else {
			snprintf(err, errlen, "%s: unknown key \"%s\"", file, key);
			ret = -EINVAL;
		}
		if (ret)
			break;
	}
	json_decref(root);
	return ret;
}

/* ------------------------------------------------------------------ ledger */

static void ledger_warn(const char *what, int ret)
{
	pr_warn("ledger %s: cannot %s: %s (%s)", d.ledger.path, what, strerror(-ret), d.ledger.err);
}

static void save_lost(void)
{
	char v[32];
	int ret;

	snprintf(v, sizeof(v), "%llu", (unsigned long long)d.lost_reported);
	ret = ledger__meta_set(&d.ledger, "lost_reported", v);
	if (!ret) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)d.prio_lost_reported);
		ret = ledger__meta_set(&d.ledger, "prio_lost_reported", v);
	}
	if (ret)
		ledger_warn("save the loss counter", ret);
}

static int load_resource(const char *name, int id, void *ctx)
{
	if (id <= 0 || id >= JG_MAX_RESOURCES || d.res_names[id])
		return -EINVAL;
	d.res_names[id] = strdup(name);
	return d.res_names[id] ? 0 : -ENOMEM;
}

static int load_grant(const struct jg_grant_rec *r, const char *boot_id, void *ctx)
{
	struct jg_grant_rec g = *r;

	if (strcmp(boot_id, d.boot_id)) {
		/* boot-time expiries of another boot mean nothing: rebase on the wall clock */
		int64_t left = g.expires_wall_ns - util__realtime_ns();

		g.expires_boot_ns = left > 0 ? util__boottime_ns() + (uint64_t)left : 0;
		ledger__grant_set_expiry(&d.ledger, g.id, g.expires_wall_ns, g.expires_boot_ns,
					 d.boot_id);
	}
	return grants__add(&d.grants, &g) ? 0 : -ENOMEM;
}

/* The ledger's live grants, resource ids and loss counter into memory. */
static int ledger_load(char *err, size_t errlen)
{
	char saved_boot[64] = "", v[32];
	int ret;

	util__boot_id(d.boot_id, sizeof(d.boot_id));
	ledger__meta_get(&d.ledger, "boot_id", saved_boot, sizeof(saved_boot));
	/* the kernel's loss counter lives as long as the pins (at most this boot) */
	if (!strcmp(saved_boot, d.boot_id) && !ledger__meta_get(&d.ledger, "lost_reported", v,
								 sizeof(v)))
		d.lost_reported = strtoull(v, NULL, 10);
	if (!strcmp(saved_boot, d.boot_id) &&
	    !ledger__meta_get(&d.ledger, "prio_lost_reported", v, sizeof(v)))
		d.prio_lost_reported = strtoull(v, NULL, 10);
	ret = ledger__resources(&d.ledger, load_resource, NULL);
	if (!ret)
		ret = ledger__grants_live(&d.ledger, load_grant, NULL);
	if (!ret)
		ret = ledger__meta_set(&d.ledger, "boot_id", d.boot_id);
	if (ret)
		snprintf(err, errlen, "the ledger %s cannot be read: %s (%s)", d.ledger.path,
			 strerror(-ret), d.ledger.err);
	return ret;
}

/* ------------------------------------------------------------------ control events */

/* A control event goes out: notification hooks (request events) see it with the seq it is
 * about to get, then the audit log and the sinks take it. */
static void emit_now(json_t *ev)
{
	notify__event(&d.notify, d.policy, ev, d.audit.seq + 1, d.cfg.host);
	audit__emit(&d.audit, ev, 0);
}

/* A ledger transaction and the control events that describe it. The events are written to
 * the ledger's outbox in the same transaction and go out after the commit (and after the
 * kernel write, for grants), so a crash at any point leaves them for the next start to emit,
 * never lost; an aborted transaction takes them with it. */
#define TX_MAX_EVENTS 8
static struct {
	bool open;			/* between tx_begin and tx_commit/tx_abort */
	size_t n;
	json_t *ev[TX_MAX_EVENTS];
	uint64_t id[TX_MAX_EVENTS];
} tx;

static int tx_begin(void)
{
	int ret = ledger__begin(&d.ledger);

	tx.open = ret == 0;
	tx.n = 0;
	return ret;
}

static void tx_abort(void)
{
	ledger__rollback(&d.ledger);
	for (size_t i = 0; i < tx.n; i++)
		json_decref(tx.ev[i]);
	tx.n = 0;
	tx.open = false;
}

static int tx_commit(void)
{
	int ret = ledger__commit(&d.ledger);

	if (ret)
		tx_abort();
	tx.open = false;
	/* failpoint for the VM test of exactly this window: committed, not yet emitted */
	if (!ret && tx.n && d.crash_after_commit)
		_exit(137);
	return ret;
}

/* After the commit: emit the events, or drop them when what they announce did not happen
 * after all (the kernel refused a grant); either way they leave the outbox. */
static void tx_end(bool emit)
{
	size_t n = tx.n;

	tx.n = 0;
	for (size_t i = 0; i < n; i++) {
		if (emit)
			emit_now(tx.ev[i]);
		else
			json_decref(tx.ev[i]);
		ledger__outbox_del(&d.ledger, tx.id[i]);
	}
}

/* Every control event: into the open transaction's outbox, else out now. */
static void ctl_emit(json_t *ev)
{
	char *text;

	if (!ev)
		return;
	text = tx.open && tx.n < TX_MAX_EVENTS ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (!text || ledger__outbox_add(&d.ledger, text, &tx.id[tx.n])) {
		free(text);
		emit_now(ev);
		return;
	}
	free(text);
	tx.ev[tx.n++] = ev;
}

/* At start: what a crash left in the outbox was committed but never emitted. */
static int collect_outbox(uint64_t id, const char *event, void *ctx)
{
	json_t *arr = ctx;

	json_array_append_new(arr, json_pack("{s:I, s:s}", "id", (json_int_t)id, "event", event));
	return 0;
}

static void replay_outbox(void)
{
	json_t *arr = json_array(), *row;
	size_t i;

	if (ledger__outbox(&d.ledger, collect_outbox, arr))
		ledger_warn("read the outbox", -EIO);
	json_array_foreach(arr, i, row) {
		json_t *ev = json_loads(json_string_value(json_object_get(row, "event")), 0, NULL);

		if (ev) {
			json_object_set_new(ev, "recovered", json_true());
			audit__emit(&d.audit, ev, 0);
		}
		ledger__outbox_del(&d.ledger, (uint64_t)json_integer_value(json_object_get(row, "id")));
	}
	json_decref(arr);
}

/* ------------------------------------------------------------------ resources */

static int res_id(const char *name)
{
	for (int i = 1; i < JG_MAX_RESOURCES; i++)
		if (d.res_names[i] && !strcmp(d.res_names[i], name))
			return i;
	return -1;
}

/* Ids are stable by name across reloads and restarts, so grants keep their meaning. */
static int assign_ids(const struct jg_policy *p, uint16_t *ids, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->nresources; i++) {
		int id = res_id(p->resources[i].name);

		for (int k = 1; id < 0 && k < JG_MAX_RESOURCES; k++) {
			if (!d.res_names[k]) {
				int ret = ledger__resource_add(&d.ledger, p->resources[i].name, k);

				if (ret) {
					snprintf(err, errlen, "cannot record resource \"%s\" in the "
						 "ledger %s: %s", p->resources[i].name,
						 d.ledger.path, d.ledger.err);
					return ret;
				}
				d.res_names[k] = strdup(p->resources[i].name);
				id = k;
			}
		}
		if (id < 0) {
			snprintf(err, errlen, "%s: more than %d resource names were ever used on this "
				 "host; the kernel has no room for more", p->file,
				 JG_MAX_RESOURCES - 1);
			return -ENOSPC;
		}
		ids[i] = (uint16_t)id;
	}
	return 0;
}

/* ------------------------------------------------------------------ grants in the kernel */

/* Recompute the kernel entry of every (uid, resource) pair that grant r touches. */
static int sync_pairs(const struct jg_grant_rec *r)
{
	uint64_t now = util__boottime_ns();
	int ret = 0;

	for (size_t a = 0; a < r->nallow; a++) {
		struct jg_grant val;
		int id = res_id(r->allow[a].resource);
		int err;

		if (id < 0)
			continue;
		if (grants__kernel_value(&d.grants, r->uid, r->allow[a].resource, now, &val))
			err = gate__set_grant(d.gate, r->uid, (uint16_t)id, &val);
		else
			err = gate__del_grant(d.gate, r->uid, (uint16_t)id);
		if (err && !ret)
			ret = err;
	}
	return ret;
}

static void audit_grant(const char *type, const struct jg_grant_rec *r, json_t *extra)
{
	json_t *ev = audit__new(type);
	char gid[32], when[48];

	json_object_set_new(ev, "grant_id", json_string(grants__format_id(r->id, gid, sizeof(gid))));
	json_object_set_new(ev, "subject", audit__subject(r->uid, (uint32_t)-1));
	json_object_set_new(ev, "allow", grants__allow_json(r));
	json_object_set_new(ev, "reason", json_string(r->reason));
	json_object_set_new(ev, "expires", json_string(util__rfc3339(r->expires_wall_ns, when,
								   sizeof(when))));
	if (extra) {
		json_object_update(ev, extra);
		json_decref(extra);
	}
	ctl_emit(ev);
}

static json_t *peer_json(const struct peer *p)
{
	return json_pack("{s:I, s:o, s:s, s:I}", "uid", (json_int_t)p->uid, "loginuid",
			 p->loginuid == (uint32_t)-1 ? json_null() : json_integer(p->loginuid),
			 "user", p->user, "pid", (json_int_t)p->pid);
}

static void cancel_extensions(uint64_t grant_id);
static void expire_requests(void);
static void announce_approval(const struct jg_request *q, const struct peer *p);

/* End a live grant: the ledger first, then the kernel, then the audit line.
 * kind: "expire", "revoke", "drop", "policy". by NULL = the daemon itself. */
static int grant_end(uint64_t id, const char *kind, const struct peer *by, const char *reason,
		     const char *type, json_t *extra)
{
	const struct jg_grant_rec *g = grants__find(&d.grants, id);
	struct jg_grant_rec r;
	json_t *again;
	int ret;

	if (!g) {
		json_decref(extra);
		return -ENOENT;
	}
	r = *g;
	if (!extra)
		extra = json_object();
	if (by)
		json_object_set_new(extra, "by", peer_json(by));
	if (reason && strcmp(kind, "expire"))
		json_object_set_new(extra, "end_reason", json_string(reason));
	ret = tx_begin();
	if (!ret)
		ret = ledger__grant_end(&d.ledger, id, kind, util__realtime_ns(),
					by ? by->subject : JG_BY_POLICY, by ? by->user : "jitgated",
					reason);
	if (ret) {
		tx_abort();
		ledger_warn("record the end of a grant", ret);	/* the kernel must still lose it */
	}
	again = ret ? NULL : json_deep_copy(extra);
	audit_grant(type, &r, extra);	/* in the transaction when there is one */
	if (!ret && tx_commit()) {
		ledger_warn("record the end of a grant", -EIO);
		audit_grant(type, &r, again);	/* the grant ends all the same: say so */
		again = NULL;
	}
	json_decref(again);
	grants__remove(&d.grants, id, NULL);
	sync_pairs(&r);
	tx_end(true);
	cancel_extensions(id);
	return 0;
}

static void expire_grants(bool late)
{
	uint64_t now = util__boottime_ns();

	for (size_t i = 0; i < d.grants.n;) {
		if (d.grants.v[i].expires_boot_ns > now) {
			i++;
			continue;
		}
		grant_end(d.grants.v[i].id, "expire", NULL, NULL, "grant.expire",
			  late ? json_pack("{s:b}", "noticed_after_restart", 1) : NULL);
	}
}

struct orphan_ctx {
	size_t removed;
};

static int drop_orphan(const struct jg_grant_key *k, const struct jg_grant *v, void *ctx)
{
	struct orphan_ctx *o = ctx;
	struct jg_grant want;
	const char *name = k->resource < JG_MAX_RESOURCES ? d.res_names[k->resource] : NULL;

	if (name && grants__kernel_value(&d.grants, k->subject, name, util__boottime_ns(), &want))
		return 0;
	gate__del_grant(d.gate, k->subject, (uint16_t)k->resource);
	o->removed++;
	return 0;
}

/* After a restart: the kernel holds exactly what the ledger says is live. */
static void reconcile(void)
{
	struct orphan_ctx o = { 0 };

	expire_grants(true);
	for (size_t i = 0; i < d.grants.n; i++) {
		int ret = sync_pairs(&d.grants.v[i]);

		if (ret)
			pr_warn("cannot restore grant g-%llu into the kernel: %s",
				(unsigned long long)d.grants.v[i].id, strerror(-ret));
	}
	gate__for_each_grant(d.gate, drop_orphan, &o);
	if (o.removed) {
		json_t *ev = audit__new("grant.orphan");

		json_object_set_new(ev, "removed", json_integer((json_int_t)o.removed));
		json_object_set_new(ev, "reason", json_string("kernel grant without a record"));
		audit__emit(&d.audit, ev, 0);
	}
}

/* ------------------------------------------------------------------ the grant map's guard */

/* While the daemon runs, the kernel grant map holds what the ledger says and nothing else.
 * Anything that writes the pinned map behind the daemon (bpftool, a bug, root with a
 * grudge) is found within a second (grants_guard from the timer), audited and undone:
 *   grant.forged     an entry no live grant explains: removed
 *   grant.corrected  an entry granting more (a permission, a later expiry) than the ledger:
 *                    written back to the ledger's value
 *   grant.restored   a live grant's entry that is missing or grants less: written again
 * A pass costs a walk of the map (two syscalls an entry): cheap for the few live grants. */
#define GUARD_INTERVAL_NS 1000000000LL
#define GUARD_DETAILED 64		/* forged entries audited one by one per pass; the rest
					 * in one record with their count */

struct guard_ctx {
	uint64_t now;			/* boot time of the pass */
	struct jg_grant_key *seen;	/* entries the ledger explains */
	size_t nseen, cap;
	size_t forged_detailed, forged_more;
};

static int key_cmp(const void *a, const void *b)
{
	const struct jg_grant_key *x = a, *y = b;

	if (x->subject != y->subject)
		return x->subject < y->subject ? -1 : 1;
	return x->resource < y->resource ? -1 : x->resource > y->resource;
}

static json_t *perm_json(int slot, uint64_t expires_boot, uint64_t grant_id, const char *key)
{
	char when[48], gid[32];
	const char *perm = perm__name(1u << slot);
	json_t *o = json_pack("{s:s}", "perm", perm ? perm : "?");

	/* a forger's expiry may be anything: past about 146 years it is no wall time */
	if (expires_boot > (uint64_t)INT64_MAX / 2)
		json_object_set_new(o, key, json_string("never"));
	else
		json_object_set_new(o, key, json_string(util__rfc3339(
			util__boot_to_wall(expires_boot), when, sizeof(when))));
	json_object_set_new(o, "grant_id", grant_id ?
			    json_string(grants__format_id(grant_id, gid, sizeof(gid))) :
			    json_null());
	return o;
}

static void guard_audit(const char *type, const struct jg_grant_key *k, json_t *perms,
			const char *action, int ret)
{
	const char *name = k->resource < JG_MAX_RESOURCES ? d.res_names[k->resource] : NULL;
	json_t *ev = audit__new(type);

	json_object_set_new(ev, "subject", audit__subject(k->subject, (uint32_t)-1));
	json_object_set_new(ev, "resource", name ? json_string(name) : json_null());
	json_object_set_new(ev, "resource_id", json_integer(k->resource));
	json_object_set_new(ev, "perms", perms);
	json_object_set_new(ev, "action", json_string(ret ? "failed" : action));
	if (ret)
		json_object_set_new(ev, "error", json_string(strerror(-ret)));
	ctl_emit(ev);
}

static int guard_entry(const struct jg_grant_key *k, const struct jg_grant *v, void *ctx)
{
	struct guard_ctx *g = ctx;
	const char *name = k->resource < JG_MAX_RESOURCES ? d.res_names[k->resource] : NULL;
	json_t *more = json_array(), *less = json_array();
	struct jg_grant known, want;
	int ret = 0;

	/* known: every grant the ledger holds for the pair, expired in the kernel or not (the
	 * tick ends those); want: what sync_pairs writes now */
	if (!name || !grants__kernel_value(&d.grants, k->subject, name, 0, &known)) {
		json_t *perms = json_array();

		for (int i = 0; i < JG_NPERMS; i++)
			if (v->expires_ns[i])
				json_array_append_new(perms, perm_json(i, v->expires_ns[i],
								       v->grant_id[i], "expires"));
		ret = gate__del_grant(d.gate, k->subject, (uint16_t)k->resource);
		d.forged++;
		if (g->forged_detailed < GUARD_DETAILED) {
			g->forged_detailed++;
			guard_audit("grant.forged", k, perms, "removed", ret);
		} else {
			g->forged_more++;
			json_decref(perms);
		}
		json_decref(more);
		json_decref(less);
		return 0;
	}
	if (g->nseen == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 64;
		struct jg_grant_key *n = realloc(g->seen, cap * sizeof(*n));

		if (!n)
			goto out;	/* unseen: restored (rewritten) below, which is harmless */
		g->seen = n;
		g->cap = cap;
	}
	g->seen[g->nseen++] = *k;
	grants__kernel_value(&d.grants, k->subject, name, g->now, &want);
	/* compare what is live now: a permission that ran out is the same on both sides */
	for (int i = 0; i < JG_NPERMS; i++) {
		uint64_t kv = v->expires_ns[i] > g->now ? v->expires_ns[i] : 0;
		uint64_t wv = want.expires_ns[i] > g->now ? want.expires_ns[i] : 0;

		if (kv > wv || (kv && kv == wv && v->grant_id[i] != want.grant_id[i])) {
			json_t *o = perm_json(i, kv, v->grant_id[i], "kernel_expires");

			json_object_set_new(o, "ledger_grant_id", want.grant_id[i] ?
					    json_integer((json_int_t)want.grant_id[i]) : json_null());
			json_array_append_new(more, o);
		} else if (kv < wv) {
			json_array_append_new(less, perm_json(i, wv, want.grant_id[i], "expires"));
		}
	}
	if (json_array_size(more) || json_array_size(less))
		ret = gate__set_grant(d.gate, k->subject, (uint16_t)k->resource, &want);
	if (json_array_size(more)) {
		d.corrected++;
		guard_audit("grant.corrected", k, json_incref(more), "rewritten", ret);
	}
	if (json_array_size(less)) {
		d.restored++;
		guard_audit("grant.restored", k, json_incref(less), "rewritten", ret);
	}
out:
	json_decref(more);
	json_decref(less);
	return 0;
}

static void grants_guard(void)
{
	struct guard_ctx g = { .now = util__boottime_ns() };
	int64_t mono = (int64_t)g.now;

	if (mono - d.guarded_ns < GUARD_INTERVAL_NS)
		return;
	d.guarded_ns = mono;
	gate__for_each_grant(d.gate, guard_entry, &g);
	if (g.forged_more) {
		json_t *ev = audit__new("grant.forged");

		json_object_set_new(ev, "count", json_integer((json_int_t)g.forged_more));
		json_object_set_new(ev, "summary", json_true());
		json_object_set_new(ev, "action", json_string("removed"));
		ctl_emit(ev);
	}
	if (g.nseen > 1)
		qsort(g.seen, g.nseen, sizeof(*g.seen), key_cmp);
	/* live grants whose entry is gone altogether */
	for (size_t i = 0; i < d.grants.n; i++) {
		const struct jg_grant_rec *r = &d.grants.v[i];

		if (r->expires_boot_ns <= g.now)
			continue;	/* the tick ends it */
		for (size_t a = 0; a < r->nallow; a++) {
			int id = res_id(r->allow[a].resource);
			struct jg_grant_key k = { .subject = r->uid };
			struct jg_grant want;
			json_t *perms;
			int ret;

			if (id < 0)
				continue;
			k.resource = (uint32_t)id;
			if (bsearch(&k, g.seen, g.nseen, sizeof(k), key_cmp) ||
			    !grants__kernel_value(&d.grants, k.subject, r->allow[a].resource, g.now,
						  &want))
				continue;
			perms = json_array();
			for (int p = 0; p < JG_NPERMS; p++)
				if (want.expires_ns[p])
					json_array_append_new(perms, perm_json(p, want.expires_ns[p],
									       want.grant_id[p],
									       "expires"));
			ret = gate__set_grant(d.gate, k.subject, k.resource, &want);
			d.restored++;
			guard_audit("grant.restored", &k, perms, "rewritten", ret);
			if (!ret && g.nseen < g.cap) {
				/* another grant of the pair must not restore it twice */
				g.seen[g.nseen++] = k;
				qsort(g.seen, g.nseen, sizeof(*g.seen), key_cmp);
			}
		}
	}
	free(g.seen);
}

/* The descriptor re-check costs every read and write on the host: off once no read or write
 * grant, no such standing rule and no file opened under one is left (gate__recheck_idle). */
static void recheck_idle(void)
{
	int ret = gate__recheck_idle(d.gate);

	if (ret > 0)
		pr_info("descriptor re-check detached: no read or write grant, standing rule or "
			"held file left");
	else if (ret < 0 && !d.recheck_warned) {
		pr_warn("cannot detach the descriptor re-check: %s; it stays on", strerror(-ret));
		d.recheck_warned = true;
	}
}

/* ------------------------------------------------------------------ object names */

static int objpath_cmp(const void *a, const void *b)
{
	const struct objpath *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static void objpaths_free(struct objpath *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* Remember what the objects of an applied policy are called, for kernel events of hooks that
 * can only name a file below its protected object. */
static void objpaths_set(const struct jg_compiled *c)
{
	struct objpath *v = calloc(c->nobjs ? c->nobjs : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return;		/* events then carry the names below the object only */
	for (size_t i = 0; i < c->nobjs; i++) {
		v[n].path = strdup(c->objs[i].path);
		if (!v[n].path)
			continue;
		v[n].dev = c->objs[i].dev;
		v[n].ino = c->objs[i].ino;
		v[n].val = c->objs[i].val;
		n++;
	}
	qsort(v, n, sizeof(*v), objpath_cmp);
	objpaths_free(d.objpaths, d.nobjpaths);
	d.objpaths = v;
	d.nobjpaths = n;
}

/* The kernel protected a new inode at a protected object's name: it has that object's path
 * now (and keeps it until the next policy load recompiles the objects). */
static void objpaths_rebind(const struct jg_event *e)
{
	struct objpath key = { .dev = e->file.dev, .ino = e->file.prot_ino }, *base, *v;

	if (e->ret || bsearch(&(struct objpath){ .dev = e->file.dev, .ino = e->file.ino },
			      d.objpaths, d.nobjpaths, sizeof(key), objpath_cmp))
		return;
	base = bsearch(&key, d.objpaths, d.nobjpaths, sizeof(key), objpath_cmp);
	if (!base)
		return;
	v = realloc(d.objpaths, (d.nobjpaths + 1) * sizeof(*v));
	if (!v)
		return;
	d.objpaths = v;
	base = bsearch(&key, v, d.nobjpaths, sizeof(key), objpath_cmp);
	v[d.nobjpaths] = (struct objpath){ .dev = e->file.dev, .ino = e->file.ino,
					    .path = strdup(base->path), .val = base->val };
	if (!v[d.nobjpaths].path)
		return;
	d.nobjpaths++;
	qsort(v, d.nobjpaths, sizeof(*v), objpath_cmp);
}

/* The readable path of a kernel event whose hook had no struct path (JG_EVF_PATH_REL). */
static void name_object(const struct jg_event *e, json_t *rec)
{
	struct objpath key = { .dev = e->file.dev, .ino = e->file.prot_ino }, *base;
	char rel[JG_PATH_LEN + 1], full[PATH_MAX];
	json_t *obj = json_object_get(rec, "object");

	if (!obj)
		return;
	memcpy(rel, e->path, JG_PATH_LEN);
	rel[JG_PATH_LEN] = 0;
	base = (e->flags & JG_EVF_PATH_FSROOT) ? NULL :
		bsearch(&key, d.objpaths, d.nobjpaths, sizeof(key), objpath_cmp);
	if (e->flags & JG_EVF_PATH_FSROOT)
		snprintf(full, sizeof(full), "%s", rel[0] ? rel : "/");	/* from the fs root */
	else if (base && !(e->flags & JG_EVF_PATH_CUT))
		snprintf(full, sizeof(full), "%s%s", base->path, rel);
	else
		snprintf(full, sizeof(full), "...%s", rel);	/* outer names unknown */
	json_object_set_new(obj, "path", json_string(full));
}

/* ------------------------------------------------------------------ policy */

static json_t *policy_summary(void)
{
	char when[48];

	return json_pack("{s:s, s:i, s:i, s:s}", "file", d.cfg.policy, "resources",
			 (int)d.policy->nresources, "roles", (int)d.policy->nroles, "loaded",
			 util__rfc3339(d.policy_loaded_ns, when, sizeof(when)));
}

/* ------------------------------------------------------------------ pre-existing opens */

#define PREEXISTING_LISTED 16	/* descriptors named in policy.load; the count has them all */

/* preexisting__scan's question, asked of the applied policy's objects */
static bool files_object(uint32_t kdev, uint64_t ino, uint16_t *resource, void *ctx)
{
	struct objpath key = { .dev = kdev, .ino = ino }, *hit;

	(void)ctx;
	hit = bsearch(&key, d.objpaths, d.nobjpaths, sizeof(key), objpath_cmp);
	if (!hit || hit->val.kind != JG_KIND_FILES || hit->val.resource == JG_CANARY_RESOURCE)
		return false;
	*resource = hit->val.resource;
	return true;
}

/* The gate decides at open: a descriptor opened before it protected the file is never
 * checked again. On a freshly loaded gate, name them, so that whoever holds them can be
 * restarted. NULL when there are none. */
static json_t *preexisting_opens(void)
{
	struct jg_preexisting found[PREEXISTING_LISTED];
	json_t *list;
	size_t n;

	n = preexisting__scan("/proc", getpid(), files_object, NULL, found, PREEXISTING_LISTED);
	if (!n)
		return NULL;
	list = json_array();
	for (size_t i = 0; i < n && i < PREEXISTING_LISTED; i++) {
		const char *res = d.res_names[found[i].resource];

		pr_warn("pid %d (%s) has %s open since before the policy (fd %d): not re-checked "
			"by the gate; restart it", found[i].pid, found[i].comm, found[i].path,
			found[i].fd);
		json_array_append_new(list, json_pack("{s:i, s:s, s:i, s:s, s:s}", "pid",
						      found[i].pid, "comm", found[i].comm, "fd",
						      found[i].fd, "path", found[i].path,
						      "resource", res ? res : "?"));
	}
	return json_pack("{s:I, s:o}", "count", (json_int_t)n, "listed", list);
}

/* Validate, compile and apply a policy; on any error nothing changes. */
static int policy_apply(const char *file, char *err, size_t errlen)
{
	struct jg_compiled *c = NULL;
	struct jg_policy *p = NULL;
	bool first = !d.policy && !d.gate->adopted;	/* the gate's first policy */
	uint16_t *ids = NULL;
	int ret;

	ret = policy__load_file(file, &p, err, errlen);
	if (ret)
		return ret;
	ids = calloc(p->nresources + 1, sizeof(*ids));
	if (!ids) {
		ret = -ENOMEM;
		goto out;
	}
	ret = assign_ids(p, ids, err, errlen);
	if (!ret)
		ret = compile__policy(p, ids, &c, err, errlen);
	if (!ret)
		ret = compile__add_canary(c, d.canary, err, errlen);
	if (!ret)
		ret = gate__apply(d.gate, c, err, errlen);
	if (ret)
		goto out;
	objpaths_set(c);
	policy__free(d.policy);
	d.policy = p;
	p = NULL;
	d.policy_loaded_ns = util__realtime_ns();
	{
		json_t *ev = audit__new("policy.load");

		json_object_set_new(ev, "policy", policy_summary());
		json_object_set_new(ev, "objects", json_integer((json_int_t)c->nobjs - 1));
		json_object_set_new(ev, "net_prefixes", json_integer((json_int_t)c->nnets));
		json_object_set_new(ev, "bind_prefixes", json_integer((json_int_t)c->nbinds));
		json_object_set_new(ev, "standing", json_integer((json_int_t)c->nstanding));
		if (first) {
			json_t *pre = preexisting_opens();	/* d.objpaths: set above */

			if (pre)
				json_object_set_new(ev, "preexisting_opens", pre);
		}
		audit__emit(&d.audit, ev, 0);
	}
	/* Grants on resources the new policy no longer names end now. */
	for (size_t i = 0; i < d.grants.n;) {
		struct jg_grant_rec *r = &d.grants.v[i];
		bool gone = false;

		for (size_t a = 0; a < r->nallow && !gone; a++)
			gone = !policy__resource(d.policy, r->allow[a].resource);
		if (gone) {
			grant_end(r->id, "policy", NULL, "resource removed from policy",
				  "grant.revoke", NULL);
			continue;
		}
		i++;
	}
out:
	compile__free(c);
	policy__free(p);
	free(ids);
	return ret;
}

/* ------------------------------------------------------------------ requests */

static json_t *reply_status(void)
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
	return st;
}

static json_t *deny_perm(const struct peer *p, const char *what)
{
	return proto__error("EPERM", "only an admin may %s (you are %s, uid %u)", what, p->user,
			    p->uid);
}

/* Start a grant: the ledger first (with the request's new state and the audit events, in one
 * transaction), then the kernel, then the events go out. When the kernel refuses (a full
 * map), the events are dropped, the grant is recorded as ended by "error", the request as
 * failed, and grant.error is audited. announce: a request.approve event precedes grant.create.
 * create_extra (stolen): the fields grant.create adds. Fills r->id. */
static int grant_start(struct jg_grant_rec *r, struct jg_request *q, const struct peer *p,
		       bool announce, json_t *create_extra, char *err, size_t errlen)
{
	int64_t now = util__realtime_ns();
	json_t *ev;
	int ret;

	ret = tx_begin();
	if (!ret)
		ret = ledger__grant_insert(&d.ledger, r, d.boot_id);
	if (!ret && q) {
		wf__set_approved(q, r->id, p == NULL, now);
		ret = ledger__request_save(&d.ledger, q);
	}
	if (!ret) {
		if (q && announce)
			announce_approval(q, p);
		audit_grant("grant.create", r, create_extra);
		create_extra = NULL;
		ret = tx_commit();
	} else {
		tx_abort();
	}
	json_decref(create_extra);
	if (ret) {
		snprintf(err, errlen, "cannot record the grant in the ledger %s: %s; nothing was "
			 "granted", d.ledger.path, d.ledger.err);
		return -EIO;
	}
	if (!grants__add(&d.grants, r)) {
		ret = -ENOMEM;
	} else {
		ret = sync_pairs(r);
		if (ret) {
			grants__remove(&d.grants, r->id, NULL);
			sync_pairs(r);
		}
	}
	tx_end(ret == 0);
	if (!ret)
		return 0;
	ledger__grant_end(&d.ledger, r->id, "error", now, JG_BY_POLICY, "jitgated",
			  strerror(-ret));
	if (q) {
		wf__set_failed(q, ret == -ENOSPC ? "the kernel grant map is full" :
			       "the kernel refused the grant", now);
		ledger__request_save(&d.ledger, q);
		if (announce)
			announce_approval(q, p);	/* approved, but the kernel refused */
	}
	ev = audit__new("grant.error");
	json_object_set_new(ev, "subject", audit__subject(r->uid, (uint32_t)-1));
	json_object_set_new(ev, "allow", grants__allow_json(r));
	if (p)
		json_object_set_new(ev, "by", peer_json(p));
	if (q) {
		char id[32];

		json_object_set_new(ev, "request_id", json_string(wf__format_id(q->id, id,
										sizeof(id))));
	}
	json_object_set_new(ev, "error", json_string(strerror(-ret)));
	ctl_emit(ev);
	if (ret == -ENOSPC)
		snprintf(err, errlen, "the kernel grant map is full (%u entries); the grant was "
			 "not created", d.gate->max_grants);
	else
		snprintf(err, errlen, "cannot write the grant into the kernel: %s", strerror(-ret));
	return ret;
}

static json_t *do_grant(const struct peer *p, json_t *args)
{
	const char *user, *dur, *reason;
	struct jg_grant_rec r = { 0 };
	char err[1024];
	json_t *allow, *a, *extra;
	bool bg = false;
	uint64_t secs;
	size_t i;
	int ret;

	if (!p->admin)
		return deny_perm(p, "grant access");
	if (proto__arg_string(args, "user", true, &user, err, sizeof(err)) ||
	    proto__arg_array(args, "allow", true, &allow, err, sizeof(err)) ||
	    proto__arg_string(args, "for", true, &dur, err, sizeof(err)) ||
	    proto__arg_string(args, "reason", true, &reason, err, sizeof(err)) ||
	    (proto__arg_bool(args, "break_glass", &bg, err, sizeof(err)) &&
	     json_object_get(args, "break_glass")))
		return proto__error("EINVAL", "%s", err);
	if (util__resolve_user(user, &r.uid, r.user, sizeof(r.user), err, sizeof(err)))
		return proto__error("ENOENT", "%s", err);
	if (duration__parse(dur, &secs, err, sizeof(err)))
		return proto__error("EINVAL", "--for: %s", err);
	if (!*reason)
		return proto__error("EINVAL", "a grant needs a reason (--reason TEXT)");
	if (wf__check_text(reason, sizeof(r.reason) - 1, "the reason", err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	if (json_array_size(allow) == 0 || json_array_size(allow) > JG_GRANT_MAX_ALLOW)
		return proto__error("EINVAL", "a grant needs between 1 and %d allow entries",
				    JG_GRANT_MAX_ALLOW);
	json_array_foreach(allow, i, a) {
		const struct jg_resource *res;
		const char *name;
		json_t *perms, *pj;
		size_t k;

		if (json_unpack(a, "{s:s, s:o}", "resource", &name, "perms", &perms) ||
		    !json_is_array(perms) || !json_array_size(perms))
			return proto__error("EINVAL", "allow entry %zu must be {\"resource\": NAME, "
					    "\"perms\": [PERM, ...]}", i + 1);
		res = policy__resource(d.policy, name);
		if (!res)
			return proto__error("ENOENT", "the policy has no resource \"%s\"", name);
		snprintf(r.allow[i].resource, sizeof(r.allow[i].resource), "%s", name);
		json_array_foreach(perms, k, pj) {
			unsigned bit = json_is_string(pj) ? perm__from_name(json_string_value(pj)) : 0;

			if (!bit)
				return proto__error("EINVAL", "allow entry %zu: unknown permission",
						    i + 1);
			if (!(bit & perm__valid_for_kinds(res->kinds)))
				return proto__error("EINVAL", "resource \"%s\" has no \"%s\" "
						    "permission", name, perm__name(bit));
			r.allow[i].perms |= bit;
		}
		r.nallow = i + 1;
	}
	snprintf(r.reason, sizeof(r.reason), "%s", reason);
	r.break_glass = bg;
	r.by_uid = p->subject;
	snprintf(r.by_user, sizeof(r.by_user), "%s", p->user);
	r.created_wall_ns = util__realtime_ns();
	r.expires_wall_ns = r.created_wall_ns + (int64_t)secs * 1000000000LL;
	r.expires_boot_ns = util__boottime_ns() + secs * 1000000000ULL;

	extra = json_pack("{s:I, s:b, s:o}", "duration_s", (json_int_t)secs, "break_glass", bg,
			  "by", peer_json(p));
	if (bg)
		json_object_set_new(extra, "severity", json_string("critical"));
	ret = grant_start(&r, NULL, p, false, extra, err, sizeof(err));
	if (ret)
		return proto__error(ret == -ENOSPC ? "ENOSPC" : "EIO", "%s", err);
	return proto__ok(json_pack("{s:o}", "grant", grants__to_json(&r, util__realtime_ns())));
}

static json_t *do_revoke(const struct peer *p, json_t *args)
{
	const char *id_text = NULL, *user = NULL, *reason = "revoked by an admin";
	json_t *revoked = json_array();
	char err[256], gid[32];
	uint32_t uid = 0;
	uint64_t id = 0;

	if (!p->admin) {
		json_decref(revoked);
		return deny_perm(p, "revoke grants");
	}
	proto__arg_string(args, "id", false, &id_text, err, sizeof(err));
	proto__arg_string(args, "user", false, &user, err, sizeof(err));
	proto__arg_string(args, "reason", false, &reason, err, sizeof(err));
	if (!id_text == !user) {
		json_decref(revoked);
		return proto__error("EINVAL", "revoke needs either a grant id or a user");
	}
	if (wf__check_text(reason, JG_REASON_LEN - 1, "the reason", err, sizeof(err))) {
		json_decref(revoked);
		return proto__error("EINVAL", "%s", err);
	}
	if (id_text && grants__parse_id(id_text, &id)) {
		json_decref(revoked);
		return proto__error("EINVAL", "\"%s\" is not a grant id (like g-12)", id_text);
	}
	if (user) {
		char name[JG_NAME_LEN];

		if (util__resolve_user(user, &uid, name, sizeof(name), err, sizeof(err))) {
			json_decref(revoked);
			return proto__error("ENOENT", "%s", err);
		}
	}
	for (size_t i = 0; i < d.grants.n;) {
		uint64_t gid_n = d.grants.v[i].id;

		if (id_text ? gid_n != id : d.grants.v[i].uid != uid) {
			i++;
			continue;
		}
		grant_end(gid_n, "revoke", p, reason, "grant.revoke", NULL);
		json_array_append_new(revoked, json_string(grants__format_id(gid_n, gid, sizeof(gid))));
	}
	if (id_text && !json_array_size(revoked)) {
		json_decref(revoked);
		return proto__error("ENOENT", "no live grant %s", id_text);
	}
	return proto__ok(json_pack("{s:o}", "revoked", revoked));
}

static json_t *do_list(const struct peer *p)
{
	json_t *arr = json_array();
	int64_t now = util__realtime_ns();

	for (size_t i = 0; i < d.grants.n; i++)
		if (p->admin || d.grants.v[i].uid == p->subject)
			json_array_append_new(arr, grants__to_json(&d.grants.v[i], now));
	return proto__ok(json_pack("{s:o}", "grants", arr));
}

static json_t *do_reload(const struct peer *p)
{
	char err[1024];
	json_t *ev;

	if (!p->admin)
		return deny_perm(p, "reload the policy");
	if (policy_apply(d.cfg.policy, err, sizeof(err)) == 0)
		return proto__ok(json_pack("{s:o}", "policy", policy_summary()));
	ev = audit__new("policy.reject");
	json_object_set_new(ev, "file", json_string(d.cfg.policy));
	json_object_set_new(ev, "error", json_string(err));
	audit__emit(&d.audit, ev, 0);
	return proto__error("EINVAL", "%s; the running policy stays", err);
}

static json_t *do_unload(const struct peer *p)
{
	char err[1024];
	json_t *ev;

	if (p->uid != 0)
		return proto__error("EPERM", "only root may unload the gate");
	ev = audit__new("gate.unload");
	json_object_set_new(ev, "by", peer_json(p));
	audit__emit(&d.audit, ev, 0);
	if (gate__unpin(d.cfg.pin_dir, err, sizeof(err)))
		return proto__error("EIO", "%s", err);
	d.stop = true;
	return proto__ok(json_pack("{s:b}", "unloaded", 1));
}

/* ------------------------------------------------------------------ workflow */

static void notify_failed(const char *event, const char *cmd, const char *what)
{
	json_t *ev = audit__new("notify.error");

	pr_warn("notification hook %s (on %s) %s", cmd, event, what);
	json_object_set_new(ev, "event", json_string(event));
	json_object_set_new(ev, "command", json_string(cmd));
	json_object_set_new(ev, "error", json_string(what));
	audit__emit(&d.audit, ev, 0);
}

static bool in_group_cb(uint32_t uid, const char *group, void *ctx)
{
	return util__user_in_group(uid, group);
}

static struct jg_who who_of(const struct peer *p)
{
	return (struct jg_who){ .uid = p->subject, .user = p->user, .in_group = in_group_cb };
}

static json_t *id_json(uint64_t id, bool request)
{
	char buf[32];

	return json_string(request ? wf__format_id(id, buf, sizeof(buf))
				   : grants__format_id(id, buf, sizeof(buf)));
}

static void audit_request(const char *type, const struct jg_request *q, const struct peer *by,
			  json_t *extra)
{
	json_t *ev = audit__new(type), *deciders = json_array();

	json_object_set_new(ev, "request_id", id_json(q->id, true));
	json_object_set_new(ev, "role", json_string(q->role));
	json_object_set_new(ev, "subject", audit__subject(q->uid, (uint32_t)-1));
	json_object_set_new(ev, "reason", json_string(q->reason));
	json_object_set_new(ev, "state", json_string(wf__state_name(q->state)));
	json_object_set_new(ev, "duration_s", json_integer((json_int_t)q->duration_s));
	json_object_set_new(ev, "approvals", json_integer(wf__approvals(q)));
	json_object_set_new(ev, "approvals_needed", json_integer(q->approvals_needed));
	for (size_t i = 0; i < q->ndecisions; i++) {
		const struct jg_decision *dc = &q->decisions[i];

		json_array_append_new(deciders, json_pack("{s:s, s:I, s:s, s:s}", "user", dc->user,
							  "uid", (json_int_t)dc->uid, "decision",
							  dc->approve ? "approve" : "deny", "reason",
							  dc->reason));
	}
	json_object_set_new(ev, "deciders", deciders);
	if (q->grant_id)
		json_object_set_new(ev, "grant_id", id_json(q->grant_id, false));
	if (q->extends)
		json_object_set_new(ev, "extends", id_json(q->extends, false));
	if (*q->note)
		json_object_set_new(ev, "note", json_string(q->note));
	if (by)
		json_object_set_new(ev, "by", peer_json(by));
	if (extra) {
		json_object_update(ev, extra);
		json_decref(extra);
	}
	ctl_emit(ev);
}

/* A request's new state (or a new request: insert) and its audit event, in one transaction. */
static int request_step(struct jg_request *q, bool insert, const char *type,
			const struct peer *by, json_t *extra)
{
	int ret = tx_begin();

	if (!ret)
		ret = insert ? ledger__request_insert(&d.ledger, q)
			     : ledger__request_save(&d.ledger, q);
	if (!ret) {
		audit_request(type, q, by, extra);
		extra = NULL;
		ret = tx_commit();
	} else {
		tx_abort();
	}
	json_decref(extra);
	if (ret)
		ledger_warn("record a request", ret);
	else
		tx_end(true);
	return ret;
}

static json_t *ledger_error(const char *what)
{
	return proto__error("EIO", "cannot %s in the ledger %s: %s", what, d.ledger.path,
			    d.ledger.err);
}

static json_t *wf_error(int ret, const char *err)
{
	const char *code;

	switch (ret) {
	case -EPERM: code = "EPERM"; break;
	case -EALREADY: code = "EALREADY"; break;
	case -ETIMEDOUT: code = "ETIMEDOUT"; break;
	case -EAGAIN: code = "EAGAIN"; break;
	case -ENOENT: code = "ENOENT"; break;
	case -EEXIST: code = "EEXIST"; break;
	case -ENOSPC: code = "ENOSPC"; break;
	case -EDQUOT: code = "EDQUOT"; break;
	case -ENOLCK: code = "ENOLCK"; break;
	case -EIO: code = "EIO"; break;
	default: code = "EINVAL"; break;
	}
	return proto__error(code, "%s", err);
}

/* "in 14m" for a lock's remaining time. */
static char *time_left(int64_t until_ns, int64_t now_ns, char *buf, size_t len)
{
	int64_t s = (until_ns - now_ns + 999999999LL) / 1000000000LL;

	return duration__format(s > 0 ? (uint64_t)s : 1, buf, len);
}

/* A failed code: the tally grows (the ledger keeps it across restarts), mfa.fail says how
 * far it is, and the failure that reaches "deny" locks the user's MFA (mfa.lockout). */
static void mfa_failed(const struct peer *p, const char *role, struct jg_mfa_tally *t,
		       char *err, size_t errlen)
{
	const struct jg_mfa_policy *m = &d.cfg.mfa;
	int64_t now = util__realtime_ns();
	bool locks = totp__tally_fail(t, m, now);
	char win[32], lock[32], until[48], left[32];
	json_t *ev = audit__new("mfa.fail");
	size_t n = strlen(err);

	duration__format((uint64_t)(m->fail_interval_ns / 1000000000LL), win, sizeof(win));
	duration__format((uint64_t)(m->unlock_time_ns / 1000000000LL), lock, sizeof(lock));
	json_object_set_new(ev, "subject", audit__subject(p->subject, p->loginuid));
	json_object_set_new(ev, "role", json_string(role));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "error", json_string(err));
	json_object_set_new(ev, "failures", json_integer(t->nfail));
	json_object_set_new(ev, "deny", json_integer(m->deny));
	/* the tally first: a crash after it loses at most this audit line, never a failure */
	if (ledger__mfa_tally_set(&d.ledger, p->subject, t))
		ledger_warn("record a failed MFA code", -EIO);	/* the audit line still goes */
	ctl_emit(ev);
	if (locks) {
		ev = audit__new("mfa.lockout");
		json_object_set_new(ev, "subject", audit__subject(p->subject, p->loginuid));
		json_object_set_new(ev, "role", json_string(role));
		json_object_set_new(ev, "by", peer_json(p));
		json_object_set_new(ev, "failures", json_integer(t->nfail));
		json_object_set_new(ev, "fail_interval_s",
				    json_integer(m->fail_interval_ns / 1000000000LL));
		json_object_set_new(ev, "until", json_string(util__rfc3339(t->locked_until_ns, until,
									  sizeof(until))));
		ctl_emit(ev);
	}
	if (locks)
		snprintf(err + n, errlen - n, "; that was failure %u within %s: MFA for %s is locked "
			 "until %s (for %s); an admin can lift it with 'jitgate mfa unlock %s'",
			 t->nfail, win, p->user, util__rfc3339(t->locked_until_ns, until,
								 sizeof(until)),
			 time_left(t->locked_until_ns, now, left, sizeof(left)), p->user);
	else if (m->deny)
		snprintf(err + n, errlen - n, " (failure %u of %u within %s; then MFA is locked "
			 "for %s)", t->nfail, m->deny, win, lock);
}

/* A role's MFA: the requester's TOTP code, once. While the user's MFA is locked nothing is
 * checked (-ENOLCK, not audited here: the caller's refusal record counts it); failures are
 * audited (mfa.fail, mfa.lockout) and *audited set. */
static int check_otp(const struct peer *p, const char *role, const char *otp, bool *audited,
		     char *err, size_t errlen)
{
	uint8_t key[JG_TOTP_SECRET_MAX];
	size_t len = sizeof(key);
	struct jg_mfa_tally t;
	int64_t last, step, now = util__realtime_ns();
	char until[48], left[32];
	int ret;

	*audited = false;
	ret = ledger__mfa_get(&d.ledger, p->subject, key, &len, &last);
	if (ret == -ENOENT) {
		snprintf(err, errlen, "role \"%s\" requires MFA and %s has no MFA enrolment; an "
			 "admin runs 'jitgate mfa enroll %s'", role, p->user, p->user);
		return -EPERM;
	}
	if (!ret)
		ret = ledger__mfa_tally_get(&d.ledger, p->subject, &t);
	if (ret) {
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(err, errlen, "cannot read the MFA enrolment: %s", d.ledger.err);
		return -EIO;
	}
	if (totp__tally_locked(&t, now)) {
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(err, errlen, "MFA for %s is locked after %u failed codes until %s (%s from "
			 "now); no code is checked until then, or until an admin runs 'jitgate mfa "
			 "unlock %s'", p->user, t.nfail, util__rfc3339(t.locked_until_ns, until,
								       sizeof(until)),
			 time_left(t.locked_until_ns, now, left, sizeof(left)), p->user);
		return -ENOLCK;
	}
	if (!otp || !*otp) {
		OPENSSL_cleanse(key, sizeof(key));
		snprintf(err, errlen, "role \"%s\" requires an MFA code (--otp CODE)", role);
		return -EINVAL;
	}
	ret = totp__verify(key, len, otp, now / 1000000000LL, last, &step);
	OPENSSL_cleanse(key, sizeof(key));
	if (ret) {
		if (ret == -EALREADY)
			snprintf(err, errlen, "this MFA code was used already; wait for the next one");
		else if (ret == -EACCES)
			snprintf(err, errlen, "wrong MFA code for %s", p->user);
		else
			snprintf(err, errlen, "an MFA code is %d digits", JG_TOTP_DIGITS);
		mfa_failed(p, role, &t, err, errlen);
		*audited = true;
		return ret == -EALREADY ? -EALREADY : t.locked_ns ? -ENOLCK : -EINVAL;
	}
	/* a correct code ends the run of failures */
	ret = tx_begin();
	if (!ret)
		ret = ledger__mfa_used(&d.ledger, p->subject, step);
	if (!ret && (t.nfail || t.locked_ns)) {
		totp__tally_reset(&t);
		ret = ledger__mfa_tally_set(&d.ledger, p->subject, &t);
	}
	if (!ret)
		ret = tx_commit();
	else
		tx_abort();
	if (ret) {
		snprintf(err, errlen, "cannot record the MFA code as used: %s", d.ledger.err);
		return -EIO;
	}
	return 0;
}

/* ------------------------------------------------------------------ refusals */

/* A refusal of a request or extension is audited as request.refused: the first of a quiet
 * user at once, the rest as one summary a minute (wf__refusal_note), so that a user filing
 * junk cannot grow the audit log (or the ledger: nothing refused is stored) without bound. */
static void refusal_summary(const struct jg_refusal *s, void *ctx)
{
	json_t *ev = audit__new("request.refused");
	char first[48], last[48];

	(void)ctx;
	json_object_set_new(ev, "subject", audit__subject(s->uid, (uint32_t)-1));
	json_object_set_new(ev, "count", json_integer((json_int_t)s->count));
	json_object_set_new(ev, "summary", json_true());
	json_object_set_new(ev, "first", json_string(util__rfc3339(s->first_ns, first,
								  sizeof(first))));
	json_object_set_new(ev, "last", json_string(util__rfc3339(s->last_ns, last,
								 sizeof(last))));
	json_object_set_new(ev, "code", json_string(s->code));
	json_object_set_new(ev, "error", json_string(s->error));
	ctl_emit(ev);
}

static json_t *refused(const struct peer *p, const char *command, const char *what,
		       json_t *reply, bool audited)
{
	const char *code = json_string_value(json_object_get(reply, "code"));
	const char *error = json_string_value(json_object_get(reply, "error"));
	json_t *ev;

	if (!json_is_false(json_object_get(reply, "ok")) || audited)
		return reply;
	if (!wf__refusal_note(&d.refusals, p->subject, p->user, code, error,
			      util__realtime_ns()))
		return reply;		/* counted for the next summary */
	ev = audit__new("request.refused");
	json_object_set_new(ev, "subject", audit__subject(p->subject, p->loginuid));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "command", json_string(command));
	if (what)
		json_object_set_new(ev, !strcmp(command, "extend") ? "grant_id" : "role",
				    json_string(what));
	json_object_set_new(ev, "count", json_integer(1));
	json_object_set_new(ev, "code", json_string(code ? code : "EIO"));
	json_object_set_new(ev, "error", json_string(error ? error : ""));
	ctl_emit(ev);
	return reply;
}

static json_t *approvers_json(const struct jg_request *q)
{
	json_t *a = json_array();

	for (size_t i = 0; i < q->ndecisions; i++)
		if (q->decisions[i].approve)
			json_array_append_new(a, json_pack("{s:s, s:I}", "user", q->decisions[i].user,
							   "uid", (json_int_t)q->decisions[i].uid));
	return a;
}

/* The decision comes before what it caused in the audit stream. */
static void announce_approval(const struct jg_request *q, const struct peer *p)
{
	audit_request("request.approve", q, p,
		      p ? NULL : json_pack("{s:s}", "decided_by", "policy"));
}

/* The request is approved (by the last approver p, or by policy when p is NULL): create the
 * grant, or extend the one it extends. The request's new state and the grant are written to
 * the ledger in one transaction before the kernel sees them. *grant_out gets GRANT json. */
static int activate(struct jg_request *q, const struct jg_role *role, const struct peer *p,
		    json_t **grant_out, char *err, size_t errlen)
{
	int64_t now = util__realtime_ns();
	struct jg_grant_rec r = { 0 };
	uint64_t secs;
	json_t *extra;
	int ret;

	*grant_out = NULL;
	if (q->extends) {
		struct jg_grant_rec *g = grants__find(&d.grants, q->extends);
		struct jg_request cap = *q;
		struct jg_grant_rec upd;
		int64_t old_wall, new_wall;
		uint64_t old_boot, allowed;

		if (!g) {
			snprintf(err, errlen, "grant g-%llu has ended; ask anew with 'jitgate "
				 "request %s'", (unsigned long long)q->extends, q->role);
			return -ENOENT;
		}
		cap.duration_s = role->max_duration;	/* no grant lives longer than that from now */
		ret = wf__grant_seconds(&cap, role, now, &allowed, err, errlen);
		if (ret)
			return ret;
		old_wall = g->expires_wall_ns;
		old_boot = g->expires_boot_ns;
		new_wall = old_wall + (int64_t)q->duration_s * 1000000000LL;
		if (new_wall > now + (int64_t)allowed * 1000000000LL)
			new_wall = now + (int64_t)allowed * 1000000000LL;
		if (new_wall < old_wall)
			new_wall = old_wall;
		upd = *g;
		upd.expires_wall_ns = new_wall;
		upd.expires_boot_ns = old_boot + (uint64_t)(new_wall - old_wall);
		{
			char before[48];

			extra = json_pack("{s:o, s:s, s:I, s:o}", "request_id", id_json(q->id, true),
					  "expires_before", util__rfc3339(old_wall, before,
									  sizeof(before)),
					  "added_s", (json_int_t)((new_wall - old_wall) / 1000000000LL),
					  "approvers", approvers_json(q));
		}
		if (!p)
			json_object_set_new(extra, "decided_by", json_string("policy"));
		ret = tx_begin();
		if (!ret)
			ret = ledger__grant_set_expiry(&d.ledger, g->id, upd.expires_wall_ns,
						       upd.expires_boot_ns, d.boot_id);
		if (!ret) {
			wf__set_approved(q, g->id, p == NULL, now);
			ret = ledger__request_save(&d.ledger, q);
		}
		if (!ret) {
			announce_approval(q, p);
			audit_grant("grant.extend", &upd, extra);
			extra = NULL;
			ret = tx_commit();
		} else {
			tx_abort();
		}
		json_decref(extra);
		if (ret) {
			snprintf(err, errlen, "cannot record the extension in the ledger %s: %s",
				 d.ledger.path, d.ledger.err);
			return -EIO;
		}
		g->expires_wall_ns = upd.expires_wall_ns;
		g->expires_boot_ns = upd.expires_boot_ns;
		sync_pairs(g);
		tx_end(true);
		*grant_out = grants__to_json(g, util__realtime_ns());
		return 0;
	}
	ret = wf__grant_seconds(q, role, now, &secs, err, errlen);
	if (ret)
		return ret;
	if (!p && role->auto_approve.has_schedule) {
		/* what policy approved within a window ends with that window */
		int64_t until;

		if (schedule__contains(&role->auto_approve.schedule, now / 1000000000LL, &until) &&
		    until - now / 1000000000LL < (int64_t)secs)
			secs = (uint64_t)(until - now / 1000000000LL);
	}
	for (size_t i = 0; i < role->nallow && i < JG_GRANT_MAX_ALLOW; i++) {
		snprintf(r.allow[i].resource, sizeof(r.allow[i].resource), "%s",
			 role->allow[i].resource);
		r.allow[i].perms = role->allow[i].perms;
		r.nallow = i + 1;
	}
	r.uid = q->uid;
	snprintf(r.user, sizeof(r.user), "%s", q->user);
	snprintf(r.reason, sizeof(r.reason), "%s", q->reason);
	r.by_uid = p ? p->subject : JG_BY_POLICY;
	snprintf(r.by_user, sizeof(r.by_user), "%s", p ? p->user : "policy");
	r.request_id = q->id;
	snprintf(r.role, sizeof(r.role), "%s", q->role);
	r.created_wall_ns = now;
	r.expires_wall_ns = now + (int64_t)secs * 1000000000LL;
	r.expires_boot_ns = util__boottime_ns() + secs * 1000000000ULL;
	/* the approvers include this one: wf__approve recorded it */
	extra = json_pack("{s:o, s:s, s:I, s:o, s:b}", "request_id", id_json(q->id, true), "role",
			  q->role, "duration_s", (json_int_t)secs, "approvers", approvers_json(q),
			  "auto_approved", p == NULL);
	if (p)
		json_object_set_new(extra, "by", peer_json(p));
	else
		json_object_set_new(extra, "decided_by", json_string("policy"));
	ret = grant_start(&r, q, p, true, extra, err, errlen);
	if (ret)
		return ret;
	*grant_out = grants__to_json(&r, util__realtime_ns());
	return 0;
}

/* Store a new request (from request or extend), audit it, and let policy approve it when an
 * auto_approve rule covers it. */
static json_t *submit(const struct peer *p, struct jg_request *q, const struct jg_role *role,
		      bool clamped)
{
	struct jg_who who = who_of(p);
	json_t *grant = NULL, *res;
	char err[1024];
	int ret;

	if (request_step(q, true, "request.create", p,
			 clamped ? json_pack("{s:b}", "clamped", 1) : NULL))
		return ledger_error("record the request");
	if (wf__auto_approves(role, &who, util__realtime_ns())) {
		ret = activate(q, role, NULL, &grant, err, sizeof(err));
		if (ret) {
			/* stays pending for a person to decide */
			pr_info("request r-%llu: auto-approval did not grant: %s",
				(unsigned long long)q->id, err);
		}
	}
	res = json_pack("{s:o}", "request", wf__request_json(q, false));
	if (clamped)
		json_object_set_new(res, "clamped", json_true());
	if (grant)
		json_object_set_new(res, "grant", grant);
	return proto__ok(res);
}

static const struct jg_grant_rec *live_grant_of_role(uint32_t uid, const char *role)
{
	for (size_t i = 0; i < d.grants.n; i++)
		if (d.grants.v[i].uid == uid && !strcmp(d.grants.v[i].role, role))
			return &d.grants.v[i];
	return NULL;
}

static int want_duration(json_t *args, uint64_t *secs, char *err, size_t errlen)
{
	const char *text;
	char e[256];

	*secs = 0;
	if (proto__arg_string(args, "for", false, &text, e, sizeof(e)) == -ENOENT)
		return 0;
	if (!json_is_string(json_object_get(args, "for"))) {
		snprintf(err, errlen, "%s", e);
		return -EINVAL;
	}
	if (duration__parse(text, secs, e, sizeof(e))) {
		snprintf(err, errlen, "--for: %s", e);
		return -EINVAL;
	}
	return 0;
}

/* The arguments request and extend share; key names the role ("role") or grant ("id"). */
struct ask {
	const char *what, *reason, *otp;
	uint64_t want;
};

static int ask_args(json_t *args, const char *key, struct ask *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	if (proto__arg_string(args, key, true, &a->what, err, errlen) ||
	    proto__arg_string(args, "reason", false, &a->reason, err, errlen) == -EINVAL ||
	    proto__arg_string(args, "otp", false, &a->otp, err, errlen) == -EINVAL)
		return -EINVAL;
	if (a->reason && wf__check_text(a->reason, d.cfg.req.reason_max, "the reason", err,
					errlen))
		return -EINVAL;
	return want_duration(args, &a->want, err, errlen);
}

/* A new request (q from wf__new) within the user's limits passes the role's MFA, then goes
 * to the ledger. *audited: the refusal was audited already (mfa.fail). */
static json_t *ask_finish(const struct peer *p, struct jg_request *q, const struct jg_role *role,
			  const struct ask *a, bool clamped, bool *audited)
{
	int64_t now = util__realtime_ns(), oldest;
	unsigned pending, recent;
	char err[1024];
	int ret;

	expire_requests();	/* a request past its ttl is no longer pending */
	if (ledger__request_counts(&d.ledger, p->subject, now - d.cfg.req.rate_window_ns,
				   &pending, &recent, &oldest))
		return ledger_error("count the requests");
	ret = wf__limits_check(&d.cfg.req, p->user, pending, recent, oldest, now, err,
			       sizeof(err));
	if (ret)
		return wf_error(ret, err);
	if (role->require_mfa) {
		ret = check_otp(p, role->name, a->otp, audited, err, sizeof(err));
		if (ret)
			return wf_error(ret, err);
		q->mfa = true;
	}
	return submit(p, q, role, clamped);
}

static json_t *request_new(const struct peer *p, json_t *args, bool *audited)
{
	const struct jg_grant_rec *live;
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	struct ask a;
	bool clamped;
	char err[1024];
	uint64_t pending;
	int ret;

	if (ask_args(args, "role", &a, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	role = policy__role(d.policy, a.what);
	if (!role)
		return proto__error("ENOENT", "the policy has no role \"%s\"", a.what);
	ret = wf__new(&q, role, &who, a.reason, a.want, util__realtime_ns(), &clamped, err,
		      sizeof(err));
	if (ret)
		return wf_error(ret, err);
	pending = ledger__pending_of(&d.ledger, p->subject, role->name, 0);
	if (pending)
		return proto__error("EEXIST", "%s has a pending request r-%llu for role \"%s\" "
				    "already; cancel it or wait for a decision", p->user,
				    (unsigned long long)pending, role->name);
	live = live_grant_of_role(p->subject, role->name);
	if (live)
		return proto__error("EEXIST", "%s holds grant g-%llu of role \"%s\" already; "
				    "use 'jitgate extend g-%llu' for more time", p->user,
				    (unsigned long long)live->id, role->name,
				    (unsigned long long)live->id);
	return ask_finish(p, &q, role, &a, clamped, audited);
}

static json_t *do_request(const struct peer *p, json_t *args)
{
	bool audited = false;
	json_t *reply = request_new(p, args, &audited);

	return refused(p, "request", json_string_value(json_object_get(args, "role")), reply,
		       audited);
}

static json_t *extend_new(const struct peer *p, json_t *args, bool *audited)
{
	const struct jg_grant_rec *g;
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	uint64_t id, pending;
	struct ask a;
	bool clamped;
	char err[1024];
	int ret;

	if (ask_args(args, "id", &a, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	if (grants__parse_id(a.what, &id))
		return proto__error("EINVAL", "\"%s\" is not a grant id (like g-12)", a.what);
	g = grants__find(&d.grants, id);
	if (!g)
		return proto__error("ENOENT", "no live grant %s", a.what);
	if (g->uid != p->subject)
		return proto__error("EPERM", "grant %s is %s's; only its holder may extend it",
				    a.what, g->user);
	if (!*g->role)
		return proto__error("EINVAL", "grant %s was given directly by an admin, not through "
				    "a role; ask an admin for more time", a.what);
	role = policy__role(d.policy, g->role);
	if (!role)
		return proto__error("ENOENT", "role \"%s\" of grant %s is no longer in the policy",
				    g->role, a.what);
	pending = ledger__pending_of(&d.ledger, p->subject, g->role, id);
	if (pending)
		return proto__error("EEXIST", "extension r-%llu of grant %s is pending already",
				    (unsigned long long)pending, a.what);
	ret = wf__new(&q, role, &who, a.reason, a.want, util__realtime_ns(), &clamped, err,
		      sizeof(err));
	if (ret)
		return wf_error(ret, err);
	q.extends = id;
	return ask_finish(p, &q, role, &a, clamped, audited);
}

static json_t *do_extend(const struct peer *p, json_t *args)
{
	bool audited = false;
	json_t *reply = extend_new(p, args, &audited);

	return refused(p, "extend", json_string_value(json_object_get(args, "id")), reply,
		       audited);
}

/* Load a request and expire it first when its ttl passed. */
static int load_request(json_t *args, struct jg_request *q, const struct jg_role **role,
			json_t **reply)
{
	const char *id_text;
	char err[256];
	uint64_t id;
	int ret;

	*reply = NULL;
	if (proto__arg_string(args, "id", true, &id_text, err, sizeof(err))) {
		*reply = proto__error("EINVAL", "%s", err);
		return -EINVAL;
	}
	if (wf__parse_id(id_text, &id)) {
		*reply = proto__error("EINVAL", "\"%s\" is not a request id (like r-3)", id_text);
		return -EINVAL;
	}
	ret = ledger__request_get(&d.ledger, id, q);
	if (ret) {
		*reply = ret == -ENOENT ? proto__error("ENOENT", "no request %s", id_text)
					: ledger_error("read the request");
		return ret;
	}
	if (wf__expire(q, util__realtime_ns())) {
		request_step(q, false, "request.expire", NULL, NULL);
	}
	*role = policy__role(d.policy, q->role);
	return 0;
}

/* approve and deny: the request, its role (still in the policy) and the decider's reason. */
static int load_decision(json_t *args, struct jg_request *q, const struct jg_role **role,
			 const char **reason, json_t **reply)
{
	char err[256];

	if (load_request(args, q, role, reply))
		return -EINVAL;
	if (!*role) {
		*reply = proto__error("ENOENT", "role \"%s\" is no longer in the policy", q->role);
		return -ENOENT;
	}
	if (proto__arg_string(args, "reason", false, reason, err, sizeof(err)) == -EINVAL) {
		*reply = proto__error("EINVAL", "%s", err);
		return -EINVAL;
	}
	return 0;
}

static json_t *do_approve(const struct peer *p, json_t *args)
{
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	const char *reason = NULL;
	json_t *reply, *grant = NULL, *res;
	char err[1024];
	int ret;

	if (load_decision(args, &q, &role, &reason, &reply))
		return reply;
	ret = wf__approve(&q, role, &who, reason, util__realtime_ns(), err, sizeof(err));
	if (ret < 0)
		return wf_error(ret, err);
	if (ret == 0) {
		if (request_step(&q, false, "request.approve", p, NULL))
			return ledger_error("record the approval");
	} else {
		ret = activate(&q, role, p, &grant, err, sizeof(err));
		if (ret)
			return wf_error(ret, err);	/* pending still, unless the kernel refused */
	}
	res = json_pack("{s:o}", "request", wf__request_json(&q, false));
	if (grant)
		json_object_set_new(res, "grant", grant);
	return proto__ok(res);
}

static json_t *do_deny(const struct peer *p, json_t *args)
{
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	const char *reason = NULL;
	json_t *reply;
	char err[1024];
	int ret;

	if (load_decision(args, &q, &role, &reason, &reply))
		return reply;
	ret = wf__deny(&q, role, &who, reason, util__realtime_ns(), err, sizeof(err));
	if (ret < 0)
		return wf_error(ret, err);
	if (request_step(&q, false, "request.deny", p, NULL))
		return ledger_error("record the denial");
	return proto__ok(json_pack("{s:o}", "request", wf__request_json(&q, false)));
}

static json_t *do_cancel(const struct peer *p, json_t *args)
{
	const struct jg_role *role;
	struct jg_request q;
	struct jg_who who = who_of(p);
	json_t *reply;
	char err[1024], note[128];
	int ret;

	if (load_request(args, &q, &role, &reply))
		return reply;
	snprintf(note, sizeof(note), "cancelled by %s", p->user);
	ret = wf__cancel(&q, &who, p->admin, note, util__realtime_ns(), err, sizeof(err));
	if (ret < 0)
		return wf_error(ret, err);
	if (request_step(&q, false, "request.cancel", p, NULL))
		return ledger_error("record the cancellation");
	return proto__ok(json_pack("{s:o}", "request", wf__request_json(&q, false)));
}

static json_t *do_drop(const struct peer *p, json_t *args)
{
	const char *id_text;
	const struct jg_grant_rec *g;
	char err[256];
	uint64_t id;

	if (proto__arg_string(args, "id", true, &id_text, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	if (grants__parse_id(id_text, &id))
		return proto__error("EINVAL", "\"%s\" is not a grant id (like g-12)", id_text);
	g = grants__find(&d.grants, id);
	if (!g)
		return proto__error("ENOENT", "no live grant %s", id_text);
	if (g->uid != p->subject && !p->admin)
		return proto__error("EPERM", "grant %s is %s's; only its holder or an admin may "
				    "drop it", id_text, g->user);
	grant_end(id, "drop", p, "given up by its holder", "grant.drop", NULL);
	return proto__ok(json_pack("{s:s}", "dropped", id_text));
}

struct list_ctx {
	const struct peer *p;
	json_t *out;
	int64_t now;
};

static int list_request(const struct jg_request *q, void *ctx)
{
	struct list_ctx *c = ctx;
	const struct jg_role *role = policy__role(d.policy, q->role);
	struct jg_who who = who_of(c->p);
	bool decide = wf__can_decide(q, role, &who, c->now);
	bool approver = role && wf__matches(role->approvers, role->napprovers, &who);

	if (c->p->admin || c->p->auditor || q->uid == c->p->subject || approver)
		json_array_append_new(c->out, wf__request_json(q, decide));
	return 0;
}

static json_t *do_requests(const struct peer *p, json_t *args)
{
	struct list_ctx c = { .p = p, .out = json_array(), .now = util__realtime_ns() };
	bool pending = false;
	char err[256];

	if (proto__arg_bool(args, "pending", &pending, err, sizeof(err)) == -EINVAL) {
		json_decref(c.out);
		return proto__error("EINVAL", "%s", err);
	}
	expire_requests();
	if (ledger__requests(&d.ledger, pending, list_request, &c)) {
		json_decref(c.out);
		return ledger_error("read the requests");
	}
	return proto__ok(json_pack("{s:o}", "requests", c.out));
}

static json_t *do_history(const struct peer *p, json_t *args)
{
	const char *user = NULL, *resource = NULL, *since = NULL;
	char name[JG_NAME_LEN], err[256];
	int64_t since_ns = 0;
	json_t *h;

	if (!p->admin && !p->auditor)
		return proto__error("EPERM", "only an admin or an auditor may read the history (you "
				    "are %s, uid %u)", p->user, p->uid);
	if (proto__arg_string(args, "user", false, &user, err, sizeof(err)) == -EINVAL ||
	    proto__arg_string(args, "resource", false, &resource, err, sizeof(err)) == -EINVAL ||
	    proto__arg_string(args, "since", false, &since, err, sizeof(err)) == -EINVAL)
		return proto__error("EINVAL", "%s", err);
	if (user) {
		uint32_t uid;

		if (util__resolve_user(user, &uid, name, sizeof(name), err, sizeof(err)))
			snprintf(name, sizeof(name), "%s", user);	/* a user since removed */
		user = name;
	}
	if (since) {
		uint64_t ago;
		int64_t t;

		if (!duration__parse(since, &ago, err, sizeof(err)))
			since_ns = util__realtime_ns() - (int64_t)ago * 1000000000LL;
		else if (!timestamp__parse(since, false, &t, err, sizeof(err)))
			since_ns = t * 1000000000LL;
		else
			return proto__error("EINVAL", "--since \"%s\" is neither a duration (7d) nor a "
					    "date (2026-11-01 or RFC 3339)", since);
	}
	h = ledger__history(&d.ledger, user, resource, since_ns);
	if (!h)
		return ledger_error("read the history");
	return proto__ok(json_pack("{s:o}", "grants", h));
}

static json_t *do_mfa_enroll(const struct peer *p, json_t *args)
{
	const char *user, *secret_text = NULL;
	uint8_t key[JG_TOTP_SECRET_MAX];
	char name[JG_NAME_LEN], err[256], uri[512], b32[128];
	uint32_t uid;
	int len;
	json_t *ev, *res;

	if (!p->admin)
		return deny_perm(p, "enrol MFA");
	if (proto__arg_string(args, "user", true, &user, err, sizeof(err)) ||
	    proto__arg_string(args, "secret", false, &secret_text, err, sizeof(err)) == -EINVAL)
		return proto__error("EINVAL", "%s", err);
	if (util__resolve_user(user, &uid, name, sizeof(name), err, sizeof(err)))
		return proto__error("ENOENT", "%s", err);
	if (secret_text) {
		len = totp__base32_decode(secret_text, key, sizeof(key));
		if (len < 10)	/* RFC 4226: at least 128 bits recommended, 80 the floor */
			return proto__error("EINVAL", "--secret must be base32 of 10 to %d bytes",
					    JG_TOTP_SECRET_MAX);
	} else {
		len = JG_TOTP_SECRET_LEN;
		if (totp__new_secret(key, (size_t)len))
			return proto__error("EIO", "no random bytes for a new secret");
	}
	ev = audit__new("mfa.enroll");
	json_object_set_new(ev, "subject", audit__subject(uid, (uint32_t)-1));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "imported", json_boolean(secret_text != NULL));
	if (tx_begin() || ledger__mfa_set(&d.ledger, uid, name, key, (size_t)len,
					  util__realtime_ns(), p->user)) {
		tx_abort();
		json_decref(ev);
		OPENSSL_cleanse(key, sizeof(key));
		return ledger_error("store the MFA secret");
	}
	ctl_emit(ev);
	if (tx_commit()) {
		OPENSSL_cleanse(key, sizeof(key));
		return ledger_error("store the MFA secret");
	}
	tx_end(true);
	totp__uri("jitgate", name, key, (size_t)len, uri, sizeof(uri));
	totp__base32_encode(key, (size_t)len, b32, sizeof(b32));
	OPENSSL_cleanse(key, sizeof(key));
	res = json_pack("{s:s, s:I, s:s, s:s}", "user", name, "uid", (json_int_t)uid, "uri", uri,
			"secret", b32);
	OPENSSL_cleanse(uri, sizeof(uri));
	OPENSSL_cleanse(b32, sizeof(b32));
	return proto__ok(res);
}

/* An admin lifts a user's MFA lock (and clears the failures counted towards one). */
static json_t *do_mfa_unlock(const struct peer *p, json_t *args)
{
	const char *user;
	char name[JG_NAME_LEN], err[256], until[48];
	struct jg_mfa_tally t;
	bool was_locked;
	unsigned failures;
	uint32_t uid;
	json_t *ev;

	if (!p->admin)
		return deny_perm(p, "unlock MFA");
	if (proto__arg_string(args, "user", true, &user, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	if (util__resolve_user(user, &uid, name, sizeof(name), err, sizeof(err)))
		return proto__error("ENOENT", "%s", err);
	if (ledger__mfa_tally_get(&d.ledger, uid, &t))
		return ledger_error("read the MFA lockout");
	was_locked = totp__tally_locked(&t, util__realtime_ns());
	failures = t.nfail;
	ev = audit__new("mfa.unlock");
	json_object_set_new(ev, "subject", audit__subject(uid, (uint32_t)-1));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "was_locked", json_boolean(was_locked));
	json_object_set_new(ev, "failures", json_integer(failures));
	if (was_locked)
		json_object_set_new(ev, "until", json_string(util__rfc3339(t.locked_until_ns, until,
									  sizeof(until))));
	totp__tally_reset(&t);
	if (tx_begin() || ledger__mfa_tally_set(&d.ledger, uid, &t)) {
		tx_abort();
		json_decref(ev);
		return ledger_error("clear the MFA lockout");
	}
	ctl_emit(ev);
	if (tx_commit())
		return ledger_error("clear the MFA lockout");
	tx_end(true);
	return proto__ok(json_pack("{s:s, s:I, s:b, s:i}", "user", name, "uid", (json_int_t)uid,
				   "was_locked", was_locked, "failures", (int)failures));
}

/* Requests undecided past their ttl, and extensions of grants that ended. */
struct due_ctx {
	uint64_t ids[64];
	size_t n;
	int64_t now;
	uint64_t grant;		/* collect extensions of this grant instead */
};

static int collect_due(const struct jg_request *q, void *ctx)
{
	struct due_ctx *c = ctx;

	if (c->n < 64 && (c->grant ? q->extends == c->grant : q->expires_ns <= c->now))
		c->ids[c->n++] = q->id;
	return 0;
}

static void expire_requests(void)
{
	static int64_t last;
	struct due_ctx c = { .now = util__realtime_ns() };

	if (c.now - last < 1000000000LL)	/* once a second is precise enough for a ttl */
		return;
	last = c.now;
	ledger__requests(&d.ledger, true, collect_due, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct jg_request q;

		if (ledger__request_get(&d.ledger, c.ids[i], &q) || !wf__expire(&q, c.now))
			continue;
		request_step(&q, false, "request.expire", NULL, NULL);
	}
}

static void cancel_extensions(uint64_t grant_id)
{
	struct due_ctx c = { .now = util__realtime_ns(), .grant = grant_id };

	ledger__requests(&d.ledger, true, collect_due, &c);
	for (size_t i = 0; i < c.n; i++) {
		struct jg_request q;
		char note[128], err[64];

		snprintf(note, sizeof(note), "grant g-%llu ended", (unsigned long long)grant_id);
		if (ledger__request_get(&d.ledger, c.ids[i], &q) ||
		    wf__cancel(&q, NULL, true, note, c.now, err, sizeof(err)))
			continue;
		request_step(&q, false, "request.cancel", NULL, NULL);
	}
}


/* ------------------------------------------------------------------ clients */

/* The control socket is served without ever waiting on one client. Every connection is
 * non-blocking and has a slot: its input (one newline-terminated request, gathered as it
 * comes), its reply (written as the socket takes it) and a deadline (for the request, then
 * for taking the reply); a client past it is dropped. Requests are handled one at a time,
 * as they complete; only the I/O is spread out, so the ring buffer, expiries and other
 * clients are served while a client is slow or stuck. Connections are capped overall and
 * per uid; root has a reserve of its per-uid cap beyond the overall one, so an admin's
 * revoke gets through when others fill the slots. Every refusal and drop is counted
 * (status: daemon.clients) and reported in a client.drop audit event at most once a minute. */

#define CLIENT_CHUNK		4096
#define ACCEPTS_PER_WAKEUP	64
#define DROP_REPORT_MS		60000
enum { TAG_CLIENT = 16 };	/* epoll tags TAG_CLIENT + slot; below are the loop's own */

struct client {
	int fd;				/* -1: a free slot */
	bool writing;			/* the request was handled; its reply is going out */
	bool want_out;			/* waiting for EPOLLOUT */
	struct peer peer;		/* proven at accept and never looked up again */
	char unproven[200];		/* why the peer's identity is not proven; "" = it is */
	char *in;			/* the request so far; NULL until its first byte */
	size_t inlen, incap;
	char *out;			/* the reply line */
	size_t outlen, outoff;
	int64_t deadline;		/* CLOCK_MONOTONIC ms */
};

struct client_stats {
	uint64_t accepted, served, refused_full, refused_uid, read_timeouts, write_timeouts,
		 bad_requests, unproven, hangups, errors;
};

static struct {
	struct client *v;
	size_t n;			/* slots: max_clients + max_clients_per_uid (root) */
	size_t open;
	int spare_fd;			/* given up to accept and refuse when out of descriptors */
	struct client_stats st, reported;
	int64_t reported_ms;
} srv = { .spare_fd = -1 };

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Who is on the other end, taken from the connection at accept. SO_PEERCRED (uid, gid,
 * pid) was fixed by the kernel at connect. The loginuid must come from the process that
 * connected, but SO_PEERCRED's pid is a number: when that process has exited, the number
 * may belong to anyone (PID reuse). So it is read through a pidfd that must still be live
 * after the read (util__proc_ids), from a process that still runs with the euid and egid
 * the connection was made with. Otherwise the identity is unproven: why says so, and every
 * request on the connection is refused. */
static int peer_of(const struct ucred *cred, struct peer *p, char *why, size_t whylen)
{
	struct util_proc_ids ids;
	char err[160];
	int ret;

	memset(p, 0, sizeof(*p));
	p->pid = cred->pid;
	p->uid = cred->uid;
	p->gid = cred->gid;
	p->loginuid = (uint32_t)-1;
	p->subject = p->uid;
	ret = util__proc_ids(cred->pid, &ids, err, sizeof(err));
	if (!ret && (ids.euid != cred->uid || ids.egid != cred->gid)) {
		snprintf(err, sizeof(err), "process %d runs as uid %u gid %u, not as uid %u gid %u "
			 "that connected", (int)cred->pid, ids.euid, ids.egid, cred->uid, cred->gid);
		ret = -ESRCH;
	}
	if (ret) {
		snprintf(why, whylen, "%s", err);
		util__user_name(p->uid, p->user, sizeof(p->user));
		return ret;
	}
	p->loginuid = ids.loginuid;
	p->subject = p->loginuid != (uint32_t)-1 ? p->loginuid : p->uid;
	util__user_name(p->subject, p->user, sizeof(p->user));
	p->admin = p->uid == 0;
	for (size_t i = 0; i < d.cfg.nadmin_groups && !p->admin; i++)
		p->admin = util__user_in_group(p->uid, d.cfg.admin_groups[i]);
	for (size_t i = 0; i < d.cfg.nauditor_groups && !p->auditor; i++)
		p->auditor = util__user_in_group(p->uid, d.cfg.auditor_groups[i]);
	return 0;
}

static json_t *clients_json(void)
{
	return json_pack("{s:I, s:i, s:i, s:i, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
			 "s:I, s:I}",
			 "open", (json_int_t)srv.open, "max", (int)d.cfg.max_clients,
			 "max_per_uid", (int)d.cfg.max_clients_per_uid,
			 "read_timeout_ms", (int)d.cfg.client_read_timeout_ms,
			 "write_timeout_ms", (int)d.cfg.client_write_timeout_ms,
			 "accepted", (json_int_t)srv.st.accepted,
			 "served", (json_int_t)srv.st.served,
			 "refused_full", (json_int_t)srv.st.refused_full,
			 "refused_uid", (json_int_t)srv.st.refused_uid,
			 "read_timeouts", (json_int_t)srv.st.read_timeouts,
			 "write_timeouts", (json_int_t)srv.st.write_timeouts,
			 "bad_requests", (json_int_t)srv.st.bad_requests,
			 "unproven", (json_int_t)srv.st.unproven,
			 "hangups", (json_int_t)srv.st.hangups,
			 "errors", (json_int_t)srv.st.errors);
}

/* One try to send a short error line on a fresh or dying socket; it is closed after. */
static void send_error_line(int fd, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void send_error_line(int fd, const char *code, const char *fmt, ...)
{
	char msg[512], *line;
	json_t *reply;
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply = proto__error(code, "%s", msg);
	line = reply ? proto__line(reply, &len) : NULL;
	if (line && send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		pr_debug("client error line not sent: %s", strerror(errno));
	free(line);
	json_decref(reply);
}

static void client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	close(c->fd);	/* leaves the epoll set with it */
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	srv.open--;
}

static int client_watch(struct client *c, int op, uint32_t events)
{
	struct epoll_event ev = { .events = events,
				  .data.u32 = TAG_CLIENT + (uint32_t)(c - srv.v) };

	return epoll_ctl(d.ep_fd, op, c->fd, &ev) ? -errno : 0;
}

/* The request of an unproven peer: refused, and audited (someone may be borrowing another
 * process's PID). */
static json_t *refuse_unproven(const struct client *c, const char *cmd)
{
	json_t *ev = audit__new("client.refuse");

	json_object_set_new(ev, "by", peer_json(&c->peer));
	json_object_set_new(ev, "gid", json_integer(c->peer.gid));
	json_object_set_new(ev, "cmd", json_string(cmd));
	json_object_set_new(ev, "reason", json_string(c->unproven));
	audit__emit(&d.audit, ev, 0);
	srv.st.unproven++;
	return proto__error("EPERM", "jitgated cannot prove who sent this request (%s); nothing "
			    "was done", c->unproven);
}

static json_t *dispatch(const struct client *c, json_t *msg)
{
	const struct peer *peer = &c->peer;
	const char *cmd;
	json_t *args;
	char err[256];

	if (proto__parse_request(msg, &cmd, &args, err, sizeof(err))) {
		srv.st.bad_requests++;
		return proto__error("EINVAL", "%s", err);
	}
	if (c->unproven[0])
		return refuse_unproven(c, cmd);
	if (!strcmp(cmd, "status")) {
		json_t *st = reply_status();

		json_object_set_new(json_object_get(st, "daemon"), "clients", clients_json());
		return proto__ok(st);
	}
	if (!strcmp(cmd, "grant"))
		return do_grant(peer, args);
	if (!strcmp(cmd, "revoke"))
		return do_revoke(peer, args);
	if (!strcmp(cmd, "list"))
		return do_list(peer);
	if (!strcmp(cmd, "policy.reload"))
		return do_reload(peer);
	if (!strcmp(cmd, "unload"))
		return do_unload(peer);
	if (!strcmp(cmd, "request"))
		return do_request(peer, args);
	if (!strcmp(cmd, "requests"))
		return do_requests(peer, args);
	if (!strcmp(cmd, "approve"))
		return do_approve(peer, args);
	if (!strcmp(cmd, "deny"))
		return do_deny(peer, args);
	if (!strcmp(cmd, "cancel"))
		return do_cancel(peer, args);
	if (!strcmp(cmd, "drop"))
		return do_drop(peer, args);
	if (!strcmp(cmd, "extend"))
		return do_extend(peer, args);
	if (!strcmp(cmd, "history"))
		return do_history(peer, args);
	if (!strcmp(cmd, "mfa.enroll"))
		return do_mfa_enroll(peer, args);
	if (!strcmp(cmd, "mfa.unlock"))
		return do_mfa_unlock(peer, args);
	return proto__error("EINVAL", "unknown command \"%s\"", cmd);
}

/* Write what the socket takes; done: close. */
static void client_output(struct client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->want_out && client_watch(c, EPOLL_CTL_MOD, EPOLLOUT)) {
				srv.st.errors++;
				client_close(c);
				return;
			}
			c->want_out = true;
			return;
		}
		if (n < 0) {
			srv.st.hangups++;	/* gone before taking its reply */
			client_close(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	srv.st.served++;
	client_close(c);
}

static void client_reply(struct client *c, json_t *reply)
{
	c->out = reply ? proto__line(reply, &c->outlen) : NULL;
	json_decref(reply);
	free(c->in);
	c->in = NULL;
	if (!c->out) {
		srv.st.errors++;
		client_close(c);
		return;
	}
	c->writing = true;
	c->deadline = mono_ms() + d.cfg.client_write_timeout_ms;
	client_output(c);
}

/* Gather what arrived; once the request is complete, handle it and start the reply. */
static void client_input(struct client *c)
{
	for (;;) {
		json_t *msg = NULL, *reply;
		char err[256];
		ssize_t n;
		int ret;

		if (c->inlen == c->incap) {
			size_t cap = c->incap + CLIENT_CHUNK;
			char *p;

			if (cap > JG_PROTO_MAX_MSG + 1)
				cap = JG_PROTO_MAX_MSG + 1;	/* the message and its newline */
			p = realloc(c->in, cap);
			if (!p) {
				srv.st.errors++;
				client_close(c);
				return;
			}
			c->in = p;
			c->incap = cap;
		}
		n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			srv.st.hangups++;	/* closed before a whole request */
			client_close(c);
			return;
		}
		c->inlen += (size_t)n;
		ret = proto__frame(c->in, c->inlen, JG_PROTO_MAX_MSG, &msg, err, sizeof(err));
		if (ret == -EAGAIN)
			continue;
		if (ret) {
			srv.st.bad_requests++;
			reply = proto__error("EPROTO", "%s", err);
		} else {
			reply = dispatch(c, msg);
		}
		json_decref(msg);
		client_reply(c, reply);
		return;
	}
}

static void client_event(uint32_t slot, uint32_t events)
{
	struct client *c = slot < srv.n ? &srv.v[slot] : NULL;

	if (!c || c->fd < 0)
		return;		/* closed earlier in this round */
	if (c->writing)
		client_output(c);
	else if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		client_input(c);
}

static void client_open(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	size_t mine = 0, slot = SIZE_MAX;
	struct client *c;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		srv.st.errors++;
		close(fd);
		return;
	}
	for (size_t i = 0; i < srv.n; i++) {
		if (srv.v[i].fd < 0 && slot == SIZE_MAX)
			slot = i;
		else if (srv.v[i].fd >= 0 && srv.v[i].peer.uid == cred.uid)
			mine++;
	}
	if (mine >= d.cfg.max_clients_per_uid) {
		send_error_line(fd, "EBUSY", "uid %u has %zu connections to jitgated open, the most "
				"one uid may have; try again when one of them has ended", cred.uid,
				mine);
		srv.st.refused_uid++;
		close(fd);
		return;
	}
	if (slot == SIZE_MAX || (srv.open >= d.cfg.max_clients && cred.uid != 0)) {
		send_error_line(fd, "EBUSY", "jitgated is serving the most connections it takes "
				"(%u); try again shortly", d.cfg.max_clients);
		srv.st.refused_full++;
		close(fd);
		return;
	}
	c = &srv.v[slot];
	c->fd = fd;
	if (peer_of(&cred, &c->peer, c->unproven, sizeof(c->unproven)) && !c->unproven[0])
		snprintf(c->unproven, sizeof(c->unproven), "its process cannot be identified");
	c->deadline = mono_ms() + d.cfg.client_read_timeout_ms;
	srv.open++;
	if (client_watch(c, EPOLL_CTL_ADD, EPOLLIN | EPOLLRDHUP)) {
		srv.st.errors++;
		client_close(c);
		return;
	}
	srv.st.accepted++;
}

static void clients_accept(void)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(d.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd >= 0) {
			client_open(fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if ((errno == EMFILE || errno == ENFILE) && srv.spare_fd >= 0) {
			/* out of descriptors: take the connection with the spare one and say no,
			 * or it would wake the loop forever */
			close(srv.spare_fd);
			fd = accept4(d.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0) {
				send_error_line(fd, "EBUSY", "jitgated is out of file descriptors; "
						"try again shortly");
				close(fd);
			}
			srv.st.errors++;
			srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			continue;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			pr_warn("accept on %s: %s", d.cfg.socket, strerror(errno));
		return;
	}
}

/* From the timer: drop who is past its deadline; now and then, audit what was dropped. */
static void clients_tick(void)
{
	int64_t now = mono_ms();
	struct client_stats *s = &srv.st, *r = &srv.reported;
	json_t *ev;

	for (size_t i = 0; i < srv.n; i++) {
		struct client *c = &srv.v[i];

		if (c->fd < 0 || now < c->deadline)
			continue;
		if (c->writing) {
			s->write_timeouts++;
		} else {
			send_error_line(c->fd, "ETIMEDOUT", "no complete request within %u ms",
					d.cfg.client_read_timeout_ms);
			s->read_timeouts++;
		}
		client_close(c);
	}
	if (now - srv.reported_ms < DROP_REPORT_MS && srv.reported_ms)
		return;
	if (s->refused_full == r->refused_full && s->refused_uid == r->refused_uid &&
	    s->read_timeouts == r->read_timeouts && s->write_timeouts == r->write_timeouts &&
	    s->errors == r->errors)
		return;
	ev = audit__new("client.drop");
	json_object_set_new(ev, "refused_full", json_integer((json_int_t)(s->refused_full -
									  r->refused_full)));
	json_object_set_new(ev, "refused_uid", json_integer((json_int_t)(s->refused_uid -
									 r->refused_uid)));
	json_object_set_new(ev, "read_timeouts", json_integer((json_int_t)(s->read_timeouts -
									   r->read_timeouts)));
	json_object_set_new(ev, "write_timeouts", json_integer((json_int_t)(s->write_timeouts -
									    r->write_timeouts)));
	json_object_set_new(ev, "errors", json_integer((json_int_t)(s->errors - r->errors)));
	json_object_set_new(ev, "since_ms", json_integer(srv.reported_ms ?
							   now - srv.reported_ms : 0));
	audit__emit(&d.audit, ev, 0);
	*r = *s;
	srv.reported_ms = now;
}

static int clients_init(char *err, size_t errlen)
{
	size_t n = (size_t)d.cfg.max_clients + d.cfg.max_clients_per_uid;
	struct rlimit rl;

	/* a descriptor per slot and enough for everything else */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < n + 256) {
		rl.rlim_cur = rl.rlim_max < n + 256 ? rl.rlim_max : n + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	srv.v = calloc(n, sizeof(*srv.v));
	if (!srv.v) {
		snprintf(err, errlen, "out of memory for %zu client slots", n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		srv.v[i].fd = -1;
	srv.n = n;
	srv.spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

/* At exit: one last try to hand out replies already made (unload's), then close all. */
static void clients_close(void)
{
	for (size_t i = 0; i < srv.n; i++) {
		struct client *c = &srv.v[i];

		if (c->fd >= 0 && c->writing && c->outoff < c->outlen &&
		    send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			pr_debug("reply not sent at exit: %s", strerror(errno));
		client_close(c);
	}
	free(srv.v);
	srv.v = NULL;
	srv.n = 0;
	if (srv.spare_fd >= 0)
		close(srv.spare_fd);
	srv.spare_fd = -1;
}

/* ------------------------------------------------------------------ events */

static int on_event(void *ctx, void *data, size_t size)
{
	const struct jg_event *e = data;
	const char *name;
	json_t *rec;

	if (size < sizeof(*e) || (e->type == JG_EV_TRAIL && size < sizeof(struct jg_trail)))
		return 0;
	name = e->resource < JG_MAX_RESOURCES ? d.res_names[e->resource] : NULL;
	rec = audit__from_kernel(e, name);
	if (rec && e->type != JG_EV_TRAIL && (e->flags & JG_EVF_PATH_REL))
		name_object(e, rec);
	if (e->type == JG_EV_REBIND)
		objpaths_rebind(e);
	audit__emit(&d.audit, rec, util__boot_to_wall(e->boot_ns));
	return 0;
}

/* One audit.lost per ring that lost records since the last report: which ring, how many,
 * and the kernel's total for it. */
static void report_lost(const char *ring, uint64_t total, uint64_t *reported)
{
	json_t *ev;

	if (total == *reported)
		return;
	ev = audit__new("audit.lost");
	json_object_set_new(ev, "lost", json_integer((json_int_t)(total - *reported)));
	json_object_set_new(ev, "lost_total", json_integer((json_int_t)total));
	json_object_set_new(ev, "ring", json_string(ring));
	json_object_set_new(ev, "reason", json_string("kernel ring buffer full"));
	audit__emit(&d.audit, ev, 0);
	*reported = total;
}

static void check_lost(void)
{
	uint64_t stats[JG_STAT_MAX] = { 0 };
	uint64_t was = d.lost_reported, prio_was = d.prio_lost_reported;

	if (gate__stats(d.gate, stats))
		return;
	report_lost("priority", stats[JG_STAT_PRIO_LOST], &d.prio_lost_reported);
	report_lost("events", stats[JG_STAT_EVENTS_LOST], &d.lost_reported);
	if (d.lost_reported != was || d.prio_lost_reported != prio_was)
		save_lost();
}

/* Denials over a subject's budget were denied but not streamed: one access.suppressed per
 * subject whose kernel count grew, with the exact number since the last record. Runs after
 * a drain, so it follows the denials that were streamed. Emitted before the reported count
 * is stored: a crash in between repeats a count (suppressed_total tells), never drops one. */
static int suppressed_one(uint32_t subject, const struct jg_deny_rate *r, uint64_t reported,
			  void *ctx)
{
	int64_t now = *(const int64_t *)ctx;
	char when[48];
	json_t *ev;
	int ret;

	if (r->suppressed <= reported)
		return 0;
	ev = audit__new("access.suppressed");
	/* the budget is per subject (login uid, else uid): which of the two is not kept */
	json_object_set_new(ev, "subject", audit__subject(subject, (uint32_t)-1));
	json_object_del(json_object_get(ev, "subject"), "loginuid");
	json_object_set_new(ev, "suppressed", json_integer((json_int_t)(r->suppressed - reported)));
	json_object_set_new(ev, "suppressed_total", json_integer((json_int_t)r->suppressed));
	json_object_set_new(ev, "denied_total", json_integer((json_int_t)r->denied));
	json_object_set_new(ev, "since", d.suppressed_checked_ns ?
			    json_string(util__rfc3339(d.suppressed_checked_ns, when, sizeof(when))) :
			    json_null());
	json_object_set_new(ev, "until", json_string(util__rfc3339(now, when, sizeof(when))));
	json_object_set_new(ev, "reason", json_string("denials over the subject's rate limit"));
	audit__emit(&d.audit, ev, 0);
	ret = gate__set_deny_reported(d.gate, subject, r->suppressed);
	if (ret)
		pr_warn("cannot store the reported suppressed count of subject %u: %s", subject,
			strerror(-ret));
	return 0;
}

static void check_suppressed(void)
{
	uint64_t stats[JG_STAT_MAX] = { 0 };
	int64_t now = util__realtime_ns();

	/* the map walk only when the kernel suppressed something since the last one */
	if (gate__stats(d.gate, stats) || stats[JG_STAT_SUPPRESSED] == d.suppressed_seen)
		return;
	gate__for_each_deny(d.gate, suppressed_one, &now);
	d.suppressed_seen = stats[JG_STAT_SUPPRESSED];
	d.suppressed_checked_ns = now;
}

/* ------------------------------------------------------------------ setup */

static int listen_on(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char dir[256], *slash;
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		util__mkdir_p(dir, 0755);
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path);	/* we hold the lock: a socket file here is stale */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0666) ||
	    listen(fd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

static int take_lock(const char *socket_path, char *err, size_t errlen)
{
	char path[300], dir[256], *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", socket_path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = 0;
	else
		snprintf(dir, sizeof(dir), "/run/jitgate");
	util__mkdir_p(dir, 0755);
	snprintf(path, sizeof(path), "%s/" JG_LOCK_NAME, dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "another jitgated is running (lock %s is held)", path);
		if (fd >= 0)
			close(fd);
		return -EBUSY;
	}
	snprintf(d.canary, sizeof(d.canary), "%s/" JG_CANARY_NAME, dir);
	return fd;
}

static int make_canary(char *err, size_t errlen)
{
	int fd = open(d.canary, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 && errno == EACCES)
		return 0;	/* exists and is protected already: an adopted gate */
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the canary %s: %s", d.canary, strerror(errno));
		return -errno;
	}
	if (write(fd, "jitgate canary: the gate denies this file to everyone\n", 54) < 0)
		pr_debug("canary write: %s", strerror(errno));
	close(fd);
	chmod(d.canary, 0644);
	return 0;
}

static void sd_notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(sun.sun_path))
		return;
	strcpy(sun.sun_path, path);
	if (path[0] == '@')
		sun.sun_path[0] = 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sun,
	       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path)));
	close(fd);
}

static int ep_add(int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(d.ep_fd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

enum { TAG_LISTEN = 1, TAG_RB, TAG_SIG, TAG_TIMER };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: jitgated [--config FILE] [--policy FILE] [options]\n"
		"\n"
		"Loads the jitgate BPF LSM gate (or adopts the pinned one), applies the policy,\n"
		"streams audit events and serves the jitgate CLI. Runs in the foreground.\n"
		"\n"
		"  --config FILE      daemon config (default %s)\n"
		"  --policy FILE      policy (default %s)\n"
		"  --socket PATH      control socket (default %s)\n"
		"  --pin-dir DIR      BPF pins (default %s)\n"
		"  --audit-log FILE   audit log (default %s)\n"
		"  --state-dir DIR    daemon state (default %s)\n"
		"  --ledger FILE      SQLite ledger of requests and grants (default STATE_DIR/ledger.db)\n"
		"  --audit-stdout     also write audit lines to stdout\n"
		"  -v, --verbose      debug output, libbpf messages included\n"
		"  -h, --help         this text\n"
		"\n"
		"EXAMPLES\n"
		"  jitgated --policy /etc/jitgate/policy.json\n"
		"  systemctl kill -s HUP jitgated    # reload the policy\n",
		JG_CONFIG_DEFAULT, JG_POLICY_DEFAULT, JG_SOCKET_DEFAULT, JG_PIN_DIR_DEFAULT,
		JG_AUDIT_DEFAULT, JG_STATE_DIR_DEFAULT);
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'P' },
		{ "audit-log", required_argument, NULL, 'a' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "ledger", required_argument, NULL, 'L' },
		{ "audit-stdout", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const char *config_file = JG_CONFIG_DEFAULT, *policy = NULL, *sock = NULL, *pins = NULL,
		   *audit_log = NULL, *state_dir = NULL, *ledger = NULL;
	bool config_given = false, audit_stdout = false;
	char err[1024];
	sigset_t mask;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config_file = optarg; config_given = true; break;
		case 'p': policy = optarg; break;
		case 's': sock = optarg; break;
		case 'P': pins = optarg; break;
		case 'a': audit_log = optarg; break;
		case 'S': state_dir = optarg; break;
		case 'L': ledger = optarg; break;
		case 'o': audit_stdout = true; break;
		case 'v': log__init("jitgated", JG_LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("jitgated %s\n", JG_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		pr_warn("unexpected argument \"%s\"; see 'jitgated --help'", argv[optind]);
		return 2;
	}
	/* defaults < config file < command line */
	snprintf(d.cfg.policy, sizeof(d.cfg.policy), "%s", JG_POLICY_DEFAULT);
	snprintf(d.cfg.socket, sizeof(d.cfg.socket), "%s", JG_SOCKET_DEFAULT);
	snprintf(d.cfg.pin_dir, sizeof(d.cfg.pin_dir), "%s", JG_PIN_DIR_DEFAULT);
	snprintf(d.cfg.audit_log, sizeof(d.cfg.audit_log), "%s", JG_AUDIT_DEFAULT);
	snprintf(d.cfg.state_dir, sizeof(d.cfg.state_dir), "%s", JG_STATE_DIR_DEFAULT);
	gethostname(d.cfg.host, sizeof(d.cfg.host) - 1);
	d.cfg.ringbuf_bytes = JG_RINGBUF_DEFAULT;
	d.cfg.prio_ringbuf_bytes = JG_PRIO_RINGBUF_DEFAULT;
	d.cfg.deny_rate = JG_DENY_RATE_DEFAULT;
	d.cfg.deny_burst = JG_DENY_BURST_DEFAULT;
	d.cfg.max_grants = JG_MAX_GRANTS;
	d.cfg.audit_max_bytes = JG_AUDIT_MAX_BYTES_DEFAULT;
	d.cfg.audit_keep = JG_AUDIT_KEEP_DEFAULT;
	d.cfg.stream_allow_events = true;
	d.cfg.max_clients = MAX_CLIENTS_DEFAULT;
	d.cfg.max_clients_per_uid = MAX_CLIENTS_PER_UID_DEFAULT;
	d.cfg.client_read_timeout_ms = CLIENT_READ_TIMEOUT_MS;
	d.cfg.client_write_timeout_ms = CLIENT_WRITE_TIMEOUT_MS;
	d.cfg.mfa = (struct jg_mfa_policy){
		.deny = JG_MFA_DENY_DEFAULT,
		.fail_interval_ns = JG_MFA_FAIL_INTERVAL_DEFAULT * 1000000000LL,
		.unlock_time_ns = JG_MFA_UNLOCK_TIME_DEFAULT * 1000000000LL };
	d.cfg.req = (struct jg_req_limits){
		.max_pending = JG_REQ_MAX_PENDING_DEFAULT, .rate = JG_REQ_RATE_DEFAULT,
		.rate_window_ns = JG_REQ_RATE_WINDOW_DEFAULT * 1000000000LL,
		.reason_max = JG_REQ_REASON_MAX_DEFAULT };
	ret = config_load(&d.cfg, config_file, config_given, err, sizeof(err));
	if (ret) {
		pr_warn("%s", err);
		return 1;
	}
#define OVERRIDE(field, val) if (val) snprintf(d.cfg.field, sizeof(d.cfg.field), "%s", val)
	OVERRIDE(policy, policy);
	OVERRIDE(socket, sock);
	OVERRIDE(pin_dir, pins);
	OVERRIDE(audit_log, audit_log);
	OVERRIDE(state_dir, state_dir);
	OVERRIDE(ledger, ledger);
#undef OVERRIDE
	d.cfg.audit_stdout |= audit_stdout;

	if (geteuid() != 0) {
		pr_warn("jitgated must run as root (it loads BPF programs)");
		return 1;
	}
	ret = gate__preflight(err, sizeof(err));
	if (ret) {
		pr_warn("refusing to start: %s", err);
		return 1;
	}
	d.lock_fd = take_lock(d.cfg.socket, err, sizeof(err));
	if (d.lock_fd < 0) {
		pr_warn("%s", err);
		return 1;
	}
	ret = util__mkdir_p(d.cfg.state_dir, 0700);
	if (ret) {
		pr_warn("cannot create %s: %s", d.cfg.state_dir, strerror(-ret));
		return 1;
	}
	if (!*d.cfg.ledger)
		snprintf(d.cfg.ledger, sizeof(d.cfg.ledger), "%s/ledger.db", d.cfg.state_dir);
	grants__init(&d.grants);
	d.notify.on_error = notify_failed;
	ret = ledger__open(&d.ledger, d.cfg.ledger, err, sizeof(err));
	if (!ret)
		ret = ledger_load(err, sizeof(err));
	if (!ret) {
		char head[300];

		snprintf(head, sizeof(head), "%s/" JG_AUDIT_HEAD_NAME, d.cfg.state_dir);
		ret = audit__open_ex(&d.audit, &(struct jg_audit_cfg){
			.path = d.cfg.audit_log, .to_stdout = d.cfg.audit_stdout,
			.host = d.cfg.host, .head = head, .max_bytes = d.cfg.audit_max_bytes,
			.keep = d.cfg.audit_keep }, err, sizeof(err));
	}
	if (!ret) {
		/* SIEM sinks (docs/siem.md): every audit line also goes to them */
		char spool[300], serr[768];

		snprintf(spool, sizeof(spool), "%s/spool", d.cfg.state_dir);
		ret = sink__config(d.cfg.sinks, spool, serr, sizeof(serr));
		if (ret)
			snprintf(err, sizeof(err), "%s: %s", config_file, serr);
		else
			audit__set_tap(&d.audit, sink__tap, NULL);
	}
	if (!ret)
		ret = make_canary(err, sizeof(err));
	if (ret) {
		pr_warn("%s", err);
		return 1;
	}
	{
		struct jg_gate_opts o = {
			.ringbuf_bytes = d.cfg.ringbuf_bytes,
			.prio_ringbuf_bytes = d.cfg.prio_ringbuf_bytes,
			.max_grants = d.cfg.max_grants,
			.stream_allow_events = d.cfg.stream_allow_events,
		};

		ret = gate__open(&d.gate, d.cfg.pin_dir, &o, err, sizeof(err));
	}
	if (ret) {
		pr_warn("refusing to start: %s", err);
		return 1;
	}
	if (!d.gate->adopted) {
		d.lost_reported = 0;	/* a new stats map counts from zero */
		d.prio_lost_reported = 0;
	}
	ret = gate__set_deny_budget(d.gate, d.cfg.deny_rate, d.cfg.deny_burst);
	if (ret) {
		pr_warn("refusing to start: cannot set the denial budget in the config map: %s",
			strerror(-ret));
		if (!d.gate->adopted)
			gate__unpin(d.cfg.pin_dir, NULL, 0);
		return 1;
	}
	ret = gate__exempt_self(d.gate);
	if (ret) {
		pr_warn("refusing to start: cannot exempt jitgated from its own gate: %s",
			strerror(-ret));
		return 1;
	}
	/* The priority ring first: each drain empties it before the other one. */
	d.rb = ring_buffer__new(gate__prio_events_fd(d.gate), on_event, NULL, NULL);
	if (!d.rb || ring_buffer__add(d.rb, gate__events_fd(d.gate), on_event, NULL)) {
		pr_warn("cannot open the event ring buffers: %s", strerror(errno));
		return 1;
	}
	ring_buffer__consume(d.rb);	/* what the kernel kept while no daemon ran comes first */
	check_suppressed();
	d.started_ns = util__realtime_ns();
	{
		json_t *ev = audit__new("daemon.start");

		json_object_set_new(ev, "version", json_string(JG_VERSION));
		json_object_set_new(ev, "pid", json_integer(getpid()));
		json_object_set_new(ev, "adopted", json_boolean(d.gate->adopted));
		json_object_set_new(ev, "pin_dir", json_string(d.cfg.pin_dir));
		audit__emit(&d.audit, ev, 0);
	}
	replay_outbox();	/* events a crash kept from going out */
	ret = policy_apply(d.cfg.policy, err, sizeof(err));
	if (ret) {
		pr_warn("refusing to start: %s", err);
		if (!d.gate->adopted)
			gate__unpin(d.cfg.pin_dir, NULL, 0);
		return 1;
	}
	/* Never claim what is not true: prove a denial before saying ready. */
	ret = gate__canary(d.canary, err, sizeof(err));
	if (ret) {
		pr_warn("refusing to start: %s", err);
		if (!d.gate->adopted)
			gate__unpin(d.cfg.pin_dir, NULL, 0);
		return 1;
	}
	reconcile();
	expire_requests();

	check_lost();

	d.listen_fd = listen_on(d.cfg.socket, err, sizeof(err));
	if (d.listen_fd >= 0 && clients_init(err, sizeof(err))) {
		close(d.listen_fd);
		d.listen_fd = -1;
	}
	if (d.listen_fd < 0) {
		pr_warn("%s", err);
		return 1;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	d.timer_fd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);
	timerfd_settime(d.timer_fd, 0,
			&(struct itimerspec){ .it_interval = { 0, 250000000 },
					      .it_value = { 0, 250000000 } }, NULL);
	d.ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (d.sig_fd < 0 || d.timer_fd < 0 || d.ep_fd < 0 || ep_add(d.listen_fd, TAG_LISTEN) ||
	    ep_add(ring_buffer__epoll_fd(d.rb), TAG_RB) || ep_add(d.sig_fd, TAG_SIG) ||
	    ep_add(d.timer_fd, TAG_TIMER)) {
		pr_warn("cannot set up the event loop: %s", strerror(errno));
		return 1;
	}
	pr_info("ready: %s gate, policy %s (%zu resources), %zu live grants, enforcing (canary "
		"denied)", d.gate->adopted ? "adopted the pinned" : "loaded a new",
		d.cfg.policy, d.policy->nresources, d.grants.n);
	sd_notify_ready();
	d.crash_after_commit = getenv("JITGATED_FAILPOINT") &&
			       !strcmp(getenv("JITGATED_FAILPOINT"), "crash-after-commit");

	while (!d.stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(d.ep_fd, evs, 8, -1);
		bool accept_due = false;

		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case TAG_LISTEN:
				accept_due = true;	/* after this round: no slot reused in it */
				break;
			case TAG_RB:
				ring_buffer__consume(d.rb);
				break;
			case TAG_TIMER: {
				uint64_t ticks;

				if (read(d.timer_fd, &ticks, sizeof(ticks)) < 0)
					break;
				ring_buffer__consume(d.rb);	/* kernel events precede expiry */
				expire_grants(false);
				grants_guard();		/* after expiry: the ledger's view is current */
				wf__refusals_flush(&d.refusals, util__realtime_ns(), false,
						   refusal_summary, NULL);
				expire_requests();
				recheck_idle();
				notify__reap(&d.notify);
				check_lost();
				check_suppressed();
				sink__tick();	/* reconnect, drain spools; never blocks */
				clients_tick();
				break;
			}
			case TAG_SIG: {
				struct signalfd_siginfo si;

				if (read(d.sig_fd, &si, sizeof(si)) != sizeof(si))
					break;
				if (si.ssi_signo == SIGHUP) {
					/* logrotate's postrotate: a new file, the chain goes on */
					ret = audit__reopen(&d.audit);
					if (ret)
						pr_warn("cannot reopen the audit log %s: %s",
							d.cfg.audit_log, strerror(-ret));
					if (policy_apply(d.cfg.policy, err, sizeof(err)))
						pr_warn("reload refused: %s; the running policy stays",
							err);
					else
						pr_info("policy %s reloaded", d.cfg.policy);
				} else {
					d.stop = true;
				}
				break;
			}
			default:
				client_event(evs[i].data.u32 - TAG_CLIENT, evs[i].events);
				break;
			}
		}
		if (accept_due)
			clients_accept();
	}
	clients_close();
	ring_buffer__consume(d.rb);
	check_lost();
	check_suppressed();
	wf__refusals_flush(&d.refusals, util__realtime_ns(), true, refusal_summary, NULL);
	{
		json_t *ev = audit__new("daemon.stop");

		json_object_set_new(ev, "pid", json_integer(getpid()));
		json_object_set_new(ev, "gate", json_string(gate__is_pinned(d.cfg.pin_dir) ?
							    "enforcing (pinned)" : "unloaded"));
		audit__emit(&d.audit, ev, 0);
	}
	unlink(d.cfg.socket);
	return 0;
}

int main(int argc, char **argv)
{
	int ret;

	log__init("jitgated", JG_LOG_INFO);
	log__hook_libbpf();
	ret = run(argc, argv);
	ring_buffer__free(d.rb);
	gate__close(d.gate);
	audit__close(&d.audit);
	sink__tick();	/* one last non-blocking try; the rest stays spooled */
	sink__close();
	json_decref(d.cfg.sinks);
	policy__free(d.policy);
	grants__free(&d.grants);
	ledger__close(&d.ledger);
	objpaths_free(d.objpaths, d.nobjpaths);
	for (int i = 0; i < JG_MAX_RESOURCES; i++)
		free(d.res_names[i]);
	return ret;
}
