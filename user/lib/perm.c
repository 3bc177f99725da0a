// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Permission names: one table both ways, so a policy, an audit record and a reply spell a
 * permission alike. */
#include <stddef.h>
#include <string.h>
#include "jitgate.h"
#include "lib/perm.h"

static const struct {
	const char *name;
	unsigned bit;
} perms[] = {
	{ "read", JG_PERM_READ },
	{ "write", JG_PERM_WRITE },
	{ "exec", JG_PERM_EXEC },
	{ "connect", JG_PERM_CONNECT },
	{ "elevate", JG_PERM_ELEVATE },
	{ "bind", JG_PERM_BIND },
	{ "admin", JG_PERM_ADMIN },
};

unsigned perm__from_name(const char *name)
{
	if (!name)
		return 0;
	for (size_t k = 0; k < sizeof(perms) / sizeof(perms[0]); k++)
		if (!strcmp(name, perms[k].name))
			return perms[k].bit;
	return 0;
}

const char *perm__name(unsigned perm_bit)
{
	for (size_t k = 0; k < sizeof(perms) / sizeof(perms[0]); k++)
		if (perm_bit == perms[k].bit)
			return perms[k].name;
	return NULL;
}
