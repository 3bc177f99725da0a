// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-probe: one access attempt for the VM tests, answered in one line.
 *
 *   jg-probe open PATH r|w|rw          open(2) and close
 *   jg-probe read PATH                 open(2) + read(2); prints the content instead of "ok"
 *   jg-probe exec PATH [ARG]...        execv(2): on success the program runs (we print nothing)
 *   jg-probe connect ADDR PORT         TCP connect, 3 s timeout; ADDR is an IPv4 or IPv6 literal
 *   jg-probe listen ADDR PORT [COUNT]  prints "ok" once listening, then accepts COUNT
 *                                      connections (default: until killed) and closes each
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
		"Prints \"ok\" or the errno name (EACCES, ...); exit 0 ok, 1 failed, 2 usage.\n");
	return 2;
}

static int do_open(const char *path, const char *mode)
{
	int flags, fd;

	if (!strcmp(mode, "r"))
		flags = O_RDONLY;
	else if (!strcmp(mode, "w"))
		flags = O_WRONLY;
	else if (!strcmp(mode, "rw"))
		flags = O_RDWR;
	else
		return usage();
	fd = open(path, flags | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return report(errno);
	close(fd);
	return report(0);
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

static int do_connect(const char *addr_text, const char *port_text)
{
	struct sockaddr_storage ss;
	struct pollfd pfd;
	socklen_t len, elen;
	int fd, err = 0, n;

	if (parse_addr(addr_text, port_text, &ss, &len))
		return usage();
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return report(errno);
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
	int fd, one = 1;

	if (parse_addr(addr_text, port_text, &ss, &len))
		return usage();
	if (count_text) {
		char *end;

		count = strtol(count_text, &end, 10);
		if (!*count_text || *end || count < 1)
			return usage();
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return report(errno);
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

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

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
	return usage();
}
