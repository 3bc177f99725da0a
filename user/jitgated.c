// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgated: owns the kernel gate. Loads (or adopts) the pinned BPF LSM programs, keeps the
 * kernel maps equal to the policy and the live grants, streams kernel events into the audit
 * log and answers the CLI on a Unix socket. Runs in the foreground, systemd style. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <bpf/libbpf.h>
#include "audit.h"
#include "compile.h"
#include "defaults.h"
#include "duration.h"
#include "gate.h"
#include "grants.h"
#include "log.h"
#include "policy.h"
#include "proto.h"
#include "util.h"

#define MAX_ADMIN_GROUPS 16
#define CLIENT_TIMEOUT_MS 2000

struct config {
	char policy[256];
	char socket[256];
	char pin_dir[256];
	char audit_log[256];
	char state_dir[256];
	char host[256];
	uint32_t ringbuf_bytes;
	uint32_t max_grants;
	bool audit_stdout;
	bool stream_allow_events;
	char admin_groups[MAX_ADMIN_GROUPS][JG_NAME_LEN];
	size_t nadmin_groups;
};

struct peer {
	pid_t pid;
	uint32_t uid, gid, loginuid;
	uint32_t subject;		/* loginuid when set, else uid */
	char user[JG_NAME_LEN];		/* name of subject */
	bool admin;
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
	char state_path[300];
	int64_t started_ns;
	uint64_t lost_reported;
	bool stop;
} d = { .listen_fd = -1, .sig_fd = -1, .timer_fd = -1, .ep_fd = -1, .lock_fd = -1 };

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
		} else if (!strcmp(key, "ringbuf_bytes")) {
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

			/* the kernel wants a power of two, at least one page */
			if (n < 4096 || n > (1 << 30) || (n & (n - 1))) {
				snprintf(err, errlen, "%s: \"ringbuf_bytes\" must be a power of two "
					 "between 4096 and 1073741824", file);
				ret = -EINVAL;
			} else {
				c->ringbuf_bytes = (uint32_t)n;
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
			size_t i;
			json_t *g;

			if (!json_is_array(v) || json_array_size(v) > MAX_ADMIN_GROUPS) {
				snprintf(err, errlen, "%s: \"admin_groups\" must be an array of at most "
					 "%d group names", file, MAX_ADMIN_GROUPS);
				ret = -EINVAL;
			}
			json_array_foreach(v, i, g) {
				if (ret)
					break;
				ret = copy_str(g, file, "admin_groups[]", c->admin_groups[i],
					       JG_NAME_LEN, err, errlen);
				c->nadmin_groups = i + 1;
			}
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

/* ------------------------------------------------------------------ state */

static int state_save(void)
{
	char boot_id[64];
	json_t *root, *ids, *grants;
	char *text;
	int ret;

	util__boot_id(boot_id, sizeof(boot_id));
	ids = json_object();
	for (int i = 1; i < JG_MAX_RESOURCES; i++)
		if (d.res_names[i])
			json_object_set_new(ids, d.res_names[i], json_integer(i));
	grants = json_array();
	for (size_t i = 0; i < d.grants.n; i++)
		json_array_append_new(grants, grants__state_json(&d.grants.v[i]));
	root = json_pack("{s:i, s:s, s:I, s:I, s:o, s:o}", "version", 1, "boot_id", boot_id,
			 "next_grant_id", (json_int_t)d.grants.next_id,
			 "lost_reported", (json_int_t)d.lost_reported, "resource_ids", ids,
			 "grants", grants);
	text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (!text)
		return -ENOMEM;
	ret = util__write_atomic(d.state_path, text, strlen(text), 0600);
	free(text);
	if (ret)
		pr_warn("cannot save %s: %s", d.state_path, strerror(-ret));
	return ret;
}

/* Returns true when the state was written on another boot (boot-time expiries are void). */
static int state_load(bool *other_boot, char *err, size_t errlen)
{
	char boot_id[64];
	json_error_t jerr;
	json_t *root, *ids, *grants, *v;
	const char *key, *saved_boot;
	size_t i;
	int ret = 0;

	*other_boot = false;
	root = json_load_file(d.state_path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(d.state_path, F_OK) && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s:%d:%d: %s", d.state_path, jerr.line, jerr.column,
			 jerr.text);
		return -EINVAL;
	}
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s:o, s:o, s:o}", "boot_id", &saved_boot,
			   "next_grant_id", &v, "resource_ids", &ids, "grants", &grants) ||
	    !json_is_integer(v) || !json_is_object(ids) || !json_is_array(grants)) {
		snprintf(err, errlen, "%s: not a jitgated state file", d.state_path);
		ret = -EINVAL;
		goto out;
	}
	util__boot_id(boot_id, sizeof(boot_id));
	*other_boot = strcmp(boot_id, saved_boot) != 0;
	d.grants.next_id = (uint64_t)json_integer_value(v);
	/* the kernel's loss counter lives as long as the pins: what we reported of it */
	d.lost_reported = (uint64_t)json_integer_value(json_object_get(root, "lost_reported"));
	if (*other_boot)
		d.lost_reported = 0;
	json_object_foreach(ids, key, v) {
		json_int_t id = json_integer_value(v);

		if (id <= 0 || id >= JG_MAX_RESOURCES || d.res_names[id]) {
			snprintf(err, errlen, "%s: resource id of \"%s\" is invalid", d.state_path, key);
			ret = -EINVAL;
			goto out;
		}
		d.res_names[id] = strdup(key);
	}
	json_array_foreach(grants, i, v) {
		struct jg_grant_rec r;

		ret = grants__from_state_json(v, &r, err, errlen);
		if (ret)
			goto out;
		if (!grants__add(&d.grants, &r)) {
			ret = -ENOMEM;
			goto out;
		}
	}
