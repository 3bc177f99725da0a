// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fleet mode (docs/fleet.md): jitgated as a host agent of the PostgreSQL store. The store's
 * socket is in the event loop (a notification is a hint to read now); the tick reconnects
 * with backoff and polls (the poll alone is correct). Every request read is verified with
 * fleet__verify_request against this host's policy, signer list, name and labels before a
 * grant starts through grant_start, like a local one; what is refused is audited as
 * fleet.reject and answered with a rejection row. Revokes go first in every batch.
 *
 * What the host remembers (STATE_DIR/fleet.state, appended, one line each):
 *   seen ID SHA256HEX GRANT_ID    a request activated here (the replay memory)
 *   cursor REV                    every row up to REV has been handled
 *   ended ID                      its grant ended here (expired or ended locally: acked)
 *   summary SEQ TIME              the audit summary up to SEQ reached the store at TIME
 * Acknowledgements wait in the ledger (ledger__fleet_ack_*) until the store takes them; the
 * audit summary needs no outbox: the audit log holds what was not summarized yet. */
#include <errno.h>
#include <stdarg.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "daemon/daemon.h"
#include "fleet/fleet.h"
#include "fleet/store.h"
#include "fleet/summary.h"

#define FLEET_POLL_DEFAULT_S 30
#define FLEET_SUMMARY_DEFAULT_S 300

struct seen {
	char id[JG_FLEET_ID_LEN];
	uint8_t hash[32];
	uint64_t grant_id;
	bool revoked;
	bool ended;			/* its grant ended here otherwise (acknowledged) */
};

static struct {
	bool on;
	struct jg_store store;
	char host[JG_FLEET_HOST_LEN];
	char labels[JG_FLEET_SELECTOR_LEN];
	char signers_path[256];
	char state_path[320];
	struct jg_signers *signers;
	unsigned poll_s;
	int64_t cursor;
	int64_t next_poll;		/* monotonic seconds */
	unsigned summary_s;
	int64_t next_summary;		/* monotonic seconds */
	uint64_t summary_seq;		/* the audit summary sent covers every seq up to it */
	int64_t summary_at;		/* unix seconds of that summary */
	bool summary_said;
	bool revoking;			/* a fleet revoke is ending its grant (acked as such) */
	int fd;				/* the store's socket in the epoll set, -1: none */
	struct seen *seen;
	size_t nseen;
	uint64_t acks_lost;		/* neither held in the ledger nor sent */
	bool ack_said;
	bool down_said;
} F = { .fd = -1 };

static int64_t mono(void)
{
	return (int64_t)(util__boottime_ns() / 1000000000ULL);
}

bool fleet_enabled(void)
{
	return F.on;
}

/* ------------------------------------------------------------------ config and state */

static int conf_str(json_t *o, const char *key, char *dst, size_t len, bool need, char *err,
		    size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v && !need)
		return 0;
	if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) >= len) {
		snprintf(err, errlen, "%s: \"fleet\".\"%s\" must be a string of 1 to %zu bytes",
			 d.config_path, key, len - 1);
		return -EINVAL;
	}
	snprintf(dst, len, "%s", json_string_value(v));
	return 0;
}

static int parse_config(json_t *o, char *store, size_t storelen, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (strcmp(key, "store") && strcmp(key, "host") && strcmp(key, "labels") &&
		    strcmp(key, "signers") && strcmp(key, "poll_s") && strcmp(key, "summary_s")) {
			snprintf(err, errlen, "%s: unknown key \"fleet\".\"%s\" (store, host, labels, "
				 "signers, poll_s, summary_s)", d.config_path, key);
			return -EINVAL;
		}
	}
	snprintf(F.host, sizeof(F.host), "%.253s", d.cfg.host);
	snprintf(F.signers_path, sizeof(F.signers_path), "/etc/jitgate/fleet/signers");
	F.poll_s = FLEET_POLL_DEFAULT_S;
	if (conf_str(o, "store", store, storelen, true, err, errlen) ||
	    conf_str(o, "host", F.host, sizeof(F.host), false, err, errlen) ||
	    conf_str(o, "signers", F.signers_path, sizeof(F.signers_path), false, err, errlen))
		return -EINVAL;
	v = json_object_get(o, "labels");
	if (v && (!json_is_string(v) || json_string_length(v) >= sizeof(F.labels))) {
		snprintf(err, errlen, "%s: \"fleet\".\"labels\" must be a string (\"env=prod,"
			 "role=db\")", d.config_path);
		return -EINVAL;
	}
	snprintf(F.labels, sizeof(F.labels), "%s", v ? json_string_value(v) : "");
	if (*F.labels && fleet__labels_check(F.labels, "the host's labels", err, errlen))
		return -EINVAL;
	v = json_object_get(o, "poll_s");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 3600)) {
		snprintf(err, errlen, "%s: \"fleet\".\"poll_s\" must be an integer between 1 and "
			 "3600 (seconds)", d.config_path);
		return -EINVAL;
	}
	if (v)
		F.poll_s = (unsigned)json_integer_value(v);
	F.summary_s = FLEET_SUMMARY_DEFAULT_S;
	v = json_object_get(o, "summary_s");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 86400)) {
		snprintf(err, errlen, "%s: \"fleet\".\"summary_s\" must be an integer between 1 "
			 "and 86400 (seconds)", d.config_path);
		return -EINVAL;
	}
	if (v)
		F.summary_s = (unsigned)json_integer_value(v);
	return 0;
}

