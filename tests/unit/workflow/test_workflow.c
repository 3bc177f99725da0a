// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The access-request state machine: who may ask, who may decide, how many approvals, expiry,
 * schedules and auto-approval, ids and the REQUEST object. Group membership is faked through
 * the jg_who callback; time is a parameter. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/policy.h"
#include "workflow/workflow.h"
#include "../members.h"

#define NS 1000000000LL

/* ---- identities ---- */

static const struct member members[] = {
	{ 1000, "sre" },	/* alice */
	{ 1001, "leads" },	/* bob */
	{ 1002, "leads" },	/* carol */
	{ 1004, "sre" },	/* erin */
	{ 1004, "oncall" },
	{ 1006, "sre" },	/* lena: requester and approver */
	{ 1006, "leads" },
	{ 0, NULL },
};

static const struct jg_who alice = WHO(1000, "alice");
static const struct jg_who bob = WHO(1001, "bob");
static const struct jg_who carol = WHO(1002, "carol");
static const struct jg_who dave = WHO(1003, "dave");	/* in no group */
static const struct jg_who erin = WHO(1004, "erin");
static const struct jg_who frank = WHO(1005, "frank");	/* named as uid:1005 */
static const struct jg_who lena = WHO(1006, "lena");
static const struct jg_who zoe = WHO(1007, "zoe");	/* named as user:zoe */

/* ---- time ---- */

/* UTC wall time in ns. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi };

	return (int64_t)timegm(&tm) * NS;
}

/* 2026-11-23 is a Monday. */
#define MON_10 utc(2026, 11, 23, 10, 0)

/* ---- the policy ---- */

#define ROLE_BASE \
	"\"allow\": { \"data\": [\"read\"] }, " \
	"\"requesters\": [\"group:sre\", \"uid:1005\", \"user:zoe\"], "

static const char policy_text[] =
	"{ \"version\": 1,\n"
	"  \"resources\": { \"data\": { \"files\": [\"/srv/data\"] } },\n"
	"  \"roles\": {\n"
	"    \"plain\": { " ROLE_BASE "\"approvers\": [\"group:leads\"],\n"
	"      \"default_duration\": \"30m\", \"max_duration\": \"2h\", \"request_ttl\": \"1h\" },\n"
	"    \"two\": { " ROLE_BASE "\"approvers\": [\"group:leads\"], \"approvals\": 2 },\n"
	"    \"noreason\": { " ROLE_BASE "\"approvers\": [\"group:leads\"],"
	" \"require_reason\": false },\n"
	"    \"auto\": { " ROLE_BASE "\"auto_approve\": { \"who\": [\"group:oncall\"] } },\n"
	"    \"autosched\": { " ROLE_BASE "\"approvers\": [\"group:leads\"],\n"
	"      \"auto_approve\": { \"who\": [\"group:oncall\"], \"schedule\": { \"timezone\": \"UTC\","
	" \"windows\": [\"Sat 10:00-12:00\"] } } },\n"
	"    \"sched\": { " ROLE_BASE "\"approvers\": [\"group:leads\"], \"max_duration\": \"8h\","
	" \"default_duration\": \"4h\",\n"
	"      \"schedule\": { \"timezone\": \"UTC\", \"windows\": [\"Mon-Fri 09:00-17:00\"] } },\n"
	"    \"berlin\": { " ROLE_BASE "\"approvers\": [\"group:leads\"], \"max_duration\": \"8h\",\n"
	"      \"schedule\": { \"timezone\": \"Europe/Berlin\", \"windows\": [\"Sun 01:00-05:00\"] } }\n"
	"  }\n"
	"}\n";

static struct jg_policy *pol;
static char err[1024];

static void setup(void)
{
	char perr[512];

	cr_assert_eq(policy__load_string(policy_text, "t.json", &pol, perr, sizeof(perr)), 0,
		     "%s", perr);
}

static void teardown(void)
{
	policy__free(pol);
	pol = NULL;
}

static const struct jg_role *role(const char *name)
{
	const struct jg_role *r = policy__role(pol, name);

	cr_assert(r, "no role %s", name);
	return r;
}

/* A pending request of who for role at now (must succeed), with id 7. */
static struct jg_request req(const char *rname, const struct jg_who *who, int64_t now)
{
	struct jg_request q;
	bool clamped;
	int ret = wf__new(&q, role(rname), who, "INC-1 slow queries", 0, now, &clamped, err,
			  sizeof(err));

	cr_assert_eq(ret, 0, "wf__new: %d %s", ret, err);
	q.id = 7;
	return q;
}

TestSuite(workflow, .init = setup, .fini = teardown);

/* ---- wf__new ---- */

/* wf__new into the test's q, clamped and err: who asks role r for want_s seconds at now */
#define ASK(r, who, reason, want_s, now) \
	wf__new(&q, (r), (who), (reason), (want_s), (now), &clamped, err, sizeof(err))
/* wf__grant_seconds of the test's q into its secs and err */
#define SECS(r, now) wf__grant_seconds(&q, (r), (now), &secs, err, sizeof(err))

