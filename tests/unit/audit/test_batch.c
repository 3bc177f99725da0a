// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Drained batches (audit__batch_begin/end, sink__put/flush): the same bytes as one record at
 * a time, in one write per batch, rotation between records, and a TCP sink that takes part of
 * a batch spools the rest in order. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <zlib.h>
#include "audit/audit.h"
#include "audit/auditchain.h"
#include "audit/sink.h"
#include "gzslurp.h"

static char dir[64];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/jg-batch-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	sink__close();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(batch, .init = setup, .fini = teardown);

static void open_at(struct jg_audit *a, const char *name, uint64_t max_bytes, unsigned keep)
{
	char path[128], err[256];
	struct jg_audit_cfg cfg = { .path = path, .host = "h", .max_bytes = max_bytes,
				    .keep = keep };

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(audit__open_ex(a, &cfg, err, sizeof(err)), 0, "%s", err);
}

/* Record i as the drain makes them: fixed times, a text long enough to matter. */
static void emit_one(struct jg_audit *a, int i)
{
	json_t *ev = audit__new("access.allow");

	json_object_set_new(ev, "grant_id", json_sprintf("g-%d", i));
	json_object_set_new(ev, "object", json_pack("{s:s, s:i}", "path",
						    "/srv/prod/secrets/db.pw", "ino", i));
	json_object_set_new(ev, "reason", json_string("a text with \x7f and \xc3\xa9 in it"));
	cr_assert_eq(audit__emit(a, ev, 1000000000LL * (1000 + i)), 0);
}

/* Records 1 to n in the log name, one at a time or (batch) as one batch. */
static void write_log(const char *name, uint64_t max_bytes, unsigned keep, int n, bool batch)
{
	struct jg_audit a;

	open_at(&a, name, max_bytes, keep);
	if (batch)
		audit__batch_begin(&a);
	for (int i = 1; i <= n; i++)
		emit_one(&a, i);
	if (batch)
		audit__batch_end(&a);
	audit__close(&a);
}

static char *slurp(const char *name, size_t *len)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return gz_slurp(path, 4 << 20, len);
}

static off_t size_of(const char *name)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) ? -1 : st.st_size;
}

Test(batch, same_bytes_as_one_at_a_time_written_at_the_end)
{
	struct jg_audit many;
	struct jg_chain_verify v;
	char *a, *b;
	size_t alen, blen;

	write_log("one.jsonl", 0, 0, 50, false);

	open_at(&many, "many.jsonl", 0, 0);
	audit__batch_begin(&many);
	audit__batch_begin(&many);	/* nested: the outer end writes */
	for (int i = 1; i <= 50; i++)
		emit_one(&many, i);
	cr_assert_eq(audit__batch_end(&many), 0);
	cr_assert_eq(size_of("many.jsonl"), 0, "nothing written inside the batch");
	cr_assert_eq(many.seq, 50, "numbered as they come");
	cr_assert_eq(audit__batch_end(&many), 0);
	cr_assert_gt(size_of("many.jsonl"), 0);
	cr_assert_eq(size_of("many.jsonl"), size_of("one.jsonl"));
	emit_one(&many, 51);	/* outside a batch: at once */
	cr_assert_gt(size_of("many.jsonl"), size_of("one.jsonl"));
	audit__close(&many);

	a = slurp("one.jsonl", &alen);
	b = slurp("many.jsonl", &blen);
	cr_assert_gt(blen, alen);
	cr_assert(!memcmp(a, b, alen), "a batch writes the bytes one record at a time would");
	auditchain__verify_init(&v);
	cr_assert_eq(auditchain__verify_buf(&v, "many.jsonl", b, blen), 0, "%s", v.err);
	cr_assert_eq(auditchain__verify_end(&v), 0, "%s", v.err);
	cr_assert_eq(v.seq, 51);
	free(a);
	free(b);
}

Test(batch, a_big_batch_is_written_as_it_goes)
{
	struct jg_audit a;
	int i;

	open_at(&a, "big.jsonl", 0, 0);
	audit__batch_begin(&a);
	for (i = 1; size_of("big.jsonl") == 0 && i < 10000; i++)
		emit_one(&a, i);
	cr_assert_lt(i, 10000);
	cr_assert_geq((size_t)size_of("big.jsonl"), JG_AUDIT_BATCH_MAX,
		      "written once the batch holds JG_AUDIT_BATCH_MAX bytes");
	audit__batch_end(&a);
	audit__close(&a);
}

