// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-redteam2: probes for tests/vm/test_56_redteam2.sh, more ways an elevated human keeps
 * root after the grant. Every outcome is one word or line on stdout.
 *
 *   jg-redteam2 fd-give FD WHAT
 *        (run as root) opens WHAT read-write (a path), or makes a raw IPv4 ICMP socket
 *        (WHAT "raw"), and sends the descriptor over the unix socket FD (SCM_RIGHTS):
 *        "given" or the errno name
 *   jg-redteam2 fd-keep GOFILE HELPER [ARGS...]
 *        runs HELPER ARGS with one end of a unix socket pair as descriptor 3 (fd-give),
 *        receives the descriptor it sends, prints "held", waits (up to 5 min) until
 *        GOFILE exists, then uses it: a file is read (its first line) and appended to
 *        ("read=LINE write=RESULT"); a raw socket sends an ICMP echo to 127.0.0.1
 *        ("raw-send=RESULT"); RESULT is "ok" or the errno name
 *        When the kernel refused the descriptor (the message came with its control data
 *        cut off), prints "refused" instead of "held"
 *   jg-redteam2 fd-hold WHAT PIDFILE
 *        (run as root) opens WHAT read-write (or a raw socket), becomes uid/gid 1000 again
 *        and dumpable, so that uid 1000 may take the descriptor with pidfd_getfd(2), writes
 *        "PID FD" to PIDFILE and sleeps (60 s)
 *   jg-redteam2 fd-take PIDFILE
 *        pidfd_getfd(2) of the descriptor PIDFILE names, then uses it as fd-keep does:
 *        "take=ERRNO" when the kernel refused it
 *   jg-redteam2 ring-hold PIDFILE
 *        makes an io_uring ring, writes "PID FD" to PIDFILE and sleeps (60 s): a ring of
 *        the person's plain process, for fd-take from her root shell
 *   jg-redteam2 raw
 *        socket(AF_INET, SOCK_RAW, IPPROTO_ICMP): "ok" or the errno name
 *   jg-redteam2 rt-starve START END FILE
 *        (run as root) maps FILE (root's, at least 64 bytes) shared and writable, turns
 *        real-time throttling off (/proc/sys/kernel/sched_rt_runtime_us = -1), prints
 *        "armed", sleeps until the epoch second START, then spins on every CPU at
 *        SCHED_FIFO 99 until END, writes "after t=SECONDS euid=E" into the mapping (no
 *        system call: no checked operation), spins one more second and prints "done t=SECONDS".
 *        With a fifth argument "plain": the same spin at the normal priority, throttling
 *        left alone (the control: jitgated gets to run)
 *   jg-redteam2 rtprio PID
 *        (run as root) prlimit(PID, RLIMIT_RTPRIO, 99): "ok" or the errno name
 *   jg-redteam2 request-key
 *        request_key("user", "jg:rt", "go", process keyring): a key the kernel has not got,
 *        so it runs its helper /sbin/request-key as root to make one: "ok" or the errno
 *        name (ENOKEY when the helper made none)
 *   jg-redteam2 fifo
 *        sched_setscheduler(0, SCHED_FIFO, 1) on itself: "ok" or the errno name
 *
 * Exit: 0 when the step did what it says, 1 when the kernel refused, 2 usage, 125 setup. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *errname(int e)
{
	switch (e) {
	case 0:       return "ok";
	case EPERM:   return "EPERM";
	case EACCES:  return "EACCES";
	case ENOENT:  return "ENOENT";
	case EINVAL:  return "EINVAL";
	case EBADF:   return "EBADF";
	case ENOKEY:  return "ENOKEY";
	default:      return strerror(e);
	}
}

static int report(int e)
{
	printf("%s\n", errname(e));
	return e ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: jg-redteam2 fd-give|fd-keep|fd-hold|fd-take|ring-hold|raw|rt-starve|rtprio|request-key|fifo ARGS... (see the source)\n");
	return 2;
}

/* ------------------------------------------------------------------ descriptors */

static int raw_socket(void)
{
	return socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
}

static int fd_give(int sock, const char *what)
{
	char data = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = strcmp(what, "raw") ? open(what, O_RDWR) : raw_socket();

	if (fd < 0)
		return report(errno);
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) < 0)
		return report(errno);
	printf("given\n");
	return 0;
}

static int fd_recv(int sock)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) <= 0)
		return -1;
	if (msg.msg_flags & MSG_CTRUNC)
		return -2;	/* the kernel refused to install the descriptor */
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static int wait_file(const char *path)
{
	for (int i = 0; i < 3000; i++) {
		if (!access(path, F_OK))
			return 0;
		usleep(100000);
	}
	return -1;
}

static void use_fd(int fd)
{
	struct stat st;

	if (fstat(fd, &st)) {
		printf("fstat=%s\n", errname(errno));
		return;
	}
	if (S_ISSOCK(st.st_mode)) {
		struct sockaddr_in to = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct icmphdr h = { .type = ICMP_ECHO };

		h.checksum = htons(~(ICMP_ECHO << 8));	/* all other fields 0 */
		printf("raw-send=%s\n", sendto(fd, &h, sizeof(h), 0, (struct sockaddr *)&to,
					       sizeof(to)) < 0 ? errname(errno) : "ok");
		return;
	}
	{
		char buf[128] = "";
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		const char *w;

		if (n < 0)
			snprintf(buf, sizeof(buf), "%s", errname(errno));
		else
			buf[strcspn(buf, "\n")] = 0;
		w = lseek(fd, 0, SEEK_END) < 0 || write(fd, "owned\n", 6) != 6 ?
		    errname(errno) : "ok";
		printf("read=%s write=%s\n", buf, w);
	}
}

