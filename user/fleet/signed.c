// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The fleet's signed forms: canonical bytes out of the structs and back (fleet/signed.h).
 * One checker per form runs on the JSON object both ways, so what we make always parses and
 * what parses could have been made here. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "fleet/signed.h"
#include "fleet/sshsig.h"
#include "workflow/workflow.h"

#define CANON_FLAGS (JSON_SORT_KEYS | JSON_COMPACT)
#define LABEL_PART_MAX 63

static __attribute__((format(printf, 3, 4)))
int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fleet__vsay(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- fields */

struct form {
	const char *what;		/* "the request", "the decision" */
	json_t *o;
	char *err;
	size_t errlen;
};

static const char *str_field(struct form *f, const char *key)
{
	json_t *v = json_object_get(f->o, key);

	if (!json_is_string(v)) {
		fail(f->err, f->errlen, "%s's field \"%s\" %s", f->what, key,
		     v ? "is not a string" : "is missing");
		return NULL;
	}
	return json_string_value(v);
}

static int int_field(struct form *f, const char *key, long long min, long long *out)
{
	json_t *v = json_object_get(f->o, key);

	if (!json_is_integer(v))
		return fail(f->err, f->errlen, "%s's field \"%s\" %s", f->what, key,
			    v ? "is not an integer" : "is missing");
	*out = json_integer_value(v);
	if (*out < min || *out > JG_FLEET_INT_MAX)
		return fail(f->err, f->errlen, "%s's field \"%s\" is %lld, outside %lld to %lld",
			    f->what, key, *out, min, JG_FLEET_INT_MAX);
	return 0;
}

static bool all_of(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

#define HEX "0123456789abcdef"

static int check_id(struct form *f, const char *key, const char *v)
{
	if (strlen(v) != JG_FLEET_ID_LEN - 1 || strncmp(v, "fr-", 3) || !all_of(v + 3, HEX))
		return fail(f->err, f->errlen, "%s's field \"%s\" is not fr- and 16 lowercase hex "
			    "digits", f->what, key);
	return 0;
}

/* A person's or a role's name: printable, no space or comma (a principal of the signer
 * list), shorter than JG_NAME_LEN. */
static int check_name(struct form *f, const char *key, const char *v)
{
	char what[64];

	if (!*v || strlen(v) >= JG_NAME_LEN)
		return fail(f->err, f->errlen, "%s's field \"%s\" is empty or longer than %d bytes",
			    f->what, key, JG_NAME_LEN - 1);
	snprintf(what, sizeof(what), "the field \"%s\"", key);
	if (wf__check_text(v, JG_NAME_LEN - 1, what, f->err, f->errlen))
		return -EINVAL;
	if (strpbrk(v, " \t,"))
		return fail(f->err, f->errlen, "%s's field \"%s\" holds a space or a comma",
			    f->what, key);
	return 0;
}

static int check_type(struct form *f, const char *type)
{
	const char *t = str_field(f, "type");
	long long v;

	if (!t)
		return -EINVAL;
	if (strcmp(t, type))
		return fail(f->err, f->errlen, "%s's type is \"%.40s\", not \"%s\"", f->what, t,
			    type);
	if (int_field(f, "v", 0, &v))
		return -EINVAL;
	if (v != JG_FLEET_FORM_VERSION)
		return fail(f->err, f->errlen, "%s is of version %lld (%d expected)", f->what, v,
			    JG_FLEET_FORM_VERSION);
	return 0;
}

/* Exactly these keys (nkeys of them, sorted). */
static int check_keys(struct form *f, const char *const *keys, size_t nkeys)
{
	const char *k;
	json_t *v;

	json_object_foreach(f->o, k, v) {
		size_t i;

		for (i = 0; i < nkeys && strcmp(keys[i], k); i++)
			;
		if (i == nkeys)
			return fail(f->err, f->errlen, "%s has an unknown field \"%.40s\"", f->what,
				    k);
	}
	for (size_t i = 0; i < nkeys; i++)
		if (!json_object_get(f->o, keys[i]))
			return fail(f->err, f->errlen, "%s's field \"%s\" is missing", f->what,
				    keys[i]);
	return 0;
}

/* ---- labels */

static int check_label_part(const char *p, size_t n, const char *what, const char *part,
			    char *err, size_t errlen)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789._/-";

	if (!n || n > LABEL_PART_MAX)
		return fail(err, errlen, "%s: a %s is empty or longer than %d bytes", what, part,
			    LABEL_PART_MAX);
	for (size_t i = 0; i < n; i++)
		if (!strchr(set, p[i]) || !p[i])
			return fail(err, errlen, "%s: the %s \"%.*s\" holds byte 0x%02x (letters, "
				    "digits and ._/- are allowed)", what, part, (int)n, p,
				    (unsigned char)p[i]);
	return 0;
}

int fleet__labels_check(const char *text, const char *what, char *err, size_t errlen)
{
	const char *p = text;

	if (strlen(text) >= JG_FLEET_SELECTOR_LEN)
		return fail(err, errlen, "%s is longer than %d bytes", what,
			    JG_FLEET_SELECTOR_LEN - 1);
	for (;;) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=,");
		const char *q;

		if (k == n)
			return fail(err, errlen, "%s: item \"%.*s\" is not key=value", what, (int)n,
				    p);
		if (check_label_part(p, k, what, "key", err, errlen) ||
		    check_label_part(p + k + 1, n - k - 1, what, "value", err, errlen))
			return -EINVAL;
		for (q = text; q < p; q += strcspn(q, ",") + 1)
			if (!strncmp(q, p, k + 1))
				return fail(err, errlen, "%s: key \"%.*s\" is given twice", what,
					    (int)k, p);
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static bool has_item(const char *labels, const char *item, size_t n)
{
	for (const char *q = labels; *q; ) {
		size_t l = strcspn(q, ",");

		if (l == n && !strncmp(q, item, n))
			return true;
		q += l;
		if (*q)
			q++;
	}
	return false;
}

bool fleet__selector_holds(const char *selector, const char *labels, const char *host)
{
	for (const char *p = selector; *p; ) {
		size_t n = strcspn(p, ",");

		bool is_host = n > 5 && !strncmp(p, "host=", 5);

		/* host=NAME is the host's name, never a label it was given */
		if (is_host ? strlen(host) != n - 5 || strncmp(p + 5, host, n - 5) :
			      !has_item(labels, p, n))
			return false;
		p += n;
		if (*p)
			p++;
	}
	return true;
}

/* ---- the request */

static const char *const request_keys[] = {
	"created", "duration", "hosts", "id", "nonce", "reason", "requester", "role",
	"selector", "type", "v",
};

static int check_host(struct form *f, size_t i, const char *h, const char *prev)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789._-";

	if (!*h || strlen(h) >= JG_FLEET_HOST_LEN || !all_of(h, set))
		return fail(f->err, f->errlen, "%s's host %zu \"%.40s\" is not a host name (1-%d "
			    "letters, digits and ._-)", f->what, i + 1, h, JG_FLEET_HOST_LEN - 1);
	if (prev && strcmp(prev, h) >= 0)
		return fail(f->err, f->errlen, "%s's hosts are not sorted without duplicates "
			    "(\"%.40s\" after \"%.40s\")", f->what, h, prev);
	return 0;
}

/* Check the request object; with r, fill it (hosts on the heap). */
static int check_request(struct form *f, struct jg_fleet_request *r)
{
	const char *id, *nonce, *reason, *requester, *role, *selector;
	json_t *hosts = json_object_get(f->o, "hosts"), *h;
	long long created, duration;
	const char *prev = NULL;
	size_t i;

	if (check_keys(f, request_keys, sizeof(request_keys) / sizeof(request_keys[0])) ||
	    check_type(f, JG_FLEET_REQUEST_TYPE) ||
	    !(id = str_field(f, "id")) || check_id(f, "id", id) ||
	    !(nonce = str_field(f, "nonce")) || !(reason = str_field(f, "reason")) ||
	    !(requester = str_field(f, "requester")) || !(role = str_field(f, "role")) ||
	    !(selector = str_field(f, "selector")) ||
	    int_field(f, "created", 0, &created) || int_field(f, "duration", 1, &duration) ||
	    check_name(f, "requester", requester) || check_name(f, "role", role))
		return -EINVAL;
	if (strlen(nonce) != JG_FLEET_NONCE_LEN - 1 || !all_of(nonce, HEX))
		return fail(f->err, f->errlen, "%s's nonce is not 32 lowercase hex digits",
			    f->what);
	if (wf__check_text(reason, JG_REASON_LEN - 1, "the request's reason", f->err,
			   f->errlen) ||
	    fleet__labels_check(selector, "the request's selector", f->err, f->errlen))
		return -EINVAL;
	if (!json_is_array(hosts) || !json_array_size(hosts) ||
	    json_array_size(hosts) > JG_FLEET_MAX_HOSTS)
		return fail(f->err, f->errlen, "%s's hosts are not a list of 1 to %d names",
			    f->what, JG_FLEET_MAX_HOSTS);
	json_array_foreach(hosts, i, h) {
		if (!json_is_string(h))
			return fail(f->err, f->errlen, "%s's host %zu is not a string", f->what,
				    i + 1);
		if (check_host(f, i, json_string_value(h), prev))
			return -EINVAL;
		prev = json_string_value(h);
	}
	if (!r)
		return 0;
	memset(r, 0, sizeof(*r));
	r->hosts = calloc(json_array_size(hosts), sizeof(*r->hosts));
	if (!r->hosts)
		return -ENOMEM;
	json_array_foreach(hosts, i, h) {
		r->hosts[i] = strdup(json_string_value(h));
		if (!r->hosts[i]) {
			r->nhosts = i;
			fleet__request_free(r);
			return -ENOMEM;
		}
	}
	r->nhosts = json_array_size(hosts);
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->requester, sizeof(r->requester), "%s", requester);
	snprintf(r->role, sizeof(r->role), "%s", role);
	snprintf(r->selector, sizeof(r->selector), "%s", selector);
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->nonce, sizeof(r->nonce), "%s", nonce);
	r->duration = (uint64_t)duration;
	r->created = created;
	return 0;
}