Test(workflow, requesters_by_user_uid_and_group)
{
	struct jg_request q;
	bool clamped;

	cr_assert_eq(ASK(role("plain"), &alice, "x", 0, MON_10), 0, "%s", err);	/* group:sre */
	cr_assert_eq(ASK(role("plain"), &frank, "x", 0, MON_10), 0, "%s", err);	/* uid:1005 */
	cr_assert_eq(ASK(role("plain"), &zoe, "x", 0, MON_10), 0, "%s", err);	/* user:zoe */
	cr_assert_eq(ASK(role("plain"), &dave, "x", 0, MON_10), -EPERM);
	cr_assert(strstr(err, "not a requester"), "%s", err);
	/* an approver is not a requester by being an approver */
	cr_assert_eq(ASK(role("plain"), &bob, "x", 0, MON_10), -EPERM);
	/* a user:NAME subject does not match another name with the same uid */
	struct jg_who fake = WHO(1007, "zoey");

	cr_assert_eq(ASK(role("plain"), &fake, "x", 0, MON_10), -EPERM);
}

Test(workflow, new_request_fields)
{
	struct jg_request q;
	bool clamped = true;

	memset(&q, 0xaa, sizeof(q));
	cr_assert_eq(ASK(role("plain"), &alice, "INC-1", 0, MON_10), 0, "%s", err);
	cr_assert_eq(q.id, 0);
	cr_assert_str_eq(q.role, "plain");
	cr_assert_eq(q.uid, 1000);
	cr_assert_str_eq(q.user, "alice");
	cr_assert_str_eq(q.reason, "INC-1");
	cr_assert_eq(q.state, JG_REQ_PENDING);
	cr_assert_eq(q.created_ns, MON_10);
	cr_assert_eq(q.expires_ns, MON_10 + 3600 * NS);
	cr_assert_eq(q.decided_ns, 0);
	cr_assert_eq(q.ndecisions, 0);
	cr_assert_eq(q.grant_id, 0);
	cr_assert_eq(q.extends, 0);
	cr_assert_not(q.auto_approved);
	cr_assert_not(q.mfa);
	cr_assert_str_eq(q.note, "");
	cr_assert_not(clamped);
}

Test(workflow, reason_required_and_bounded)
{
	struct jg_request q;
	bool clamped;
	char longr[JG_REASON_LEN + 1];

	cr_assert_eq(ASK(role("plain"), &alice, "", 0, MON_10), -EINVAL);
	cr_assert(strstr(err, "requires a reason"), "%s", err);
	cr_assert_eq(ASK(role("plain"), &alice, NULL, 0, MON_10), -EINVAL);
	/* a role that does not require one */
	cr_assert_eq(ASK(role("noreason"), &alice, NULL, 0, MON_10), 0, "%s", err);
	cr_assert_str_eq(q.reason, "");

	/* JG_REASON_LEN - 1 bytes fit, JG_REASON_LEN do not */
	memset(longr, 'a', sizeof(longr));
	longr[JG_REASON_LEN - 1] = '\0';
	cr_assert_eq(ASK(role("plain"), &alice, longr, 0, MON_10), 0, "%s", err);
	cr_assert_eq(strlen(q.reason), JG_REASON_LEN - 1);
	longr[JG_REASON_LEN - 1] = 'a';
	longr[JG_REASON_LEN] = '\0';
	cr_assert_eq(ASK(role("plain"), &alice, longr, 0, MON_10), -EINVAL);
	cr_assert(strstr(err, "longer than"), "%s", err);
}

Test(workflow, durations_default_and_clamped)
{
	struct jg_request q;
	bool clamped;

	cr_assert_eq(ASK(role("plain"), &alice, "x", 0, MON_10), 0);
	cr_assert_eq(q.duration_s, 30 * 60);
	cr_assert_not(clamped);
	cr_assert_eq(ASK(role("plain"), &alice, "x", 90 * 60, MON_10), 0);
	cr_assert_eq(q.duration_s, 90 * 60);
	cr_assert_not(clamped);
	cr_assert_eq(ASK(role("plain"), &alice, "x", 2 * 3600, MON_10), 0);
	cr_assert_eq(q.duration_s, 2 * 3600);
	cr_assert_not(clamped);
	cr_assert_eq(ASK(role("plain"), &alice, "x", 2 * 3600 + 1, MON_10), 0);
	cr_assert_eq(q.duration_s, 2 * 3600);
	cr_assert(clamped);
	/* the policy defaults: 1 h, at most 8 h, ttl 1 h */
	cr_assert_eq(ASK(role("two"), &alice, "x", 0, MON_10), 0);
	cr_assert_eq(q.duration_s, 3600);
	cr_assert_eq(q.expires_ns, MON_10 + 3600 * NS);
	cr_assert_eq(ASK(role("two"), &alice, "x", 9 * 3600, MON_10), 0);
	cr_assert_eq(q.duration_s, 8 * 3600);
	cr_assert(clamped);
}

