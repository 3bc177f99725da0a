// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate: the command line. Everything that changes state goes through jitgated (its socket,
 * docs/protocol.md); only `status` (when the daemon is down), `policy check` and `unload` (when
 * the daemon is down) look at the host themselves. docs/cli.md documents every command. */
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

struct cli_env env = {
	.socket = JG_SOCKET_DEFAULT,
	.pin_dir = JG_PIN_DIR_DEFAULT,
};

/* ---- main ---- */

static int do_help(int argc, char **argv);

/* Every command: name, handler, help line, how usage errors name it, operands at most
 * (-1: the command counts them), and its rules. */
static const struct cli_cmd cmds[] = {
#define D CMD_DAEMON
	{ "status",   do_status,   "show whether the gate is loaded and enforcing",
	  "status ", 0, D, NULL },
	{ "grant",    do_grant,    "give a user access to resources for a while",
	  "grant ", 0, D, NULL },
	{ "revoke",   do_revoke,   "end grants now",
	  "revoke ", 1, D, NULL },
	{ "list",     do_list,     "show live grants and the time they have left",
	  "list ", 0, D, NULL },
	{ "request",  do_request,  "ask for a role's access",
	  "request ", 1, D, NULL },
	{ "requests", do_requests, "show requests you made or may decide",
	  "requests ", 0, D, NULL },
	{ "approve",  do_approve,  "approve a pending request",
	  "approve ", 1, D, NULL },
	{ "deny",     do_deny,     "deny a pending request",
	  "deny ", 1, D, NULL },
	{ "cancel",   do_cancel,   "withdraw a pending request of yours",
	  "cancel ", 1, D, NULL },
	{ "extend",   do_extend,   "ask for more time on a grant you hold",
	  "extend ", 1, D, NULL },
	{ "drop",     do_drop,     "give up a grant of yours now",
	  "drop ", 1, D, NULL },
	{ "history",  do_history,  "who had what, when, why, approved by whom",
	  "history ", 0, D, NULL },
	{ "why",      do_why,      "what the gate refused you lately, and which role would allow it",
	  "why ", 1, D, NULL },
	{ "mfa",      do_mfa,      "enrol a user for TOTP codes, or lift a lockout (admins)",
	  "mfa ", -1, D, NULL },
	{ "policy",   do_policy,   "check a policy file, or make jitgated reload its policy",
	  "policy ", -1, D, NULL },
	{ "audit",    do_audit,    "verify the audit log's hash chain, or show its last events",
	  "audit ", -1, 0, NULL },
	{ "metrics",  do_metrics,  "print jitgated's metrics (OpenMetrics text)",
	  "metrics ", 0, 0, NULL },
	{ "unload",   do_unload,   "remove the gate from the kernel (root)",
	  "unload ", 0, D, "unload the gate" },
	{ "fleet",    do_fleet,    "fleet mode: signed requests and decisions in the fleet store",
	  "fleet ", -1, 0, NULL },
	{ "help",     do_help,     "show this help, or a command's: jitgate help COMMAND",
	  NULL, -1, 0, NULL },
#undef D
};

const struct cli_cmd *cli__current = &cmds[sizeof(cmds) / sizeof(cmds[0]) - 1];

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: jitgate [OPTIONS] COMMAND [ARGS]...\n"
		"\n"
		"Just-in-time access to protected files, programs and networks, enforced in the\n"
		"kernel by BPF LSM and managed by jitgated.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"      --socket PATH  jitgated's socket (default " JG_SOCKET_DEFAULT ",\n"
		"                     or $" JG_SOCKET_ENV ")\n"
		"      --pin-dir DIR  where the gate is pinned (default " JG_PIN_DIR_DEFAULT ")\n"
		"  -v, --verbose      say more on stderr\n"
		"  -h, --help         show this help\n"
		"  -V, --version      show the version\n"
		"\n"
		"Run 'jitgate COMMAND --help' for a command's options and examples.\n"
		"Exit status: 0 success, 1 failure (one sentence on stderr; with --json a JSON\n"
		"object {\"error\": \"...\"}), 2 usage error.\n");
}

static const struct cli_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int unknown_cmd(const char *name)
{
	return usage_error(NULL, "unknown command '%s'", name);
}

static int do_help(int argc, char **argv)
{
	const struct cli_cmd *c;
	char *sub[] = { NULL, "--help", NULL };

	if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "--help")) {
		usage(stdout);
		return EXIT_OK;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return unknown_cmd(argv[1]);
	sub[0] = argv[1];
	optind = 0;
	cli__current = c;
	return c->fn(2, sub);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	enum jg_log_level level = JG_LOG_INFO;
	const char *s = getenv(JG_SOCKET_ENV);
	const struct cli_cmd *cmd;
	int c, ret;

	log__init("jitgate", level);
	if (s && *s)
		env.socket = s;
	s = getenv(JG_CANARY_ENV);
	if (s && *s)
		env.canary = s;
	opterr = 0;
	/* '+': stop at the command name; what follows belongs to the command. */
	while ((c = getopt_long(argc, argv, "+:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!*optarg)
				return usage_error(NULL, "--socket needs a path");
			env.socket = optarg;
			break;
		case 'p':
			if (!*optarg)
				return usage_error(NULL, "--pin-dir needs a directory");
			env.pin_dir = optarg;
			break;
		case 'v': level = JG_LOG_DEBUG; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("jitgate %s (protocol %d)\n", JG_VERSION, JG_PROTO_VERSION);
			  return EXIT_OK;
		default: return bad_option(NULL, c, argv);
		}
	}
	log__init("jitgate", level);
	/* jitgated keeps its canary and lock beside its socket. */
	snprintf(env.run_dir, sizeof(env.run_dir), "%s", env.socket);
	s = strrchr(env.run_dir, '/');
	if (s && s != env.run_dir)
		env.run_dir[s - env.run_dir] = '\0';
	else
		snprintf(env.run_dir, sizeof(env.run_dir), "/run/jitgate");
	if (!env.canary) {
		snprintf(env.canary_buf, sizeof(env.canary_buf), "%s/" JG_CANARY_NAME, env.run_dir);
		env.canary = env.canary_buf;
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_cmd(argv[optind]);
	if (!cmd)
		return unknown_cmd(argv[optind]);
	argc -= optind;
	argv += optind;
	/* --json: errors too are JSON, {"error": "sentence"} on stderr */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			log__json_errors(true);
	optind = 0;	/* GNU: start the command's own getopt_long afresh */
	cli__current = cmd;
	ret = cmd->fn(argc, argv);
	if (fflush(stdout) || ferror(stdout)) {
		pr_warn("cannot write the output: %s", strerror(errno));
		return EXIT_FAIL;
	}
	return ret;
}
