// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* TOTP: RFC 4648 base32, RFC 4226 HOTP, RFC 6238 time steps. See totp.h. The MAC is
 * OpenSSL's HMAC-SHA1; nothing cryptographic is done here by hand. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "workflow/totp.h"

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int totp__base32_encode(const uint8_t *data, size_t len, char *out, size_t outlen)
{
	size_t need = (len * 8 + 4) / 5, n = 0;
	unsigned buf = 0;
	int bits = 0;

	if (len > (SIZE_MAX - 4) / 8 || need >= outlen || need > INT_MAX)
		return -ENOSPC;
	for (size_t k = 0; k < len; k++) {
		buf = (buf << 8) | data[k];
		bits += 8;
		while (bits >= 5) {
			out[n++] = b32_alphabet[(buf >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits)	/* the last group, padded with zero bits */
		out[n++] = b32_alphabet[(buf << (5 - bits)) & 31];
	out[n] = '\0';
	return (int)n;
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int totp__base32_decode(const char *text, uint8_t *out, size_t outlen)
{
	unsigned buf = 0;
	int bits = 0, chars = 0;
	size_t n = 0;
	bool padding = false;

	if (!text)
		return -EINVAL;
	for (const char *p = text; *p; p++) {
		int v;

		if (*p == ' ' || *p == '-')
			continue;
		if (*p == '=') {	/* padding: only at the end */
			padding = true;
			continue;
		}
		if (padding || (v = b32_value(*p)) < 0)
			return -EINVAL;
		buf = (buf << 5) | (unsigned)v;
		bits += 5;
		chars = (chars + 1) % 8;
		if (bits >= 8) {
			if (n >= outlen)
				return -ENOSPC;
			out[n++] = (uint8_t)(buf >> (bits - 8));
			bits -= 8;
		}
		buf &= (1u << bits) - 1;
	}
	/* 1, 3 or 6 characters of a group of 8 cannot come from whole bytes. */
	if (chars == 1 || chars == 3 || chars == 6 || buf)
		return -EINVAL;
	if (n > INT_MAX)
		return -ENOSPC;
	return (int)n;
}

uint32_t totp__hotp(const uint8_t *key, size_t keylen, uint64_t counter, int digits)
{
	static const uint8_t no_key[1];
	uint8_t msg[8], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0, off;
	uint32_t bin, mod = 1;

	if (digits < 6 || digits > 8)
		digits = JG_TOTP_DIGITS;
	if (keylen > INT_MAX)
		return UINT32_MAX;
	for (int k = 7; k >= 0; k--, counter >>= 8)
		msg[k] = (uint8_t)counter;
	if (!HMAC(EVP_sha1(), keylen ? key : no_key, (int)keylen, msg, sizeof(msg), md, &mdlen) ||
	    mdlen < 20)
		return UINT32_MAX;
	/* RFC 4226 5.3: dynamic truncation */
	off = md[mdlen - 1] & 0x0f;
	bin = (uint32_t)(md[off] & 0x7f) << 24 | (uint32_t)md[off + 1] << 16 |
	      (uint32_t)md[off + 2] << 8 | md[off + 3];
	while (digits--)
		mod *= 10;
	return bin % mod;
}

int totp__verify(const uint8_t *key, size_t keylen, const char *code, int64_t now,
		 int64_t last_step, int64_t *step)
{
	uint32_t want = 0;
	int64_t cur, found = -1;
	bool replay = false;

	if (!code || strlen(code) != JG_TOTP_DIGITS)
		return -EINVAL;
	for (int k = 0; k < JG_TOTP_DIGITS; k++) {
		if (code[k] < '0' || code[k] > '9')
			return -EINVAL;
		want = want * 10 + (uint32_t)(code[k] - '0');
	}
	cur = now >= 0 ? now / JG_TOTP_STEP : -((-now + JG_TOTP_STEP - 1) / JG_TOTP_STEP);
	/* All three steps are computed whatever matches, so timing tells nothing. */
	for (int64_t s = cur - 1; s <= cur + 1; s++) {
		if (s < 0)
			continue;
		if (totp__hotp(key, keylen, (uint64_t)s, JG_TOTP_DIGITS) != want)
			continue;
		if (s <= last_step)
			replay = true;
		else if (found < 0)
			found = s;
	}
	if (found >= 0) {
		if (step)
			*step = found;
		return 0;
	}
	return replay ? -EALREADY : -EACCES;
}

int totp__new_secret(uint8_t *key, size_t keylen)
{
	if (keylen > INT_MAX || RAND_bytes(key, (int)keylen) != 1)
		return -EIO;
	return 0;
}

/* Append to out, or remember that it did not fit. */
__attribute__((format(printf, 4, 5)))
static void put(char *out, size_t outlen, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*n >= outlen)
		return;
	va_start(ap, fmt);
	r = vsnprintf(out + *n, outlen - *n, fmt, ap);
	va_end(ap);
	*n = r < 0 ? outlen : *n + (size_t)r;
}

/* RFC 3986 percent-encoding: all but the unreserved characters. */
static void put_escaped(char *out, size_t outlen, size_t *n, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			put(out, outlen, n, "%c", *p);
		else
			put(out, outlen, n, "%%%02X", *p);
	}
}

int totp__uri(const char *issuer, const char *account, const uint8_t *key, size_t keylen,
	      char *out, size_t outlen)
{
	char secret[(JG_TOTP_SECRET_MAX * 8 + 4) / 5 + 1];
	size_t n = 0;
	bool has_issuer = issuer && *issuer;

	if (!out || !outlen)
		return -ENOSPC;
	if (keylen > JG_TOTP_SECRET_MAX ||
	    totp__base32_encode(key, keylen, secret, sizeof(secret)) < 0)
		return -ENOSPC;
	put(out, outlen, &n, "otpauth://totp/");
	if (has_issuer) {
		put_escaped(out, outlen, &n, issuer);
		put(out, outlen, &n, ":");
	}
	put_escaped(out, outlen, &n, account ? account : "");
	put(out, outlen, &n, "?secret=%s", secret);
	if (has_issuer) {
		put(out, outlen, &n, "&issuer=");
		put_escaped(out, outlen, &n, issuer);
	}
	put(out, outlen, &n, "&algorithm=SHA1&digits=%d&period=%d", JG_TOTP_DIGITS,
	    JG_TOTP_STEP);
	if (n >= outlen) {
		out[0] = '\0';
		return -ENOSPC;
	}
	return 0;
}

/* ---- lockout */

bool totp__tally_locked(struct jg_mfa_tally *t, int64_t now_ns)
{
	if (!t->locked_ns)
		return false;
	if (now_ns < t->locked_until_ns)
		return true;
	totp__tally_reset(t);	/* served: a fresh start */
	return false;
}

bool totp__tally_fail(struct jg_mfa_tally *t, const struct jg_mfa_policy *p, int64_t now_ns)
{
	unsigned keep = 0, cap = p->deny ? p->deny : 1;

	if (cap > JG_MFA_DENY_MAX)
		cap = JG_MFA_DENY_MAX;
	/* the window slides: only failures within fail_interval of this one count */
	for (unsigned i = 0; i < t->nfail && i < JG_MFA_DENY_MAX; i++)
		if (now_ns - t->fail_ns[i] < p->fail_interval_ns)
			t->fail_ns[keep++] = t->fail_ns[i];
	/* room for this one: the oldest goes first (more than deny never matter) */
	while (keep >= cap) {
		memmove(t->fail_ns, t->fail_ns + 1, (keep - 1) * sizeof(t->fail_ns[0]));
		keep--;
	}
	t->fail_ns[keep++] = now_ns;
	t->nfail = keep;
	if (!p->deny || t->nfail < p->deny || t->locked_ns)
		return false;
	t->locked_ns = now_ns;
	t->locked_until_ns = now_ns + p->unlock_time_ns;
	return true;
}

void totp__tally_reset(struct jg_mfa_tally *t)
{
	memset(t, 0, sizeof(*t));
}

int totp__tally_format(const struct jg_mfa_tally *t, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned i = 0; i < t->nfail && i < JG_MFA_DENY_MAX; i++) {
		int n = snprintf(buf + off, len - off, "%s%lld", i ? " " : "",
				 (long long)t->fail_ns[i]);

		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}

void totp__tally_parse(struct jg_mfa_tally *t, const char *text)
{
	char *end;

	t->nfail = 0;
	while (text && *text && t->nfail < JG_MFA_DENY_MAX) {
		long long v = strtoll(text, &end, 10);

		if (end == text) {
			text++;
			continue;
		}
		t->fail_ns[t->nfail++] = v;
		text = end;
	}
}