static int fd_keep(const char *gofile, char **helper)
{
	int sv[2], st, fd;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return report(errno);
	pid = fork();
	if (pid < 0)
		return report(errno);
	if (!pid) {
		if (dup2(sv[1], 3) < 0)
			_exit(125);
		execv(helper[0], helper);
		_exit(127);
	}
	close(sv[1]);
	fd = fd_recv(sv[0]);
	waitpid(pid, &st, 0);
	if (fd == -2) {
		printf("refused\n");
		return 1;
	}
	if (fd < 0) {
		printf("nothing received\n");
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	if (wait_file(gofile)) {
		printf("no go\n");
		return 125;
	}
	use_fd(fd);
	return 0;
}

/* Say "PID FD" in pidfile for fd-take, then keep fd for a minute. */
static int hold(int fd, const char *pidfile)
{
	FILE *f = fopen(pidfile, "w");

	if (!f)
		return report(errno);
	fprintf(f, "%d %d\n", (int)getpid(), fd);
	fclose(f);
	sleep(60);
	return 0;
}

static int fd_hold(const char *what, const char *pidfile)
{
	int fd = strcmp(what, "raw") ? open(what, O_RDWR) : raw_socket();

	if (fd < 0)
		return report(errno);
	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000) ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return report(errno);
	return hold(fd, pidfile);
}

static int ring_hold(const char *pidfile)
{
	struct io_uring_params p;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return report(errno);
	return hold(fd, pidfile);
}

static int fd_take(const char *pidfile)
{
	int pid, fd, pidfd, got;
	FILE *f;

	if (wait_file(pidfile))
		return report(ENOENT);
	usleep(100000);	/* the line is written after the create */
	f = fopen(pidfile, "r");
	if (!f || fscanf(f, "%d %d", &pid, &fd) != 2)
		return report(EINVAL);
	fclose(f);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return report(errno);
	got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (got < 0) {
		printf("take=%s\n", errname(errno));
		return 1;
	}
	use_fd(got);
	return 0;
}

/* ------------------------------------------------------------------ starving jitgated */

static long start_s, end_s;
static char *map;
static int rt = 1;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spinner(void *arg)
{
	long cpu = (long)arg;
	struct sched_param sp = { .sched_priority = 99 };
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (now_s() < start_s)
		usleep(20000);
	if (rt)
		sched_setscheduler(0, SCHED_FIFO, &sp);
	while (now_s() < end_s)
		;
	if (cpu == 0)
		snprintf(map, 64, "after t=%ld euid=%d\n", (long)now_s(), (int)geteuid());
	while (now_s() < end_s + 1)
		;
	return NULL;
}

static int rt_starve(long start, long end, const char *path, bool plain)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[64];
	int fd = open(path, O_RDWR), knob;

	start_s = start;
	end_s = end;
	if (fd < 0)
		return report(errno);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return report(errno);
	rt = !plain;
	if (rt) {
		knob = open("/proc/sys/kernel/sched_rt_runtime_us", O_WRONLY);
		if (knob < 0 || write(knob, "-1\n", 3) != 3)
			return report(errno);
		close(knob);
	}
	if (ncpu < 1 || ncpu > 64)
		ncpu = 1;
	for (long i = 1; i < ncpu; i++)
		if (pthread_create(&th[i], NULL, spinner, (void *)i))
			return report(EAGAIN);
	printf("armed\n");
	fflush(stdout);
	spinner((void *)0);
	for (long i = 1; i < ncpu; i++)
		pthread_join(th[i], NULL);
	printf("done t=%ld\n", (long)now_s());
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "fd-give"))
		return fd_give(atoi(argv[2]), argv[3]);
	if (argc >= 4 && !strcmp(argv[1], "fd-keep"))
		return fd_keep(argv[2], argv + 3);
	if (argc == 4 && !strcmp(argv[1], "fd-hold"))
		return fd_hold(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "ring-hold"))
		return ring_hold(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "fd-take"))
		return fd_take(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "raw")) {
		int fd = raw_socket();

		return report(fd < 0 ? errno : 0);
	}
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "rt-starve"))
		return rt_starve(atol(argv[2]), atol(argv[3]), argv[4],
				 argc == 6 && !strcmp(argv[5], "plain"));
	if (argc == 3 && !strcmp(argv[1], "rtprio")) {
		struct rlimit rl = { 99, 99 };

		return report(prlimit(atoi(argv[2]), RLIMIT_RTPRIO, &rl, NULL) ? errno : 0);
	}
	if (argc == 2 && !strcmp(argv[1], "request-key"))
		return report(syscall(SYS_request_key, "user", "jg:rt", "go", -2 /* process */) < 0 ?
			      errno : 0);
	if (argc == 2 && !strcmp(argv[1], "fifo")) {
		struct sched_param sp = { .sched_priority = 1 };

		return report(sched_setscheduler(0, SCHED_FIFO, &sp) ? errno : 0);
	}
	return usage();
}
