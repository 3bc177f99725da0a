// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-auditperf: where an audit record's time goes in userspace, without BPF. Synthetic
 * kernel events (access.allow on a file, as the audit bench makes them) go through the same
 * code as jitgated's drain: audit__from_kernel, audit__emit (seq, time, hash chain, the audit
 * log) and the sinks' tap, in drained batches like the ring buffer hands them over. Runs on
 * the host (perf record works there) and in the VM (TCG's costs).
 *
 *   jg-auditperf [-n EVENTS] [-b BATCH] [-d DIR] [STAGE...]
 *
 * STAGE is one of (default: all, in this order)
 *   render   kernel event -> JSON record, freed (nothing written)
 *   chain    + seq, time, hash chain, one line into DIR/audit.jsonl (no sink)
 *   file     + a JSON file sink (DIR/sink.jsonl)
 *   tcp      + a JSON syslog sink over TCP to a reader thread on 127.0.0.1 (RFC 5424,
 *            octet counting), the file sink as well
 * and prints one line per stage:
 *   STAGE events=N batch=B seconds=S per_s=R us_per_event=U
 * "micro" prints what a clock read, a system call and a 600-byte write cost.
 * The tcp stage checks that the reader got every frame (sink delivered = N). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "audit/audit.h"
#include "audit/auditchain.h"
#include "audit/sink.h"
#include "lib/util.h"

static int listen_fd = -1;
static volatile uint64_t got_bytes;

static void *reader(void *arg)
{
	char buf[1 << 16];
	int fd;

	for (;;) {
		ssize_t n;

		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			__atomic_add_fetch(&got_bytes, (uint64_t)n, __ATOMIC_RELAXED);
		close(fd);
	}
	return arg;
}

static int start_reader(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t l = sizeof(sa);
	pthread_t t;

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(listen_fd, 4) || getsockname(listen_fd, (struct sockaddr *)&sa, &l))
		return -errno;
	*port = ntohs(sa.sin_port);
	return -pthread_create(&t, NULL, reader, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fill(struct jg_event *e, uint64_t i)
{
	memset(e, 0, sizeof(*e));
	e->boot_ns = util__boottime_ns();
	e->grant_id = 7;
	e->type = JG_EV_ALLOW;
	e->hook = JG_HOOK_FILE_OPEN;
	e->subject = e->uid = e->euid = 1000;
	e->loginuid = 1000;
	e->pid = e->tid = 4242;
	e->ppid = 1;
	e->resource = 1;
	e->perm = JG_PERM_READ;
	e->flags = JG_EVF_PATH_OK | JG_EVF_EXE_OK;
	memcpy(e->comm, "jg-bench", 8);
	e->file.ino = 1000 + (i & 7);
	e->file.dev = 1;
	e->file.prot_ino = 999;
	snprintf(e->path, sizeof(e->path), "/srv/prod/secrets/db.pw");
	snprintf(e->exe, sizeof(e->exe), "/usr/local/bin/jg-bench");
}

enum stage { ST_RENDER, ST_CHAIN, ST_FILE, ST_TCP, ST_N };
static const char *const stage_names[ST_N] = { "render", "chain", "file", "tcp" };

static int run(enum stage st, const char *dir, long n, long batch, uint16_t port)
{
	char path[512], err[256], spool[512];
	struct jg_audit a;
	struct jg_event e;
	json_t *cfg = NULL, *stats;
	double t0, t1;
	uint64_t bytes0 = got_bytes;

	snprintf(path, sizeof(path), "%s/audit-%s.jsonl", dir, stage_names[st]);
	unlink(path);
	if (audit__open(&a, st == ST_RENDER ? NULL : path, false, "bench-host", err,
			sizeof(err))) {
		fprintf(stderr, "jg-auditperf: %s\n", err);
		return 1;
	}
	if (st >= ST_FILE) {
		char sinkpath[512];

		snprintf(sinkpath, sizeof(sinkpath), "%s/sink-%s.jsonl", dir, stage_names[st]);
		unlink(sinkpath);
		cfg = json_pack("[{s:s, s:s, s:s}]", "type", "file", "format", "json", "path",
				sinkpath);
		if (st == ST_TCP) {
			char addr[64];

			snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
			json_array_append_new(cfg, json_pack("{s:s, s:s, s:s, s:s}", "type",
							     "syslog", "transport", "tcp",
							     "address", addr, "format", "json"));
		}
		snprintf(spool, sizeof(spool), "%s/spool", dir);
		if (sink__config(cfg, spool, err, sizeof(err))) {
			fprintf(stderr, "jg-auditperf: %s\n", err);
			return 1;
		}
		audit__set_sinks(&a, &(struct jg_audit_sinks){ .put = sink__put,
							      .flush = sink__flush });
		/* let the connection come up */
		for (int i = 0; i < 100 && st == ST_TCP; i++) {
			sink__tick();
			stats = sink__stats();
			if (json_is_true(json_object_get(json_array_get(stats, 1), "connected"))) {
				json_decref(stats);
				break;
			}
			json_decref(stats);
			usleep(10000);
		}
	}
	t0 = now_s();
	for (long i = 0; i < n;) {
		audit__batch_begin(&a);
		for (long j = 0; j < batch && i < n; j++, i++) {
			json_t *rec;

			fill(&e, (uint64_t)i);
			rec = audit__from_kernel(&e, "prod-secrets");
			if (st == ST_RENDER)
				json_decref(rec);
			else
				audit__emit(&a, rec, util__boot_to_wall(e.boot_ns));
		}
		audit__batch_end(&a);
	}
	t1 = now_s();
	printf("%-6s events=%ld batch=%ld seconds=%.3f per_s=%.0f us_per_event=%.2f", stage_names[st],
	       n, batch, t1 - t0, (double)n / (t1 - t0), (t1 - t0) * 1e6 / (double)n);
	if (st >= ST_FILE) {
		/* the spool, if any, goes out */
		for (int i = 0; i < 500; i++) {
			sink__tick();
			stats = sink__stats();
			json_t *s = json_array_get(stats, st == ST_TCP ? 1 : 0);
			long long del = json_integer_value(json_object_get(s, "delivered"));

			json_decref(stats);
			if (del >= n)
				break;
			usleep(10000);
		}
		stats = sink__stats();
		for (size_t i = 0; i < json_array_size(stats); i++)
			printf(" %s_delivered=%lld", i ? "tcp" : "file",
			       (long long)json_integer_value(json_object_get(json_array_get(stats, i),
									      "delivered")));
		json_decref(stats);
		if (st == ST_TCP) {
			usleep(100000);
			printf(" tcp_bytes=%llu", (unsigned long long)(got_bytes - bytes0));
		}
		sink__close();
	}
	printf("\n");
	audit__close(&a);
	json_decref(cfg);
	return 0;
}

/* What the building blocks cost here: a clock read, a system call, a small write. */
static void micro(const char *dir)
{
	static const struct { const char *name; clockid_t id; } clocks[] = {
		{ "clock_boottime", CLOCK_BOOTTIME }, { "clock_realtime", CLOCK_REALTIME },
		{ "clock_monotonic_coarse", CLOCK_MONOTONIC_COARSE },
	};
	char path[512], line[600];
	struct timespec ts;
	const int n = 20000;
	double t0;
	int fd;

	for (size_t c = 0; c < sizeof(clocks) / sizeof(clocks[0]); c++) {
		t0 = now_s();
		for (int i = 0; i < n; i++)
			clock_gettime(clocks[c].id, &ts);
		printf("micro %s ns=%.0f\n", clocks[c].name, (now_s() - t0) * 1e9 / n);
	}
	t0 = now_s();
	for (int i = 0; i < n; i++)
		getppid();
	printf("micro getppid ns=%.0f\n", (now_s() - t0) * 1e9 / n);
	snprintf(path, sizeof(path), "%s/micro.out", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	memset(line, 'x', sizeof(line));
	t0 = now_s();
	for (int i = 0; i < n; i++)
		if (write(fd, line, sizeof(line)) != (ssize_t)sizeof(line))
			break;
	printf("micro write600 ns=%.0f\n", (now_s() - t0) * 1e9 / n);
	close(fd);
	unlink(path);
	{
		struct jg_event e;
		char chain[65] = JG_CHAIN_GENESIS, when[48], *body;
		json_t *rec;

		t0 = now_s();
		for (int i = 0; i < n / 10; i++)
			auditchain__hash(chain, line, sizeof(line), chain);
		printf("micro sha256_600 ns=%.0f\n", (now_s() - t0) * 1e9 / (n / 10));
		fill(&e, 1);
		rec = audit__from_kernel(&e, "prod-secrets");
		t0 = now_s();
		for (int i = 0; i < n / 10; i++)
			free(json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII));
		printf("micro json_dumps ns=%.0f\n", (now_s() - t0) * 1e9 / (n / 10));
		body = json_dumps(rec, JSON_COMPACT | JSON_ENSURE_ASCII);
		t0 = now_s();
		for (int i = 0; i < n / 10; i++)
			json_decref(json_loads(body, 0, NULL));
		printf("micro json_loads ns=%.0f\n", (now_s() - t0) * 1e9 / (n / 10));
		t0 = now_s();
		for (int i = 0; i < n / 10; i++) {
			json_t *r = json_pack("{s:I, s:s, s:s}", "seq", (json_int_t)i, "time",
					      util__rfc3339(1000000000LL * 1700000000 + i, when,
							    sizeof(when)), "host", "h");

			json_object_update(r, rec);
			json_decref(r);
		}
		printf("micro pack_update ns=%.0f\n", (now_s() - t0) * 1e9 / (n / 10));
		free(body);
		json_decref(rec);
	}
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp";
	long n = 20000, batch = 64;
	bool want[ST_N] = { 0 }, any = false;
	uint16_t port = 0;
	int opt;

	while ((opt = getopt(argc, argv, "n:b:d:")) != -1) {
		if (opt == 'n')
			n = strtol(optarg, NULL, 10);
		else if (opt == 'b')
			batch = strtol(optarg, NULL, 10);
		else if (opt == 'd')
			dir = optarg;
		else {
			fprintf(stderr, "usage: jg-auditperf [-n EVENTS] [-b BATCH] [-d DIR] "
				"[render|chain|file|tcp]...\n");
			return 2;
		}
	}
	if (n <= 0 || batch <= 0) {
		fprintf(stderr, "jg-auditperf: -n and -b must be positive numbers\n");
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		int s;

		if (!strcmp(argv[i], "micro")) {
			micro(dir);
			continue;
		}
		for (s = 0; s < ST_N && strcmp(argv[i], stage_names[s]); s++)
			;
		if (s == ST_N) {
			fprintf(stderr, "jg-auditperf: unknown stage \"%s\" (render, chain, file or "
				"tcp)\n", argv[i]);
			return 2;
		}
		want[s] = any = true;
	}
	if (start_reader(&port)) {
		fprintf(stderr, "jg-auditperf: cannot listen on 127.0.0.1: %s\n", strerror(errno));
		return 1;
	}
	for (int s = 0; s < ST_N && (any || optind == argc); s++)
		if ((!any || want[s]) && run((enum stage)s, dir, n, batch, port))
			return 1;
	return 0;
}
