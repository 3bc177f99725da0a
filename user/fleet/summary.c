// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The audit summary a host sends to the fleet store (summary.h). */
#include <errno.h>
#include <string.h>
#include "audit/audit.h"
#include "fleet/summary.h"

struct sum {
	uint64_t after, from, to, records, bg_more;
	json_t *counts, *decisions, *bg;
};

static void count(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	json_object_set_new(o, key, json_integer(json_integer_value(v) + 1));
}

static json_t *str_or_null(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_incref(v) : json_null();
}

static void break_glass(struct sum *s, json_t *rec, uint64_t seq)
{
	json_t *by = json_object_get(rec, "by"), *subj = json_object_get(rec, "subject");

	if (json_array_size(s->bg) >= JG_SUMMARY_BREAK_GLASS_MAX) {
		s->bg_more++;
		return;
	}
	json_array_append_new(s->bg, json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"seq", (json_int_t)seq, "time", str_or_null(rec, "time"),
		"grant_id", str_or_null(rec, "grant_id"),
		"user", str_or_null(subj, "user"), "by", str_or_null(by, "user"),
		"reason", str_or_null(rec, "reason"), "expires", str_or_null(rec, "expires"),
		"duration_s", json_is_integer(json_object_get(rec, "duration_s")) ?
			json_incref(json_object_get(rec, "duration_s")) : json_null()));
}

static int one(json_t *rec, void *ctx)
{
	struct sum *s = ctx;
	json_t *seqv = json_object_get(rec, "seq");
	const char *type = json_string_value(json_object_get(rec, "type"));
	uint64_t seq;

	if (!json_is_integer(seqv) || json_integer_value(seqv) < 0 || !type)
		return 0;
	seq = (uint64_t)json_integer_value(seqv);
	if (seq <= s->after)
		return 0;
	if (!s->records || seq < s->from)
		s->from = seq;
	if (seq > s->to)
		s->to = seq;
	s->records++;
	count(s->counts, type);
	if (!strcmp(type, "access.allow"))
		count(s->decisions, "allow");
	else if (!strcmp(type, "access.deny"))
		count(s->decisions, "deny");
	else if (!strcmp(type, "access.audit"))
		count(s->decisions, "audit");
	if (!strcmp(type, "grant.create") && json_is_true(json_object_get(rec, "break_glass")))
		break_glass(s, rec, seq);
	return 0;
}

int fleet__summary_build(const char *path, uint64_t after, int64_t since_s, json_t **out,
			 uint64_t *from, uint64_t *to, char *err, size_t errlen)
{
	struct sum s = { .after = after, .counts = json_object(),
			 .decisions = json_pack("{s:i, s:i, s:i}", "allow", 0, "deny", 0, "audit", 0),
			 .bg = json_array() };
	int ret = audit__scan(path, since_s, NULL, one, &s, err, errlen);

	*out = NULL;
	if (!ret && !s.records)
		ret = -ENOENT;
	if (ret) {
		json_decref(s.counts);
		json_decref(s.decisions);
		json_decref(s.bg);
		return ret;
	}
	*from = s.from;
	*to = s.to;
	*out = json_pack("{s:I, s:o, s:o, s:o, s:I}", "records", (json_int_t)s.records,
			 "counts", s.counts, "decisions", s.decisions, "break_glass", s.bg,
			 "break_glass_more", (json_int_t)s.bg_more);
	return 0;
}
