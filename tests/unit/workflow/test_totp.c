// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* TOTP: RFC 4648 base32 vectors, RFC 4226 Appendix D, RFC 6238 Appendix B (SHA-1), the
 * verification window, replay refusal and the otpauth URI. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "workflow/totp.h"

static const uint8_t rfc_key[] = "12345678901234567890";	/* 20 bytes used */
#define RFC_KEYLEN 20

/* ---- base32 ---- */

static void enc(const char *plain, const char *want)
{
	char out[64];
	int n = totp__base32_encode((const uint8_t *)plain, strlen(plain), out, sizeof(out));

	cr_assert_eq(n, (int)strlen(want), "'%s' -> %d", plain, n);
	cr_assert_str_eq(out, want);
}

static void dec(const char *text, const char *want)
{
	uint8_t out[64];
	int n = totp__base32_decode(text, out, sizeof(out));

	cr_assert_eq(n, (int)strlen(want), "'%s' -> %d", text, n);
	cr_assert(!memcmp(out, want, strlen(want)), "'%s'", text);
}

Test(base32, rfc4648_vectors)
{
	static const char *const v[][2] = {
		{ "", "" }, { "f", "MY" }, { "fo", "MZXQ" }, { "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" }, { "fooba", "MZXW6YTB" }, { "foobar", "MZXW6YTBOI" },
	};

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		enc(v[k][0], v[k][1]);
		dec(v[k][1], v[k][0]);
	}
}

Test(base32, padding_case_and_spaces)
{
	dec("MY======", "f");
	dec("MZXQ====", "fo");
	dec("MZXW6===", "foo");
	dec("MZXW6YQ=", "foob");
	dec("MZXW6YTBOI======", "foobar");
	dec("mzxw6ytboi", "foobar");
	dec("MzXw 6yTb oI", "foobar");
	dec("MZXW-6YTB-OI", "foobar");
	dec("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", "12345678901234567890");
}

Test(base32, invalid)
{
	uint8_t out[64];

	cr_assert_eq(totp__base32_decode("MZXW1", out, sizeof(out)), -EINVAL);	/* '1' */
	cr_assert_eq(totp__base32_decode("MZXW8", out, sizeof(out)), -EINVAL);
	cr_assert_eq(totp__base32_decode("MZ!W6", out, sizeof(out)), -EINVAL);
	cr_assert_eq(totp__base32_decode("MZ=XW6", out, sizeof(out)), -EINVAL);
	cr_assert_eq(totp__base32_decode("MZ\tXW6", out, sizeof(out)), -EINVAL);
	cr_assert_eq(totp__base32_decode("MZ", out, sizeof(out)), -EINVAL);	/* bits left */
	cr_assert_eq(totp__base32_decode("MZXW7", out, sizeof(out)), -EINVAL);
	cr_assert_eq(totp__base32_decode("M", out, sizeof(out)), -EINVAL);	/* no byte */
	cr_assert_eq(totp__base32_decode("MZX", out, sizeof(out)), -EINVAL);
	cr_assert_eq(totp__base32_decode(NULL, out, sizeof(out)), -EINVAL);
	cr_assert_eq(totp__base32_decode("MZXW6YTBOI", out, 5), -ENOSPC);
	cr_assert_eq(totp__base32_decode("MZXW6YTBOI", out, 6), 6);
}

Test(base32, encode_space)
{
	char out[11];

	cr_assert_eq(totp__base32_encode((const uint8_t *)"foobar", 6, out, 10), -ENOSPC);
	cr_assert_eq(totp__base32_encode((const uint8_t *)"foobar", 6, out, 11), 10);
	cr_assert_str_eq(out, "MZXW6YTBOI");
}

Test(base32, round_trip)
{
	uint8_t data[JG_TOTP_SECRET_MAX], back[JG_TOTP_SECRET_MAX];
	char text[JG_TOTP_SECRET_MAX * 2];

	for (size_t k = 0; k < sizeof(data); k++)
		data[k] = (uint8_t)(k * 37 + 11);
	for (size_t len = 0; len <= sizeof(data); len++) {
		int n = totp__base32_encode(data, len, text, sizeof(text));

		cr_assert_eq(n, (int)((len * 8 + 4) / 5));
		cr_assert_eq(totp__base32_decode(text, back, sizeof(back)), (int)len);
		cr_assert(!memcmp(back, data, len), "length %zu", len);
	}
}

/* ---- HOTP and TOTP values ---- */

Test(hotp, rfc4226_appendix_d)
{
	static const uint32_t want[] = { 755224, 287082, 359152, 969429, 338314,
					 254676, 287922, 162583, 399871, 520489 };

	for (uint64_t c = 0; c < 10; c++)
		cr_assert_eq(totp__hotp(rfc_key, RFC_KEYLEN, c, 6), want[c], "counter %llu",
			     (unsigned long long)c);
}

