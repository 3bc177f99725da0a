// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A checker of the OpenMetrics text rules metrics__render follows (lib/metrics.h): what a
 * scraper's parser would refuse, found without one. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/metrics.h"

#define MAX_FAMILIES 256

struct checker {
	char *err;
	size_t errlen;
	unsigned line;
	/* the current family */
	char name[128], type[16];
	bool help, typed, sampled;
	/* families met so far: a family's lines must stay together */
	char *seen[MAX_FAMILIES];
	size_t nseen;
};

static int fail(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct checker *c, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	n = (size_t)snprintf(c->err, c->errlen, "line %u: ", c->line);
	va_start(ap, fmt);
	if (n < c->errlen)
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The length of a metric or label name at s ([a-zA-Z_:][a-zA-Z0-9_:]*; labels: no ':'). */
static size_t name_len(const char *s, bool label)
{
	size_t n = 0;

	if (!isalpha((unsigned char)s[0]) && s[0] != '_' && (label || s[0] != ':'))
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_' || (!label && s[n] == ':'))
		n++;
	return n;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* A new family named name (len bytes): not one met before. */
static int new_family(struct checker *c, const char *name, size_t len)
{
	if (len >= sizeof(c->name))
		return fail(c, "metric name too long");
	for (size_t i = 0; i < c->nseen; i++)
		if (strlen(c->seen[i]) == len && !memcmp(c->seen[i], name, len))
			return fail(c, "family %.*s appears twice (its lines must be together)",
				    (int)len, name);
	if (c->nseen == MAX_FAMILIES)
		return fail(c, "more than %d families", MAX_FAMILIES);
	c->seen[c->nseen] = strndup(name, len);
	if (!c->seen[c->nseen])
		return fail(c, "out of memory");
	c->nseen++;
	memcpy(c->name, name, len);
	c->name[len] = 0;
	c->help = c->typed = c->sampled = false;
	c->type[0] = 0;
	return 0;
}

/* "# HELP name text", "# TYPE name type", "# UNIT name unit". */
static int meta(struct checker *c, const char *l, size_t len)
{
	static const char *const types[] = { "counter", "gauge", "info", "stateset", "unknown",
					     "histogram", "gaugehistogram", "summary" };
	const char *kw = l + 2, *name = l + 7, *rest;
	size_t n;
	int ret;

	if (len < 8 || (memcmp(kw, "HELP ", 5) && memcmp(kw, "TYPE ", 5) &&
			memcmp(kw, "UNIT ", 5)))
		return fail(c, "a line starting with # must be # HELP, # TYPE, # UNIT or # EOF");
	n = name_len(name, false);
	if (!n || (name[n] != ' ' && name + n != l + len))
		return fail(c, "bad metric name after # %.4s", kw);
	if (strlen(c->name) != n || memcmp(c->name, name, n) || c->sampled) {
		ret = new_family(c, name, n);
		if (ret)
			return ret;
	}
	rest = name[n] == ' ' ? name + n + 1 : l + len;
	if (!memcmp(kw, "HELP", 4)) {
		if (c->help)
			return fail(c, "second # HELP for %s", c->name);
		c->help = true;
		for (const char *p = rest; p < l + len; p++)
			if (*p == '\\' && (p + 1 == l + len || (p[1] != '\\' && p[1] != 'n')))
				return fail(c, "# HELP of %s has a bad escape", c->name);
	} else if (!memcmp(kw, "TYPE", 4)) {
		size_t i, tl = (size_t)(l + len - rest);

		if (c->typed)
			return fail(c, "second # TYPE for %s", c->name);
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strlen(types[i]) == tl && !memcmp(types[i], rest, tl))
				break;
		if (i == sizeof(types) / sizeof(types[0]))
			return fail(c, "unknown type \"%.*s\" for %s", (int)tl, rest, c->name);
		if (!strcmp(types[i], "counter") && ends_with(c->name, n, "_total"))
			return fail(c, "counter family %s must not end in _total", c->name);
		snprintf(c->type, sizeof(c->type), "%s", types[i]);
		c->typed = true;
	} else {
		size_t ul = (size_t)(l + len - rest);
		char suffix[64];

		snprintf(suffix, sizeof(suffix), "_%.*s", (int)(ul < 60 ? ul : 60), rest);
		if (!ul || !ends_with(c->name, n, suffix))
			return fail(c, "family %s does not end with its unit \"%.*s\"", c->name,
				    (int)ul, rest);
	}
	return 0;
}

/* {name="value",...}: p at '{'; on success *end is past '}'. */
static int labels(struct checker *c, const char *p, const char *eol, const char **end)
{
	p++;
	while (p < eol && *p != '}') {
		size_t n = name_len(p, true);

		if (!n || p[n] != '=' || p[n + 1] != '"')
			return fail(c, "bad label in a sample of %s", c->name);
		for (p += n + 2; p < eol && *p != '"'; p++) {
			if (*p == '\\') {
				if (p + 1 >= eol || (p[1] != '\\' && p[1] != '"' && p[1] != 'n'))
					return fail(c, "bad escape in a label value of %s", c->name);
				p++;
			} else if ((unsigned char)*p < 0x20) {
				return fail(c, "raw control character in a label value of %s",
					    c->name);
			}
		}
		if (p >= eol)
			return fail(c, "unterminated label value in a sample of %s", c->name);
		p++;
		if (*p == ',')
			p++;
		else if (*p != '}')
			return fail(c, "labels of %s must be separated by ','", c->name);
	}
	if (p >= eol)
		return fail(c, "unterminated label set in a sample of %s", c->name);
	*end = p + 1;
	return 0;
}

static int value(struct checker *c, const char *p, const char *eol)
{
	char buf[64], *end;
	size_t n = (size_t)(eol - p);
	double v;

	if (!n || n >= sizeof(buf) || memchr(p, ' ', n))
		return fail(c, "a sample of %s needs one value (no timestamps)", c->name);
	memcpy(buf, p, n);
	buf[n] = 0;
	if (!strcmp(buf, "+Inf") || !strcmp(buf, "-Inf") || !strcmp(buf, "NaN"))
		v = !strcmp(buf, "-Inf") ? -1 : 0;
	else if (v = strtod(buf, &end), *end || !(isdigit((unsigned char)buf[0]) ||
						   buf[0] == '-' || buf[0] == '+'))
		return fail(c, "bad value \"%s\" of %s", buf, c->name);
	if ((!strcmp(c->type, "counter") || !strcmp(c->type, "info")) &&
	    (v < 0 || !strcmp(buf, "NaN")))
		return fail(c, "%s value %s of %s must be a number of at least 0", c->type, buf,
			    c->name);
	return 0;
}

static int sample_line(struct checker *c, const char *l, size_t len)
{
	const char *eol = l + len, *p;
	size_t n = name_len(l, false), fl = strlen(c->name);
	const char *suffix = !strcmp(c->type, "counter") ? "_total" :
			     !strcmp(c->type, "info") ? "_info" : "";
	int ret;

	if (!n)
		return fail(c, "bad metric name");
	if (!c->typed || !c->help)
		return fail(c, "a sample of %.*s before its family's # TYPE and # HELP", (int)n, l);
	if (n != fl + strlen(suffix) || memcmp(l, c->name, fl) ||
	    memcmp(l + fl, suffix, strlen(suffix)))
		return fail(c, "sample %.*s is not %s%s (family %s, type %s)", (int)n, l, c->name,
			    suffix, c->name, c->type);
	p = l + n;
	if (*p == '{') {
		ret = labels(c, p, eol, &p);
		if (ret)
			return ret;
	}
	if (*p != ' ')
		return fail(c, "a sample of %s needs a space before its value", c->name);
	c->sampled = true;
	return value(c, p + 1, eol);
}

int metrics__check(const char *text, size_t len, char *err, size_t errlen)
{
	struct checker c = { .err = err, .errlen = errlen };
	const char *p = text, *end = text + len;
	bool eof = false;
	int ret = 0;

	while (!ret && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l;

		c.line++;
		if (!nl) {
			ret = fail(&c, "the last line has no newline");
			break;
		}
		l = (size_t)(nl - p);
		if (eof)
			ret = fail(&c, "text after # EOF");
		else if (memchr(p, 0, l))
			ret = fail(&c, "a NUL byte");
		else if (!l)
			ret = fail(&c, "an empty line");
		else if (l == 5 && !memcmp(p, "# EOF", 5))
			eof = true;
		else if (p[0] == '#')
			ret = meta(&c, p, l);
		else
			ret = sample_line(&c, p, l);
		p = nl + 1;
	}
	if (!ret && !eof) {
		c.line++;
		ret = fail(&c, "the text does not end with # EOF");
	}
	for (size_t i = 0; i < c.nseen; i++)
		free(c.seen[i]);
	return ret;
}
