// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Hash chain over audit records: chain(n) = SHA-256(chain(n-1) as 64 hex characters, then the
 * record's bytes as written, without its chain field). docs/audit-schema.md, "Tamper evidence". */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "audit/auditchain.h"

/* SHA-256 over prev (64 hex characters; NULL: none), a and b, as hex. */
static int hash_parts(const char *prev, const char *a, size_t alen, const char *b, size_t blen,
		      char out[JG_CHAIN_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	/* fetched and allocated once per thread: one record costs one digest, not a lookup of
	 * the algorithm and a context */
	static __thread EVP_MD *md_sha256;
	static __thread EVP_MD_CTX *ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok;

	if (!md_sha256)
		md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!ctx)
		ctx = EVP_MD_CTX_new();
	if (!ctx || !md_sha256)
		return -ENOMEM;
	ok = EVP_DigestInit_ex2(ctx, md_sha256, NULL) &&
	     (!prev || EVP_DigestUpdate(ctx, prev, JG_CHAIN_HEX)) &&
	     EVP_DigestUpdate(ctx, a, alen) &&
	     (!blen || EVP_DigestUpdate(ctx, b, blen)) &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen);
	if (!ok || mdlen != JG_CHAIN_HEX / 2)
		return -ENOMEM;
	for (unsigned int i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[JG_CHAIN_HEX] = 0;
	return 0;
}

int auditchain__hash(const char *prev, const char *body, size_t len, char out[JG_CHAIN_HEX + 1])
{
	return hash_parts(prev, body, len, NULL, 0, out);
}

int auditchain__sha256(const void *p, size_t len, char out[JG_CHAIN_HEX + 1])
{
	return hash_parts(NULL, p, len, NULL, 0, out);
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && (s[i] < 'a' || s[i] > 'f'))
			return false;
	return true;
}

size_t auditchain__split(const char *line, size_t len, char chain[JG_CHAIN_HEX + 1])
{
	size_t key = sizeof(JG_CHAIN_KEY) - 1;
	const char *p;

	if (len < JG_CHAIN_SUFFIX_LEN + 2 || line[0] != '{')
		return 0;
	p = line + len - JG_CHAIN_SUFFIX_LEN;
	if (memcmp(p, JG_CHAIN_KEY, key) || !is_hex(p + key, JG_CHAIN_HEX) ||
	    memcmp(p + key + JG_CHAIN_HEX, "\"}", 2))
		return 0;
	memcpy(chain, p + key, JG_CHAIN_HEX);
	chain[JG_CHAIN_HEX] = 0;
	return (size_t)(p - line);
}

int auditchain__parse_head(const char *s, uint64_t *seq, char hex[JG_CHAIN_HEX + 1])
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || !n || *end != ':' || strlen(end + 1) != JG_CHAIN_HEX ||
	    !is_hex(end + 1, JG_CHAIN_HEX))
		return -EINVAL;
	*seq = n;
	memcpy(hex, end + 1, JG_CHAIN_HEX + 1);
	return 0;
}

/* ------------------------------------------------------------------ verify */

void auditchain__verify_init(struct jg_chain_verify *v)
{
	memset(v, 0, sizeof(*v));
	memcpy(v->chain, JG_CHAIN_GENESIS, JG_CHAIN_HEX + 1);
}

void auditchain__verify_head(struct jg_chain_verify *v, uint64_t seq, const char *hex)
{
	v->head_set = true;
	v->head_seq = seq;
	snprintf(v->head_chain, sizeof(v->head_chain), "%s", hex);
}

void auditchain__verify_file(struct jg_chain_verify *v, const char *name)
{
	v->file = name;
	v->line = 0;
	v->file_records = v->file_first = v->file_last = 0;
}