out:
	json_decref(root);
	return ret;
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
				d.res_names[k] = strdup(p->resources[i].name);
				id = k;
			}
		}
		if (id < 0) {
			snprintf(err, errlen, "%s: more than %d resource names were ever used on this "
				 "host; remove %s to start afresh", p->file, JG_MAX_RESOURCES - 1,
				 d.state_path);
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

static json_t *allow_json(const struct jg_grant_rec *r)
{
	json_t *g = grants__to_json(r, util__realtime_ns());
	json_t *allow = json_incref(json_object_get(g, "allow"));

	json_decref(g);
	return allow;
}

static void audit_grant(const char *type, const struct jg_grant_rec *r, json_t *extra)
{
	json_t *ev = audit__new(type);
	char gid[32], when[48];

	json_object_set_new(ev, "grant_id", json_string(grants__format_id(r->id, gid, sizeof(gid))));
	json_object_set_new(ev, "subject", audit__subject(r->uid, (uint32_t)-1));
	json_object_set_new(ev, "allow", allow_json(r));
	json_object_set_new(ev, "reason", json_string(r->reason));
	json_object_set_new(ev, "expires", json_string(util__rfc3339(r->expires_wall_ns, when,
								   sizeof(when))));
	if (extra) {
		json_object_update(ev, extra);
		json_decref(extra);
	}
	audit__emit(&d.audit, ev, 0);
}

static json_t *peer_json(const struct peer *p)
{
	return json_pack("{s:I, s:o, s:s, s:I}", "uid", (json_int_t)p->uid, "loginuid",
			 p->loginuid == (uint32_t)-1 ? json_null() : json_integer(p->loginuid),
			 "user", p->user, "pid", (json_int_t)p->pid);
}

static void expire_grants(bool late)
{
	uint64_t now = util__boottime_ns();
	bool changed = false;

	for (size_t i = 0; i < d.grants.n;) {
		struct jg_grant_rec r;

		if (d.grants.v[i].expires_boot_ns > now) {
			i++;
			continue;
		}
		grants__remove(&d.grants, d.grants.v[i].id, &r);
		sync_pairs(&r);
		audit_grant("grant.expire", &r, late ? json_pack("{s:b}", "noticed_after_restart", 1)
						     : NULL);
		changed = true;
	}
	if (changed)
		state_save();
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

/* After a restart: the kernel holds exactly what the state says is live. */
static void reconcile(bool other_boot)
{
	struct orphan_ctx o = { 0 };
	int64_t now_wall = util__realtime_ns();
	uint64_t now_boot = util__boottime_ns();

	if (other_boot) {
		/* boot-time expiries of another boot mean nothing: rebase on the wall clock */
		for (size_t i = 0; i < d.grants.n; i++) {
			int64_t left = d.grants.v[i].expires_wall_ns - now_wall;

			d.grants.v[i].expires_boot_ns = left > 0 ? now_boot + (uint64_t)left : 0;
		}
	}
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
	state_save();
}

/* ------------------------------------------------------------------ policy */

static json_t *policy_summary(void)
{
	char when[48];

	return json_pack("{s:s, s:i, s:i, s:s}", "file", d.cfg.policy, "resources",
			 (int)d.policy->nresources, "roles", (int)d.policy->nroles, "loaded",
			 util__rfc3339(d.policy_loaded_ns, when, sizeof(when)));
}

/* Validate, compile and apply a policy; on any error nothing changes. */
static int policy_apply(const char *file, char *err, size_t errlen)
{
	struct jg_compiled *c = NULL;
	struct jg_policy *p = NULL;
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
		audit__emit(&d.audit, ev, 0);
	}
	/* Grants on resources the new policy no longer names end now. */
	for (size_t i = 0; i < d.grants.n;) {
		struct jg_grant_rec *r = &d.grants.v[i];
		bool gone = false;

		for (size_t a = 0; a < r->nallow && !gone; a++)
			gone = !policy__resource(d.policy, r->allow[a].resource);
		if (gone) {
			struct jg_grant_rec old;

			grants__remove(&d.grants, r->id, &old);
			sync_pairs(&old);
			audit_grant("grant.revoke", &old, json_pack("{s:s}", "revoke_reason",
								    "resource removed from policy"));
			continue;
		}
		i++;
	}
	state_save();
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
	const char *hooks[32];
	size_t nhooks = gate__hooks(d.gate, hooks, 32);
	json_t *programs = json_array();

	for (size_t i = 0; i < nhooks; i++)
		json_array_append_new(programs, json_string(hooks[i]));
	gate__stats(d.gate, stats);
	return json_pack("{s:b, s:{s:i, s:s, s:s}, s:o, s:{s:s, s:o, s:s, s:b}, "
			 "s:{s:i, s:i}, s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
			 "enforcing", enforcing,
			 "daemon", "pid", (int)getpid(), "version", JG_VERSION, "started",
			 util__rfc3339(d.started_ns, when, sizeof(when)),
			 "policy", policy_summary(),
			 "gate", "pin_dir", d.cfg.pin_dir, "programs", programs, "canary",
			 enforcing ? "denied" : err, "adopted", d.gate->adopted,
			 "grants", "live", (int)d.grants.n, "capacity", (int)d.gate->max_grants,
			 "stats", "deny", (json_int_t)stats[JG_STAT_DENY],
			 "allow", (json_int_t)stats[JG_STAT_ALLOW],
			 "audit", (json_int_t)stats[JG_STAT_AUDIT],
			 "events_lost", (json_int_t)stats[JG_STAT_EVENTS_LOST],
			 "too_deep", (json_int_t)stats[JG_STAT_TOO_DEEP],
			 "audit_write_errors", (json_int_t)d.audit.write_errors);
}

static json_t *deny_perm(const struct peer *p, const char *what)
{
	return proto__error("EPERM", "only an admin may %s (you are %s, uid %u)", what, p->user,
			    p->uid);
}

static json_t *do_grant(const struct peer *p, json_t *args)
{
	const char *user, *dur, *reason;
	struct jg_grant_rec r = { 0 }, *stored;
	char err[512];
	json_t *allow, *a;
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
	if (!*reason || strlen(reason) >= sizeof(r.reason))
		return proto__error("EINVAL", "the reason must be between 1 and %zu characters",
				    sizeof(r.reason) - 1);
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

	stored = grants__add(&d.grants, &r);
	if (!stored)
		return proto__error("ENOMEM", "out of memory");
	r = *stored;
	ret = sync_pairs(&r);
	if (ret) {
		json_t *ev = audit__new("grant.error");

		grants__remove(&d.grants, r.id, NULL);
		sync_pairs(&r);
		json_object_set_new(ev, "subject", audit__subject(r.uid, (uint32_t)-1));
		json_object_set_new(ev, "allow", allow_json(&r));
		json_object_set_new(ev, "by", peer_json(p));
		json_object_set_new(ev, "error", json_string(strerror(-ret)));
		audit__emit(&d.audit, ev, 0);
		if (ret == -ENOSPC)
			return proto__error("ENOSPC", "the kernel grant map is full (%u entries); "
					    "the grant was not created", d.gate->max_grants);
		return proto__error("EIO", "cannot write the grant into the kernel: %s",
				    strerror(-ret));
	}
	state_save();
	audit_grant("grant.create", &r,
		    json_pack("{s:I, s:b, s:o}", "duration_s", (json_int_t)secs, "break_glass",
			      bg, "by", peer_json(p)));
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
		struct jg_grant_rec r;

		if (id_text ? d.grants.v[i].id != id : d.grants.v[i].uid != uid) {
			i++;
			continue;
		}
		grants__remove(&d.grants, d.grants.v[i].id, &r);
		sync_pairs(&r);
		audit_grant("grant.revoke", &r, json_pack("{s:s, s:o}", "revoke_reason", reason,
							  "by", peer_json(p)));
		json_array_append_new(revoked, json_string(grants__format_id(r.id, gid, sizeof(gid))));
	}
	if (id_text && !json_array_size(revoked)) {
		json_decref(revoked);
		return proto__error("ENOENT", "no live grant %s", id_text);
	}
	state_save();
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
	char err[512];
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

static int peer_of(int fd, struct peer *p)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	p->pid = cred.pid;
	p->uid = cred.uid;
	p->gid = cred.gid;
	p->loginuid = util__loginuid(cred.pid);
	p->subject = p->loginuid != (uint32_t)-1 ? p->loginuid : p->uid;
	util__user_name(p->subject, p->user, sizeof(p->user));
	p->admin = p->uid == 0;
	for (size_t i = 0; i < d.cfg.nadmin_groups && !p->admin; i++)
		p->admin = util__user_in_group(p->uid, d.cfg.admin_groups[i]);
	return 0;
}

