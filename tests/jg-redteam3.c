// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-redteam3: probes for tests/vm/test_54_redteam3.sh, ways a descriptor or kernel object
 * that root's power set up inside an elevated session stays usable by the person's plain
 * processes after the grant. Every outcome is one word or line on stdout.
 *
 *   jg-redteam3 plain GOFILE PORT CMD [ARGS...]
 *        (the person's plain process) makes a TCP socket (descriptor 3), a UDP socket (4)
 *        and a pipe (5 read, 6 write), runs CMD ARGS with them inherited (the elevated
 *        shell's `sess`), prints "held", waits (up to 5 min) until GOFILE exists, then uses
 *        them: "listen=R port=P mark=M transparent=T newbind=B", where R is the result of a
 *        connection to 127.0.0.1:PORT accepted on descriptor 3, P its bound port, M and T
 *        the UDP socket's SO_MARK and IP_TRANSPARENT and B a fresh socket's bind to PORT+1;
 *        then writes one byte into the pipe (a SIGIO to the pipe's owner, if any)
 *   jg-redteam3 sess PORT VICTIM
 *        (the elevated shell, descriptors 3..6 from `plain`) binds descriptor 3 to PORT
 *        and listens, sets SO_MARK 42 and IP_TRANSPARENT on 4, and makes VICTIM the owner of
 *        the pipe's read end with signal SIGKILL (F_SETOWN, F_SETSIG, O_ASYNC):
 *        "bind=R mark=R transparent=R owner=R"
 *   jg-redteam3 sess-own PORT
 *        (the elevated shell) binds a socket of its own to PORT and listens: "own=R"
 *   jg-redteam3 give FD PATH
 *        (root) opens PATH read-write and sends it over the unix socket FD (SCM_RIGHTS)
 *   jg-redteam3 inflight stream|dgram|seqpacket GOFILE CMD [ARGS...]
 *        makes a unix socket pair of that type, runs CMD ARGS with one end as descriptor 3
 *        (`give`), prints "sent" once it exited, waits until GOFILE exists and only then
 *        receives: "recv=refused" (control data cut off), "recv=none", or "recv=held
 *        write=R" after a write into the received descriptor
 *   jg-redteam3 hold-dir DIR FILE PIDFILE
 *        (root) changes into DIR, opens FILE (in it) read-write, becomes uid/gid 1000 and
 *        dumpable, writes "PID FD" to PIDFILE and sleeps (60 s)
 *   jg-redteam3 take-dir PIDFILE NAME GOFILE
 *        opens /proc/PID/fd/FD read-write and changes into /proc/PID/cwd, prints
 *        "taken fd=R cwd=R", waits until GOFILE exists, then "fdwrite=R open=R": a write
 *        through the reopened descriptor and an open of NAME relative to the cwd kept
 *   jg-redteam3 drop PIDFILE
 *        (root) becomes uid/gid 1000 again, writes its pid to PIDFILE, sleeps (60 s)
 *   jg-redteam3 tun-make NAME       (root) a persistent tap device NAME owned by uid 1000
 *   jg-redteam3 tun-attach NAME     attaches to tap NAME and writes a frame: "attach=R write=R"
 *
 * Exit: 0 when the step did what it says, 1 when the kernel refused, 2 usage, 125 setup. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
	case ENXIO:   return "ENXIO";
	case EBUSY:   return "EBUSY";
	default:      return strerror(e);
	}
}

#define R(x) errname((x) < 0 ? errno : 0)

static int usage(void)
{
	fprintf(stderr, "usage: jg-redteam3 plain|sess|sess-own|give|inflight|hold-dir|take-dir|drop|tun-make|tun-attach ARGS... (see the source)\n");
	return 2;
}

static void wait_file(const char *path)
{
	for (int i = 0; i < 3000 && access(path, F_OK); i++)
		usleep(100 * 1000);
}

/* Run CMD with the current descriptors; wait for it. */
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

static int put_fd(int fd, int want)
{
	if (fd == want)
		return 0;
	if (dup2(fd, want) < 0)
		return -1;
	close(fd);
	return 0;
}

static struct sockaddr_in lo(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int plain_use(int port)
{
	struct sockaddr_in a = lo(port), b;
	socklen_t bl = sizeof(b);
	int c = socket(AF_INET, SOCK_STREAM, 0), fresh = socket(AF_INET, SOCK_STREAM, 0);
	int mark = -1, tr = -1, acc = -1, rc;
	socklen_t ol = sizeof(int);
	const char *lres;

	rc = connect(c, (struct sockaddr *)&a, sizeof(a));
	if (rc == 0) {
		struct pollfd pf = { .fd = 3, .events = POLLIN };

		/* the connection reaches the accept queue a moment after connect returns */
		fcntl(3, F_SETFL, O_NONBLOCK);
		poll(&pf, 1, 3000);
		acc = accept(3, NULL, NULL);
	}
	lres = rc < 0 ? R(rc) : R(acc);
	memset(&b, 0, sizeof(b));
	getsockname(3, (struct sockaddr *)&b, &bl);
	getsockopt(4, SOL_SOCKET, SO_MARK, &mark, &ol);
	ol = sizeof(int);
	getsockopt(4, IPPROTO_IP, IP_TRANSPARENT, &tr, &ol);
	a = lo(port + 1);
	printf("listen=%s port=%d mark=%d transparent=%d ", lres, ntohs(b.sin_port), mark, tr);
	printf("newbind=%s\n", R(bind(fresh, (struct sockaddr *)&a, sizeof(a))));
	fflush(stdout);
	if (write(6, "x", 1) < 0)
		return 1;
	usleep(300 * 1000);
	return 0;
}

static int plain(const char *go, int port, char **cmd)
{
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0), p[2];
	int one = 1;

	if (t < 0 || u < 0 || pipe(p) || put_fd(t, 10) || put_fd(u, 11) || put_fd(p[0], 12) ||
	    put_fd(p[1], 13) || dup2(10, 3) < 0 || dup2(11, 4) < 0 || dup2(12, 5) < 0 ||
	    dup2(13, 6) < 0)
		return 125;
	setsockopt(3, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	close(10), close(11), close(12), close(13);
	if (run(cmd) < 0)
		return 125;
	printf("held\n");
	fflush(stdout);
	wait_file(go);
	return plain_use(port);
}

static int sess(int port, int victim)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int mark = 42, one = 1, b, l;

	b = bind(3, (struct sockaddr *)&a, sizeof(a));
	l = b < 0 ? b : listen(3, 4);
	printf("bind=%s ", R(l));
	printf("mark=%s ", R(setsockopt(4, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))));
	printf("transparent=%s ", R(setsockopt(4, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one))));
	if (fcntl(5, F_SETOWN, victim) < 0 || fcntl(5, F_SETSIG, SIGKILL) < 0 ||
	    fcntl(5, F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
		printf("owner=%s\n", errname(errno));
	else
		printf("owner=ok\n");
	return 0;
}

/* The session's own socket: a privileged port, listening. */
static int sess_own(int port)
{
	struct sockaddr_in a = lo(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 1)) {
		printf("own=%s\n", errname(errno));
		return 1;
	}
	printf("own=ok\n");
	return 0;
}

