// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz harness: what a fleet store hands a host (docs/fleet.md). The first byte picks:
 *   s an armored SSH signature       k a signer list (allowed_signers lines)
 *   r a request's canonical bytes    d a decision's canonical bytes
 *   l labels or a selector           v a whole verdict: parts (FZ_SEP) request, its
 *                                      signature, then decision and signature pairs
 * Another first byte picks by its value modulo the count. Invariants: a refusal has one
 * sentence; what parses dumps back to the same bytes; a label set selects itself; a verdict
 * is either a refusal with a reason or an outcome without one. The verdict uses a fixed
 * policy, signer list and clock. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include "fuzz.h"
#include "fleet/fleet.h"
#include "fleet/signers.h"
#include "fleet/sshsig.h"
#include "policy/policy.h"

#define NOW 1796457700LL

static const char policy_text[] =
	"{\"version\": 1,"
	" \"resources\": {\"prod-secrets\": {\"files\": [\"/srv/prod/secrets\"]}},"
	" \"roles\": {\"db-debug\": {\"allow\": {\"prod-secrets\": [\"read\"]},"
	"   \"requesters\": [\"user:alice\"], \"approvers\": [\"user:bob\", \"user:alice\"],"
	"   \"approvals\": 1, \"max_duration\": \"2h\"}}}";

/* The seed keys (ed25519), whose signatures are in the corpus (seed-v-*): made with
 * ssh-keygen -t ed25519, their private halves thrown away. New seeds need new keys here. */
static const char signers_text[] =
	"alice ssh-ed25519 "
	"AAAAC3NzaC1lZDI1NTE5AAAAIM5VT8mFmYDiC9awVSkv3ALZ8mHPG/tPRzDA7BuJaOps alice\n"
	"bob ssh-ed25519 "
	"AAAAC3NzaC1lZDI1NTE5AAAAINvlzSiXpbmWngKI5fDoUXVx2w2MYiEcDhLdCllktKed bob\n";

static void sentence(int ret, const char *err, const char *what)
{
	if (ret && (!err[0] || strchr(err, '\n')))
		fz_fail("%s refused (%d) without one sentence: \"%s\"", what, ret, err);
}

static void one_sig(const char *s)
{
	struct jg_sshsig sig;
	char err[512] = "";
	int ret = sshsig__parse(s, strlen(s), &sig, err, sizeof(err));

	sentence(ret, err, "signature");
	if (ret)
		return;
	err[0] = '\0';
	ret = sshsig__verify(&sig, JG_SSHSIG_NAMESPACE, s, strlen(s), JG_SK_USER_VERIFIED, err,
			     sizeof(err));
	sentence(ret, err, "verify");
}

static void one_signers(const char *s)
{
	struct jg_signers *list = NULL;
	char err[512] = "";
	int ret = signers__parse(s, strlen(s), "f", &list, err, sizeof(err));

	sentence(ret, err, "signer list");
	for (size_t i = 0; !ret && i < list->n; i++) {
		struct jg_sshkey k;

		if (sshkey__from_blob(list->v[i].key.blob, list->v[i].key.bloblen, &k, err,
				      sizeof(err)) || signers__find(list, &k) != &list->v[i])
			fz_fail("listed key %zu does not parse back to itself", i);
	}
	signers__free(list);
}

static void one_request(const char *s)
{
	struct jg_fleet_request r;
	char err[512] = "", *again = NULL;
	size_t len;
	int ret = fleet__request_parse(s, strlen(s), &r, err, sizeof(err));

	sentence(ret, err, "request");
	if (ret)
		return;
	if (fleet__request_canon(&r, &again, &len, err, sizeof(err)) || strcmp(again, s))
		fz_fail("request parses but does not dump back to its bytes (%s)", err);
	for (size_t i = 0; i < r.nhosts; i++)
		if (!fleet__request_names(&r, r.hosts[i]))
			fz_fail("host %s of the list is not found in it", r.hosts[i]);
	free(again);
	fleet__request_free(&r);
}

static void one_decision(const char *s)
{
	struct jg_fleet_decision d;
	char err[512] = "", *again = NULL;
	size_t len;
	int ret = fleet__decision_parse(s, strlen(s), &d, err, sizeof(err));

	sentence(ret, err, "decision");
	if (ret)
		return;
	if (fleet__decision_canon(&d, &again, &len, err, sizeof(err)) || strcmp(again, s))
		fz_fail("decision parses but does not dump back to its bytes (%s)", err);
	free(again);
}

static void one_labels(const char *s)
{
	char err[512] = "";
	int ret = fleet__labels_check(s, "labels", err, sizeof(err));

	sentence(ret, err, "labels");
	if (!ret && !strstr(s, "host=") && !fleet__selector_holds(s, s, "h"))
		fz_fail("labels \"%s\" do not select themselves", s);
}

static struct jg_policy *pol;
static struct jg_signers *signers;

static void one_verdict(char *s)
{
	struct jg_fleet_signed req, dec[FZ_MAX_PARTS / 2];
	struct jg_fleet_host h = { .name = "db1", .labels = "env=prod,role=db", .now = NOW };
	struct jg_fleet_verdict v;
	char *parts[FZ_MAX_PARTS], err[512] = "";
	size_t n = fz_split(s, parts), nd = 0;
	int ret;

	if (!pol && policy__load_string(policy_text, NULL, &pol, err, sizeof(err)))
		fz_fail("the harness's policy: %s", err);
	if (!signers && signers__parse(signers_text, strlen(signers_text), "signers", &signers,
				       err, sizeof(err)))
		fz_fail("the harness's signers: %s", err);
	h.policy = pol;
	h.signers = signers;
	req = (struct jg_fleet_signed){ parts[0], strlen(parts[0]), n > 1 ? parts[1] : "",
					n > 1 ? strlen(parts[1]) : 0 };
	for (size_t i = 2; i + 1 < n; i += 2, nd++)
		dec[nd] = (struct jg_fleet_signed){ parts[i], strlen(parts[i]), parts[i + 1],
						    strlen(parts[i + 1]) };
	ret = fleet__verify_request(&h, &req, dec, nd, &v, err, sizeof(err));
	sentence(ret, err, "request");
	if (ret ? v.reason == JG_FR_NONE : v.reason != JG_FR_NONE || !v.outcome)
		fz_fail("verdict %d with reason %s and outcome %d", ret,
			fleet__reason_name(v.reason), v.outcome);
	if (!ret && v.outcome == JG_FLEET_GRANT &&
	    (v.approvals < v.needed || v.not_after <= NOW || v.req.duration > 7200))
		fz_fail("a grant with %u of %u approvals until %lld", v.approvals, v.needed,
			(long long)v.not_after);
	for (size_t i = 0; i < v.nrejected; i++)
		if (!v.rejected[i].error[0] || v.rejected[i].reason == JG_FR_NONE)
			fz_fail("a refused decision without a reason or sentence");
	fleet__verdict_free(&v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char picks[] = "skrdlv";
	const char *k;
	char *s;
	int pick;

	if (size < 1 || size > 65536)
		return 0;
	k = memchr(picks, data[0], sizeof(picks) - 1);
	pick = k ? (int)(k - picks) : data[0] % (int)(sizeof(picks) - 1);
	s = fz_str(data + 1, size - 1);
	switch (picks[pick]) {
	case 's': one_sig(s); break;
	case 'k': one_signers(s); break;
	case 'r': one_request(s); break;
	case 'd': one_decision(s); break;
	case 'l': one_labels(s); break;
	case 'v': one_verdict(s); break;
	}
	free(s);
	return 0;
}
