// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate why: what the gate refused you recently, which roles would give it, and how to
 * ask for one; for a path, a program or HOST:PORT, what the policy says of it. jitgated
 * answers (it keeps each person's last denials; people cannot read the audit log). */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "cli/cli.h"
#include "policy/cover.h"

static const char why_help[] =
"Usage: jitgate why [PATH | PROGRAM | HOST:PORT] [--last N] [--user USER] [--json]\n"
"\n"
"Say what the gate refused you recently, which roles of the policy would give it and how\n"
"to ask for one. jitgated remembers each person's last 16 distinct denials (the same one\n"
"again counts up); you see only your own. With PATH (a file or directory), PROGRAM (looked\n"
"up on PATH) or HOST:PORT only the denials of that object are shown, and what the policy\n"
"says of it: the resource that protects it and the roles that give it, or that jitgate\n"
"does not protect it.\n"
"\n"
"Options:\n"
"  -n, --last N     show at most the N newest denials (1 to 16; default 10)\n"
"  -u, --user USER  another person's denials (admins only)\n"
"      --json       print {\"user\", \"uid\", \"denials\": [...], \"dropped\", \"remembered\",\n"
"                   \"query\": {...}} (docs/protocol.md)\n"
"  -h, --help       show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate why                       # what was I refused lately?\n"
"  jitgate why /srv/prod/secrets/db.pw\n"
"  jitgate why prodctl               # a program on PATH\n"
"  jitgate why 10.20.1.5:5432\n"
"  jitgate why --last 3\n"
"  jitgate why --user alice          # an admin looking at alice's denials\n";

/* A program name on $PATH: its absolute path into out; -ENOENT when none. */
static int find_program(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int ret = -ENOENT;
	struct stat st;

	copy = strdup(path && *path ? path : "/usr/local/bin:/usr/bin:/bin");
	if (!copy)
		return -ENOMEM;
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char cand[PATH_MAX];

		if ((size_t)snprintf(cand, sizeof(cand), "%s/%s", *dir ? dir : ".", name) >=
		    sizeof(cand))
			continue;
		/* by mode, not access(): a protected program is refused, not absent */
		if (stat(cand, &st) || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
			continue;
		if (!realpath(cand, out) || strlen(out) >= len)
			snprintf(out, len, "%s", cand);
		ret = 0;
		break;
	}
	free(copy);
	return ret;
}

/* PATH (as given, relative to the working directory) as an absolute, normalised name. */
static int absolute(const char *arg, char *out, size_t len)
{
	char buf[PATH_MAX * 2], cwd[PATH_MAX], *real = realpath(arg, NULL);

	if (real) {
		snprintf(buf, sizeof(buf), "%s", real);
		free(real);
	} else if (arg[0] == '/') {
		snprintf(buf, sizeof(buf), "%s", arg);
	} else if (getcwd(cwd, sizeof(cwd))) {
		snprintf(buf, sizeof(buf), "%s/%s", cwd, arg);
	} else {
		return -errno;
	}
	return cover__normalise(buf, out, len);
}

/* "HOST:PORT" or "[V6]:PORT": the numeric address and port into args. 1 when arg is not of
 * that form, 0, or the exit status after saying what is wrong. */
static int endpoint_arg(const char *arg, json_t *args)
{
	const char *colon = strrchr(arg, ':');
	char host[256], addr[INET6_ADDRSTRLEN], *end;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	size_t hlen;
	long port;
	int ret;

	if (!colon || colon == arg || !colon[1] || strchr(arg, '/'))
		return 1;
	port = strtol(colon + 1, &end, 10);
	if (*end)
		return 1;
	hlen = (size_t)(colon - arg);
	if (arg[0] == '[' && colon[-1] == ']')
		arg++, hlen -= 2;
	else if (memchr(arg, ':', hlen))
		return usage_error("why ", "write an IPv6 address in brackets: [%.*s]:%ld",
				   (int)hlen, arg, port);
	if (port < 1 || port > 65535)
		return usage_error("why ", "the port in '%s' must be a number from 1 to 65535",
				   arg);
	if (hlen == 0 || hlen >= sizeof(host))
		return usage_error("why ", "'%s' names no host", arg);
	memcpy(host, arg, hlen);
	host[hlen] = 0;
	ret = getaddrinfo(host, NULL, &hints, &ai);
	if (ret || !ai) {
		pr_warn("cannot find the address of %s: %s", host, gai_strerror(ret));
		return EXIT_FAIL;
	}
	if (ai->ai_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, addr,
			  sizeof(addr));
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, addr,
			  sizeof(addr));
	freeaddrinfo(ai);
	json_object_set_new(args, "addr", json_string(addr));
	json_object_set_new(args, "port", json_integer(port));
	return 0;
}