Test(batch, rotation_falls_between_records_of_a_batch)
{
	struct jg_chain_verify v;
	char name[64], other[64], *a, *b;
	size_t alen, blen;

	/* the same records and rotation, one at a time and as one batch */
	write_log("one.jsonl", 3000, 4, 30, false);
	write_log("many.jsonl", 3000, 4, 30, true);

	auditchain__verify_init(&v);
	cr_assert_gt(size_of("one.jsonl.2.gz"), 0, "the log rotated more than once");
	for (int i = 4; i >= 0; i--) {
		snprintf(other, sizeof(other), i ? "one.jsonl.%d.gz" : "one.jsonl", i);
		snprintf(name, sizeof(name), i ? "many.jsonl.%d.gz" : "many.jsonl", i);
		cr_assert_eq(size_of(other) < 0, size_of(name) < 0, "%s", name);
		if (size_of(name) < 0)
			continue;
		a = slurp(other, &alen);
		b = slurp(name, &blen);
		cr_assert_eq(alen, blen, "%s", name);
		cr_assert(!memcmp(a, b, alen), "%s", name);
		cr_assert_leq(blen, 3000, "%s", name);
		cr_assert_eq(auditchain__verify_buf(&v, name, b, blen), 0, "%s", v.err);
		free(a);
		free(b);
	}
	cr_assert_eq(v.seq, 30);
	cr_assert_eq(auditchain__verify_end(&v), 0, "%s", v.err);
}

/* ------------------------------------------------------------------ sinks */

static char put_lines[1 << 16];
static size_t put_len;
static int puts_seen, flushes, flushed_records;
static off_t log_at_flush;

static void put(const char *line, size_t len, json_t *rec, void *ctx)
{
	char *body = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_t *back = json_loadb(line, len, 0, NULL);

	/* the record the sink gets is the line's */
	cr_assert(json_equal(back, rec), "%s", body);
	json_decref(back);
	free(body);
	memcpy(put_lines + put_len, line, len);
	put_len += len;
	puts_seen++;
}

static void flush(void *ctx)
{
	flushes++;
	flushed_records = puts_seen;
	log_at_flush = size_of("sinks.jsonl");
}

Test(batch, sinks_get_every_record_and_one_flush_after_the_log)
{
	struct jg_audit a;
	char *buf;
	size_t len;

	open_at(&a, "sinks.jsonl", 0, 0);
	audit__set_sinks(&a, &(struct jg_audit_sinks){ .put = put, .flush = flush });
	audit__batch_begin(&a);
	for (int i = 1; i <= 20; i++)
		emit_one(&a, i);
	cr_assert_eq(puts_seen, 20);
	cr_assert_eq(flushes, 0);
	audit__batch_end(&a);
	cr_assert_eq(flushes, 1);
	cr_assert_eq(flushed_records, 20);
	cr_assert_eq(log_at_flush, size_of("sinks.jsonl"), "the log is written first");
	audit__close(&a);
	buf = slurp("sinks.jsonl", &len);
	cr_assert_eq(len, put_len);
	cr_assert(!memcmp(buf, put_lines, len));
	free(buf);
}

/* A record as jitgated writes it, for the sinks. */
static size_t line_of(int seq, char *line, size_t cap, size_t pad)
{
	char fill[4096];

	memset(fill, 'x', pad);
	fill[pad] = 0;
	return (size_t)snprintf(line, cap, "{\"seq\":%d,\"time\":\"2026-11-22T19:36:13.000000001Z\","
				"\"host\":\"h\",\"type\":\"grant.expire\",\"grant_id\":\"g-%d\","
				"\"reason\":\"%s\"}\n", seq, seq, fill);
}

Test(batch, file_sink_batch_matches_one_at_a_time)
{
	char text[512], err[256] = "", line[4200], *a, *b;
	size_t alen, blen, n;
	json_t *j;

	snprintf(text, sizeof(text), "[{\"type\":\"file\",\"path\":\"%s/tap.log\",\"format\":"
		 "\"cef\"},{\"type\":\"file\",\"path\":\"%s/tap.json\"}]", dir, dir);
	j = json_loads(text, 0, NULL);
	cr_assert_eq(sink__config(j, dir, err, sizeof(err)), 0, "%s", err);
	for (int i = 1; i <= 30; i++) {
		n = line_of(i, line, sizeof(line), (size_t)i * 7);
		sink__tap(line, n, NULL);
	}
	json_decref(j);
	snprintf(text, sizeof(text), "[{\"type\":\"file\",\"path\":\"%s/put.log\",\"format\":"
		 "\"cef\"},{\"type\":\"file\",\"path\":\"%s/put.json\"}]", dir, dir);
	j = json_loads(text, 0, NULL);
	cr_assert_eq(sink__config(j, dir, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
	for (int i = 1; i <= 30; i++) {
		n = line_of(i, line, sizeof(line), (size_t)i * 7);
		sink__put(line, n, NULL, NULL);
	}
	cr_assert_eq(size_of("put.log"), 0, "written at flush");
	sink__flush(NULL);
	j = sink__stats();
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(j, 0), "delivered")), 30);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(j, 1), "delivered")), 30);
	json_decref(j);
	a = slurp("tap.log", &alen);
	b = slurp("put.log", &blen);
	cr_assert(alen == blen && !memcmp(a, b, alen), "CEF lines differ");
	free(a);
	free(b);
	a = slurp("tap.json", &alen);
	b = slurp("put.json", &blen);
	cr_assert(alen == blen && !memcmp(a, b, alen), "JSON lines differ");
	free(a);
	free(b);
}

