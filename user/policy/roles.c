// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The policy's "roles" (who may ask, for what, approved how, when) and "standing" rules. */
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

static int parse_subjects(struct ctx *c, json_t *v, const char *ptr, const char *what,
			  struct jg_subject **out, size_t *nout)
{
	char eptr[PTR_MAX], w[192], e[512];
	const char *s;
	size_t i;
	json_t *x;
	int ret;

	if ((ret = get_array(c, v, ptr, what, "[\"group:sre\"]", false)))
		return ret;
	*nout = json_array_size(v);
	if (!(*out = calloc(*nout, sizeof(**out))))
		return oom(c);
	json_array_foreach(v, i, x) {
		elem(eptr, ptr, i);
		fmt(w, sizeof(w), "%s entry", what);
		if ((ret = get_str(c, x, eptr, w, &s)))
			return ret;
		if ((ret = subject__parse(s, &(*out)[i], e, sizeof(e))))
			return fail_sub(c, eptr, ret, what, e);
		(*out)[i].pos = jsonpos__value(c->jp, eptr);
	}
	return 0;
}

static int parse_allow(struct ctx *c, json_t *v, const char *ptr, const char *what,
		       struct jg_allow **out, size_t *nout)
{
	char kptr[PTR_MAX], eptr[PTR_MAX], w[192], list[64];
	const char *key, *s;
	json_t *val, *x;
	size_t i = 0, j;
	int ret;

	if (!json_is_object(v))
		return fail_val(c, ptr, "%s must be an object such as {\"prod-db\": "
				"[\"connect\"]}, not %s", what, type_name(v));
	if (!json_object_size(v))
		return fail_val(c, ptr, "%s must not be empty", what);
	*nout = json_object_size(v);
	if (!(*out = calloc(*nout, sizeof(**out))))
		return oom(c);
	json_object_foreach(v, key, val) {
		struct jg_allow *a = &(*out)[i++];
		const struct jg_resource *r = policy__resource(c->p, key);

		child(kptr, ptr, key);
		if (!r)
			return fail_key(c, kptr, "%s names unknown resource %s", what, Q(c, key));
		if (!(a->resource = strdup(key)))
			return oom(c);
		a->pos = jsonpos__key(c->jp, kptr);
		fmt(w, sizeof(w), "%s %s", what, Q(c, key));
		if ((ret = get_array(c, val, kptr, w, "[\"read\"]", false)))
			return ret;
		json_array_foreach(val, j, x) {
			unsigned bit, valid = perm__valid_for_kinds(r->kinds);

			elem(eptr, kptr, j);
			fmt(w, sizeof(w), "%s %s entry", what, Q(c, key));
			if ((ret = get_str(c, x, eptr, w, &s)))
				return ret;
			if (!(bit = perm__from_name(s)))
				return fail_val(c, eptr, "%s: unknown permission %s for resource %s "
						"(permissions are read, write, exec, connect, "
						"bind, elevate, admin)", what, Q(c, s), Q(c, key));
			if (!(bit & valid))
				return fail_val(c, eptr, "%s: resource %s has no %s permission; it "
						"takes %s", what, Q(c, key), Q(c, s),
						perm_list(valid, list, sizeof(list)));
			a->perms |= bit;
		}
	}
	return 0;
}

/* IANA names like "Europe/Berlin", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC". A
 * name that glibc cannot find makes it fall back to UTC silently, so when the zone database
 * is installed ($TZDIR or /usr/share/zoneinfo) the zone must exist in it. */
