// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The validator's tools: messages at the position of a value or key, "did you mean" for
 * unknown keys, typed getters, and the checks that look at the whole policy (a file in two
 * resources, endpoints that overlap). */
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

/* ---------------------------------------------------------------------------------------- */
/* The validator                                                                            */


/* Quoted copy of s in one of a few rotating buffers: good for the arguments of one message. */
const char *policy__quote_arg(struct ctx *c, const char *s)
{
	char *b = c->qbuf[c->qi++ % 8];

	return quote(s, b, sizeof(c->qbuf[0]));
}

static int failv(struct ctx *c, struct jg_pos pos, const char *fmt, va_list ap)
{
	if (c->err && c->errlen) {
		int n = snprintf(c->err, c->errlen, "%s:%d:%d: ", c->file, pos.line, pos.col);

		if (n >= 0 && (size_t)n < c->errlen)
			vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	}
	return -EINVAL;
}

__attribute__((format(printf, 3, 4)))
int fail_pos(struct ctx *c, struct jg_pos pos, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, pos, fmt, ap);
	va_end(ap);
	return ret;
}

/* At the value `ptr` names. */
__attribute__((format(printf, 3, 4)))
int fail_val(struct ctx *c, const char *ptr, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, jsonpos__value(c->jp, ptr), fmt, ap);
	va_end(ap);
	return ret;
}

/* At the key of the member `ptr` names (the value for array elements and the root). */
__attribute__((format(printf, 3, 4)))
int fail_key(struct ctx *c, const char *ptr, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = failv(c, jsonpos__key(c->jp, ptr), fmt, ap);
	va_end(ap);
	return ret;
}

int oom(struct ctx *c)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: out of memory", c->file);
	return -ENOMEM;
}

/* A message from a public parser (endpoint, subject, window, ...), at ptr's value. */
int fail_sub(struct ctx *c, const char *ptr, int ret, const char *what, const char *sub)
{
	if (ret == -ENOMEM)
		return oom(c);
	return fail_val(c, ptr, "%s%s%s", what, *what ? ": " : "", sub);
}

void child(char *buf, const char *parent, const char *key)
{
	jsonpos__child(buf, PTR_MAX, parent, key);
}

void elem(char *buf, const char *parent, size_t i)
{
	jsonpos__index(buf, PTR_MAX, parent, i);
}

/* Edit distance, for "did you mean" on unknown keys. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[40];

	if (la >= 39 || lb >= 39)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j], best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

int unknown_key(struct ctx *c, const char *kptr, const char *what, const char *key,
		const char *const *known)
{
	const char *best = NULL;
	size_t bestd = 3;
	char list[256];
	size_t n = 0;

	list[0] = '\0';
	for (size_t k = 0; known[k]; k++) {
		size_t d = distance(key, known[k]);

		if (d < bestd && d < strlen(known[k])) {
			bestd = d;
			best = known[k];
		}
		int w = snprintf(list + n, sizeof(list) - n, "%s%s", k ? ", " : "", known[k]);

		if (w > 0 && (size_t)w < sizeof(list) - n)
			n += (size_t)w;
	}
	if (best)
		return fail_key(c, kptr, "%s%sunknown key %s; did you mean \"%s\"?", what,
				*what ? ": " : "", Q(c, key), best);
	return fail_key(c, kptr, "%s%sunknown key %s (expected %s)", what, *what ? ": " : "",
			Q(c, key), list);
}

/* The "kind" object of name: member, and one zeroed struct of size per member (*n of them):
 * the array, or NULL with *ret set (0 when there are none). */
void *get_table(struct ctx *c, json_t *v, const char *ptr, const char *kind,
		const char *member, size_t size, size_t *n, int *ret)
{
	void *arr = NULL;

	*ret = 0;
	if (!json_is_object(v)) {
		*ret = fail_val(c, ptr, "\"%s\" must be an object of name: %s, not %s", kind,
				member, type_name(v));
		return NULL;
	}
	*n = json_object_size(v);
	if (*n && !(arr = calloc(*n, size)))
		*ret = oom(c);
	return arr;
}

const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "a number";
	case JSON_REAL: return "a number";
	case JSON_TRUE: return "true";
	case JSON_FALSE: return "false";
	case JSON_NULL: return "null";
	}
	return "something else";
}

