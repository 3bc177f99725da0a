// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fleet commands (docs/fleet.md): a person files a request, approves, denies or revokes one
 * in the PostgreSQL store, each signed with their SSH key by ssh-keygen -Y sign over the
 * form's canonical bytes; `fleet status` shows each host's answer. These talk to the store,
 * not to jitgated: hosts verify every signature themselves.
 *
 *   jitgate request ROLE --hosts SELECTOR --for D --reason R   (fleet: --hosts)
 *   jitgate approve fr-ID | deny fr-ID --reason R              (fleet: an fr- id)
 *   jitgate fleet request|approve|deny|revoke|status ...
 * The store: --store CONNINFO or $JITGATE_STORE; the key: --key FILE or $JITGATE_KEY
 * (default ~/.ssh/id_ed25519). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "cli/cli.h"
#include "fleet/history.h"
#include "fleet/signed.h"
#include "fleet/sshsig.h"
#include "fleet/store.h"

#define FLEET_NS "jitgate-fleet-v1"

static const char fleet_help[] =
"Usage: jitgate fleet request ROLE --hosts SELECTOR --for DURATION --reason TEXT\n"
"       jitgate fleet approve|deny|revoke ID [--reason TEXT]\n"
"       jitgate fleet status ID\n"
"\n"
"Fleet mode (docs/fleet.md): requests and decisions go to the fleet's PostgreSQL store,\n"
"signed with your SSH key (ssh-keygen -Y sign, namespace jitgate-fleet-v1); every host\n"
"verifies them against its own policy. 'jitgate request ROLE --hosts ...' and 'jitgate\n"
"approve fr-...' are the same commands.\n"
"\n"
"Options:\n"
"  -H, --hosts SELECTOR  the hosts: key=value labels joined by commas (host=NAME: one)\n"
"  -f, --for DURATION    how long (e.g. 45m)\n"
"  -r, --reason TEXT     why (required for request and deny)\n"
"      --store CONNINFO  the store's libpq connection string (default $JITGATE_STORE)\n"
"  -k, --key FILE        your SSH private key (default $JITGATE_KEY, ~/.ssh/id_ed25519)\n"
"  -h, --help            show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate request db-debug --hosts env=prod,role=db --for 45m --reason 'INC-4411'\n"
"  jitgate approve fr-8f3a0c1d2e4b5a69\n"
"  jitgate fleet status fr-8f3a0c1d2e4b5a69\n";

struct fopts {
	const char *hosts, *dur, *reason, *store, *key;
};

static int connect_store(const struct fopts *o, struct jg_store *s, char *who, size_t wlen)
{
	const char *ci = o->store ? o->store : getenv("JITGATE_STORE");
	char err[600];

	if (!ci || !*ci) {
		fprintf(stderr, "jitgate: no fleet store: give --store CONNINFO or set "
			"JITGATE_STORE\n");
		return EXIT_USAGE;
	}
	if (store__init(s, ci, err, sizeof(err)) ||
	    store__connect(s, false, err, sizeof(err)) ||
	    (who && store__whoami(s, who, wlen, err, sizeof(err)))) {
		fprintf(stderr, "jitgate: %s\n", err);
		store__free(s);
		return EXIT_FAIL;
	}
	return 0;
}

static const char *key_path(const struct fopts *o, char *buf, size_t len)
{
	const char *k = o->key ? o->key : getenv("JITGATE_KEY");

	if (k && *k)
		return k;
	snprintf(buf, len, "%s/.ssh/id_ed25519", getenv("HOME") ? getenv("HOME") : "");
	return buf;
}