/* The operand into args: an endpoint, a path, or a program on PATH. 0 or the exit status. */
static int target_arg(const char *arg, json_t *args, bool *missing)
{
	char path[PATH_MAX];
	struct stat st;
	int ret;

	if (!*arg)
		return usage_error("why ", "name a path, a program or HOST:PORT, not an empty "
				   "string");
	ret = endpoint_arg(arg, args);
	if (ret != 1)
		return ret;
	if (!strchr(arg, '/') && strcmp(arg, ".") && strcmp(arg, "..")) {
		ret = find_program(arg, path, sizeof(path));
		if (ret == -ENOENT) {
			pr_warn("no program '%s' on PATH; give a path (./%s, /usr/bin/%s) or "
				"HOST:PORT", arg, arg, arg);
			return EXIT_FAIL;
		}
	} else {
		ret = absolute(arg, path, sizeof(path));
		if (ret == -EINVAL || ret == -ENAMETOOLONG) {
			pr_warn("cannot make an absolute path of '%s': %s", arg, strerror(-ret));
			return EXIT_FAIL;
		}
		*missing = lstat(path, &st) && errno == ENOENT;
	}
	if (ret)
		return cli__oom();
	json_object_set_new(args, "path", json_string(path));
	return 0;
}

static int take_last(const char *value, void *data)
{
	char *end;
	long n = strtol(value, &end, 10);

	if (!*value || *end || n < 1 || n > 16)
		return usage_error("why ", "--last takes a number from 1 to 16, not '%s'", value);
	*(long *)data = n;
	return 0;
}

/* ---- text output */

/* "db-debug (read), two-man (read, write)" of a roles array into buf. */
static void role_names(json_t *roles, char *buf, size_t len)
{
	size_t o = 0, i, k;
	json_t *r, *p;

	buf[0] = 0;
	json_array_foreach(roles, i, r) {
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s (", i ? ", " : "",
				      jstr(r, "role") ? jstr(r, "role") : "?");
		json_array_foreach(json_object_get(r, "perms"), k, p)
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s", k ? ", " : "",
					      json_string_value(p) ? json_string_value(p) : "?");
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, ")");
	}
}

/* The roles of a resource and how to ask: the lines under a denial or a resource. */
static void print_roles(const char *indent, json_t *roles, const char *what)
{
	char names[1024];
	json_t *r, *mine = NULL;
	size_t i;

	if (!json_array_size(roles)) {
		printf("%sno role gives %s; only an admin's direct grant can (jitgate grant)\n",
		       indent, what);
		return;
	}
	role_names(roles, names, sizeof(names));
	printf("%sroles that give it: %s\n", indent, names);
	json_array_foreach(roles, i, r)
		if (json_is_true(json_object_get(r, "may_request"))) {
			mine = r;
			break;
		}
	if (mine)
		printf("%sask: %s%s\n", indent, jstr(mine, "ask") ? jstr(mine, "ask") : "?",
		       json_is_true(json_object_get(mine, "auto_approve")) ?
		       "   (approved at once)" : "");
	else
		printf("%syou may request none of them; ask their approvers or an admin\n", indent);
}

/* A denial's object: its path, "ADDR:PORT", or the hook. */
static char *object_text(json_t *x)
{
	json_t *o = json_object_get(x, "object");
	const char *addr = jstr(o, "addr");
	char *s = NULL;

	if (jstr(o, "path"))
		return clean(jstr(o, "path"));
	if (addr && asprintf(&s, strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr,
			     jint(o, "port", 0)) >= 0)
		return s;
	return clean(jstr(x, "hook") ? jstr(x, "hook") : "?");
}

