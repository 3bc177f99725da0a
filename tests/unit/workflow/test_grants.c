// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include "workflow/grants.h"

static struct jg_grant_rec rec(uint32_t uid, const char *res, unsigned perms, uint64_t exp)
{
	struct jg_grant_rec r = { .uid = uid, .nallow = 1, .expires_boot_ns = exp };

	strcpy(r.allow[0].resource, res);
	r.allow[0].perms = perms;
	strcpy(r.user, "alice");
	strcpy(r.reason, "test");
	return r;
}

Test(grants, ids_are_assigned_and_never_reused)
{
	struct jg_grants t;
	struct jg_grant_rec r = rec(1000, "db", JG_PERM_READ, 100);

	grants__init(&t);
	cr_assert_eq(grants__add(&t, &r)->id, 1);
	cr_assert_eq(grants__add(&t, &r)->id, 2);
	cr_assert_eq(grants__remove(&t, 2, NULL), 0);
	cr_assert_eq(grants__add(&t, &r)->id, 3);
	cr_assert_eq(grants__remove(&t, 42, NULL), -ENOENT);
	grants__free(&t);
}

Test(grants, kernel_value_takes_latest_expiry_per_permission)
{
	struct jg_grants t;
	struct jg_grant v;
	struct jg_grant_rec a = rec(1000, "db", JG_PERM_READ | JG_PERM_WRITE, 500);
	struct jg_grant_rec b = rec(1000, "db", JG_PERM_READ, 900);
	struct jg_grant_rec other_user = rec(1001, "db", JG_PERM_READ, 5000);
	struct jg_grant_rec other_res = rec(1000, "files", JG_PERM_READ, 5000);

	grants__init(&t);
	grants__add(&t, &a);
	grants__add(&t, &b);
	grants__add(&t, &other_user);
	grants__add(&t, &other_res);
	cr_assert(grants__kernel_value(&t, 1000, "db", 100, &v));
	cr_assert_eq(v.expires_ns[0], 900);	/* read: the later grant */
	cr_assert_eq(v.grant_id[0], 2);
	cr_assert_eq(v.expires_ns[1], 500);	/* write: only the first */
	cr_assert_eq(v.grant_id[1], 1);
	cr_assert_eq(v.expires_ns[2], 0);
	/* at 600 the first has expired: write is gone, read still from the second */
	cr_assert(grants__kernel_value(&t, 1000, "db", 600, &v));
	cr_assert_eq(v.expires_ns[1], 0);
	cr_assert_eq(v.grant_id[0], 2);
	cr_assert_not(grants__kernel_value(&t, 1000, "db", 900, &v));
	cr_assert_not(grants__kernel_value(&t, 1002, "db", 0, &v));
	grants__free(&t);
}

Test(grants, id_text)
{
	uint64_t id;
	char buf[32];

	cr_assert_eq(grants__parse_id("g-12", &id), 0);
	cr_assert_eq(id, 12);
	cr_assert_str_eq(grants__format_id(7, buf, sizeof(buf)), "g-7");
	cr_assert_eq(grants__parse_id("12", &id), -EINVAL);
	cr_assert_eq(grants__parse_id("g-", &id), -EINVAL);
	cr_assert_eq(grants__parse_id("g-0", &id), -EINVAL);
	cr_assert_eq(grants__parse_id("g--1", &id), -EINVAL);
	cr_assert_eq(grants__parse_id("g-1x", &id), -EINVAL);
	cr_assert_eq(grants__parse_id(NULL, &id), -EINVAL);
}

Test(grants, allow_text)
{
	struct jg_grant_allow a;
	char err[256];

	cr_assert_eq(grants__parse_allow("prod-secrets:read,write", &a, err, sizeof(err)), 0);
	cr_assert_str_eq(a.resource, "prod-secrets");
	cr_assert_eq(a.perms, JG_PERM_READ | JG_PERM_WRITE);
	cr_assert_eq(grants__parse_allow("prod-secrets", &a, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "RESOURCE:PERM"));
	cr_assert_eq(grants__parse_allow(":read", &a, err, sizeof(err)), -EINVAL);
	cr_assert_eq(grants__parse_allow("db:", &a, err, sizeof(err)), -EINVAL);
	cr_assert_eq(grants__parse_allow("db:fly", &a, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown permission \"fly\""));
	cr_assert_eq(grants__parse_allow("db:,", &a, err, sizeof(err)), -EINVAL);
}

Test(grants, allow_round_trip)
{
	struct jg_grant_rec r = rec(1000, "db", JG_PERM_READ | JG_PERM_CONNECT, 123), back = { 0 };
	char err[256];
	json_t *j;

	j = grants__allow_json(&r);
	cr_assert_eq(grants__allow_from_json(j, &back, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(back.nallow, 1);
	cr_assert_str_eq(back.allow[0].resource, "db");
	cr_assert_eq(back.allow[0].perms, JG_PERM_READ | JG_PERM_CONNECT);
	json_array_append_new(json_object_get(json_array_get(j, 0), "perms"), json_string("fly"));
	cr_assert_eq(grants__allow_from_json(j, &back, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "unknown permission"), "%s", err);
	json_array_clear(j);
	cr_assert_eq(grants__allow_from_json(j, &back, err, sizeof(err)), -EINVAL);
	json_decref(j);
}