static void serve_client(int fd)
{
	struct peer peer;
	json_t *msg = NULL, *args, *reply;
	const char *cmd;
	char err[256];
	int ret;

	if (peer_of(fd, &peer))
		goto out;
	ret = proto__read(fd, CLIENT_TIMEOUT_MS, &msg, err, sizeof(err));
	if (ret) {
		reply = proto__error("EPROTO", "%s", err);
	} else if (proto__parse_request(msg, &cmd, &args, err, sizeof(err))) {
		reply = proto__error("EINVAL", "%s", err);
	} else if (!strcmp(cmd, "status")) {
		reply = proto__ok(reply_status());
	} else if (!strcmp(cmd, "grant")) {
		reply = do_grant(&peer, args);
	} else if (!strcmp(cmd, "revoke")) {
		reply = do_revoke(&peer, args);
	} else if (!strcmp(cmd, "list")) {
		reply = do_list(&peer);
	} else if (!strcmp(cmd, "policy.reload")) {
		reply = do_reload(&peer);
	} else if (!strcmp(cmd, "unload")) {
		reply = do_unload(&peer);
	} else {
		reply = proto__error("EINVAL", "unknown command \"%s\"", cmd);
	}
	proto__write(fd, reply);
	json_decref(reply);
out:
	json_decref(msg);
	close(fd);
}