/* ssh-keygen -Y sign over text; the armored signature (malloc'd) in *sig. */
static int sign_text(const char *key, const char *text, size_t len, char **sig)
{
	char dir[] = "/tmp/jitgate-sign-XXXXXX", file[64], sigf[72];
	FILE *f;
	pid_t pid;
	int st = -1, ret = -1;
	long n;

	*sig = NULL;
	if (!mkdtemp(dir))
		return -errno;
	snprintf(file, sizeof(file), "%s/form", dir);
	snprintf(sigf, sizeof(sigf), "%s/form.sig", dir);
	f = fopen(file, "we");
	if (!f || fwrite(text, 1, len, f) != len || fclose(f)) {
		rmdir(dir);
		return -EIO;
	}
	pid = fork();
	if (pid == 0) {
		execlp("ssh-keygen", "ssh-keygen", "-q", "-Y", "sign", "-n", FLEET_NS, "-f", key,
		       file, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	if (pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && (f = fopen(sigf, "re"))) {
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		*sig = n > 0 && n < 65536 ? calloc(1, (size_t)n + 1) : NULL;
		if (*sig && fread(*sig, 1, (size_t)n, f) == (size_t)n)
			ret = 0;
		fclose(f);
	}
	unlink(sigf);
	unlink(file);
	rmdir(dir);
	if (ret) {
		free(*sig);
		*sig = NULL;
		fprintf(stderr, "jitgate: ssh-keygen -Y sign with %s failed%s\n", key,
			pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127 ?
			" (is ssh-keygen installed?)" : "");
	}
	return ret;
}

static int fleet_request(const char *role, const struct fopts *o)
{
	struct jg_fleet_request r = { 0 };
	struct jg_store s;
	char err[600], keybuf[300], *canon = NULL, *sig = NULL, hash[80];
	uint8_t h[32];
	size_t len;
	int ret;

	if (!o->hosts || blank(o->reason) || !o->dur)
		return usage_error("request ", "a fleet request needs --hosts, --for and --reason");
	if (duration__parse(o->dur, &r.duration, err, sizeof(err)))
		return usage_error("request ", "--for: %s", err);
	if (strlen(o->hosts) >= sizeof(r.selector) || strlen(role) >= sizeof(r.role) ||
	    strlen(o->reason) >= sizeof(r.reason))
		return usage_error("request ", "the role, --hosts or --reason is too long");
	if ((ret = connect_store(o, &s, r.requester, sizeof(r.requester))))
		return ret;
	snprintf(r.role, sizeof(r.role), "%s", role);
	snprintf(r.selector, sizeof(r.selector), "%s", o->hosts);
	snprintf(r.reason, sizeof(r.reason), "%s", o->reason);
	r.created = time(NULL);
	ret = fleet__new_id(r.id, r.nonce) ? -EIO :
	      store__resolve(&s, o->hosts, &r.hosts, &r.nhosts, err, sizeof(err));
	if (!ret)
		ret = fleet__request_canon(&r, &canon, &len, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "jitgate: %s\n", ret == -EIO ? "no random id" : err);
		goto out;
	}
	ret = sign_text(key_path(o, keybuf, sizeof(keybuf)), canon, len, &sig);
	if (ret)
		goto out;
	fleet__hash(canon, len, h);
	fleet__hash_text(h, hash, sizeof(hash));
	ret = store__insert_request(&s, r.id, hash, r.requester, r.role, r.hosts, r.nhosts,
				    canon, sig, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "jitgate: %s\n", err);
		goto out;
	}
	printf("fleet request %s: role %s for %llu s on %zu host%s:", r.id, r.role,
	       (unsigned long long)r.duration, r.nhosts, r.nhosts == 1 ? "" : "s");
	for (size_t i = 0; i < r.nhosts; i++)
		printf(" %s", r.hosts[i]);
	printf("\nask an approver: jitgate approve %s\n", r.id);
out:
	free(canon);
	free(sig);
	fleet__request_free(&r);
	store__free(&s);
	return ret ? EXIT_FAIL : EXIT_OK;
}

