// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-redteam4: probes for tests/vm/test_53_redteam4.sh, ways root's power used inside an
 * elevated session stays with the person's plain processes after the grant ends. Every
 * outcome is one word or line on stdout.
 *
 *   jg-redteam4 userns GOFILE READ WRITE
 *        (her plain process) enters a new user namespace, prints "userns PID", waits (up to
 *        5 min) until GOFILE exists, then with no exec: "map=M read=R write=W", M the first
 *        line of its uid_map, R reading READ, W appending to WRITE (DAC by the namespace's
 *        capabilities, which reach every inode whose owner the map names)
 *   jg-redteam4 userns-put GOFILE PATH LINE
 *        as `userns`, then creates PATH (or truncates it) and writes LINE into it: "put=R"
 *   jg-redteam4 selfmap
 *        (her plain process) enters a new user namespace and writes the full map itself:
 *        "selfmap=R"
 *   jg-redteam4 bind PORT        a TCP socket bound to 127.0.0.1:PORT: "bind=R"
 *   jg-redteam4 inotify GOFILE CMD [ARGS...]
 *        (plain) an inotify descriptor as descriptor 3, CMD run with it inherited (`watch`),
 *        "held", waits until GOFILE exists, then up to 5 s for an event: "event=NAME" or
 *        "event=none"
 *   jg-redteam4 watch FD DIR     inotify_add_watch(FD, DIR, IN_CREATE): "watch=R" (FD -1: a new one)
 *   jg-redteam4 hold GOFILE FIFO CMD [ARGS...]
 *        (plain) a unix stream pair, one end as descriptor 3 for CMD (`fifo-own`), "sent",
 *        waits until GOFILE exists, then never receives: opens FIFO for writing and writes
 *        one byte, "fifowrite=R"
 *   jg-redteam4 fifo-own FIFO VICTIM
 *        (the session) opens FIFO for reading, makes VICTIM its SIGIO owner with SIGKILL and
 *        O_ASYNC, sends it over descriptor 3 and exits: "own=R sent=R"
 *   jg-redteam4 netns GOFILE IFNAME
 *        (plain) new user and network namespaces, "netns PID", waits until GOFILE exists,
 *        then "link=present|absent up=R" for IFNAME in its namespace
 *   jg-redteam4 move IFNAME PID  (the session) RTM_NEWLINK IFLA_NET_NS_PID: "move=R" (PID 0:
 *        no attribute, the link brought up)
 *   jg-redteam4 epoll GOFILE CMD [ARGS...]
 *        (plain) an epoll descriptor (3) and an eventfd (4), CMD run with them inherited
 *        (`epctl`), "held", waits until GOFILE exists, then "wakeup=yes|no": whether the epoll item holds EPOLLWAKEUP (it
 *        keeps the system from suspending, CAP_BLOCK_SUSPEND)
 *   jg-redteam4 epctl            epoll_ctl(3, ADD, 4, EPOLLIN|EPOLLWAKEUP): "epctl=R"
 *   jg-redteam4 anon-hold inotify|epoll PIDFILE
 *        (plain) a new descriptor of that kind; "PID FD" in PIDFILE; kept for a minute
 *   jg-redteam4 take PIDFILE     (the session) pidfd_getfd of the descriptor PIDFILE names:
 *        "take=R"
 *   jg-redteam4 flood SECONDS MARKER
 *        (the session) two SCHED_FIFO loops of refused bpf() calls for SECONDS; halfway a
 *        third process at a higher priority execs /bin/echo MARKER: "flood=N"
 *   jg-redteam4 setns NSFILE READ
 *        (plain, a fresh process) joins the user namespace NSFILE names (a bind mount of a
 *        /proc/PID/ns/user) and reads READ: "setns=R read=R"
 *   jg-redteam4 sock FAMILY      socket(FAMILY, SOCK_DGRAM, 0) (a module autoload): "sock=R"
 *   jg-redteam4 cat FILE         "cat=R egid=G CONTENT"
 *
 * Exit: 0 when the step did what it says, 1 when the kernel refused, 2 usage, 125 setup. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
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
	case ENODEV:  return "ENODEV";
	default:      return strerror(e);
	}
}

