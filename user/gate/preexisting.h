/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Descriptors that processes opened before the gate protected what they name: the gate
 * decides at open, so these are never re-checked. Found at the first policy load, audited
 * so that an operator can restart what holds them. */
#ifndef JG_PREEXISTING_H
#define JG_PREEXISTING_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jg_preexisting {
	int pid;
	int fd;
	char comm[16];
	char path[PATH_MAX];
	uint16_t resource;
};

/* Is (kernel dev_t, ino) a protected files object? Sets *resource when it is. */
typedef bool (*jg_protected_fn)(uint32_t kdev, uint64_t ino, uint16_t *resource, void *ctx);

/* Look at every PROC_ROOT/<pid>/fd/<n> but skip_pid's: the file it names, then each directory
 * above it by its current name, asked of fn. Fills up to max entries of out; returns how many
 * descriptors were found in all (may exceed max). Unreadable processes are skipped (they may
 * exit meanwhile). */
size_t preexisting__scan(const char *proc_root, int skip_pid, jg_protected_fn fn, void *ctx,
			 struct jg_preexisting *out, size_t max);

#endif
