// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-bench: micro-benchmarks for the operations the jitgate LSM programs sit on, and a
 * reader of the kernel's per-program run statistics.
 *
 *   jg-bench open PATH N               open(PATH, O_RDONLY) + close, N times
 *   jg-bench exec PATH N [ARG...]      fork + execve(PATH, [PATH, ARG...]) + waitpid, N times
 *   jg-bench connect ADDR PORT N       TCP socket + connect + close, N times
 *   jg-bench listen ADDR PORT          accept and close connections until killed
 *   jg-bench progstats                 run_cnt / run_time_ns of every loaded "jg_*" program
 *   jg-bench rate PATH RATE SECONDS    open + close PATH at RATE per second for SECONDS
 *                                      (the audit bench: each open of a granted file is one
 *                                      event); prints "rate target=R achieved=A opens=N"
 *   jg-bench ringcount PIN_DIR SECONDS read the pinned ring buffers for SECONDS (no jitgated
 *                                      running) and count their records: the audit bench's
 *                                      floor; prints "ringcount records=N lost=L" (L: the
 *                                      kernel's lost-event counters over that time)
 *   jg-bench grant-raw PIN_DIR UID SECONDS|delete
 *                                      write every permission on resources 1..31 for UID into
 *                                      the pinned grant map directly, behind the daemon
 *                                      ("delete": remove them); a test of the gate's own guard
 *
 * Every loop runs N/10 (at least 1) warm-up iterations, then 5 timed runs of N iterations
 * each (CLOCK_MONOTONIC around the whole run); it prints the median run as
 *   NAME ns_per_op=X min=A max=B runs=5 n=N [outcome=...]
 * so that the first two words are stable for scripts. Any unexpected result (an open or
 * exec that fails, a connect whose outcome changes) is an error: exit 1, nothing printed
 * on stdout, one sentence on stderr.
 *
 * connect: the outcome of the first attempt (connected, or ECONNREFUSED for a closed port)
 * becomes the expected outcome of every later one, and is printed as outcome=connected or
 * outcome=refused. A denial (EACCES/EPERM) or any other error is an error, not an outcome.
 *
 * progstats needs kernel.bpf_stats_enabled=1 for run_time_ns to count; it does not enable it.
 * With JG_BENCH_PROGSTATS=1 in the environment, each loop also prints one line per jg_*
 * program with what it did during the timed runs:
 *   progdelta NAME run_cnt=N run_time_ns=T ns_per_run=X runs_per_op=R
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "jitgate.h"

#define RUNS 5

static const char *prog = "jg-bench";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: jg-bench open PATH N\n"
		"       jg-bench read PATH N            (pread of one byte on one descriptor)\n"
		"       jg-bench exec PATH N [ARG...]\n"
		"       jg-bench connect ADDR PORT N\n"
		"       jg-bench listen ADDR PORT\n"
		"       jg-bench progstats\n"
		"       jg-bench rate PATH RATE SECONDS   (paced opens, for the audit bench)\n"
		"       jg-bench ringcount PIN_DIR SECONDS (count ring buffer records)\n"
		"       jg-bench grant-raw PIN_DIR UID SECONDS|delete   (grants behind the daemon)\n"
		"Each loop: N/10 warm-up iterations, then %d timed runs of N; prints the median as\n"
		"\"NAME ns_per_op=X ...\". progstats prints \"prog NAME run_cnt=N run_time_ns=T "
		"ns_per_run=X\"\nfor every loaded BPF program named jg_* (needs "
		"kernel.bpf_stats_enabled=1).\n"
		"JG_BENCH_PROGSTATS=1: each loop also prints \"progdelta NAME run_cnt=N ...\" for\n"
		"the jg_* programs over its timed runs.\n", RUNS);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long parse_count(const char *s, const char *what, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > max)
		die("%s must be a whole number from 1 to %ld, not \"%s\"", what, max, s);
	return n;
}

