// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The why handler: what the gate refused a person recently (the daemon's bounded memory of
 * drained denials, audit/denials.h), which roles of the policy would give it, and how to ask
 * for one; for a path or an endpoint without a recent denial, what the policy says of it
 * (policy/cover.h). A person sees their own denials only; an admin may name anyone. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "daemon/daemon.h"
#include "policy/cover.h"

#define WHY_LAST_DEFAULT 10
#define WHY_MAX_COVER 16
#define WHY_MAX_ROLES 32

static json_t *perms_json(unsigned perms)
{
	json_t *a = json_array();

	for (unsigned bit = 1; bit && bit <= JG_PERM_ADMIN; bit <<= 1)
		if ((perms & bit) && perm__name(bit))
			json_array_append_new(a, json_string(perm__name(bit)));
	return a;
}

/* "jitgate request db-read --for 30m --reason TEXT --otp CODE": how to ask for role. */
static json_t *ask_text(const struct jg_role *role)
{
	char dur[32], buf[JG_NAME_LEN + 96];

	snprintf(buf, sizeof(buf), "jitgate request %s --for %s%s%s", role->name,
		 duration__format(role->default_duration, dur, sizeof(dur)),
		 role->require_reason ? " --reason TEXT" : "", role->require_mfa ? " --otp CODE" : "");
	return json_string(buf);
}

static json_t *role_json(const struct jg_role *role, const char *resource,
			 const struct jg_who *who)
{
	char dur[32], max[32];

	return json_pack("{s:s, s:o, s:o, s:b, s:b, s:i, s:b, s:b, s:s, s:s, s:o}",
			 "role", role->name,
			 "description", role->description ? json_string(role->description)
							  : json_null(),
			 "perms", perms_json(cover__role_perms(role, resource)),
			 "may_request", wf__matches(role->requesters, role->nrequesters, who),
			 "auto_approve", wf__auto_approves(role, who, util__realtime_ns()),
			 "approvals", (int)role->approvals,
			 "require_reason", role->require_reason, "require_mfa", role->require_mfa,
			 "default_duration", duration__format(role->default_duration, dur,
							      sizeof(dur)),
			 "max_duration", duration__format(role->max_duration, max, sizeof(max)),
			 "ask", ask_text(role));
}

/* Roles giving some of perms on resource (perms 0: any), as JSON. */
static json_t *roles_json(const char *resource, unsigned perms, const struct jg_who *who)
{
	const struct jg_role *roles[WHY_MAX_ROLES];
	size_t n = cover__roles(d.policy, resource, 0, roles, WHY_MAX_ROLES);
	json_t *a = json_array();

	for (size_t i = 0; i < n && i < WHY_MAX_ROLES; i++)
		if (!perms || (cover__role_perms(roles[i], resource) & perms))
			json_array_append_new(a, role_json(roles[i], resource, who));
	return a;
}

static json_t *denial_json(const struct jg_denial *x, const struct jg_who *who)
{
	const struct jg_resource *res = x->resource[0] ? policy__resource(d.policy, x->resource)
						       : NULL;
	unsigned perm = perm__from_name(x->perm);
	char first[48], last[48];
	json_t *obj;

	obj = x->path[0] || !x->addr[0] ? json_pack("{s:s?}", "path", x->path[0] ? x->path : NULL)
					: json_pack("{s:s, s:i}", "addr", x->addr, "port", x->port);
	return json_pack("{s:s, s:s, s:I, s:o, s:s, s:s, s:o, s:{s:s, s:s?}, s:o, s:o}",
			 "time", util__rfc3339(x->last_ns, last, sizeof(last)),
			 "first", util__rfc3339(x->first_ns, first, sizeof(first)),
			 "count", (json_int_t)x->count,
			 "resource", x->resource[0] ? json_string(x->resource) : json_null(),
			 "perm", x->perm, "hook", x->hook, "object", obj,
			 "process", "comm", x->comm, "exe", x->exe[0] ? x->exe : NULL,
			 "description", res && res->description ? json_string(res->description)
								: json_null(),
			 "roles", res ? roles_json(x->resource, perm, who) : json_array());
}

/* What the policy says of the object asked about: {"path"|"addr","port", "protected",
 * "covered_by": [{"resource", "description", "mode", "entry", "perms", "roles"}]}. */
static json_t *query_json(const char *path, const uint8_t addr[16], const char *addr_text,
			  int port, const struct jg_who *who)
{
	struct jg_cover cov[WHY_MAX_COVER];
	size_t n = path ? cover__path(d.policy, path, cov, WHY_MAX_COVER)
			: cover__endpoint(d.policy, addr, (uint16_t)port, cov, WHY_MAX_COVER);
	json_t *q = path ? json_pack("{s:s}", "path", path)
			 : json_pack("{s:s, s:i}", "addr", addr_text, "port", port);
	json_t *by = json_array();

	for (size_t i = 0; i < n && i < WHY_MAX_COVER; i++)
		json_array_append_new(by, json_pack("{s:s, s:o, s:s, s:s, s:o, s:o}",
			"resource", cov[i].res->name,
			"description", cov[i].res->description ?
				json_string(cov[i].res->description) : json_null(),
			"mode", cov[i].res->audit_mode ? "audit" : "enforce",
			"entry", cov[i].entry, "perms", perms_json(cov[i].perms),
			"roles", roles_json(cov[i].res->name, cov[i].perms, who)));
	json_object_set_new(q, "protected", json_boolean(n > 0));
	json_object_set_new(q, "covered_by", by);
	return q;
}