static int fleet_decide(const char *kind, const char *id, const struct fopts *o)
{
	struct jg_fleet_decision dec = { 0 };
	struct jg_fleet_request r = { 0 };
	struct jg_store_form f = { 0 };
	struct jg_store s;
	char err[600], keybuf[300], *canon = NULL, *sig = NULL;
	size_t len;
	int ret;

	if (!strcmp(kind, "deny") && blank(o->reason))
		return usage_error("deny ", "--reason is required: tell the requester why not");
	if (o->reason && strlen(o->reason) >= sizeof(dec.reason))
		return usage_error("approve ", "--reason is too long");
	if ((ret = connect_store(o, &s, dec.by, sizeof(dec.by))))
		return ret;
	ret = store__get_request(&s, id, &f, err, sizeof(err));
	if (!ret)
		ret = fleet__request_parse(f.canon, f.canonlen, &r, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "jitgate: %s\n", err);
		goto out;
	}
	snprintf(dec.request_id, sizeof(dec.request_id), "%s", r.id);
	fleet__hash(f.canon, f.canonlen, dec.request_hash);
	dec.kind = !strcmp(kind, "approve") ? JG_FLEET_APPROVE : !strcmp(kind, "deny") ?
		   JG_FLEET_DENY : JG_FLEET_REVOKE;
	dec.time = time(NULL);
	snprintf(dec.reason, sizeof(dec.reason), "%s", o->reason ? o->reason : "");
	ret = fleet__decision_canon(&dec, &canon, &len, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "jitgate: %s\n", err);
		goto out;
	}
	/* what is signed, said first: the approver sees every host */
	printf("%s %s: %s asks for role %s for %llu s (\"%s\") on %zu host%s:", kind, r.id,
	       r.requester, r.role, (unsigned long long)r.duration, r.reason, r.nhosts,
	       r.nhosts == 1 ? "" : "s");
	for (size_t i = 0; i < r.nhosts; i++)
		printf(" %s", r.hosts[i]);
	printf("\n");
	fflush(stdout);
	ret = sign_text(key_path(o, keybuf, sizeof(keybuf)), canon, len, &sig);
	if (!ret)
		ret = store__insert_decision(&s, r.id, kind, dec.by, canon, sig, err, sizeof(err));
	if (ret && sig)
		fprintf(stderr, "jitgate: %s\n", err);
	else if (!ret)
		printf("%s of %s by %s stored; hosts verify it themselves (jitgate fleet status "
		       "%s)\n", kind, r.id, dec.by, r.id);
out:
	free(canon);
	free(sig);
	fleet__request_free(&r);
	store__form_free(&f);
	store__free(&s);
	return ret ? EXIT_FAIL : EXIT_OK;
}

static void print_activation(const char *host, const char *state, const char *reason,
			     const char *expiry, void *ctx)
{
	(*(size_t *)ctx)++;
	printf("%-24s %-9s %s%s%s\n", host, state, *expiry ? "until " : "", expiry,
	       *reason ? reason : "");
}

static int fleet_status(const char *id, const struct fopts *o)
{
	struct jg_fleet_request r = { 0 };
	struct jg_store_form f = { 0 };
	struct jg_store s;
	char err[600];
	size_t n = 0;
	int ret;

	if ((ret = connect_store(o, &s, NULL, 0)))
		return ret;
	ret = store__get_request(&s, id, &f, err, sizeof(err));
	if (!ret)
		ret = fleet__request_parse(f.canon, f.canonlen, &r, err, sizeof(err));
	if (!ret)
		ret = store__activations(&s, id, print_activation, &n, err, sizeof(err));
	if (ret)
		fprintf(stderr, "jitgate: %s\n", err);
	else
		printf("%s: %zu of %zu hosts answered\n", id, n, r.nhosts);
	fleet__request_free(&r);
	store__form_free(&f);
	store__free(&s);
	return ret ? EXIT_FAIL : EXIT_OK;
}

