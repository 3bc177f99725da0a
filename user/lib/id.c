// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Grant and request ids: the one parser both kinds go through (lib/id.h has the rule). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/id.h"

int id__parse(const char *text, char kind, uint64_t *id)
{
	char *end;
	unsigned long long v;

	/* strtoull alone would take " 1", "+1" and "01": the first digit is checked here. */
	if (!text || text[0] != kind || text[1] != '-' || text[2] < '1' || text[2] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text + 2, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*id = v;
	return 0;
}

char *id__format(char kind, uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%c-%" PRIu64, kind, id);
	return buf;
}
