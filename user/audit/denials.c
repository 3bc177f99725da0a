// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Each person's recent denials, bounded (denials.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/denials.h"

static void copy(char *dst, size_t len, const json_t *v)
{
	snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static void from_record(struct jg_denial *x, const json_t *rec)
{
	const json_t *obj = json_object_get(rec, "object"), *proc = json_object_get(rec, "process");

	memset(x, 0, sizeof(*x));
	copy(x->resource, sizeof(x->resource), json_object_get(rec, "resource"));
	copy(x->perm, sizeof(x->perm), json_object_get(rec, "perm"));
	copy(x->hook, sizeof(x->hook), json_object_get(rec, "hook"));
	copy(x->path, sizeof(x->path), json_object_get(obj, "path"));
	copy(x->addr, sizeof(x->addr), json_object_get(obj, "addr"));
	x->port = json_is_integer(json_object_get(obj, "port")) ?
		  (int)json_integer_value(json_object_get(obj, "port")) : 0;
	copy(x->comm, sizeof(x->comm), json_object_get(proc, "comm"));
	copy(x->exe, sizeof(x->exe), json_object_get(proc, "exe"));
}

static bool same(const struct jg_denial *a, const struct jg_denial *b)
{
	return !strcmp(a->resource, b->resource) && !strcmp(a->perm, b->perm) &&
	       !strcmp(a->path, b->path) && !strcmp(a->addr, b->addr) && a->port == b->port &&
	       !strcmp(a->exe, b->exe);
}

/* The subject's slot: its own, a free one, or the one whose last denial is oldest. */
static struct jg_denials_user *slot(struct jg_denials *d, uint32_t subject)
{
	struct jg_denials_user *free_u = NULL, *oldest = NULL;

	for (size_t i = 0; i < JG_DENIALS_USERS; i++) {
		struct jg_denials_user *u = &d->u[i];

		if (u->used && u->subject == subject)
			return u;
		if (!u->used && !free_u)
			free_u = u;
		if (u->used && (!oldest || u->last_ns < oldest->last_ns))
			oldest = u;
	}
	if (!free_u) {
		free_u = oldest;
		d->users_evicted++;
	}
	memset(free_u, 0, sizeof(*free_u));
	free_u->used = true;
	free_u->subject = subject;
	return free_u;
}

void denials__note(struct jg_denials *d, uint32_t subject, const json_t *rec, int64_t now_ns)
{
	struct jg_denials_user *u;
	struct jg_denial x;
	size_t at = 0;

	if (!d || !rec)
		return;
	from_record(&x, rec);
	u = slot(d, subject);
	d->noted++;
	u->last_ns = now_ns;
	for (size_t i = 0; i < u->n; i++)
		if (same(&u->v[i], &x)) {
			u->v[i].count++;
			u->v[i].last_ns = now_ns;
			return;
		}
	if (u->n < JG_DENIALS_PER_USER) {
		at = u->n++;
	} else {
		for (size_t i = 1; i < u->n; i++)
			if (u->v[i].last_ns < u->v[at].last_ns)
				at = i;
		u->dropped += u->v[at].count;
	}
	x.first_ns = x.last_ns = now_ns;
	x.count = 1;
	u->v[at] = x;
}

static int newest_first(const void *a, const void *b)
{
	const struct jg_denial *x = a, *y = b;

	return x->last_ns < y->last_ns ? 1 : x->last_ns > y->last_ns ? -1 : 0;
}

size_t denials__of(const struct jg_denials *d, uint32_t subject, struct jg_denial *out,
		   size_t max, uint64_t *dropped)
{
	struct jg_denial all[JG_DENIALS_PER_USER];
	size_t n = 0;

	if (dropped)
		*dropped = 0;
	for (size_t i = 0; d && i < JG_DENIALS_USERS; i++) {
		const struct jg_denials_user *u = &d->u[i];

		if (!u->used || u->subject != subject)
			continue;
		memcpy(all, u->v, u->n * sizeof(all[0]));
		n = u->n;
		if (dropped)
			*dropped = u->dropped;
		break;
	}
	qsort(all, n, sizeof(all[0]), newest_first);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(all[0]));
	return n;
}

bool denials__path_matches(const struct jg_denial *x, const char *path)
{
	size_t n = strlen(path);

	if (!x->path[0])
		return false;
	if (n == 1 && path[0] == '/')
		return true;
	return !strncmp(x->path, path, n) && (x->path[n] == 0 || x->path[n] == '/');
}