/* ------------------------------------------------------------------ events */

static int on_event(void *ctx, void *data, size_t size)
{
	const struct jg_event *e = data;
	const char *name;

	if (size < sizeof(*e) || (e->type == JG_EV_TRAIL && size < sizeof(struct jg_trail)))
		return 0;
	name = e->resource < JG_MAX_RESOURCES ? d.res_names[e->resource] : NULL;
	audit__emit(&d.audit, audit__from_kernel(e, name), util__boot_to_wall(e->boot_ns));
	return 0;
}

static void check_lost(void)
{
	uint64_t stats[JG_STAT_MAX] = { 0 };
	json_t *ev;

	if (gate__stats(d.gate, stats) || stats[JG_STAT_EVENTS_LOST] == d.lost_reported)
		return;
	ev = audit__new("audit.lost");
	json_object_set_new(ev, "lost", json_integer((json_int_t)(stats[JG_STAT_EVENTS_LOST] -
								  d.lost_reported)));
	json_object_set_new(ev, "lost_total", json_integer((json_int_t)stats[JG_STAT_EVENTS_LOST]));
	json_object_set_new(ev, "reason", json_string("kernel ring buffer full"));
	audit__emit(&d.audit, ev, 0);
	d.lost_reported = stats[JG_STAT_EVENTS_LOST];
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
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
		"  --state-dir DIR    grant state (default %s)\n"
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
		{ "audit-stdout", no_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{},
	};
	const char *config_file = JG_CONFIG_DEFAULT, *policy = NULL, *sock = NULL, *pins = NULL,
		   *audit_log = NULL, *state_dir = NULL;
	bool config_given = false, audit_stdout = false, other_boot;
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
	d.cfg.max_grants = JG_MAX_GRANTS;
	d.cfg.stream_allow_events = true;
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
	snprintf(d.state_path, sizeof(d.state_path), "%s/state.json", d.cfg.state_dir);
	grants__init(&d.grants);
	ret = state_load(&other_boot, err, sizeof(err));
	if (!ret)
		ret = audit__open(&d.audit, d.cfg.audit_log, d.cfg.audit_stdout, d.cfg.host, err,
				  sizeof(err));
	if (!ret)
		ret = make_canary(err, sizeof(err));
	if (ret) {
		pr_warn("%s", err);
		return 1;
	}
	ret = gate__open(&d.gate, d.cfg.pin_dir, d.cfg.ringbuf_bytes, d.cfg.max_grants,
			 d.cfg.stream_allow_events, err, sizeof(err));
	if (ret) {
		pr_warn("refusing to start: %s", err);
		return 1;
	}
	if (!d.gate->adopted)
		d.lost_reported = 0;	/* a new stats map counts from zero */
	ret = gate__exempt_self(d.gate);
	if (ret) {
		pr_warn("refusing to start: cannot exempt jitgated from its own gate: %s",
			strerror(-ret));
		return 1;
	}
	d.rb = ring_buffer__new(gate__events_fd(d.gate), on_event, NULL, NULL);
	if (!d.rb) {
		pr_warn("cannot open the event ring buffer: %s", strerror(errno));
		return 1;
	}
	ring_buffer__consume(d.rb);	/* what the kernel kept while no daemon ran comes first */
	d.started_ns = util__realtime_ns();
	{
		json_t *ev = audit__new("daemon.start");

		json_object_set_new(ev, "version", json_string(JG_VERSION));
		json_object_set_new(ev, "pid", json_integer(getpid()));
		json_object_set_new(ev, "adopted", json_boolean(d.gate->adopted));
		json_object_set_new(ev, "pin_dir", json_string(d.cfg.pin_dir));
		audit__emit(&d.audit, ev, 0);
	}
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
	reconcile(other_boot);

	check_lost();

	d.listen_fd = listen_on(d.cfg.socket, err, sizeof(err));
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

	while (!d.stop) {
		struct epoll_event evs[8];
		int n = epoll_wait(d.ep_fd, evs, 8, -1);

		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case TAG_LISTEN: {
				int cfd = accept4(d.listen_fd, NULL, NULL, SOCK_CLOEXEC);

				if (cfd >= 0)
					serve_client(cfd);
				break;
			}
			case TAG_RB:
				ring_buffer__consume(d.rb);
				break;
			case TAG_TIMER: {
				uint64_t ticks;

				if (read(d.timer_fd, &ticks, sizeof(ticks)) < 0)
					break;
				ring_buffer__consume(d.rb);	/* kernel events precede expiry */
				expire_grants(false);
				check_lost();
				break;
			}
			case TAG_SIG: {
				struct signalfd_siginfo si;

				if (read(d.sig_fd, &si, sizeof(si)) != sizeof(si))
					break;
				if (si.ssi_signo == SIGHUP) {
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
			}
		}
	}
	ring_buffer__consume(d.rb);
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
	policy__free(d.policy);
	grants__free(&d.grants);
	for (int i = 0; i < JG_MAX_RESOURCES; i++)
		free(d.res_names[i]);
	return ret;
}
