// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A host's own verdict on fleet requests, with signatures from the real ssh-keygen (and
 * software FIDO2 keys): the good path, and every forged, edited, replayed, other-host and
 * too-long case docs/fleet.md names. */
#include <errno.h>
#include <criterion/criterion.h>
#include "fleet/fleet.h"
#include "sshkeys.h"

#define NS JG_SSHSIG_NAMESPACE
#define NOW 1796457600LL

static const char policy_text[] =
	"{\"version\": 1,"
	" \"resources\": {\"prod-secrets\": {\"files\": [\"/srv/prod/secrets\"]}},"
	" \"roles\": {"
	"  \"db-debug\": {\"allow\": {\"prod-secrets\": [\"read\"]},"
	"    \"requesters\": [\"group:sre\"], \"approvers\": [\"group:sre-leads\"],"
	"    \"approvals\": 2, \"max_duration\": \"2h\", \"request_ttl\": \"1h\"},"
	"  \"peer\": {\"allow\": {\"prod-secrets\": [\"read\"]},"
	"    \"requesters\": [\"group:sre\"], \"approvers\": [\"group:sre\"], \"approvals\": 1},"
	"  \"vault\": {\"allow\": {\"prod-secrets\": [\"read\"]}, \"require_mfa\": true,"
	"    \"requesters\": [\"user:frank\"], \"approvers\": [\"uid:1002\"], \"approvals\": 1},"
	"  \"weekdays\": {\"allow\": {\"prod-secrets\": [\"read\"]}, \"requesters\": [\"group:sre\"],"
	"    \"approvers\": [\"user:carol\"], \"approvals\": 1,"
	"    \"schedule\": {\"windows\": [\"Mon-Fri 08:00-18:00\"]}},"
	"  \"saturday\": {\"allow\": {\"prod-secrets\": [\"read\"]}, \"requesters\": [\"group:sre\"],"
	"    \"approvers\": [\"user:carol\"], \"approvals\": 1,"
	"    \"schedule\": {\"windows\": [\"Sat 07:00-08:20\"]}}"
	" }}";

struct person {
	const char *name;
	uint32_t uid;
	const char *groups;		/* ",sre,sre-leads," */
	const char *key;		/* ed25519, ecdsa, sk; NULL: not in the signer list */
};

static const struct person people[] = {
	{ "alice", 1000, ",sre,", "ed25519" },
	{ "bob", 1001, ",sre,sre-leads,", "ed25519" },
	{ "carol", 1002, ",sre-leads,", "ecdsa" },
	{ "dave", 1003, ",sre-leads,", "sk" },
	{ "frank", 1005, ",sre,", "sk" },
	{ "mallory", 1004, ",", "ed25519" },
	{ "eve", 1006, ",sre-leads,", NULL },	/* a key, but not in the list */
	{ "bobby", 1007, ",sre-leads,", NULL },	/* another name on bob's key (some tests) */
	{ "al", 1008, ",sre-leads,", NULL },	/* another name on alice's key (some tests) */
};
#define NPEOPLE (sizeof(people) / sizeof(people[0]))

static struct swsk sk[NPEOPLE];
static struct jg_policy *pol;
static struct jg_signers *signers;
static char err[512];

/* the replay memory */
static char seen_id[JG_FLEET_ID_LEN];
static uint8_t seen_hash[32];

static bool in_group(uint32_t uid, const char *group, void *ctx)
{
	char g[80];

	snprintf(g, sizeof(g), ",%s,", group);
	for (size_t i = 0; i < NPEOPLE; i++)
		if (people[i].uid == uid)
			return strstr(people[i].groups, g) != NULL;
	return false;
}

static int uid_of(const char *user, uint32_t *uid, void *ctx)
{
	for (size_t i = 0; i < NPEOPLE; i++)
		if (!strcmp(people[i].name, user)) {
			*uid = people[i].uid;
			return 0;
		}
	return -ENOENT;
}