/* Dump o canonically after check(o) passed. */
static int dump(struct form *f, int (*check)(struct form *, void *), char **out, size_t *len)
{
	char *s;
	int ret = check(f, NULL);

	if (ret)
		return ret;
	s = json_dumps(f->o, CANON_FLAGS);
	if (!s) {
		fail(f->err, f->errlen, "%s could not be serialized (out of memory)", f->what);
		return -ENOMEM;
	}
	if (strlen(s) > JG_FLEET_TEXT_MAX) {
		free(s);
		return fail(f->err, f->errlen, "%s is longer than %d bytes", f->what,
			    JG_FLEET_TEXT_MAX);
	}
	*out = s;
	*len = strlen(s);
	return 0;
}

static int check_request_any(struct form *f, void *r)
{
	return check_request(f, r);
}

int fleet__request_canon(const struct jg_fleet_request *r, char **out, size_t *len,
			 char *err, size_t errlen)
{
	struct form f = { "the request", NULL, err, errlen };
	json_t *hosts = json_array();
	int ret = -ENOMEM;

	for (size_t i = 0; hosts && i < r->nhosts; i++) {
		json_t *h = json_string(r->hosts[i]);	/* NULL for text that is not UTF-8 */

		if (!h) {
			ret = fail(err, errlen, "the request's host %zu is not UTF-8 text", i + 1);
			goto cleanup;
		}
		if (json_array_append_new(hosts, h))
			goto cleanup;
	}
	if (!hosts)
		goto cleanup;
	f.o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:O, s:I, s:s}",
			"type", JG_FLEET_REQUEST_TYPE, "v", JG_FLEET_FORM_VERSION,
			"id", r->id, "requester", r->requester, "role", r->role,
			"selector", r->selector, "reason", r->reason,
			"duration", (json_int_t)(r->duration > JG_FLEET_INT_MAX ?
						 JG_FLEET_INT_MAX + 1 : (long long)r->duration),
			"hosts", hosts, "created", (json_int_t)r->created, "nonce", r->nonce);
	if (!f.o) {
		ret = fail(err, errlen, "the request holds text that is not UTF-8");
		goto cleanup;
	}
	ret = dump(&f, check_request_any, out, len);
