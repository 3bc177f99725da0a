// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jg-totp SECRET [STEPS]: the TOTP code an authenticator app shows now for a base32 secret
 * (STEPS: that many 30 s steps later, may be negative). For the VM tests of MFA. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "workflow/totp.h"

int main(int argc, char **argv)
{
	uint8_t key[JG_TOTP_SECRET_MAX];
	long steps = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	int len;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: jg-totp SECRET [STEPS]\n");
		return 2;
	}
	len = totp__base32_decode(argv[1], key, sizeof(key));
	if (len <= 0) {
		fprintf(stderr, "jg-totp: \"%s\" is not a base32 secret\n", argv[1]);
		return 2;
	}
	printf("%06u\n", totp__hotp(key, (size_t)len, (uint64_t)(time(NULL) / JG_TOTP_STEP + steps),
				    JG_TOTP_DIGITS));
	return 0;
}
