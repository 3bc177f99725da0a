// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Test helper: run a command on a terminal of its own, as a login would, and show what
 * reaches that terminal.
 *
 *   jg-pty SECONDS CMD [ARGS...]
 *
 * CMD runs in a new session whose controlling terminal is a new pseudo-terminal; for
 * SECONDS everything written to that terminal (by CMD, or by anyone else who opens it) is
 * copied to stdout; then jg-pty exits 0 (closing the terminal hangs CMD up). The
 * terminal's name is the first line of output ("tty /dev/pts/N"). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long long end;
	char *name;
	int master;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: jg-pty SECONDS CMD [ARGS...]\n");
		return 2;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) || !(name = ptsname(master))) {
		perror("jg-pty: pseudo-terminal");
		return 1;
	}
	printf("tty %s\n", name);
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("jg-pty: fork");
		return 1;
	}
	if (pid == 0) {
		int slave;

		setsid();
		slave = open(name, O_RDWR);
		if (slave < 0 || ioctl(slave, TIOCSCTTY, 0)) {
			perror("jg-pty: controlling terminal");
			_exit(1);
		}
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		close(master);
		execvp(argv[2], argv + 2);
		perror("jg-pty: exec");
		_exit(127);
	}
	end = now_ms() + atoi(argv[1]) * 1000LL;
	for (long long left; (left = end - now_ms()) > 0;) {
		struct pollfd p = { .fd = master, .events = POLLIN };
		char buf[512];
		ssize_t n;

		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = read(master, buf, sizeof(buf));
		if (n <= 0)
			break;	/* every holder of the terminal is gone */
		fwrite(buf, 1, (size_t)n, stdout);
		fflush(stdout);
	}
	return 0;
}
