/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The few errno values the gate returns; vmlinux.h carries no macros. */
#ifndef JG_ERRNO_BPF_H
#define JG_ERRNO_BPF_H
#define EPERM  1
#define EACCES 13
#define ENOMEM 12
#define ENOSPC 28
#define ENFILE 23
#endif
