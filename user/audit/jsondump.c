// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A record's JSON text, written straight into one growing buffer: byte for byte what
 * json_dumps(JSON_COMPACT | JSON_ENSURE_ASCII) and util__json_escape_del make, at a fraction
 * of their cost (no dump callback per piece, no UTF-8 decoding of ASCII). The audit log's
 * bytes are hashed into the chain, so they must never change: tests/unit/audit/test_jsondump.c
 * compares the two on every kind of value and on random strings. A value it does not write
 * itself (a real number) makes it give up, and the caller uses jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "audit/jsondump.h"

struct out {
	char *p;
	size_t len, cap;
	bool bad;
};

static bool room(struct out *o, size_t n)
{
	size_t cap;
	char *p;

	if (o->bad)
		return false;
	if (o->len + n + 1 <= o->cap)
		return true;
	cap = o->cap ? o->cap : 1024;
	while (cap < o->len + n + 1)
		cap *= 2;
	p = realloc(o->p, cap);
	if (!p) {
		o->bad = true;
		return false;
	}
	o->p = p;
	o->cap = cap;
	return true;
}

static void put(struct out *o, const char *s, size_t n)
{
	if (!room(o, n))
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static const char hexu[] = "0123456789ABCDEF";

static void put_u(struct out *o, unsigned int cp)
{
	char *q;

	if (!room(o, 6))
		return;
	q = o->p + o->len;
	q[0] = '\\';
	q[1] = 'u';
	q[2] = hexu[(cp >> 12) & 15];
	q[3] = hexu[(cp >> 8) & 15];
	q[4] = hexu[(cp >> 4) & 15];
	q[5] = hexu[cp & 15];
	o->len += 6;
}

/* jansson's dump_string with JSON_ENSURE_ASCII, and DEL as \u007F. s is valid UTF-8 (jansson
 * holds nothing else); a broken sequence makes the dump fail, as jansson's would. */
static void put_string(struct out *o, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	put(o, "\"", 1);
	while (p < end && !o->bad) {
		const unsigned char *run = p;
		unsigned int cp;
		size_t n;

		while (p < end && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
			p++;
		put(o, (const char *)run, (size_t)(p - run));
		if (p == end)
			break;
		switch (*p) {
		case '"':  put(o, "\\\"", 2); p++; continue;
		case '\\': put(o, "\\\\", 2); p++; continue;
		case '\b': put(o, "\\b", 2); p++; continue;
		case '\f': put(o, "\\f", 2); p++; continue;
		case '\n': put(o, "\\n", 2); p++; continue;
		case '\r': put(o, "\\r", 2); p++; continue;
		case '\t': put(o, "\\t", 2); p++; continue;
		}
		if (*p < 0x80) {		/* other controls, and DEL */
			put_u(o, *p++);
			continue;
		}
		n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;
		if (!n || (size_t)(end - p) < n) {
			o->bad = true;
			break;
		}
		cp = n == 2 ? *p & 0x1f : n == 3 ? *p & 0x0f : *p & 0x07;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80) {
				o->bad = true;
				return;
			}
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		p += n;
		if (cp < 0x10000) {
			put_u(o, cp);
		} else {
			cp -= 0x10000;
			put_u(o, 0xd800 | ((cp & 0xffc00) >> 10));
			put_u(o, 0xdc00 | (cp & 0x3ff));
		}
	}
	put(o, "\"", 1);
}

static void put_value(struct out *o, json_t *v, int depth)
{
	char num[32];
	int n;

	if (depth > 64) {		/* records are shallow; leave anything else to jansson */
		o->bad = true;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *m;
		bool first = true;

		put(o, "{", 1);
		json_object_foreach(v, key, m) {
			if (!first)
				put(o, ",", 1);
			first = false;
			put_string(o, key, strlen(key));
			put(o, ":", 1);
			put_value(o, m, depth + 1);
		}
		put(o, "}", 1);
		break;
	}
	case JSON_ARRAY:
		put(o, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				put(o, ",", 1);
			put_value(o, json_array_get(v, i), depth + 1);
		}
		put(o, "]", 1);
		break;
	case JSON_STRING:
		put_string(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		put(o, num, (size_t)n);
		break;
	case JSON_TRUE:
		put(o, "true", 4);
		break;
	case JSON_FALSE:
		put(o, "false", 5);
		break;
	case JSON_NULL:
		put(o, "null", 4);
		break;
	default:			/* a real: jansson's own formatting */
		o->bad = true;
		break;
	}
}

char *jsondump__compact(json_t *v, size_t *len)
{
	struct out o = { 0 };

	if (!v)
		return NULL;
	put_value(&o, v, 0);
	if (o.bad || !room(&o, 0)) {
		free(o.p);
		return NULL;
	}
	o.p[o.len] = 0;
	if (len)
		*len = o.len;
	return o.p;
}