static void progdelta_start(void);
static void progdelta_stop(void);
static void progdelta_print(uint64_t ops);

/* One iteration of a benchmark; dies on any unexpected result. */
typedef void (*op_fn)(void *ctx);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void bench(const char *name, op_fn op, void *ctx, long n, const char *extra)
{
	uint64_t per[RUNS], sorted[RUNS];
	long warm = n / 10 > 0 ? n / 10 : 1;
	long i;
	int r;

	for (i = 0; i < warm; i++)
		op(ctx);
	progdelta_start();
	for (r = 0; r < RUNS; r++) {
		uint64_t t0 = now_ns();

		for (i = 0; i < n; i++)
			op(ctx);
		per[r] = (now_ns() - t0) / (uint64_t)n;
	}
	progdelta_stop();
	memcpy(sorted, per, sizeof(per));
	qsort(sorted, RUNS, sizeof(sorted[0]), cmp_u64);
	printf("%s ns_per_op=%llu min=%llu max=%llu runs=%d n=%ld%s%s\n", name,
	       (unsigned long long)sorted[RUNS / 2], (unsigned long long)sorted[0],
	       (unsigned long long)sorted[RUNS - 1], RUNS, n, extra ? " " : "", extra ? extra : "");
	progdelta_print((uint64_t)n * RUNS);
	fflush(stdout);
}

/* ------------------------------------------------------------------ open */

static void op_open(void *ctx)
{
	const char *path = ctx;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	close(fd);
}

/* One pread(2) of a byte on a descriptor opened once: what file_permission costs every
 * read on the host. */
static void op_read(void *ctx)
{
	int fd = *(int *)ctx;
	char c;

	if (pread(fd, &c, 1, 0) < 0)
		die("pread: %s", strerror(errno));
}

/* ------------------------------------------------------------------ exec */

struct exec_ctx {
	const char *path;
	char **argv;
};

extern char **environ;

static void op_exec(void *ctx)
{
	struct exec_ctx *e = ctx;
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		execve(e->path, e->argv, environ);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s exited with %s %d (127: execve failed, e.g. denied)", e->path,
		    WIFEXITED(status) ? "status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/* ------------------------------------------------------------------ connect */

struct conn_ctx {
	struct sockaddr_storage sa;
	socklen_t salen;
	int expect;		/* -1: not known yet; 0: connected; else the errno */
};

static int parse_addr(const char *addr, const char *port, struct sockaddr_storage *sa,
		      socklen_t *salen)
{
	long p = parse_count(port, "PORT", 65535);
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t len = strlen(addr);

	memset(sa, 0, sizeof(*sa));
	/* accept [::1] as well as ::1 */
	if (len >= 2 && len < sizeof(buf) && addr[0] == '[' && addr[len - 1] == ']') {
		memcpy(buf, addr + 1, len - 2);
		buf[len - 2] = 0;
		addr = buf;
	}
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		*salen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		*salen = sizeof(*sin6);
		return 0;
	}
	die("ADDR must be an IPv4 or IPv6 address, not \"%s\"", addr);
}

static void op_connect(void *ctx)
{
	struct conn_ctx *c = ctx;
	int fd = socket(c->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int got;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	got = connect(fd, (struct sockaddr *)&c->sa, c->salen) ? errno : 0;
	close(fd);
	if (c->expect < 0) {
		if (got != 0 && got != ECONNREFUSED)
			die("connect: %s (only a connection or ECONNREFUSED is a normal outcome)",
			    strerror(got));
		c->expect = got;
	} else if (got != c->expect) {
		die("connect: outcome changed from \"%s\" to \"%s\"",
		    c->expect ? strerror(c->expect) : "connected", got ? strerror(got) : "connected");
	}
}

static int cmd_listen(const char *addr, const char *port)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	int one = 1, fd;

	parse_addr(addr, port, &sa, &salen);
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, salen) || listen(fd, 4096))
		die("listen on %s:%s: %s", addr, port, strerror(errno));
	fprintf(stderr, "%s: listening on %s:%s\n", prog, addr, port);
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			die("accept: %s", strerror(errno));
	}
}

