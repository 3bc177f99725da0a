// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A host agent without a kernel, for the fleet store's tests and bench: the real store
 * client (fleet/store.c) and the real verification (fleet/verify.c) against a policy and a
 * signer list, with people given on the command line instead of the host's user database.
 * It reads what targets its host, verifies, writes the activation or rejection row and
 * prints one line per request: "ID STATE[ REASON]" (STATE: active, rejected, revoked,
 * expired, pending).
 *
 *   jg-fleetagent --store CONNINFO --host NAME [--labels L] --policy FILE --signers FILE
 *                 [--person NAME:UID:GROUP,GROUP]... [--wait SECONDS] [--no-ack]
 *                 [--serve SECONDS [--poll SECONDS]] [--quiet]
 * --wait: after the first read, wait that long for a notification and read again.
 * --serve: run like a host's agent for that long (make bench-fleet): read again on every
 * notification and every --poll seconds (default 30); --quiet: print nothing per request. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fleet/fleet.h"
#include "fleet/store.h"
#include "policy/policy.h"

struct person {
	char name[64];
	uint32_t uid;
	char groups[256];	/* ",a,b," */
};

static struct person people[32];
static size_t npeople;
static struct jg_store st;
static const char *host, *labels = "";
static struct jg_policy *pol;
static struct jg_signers *signers;
static bool no_ack, quiet;
static struct {
	char id[JG_FLEET_ID_LEN];
	uint8_t hash[32];
	bool revoked;
} seen[1024];
static size_t nseen;

static bool in_group(uint32_t uid, const char *group, void *ctx)
{
	char g[80];

	snprintf(g, sizeof(g), ",%s,", group);
	for (size_t i = 0; i < npeople; i++)
		if (people[i].uid == uid)
			return strstr(people[i].groups, g) != NULL;
	return false;
}

static int uid_of(const char *user, uint32_t *uid, void *ctx)
{
	for (size_t i = 0; i < npeople; i++)
		if (!strcmp(people[i].name, user)) {
			*uid = people[i].uid;
			return 0;
		}
	return -ENOENT;
}

static int seen_at(const char *id)
{
	for (size_t i = 0; i < nseen; i++)
		if (!strcmp(seen[i].id, id))
			return (int)i;
	return -1;
}

static bool seen_cb(const char *id, uint8_t hash[32], void *ctx)
{
	int i = seen_at(id);

	if (i >= 0)
		memcpy(hash, seen[i].hash, 32);
	return i >= 0;
}

static void answer(const char *id, const char *state, const char *reason, int64_t until)
{
	char err[512];

	if (!quiet) {
		printf("%s %s%s%s\n", id, state, reason ? " " : "", reason ? reason : "");
		fflush(stdout);
	}
	if (!no_ack && strcmp(state, "pending") &&
	    store__ack(&st, id, host, state, reason, until, err, sizeof(err)))
		fprintf(stderr, "jg-fleetagent: %s\n", err);
}

static void one(const struct jg_store_item *it, struct jg_fleet_host *h)
{
	struct jg_fleet_signed req = { it->req.canon, it->req.canonlen, it->req.sig,
				       it->req.siglen }, dec[JG_FLEET_MAX_DECISIONS];
	struct jg_fleet_verdict v;
	char err[512], why[600];
	size_t n = it->ndec < JG_FLEET_MAX_DECISIONS ? it->ndec : JG_FLEET_MAX_DECISIONS;
	int s = seen_at(it->id);

	for (size_t i = 0; i < n; i++)
		dec[i] = (struct jg_fleet_signed){ it->dec[i].canon, it->dec[i].canonlen,
						   it->dec[i].sig, it->dec[i].siglen };
	if (s >= 0) {	/* active here: only a revoke matters */
		struct jg_fleet_request r;
		enum jg_fleet_reason rs;
		char by[64];

		if (seen[s].revoked || fleet__request_parse(req.text, req.len, &r, err,
							    sizeof(err)))
			return;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(it->dec[i].kind, "revoke") &&
			    !fleet__verify_revoke(h, &r, seen[s].hash, &dec[i], by, sizeof(by), &rs,
						  err, sizeof(err))) {
				seen[s].revoked = true;
				snprintf(why, sizeof(why), "revoked by %s", by);
				answer(it->id, "revoked", why, 0);
				break;
			}
		fleet__request_free(&r);
		return;
	}
	if (fleet__verify_request(h, &req, dec, n, &v, err, sizeof(err))) {
		snprintf(why, sizeof(why), "%s: %s", fleet__reason_name(v.reason), err);
		answer(it->id, "rejected", why, 0);
	} else {
		for (size_t i = 0; i < v.nrejected; i++)
			printf("%s decision-rejected %s: %s\n", it->id,
			       fleet__reason_name(v.rejected[i].reason), v.rejected[i].error);
		switch (v.outcome) {
		case JG_FLEET_GRANT:
			if (nseen < sizeof(seen) / sizeof(seen[0])) {
				snprintf(seen[nseen].id, sizeof(seen[nseen].id), "%s", it->id);
				memcpy(seen[nseen++].hash, v.hash, 32);
			}
			answer(it->id, "active", NULL, v.not_after);
			break;
		case JG_FLEET_DENIED:
			snprintf(why, sizeof(why), "denied by %s", v.by);
			answer(it->id, "rejected", why, 0);
			break;
		case JG_FLEET_REVOKED:
			answer(it->id, "revoked", NULL, 0);
			break;
		case JG_FLEET_ENDED:
			answer(it->id, "expired", NULL, 0);
			break;
		default:
			answer(it->id, "pending", v.note, 0);
			break;
		}
	}
	fleet__verdict_free(&v);
}

