/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* TOTP (RFC 6238 over RFC 4226 HOTP): HMAC-SHA1, 30 s steps, 6 digits, a window of one step
 * either side, and replay protection by remembering the last step a user consumed. And the
 * lockout that makes guessing pointless, like PAM's faillock: `deny` failed codes within
 * `fail_interval` lock the user's MFA for `unlock_time`. */
#ifndef JG_TOTP_H
#define JG_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JG_TOTP_STEP     30
#define JG_TOTP_DIGITS   6
#define JG_TOTP_SECRET_LEN 20		/* bytes of a generated secret (160 bits, RFC 4226) */
#define JG_TOTP_SECRET_MAX 64		/* bytes an imported secret may have */

/* RFC 4648 base32 without padding, upper case. Returns the text length or -ENOSPC. */
int totp__base32_encode(const uint8_t *data, size_t len, char *out, size_t outlen);
/* Accepts upper/lower case, ignores spaces, '-' and trailing '='. Returns the byte count,
 * -EINVAL for a character outside the alphabet, a '=' followed by more text, leftover bits
 * that are not zero or a length no byte string encodes to (1, 3 or 6 characters past a
 * multiple of 8), -ENOSPC. */
int totp__base32_decode(const char *text, uint8_t *out, size_t outlen);

/* HOTP value of counter with `digits` digits (6..8; anything else means 6), HMAC-SHA1 via
 * OpenSSL. UINT32_MAX, which no code equals, when OpenSSL fails. */
uint32_t totp__hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits);

/* Check a code typed by a person ("123456"; exactly JG_TOTP_DIGITS digits) at unix time now,
 * against steps now/30 - 1 .. now/30 + 1. A step <= last_step was already used (or is older
 * than one that was) and is refused. Returns 0 and sets *step to the matched step, -EINVAL for
 * a code that is not six digits, -EACCES for a wrong code, -EALREADY for a replayed one. */
int totp__verify(const uint8_t *key, size_t keylen, const char *code, int64_t now,
		 int64_t last_step, int64_t *step);

/* A fresh random secret (OpenSSL RAND_bytes). Returns 0 or -EIO. */
int totp__new_secret(uint8_t *key, size_t keylen);

/* otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
 * with ISSUER and ACCOUNT percent-encoded (all but A-Z a-z 0-9 - . _ ~). Without an issuer
 * (NULL or "") the label is ACCOUNT alone and there is no issuer parameter. Returns 0 or
 * -ENOSPC (also for a key over JG_TOTP_SECRET_MAX bytes). */
int totp__uri(const char *issuer, const char *account, const uint8_t *key, size_t keylen,
	      char *out, size_t outlen);

/* ---- lockout (pure: time is a parameter; the daemon keeps the tally in the ledger) */

#define JG_MFA_DENY_MAX 100		/* the largest "deny" a config may set */
#define JG_MFA_DENY_DEFAULT 5
#define JG_MFA_FAIL_INTERVAL_DEFAULT (15 * 60)	/* seconds */
#define JG_MFA_UNLOCK_TIME_DEFAULT (15 * 60)	/* seconds */

struct jg_mfa_policy {
	unsigned deny;			/* failures that lock; 0 = never lock */
	int64_t fail_interval_ns;	/* they count within this sliding window */
	int64_t unlock_time_ns;		/* the lock lasts this long (or until an admin lifts it) */
};

/* One user's failures: the counted ones (within fail_interval of the newest), oldest first,
 * and the lock. Never more than `deny` failures are kept, so the tally stays small. */
struct jg_mfa_tally {
	int64_t fail_ns[JG_MFA_DENY_MAX];
	unsigned nfail;
	int64_t locked_ns;		/* when the lock began; 0 = not locked */
	int64_t locked_until_ns;
};

/* Is the tally locked at now? A lock whose time is over is lifted here (failures cleared,
 * so the user starts afresh) and false returned. */
bool totp__tally_locked(struct jg_mfa_tally *t, int64_t now_ns);
/* A failed code at now: failures older than fail_interval drop out, this one counts. Returns
 * true when it is the one that locks (locked_ns/locked_until_ns set). */
bool totp__tally_fail(struct jg_mfa_tally *t, const struct jg_mfa_policy *p, int64_t now_ns);
/* A correct code, or an admin's unlock: no failures, no lock. */
void totp__tally_reset(struct jg_mfa_tally *t);
/* "NS NS ..." (the failure times) and back; parse skips what is not a number and keeps at
 * most JG_MFA_DENY_MAX. format returns -ENOSPC when len is too small. */
int totp__tally_format(const struct jg_mfa_tally *t, char *buf, size_t len);
void totp__tally_parse(struct jg_mfa_tally *t, const char *text);

#endif