static bool seen(const char *id, uint8_t hash[32], void *ctx)
{
	if (strcmp(id, seen_id))
		return false;
	memcpy(hash, seen_hash, 32);
	return true;
}

static struct jg_fleet_host host = {
	.name = "db1", .labels = "env=prod,role=db,zone=a", .in_group = in_group,
	.uid_of = uid_of, .seen = seen, .now = NOW,
};

static const struct person *person(const char *name)
{
	for (size_t i = 0; i < NPEOPLE; i++)
		if (!strcmp(people[i].name, name))
			return &people[i];
	cr_assert_fail("no person %s", name);
	return NULL;
}

/* The signer list: one line per person with a key, under their name, or under names[i]
 * ("bob,bobby") where given. */
static void load_signers(const char *const *names)
{
	char list[8192] = "";
	size_t o = 0;

	signers__free(signers);
	for (size_t i = 0; i < NPEOPLE; i++) {
		const char *who = names && names[i] ? names[i] : people[i].name;
		char *pub;

		if (!people[i].key)
			continue;
		if (!strcmp(people[i].key, "sk")) {
			o += snprintf(list + o, sizeof(list) - o, "%s %s\n", who, sk[i].line);
			continue;
		}
		pub = key_pub(people[i].name);
		o += snprintf(list + o, sizeof(list) - o, "%s %s\n", who, pub);
		free(pub);
	}
	cr_assert_eq(signers__parse(list, strlen(list), "signers", &signers, err, sizeof(err)),
		     0, "%s", err);
	host.signers = signers;
}

static void setup(void)
{
	char perr[256];

	keys_setup();
	cr_assert_eq(policy__load_string(policy_text, NULL, &pol, perr, sizeof(perr)), 0, "%s",
		     perr);
	for (size_t i = 0; i < NPEOPLE; i++) {
		if (people[i].key && !strcmp(people[i].key, "sk"))
			swsk_make(&sk[i]);
		else
			key_make(people[i].name, people[i].key ? people[i].key : "ed25519");
	}
	signers = NULL;
	load_signers(NULL);
	host.policy = pol;
	seen_id[0] = '\0';
}

static void teardown(void)
{
	for (size_t i = 0; i < NPEOPLE; i++)
		EVP_PKEY_free(sk[i].pkey);
	signers__free(signers);
	policy__free(pol);
	keys_teardown();
}

TestSuite(verify, .init = setup, .fini = teardown);

/* ---- making signed forms */

struct signed_form {
	char *text;
	size_t len;
	char *sig;
};

static char *sign_as(const char *name, const char *text, size_t len, uint8_t flags)
{
	const struct person *p = person(name);

	if (p->key && !strcmp(p->key, "sk"))
		return swsk_sign(&sk[p - people], NS, text, len, flags, 1);
	return key_sign(name, NS, text, len);
}

static char *hosts12[] = { "db1", "db2" };

static struct jg_fleet_request request(void)
{
	struct jg_fleet_request r = {
		.requester = "alice", .role = "db-debug", .selector = "env=prod,role=db",
		.hosts = hosts12, .nhosts = 2, .duration = 2700, .reason = "INC-1",
		.created = NOW - 600,
	};

	cr_assert_eq(fleet__new_id(r.id, r.nonce), 0);
	return r;
}

static struct signed_form make_request(const struct jg_fleet_request *r, const char *signer)
{
	struct signed_form f;

	cr_assert_eq(fleet__request_canon(r, &f.text, &f.len, err, sizeof(err)), 0, "%s", err);
	f.sig = sign_as(signer, f.text, f.len, JG_SK_USER_PRESENT);
	return f;
}

static struct signed_form make_decision(const struct signed_form *req, const char *by,
					enum jg_fleet_kind kind, int64_t time, uint8_t flags)
{
	struct jg_fleet_request r;
	struct jg_fleet_decision d = { .kind = kind, .time = time };
	struct signed_form f;