/* argv: [cmd, (sub,) ...]: sub is the fleet verb. */
static int fleet_run(const char *sub, int argc, char **argv)
{
	struct fopts o = { 0 };
	const struct cli_opt opts[] = {
		{ "hosts", 'H', .arg = &o.hosts },
		{ "for", 'f', .arg = &o.dur },
		{ "reason", 'r', .arg = &o.reason },
		{ "store", 0, .arg = &o.store },
		{ "key", 'k', .arg = &o.key },
		{ 0 }
	};
	const char *operand = NULL;
	int c;

	optind = 0;
	if ((c = cli__opts(argc, argv, fleet_help, opts)) >= 0)
		return c;
	if (optind >= argc)
		return usage_error("fleet ", "name the %s", !strcmp(sub, "request") ? "ROLE" :
				   "request ID (fr-...)");
	operand = argv[optind++];
	if (optind < argc)
		return usage_error("fleet ", "unexpected argument '%s'", argv[optind]);
	if (!strcmp(sub, "request"))
		return fleet_request(operand, &o);
	if (strncmp(operand, "fr-", 3) || strlen(operand) != JG_FLEET_ID_LEN - 1)
		return usage_error("fleet ", "'%s' is not a fleet request ID (fr- and 16 hex "
				   "digits)", operand);
	if (!strcmp(sub, "status"))
		return fleet_status(operand, &o);
	return fleet_decide(sub, operand, &o);
}

int do_fleet(int argc, char **argv)
{
	static const char *const subs[] = { "request", "approve", "deny", "revoke", "status",
					    NULL };
	int which, c;

	if ((c = cli__sub(argc, argv, fleet_help, "name what to do: request, approve, deny, "
			  "revoke or status", subs, &which)) >= 0)
		return c;
	return fleet_run(subs[which], argc - 1, argv + 1);
}

bool fleet_wanted(int argc, char **argv, bool by_id)
{
	for (int i = 1; i < argc; i++) {
		if (by_id ? !strncmp(argv[i], "fr-", 3) :
			    !strcmp(argv[i], "--hosts") || !strncmp(argv[i], "--hosts=", 8) ||
			    !strcmp(argv[i], "-H"))
			return true;
	}
	return false;
}

int do_fleet_as(const char *sub, int argc, char **argv)
{
	return fleet_run(sub, argc, argv);
}

/* jitgate history --fleet: the store's requests with their decisions and each host's answer. */
int fleet_history(const char *host, const char *user, const char *since, const char *store,
		  bool json)
{
	struct fopts o = { .store = store };
	struct jg_store s;
	char err[600];
	json_t *h = NULL, *list;
	int64_t t = 0;
	int ret;

	if (since && fleet__history_since(since, (int64_t)time(NULL), &t, err, sizeof(err))) {
		fprintf(stderr, "jitgate: history: %s\n", err);
		return EXIT_USAGE;
	}
	if (host && (!*host || strspn(host, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789._-") != strlen(host))) {
		fprintf(stderr, "jitgate: history: --host '%.64s' is not a host name (letters, "
			"digits, '.', '_', '-')\n", host);
		return EXIT_USAGE;
	}
	if ((ret = connect_store(&o, &s, NULL, 0)))
		return ret;
	if (store__history(&s, host, user, t, &h, err, sizeof(err))) {
		fprintf(stderr, "jitgate: %s\n", err);
		store__free(&s);
		return EXIT_FAIL;
	}
	store__free(&s);
	list = json_object_get(h, "requests");
	if (json) {
		print_json(h);
	} else {
		json_t *bg = json_object_get(h, "break_glass");

		if (!json_array_size(list))
			pr_info("no fleet requests in the store%s", host || user || since ?
				" that match" : "");
		for (size_t i = 0; i < json_array_size(list); i++) {
			if (i)
				putchar('\n');
			fleet__history_print(stdout, json_array_get(list, i));
		}
		for (size_t i = 0; i < json_array_size(bg); i++) {
			putchar('\n');
			fleet__history_print_break_glass(stdout, json_array_get(bg, i));
		}
	}
	if (json_integer_value(json_object_get(h, "unreadable")))
		pr_warn("%lld requests in the store have bytes that do not parse (left out)",
			(long long)json_integer_value(json_object_get(h, "unreadable")));
	json_decref(h);
	return EXIT_OK;
}