Test(hotp, rfc6238_appendix_b_sha1)
{
	static const struct { int64_t t; uint32_t code; } v[] = {
		{ 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
		{ 1234567890, 89005924 }, { 2000000000, 69279037 }, { 20000000000, 65353130 },
	};

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
		cr_assert_eq(totp__hotp(rfc_key, RFC_KEYLEN, (uint64_t)(v[k].t / JG_TOTP_STEP), 8),
			     v[k].code, "time %lld", (long long)v[k].t);
}

Test(hotp, seven_digits)
{
	/* RFC 6238 at t = 59 has 94287082 in 8 digits; fewer digits keep its tail. */
	cr_assert_eq(totp__hotp(rfc_key, RFC_KEYLEN, 1, 7), 4287082);
	cr_assert_eq(totp__hotp(rfc_key, RFC_KEYLEN, 1, 6), 287082);
}

/* ---- verify ---- */

static void code_at(int64_t t, char out[8])
{
	snprintf(out, 8, "%06u", totp__hotp(rfc_key, RFC_KEYLEN, (uint64_t)(t / 30), 6));
}

#define NOW 1111111111LL	/* step 37037037, 1 s into it */

Test(verify, current_and_neighbour_steps)
{
	int64_t step = -5;
	char c[8];

	code_at(NOW, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, 0, &step), 0);
	cr_assert_eq(step, NOW / 30);
	code_at(NOW - 30, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, 0, &step), 0);
	cr_assert_eq(step, NOW / 30 - 1);
	code_at(NOW + 30, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, 0, &step), 0);
	cr_assert_eq(step, NOW / 30 + 1);
	/* RFC 6238 gives 14050471 at this time in 8 digits; its last six */
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, "050471", NOW, 0, &step), 0);
	cr_assert_eq(step, NOW / 30);
}

Test(verify, two_steps_away_refused)
{
	int64_t step = -5;
	char c[8];

	code_at(NOW - 60, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, 0, &step), -EACCES);
	code_at(NOW + 60, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, 0, &step), -EACCES);
	cr_assert_eq(step, -5, "step set on failure");
}

Test(verify, wrong_code)
{
	char c[8];
	int64_t step;

	code_at(NOW, c);
	c[5] = c[5] == '9' ? '0' : (char)(c[5] + 1);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, 0, &step), -EACCES);
	cr_assert_eq(totp__verify((const uint8_t *)"another key", 11, "050471", NOW, 0, &step),
		     -EACCES);
}

Test(verify, replay_refused)
{
	int64_t step = 0, again = -5;
	char c[8];

	code_at(NOW, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, 0, &step), 0);
	/* the same code a few seconds later, with the step now remembered */
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW + 5, step, &again), -EALREADY);
	cr_assert_eq(again, -5);
	/* the next step's code is still fine */
	code_at(NOW + 30, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW + 5, step, &again), 0);
	cr_assert_eq(again, step + 1);
}

Test(verify, older_step_after_newer_refused)
{
	int64_t step;
	char c[8];

	/* step NOW/30 + 1 was used (a fast clock); the current step's code is older */
	code_at(NOW, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, NOW / 30 + 1, &step), -EALREADY);
	code_at(NOW - 30, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, NOW, NOW / 30, &step), -EALREADY);
}

Test(verify, malformed_codes)
{
	static const char *const bad[] = { "", "12345", "1234567", "12345a", " 12345",
					   "123 456", "-12345", "+12345", "１２３４５６", "0x1234" };
	int64_t step;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, bad[k], NOW, 0, &step), -EINVAL,
			     "'%s'", bad[k]);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, NULL, NOW, 0, &step), -EINVAL);
}

Test(verify, start_of_time)
{
	int64_t step = -5;
	char c[8];

	/* at step 0 there is no step -1 to look at */
	code_at(0, c);
	cr_assert_eq(totp__verify(rfc_key, RFC_KEYLEN, c, 10, -1, &step), 0);
	cr_assert_eq(step, 0);
}

/* ---- secrets and URIs ---- */

Test(secret, random)
{
	uint8_t a[JG_TOTP_SECRET_LEN], b[JG_TOTP_SECRET_LEN];

	cr_assert_eq(totp__new_secret(a, sizeof(a)), 0);
	cr_assert_eq(totp__new_secret(b, sizeof(b)), 0);
	cr_assert(memcmp(a, b, sizeof(a)), "two secrets are equal");
}

