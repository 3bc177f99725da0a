/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Test keys and signatures: real ones from ssh-keygen (openssh-client, which scripts/deps.sh
 * installs), made at test time in a private directory, and FIDO2 sk-ssh-ed25519 signatures
 * made in software with OpenSSL over the authenticator's layout (no hardware needed). */
#ifndef JG_TEST_SSHKEYS_H
#define JG_TEST_SSHKEYS_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "fleet/sshsig.h"

/* One key directory for the whole run (made before criterion forks the tests, removed by
 * the process that made it), so each key is generated once; files a test writes carry its
 * pid. */
static char keydir[64];
static pid_t keydir_owner;

__attribute__((constructor)) static void keys_dir_make(void)
{
	snprintf(keydir, sizeof(keydir), "/tmp/jg-fleet-XXXXXX");
	if (mkdtemp(keydir))
		keydir_owner = getpid();
	else
		keydir[0] = '\0';
}

__attribute__((destructor)) static void keys_dir_remove(void)
{
	char cmd[128];

	if (!keydir[0] || getpid() != keydir_owner)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", keydir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", keydir);
}

/* Skips the test without ssh-keygen. */
static inline void keys_setup(void)
{
	if (system("command -v ssh-keygen >/dev/null 2>&1"))
		cr_skip_test("ssh-keygen is missing (openssh-client; scripts/deps.sh installs it)");
	cr_assert(keydir[0], "no key directory");
}

static inline void keys_teardown(void)
{
}

static inline char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	cr_assert(f, "open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert(buf && fread(buf, 1, (size_t)n, f) == (size_t)n, "read %s", path);
	fclose(f);
	return buf;
}

/* ssh-keygen -t TYPE (ed25519, ecdsa) for NAME in keydir. */
static inline void key_make(const char *name, const char *type)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "test -f '%s/%s' || ssh-keygen -q -t %s %s -N '' -C %s "
		 "-f '%s/%s' </dev/null", keydir, name, type,
		 strcmp(type, "ecdsa") ? "" : "-b 256", name, keydir, name);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

/* The public key line "TYPE BASE64 COMMENT" of NAME (malloc'd, no newline). */
static inline char *key_pub(const char *name)
{
	char path[256], *s;

	snprintf(path, sizeof(path), "%s/%s.pub", keydir, name);
	s = slurp(path);
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* ssh-keygen -Y sign -n NS with NAME's key over msg: the armored signature (malloc'd). */
static inline char *key_sign(const char *name, const char *ns, const void *msg, size_t len)
{
	char path[256], cmd[768];
	FILE *f;

	snprintf(path, sizeof(path), "%s/msg.%d", keydir, (int)getpid());
	f = fopen(path, "w");
	cr_assert(f && fwrite(msg, 1, len, f) == len && !fclose(f));
	snprintf(cmd, sizeof(cmd), "rm -f '%s.sig' && ssh-keygen -q -Y sign -n '%s' -f '%s/%s' "
		 "'%s' </dev/null", path, ns, keydir, name, path);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	strcat(path, ".sig");
	return slurp(path);
}

/* ---- software FIDO2: an Ed25519 key presented as sk-ssh-ed25519@openssh.com */

struct swsk {
	EVP_PKEY *pkey;
	uint8_t pub[32];
	char line[320];			/* "sk-ssh-ed25519@openssh.com BASE64" */
	uint8_t blob[128];
	size_t bloblen;
};

struct wbuf {
	uint8_t b[2048];
	size_t n;
};

static inline void w_u32(struct wbuf *w, uint32_t v)
{
	w->b[w->n++] = (uint8_t)(v >> 24);
	w->b[w->n++] = (uint8_t)(v >> 16);
	w->b[w->n++] = (uint8_t)(v >> 8);
	w->b[w->n++] = (uint8_t)v;
}

static inline void w_raw(struct wbuf *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static inline void w_str(struct wbuf *w, const void *p, size_t n)
{
	w_u32(w, (uint32_t)n);
	w_raw(w, p, n);
}

static inline void w_cstr(struct wbuf *w, const char *s)
{
	w_str(w, s, strlen(s));
}

static inline void swsk_make(struct swsk *k)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	struct wbuf w = { .n = 0 };
	unsigned char b64[256];
	size_t pl = 32;

	memset(k, 0, sizeof(*k));
	cr_assert(ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &k->pkey) == 1);
	EVP_PKEY_CTX_free(ctx);
	cr_assert(EVP_PKEY_get_raw_public_key(k->pkey, k->pub, &pl) == 1 && pl == 32);
	w_cstr(&w, "sk-ssh-ed25519@openssh.com");
	w_str(&w, k->pub, 32);
	w_cstr(&w, "ssh:");
	memcpy(k->blob, w.b, w.n);
	k->bloblen = w.n;
	EVP_EncodeBlock(b64, k->blob, (int)k->bloblen);
	snprintf(k->line, sizeof(k->line), "sk-ssh-ed25519@openssh.com %s", (char *)b64);
}

static inline void sha(const EVP_MD *md, const void *p, size_t n, uint8_t *out, unsigned *len)
{
	cr_assert(EVP_Digest(p, n, out, len, md, NULL) == 1);
}

/* An armored SSHSIG of msg in namespace ns, as a FIDO2 authenticator would make it with
 * these flags (sha512, like ssh-keygen). */
static inline char *swsk_sign(const struct swsk *k, const char *ns, const void *msg,
			      size_t len, uint8_t flags, uint32_t counter)
{
	struct wbuf tbs = { .n = 0 }, sk = { .n = 0 }, inner = { .n = 0 }, blob = { .n = 0 };
	uint8_t h[64], sig[64];
	unsigned hl;
	size_t sl = 64;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char b64[4096];
	char *out = calloc(1, 8192);
	int n;

	w_raw(&tbs, "SSHSIG", 6);
	w_cstr(&tbs, ns);
	w_str(&tbs, "", 0);
	w_cstr(&tbs, "sha512");
	sha(EVP_sha512(), msg, len, h, &hl);
	w_str(&tbs, h, hl);

	sha(EVP_sha256(), "ssh:", 4, h, &hl);
	w_raw(&sk, h, 32);
	sk.b[sk.n++] = flags;
	w_u32(&sk, counter);
	sha(EVP_sha256(), tbs.b, tbs.n, h, &hl);
	w_raw(&sk, h, 32);
	cr_assert(ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		  EVP_DigestSign(ctx, sig, &sl, sk.b, sk.n) == 1);
	EVP_MD_CTX_free(ctx);

	w_cstr(&inner, "sk-ssh-ed25519@openssh.com");
	w_str(&inner, sig, 64);
	inner.b[inner.n++] = flags;
	w_u32(&inner, counter);

	w_raw(&blob, "SSHSIG", 6);
	w_u32(&blob, 1);
	w_str(&blob, k->blob, k->bloblen);
	w_cstr(&blob, ns);
	w_str(&blob, "", 0);
	w_cstr(&blob, "sha512");
	w_str(&blob, inner.b, inner.n);

	n = EVP_EncodeBlock(b64, blob.b, (int)blob.n);
	strcpy(out, "-----BEGIN SSH SIGNATURE-----\n");
	for (int i = 0; i < n; i += 70) {
		size_t o = strlen(out);

		snprintf(out + o, 8192 - o, "%.70s\n", (char *)b64 + i);
	}
	strcat(out, "-----END SSH SIGNATURE-----\n");
	return out;
}

#endif
