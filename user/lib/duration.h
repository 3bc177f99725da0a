/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef JG_DURATION_H
#define JG_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define JG_DURATION_MAX (366ull * 24 * 3600)	/* one year: longer is a typo */

/* "90s", "15m", "2h", "1d", "1h30m" (units d, h, m, s, each at most once, in that order).
 * Returns 0 and *secs > 0, or -EINVAL with one sentence in err. */
int duration__parse(const char *text, uint64_t *secs, char *err, size_t errlen);

/* 5400 -> "1h30m", 0 -> "0s". Returns buf. */
char *duration__format(uint64_t secs, char *buf, size_t len);

#endif