static void print_denial(json_t *x)
{
	char when[64], first[64], what[128];
	char *obj = object_text(x), *comm = clean(jstr(json_object_get(x, "process"), "comm") ?
						 jstr(json_object_get(x, "process"), "comm") : "?");
	const char *res = jstr(x, "resource"), *perm = jstr(x, "perm") ? jstr(x, "perm") : "?";
	long long count = jint(x, "count", 1);
	time_t t = 0, f = 0;

	json_time(json_object_get(x, "time"), &t);
	json_time(json_object_get(x, "first"), &f);
	local_time(t, when, sizeof(when));
	printf("  %s  %s %s (%s", when, perm, obj ? obj : "?", comm ? comm : "?");
	if (count > 1)
		printf(", %lld times since %s", count, local_time(f, first, sizeof(first)));
	printf(")\n");
	if (res) {
		printf("      protected by resource %s%s%s%s\n", res,
		       jstr(x, "description") ? " (" : "",
		       jstr(x, "description") ? jstr(x, "description") : "",
		       jstr(x, "description") ? ")" : "");
		snprintf(what, sizeof(what), "%s on %s", perm, res);
		print_roles("      ", json_object_get(x, "roles"), what);
	}
	free(obj);
	free(comm);
}

static void print_query(json_t *q)
{
	json_t *by = json_object_get(q, "covered_by"), *c;
	const char *addr = jstr(q, "addr");
	char name[PATH_MAX + 64], what[128];
	size_t i;

	if (addr)
		snprintf(name, sizeof(name), strchr(addr, ':') ? "[%s]:%lld" : "%s:%lld", addr,
			 jint(q, "port", 0));
	else
		snprintf(name, sizeof(name), "%s", jstr(q, "path") ? jstr(q, "path") : "?");
	if (!json_array_size(by)) {
		printf("%s is not protected by jitgate\n", name);
		return;
	}
	json_array_foreach(by, i, c) {
		const char *res = jstr(c, "resource") ? jstr(c, "resource") : "?";

		printf("%s is protected by resource %s (entry %s%s)\n", name, res,
		       jstr(c, "entry") ? jstr(c, "entry") : "?",
		       !strcmp(jstr(c, "mode") ? jstr(c, "mode") : "", "audit") ?
		       "; audit mode: logged, not refused" : "");
		snprintf(what, sizeof(what), "access to %s", res);
		print_roles("  ", json_object_get(c, "roles"), what);
	}
}

static void print_why(json_t *result, bool asked)
{
	json_t *list = json_object_get(result, "denials"), *x, *q = json_object_get(result, "query");
	char *user = who(result);
	long long dropped = jint(result, "dropped", 0);
	size_t i;

	if (json_array_size(list)) {
		printf("Refused to %s recently (newest first):\n", user ? user : "?");
		json_array_foreach(list, i, x)
			print_denial(x);
		if (dropped)
			printf("  (%lld older denials forgotten: jitgated keeps the last %lld a "
			       "person)\n", dropped, jint(result, "remembered", 16));
	} else if (!asked) {
		printf("jitgate refused %s nothing recently\n", user ? user : "?");
	}
	if (q)
		print_query(q);
	free(user);
}

int do_why(int argc, char **argv)
{
	const char *user = NULL, *target = NULL;
	json_t *args, *reply = NULL, *result = NULL;
	bool json = false, missing = false;
	long last = 0;
	const struct cli_opt opts[] = {
		{ "last", 'n', .take = take_last, .data = &last },
		{ "user", 'u', .arg = &user },
		{ "json", 0, .flag = &json },
		{ 0 }
	};
	int ret;

	if ((ret = cli__opts(argc, argv, why_help, opts)) >= 0)
		return ret;
	if (optind < argc)
		target = argv[optind];
	if (user && !*user)
		return usage_error("why ", "--user needs a name or uid");
	args = json_object();
	if (!args)
		return cli__oom();
	if (target && (ret = target_arg(target, args, &missing))) {
		json_decref(args);
		return ret;
	}
	if (last)
		json_object_set_new(args, "last", json_integer(last));
	if (user)
		json_object_set_new(args, "user", json_string(user));
	if (call("why", args, &reply, &result))
		return EXIT_FAIL;
	if (missing && !json_array_size(json_object_get(result, "denials")) &&
	    !json_array_size(json_object_get(json_object_get(result, "query"), "covered_by"))) {
		pr_warn("%s does not exist, and jitgate protects nothing by that name",
			jstr(json_object_get(result, "query"), "path"));
		json_decref(reply);
		return EXIT_FAIL;
	}
	if (json)
		print_json(result);
	else
		print_why(result, target != NULL);
	json_decref(reply);
	return EXIT_OK;
}