Test(workflow, approvals_needed_from_role)
{
	cr_assert_eq(req("plain", &alice, MON_10).approvals_needed, 1);
	cr_assert_eq(req("two", &alice, MON_10).approvals_needed, 2);
}

Test(workflow, nobody_could_decide)
{
	struct jg_request q;
	bool clamped;

	/* "auto" has no approvers: only oncall members can ask */
	cr_assert_eq(ASK(role("auto"), &alice, "x", 0, MON_10), -EPERM);
	cr_assert(strstr(err, "nobody could decide"), "%s", err);
	cr_assert_eq(ASK(role("auto"), &erin, "x", 0, MON_10), 0, "%s", err);
}

/* ---- deciding ---- */

Test(workflow, approve_one)
{
	struct jg_request q = req("plain", &alice, MON_10);

	cr_assert(wf__can_decide(&q, role("plain"), &bob, MON_10 + NS));
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, "ok", MON_10 + NS, err, sizeof(err)),
		     1, "%s", err);
	cr_assert_eq(wf__approvals(&q), 1);
	cr_assert_eq(q.ndecisions, 1);
	cr_assert_eq(q.decisions[0].uid, 1001);
	cr_assert_str_eq(q.decisions[0].user, "bob");
	cr_assert(q.decisions[0].approve);
	cr_assert_str_eq(q.decisions[0].reason, "ok");
	cr_assert_eq(q.decisions[0].time_ns, MON_10 + NS);
	/* still pending until the caller has the grant */
	cr_assert_eq(q.state, JG_REQ_PENDING);
	wf__set_approved(&q, 4, false, MON_10 + 2 * NS);
	cr_assert_eq(q.state, JG_REQ_APPROVED);
	cr_assert_eq(q.grant_id, 4);
	cr_assert_eq(q.decided_ns, MON_10 + 2 * NS);
	cr_assert_eq(wf__approve(&q, role("plain"), &carol, NULL, MON_10 + 3 * NS, err,
				 sizeof(err)), -EALREADY);
	cr_assert_not(wf__can_decide(&q, role("plain"), &carol, MON_10 + 3 * NS));
}

Test(workflow, no_self_approval)
{
	struct jg_request q = req("plain", &lena, MON_10);

	cr_assert_not(wf__can_decide(&q, role("plain"), &lena, MON_10));
	cr_assert_eq(wf__approve(&q, role("plain"), &lena, NULL, MON_10, err, sizeof(err)),
		     -EPERM);
	cr_assert(strstr(err, "own request"), "%s", err);
	cr_assert_eq(wf__deny(&q, role("plain"), &lena, "no", MON_10, err, sizeof(err)), -EPERM);
	cr_assert_eq(q.ndecisions, 0);
	cr_assert_eq(q.state, JG_REQ_PENDING);
	/* another approver still can */
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, NULL, MON_10, err, sizeof(err)), 1);
}

Test(workflow, non_approver)
{
	struct jg_request q = req("plain", &alice, MON_10);

	cr_assert_not(wf__can_decide(&q, role("plain"), &dave, MON_10));
	cr_assert_eq(wf__approve(&q, role("plain"), &dave, NULL, MON_10, err, sizeof(err)),
		     -EPERM);
	cr_assert(strstr(err, "not an approver"), "%s", err);
	cr_assert_eq(wf__deny(&q, role("plain"), &erin, "no", MON_10, err, sizeof(err)), -EPERM);
	cr_assert_eq(q.ndecisions, 0);
}

Test(workflow, two_distinct_approvers)
{
	struct jg_request q = req("two", &alice, MON_10);

	cr_assert_eq(wf__approve(&q, role("two"), &bob, NULL, MON_10 + NS, err, sizeof(err)), 0,
		     "%s", err);
	cr_assert_eq(q.state, JG_REQ_PENDING);
	/* bob again: not a second approval */
	cr_assert_not(wf__can_decide(&q, role("two"), &bob, MON_10 + 2 * NS));
	cr_assert_eq(wf__approve(&q, role("two"), &bob, NULL, MON_10 + 2 * NS, err, sizeof(err)),
		     -EALREADY);
	cr_assert(strstr(err, "distinct"), "%s", err);
	cr_assert_eq(wf__approvals(&q), 1);
	cr_assert_eq(q.ndecisions, 1);
	/* nor can bob deny after approving */
	cr_assert_eq(wf__deny(&q, role("two"), &bob, "changed my mind", MON_10 + 2 * NS, err,
			      sizeof(err)), -EALREADY);
	cr_assert(wf__can_decide(&q, role("two"), &carol, MON_10 + 3 * NS));
	cr_assert_eq(wf__approve(&q, role("two"), &carol, NULL, MON_10 + 3 * NS, err,
				 sizeof(err)), 1, "%s", err);
	cr_assert_eq(wf__approvals(&q), 2);
}

