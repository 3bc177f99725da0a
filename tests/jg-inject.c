// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-inject: the ways one process changes another's code or takes from it, for the VM tests
 * of standing rules bound to a program, and a flood of denials for the audit tests.
 *
 *   jg-inject wait-open PATH           the victim: prints "ready ADDR" (ADDR: a byte of its
 *                                      memory, hex), waits for one byte on stdin, prints
 *                                      "target=C" (that byte: '-' unless someone wrote it),
 *                                      then opens PATH for reading: "ok" or the errno name
 *   jg-inject trace MODE PROG PATH     starts "PROG wait-open PATH" as its child (so that
 *                                      Yama's ptrace_scope 1 lets it), does MODE to it, lets
 *                                      it go and prints what it prints; exits with its status
 *       none      nothing (the control)
 *       seize     PTRACE_SEIZE, and stays attached while the child opens
 *       attach    PTRACE_ATTACH, PTRACE_POKEDATA 'p' into the byte, PTRACE_DETACH
 *       mem       write 'm' into the byte through /proc/PID/mem
 *       vmwrite   write 'v' into the byte with process_vm_writev(2)
 *       getfd     take the child's stdin with pidfd_getfd(2)
 *       traceme   the child calls PTRACE_TRACEME before its exec
 *   jg-inject flood PATH N             N opens of PATH for reading; prints
 *                                      "denied=D allowed=A other=O"
 *
 * Exit: the child's status (trace), 0 (flood), 2 usage, 125 a step of MODE failed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

static volatile char target = '-';

static int usage(void)
{
	fprintf(stderr, "usage: jg-inject wait-open PATH\n"
			"       jg-inject trace none|seize|attach|mem|vmwrite|getfd|traceme "
			"PROG PATH\n"
			"       jg-inject flood PATH N\n");
	return 2;
}

static const char *errname(int err)
{
	switch (err) {
	case EACCES: return "EACCES";
	case EPERM:  return "EPERM";
	case ENOENT: return "ENOENT";
	default:     return strerror(err);
	}
}

static int wait_open(const char *path)
{
	char c;
	int fd;

	printf("ready %lx\n", (unsigned long)&target);
	fflush(stdout);
	if (read(0, &c, 1) != 1)
		return 2;
	printf("target=%c\n", target);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("%s\n", errname(errno));
		return 1;
	}
	close(fd);
	printf("ok\n");
	return 0;
}

static int setup_failed(const char *what, pid_t pid)
{
	fprintf(stderr, "jg-inject: %s: %s\n", what, strerror(errno));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 125;
}

static int tamper(const char *mode, pid_t pid, unsigned long addr)
{
	char path[64];
	int st, fd;

	if (!strcmp(mode, "none") || !strcmp(mode, "traceme"))
		return 0;
	if (!strcmp(mode, "seize"))
		return ptrace(PTRACE_SEIZE, pid, 0, 0) ? setup_failed("PTRACE_SEIZE", pid) : 0;
	if (!strcmp(mode, "attach")) {
		long word;

		if (ptrace(PTRACE_ATTACH, pid, 0, 0))
			return setup_failed("PTRACE_ATTACH", pid);
		if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
			return setup_failed("waiting for the attach stop", pid);
		errno = 0;
		word = ptrace(PTRACE_PEEKDATA, pid, (void *)addr, 0);
		if (errno)
			return setup_failed("PTRACE_PEEKDATA", pid);
		word = (word & ~0xffL) | 'p';
		if (ptrace(PTRACE_POKEDATA, pid, (void *)addr, (void *)word))
			return setup_failed("PTRACE_POKEDATA", pid);
		return ptrace(PTRACE_DETACH, pid, 0, 0) ? setup_failed("PTRACE_DETACH", pid) : 0;
	}
	if (!strcmp(mode, "mem")) {
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return setup_failed(path, pid);
		if (pwrite(fd, "m", 1, (off_t)addr) != 1)
			return setup_failed("writing /proc/PID/mem", pid);
		close(fd);
		return 0;
	}
	if (!strcmp(mode, "vmwrite")) {
		char v = 'v';
		struct iovec local = { .iov_base = &v, .iov_len = 1 };
		struct iovec remote = { .iov_base = (void *)addr, .iov_len = 1 };

		if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != 1)
			return setup_failed("process_vm_writev", pid);
		return 0;
	}
	if (!strcmp(mode, "getfd")) {
		int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

		if (pidfd < 0)
			return setup_failed("pidfd_open", pid);
		fd = (int)syscall(SYS_pidfd_getfd, pidfd, 0, 0);
		if (fd < 0)
			return setup_failed("pidfd_getfd", pid);
		close(fd);
		close(pidfd);
		return 0;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return usage();
}

static int trace(const char *mode, const char *prog, const char *path)
{
	int in[2], out[2], st, ret;
	unsigned long addr = 0;
	char line[256];
	FILE *f;
	pid_t pid;

	if (pipe(in) || pipe(out))
		return 125;
	pid = fork();
	if (pid < 0)
		return 125;
	if (pid == 0) {
		if (!strcmp(mode, "traceme") && ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(125);
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl(prog, prog, "wait-open", path, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (!strcmp(mode, "traceme")) {
		/* stopped by the SIGTRAP of its exec */
		if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st))
			return setup_failed("waiting for the traced exec", pid);
		if (ptrace(PTRACE_CONT, pid, 0, 0))
			return setup_failed("PTRACE_CONT", pid);
	}
	f = fdopen(out[0], "r");
	if (!f || !fgets(line, sizeof(line), f) || sscanf(line, "ready %lx", &addr) != 1) {
		errno = EPROTO;
		return setup_failed("the child never said ready", pid);
	}
	ret = tamper(mode, pid, addr);
	if (ret)
		return ret;
	if (write(in[1], "g", 1) != 1)
		return setup_failed("waking the child", pid);
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fflush(stdout);
	while (waitpid(pid, &st, __WALL) == pid) {
		if (WIFEXITED(st))
			return WEXITSTATUS(st);
		if (WIFSIGNALED(st))
			return 128 + WTERMSIG(st);
		/* a traced child's stop (seize, traceme): let it go on */
		ptrace(PTRACE_CONT, pid, 0, WIFSTOPPED(st) && WSTOPSIG(st) != SIGTRAP ?
		       WSTOPSIG(st) : 0);
	}
	return 125;
}

static int flood(const char *path, long n)
{
	long denied = 0, allowed = 0, other = 0;

	for (long i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			allowed++;
			close(fd);
		} else if (errno == EACCES) {
			denied++;
		} else {
			other++;
		}
	}
	printf("denied=%ld allowed=%ld other=%ld\n", denied, allowed, other);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "wait-open"))
		return wait_open(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "trace"))
		return trace(argv[2], argv[3], argv[4]);
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return flood(argv[2], strtol(argv[3], NULL, 10));
	return usage();
}
