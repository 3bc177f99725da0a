// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-client: VM test helper that talks to jitgated's socket the way the CLI never does.
 *
 *   jg-client [-s SOCKET] send JSON [--no-read] [--pidfile FILE]
 *	write its pid to FILE (first), connect, send JSON and a newline; print the reply
 *	line, or with --no-read exit at once without reading anything
 *   jg-client [-s SOCKET] stuck JSON SECONDS
 *	for SECONDS: connect, send JSON, never read; when the daemon drops the connection,
 *	open the next one. Prints "stuck: C connections, D dropped by the daemon"
 *   jg-client [-s SOCKET] slow JSON SECONDS
 *	for SECONDS: connect and send JSON one byte a second, again after every drop.
 *	Prints "slow: C connections, D dropped; first answer: LINE"
 *   jg-client [-s SOCKET] flood JSON N
 *	N requests one after another, each on its own connection, each reply read. Prints
 *	"flood: N sent, A ok, R refused, O other, E unanswered; first refusal: LINE" (refused:
 *	an EAGAIN reply)
 *   jg-client [-s SOCKET] endless SECONDS
 *	one connection that sends bytes without a newline until the daemon answers or closes
 *	(or SECONDS pass). Prints "endless: B bytes sent; answer: LINE"
 *   jg-client [-s SOCKET] idle N SECONDS
 *	hold N connections that send nothing for SECONDS, reopening (after 250 ms) each one
 *	the daemon closes. Prints "idle: C connections, R refused, T timed out; first
 *	refusal: LINE"
 *   jg-client notify PATH SECONDS
 *	be systemd's notification socket: bind a datagram socket at PATH and print each
 *	message received (newlines as ';'), until READY=1 came or SECONDS passed; exit 0
 *	only when READY=1 came
 *
 * Exit: 0, 1 (send: no reply), 2 usage, 125 setup error (cannot connect at all). Only libc. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#define MAX_IDLE 256

static const char *sock_path = "/run/jitgate/jitgate.sock";

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_daemon(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock_path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* What the daemon said on a connection it closed (one line at most), into line. */
static void read_answer(int fd, char *line, size_t len)
{
	ssize_t n = recv(fd, line, len - 1, MSG_DONTWAIT);

	line[n > 0 ? n : 0] = 0;
	line[strcspn(line, "\n")] = 0;
}

static int do_send(const char *json, int argc, char **argv)
{
	const char *pidfile = NULL;
	int no_read = 0, fd;
	char reply[65536];
	size_t len = 0;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--no-read"))
			no_read = 1;
		else if (!strcmp(argv[i], "--pidfile") && i + 1 < argc)
			pidfile = argv[++i];
		else
			return 2;
	}
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");

		if (!f)
			return 125;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	fd = connect_daemon();
	if (fd < 0) {
		perror("connect");
		return 125;
	}
	if (send_all(fd, json, strlen(json)) || send_all(fd, "\n", 1)) {
		perror("send");
		read_answer(fd, reply, sizeof(reply));	/* the refusal, when there is one */
		puts(reply);
		return 1;
	}
	if (no_read)
		return 0;	/* exit with the request unanswered, the socket unread */
	for (;;) {
		ssize_t n = read(fd, reply + len, sizeof(reply) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(reply, '\n', len) || len == sizeof(reply) - 1)
			break;
	}
	reply[len] = 0;
	fputs(reply, stdout);
	return len ? 0 : 1;
}

static int do_stuck(const char *json, int secs)
{
	long long end = now_ms() + secs * 1000LL;
	int conns = 0, dropped = 0;

	while (now_ms() < end) {
		struct pollfd p = { .events = 0 };	/* POLLHUP only: never read */
		int fd = connect_daemon();

		if (fd < 0) {
			usleep(250000);
			continue;
		}
		conns++;
		send_all(fd, json, strlen(json));
		send_all(fd, "\n", 1);
		p.fd = fd;
		while (now_ms() < end) {
			if (poll(&p, 1, 200) > 0 && (p.revents & (POLLHUP | POLLERR))) {
				dropped++;
				break;
			}
		}
		close(fd);
	}
	printf("stuck: %d connections, %d dropped by the daemon\n", conns, dropped);
	return conns ? 0 : 125;
}

static int do_slow(const char *json, int secs)
{
	long long end = now_ms() + secs * 1000LL;
	int conns = 0, dropped = 0;
	char first[1024] = "";

	while (now_ms() < end) {
		size_t off = 0, len = strlen(json);
		int fd = connect_daemon();

		if (fd < 0) {
			usleep(250000);
			continue;
		}
		conns++;
		while (now_ms() < end) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 1000) > 0) {
				char line[1024];

				read_answer(fd, line, sizeof(line));
				if (!first[0])
					snprintf(first, sizeof(first), "%s", line);
				dropped++;
				break;
			}
			/* one byte a second, the newline last */
			if (off <= len && send(fd, off < len ? json + off : "\n", 1, MSG_NOSIGNAL) < 0) {
				dropped++;
				break;
			}
			off++;
		}
		close(fd);
	}
	printf("slow: %d connections, %d dropped; first answer: %s\n", conns, dropped, first);
	return conns ? 0 : 125;
}