Test(workflow, one_deny_ends_it)
{
	struct jg_request q = req("two", &alice, MON_10);

	cr_assert_eq(wf__approve(&q, role("two"), &bob, NULL, MON_10, err, sizeof(err)), 0);
	cr_assert_eq(wf__deny(&q, role("two"), &carol, NULL, MON_10 + NS, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "reason"), "%s", err);
	cr_assert_eq(wf__deny(&q, role("two"), &carol, "", MON_10 + NS, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(q.state, JG_REQ_PENDING);
	cr_assert_eq(wf__deny(&q, role("two"), &carol, "freeze", MON_10 + NS, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(q.state, JG_REQ_DENIED);
	cr_assert_eq(q.decided_ns, MON_10 + NS);
	cr_assert_eq(q.ndecisions, 2);
	cr_assert_not(q.decisions[1].approve);
	cr_assert_str_eq(q.decisions[1].reason, "freeze");
	cr_assert_eq(wf__approvals(&q), 1);
	cr_assert_eq(wf__approve(&q, role("two"), &lena, NULL, MON_10 + 2 * NS, err, sizeof(err)),
		     -EALREADY);
	cr_assert(strstr(err, "denied"), "%s", err);
	cr_assert_not(wf__can_decide(&q, role("two"), &lena, MON_10 + 2 * NS));
}

Test(workflow, decision_reason_too_long)
{
	struct jg_request q = req("plain", &alice, MON_10);
	char longr[JG_REASON_LEN + 1];

	memset(longr, 'a', JG_REASON_LEN);
	longr[JG_REASON_LEN] = '\0';
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, longr, MON_10, err, sizeof(err)),
		     -EINVAL);
	cr_assert_eq(q.ndecisions, 0);
	cr_assert_eq(wf__deny(&q, role("plain"), &bob, longr, MON_10, err, sizeof(err)), -EINVAL);
	cr_assert_eq(q.state, JG_REQ_PENDING);
}

Test(workflow, cancel)
{
	struct jg_request q = req("plain", &alice, MON_10);

	cr_assert_eq(wf__cancel(&q, &bob, false, NULL, MON_10, err, sizeof(err)), -EPERM);
	cr_assert(strstr(err, "alice"), "%s", err);
	cr_assert_eq(q.state, JG_REQ_PENDING);
	cr_assert_eq(wf__cancel(&q, &alice, false, "not needed", MON_10 + NS, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(q.state, JG_REQ_CANCELLED);
	cr_assert_eq(q.decided_ns, MON_10 + NS);
	cr_assert_str_eq(q.note, "not needed");
	cr_assert_eq(wf__cancel(&q, &alice, false, NULL, MON_10 + NS, err, sizeof(err)),
		     -EALREADY);
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, NULL, MON_10 + NS, err, sizeof(err)),
		     -EALREADY);

	/* an admin may cancel anyone's */
	q = req("plain", &alice, MON_10);
	cr_assert_eq(wf__cancel(&q, &dave, true, NULL, MON_10, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(q.state, JG_REQ_CANCELLED);
	cr_assert_str_eq(q.note, "");

	/* the daemon itself (no person) */
	q = req("plain", &alice, MON_10);
	cr_assert_eq(wf__cancel(&q, NULL, false, "grant ended", MON_10, err, sizeof(err)), 0);
	cr_assert_eq(q.state, JG_REQ_CANCELLED);
}

Test(workflow, expiry_after_ttl)
{
	struct jg_request q = req("plain", &alice, MON_10);
	int64_t ttl_end = MON_10 + 3600 * NS;

	cr_assert_not(wf__expire(&q, ttl_end - 1));
	cr_assert_eq(q.state, JG_REQ_PENDING);
	cr_assert(wf__can_decide(&q, role("plain"), &bob, ttl_end - 1));
	cr_assert_not(wf__can_decide(&q, role("plain"), &bob, ttl_end));
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, NULL, ttl_end, err, sizeof(err)),
		     -ETIMEDOUT);
	cr_assert(strstr(err, "expired"), "%s", err);
	cr_assert_eq(wf__deny(&q, role("plain"), &bob, "late", ttl_end, err, sizeof(err)),
		     -ETIMEDOUT);
	cr_assert_eq(q.ndecisions, 0);
	cr_assert_eq(q.state, JG_REQ_PENDING);
	cr_assert(wf__expire(&q, ttl_end));
	cr_assert_eq(q.state, JG_REQ_EXPIRED);
	cr_assert_eq(q.decided_ns, ttl_end);
	cr_assert_not(wf__expire(&q, ttl_end + NS));	/* once */
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, NULL, ttl_end, err, sizeof(err)),
		     -EALREADY);

	/* decided requests never expire */
	q = req("plain", &alice, MON_10);
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, NULL, MON_10, err, sizeof(err)), 1);
	wf__set_approved(&q, 1, false, MON_10);
	cr_assert_not(wf__expire(&q, ttl_end + NS));
	cr_assert_eq(q.state, JG_REQ_APPROVED);
}

Test(workflow, can_decide_without_role)
{
	struct jg_request q = req("plain", &alice, MON_10);

	/* the role is gone from the policy */
	cr_assert_not(wf__can_decide(&q, NULL, &bob, MON_10));
}

