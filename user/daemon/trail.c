// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The session trail: the watched trees of the applied policy (to name the files of
 * session.file records the kernel could only name from below a tree), and one grant's
 * trail read back from the audit log (`jitgate history --grant`). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "daemon/daemon.h"

/* Records `history --grant` returns at most; a longer trail says it was cut. */
#define TRAIL_MAX_RECORDS 10000
/* The trail is read from this long before the grant's creation on (clocks, the request). */
#define TRAIL_SLACK_S 60

/* ------------------------------------------------------------------ watched trees */

struct watchpath {
	uint32_t dev;
	uint64_t ino;
	char *path;
};

static struct watchpath *watchpaths;
static size_t nwatchpaths;

static int watchpath_cmp(const void *a, const void *b)
{
	const struct watchpath *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

void watchpaths_set(const struct jg_compiled *c)
{
	struct watchpath *v = calloc(c->nwatch ? c->nwatch : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return;		/* records then carry the names below the tree only */
	for (size_t i = 0; i < c->nwatch; i++) {
		v[n].path = strdup(c->watch[i].path);
		if (!v[n].path)
			continue;
		v[n].dev = c->watch[i].dev;
		v[n].ino = c->watch[i].ino;
		n++;
	}
	qsort(v, n, sizeof(*v), watchpath_cmp);
	watchpaths_free();
	watchpaths = v;
	nwatchpaths = n;
}

void watchpaths_free(void)
{
	for (size_t i = 0; i < nwatchpaths; i++)
		free(watchpaths[i].path);
	free(watchpaths);
	watchpaths = NULL;
	nwatchpaths = 0;
}

static const char *watch_path(uint32_t dev, uint64_t ino)
{
	struct watchpath key = { .dev = dev, .ino = ino }, *hit;

	if (!ino)
		return NULL;
	hit = bsearch(&key, watchpaths, nwatchpaths, sizeof(key), watchpath_cmp);
	return hit ? hit->path : NULL;
}

void trail_paths(const struct jg_event *e, json_t *rec)
{
	const struct jg_file_trail *t = (const struct jg_file_trail *)e;

	audit__trail_paths(t, rec, watch_path(e->file.dev, e->file.prot_ino),
			   watch_path(e->file.dev, t->to_watch_ino));
}

json_t *watch_summary(const struct jg_compiled *c)
{
	json_t *w = json_array(), *m = json_array();

	for (size_t i = 0; i < c->nwatch; i++)
		json_array_append_new(w, json_string(c->watch[i].path));
	for (size_t i = 0; i < c->nwatch_missing; i++)
		json_array_append_new(m, json_string(c->watch_missing[i]));
	return json_pack("{s:o, s:o}", "trees", w, "missing", m);
}

/* ------------------------------------------------------------------ history --grant */

struct trail_ctx {
	const char *id;		/* "g-N" */
	json_t *out;
	size_t total;
};

static int trail_one(json_t *rec, void *ctx)
{
	struct trail_ctx *c = ctx;
	const char *gid = json_string_value(json_object_get(rec, "grant_id"));

	if (!gid || strcmp(gid, c->id))
		return 0;
	c->total++;
	if (json_array_size(c->out) < TRAIL_MAX_RECORDS)
		json_array_append(c->out, rec);
	return 0;
}

json_t *history_grant(const char *text)
{
	struct trail_ctx c = { .id = text };
	char err[512], needle[64];
	json_t *h, *g, *reply;
	const char *created;
	int64_t since_s = 0, t;
	uint64_t id;
	int ret;

	if (id__parse(text, JG_ID_GRANT, &id))
		return proto__error("EINVAL", "grant \"%s\" is not a grant ID (they look like g-3)",
				    text);
	h = ledger__history_grant(&d.ledger, id);
	if (!h)
		return ledger_error("read the grant");
	g = json_incref(json_array_get(h, 0));
	json_decref(h);
	if (!g)
		return proto__error("ENOENT", "no grant %s in the ledger", text);
	if (!d.cfg.audit_log[0]) {
		json_decref(g);
		return proto__error("ENOENT", "jitgated keeps no audit log file (audit_log is "
				    "empty): a session's trail is read from it");
	}
	created = json_string_value(json_object_get(g, "created"));
	if (created && !timestamp__parse(created, false, &t, err, sizeof(err)))
		since_s = t - TRAIL_SLACK_S;
	/* records as written: "grant_id" compact, at the top level (checked after parsing) */
	snprintf(needle, sizeof(needle), "\"grant_id\":\"%s\"", text);
	c.out = json_array();
	ret = audit__scan(d.cfg.audit_log, since_s, needle, trail_one, &c, err, sizeof(err));
	if (ret) {
		json_decref(g);
		json_decref(c.out);
		return proto__error("EIO", "%s", err);
	}
	reply = json_pack("{s:o, s:o, s:I, s:b}", "grant", g, "trail", c.out, "records",
			  (json_int_t)c.total, "truncated", c.total > TRAIL_MAX_RECORDS);
	return proto__ok(reply);
}
