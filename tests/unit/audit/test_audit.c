// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audit/audit.h"

static struct jg_event file_event(void)
{
	struct jg_event e = { 0 };

	e.type = JG_EV_DENY;
	e.hook = JG_HOOK_FILE_OPEN;
	e.subject = 1000;
	e.loginuid = (uint32_t)-1;
	e.uid = 1000;
	e.euid = 1000;
	e.pid = 4242;
	e.tid = 4242;
	e.resource = 3;
	e.perm = JG_PERM_READ;
	e.ret = -13;
	e.flags = JG_EVF_PATH_OK | JG_EVF_EXE_OK;
	strcpy(e.comm, "cat");
	e.file.dev = (8u << 20) | 1;
	e.file.ino = 77;
	e.file.prot_ino = 70;
	strcpy(e.path, "/srv/prod/secrets/db.pw");
	strcpy(e.exe, "/usr/bin/cat");
	return e;
}

Test(audit, kernel_file_event_has_the_brief_fields)
{
	struct jg_event e = file_event();
	json_t *j = audit__from_kernel(&e, "prod-secrets");
	char *s = json_dumps(j, JSON_COMPACT);

	cr_assert(strstr(s, "\"type\":\"access.deny\""), "%s", s);
	cr_assert(strstr(s, "\"subject\":{\"uid\":1000,\"loginuid\":null,\"user\":"), "%s", s);
	cr_assert(strstr(s, "\"pid\":4242"), "%s", s);
	cr_assert(strstr(s, "\"comm\":\"cat\""), "%s", s);
	cr_assert(strstr(s, "\"exe\":\"/usr/bin/cat\""), "%s", s);
	cr_assert(strstr(s, "\"resource\":\"prod-secrets\""), "%s", s);
	cr_assert(strstr(s, "\"perm\":\"read\""), "%s", s);
	cr_assert(strstr(s, "\"object\":{\"path\":\"/srv/prod/secrets/db.pw\",\"dev\":\"8:1\","
			    "\"ino\":77,\"protected_ino\":70}"), "%s", s);
	cr_assert(strstr(s, "\"grant_id\":null"), "%s", s);
	cr_assert(strstr(s, "\"errno\":13"), "%s", s);
	free(s);
	json_decref(j);
}

Test(audit, kernel_connect_event_reports_mapped_ipv4_as_inet)
{
	struct jg_event e = { .type = JG_EV_ALLOW, .hook = JG_HOOK_CONNECT, .perm = JG_PERM_CONNECT,
			      .grant_id = 12, .loginuid = 1000, .subject = 1000 };
	const uint8_t v4[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 };
	const uint8_t v6[16] = { [15] = 1 };
	json_t *j;
	char *s;

	e.net.port = 7005;
	memcpy(e.net.addr, v4, 16);
	j = audit__from_kernel(&e, "prod-db");
	s = json_dumps(j, JSON_COMPACT);
	cr_assert(strstr(s, "\"object\":{\"family\":\"inet\",\"addr\":\"127.0.0.1\",\"port\":7005}"),
		  "%s", s);
	cr_assert(strstr(s, "\"grant_id\":\"g-12\""), "%s", s);
	cr_assert(strstr(s, "\"loginuid\":1000"), "%s", s);
	cr_assert_null(strstr(s, "errno"), "%s", s);
	free(s);
	json_decref(j);

	memcpy(e.net.addr, v6, 16);
	j = audit__from_kernel(&e, "prod-db");
	s = json_dumps(j, JSON_COMPACT);
	cr_assert(strstr(s, "\"family\":\"inet6\",\"addr\":\"::1\""), "%s", s);
	free(s);
	json_decref(j);
}

