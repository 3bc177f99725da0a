// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-probe: one access attempt for the VM tests, answered in one line.
 *
 *   jg-probe open PATH r|w|rw          open(2) and close
 *   jg-probe read PATH                 open(2) + read(2); prints the content instead of "ok"
 *   jg-probe exec PATH [ARG]...        execv(2): on success the program runs (we print nothing)
 *   jg-probe connect ADDR PORT         TCP connect, 3 s timeout; ADDR is an IPv4 or IPv6 literal
 *   jg-probe listen ADDR PORT [COUNT]  prints "ok" once listening, then accepts COUNT
 *                                      connections (default: until killed) and closes each
 *   jg-probe landlock-open PATH r|w|rw open under a Landlock ruleset that denies all reads
 *
 * Output: "ok", or the errno name of the failure ("EACCES", "ECONNREFUSED", "ENOENT", ...).
 * Exit: 0 ok, 1 the attempt failed, 2 usage. Only libc, so it can be linked statically. */
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
#include <linux/io_uring.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/xattr.h>

#define CONNECT_TIMEOUT_MS 3000
#define READ_MAX (1u << 20)

static const struct {
	int err;
	const char *name;
} errnames[] = {
#define E(x) { x, #x }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG), E(ENOEXEC),
	E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST),
	E(EXDEV), E(ENODEV), E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE),
	E(ENAMETOOLONG), E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(ENOTSOCK), E(EDESTADDRREQ),
	E(EMSGSIZE), E(EPROTOTYPE), E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(EOPNOTSUPP),
	E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL), E(ENETDOWN), E(ENETUNREACH),
	E(ENETRESET), E(ECONNABORTED), E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN),
	E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN), E(EHOSTUNREACH), E(EALREADY),
	E(EINPROGRESS), E(EOVERFLOW), E(ECANCELED), E(ELIBBAD), E(EKEYREJECTED),
#undef E
};

static const char *errname(int err)
{
	static char buf[32];

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "E%d", err);
	return buf;
}

static int report(int err)
{
	if (err)
		printf("%s\n", errname(err));
	else
		printf("ok\n");
	fflush(stdout);
	return err ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: jg-probe open PATH r|w|rw\n"
		"       jg-probe read PATH\n"
		"       jg-probe exec PATH [ARG]...\n"
		"       jg-probe connect ADDR PORT\n"
		"       jg-probe listen ADDR PORT [COUNT]\n"
		"       jg-probe udp ADDR PORT [sendmsg|connected|short] | udp-recv ADDR PORT\n"
		"       jg-probe connect-short ADDR PORT\n"
		"       jg-probe tfo ADDR PORT | bind ADDR PORT [tcp|udp|unspec]\n"
		"       jg-probe send SOCK FAM ADDR PORT [HOW] | send-mmsg SOCK FAM A1 P1 A2 P2\n"
		"       jg-probe tfo-unspec ADDR PORT\n"
		"       jg-probe BYPASS-MODE ARGS...  (openat2, uring-open, memfd-exec, ...: see the source)\n"
		"Prints \"ok\" or the errno name (EACCES, ...); exit 0 ok, 1 failed, 2 usage.\n");
	return 2;
}

/* r, w, rw: the open(2) access mode; -1 for anything else. */
static int open_flags(const char *mode)
{
	if (!strcmp(mode, "r"))
		return O_RDONLY;
	if (!strcmp(mode, "w"))
		return O_WRONLY;
	if (!strcmp(mode, "rw"))
		return O_RDWR;
	return -1;
}

/* open(2) PATH and close it: the answer is whether the open worked. */
static int open_report(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return report(errno);
	close(fd);
	return report(0);
}

static int do_open(const char *path, const char *mode)
{
	int flags = open_flags(mode);

	if (flags < 0)
		return usage();
	return open_report(path, flags);
}

static int do_read(const char *path)
{
	char *buf = malloc(READ_MAX);
	size_t len = 0;
	int fd, err = 0;

	if (!buf)
		return report(ENOMEM);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	while (len < READ_MAX) {
		ssize_t n = read(fd, buf + len, READ_MAX - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!err) {
		/* the content is the answer; all of it or nothing, so a failure prints one word */
		fwrite(buf, 1, len, stdout);
		fflush(stdout);
		free(buf);
		return 0;
	}
out:
	free(buf);
	return report(err);
}

static int do_exec(char **argv)
{
	/* argv[0] is PATH: the program sees its own path as its name. */
	execv(argv[0], argv);
	return report(errno);
}

static int parse_port(const char *s, unsigned short *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v > 65535)
		return -1;
	*port = (unsigned short)v;
	return 0;
}

