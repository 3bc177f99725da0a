/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The names of the kernel's permission bits (enum jg_perm in include/jitgate.h), as policy
 * files, audit records and the protocol write them. */
#ifndef JG_PERM_H
#define JG_PERM_H

/* "read" -> JG_PERM_READ ...; 0 for an unknown name. */
unsigned perm__from_name(const char *name);
/* JG_PERM_READ -> "read" ...; NULL unless perm_bit is exactly one known bit. */
const char *perm__name(unsigned perm_bit);

#endif