static int check_timezone(struct ctx *c, const char *tz, const char *ptr, const char *what)
{
	const char *dir = getenv("TZDIR");
	char path[PATH_MAX];
	struct stat st;
	bool start = true;

	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	for (const char *s = tz; *s; s++) {
		if (*s == '/') {
			if (start)
				goto bad;
			start = true;
			continue;
		}
		if (!is_alnum(*s) && *s != '_' && *s != '+' && *s != '-')
			goto bad;
		start = false;
	}
	if (start || strlen(tz) > 64)
		goto bad;
	if (!strcmp(tz, "UTC"))
		return 0;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;	/* no zone database here: the daemon host must have one */
	snprintf(path, sizeof(path), "%s/%s", dir, tz);
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return fail_val(c, ptr, "%s %s is not a known time zone (there is no %s)", what,
				Q(c, tz), path);
	return 0;
bad:
	return fail_val(c, ptr, "%s %s is not a time zone name such as \"Europe/Berlin\"", what,
			Q(c, tz));
}

static int parse_schedule(struct ctx *c, json_t *v, const char *ptr, const char *what,
			  struct jg_schedule *s)
{
	static const char *const known[] = { "timezone", "windows", "not_before", "not_after",
					     NULL };
	char kptr[PTR_MAX], eptr[PTR_MAX], w[192], e[512];
	const char *key, *str;
	json_t *val, *x;
	size_t i;
	int ret;
	char nb_ptr[PTR_MAX] = "";

	if ((ret = get_object(c, v, ptr, what)))
		return ret;
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (!strcmp(key, "timezone")) {
			fmt(w, sizeof(w), "%s timezone", what);
			if ((ret = get_str(c, val, kptr, w, &str)) ||
			    (ret = check_timezone(c, str, kptr, w)))
				return ret;
			if (!(s->timezone = strdup(str)))
				return oom(c);
		} else if (!strcmp(key, "windows")) {
			fmt(w, sizeof(w), "%s windows", what);
			if ((ret = get_array(c, val, kptr, w, "[\"Mon-Fri 08:00-18:00\"]", false)))
				return ret;
			if (json_array_size(val) > JG_MAX_WINDOWS)
				return fail_val(c, kptr, "%s has more than %d windows", what,
						JG_MAX_WINDOWS);
			s->nwindows = json_array_size(val);
			if (!(s->windows = calloc(s->nwindows, sizeof(*s->windows))))
				return oom(c);
			json_array_foreach(val, i, x) {
				elem(eptr, kptr, i);
				fmt(w, sizeof(w), "%s windows entry", what);
				if ((ret = get_str(c, x, eptr, w, &str)))
					return ret;
				if ((ret = window__parse(str, &s->windows[i], e, sizeof(e))))
					return fail_val(c, eptr, "%s %s", what, e);
				s->windows[i].pos = jsonpos__value(c->jp, eptr);
			}
		} else if (!strcmp(key, "not_before") || !strcmp(key, "not_after")) {
			bool after = key[4] == 'a';

			fmt(w, sizeof(w), "%s %s", what, key);
			if ((ret = get_str(c, val, kptr, w, &str)))
				return ret;
			if ((ret = timestamp__parse(str, after, after ? &s->not_after :
						    &s->not_before, e, sizeof(e))))
				return fail_val(c, kptr, "%s: %s", w, e);
			if (!after)
				fmt(nb_ptr, sizeof(nb_ptr), "%s", kptr);
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
	}
	if (!s->nwindows && !s->not_before && !s->not_after)
		return fail_val(c, ptr, "%s is empty; give it windows, not_before or not_after",
				what);
	if (s->not_before && s->not_after && s->not_after <= s->not_before) {
		child(kptr, ptr, "not_after");
		return fail_val(c, kptr, "%s not_after is not later than its not_before", what);
	}
	return 0;
}

static int parse_auto_approve(struct ctx *c, json_t *v, const char *ptr, const char *what,
			      struct jg_auto_approve *a)
{
	static const char *const known[] = { "subjects", "who", "schedule", NULL };
	char kptr[PTR_MAX], w[192];
	const char *key, *seen = NULL;
	json_t *val;
	int ret;