Test(audit, seq_continues_from_the_last_complete_line)
{
	char path[] = "/tmp/jg-audit-XXXXXX";
	struct jg_audit a;
	char err[256], buf[4096];
	int fd = mkstemp(path);
	ssize_t n;

	cr_assert(fd >= 0);
	/* a crash can leave a partial last line: the seq comes from the last complete one */
	dprintf(fd, "{\"seq\":41,\"type\":\"x\"}\n{\"seq\":42,\"type\":\"y\"}\n{\"seq\":4");
	close(fd);
	cr_assert_eq(audit__last_seq(path), 42);
	cr_assert_eq(audit__open(&a, path, false, "h", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(audit__emit(&a, audit__new("daemon.start"), 1000000000LL), 0);
	audit__close(&a);
	fd = open(path, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	/* the incomplete line is ended and accounted for, then the chain goes on */
	cr_assert(strstr(buf, "{\"seq\":4\n{\"seq\":43,\"time\":\""), "%s", buf);
	cr_assert(strstr(buf, "\"type\":\"audit.partial\",\"after_seq\":42,\"partial_bytes\":8,"),
		  "%s", buf);
	cr_assert(strstr(buf, "\n{\"seq\":44,\"time\":\"1970-01-01T00:00:01.000000000Z\",\"host\":\"h\","
			      "\"type\":\"daemon.start\",\"chain\":\""), "%s", buf);
	unlink(path);
	cr_assert_eq(audit__last_seq("/nonexistent/jg"), 0);
}

Test(audit, trail_event_has_argv_and_cwd)
{
	struct jg_trail t = { .ev = file_event() };
	static const char args[] = "/bin/echo\0two words\0cut";
	json_t *j, *argv;

	t.ev.type = JG_EV_TRAIL;
	t.ev.hook = JG_HOOK_EXEC;
	t.ev.perm = JG_PERM_ELEVATE;
	t.ev.ret = 0;
	t.ev.grant_id = 5;
	t.argc = 3;
	memcpy(t.argv, args, sizeof(args) - 1);	/* the last argument without its NUL */
	t.argv_len = sizeof(args) - 1;
	strcpy(t.cwd, "/srv/work");
	t.cwd_len = sizeof("/srv/work");
	j = audit__from_kernel(&t.ev, "root");
	cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "session.exec");
	argv = json_object_get(j, "argv");
	cr_assert_eq(json_array_size(argv), 3);
	cr_assert_str_eq(json_string_value(json_array_get(argv, 1)), "two words");
	cr_assert_str_eq(json_string_value(json_array_get(argv, 2)), "cut");
	cr_assert(json_is_true(json_object_get(j, "argv_truncated")));
	cr_assert_eq(json_integer_value(json_object_get(j, "argc")), 3);
	cr_assert_str_eq(json_string_value(json_object_get(j, "cwd")), "/srv/work");
	cr_assert_str_eq(json_string_value(json_object_get(j, "perm")), "elevate");
	json_decref(j);

	t.argc = 2;
	t.argv_len = sizeof("/bin/echo\0two words");
	t.cwd_len = 0;
	j = audit__from_kernel(&t.ev, "root");
	cr_assert_eq(json_array_size(json_object_get(j, "argv")), 2);
	cr_assert_null(json_object_get(j, "argv_truncated"));
	cr_assert(json_is_null(json_object_get(j, "cwd")));
	json_decref(j);
}

Test(audit, standing_allow_says_so_and_has_no_grant)
{
	struct jg_event e = file_event();
	json_t *j;
	char *s;

	e.type = JG_EV_ALLOW;
	e.ret = 0;
	e.flags |= JG_EVF_STANDING;
	j = audit__from_kernel(&e, "prod-secrets");
	s = json_dumps(j, JSON_COMPACT);
	cr_assert(strstr(s, "\"type\":\"access.allow\""), "%s", s);
	cr_assert(strstr(s, "\"grant_id\":null,\"standing\":true"), "%s", s);
	free(s);
	json_decref(j);

	e.flags &= ~JG_EVF_STANDING;	/* a grant's allow has no "standing" field */
	e.grant_id = 3;
	j = audit__from_kernel(&e, "prod-secrets");
	s = json_dumps(j, JSON_COMPACT);
	cr_assert_null(strstr(s, "standing"), "%s", s);
	free(s);
	json_decref(j);
}