	cr_assert_eq(fleet__request_parse(req->text, req->len, &r, err, sizeof(err)), 0);
	snprintf(d.request_id, sizeof(d.request_id), "%s", r.id);
	snprintf(d.by, sizeof(d.by), "%s", by);
	fleet__hash(req->text, req->len, d.request_hash);
	fleet__request_free(&r);
	cr_assert_eq(fleet__decision_canon(&d, &f.text, &f.len, err, sizeof(err)), 0, "%s", err);
	f.sig = sign_as(by, f.text, f.len, flags);
	return f;
}

static struct jg_fleet_signed as_signed(const struct signed_form *f)
{
	return (struct jg_fleet_signed){ f->text, f->len, f->sig, strlen(f->sig) };
}

static int verify(const struct signed_form *req, const struct signed_form *dec, size_t n,
		  struct jg_fleet_verdict *v)
{
	struct jg_fleet_signed s = as_signed(req), d[8];

	for (size_t i = 0; i < n; i++)
		d[i] = as_signed(&dec[i]);
	err[0] = '\0';
	return fleet__verify_request(&host, &s, d, n, v, err, sizeof(err));
}

static void refused(int ret, const struct jg_fleet_verdict *v, enum jg_fleet_reason want,
		    const char *words)
{
	cr_assert_lt(ret, 0, "accepted (outcome %d)", v->outcome);
	cr_assert_eq(v->reason, want, "reason %s, not %s: %s", fleet__reason_name(v->reason),
		     fleet__reason_name(want), err);
	cr_assert(err[0] && !strchr(err, '\n'), "not one sentence: %s", err);
	cr_assert(strstr(err, words), "%s", err);
}

/* ---- the good path */

