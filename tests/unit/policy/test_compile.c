// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "policy/compile.h"

static struct jg_policy *load(const char *text)
{
	struct jg_policy *p = NULL;
	char err[512];

	cr_assert_eq(policy__load_string(text, "t.json", &p, err, sizeof(err)), 0, "%s", err);
	return p;
}

static const struct jg_cnet *net(const struct jg_compiled *c, int prefixlen)
{
	for (size_t i = 0; i < c->nnets; i++)
		if (c->nets[i].prefixlen == prefixlen)
			return &c->nets[i];
	return NULL;
}

Test(compile, covering_prefixes_push_their_ranges_down)
{
	struct jg_policy *p = load("{\"version\":1,\"resources\":{"
		"\"wide\":{\"connect\":[\"10.0.0.0/8:22\"]},"
		"\"db\":{\"connect\":[\"10.20.0.0/16:5432\", \"[2001:db8::]/32:443\"]}}}");
	uint16_t ids[] = { 1, 2 };
	struct jg_compiled *c;
	const struct jg_cnet *n16, *n8;
	char err[256];

	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->nnets, 3);
	n8 = net(c, 96 + 8);
	n16 = net(c, 96 + 16);
	cr_assert(n8 && n16);
	cr_assert_eq(n8->val.count, 1);
	cr_assert_eq(n16->val.count, 2);	/* its own 5432 and the /8's 22 */
	cr_assert_eq(n16->val.ranges[0].resource + n16->val.ranges[1].resource, 3);
	cr_assert(net(c, 32));
	compile__free(c);
	policy__free(p);
}

static const struct jg_cnet *bind_net(const struct jg_compiled *c, const uint8_t *addr,
				      int prefixlen)
{
	for (size_t i = 0; i < c->nbinds; i++)
		if (c->binds[i].prefixlen == prefixlen && !memcmp(c->binds[i].addr, addr, 16))
			return &c->binds[i];
	return NULL;
}

Test(compile, bind_endpoints_apart_and_wildcards_cover_them)
{
	struct jg_policy *p = load("{\"version\":1,\"resources\":{"
		"\"db\":{\"connect\":[\"10.0.0.1:9000\"]},"
		"\"web\":{\"bind\":[\"127.0.0.1:9000-9010\", \"[::1]:7000\"]},"
		"\"all\":{\"bind\":[\"0.0.0.0:8443\"]}}}");
	static const uint8_t lo4[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };
	static const uint8_t lo6[16] = { [15] = 1 };
	static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff }, any6[16];
	uint16_t ids[] = { 1, 2, 3 };
	const struct jg_cnet *n;
	struct jg_compiled *c;
	char err[256];

	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), 0, "%s", err);
	/* connect endpoints never see bind ranges; bind endpoints on loopback are not spread
	 * over this host's other names */
	cr_assert_eq(c->nnets, 1);
	cr_assert_eq(c->nets[0].val.count, 1);
	/* 127.0.0.1/128, ::1/128, ::ffff:0:0/96, and the wildcards' own /128 keys */
	cr_assert_eq(c->nbinds, 5);
	n = bind_net(c, lo4, 128);
	cr_assert(n);
	cr_assert_eq(n->val.count, 2);		/* its own range and 0.0.0.0's 8443 */
	n = bind_net(c, lo6, 128);
	cr_assert(n);
	cr_assert_eq(n->val.count, 1);
	n = bind_net(c, any4, 128);		/* bind 0.0.0.0: every IPv4 endpoint */
	cr_assert(n);
	cr_assert_eq(n->val.count, 2);
	n = bind_net(c, any6, 128);		/* bind ::: every endpoint */
	cr_assert(n);
	cr_assert_eq(n->val.count, 3);
	cr_assert_eq(n->val.ranges[0].resource + n->val.ranges[1].resource +
		     n->val.ranges[2].resource, 2 + 2 + 3);
	compile__free(c);
	policy__free(p);
}