/* "1.2.3.4", "::1" or "[::1]" -> a sockaddr. */
static int parse_addr(const char *text, const char *port_text, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char buf[INET6_ADDRSTRLEN + 2];
	unsigned short port;
	size_t n = strlen(text);

	if (parse_port(port_text, &port))
		return -1;
	if (n >= 2 && text[0] == '[' && text[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, text + 1, n - 2);
		buf[n - 2] = '\0';
		text = buf;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	return -1;
}

/* ADDR PORT and a fresh socket of type for its family: -1 to go on with *fd, else the exit
 * status (usage, or the socket's errno reported). */
static int addr_socket(const char *addr_text, const char *port_text, int type,
		       struct sockaddr_storage *ss, socklen_t *len, int *fd)
{
	if (parse_addr(addr_text, port_text, ss, len))
		return usage();
	*fd = socket(ss->ss_family, type | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		return report(errno);
	return -1;
}

/* connect-short: an IPv6 address passed with the RFC 2133 length (24 bytes, no scope id),
 * the shortest the stack accepts */
static int short_sin6;

static int do_connect(const char *addr_text, const char *port_text)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t len, elen;
	int fd, err = 0, n;

	if ((n = addr_socket(addr_text, port_text, SOCK_STREAM | SOCK_NONBLOCK, &ss, &len,
			     &fd)) >= 0)
		return n;
	if (short_sin6 && ss.ss_family == AF_INET6)
		len = 24;
	if (connect(fd, (struct sockaddr *)&ss, len) == 0)
		goto out;
	if (errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
	do
		n = poll(&pfd, 1, CONNECT_TIMEOUT_MS);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = errno;
		goto out;
	}
	if (n == 0) {
		err = ETIMEDOUT;
		goto out;
	}
	elen = sizeof(err);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
out:
	close(fd);
	return report(err);
}

static int do_listen(const char *addr_text, const char *port_text, const char *count_text)
{
	struct sockaddr_storage ss;
	socklen_t len;
	long count = -1;
	int fd, one = 1, r;

	if (count_text) {
		char *end;

		count = strtol(count_text, &end, 10);
		if (!*count_text || *end || count < 1)
			return usage();
	}
	if ((r = addr_socket(addr_text, port_text, SOCK_STREAM, &ss, &len, &fd)) >= 0)
		return r;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		int err = errno;

		close(fd);
		return report(err);
	}
	report(0);	/* listening: a test waiting for this line may connect now */
	while (count < 0 || count > 0) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			fprintf(stderr, "jg-probe: accept: %s\n", errname(errno));
			close(fd);
			return 1;
		}
		close(c);
		if (count > 0)
			count--;
	}
	close(fd);
	return 0;
}


/* ---- datagrams, TCP Fast Open, bind (tests/vm/test_35_net_more.sh) ----
 *
 *   udp ADDR PORT [sendmsg|connected|short]  one datagram from an unconnected UDP socket
 *                                      with sendto(2) (default), sendmsg(2), connect + send,
 *                                      or sendto with a 24-byte sockaddr_in6 (RFC 2133)
 *   connect-short ADDR PORT            connect with a 24-byte sockaddr_in6
 *   udp-recv ADDR PORT                 prints "ok" once bound, then each datagram's payload
 *                                      on a line of its own, until killed
 *   tfo ADDR PORT                      sendto(MSG_FASTOPEN) on a fresh TCP socket: the
 *                                      connect happens inside the send (3 s timeout)
 *   bind ADDR PORT [tcp|udp|unspec]    bind(2) and close; unspec: an AF_INET TCP socket
 *                                      bound with sa_family AF_UNSPEC (ADDR must be 0.0.0.0) */
#define UDP_PAYLOAD "jg-probe"

