// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy load and apply: compile, assign kernel ids, swap the generation; the names of
 * protected objects for audit records; descriptors opened before protection. */
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

/* ------------------------------------------------------------------ object names */

static int objpath_cmp(const void *a, const void *b)
{
	const struct objpath *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

void objpaths_free(struct objpath *v, size_t n)
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
void objpaths_rebind(const struct jg_event *e)
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
void name_object(const struct jg_event *e, json_t *rec)
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

json_t *policy_summary(void)
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
int policy_apply(const char *file, char *err, size_t errlen)
{
	struct jg_compiled *c = NULL;
	struct jg_policy *p = NULL;
	bool first = !d.policy && !d.gate->adopted;	/* the gate's first policy */
	uint16_t *ids = NULL;
	int ret;

	ret = policy_load_ids(file, &p, &ids, err, errlen);
	if (ret)
		return ret;
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
	watchpaths_set(c);
	policy__free(d.policy);
	d.policy = p;
	p = NULL;
	d.policy_loaded_ns = util__realtime_ns();
	d.policies_applied++;
	{
		json_t *ev = audit__new("policy.load");

		json_object_set_new(ev, "policy", policy_summary());
		json_object_set_new(ev, "objects", json_integer((json_int_t)c->nobjs - 1));
		json_object_set_new(ev, "net_prefixes", json_integer((json_int_t)c->nnets));
		json_object_set_new(ev, "bind_prefixes", json_integer((json_int_t)c->nbinds));
		json_object_set_new(ev, "standing", json_integer((json_int_t)c->nstanding));
		if (c->nwatch || c->nwatch_missing)
			json_object_set_new(ev, "watch", watch_summary(c));
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