__attribute__((format(printf, 5, 6)))
static int fail(struct jg_chain_verify *v, const char *file, uint64_t line, uint64_t seq,
		const char *fmt, ...)
{
	va_list ap;

	v->bad = true;
	v->err_file = file;
	v->err_line = line;
	v->err_seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_partial(struct jg_chain_verify *v, const char *why)
{
	return fail(v, v->partial_file, v->partial_line, 0,
		    "after seq %" PRIu64 ": not a complete record (%" PRIu64 " bytes): %s", v->seq,
		    v->partial_len, why);
}

int auditchain__verify_line(struct jg_chain_verify *v, const char *line, size_t len,
			    bool newline)
{
	char chain[JG_CHAIN_HEX + 1], want[JG_CHAIN_HEX + 1];
	json_t *rec, *s;
	uint64_t seq = 0;
	size_t prefix;
	const char *type;

	if (v->bad)
		return -1;
	v->line++;
	if (!newline)
		return fail(v, v->file, v->line, 0, "after seq %" PRIu64 ": truncated record "
			    "(%zu bytes without a newline)", v->seq, len);
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	s = json_object_get(rec, "seq");
	if (json_is_integer(s) && json_integer_value(s) > 0)
		seq = (uint64_t)json_integer_value(s);
	if (!seq) {
		/* a crash mid-write: legitimate only when jitgated said so right after it */
		json_decref(rec);
		if (v->partial)
			return fail_partial(v, "and no audit.partial record follows it");
		v->partial = true;
		v->partial_file = v->file;
		v->partial_line = v->line;
		v->partial_len = len;
		/* the sha of its bytes alone, not chained: what audit.partial carries */
		if (auditchain__sha256(line, len, v->partial_sha))
			return fail(v, v->file, v->line, 0, "out of memory");
		return 0;
	}
	type = json_string_value(json_object_get(rec, "type"));
	if (v->partial) {
		bool accounted = type && !strcmp(type, "audit.partial") &&
			json_integer_value(json_object_get(rec, "partial_bytes")) ==
				(json_int_t)v->partial_len &&
			json_string_value(json_object_get(rec, "partial_sha256")) &&
			!strcmp(json_string_value(json_object_get(rec, "partial_sha256")),
				v->partial_sha);

		if (!accounted) {
			json_decref(rec);
			return fail_partial(v, "the record after it does not account for it "
					    "(audit.partial)");
		}
		v->partial = false;
	}
	json_decref(rec);
	prefix = auditchain__split(line, len, chain);
	if (!prefix)
		return fail(v, v->file, v->line, seq, "record seq %" PRIu64 ": no chain value", seq);
	if (v->anchored && seq != v->seq + 1) {
		if (seq <= v->seq)
			return fail(v, v->file, v->line, seq, "record seq %" PRIu64 ": comes after "
				    "seq %" PRIu64 ": out of order (records reordered or repeated)",
				    seq, v->seq);
		if (seq - v->seq == 2)
			return fail(v, v->file, v->line, seq, "record seq %" PRIu64 ": comes after "
				    "seq %" PRIu64 ": seq %" PRIu64 " missing (records deleted or "
				    "moved)", seq, v->seq, v->seq + 1);
		return fail(v, v->file, v->line, seq, "record seq %" PRIu64 ": comes after seq %"
			    PRIu64 ": seq %" PRIu64 "-%" PRIu64 " missing (records deleted or moved)",
			    seq, v->seq, v->seq + 1, seq - 1);
	}
	if (v->anchored || seq == 1) {
		if (hash_parts(v->chain, line, prefix, "}", 1, want))
			return fail(v, v->file, v->line, seq, "out of memory");
		if (strcmp(want, chain))
			return fail(v, v->file, v->line, seq, "record seq %" PRIu64 ": %s", seq,
				    v->anchored ? "its content does not match its chain value "
				    "(edited, or it does not follow the record before it)" :
				    "does not chain to the start of the log (edited)");
	}
	/* else: the oldest record we have; what came before it is gone (audit_keep) */
	if (v->head_set && seq == v->head_seq) {
		v->head_seen = true;
		if (strcmp(chain, v->head_chain))
			return fail(v, v->file, v->line, seq, "record seq %" PRIu64 ": its chain "
				    "value differs from the head's (%.16s...)", seq, v->head_chain);
	}
	v->anchored = true;
	v->seq = seq;
	memcpy(v->chain, chain, sizeof(chain));
	v->records++;
	v->file_records++;
	if (!v->file_first)
		v->file_first = seq;
	v->file_last = seq;
	return 0;
}

int auditchain__verify_end(struct jg_chain_verify *v)
{
	if (v->bad)
		return -1;
	if (v->partial)
		return fail_partial(v, "and no audit.partial record follows it");
	if (v->head_set && !v->head_seen) {
		if (v->seq < v->head_seq)
			return fail(v, v->file, 0, 0, "the log ends at seq %" PRIu64 " but the head "
				    "is seq %" PRIu64 ": records removed from the end", v->seq,
				    v->head_seq);
		return fail(v, v->file, 0, 0, "the head (seq %" PRIu64 ") is older than the "
			    "first record here: cannot compare", v->head_seq);
	}
	return 0;
}

int auditchain__verify_buf(struct jg_chain_verify *v, const char *name, const char *buf,
			   size_t len)
{
	const char *p = buf, *end = buf + len;

	auditchain__verify_file(v, name);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (auditchain__verify_line(v, p, nl ? (size_t)(nl - p) : (size_t)(end - p),
					    nl != NULL))
			return -1;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* ------------------------------------------------------------------ render */

struct out {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->pos + 1 >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->pos, o->len - o->pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos = o->pos + (size_t)n < o->len ? o->pos + (size_t)n : o->len - 1;
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* " WORD" for a string field, " PREFIX NUMBER" for an integer; nothing when absent. */
static void put_field(struct out *o, json_t *v, const char *prefix)
{
	if (json_is_string(v))
		put(o, " %s%s", prefix, json_string_value(v));
	else if (json_is_integer(v))
		put(o, " %s%" JSON_INTEGER_FORMAT, prefix, json_integer_value(v));
}

static void put_user(struct out *o, json_t *subject)
{
	json_t *u = json_object_get(subject, "user");

	if (json_is_string(u) && *json_string_value(u))
		put(o, " %s", json_string_value(u));
	else
		put_field(o, json_object_get(subject, "uid"), "uid ");
}

static void put_allow(struct out *o, json_t *allow)
{
	size_t i, j;
	json_t *a, *p;
	const char *sep = " ";

	json_array_foreach(allow, i, a) {
		put(o, "%s%s:", sep, str(a, "resource") ?: "?");
		json_array_foreach(json_object_get(a, "perms"), j, p)
			put(o, "%s%s", j ? "," : "", json_string_value(p) ?: "?");
		sep = ",";
	}
}

/* "21:44:46" when the same day as ref, else "2026-11-23 21:44:46". */
static bool parse_time(const char *s, time_t *t)
{
	struct tm tm = { 0 };

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return false;
	*t = timegm(&tm);
	return true;
}

static void put_until(struct out *o, const char *expires, time_t ref)
{
	struct tm a, b;
	time_t t;
	char buf[32];

	if (!parse_time(expires, &t) || !localtime_r(&t, &a) || !localtime_r(&ref, &b))
		return;
	strftime(buf, sizeof(buf), a.tm_yday == b.tm_yday && a.tm_year == b.tm_year ?
		 "%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &a);
	put(o, " until %s", buf);
}

static void put_by(struct out *o, json_t *rec)
{
	json_t *by = json_object_get(rec, "by");

	if (json_is_object(by) && json_is_string(json_object_get(by, "user")))
		put(o, " by %s", str(by, "user"));
	else if (str(rec, "decided_by"))
		put(o, " by %s", str(rec, "decided_by"));
}

static void put_access(struct out *o, json_t *rec)
{
	json_t *obj = json_object_get(rec, "object"), *proc = json_object_get(rec, "process");
	const char *hook = str(rec, "hook") ?: "?";

	put_user(o, json_object_get(rec, "subject"));
	put(o, " %s", str(rec, "perm") ?: "?");
	if (str(obj, "family")) {
		bool v6 = !strcmp(str(obj, "family"), "inet6");

		put(o, " %s%s%s:%" JSON_INTEGER_FORMAT, v6 ? "[" : "", str(obj, "addr") ?: "?",
		    v6 ? "]" : "", json_integer_value(json_object_get(obj, "port")));
	} else if (str(obj, "path")) {
		put(o, " %s", str(obj, "path"));
	} else if (json_is_integer(json_object_get(obj, "ino"))) {
		put(o, " inode %" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(obj, "ino")));
	} else if (json_is_integer(json_object_get(obj, "uid"))) {
		put(o, " to uid %" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(obj, "uid")));
	}
	if (strcmp(hook, "file_open") && strcmp(hook, "connect"))
		put(o, " [%s]", hook);
	if (str(rec, "resource"))
		put(o, " %s", str(rec, "resource"));
	if (str(rec, "grant_id"))
		put(o, " %s", str(rec, "grant_id"));
	if (json_is_object(proc))
		put(o, " (%s, pid %" JSON_INTEGER_FORMAT ")", str(proc, "comm") ?: "?",
		    json_integer_value(json_object_get(proc, "pid")));
}

static void put_exec(struct out *o, json_t *rec)
{
	json_t *argv = json_object_get(rec, "argv"), *a;
	size_t i;

	put_user(o, json_object_get(rec, "subject"));
	put_field(o, json_object_get(rec, "grant_id"), "");
	put(o, " %s:", str(json_object_get(rec, "object"), "path") ?: "?");
	json_array_foreach(argv, i, a)
		put(o, " %s", json_string_value(a) ?: "?");
	if (json_is_true(json_object_get(rec, "argv_truncated")))
		put(o, " ...");
	put(o, " (pid %" JSON_INTEGER_FORMAT ")",
	    json_integer_value(json_object_get(json_object_get(rec, "process"), "pid")));
}

/* session.file: who, which grant, what was done to which file, by which process. */
static void put_file_trail(struct out *o, json_t *rec)
{
	json_t *owner = json_object_get(rec, "owner");

	put_user(o, json_object_get(rec, "subject"));
	put_field(o, json_object_get(rec, "grant_id"), "");
	put(o, " %s %s", str(rec, "op") ?: "?",
	    str(json_object_get(rec, "object"), "path") ?: "?");
	if (str(rec, "new_path"))
		put(o, " -> %s", str(rec, "new_path"));
	if (str(rec, "target"))
		put(o, " -> %s", str(rec, "target"));
	put_field(o, json_object_get(rec, "mode"), "mode ");
	if (json_is_object(owner)) {
		put_field(o, json_object_get(owner, "uid"), "uid ");
		put_field(o, json_object_get(owner, "gid"), "gid ");
	}
	put_field(o, json_object_get(rec, "size"), "size ");
	put(o, " (%s, pid %" JSON_INTEGER_FORMAT ")",
	    str(json_object_get(rec, "process"), "comm") ?: "?",
	    json_integer_value(json_object_get(json_object_get(rec, "process"), "pid")));
}

static void put_reason(struct out *o, json_t *rec, const char *key)
{
	if (str(rec, key))
		put(o, " \"%s\"", str(rec, key));
}

char *auditchain__render(json_t *rec, char *buf, size_t len)
{
	struct out o = { buf, len, 0 };
	const char *type = str(rec, "type") ?: "?";
	char when[32] = "?";
	struct tm tm;
	time_t t = 0;

	if (!len)
		return buf;
	buf[0] = 0;
	if (parse_time(str(rec, "time"), &t) && localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	put(&o, "%s #%" JSON_INTEGER_FORMAT " %s", when,
	    json_integer_value(json_object_get(rec, "seq")), type);
	if (!strncmp(type, "access.", 7)) {
		put_access(&o, rec);
	} else if (!strcmp(type, "session.exec")) {
		put_exec(&o, rec);
	} else if (!strcmp(type, "session.file")) {
		put_file_trail(&o, rec);
	} else if (!strncmp(type, "grant.", 6)) {
		put_field(&o, json_object_get(rec, "grant_id"), "");
		put_user(&o, json_object_get(rec, "subject"));
		put_allow(&o, json_object_get(rec, "allow"));
		if (!strcmp(type, "grant.create") || !strcmp(type, "grant.extend"))
			put_until(&o, str(rec, "expires"), t);
		if (json_is_true(json_object_get(rec, "break_glass")))
			put(&o, " BREAK-GLASS");
		put_field(&o, json_object_get(rec, "end_reason"), "");
		put_field(&o, json_object_get(rec, "removed"), "removed ");
		put_by(&o, rec);
		put_reason(&o, rec, "reason");
		put_field(&o, json_object_get(rec, "error"), "error: ");
	} else if (!strncmp(type, "request.", 8)) {
		put_field(&o, json_object_get(rec, "request_id"), "");
		put_user(&o, json_object_get(rec, "subject"));
		put_field(&o, json_object_get(rec, "role"), "role ");
		put_field(&o, json_object_get(rec, "state"), "");
		put_field(&o, json_object_get(rec, "grant_id"), "");
		put_by(&o, rec);
		put_reason(&o, rec, "reason");
	} else if (!strncmp(type, "mfa.", 4)) {
		put_user(&o, json_object_get(rec, "subject"));
		put_field(&o, json_object_get(rec, "role"), "role ");
		put_by(&o, rec);
		put_field(&o, json_object_get(rec, "error"), "error: ");
	} else if (!strcmp(type, "policy.load")) {
		json_t *p = json_object_get(rec, "policy");

		put_field(&o, json_object_get(p, "file"), "");
		put_field(&o, json_object_get(p, "resources"), "resources ");
	} else {
		/* the daemon's own events: the fields that say most */
		static const char *const keys[] = { "pid", "gate", "file", "by", "lost",
			"event", "command", "partial_bytes", "head_seq", "file_seq", "error",
			"reason" };

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			json_t *v = json_object_get(rec, keys[i]);

			if (!v)
				continue;
			if (!strcmp(keys[i], "by") && json_is_object(v))
				put(&o, " by %s", str(v, "user") ?: "?");
			else if (json_is_string(v) && (!strcmp(keys[i], "error") ||
						       !strcmp(keys[i], "reason")))
				put(&o, " %s: \"%s\"", keys[i], json_string_value(v));
			else if (!strcmp(keys[i], "file"))
				put_field(&o, v, "");
			else if (json_is_string(v) || json_is_integer(v)) {
				put(&o, " %s", keys[i]);
				put_field(&o, v, "");
			}
		}
	}
	/* nothing from the log may drive the terminal */
	for (unsigned char *p = (unsigned char *)buf; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			p[0] = p[1] = '?';
	}
	return buf;
}
