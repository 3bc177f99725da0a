// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The shipped seed-scenario policies, checked through the workflow: who asks, who decides,
 * how long, when. Run from the repository root (make unit). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jitgate.h"
#include "policy/policy.h"
#include "workflow/workflow.h"
#include "../members.h"

#define NS 1000000000LL

static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			 .tm_min = mi };

	return (int64_t)timegm(&tm) * NS;
}

/* Group membership: "uid:group" pairs. */
static const struct member members[] = {
	{ 2001, "cloud-engineers" }, { 2002, "cloud-managers" },
	{ 2011, "fin-analysts" }, { 2012, "fin-senior-managers" },
	{ 2021, "developers" }, { 2022, "security-admins" },
	{ 2031, "ct2291-researchers" }, { 2032, "ct2291-data-stewards" },
	{ 2041, "ext-auditors" }, { 2042, "finance-controllers" },
	{ 2003, "cloud-engineers" }, { 2013, "fin-analysts" }, { 2023, "developers" },
	{ 2051, "maint-crew" }, { 2052, "maint-contractors" }, { 2053, "shift-supervisors" },
	{ 0, NULL },
};

static const struct jg_who nobody = WHO(2999, "mallory");

static struct jg_policy *pol;
static char err[1024];

static const struct jg_role *load(const char *file, const char *role_name)
{
	char perr[512];
	const struct jg_role *r;
	int ret = policy__load_file(file, &pol, perr, sizeof(perr));

	cr_assert_eq(ret, 0, "%s: %d %s", file, ret, perr);
	r = policy__role(pol, role_name);
	cr_assert(r, "%s has no role %s", file, role_name);
	return r;
}

static void teardown(void)
{
	policy__free(pol);
	pol = NULL;
}

TestSuite(roles, .fini = teardown);

static unsigned perms_of(const struct jg_role *r, const char *resource)
{
	for (size_t i = 0; i < r->nallow; i++)
		if (!strcmp(r->allow[i].resource, resource))
			return r->allow[i].perms;
	return 0;
}

static unsigned all_perms(const struct jg_role *r)
{
	unsigned p = 0;

	for (size_t i = 0; i < r->nallow; i++)
		p |= r->allow[i].perms;
	return p;
}

/* wf__new into the test's q, clamped and err: who asks r for want_s seconds at now */
#define ASK(who, reason, want_s, now) \
	wf__new(&q, r, (who), (reason), (want_s), (now), &clamped, err, sizeof(err))

/* A request (must succeed), approved by approver (must complete it). */
static struct jg_request approved(const struct jg_role *r, const struct jg_who *who,
				  const struct jg_who *approver, uint64_t want_s, int64_t now,
				  bool *clamped)
{
	struct jg_request q;
	int ret = wf__new(&q, r, who, "ticket 42", want_s, now, clamped, err, sizeof(err));

	cr_assert_eq(ret, 0, "wf__new: %d %s", ret, err);
	q.id = 1;
	cr_assert(wf__can_decide(&q, r, approver, now));
	cr_assert_eq(wf__approve(&q, r, approver, NULL, now, err, sizeof(err)), 1, "%s", err);
	return q;
}

Test(roles, cloud_admin)
{
	const struct jg_role *r = load("policies/cloud-admin.json", "cloud-admin");
	const struct jg_who eng = WHO(2001, "eve"), mgr = WHO(2002, "max"),
			    eng2 = WHO(2003, "eli");
	int64_t now = utc(2026, 11, 22, 3, 0);	/* any time: no schedule */
	struct jg_request q;
	bool clamped;
	uint64_t secs;

	cr_assert_eq(r->max_duration, 60 * 60);
	cr_assert_eq(r->default_duration, 60 * 60);
	cr_assert(r->require_mfa);
	cr_assert(r->require_reason);
	cr_assert_not(r->has_schedule);
	cr_assert_eq(r->approvals, 1);
	cr_assert_eq(r->napprovers, 1);
	cr_assert_eq(r->approvers[0].kind, JG_SUBJ_GROUP);
	cr_assert_str_eq(r->approvers[0].name, "cloud-managers");
	cr_assert_not(r->auto_approve.present);
	cr_assert_eq(perms_of(r, "cloud-admin-creds"), JG_PERM_READ);
	cr_assert_eq(perms_of(r, "cloud-admin-cli"), JG_PERM_EXEC);
	cr_assert_eq(perms_of(r, "cloud-mgmt-api"), JG_PERM_CONNECT);

	/* 2 h asked, 60 min granted */
	q = approved(r, &eng, &mgr, 2 * 3600, now, &clamped);
	cr_assert(clamped);
	cr_assert_eq(q.duration_s, 3600);
	cr_assert_eq(q.approvals_needed, 1);
	cr_assert_eq(wf__grant_seconds(&q, r, now, &secs, err, sizeof(err)), 0);
	cr_assert_eq(secs, 3600);

	/* an engineer cannot approve; a manager is not a requester; nobody gets it by policy */
	cr_assert_eq(ASK(&eng, "ticket 42", 0, now), 0);
	cr_assert_not(wf__can_decide(&q, r, &eng2, now));
	cr_assert_eq(ASK(&mgr, "x", 0, now), -EPERM);
	cr_assert_eq(ASK(&nobody, "x", 0, now), -EPERM);
	cr_assert_eq(ASK(&eng, "", 0, now), -EINVAL);
	cr_assert_not(wf__auto_approves(r, &eng, now));
}