Test(verify, two_approvals_grant_until_the_last_approval_plus_duration)
{
	struct jg_fleet_request r = request();
	struct signed_form q = make_request(&r, "alice"), d[3];
	struct jg_fleet_verdict v;

	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 500, 0);
	cr_assert_eq(verify(&q, d, 1, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert_str_eq(v.note, "1 of 2 approvals");
	fleet__verdict_free(&v);

	d[1] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 450, 0);	/* bob again */
	cr_assert_eq(verify(&q, d, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING, "one approver counts once");
	fleet__verdict_free(&v);

	d[2] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 400, 0);
	cr_assert_eq(verify(&q, d, 3, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	cr_assert_eq(v.approvals, 2);
	cr_assert_eq(v.nrefused, 0);
	cr_assert_eq(v.approved_at, NOW - 400);
	cr_assert_eq(v.not_after, NOW - 400 + 2700);
	cr_assert_str_eq(v.req.requester, "alice");
	fleet__verdict_free(&v);

	/* the same request on db2, whose labels also match */
	host.name = "db2";
	cr_assert_eq(verify(&q, d, 3, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	fleet__verdict_free(&v);
	host.name = "db1";
}

Test(verify, fido2_approval_needs_a_touch)
{
	struct jg_fleet_request r = request();
	struct signed_form q = make_request(&r, "alice"), d[2];
	struct jg_fleet_verdict v;

	d[0] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 500, 0);
	d[1] = make_decision(&q, "dave", JG_FLEET_APPROVE, NOW - 400, 0);	/* no touch */
	cr_assert_eq(verify(&q, d, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert_eq(v.nrejected, 1);
	cr_assert_eq(v.rejected[0].reason, JG_FR_FLAGS, "%s", v.rejected[0].error);
	cr_assert_str_eq(v.rejected[0].by, "dave");
	cr_assert(strstr(v.rejected[0].error, "no touch"), "%s", v.rejected[0].error);
	fleet__verdict_free(&v);

	d[1] = make_decision(&q, "dave", JG_FLEET_APPROVE, NOW - 400, JG_SK_USER_PRESENT);
	cr_assert_eq(verify(&q, d, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	fleet__verdict_free(&v);
}

Test(verify, require_mfa_needs_a_pin_on_the_request)
{
	struct jg_fleet_request r = request();
	struct signed_form q, d;
	struct jg_fleet_verdict v;
	int ret;

	strcpy(r.role, "vault");
	strcpy(r.requester, "frank");
	cr_assert_eq(fleet__request_canon(&r, &q.text, &q.len, err, sizeof(err)), 0, "%s", err);
	q.sig = sign_as("frank", q.text, q.len, JG_SK_USER_PRESENT);	/* touch, no PIN */
	ret = verify(&q, NULL, 0, &v);
	refused(ret, &v, JG_FR_FLAGS, "requires MFA");
	fleet__verdict_free(&v);

	q.sig = sign_as("frank", q.text, q.len, JG_SK_USER_PRESENT | JG_SK_USER_VERIFIED);
	d = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 300, 0);	/* uid:1002 */
	cr_assert_eq(verify(&q, &d, 1, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	fleet__verdict_free(&v);
}

/* ---- forged and edited rows */

Test(verify, request_edited_in_the_store_is_refused)
{
	struct jg_fleet_request r = request();
	struct signed_form q = make_request(&r, "alice"), e = q;
	struct jg_fleet_verdict v;
	char *p;

	e.text = strdup(q.text);
	p = strstr(e.text, "2700");
	p[0] = '9';				/* 9700 s: still under max, but not signed */
	refused(verify(&e, NULL, 0, &v), &v, JG_FR_BAD_SIGNATURE, "does not verify");
	fleet__verdict_free(&v);

	e.text = strdup(q.text);
	p = strstr(e.text, "\"db1\",\"db2\"");
	memcpy(p, "\"db1\",\"db3\"", 11);	/* another host list */
	refused(verify(&e, NULL, 0, &v), &v, JG_FR_BAD_SIGNATURE, "does not verify");
	fleet__verdict_free(&v);

	e.text = calloc(1, q.len + 2);			/* made pretty: not the signed bytes */
	p = strchr(q.text, ',');
	sprintf(e.text, "%.*s %s", (int)(p + 1 - q.text), q.text, p + 1);
	e.len = q.len + 1;
	refused(verify(&e, NULL, 0, &v), &v, JG_FR_NOT_CANONICAL, "canonical");
	fleet__verdict_free(&v);
}

Test(verify, request_inserted_in_the_store_is_refused)
{
	struct jg_fleet_request r = request();
	struct signed_form q;
	struct jg_fleet_verdict v;

	q = make_request(&r, "mallory");		/* claims alice, signed by mallory */
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_WRONG_SIGNER, "is not alice's");
	fleet__verdict_free(&v);

	q = make_request(&r, "eve");			/* a key this host does not list */
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_UNKNOWN_KEY, "is not in signers");
	fleet__verdict_free(&v);

	q.sig = "";					/* unsigned */
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_MALFORMED, "does not start with");
	fleet__verdict_free(&v);

	q.sig = key_sign("alice", "git", q.text, q.len);	/* alice's, for git */
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_BAD_SIGNATURE, "namespace \"git\"");
	fleet__verdict_free(&v);
}

Test(verify, forged_and_edited_approvals_do_not_count)
{
	struct jg_fleet_request r = request();
	struct signed_form q = make_request(&r, "alice"), d[4];
	struct jg_fleet_verdict v;
	char *p;

	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 500, 0);
	d[1] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 400, 0);
	d[1].text = strdup(d[1].text);
	p = strstr(d[1].text, "\"time\":");
	p[8] = p[8] == '9' ? '8' : '9';			/* edited time */
	d[2] = make_decision(&q, "mallory", JG_FLEET_APPROVE, NOW - 300, 0);	/* not an approver */
	d[3] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 200, 0);
	d[3].sig = d[0].sig;				/* bob's other signature */
	cr_assert_eq(verify(&q, d, 4, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert_eq(v.approvals, 1);
	cr_assert_eq(v.nrefused, 3);
	cr_assert_eq(v.rejected[0].reason, JG_FR_BAD_SIGNATURE);
	cr_assert_eq(v.rejected[1].reason, JG_FR_NOT_APPROVER);
	cr_assert(strstr(v.rejected[1].error, "mallory is not an approver"), "%s",
		  v.rejected[1].error);
	cr_assert_eq(v.rejected[2].reason, JG_FR_BAD_SIGNATURE);
	fleet__verdict_free(&v);
}

Test(verify, self_approval_and_decisions_out_of_time)
{
	struct jg_fleet_request r = request();
	struct signed_form q, d[3];
	struct jg_fleet_verdict v;

	strcpy(r.role, "peer");
	q = make_request(&r, "alice");
	d[0] = make_decision(&q, "alice", JG_FLEET_APPROVE, NOW - 500, 0);
	d[1] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 700, 0);	/* before it */
	d[2] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW + 1000, 0);	/* ahead */
	cr_assert_eq(verify(&q, d, 3, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert_eq(v.rejected[0].reason, JG_FR_SELF_APPROVAL);
	cr_assert_eq(v.rejected[1].reason, JG_FR_BAD_TIME);
	cr_assert_eq(v.rejected[2].reason, JG_FR_FUTURE);
	fleet__verdict_free(&v);
}

/* One key is one approver, whatever names it is listed under; and a key the requester signs
 * with cannot approve under another name. */
Test(verify, one_key_is_one_approver)
{
	const char *names[NPEOPLE] = { [0] = "alice,al", [1] = "bob,bobby" };
	struct jg_fleet_request r = request();
	struct signed_form q, d[3];
	struct jg_fleet_verdict v;

	load_signers(names);
	q = make_request(&r, "alice");
	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 500, 0);
	d[1] = make_decision(&q, "bobby", JG_FLEET_APPROVE, NOW - 450, 0);	/* bob's key */
	d[2] = make_decision(&q, "al", JG_FLEET_APPROVE, NOW - 400, 0);	/* alice's key */
	d[1].sig = sign_as("bob", d[1].text, d[1].len, 0);
	d[2].sig = sign_as("alice", d[2].text, d[2].len, 0);
	cr_assert_eq(verify(&q, d, 3, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert_eq(v.approvals, 1);
	cr_assert_eq(v.nrefused, 1);
	cr_assert_eq(v.rejected[0].reason, JG_FR_SELF_APPROVAL);
	cr_assert(strstr(v.rejected[0].error, "also the requester's"), "%s", v.rejected[0].error);
	fleet__verdict_free(&v);
}

/* ---- replays */

Test(verify, approval_moved_to_another_request_is_refused)
{
	struct jg_fleet_request r = request(), r2 = request();
	struct signed_form q = make_request(&r, "alice"), q2, d[2], moved[2];
	struct jg_fleet_verdict v;

	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 500, 0);
	d[1] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 400, 0);
	/* a new request (another id) gets the old approvals */
	q2 = make_request(&r2, "alice");
	cr_assert_eq(verify(&q2, d, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert_eq(v.nrefused, 2);
	cr_assert_eq(v.rejected[0].reason, JG_FR_WRONG_REQUEST);
	cr_assert(strstr(v.rejected[0].error, "is for another request"), "%s",
		  v.rejected[0].error);
	fleet__verdict_free(&v);

	/* the same id, longer: the approvals were for the other contents */
	r2 = r;
	r2.duration = 7000;
	q2 = make_request(&r2, "alice");
	moved[0] = d[0];
	moved[1] = d[1];
	cr_assert_eq(verify(&q2, moved, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert_eq(v.rejected[0].reason, JG_FR_WRONG_REQUEST);
	cr_assert(strstr(v.rejected[0].error, "another version of"), "%s", v.rejected[0].error);
	fleet__verdict_free(&v);
}

Test(verify, replayed_request_is_refused)
{
	struct jg_fleet_request r = request();
	struct signed_form q = make_request(&r, "alice"), d[2], q2;
	struct jg_fleet_verdict v;

	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 500, 0);
	d[1] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 400, 0);
	cr_assert_eq(verify(&q, d, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	/* the host activates it and remembers */
	snprintf(seen_id, sizeof(seen_id), "%s", v.req.id);
	memcpy(seen_hash, v.hash, 32);
	fleet__verdict_free(&v);

	refused(verify(&q, d, 2, &v), &v, JG_FR_REPLAYED, "a replay");
	fleet__verdict_free(&v);

	/* a fresh signature of the same id with other contents */
	r.duration = 600;
	q2 = make_request(&r, "alice");
	refused(verify(&q2, NULL, 0, &v), &v, JG_FR_REPLAYED, "reuses its id");
	fleet__verdict_free(&v);
}

/* ---- this host's own rules */

Test(verify, other_host_and_labels)
{
	struct jg_fleet_request r = request();
	struct signed_form q = make_request(&r, "alice");
	struct jg_fleet_verdict v;

	host.name = "db3";				/* not in the list */
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_OTHER_HOST, "does not name this host (db3)");
	fleet__verdict_free(&v);

	host.name = "db2";				/* in the list, but staging here */
	host.labels = "env=staging,role=db";
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_LABELS, "do not match");
	fleet__verdict_free(&v);
	host.name = "db1";
	host.labels = "env=prod,role=db,zone=a";
}

Test(verify, too_long_is_refused_not_clamped)
{
	struct jg_fleet_request r = request();
	struct signed_form q;
	struct jg_fleet_verdict v;

	r.duration = 2 * 3600 + 1;
	q = make_request(&r, "alice");
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_TOO_LONG, "longer than role \"db-debug\"");
	fleet__verdict_free(&v);
	r.duration = 2 * 3600;
	q = make_request(&r, "alice");
	cr_assert_eq(verify(&q, NULL, 0, &v), 0, "%s", err);
	fleet__verdict_free(&v);
}

Test(verify, role_and_requester_come_from_this_host)
{
	struct jg_fleet_request r = request();
	struct signed_form q;
	struct jg_fleet_verdict v;

	strcpy(r.role, "db-admin");
	q = make_request(&r, "alice");
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_UNKNOWN_ROLE, "does not have");
	fleet__verdict_free(&v);

	r = request();
	strcpy(r.requester, "mallory");
	q = make_request(&r, "mallory");
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_NOT_REQUESTER, "may not request");
	fleet__verdict_free(&v);
}

Test(verify, times)
{
	struct jg_fleet_request r = request();
	struct signed_form q, d[2];
	struct jg_fleet_verdict v;

	r.created = NOW + 1000;				/* from the future */
	q = make_request(&r, "alice");
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_FUTURE, "ahead");
	fleet__verdict_free(&v);

	r.created = NOW - 7200;				/* undecided past its ttl */
	q = make_request(&r, "alice");
	refused(verify(&q, NULL, 0, &v), &v, JG_FR_TOO_OLD, "request_ttl");
	fleet__verdict_free(&v);

	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 7100, 0);
	d[1] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 3500, 0);	/* too late */
	refused(verify(&q, d, 2, &v), &v, JG_FR_TOO_OLD, "after role");
	fleet__verdict_free(&v);

	/* approved in time, long ago: its time is over, nothing starts */
	d[1] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 7000, 0);
	cr_assert_eq(verify(&q, d, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_ENDED);
	fleet__verdict_free(&v);

	/* a host back after an hour offline gets only the rest */
	r.created = NOW - 3000;
	q = make_request(&r, "alice");
	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 2900, 0);
	d[1] = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 2600, 0);
	cr_assert_eq(verify(&q, d, 2, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	cr_assert_eq(v.not_after - NOW, 100);
	fleet__verdict_free(&v);
}

/* NOW is Saturday 2026-12-05 08:00 UTC. */
Test(verify, the_role_schedule_of_this_host)
{
	struct jg_fleet_request r = request();
	struct signed_form q, d;
	struct jg_fleet_verdict v;

	strcpy(r.role, "weekdays");
	q = make_request(&r, "alice");
	d = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 300, 0);
	cr_assert_eq(verify(&q, &d, 1, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_PENDING);
	cr_assert(strstr(v.note, "outside its schedule"), "%s", v.note);
	fleet__verdict_free(&v);

	strcpy(r.role, "saturday");			/* open until 08:20: the grant ends then */
	q = make_request(&r, "alice");
	d = make_decision(&q, "carol", JG_FLEET_APPROVE, NOW - 300, 0);
	cr_assert_eq(verify(&q, &d, 1, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	cr_assert_eq(v.not_after, NOW + 20 * 60);
	fleet__verdict_free(&v);
}

Test(verify, deny_and_revoke)
{
	struct jg_fleet_request r = request();
	struct signed_form q = make_request(&r, "alice"), d[3], other;
	struct jg_fleet_verdict v;
	struct jg_fleet_signed s;
	enum jg_fleet_reason reason;
	char by[64];

	d[0] = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 500, 0);
	d[1] = make_decision(&q, "carol", JG_FLEET_DENY, NOW - 450, 0);
	d[2] = make_decision(&q, "dave", JG_FLEET_APPROVE, NOW - 400, JG_SK_USER_PRESENT);
	cr_assert_eq(verify(&q, d, 3, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_DENIED);
	cr_assert_str_eq(v.by, "carol");
	fleet__verdict_free(&v);

	/* a mallory "deny" is noise, not a denial */
	d[1] = make_decision(&q, "mallory", JG_FLEET_DENY, NOW - 450, 0);
	cr_assert_eq(verify(&q, d, 3, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_GRANT);
	cr_assert_eq(v.nrefused, 1);
	fleet__verdict_free(&v);

	/* revoke after the grant: the requester or an approver */
	d[1] = make_decision(&q, "alice", JG_FLEET_REVOKE, NOW - 100, 0);
	s = as_signed(&d[1]);
	cr_assert_eq(verify(&q, d, 3, &v), 0, "%s", err);
	cr_assert_eq(v.outcome, JG_FLEET_REVOKED);
	cr_assert_eq(fleet__verify_revoke(&host, &v.req, v.hash, &s, by, sizeof(by), &reason,
					  err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(by, "alice");

	other = make_decision(&q, "mallory", JG_FLEET_REVOKE, NOW - 100, 0);
	s = as_signed(&other);
	cr_assert_eq(fleet__verify_revoke(&host, &v.req, v.hash, &s, by, sizeof(by), &reason,
					  err, sizeof(err)), -EPERM);
	cr_assert_eq(reason, JG_FR_NOT_APPROVER);
	cr_assert(strstr(err, "may not revoke"), "%s", err);

	other = make_decision(&q, "bob", JG_FLEET_APPROVE, NOW - 100, 0);	/* not a revoke */
	s = as_signed(&other);
	cr_assert_neq(fleet__verify_revoke(&host, &v.req, v.hash, &s, by, sizeof(by), &reason,
					   err, sizeof(err)), 0);

	/* a revoke for another request */
	r = request();
	q = make_request(&r, "alice");
	other = make_decision(&q, "bob", JG_FLEET_REVOKE, NOW - 100, 0);
	s = as_signed(&other);
	cr_assert_eq(fleet__verify_revoke(&host, &v.req, v.hash, &s, by, sizeof(by), &reason,
					  err, sizeof(err)), -EPERM);
	cr_assert_eq(reason, JG_FR_WRONG_REQUEST);
	fleet__verdict_free(&v);
}

Test(verify, reason_names)
{
	cr_assert_str_eq(fleet__reason_name(JG_FR_TOO_LONG), "too_long");
	cr_assert_str_eq(fleet__reason_name(JG_FR_SELF_APPROVAL), "self_approval");
	cr_assert_str_eq(fleet__reason_name(99), "?");
}