static json_int_t stat_of(const char *key)
{
	json_t *a = sink__stats();
	json_int_t v = json_integer_value(json_object_get(json_array_get(a, 0), key));

	json_decref(a);
	return v;
}

static bool connected(void)
{
	json_t *a = sink__stats();
	bool up = json_is_true(json_object_get(json_array_get(a, 0), "connected"));

	json_decref(a);
	return up;
}

/* Reads octet-counted frames from fd until want records came or nothing more comes;
 * returns how many, their seqs in order in seqs. */
static int read_frames(int fd, int *seqs, int want)
{
	static char buf[1 << 22];
	size_t have = 0;
	int got = 0, idle = 0;

	while (got < want && idle < 40) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		sink__tick();
		if (poll(&p, 1, 50) != 1) {
			idle++;
			continue;
		}
		n = read(fd, buf + have, sizeof(buf) - have - 1);
		if (n <= 0) {
			idle++;
			continue;
		}
		idle = 0;
		have += (size_t)n;
		buf[have] = 0;
		for (;;) {
			char *sp, *seq;
			long len = strtol(buf, &sp, 10);

			if (sp == buf || *sp != ' ' || (size_t)(sp + 1 - buf) + (size_t)len > have)
				break;
			seq = strstr(sp + 1, "{\"seq\":");
			cr_assert(seq && seq < sp + 1 + len, "a frame holds a record");
			cr_assert_eq(sp[len], '}', "a frame ends with its record");
			seqs[got++] = atoi(seq + 7);
			have -= (size_t)(sp + 1 + len - buf);
			memmove(buf, sp + 1 + len, have);
		}
	}
	return got;
}

/* The sinks: one TCP syslog sink to the port lfd is bound to. */
static void sink_to(int lfd)
{
	struct sockaddr_in sa;
	socklen_t l = sizeof(sa);
	char text[256], err[256] = "";
	json_t *j;

	getsockname(lfd, (struct sockaddr *)&sa, &l);
	snprintf(text, sizeof(text), "[{\"type\":\"syslog\",\"address\":\"127.0.0.1:%d\"}]",
		 ntohs(sa.sin_port));
	j = json_loads(text, 0, NULL);
	cr_assert_eq(sink__config(j, dir, err, sizeof(err)), 0, "%s", err);
	json_decref(j);
}

Test(batch, tcp_takes_part_of_a_batch_and_the_rest_follows_in_order)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), cfd, small = 4096;
	char line[4200];
	static int seqs[2000];
	int got;

	/* a collector that reads nothing yet, with small buffers: the batch cannot all go */
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	sink_to(lfd);
	for (int i = 0; i < 100 && !connected(); i++) {
		sink__tick();
		usleep(10000);
	}
	cr_assert(connected());
	cfd = accept(lfd, NULL, NULL);
	cr_assert_geq(cfd, 0);
	for (int i = 1; i <= 1500; i++) {
		size_t n = line_of(i, line, sizeof(line), 3000);

		sink__put(line, n, NULL, NULL);
	}
	sink__flush(NULL);
	cr_assert_gt(stat_of("delivered"), 0, "the socket took the start of the batch");
	cr_assert_lt(stat_of("delivered"), 1500, "and not all of it");
	cr_assert_gt(stat_of("backlog_bytes"), 0, "the rest is spooled");

	/* the collector reads: everything arrives once, in order, nothing dropped */
	got = read_frames(cfd, seqs, 1500);
	cr_assert_eq(got, 1500, "got %d of 1500", got);
	for (int i = 0; i < got; i++)
		cr_assert_eq(seqs[i], i + 1, "record %d is seq %d", i, seqs[i]);
	cr_assert_eq(stat_of("delivered"), 1500);
	cr_assert_eq(stat_of("dropped"), 0);
	cr_assert_eq(stat_of("backlog_bytes"), 0);
	close(cfd);
	close(lfd);
}

Test(batch, tcp_batch_with_the_collector_down_is_spooled_whole)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), cfd = -1;
	char line[4200];
	static int seqs[100];

	/* bound, not listening: the connect is refused */
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sink_to(lfd);
	for (int i = 1; i <= 40; i++) {
		size_t n = line_of(i, line, sizeof(line), 10);

		sink__put(line, n, NULL, NULL);
	}
	sink__flush(NULL);
	cr_assert_eq(stat_of("spooled"), 40);
	cr_assert_eq(stat_of("delivered"), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	fcntl(lfd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 200 && cfd < 0; i++) {
		sink__tick();
		cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			usleep(50000);
	}
	cr_assert_geq(cfd, 0);
	cr_assert_eq(read_frames(cfd, seqs, 40), 40);
	for (int i = 0; i < 40; i++)
		cr_assert_eq(seqs[i], i + 1);
	cr_assert_eq(stat_of("dropped"), 0);
	close(cfd);
	close(lfd);
}