static int do_udp(const char *addr_text, const char *port_text, const char *how)
{
	struct sockaddr_storage ss;
	socklen_t len;
	ssize_t n;
	int fd, err = 0, r;

	if ((r = addr_socket(addr_text, port_text, SOCK_DGRAM, &ss, &len, &fd)) >= 0)
		return r;
	if (!how || !strcmp(how, "short")) {
		if (how && ss.ss_family == AF_INET6)
			len = 24;	/* as connect-short */
		n = sendto(fd, UDP_PAYLOAD, strlen(UDP_PAYLOAD), 0, (struct sockaddr *)&ss, len);
	} else if (!strcmp(how, "sendmsg")) {
		struct iovec iov = { .iov_base = UDP_PAYLOAD, .iov_len = strlen(UDP_PAYLOAD) };
		struct msghdr msg = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov,
				      .msg_iovlen = 1 };

		n = sendmsg(fd, &msg, 0);
	} else if (!strcmp(how, "connected")) {
		n = connect(fd, (struct sockaddr *)&ss, len);
		if (n == 0)
			n = send(fd, UDP_PAYLOAD, strlen(UDP_PAYLOAD), 0);
	} else {
		close(fd);
		return usage();
	}
	if (n < 0)
		err = errno;
	close(fd);
	return report(err);
}

static int do_udp_recv(const char *addr_text, const char *port_text)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[512];
	int fd, r;

	if ((r = addr_socket(addr_text, port_text, SOCK_DGRAM, &ss, &len, &fd)) >= 0)
		return r;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int err = errno;

		close(fd);
		return report(err);
	}
	report(0);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		buf[n] = '\0';
		printf("%s\n", buf);
		fflush(stdout);
	}
	close(fd);
	return 1;
}