/* ------------------------------------------------------------------ progstats */

#define MAX_PROGS 64

struct progstat {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	__u64 run_cnt, run_time_ns;
};

/* Fill ps with every loaded program named jg_*; returns how many. */
static int read_progstats(struct progstat *ps, int max)
{
	__u32 id = 0;
	int n = 0;

	for (;;) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd, err;

		if (bpf_prog_get_next_id(id, &id)) {
			if (errno == ENOENT)
				break;
			die("bpf_prog_get_next_id: %s (root needed)", strerror(errno));
		}
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0) {
			if (errno == ENOENT)
				continue;	/* unloaded meanwhile */
			die("bpf_prog_get_fd_by_id(%u): %s", id, strerror(errno));
		}
		memset(&info, 0, sizeof(info));
		err = bpf_obj_get_info_by_fd(fd, &info, &len);
		close(fd);
		if (err)
			die("bpf_obj_get_info_by_fd(prog %u): %s", id, strerror(errno));
		if (strncmp(info.name, "jg_", 3) || n >= max)
			continue;
		ps[n].id = id;
		memcpy(ps[n].name, info.name, sizeof(ps[n].name));
		ps[n].name[sizeof(ps[n].name) - 1] = 0;
		ps[n].run_cnt = info.run_cnt;
		ps[n].run_time_ns = info.run_time_ns;
		n++;
	}
	return n;
}

static int stats_enabled(void)
{
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int enabled = -1;

	if (f) {
		if (fscanf(f, "%d", &enabled) != 1)
			enabled = -1;
		fclose(f);
	}
	if (enabled == 0)
		fprintf(stderr, "%s: warning: kernel.bpf_stats_enabled is 0: run_time_ns and "
			"run_cnt only count while it is 1\n", prog);
	return enabled;
}

static int cmd_progstats(void)
{
	struct progstat ps[MAX_PROGS];
	int i, n;

	stats_enabled();
	n = read_progstats(ps, MAX_PROGS);
	for (i = 0; i < n; i++)
		printf("prog %s run_cnt=%llu run_time_ns=%llu ns_per_run=%llu id=%u\n", ps[i].name,
		       (unsigned long long)ps[i].run_cnt, (unsigned long long)ps[i].run_time_ns,
		       (unsigned long long)(ps[i].run_cnt ? ps[i].run_time_ns / ps[i].run_cnt : 0),
		       ps[i].id);
	if (!n)
		fprintf(stderr, "%s: no loaded BPF program is named jg_*\n", prog);
	return 0;
}

/* With JG_BENCH_PROGSTATS=1, a loop also prints what the jg_* programs did during its
 * timed runs (warm-up excluded), from snapshots taken in this process just around them:
 *   progdelta NAME run_cnt=N run_time_ns=T ns_per_run=X runs_per_op=R
 * Anything else running meanwhile (the daemon, other processes) is counted too. */
static struct progstat delta_before[MAX_PROGS], delta_after[MAX_PROGS];
static int delta_nbefore = -1, delta_nafter;

static void progdelta_start(void)
{
	const char *e = getenv("JG_BENCH_PROGSTATS");

	if (!e || strcmp(e, "1"))
		return;
	stats_enabled();
	delta_nbefore = read_progstats(delta_before, MAX_PROGS);
}

static void progdelta_stop(void)
{
	if (delta_nbefore >= 0)
		delta_nafter = read_progstats(delta_after, MAX_PROGS);
}