	if ((ret = get_object(c, v, ptr, what)))
		return ret;
	a->present = true;
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if (!strcmp(key, "subjects") || !strcmp(key, "who")) {
			if (seen)
				return fail_key(c, kptr, "%s has both \"%s\" and \"%s\"; they mean the "
						"same, use one", what, seen, key);
			seen = key;
			fmt(w, sizeof(w), "%s %s", what, key);
			if ((ret = parse_subjects(c, val, kptr, w, &a->subjects, &a->nsubjects)))
				return ret;
		} else if (!strcmp(key, "schedule")) {
			fmt(w, sizeof(w), "%s schedule", what);
			if ((ret = parse_schedule(c, val, kptr, w, &a->schedule)))
				return ret;
			a->has_schedule = true;
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
	}
	if (!seen)
		return fail_key(c, ptr, "%s has no \"who\"; list the subjects whose requests are "
				"approved automatically", what);
	return 0;
}

static int parse_role(struct ctx *c, const char *name, json_t *v, const char *ptr,
		      struct jg_role *r)
{
	static const char *const known[] = { "description", "allow", "requesters", "approvers",
					     "approvals", "default_duration", "max_duration",
					     "require_reason", "require_mfa", "schedule",
					     "request_ttl", "auto_approve", NULL };
	char what[128], w[192], kptr[PTR_MAX], dptr[PTR_MAX] = "";
	const char *key;
	json_t *val;
	bool has_default = false;
	int ret;

	if (!(r->name = strdup(name)))
		return oom(c);
	r->pos = jsonpos__key(c->jp, ptr);
	r->approvals = 1;
	r->max_duration = DEF_MAX_DURATION;
	r->require_reason = true;
	r->request_ttl = DEF_REQUEST_TTL;
	fmt(what, sizeof(what), "role %s", Q(c, name));
	if ((ret = get_object(c, v, ptr, what)))
		return ret;

	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		fmt(w, sizeof(w), "%s: %s", what, key);
		if (!strcmp(key, "description")) {
			ret = dup_str(c, val, kptr, w, &r->description);
		} else if (!strcmp(key, "allow")) {
			ret = parse_allow(c, val, kptr, w, &r->allow, &r->nallow);
		} else if (!strcmp(key, "requesters")) {
			ret = parse_subjects(c, val, kptr, w, &r->requesters, &r->nrequesters);
		} else if (!strcmp(key, "approvers")) {
			ret = parse_subjects(c, val, kptr, w, &r->approvers, &r->napprovers);
		} else if (!strcmp(key, "approvals")) {
			if (!json_is_integer(val) || json_integer_value(val) < 1 ||
			    json_integer_value(val) > MAX_APPROVALS)
				return fail_val(c, kptr, "%s must be a whole number from 1 to %d", w,
						MAX_APPROVALS);
			r->approvals = (unsigned)json_integer_value(val);
		} else if (!strcmp(key, "default_duration")) {
			ret = get_duration(c, val, kptr, w, &r->default_duration);
			has_default = true;
			fmt(dptr, sizeof(dptr), "%s", kptr);
		} else if (!strcmp(key, "max_duration")) {
			ret = get_duration(c, val, kptr, w, &r->max_duration);
		} else if (!strcmp(key, "request_ttl")) {
			ret = get_duration(c, val, kptr, w, &r->request_ttl);
		} else if (!strcmp(key, "require_reason")) {
			ret = get_bool(c, val, kptr, w, &r->require_reason);
		} else if (!strcmp(key, "require_mfa")) {
			ret = get_bool(c, val, kptr, w, &r->require_mfa);
		} else if (!strcmp(key, "schedule")) {
			fmt(w, sizeof(w), "%s: schedule", what);
			ret = parse_schedule(c, val, kptr, w, &r->schedule);
			r->has_schedule = true;
		} else if (!strcmp(key, "auto_approve")) {
			ret = parse_auto_approve(c, val, kptr, w, &r->auto_approve);
		} else {
			return unknown_key(c, kptr, what, key, known);
		}
		if (ret)
			return ret;
	}

	if (!r->allow)
		return fail_key(c, ptr, "%s has no \"allow\"; say which resources and "
				"permissions it grants", what);
	if (!r->requesters)
		return fail_key(c, ptr, "%s has no \"requesters\"; list who may request it", what);
	if (!r->approvers && !r->auto_approve.present)
		return fail_key(c, ptr, "%s has neither \"approvers\" nor \"auto_approve\", so no "
				"request for it could ever be approved", what);
	if (has_default && r->default_duration > r->max_duration) {
		char a[32], b[32];

		return fail_val(c, dptr, "%s: default_duration %s is longer than max_duration %s",
				what, duration__format(r->default_duration, a, sizeof(a)),
				duration__format(r->max_duration, b, sizeof(b)));
	}
	if (!has_default)
		r->default_duration = r->max_duration < DEF_DEFAULT_DURATION ?
				      r->max_duration : DEF_DEFAULT_DURATION;
	return 0;
}

