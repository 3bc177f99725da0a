/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Grant and request ids as people type them: "g-12", "r-3". One rule for both: the letter,
 * a dash, then a decimal number from 1 up without sign, space or leading zero. */
#ifndef JG_ID_H
#define JG_ID_H

#include <stddef.h>
#include <stdint.h>

#define JG_ID_GRANT   'g'
#define JG_ID_REQUEST 'r'

/* "g-12" with kind 'g' -> 12. Returns 0 or -EINVAL (*id untouched). */
int id__parse(const char *text, char kind, uint64_t *id);
/* 12 -> "g-12". Returns buf. */
char *id__format(char kind, uint64_t id, char *buf, size_t len);

#endif
