// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The CLI's scaffold, shared by every command: usage errors, the daemon call, and the
 * small text and JSON helpers its output is made with. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include <zlib.h>
#include "cli/cli.h"

/* ---- small helpers ---- */

__attribute__((format(printf, 2, 3)))
int usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s; see 'jitgate %s--help'", msg, cmd ? cmd : "");
	return EXIT_USAGE;
}

/* getopt_long's complaint, reworded: c is '?' or ':' (optstring starts with ':'). */
int bad_option(const char *cmd, int c, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	char opt[64];

	if (!strncmp(arg, "--", 2))	/* a long option, possibly "--name=value" */
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt)
		snprintf(opt, sizeof(opt), "-%c", optopt);
	else
		snprintf(opt, sizeof(opt), "%s", arg);
	if (c == ':')
		return usage_error(cmd, "option '%s' needs a value", opt);
	return usage_error(cmd, "unknown option '%s'", opt);
}

const char *errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "EIO";
}

/* A copy of s safe to print on a terminal: C0 and C1 control characters (the latter as
 * UTF-8, U+0080..U+009F) become '?', so daemon-supplied text cannot drive the terminal. */
char *clean(const char *s)
{
	char *c = strdup(s ? s : "");

	if (!c)
		exit(cli__oom());
	for (unsigned char *p = (unsigned char *)c; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			*p = '?';
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			p[0] = p[1] = '?';
			p++;
		}
	}
	return c;
}

/* Display width of UTF-8 text (code points; good enough for names and reasons). */
size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void print_json(json_t *j)
{
	/* Insertion order: keys stay where jitgated (or this file) put them. */
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

const char *jstr(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* RFC 3339 ("2026-11-22T19:30:00.123456789Z", any offset) or unix seconds -> time_t. */
int json_time(json_t *v, time_t *out)
{
	struct tm tm = { 0 };
	const char *s, *p;
	long off = 0;

	if (json_is_integer(v)) {
		*out = (time_t)json_integer_value(v);
		return 0;
	}
	s = json_string_value(v);
	if (!s)
		return -EINVAL;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
		   isdigit((unsigned char)p[2]) && p[3] == ':' && isdigit((unsigned char)p[4]) &&
		   isdigit((unsigned char)p[5])) {
		off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600 +
		      ((p[4] - '0') * 10 + (p[5] - '0')) * 60;
		if (*p == '-')
			off = -off;
		p += 6;
	} else {
		return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	*out = timegm(&tm) - off;
	return 0;
}

char *local_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "?");
	return buf;
}

const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Missing, empty or only white space: not a reason. */
bool blank(const char *s)
{
	return !s || !s[strspn(s, " \t\r\n")];
}

bool is_not_running(int ret)
{
	return ret == -ENOENT || ret == -ECONNREFUSED;
}

/* Call the daemon; on failure print its (or our) sentence and return the -errno. */
int call(const char *cmd, json_t *args, json_t **reply, json_t **result)
{
	char err[1024] = "";
	int ret;

	if (!(cli__current->flags & CMD_DAEMON)) {
		/* the table says this command works without the daemon */
		pr_warn("'%s' must not ask jitgated (see the command table)", cli__current->name);
		json_decref(args);
		*reply = NULL;
		return -EPERM;
	}
	ret = proto__call(env.socket, cmd, args, CALL_TIMEOUT_MS, reply, result, err,
			  sizeof(err));
	if (ret) {
		pr_warn("%s", err);
		json_decref(*reply);
		*reply = NULL;
	}
	return ret;
}

long long jint(json_t *obj, const char *key, long long dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

char *grant_resources(json_t *grant)
{
	json_t *allow = json_object_get(grant, "allow");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return clean("?");
	for (size_t i = 0; i < json_array_size(allow); i++) {
		json_t *a = json_array_get(allow, i), *perms = json_object_get(a, "perms");

		fprintf(f, "%s%s:", i ? "; " : "", jstr(a, "resource") ?: "?");
		for (size_t k = 0; k < json_array_size(perms); k++)
			fprintf(f, "%s%s", k ? "," : "", json_string_value(json_array_get(perms, k)) ?: "?");
	}
	fclose(f);
	{
		char *c = clean(buf);

		free(buf);
		return c;
	}
}

/* Whole minutes from a minute on: "in 30m" reads better than "in 29m59s". */
char *rel_time(time_t t, char *buf, size_t len)
{
	time_t now = time(NULL);
	uint64_t d = t > now ? (uint64_t)(t - now) : (uint64_t)(now - t);
	char dbuf[64];

	if (d >= 60)
		d = (d + 30) / 60 * 60;
	duration__format(d, dbuf, sizeof(dbuf));
	snprintf(buf, len, t >= now ? "in %s" : "%s ago", dbuf);
	return buf;
}

/* A person in a reply ({"user","uid"}): the name, else "uid N", else "?". */
char *who(json_t *o)
{
	char *s;

	if (jstr(o, "user"))
		return clean(jstr(o, "user"));
	if (json_is_integer(json_object_get(o, "uid")) &&
	    asprintf(&s, "uid %lld", jint(o, "uid", -1)) >= 0)
		return s;
	return clean("?");
}

/* "bob, carol" from an approvals/approvers array; NULL when it is empty. */
char *approver_names(json_t *arr)
{
	char *buf = NULL, *c;
	size_t len = 0;
	FILE *f;

	if (!json_array_size(arr))
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return clean("?");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char *w = who(json_array_get(arr, i));

		fprintf(f, "%s%s", i ? ", " : "", w);
		free(w);
	}
	fclose(f);
	c = clean(buf);
	free(buf);
	return c;
}

int cli__oom(void)
{
	pr_warn("out of memory");
	return EXIT_FAIL;
}

int cli__malformed(const char *what)
{
	pr_warn("malformed reply from jitgated: %s", what);
	return EXIT_FAIL;
}

bool cli__extra_args(int argc, char **argv)
{
	int max = cli__current->operands;

	if (max < 0 || argc - optind <= max)
		return false;
	usage_error(cli__current->usage_name, "unexpected argument '%s'", argv[optind + max]);
	return true;
}

bool cli__not_root(void)
{
	if (!cli__current->root || geteuid() == 0)
		return false;
	pr_warn("only root may %s (you are uid %u)", cli__current->root, (unsigned)geteuid());
	return true;
}

int cli__common_opts(int argc, char **argv, const char *help, bool *json)
{
	static const struct option with_json[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	}, help_only[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, ":h", json ? with_json : help_only, NULL)) != -1) {
		switch (c) {
		case 'j': *json = true; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return bad_option(cli__current->usage_name, c, argv);
		}
	}
	return -1;
}