Test(roles, finance_transfer)
{
	const struct jg_role *r = load("policies/finance-transfer.json", "hv-transfer");
	const struct jg_who analyst = WHO(2011, "fay"), senior = WHO(2012, "sam"),
			    analyst2 = WHO(2013, "fred");
	struct jg_request q;
	bool clamped;
	uint64_t secs;

	cr_assert_eq(r->max_duration, 15 * 60);
	cr_assert_eq(r->default_duration, 15 * 60);
	cr_assert(r->require_mfa);
	cr_assert_str_eq(r->approvers[0].name, "fin-senior-managers");
	cr_assert_eq(r->napprovers, 1);
	cr_assert_not(r->auto_approve.present);
	cr_assert(r->has_schedule);
	cr_assert_str_eq(r->schedule.timezone, "Europe/London");

	/* Mon 2026-11-23 10:00 GMT: inside business hours, 1 h clamped to 15 min */
	q = approved(r, &analyst, &senior, 3600, utc(2026, 11, 23, 10, 0), &clamped);
	cr_assert(clamped);
	cr_assert_eq(q.duration_s, 900);
	cr_assert_eq(wf__grant_seconds(&q, r, utc(2026, 11, 23, 10, 1), &secs, err, sizeof(err)),
		     0);
	cr_assert_eq(secs, 900);
	/* an analyst cannot approve another analyst's transfer */
	cr_assert_eq(ASK(&analyst, "wire 7", 0, utc(2026, 11, 23, 10, 0)), 0);
	cr_assert_not(wf__can_decide(&q, r, &analyst2, utc(2026, 11, 23, 10, 0)));

	/* 17:50 GMT: the grant ends with business hours, at 18:00 */
	q = approved(r, &analyst, &senior, 0, utc(2026, 11, 23, 17, 50), &clamped);
	cr_assert_eq(wf__grant_seconds(&q, r, utc(2026, 11, 23, 17, 50), &secs, err, sizeof(err)),
		     0);
	cr_assert_eq(secs, 600);

	/* before 08:00, after 18:00, at the weekend: refused */
	cr_assert_eq(ASK(&analyst, "wire 7", 0, utc(2026, 11, 23, 7, 30)), -EAGAIN);
	cr_assert(strstr(err, "next opening"), "%s", err);
	cr_assert_eq(ASK(&analyst, "wire 7", 0, utc(2026, 11, 23, 18, 0)), -EAGAIN);
	cr_assert_eq(ASK(&analyst, "wire 7", 0, utc(2026, 11, 28, 12, 0)), -EAGAIN);
	/* approved at 17:59, activated at 18:01: refused */
	q = approved(r, &analyst, &senior, 0, utc(2026, 11, 23, 17, 59), &clamped);
	cr_assert_eq(wf__grant_seconds(&q, r, utc(2026, 11, 23, 18, 1), &secs, err, sizeof(err)),
		     -EAGAIN);

	/* London time, not UTC: Mon 2026-07-06 07:30Z is 08:30 BST (open), 17:30Z is 18:30
	 * BST (closed) */
	cr_assert_eq(ASK(&analyst, "wire 7", 0, utc(2026, 7, 6, 7, 30)), 0, "%s", err);
	cr_assert_eq(ASK(&analyst, "wire 7", 0, utc(2026, 7, 6, 17, 30)), -EAGAIN);
}

