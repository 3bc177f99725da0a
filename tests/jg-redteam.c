// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-redteam: probes for tests/vm/test_59_redteam.sh, ways an elevated human keeps root
 * after the grant or switches the gate off. Every outcome is one word or line on stdout.
 *
 *   jg-redteam mount-bind SRC DST [private]
 *        mount(SRC, DST, MS_BIND [| MS_PRIVATE]): "ok" or the errno name. The kernel
 *        performs a bind mount whatever propagation flag rides along with MS_BIND.
 *   jg-redteam setattr-ro PATH set|clear
 *        mount_setattr(2) of the mount at PATH: MOUNT_ATTR_RDONLY set or cleared
 *        (a per-mount flag: no remount, no sb_mount): "ok" or the errno name
 *   jg-redteam clone-into CGDIR MB [TARGET]
 *        clone3(CLONE_INTO_CGROUP) a child straight into the cgroup CGDIR (no write to any
 *        cgroup.procs); the child sets its oom_score_adj to -999 and touches MB MiB, one
 *        at a time, so that the cgroup's OOM killer picks another process of the
 *        cgroup: prints "ok" (the clone worked), waits for the child (10 s at most, or
 *        until pid TARGET is gone) and kills it
 *   jg-redteam socket FAMILY
 *        socket(FAMILY, SOCK_STREAM, 0) (a family with no module: the kernel runs
 *        modprobe to autoload one, and waits for it): "ok" or the errno name
 *   jg-redteam uring-reg FD
 *        (run as root) registers this task's credentials as a personality of the io_uring
 *        it inherited as descriptor FD, then exits: "given ID"
 *   jg-redteam uring-file FD PATH
 *        (run as root) opens PATH read-write and registers it as fixed file 0 of the
 *        io_uring it inherited as descriptor FD, then exits: "given-file"
 *   jg-redteam uring-keep GOFILE PATH HELPER [ARGS...]
 *        makes an io_uring, runs HELPER ARGS with it as descriptor 3 (uring-reg), keeps
 *        it, prints "held", waits (up to 5 min) until GOFILE exists, then opens
 *        PATH through the ring with and without the personality and reads it: prints
 *        "plain=RESULT personality=RESULT" (RESULT: the first line read, or the errno name);
 *        after a uring-file helper, reads fixed file 0 through the ring: "fixed=RESULT"
 *   jg-redteam idle
 *        prints "ready PID" and waits forever (a victim: installed setuid-root)
 *   jg-redteam inject PID PROG [ARGS...]
 *        PTRACE_ATTACH to PID and make it execve(PROG, ARGS) with no environment: "ok"
 *        or the errno name of the failing step
 *   jg-redteam rootdo GOFILE FILE OUT
 *        waits (up to 5 min) until GOFILE exists, then writes "euid=E RESULT" to OUT
 *        (RESULT: FILE's first line, or the errno name of its open)
 *
 * Exit: 0 when the step did what it says, 1 when the kernel refused, 2 usage, 125 setup. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

static const char *errname(int e)
{
	switch (e) {
	case 0:       return "ok";
	case EPERM:   return "EPERM";
	case EACCES:  return "EACCES";
	case ENOENT:  return "ENOENT";
	case EINVAL:  return "EINVAL";
	case ESRCH:   return "ESRCH";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EBUSY:   return "EBUSY";
	case EROFS:   return "EROFS";
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
	fprintf(stderr, "usage: jg-redteam mount-bind|setattr-ro|clone-into|socket|uring-reg|uring-file|uring-keep|idle|inject|"
		"rootdo ARGS... (see the source)\n");
	return 2;
}

/* ------------------------------------------------------------------ io_uring, raw */

struct ring {
	int fd;
	unsigned *tail, *mask, *array, *chead, *ctail, *cmask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_map(int fd, struct ring *r)
{
	struct io_uring_params p;
	size_t ssz, csz;
	char *sq, *cq;

	/* the ring's sizes: a second io_uring_setup is not needed, the offsets are fixed for
	 * a ring of 4 entries on one kernel; ask the kernel with a throwaway ring */
	memset(&p, 0, sizeof(p));
	{
		int t = (int)syscall(__NR_io_uring_setup, 4, &p);

		if (t < 0)
			return errno;
		close(t);
	}
	r->fd = fd;
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
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return errno;
	r->tail = (unsigned *)(sq + p.sq_off.tail);
	r->mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->array = (unsigned *)(sq + p.sq_off.array);
	r->chead = (unsigned *)(cq + p.cq_off.head);
	r->ctail = (unsigned *)(cq + p.cq_off.tail);
	r->cmask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* One SQE; *res gets its CQE's result. 0 or an errno of io_uring_enter. */
static int ring_one(struct ring *r, const struct io_uring_sqe *tmpl, int *res)
{
	unsigned t = *r->tail, idx = t & *r->mask, h;

	r->sqes[idx] = *tmpl;
	r->array[idx] = idx;
	__atomic_store_n(r->tail, t + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0)
		return errno;
	h = *r->chead;
	if (h == __atomic_load_n(r->ctail, __ATOMIC_ACQUIRE))
		return EAGAIN;
	*res = r->cqes[h & *r->cmask].res;
	__atomic_store_n(r->chead, h + 1, __ATOMIC_RELEASE);
	return 0;
}

/* Register the current task's credentials (root: the elevated shell) as a personality of
 * the ring it inherited as descriptor fd (io_uring descriptors cannot be sent over unix
 * sockets, but they are inherited). */
static int uring_reg(int fd)
{
	int id = (int)syscall(__NR_io_uring_register, fd, IORING_REGISTER_PERSONALITY, NULL, 0);

	if (id < 0)
		return report(errno);
	printf("given %d\n", id);
	return 0;
}

/* Register PATH (opened read-write by root: the elevated shell) as fixed file 0 of the
 * inherited ring fd: the ring's other holder then reads it with no descriptor of its own. */
static int uring_file(int fd, const char *path)
{
	int f = open(path, O_RDWR);

	if (f < 0)
		return report(errno);
	if (syscall(__NR_io_uring_register, fd, IORING_REGISTER_FILES, &f, 1) < 0)
		return report(errno);
	printf("given-file\n");
	return 0;
}

/* submit sqe and wait for its result: >= 0, or -1 with the error's name in out */
static int ring_result(struct ring *r, struct io_uring_sqe *sqe, char *out, size_t len)
{
	int res = 0, err;

	err = ring_one(r, sqe, &res);
	if (!err && res < 0)
		err = -res;
	if (err) {
		snprintf(out, len, "%s", errname(err));
		return -1;
	}
	return res;
}

/* read the first line of fixed file 0 through the ring into out */
static void ring_read_fixed(struct ring *r, char *out, size_t len)
{
	struct io_uring_sqe sqe;

	memset(&sqe, 0, sizeof(sqe));
	memset(out, 0, len);
	sqe.opcode = IORING_OP_READ;
	sqe.fd = 0;
	sqe.flags = IOSQE_FIXED_FILE;
	sqe.addr = (__u64)(unsigned long)out;
	sqe.len = (__u32)len - 1;
	if (ring_result(r, &sqe, out, len) < 0)
		return;
	out[strcspn(out, "\n")] = 0;
}

static int wait_file(const char *path)
{
	struct stat st;

	for (int i = 0; i < 3000; i++) {
		if (!stat(path, &st))
			return 0;
		usleep(100000);
	}
	return ETIMEDOUT;
}

/* open PATH through the ring (with personality id, or none), read its first line into out */
static void ring_read(struct ring *r, const char *path, int id, char *out, size_t len)
{
	struct io_uring_sqe sqe;
	ssize_t n;
	int fd;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_OPENAT;
	sqe.fd = AT_FDCWD;
	sqe.addr = (__u64)(unsigned long)path;
	sqe.open_flags = O_RDONLY | O_CLOEXEC;
	sqe.personality = (__u16)id;
	fd = ring_result(r, &sqe, out, len);
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n < 0) {
		snprintf(out, len, "read:%s", errname(errno));
		return;
	}
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
}

static int uring_keep(const char *go, const char *path, char **helper)
{
	struct io_uring_params p;
	char plain[128], pers[128], line[64] = "";
	struct ring r;
	int pfd[2], id = 0, fd, st, err;
	FILE *in;
	pid_t pid;

	memset(&p, 0, sizeof(p));
	fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return report(errno);
	err = ring_map(fd, &r);
	if (err)
		return report(err);
	if (pipe(pfd) < 0)
		return 125;
	pid = fork();
	if (pid < 0)
		return 125;
	if (!pid) {
		close(pfd[0]);
		/* the ring's descriptor is close-on-exec, and may be 3 already */
		if (dup2(fd, 3) < 0 || fcntl(3, F_SETFD, 0) < 0 || dup2(pfd[1], 1) < 0)
			_exit(125);
		execv(helper[0], helper);
		_exit(127);
	}
	close(pfd[1]);
	in = fdopen(pfd[0], "r");
	if (in && fgets(line, sizeof(line), in) && !strncmp(line, "given-file", 10)) {
		waitpid(pid, &st, 0);
		printf("held\n");
		fflush(stdout);
		if (wait_file(go))
			return 125;
		ring_read_fixed(&r, plain, sizeof(plain));
		printf("fixed=%s\n", plain);
		return 0;
	}
	if (!in || sscanf(line, "given %d", &id) != 1) {
		waitpid(pid, &st, 0);
		printf("not-registered %s\n", line);
		return 1;
	}
	waitpid(pid, &st, 0);
	printf("held\n");
	fflush(stdout);
	if (wait_file(go))
		return 125;
	ring_read(&r, path, 0, plain, sizeof(plain));
	ring_read(&r, path, id, pers, sizeof(pers));
	printf("plain=%s personality=%s\n", plain, pers);
	return 0;
}

/* ------------------------------------------------------------------ ptrace injection */

static int inject(pid_t pid, char **argv)
{
	struct user_regs_struct regs;
	unsigned char blob[1024];
	uint64_t base, ptrs[16];
	size_t off = 16, nargs = 0, i;
	int st;

	memset(blob, 0, sizeof(blob));
	blob[0] = 0x0f;	/* syscall */
	blob[1] = 0x05;
	for (i = 0; argv[i]; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (i >= 15 || off + l > 600)
			return 2;
		nargs++;
		memcpy(blob + off, argv[i], l);
		ptrs[i] = off;
		off += l;
	}
	off = (off + 7) & ~(size_t)7;
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return report(errno);
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
		return report(ESRCH);
	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) < 0)
		return report(errno);
	base = regs.rip & ~(uint64_t)7;
	for (i = 0; i < nargs; i++) {
		uint64_t a = base + ptrs[i];

		memcpy(blob + off + i * 8, &a, 8);
	}
	memset(blob + off + nargs * 8, 0, 8);
	for (i = 0; i < off + nargs * 8 + 8; i += 8) {
		uint64_t w;

		memcpy(&w, blob + i, 8);
		if (ptrace(PTRACE_POKETEXT, pid, (void *)(base + i), (void *)w) < 0)
			return report(errno);
	}
	regs.rip = base;
	regs.rax = SYS_execve;
	regs.orig_rax = (uint64_t)-1;	/* no syscall restart on the way out */
	regs.rdi = base + ptrs[0];
	regs.rsi = base + off;
	regs.rdx = 0;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) < 0)
		return report(errno);
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL) < 0)
		return report(errno);
	return report(0);
}

