// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Each person's recent denials: bounded per person and overall, repeats counted. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include "audit/denials.h"

static json_t *deny(const char *path)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:{s:s, s:s}}", "type", "access.deny",
			 "resource", "prod-secrets", "perm", "read", "hook", "file_open",
			 "object", "path", path, "process", "comm", "cat", "exe", "/bin/cat");
}

static void note(struct jg_denials *d, uint32_t subject, const char *path, int64_t t)
{
	json_t *r = deny(path);

	denials__note(d, subject, r, t);
	json_decref(r);
}

Test(denials, one_persons_denials_newest_first_repeats_counted)
{
	static struct jg_denials d;
	struct jg_denial v[JG_DENIALS_PER_USER];
	json_t *net = json_pack("{s:s, s:s, s:s, s:{s:s, s:i}, s:{s:s}}", "resource", "db",
				"perm", "connect", "hook", "connect", "object", "addr", "10.0.0.1",
				"port", 5432, "process", "comm", "psql");
	uint64_t dropped = 9;

	note(&d, 1000, "/srv/a", 10);
	note(&d, 1000, "/srv/b", 20);
	note(&d, 1000, "/srv/a", 30);
	denials__note(&d, 1000, net, 40);
	json_decref(net);
	cr_assert_eq(denials__of(&d, 1000, v, JG_DENIALS_PER_USER, &dropped), 3);
	cr_assert_eq(dropped, 0);
	cr_assert_str_eq(v[0].addr, "10.0.0.1");
	cr_assert_eq(v[0].port, 5432);
	cr_assert_str_eq(v[0].path, "");
	cr_assert_str_eq(v[1].path, "/srv/a");
	cr_assert_eq(v[1].count, 2);
	cr_assert_eq(v[1].first_ns, 10);
	cr_assert_eq(v[1].last_ns, 30);
	cr_assert_str_eq(v[1].comm, "cat");
	cr_assert_str_eq(v[1].exe, "/bin/cat");
	cr_assert_str_eq(v[2].path, "/srv/b");
	cr_assert_eq(denials__of(&d, 1000, v, 1, NULL), 1);
	cr_assert_eq(denials__of(&d, 1001, v, JG_DENIALS_PER_USER, &dropped), 0);
	cr_assert_eq(d.noted, 4);
}

Test(denials, a_flood_pushes_out_only_the_flooders_own_denials)
{
	static struct jg_denials d;
	struct jg_denial v[JG_DENIALS_PER_USER];
	uint64_t dropped;
	char path[64];

	note(&d, 1001, "/srv/bobs", 1);
	for (int i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/srv/f%d", i);
		note(&d, 1000, path, 10 + i);
	}
	cr_assert_eq(denials__of(&d, 1000, v, JG_DENIALS_PER_USER, &dropped),
		     JG_DENIALS_PER_USER);
	cr_assert_eq(dropped, 1000 - JG_DENIALS_PER_USER);
	cr_assert_str_eq(v[0].path, "/srv/f999");
	cr_assert_eq(denials__of(&d, 1001, v, JG_DENIALS_PER_USER, &dropped), 1);
	cr_assert_str_eq(v[0].path, "/srv/bobs");
	cr_assert_eq(dropped, 0);
	cr_assert_eq(d.users_evicted, 0);
}

Test(denials, past_the_table_the_longest_quiet_person_is_forgotten_and_counted)
{
	static struct jg_denials d;
	struct jg_denial v[2];

	for (uint32_t u = 0; u < JG_DENIALS_USERS; u++)
		note(&d, 2000 + u, "/srv/x", 100 + u);
	note(&d, 2000, "/srv/y", 500);		/* 2000 spoke again: 2001 is the quietest */
	note(&d, 9999, "/srv/z", 600);
	cr_assert_eq(d.users_evicted, 1);
	cr_assert_eq(denials__of(&d, 2001, v, 2, NULL), 0);
	cr_assert_eq(denials__of(&d, 2000, v, 2, NULL), 2);
	cr_assert_eq(denials__of(&d, 9999, v, 2, NULL), 1);
}

Test(denials, a_path_matches_itself_and_what_is_below_it)
{
	struct jg_denial x = { .path = "/srv/prod/secrets/db.pw" };
	struct jg_denial net = { .addr = "10.0.0.1", .port = 1 };

	cr_assert(denials__path_matches(&x, "/srv/prod/secrets/db.pw"));
	cr_assert(denials__path_matches(&x, "/srv/prod"));
	cr_assert(denials__path_matches(&x, "/"));
	cr_assert_not(denials__path_matches(&x, "/srv/pro"));
	cr_assert_not(denials__path_matches(&x, "/srv/prod/secrets/db.pw2"));
	cr_assert_not(denials__path_matches(&net, "/"));
}