cleanup:
	json_decref(hosts);
	json_decref(f.o);
	return ret;
}

/* Load canonical bytes: JSON, an object, no duplicate keys, at most the size limit; the
 * byte-for-byte check against the dump is the caller's last step (canonical()). */
static json_t *load(const char *text, size_t len, const char *what, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o;

	if (len > JG_FLEET_TEXT_MAX) {
		fail(err, errlen, "%s is longer than %d bytes", what, JG_FLEET_TEXT_MAX);
		return NULL;
	}
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		fail(err, errlen, "%s is not JSON: %s (byte %d)", what, je.text, je.position);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		fail(err, errlen, "%s is not a JSON object", what);
		return NULL;
	}
	return o;
}

static int canonical(struct form *f, const char *text, size_t len)
{
	char *s = json_dumps(f->o, CANON_FLAGS);
	size_t n = s ? strlen(s) : 0, i = 0;

	if (!s) {
		fail(f->err, f->errlen, "%s could not be serialized (out of memory)", f->what);
		return -ENOMEM;
	}
	while (i < n && i < len && s[i] == text[i])
		i++;
	free(s);
	if (i == n && n == len)
		return 0;
	fail(f->err, f->errlen, "%s is not in canonical form (sorted keys, no spaces, no "
	     "needless escapes): it differs at byte %zu", f->what, i);
	return -EBADMSG;
}

