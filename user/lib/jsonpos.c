// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* JSON pointer -> source position map; see jsonpos.h. A recursive-descent scanner that checks
 * just enough syntax to stay in bounds: the policy loader runs jansson first, which reports
 * syntax errors properly, so this one only answers "where". */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jsonpos.h"

#define JP_MAX_DEPTH 2048	/* as deep as jansson goes */

struct jp_entry {
	char *ptr;
	struct jg_pos value;
	struct jg_pos key;	/* {0, 0}: not an object member */
};

struct jsonpos {
	struct jp_entry *v;
	size_t n, cap;
};

struct scanner {
	const char *s;
	size_t len, i;
	int line;
	size_t line_start;	/* offset of the current line's first byte */
	char *ptr;		/* the current pointer, grown and shrunk as we descend */
	size_t plen, pcap;
	struct jsonpos *jp;
	int depth;
};

static struct jg_pos here(const struct scanner *sc)
{
	return (struct jg_pos){ sc->line, (int)(sc->i - sc->line_start + 1) };
}

static void skip_ws(struct scanner *sc)
{
	while (sc->i < sc->len) {
		char c = sc->s[sc->i];

		if (c == '\n') {
			sc->line++;
			sc->line_start = sc->i + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		sc->i++;
	}
}

static int ptr_reserve(struct scanner *sc, size_t extra)
{
	size_t need = sc->plen + extra + 1;
	char *p;

	if (need <= sc->pcap)
		return 0;
	size_t cap = sc->pcap ? sc->pcap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(sc->ptr, cap);
	if (!p)
		return -ENOMEM;
	sc->ptr = p;
	sc->pcap = cap;
	return 0;
}

static int ptr_putc(struct scanner *sc, char c)
{
	int err = ptr_reserve(sc, 2);

	if (err)
		return err;
	if (c == '~') {
		sc->ptr[sc->plen++] = '~';
		c = '0';
	} else if (c == '/') {
		sc->ptr[sc->plen++] = '~';
		c = '1';
	}
	sc->ptr[sc->plen++] = c;
	sc->ptr[sc->plen] = '\0';
	return 0;
}

static int ptr_puts_raw(struct scanner *sc, const char *s)
{
	size_t n = strlen(s);
	int err = ptr_reserve(sc, n);

	if (err)
		return err;
	memcpy(sc->ptr + sc->plen, s, n + 1);
	sc->plen += n;
	return 0;
}

static int record(struct scanner *sc, struct jg_pos value, struct jg_pos key)
{
	struct jsonpos *jp = sc->jp;

	if (jp->n == jp->cap) {
		size_t cap = jp->cap ? jp->cap * 2 : 32;
		struct jp_entry *v = realloc(jp->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		jp->v = v;
		jp->cap = cap;
	}
	char *p = strdup(sc->ptr ? sc->ptr : "");
	if (!p)
		return -ENOMEM;
	jp->v[jp->n++] = (struct jp_entry){ p, value, key };
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex4(struct scanner *sc, unsigned *out)
{
	unsigned v = 0;

	if (sc->len - sc->i < 4)
		return -EINVAL;
	for (int k = 0; k < 4; k++) {
		int h = hexval(sc->s[sc->i + k]);

		if (h < 0)
			return -EINVAL;
		v = v << 4 | (unsigned)h;
	}
	sc->i += 4;
	*out = v;
	return 0;
}

static int put_utf8(struct scanner *sc, unsigned cp)
{
	char b[4];
	int n, err;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	for (int k = 0; k < n; k++)
		if ((err = ptr_putc(sc, b[k])))
			return err;
	return 0;
}

/* At an opening quote. Skips the string; with `into_ptr`, appends its decoded, escaped text
 * to the current pointer. */
static int scan_string(struct scanner *sc, bool into_ptr)
{
	int err;

	sc->i++;	/* opening quote */
	for (;;) {
		if (sc->i >= sc->len)
			return -EINVAL;
		unsigned char c = (unsigned char)sc->s[sc->i];

		if (c == '"') {
			sc->i++;
			return 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			sc->i++;
			if (into_ptr && (err = ptr_putc(sc, (char)c)))
				return err;
			continue;
		}
		if (++sc->i >= sc->len)
			return -EINVAL;
		char e = sc->s[sc->i++];
		unsigned cp;

		switch (e) {
		case '"': cp = '"'; break;
		case '\\': cp = '\\'; break;
		case '/': cp = '/'; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if ((err = read_hex4(sc, &cp)))
				return err;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -EINVAL;	/* lone low surrogate */
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;

				if (sc->len - sc->i < 2 || sc->s[sc->i] != '\\' ||
				    sc->s[sc->i + 1] != 'u')
					return -EINVAL;
				sc->i += 2;
				if ((err = read_hex4(sc, &lo)))
					return err;
				if (lo < 0xdc00 || lo > 0xdfff)
					return -EINVAL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (cp == 0 && into_ptr)
				return -EINVAL;	/* a pointer is a C string */
			break;
		default:
			return -EINVAL;
		}
		if (into_ptr && (err = put_utf8(sc, cp)))
			return err;
	}
}

static bool is_scalar_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '-' || c == '+' || c == '.';
}

static int scan_value(struct scanner *sc, struct jg_pos key);

/* Past the opening bracket: whether the container closes at once (and is passed). */
static bool scan_open(struct scanner *sc, char close)
{
	sc->i++;
	skip_ws(sc);
	if (sc->i < sc->len && sc->s[sc->i] == close) {
		sc->i++;
		return true;
	}
	return false;
}

/* After a member or an element: the pointer back to its container's (saved), then close
 * (1: the container ends) or ',' (0: another one follows); -EINVAL for anything else. */
static int scan_after(struct scanner *sc, size_t saved, char close)
{
	sc->plen = saved;
	sc->ptr[saved] = '\0';
	skip_ws(sc);
	if (sc->i >= sc->len)
		return -EINVAL;
	if (sc->s[sc->i] == close) {
		sc->i++;
		return 1;
	}
	if (sc->s[sc->i] != ',')
		return -EINVAL;
	sc->i++;
	skip_ws(sc);
	return 0;
}

static int scan_object(struct scanner *sc)
{
	int err;

	if (scan_open(sc, '}'))
		return 0;
	for (;;) {
		size_t saved = sc->plen;

		if (sc->i >= sc->len || sc->s[sc->i] != '"')
			return -EINVAL;
		struct jg_pos key = here(sc);

		if ((err = ptr_puts_raw(sc, "/")) || (err = scan_string(sc, true)))
			return err;
		skip_ws(sc);
		if (sc->i >= sc->len || sc->s[sc->i] != ':')
			return -EINVAL;
		sc->i++;
		skip_ws(sc);
		if ((err = scan_value(sc, key)) || (err = scan_after(sc, saved, '}')))
			return err < 0 ? err : 0;
	}
}

static int scan_array(struct scanner *sc)
{
	int err;

	if (scan_open(sc, ']'))
		return 0;
	for (size_t idx = 0;; idx++) {
		size_t saved = sc->plen;
		char num[24];

		snprintf(num, sizeof(num), "/%zu", idx);
		if ((err = ptr_puts_raw(sc, num)))
			return err;
		if ((err = scan_value(sc, (struct jg_pos){ 0, 0 })) ||
		    (err = scan_after(sc, saved, ']')))
			return err < 0 ? err : 0;
	}
}

static int scan_value(struct scanner *sc, struct jg_pos key)
{
	int err;

	if (sc->i >= sc->len)
		return -EINVAL;
	if ((err = record(sc, here(sc), key)))
		return err;

	char c = sc->s[sc->i];

	if (c == '{' || c == '[') {
		if (++sc->depth > JP_MAX_DEPTH)
			return -EINVAL;
		err = c == '{' ? scan_object(sc) : scan_array(sc);
		sc->depth--;
		return err;
	}
	if (c == '"')
		return scan_string(sc, false);

	size_t start = sc->i;

	while (sc->i < sc->len && is_scalar_char(sc->s[sc->i]))
		sc->i++;
	return sc->i > start ? 0 : -EINVAL;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct jp_entry *)a)->ptr, ((const struct jp_entry *)b)->ptr);
}

