/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Inside the policy compiler (compile.c, standing.c), not for use outside policy/. */
#ifndef JG_POLICY_COMPILER_H
#define JG_POLICY_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "policy/compile.h"

/* Room for one more element in *arr of n (doubling). 0 or -ENOMEM. */
int compile__grow(void **arr, size_t n, size_t elem);
/* The kernel dev of the filesystem path is on (mounts__identify), st_dev when unknown. */
uint32_t compile__kdev_of_path(const char *path, dev_t st_dev);
/* The inode's i_generation (FS_IOC_GETVERSION), 0 when the filesystem gives none or the
 * file cannot be opened. */
uint32_t compile__igen_of(const char *path);
/* Expand standing rule idx of p into c->standing: one entry per (subject, resource,
 * executable), users and group members resolved. 0 or -errno with one sentence in err. */
int compile__standing(struct jg_compiled *c, const struct jg_policy *p, const uint16_t *ids,
		      size_t idx, char *err, size_t errlen);

#endif