#define R(x) errname((x) < 0 ? errno : 0)

static int usage(void)
{
	fprintf(stderr, "usage: jg-redteam4 userns|userns-put|selfmap|bind|inotify|watch|hold|fifo-own|netns|move|epoll|epctl|anon-hold|take|flood|setns|sock|cat ARGS... (see the source)\n");
	return 2;
}

static void wait_file(const char *path)
{
	for (int i = 0; i < 3000 && access(path, F_OK); i++)
		usleep(100 * 1000);
}

static int run(char **cmd)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	fflush(stdout);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return st;
}

static void announce(const char *what)
{
	printf("%s %d\n", what, (int)getpid());
	fflush(stdout);
}

/* ------------------------------------------------------------------ user namespaces */

static int userns(const char *go, const char *rd, const char *wr)
{
	char map[128] = "none", buf[128] = "";
	int fd, rr, wrr;
	FILE *f;

	if (unshare(CLONE_NEWUSER)) {
		printf("unshare=%s\n", errname(errno));
		return 125;
	}
	announce("userns");
	wait_file(go);
	f = fopen("/proc/self/uid_map", "r");
	if (f && fgets(buf, sizeof(buf), f))
		snprintf(map, sizeof(map), "%s", buf);
	if (f)
		fclose(f);
	map[strcspn(map, "\n")] = 0;
	for (char *p = map; *p; p++)
		if (*p == ' ')
			*p = '_';
	fd = open(rd, O_RDONLY);
	rr = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	fd = open(wr, O_WRONLY | O_APPEND);
	wrr = fd < 0 ? errno : 0;
	if (fd >= 0) {
		if (write(fd, "r4\n", 3) < 0)
			wrr = errno;
		close(fd);
	}
	printf("map=%s read=%s write=%s\n", map, errname(rr), errname(wrr));
	return rr || wrr ? 1 : 0;
}

static int userns_put(const char *go, const char *path, const char *line)
{
	int fd;

	if (unshare(CLONE_NEWUSER)) {
		printf("unshare=%s\n", errname(errno));
		return 125;
	}
	announce("userns");
	wait_file(go);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, strlen(line)) < 0 || write(fd, "\n", 1) < 0) {
		printf("put=%s\n", errname(errno));
		return 1;
	}
	close(fd);
	printf("put=ok\n");
	return 0;
}

static int selfmap(void)
{
	static const char m[] = "0 0 4294967295\n";
	int fd;

	if (unshare(CLONE_NEWUSER))
		return 125;
	fd = open("/proc/self/uid_map", O_WRONLY);
	if (fd < 0 || write(fd, m, sizeof(m) - 1) < 0) {
		printf("selfmap=%s\n", errname(errno));
		return 1;
	}
	printf("selfmap=ok\n");
	return 0;
}

static int join(const char *nsfile, const char *rd)
{
	int ns = open(nsfile, O_RDONLY), fd, r;

	r = ns < 0 || setns(ns, CLONE_NEWUSER) ? errno : 0;
	if (r) {
		printf("setns=%s read=none\n", errname(r));
		return 1;
	}
	fd = open(rd, O_RDONLY);
	printf("setns=ok read=%s\n", R(fd));
	return fd < 0;
}

/* ------------------------------------------------------------------ sockets */

static int bind_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0)
		return 125;
	printf("bind=%s\n", R(bind(s, (struct sockaddr *)&a, sizeof(a))));
	return 0;
}

/* ------------------------------------------------------------------ inotify */

static int inotify_plain(const char *go, char **cmd)
{
	char buf[4096] __attribute__((aligned(8)));
	struct pollfd p = { .events = POLLIN };
	int fd = inotify_init1(0);

	if (fd < 0 || (fd != 3 && (dup2(fd, 3) < 0 || close(fd))))
		return 125;
	if (run(cmd) < 0)
		return 125;
	printf("held\n");
	fflush(stdout);
	wait_file(go);
	p.fd = 3;
	if (poll(&p, 1, 5000) == 1) {
		ssize_t n = read(3, buf, sizeof(buf));
		struct inotify_event *e = (struct inotify_event *)buf;

		if (n > (ssize_t)sizeof(*e) && e->len) {
			printf("event=%s\n", e->name);
			return 0;
		}
	}
	printf("event=none\n");
	return 1;
}

