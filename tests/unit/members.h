/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The unit tests' users and groups: a file defines its own members[] table (uid, group),
 * ending with { 0, NULL }, and makes its people with WHO(uid, name), whose in_group looks
 * them up in that table. */
#ifndef JG_TEST_MEMBERS_H
#define JG_TEST_MEMBERS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct member {
	uint32_t uid;
	const char *group;
};

/* struct jg_who's in_group over a members[] table (ctx) */
static inline bool in_group(uint32_t uid, const char *group, void *ctx)
{
	for (const struct member *m = ctx; m->group; m++)
		if (m->uid == uid && !strcmp(m->group, group))
			return true;
	return false;
}

#define WHO(u, name) { .uid = (u), .user = (name), .in_group = in_group, \
		       .ctx = (void *)members }

#endif