static void hex32(const uint8_t h[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", h[i]);
}

static int unhex32(const char *s, uint8_t h[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		h[i] = (uint8_t)v;
	}
	return 0;
}

static struct seen *seen_find(const char *id)
{
	for (size_t i = 0; i < F.nseen; i++)
		if (!strcmp(F.seen[i].id, id))
			return &F.seen[i];
	return NULL;
}

static struct seen *seen_add(const char *id, const uint8_t hash[32], uint64_t gid)
{
	struct seen *v = seen_find(id);

	if (!v) {
		v = realloc(F.seen, (F.nseen + 1) * sizeof(*v));
		if (!v)
			return NULL;
		F.seen = v;
		v = &F.seen[F.nseen++];
		memset(v, 0, sizeof(*v));
		snprintf(v->id, sizeof(v->id), "%s", id);
	}
	memcpy(v->hash, hash, 32);
	v->grant_id = gid;
	return v;
}

static int state_append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int state_append(const char *fmt, ...)
{
	FILE *f = fopen(F.state_path, "ae");
	va_list ap;
	int ret;

	if (!f) {
		pr_warn("fleet: cannot write %s: %s", F.state_path, strerror(errno));
		return -errno;
	}
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	ret = fflush(f) || fsync(fileno(f)) ? -EIO : 0;
	if (fclose(f))
		ret = -EIO;
	if (ret)
		pr_warn("fleet: cannot write %s", F.state_path);
	return ret;
}

static void state_load(void)
{
	FILE *f = fopen(F.state_path, "re");
	char line[256], id[64], hx[80];
	unsigned long long gid, sq;
	long long rev, at;
	uint8_t h[32];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "seen %63s %79s %llu", id, hx, &gid) == 3 && strlen(hx) == 64 &&
		    strlen(id) < JG_FLEET_ID_LEN && !unhex32(hx, h))
			seen_add(id, h, gid);
		else if (sscanf(line, "revoked %63s", id) == 1 && seen_find(id))
			seen_find(id)->revoked = true;
		else if (sscanf(line, "ended %63s", id) == 1 && seen_find(id))
			seen_find(id)->ended = true;
		else if (sscanf(line, "cursor %lld", &rev) == 1 && rev >= 0)
			F.cursor = rev;
		else if (sscanf(line, "summary %llu %lld", &sq, &at) == 2) {
			F.summary_seq = sq;
			F.summary_at = at;
		}
	}
	fclose(f);
}

/* ------------------------------------------------------------------ verification context */

static bool in_group(uint32_t uid, const char *group, void *ctx)
{
	return uid != (uint32_t)-1 && util__user_in_group(uid, group);
}

static int uid_of(const char *user, uint32_t *uid, void *ctx)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) || !res)
		return -ENOENT;
	*uid = res->pw_uid;
	return 0;
}

static bool seen_cb(const char *id, uint8_t hash[32], void *ctx)
{
	struct seen *s = seen_find(id);

	if (s)
		memcpy(hash, s->hash, 32);
	return s != NULL;
}

static struct jg_fleet_host host_view(void)
{
	return (struct jg_fleet_host){ .name = F.host, .labels = F.labels, .policy = d.policy,
		.signers = F.signers, .in_group = in_group, .uid_of = uid_of, .seen = seen_cb,
		.now = util__realtime_ns() / 1000000000LL };
}

/* ------------------------------------------------------------------ acknowledgements */

/* Every acknowledgement enters the ledger's outbox first (durable across a store outage
 * and a restart of jitgated), then goes out in order while the store takes them. */