static int watch(int fd, const char *dir)
{
	int w;

	if (fd < 0)
		fd = inotify_init1(0);
	w = inotify_add_watch(fd, dir, IN_CREATE);

	printf("watch=%s\n", R(w));
	return w < 0;
}

/* ------------------------------------------------------------------ SIGIO owner in flight */

static int hold(const char *go, const char *fifo, char **cmd)
{
	int sv[2], fd;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || sv[1] == 3)
		return 125;
	if (sv[0] != 3 && (dup2(sv[0], 3) < 0 || close(sv[0])))
		return 125;
	if (run(cmd) < 0)
		return 125;
	close(3);
	printf("sent\n");
	fflush(stdout);
	wait_file(go);
	fd = open(fifo, O_WRONLY | O_NONBLOCK);
	if (fd < 0) {
		printf("fifowrite=%s\n", errname(errno));
		return 1;
	}
	printf("fifowrite=%s\n", R(write(fd, "x", 1)));
	fflush(stdout);
	sleep(1);
	return 0;
}

static int fifo_own(const char *fifo, int victim)
{
	char data = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = open(fifo, O_RDONLY | O_NONBLOCK), own;

	if (fd < 0) {
		printf("own=%s\n", errname(errno));
		return 1;
	}
	own = fcntl(fd, F_SETOWN, victim) < 0 || fcntl(fd, F_SETSIG, SIGKILL) < 0 ||
		      fcntl(fd, F_SETFL, O_ASYNC | O_NONBLOCK) < 0 ? errno : 0;
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	printf("own=%s sent=%s\n", errname(own), R(sendmsg(3, &msg, 0)));
	return own != 0;
}

/* ------------------------------------------------------------------ network namespaces */

static int netns(const char *go, const char *ifname)
{
	struct ifreq ifr = {};
	int s;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET)) {
		printf("unshare=%s\n", errname(errno));
		return 125;
	}
	announce("netns");
	wait_file(go);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		printf("link=absent up=none\n");
		return 1;
	}
	ifr.ifr_flags |= IFF_UP;
	printf("link=present up=%s\n", R(ioctl(s, SIOCSIFFLAGS, &ifr)));
	return 0;
}

static int move_link(const char *ifname, int pid)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
		struct rtattr rta;
		__u32 pid;
	} req = {};
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack = {};
	int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	unsigned idx = if_nametoindex(ifname);

	if (s < 0 || !idx) {
		printf("move=%s\n", idx ? "socket" : "ENODEV");
		return 125;
	}
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = (int)idx;
	req.rta.rta_type = IFLA_NET_NS_PID;
	req.rta.rta_len = RTA_LENGTH(sizeof(__u32));
	req.pid = (__u32)pid;
	if (!pid) {	/* no move: the link brought up */
		req.nh.nlmsg_len = offsetof(typeof(req), rta);
		req.ifi.ifi_flags = IFF_UP;
		req.ifi.ifi_change = IFF_UP;
	}
	if (send(s, &req, req.nh.nlmsg_len, 0) < 0) {
		printf("move=%s\n", errname(errno));
		return 1;
	}
	if (recv(s, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack.nh) || ack.nh.nlmsg_type != NLMSG_ERROR) {
		printf("move=noack\n");
		return 1;
	}
	printf("move=%s\n", errname(-ack.err.error));
	return ack.err.error != 0;
}

/* ------------------------------------------------------------------ epoll wakeups */

static int epoll_plain(const char *go, char **cmd)
{
	char line[256];
	int ep = epoll_create1(0), ev = eventfd(0, 0), yes = 0;
	FILE *f;

	if (ep < 0 || ev < 0 || (ep != 3 && (dup2(ep, 3) < 0 || close(ep))) ||
	    (ev != 4 && (dup2(ev, 4) < 0 || close(ev))))
		return 125;
	if (run(cmd) < 0)
		return 125;
	printf("held\n");
	fflush(stdout);
	wait_file(go);
	f = fopen("/proc/self/fdinfo/3", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long m;
		char *e = strstr(line, "events:");

		if (e && sscanf(e + 7, "%llx", &m) == 1 && (m & EPOLLWAKEUP))
			yes = 1;
	}
	if (f)
		fclose(f);
	printf("wakeup=%s\n", yes ? "yes" : "no");
	return !yes;
}