Test(workflow, failed)
{
	struct jg_request q = req("plain", &alice, MON_10);

	wf__set_failed(&q, "grant map full", MON_10 + NS);
	cr_assert_eq(q.state, JG_REQ_FAILED);
	cr_assert_str_eq(q.note, "grant map full");
	cr_assert_eq(q.decided_ns, MON_10 + NS);
}

/* ---- auto-approval and schedules ---- */

Test(workflow, auto_approve_without_schedule)
{
	cr_assert(wf__auto_approves(role("auto"), &erin, MON_10));
	cr_assert(wf__auto_approves(role("auto"), &erin, utc(2026, 11, 22, 3, 0)));
	cr_assert_not(wf__auto_approves(role("auto"), &alice, MON_10));
	cr_assert_not(wf__auto_approves(role("plain"), &erin, MON_10));	/* no rule */
}

Test(workflow, auto_approve_with_schedule)
{
	int64_t sat_11 = utc(2026, 11, 28, 11, 0);

	cr_assert(wf__auto_approves(role("autosched"), &erin, sat_11));
	cr_assert(wf__auto_approves(role("autosched"), &erin, utc(2026, 11, 28, 10, 0)));
	cr_assert_not(wf__auto_approves(role("autosched"), &erin, utc(2026, 11, 28, 12, 0)));
	cr_assert_not(wf__auto_approves(role("autosched"), &erin, utc(2026, 11, 28, 9, 59)));
	cr_assert_not(wf__auto_approves(role("autosched"), &erin, MON_10));
	cr_assert_not(wf__auto_approves(role("autosched"), &alice, sat_11));
	/* outside the auto window the request still goes to the approvers */
	struct jg_request q = req("autosched", &erin, MON_10);

	cr_assert_eq(wf__approve(&q, role("autosched"), &bob, NULL, MON_10, err, sizeof(err)), 1);
}

Test(workflow, outside_schedule_refused)
{
	struct jg_request q;
	bool clamped;
	uint64_t secs = 42;
	int64_t sat = utc(2026, 11, 28, 10, 0);

	cr_assert_eq(ASK(role("sched"), &alice, "x", 0, sat), -EAGAIN);
	cr_assert(strstr(err, "Mon-Fri 09:00-17:00"), "%s", err);
	cr_assert(strstr(err, "next opening"), "%s", err);
	cr_assert(strstr(err, "2026-11-30 09:00"), "%s", err);
	/* before 09:00 and at 17:00 */
	cr_assert_eq(ASK(role("sched"), &alice, "x", 0, utc(2026, 11, 23, 8, 59)), -EAGAIN);
	cr_assert_eq(ASK(role("sched"), &alice, "x", 0, utc(2026, 11, 23, 17, 0)), -EAGAIN);

	/* made inside, activated outside */
	q = req("sched", &alice, utc(2026, 11, 23, 16, 50));
	cr_assert_eq(wf__approve(&q, role("sched"), &bob, NULL, utc(2026, 11, 23, 17, 5), err,
				 sizeof(err)), 1, "%s", err);
	cr_assert_eq(SECS(role("sched"), utc(2026, 11, 23, 17, 5)), -EAGAIN);
	cr_assert_eq(secs, 42);
	cr_assert(strstr(err, "next opening"), "%s", err);
}

Test(workflow, grant_seconds_clamped_to_window)
{
	struct jg_request q = req("sched", &alice, MON_10);	/* 4 h default */
	uint64_t secs;

	cr_assert_eq(q.duration_s, 4 * 3600);
	/* 10:00: the window runs till 17:00, the whole 4 h fit */
	cr_assert_eq(SECS(role("sched"), MON_10), 0, "%s", err);
	cr_assert_eq(secs, 4 * 3600);
	/* 15:30: 1.5 h left */
	cr_assert_eq(SECS(role("sched"), utc(2026, 11, 23, 15, 30)), 0);
	cr_assert_eq(secs, 90 * 60);
	/* a fraction of a second before the end: still a grant of at least 1 s */
	cr_assert_eq(SECS(role("sched"), utc(2026, 11, 23, 17, 0) - NS / 2), 0);
	cr_assert_geq(secs, 1);
	cr_assert_leq(secs, 1);
	/* a role without a schedule: the request's duration */
	q = req("plain", &alice, MON_10);
	cr_assert_eq(SECS(role("plain"), MON_10), 0);
	cr_assert_eq(secs, 30 * 60);
}