static int rootdo(const char *go, const char *file, const char *out)
{
	char buf[128] = "";
	FILE *f;
	int fd;
	ssize_t n;

	if (wait_file(go))
		return 125;
	fd = open(file, O_RDONLY);
	if (fd < 0) {
		snprintf(buf, sizeof(buf), "%s", errname(errno));
	} else {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = 0;
		buf[strcspn(buf, "\n")] = 0;
		close(fd);
	}
	f = fopen(out, "w");
	if (!f)
		return 125;
	fprintf(f, "euid=%u %s\n", (unsigned)geteuid(), buf);
	fclose(f);
	return 0;
}

static int clone_into(const char *dir, int mb, pid_t target)
{
	struct clone_args a;
	int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), st;
	long pid;

	if (cg < 0)
		return report(errno);
	memset(&a, 0, sizeof(a));
	a.flags = CLONE_INTO_CGROUP;
	a.exit_signal = SIGCHLD;
	a.cgroup = (__u64)cg;
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid < 0)
		return report(errno);
	if (pid == 0) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);

		if (fd >= 0) {
			if (write(fd, "-999", 4) < 0)
				_exit(125);
			close(fd);
		}
		for (int i = 0; i < mb; i++) {
			char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				_exit(1);
			memset(m, 1, 1 << 20);
		}
		sleep(2);
		_exit(0);
	}
	report(0);
	fflush(stdout);
	for (int i = 0; i < 100; i++) {
		if (waitpid((pid_t)pid, &st, WNOHANG) == (pid_t)pid)
			return 0;
		if (target > 0 && kill(target, 0) < 0 && errno == ESRCH)
			break;	/* done: the child may be stuck retrying its fault */
		usleep(100000);
	}
	kill((pid_t)pid, SIGKILL);
	waitpid((pid_t)pid, &st, 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "mount-bind") && (argc == 4 || argc == 5)) {
		unsigned long fl = MS_BIND;

		if (argc == 5 && !strcmp(argv[4], "private"))
			fl |= MS_PRIVATE;
		return report(mount(argv[2], argv[3], NULL, fl, NULL) < 0 ? errno : 0);
	}
	if (!strcmp(argv[1], "setattr-ro") && argc == 4) {
		struct { __u64 set, clr, prop, userns; } a = { 0 };

		if (!strcmp(argv[3], "set"))
			a.set = 0x00000001;	/* MOUNT_ATTR_RDONLY */
		else
			a.clr = 0x00000001;
		return report(syscall(442 /* mount_setattr */, AT_FDCWD, argv[2], 0, &a,
				      sizeof(a)) < 0 ? errno : 0);
	}
	if (!strcmp(argv[1], "clone-into") && (argc == 4 || argc == 5))
		return clone_into(argv[2], atoi(argv[3]), argc == 5 ? atoi(argv[4]) : 0);
	if (!strcmp(argv[1], "socket") && argc == 3) {
		int fd = socket(atoi(argv[2]), SOCK_STREAM, 0);

		if (fd >= 0)
			close(fd);
		return report(fd < 0 ? errno : 0);
	}
	if (!strcmp(argv[1], "uring-reg") && argc == 3)
		return uring_reg(atoi(argv[2]));
	if (!strcmp(argv[1], "uring-file") && argc == 4)
		return uring_file(atoi(argv[2]), argv[3]);
	if (!strcmp(argv[1], "uring-keep") && argc >= 5)
		return uring_keep(argv[2], argv[3], argv + 4);
	if (!strcmp(argv[1], "idle") && argc == 2) {
		printf("ready %d\n", (int)getpid());
		fflush(stdout);
		for (;;)
			pause();
	}
	if (!strcmp(argv[1], "inject") && argc >= 4)
		return inject((pid_t)atoi(argv[2]), argv + 3);
	if (!strcmp(argv[1], "rootdo") && argc == 5)
		return rootdo(argv[2], argv[3], argv[4]);
	return usage();
}
