// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate policy: check a policy file here (parse, validate, compile), or make jitgated
 * reload its policy. */
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

/* ---- policy ---- */

static const char policy_help[] =
"Usage: jitgate policy check [--json] [FILE]...\n"
"       jitgate policy reload [--json]\n"
"\n"
"check   Validate policy files here, without jitgated: parse them and resolve their paths on\n"
"        this host as the daemon would. FILE defaults to " JG_POLICY_DEFAULT ".\n"
"        Errors are printed as FILE:LINE:COLUMN: message. Exit 1 if any file is bad.\n"
"reload  Make jitgated load its policy file again (admins only). A bad policy is refused\n"
"        whole and the running one stays.\n"
"\n"
"Options:\n"
"  --json      check: one JSON object per file; reload: jitgated's answer\n"
"  -h, --help  show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate policy check /etc/jitgate/policy.json\n"
"  jitgate policy check new.json && cp new.json /etc/jitgate/policy.json && "
"jitgate policy reload\n";

/* Say what a connect endpoint on loopback protects besides the address written. */
static void print_loopback_spread(const char *file, const struct jg_compiled *c)
{
	char a[64];

	if (!c->nloopback_eps)
		return;
	printf("%s: %zu connect %s on loopback also %s %s ports on 127.0.0.0/8, ::1", file,
	       c->nloopback_eps, plural(c->nloopback_eps, "endpoint", "endpoints"),
	       plural(c->nloopback_eps, "protects", "protect"),
	       plural(c->nloopback_eps, "its", "their"));
	for (size_t i = 0; i < c->nhosts; i++)
		printf(", %s", compile__addr_text(c->hosts[i], a, sizeof(a)));
	printf("%s\n", c->nhosts ? " (this host's addresses now: reload the policy when they "
	       "change)" : "");
}

static int policy_check_one(const char *file, bool json)
{
	struct jg_policy *p = NULL;
	struct jg_compiled *c = NULL;
	uint16_t *ids = NULL;
	char err[1024] = "";
	int ret;

	ret = policy__load_file(file, &p, err, sizeof(err));
	if (ret) {
		pr_warn("%s", *err ? err : strerror(-ret));
		return EXIT_FAIL;
	}
	if (p->nresources > JG_MAX_RESOURCES - 1) {
		pr_warn("%s: too many resources (%zu; at most %d)", file, p->nresources,
			JG_MAX_RESOURCES - 1);
		ret = EXIT_FAIL;
		goto cleanup;
	}
	ids = calloc(p->nresources ? p->nresources : 1, sizeof(*ids));
	if (!ids) {
		ret = cli__oom();
		goto cleanup;
	}
	for (size_t i = 0; i < p->nresources; i++)
		ids[i] = (uint16_t)(i + 1);
	ret = compile__policy_opts(p, ids, JG_COMPILE_NO_HARDLINK_WALK, &c, err, sizeof(err));
	if (ret) {
		if (*err)
			pr_warn("%s", err);
		else
			pr_warn("%s: %s", file, strerror(-ret));
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (json) {
		json_t *hosts = json_array();
		json_t *o = json_pack("{s:s,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:o*}", "file", file, "ok", 1,
				      "resources", (json_int_t)p->nresources,
				      "roles", (json_int_t)p->nroles,
				      "standing", (json_int_t)p->nstanding,
				      "objects", (json_int_t)c->nobjs,
				      "net_prefixes", (json_int_t)c->nnets,
				      "loopback_endpoints", (json_int_t)c->nloopback_eps,
				      "host_addresses", hosts);

		json_t *names = json_array();

		/* the role names (bash completion of `jitgate request ROLE` reads them) */
		for (size_t i = 0; o && names && i < p->nroles; i++)
			json_array_append_new(names, json_string(p->roles[i].name));
		if (!names || json_object_set_new(o, "role_names", names))
			json_decref(o), o = NULL;
		for (size_t i = 0; o && i < c->nhosts; i++) {
			char a[64];

			if (json_array_append_new(hosts, json_string(compile__addr_text(c->hosts[i],
							a, sizeof(a)))))
				json_decref(o), o = NULL;
		}
		if (!o) {
			ret = cli__oom();
			goto cleanup;
		}
		print_json(o);
		json_decref(o);
	} else {
		printf("%s: ok (%zu %s, %zu %s, %zu %s; %zu %s, %zu %s)\n", file,
		       p->nresources, plural(p->nresources, "resource", "resources"),
		       p->nroles, plural(p->nroles, "role", "roles"),
		       p->nstanding, plural(p->nstanding, "standing rule", "standing rules"),
		       c->nobjs, plural(c->nobjs, "protected object", "protected objects"),
		       c->nnets, plural(c->nnets, "network prefix", "network prefixes"));
		print_loopback_spread(file, c);
	}
	ret = EXIT_OK;
cleanup:
	compile__free(c);
	free(ids);
	policy__free(p);
	return ret;
}

int do_policy(int argc, char **argv)
{
	static const char *const subs[] = { "check", "reload", NULL };
	bool json = false;
	int c, ret, sub;

	if ((c = cli__sub(argc, argv, policy_help, "say 'check' or 'reload'", subs, &sub)) >= 0)
		return c;
	argc--;
	argv++;
	if ((c = cli__common_opts(argc, argv, policy_help, &json)) >= 0)
		return c;

	if (sub == 0) {
		if (optind == argc)
			return policy_check_one(JG_POLICY_DEFAULT, json);
		ret = EXIT_OK;
		for (int i = optind; i < argc; i++)
			if (policy_check_one(argv[i], json))
				ret = EXIT_FAIL;
		return ret;
	} else {
		json_t *reply = NULL, *result = NULL, *p;

		if (optind < argc)
			return usage_error("policy ", "'policy reload' takes no file: jitgated "
					   "reloads the file it was started with");
		if (call("policy.reload", NULL, &reply, &result))
			return EXIT_FAIL;
		p = json_object_get(result, "policy");
		if (json) {
			print_json(result);
		} else {
			char *f = clean(jstr(p, "file") ?: "?");
			json_t *res = json_object_get(p, "resources");
			long long n = json_is_integer(res) ? (long long)json_integer_value(res) :
				      json_is_array(res) ? (long long)json_array_size(res) : -1;

			if (n >= 0)
				printf("policy reloaded: %s (%lld %s)\n", f, n,
				       plural((size_t)n, "resource", "resources"));
			else
				printf("policy reloaded: %s\n", f);
			free(f);
		}
		json_decref(reply);
		return EXIT_OK;
	}
}