Test(compile, files_resolve_to_inodes_and_missing_paths_are_errors)
{
	char dir[] = "/tmp/jg-compile-XXXXXX", path[128], link2[160], text[512];
	struct jg_policy *p;
	struct jg_compiled *c;
	uint16_t ids[] = { 1 };
	char err[512];
	struct stat st;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/secret", dir);
	close(creat(path, 0600));
	snprintf(link2, sizeof(link2), "%s.outside", dir);
	cr_assert_eq(link(path, link2), 0);	/* a second name outside the tree */
	snprintf(text, sizeof(text), "{\"version\":1,\"resources\":{\"s\":{\"files\":[\"%s\"]}}}",
		 dir);
	p = load(text);
	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->nobjs, 2);		/* the directory and the multiply-linked file */
	cr_assert_eq(c->nhardlinks, 1);
	stat(path, &st);
	cr_assert_eq(c->objs[1].ino, st.st_ino);
	cr_assert_eq(c->objs[1].val.kind, JG_KIND_FILES);
	cr_assert_eq(c->ndevs, 1);
	compile__free(c);
	policy__free(p);

	snprintf(text, sizeof(text), "{\"version\":1,\"resources\":{\"s\":{\"files\":[\"%s/nope\"]}}}",
		 dir);
	p = load(text);
	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "t.json:1:"), "%s", err);
	cr_assert(strstr(err, "No such file"), "%s", err);
	policy__free(p);
	unlink(link2);
	unlink(path);
	rmdir(dir);
}

Test(compile, objects_keep_their_names_for_a_new_inode)
{
	char dir[] = "/tmp/jg-compile-XXXXXX", path[128], text[512];
	struct jg_policy *p;
	struct jg_compiled *c;
	uint16_t ids[] = { 1 };
	char err[512];
	struct stat st, dst;

	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/app.conf", dir);
	close(creat(path, 0600));
	snprintf(text, sizeof(text), "{\"version\":1,\"resources\":{\"s\":{\"files\":[\"%s\"]}}}",
		 path);
	p = load(text);
	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->nnames, 1);
	stat(path, &st);
	stat(dir, &dst);
	cr_assert_eq(c->names[0].key.dir_ino, dst.st_ino);
	cr_assert_str_eq(c->names[0].key.name, "app.conf");
	cr_assert_eq(c->names[0].key.dev, c->objs[0].dev);
	cr_assert_eq(c->names[0].val.ino, st.st_ino);
	cr_assert_eq(c->names[0].val.obj.resource, 1);
	cr_assert_eq(c->names[0].val.obj.kind, JG_KIND_FILES);
	compile__free(c);
	policy__free(p);
	unlink(path);
	rmdir(dir);
}

Test(compile, kdev_matches_the_kernel_encoding)
{
	/* userspace makedev(8, 1) is the kernel's MKDEV(8, 1) = 8 << 20 | 1 */
	cr_assert_eq(compile__kdev(makedev(8, 1)), (8u << 20) | 1);
	cr_assert_eq(compile__kdev(makedev(259, 300)), (259u << 20) | 300);
}

Test(compile, elevate_resources_and_their_exceptions)
{
	struct jg_policy *p = load("{\"version\":1,\"resources\":{"
		"\"root\":{\"elevate\":{\"except\":[\"/bin/sh\"]}},"
		"\"audit-root\":{\"elevate\":{},\"mode\":\"audit\"}}}");
	uint16_t ids[] = { 7, 9 };
	struct jg_compiled *c;
	char err[512];
	struct stat st;

	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->nelevate, 2);
	cr_assert_eq(c->elevate_res[0], 7);
	cr_assert_eq(c->elevate_mode[0], JG_MODE_ENFORCE);
	cr_assert_eq(c->elevate_res[1], 9);
	cr_assert_eq(c->elevate_mode[1], JG_MODE_AUDIT);
	cr_assert_eq(c->nobjs, 1);
	stat("/bin/sh", &st);
	cr_assert_eq(c->objs[0].ino, st.st_ino);
	cr_assert_eq(c->objs[0].val.kind, JG_KIND_ELEVATE_EXCEPT);
	cr_assert_eq(c->objs[0].val.resource, 7);
	cr_assert_eq(c->ndevs, 0);	/* an exact match: no ancestor walk on its device */
	compile__free(c);
	policy__free(p);

	p = load("{\"version\":1,\"resources\":{\"root\":{\"elevate\":{\"except\":[\"/nope\"]}}}}");
	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "t.json:1:"), "%s", err);
	cr_assert(strstr(err, "elevate exception"), "%s", err);
	policy__free(p);
}

/* ---- standing rules: subjects and executables resolved against this host ---- */

static const struct jg_cstanding *standing_of(const struct jg_compiled *c, uint32_t subject,
					      uint16_t res)
{
	for (size_t i = 0; i < c->nstanding; i++)
		if (c->standing[i].subject == subject && c->standing[i].resource == res)
			return &c->standing[i];
	return NULL;
}

/* A policy with resources "s" (files: /tmp, read) and "n" (connect), then `rules`. */
static struct jg_policy *standing_policy(const char *rules)
{
	char text[2048];

