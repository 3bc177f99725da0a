// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy: JSON -> struct jg_policy, validated whole (policy.h, design brief section 3).
 *
 * Every error is one sentence "FILE:LINE:COLUMN: message" that points at the offending value
 * (or key). Jansson gives positions for syntax errors only; for everything else the validator
 * builds the JSON pointer of what it looks at and asks jsonpos for its position. Unknown keys
 * are errors: a typo must never silently weaken a policy. This file reads the file and the
 * root object and frees a policy; the sections are parsed in resources.c, roles.c and
 * notify.c. */
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
/* Freeing                                                                                  */

static void paths_free(struct jg_path *v, size_t n)
{
	for (size_t k = 0; v && k < n; k++)
		free(v[k].path);
	free(v);
}

static void subjects_free(struct jg_subject *v, size_t n)
{
	for (size_t k = 0; v && k < n; k++)
		subject__free(&v[k]);
	free(v);
}

static void allow_free(struct jg_allow *v, size_t n)
{
	for (size_t k = 0; v && k < n; k++)
		free(v[k].resource);
	free(v);
}

static void schedule_free(struct jg_schedule *s)
{
	free(s->timezone);
	free(s->windows);
}

void policy__free(struct jg_policy *p)
{
	if (!p)
		return;
	for (size_t k = 0; p->resources && k < p->nresources; k++) {
		struct jg_resource *r = &p->resources[k];

		free(r->name);
		free(r->description);
		paths_free(r->files, r->nfiles);
		paths_free(r->exec, r->nexec);
		for (size_t j = 0; r->connect && j < r->nconnect; j++)
			endpoint__free(&r->connect[j]);
		free(r->connect);
		for (size_t j = 0; r->bind && j < r->nbind; j++)
			endpoint__free(&r->bind[j]);
		free(r->bind);
		paths_free(r->elevate_except, r->nelevate_except);
		paths_free(r->elevate_watch, r->nelevate_watch);
	}
	free(p->resources);
	for (size_t k = 0; p->roles && k < p->nroles; k++) {
		struct jg_role *r = &p->roles[k];

		free(r->name);
		free(r->description);
		allow_free(r->allow, r->nallow);
		subjects_free(r->requesters, r->nrequesters);
		subjects_free(r->approvers, r->napprovers);
		schedule_free(&r->schedule);
		subjects_free(r->auto_approve.subjects, r->auto_approve.nsubjects);
		schedule_free(&r->auto_approve.schedule);
	}
	free(p->roles);
	for (size_t k = 0; p->standing && k < p->nstanding; k++) {
		struct jg_standing *s = &p->standing[k];

		subject__free(&s->subject);
		free(s->exe);
		allow_free(s->allow, s->nallow);
	}
	free(p->standing);
	for (size_t k = 0; p->notify && k < p->nnotify; k++) {
		for (size_t j = 0; j < p->notify[k].argc; j++)
			free(p->notify[k].argv[j]);
		free(p->notify[k].argv);
	}
	free(p->notify);
	free(p->file);
	free(p);
}

const struct jg_resource *policy__resource(const struct jg_policy *p, const char *name)
{
	for (size_t k = 0; p && name && k < p->nresources; k++)
		if (p->resources[k].name && !strcmp(p->resources[k].name, name))
			return &p->resources[k];
	return NULL;
}

const struct jg_resource *policy__gate_admin(const struct jg_policy *p)
{
	for (size_t k = 0; p && k < p->nresources; k++)
		if (p->resources[k].kinds & JG_RES_GATE)
			return &p->resources[k];
	return NULL;
}

const struct jg_role *policy__role(const struct jg_policy *p, const char *name)
{
	for (size_t k = 0; p && name && k < p->nroles; k++)
		if (p->roles[k].name && !strcmp(p->roles[k].name, name))
			return &p->roles[k];
	return NULL;
}

