// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The policy's "resources": files, programs, connect and bind endpoints, elevation. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jitgate.h"
#include "lib/duration.h"
#include "lib/jsonpos.h"
#include "policy/parse.h"

static int parse_paths(struct ctx *c, json_t *v, const char *ptr, const char *what,
		       bool allow_empty, struct jg_path **out, size_t *nout)
{
	char eptr[PTR_MAX];
	size_t n, i;
	json_t *e;
	int ret;

	if ((ret = get_array(c, v, ptr, what, "[\"/srv/data\"]", allow_empty)))
		return ret;
	n = json_array_size(v);
	if (!n)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return oom(c);
	*nout = n;
	json_array_foreach(v, i, e) {
		elem(eptr, ptr, i);
		if ((ret = get_path(c, e, eptr, what, &(*out)[i])))
			return ret;
	}
	return 0;
}

static int parse_elevate(struct ctx *c, json_t *v, const char *ptr, const char *what,
			 struct jg_resource *r)
{
	static const char *const known[] = { "except", "warn", "watch", NULL };
	char kptr[PTR_MAX], w[256];
	const char *key;
	json_t *val;
	int ret;

	if (!json_is_object(v))
		return fail_val(c, ptr, "%s must be an object such as {\"except\": "
				"[\"/usr/bin/passwd\"]}, not %s", what, type_name(v));
	r->elevate_warn_s = JG_ELEVATE_WARN_DEFAULT_S;
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (!strcmp(key, "except")) {
			fmt(w, sizeof(w), "%s except", what);
			ret = parse_paths(c, val, kptr, w, true, &r->elevate_except,
					  &r->nelevate_except);
		} else if (!strcmp(key, "watch")) {
			/* [] is allowed: no file trail for this resource's sessions */
			fmt(w, sizeof(w), "%s watch", what);
			ret = parse_paths(c, val, kptr, w, true, &r->elevate_watch,
					  &r->nelevate_watch);
			r->has_watch = true;
		} else if (!strcmp(key, "warn")) {
			fmt(w, sizeof(w), "%s warn", what);
			if (json_is_false(val))
				r->elevate_warn_s = 0;
			else
				ret = get_duration(c, val, kptr, w, &r->elevate_warn_s);
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/* "gate": {"admin": true}: the gate-admin resource (policy.h, JG_GATE_ADMIN_NAME). */
static int parse_gate(struct ctx *c, json_t *v, const char *ptr, const char *what)
{
	static const char *const known[] = { "admin", NULL };
	char kptr[PTR_MAX];
	const char *key;
	json_t *val;

	if (!json_is_object(v) || !json_is_true(json_object_get(v, "admin")))
		return fail_val(c, ptr, "%s must be {\"admin\": true}", what);
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (strcmp(key, "admin"))
			return unknown_key(c, kptr, what, key, known);
	}
	return 0;
}

/* A bind endpoint's 0.0.0.0 or :: is the wildcard a server binds: it stands for every
 * address of its family (:: also for IPv4, as a dual-stack socket accepts both). */
static void endpoint__widen_wildcard(struct jg_endpoint *ep)
{
	static const uint8_t any[16], any4[16] = { [10] = 0xff, [11] = 0xff };

	if (ep->prefixlen == 128 && !memcmp(ep->addr, ep->is_v4 ? any4 : any, 16))
		ep->prefixlen = ep->is_v4 ? 96 : 0;
}

/* "connect" or "bind": an array of endpoint strings. */
static int parse_endpoints(struct ctx *c, json_t *val, const char *kptr, const char *what,
			   const char *kind, struct jg_endpoint **out, size_t *nout)
{
	char w[160], eptr[PTR_MAX];
	const char *s;
	size_t i;
	json_t *e;
	int ret;

	fmt(w, sizeof(w), "%s: %s", what, kind);
	if ((ret = get_array(c, val, kptr, w, strcmp(kind, "bind") ? "[\"10.0.0.0/8:5432\"]" :
			     "[\"0.0.0.0:8443\"]", false)))
		return ret;
	*nout = json_array_size(val);
	if (!(*out = calloc(*nout, sizeof(**out))))
		return oom(c);
	json_array_foreach(val, i, e) {
		char em[512];

		elem(eptr, kptr, i);
		fmt(w, sizeof(w), "%s: %s entry", what, kind);
		if ((ret = get_str(c, e, eptr, w, &s)))
			return ret;
		if ((ret = endpoint__parse(s, &(*out)[i], em, sizeof(em)))) {
			fmt(w, sizeof(w), "%s: %s", what, kind);
			if (ret == -ENOMEM)
				return oom(c);
			/* "resource "x": connect endpoint "..." has ..." */
			return fail_val(c, eptr, "%s %s", w, em);
		}
		(*out)[i].pos = jsonpos__value(c->jp, eptr);
		if (!strcmp(kind, "bind"))
			endpoint__widen_wildcard(&(*out)[i]);
	}
	return 0;
}

static int parse_resource(struct ctx *c, const char *name, json_t *v, const char *ptr,
			  struct jg_resource *r)
{
	static const char *const known[] = { "description", "files", "exec", "connect",
					     "bind", "elevate", "gate", "mode", NULL };
	char what[128], w[160], kptr[PTR_MAX];
	const char *key;
	json_t *val;
	int ret;