/* tfo, and tfo-unspec (unspec: the name's family written as AF_UNSPEC). */
static int do_tfo(const char *addr_text, const char *port_text, int unspec)
{
	struct timeval tv = { .tv_sec = CONNECT_TIMEOUT_MS / 1000 };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err = 0, r;

	if ((r = addr_socket(addr_text, port_text, SOCK_STREAM, &ss, &len, &fd)) >= 0)
		return r;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (unspec)
		ss.ss_family = AF_UNSPEC;
	if (sendto(fd, UDP_PAYLOAD, strlen(UDP_PAYLOAD),
		   MSG_FASTOPEN | (unspec ? MSG_NOSIGNAL : 0), (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return report(err);
}

static int do_bind(const char *addr_text, const char *port_text, const char *how)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, err = 0, type = SOCK_STREAM;

	if (parse_addr(addr_text, port_text, &ss, &len))
		return usage();
	if (how && !strcmp(how, "udp"))
		type = SOCK_DGRAM;
	else if (how && !strcmp(how, "unspec")) {
		if (ss.ss_family != AF_INET ||
		    ((struct sockaddr_in *)&ss)->sin_addr.s_addr != htonl(INADDR_ANY))
			return usage();
	} else if (how && strcmp(how, "tcp")) {
		return usage();
	}
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return report(errno);
	if (how && !strcmp(how, "unspec"))
		ss.ss_family = AF_UNSPEC;	/* inet_bind takes it as AF_INET (compatibility) */
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return report(err);
}
/* ---- end of datagrams, TCP Fast Open, bind ---- */

/* ---- bypass-catalog modes (tests/vm/test_60_bypass.sh) ---------------------------------
 * Each tries one way around the gate and answers in one line like the modes above.
 *
 *   openat2 PATH r|w                   openat2(2) with RESOLVE_NO_MAGICLINKS
 *   opath-reopen PATH r|w              open(O_PATH), then open /proc/self/fd/N
 *   readfd N                           read(2) an inherited descriptor; prints the content
 *   mmapfd N                           mmap(2) an inherited descriptor; prints the content
 *   execveat PATH [ARG]...             open(O_PATH) + execveat(fd, "", AT_EMPTY_PATH)
 *   fexecve PATH [ARG]...              open(O_RDONLY) + fexecve(3)
 *   memfd-exec PATH [ARG]...           copy PATH into a memfd, then fexecve the memfd
 *   chroot DIR PATH r|w                chroot(DIR), then open PATH
 *   nsbind [-U] SRC DST PATH r|w       new mount namespace (-U: and a user namespace with
 *                                      our uid mapped to 0), bind SRC on DST, open PATH
 *   uring-open PATH r|w                IORING_OP_OPENAT (raw io_uring syscalls)
 *   uring-connect ADDR PORT            IORING_OP_CONNECT
 *   scm-send SOCK PATH                 open PATH, print "ok", pass it over SCM_RIGHTS once
 *   scm-recv SOCK                      receive a descriptor on SOCK and read it
 *   set-capsetuid PATH                 write security.capability (cap_setuid=ep) on PATH
 *   truncate PATH | unlink PATH | rename OLD NEW   the path calls, which open nothing
 *   mmap-hold PATH FIFO                open + mmap PATH, close the descriptor, wait until
 *                                      FIFO is written, then print the mapping's content
 *   as0 MODE ARGS...                   setresuid(0, 0, 0), then run MODE in this process */
extern char **environ;

/* Read all of fd and print it (the content is the answer), or report the errno. */
static int dump_fd(int fd)
{
	char buf[4096];
	ssize_t n;
	int any = 0;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return any ? 1 : report(errno);
		if (n == 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
		any = 1;
	}
	fflush(stdout);
	return 0;
}

static int do_openat2(const char *path, const char *mode)
{
	struct open_how how = { .resolve = RESOLVE_NO_MAGICLINKS };
	int flags = open_flags(mode), fd;

	if (flags < 0)
		return usage();
	how.flags = (__u64)(flags | O_CLOEXEC | O_NOCTTY);
	fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
	if (fd < 0)
		return report(errno);
	close(fd);
	return report(0);
}

static int do_opath_reopen(const char *path, const char *mode)
{
	char proc[64];
	int flags = open_flags(mode), pfd, fd;

	if (flags < 0)
		return usage();
	pfd = open(path, O_PATH | O_CLOEXEC);
	if (pfd < 0)
		return report(errno);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return report(errno);
	close(fd);
	close(pfd);
	return report(0);
}

static int parse_fd(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (!*s || *end || v < 0 || v > 65535) ? -1 : (int)v;
}

static int do_readfd(const char *fd_text)
{
	int fd = parse_fd(fd_text);

	if (fd < 0)
		return usage();
	if (lseek(fd, 0, SEEK_SET) < 0 && errno == EBADF)
		return report(EBADF);
	return dump_fd(fd);
}

static int do_mmapfd(const char *fd_text)
{
	struct stat st;
	void *p;
	int fd = parse_fd(fd_text);

	if (fd < 0)
		return usage();
	if (fstat(fd, &st) < 0)
		return report(errno);
	if (st.st_size == 0)
		return report(ENODATA);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return report(errno);
	fwrite(p, 1, (size_t)st.st_size, stdout);
	fflush(stdout);
	munmap(p, (size_t)st.st_size);
	return 0;
}

static int do_execveat(char **argv)
{
	int fd = open(argv[0], O_PATH);

	if (fd < 0)
		return report(errno);
	syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
	return report(errno);
}

static int do_fexecve(char **argv)
{
	int fd = open(argv[0], O_RDONLY);

	if (fd < 0)
		return report(errno);
	fexecve(fd, argv, environ);
	return report(errno);
}

static int do_memfd_exec(char **argv)
{
	char buf[65536];
	ssize_t n;
	int in = open(argv[0], O_RDONLY | O_CLOEXEC), mfd;

	if (in < 0)
		return report(errno);
	mfd = memfd_create("jg-probe", 0);
	if (mfd < 0)
		return report(errno);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return report(errno ? errno : EIO);
	if (n < 0)
		return report(errno);
	close(in);
	fexecve(mfd, argv, environ);
	return report(errno);
}

static int do_chroot(const char *dir, const char *path, const char *mode)
{
	int flags = open_flags(mode);

	if (flags < 0)
		return usage();
	if (chroot(dir) < 0 || chdir("/") < 0)
		return report(errno);
	return open_report(path, flags);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

static int do_nsbind(int userns, const char *src, const char *dst, const char *path,
		     const char *mode)
{
	int flags = open_flags(mode);
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (flags < 0)
		return usage();
	if (unshare(CLONE_NEWNS | (userns ? CLONE_NEWUSER : 0)) < 0)
		return report(errno);
	if (userns) {
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
		if (write_file("/proc/self/uid_map", map) < 0)
			return report(errno);
		if (write_file("/proc/self/setgroups", "deny\n") < 0 && errno != ENOENT)
			return report(errno);
		snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
		if (write_file("/proc/self/gid_map", map) < 0)
			return report(errno);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
		return report(errno);
	return open_report(path, flags);
}

/* One SQE through a fresh ring; *res gets the CQE result. Returns 0 or an errno. */
static int uring_one(const struct io_uring_sqe *tmpl, int *res)
{
	struct io_uring_params p;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	unsigned *tail, *mask, *array, *chead, *ctail, *cmask, t, idx, h;
	size_t ssz, csz;
	char *sq, *cq;
	int fd;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return errno;
	ssz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	csz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		ssz = csz = ssz > csz ? ssz : csz;
	sq = mmap(NULL, ssz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return errno;
	cq = (p.features & IORING_FEAT_SINGLE_MMAP) ? sq :
	     mmap(NULL, csz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
		  IORING_OFF_CQ_RING);
	if (cq == MAP_FAILED)
		return errno;
	sqes = mmap(NULL, p.sq_entries * sizeof(*sqes), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (sqes == MAP_FAILED)
		return errno;
	tail = (unsigned *)(sq + p.sq_off.tail);
	mask = (unsigned *)(sq + p.sq_off.ring_mask);
	array = (unsigned *)(sq + p.sq_off.array);
	t = *tail;
	idx = t & *mask;
	sqes[idx] = *tmpl;
	array[idx] = idx;
	__atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return errno;
	chead = (unsigned *)(cq + p.cq_off.head);
	ctail = (unsigned *)(cq + p.cq_off.tail);
	cmask = (unsigned *)(cq + p.cq_off.ring_mask);
	cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	h = *chead;
	if (h == __atomic_load_n(ctail, __ATOMIC_ACQUIRE))
		return EAGAIN;
	*res = cqes[h & *cmask].res;
	__atomic_store_n(chead, h + 1, __ATOMIC_RELEASE);
	close(fd);
	return 0;
}

static int do_uring_open(const char *path, const char *mode)
{
	struct io_uring_sqe sqe;
	int flags = open_flags(mode), res = 0, err;

	if (flags < 0)
		return usage();
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (__u64)(unsigned long)path;
	sqe.open_flags = (__u32)(flags | O_CLOEXEC | O_NOCTTY);
	err = uring_one(&sqe, &res);
	if (err)
		return report(err);
	if (res < 0)
		return report(-res);
	close(res);
	return report(0);
}

static int do_uring_connect(const char *addr_text, const char *port_text)
{
	struct sockaddr_storage ss;
	struct io_uring_sqe sqe;
	socklen_t len;
	int fd, res = 0, err;

	if ((err = addr_socket(addr_text, port_text, SOCK_STREAM, &ss, &len, &fd)) >= 0)
		return err;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_CONNECT;
	sqe.fd = fd;
	sqe.addr = (__u64)(unsigned long)&ss;
	sqe.off = len;
	err = uring_one(&sqe, &res);
	close(fd);
	if (err)
		return report(err);
	return report(res < 0 ? -res : 0);
}

static int unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -1;
	strcpy(sun->sun_path, path);
	return 0;
}

static int do_scm_send(const char *sock, const char *path)
{
	struct sockaddr_un sun;
	char cbuf[CMSG_SPACE(sizeof(int))], byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int fd, s, conn;

	if (unix_addr(sock, &sun))
		return usage();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return report(errno);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unlink(sock);
	if (s < 0 || bind(s, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(s, 1) < 0)
		return report(errno);
	chmod(sock, 0777);
	report(0);	/* holding the descriptor and listening */
	conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return 1;
	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(conn, &msg, 0) == 1 ? 0 : 1;
}

static int do_scm_recv(const char *sock)
{
	struct sockaddr_un sun;
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	int s, fd;

	if (unix_addr(sock, &sun))
		return usage();
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return report(errno);
	if (recvmsg(s, &msg, 0) != 1)
		return report(errno ? errno : EIO);
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return report(EBADF);	/* the descriptor did not arrive */
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return dump_fd(fd);
}

static int do_set_capsetuid(const char *path)
{
	/* struct vfs_cap_data, revision 2: cap_setuid (7) permitted, effective flag set */
	__u32 cap[5] = { 0x02000000 | 0x000001, 1u << 7, 0, 0, 0 };

	if (setxattr(path, "security.capability", cap, sizeof(cap), 0) < 0)
		return report(errno);
	return report(0);
}

static int do_mmap_hold(const char *path, const char *fifo)
{
	struct stat st;
	char c;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ff;

	if (fd < 0)
		return report(errno);
	if (fstat(fd, &st) < 0)
		return report(errno);
	if (st.st_size == 0)
		return report(ENODATA);
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return report(errno);
	close(fd);
	ff = open(fifo, O_RDONLY | O_CLOEXEC);	/* blocks until a writer comes */
	if (ff < 0 || read(ff, &c, 1) < 0)
		return report(errno);
	fwrite(p, 1, (size_t)st.st_size, stdout);
	fflush(stdout);
	return 0;
}

/* ---- names a protocol reads its own way, port-less sends (tests/vm/test_36_net_holes.sh) ----
 *
 *   send SOCK FAM ADDR PORT [HOW]      one datagram to ADDR
 *        SOCK  udp4|udp6: UDP on an AF_INET or AF_INET6 socket
 *              raw4|raw6: a raw IPPROTO_UDP socket whose payload is a UDP header for PORT
 *                         and the datagram (raw6: the kernel sums it, IPV6_CHECKSUM); the
 *                         name's port is 0, as a raw socket has none
 *              ping4|ping6: an ICMP echo socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6)
 *        FAM   inet|inet6|unspec: the family written in the name; ADDR's own form (IPv4
 *              or IPv6) lays out the rest (sockaddr_in or sockaddr_in6)
 *        HOW   sendto (default) | sendmsg | connect (connect(2) with the name, then
 *              send(2) without one) | uring-sendmsg | uring-send | uring-send-zc
 *              (IORING_OP_SENDMSG, and IORING_OP_SEND/SEND_ZC with sqe->addr2)
 *   send-mmsg SOCK FAM ADDR1 PORT1 ADDR2 PORT2   sendmmsg(2) of two datagrams, one to each;
 *                                      prints how many were sent (or the errno)
 *   tfo-unspec ADDR PORT               sendto(MSG_FASTOPEN) on a TCP socket with the name's
 *                                      family set to AF_UNSPEC */
struct sendspec {
	int domain, type, proto;
	int raw, ping;
};

static int sendspec_parse(const char *sock, struct sendspec *sp)
{
	static const struct {
		const char *name;
		struct sendspec sp;
	} socks[] = {
		{ "udp4", { AF_INET, SOCK_DGRAM, IPPROTO_UDP, 0, 0 } },
		{ "udp6", { AF_INET6, SOCK_DGRAM, IPPROTO_UDP, 0, 0 } },
		{ "raw4", { AF_INET, SOCK_RAW, IPPROTO_UDP, 1, 0 } },
		{ "raw6", { AF_INET6, SOCK_RAW, IPPROTO_UDP, 1, 0 } },
		{ "ping4", { AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 0, 1 } },
		{ "ping6", { AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, 0, 1 } },
	};

	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++)
		if (!strcmp(sock, socks[i].name)) {
			*sp = socks[i].sp;
			return 0;
		}
	return -1;
}

/* The name as asked: ADDR laid out by its own form, FAM written over its family. */
static int send_name(const struct sendspec *sp, const char *fam, const char *addr_text,
		     const char *port_text, struct sockaddr_storage *ss, socklen_t *len,
		     unsigned short *port)
{
	if (parse_addr(addr_text, port_text, ss, len) || parse_port(port_text, port))
		return -1;
	if (sp->raw || sp->ping)	/* no port in the name: the header carries it */
		((struct sockaddr_in *)ss)->sin_port = 0;
	if (!strcmp(fam, "unspec"))
		ss->ss_family = AF_UNSPEC;
	else if (!strcmp(fam, "inet"))
		ss->ss_family = AF_INET;
	else if (!strcmp(fam, "inet6"))
		ss->ss_family = AF_INET6;
	else
		return -1;
	return 0;
}

/* What the socket sends: the datagram, behind a UDP header (raw) or an echo request (ping). */
static size_t send_payload(const struct sendspec *sp, unsigned short port, char *buf)
{
	size_t n = strlen(UDP_PAYLOAD), off = 0;

	if (sp->raw) {
		unsigned short h[4] = { htons(40000), htons(port), htons((unsigned short)(8 + n)),
					0 };

		memcpy(buf, h, sizeof(h));	/* checksum 0: none (IPv4); the kernel's (IPv6) */
		off = sizeof(h);
	} else if (sp->ping) {
		unsigned char h[8] = { sp->domain == AF_INET ? 8 : 128, 0, 0, 0, 0, 0, 0, 1 };

		memcpy(buf, h, sizeof(h));	/* echo request; the kernel sets id and sum */
		off = sizeof(h);
	}
	memcpy(buf + off, UDP_PAYLOAD, n);
	return off + n;
}

static int send_socket(const struct sendspec *sp)
{
	int fd = socket(sp->domain, sp->type | SOCK_CLOEXEC, sp->proto), off = 6;

	if (fd >= 0 && sp->raw && sp->domain == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int uring_send(int fd, const char *how, void *buf, size_t n, struct sockaddr_storage *ss,
		      socklen_t len)
{
	struct iovec iov = { .iov_base = buf, .iov_len = n };
	struct msghdr msg = { .msg_name = ss, .msg_namelen = len, .msg_iov = &iov,
			      .msg_iovlen = 1 };
	struct io_uring_sqe sqe;
	int res = 0, err;

	memset(&sqe, 0, sizeof(sqe));
	sqe.fd = fd;
	if (!strcmp(how, "uring-sendmsg")) {
		sqe.opcode = IORING_OP_SENDMSG;
		sqe.addr = (__u64)(unsigned long)&msg;
		sqe.len = 1;
	} else {
		sqe.opcode = !strcmp(how, "uring-send") ? IORING_OP_SEND : IORING_OP_SEND_ZC;
		sqe.addr = (__u64)(unsigned long)buf;
		sqe.len = (__u32)n;
		sqe.addr2 = (__u64)(unsigned long)ss;
		sqe.addr_len = (__u16)len;
	}
	err = uring_one(&sqe, &res);
	if (err)
		return err;
	return res < 0 ? -res : 0;
}

static int do_send(const char *sock, const char *fam, const char *addr_text,
		   const char *port_text, const char *how)
{
	struct sockaddr_storage ss;
	struct sendspec sp;
	unsigned short port;
	char buf[64];
	socklen_t len;
	size_t n;
	int fd, err = 0;

	if (!how)
		how = "sendto";
	if (sendspec_parse(sock, &sp) ||
	    send_name(&sp, fam, addr_text, port_text, &ss, &len, &port))
		return usage();
	n = send_payload(&sp, port, buf);
	fd = send_socket(&sp);
	if (fd < 0)
		return report(errno);
	if (!strcmp(how, "sendto")) {
		if (sendto(fd, buf, n, 0, (struct sockaddr *)&ss, len) < 0)
			err = errno;
	} else if (!strcmp(how, "sendmsg")) {
		struct iovec iov = { .iov_base = buf, .iov_len = n };
		struct msghdr msg = { .msg_name = &ss, .msg_namelen = len, .msg_iov = &iov,
				      .msg_iovlen = 1 };

		if (sendmsg(fd, &msg, 0) < 0)
			err = errno;
	} else if (!strcmp(how, "connect")) {
		if (connect(fd, (struct sockaddr *)&ss, len) < 0 || send(fd, buf, n, 0) < 0)
			err = errno;
	} else if (!strncmp(how, "uring-", 6)) {
		err = uring_send(fd, how, buf, n, &ss, len);
	} else {
		close(fd);
		return usage();
	}
	close(fd);
	return report(err);
}

static int do_send_mmsg(char **argv)
{
	struct sockaddr_storage ss[2];
	struct mmsghdr mm[2];
	struct iovec iov[2];
	struct sendspec sp;
	unsigned short port[2];
	char buf[2][64];
	socklen_t len[2];
	int fd, n;

	memset(mm, 0, sizeof(mm));
	if (sendspec_parse(argv[0], &sp))
		return usage();
	for (int i = 0; i < 2; i++) {
		if (send_name(&sp, argv[1], argv[2 + 2 * i], argv[3 + 2 * i], &ss[i], &len[i],
			      &port[i]))
			return usage();
		iov[i] = (struct iovec){ .iov_base = buf[i],
					 .iov_len = send_payload(&sp, port[i], buf[i]) };
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &ss[i], .msg_namelen = len[i],
						 .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	fd = send_socket(&sp);
	if (fd < 0)
		return report(errno);
	n = sendmmsg(fd, mm, 2, 0);
	close(fd);
	if (n < 0)
		return report(errno);
	printf("%d\n", n);
	fflush(stdout);
	return n == 2 ? 0 : 1;
}

/* ---- end of names a protocol reads its own way ---- */

static int dispatch(int argc, char **argv);

static int do_path_call(const char *cmd, char **args)
{
	int r;

	if (!strcmp(cmd, "truncate"))
		r = truncate(args[0], 0);
	else if (!strcmp(cmd, "unlink"))
		r = unlink(args[0]);
	else
		r = rename(args[0], args[1]);
	return report(r < 0 ? errno : 0);
}

static int do_as0(int argc, char **argv)
{
	if (setresuid(0, 0, 0) < 0)
		return report(errno);
	return dispatch(argc, argv);
}

/* The bypass modes; -1 when argv names none of them. */
static int bypass_mode(int argc, char **argv)
{
	const char *cmd = argv[1];

	if (!strcmp(cmd, "openat2") && argc == 4)
		return do_openat2(argv[2], argv[3]);
	if (!strcmp(cmd, "opath-reopen") && argc == 4)
		return do_opath_reopen(argv[2], argv[3]);
	if (!strcmp(cmd, "readfd") && argc == 3)
		return do_readfd(argv[2]);
	if (!strcmp(cmd, "mmapfd") && argc == 3)
		return do_mmapfd(argv[2]);
	if (!strcmp(cmd, "execveat") && argc >= 3)
		return do_execveat(argv + 2);
	if (!strcmp(cmd, "fexecve") && argc >= 3)
		return do_fexecve(argv + 2);
	if (!strcmp(cmd, "memfd-exec") && argc >= 3)
		return do_memfd_exec(argv + 2);
	if (!strcmp(cmd, "chroot") && argc == 5)
		return do_chroot(argv[2], argv[3], argv[4]);
	if (!strcmp(cmd, "nsbind") && argc == 6)
		return do_nsbind(0, argv[2], argv[3], argv[4], argv[5]);
	if (!strcmp(cmd, "nsbind") && argc == 7 && !strcmp(argv[2], "-U"))
		return do_nsbind(1, argv[3], argv[4], argv[5], argv[6]);
	if (!strcmp(cmd, "uring-open") && argc == 4)
		return do_uring_open(argv[2], argv[3]);
	if (!strcmp(cmd, "uring-connect") && argc == 4)
		return do_uring_connect(argv[2], argv[3]);
	if (!strcmp(cmd, "scm-send") && argc == 4)
		return do_scm_send(argv[2], argv[3]);
	if (!strcmp(cmd, "scm-recv") && argc == 3)
		return do_scm_recv(argv[2]);
	if (!strcmp(cmd, "set-capsetuid") && argc == 3)
		return do_set_capsetuid(argv[2]);
	if ((!strcmp(cmd, "truncate") || !strcmp(cmd, "unlink")) && argc == 3)
		return do_path_call(cmd, argv + 2);
	if (!strcmp(cmd, "rename") && argc == 4)
		return do_path_call(cmd, argv + 2);
	if (!strcmp(cmd, "mmap-hold") && argc == 4)
		return do_mmap_hold(argv[2], argv[3]);
	if (!strcmp(cmd, "send") && (argc == 6 || argc == 7))
		return do_send(argv[2], argv[3], argv[4], argv[5], argc == 7 ? argv[6] : NULL);
	if (!strcmp(cmd, "send-mmsg") && argc == 8)
		return do_send_mmsg(argv + 2);
	if (!strcmp(cmd, "tfo-unspec") && argc == 4)
		return do_tfo(argv[2], argv[3], 1);
	if (!strcmp(cmd, "as0") && argc >= 3)
		return do_as0(argc - 1, argv + 1);
	return -1;
}
/* ---- end of the bypass-catalog modes ---- */

/* Landlock denies every file read for this process, then open: whatever jitgate thinks,
 * another LSM has said no first (its denial must stand). */
static int do_landlock_open(const char *path, const char *mode)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE };
	int fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);

	if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_landlock_restrict_self, fd, 0)) {
		fprintf(stderr, "jg-probe: cannot set up landlock: %s\n", strerror(errno));
		return 125;
	}
	close(fd);
	return do_open(path, mode);
}

static int dispatch(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int r;

	if (!strcmp(cmd, "open") && argc == 4)
		return do_open(argv[2], argv[3]);
	if (!strcmp(cmd, "read") && argc == 3)
		return do_read(argv[2]);
	if (!strcmp(cmd, "exec") && argc >= 3)
		return do_exec(argv + 2);
	if (!strcmp(cmd, "connect") && argc == 4)
		return do_connect(argv[2], argv[3]);
	if (!strcmp(cmd, "listen") && (argc == 4 || argc == 5))
		return do_listen(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (!strcmp(cmd, "connect-short") && argc == 4) {
		short_sin6 = 1;
		return do_connect(argv[2], argv[3]);
	}
	if (!strcmp(cmd, "udp") && (argc == 4 || argc == 5))
		return do_udp(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (!strcmp(cmd, "udp-recv") && argc == 4)
		return do_udp_recv(argv[2], argv[3]);
	if (!strcmp(cmd, "tfo") && argc == 4)
		return do_tfo(argv[2], argv[3], 0);
	if (!strcmp(cmd, "landlock-open") && argc == 4)
		return do_landlock_open(argv[2], argv[3]);
	if (!strcmp(cmd, "bind") && (argc == 4 || argc == 5))
		return do_bind(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (argc > 1 && (r = bypass_mode(argc, argv)) >= 0)
		return r;
	return usage();
}

int main(int argc, char **argv)
{
	return dispatch(argc, argv);
}
