// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-bpfprobe: the raw system calls an attack on the gate itself makes, one per run, for
 * the VM tests of the sealed gate. No libbpf: bpf(2) by hand, as an attacker would.
 *
 *   jg-bpfprobe prog-load               BPF_PROG_LOAD of a socket filter "return 0"
 *   jg-bpfprobe obj-get PIN [ro]        BPF_OBJ_GET of a pinned object (ro: BPF_F_RDONLY)
 *   jg-bpfprobe map-id PIN              prints the id of a pinned map (read-only OBJ_GET)
 *   jg-bpfprobe map-by-id ID [ro]       BPF_MAP_GET_FD_BY_ID
 *   jg-bpfprobe prog-ids                BPF_PROG_GET_NEXT_ID from 0 (any loaded program)
 *   jg-bpfprobe finit PATH              finit_module(2) of PATH
 *   jg-bpfprobe init                    init_module(2) of a buffer that is no module
 *   jg-bpfprobe ptrace PID              PTRACE_ATTACH (then detach)
 *   jg-bpfprobe kill PID SIG            kill(2)
 *   jg-bpfprobe sigio PID SIG           SIG to PID through a pipe's owner (F_SETOWN, F_SETSIG,
 *                                       O_ASYNC, then a write: the kernel sends it)
 *   jg-bpfprobe prlimit PID             RLIMIT_CPU of PID to 1 s (prlimit(2))
 *   jg-bpfprobe nice PID                setpriority(2) of PID to 19
 *   jg-bpfprobe vmwrite PID             process_vm_writev(2) of a byte to PID's unmapped page 1
 *                                       (EFAULT: the call reached its memory)
 *
 * Output: "ok" (map-id: the id), or the errno name of the failure. Exit: 0 ok, 1 the call
 * failed, 2 usage. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static const char *errname(int err)
{
	static char buf[32];

	switch (err) {
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case ENOEXEC: return "ENOEXEC";
	case ESRCH: return "ESRCH";
	case EBADF: return "EBADF";
	case EBADMSG: return "EBADMSG";
	case ENOKEY: return "ENOKEY";
	case EKEYREJECTED: return "EKEYREJECTED";
	case EFAULT: return "EFAULT";
	case ENOSYS: return "ENOSYS";
	default:
		snprintf(buf, sizeof(buf), "errno%d", err);
		return buf;
	}
}

static int result(long ret)
{
	if (ret < 0) {
		puts(errname(errno));
		return 1;
	}
	puts("ok");
	return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static long obj_get(const char *pin, int ro)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.pathname = (uint64_t)(uintptr_t)pin;
	a.file_flags = ro ? BPF_F_RDONLY : 0;
	return sys_bpf(BPF_OBJ_GET, &a);
}

static int prog_load(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	a.insns = (uint64_t)(uintptr_t)insns;
	a.insn_cnt = 2;
	a.license = (uint64_t)(uintptr_t)"GPL";
	return result(sys_bpf(BPF_PROG_LOAD, &a));
}

static int map_id(const char *pin)
{
	struct bpf_map_info info;
	union bpf_attr a;
	long fd = obj_get(pin, 1);

	if (fd < 0)
		return result(fd);
	memset(&info, 0, sizeof(info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (uint32_t)fd;
	a.info.info_len = sizeof(info);
	a.info.info = (uint64_t)(uintptr_t)&info;
	if (sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) < 0)
		return result(-1);
	printf("%u\n", info.id);
	return 0;
}

static int map_by_id(const char *id, int ro)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_id = (uint32_t)strtoul(id, NULL, 10);
	a.open_flags = ro ? BPF_F_RDONLY : 0;
	return result(sys_bpf(BPF_MAP_GET_FD_BY_ID, &a));
}

static int prog_ids(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	return result(sys_bpf(BPF_PROG_GET_NEXT_ID, &a));
}

static int trace(pid_t pid)
{
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) < 0)
		return result(-1);
	waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return result(0);
}

static int sigio(pid_t pid, int sig)
{
	int p[2];

	if (pipe(p) || fcntl(p[0], F_SETOWN, pid) || fcntl(p[0], F_SETSIG, sig) ||
	    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK))
		return result(-1);
	return result(write(p[1], "x", 1));
}

static int vmwrite(pid_t pid)
{
	/* one byte to an address the target has not mapped: EFAULT once the kernel let the
	 * call reach its memory, EPERM when it did not (zero bytes would not even ask) */
	static char byte;
	struct iovec local = { &byte, 1 }, remote = { (void *)0x1000, 1 };

	return result(process_vm_writev(pid, &local, 1, &remote, 1, 0));
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	static const char junk[64] = "this is not an ELF kernel module";

	if (!strcmp(cmd, "prog-load") && argc == 2)
		return prog_load();
	if (!strcmp(cmd, "obj-get") && (argc == 3 || argc == 4))
		return result(obj_get(argv[2], argc == 4 && !strcmp(argv[3], "ro")));
	if (!strcmp(cmd, "map-id") && argc == 3)
		return map_id(argv[2]);
	if (!strcmp(cmd, "map-by-id") && (argc == 3 || argc == 4))
		return map_by_id(argv[2], argc == 4 && !strcmp(argv[3], "ro"));
	if (!strcmp(cmd, "prog-ids") && argc == 2)
		return prog_ids();
	if (!strcmp(cmd, "finit") && argc == 3) {
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return result(fd);
		return result(syscall(__NR_finit_module, fd, "", 0));
	}
	if (!strcmp(cmd, "init") && argc == 2)
		return result(syscall(__NR_init_module, junk, sizeof(junk), ""));
	if (!strcmp(cmd, "ptrace") && argc == 3)
		return trace((pid_t)atoi(argv[2]));
	if (!strcmp(cmd, "kill") && argc == 4)
		return result(kill((pid_t)atoi(argv[2]), atoi(argv[3])));
	if (!strcmp(cmd, "sigio") && argc == 4)
		return sigio((pid_t)atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(cmd, "prlimit") && argc == 3) {
		struct rlimit rl = { 1, 1 };

		return result(prlimit((pid_t)atoi(argv[2]), RLIMIT_CPU, &rl, NULL));
	}
	if (!strcmp(cmd, "nice") && argc == 3)
		return result(setpriority(PRIO_PROCESS, (id_t)atoi(argv[2]), 19));
	if (!strcmp(cmd, "vmwrite") && argc == 3)
		return vmwrite((pid_t)atoi(argv[2]));
	fprintf(stderr, "usage: jg-bpfprobe prog-load | obj-get PIN [ro] | map-id PIN | "
			"map-by-id ID [ro] | prog-ids | finit PATH | init | ptrace PID | "
			"kill PID SIG | sigio PID SIG | prlimit PID | nice PID | "
			"vmwrite PID\n");
	return 2;
}