	snprintf(text, sizeof(text), "{\n\"version\": 1,\n\"resources\": {\n"
		 "\"s\": {\"files\": [\"/tmp\"]},\n\"n\": {\"connect\": [\"127.0.0.1:7005\"]},\n"
		 "\"root\": {\"elevate\": {}}\n},\n\"standing\": [\n%s\n]\n}\n", rules);
	return load(text);
}

Test(compile, standing_uid_and_user_with_exe)
{
	struct passwd *pw = getpwuid(0);
	struct jg_policy *p;
	struct jg_compiled *c;
	const struct jg_cstanding *e;
	uint16_t ids[] = { 4, 5, 6 };
	char rules[512], err[512];
	struct stat st;

	cr_assert(pw, "this host has no account for uid 0");
	snprintf(rules, sizeof(rules),
		 "{\"subject\": \"uid:4242\", \"allow\": {\"s\": [\"read\"], \"n\": [\"connect\"]}},\n"
		 "{\"subject\": \"user:%s\", \"exe\": \"/bin/sh\", \"allow\": {\"s\": [\"read\"]}},\n"
		 "{\"subject\": \"uid:0\", \"exe\": \"/bin/sh\", \"allow\": {\"s\": [\"write\"]}}",
		 pw->pw_name);
	p = standing_policy(rules);
	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->nstanding, 3);
	e = standing_of(c, 4242, 4);
	cr_assert(e);
	cr_assert_eq(e->perms, JG_PERM_READ);
	cr_assert_eq(e->ino, 0);	/* no exe: any program */
	cr_assert_eq(e->dev, 0);
	e = standing_of(c, 4242, 5);
	cr_assert(e);
	cr_assert_eq(e->perms, JG_PERM_CONNECT);
	/* user:root and uid:0 on the same program are one entry with both permissions */
	e = standing_of(c, 0, 4);
	cr_assert(e);
	cr_assert_eq(e->perms, JG_PERM_READ | JG_PERM_WRITE);
	cr_assert_eq(stat("/bin/sh", &st), 0);
	cr_assert_eq(e->ino, st.st_ino);
	cr_assert_eq(e->dev, compile__kdev(st.st_dev));
	compile__free(c);
	policy__free(p);
}

Test(compile, standing_group_takes_listed_and_primary_members)
{
	struct group *gr = getgrgid(0);
	char name[64], rules[256], err[512];
	struct jg_policy *p;
	struct jg_compiled *c;
	uint16_t ids[] = { 4, 5, 6 };
	struct passwd *pw;
	size_t want = 0;

	cr_assert(gr, "this host has no group 0");
	snprintf(name, sizeof(name), "%s", gr->gr_name);
	snprintf(rules, sizeof(rules), "{\"subject\": \"group:%s\", \"allow\": {\"s\": [\"read\"]}}",
		 name);
	p = standing_policy(rules);
	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), 0, "%s", err);
	/* every account whose primary group it is and every listed member has an entry; the
	 * entries are no more than those accounts (several may share a uid) */
	setpwent();
	while ((pw = getpwent())) {
		bool member = pw->pw_gid == 0;

		gr = getgrgid(0);
		for (char **m = gr->gr_mem; !member && m && *m; m++)
			member = !strcmp(*m, pw->pw_name);
		if (!member)
			continue;
		cr_assert(standing_of(c, (uint32_t)pw->pw_uid, 4), "%s is a member, no entry",
			  pw->pw_name);
		want++;
	}
	endpwent();
	cr_assert(standing_of(c, 0, 4), "group %s: uid 0 (primary member) missing", name);
	cr_assert_leq(c->nstanding, want);
	for (size_t i = 0; i < c->nstanding; i++)
		cr_assert_eq(c->standing[i].perms, JG_PERM_READ);
	compile__free(c);
	policy__free(p);
}

/* Each error names the file, the line and column of what is wrong, and says what. */
static void standing_err(const char *rules, int want_ret, const char *where, const char *gist)
{
	struct jg_policy *p = standing_policy(rules);
	struct jg_compiled *c = NULL;
	uint16_t ids[] = { 4, 5, 6 };
	char err[512] = "";

	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), want_ret, "%s", err);
	cr_assert_null(c);
	cr_assert(!strncmp(err, where, strlen(where)), "want %s, got %s", where, err);
	cr_assert(strstr(err, gist), "want '%s' in: %s", gist, err);
	policy__free(p);
}

