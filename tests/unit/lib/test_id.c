// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Grant and request ids: one rule for both kinds. */
#include <errno.h>
#include <stdint.h>
#include <criterion/criterion.h>
#include "lib/id.h"
#include "workflow/grants.h"
#include "workflow/workflow.h"

Test(id, round_trip)
{
	char buf[32];
	uint64_t id = 0;

	cr_assert_str_eq(id__format('g', 12, buf, sizeof(buf)), "g-12");
	cr_assert_eq(id__parse(buf, 'g', &id), 0);
	cr_assert_eq(id, 12);
	cr_assert_str_eq(id__format('r', 18446744073709551615ull, buf, sizeof(buf)),
			 "r-18446744073709551615");
	cr_assert_eq(id__parse(buf, 'r', &id), 0);
	cr_assert_eq(id, 18446744073709551615ull);
}

Test(id, one_rule_for_both_kinds)
{
	static const char *const bad[] = { "-01", "- 1", "-+1", "--1", "-0", "-", "-1x", "-1 ",
					   "-18446744073709551616", "1", "" };
	uint64_t id = 7;
	char text[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "g%s", bad[i]);
		cr_expect_eq(id__parse(text, 'g', &id), -EINVAL, "%s accepted", text);
		cr_expect_eq(grants__parse_id(text, &id), -EINVAL, "%s accepted", text);
		text[0] = 'r';
		cr_expect_eq(id__parse(text, 'r', &id), -EINVAL, "%s accepted", text);
		cr_expect_eq(wf__parse_id(text, &id), -EINVAL, "%s accepted", text);
	}
	cr_expect_eq(id, 7, "a refused id changed the output");
	cr_expect_eq(id__parse("r-1", 'g', &id), -EINVAL);
	cr_expect_eq(grants__parse_id("r-1", &id), -EINVAL);
	cr_expect_eq(wf__parse_id("g-1", &id), -EINVAL);
	cr_expect_eq(id__parse(NULL, 'g', &id), -EINVAL);
	cr_expect_eq(grants__parse_id("g-10", &id), 0);
	cr_expect_eq(id, 10);
	cr_expect_eq(wf__parse_id("r-10", &id), 0);
	cr_expect_eq(id, 10);
}