static int do_idle(int n, int secs)
{
	long long end = now_ms() + secs * 1000LL, reopen[MAX_IDLE] = { 0 };
	int fds[MAX_IDLE], conns = 0, refused = 0, timed_out = 0;
	char first[1024] = "";

	if (n < 1 || n > MAX_IDLE)
		return 2;
	for (int i = 0; i < n; i++)
		fds[i] = -1;
	while (now_ms() < end) {
		struct pollfd p[MAX_IDLE];

		for (int i = 0; i < n; i++) {
			if (fds[i] < 0 && now_ms() >= reopen[i]) {
				fds[i] = connect_daemon();
				if (fds[i] >= 0)
					conns++;
			}
			p[i].fd = fds[i];	/* negative: poll skips it */
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		if (poll(p, (nfds_t)n, 100) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			char line[1024];

			if (fds[i] < 0 || !p[i].revents)
				continue;
			read_answer(fds[i], line, sizeof(line));
			if (strstr(line, "EBUSY")) {
				refused++;
				if (!first[0])
					snprintf(first, sizeof(first), "%s", line);
			} else if (strstr(line, "ETIMEDOUT")) {
				timed_out++;
			}
			close(fds[i]);
			fds[i] = -1;
			reopen[i] = now_ms() + 250;
		}
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	printf("idle: %d connections, %d refused, %d timed out; first refusal: %s\n", conns,
	       refused, timed_out, first);
	return conns ? 0 : 125;
}

/* One request; the reply line in line ("" when none). */
static void one_request(const char *json, char *line, size_t len)
{
	size_t got = 0;
	int fd = connect_daemon();

	line[0] = 0;
	if (fd < 0)
		return;
	if (send_all(fd, json, strlen(json)) || send_all(fd, "\n", 1)) {
		read_answer(fd, line, len);	/* refused before it read anything */
		close(fd);
		return;
	}
	for (;;) {
		ssize_t n = read(fd, line + got, len - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got) || got == len - 1)
			break;
	}
	line[got] = 0;
	line[strcspn(line, "\n")] = 0;
	close(fd);
}

static int do_flood(const char *json, int n)
{
	int ok = 0, refused = 0, other = 0, none = 0;
	char first[1024] = "", line[65536];

	for (int i = 0; i < n; i++) {
		one_request(json, line, sizeof(line));
		if (!line[0]) {
			none++;
		} else if (strstr(line, "\"ok\":true")) {
			ok++;
		} else if (strstr(line, "\"code\":\"EAGAIN\"")) {
			refused++;
			if (!first[0])
				snprintf(first, sizeof(first), "%.1000s", line);
		} else {
			other++;
		}
	}
	printf("flood: %d sent, %d ok, %d refused, %d other, %d unanswered; first refusal: %s\n",
	       n, ok, refused, other, none, first);
	return 0;
}

static int do_endless(int secs)
{
	long long end = now_ms() + secs * 1000LL;
	char chunk[4096], line[1024] = "";
	long long sent = 0;
	int fd = connect_daemon();

	if (fd < 0)
		return 125;
	memset(chunk, 'x', sizeof(chunk));
	while (now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			read_answer(fd, line, sizeof(line));
			break;
		}
		n = send(fd, chunk, sizeof(chunk), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			read_answer(fd, line, sizeof(line));
			break;
		}
		if (n > 0)
			sent += n;
	}
	close(fd);
	printf("endless: %lld bytes sent; answer: %s\n", sent, line);
	return 0;
}

static int do_notify(const char *path, int seconds)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	long long end = now_ms() + seconds * 1000LL;
	int fd, ready = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return 2;
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)))
		return 125;
	while (!ready && now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char msg[1024];
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n <= 0)
			continue;
		msg[n] = 0;
		ready = !strncmp(msg, "READY=1", 7) || strstr(msg, "\nREADY=1") != NULL;
		for (char *c = msg; *c; c++)
			if (*c == '\n')
				*c = ';';
		printf("%s\n", msg);
	}
	close(fd);
	unlink(path);
	return ready ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: jg-client [-s SOCKET] send JSON [--no-read] [--pidfile FILE]\n"
			"       jg-client [-s SOCKET] stuck|slow JSON SECONDS\n"
			"       jg-client [-s SOCKET] flood JSON N\n"
			"       jg-client [-s SOCKET] endless SECONDS\n"
			"       jg-client [-s SOCKET] idle N SECONDS\n"
			"       jg-client notify PATH SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc >= 3 && !strcmp(argv[1], "-s")) {
		sock_path = argv[2];
		argc -= 2;
		argv += 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "send"))
		ret = do_send(argv[2], argc - 3, argv + 3);
	else if (argc == 4 && !strcmp(argv[1], "stuck"))
		ret = do_stuck(argv[2], atoi(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "slow"))
		ret = do_slow(argv[2], atoi(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "flood"))
		ret = do_flood(argv[2], atoi(argv[3]));
	else if (argc == 3 && !strcmp(argv[1], "endless"))
		ret = do_endless(atoi(argv[2]));
	else if (argc == 4 && !strcmp(argv[1], "idle"))
		ret = do_idle(atoi(argv[2]), atoi(argv[3]));
	else if (argc == 4 && !strcmp(argv[1], "notify"))
		ret = do_notify(argv[2], atoi(argv[3]));
	else
		ret = -1;
	return ret == 2 || ret < 0 ? usage() : ret;
}