/* ------------------------------------------------------------------ SCM_RIGHTS */

static int give(int sock, const char *path)
{
	char data = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		printf("give=%s\n", errname(errno));
		return 1;
	}
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) < 0) {
		printf("give=%s\n", errname(errno));
		return 1;
	}
	return 0;
}

static int inflight(const char *type, const char *go, char **cmd)
{
	int t = !strcmp(type, "dgram") ? SOCK_DGRAM : !strcmp(type, "seqpacket") ? SOCK_SEQPACKET
										: SOCK_STREAM;
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &data, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int sv[2], fd;

	if (socketpair(AF_UNIX, t, 0, sv) || put_fd(sv[0], 10) || dup2(10, 3) < 0)
		return 125;
	close(10);
	if (run(cmd) < 0)
		return 125;
	close(3);
	printf("sent\n");
	fflush(stdout);
	wait_file(go);
	if (recvmsg(sv[1], &msg, MSG_DONTWAIT) <= 0) {
		printf("recv=none\n");
		return 1;
	}
	if (msg.msg_flags & MSG_CTRUNC) {
		printf("recv=refused\n");
		return 1;
	}
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		printf("recv=none\n");
		return 1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	printf("recv=held write=%s\n", R(write(fd, "r3\n", 3)));
	return 0;
}