int parse_roles(struct ctx *c, json_t *v, const char *ptr)
{
	char kptr[PTR_MAX];
	const char *key;
	json_t *val;
	size_t i = 0;
	int ret;

	c->p->roles = get_table(c, v, ptr, "roles", "role", sizeof(*c->p->roles), &c->p->nroles,
				&ret);
	if (ret)
		return ret;
	json_object_foreach(v, key, val) {
		child(kptr, ptr, key);
		if ((ret = check_name(c, kptr, "role", key)) ||
		    (ret = parse_role(c, key, val, kptr, &c->p->roles[i++])))
			return ret;
	}
	return 0;
}

int parse_standing(struct ctx *c, json_t *v, const char *ptr)
{
	static const char *const known[] = { "subject", "exe", "allow", NULL };
	char eptr[PTR_MAX], kptr[PTR_MAX], what[64], w[128], e[512];
	const char *key, *s;
	json_t *rule, *val;
	size_t i;
	int ret;

	if (!json_is_array(v))
		return fail_val(c, ptr, "\"standing\" must be an array of rules, not %s",
				type_name(v));
	c->p->nstanding = json_array_size(v);
	if (c->p->nstanding &&
	    !(c->p->standing = calloc(c->p->nstanding, sizeof(*c->p->standing))))
		return oom(c);
	json_array_foreach(v, i, rule) {
		struct jg_standing *st = &c->p->standing[i];
		bool has_subject = false;

		elem(eptr, ptr, i);
		fmt(what, sizeof(what), "standing rule %zu", i + 1);
		st->pos = jsonpos__value(c->jp, eptr);
		if ((ret = get_object(c, rule, eptr, what)))
			return ret;
		json_object_foreach(rule, key, val) {
			child(kptr, eptr, key);
			fmt(w, sizeof(w), "%s: %s", what, key);
			if (!strcmp(key, "subject")) {
				if ((ret = get_str(c, val, kptr, w, &s)))
					return ret;
				if ((ret = subject__parse(s, &st->subject, e, sizeof(e))))
					return fail_sub(c, kptr, ret, what, e);
				st->subject.pos = jsonpos__value(c->jp, kptr);
				has_subject = true;
			} else if (!strcmp(key, "exe")) {
				struct jg_path p = { 0 };

				if ((ret = get_path(c, val, kptr, w, &p)))
					return ret;
				st->exe = p.path;
			} else if (!strcmp(key, "allow")) {
				if ((ret = parse_allow(c, val, kptr, w, &st->allow, &st->nallow)))
					return ret;
			} else {
				return unknown_key(c, kptr, what, key, known);
			}
		}
		if (!has_subject)
			return fail_val(c, eptr, "%s has no \"subject\"; say who it is for", what);
		if (!st->allow)
			return fail_val(c, eptr, "%s has no \"allow\"; say what it grants", what);
	}
	return 0;
}