Test(compile, standing_errors_have_positions)
{
	/* the rules start on line 9; the subject value of the first at column 13 */
	standing_err("{\"subject\": \"user:no-such-user-jg\", \"allow\": {\"s\": [\"read\"]}}",
		     -ENOENT, "t.json:9:13: ", "standing rule 1: no user \"no-such-user-jg\"");
	standing_err("{\"subject\": \"uid:1\", \"allow\": {\"s\": [\"read\"]}},\n"
		     "{\"subject\": \"group:no-such-group-jg\", \"allow\": {\"s\": [\"read\"]}}",
		     -ENOENT, "t.json:10:13: ", "standing rule 2: no group \"no-such-group-jg\"");
	/* exe: the rule's own position (column 1 of its line) */
	standing_err("{\"subject\": \"uid:1\", \"allow\": {\"s\": [\"read\"]}},\n"
		     "{\"subject\": \"uid:1\", \"exe\": \"/no/such/backupd\", \"allow\": {\"s\": [\"read\"]}}",
		     -ENOENT, "t.json:10:1: ",
		     "standing rule 2: cannot resolve the executable \"/no/such/backupd\": No such file");
	standing_err("{\"subject\": \"uid:1\", \"exe\": \"/tmp\", \"allow\": {\"s\": [\"read\"]}}",
		     -EINVAL, "t.json:9:1: ", "\"/tmp\" is not a regular file");
	/* elevate is granted for a time only */
	standing_err("{\"subject\": \"uid:1\", \"allow\": {\"s\": [\"read\"], \"root\": [\"elevate\"]}}",
		     -EINVAL, "t.json:9:47: ", "resource \"root\": elevate cannot be standing");
}

Test(compile, standing_overflow_is_one_sentence)
{
	/* uid:N is taken as is; (JG_MAX_STANDING_PER_GEN + 1) distinct subjects overflow */
	size_t n = JG_MAX_STANDING_PER_GEN + 1, len = n * 64 + 64, off = 0;
	char *rules = malloc(len);
	char err[512] = "";
	struct jg_policy *p;
	struct jg_compiled *c = NULL;
	uint16_t ids[] = { 4, 5, 6 };

	cr_assert(rules);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(rules + off, len - off,
					"%s{\"subject\": \"uid:%zu\", \"allow\": {\"s\": [\"read\"]}}",
					i ? ",\n" : "", 10000 + i);
	{
		char *text = malloc(len + 256);

		cr_assert(text);
		snprintf(text, len + 256, "{\"version\": 1, \"resources\": {\"s\": {\"files\": "
			 "[\"/tmp\"]}}, \"standing\": [\n%s\n]}", rules);
		p = load(text);
		free(text);
	}
	cr_assert_eq(compile__policy(p, ids, &c, err, sizeof(err)), -E2BIG, "%s", err);
	cr_assert_null(c);
	cr_assert(strstr(err, "the standing rules expand to more than"), "%s", err);
	cr_assert(strstr(err, "(subject, resource, executable) entries"), "%s", err);
	cr_assert(!strchr(err, '\n'), "%s", err);
	free(rules);
	policy__free(p);
}

/* ---- a connect endpoint on loopback is this host's service under every name ---- */

static const uint8_t lo_net[16] = { [10] = 0xff, [11] = 0xff, 127 };
static const uint8_t lo6[16] = { [15] = 1 };

static const struct jg_cnet *net_at(const struct jg_compiled *c, const uint8_t *addr,
				    int prefixlen)
{
	for (size_t i = 0; i < c->nnets; i++)
		if (c->nets[i].prefixlen == prefixlen && !memcmp(c->nets[i].addr, addr, 16))
			return &c->nets[i];
	return NULL;
}

static bool has(const struct jg_cnet *n, uint16_t lo, uint16_t hi, uint16_t res)
{
	for (unsigned i = 0; n && i < n->val.count; i++)
		if (n->val.ranges[i].lo == lo && n->val.ranges[i].hi == hi &&
		    n->val.ranges[i].resource == res)
			return true;
	return false;
}