static void progdelta_print(uint64_t ops)
{
	struct progstat *after = delta_after;
	int i, j, n = delta_nafter;

	if (delta_nbefore < 0)
		return;
	for (i = 0; i < n; i++) {
		__u64 cnt = after[i].run_cnt, t = after[i].run_time_ns;

		for (j = 0; j < delta_nbefore; j++) {
			if (delta_before[j].id == after[i].id) {
				cnt -= delta_before[j].run_cnt;
				t -= delta_before[j].run_time_ns;
				break;
			}
		}
		printf("progdelta %s run_cnt=%llu run_time_ns=%llu ns_per_run=%llu "
		       "runs_per_op=%.2f\n", after[i].name, (unsigned long long)cnt,
		       (unsigned long long)t, (unsigned long long)(cnt ? t / cnt : 0),
		       ops ? (double)cnt / (double)ops : 0.0);
	}
	delta_nbefore = -1;
}

/* ------------------------------------------------------------------ rate */

/* Paced opens: every millisecond tick opens as many times as the rate owes by then, so the
 * load is smooth rather than one burst per second. Every open must succeed. */
static int cmd_rate(const char *path, long rate, long secs)
{
	struct timespec t0, now, tick;
	long long owed, done = 0, total = (long long)rate * secs;
	double elapsed;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	tick = t0;
	while (done < total) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
		owed = (long long)(elapsed * (double)rate) + 1;
		if (owed > total)
			owed = total;
		for (; done < owed; done++) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			if (fd < 0)
				die("open %s: %s", path, strerror(errno));
			close(fd);
		}
		tick.tv_nsec += 1000000;
		if (tick.tv_nsec >= 1000000000) {
			tick.tv_sec++;
			tick.tv_nsec -= 1000000000;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
	printf("rate target=%ld achieved=%.0f opens=%lld seconds=%.2f\n", rate,
	       (double)done / elapsed, done, elapsed);
	return 0;
}

/* ------------------------------------------------------------------ ringcount */

static int ring_count(void *ctx, void *data, size_t size)
{
	(*(unsigned long long *)ctx)++;
	return 0;
}

/* The kernel's count of one stats slot, all CPUs. */
static unsigned long long stat_sum(int fd, uint32_t slot)
{
	unsigned long long total = 0, vals[1024] = { 0 };
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0 || ncpu > 1024 || bpf_map_lookup_elem(fd, &slot, vals))
		return 0;
	for (int c = 0; c < ncpu; c++)
		total += vals[c];
	return total;
}

/* The audit bench's floor: the pinned ring buffers read and counted, nothing else, while no
 * jitgated runs. For SECONDS, then what is left. */
static int cmd_ringcount(const char *pin_dir, long secs)
{
	char path[PATH_MAX];
	unsigned long long records = 0, lost0, lost1;
	struct ring_buffer *rb = NULL;
	struct timespec t0, now;
	int fd, stats;

	snprintf(path, sizeof(path), "%s/stats", pin_dir);
	/* read-only: the sealed gate gives writable descriptors of its maps to jitgated alone */
	stats = bpf_obj_get_opts(path, &(struct bpf_obj_get_opts){
		.sz = sizeof(struct bpf_obj_get_opts), .file_flags = BPF_F_RDONLY });
	if (stats < 0)
		die("cannot open the pinned map %s: %s", path, strerror(errno));
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, i ? "events_prio" : "events");
		fd = bpf_obj_get(path);
		if (fd < 0)
			die("cannot open the pinned ring buffer %s for reading and writing (a reader "
			    "moves its consumer position): %s", path, strerror(errno));
		if (!rb)
			rb = ring_buffer__new(fd, ring_count, &records, NULL);
		else if (ring_buffer__add(rb, fd, ring_count, &records))
			rb = NULL;
		if (!rb)
			die("cannot read the ring buffer %s: %s", path, strerror(errno));
	}
	lost0 = stat_sum(stats, JG_STAT_EVENTS_LOST) + stat_sum(stats, JG_STAT_PRIO_LOST);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ring_buffer__poll(rb, 100);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - t0.tv_sec < secs);
	ring_buffer__consume(rb);
	lost1 = stat_sum(stats, JG_STAT_EVENTS_LOST) + stat_sum(stats, JG_STAT_PRIO_LOST);
	printf("ringcount records=%llu lost=%llu\n", records, lost1 - lost0);
	ring_buffer__free(rb);
	return 0;
}

