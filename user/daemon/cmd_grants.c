// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Handlers of the direct grant commands: grant, revoke, list. */
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

json_t *deny_perm(const struct peer *p, const char *what)
{
	return proto__error("EPERM", "only an admin may %s (you are %s, uid %u)", what, p->user,
			    p->uid);
}

json_t *do_grant(const struct peer *p, json_t *args)
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

json_t *do_revoke(const struct peer *p, json_t *args)
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

json_t *do_list(const struct peer *p, json_t *args)
{
	json_t *arr = json_array();
	int64_t now = util__realtime_ns();

	for (size_t i = 0; i < d.grants.n; i++)
		if (p->admin || d.grants.v[i].uid == p->subject)
			json_array_append_new(arr, grants__to_json(&d.grants.v[i], now));
	return proto__ok(json_pack("{s:o}", "grants", arr));
}