static int epctl(void)
{
	struct epoll_event e = { .events = EPOLLIN | EPOLLWAKEUP };

	printf("epctl=%s\n", R(epoll_ctl(3, EPOLL_CTL_ADD, 4, &e)));
	return 0;
}

/* ------------------------------------------------------------------ descriptors taken in */

static int anon_hold(const char *kind, const char *pidfile)
{
	int fd = !strcmp(kind, "epoll") ? epoll_create1(0) : inotify_init1(0);
	FILE *f;

	if (fd < 0)
		return 125;
	f = fopen(pidfile, "w");
	if (!f)
		return 125;
	fprintf(f, "%d %d\n", (int)getpid(), fd);
	fclose(f);
	sleep(60);
	return 0;
}

static int take(const char *pidfile)
{
	int pid = 0, fd = -1, pidfd, got;
	FILE *f;

	wait_file(pidfile);
	usleep(100 * 1000);	/* the line is written after the create */
	f = fopen(pidfile, "r");
	if (!f || fscanf(f, "%d %d", &pid, &fd) != 2)
		return 125;
	fclose(f);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return 125;
	got = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	printf("take=%s\n", R(got));
	return got < 0;
}

/* ------------------------------------------------------------------ the priority ring */

static int flood(int secs, const char *marker)
{
	struct sched_param lo = { .sched_priority = 10 }, hi = { .sched_priority = 20 };
	char attr[128] = { 0 };
	time_t end = time(NULL) + secs;
	pid_t m, f;
	long n = 0;

	if (sched_setscheduler(0, SCHED_FIFO, &lo))
		printf("fifo=%s\n", errname(errno));
	fflush(stdout);
	m = fork();
	if (!m) {
		sched_setscheduler(0, SCHED_FIFO, &hi);
		sleep((unsigned)secs / 2);
		execl("/bin/echo", "echo", marker, (char *)NULL);
		_exit(127);
	}
	f = fork();
	while (time(NULL) < end) {
		syscall(__NR_bpf, 0, attr, sizeof(attr));
		n++;
	}
	if (!f)
		_exit(0);
	waitpid(f, NULL, 0);
	waitpid(m, NULL, 0);
	printf("flood=%ld\n", n);
	return 0;
}

/* ------------------------------------------------------------------ files */

static int cat(const char *path)
{
	char buf[128] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("cat=%s egid=%u\n", errname(errno), (unsigned)getegid());
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("cat=ok egid=%u %s\n", (unsigned)getegid(), buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "userns"))
		return userns(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "userns-put"))
		return userns_put(argv[2], argv[3], argv[4]);
	if (argc == 2 && !strcmp(argv[1], "selfmap"))
		return selfmap();
	if (argc == 3 && !strcmp(argv[1], "bind"))
		return bind_port(atoi(argv[2]));
	if (argc >= 4 && !strcmp(argv[1], "inotify"))
		return inotify_plain(argv[2], argv + 3);
	if (argc == 4 && !strcmp(argv[1], "watch"))
		return watch(atoi(argv[2]), argv[3]);
	if (argc >= 5 && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3], argv + 4);
	if (argc == 4 && !strcmp(argv[1], "fifo-own"))
		return fifo_own(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "netns"))
		return netns(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "move"))
		return move_link(argv[2], atoi(argv[3]));
	if (argc >= 4 && !strcmp(argv[1], "epoll"))
		return epoll_plain(argv[2], argv + 3);
	if (argc == 2 && !strcmp(argv[1], "epctl"))
		return epctl();
	if (argc == 4 && !strcmp(argv[1], "anon-hold"))
		return anon_hold(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "take"))
		return take(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return flood(atoi(argv[2]), argv[3]);
	if (argc == 4 && !strcmp(argv[1], "setns"))
		return join(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "sock")) {
		printf("sock=%s\n", R(socket(atoi(argv[2]), SOCK_DGRAM, 0)));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "cat"))
		return cat(argv[2]);
	return usage();
}