/* ------------------------------------------------------------------ grant-raw */

/* What a foreign map writer (bpftool, a bug) could do: grants the daemon never armed for. */
static int cmd_grant_raw(const char *pin_dir, long uid, long secs)
{
	char path[PATH_MAX];
	struct timespec now;
	struct jg_grant val = { 0 };
	int fd;

	snprintf(path, sizeof(path), "%s/grants", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		die("cannot open the pinned map %s: %s", path, strerror(errno));
	clock_gettime(CLOCK_BOOTTIME, &now);
	for (int p = 0; p < JG_NPERMS; p++) {
		/* to the nanosecond: a whole-second expiry could fall before a grant made
		 * a moment earlier, and the guard would see less, not more */
		val.expires_ns[p] = (uint64_t)(now.tv_sec + secs) * 1000000000ULL +
				    (uint64_t)now.tv_nsec;
		val.grant_id[p] = 999999;
	}
	for (uint32_t r = 1; r < 32; r++) {
		struct jg_grant_key k = { .subject = (uint32_t)uid, .resource = r };

		if (secs ? bpf_map_update_elem(fd, &k, &val, BPF_ANY) :
			   bpf_map_delete_elem(fd, &k) && errno != ENOENT)
			die("cannot write %s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "open") && argc == 4) {
		long n = parse_count(argv[3], "N", LONG_MAX / 2);

		bench("open", op_open, argv[2], n, NULL);
		return 0;
	}
	if (!strcmp(cmd, "read") && argc == 4) {
		long n = parse_count(argv[3], "N", LONG_MAX / 2);
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			die("open %s: %s", argv[2], strerror(errno));
		bench("read", op_read, &fd, n, NULL);
		close(fd);
		return 0;
	}
	if (!strcmp(cmd, "exec") && argc >= 4) {
		struct exec_ctx e = { .path = argv[2] };
		long n = parse_count(argv[3], "N", LONG_MAX / 2);

		/* argv for the child: PATH, then ARG...; reuse our argv's tail in place */
		argv[3] = argv[2];
		e.argv = &argv[3];
		bench("exec", op_exec, &e, n, NULL);
		return 0;
	}
	if (!strcmp(cmd, "connect") && argc == 5) {
		struct conn_ctx c = { .expect = -1 };
		long n = parse_count(argv[4], "N", LONG_MAX / 2);
		char extra[64];

		parse_addr(argv[2], argv[3], &c.sa, &c.salen);
		/* bench() prints after the loops; the outcome is known by then, so format it
		 * through a first probing iteration. */
		op_connect(&c);
		snprintf(extra, sizeof(extra), "outcome=%s", c.expect ? "refused" : "connected");
		bench("connect", op_connect, &c, n, extra);
		return 0;
	}
	if (!strcmp(cmd, "listen") && argc == 4)
		return cmd_listen(argv[2], argv[3]);
	if (!strcmp(cmd, "progstats") && argc == 2)
		return cmd_progstats();
	if (!strcmp(cmd, "grant-raw") && argc == 5)
		return cmd_grant_raw(argv[2], parse_count(argv[3], "UID", UINT32_MAX - 1),
				     strcmp(argv[4], "delete") ?
				     parse_count(argv[4], "SECONDS", 86400) : 0);
	if (!strcmp(cmd, "ringcount") && argc == 4)
		return cmd_ringcount(argv[2], parse_count(argv[3], "SECONDS", 3600));
	if (!strcmp(cmd, "rate") && argc == 5)
		return cmd_rate(argv[2], parse_count(argv[3], "RATE", 10000000),
				parse_count(argv[4], "SECONDS", 3600));
	usage(stderr);
	return 2;
}