int fleet__request_parse(const char *text, size_t len, struct jg_fleet_request *r, char *err,
			 size_t errlen)
{
	struct form f = { "the request", NULL, err, errlen };
	struct jg_fleet_request q;
	int ret;

	f.o = load(text, len, f.what, err, errlen);
	if (!f.o)
		return -EINVAL;
	ret = check_request(&f, &q);
	if (!ret) {
		ret = canonical(&f, text, len);
		if (ret)
			fleet__request_free(&q);
		else
			*r = q;
	}
	json_decref(f.o);
	return ret;
}

void fleet__request_free(struct jg_fleet_request *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nhosts; i++)
		free(r->hosts[i]);
	free(r->hosts);
	r->hosts = NULL;
	r->nhosts = 0;
}

static int cmp_host(const void *a, const void *b)
{
	return strcmp(a, *(char *const *)b);
}

bool fleet__request_names(const struct jg_fleet_request *r, const char *host)
{
	return r->nhosts && bsearch(host, r->hosts, r->nhosts, sizeof(*r->hosts), cmp_host);
}

/* ---- the decision */

static const char *const decision_keys[] = {
	"by", "decision", "reason", "request", "request_id", "time", "type", "v",
};

static const char *const kind_names[] = {
	[JG_FLEET_APPROVE] = "approve", [JG_FLEET_DENY] = "deny", [JG_FLEET_REVOKE] = "revoke",
};

const char *fleet__kind_name(enum jg_fleet_kind k)
{
	return k >= JG_FLEET_APPROVE && k <= JG_FLEET_REVOKE ? kind_names[k] : "?";
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *hi = strchr(HEX, s[2 * i]), *lo = strchr(HEX, s[2 * i + 1]);

		if (!s[2 * i] || !s[2 * i + 1] || !hi || !lo)
			return -EINVAL;
		out[i] = (uint8_t)((hi - HEX) << 4 | (lo - HEX));
	}
	return s[2 * n] ? -EINVAL : 0;
}

