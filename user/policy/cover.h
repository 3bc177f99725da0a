/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What in a policy covers an object, and which roles give access to it: the policy side of
 * `jitgate why`. Pure: paths are compared by name after normalising (no file is looked at;
 * the kernel's answer, by device and inode, is the denial itself), endpoints as the gate
 * matches them. */
#ifndef JG_POLICY_COVER_H
#define JG_POLICY_COVER_H

#include <stddef.h>
#include <stdint.h>
#include "policy/policy.h"

/* One resource entry that covers an object. */
struct jg_cover {
	const struct jg_resource *res;
	unsigned perms;			/* what the entry's kind guards: files read|write, exec
					 * exec, connect connect, bind bind */
	const char *entry;		/* the entry as the policy writes it */
};

/* "/a//b/./c/../d/" -> "/a/b/d". in must be absolute. Returns 0, or -EINVAL (not absolute)
 * or -ENAMETOOLONG; out is always a string. */
int cover__normalise(const char *in, char *out, size_t len);

/* Entries whose path (files, exec) is path itself or one of its directories, in policy
 * order; path absolute and normalised. Fills out[0..max) and returns how many there are
 * (more than max: only max filled). */
size_t cover__path(const struct jg_policy *p, const char *path, struct jg_cover *out,
		   size_t max);

/* Entries (connect, bind) that hold addr (16 bytes, IPv4 as ::ffff:a.b.c.d) and port. A
 * connect entry that touches the loopback addresses stands for the host's own service, so
 * every loopback address with its ports is held too. Same return as cover__path. */
size_t cover__endpoint(const struct jg_policy *p, const uint8_t addr[16], uint16_t port,
		       struct jg_cover *out, size_t max);

/* Roles whose allow gives every permission of perms on resource, in policy order. Same
 * return as cover__path. perms 0: roles giving any permission on it. */
size_t cover__roles(const struct jg_policy *p, const char *resource, unsigned perms,
		    const struct jg_role **out, size_t max);

/* The permissions role gives on resource (0: none). */
unsigned cover__role_perms(const struct jg_role *role, const char *resource);

#endif /* JG_POLICY_COVER_H */