Test(roles, prod_root_debug)
{
	const struct jg_role *r = load("policies/prod-root-debug.json", "prod-root-debug");
	const struct jg_who dev = WHO(2021, "dana"), sec = WHO(2022, "sid"),
			    dev2 = WHO(2023, "dirk");
	const struct jg_resource *root = policy__resource(pol, "prod-root");
	int64_t now = utc(2026, 11, 22, 3, 0);
	struct jg_request q;
	bool clamped;
	uint64_t secs;

	cr_assert_eq(r->max_duration, 45 * 60);
	cr_assert_eq(r->default_duration, 45 * 60);
	cr_assert(r->require_mfa);
	cr_assert_eq(r->napprovers, 1);
	cr_assert_str_eq(r->approvers[0].name, "security-admins");
	cr_assert_not(r->auto_approve.present);
	cr_assert_not(r->has_schedule);
	/* elevation, on a resource of the elevate kind */
	cr_assert(perms_of(r, "prod-root") & JG_PERM_ELEVATE);
	cr_assert(root);
	cr_assert(root->kinds & JG_RES_ELEVATE);
	cr_assert_eq(perms_of(r, "prod-debug-tools"), JG_PERM_EXEC);

	q = approved(r, &dev, &sec, 0, now, &clamped);
	cr_assert_not(clamped);
	cr_assert_eq(q.duration_s, 45 * 60);
	cr_assert_eq(wf__grant_seconds(&q, r, now, &secs, err, sizeof(err)), 0);
	cr_assert_eq(secs, 45 * 60);
	q = approved(r, &dev, &sec, 3600, now, &clamped);
	cr_assert(clamped);
	cr_assert_eq(q.duration_s, 45 * 60);
	/* another developer is no security approval */
	cr_assert_eq(ASK(&dev, "core dump", 0, now), 0);
	cr_assert_eq(wf__approve(&q, r, &dev2, NULL, now, err, sizeof(err)), -EPERM);
	cr_assert_eq(ASK(&sec, "x", 0, now), -EPERM);
}

Test(roles, clinical_trial)
{
	const struct jg_role *r = load("policies/clinical-trial.json", "ct2291-researcher");
	const struct jg_who res = WHO(2031, "rita"), stew = WHO(2032, "stan");
	int64_t now = utc(2026, 11, 22, 3, 0);
	struct jg_request q;
	bool clamped;
	uint64_t secs;

	/* read-only: nothing that writes */
	cr_assert_eq(all_perms(r) & JG_PERM_WRITE, 0);
	cr_assert_eq(perms_of(r, "ct2291-data"), JG_PERM_READ);
	cr_assert_eq(perms_of(r, "ct2291-db"), JG_PERM_CONNECT);
	cr_assert_eq(r->max_duration, 30 * 86400);
	cr_assert_eq(r->default_duration, 30 * 86400);
	cr_assert(r->require_mfa);
	cr_assert(r->require_reason);
	cr_assert_str_eq(r->approvers[0].name, "ct2291-data-stewards");
	cr_assert_not(r->has_schedule);

	q = approved(r, &res, &stew, 0, now, &clamped);
	cr_assert_not(clamped);
	cr_assert_eq(wf__grant_seconds(&q, r, now, &secs, err, sizeof(err)), 0);
	cr_assert_eq(secs, 30 * 86400);
	q = approved(r, &res, &stew, 60 * 86400, now, &clamped);
	cr_assert(clamped);
	cr_assert_eq(q.duration_s, 30 * 86400);
	cr_assert_eq(ASK(&res, NULL, 0, now), -EINVAL);
	cr_assert_eq(ASK(&stew, "x", 0, now), -EPERM);
}

Test(roles, external_audit)
{
	const struct jg_role *r = load("policies/external-audit.json", "external-audit-fy2025");
	const struct jg_who aud = WHO(2041, "ada"), ctl = WHO(2042, "cora");
	struct jg_request q;
	bool clamped;
	uint64_t secs;

	/* read-only */
	cr_assert_eq(all_perms(r) & JG_PERM_WRITE, 0);
	cr_assert_eq(perms_of(r, "fy2025-records"), JG_PERM_READ);
	cr_assert_str_eq(r->approvers[0].name, "finance-controllers");
	cr_assert(r->has_schedule);
	cr_assert_str_eq(r->schedule.timezone, "America/New_York");

	/* before the range: Fri 2026-01-30 10:00 EST; it opens Mon 2026-02-02 07:00 EST */
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 1, 30, 15, 0)), -EAGAIN);
	cr_assert(strstr(err, "next opening"), "%s", err);
	cr_assert(strstr(err, "2026-02-02 07:00"), "%s", err);
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 2, 2, 11, 59)), -EAGAIN);

	/* inside: Mon 2026-02-02 07:00 and 10:00 EST, Tue 2026-03-10 10:00 EDT */
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 2, 2, 12, 0)), 0, "%s", err);
	q = approved(r, &aud, &ctl, 0, utc(2026, 2, 2, 15, 0), &clamped);
	cr_assert_eq(q.duration_s, 8 * 3600);
	cr_assert_eq(wf__grant_seconds(&q, r, utc(2026, 2, 2, 15, 0), &secs, err, sizeof(err)),
		     0);
	cr_assert_eq(secs, 8 * 3600);
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 3, 10, 14, 0)), 0, "%s", err);
	/* inside the range but outside the working day (Sun evening, Mon 20:00 EST) */
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 2, 2, 2, 0)), -EAGAIN);
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 2, 3, 1, 0)), -EAGAIN);

	/* the last day, Fri 2026-03-13 18:30 EDT: the grant ends at 20:00 EDT (= not_after,
	 * 2026-03-14T00:00Z) */
	q = approved(r, &aud, &ctl, 0, utc(2026, 3, 13, 22, 30), &clamped);
	cr_assert_eq(wf__grant_seconds(&q, r, utc(2026, 3, 13, 22, 30), &secs, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(secs, 90 * 60);

	/* after the range: Mon 2026-03-16 10:00 EDT, and it never opens again */
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 3, 16, 14, 0)), -EAGAIN);
	cr_assert(strstr(err, "does not open again"), "%s", err);
	cr_assert_eq(ASK(&aud, "FY2025 audit", 0, utc(2026, 3, 14, 0, 0)), -EAGAIN);
}