/* A non-empty string without NUL bytes. */
int get_str(struct ctx *c, json_t *v, const char *ptr, const char *what,
	    const char **out)
{
	if (!json_is_string(v))
		return fail_val(c, ptr, "%s must be a string, not %s", what, type_name(v));
	if (json_string_length(v) == 0)
		return fail_val(c, ptr, "%s must not be empty", what);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail_val(c, ptr, "%s contains a NUL byte", what);
	*out = json_string_value(v);
	return 0;
}

int dup_str(struct ctx *c, json_t *v, const char *ptr, const char *what, char **out)
{
	const char *s;
	int ret = get_str(c, v, ptr, what, &s);

	if (ret)
		return ret;
	if (!(*out = strdup(s)))
		return oom(c);
	return 0;
}

int get_bool(struct ctx *c, json_t *v, const char *ptr, const char *what, bool *out)
{
	if (!json_is_boolean(v))
		return fail_val(c, ptr, "%s must be true or false, not %s", what, type_name(v));
	*out = json_is_true(v);
	return 0;
}

int get_path(struct ctx *c, json_t *v, const char *ptr, const char *what,
	     struct jg_path *out)
{
	const char *s;
	int ret = get_str(c, v, ptr, what, &s);

	if (ret)
		return ret;
	if (s[0] != '/')
		return fail_val(c, ptr, "%s %s must be an absolute path (start with '/')", what,
				Q(c, s));
	if (strlen(s) >= PATH_MAX)
		return fail_val(c, ptr, "%s %s is longer than %d bytes", what, Q(c, s),
				PATH_MAX - 1);
	if (!(out->path = strdup(s)))
		return oom(c);
	out->pos = jsonpos__value(c->jp, ptr);
	return 0;
}

int get_duration(struct ctx *c, json_t *v, const char *ptr, const char *what,
		 uint64_t *out)
{
	char e[256];

	if (!json_is_string(v))
		return fail_val(c, ptr, "%s must be a string such as \"30m\", not %s", what,
				type_name(v));
	if (strlen(json_string_value(v)) != json_string_length(v))
		return fail_val(c, ptr, "%s contains a NUL byte", what);
	if (duration__parse(json_string_value(v), out, e, sizeof(e)))
		return fail_val(c, ptr, "%s: %s", what, e);
	return 0;
}

/* An array, non-empty unless allow_empty. */
int get_array(struct ctx *c, json_t *v, const char *ptr, const char *what,
	      const char *example, bool allow_empty)
{
	if (!json_is_array(v))
		return fail_val(c, ptr, "%s must be an array%s%s, not %s", what,
				example ? " such as " : "", example ? example : "", type_name(v));
	if (!allow_empty && json_array_size(v) == 0)
		return fail_val(c, ptr, "%s must not be empty", what);
	return 0;
}

int get_object(struct ctx *c, json_t *v, const char *ptr, const char *what)
{
	if (!json_is_object(v))
		return fail_val(c, ptr, "%s must be an object, not %s", what, type_name(v));
	return 0;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > NAME_MAX_LEN)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!is_alnum(s[k]) && s[k] != '.' && s[k] != '_' && s[k] != '-')
			return false;
	return true;
}

int check_name(struct ctx *c, const char *kptr, const char *kind, const char *name)
{
	if (!valid_name(name))
		return fail_key(c, kptr, "%s name %s must be 1-%d characters of A-Z, a-z, 0-9, "
				"'.', '_' and '-'", kind, Q(c, name), NAME_MAX_LEN);
	return 0;
}

/* ---- resources ---- */

static int pos_cmp(struct jg_pos a, struct jg_pos b)
{
	if (a.line != b.line)
		return a.line < b.line ? -1 : 1;
	return a.col < b.col ? -1 : a.col > b.col;
}

struct path_ref {
	const struct jg_path *path;
	const struct jg_resource *res;
};

static int path_ref_cmp(const void *a, const void *b)
{
	const struct path_ref *x = a, *y = b;
	int d = strcmp(x->path->path, y->path->path);

	return d ? d : pos_cmp(x->path->pos, y->path->pos);
}