static void acks_flush(void)
{
	struct jg_fleet_ack a;
	char err[512];
	int ret = 0;

	while (store__connected(&F.store) && !(ret = ledger__fleet_ack_first(&d.ledger, &a))) {
		if (store__ack(&F.store, a.request_id, F.host, a.state, *a.reason ? a.reason : NULL,
			       a.kernel_expiry, err, sizeof(err))) {
			if (!F.ack_said)
				pr_warn("fleet: %s; the acknowledgement waits in the ledger", err);
			F.ack_said = true;
			return;
		}
		F.ack_said = false;
		if (ledger__fleet_ack_del(&d.ledger, a.id)) {
			pr_warn("fleet: cannot delete a sent acknowledgement from the ledger: %s",
				d.ledger.err);
			return;
		}
	}
	if (ret && ret != -ENOENT)
		pr_warn("fleet: cannot read the acknowledgements from the ledger: %s", d.ledger.err);
}

static void ack(const char *id, const char *state, const char *reason, int64_t expiry)
{
	char err[512];

	if (ledger__fleet_ack_add(&d.ledger, id, state, reason, expiry)) {
		/* the ledger refuses (disk full): send it now if the store is there, else it is
		 * lost, and counted */
		pr_warn("fleet: cannot hold the acknowledgement of %s in the ledger: %s", id,
			d.ledger.err);
		if (!store__connected(&F.store) ||
		    store__ack(&F.store, id, F.host, state, reason, expiry, err, sizeof(err)))
			F.acks_lost++;
		return;
	}
	acks_flush();
}

/* ------------------------------------------------------------------ grants that end here */

static void ack_ended(struct seen *s, const char *kind, const char *when)
{
	char why[160];

	if (!strcmp(kind, "expire")) {
		snprintf(why, sizeof(why), "its time ended in this host's kernel%s", when);
		ack(s->id, "expired", why, 0);
	} else {
		snprintf(why, sizeof(why), "ended on this host (%s)%s", kind, when);
		ack(s->id, "revoked", why, 0);
	}
	s->ended = true;
	state_append("ended %s\n", s->id);
}

/* grant_end calls this for every grant that ends: a fleet grant that ends by time (or by a
 * local revoke, drop or policy change) is acknowledged, through the ledger like the rest. */
void fleet_grant_ended(uint64_t grant_id, const char *kind)
{
	if (!F.on || F.revoking)
		return;
	for (size_t i = 0; i < F.nseen; i++) {
		struct seen *s = &F.seen[i];

		if (s->grant_id == grant_id && !s->revoked && !s->ended) {
			ack_ended(s, kind, "");
			return;
		}
	}
}

/* At start: fleet grants that ended while jitgated was not running, or in its start-up
 * (reconcile, before fleet mode starts), are acknowledged now. */
static void ended_while_away(void)
{
	for (size_t i = 0; i < F.nseen; i++) {
		struct seen *s = &F.seen[i];

		if (!s->revoked && !s->ended && !grants__find(&d.grants, s->grant_id))
			ack_ended(s, "expire", " (noticed at start)");
	}
}

/* ------------------------------------------------------------------ audit summary */

/* Every record of the audit log after the last summary, counted, with the break-glass
 * grants: one row in the store's audit_summary. Nothing is sent while the store is down;
 * the log holds it, and the summary after the return covers it. */
static void summary_send(void)
{
	uint64_t from, to;
	json_t *sum = NULL;
	char err[512], *text;
	int64_t now = util__realtime_ns() / 1000000000LL;
	int ret;

	F.next_summary = mono() + F.summary_s;
	if (!store__connected(&F.store) || !*d.cfg.audit_log)
		return;
	audit__flush(&d.audit);
	ret = fleet__summary_build(d.cfg.audit_log, F.summary_seq,
				   F.summary_at ? F.summary_at - 86400 : 0, &sum, &from, &to, err,
				   sizeof(err));
	if (ret == -ENOENT)
		return;
	if (ret) {
		pr_warn("fleet: audit summary: %s", err);
		return;
	}
	text = json_dumps(sum, JSON_COMPACT);
	json_decref(sum);
	if (!text || store__audit_summary(&F.store, F.host, from, to, text, err, sizeof(err))) {
		if (!F.summary_said)
			pr_warn("fleet: %s; the audit summary is sent later (the log keeps it)",
				text ? err : "out of memory");
		F.summary_said = true;
		free(text);
		return;
	}
	free(text);
	F.summary_said = false;
	F.summary_seq = to;
	F.summary_at = now;
	state_append("summary %llu %lld\n", (unsigned long long)to, (long long)now);
}