void jsonpos__free(struct jsonpos *jp)
{
	if (!jp)
		return;
	for (size_t k = 0; k < jp->n; k++)
		free(jp->v[k].ptr);
	free(jp->v);
	free(jp);
}

int jsonpos__scan(const char *text, size_t len, struct jsonpos **out)
{
	struct scanner sc = { .s = text, .len = len, .line = 1 };
	int err;

	sc.jp = calloc(1, sizeof(*sc.jp));
	if (!sc.jp)
		return -ENOMEM;
	if ((err = ptr_reserve(&sc, 0)))
		goto cleanup;
	sc.ptr[0] = '\0';

	/* A UTF-8 byte order mark is not JSON; jansson refuses it too. */
	skip_ws(&sc);
	if ((err = scan_value(&sc, (struct jg_pos){ 0, 0 })))
		goto cleanup;
	skip_ws(&sc);
	if (sc.i != sc.len) {
		err = -EINVAL;
		goto cleanup;
	}
	qsort(sc.jp->v, sc.jp->n, sizeof(*sc.jp->v), entry_cmp);
	*out = sc.jp;
	sc.jp = NULL;
cleanup:
	free(sc.ptr);
	jsonpos__free(sc.jp);
	return err;
}

size_t jsonpos__count(const struct jsonpos *jp)
{
	return jp ? jp->n : 0;
}

