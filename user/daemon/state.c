// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the daemon keeps across restarts: the ledger it loads at start, the outbox that
 * makes control events crash-safe (a transaction and the events describing it), and the
 * stable kernel ids of resource names. */
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

/* ------------------------------------------------------------------ ledger */

/* A ledger write failed: counted (status: ledger), and the first of a run audited as
 * ledger.error; the first write that works after it is audited as ledger.recovered. */
static void ledger_failed(const char *what)
{
	d.ledger_errors++;
	snprintf(d.ledger_last_err, sizeof(d.ledger_last_err), "cannot %s: %s", what,
		 d.ledger.err[0] ? d.ledger.err : "unknown error");
	if (!d.ledger_failing++) {
		json_t *ev = audit__new("ledger.error");

		pr_warn("ledger %s: %s; changes are refused until it can be written",
			d.ledger.path, d.ledger_last_err);

		json_object_set_new(ev, "file", json_string(d.ledger.path));
		json_object_set_new(ev, "error", json_string(d.ledger_last_err));
		audit__emit(&d.audit, ev, 0);
	}
}

static void ledger_worked(void)
{
	json_t *ev;

	if (!d.ledger_failing)
		return;
	ev = audit__new("ledger.recovered");
	json_object_set_new(ev, "file", json_string(d.ledger.path));
	json_object_set_new(ev, "failures", json_integer((json_int_t)d.ledger_failing));
	json_object_set_new(ev, "error", json_string(d.ledger_last_err));
	audit__emit(&d.audit, ev, 0);
	d.ledger_failing = 0;
}

json_t *ledger_state(void)
{
	return json_pack("{s:s, s:I, s:b, s:s?}", "file", d.ledger.path,
			 "write_errors", (json_int_t)d.ledger_errors, "failing",
			 d.ledger_failing != 0, "error",
			 d.ledger_failing ? d.ledger_last_err : NULL);
}

void ledger_warn(const char *what, int ret)
{
	pr_warn("ledger %s: cannot %s: %s (%s)", d.ledger.path, what, strerror(-ret), d.ledger.err);
	ledger_failed(what);
}

void save_lost(void)
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
int ledger_load(char *err, size_t errlen)
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
	int failed;			/* -errno: an event could not enter the outbox (disk full);
					 * the commit is refused, so nothing happens unaudited */
	size_t n;
	json_t *ev[TX_MAX_EVENTS];
	uint64_t id[TX_MAX_EVENTS];
} tx;

/* A failing ledger may sit on a file system that went away under it (read-only after an
 * error, a dead disk) and was mounted again: SQLite keeps its descriptors to the old one.
 * So while it fails, a change first opens it again by name, at most once a second; the old
 * connection stays when the new one cannot be opened. */
static void ledger_retry_open(void)
{
	static int64_t tried_ns;
	int64_t now = (int64_t)util__boottime_ns();
	struct jg_ledger fresh;
	char err[512];

	if (!d.ledger_failing || (tried_ns && now - tried_ns < 1000000000LL))
		return;
	tried_ns = now;
	if (ledger__open(&fresh, d.ledger.path, err, sizeof(err))) {
		pr_debug("%s", err);
		return;
	}
	ledger__close(&d.ledger);
	d.ledger = fresh;
	pr_info("ledger %s opened again after: %s", d.ledger.path, d.ledger_last_err);
}

int tx_begin(void)
{
	int ret;

	ledger_retry_open();
	ret = ledger__begin(&d.ledger);

	tx.open = ret == 0;
	tx.n = 0;
	tx.failed = 0;
	return ret;
}

static void tx_rollback(void)
{
	ledger__rollback(&d.ledger);
	for (size_t i = 0; i < tx.n; i++)
		json_decref(tx.ev[i]);
	tx.n = 0;
	tx.open = false;
}

/* Every caller aborts because a ledger write failed: counted and audited. */
void tx_abort(void)
{
	ledger_failed("write a change");
	tx_rollback();
}

int tx_commit(void)
{
	int ret = tx.failed ? tx.failed : ledger__commit(&d.ledger);

	if (ret) {
		ledger_failed("commit a change");
		tx_rollback();
	} else {
		ledger_worked();
	}
	tx.open = false;
	/* failpoint for the VM test of exactly this window: committed, not yet emitted */
	if (!ret && tx.n && d.crash_after_commit)
		_exit(137);
	return ret;
}

/* After the commit: emit the events, or drop them when what they announce did not happen
 * after all (the kernel refused a grant); either way they leave the outbox. */
void tx_end(bool emit)
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
void ctl_emit(json_t *ev)
{
	char *text;

	if (!ev)
		return;
	text = tx.open && tx.n < TX_MAX_EVENTS ? json_dumps(ev, JSON_COMPACT) : NULL;
	if (!text) {
		emit_now(ev);
		return;
	}
	if (ledger__outbox_add(&d.ledger, text, &tx.id[tx.n])) {
		/* the ledger cannot take it (disk full): the event must not go out for a change
		 * that will not be committed, nor the change happen without its event */
		free(text);
		json_decref(ev);
		if (!tx.failed)
			tx.failed = -EIO;
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

void replay_outbox(void)
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

int res_id(const char *name)
{
	for (int i = 1; i < JG_MAX_RESOURCES; i++)
		if (d.res_names[i] && !strcmp(d.res_names[i], name))
			return i;
	return -1;
}

/* The policy in file and a zeroed resource id for each of its resources (and one more): 0,
 * or the error (the loader's message in err; -ENOMEM from the ids leaves err as it was). */
int policy_load_ids(const char *file, struct jg_policy **p, uint16_t **ids, char *err,
		    size_t errlen)
{
	int ret = policy__load_file(file, p, err, errlen);

	if (ret)
		return ret;
	*ids = calloc((*p)->nresources + 1, sizeof(**ids));
	if (!*ids) {
		policy__free(*p);
		*p = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* Ids are stable by name across reloads and restarts, so grants keep their meaning. */
int assign_ids(const struct jg_policy *p, uint16_t *ids, char *err, size_t errlen)
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