Test(workflow, grant_seconds_berlin_dst_spring)
{
	/* Sun 2026-03-29: clocks go from 02:00 CET to 03:00 CEST. The window Sun 01:00-05:00
	 * local is 00:00Z-03:00Z that day: three real hours. */
	struct jg_request q;
	bool clamped;
	uint64_t secs;
	int64_t now = utc(2026, 3, 29, 0, 30);	/* 01:30 CET */

	cr_assert_eq(ASK(role("berlin"), &alice, "x", 4 * 3600, now), 0, "%s", err);
	cr_assert_eq(SECS(role("berlin"), now), 0, "%s", err);
	cr_assert_eq(secs, 9000);		/* till 03:00Z = 05:00 CEST */
	/* before the window (00:30 CET) and after it (05:00 CEST) */
	cr_assert_eq(SECS(role("berlin"), utc(2026, 3, 28, 23, 30)), -EAGAIN);
	cr_assert_eq(SECS(role("berlin"), utc(2026, 3, 29, 3, 0)), -EAGAIN);
	cr_assert(strstr(err, "CEST"), "%s", err);
	/* 04:59 CEST */
	cr_assert_eq(SECS(role("berlin"), utc(2026, 3, 29, 2, 59)), 0);
	cr_assert_eq(secs, 60);
}

Test(workflow, grant_seconds_berlin_dst_autumn)
{
	/* Sun 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET. The window Sun
	 * 01:00-05:00 local is 2026-10-24T23:00Z-2026-10-25T04:00Z: five real hours. */
	struct jg_request q;
	bool clamped;
	uint64_t secs;
	int64_t now = utc(2026, 10, 24, 23, 30);	/* 01:30 CEST */

	cr_assert_eq(ASK(role("berlin"), &alice, "x", 8 * 3600, now), 0, "%s", err);
	cr_assert_eq(SECS(role("berlin"), now), 0, "%s", err);
	cr_assert_eq(secs, 16200);		/* till 04:00Z = 05:00 CET */
	cr_assert_eq(SECS(role("berlin"), utc(2026, 10, 24, 22, 59)), -EAGAIN);	/* 00:59 CEST */
}

/* ---- ids and states ---- */