static int check_decision(struct form *f, struct jg_fleet_decision *d)
{
	const char *by, *kind, *reason, *req, *rid;
	struct jg_fleet_decision q = { 0 };
	long long t;

	if (check_keys(f, decision_keys, sizeof(decision_keys) / sizeof(decision_keys[0])) ||
	    check_type(f, JG_FLEET_DECISION_TYPE) ||
	    !(by = str_field(f, "by")) || check_name(f, "by", by) ||
	    !(kind = str_field(f, "decision")) || !(reason = str_field(f, "reason")) ||
	    !(req = str_field(f, "request")) || !(rid = str_field(f, "request_id")) ||
	    check_id(f, "request_id", rid) || int_field(f, "time", 0, &t))
		return -EINVAL;
	for (q.kind = JG_FLEET_APPROVE; q.kind <= JG_FLEET_REVOKE; q.kind++)
		if (!strcmp(kind, kind_names[q.kind]))
			break;
	if (q.kind > JG_FLEET_REVOKE)
		return fail(f->err, f->errlen, "%s's decision \"%.20s\" is not approve, deny or "
			    "revoke", f->what, kind);
	if (strncmp(req, "sha256:", 7) || unhex(req + 7, q.request_hash, 32))
		return fail(f->err, f->errlen, "%s's field \"request\" is not sha256: and 64 "
			    "lowercase hex digits", f->what);
	if (wf__check_text(reason, JG_REASON_LEN - 1, "the decision's reason", f->err,
			   f->errlen))
		return -EINVAL;
	if (!d)
		return 0;
	snprintf(q.request_id, sizeof(q.request_id), "%s", rid);
	snprintf(q.by, sizeof(q.by), "%s", by);
	snprintf(q.reason, sizeof(q.reason), "%s", reason);
	q.time = t;
	*d = q;
	return 0;
}

static int check_decision_any(struct form *f, void *d)
{
	return check_decision(f, d);
}

int fleet__decision_canon(const struct jg_fleet_decision *d, char **out, size_t *len,
			  char *err, size_t errlen)
{
	struct form f = { "the decision", NULL, err, errlen };
	char hash[80];
	int ret;

	fleet__hash_text(d->request_hash, hash, sizeof(hash));
	f.o = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I}",
			"type", JG_FLEET_DECISION_TYPE, "v", JG_FLEET_FORM_VERSION,
			"by", d->by, "decision", fleet__kind_name(d->kind), "reason", d->reason,
			"request", hash, "request_id", d->request_id,
			"time", (json_int_t)d->time);
	if (!f.o)
		return fail(err, errlen, "the decision holds text that is not UTF-8");
	ret = dump(&f, check_decision_any, out, len);
	json_decref(f.o);
	return ret;
}

int fleet__decision_parse(const char *text, size_t len, struct jg_fleet_decision *d,
			  char *err, size_t errlen)
{
	struct form f = { "the decision", NULL, err, errlen };
	struct jg_fleet_decision q;
	int ret;

	f.o = load(text, len, f.what, err, errlen);
	if (!f.o)
		return -EINVAL;
	ret = check_decision(&f, &q);
	if (!ret)
		ret = canonical(&f, text, len);
	if (!ret)
		*d = q;
	json_decref(f.o);
	return ret;
}

/* ---- hashes and ids */

void fleet__hash(const char *text, size_t len, uint8_t out[32])
{
	unsigned n = 0;

	if (!EVP_Digest(text, len, out, &n, EVP_sha256(), NULL))
		memset(out, 0, 32);		/* matches no request's hash in practice */
}

char *fleet__hash_text(const uint8_t h[32], char *buf, size_t len)
{
	char hex[65];

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = HEX[h[i] >> 4];
		hex[2 * i + 1] = HEX[h[i] & 15];
	}
	hex[64] = '\0';
	snprintf(buf, len, "sha256:%s", hex);
	return buf;
}

int fleet__new_id(char id[JG_FLEET_ID_LEN], char nonce[JG_FLEET_NONCE_LEN])
{
	uint8_t r[24];

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -errno ? -errno : -EIO;
	memcpy(id, "fr-", 3);
	for (int i = 0; i < 8; i++) {
		id[3 + 2 * i] = HEX[r[i] >> 4];
		id[4 + 2 * i] = HEX[r[i] & 15];
	}
	id[JG_FLEET_ID_LEN - 1] = '\0';
	for (int i = 0; i < 16; i++) {
		nonce[2 * i] = HEX[r[8 + i] >> 4];
		nonce[2 * i + 1] = HEX[r[8 + i] & 15];
	}
	nonce[JG_FLEET_NONCE_LEN - 1] = '\0';
	return 0;
}