static int sync_once(int64_t *cursor)
{
	struct jg_fleet_host h = { .name = host, .labels = labels, .policy = pol,
		.signers = signers, .in_group = in_group, .uid_of = uid_of, .seen = seen_cb,
		.now = time(NULL) };
	struct jg_store_batch b;
	char err[512];

	do {
		if (store__fetch(&st, *cursor, &b, err, sizeof(err))) {
			fprintf(stderr, "jg-fleetagent: %s\n", err);
			return 1;
		}
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < b.n; i++)
				if (b.v[i].has_revoke == (pass == 0))
					one(&b.v[i], &h);
		*cursor = b.max_rev;
		store__batch_free(&b);
	} while (b.more);
	return 0;
}

/* --serve: read on every notification and every poll_s, until the time is over. */
static int serve(int64_t *cursor, int seconds, int poll_s)
{
	struct pollfd pfd = { .fd = store__fd(&st), .events = POLLIN };
	int64_t end = time(NULL) + seconds, next = time(NULL) + poll_s;

	while (time(NULL) < end) {
		int64_t now = time(NULL), wait = (next < end ? next : end) - now;
		int n = poll(&pfd, 1, wait > 0 ? (int)wait * 1000 : 0);

		if (n < 0)
			return 1;
		n = n ? store__drain(&st) : 0;
		if (n < 0) {
			fprintf(stderr, "jg-fleetagent: %s: %s\n", host, st.err);
			return 1;
		}
		if (n > 0 || time(NULL) >= next) {
			next = time(NULL) + poll_s;
			if (sync_once(cursor))
				return 1;
		}
	}
	return 0;
}

static int add_person(const char *spec)
{
	struct person *p = &people[npeople];
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	if (!c2 || npeople == sizeof(people) / sizeof(people[0]))
		return -1;
	snprintf(p->name, sizeof(p->name), "%.*s", (int)(c1 - spec), spec);
	p->uid = (uint32_t)strtoul(c1 + 1, NULL, 10);
	snprintf(p->groups, sizeof(p->groups), ",%s,", c2 + 1);
	npeople++;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "store", 1, NULL, 's' }, { "host", 1, NULL, 'H' }, { "labels", 1, NULL, 'l' },
		{ "policy", 1, NULL, 'p' }, { "signers", 1, NULL, 'S' },
		{ "person", 1, NULL, 'P' }, { "wait", 1, NULL, 'w' }, { "no-ack", 0, NULL, 'n' },
		{ "serve", 1, NULL, 'v' }, { "poll", 1, NULL, 'o' }, { "quiet", 0, NULL, 'q' },
		{ 0 } };
	const char *ci = NULL, *policy = NULL, *sfile = NULL;
	char err[1024], versions[] = "{\"agent\": \"jg-fleetagent\"}";
	int64_t cursor = 0;
	int c, wait_s = 0, serve_s = 0, poll_s = 30;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': ci = optarg; break;
		case 'H': host = optarg; break;
		case 'l': labels = optarg; break;
		case 'p': policy = optarg; break;
		case 'S': sfile = optarg; break;
		case 'w': wait_s = atoi(optarg); break;
		case 'n': no_ack = true; break;
		case 'v': serve_s = atoi(optarg); break;
		case 'o': poll_s = atoi(optarg) > 0 ? atoi(optarg) : 30; break;
		case 'q': quiet = true; break;
		case 'P':
			if (add_person(optarg)) {
				fprintf(stderr, "jg-fleetagent: --person NAME:UID:GROUPS\n");
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (!ci || !host || !policy || !sfile) {
		fprintf(stderr, "usage: jg-fleetagent --store CONNINFO --host NAME --policy FILE "
			"--signers FILE [--labels L] [--person N:UID:G,G]... [--wait S]\n");
		return 2;
	}
	if (policy__load_file(policy, &pol, err, sizeof(err)) ||
	    signers__load_file(sfile, &signers, err, sizeof(err)) ||
	    store__init(&st, ci, err, sizeof(err)) ||
	    store__connect(&st, true, err, sizeof(err))) {
		fprintf(stderr, "jg-fleetagent: %s\n", err);
		return 1;
	}
	if (store__heartbeat(&st, host, versions, err, sizeof(err))) {
		fprintf(stderr, "jg-fleetagent: %s\n", err);
		return 1;
	}
	if (sync_once(&cursor))
		return 1;
	if (wait_s > 0) {
		struct pollfd pfd = { .fd = store__fd(&st), .events = POLLIN };
		int64_t end = time(NULL) + wait_s;
		int n = 0;

		while (!n && time(NULL) < end && poll(&pfd, 1, 200) >= 0) {
			n = store__drain(&st);
			if (n < 0) {
				fprintf(stderr, "jg-fleetagent: %s\n", st.err);
				return 1;
			}
		}
		printf("%s\n", n > 0 ? "notified" : "no notification");
		if (sync_once(&cursor))
			return 1;
	}
	if (serve_s > 0 && serve(&cursor, serve_s, poll_s))
		return 1;
	store__free(&st);
	signers__free(signers);
	policy__free(pol);
	return 0;
}