/* ------------------------------------------------------------------ /proc magic links */

static int drop_to_user(void)
{
	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return -1;
	return prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

static int hold_dir(const char *dir, const char *file, const char *pidfile)
{
	FILE *f;
	int fd;

	if (chdir(dir) || (fd = open(file, O_RDWR)) < 0) {
		printf("hold=%s\n", errname(errno));
		return 1;
	}
	if (drop_to_user()) {
		printf("drop=%s\n", errname(errno));
		return 1;
	}
	f = fopen(pidfile, "w");
	if (!f)
		return 125;
	fprintf(f, "%d %d\n", (int)getpid(), fd);
	fclose(f);
	sleep(60);
	return 0;
}

static int take_dir(const char *pidfile, const char *name, const char *go)
{
	char p[64];
	int pid = 0, fd = -1, nfd, cw;
	FILE *f = fopen(pidfile, "r");

	if (!f || fscanf(f, "%d %d", &pid, &fd) != 2)
		return 125;
	fclose(f);
	snprintf(p, sizeof(p), "/proc/%d/fd/%d", pid, fd);
	nfd = open(p, O_RDWR);
	printf("taken fd=%s ", R(nfd));
	snprintf(p, sizeof(p), "/proc/%d/cwd", pid);
	cw = chdir(p);
	printf("cwd=%s\n", R(cw));
	fflush(stdout);
	wait_file(go);
	printf("fdwrite=%s ", nfd < 0 ? "none" : R(write(nfd, "r3\n", 3)));
	printf("open=%s\n", cw < 0 ? "none" : R(open(name, O_RDWR)));
	return 0;
}

static int drop(const char *pidfile)
{
	FILE *f;

	if (drop_to_user()) {
		printf("drop=%s\n", errname(errno));
		return 1;
	}
	f = fopen(pidfile, "w");
	if (!f)
		return 125;
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	sleep(60);
	return 0;
}

/* ------------------------------------------------------------------ tun */

static int tun_open(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tun_make(const char *name)
{
	int fd = tun_open(name);

	if (fd < 0 || ioctl(fd, TUNSETOWNER, 1000) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		printf("%s\n", errname(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}

static int tun_attach(const char *name)
{
	unsigned char frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x88, 0xb5 };
	int fd = tun_open(name);

	printf("attach=%s ", R(fd));
	printf("write=%s\n", fd < 0 ? "none" : R(write(fd, frame, sizeof(frame))));
	return fd < 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "plain"))
		return plain(argv[2], atoi(argv[3]), argv + 4);
	if (argc == 3 && !strcmp(argv[1], "sess-own"))
		return sess_own(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "sess"))
		return sess(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "give"))
		return give(atoi(argv[2]), argv[3]);
	if (argc >= 5 && !strcmp(argv[1], "inflight"))
		return inflight(argv[2], argv[3], argv + 4);
	if (argc == 5 && !strcmp(argv[1], "hold-dir"))
		return hold_dir(argv[2], argv[3], argv[4]);
	if (argc == 5 && !strcmp(argv[1], "take-dir"))
		return take_dir(argv[2], argv[3], argv[4]);
	if (argc == 3 && !strcmp(argv[1], "drop"))
		return drop(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "tun-make"))
		return tun_make(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "tun-attach"))
		return tun_attach(argv[2]);
	return usage();
}