/* "10.0.0.1" or "2001:db8::1" into the maps' 16-byte form; -EINVAL otherwise. */
static int parse_addr(const char *text, uint8_t out[16])
{
	struct in_addr v4;

	memset(out, 0, 16);
	if (inet_pton(AF_INET, text, &v4) == 1) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &v4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, text, out) == 1 ? 0 : -EINVAL;
}

static bool wanted(const struct jg_denial *x, const char *path, const uint8_t addr[16],
		   int port)
{
	uint8_t a[16];

	if (path)
		return denials__path_matches(x, path);
	if (port)
		return x->addr[0] && x->port == port && !parse_addr(x->addr, a) &&
		       !memcmp(a, addr, 16);
	return true;
}

/* The arguments: whose denials (*subject, *name), which object, how many. NULL, or the
 * error reply. */
static json_t *why_args(const struct peer *p, json_t *args, uint32_t *subject, char *name,
			const char **path, char *norm, uint8_t addr[16], const char **addr_text,
			int *port, size_t *last)
{
	const char *user = NULL;
	json_t *v;
	char err[256];

	if (proto__arg_string(args, "user", false, &user, err, sizeof(err)) == -EINVAL ||
	    proto__arg_string(args, "path", false, path, err, sizeof(err)) == -EINVAL ||
	    proto__arg_string(args, "addr", false, addr_text, err, sizeof(err)) == -EINVAL)
		return proto__error("EINVAL", "%s", err);
	*subject = p->subject;
	snprintf(name, JG_NAME_LEN, "%s", p->user);
	if (user && util__resolve_user(user, subject, name, JG_NAME_LEN, err, sizeof(err)))
		return proto__error("ENOENT", "%s", err);
	if (*subject != p->subject && !p->admin)
		return deny_perm(p, "see another user's denials");
	v = json_object_get(args, "last");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > JG_DENIALS_PER_USER))
		return proto__error("EINVAL", "last must be a number from 1 to %d (jitgated "
				    "remembers that many denials a person)", JG_DENIALS_PER_USER);
	*last = v ? (size_t)json_integer_value(v) : WHY_LAST_DEFAULT;
	v = json_object_get(args, "port");
	if (*path && (*addr_text || v))
		return proto__error("EINVAL", "why takes a path or an address and port, not both");
	if (*path && cover__normalise(*path, norm, PATH_MAX))
		return proto__error("EINVAL", "path must be absolute and shorter than %d bytes",
				    PATH_MAX);
	if (*path)
		*path = norm;
	if (!*addr_text != !v)
		return proto__error("EINVAL", "an address goes with a port");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > 65535))
		return proto__error("EINVAL", "port must be a number from 1 to 65535");
	*port = v ? (int)json_integer_value(v) : 0;
	if (*addr_text && parse_addr(*addr_text, addr))
		return proto__error("EINVAL", "\"%s\" is not an IPv4 or IPv6 address", *addr_text);
	return NULL;
}

json_t *do_why(const struct peer *p, json_t *args)
{
	struct jg_denial v[JG_DENIALS_PER_USER];
	const char *path = NULL, *addr_text = NULL;
	char name[JG_NAME_LEN], norm[PATH_MAX];
	struct peer whom = { 0 };
	struct jg_who who;
	uint8_t addr[16] = { 0 };
	uint32_t subject;
	uint64_t dropped;
	size_t n, last = WHY_LAST_DEFAULT, shown = 0;
	int port = 0;
	json_t *err, *arr, *res;

	err = why_args(p, args, &subject, name, &path, norm, addr, &addr_text, &port, &last);
	if (err)
		return err;
	whom.subject = whom.uid = subject;
	snprintf(whom.user, sizeof(whom.user), "%s", name);
	who = who_of(&whom);
	n = denials__of(&d.denials, subject, v, JG_DENIALS_PER_USER, &dropped);
	arr = json_array();
	for (size_t i = 0; i < n && shown < last; i++) {
		if (!wanted(&v[i], path, addr, port))
			continue;
		json_array_append_new(arr, denial_json(&v[i], &who));
		shown++;
	}
	res = json_pack("{s:s, s:I, s:o, s:I, s:i}", "user", name, "uid", (json_int_t)subject,
			"denials", arr, "dropped", (json_int_t)dropped, "remembered",
			JG_DENIALS_PER_USER);
	if (path || addr_text)
		json_object_set_new(res, "query", query_json(path, addr, addr_text, port, &who));
	return proto__ok(res);
}