Test(roles, plant_maintenance)
{
	const struct jg_role *r = load("policies/plant-maintenance.json", "shift-maintenance");
	const struct jg_who crew = WHO(2051, "carl"), contractor = WHO(2052, "cody"),
			    sup = WHO(2053, "susi");
	int64_t mon_10 = utc(2026, 11, 23, 9, 0);	/* Mon 10:00 CET */
	struct jg_request q;
	bool clamped;
	uint64_t secs;

	cr_assert_eq(r->default_duration, 4 * 3600);
	cr_assert_eq(r->max_duration, 8 * 3600);
	cr_assert(r->auto_approve.present);
	cr_assert(r->auto_approve.has_schedule);
	cr_assert_str_eq(r->approvers[0].name, "shift-supervisors");

	/* crew inside a shift: approved by policy, until the shift ends (Mon 10:00 CET in the
	 * 06:00-14:00 shift: 4 h of the 8 h asked; the next shift is another window) */
	cr_assert(wf__auto_approves(r, &crew, mon_10));
	cr_assert_eq(ASK(&crew, "line 3 PLC", 8 * 3600, mon_10), 0, "%s", err);
	cr_assert_eq(wf__grant_seconds(&q, r, mon_10, &secs, err, sizeof(err)), 0);
	cr_assert_eq(secs, 4 * 3600);
	cr_assert(wf__auto_approves(r, &crew, utc(2026, 11, 23, 12, 59)));	/* 13:59 */
	cr_assert(wf__auto_approves(r, &crew, utc(2026, 11, 24, 1, 0)));	/* Tue 02:00 */

	/* Fri 23:00 CET: the last window of the week ends Sat 06:00 CET, 7 h later */
	cr_assert(wf__auto_approves(r, &crew, utc(2026, 11, 27, 22, 0)));
	cr_assert_eq(ASK(&crew, "line 3 PLC", 8 * 3600, utc(2026, 11, 27, 22, 0)), 0, "%s", err);
	cr_assert_eq(wf__grant_seconds(&q, r, utc(2026, 11, 27, 22, 0), &secs, err, sizeof(err)),
		     0);
	cr_assert_eq(secs, 7 * 3600);
	/* Sat 05:30 CET: half an hour left */
	cr_assert_eq(wf__grant_seconds(&q, r, utc(2026, 11, 28, 4, 30), &secs, err, sizeof(err)),
		     0);
	cr_assert_eq(secs, 30 * 60);

	/* outside the shifts (Sat 06:00 CET, Sun, Mon 05:59 CET): not auto-approved, and the
	 * role itself is closed */
	cr_assert_not(wf__auto_approves(r, &crew, utc(2026, 11, 28, 5, 0)));
	cr_assert_not(wf__auto_approves(r, &crew, utc(2026, 11, 22, 9, 0)));
	cr_assert_not(wf__auto_approves(r, &crew, utc(2026, 11, 23, 4, 59)));
	cr_assert_eq(ASK(&crew, "line 3 PLC", 0, utc(2026, 11, 22, 9, 0)), -EAGAIN);
	cr_assert(strstr(err, "Mon"), "%s", err);

	/* a contractor may ask, but a supervisor decides */
	cr_assert_not(wf__auto_approves(r, &contractor, mon_10));
	q = approved(r, &contractor, &sup, 0, mon_10, &clamped);
	cr_assert_eq(q.duration_s, 4 * 3600);
	cr_assert_eq(ASK(&contractor, "x", 0, utc(2026, 11, 22, 9, 0)), -EAGAIN);
	/* neither crew nor supervisors approve by being crew */
	cr_assert_eq(ASK(&contractor, "x", 0, mon_10), 0);
	cr_assert_not(wf__can_decide(&q, r, &crew, mon_10));
	cr_assert_eq(ASK(&nobody, "x", 0, mon_10), -EPERM);
}