	if (!(r->name = strdup(name)))
		return oom(c);
	r->pos = jsonpos__key(c->jp, ptr);
	fmt(what, sizeof(what), "resource %s", Q(c, name));
	if ((ret = get_object(c, v, ptr, what)))
		return ret;

	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (!strcmp(key, "description")) {
			fmt(w, sizeof(w), "%s: description", what);
			if ((ret = dup_str(c, val, kptr, w, &r->description)))
				return ret;
		} else if (!strcmp(key, "files")) {
			fmt(w, sizeof(w), "%s: files", what);
			if ((ret = parse_paths(c, val, kptr, w, false, &r->files, &r->nfiles)))
				return ret;
			r->kinds |= JG_RES_FILES;
		} else if (!strcmp(key, "exec")) {
			fmt(w, sizeof(w), "%s: exec", what);
			if ((ret = parse_paths(c, val, kptr, w, false, &r->exec, &r->nexec)))
				return ret;
			r->kinds |= JG_RES_EXEC;
		} else if (!strcmp(key, "connect")) {
			if ((ret = parse_endpoints(c, val, kptr, what, "connect", &r->connect,
						   &r->nconnect)))
				return ret;
			r->kinds |= JG_RES_CONNECT;
		} else if (!strcmp(key, "bind")) {
			if ((ret = parse_endpoints(c, val, kptr, what, "bind", &r->bind,
						   &r->nbind)))
				return ret;
			r->kinds |= JG_RES_BIND;
		} else if (!strcmp(key, "elevate")) {
			fmt(w, sizeof(w), "%s: elevate", what);
			if ((ret = parse_elevate(c, val, kptr, w, r)))
				return ret;
			r->kinds |= JG_RES_ELEVATE;
		} else if (!strcmp(key, "gate")) {
			fmt(w, sizeof(w), "%s: gate", what);
			if ((ret = parse_gate(c, val, kptr, w)))
				return ret;
			r->kinds |= JG_RES_GATE;
		} else if (!strcmp(key, "mode")) {
			fmt(w, sizeof(w), "%s: mode", what);
			if (!json_is_string(val) || (strcmp(json_string_value(val), "audit") &&
						    strcmp(json_string_value(val), "enforce")))
				return fail_val(c, kptr, "%s must be \"audit\" or \"enforce\"", w);
			r->audit_mode = !strcmp(json_string_value(val), "audit");
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
	}
	if (!r->kinds)
		return fail_key(c, ptr, "%s protects nothing; give it files, exec, connect, bind, "
				"elevate or gate", what);
	if ((r->kinds & JG_RES_GATE) && (r->kinds != JG_RES_GATE || r->audit_mode))
		return fail_key(c, ptr, "%s: \"gate\" stands alone: the gate-admin resource has "
				"no files, exec, connect, bind, elevate or audit mode", what);
	if (!strcmp(name, JG_GATE_ADMIN_NAME) && !(r->kinds & JG_RES_GATE))
		return fail_key(c, ptr, "resource \"" JG_GATE_ADMIN_NAME "\" is the built-in gate "
				"administration resource; declare it as {\"gate\": {\"admin\": "
				"true}} or leave it out");
	return 0;
}

/* Every policy has one gate-admin resource: the one declared, else a built-in one. */
static int gate_admin(struct ctx *c, const char *ptr)
{
	struct jg_resource *r, *first = NULL;
	char kptr[PTR_MAX];

	for (size_t i = 0; i < c->p->nresources; i++) {
		r = &c->p->resources[i];
		if (!(r->kinds & JG_RES_GATE))
			continue;
		if (first) {
			child(kptr, ptr, r->name);
			return fail_key(c, kptr, "resource %s: a policy has one gate-admin resource, "
					"and %s is it already", Q(c, r->name), Q(c, first->name));
		}
		first = r;
	}
	if (first)
		return 0;
	if (c->p->nresources >= JG_MAX_RESOURCES - 1)
		return fail_val(c, ptr, "too many resources; a policy may have at most %d, the "
				"built-in \"" JG_GATE_ADMIN_NAME "\" included",
				JG_MAX_RESOURCES - 1);
	r = realloc(c->p->resources, (c->p->nresources + 1) * sizeof(*r));
	if (!r)
		return oom(c);
	c->p->resources = r;
	r = &c->p->resources[c->p->nresources++];
	memset(r, 0, sizeof(*r));
	r->name = strdup(JG_GATE_ADMIN_NAME);
	r->description = strdup("administer jitgate itself: unload the gate, reload the policy, "
				"replace jitgated or its files");
	if (!r->name || !r->description)
		return oom(c);
	r->kinds = JG_RES_GATE;
	r->builtin = true;
	r->pos = jsonpos__value(c->jp, ptr);
	return 0;
}

int parse_resources(struct ctx *c, json_t *v, const char *ptr)
{
	char kptr[PTR_MAX];
	const char *key;
	json_t *val;
	size_t i = 0;
	int ret;

	c->p->resources = get_table(c, v, ptr, "resources", "resource", sizeof(*c->p->resources),
				    &c->p->nresources, &ret);
	if (ret)
		return ret;
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (i >= JG_MAX_RESOURCES - 1)
			return fail_key(c, kptr, "too many resources; a policy may have at most %d",
					JG_MAX_RESOURCES - 1);
		if ((ret = check_name(c, kptr, "resource", key)))
			return ret;
		if (!strncmp(key, RESERVED_PREFIX, strlen(RESERVED_PREFIX)))
			return fail_key(c, kptr, "resource name %s is reserved: names starting "
					"with \"" RESERVED_PREFIX "\" belong to jitgate itself",
					Q(c, key));
		if ((ret = parse_resource(c, key, val, kptr, &c->p->resources[i++])))
			return ret;
	}
	if ((ret = check_duplicate_paths(c)))
		return ret;
	if ((ret = check_endpoints(c, false)))
		return ret;
	if ((ret = check_endpoints(c, true)))
		return ret;
	return gate_admin(c, ptr);
}

/* ---- roles and standing rules ---- */
