// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "audit/audit.h"
#include "audit/auditchain.h"
#include "gzslurp.h"

static char dir[64];
static char logp[128], headp[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jg-chain-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(logp, sizeof(logp), "%s/log/audit.jsonl", dir);
	snprintf(headp, sizeof(headp), "%s/audit.head", dir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(chain, .init = setup, .fini = teardown);

static void open_log(struct jg_audit *a, const char *head, uint64_t max_bytes, unsigned keep)
{
	struct jg_audit_cfg cfg = { .path = logp, .host = "h", .head = head,
				    .max_bytes = max_bytes, .keep = keep };
	char err[256];

	cr_assert_eq(audit__open_ex(a, &cfg, err, sizeof(err)), 0, "%s", err);
}

static void emit_n(struct jg_audit *a, int n)
{
	for (int i = 0; i < n; i++) {
		json_t *ev = audit__new("grant.create");

		json_object_set_new(ev, "grant_id", json_sprintf("g-%d", i + 1));
		json_object_set_new(ev, "reason", json_string("INC-4711: rotate the password"));
		cr_assert_eq(audit__emit(a, ev, 1000000000LL * (i + 1)), 0);
	}
}

/* A log of n records: the whole file, malloc'd. */
static char *slurp(const char *path, size_t *len)
{
	return gz_slurp(path, 1 << 20, len);
}

static char *make_log(int n, size_t *len)
{
	struct jg_audit a;

	open_log(&a, NULL, 0, 0);
	emit_n(&a, n);
	audit__close(&a);
	return slurp(logp, len);
}

/* Offset of the start of line no (1-based). */
static char *line_at(char *buf, int no)
{
	while (--no > 0) {
		buf = strchr(buf, '\n');
		cr_assert_not_null(buf);
		buf++;
	}
	return buf;
}

static int verify(const char *buf, size_t len, struct jg_chain_verify *v)
{
	auditchain__verify_init(v);
	if (auditchain__verify_buf(v, "audit.jsonl", buf, len))
		return -1;
	return auditchain__verify_end(v);
}

#define ANY_SEQ UINT64_MAX	/* broken_at: the seq is not checked */

/* buf does not verify: the first break is at line (and seq), its message holds want (NULL:
 * not checked). */
static void broken_at(const char *buf, size_t len, struct jg_chain_verify *v, uint64_t line,
		      uint64_t seq, const char *want)
{
	cr_assert_eq(verify(buf, len, v), -1);
	cr_assert_eq(v->err_line, line);
	if (seq != ANY_SEQ)
		cr_assert_eq(v->err_seq, seq);
	if (want)
		cr_assert(strstr(v->err, want), "%s", v->err);
}

Test(chain, records_carry_a_chain_that_verifies)
{
	struct jg_chain_verify v;
	char hex[65], *buf;
	size_t len, prefix;

	buf = make_log(20, &len);
	cr_assert_eq(verify(buf, len, &v), 0, "%s:%lu: %s", v.err_file, v.err_line, v.err);
	cr_assert_eq(v.records, 20);
	cr_assert_eq(v.file_first, 1);
	cr_assert_eq(v.file_last, 20);
	/* the format: the body, then "chain" last; the first chains to the genesis value */
	cr_assert(!strncmp(buf, "{\"seq\":1,\"time\":\"1970-01-01T00:00:01.000000000Z\",\"host\":\"h\","
			   "\"type\":\"grant.create\",", 60), "%s", buf);
	prefix = auditchain__split(buf, (size_t)(strchr(buf, '\n') - buf), hex);
	cr_assert_gt(prefix, 0);
	{
		char body[1024], want[65];

		memcpy(body, buf, prefix);
		body[prefix] = '}';
		cr_assert_eq(auditchain__hash(JG_CHAIN_GENESIS, body, prefix + 1, want), 0);
		cr_assert_str_eq(want, hex);
	}
	free(buf);
}

Test(chain, an_edited_byte_is_reported_at_its_record)
{
	struct jg_chain_verify v;
	size_t len;
	char *buf = make_log(12, &len), *l7 = line_at(buf, 7), *p = strstr(l7, "INC-4711");

	p[4] = '9';	/* INC-4911 */
	broken_at(buf, len, &v, 7, 7, "does not match its chain value");
	free(buf);
}

Test(chain, an_edited_chain_value_is_reported)
{
	struct jg_chain_verify v;
	size_t len;
	char *buf = make_log(5, &len), *l3 = line_at(buf, 3), *p = strstr(l3, "\"chain\":\"");

	p[9] = p[9] == 'a' ? 'b' : 'a';
	broken_at(buf, len, &v, 3, 3, NULL);
}

Test(chain, a_deleted_record_is_reported_at_the_next)
{
	struct jg_chain_verify v;
	size_t len;
	char *buf = make_log(10, &len), *l5 = line_at(buf, 5), *l6 = line_at(buf, 6);

	memmove(l5, l6, strlen(l6) + 1);
	len -= (size_t)(l6 - l5);
	broken_at(buf, len, &v, 5, 6, "comes after seq 4: seq 5 missing");
	free(buf);
}

Test(chain, swapped_records_are_reported)
{
	struct jg_chain_verify v;
	size_t len, n4;
	char *buf = make_log(10, &len), *l4 = line_at(buf, 4), *l5 = line_at(buf, 5);
	char *l6 = line_at(buf, 6), tmp[1024];

	n4 = (size_t)(l5 - l4);
	memcpy(tmp, l4, n4);
	memmove(l4, l5, (size_t)(l6 - l5));
	memcpy(l4 + (l6 - l5), tmp, n4);
	broken_at(buf, len, &v, 4, 5, NULL);
	free(buf);
}

Test(chain, a_record_moved_back_is_out_of_order)
{
	struct jg_chain_verify v;
	char buf[8192];
	size_t len;
	char *log = make_log(6, &len), *l2 = line_at(log, 2), *l3 = line_at(log, 3);

	/* seq 1 2 3 4 5 6 2 */
	memcpy(buf, log, len);
	memcpy(buf + len, l2, (size_t)(l3 - l2));
	len += (size_t)(l3 - l2);
	broken_at(buf, len, &v, 7, 2, "out of order");
	free(log);
}

Test(chain, a_file_cut_mid_line_is_a_truncated_record)
{
	struct jg_chain_verify v;
	size_t len;
	char *buf = make_log(10, &len), *l9 = line_at(buf, 9);

	len = (size_t)(l9 - buf) + 30;
	broken_at(buf, len, &v, 9, 0, "after seq 8: truncated record (30 bytes without a newline)");
	cr_assert_eq(v.records, 8, "the records before it verified");
	free(buf);
}

Test(chain, cutting_the_end_of_a_rotated_file_breaks_the_next)
{
	struct jg_chain_verify v;
	size_t len;
	char *buf = make_log(10, &len), *l5 = line_at(buf, 5), *l6 = line_at(buf, 6);

	/* file 1: records 1-5, file 2: 6-10; intact */
	auditchain__verify_init(&v);
	cr_assert_eq(auditchain__verify_buf(&v, "a.1.gz", buf, (size_t)(l6 - buf)), 0);
	cr_assert_eq(auditchain__verify_buf(&v, "a", l6, len - (size_t)(l6 - buf)), 0);
	cr_assert_eq(auditchain__verify_end(&v), 0);
	/* record 5 cut from the end of file 1: file 1 alone still looks fine, file 2 fails */
	auditchain__verify_init(&v);
	cr_assert_eq(auditchain__verify_buf(&v, "a.1.gz", buf, (size_t)(l5 - buf)), 0);
	cr_assert_eq(auditchain__verify_buf(&v, "a", l6, len - (size_t)(l6 - buf)), -1);
	cr_assert_str_eq(v.err_file, "a");
	cr_assert_eq(v.err_line, 1);
	cr_assert_eq(v.err_seq, 6);
	free(buf);
}

Test(chain, the_head_catches_records_cut_from_the_end)
{
	struct jg_chain_verify v;
	struct jg_audit a;
	char hex[65], path[256], *buf;
	uint64_t seq;
	size_t len;

	open_log(&a, headp, 0, 0);
	emit_n(&a, 10);
	audit__close(&a);
	cr_assert_eq(audit__read_head(headp, &seq, hex, path, sizeof(path)), 0);
	cr_assert_eq(seq, 10);
	cr_assert_str_eq(path, logp);
	buf = slurp(logp, &len);

	auditchain__verify_init(&v);
	auditchain__verify_head(&v, seq, hex);
	cr_assert_eq(auditchain__verify_buf(&v, "audit.jsonl", buf, len), 0);
	cr_assert_eq(auditchain__verify_end(&v), 0, "%s", v.err);

	len = (size_t)(line_at(buf, 9) - buf);	/* records 9 and 10 gone */
	auditchain__verify_init(&v);
	auditchain__verify_head(&v, seq, hex);
	cr_assert_eq(auditchain__verify_buf(&v, "audit.jsonl", buf, len), 0, "the file alone looks fine");
	cr_assert_eq(auditchain__verify_end(&v), -1);
	cr_assert(strstr(v.err, "the log ends at seq 8 but the head is seq 10"), "%s", v.err);

	/* a head that names another record's value */
	hex[0] = hex[0] == 'a' ? 'b' : 'a';
	auditchain__verify_init(&v);
	auditchain__verify_head(&v, 10, hex);
	cr_assert_eq(auditchain__verify_buf(&v, "audit.jsonl", buf, strlen(buf)), -1);
	cr_assert_eq(v.err_seq, 10);
	free(buf);
}

Test(chain, restart_after_a_cut_tail_writes_audit_gap)
{
	struct jg_chain_verify v;
	struct jg_audit a;
	size_t len;
	char *buf;
	int fd;

	open_log(&a, headp, 0, 0);
	emit_n(&a, 10);
	audit__close(&a);
	buf = slurp(logp, &len);
	fd = open(logp, O_WRONLY | O_TRUNC);
	cr_assert_eq(write(fd, buf, (size_t)(line_at(buf, 9) - buf)),
		     line_at(buf, 9) - buf);
	close(fd);
	free(buf);
	open_log(&a, headp, 0, 0);
	cr_assert_eq(a.seq, 9, "the gap record is seq 9, after the file's last");
	audit__close(&a);
	buf = slurp(logp, &len);
	cr_assert(strstr(line_at(buf, 9), "\"type\":\"audit.gap\",\"head_seq\":10,"), "%s", buf);
	cr_assert_eq(verify(buf, len, &v), 0, "%s", v.err);
	free(buf);
}

Test(chain, reopen_and_restart_continue_the_chain)
{
	struct jg_chain_verify v;
	struct jg_audit a;
	char moved[200], *buf;
	size_t len;

	open_log(&a, headp, 0, 0);
	emit_n(&a, 5);
	audit__close(&a);
	open_log(&a, headp, 0, 0);	/* a restart */
	cr_assert_eq(a.seq, 5);
	emit_n(&a, 3);
	/* logrotate: the file moved away, SIGHUP */
	snprintf(moved, sizeof(moved), "%s.1", logp);
	cr_assert_eq(rename(logp, moved), 0);
	cr_assert_eq(audit__reopen(&a), 0);
	emit_n(&a, 2);
	audit__close(&a);

	auditchain__verify_init(&v);
	buf = slurp(moved, &len);
	cr_assert_eq(auditchain__verify_buf(&v, moved, buf, len), 0, "%s", v.err);
	cr_assert_eq(v.file_last, 8);
	free(buf);
	buf = slurp(logp, &len);
	cr_assert_eq(auditchain__verify_buf(&v, logp, buf, len), 0, "%s", v.err);
	cr_assert_eq(v.file_first, 9);
	cr_assert_eq(v.file_last, 10);
	free(buf);

	/* moved away while no daemon ran: an empty log continues from the head */
	cr_assert_eq(rename(logp, moved), 0);
	open_log(&a, headp, 0, 0);
	cr_assert_eq(a.seq, 10);
	emit_n(&a, 1);
	audit__close(&a);
	buf = slurp(logp, &len);
	cr_assert(!strncmp(buf, "{\"seq\":11,", 10), "%s", buf);
	cr_assert_eq(auditchain__verify_buf(&v, logp, buf, len), 0, "%s", v.err);
	cr_assert_eq(auditchain__verify_end(&v), 0);
	free(buf);
}

Test(chain, a_crash_mid_line_is_accounted_for_by_audit_partial)
{
	struct jg_chain_verify v;
	struct jg_audit a;
	size_t len;
	char *buf;
	int fd;

	open_log(&a, NULL, 0, 0);
	emit_n(&a, 4);
	audit__close(&a);
	fd = open(logp, O_WRONLY | O_APPEND);
	dprintf(fd, "{\"seq\":5,\"time\":\"19");
	close(fd);
	buf = slurp(logp, &len);
	broken_at(buf, len, &v, 5, ANY_SEQ, "truncated record");
	free(buf);

	open_log(&a, NULL, 0, 0);
	emit_n(&a, 2);
	audit__close(&a);
	buf = slurp(logp, &len);
	cr_assert(strstr(buf, "{\"seq\":5,\"time\":\"19\n{\"seq\":5,"), "%s", buf);
	cr_assert(strstr(line_at(buf, 6), "\"type\":\"audit.partial\",\"after_seq\":4,"
		  "\"partial_bytes\":19,"), "%s", buf);
	cr_assert_eq(verify(buf, len, &v), 0, "%s:%lu: %s", v.err_file, v.err_line, v.err);
	cr_assert_eq(v.records, 7);

	/* the incomplete line changed afterwards: no longer accounted for */
	line_at(buf, 5)[3] = 'x';
	broken_at(buf, len, &v, 5, ANY_SEQ, "after seq 4: not a complete record (19 bytes)");
	free(buf);
}

Test(chain, a_garbage_line_in_the_middle_fails)
{
	struct jg_chain_verify v;
	char buf[8192];
	size_t len;
	char *log = make_log(4, &len), *l3 = line_at(log, 3);
	size_t n = (size_t)(l3 - log);

	memcpy(buf, log, n);
	memcpy(buf + n, "garbage\n", 8);
	memcpy(buf + n + 8, l3, len - n);
	broken_at(buf, len + 8, &v, 3, ANY_SEQ, NULL);
	free(log);
}

Test(chain, rotation_makes_gz_files_that_verify_with_the_live_file)
{
	struct jg_chain_verify v;
	struct jg_audit a;
	char name[200], *buf;
	struct stat st;
	size_t len;
	uint64_t total = 0;

	open_log(&a, headp, 2000, 3);
	emit_n(&a, 60);
	audit__close(&a);
	for (int i = 1; i <= 3; i++) {
		snprintf(name, sizeof(name), "%s.%d.gz", logp, i);
		cr_assert_eq(stat(name, &st), 0, "%s", name);
	}
	snprintf(name, sizeof(name), "%s.4.gz", logp);
	cr_assert_neq(stat(name, &st), 0, "only audit_keep files are kept");
	snprintf(name, sizeof(name), "%s.1", logp);
	cr_assert_neq(stat(name, &st), 0, "the plain copy is gone");
	cr_assert_eq(stat(logp, &st), 0);
	cr_assert_leq(st.st_size, 2000);

	auditchain__verify_init(&v);
	for (int i = 3; i >= 0; i--) {
		if (i)
			snprintf(name, sizeof(name), "%s.%d.gz", logp, i);
		else
			snprintf(name, sizeof(name), "%s", logp);
		buf = slurp(name, &len);
		cr_assert_eq(auditchain__verify_buf(&v, name, buf, len), 0, "%s:%lu: %s",
			     v.err_file, v.err_line, v.err);
		cr_assert_gt(v.file_records, 0, "%s", name);
		if (i == 3)
			cr_assert_gt(v.file_first, 1, "the oldest were deleted");
		total += v.file_records;
		free(buf);
	}
	cr_assert_eq(v.seq, 60);
	cr_assert_lt(total, 60);
	cr_assert_eq(auditchain__verify_end(&v), 0);

	/* a rotated file missing from the middle: the next one does not chain */
	auditchain__verify_init(&v);
	snprintf(name, sizeof(name), "%s.3.gz", logp);
	buf = slurp(name, &len);
	cr_assert_eq(auditchain__verify_buf(&v, name, buf, len), 0);
	free(buf);
	snprintf(name, sizeof(name), "%s.1.gz", logp);
	buf = slurp(name, &len);
	cr_assert_eq(auditchain__verify_buf(&v, name, buf, len), -1);
	cr_assert_eq(v.err_line, 1);
	free(buf);
}

static char tapped[65536];
static size_t ntapped;

static void tap(const char *line, size_t len, void *ctx)
{
	cr_assert_eq(ctx, tapped);
	memcpy(tapped + ntapped, line, len);
	ntapped += len;
}

Test(chain, the_tap_gets_every_line_as_written)
{
	struct jg_audit a;
	size_t len;
	char *buf;

	open_log(&a, NULL, 0, 0);
	audit__set_tap(&a, tap, tapped);
	emit_n(&a, 3);
	audit__close(&a);
	buf = slurp(logp, &len);
	cr_assert_eq(ntapped, len);
	cr_assert(!memcmp(tapped, buf, len));
	free(buf);
}

Test(chain, parse_head)
{
	char hex[65];
	uint64_t seq;
	char ok[80] = "42:";

	strcat(ok, JG_CHAIN_GENESIS);
	cr_assert_eq(auditchain__parse_head(ok, &seq, hex), 0);
	cr_assert_eq(seq, 42);
	cr_assert_str_eq(hex, JG_CHAIN_GENESIS);
	cr_assert_eq(auditchain__parse_head("42:abc", &seq, hex), -EINVAL);
	cr_assert_eq(auditchain__parse_head("x:" JG_CHAIN_GENESIS, &seq, hex), -EINVAL);
	cr_assert_eq(auditchain__parse_head("0:" JG_CHAIN_GENESIS, &seq, hex), -EINVAL);
}

static void render(const char *json, char *buf, size_t len)
{
	json_t *j = json_loads(json, 0, NULL);

	cr_assert_not_null(j, "%s", json);
	auditchain__render(j, buf, len);
	json_decref(j);
}

Test(chain, render_one_readable_line)
{
	char buf[1024];

	setenv("TZ", "UTC", 1);
	tzset();
	render("{\"seq\":3,\"time\":\"2026-11-22T19:36:13.256800110Z\",\"host\":\"vm\","
	       "\"type\":\"access.deny\",\"hook\":\"file_open\",\"subject\":{\"uid\":1000,"
	       "\"loginuid\":null,\"user\":\"alice\"},\"process\":{\"pid\":166,\"tid\":166,"
	       "\"ppid\":114,\"comm\":\"cat\",\"exe\":\"/bin/busybox\",\"uid\":1000,\"euid\":1000},"
	       "\"resource\":\"prod-secrets\",\"perm\":\"read\",\"object\":{\"path\":"
	       "\"/srv/prod/secrets/db.pw\",\"dev\":\"0:2\",\"ino\":993,\"protected_ino\":991},"
	       "\"grant_id\":null,\"errno\":13}", buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-22 19:36:13 #3 access.deny alice read "
			 "/srv/prod/secrets/db.pw prod-secrets (cat, pid 166)");
	render("{\"seq\":4,\"time\":\"2026-11-22T19:38:13.9Z\",\"type\":\"access.allow\","
	       "\"hook\":\"connect\",\"subject\":{\"uid\":1000,\"user\":\"alice\"},"
	       "\"process\":{\"pid\":9,\"comm\":\"nc\"},\"resource\":\"prod-db\","
	       "\"perm\":\"connect\",\"object\":{\"family\":\"inet6\",\"addr\":\"::1\","
	       "\"port\":7777},\"grant_id\":\"g-2\"}", buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-22 19:38:13 #4 access.allow alice connect [::1]:7777 "
			 "prod-db g-2 (nc, pid 9)");
	render("{\"seq\":5,\"time\":\"2026-11-22T19:36:14.188963270Z\",\"host\":\"vm\","
	       "\"type\":\"grant.create\",\"grant_id\":\"g-1\",\"subject\":{\"uid\":1000,"
	       "\"loginuid\":null,\"user\":\"alice\"},\"allow\":[{\"resource\":\"prod-secrets\","
	       "\"perms\":[\"read\",\"write\"]},{\"resource\":\"prod-db\",\"perms\":[\"connect\"]}],"
	       "\"reason\":\"INC-4711: rotate\\u0007 it\",\"expires\":\"2026-11-22T19:36:34.1Z\","
	       "\"duration_s\":20,\"break_glass\":false,\"by\":{\"uid\":0,\"user\":\"root\"}}",
	       buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-22 19:36:14 #5 grant.create g-1 alice "
			 "prod-secrets:read,write,prod-db:connect until 19:36:34 by root "
			 "\"INC-4711: rotate? it\"");
	render("{\"seq\":8,\"time\":\"2026-11-22T21:44:26Z\",\"type\":\"request.approve\","
	       "\"request_id\":\"r-1\",\"role\":\"db-debug\",\"subject\":{\"user\":\"alice\"},"
	       "\"reason\":\"slow\",\"state\":\"approved\",\"grant_id\":\"g-1\","
	       "\"by\":{\"user\":\"bob\"}}", buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-22 21:44:26 #8 request.approve r-1 alice role db-debug "
			 "approved g-1 by bob \"slow\"");
	render("{\"seq\":1,\"time\":\"2026-11-22T21:44:26Z\",\"type\":\"daemon.start\","
	       "\"version\":\"0.1.0\",\"pid\":77}", buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-11-22 21:44:26 #1 daemon.start pid 77");
	render("{\"seq\":1,\"time\":\"2026-11-22T21:44:26Z\",\"type\":\"access.deny\"}", buf, 40);
	cr_assert_eq(strlen(buf), 39, "cut to the buffer");
}

/* ------------------------------------------------------------------ a log that fails */

/* The log's descriptor becomes /dev/full (every write: ENOSPC) until ok_again. */
static void make_full(struct jg_audit *a)
{
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_geq(dup2(fd, a->fd), 0);
	close(fd);
}

static void ok_again(struct jg_audit *a)
{
	int fd = open(logp, O_WRONLY | O_APPEND | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_geq(dup2(fd, a->fd), 0);
	close(fd);
}

static int count_type(const char *buf, const char *type)
{
	char pat[64];
	int n = 0;

	snprintf(pat, sizeof(pat), "\"type\":\"%s\"", type);
	for (const char *p = buf; (p = strstr(p, pat)); p++)
		n++;
	return n;
}

/* The file takes lines again: the backlog is written, the log closed, read back and
 * verified. The whole log, malloc'd. */
static char *recover_and_verify(struct jg_audit *a, struct jg_chain_verify *v, size_t *len)
{
	char *buf;

	ok_again(a);
	cr_assert_eq(audit__flush(a), 0);
	audit__close(a);
	buf = slurp(logp, len);
	cr_assert_eq(verify(buf, *len, v), 0, "%s:%lu: %s", v->err_file, v->err_line, v->err);
	return buf;
}

/* Disk full: records are held in order, an audit.write_error follows the first, the file
 * gets them all once it takes lines again, then audit.recovered; the chain verifies. */
Test(chain, records_are_held_while_the_log_fails_and_written_in_order_after)
{
	struct jg_chain_verify v;
	struct jg_audit a;
	json_t *st;
	size_t len;
	char *buf;

	open_log(&a, headp, 0, 0);
	emit_n(&a, 2);
	make_full(&a);
	emit_n(&a, 3);
	cr_assert_eq(a.write_errors, 1, "one failed write; held lines wait for the flush");
	st = audit__state(&a);
	cr_assert_eq(json_integer_value(json_object_get(st, "pending")), 4, "3 + write_error");
	cr_assert_str_eq(json_string_value(json_object_get(st, "error")),
			 "No space left on device");
	json_decref(st);
	cr_assert_neq(audit__flush(&a), 0, "still full");
	ok_again(&a);
	cr_assert_eq(audit__flush(&a), 0);
	cr_assert_eq(a.backlog_n, 0);
	emit_n(&a, 1);
	audit__close(&a);
	buf = slurp(logp, &len);
	cr_assert_eq(verify(buf, len, &v), 0, "%s:%lu: %s", v.err_file, v.err_line, v.err);
	cr_assert_eq(v.records, 2 + 3 + 1 + 1 + 1, "%s", buf);
	cr_assert_eq(count_type(buf, "audit.write_error"), 1, "%s", buf);
	cr_assert_eq(count_type(buf, "audit.recovered"), 1, "%s", buf);
	cr_assert(strstr(buf, "\"held\":4,\"lost\":0"), "%s", buf);
	/* the order: 2 records, the 3 held ones with the error after the first */
	cr_assert(strstr(buf, "\"seq\":3,") < strstr(buf, "\"type\":\"audit.write_error\""));
	cr_assert(strstr(buf, "\"type\":\"audit.write_error\"") < strstr(buf, "\"seq\":5,"));
	free(buf);
}

/* Past backlog_max a record is not numbered: counted as lost, named by one audit.lost (how
 * many, where in the seq they belong) and in audit.recovered, and the chain still verifies
 * (no hole). */
Test(chain, records_past_the_backlog_are_counted_not_numbered)
{
	struct jg_audit_cfg cfg = { .path = logp, .host = "h", .backlog_max = 4096 };
	struct jg_chain_verify v;
	struct jg_audit a;
	char err[256], *buf;
	uint64_t seq;
	size_t len;
	int lost = 0;

	cr_assert_eq(audit__open_ex(&a, &cfg, err, sizeof(err)), 0, "%s", err);
	make_full(&a);
	for (int i = 0; i < 60; i++) {
		json_t *ev = audit__new("grant.create");

		json_object_set_new(ev, "reason", json_string("INC-4711: rotate the password"));
		if (audit__emit(&a, ev, 0) == -ENOSPC)
			lost++;
	}
	cr_assert_gt(lost, 0);
	cr_assert_eq(a.lost, (uint64_t)lost);
	cr_assert_leq(a.backlog_len, 4096 + 1024);
	seq = a.seq;
	cr_assert_eq(seq, a.backlog_n, "only held records are numbered");
	buf = recover_and_verify(&a, &v, &len);
	cr_assert_eq(v.records, seq + 2, "the held ones, audit.lost, audit.recovered: %s", buf);
	cr_assert_eq(count_type(buf, "audit.lost"), 1, "%s", buf);
	{
		char want[128];

		snprintf(want, sizeof(want), "\"lost\":%d", lost);
		cr_assert(strstr(buf, want), "%s", buf);
		/* audit.lost comes right after the held ones and names the place */
		snprintf(want, sizeof(want), "\"after_seq\":%llu,\"before_seq\":%llu",
			 (unsigned long long)seq, (unsigned long long)seq + 1);
		cr_assert(strstr(buf, want), "audit.lost names seq %llu-%llu: %s",
			  (unsigned long long)seq, (unsigned long long)seq + 1, buf);
	}
	free(buf);
}

/* The backlog is reserved when the log opens: holding numbered records while the file
 * fails allocates nothing, so a shortage of memory then cannot leave a hole in the chain:
 * the backlog neither moves nor grows, and every numbered record is written afterwards. */
Test(chain, held_records_need_no_memory_beyond_the_reservation)
{
	struct jg_audit_cfg cfg = { .path = logp, .host = "h", .backlog_max = 256 << 10 };
	struct jg_chain_verify v;
	struct jg_audit a;
	char err[256], *buf, *was;
	size_t len, cap;
	uint64_t seq;

	cr_assert_eq(audit__open_ex(&a, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_geq(a.backlog_cap, cfg.backlog_max, "reserved at open");
	was = a.backlog;
	cap = a.backlog_cap;
	make_full(&a);
	for (int i = 0; i < 400; i++) {
		json_t *ev = audit__new("grant.create");

		json_object_set_new(ev, "reason", json_string("INC-4711: rotate the password"));
		audit__emit(&a, ev, 0);
	}
	cr_assert_gt(a.backlog_len, 32u << 10, "held well past a first allocation");
	cr_assert_eq(a.backlog, was, "holding did not move the backlog");
	cr_assert_eq(a.backlog_cap, cap, "holding did not grow the backlog");
	cr_assert_eq(a.lost, 0);
	seq = a.seq;
	cr_assert_eq(seq, a.backlog_n, "every numbered record is held");
	buf = recover_and_verify(&a, &v, &len);
	cr_assert_eq(v.records, seq + 1, "the held ones and audit.recovered");
	free(buf);
}

/* A sync that fails (a file system that took the lines and may drop them: read-only after
 * an error, a dead disk) holds the lines written since the last sync again; the log is then
 * opened again by name, and the lines the file kept are not written twice. Here the
 * descriptor becomes a pipe: it takes every write and refuses fdatasync. */
Test(chain, a_failed_sync_holds_the_lines_again_and_the_reopened_file_gets_each_once)
{
	struct jg_chain_verify v;
	struct jg_audit a;
	int p[2];
	size_t len;
	char *buf;

	open_log(&a, headp, 0, 0);
	emit_n(&a, 2);
	cr_assert_gt(a.unsynced_len, 0, "written, not synced yet");
	cr_assert_eq(pipe(p), 0);
	cr_assert_geq(dup2(p[1], a.fd), 0);
	close(p[1]);
	a.synced_ns = 0;	/* a sync is due */
	audit__flush(&a);
	cr_assert_geq(a.write_errors, 1);
	close(p[0]);
	/* the file itself kept the two: opened by name, nothing is written twice */
	cr_assert_eq(audit__flush(&a), 0);
	cr_assert_eq(a.backlog_n, 0);
	emit_n(&a, 1);
	audit__close(&a);
	buf = slurp(logp, &len);
	cr_assert_eq(verify(buf, len, &v), 0, "%s:%lu: %s\n%s", v.err_file, v.err_line, v.err,
		     buf);
	cr_assert_eq(count_type(buf, "audit.write_error"), 1, "%s", buf);
	cr_assert_eq(count_type(buf, "audit.recovered"), 1, "%s", buf);
	cr_assert_eq(count_type(buf, "grant.create"), 3, "each record once: %s", buf);
	cr_assert(strstr(buf, "\"error\":\"Invalid argument\""), "%s", buf);
	cr_assert(strstr(buf, "\"held\":0,\"lost\":0"), "the two were in the file: %s", buf);
	free(buf);
}