Test(workflow, ids)
{
	uint64_t id = 99;
	char buf[32];

	cr_assert_eq(wf__parse_id("r-1", &id), 0);
	cr_assert_eq(id, 1);
	cr_assert_str_eq(wf__format_id(1, buf, sizeof(buf)), "r-1");
	cr_assert_eq(wf__parse_id(wf__format_id(123456789012ULL, buf, sizeof(buf)), &id), 0);
	cr_assert_eq(id, 123456789012ULL);
	id = 99;
	cr_assert_eq(wf__parse_id("r-0", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("r-", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("r--1", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("r-+1", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("r-01", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("r-1x", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("r-1 ", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("g-1", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("1", &id), -EINVAL);
	cr_assert_eq(wf__parse_id("", &id), -EINVAL);
	cr_assert_eq(wf__parse_id(NULL, &id), -EINVAL);
	cr_assert_eq(wf__parse_id("r-99999999999999999999999", &id), -EINVAL);
	cr_assert_eq(id, 99);
}

Test(workflow, state_names)
{
	enum jg_req_state s;
	const char *names[] = { "pending", "approved", "denied", "cancelled", "expired",
				"failed" };

	for (int i = JG_REQ_PENDING; i <= JG_REQ_FAILED; i++) {
		cr_assert_str_eq(wf__state_name((enum jg_req_state)i), names[i]);
		cr_assert_eq(wf__state_from_name(names[i], &s), 0);
		cr_assert_eq(s, (enum jg_req_state)i);
	}
	cr_assert_eq(wf__state_from_name("Pending", &s), -EINVAL);
	cr_assert_str_eq(wf__state_name((enum jg_req_state)42), "?");
}

/* ---- the REQUEST object ---- */

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "%s is not a string", key);
	return json_string_value(v);
}

Test(workflow, request_json_pending)
{
	struct jg_request q = req("two", &alice, MON_10);
	json_t *o;

	q.id = 3;
	q.mfa = true;
	o = wf__request_json(&q, true);
	cr_assert_str_eq(jstr(o, "id"), "r-3");
	cr_assert_str_eq(jstr(o, "role"), "two");
	cr_assert_str_eq(jstr(o, "user"), "alice");
	cr_assert_eq(json_integer_value(json_object_get(o, "uid")), 1000);
	cr_assert_str_eq(jstr(o, "reason"), "INC-1 slow queries");
	cr_assert_eq(json_integer_value(json_object_get(o, "duration_s")), 3600);
	cr_assert_str_eq(jstr(o, "state"), "pending");
	cr_assert_str_eq(jstr(o, "created"), "2026-11-23T10:00:00.000000000Z");
	cr_assert_str_eq(jstr(o, "expires"), "2026-11-23T11:00:00.000000000Z");
	cr_assert_eq(json_integer_value(json_object_get(o, "approvals_needed")), 2);
	cr_assert(json_is_array(json_object_get(o, "approvals")));
	cr_assert_eq(json_array_size(json_object_get(o, "approvals")), 0);
	cr_assert(json_is_false(json_object_get(o, "auto_approved")));
	cr_assert(json_is_true(json_object_get(o, "mfa")));
	cr_assert(json_is_true(json_object_get(o, "can_decide")));
	/* only when they apply */
	cr_assert_null(json_object_get(o, "denied_by"));
	cr_assert_null(json_object_get(o, "decided"));
	cr_assert_null(json_object_get(o, "grant_id"));
	cr_assert_null(json_object_get(o, "extends"));
	cr_assert_null(json_object_get(o, "note"));
	json_decref(o);
}

Test(workflow, request_json_approvals_and_deny)
{
	struct jg_request q = req("two", &alice, MON_10);
	json_t *o, *a;

	q.id = 3;
	q.extends = 2;
	cr_assert_eq(wf__approve(&q, role("two"), &bob, "ok", MON_10 + NS, err, sizeof(err)), 0);
	o = wf__request_json(&q, false);
	a = json_object_get(o, "approvals");
	cr_assert_eq(json_array_size(a), 1);
	cr_assert_str_eq(jstr(json_array_get(a, 0), "user"), "bob");
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(a, 0), "uid")), 1001);
	cr_assert_str_eq(jstr(json_array_get(a, 0), "time"), "2026-11-23T10:00:01.000000000Z");
	cr_assert_str_eq(jstr(json_array_get(a, 0), "reason"), "ok");
	cr_assert_null(json_object_get(o, "denied_by"));
	cr_assert_str_eq(jstr(o, "extends"), "g-2");
	cr_assert(json_is_false(json_object_get(o, "can_decide")));
	json_decref(o);

	cr_assert_eq(wf__deny(&q, role("two"), &carol, "freeze", MON_10 + 2 * NS, err,
			      sizeof(err)), 0);
	o = wf__request_json(&q, false);
	cr_assert_str_eq(jstr(o, "state"), "denied");
	cr_assert_eq(json_array_size(json_object_get(o, "approvals")), 1);
	a = json_object_get(o, "denied_by");
	cr_assert(json_is_object(a));
	cr_assert_str_eq(jstr(a, "user"), "carol");
	cr_assert_eq(json_integer_value(json_object_get(a, "uid")), 1002);
	cr_assert_str_eq(jstr(a, "reason"), "freeze");
	cr_assert_str_eq(jstr(a, "time"), "2026-11-23T10:00:02.000000000Z");
	cr_assert_str_eq(jstr(o, "decided"), "2026-11-23T10:00:02.000000000Z");
	json_decref(o);
}

Test(workflow, request_json_approved)
{
	struct jg_request q = req("plain", &alice, MON_10);
	json_t *o, *a;

	q.id = 5;
	cr_assert_eq(wf__approve(&q, role("plain"), &bob, NULL, MON_10, err, sizeof(err)), 1);
	wf__set_approved(&q, 4, false, MON_10 + NS);
	o = wf__request_json(&q, false);
	cr_assert_str_eq(jstr(o, "state"), "approved");
	cr_assert_str_eq(jstr(o, "grant_id"), "g-4");
	cr_assert_str_eq(jstr(o, "decided"), "2026-11-23T10:00:01.000000000Z");
	a = json_array_get(json_object_get(o, "approvals"), 0);
	cr_assert_null(json_object_get(a, "reason"));	/* none given */
	cr_assert_null(json_object_get(o, "denied_by"));
	json_decref(o);

	/* by policy */
	q = req("auto", &erin, MON_10);
	wf__set_approved(&q, 9, true, MON_10);
	o = wf__request_json(&q, false);
	cr_assert(json_is_true(json_object_get(o, "auto_approved")));
	cr_assert_eq(json_array_size(json_object_get(o, "approvals")), 0);
	json_decref(o);

	/* a cancelled one carries its note */
	q = req("plain", &alice, MON_10);
	cr_assert_eq(wf__cancel(&q, &alice, false, "done already", MON_10, err, sizeof(err)), 0);
	o = wf__request_json(&q, false);
	cr_assert_str_eq(jstr(o, "state"), "cancelled");
	cr_assert_str_eq(jstr(o, "note"), "done already");
	json_decref(o);
}

/* ---- free text, limits and refusals ---- */

Test(workflow, control_characters_refused)
{
	struct jg_request q;
	bool clamped;
	static const char *const bad[] = {
		"INC-1\nfake line", "INC-1 \x1b[31mred", "\rINC", "bell\a", "del\x7f",
		"csi \xc2\x9b" "31m", "nel \xc2\x85",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(ASK(role("plain"), &alice, bad[i], 0, MON_10), -EINVAL, "%zu", i);
		cr_assert(strstr(err, "control character"), "%s", err);
	}
	cr_assert_eq(wf__check_text("a\x1b", 100, "the reason", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "(U+001B) at byte 2"), "%s", err);
	cr_assert_eq(wf__check_text("x \xc2\x9b", 100, "the reason", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "(U+009B) at byte 3"), "%s", err);
	/* a tab, and UTF-8 text beyond the C1 range, are fine */
	cr_assert_eq(ASK(role("plain"), &alice, "INC-1\tStra\xc3\x9f" "e \xe2\x82\xac", 0, MON_10),
		     0, "%s", err);
	/* a deny reason too */
	q = req("plain", &alice, MON_10);
	cr_assert_eq(wf__deny(&q, role("plain"), &bob, "no\nway", MON_10, err, sizeof(err)),
		     -EINVAL);
	cr_assert(strstr(err, "control character"), "%s", err);
	cr_assert_eq(q.ndecisions, 0);
	/* and the configurable length */
	cr_assert_eq(wf__check_text("12345", 4, "the reason", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "5 bytes, longer than the 4 allowed"), "%s", err);
	cr_assert_eq(wf__check_text("1234", 4, "the reason", err, sizeof(err)), 0);
	cr_assert_eq(wf__check_text(NULL, 4, "the reason", err, sizeof(err)), 0);
}

Test(workflow, limits)
{
	struct jg_req_limits l = { .max_pending = 5, .rate = 30, .rate_window_ns = 3600 * NS,
				   .reason_max = 100 };

	cr_assert_eq(wf__limits_check(&l, "alice", 4, 29, MON_10 - 600 * NS, MON_10, err,
				      sizeof(err)), 0);
	cr_assert_eq(wf__limits_check(&l, "alice", 5, 0, 0, MON_10, err, sizeof(err)), -EDQUOT);
	cr_assert(strstr(err, "alice has 5 pending requests, the most one user may have"), "%s",
		  err);
	cr_assert_eq(wf__limits_check(&l, "alice", 0, 30, MON_10 - 600 * NS, MON_10, err,
				      sizeof(err)), -EAGAIN);
	cr_assert(strstr(err, "alice filed 30 requests within 1h"), "%s", err);
	cr_assert(strstr(err, "2026-11-23T10:50:00"), "next = oldest + window: %s", err);
	l.rate = 0;		/* no rate limit */
	cr_assert_eq(wf__limits_check(&l, "alice", 0, 1000, MON_10, MON_10, err, sizeof(err)), 0);
}

struct flushed {
	struct jg_refusal s[8];
	size_t n;
};

static void keep(const struct jg_refusal *s, void *ctx)
{
	struct flushed *f = ctx;

	cr_assert_lt(f->n, 8);
	f->s[f->n++] = *s;
}

Test(workflow, refusals_summarised)
{
	static struct jg_refusals r;
	struct flushed f = { 0 };
	int64_t t = MON_10;

	memset(&r, 0, sizeof(r));
	/* the first is audited at once, the next 299 within the minute only counted */
	cr_assert(wf__refusal_note(&r, 1000, "alice", "EDQUOT", "too many", t));
	for (int i = 1; i < 300; i++)
		cr_assert_not(wf__refusal_note(&r, 1000, "alice", "EAGAIN", "rate", t + i * 100000000LL));
	cr_assert(wf__refusal_note(&r, 1001, "bob", "EINVAL", "x", t));
	cr_assert_eq(wf__refusals_flush(&r, t + 59 * NS, false, keep, &f), 0);
	/* the minute is over: one summary for alice with the count; bob (nothing counted) is
	 * forgotten */
	cr_assert_eq(wf__refusals_flush(&r, t + 60 * NS, false, keep, &f), 1);
	cr_assert_eq(f.s[0].uid, 1000);
	cr_assert_eq(f.s[0].count, 299);
	cr_assert_str_eq(f.s[0].code, "EAGAIN");
	cr_assert_eq(f.s[0].first_ns, t + 100000000LL);
	cr_assert_eq(f.s[0].last_ns, t + 299 * 100000000LL);
	cr_assert_eq(r.n, 1);
	/* alice goes on: still summarised (no new immediate record), one summary a minute */
	cr_assert_not(wf__refusal_note(&r, 1000, "alice", "EAGAIN", "rate", t + 61 * NS));
	cr_assert(wf__refusal_note(&r, 1001, "bob", "EINVAL", "x", t + 61 * NS));
	cr_assert_eq(wf__refusals_flush(&r, t + 120 * NS, false, keep, &f), 1);
	cr_assert_eq(f.s[1].count, 1);
	/* quiet for a minute: forgotten, so the next refusal is audited at once again */
	cr_assert_eq(wf__refusals_flush(&r, t + 181 * NS, false, keep, &f), 0);
	cr_assert_eq(r.n, 0);
	cr_assert(wf__refusal_note(&r, 1000, "alice", "EAGAIN", "rate", t + 182 * NS));
	cr_assert_not(wf__refusal_note(&r, 1000, "alice", "EAGAIN", "rate", t + 183 * NS));
	/* at shutdown whatever was counted goes out */
	cr_assert_eq(wf__refusals_flush(&r, t + 184 * NS, true, keep, &f), 1);
	cr_assert_eq(f.s[2].count, 1);
	cr_assert_eq(r.n, 0);
}

Test(workflow, refusals_table_full_audits_each)
{
	static struct jg_refusals r;

	memset(&r, 0, sizeof(r));
	for (uint32_t u = 0; u < JG_REFUSALS_MAX; u++)
		cr_assert(wf__refusal_note(&r, u, "u", "E", "e", MON_10));
	cr_assert(wf__refusal_note(&r, 99999, "x", "E", "e", MON_10), "no room: audited");
	cr_assert(wf__refusal_note(&r, 99999, "x", "E", "e", MON_10), "still audited");
}
