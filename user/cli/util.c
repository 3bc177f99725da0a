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

bool cli__not_root(void)
{
	if (!cli__current->root || geteuid() == 0)
		return false;
	pr_warn("only root may %s (you are uid %u)", cli__current->root, (unsigned)geteuid());
	return true;
}

/* More operands than the command's rule allows: says so (a usage error) and returns true. */
static bool extra_args(int argc, char **argv)
{
	int max = cli__current->operands;

	if (max < 0 || argc - optind <= max)
		return false;
	usage_error(cli__current->usage_name, "unexpected argument '%s'", argv[optind + max]);
	return true;
}

int cli__opts(int argc, char **argv, const char *help, const struct cli_opt *opts)
{
	struct option lopts[CLI_MAX_OPTS + 2] = { { 0 } };
	char optstring[2 * CLI_MAX_OPTS + 3] = ":", *p = optstring + 1;
	size_t n, i;
	int c, ret;

	for (n = 0; opts && opts[n].name; n++) {
		/* a long-only option answers with a number no letter has */
		lopts[n] = (struct option){ opts[n].name,
					    opts[n].flag ? no_argument : required_argument, NULL,
					    opts[n].letter ? opts[n].letter : 256 + (int)n };
		if (opts[n].letter) {
			*p++ = opts[n].letter;
			if (!opts[n].flag)
				*p++ = ':';
		}
	}
	lopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
	*p = 'h';
	while ((c = getopt_long(argc, argv, optstring, lopts, NULL)) != -1) {
		if (c == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		for (i = 0; i < n && lopts[i].val != c; i++)
			;
		if (i == n)
			return bad_option(cli__current->usage_name, c, argv);
		if (opts[i].flag) {
			*opts[i].flag = true;
		} else if (opts[i].take) {
			ret = opts[i].take(optarg, opts[i].data);
			if (ret)
				return ret;
		} else {
			*opts[i].arg = optarg;
		}
	}
	return extra_args(argc, argv) ? EXIT_USAGE : -1;
}

int cli__common_opts(int argc, char **argv, const char *help, bool *json)
{
	const struct cli_opt opts[] = {
		{ "json", 0, .flag = json },
		{ 0 }
	};

	return cli__opts(argc, argv, help, json ? opts : NULL);
}

int cli__sub(int argc, char **argv, const char *help, const char *say,
	     const char *const *subs, int *which)
{
	char use[128] = "";
	size_t len = 0;
	int i;

	if (argc < 2)
		return usage_error(cli__current->usage_name, "%s", say);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	for (i = 0; subs[i]; i++) {
		if (!strcmp(argv[1], subs[i])) {
			*which = i;
			return -1;
		}
		if (len < sizeof(use))
			len += (size_t)snprintf(use + len, sizeof(use) - len, "%s%s",
						!i ? "" : subs[i + 1] ? ", " : " or ", subs[i]);
	}
	return usage_error(cli__current->usage_name, "unknown %s command '%s' (use %s)",
			   cli__current->name, argv[1], use);
}

int cli__operand(int argc, char **argv, const char *missing, const char *what,
		 const char **out)
{
	if (optind >= argc)
		return usage_error(cli__current->usage_name, "%s", missing);
	if (optind + 1 < argc)
		return usage_error(cli__current->usage_name, "unexpected argument '%s'",
				   argv[optind + 1]);
	*out = argv[optind++];
	if (!**out)
		return usage_error(cli__current->usage_name, "the %s must not be empty", what);
	return 0;
}

int cli__ask(const char *cmd, json_t **reply, json_t **result, const char *key, ...)
{
	json_t *args = json_object();
	const char *val;
	va_list ap;

	va_start(ap, key);
	for (; args && key; key = va_arg(ap, const char *)) {
		val = va_arg(ap, const char *);
		if (val && json_object_set_new(args, key, json_string(val))) {
			json_decref(args);
			args = NULL;
		}
	}
	va_end(ap);
	*reply = NULL;
	if (!args) {
		cli__oom();
		return -ENOMEM;
	}
	return call(cmd, args, reply, result);
}

json_t *cli__list(json_t *result, const char *key)
{
	json_t *list = json_object_get(result, key);
	char what[64];

	if (json_is_array(list))
		return list;
	snprintf(what, sizeof(what), "no \"%s\" list", key);
	cli__malformed(what);
	return NULL;
}

int cli__ask_list(const char *cmd, json_t *args, const char *key, bool json,
		  const char *none, json_t **reply, json_t **list)
{
	json_t *result = NULL;

	if (call(cmd, args, reply, &result))
		return EXIT_FAIL;
	*list = cli__list(result, key);
	if (!*list)
		return EXIT_FAIL;
	if (json) {
		print_json(result);
		return EXIT_OK;
	}
	if (!json_array_size(*list)) {
		pr_info("%s", none);
		return EXIT_OK;
	}
	return -1;
}

int cli__table(const char *const *head, char **cells, size_t n, size_t ncols)
{
	size_t w[CLI_MAX_COLS], k;

	for (k = 0; k < ncols; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < n * ncols; i++) {
		if (!cells[i])
			return cli__oom();
		if (width(cells[i]) > w[i % ncols])
			w[i % ncols] = width(cells[i]);
	}
	for (k = 0; k < ncols - 1; k++)
		printf("%-*s  ", (int)w[k], head[k]);
	printf("%s\n", head[ncols - 1]);
	for (size_t i = 0; i < n; i++) {
		char **row = cells + i * ncols;

		for (k = 0; k < ncols - 1; k++)
			printf("%s%*s  ", row[k], (int)(w[k] - width(row[k])), "");
		printf("%s\n", row[ncols - 1]);
	}
	return EXIT_OK;
}

void cli__table_free(char **cells, size_t n, size_t ncols)
{
	for (size_t i = 0; cells && i < n * ncols; i++)
		free(cells[i]);
	free(cells);
}