static int parse_root(struct ctx *c, json_t *root)
{
	static const char *const known[] = { "version", "resources", "roles", "standing", "notify",
					     NULL };
	char kptr[PTR_MAX];
	const char *key;
	json_t *val;
	int ret;

	if (!json_is_object(root))
		return fail_val(c, "", "a policy must be a JSON object, not %s", type_name(root));
	json_object_foreach(root, key, val) {
		child(kptr, "", key);
		if (!strcmp(key, known[0]) || !strcmp(key, known[1]) || !strcmp(key, known[2]) ||
		    !strcmp(key, known[3]) || !strcmp(key, known[4]))
			continue;
		return unknown_key(c, kptr, "", key, known);
	}

	val = json_object_get(root, "version");
	if (!val)
		return fail_val(c, "", "the policy has no \"version\"; write \"version\": 1");
	if (!json_is_integer(val))
		return fail_val(c, "/version", "\"version\" must be the number 1, not %s",
				type_name(val));
	if (json_integer_value(val) != 1)
		return fail_val(c, "/version", "unsupported policy version %lld; this jitgate "
				"reads version 1", (long long)json_integer_value(val));
	c->p->version = 1;

	val = json_object_get(root, "resources");
	if (!val)
		return fail_val(c, "", "the policy has no \"resources\"; name what it protects");
	if ((ret = parse_resources(c, val, "/resources")))
		return ret;
	if ((val = json_object_get(root, "roles")) && (ret = parse_roles(c, val, "/roles")))
		return ret;
	if ((val = json_object_get(root, "standing")) &&
	    (ret = parse_standing(c, val, "/standing")))
		return ret;
	if ((val = json_object_get(root, "notify")) && (ret = parse_notify(c, val, "/notify")))
		return ret;
	return 0;
}

static int load_buffer(const char *text, size_t len, const char *name, struct jg_policy **out,
		       char *err, size_t errlen)
{
	struct ctx c = { .file = name ? name : "policy", .err = err, .errlen = errlen };
	struct jsonpos *jp = NULL;
	json_error_t jerr;
	json_t *root;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		/* jansson points at the last byte it read; point at the start of that token */
		size_t off = jerr.position > 0 ? (size_t)jerr.position - 1 : 0;
		struct jg_pos pos = jsonpos__offset_pos(text, len,
							jsonpos__token_start(text, len, off));

		char text_[sizeof(jerr.text) * 4];
		size_t n = 0;

		/* jansson quotes the offending token, which may hold any byte */
		for (const unsigned char *t = (const unsigned char *)jerr.text; *t; t++) {
			if (*t < 0x20 || *t == 0x7f)
				n += (size_t)snprintf(text_ + n, sizeof(text_) - n, "\\x%02x", *t);
			else
				text_[n++] = (char)*t;
		}
		text_[n] = '\0';
		return fail_pos(&c, pos, "invalid JSON: %s", text_);
	}
	ret = jsonpos__scan(text, len, &jp);
	if (ret == -ENOMEM) {
		json_decref(root);
		return oom(&c);
	}
	c.jp = jp;	/* NULL if the scanner disagrees with jansson: positions become 1:1 */

	if (!(c.p = calloc(1, sizeof(*c.p))) || !(c.p->file = strdup(c.file))) {
		ret = oom(&c);
		goto cleanup;
	}
	ret = parse_root(&c, root);
	if (!ret) {
		*out = c.p;
		c.p = NULL;
	}
cleanup:
	policy__free(c.p);
	jsonpos__free(jp);
	json_decref(root);
	return ret;
}

int policy__load_string(const char *text, const char *name, struct jg_policy **out,
			char *err, size_t errlen)
{
	return load_buffer(text ? text : "", text ? strlen(text) : 0, name, out, err, errlen);
}

int policy__load_file(const char *path, struct jg_policy **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	for (;;) {
		if (len == cap) {
			char *b;

			if (cap >= POLICY_MAX_BYTES) {
				ret = -EFBIG;
				if (err && errlen)
					snprintf(err, errlen, "%s: the file is larger than %u MiB, "
						 "too large for a policy", path,
						 POLICY_MAX_BYTES >> 20);
				goto cleanup;
			}
			cap = cap ? cap * 2 : 16384;
			if (!(b = realloc(buf, cap + 1))) {
				ret = -ENOMEM;
				if (err && errlen)
					snprintf(err, errlen, "%s: out of memory", path);
				goto cleanup;
			}
			buf = b;
		}
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			if (err && errlen)
				snprintf(err, errlen, "%s: %s", path, strerror(-ret));
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	ret = load_buffer(buf, len, path, out, err, errlen);
cleanup:
	close(fd);
	free(buf);
	return ret;
}