/* ------------------------------------------------------------------ refusals */

static void audit_reject(const char *id, const char *signer, enum jg_fleet_reason reason,
			 const char *error, const char *what)
{
	json_t *ev = audit__new("fleet.reject");

	json_object_set_new(ev, "request_id", json_string(id));
	json_object_set_new(ev, "what", json_string(what));
	json_object_set_new(ev, "signer", signer && *signer ? json_string(signer) : json_null());
	json_object_set_new(ev, "reason", json_string(fleet__reason_name(reason)));
	json_object_set_new(ev, "error", json_string(error));
	json_object_set_new(ev, "fleet_host", json_string(F.host));
	ctl_emit(ev);
}

/* ------------------------------------------------------------------ applying what was read */

static void forms_of(const struct jg_store_item *it, struct jg_fleet_signed *req,
		     struct jg_fleet_signed *dec, size_t *ndec)
{
	*req = (struct jg_fleet_signed){ it->req.canon, it->req.canonlen, it->req.sig,
					 it->req.siglen };
	*ndec = it->ndec < JG_FLEET_MAX_DECISIONS ? it->ndec : JG_FLEET_MAX_DECISIONS;
	for (size_t i = 0; i < *ndec; i++)
		dec[i] = (struct jg_fleet_signed){ it->dec[i].canon, it->dec[i].canonlen,
						   it->dec[i].sig, it->dec[i].siglen };
}

/* A request activated here: only a revoke changes anything. */
static void apply_seen(const struct jg_store_item *it, struct seen *s, int64_t cursor)
{
	struct jg_fleet_host h = host_view();
	struct jg_fleet_request r;
	uint8_t hash[32];
	char err[512], by[JG_NAME_LEN];

	fleet__hash(it->req.canon, it->req.canonlen, hash);
	if (memcmp(hash, s->hash, 32)) {
		if (it->req.rev > cursor) {
			audit_reject(it->id, NULL, JG_FR_REPLAYED, "the store's request has other "
				     "contents than the one activated here: it was edited", "request");
		}
		return;
	}
	if (s->revoked || !it->has_revoke || fleet__request_parse(it->req.canon, it->req.canonlen,
								  &r, err, sizeof(err)))
		return;
	for (size_t i = 0; i < it->ndec; i++) {
		struct jg_fleet_signed dsig = { it->dec[i].canon, it->dec[i].canonlen,
						it->dec[i].sig, it->dec[i].siglen };
		enum jg_fleet_reason why;
		char reason[JG_REASON_LEN];

		if (strcmp(it->dec[i].kind, "revoke"))
			continue;
		if (fleet__verify_revoke(&h, &r, hash, &dsig, by, sizeof(by), &why, err,
					 sizeof(err))) {
			if (it->dec[i].rev > cursor)
				audit_reject(it->id, NULL, why, err, "revoke");
			continue;
		}
		snprintf(reason, sizeof(reason), "fleet revoke of %s by %s", it->id, by);
		F.revoking = true;
		if (grants__find(&d.grants, s->grant_id))
			grant_end(s->grant_id, "revoke", NULL, reason, "grant.revoke",
				  json_pack("{s:s, s:s}", "fleet_request_id", it->id, "revoked_by",
					    by));
		F.revoking = false;
		ack(it->id, "revoked", reason, 0);
		s->revoked = true;
		state_append("revoked %s\n", it->id);
		break;
	}
	fleet__request_free(&r);
}