Test(compile, loopback_endpoint_covers_every_loopback_address)
{
	struct jg_policy *p = load("{\"version\":1,\"resources\":{"
		"\"svc\":{\"connect\":[\"127.0.0.1:7002\"]},"
		"\"v6\":{\"connect\":[\"[::1]:7777\"]},"
		"\"lan\":{\"connect\":[\"10.0.0.0/8:443\"]}}}");
	static const uint8_t lo1[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };
	static const uint8_t lan[16] = { [10] = 0xff, [11] = 0xff, 10 };
	uint16_t ids[] = { 1, 2, 3 };
	const struct jg_cnet *n;
	struct jg_compiled *c;
	char err[256];

	cr_assert_eq(compile__policy_opts(p, ids, JG_COMPILE_NO_HOST_ADDRS, &c, err,
					  sizeof(err)), 0, "%s", err);
	cr_assert_eq(c->nloopback_eps, 2);
	/* 127.0.0.1/32, ::1/128, 10.0.0.0/8 and the loopback 127.0.0.0/8 */
	cr_assert_eq(c->nnets, 4);
	n = net_at(c, lo_net, 104);		/* 127.0.0.2, 127.1.2.3, ::ffff:127.0.0.2 */
	cr_assert(n);
	cr_assert_eq(n->val.count, 2);
	cr_assert(has(n, 7002, 7002, 1) && has(n, 7777, 7777, 2));
	n = net_at(c, lo6, 128);		/* [::1] */
	cr_assert_eq(n->val.count, 2);
	cr_assert(has(n, 7002, 7002, 1) && has(n, 7777, 7777, 2));
	n = net_at(c, lo1, 128);		/* 127.0.0.1 itself: no range twice */
	cr_assert_eq(n->val.count, 2);
	n = net_at(c, lan, 96 + 8);		/* nothing of loopback's elsewhere */
	cr_assert_eq(n->val.count, 1);
	cr_assert(has(n, 443, 443, 3));
	compile__free(c);
	policy__free(p);
}

Test(compile, loopback_endpoint_covers_the_host_addresses)
{
	struct jg_policy *p = load("{\"version\":1,\"resources\":{"
		"\"svc\":{\"connect\":[\"[::ffff:127.0.0.1]:7002\", \"127.0.0.2:7002\"]},"
		"\"lan\":{\"connect\":[\"10.0.0.0/8:443\"]}}}");
	/* eth0's 10.0.2.15, a global IPv6 address, and two loopback ones to be skipped */
	static const uint8_t hosts[4][16] = {
		{ [10] = 0xff, [11] = 0xff, 10, 0, 2, 15 },
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 5 },
		{ [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 },
		{ [15] = 1 },
	};
	uint16_t ids[] = { 1, 2 };
	const struct jg_cnet *n;
	struct jg_compiled *c;
	char err[256];

	cr_assert_eq(compile__policy_hosts(p, ids, 0, hosts, 4, &c, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c->nhosts, 2);
	n = net_at(c, hosts[0], 128);		/* eth0: its /8's 443 and the service */
	cr_assert(n);
	cr_assert_eq(n->val.count, 2);
	cr_assert(has(n, 7002, 7002, 1) && has(n, 443, 443, 2));
	n = net_at(c, hosts[1], 128);
	cr_assert(n);
	cr_assert_eq(n->val.count, 1);
	cr_assert(has(n, 7002, 7002, 1));
	cr_assert(has(net_at(c, lo6, 128), 7002, 7002, 1));
	compile__free(c);
	policy__free(p);

	/* no endpoint on loopback: the host's addresses add nothing */
	p = load("{\"version\":1,\"resources\":{\"lan\":{\"connect\":[\"10.0.0.0/8:443\"]}}}");
	cr_assert_eq(compile__policy_hosts(p, ids, 0, hosts, 4, &c, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(c->nnets, 1);
	cr_assert_eq(c->nloopback_eps, 0);
	compile__free(c);
	policy__free(p);
}

Test(compile, a_prefix_holding_loopback_spreads_too)
{
	/* all of IPv4 holds 127.0.0.1: [::1] is the same host; [::]/0 holds both already */
	struct jg_policy *p = load("{\"version\":1,\"resources\":{"
		"\"all4\":{\"connect\":[\"0.0.0.0/0:5432\"]},"
		"\"bind-only\":{\"bind\":[\"127.0.0.1:9000\"]}}}");
	uint16_t ids[] = { 1, 2 };
	struct jg_compiled *c;
	char err[256];

	cr_assert_eq(compile__policy_opts(p, ids, JG_COMPILE_NO_HOST_ADDRS, &c, err,
					  sizeof(err)), 0, "%s", err);
	cr_assert(has(net_at(c, lo6, 128), 5432, 5432, 1));
	cr_assert(has(net_at(c, lo_net, 104), 5432, 5432, 1));
	/* bind endpoints are taken as written */
	cr_assert_eq(c->nloopback_eps, 1);
	compile__free(c);
	policy__free(p);
}