/* A file or program belongs to one resource: the kernel keys objects by (dev, ino). */
int check_duplicate_paths(struct ctx *c)
{
	struct jg_policy *p = c->p;
	struct path_ref *v, *bad = NULL, *first = NULL;
	size_t n = 0, k = 0;
	int ret = 0;

	for (size_t i = 0; i < p->nresources; i++)
		n += p->resources[i].nfiles + p->resources[i].nexec;
	if (n > JG_MAX_OBJECTS / 2) {
		/* the object map holds the running and the next policy generation */
		for (size_t i = 0; i < p->nresources; i++) {
			const struct jg_resource *r = &p->resources[i];

			for (size_t j = 0; j < r->nfiles + r->nexec; j++)
				if (++k > JG_MAX_OBJECTS / 2)
					return fail_pos(c, j < r->nfiles ? r->files[j].pos :
							r->exec[j - r->nfiles].pos,
							"resource %s: too many files and programs; a "
							"policy may list at most %d", Q(c, r->name),
							JG_MAX_OBJECTS / 2);
		}
	}
	if (n < 2)
		return 0;
	if (!(v = calloc(n, sizeof(*v))))
		return oom(c);
	for (size_t i = 0; i < p->nresources; i++) {
		const struct jg_resource *r = &p->resources[i];

		for (size_t j = 0; j < r->nfiles; j++)
			v[k++] = (struct path_ref){ &r->files[j], r };
		for (size_t j = 0; j < r->nexec; j++)
			v[k++] = (struct path_ref){ &r->exec[j], r };
	}
	qsort(v, n, sizeof(*v), path_ref_cmp);
	for (size_t i = 1; i < n; i++) {
		if (strcmp(v[i].path->path, v[i - 1].path->path))
			continue;
		size_t g = i - 1;	/* first of the group: earliest in the file */

		while (g > 0 && !strcmp(v[g - 1].path->path, v[i].path->path))
			g--;
		if (!bad || pos_cmp(v[i].path->pos, bad->path->pos) < 0) {
			bad = &v[i];
			first = &v[g];
		}
	}
	if (bad) {
		if (bad->res == first->res)
			ret = fail_pos(c, bad->path->pos, "resource %s lists the path %s twice",
				       Q(c, bad->res->name), Q(c, bad->path->path));
		else
			ret = fail_pos(c, bad->path->pos, "resource %s: the path %s is already "
				       "listed by resource %s; a file belongs to one resource",
				       Q(c, bad->res->name), Q(c, bad->path->path),
				       Q(c, first->res->name));
	}
	free(v);
	return ret;
}

struct ep_ref {
	const struct jg_endpoint *ep;
	const struct jg_resource *res;
};

static int ep_ref_cmp(const void *a, const void *b)
{
	const struct jg_endpoint *x = ((const struct ep_ref *)a)->ep;
	const struct jg_endpoint *y = ((const struct ep_ref *)b)->ep;
	int d = memcmp(x->addr, y->addr, 16);

	if (d)
		return d;
	if (x->prefixlen != y->prefixlen)
		return x->prefixlen < y->prefixlen ? -1 : 1;
	if (x->port_lo != y->port_lo)
		return x->port_lo < y->port_lo ? -1 : 1;
	return pos_cmp(x->pos, y->pos);
}

static bool same_prefix(const struct jg_endpoint *a, const struct jg_endpoint *b)
{
	return a->prefixlen == b->prefixlen && !memcmp(a->addr, b->addr, 16);
}

/* Does prefix `outer` cover prefix `inner` (equal counts)? */
static bool covers(const struct jg_endpoint *outer, const struct jg_endpoint *inner)
{
	struct jg_endpoint o = *outer;

	if (outer->prefixlen > inner->prefixlen)
		return false;
	o.port_lo = 0;
	o.port_hi = 65535;
	return endpoint__contains(&o, inner->addr, 0);
}

/* Does endpoint ep's range land on the prefix (addr, plen)? Its own prefix covers it, or it
 * is a connect endpoint on loopback and the prefix is loopback (mirrors user/compile.c). */
static bool applies(const struct jg_endpoint *ep, const uint8_t *addr, uint8_t plen, bool bind)
{
	struct jg_endpoint at = { .prefixlen = plen };

	memcpy(at.addr, addr, 16);
	if (covers(ep, &at))
		return true;
	return !bind && endpoint__touches_loopback(ep) && endpoint__in_loopback(addr, plen);
}

/* Overlapping port ranges on one prefix would make the answer depend on map order; and the
 * kernel keeps at most JG_MAX_PORT_RANGES ranges per prefix, covering prefixes included.
 * Connect and bind endpoints live in separate maps and are checked apart. */