static int start_fleet_grant(const struct jg_fleet_verdict *v, uint64_t *gid, char *err,
			     size_t errlen)
{
	const struct jg_role *role = v->role;
	struct jg_grant_rec g = { 0 };
	int64_t now = util__realtime_ns();
	uint32_t uid;
	json_t *extra;

	if (uid_of(v->req.requester, &uid, NULL)) {
		snprintf(err, errlen, "request %s: this host has no user \"%s\"", v->req.id,
			 v->req.requester);
		return -ENOENT;
	}
	for (size_t i = 0; i < role->nallow && i < JG_GRANT_MAX_ALLOW; i++) {
		snprintf(g.allow[i].resource, sizeof(g.allow[i].resource), "%s",
			 role->allow[i].resource);
		g.allow[i].perms = role->allow[i].perms;
		g.nallow = i + 1;
	}
	g.uid = uid;
	snprintf(g.user, sizeof(g.user), "%s", v->req.requester);
	snprintf(g.reason, sizeof(g.reason), "%s", v->req.reason);
	g.by_uid = JG_BY_POLICY;
	snprintf(g.by_user, sizeof(g.by_user), "fleet");
	snprintf(g.role, sizeof(g.role), "%s", role->name);
	g.created_wall_ns = now;
	g.expires_wall_ns = v->not_after * 1000000000LL;
	g.expires_boot_ns = util__boottime_ns() + (uint64_t)(g.expires_wall_ns - now);
	extra = json_pack("{s:s, s:s, s:I, s:I}", "fleet_request_id", v->req.id, "role",
			  role->name, "duration_s", (json_int_t)v->req.duration, "approvals",
			  (json_int_t)v->approvals);
	if (grant_start(&g, NULL, NULL, false, extra, err, errlen))
		return -EIO;
	*gid = g.id;
	return 0;
}

static void apply_new(const struct jg_store_item *it, int64_t cursor)
{
	struct jg_fleet_signed req, dec[JG_FLEET_MAX_DECISIONS];
	struct jg_fleet_host h = host_view();
	struct jg_fleet_verdict v;
	char err[512], why[600];
	uint64_t gid;
	size_t ndec;

	forms_of(it, &req, dec, &ndec);
	if (fleet__verify_request(&h, &req, dec, ndec, &v, err, sizeof(err))) {
		audit_reject(it->id, *v.req.requester ? v.req.requester : NULL, v.reason, err,
			     "request");
		snprintf(why, sizeof(why), "%s: %s", fleet__reason_name(v.reason), err);
		ack(it->id, "rejected", why, 0);
		fleet__verdict_free(&v);
		return;
	}
	for (size_t i = 0; i < v.nrejected; i++)
		if (it->dec[v.rejected[i].index].rev > cursor)
			audit_reject(it->id, v.rejected[i].by, v.rejected[i].reason,
				     v.rejected[i].error, "decision");
	switch (v.outcome) {
	case JG_FLEET_GRANT:
		if (start_fleet_grant(&v, &gid, err, sizeof(err))) {
			pr_warn("fleet: %s", err);
			ack(it->id, "rejected", err, 0);
			break;
		}
		/* the acknowledgement is held before the request is remembered: a crash
		 * between the two re-reads the request and acknowledges it again, never not */
		ack(it->id, "active", NULL, v.not_after);
		fleet__hash(it->req.canon, it->req.canonlen, v.hash);
		{
			char hx[65];

			hex32(v.hash, hx);
			seen_add(it->id, v.hash, gid);
			state_append("seen %s %s %llu\n", it->id, hx, (unsigned long long)gid);
		}
		break;
	case JG_FLEET_DENIED:
		snprintf(why, sizeof(why), "denied by %s", v.by);
		ack(it->id, "rejected", why, 0);
		break;
	case JG_FLEET_REVOKED:
		snprintf(why, sizeof(why), "revoked by %s before it started here", v.by);
		ack(it->id, "revoked", why, 0);
		break;
	case JG_FLEET_ENDED:
		ack(it->id, "expired", "approved, but its time was over when this host read it", 0);
		break;
	default:	/* pending: a later decision brings it back */
		break;
	}
	fleet__verdict_free(&v);
}

/* Read everything above the cursor: revokes first, then the rest, oldest first. */
static void sync_store(void)
{
	char err[512];

	for (int round = 0; round < 64 && store__connected(&F.store); round++) {
		struct jg_store_batch b;

		if (store__fetch(&F.store, F.cursor, &b, err, sizeof(err))) {
			pr_warn("fleet: %s", err);
			return;
		}
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < b.n; i++) {
				struct jg_store_item *it = &b.v[i];
				struct seen *s;

				if (it->has_revoke != (pass == 0))
					continue;
				s = seen_find(it->id);
				if (s)
					apply_seen(it, s, F.cursor);
				else
					apply_new(it, F.cursor);
			}
		if (b.max_rev > F.cursor) {
			F.cursor = b.max_rev;
			state_append("cursor %lld\n", (long long)F.cursor);
		}
		store__batch_free(&b);
		if (!b.more)
			break;
	}
}

/* ------------------------------------------------------------------ connection */

static void fd_update(void)
{
	int fd = store__fd(&F.store);

	if (fd == F.fd)
		return;
	if (F.fd >= 0)
		epoll_ctl(d.ep_fd, EPOLL_CTL_DEL, F.fd, NULL);
	F.fd = -1;
	if (fd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = TAG_FLEET };

		if (!epoll_ctl(d.ep_fd, EPOLL_CTL_ADD, fd, &ev))
			F.fd = fd;
	}
}