Test(uri, plain)
{
	char out[256];

	cr_assert_eq(totp__uri("jitgate", "alice", rfc_key, RFC_KEYLEN, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "otpauth://totp/jitgate:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			 "&issuer=jitgate&algorithm=SHA1&digits=6&period=30");
}

Test(uri, escaped)
{
	char out[256];

	cr_assert_eq(totp__uri("ACME Corp & Co", "bob@host.example:1/x~y_z-ä", (const uint8_t *)"f",
			       1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "otpauth://totp/ACME%20Corp%20%26%20Co:bob%40host.example%3A1%2Fx~y_z-"
			 "%C3%A4?secret=MY&issuer=ACME%20Corp%20%26%20Co&algorithm=SHA1&digits=6"
			 "&period=30");
}

Test(uri, no_issuer)
{
	char out[256];

	cr_assert_eq(totp__uri(NULL, "alice", (const uint8_t *)"f", 1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "otpauth://totp/alice?secret=MY&algorithm=SHA1&digits=6&period=30");
	cr_assert_eq(totp__uri("", "alice", (const uint8_t *)"f", 1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "otpauth://totp/alice?secret=MY&algorithm=SHA1&digits=6&period=30");
}

Test(uri, no_space)
{
	static const char want[] = "otpauth://totp/j:a?secret=MY&issuer=j&algorithm=SHA1&digits=6"
				   "&period=30";
	char out[sizeof(want)];

	cr_assert_eq(totp__uri("j", "a", (const uint8_t *)"f", 1, out, sizeof(out) - 1), -ENOSPC);
	cr_assert_eq(totp__uri("j", "a", (const uint8_t *)"f", 1, out, sizeof(out)), 0);
	cr_assert_str_eq(out, want);
}

/* ---- lockout (faillock's deny / fail_interval / unlock_time) ---- */

#define S 1000000000LL
#define T0 (1795428000LL * S)

static const struct jg_mfa_policy pol5 = { .deny = 5, .fail_interval_ns = 900 * S,
					   .unlock_time_ns = 900 * S };

Test(lockout, deny_failures_within_the_interval_lock)
{
	struct jg_mfa_tally t = { 0 };

	for (int i = 0; i < 4; i++) {
		cr_assert_not(totp__tally_fail(&t, &pol5, T0 + i * S));
		cr_assert_eq(t.nfail, (unsigned)i + 1, "the running count");
		cr_assert_not(totp__tally_locked(&t, T0 + i * S));
	}
	cr_assert(totp__tally_fail(&t, &pol5, T0 + 4 * S), "the 5th failure locks");
	cr_assert_eq(t.locked_ns, T0 + 4 * S);
	cr_assert_eq(t.locked_until_ns, T0 + 904 * S);
	cr_assert(totp__tally_locked(&t, T0 + 903 * S));
	/* served: lifted, and the user starts afresh */
	cr_assert_not(totp__tally_locked(&t, T0 + 904 * S));
	cr_assert_eq(t.nfail, 0);
	cr_assert_eq(t.locked_ns, 0);
}

Test(lockout, the_window_slides)
{
	struct jg_mfa_tally t = { 0 };

	/* four failures, then four more 14 minutes later: the first four still count */
	for (int i = 0; i < 4; i++)
		cr_assert_not(totp__tally_fail(&t, &pol5, T0 + i * S));
	cr_assert(totp__tally_fail(&t, &pol5, T0 + 840 * S));
	/* failures older than fail_interval drop out: 4 early ones, then one 16 min later */
	totp__tally_reset(&t);
	for (int i = 0; i < 4; i++)
		cr_assert_not(totp__tally_fail(&t, &pol5, T0 + i * S));
	cr_assert_not(totp__tally_fail(&t, &pol5, T0 + 960 * S));
	cr_assert_eq(t.nfail, 1);
	/* a fixed window would reset here; the sliding one keeps the last 15 minutes */
	totp__tally_reset(&t);
	cr_assert_not(totp__tally_fail(&t, &pol5, T0));
	for (int i = 0; i < 3; i++)
		cr_assert_not(totp__tally_fail(&t, &pol5, T0 + 800 * S + i * S));
	cr_assert(totp__tally_fail(&t, &pol5, T0 + 899 * S));
}

Test(lockout, deny_zero_never_locks_and_reset)
{
	struct jg_mfa_policy off = pol5;
	struct jg_mfa_tally t = { 0 };

	off.deny = 0;
	for (int i = 0; i < 50; i++)
		cr_assert_not(totp__tally_fail(&t, &off, T0 + i * S));
	cr_assert_not(totp__tally_locked(&t, T0 + 50 * S));
	cr_assert_leq(t.nfail, 1);
	for (int i = 0; i < 3; i++)
		totp__tally_fail(&t, &pol5, T0 + i * S);
	totp__tally_reset(&t);	/* a correct code */
	cr_assert_eq(t.nfail, 0);
}

Test(lockout, text_round_trip)
{
	struct jg_mfa_tally t = { 0 }, back = { 0 };
	char buf[64];

	for (int i = 0; i < 3; i++)
		totp__tally_fail(&t, &pol5, T0 + i * S);
	cr_assert_eq(totp__tally_format(&t, buf, sizeof(buf)), 0);
	totp__tally_parse(&back, buf);
	cr_assert_eq(back.nfail, 3);
	cr_assert_eq(back.fail_ns[2], T0 + 2 * S);
	cr_assert_eq(totp__tally_format(&t, buf, 8), -ENOSPC);
	totp__tally_parse(&back, "junk 12 x 13");
	cr_assert_eq(back.nfail, 2);
	cr_assert_eq(back.fail_ns[1], 13);
}