int check_endpoints(struct ctx *c, bool bind)
{
	const char *kind = bind ? "bind" : "connect";
	struct jg_policy *p = c->p;
	struct ep_ref *v;
	const struct ep_ref *bad = NULL, *other = NULL;
	size_t n = 0, k = 0, prefixes = 0;
	int ret = 0;

	for (size_t i = 0; i < p->nresources; i++)
		n += bind ? p->resources[i].nbind : p->resources[i].nconnect;
	if (n == 0)
		return 0;
	if (!(v = calloc(n, sizeof(*v))))
		return oom(c);
	for (size_t i = 0; i < p->nresources; i++) {
		struct jg_resource *r = &p->resources[i];

		for (size_t j = 0; j < (bind ? r->nbind : r->nconnect); j++)
			v[k++] = (struct ep_ref){ bind ? &r->bind[j] : &r->connect[j], r };
	}
	/* A bind of :: covers every bind endpoint: its map entry carries all their ranges.
	 * (v is still in file order here: the message names the first one too many.) */
	if (bind && n > JG_MAX_PORT_RANGES) {
		ret = fail_pos(c, v[JG_MAX_PORT_RANGES].ep->pos, "too many bind endpoints (%zu); a "
			       "policy may use at most %d", n, JG_MAX_PORT_RANGES);
		goto cleanup;
	}
	qsort(v, n, sizeof(*v), ep_ref_cmp);

	for (size_t i = 0; i < n; i++) {
		size_t maxi = i;

		if (i > 0 && same_prefix(v[i].ep, v[i - 1].ep))
			continue;
		prefixes++;
		/* one group of equal prefixes, sorted by port_lo */
		for (size_t j = i + 1; j < n && same_prefix(v[j].ep, v[i].ep); j++) {
			if (v[j].ep->port_lo <= v[maxi].ep->port_hi) {
				const struct ep_ref *later = &v[j], *earlier = &v[maxi];

				if (pos_cmp(later->ep->pos, earlier->ep->pos) < 0)
					later = &v[maxi], earlier = &v[j];
				if (!bad || pos_cmp(later->ep->pos, bad->ep->pos) < 0)
					bad = later, other = earlier;
			}
			if (v[j].ep->port_hi > v[maxi].ep->port_hi)
				maxi = j;
		}
	}
	if (bad) {
		ret = fail_pos(c, bad->ep->pos, "resource %s: %s endpoint %s overlaps %s of "
			       "resource %s; give each address and port to one resource only",
			       Q(c, bad->res->name), kind, Q(c, bad->ep->text), Q(c, other->ep->text),
			       Q(c, other->res->name));
		goto cleanup;
	}
	for (size_t i = 0; i < n && !bind; i++)
		if (endpoint__touches_loopback(v[i].ep)) {
			prefixes += JG_NLOOPBACK;	/* at most: they may be there already */
			break;
		}
	if (!bind && prefixes > JG_MAX_NET_PREFIXES / 2) {
		ret = fail_pos(c, v[n - 1].ep->pos, "too many connect prefixes (%zu); a policy "
			       "may use at most %d", prefixes, JG_MAX_NET_PREFIXES / 2);
		goto cleanup;
	}

	for (size_t i = 0; i < n; i++) {
		size_t cover = 0;

		for (size_t j = 0; j < n; j++)
			cover += applies(v[j].ep, v[i].ep->addr, v[i].ep->prefixlen, bind);
		if (cover > JG_MAX_PORT_RANGES) {
			ret = fail_pos(c, v[i].ep->pos, "resource %s: %s endpoint %s is "
				       "covered by %zu port ranges (its own prefix, wider ones and "
				       "those on this host's loopback addresses); the limit is %d",
				       Q(c, v[i].res->name), kind, Q(c, v[i].ep->text), cover,
				       JG_MAX_PORT_RANGES);
			goto cleanup;
		}
	}
	/* the loopback prefixes the compiler adds carry every endpoint on loopback */
	for (int l = 0; !bind && l < JG_NLOOPBACK; l++) {
		const struct ep_ref *last = NULL;
		size_t cover = 0;

		for (size_t j = 0; j < n; j++) {
			if (!applies(v[j].ep, jg_loopback[l].addr, jg_loopback[l].prefixlen, bind))
				continue;
			cover++;
			if (!last || pos_cmp(v[j].ep->pos, last->ep->pos) > 0)
				last = &v[j];
		}
		if (cover > JG_MAX_PORT_RANGES) {
			ret = fail_pos(c, last->ep->pos, "resource %s: connect endpoint %s: %zu "
				       "port ranges apply to this host's loopback address %s (an "
				       "endpoint on loopback protects every loopback address); the "
				       "limit is %d", Q(c, last->res->name), Q(c, last->ep->text),
				       cover, jg_loopback[l].text, JG_MAX_PORT_RANGES);
			goto cleanup;
		}
	}
cleanup:
	free(v);
	return ret;
}
