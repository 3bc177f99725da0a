/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* jitgate, the command line (user/cli/): the program on top of the layers, beside the
 * daemon. Everything that changes state goes through jitgated's socket (lib/proto.h); only
 * `status` and `unload` with the daemon down and `policy check` look at the host, through
 * gate/ and policy/. It may use every layer below it; nothing includes it. Its files:
 *   main.c      global options and the command table (name, handler, help line, rules)
 *   util.c      the scaffold every command shares
 *   status.c, grants.c, policy.c, requests.c, history.c, mfa.c, audit.c, metrics.c, fleet.c,
 *               why.c: one command group each (docs/cli.md documents every command) */
#ifndef JG_CLI_H
#define JG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <jansson.h>
#include "jitgate.h"
#include "audit/audit.h"
#include "audit/auditchain.h"
#include "policy/compile.h"
#include "gate/gate.h"
#include "lib/defaults.h"
#include "lib/duration.h"
#include "workflow/grants.h"
#include "lib/log.h"
#include "policy/policy.h"
#include "lib/proto.h"
#include "workflow/workflow.h"

#define JG_CANARY_DEFAULT  "/run/jitgate/" JG_CANARY_NAME
#define JG_SOCKET_ENV      "JITGATE_SOCKET"
#define JG_CANARY_ENV      "JITGATE_CANARY"	/* for tests and non-default daemon configs */

/* Long enough for a policy reload that walks big trees, or an unload. */
#define CALL_TIMEOUT_MS 30000
/* status answers from memory; a daemon this slow counts as unreachable. */
#define STATUS_TIMEOUT_MS 5000

/* Exit statuses. */
#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

/* Where the daemon and the gate are, from the global options and the environment. */
struct cli_env {
	const char *socket;
	const char *pin_dir;
	const char *canary;
	char run_dir[256];	/* the socket's directory: jitgated keeps its lock and canary there */
	char canary_buf[300];
};
extern struct cli_env env;

/* ---- the command table (main.c): one place that lists every command, its help line and
 * its argument rules, in the spirit of systemd's verbs[]. A command parses its own options
 * (each has its own) with cli__opts, which also applies its operand rule, and asks
 * cli__not_root when it is root only. */

#define CMD_DAEMON (1u << 0)	/* asks jitgated (cli__call refuses for other commands) */

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;		/* the help line */
	const char *usage_name;		/* "grant ": how usage errors name it */
	int operands;			/* arguments after the options at most; -1: the
					 * command counts them itself */
	unsigned flags;			/* CMD_* */
	const char *root;		/* root only: what only root may do; NULL: anyone */
};

/* The command being run. */
extern const struct cli_cmd *cli__current;

/* A root-only command run by someone else: says so and returns true. */
bool cli__not_root(void);

/* One option of a command (every command also has -h/--help, which shows help): its long
 * name, its short letter (0: long only), and where it goes: true into *flag (it takes no
 * value), else its value handed to take (0, or the exit status after saying what is
 * wrong), else its value into *arg. */
struct cli_opt {
	const char *name;
	char letter;
	const char **arg;
	bool *flag;
	int (*take)(const char *value, void *data);
	void *data;
};
#define CLI_MAX_OPTS 16

/* The command's options, opts[] ending with { 0 } (NULL: none but --help), in getopt_long's
 * order (operands may stand among them), then the command's rule on operands: -1 to go on,
 * else the exit status (help shown, a bad option or an argument too many said, or what a
 * take returned). */
int cli__opts(int argc, char **argv, const char *help, const struct cli_opt *opts);
/* The options of a command whose only ones are --help and (json != NULL) --json. */
int cli__common_opts(int argc, char **argv, const char *help, bool *json);
/* A command with subcommands (subs, ending with NULL) in argv[1]: -1 to go on with *which
 * its index, else the exit status (help shown; none given: say says what to give; an
 * unknown one named with the list). */
int cli__sub(int argc, char **argv, const char *help, const char *say,
	     const char *const *subs, int *which);
/* The one operand after the options into *out: missing says what is missing, what names
 * it ("USER") when it is empty; more than one is an unexpected argument. 0, or the exit
 * status. */
