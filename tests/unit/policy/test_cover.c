// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What covers an object and which roles give it: the policy side of `jitgate why`. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "jitgate.h"
#include "policy/cover.h"

static const char text[] =
	"{\"version\":1,\"resources\":{"
	"\"prod-secrets\":{\"description\":\"DB credentials\",\"files\":[\"/srv/prod/secrets/\"]},"
	"\"prod-tools\":{\"exec\":[\"/usr/local/bin/prodctl\"]},"
	"\"all-prod\":{\"files\":[\"/srv/prod\"]},"
	"\"prod-db\":{\"connect\":[\"10.20.0.0/16:5432\",\"127.0.0.1:7000-7010\"]},"
	"\"audit-only\":{\"mode\":\"audit\",\"files\":[\"/srv/staging\"]}},"
	"\"roles\":{"
	"\"db-read\":{\"allow\":{\"prod-secrets\":[\"read\"],\"prod-db\":[\"connect\"]},"
	"  \"requesters\":[\"group:sre\"],\"approvers\":[\"user:bob\"]},"
	"\"db-write\":{\"allow\":{\"prod-secrets\":[\"read\",\"write\"]},"
	"  \"requesters\":[\"user:alice\"],\"approvers\":[\"user:bob\"]},"
	"\"tools\":{\"allow\":{\"prod-tools\":[\"exec\"]},"
	"  \"requesters\":[\"user:alice\"],\"approvers\":[\"user:bob\"]}}}";

static struct jg_policy *load(void)
{
	struct jg_policy *p = NULL;
	char err[512];

	cr_assert_eq(policy__load_string(text, "t.json", &p, err, sizeof(err)), 0, "%s", err);
	return p;
}

Test(cover, normalise_is_lexical)
{
	char out[64];

	cr_assert_eq(cover__normalise("/a//b/./c/../d/", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/a/b/d");
	cr_assert_eq(cover__normalise("/..//../", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(cover__normalise("/", out, sizeof(out)), 0);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(cover__normalise("relative/x", out, sizeof(out)), -EINVAL);
	cr_assert_str_eq(out, "");
	cr_assert_eq(cover__normalise("/aaaa/bbbb", out, 6), -ENAMETOOLONG);
}

Test(cover, a_file_below_a_protected_directory_names_every_resource_over_it)
{
	struct jg_policy *p = load();
	struct jg_cover c[4];
	size_t n = cover__path(p, "/srv/prod/secrets/db.pw", c, 4);

	cr_assert_eq(n, 2);
	cr_assert_str_eq(c[0].res->name, "prod-secrets");
	cr_assert_str_eq(c[0].entry, "/srv/prod/secrets/");
	cr_assert_eq(c[0].perms, JG_PERM_READ | JG_PERM_WRITE);
	cr_assert_str_eq(c[1].res->name, "all-prod");
	/* the directory itself, and only whole names: /srv/prod/secrets2 is not below it */
	cr_assert_eq(cover__path(p, "/srv/prod/secrets", c, 4), 2);
	cr_assert_eq(cover__path(p, "/srv/production", c, 4), 0);
	cr_assert_eq(cover__path(p, "/srv", c, 4), 0);
	cr_assert_eq(cover__path(p, "/tmp/x", c, 4), 0);
	/* more than fit: counted, max filled */
	cr_assert_eq(cover__path(p, "/srv/prod/secrets/x", c, 1), 2);
	policy__free(p);
}

Test(cover, a_program_is_covered_by_its_exec_entry)
{
	struct jg_policy *p = load();
	struct jg_cover c[2];

	cr_assert_eq(cover__path(p, "/usr/local/bin/prodctl", c, 2), 1);
	cr_assert_str_eq(c[0].res->name, "prod-tools");
	cr_assert_eq(c[0].perms, JG_PERM_EXEC);
	cr_assert_eq(cover__path(p, "/usr/local/bin/prodctl2", c, 2), 0);
	policy__free(p);
}

static void v4(uint8_t a[16], uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	a[12] = x, a[13] = y, a[14] = z, a[15] = w;
}

Test(cover, endpoints_by_prefix_and_port_and_loopback_as_the_host)
{
	struct jg_policy *p = load();
	struct jg_cover c[2];
	uint8_t a[16], v6lo[16] = { [15] = 1 };

	v4(a, 10, 20, 1, 5);
	cr_assert_eq(cover__endpoint(p, a, 5432, c, 2), 1);
	cr_assert_str_eq(c[0].res->name, "prod-db");
	cr_assert_eq(c[0].perms, JG_PERM_CONNECT);
	cr_assert_str_eq(c[0].entry, "10.20.0.0/16:5432");
	cr_assert_eq(cover__endpoint(p, a, 5433, c, 2), 0);
	v4(a, 10, 21, 1, 5);
	cr_assert_eq(cover__endpoint(p, a, 5432, c, 2), 0);
	v4(a, 127, 0, 0, 1);
	cr_assert_eq(cover__endpoint(p, a, 7005, c, 2), 1);
	v4(a, 127, 0, 0, 2);	/* the host's service: every loopback address */
	cr_assert_eq(cover__endpoint(p, a, 7005, c, 2), 1);
	cr_assert_eq(cover__endpoint(p, v6lo, 7010, c, 2), 1);
	cr_assert_eq(cover__endpoint(p, v6lo, 7011, c, 2), 0);
	policy__free(p);
}

Test(cover, roles_are_those_that_give_the_permission)
{
	struct jg_policy *p = load();
	const struct jg_role *r[4];

	cr_assert_eq(cover__roles(p, "prod-secrets", JG_PERM_READ, r, 4), 2);
	cr_assert_str_eq(r[0]->name, "db-read");
	cr_assert_str_eq(r[1]->name, "db-write");
	cr_assert_eq(cover__roles(p, "prod-secrets", JG_PERM_WRITE, r, 4), 1);
	cr_assert_str_eq(r[0]->name, "db-write");
	cr_assert_eq(cover__roles(p, "prod-secrets", JG_PERM_READ | JG_PERM_WRITE, r, 4), 1);
	cr_assert_eq(cover__roles(p, "prod-secrets", 0, r, 4), 2);
	cr_assert_eq(cover__roles(p, "prod-db", JG_PERM_CONNECT, r, 4), 1);
	cr_assert_eq(cover__roles(p, "prod-tools", JG_PERM_EXEC, r, 4), 1);
	cr_assert_str_eq(r[0]->name, "tools");
	cr_assert_eq(cover__roles(p, "all-prod", JG_PERM_READ, r, 4), 0);
	cr_assert_eq(cover__roles(p, "no-such", 0, r, 4), 0);
	cr_assert_eq(cover__roles(p, NULL, 0, r, 4), 0);
	cr_assert_eq(cover__roles(p, "prod-secrets", JG_PERM_READ, r, 1), 2);
	cr_assert_eq(cover__role_perms(policy__role(p, "db-write"), "prod-secrets"),
		     JG_PERM_READ | JG_PERM_WRITE);
	cr_assert_eq(cover__role_perms(policy__role(p, "tools"), "prod-secrets"), 0);
	policy__free(p);
}