static const struct jp_entry *find(const struct jsonpos *jp, const char *ptr)
{
	struct jp_entry k = { .ptr = (char *)ptr };

	if (!jp || !ptr || !jp->n)
		return NULL;
	return bsearch(&k, jp->v, jp->n, sizeof(*jp->v), entry_cmp);
}

bool jsonpos__get(const struct jsonpos *jp, const char *ptr, struct jg_pos *value,
		  struct jg_pos *key)
{
	const struct jp_entry *e = find(jp, ptr);

	if (!e)
		return false;
	if (value)
		*value = e->value;
	if (key)
		*key = e->key;
	return true;
}

/* The entry for ptr or its nearest existing parent. */
static const struct jp_entry *find_or_parent(const struct jsonpos *jp, const char *ptr)
{
	const struct jp_entry *e;
	char *buf;

	if (!ptr)
		ptr = "";
	if ((e = find(jp, ptr)))
		return e;
	buf = strdup(ptr);
	if (!buf)
		return find(jp, "");
	for (;;) {
		char *slash = strrchr(buf, '/');

		if (!slash) {
			e = find(jp, "");
			break;
		}
		*slash = '\0';
		if ((e = find(jp, buf)))
			break;
	}
	free(buf);
	return e;
}

struct jg_pos jsonpos__value(const struct jsonpos *jp, const char *ptr)
{
	const struct jp_entry *e = find_or_parent(jp, ptr);

	return e ? e->value : (struct jg_pos){ 1, 1 };
}

struct jg_pos jsonpos__key(const struct jsonpos *jp, const char *ptr)
{
	const struct jp_entry *e = find_or_parent(jp, ptr);

	if (!e)
		return (struct jg_pos){ 1, 1 };
	return e->key.line ? e->key : e->value;
}

int jsonpos__child(char *buf, size_t len, const char *parent, const char *key)
{
	size_t n = strlen(parent), k = n;

	if (len == 0)
		return -ENAMETOOLONG;
	if (n + 1 >= len)
		goto too_long;
	if (buf != parent)
		memmove(buf, parent, n);
	buf[k++] = '/';
	for (const char *s = key; *s; s++) {
		size_t need = (*s == '~' || *s == '/') ? 2 : 1;

		if (k + need >= len)
			goto too_long;
		if (*s == '~' || *s == '/') {
			buf[k++] = '~';
			buf[k++] = *s == '~' ? '0' : '1';
		} else {
			buf[k++] = *s;
		}
	}
	buf[k] = '\0';
	return (int)k;
too_long:
	if (buf != parent) {
		size_t m = n < len - 1 ? n : len - 1;

		memmove(buf, parent, m);
		buf[m] = '\0';
	} else {
		buf[n < len ? n : len - 1] = '\0';
	}
	return -ENAMETOOLONG;
}

int jsonpos__index(char *buf, size_t len, const char *parent, size_t index)
{
	char num[24];

	snprintf(num, sizeof(num), "%zu", index);
	return jsonpos__child(buf, len, parent, num);
}

struct jg_pos jsonpos__offset_pos(const char *text, size_t len, size_t offset)
{
	struct jg_pos p = { 1, 1 };
	size_t line_start = 0;

	if (len == 0)
		return p;
	if (offset >= len)
		offset = len - 1;
	for (size_t k = 0; k < offset; k++) {
		if (text[k] == '\n') {
			p.line++;
			line_start = k + 1;
		}
	}
	p.col = (int)(offset - line_start + 1);
	return p;
}

size_t jsonpos__token_start(const char *text, size_t len, size_t offset)
{
	size_t i = 0;

	if (offset >= len)
		return offset;
	while (i < len && i <= offset) {
		char c = text[i];
		size_t start = i;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
			if (start == offset)
				return offset;
			continue;
		}
		if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') {
			i++;
		} else if (c == '"') {
			/* to the closing quote, or a raw control byte jansson stops at */
			for (i++; i < len; i++) {
				unsigned char d = (unsigned char)text[i];

				if (d == '\\') {
					i++;
					continue;
				}
				if (d == '"' || d < 0x20) {
					i++;
					break;
				}
			}
		} else {
			/* a number, literal or stray bytes: up to whitespace or punctuation */
			for (i++; i < len; i++) {
				char d = text[i];

				if (d == ' ' || d == '\t' || d == '\r' || d == '\n' ||
				    (d && strchr("{}[],:\"", d)))
					break;
			}
		}
		if (offset < i)
			return start;
	}
	return offset;
}