int cli__operand(int argc, char **argv, const char *missing, const char *what,
		 const char **out);
/* Ask jitgated (call) for cmd with args from (key, value) pairs ending with a NULL key:
 * {KEY: "VALUE", ...}, leaving out a key whose value is NULL. 0, or -errno after saying why
 * (out of memory too). */
int cli__ask(const char *cmd, json_t **reply, json_t **result, const char *key, ...)
	__attribute__((sentinel));
/* The array under key in a reply's result, or NULL after saying the reply is malformed. */
json_t *cli__list(json_t *result, const char *key);
/* Ask jitgated for cmd (args as call takes them) whose result holds an array under key: with
 * json, print the whole result; an empty array is said with none. -1 to go on with *list
 * to print as text, else the exit status. *reply is the reply to free in every case. */
int cli__ask_list(const char *cmd, json_t *args, const char *key, bool json,
		  const char *none, json_t **reply, json_t **list);
/* cells: n rows of ncols strings (ncols <= CLI_MAX_COLS), printed under head, each column as
 * wide as its widest cell. A NULL cell is a string that could not be made: "out of memory"
 * and EXIT_FAIL, nothing printed; else EXIT_OK. */
#define CLI_MAX_COLS 16
int cli__table(const char *const *head, char **cells, size_t n, size_t ncols);
/* Frees the n rows of ncols cells and the array (NULL: nothing). */
void cli__table_free(char **cells, size_t n, size_t ncols);
/* "out of memory"; returns EXIT_FAIL. */
int cli__oom(void);
/* "malformed reply from jitgated: WHAT"; returns EXIT_FAIL. */
int cli__malformed(const char *what);

/* ---- what the command files give each other */

/* audit.c */
int do_audit(int argc, char **argv);

/* grants.c */
int do_grant(int argc, char **argv);
int do_revoke(int argc, char **argv);
int do_list(int argc, char **argv);

/* history.c */
int do_history(int argc, char **argv);

/* metrics.c */
int do_metrics(int argc, char **argv);

/* mfa.c */
int do_mfa(int argc, char **argv);

/* policy.c */
int do_policy(int argc, char **argv);

/* requests.c */
int do_request(int argc, char **argv);
int do_extend(int argc, char **argv);
int do_requests(int argc, char **argv);
int do_approve(int argc, char **argv);
int do_deny(int argc, char **argv);
int do_cancel(int argc, char **argv);
int do_drop(int argc, char **argv);

/* why.c */
int do_why(int argc, char **argv);

/* status.c */
int do_status(int argc, char **argv);
int do_unload(int argc, char **argv);

/* util.c: the scaffold (its helpers kept the short names they had as one file's statics) */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int bad_option(const char *cmd, int c, char **argv);
const char *errno_name(int err);
char *clean(const char *s);
size_t width(const char *s);
void print_json(json_t *j);
const char *jstr(json_t *obj, const char *key);
int json_time(json_t *v, time_t *out);
char *local_time(time_t t, char *buf, size_t len);
const char *plural(size_t n, const char *one, const char *many);
bool blank(const char *s);
bool is_not_running(int ret);
/* An integer member of obj, dflt when absent or not an integer. */
long long jint(json_t *obj, const char *key, long long dflt);
char *grant_resources(json_t *grant);
char *rel_time(time_t t, char *buf, size_t len);
char *who(json_t *o);
char *approver_names(json_t *arr);
int call(const char *cmd, json_t *args, json_t **reply, json_t **result);

/* fleet.c: fleet mode's commands (docs/fleet.md). fleet_wanted: does this request carry
 * --hosts (by_id false), or this approve/deny an fr- id (by_id true)? */
int do_fleet(int argc, char **argv);
bool fleet_wanted(int argc, char **argv, bool by_id);
int do_fleet_as(const char *sub, int argc, char **argv);
/* jitgate history --fleet (filters may be NULL; store NULL: $JITGATE_STORE) */
int fleet_history(const char *host, const char *user, const char *since, const char *store,
		  bool json);

#endif