static void heartbeat(void)
{
	char err[512], versions[128];

	snprintf(versions, sizeof(versions), "{\"jitgated\": \"%s\", \"schema\": %d}",
		 JG_VERSION, JG_STORE_SCHEMA);
	if (store__heartbeat(&F.store, F.host, versions, err, sizeof(err)))
		pr_warn("fleet: %s", err);
}

static void try_connect(void)
{
	char err[512];

	if (store__connect(&F.store, true, err, sizeof(err))) {
		if (!F.down_said)
			pr_warn("fleet: %s; retrying with backoff", err);
		F.down_said = true;
		fd_update();
		return;
	}
	pr_info("fleet: connected to the store as host %s (cursor %lld)", F.host,
		(long long)F.cursor);
	F.down_said = false;
	fd_update();
	/* LISTEN is in place: now read the state. Revokes first (sync_store), then the
	 * acknowledgements that waited. */
	sync_store();
	acks_flush();
	summary_send();
	heartbeat();
	fd_update();
	F.next_poll = mono() + F.poll_s;
}

/* Called at start, after the event loop exists. 0, or -EINVAL with one sentence (the
 * config or the signer list is wrong: jitgated refuses to start). */
int fleet_start(char *err, size_t errlen)
{
	char store[2048];
	int ret;

	if (!d.cfg.fleet)
		return 0;
	if (!json_is_object(d.cfg.fleet)) {
		snprintf(err, errlen, "%s: \"fleet\" must be an object {\"store\": CONNINFO, "
			 "\"host\", \"labels\", \"signers\", \"poll_s\"}", d.config_path);
		return -EINVAL;
	}
	ret = parse_config(d.cfg.fleet, store, sizeof(store), err, errlen);
	if (!ret)
		ret = store__init(&F.store, store, err, errlen);
	if (!ret)
		ret = signers__load_file(F.signers_path, &F.signers, err, errlen);
	if (ret)
		return -EINVAL;
	snprintf(F.state_path, sizeof(F.state_path), "%s/fleet.state", d.cfg.state_dir);
	state_load();
	F.on = true;
	ended_while_away();
	srand((unsigned)(getpid() ^ util__realtime_ns()));
	pr_info("fleet mode: host %s, labels \"%s\", signers %s (%zu keys), %zu requests "
		"activated before, %ld acknowledgements held", F.host, F.labels, F.signers_path,
		F.signers->n, F.nseen, ledger__fleet_ack_count(&d.ledger));
	try_connect();
	return 0;
}

void fleet_event(void)
{
	int n = store__drain(&F.store);

	if (n < 0) {
		pr_warn("fleet: %s; reconnecting with backoff", F.store.err);
		F.down_said = true;
		fd_update();
	} else if (n > 0) {
		sync_store();
		fd_update();
	}
}

void fleet_tick(void)
{
	if (!F.on)
		return;
	if (!store__connected(&F.store)) {
		if (store__retry_due(&F.store))
			try_connect();
		return;
	}
	if (mono() >= F.next_poll) {
		F.next_poll = mono() + F.poll_s;
		sync_store();
		acks_flush();
		if (store__connected(&F.store) && mono() >= F.next_summary)
			summary_send();
		if (store__connected(&F.store))
			heartbeat();
		if (!store__connected(&F.store))
			fd_update();
	}
}

void fleet_stop(void)
{
	if (F.fd >= 0)
		epoll_ctl(d.ep_fd, EPOLL_CTL_DEL, F.fd, NULL);
	F.fd = -1;
	store__free(&F.store);
	signers__free(F.signers);
	F.signers = NULL;
	free(F.seen);
	F.seen = NULL;
	F.on = false;
}

json_t *fleet_status(void)
{
	long waiting;

	if (!F.on)
		return json_null();
	waiting = ledger__fleet_ack_count(&d.ledger);
	return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:s}", "host", F.host, "labels",
			 F.labels, "connected", store__connected(&F.store), "cursor",
			 (json_int_t)F.cursor, "acks_waiting", (json_int_t)(waiting < 0 ? 0 : waiting),
			 "acks_lost", (json_int_t)F.acks_lost, "summary_seq",
			 (json_int_t)F.summary_seq, "error",
			 store__connected(&F.store) ? "" : F.store.err);
}
