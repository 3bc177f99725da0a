// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workflow/grants.h"
#include "policy/policy.h"
#include "lib/id.h"
#include "lib/util.h"

void grants__init(struct jg_grants *t)
{
	memset(t, 0, sizeof(*t));
	t->next_id = 1;
}

void grants__free(struct jg_grants *t)
{
	free(t->v);
	grants__init(t);
}

struct jg_grant_rec *grants__add(struct jg_grants *t, const struct jg_grant_rec *r)
{
	struct jg_grant_rec *slot;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		void *p = realloc(t->v, cap * sizeof(*t->v));

		if (!p) {
			errno = ENOMEM;
			return NULL;
		}
		t->v = p;
		t->cap = cap;
	}
	slot = &t->v[t->n++];
	*slot = *r;
	if (!slot->id)
		slot->id = t->next_id;
	if (slot->id >= t->next_id)
		t->next_id = slot->id + 1;
	return slot;
}

struct jg_grant_rec *grants__find(struct jg_grants *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].id == id)
			return &t->v[i];
	return NULL;
}

int grants__remove(struct jg_grants *t, uint64_t id, struct jg_grant_rec *out)
{
	struct jg_grant_rec *r = grants__find(t, id);

	if (!r)
		return -ENOENT;
	if (out)
		*out = *r;
	*r = t->v[--t->n];
	return 0;
}

bool grants__kernel_value(const struct jg_grants *t, uint32_t uid, const char *resource,
			  uint64_t now_boot_ns, struct jg_grant *out)
{
	bool any = false;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < t->n; i++) {
		const struct jg_grant_rec *r = &t->v[i];

		if (r->uid != uid || r->expires_boot_ns <= now_boot_ns)
			continue;
		for (size_t a = 0; a < r->nallow; a++) {
			if (strcmp(r->allow[a].resource, resource))
				continue;
			for (int p = 0; p < JG_NPERMS; p++) {
				if (!(r->allow[a].perms & (1u << p)))
					continue;
				if (r->expires_boot_ns > out->expires_ns[p]) {
					out->expires_ns[p] = r->expires_boot_ns;
					out->grant_id[p] = r->id;
				}
				any = true;
			}
		}
	}
	return any;
}

int grants__parse_id(const char *text, uint64_t *id)
{
	return id__parse(text, JG_ID_GRANT, id);
}

char *grants__format_id(uint64_t id, char *buf, size_t len)
{
	return id__format(JG_ID_GRANT, id, buf, len);
}

json_t *grants__allow_json(const struct jg_grant_rec *r)
{
	json_t *arr = json_array();

	for (size_t a = 0; a < r->nallow; a++) {
		json_t *perms = json_array();

		for (int p = 0; p < JG_NPERMS; p++)
			if (r->allow[a].perms & (1u << p))
				json_array_append_new(perms, json_string(perm__name(1u << p)));
		json_array_append_new(arr, json_pack("{s:s, s:o}", "resource", r->allow[a].resource,
						     "perms", perms));
	}
	return arr;
}

json_t *grants__to_json(const struct jg_grant_rec *r, int64_t now_wall_ns)
{
	char id[32], created[48], expires[48];
	int64_t left = (r->expires_wall_ns - now_wall_ns) / 1000000000LL;
	json_t *o;

	o = json_pack("{s:s, s:s, s:i, s:o, s:s, s:b, s:{s:o, s:s}, s:s, s:s, s:I}",
		      "id", grants__format_id(r->id, id, sizeof(id)),
		      "user", r->user, "uid", (json_int_t)r->uid,
		      "allow", grants__allow_json(r),
		      "reason", r->reason, "break_glass", r->break_glass,
		      "granted_by", "uid", r->by_uid == JG_BY_POLICY ? json_null() :
		      json_integer(r->by_uid), "user", r->by_user,
		      "created", util__rfc3339(r->created_wall_ns, created, sizeof(created)),
		      "expires", util__rfc3339(r->expires_wall_ns, expires, sizeof(expires)),
		      "remaining_s", (json_int_t)(left > 0 ? left : 0));
	if (r->request_id) {
		snprintf(id, sizeof(id), "r-%llu", (unsigned long long)r->request_id);
		json_object_set_new(o, "request_id", json_string(id));
		json_object_set_new(o, "role", json_string(r->role));
	}
	return o;
}

int grants__allow_from_json(json_t *allow, struct jg_grant_rec *r, char *err, size_t errlen)
{
	json_t *a;
	size_t i;

	if (!json_is_array(allow) || json_array_size(allow) == 0 ||
	    json_array_size(allow) > JG_GRANT_MAX_ALLOW) {
		snprintf(err, errlen, "allow must be an array of 1 to %d entries", JG_GRANT_MAX_ALLOW);
		return -EINVAL;
	}
	memset(r->allow, 0, sizeof(r->allow));
	json_array_foreach(allow, i, a) {
		const char *res;
		json_t *perms, *p;
		size_t k;

		if (json_unpack(a, "{s:s, s:o}", "resource", &res, "perms", &perms) ||
		    !json_is_array(perms) || strlen(res) >= sizeof(r->allow[i].resource)) {
			snprintf(err, errlen, "allow entry %zu must be {\"resource\": NAME, "
				 "\"perms\": [PERM, ...]}", i + 1);
			return -EINVAL;
		}
		snprintf(r->allow[i].resource, sizeof(r->allow[i].resource), "%s", res);
		json_array_foreach(perms, k, p) {
			unsigned bit = json_is_string(p) ? perm__from_name(json_string_value(p)) : 0;

			if (!bit) {
				snprintf(err, errlen, "allow entry %zu: unknown permission", i + 1);
				return -EINVAL;
			}
			r->allow[i].perms |= bit;
		}
	}
	r->nallow = json_array_size(allow);
	return 0;
}

int grants__parse_allow(const char *text, struct jg_grant_allow *a, char *err, size_t errlen)
{
	const char *colon = strchr(text, ':');
	char perms[128], *save, *tok;
	size_t nlen;

	memset(a, 0, sizeof(*a));
	if (!colon || colon == text || !colon[1]) {
		snprintf(err, errlen, "\"%s\" is not RESOURCE:PERM[,PERM...]", text);
		return -EINVAL;
	}
	nlen = (size_t)(colon - text);
	if (nlen >= sizeof(a->resource)) {
		snprintf(err, errlen, "resource name in \"%s\" is too long", text);
		return -EINVAL;
	}
	memcpy(a->resource, text, nlen);
	snprintf(perms, sizeof(perms), "%s", colon + 1);
	for (tok = strtok_r(perms, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned bit = perm__from_name(tok);

		if (!bit) {
			snprintf(err, errlen, "unknown permission \"%s\" in \"%s\" (read, write, exec, "
				 "connect, elevate, bind)", tok, text);
			return -EINVAL;
		}
		a->perms |= bit;
	}
	if (!a->perms) {
		snprintf(err, errlen, "\"%s\" names no permission", text);
		return -EINVAL;
	}
	return 0;
}
