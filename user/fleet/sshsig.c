// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SSHSIG (openssh PROTOCOL.sshsig) parsing and verification with OpenSSL libcrypto.
 *
 * The blob: "SSHSIG" || uint32 1 || string publickey || string namespace || string reserved
 * || string hash_algorithm || string signature. The signed data: "SSHSIG" || string
 * namespace || string reserved || string hash_algorithm || string H(message). An sk key's
 * authenticator signs SHA256(application) || flags || uint32 counter || SHA256(signed data)
 * instead, which is why the flags can be checked here and not by `ssh-keygen -Y verify`. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include "fleet/sshsig.h"

#define ARMOR_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define ARMOR_END   "-----END SSH SIGNATURE-----"
#define MAGIC "SSHSIG"
#define MAGIC_LEN 6
#define SIG_BLOB_MAX 4096
#define TYPE_SK_ED25519 "sk-ssh-ed25519@openssh.com"

void fleet__vsay(char *err, size_t errlen, const char *fmt, va_list ap)
{
	if (!err || !errlen)
		return;
	vsnprintf(err, errlen, fmt, ap);
	fleet__one_line(err);
}

void fleet__one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static __attribute__((format(printf, 4, 5)))
int fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fleet__vsay(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- a reader over SSH wire data: uint32 and length-prefixed strings */

struct rd {
	const uint8_t *p;
	size_t len, off;
	const char *what;		/* "the signature", "the public key" */
};

static int rd_u32(struct rd *r, uint32_t *v, const char *field, char *err, size_t errlen)
{
	if (r->len - r->off < 4)
		return fail(-EINVAL, err, errlen, "%s ends inside its %s (byte %zu of %zu)",
			    r->what, field, r->off, r->len);
	*v = (uint32_t)r->p[r->off] << 24 | (uint32_t)r->p[r->off + 1] << 16 |
	     (uint32_t)r->p[r->off + 2] << 8 | r->p[r->off + 3];
	r->off += 4;
	return 0;
}

static int rd_str(struct rd *r, const uint8_t **s, size_t *n, const char *field, char *err,
		  size_t errlen)
{
	uint32_t l = 0;
	int ret = rd_u32(r, &l, field, err, errlen);

	if (ret)
		return ret;
	if (l > r->len - r->off)
		return fail(-EINVAL, err, errlen,
			    "%s's %s claims %u bytes but only %zu remain (byte %zu)",
			    r->what, field, l, r->len - r->off, r->off - 4);
	*s = r->p + r->off;
	*n = l;
	r->off += l;
	return 0;
}

/* A string field that must be text without NUL, copied into buf. */
static int rd_text(struct rd *r, char *buf, size_t buflen, const char *field, char *err,
		   size_t errlen)
{
	const uint8_t *s;
	size_t n;
	int ret = rd_str(r, &s, &n, field, err, errlen);

	if (ret)
		return ret;
	if (n >= buflen)
		return fail(-EINVAL, err, errlen, "%s's %s is %zu bytes long (at most %zu)",
			    r->what, field, n, buflen - 1);
	if (memchr(s, '\0', n))
		return fail(-EINVAL, err, errlen, "%s's %s holds a NUL byte", r->what, field);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

static int rd_end(const struct rd *r, char *err, size_t errlen)
{
	if (r->off != r->len)
		return fail(-EINVAL, err, errlen, "%s has %zu unexpected bytes after its end",
			    r->what, r->len - r->off);
	return 0;
}

/* ---- keys */

static const struct {
	enum jg_sshkey_type type;
	const char *name;
} key_types[] = {
	{ JG_KEY_ED25519, "ssh-ed25519" },
	{ JG_KEY_ECDSA_P256, "ecdsa-sha2-nistp256" },
	{ JG_KEY_SK_ED25519, TYPE_SK_ED25519 },
};

const char *sshkey__type_name(enum jg_sshkey_type t)
{
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (key_types[i].type == t)
			return key_types[i].name;
	return "?";
}

enum jg_sshkey_type sshkey__type_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(key_types) / sizeof(key_types[0]); i++)
		if (!strcmp(key_types[i].name, name))
			return key_types[i].type;
	return 0;
}

/* The OpenSSL key of k (its point checked on the curve for P-256); NULL on failure. */
static EVP_PKEY *pkey_of(const struct jg_sshkey *k)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[3];

	if (k->type != JG_KEY_ECDSA_P256)
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, k->pub, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     (char *)"prime256v1", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      (void *)k->pub, k->publen);
	params[2] = OSSL_PARAM_construct_end();
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

int sshkey__from_blob(const uint8_t *blob, size_t len, struct jg_sshkey *out, char *err,
		      size_t errlen)
{
	struct rd r = { blob, len, 0, "the public key" };
	struct jg_sshkey k = { 0 };
	char type[64], curve[16];
	const uint8_t *pub;
	size_t publen;
	EVP_PKEY *pkey;
	int ret;

	if (len > sizeof(k.blob))
		return fail(-EINVAL, err, errlen, "the public key is %zu bytes long (at most %zu)",
			    len, sizeof(k.blob));
	ret = rd_text(&r, type, sizeof(type), "type", err, errlen);
	if (ret)
		return ret;
	k.type = sshkey__type_from_name(type);
	if (!k.type)
		return fail(-EINVAL, err, errlen,
			    "key type \"%s\" is not accepted (ssh-ed25519, ecdsa-sha2-nistp256 "
			    "and sk-ssh-ed25519@openssh.com are)", type);
	if (k.type == JG_KEY_ECDSA_P256) {
		ret = rd_text(&r, curve, sizeof(curve), "curve", err, errlen);
		if (ret)
			return ret;
		if (strcmp(curve, "nistp256"))
			return fail(-EINVAL, err, errlen,
				    "an ecdsa-sha2-nistp256 key names the curve \"%s\"", curve);
	}
	ret = rd_str(&r, &pub, &publen, "key", err, errlen);
	if (ret)
		return ret;
	if (k.type == JG_KEY_ECDSA_P256 ? publen != 65 || pub[0] != 0x04 : publen != 32)
		return fail(-EINVAL, err, errlen, "the %s key's point is %zu bytes long%s", type,
			    publen, k.type == JG_KEY_ECDSA_P256 ?
			    " or compressed (65 uncompressed bytes expected)" : " (32 expected)");
	memcpy(k.pub, pub, publen);
	k.publen = publen;
	if (k.type == JG_KEY_SK_ED25519) {
		ret = rd_text(&r, k.application, sizeof(k.application), "application", err,
			      errlen);
		if (ret)
			return ret;
	}
	ret = rd_end(&r, err, errlen);
	if (ret)
		return ret;
	pkey = pkey_of(&k);
	if (!pkey)
		return fail(-EINVAL, err, errlen, "the %s key is not a valid public key "
			    "(OpenSSL refuses it: a P-256 point off the curve?)", type);
	EVP_PKEY_free(pkey);
	memcpy(k.blob, blob, len);
	k.bloblen = len;
	*out = k;
	return 0;
}

char *sshkey__fingerprint(const struct jg_sshkey *k, char *buf, size_t len)
{
	uint8_t md[32];
	unsigned char b64[48];
	unsigned mdlen = 0;
	int n;

	buf[0] = '\0';
	if (!EVP_Digest(k->blob, k->bloblen, md, &mdlen, EVP_sha256(), NULL))
		return buf;
	n = EVP_EncodeBlock(b64, md, (int)mdlen);
	while (n > 0 && b64[n - 1] == '=')		/* ssh-keygen prints it unpadded */
		n--;
	snprintf(buf, len, "SHA256:%.*s", n, (char *)b64);
	return buf;
}

/* ---- armor */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long sshsig__base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen,
			   size_t *bad)
{
	size_t o = 0;

	*bad = 0;
	if (inlen % 4) {
		*bad = inlen;
		return -EINVAL;
	}
	for (size_t i = 0; i < inlen; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];

			v[j] = b64val(c);
			/* '=' only at the end, in the last one or two places */
			if (c == '=' && i + 4 == inlen && j >= 2 && (j == 3 || in[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if (v[j] < 0 || pad) {
				*bad = i + j;
				return -EINVAL;
			}
		}
		/* the bits the padding drops must be zero (one spelling per blob) */
		if ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15))) {
			*bad = i + 3 - pad;
			return -EINVAL;
		}
		if (o + 3 - pad > outlen)
			return -ENOSPC;
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)(v[1] << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (uint8_t)(v[2] << 6 | v[3]);
	}
	return (long)o;
}

/* The base64 between the armor lines, without line breaks, into b64 (size b64len). */
static int unarmor(const char *a, size_t len, char *b64, size_t b64len, size_t *n,
		   char *err, size_t errlen)
{
	size_t bl = strlen(ARMOR_BEGIN), el = strlen(ARMOR_END), i, line = 1;
	const char *end;

	while (len && (a[len - 1] == '\n' || a[len - 1] == '\r'))
		len--;				/* one or more final line breaks */
	if (len < bl || memcmp(a, ARMOR_BEGIN, bl) || (len > bl && a[bl] != '\n' &&
						       a[bl] != '\r'))
		return fail(-EINVAL, err, errlen, "the signature does not start with a line "
			    "\"%s\"", ARMOR_BEGIN);
	if (len < bl + el || memcmp(a + len - el, ARMOR_END, el) ||
	    (a[len - el - 1] != '\n'))
		return fail(-EINVAL, err, errlen, "the signature does not end with a line "
			    "\"%s\" (truncated?)", ARMOR_END);
	end = a + len - el;
	*n = 0;
	for (i = bl; a + i < end; i++) {
		char c = a[i];

		if (c == '\n') {
			line++;
			continue;
		}
		if (c == '\r' && a[i + 1] == '\n')
			continue;
		if (b64val((unsigned char)c) < 0 && c != '=')
			return fail(-EINVAL, err, errlen, "signature line %zu: byte 0x%02x is not "
				    "base64", line, (unsigned char)c);
		if (*n + 1 >= b64len)
			return fail(-EINVAL, err, errlen, "the signature is longer than %zu bytes "
				    "of base64", b64len - 1);
		b64[(*n)++] = c;
	}
	b64[*n] = '\0';
	return 0;
}

/* The inner signature: type, then R||S (Ed25519), mpint r and s (P-256), or R||S, flags and
 * counter (sk). */
static int parse_mpint32(struct rd *r, uint8_t out[32], const char *field, char *err,
			 size_t errlen)
{
	const uint8_t *v;
	size_t n;
	int ret = rd_str(r, &v, &n, field, err, errlen);

	if (ret)
		return ret;
	if (n && (v[0] & 0x80))
		return fail(-EINVAL, err, errlen, "the ECDSA signature's %s is negative", field);
	if (n && v[0] == 0) {			/* the sign byte in front of a high bit */
		v++;
		n--;
		if (!n || !(v[0] & 0x80))
			return fail(-EINVAL, err, errlen, "the ECDSA signature's %s has a needless "
				    "leading zero", field);
	}
	if (n > 32 || n == 0)
		return fail(-EINVAL, err, errlen, "the ECDSA signature's %s is %zu bytes long "
			    "(1 to 32 expected)", field, n);
	memset(out, 0, 32);
	memcpy(out + 32 - n, v, n);
	return 0;
}

static int parse_inner(const uint8_t *p, size_t len, struct jg_sshsig *s, char *err,
		       size_t errlen)
{
	struct rd r = { p, len, 0, "the signature value" };
	const char *want = sshkey__type_name(s->key.type);
	char type[64];
	const uint8_t *v;
	size_t n;
	int ret = rd_text(&r, type, sizeof(type), "type", err, errlen);

	if (ret)
		return ret;
	if (strcmp(type, want))
		return fail(-EINVAL, err, errlen, "the signature is of type \"%s\" but its key "
			    "is %s", type, want);
	if (s->key.type == JG_KEY_ECDSA_P256) {
		struct rd in;

		ret = rd_str(&r, &v, &n, "r and s", err, errlen);
		if (ret)
			return ret;
		in = (struct rd){ v, n, 0, "the ECDSA signature" };
		if ((ret = parse_mpint32(&in, s->ecdsa_r, "r", err, errlen)) ||
		    (ret = parse_mpint32(&in, s->ecdsa_s, "s", err, errlen)) ||
		    (ret = rd_end(&in, err, errlen)))
			return ret;
		return rd_end(&r, err, errlen);
	}
	ret = rd_str(&r, &v, &n, "Ed25519 signature", err, errlen);
	if (ret)
		return ret;
	if (n != 64)
		return fail(-EINVAL, err, errlen, "the Ed25519 signature is %zu bytes long "
			    "(64 expected)", n);
	memcpy(s->sig, v, 64);
	if (s->key.type == JG_KEY_SK_ED25519) {
		if (r.off >= r.len)
			return fail(-EINVAL, err, errlen, "the sk signature ends before its flags");
		s->flags = r.p[r.off++];
		ret = rd_u32(&r, &s->counter, "counter", err, errlen);
		if (ret)
			return ret;
	}
	return rd_end(&r, err, errlen);
}

int sshsig__parse(const char *armored, size_t len, struct jg_sshsig *out, char *err,
		  size_t errlen)
{
	char b64[SIG_BLOB_MAX * 4 / 3 + 8];
	uint8_t blob[SIG_BLOB_MAX];
	struct jg_sshsig s = { 0 };
	struct rd r = { blob, 0, 0, "the signature" };
	const uint8_t *v;
	size_t n, bad;
	char reserved[8];
	uint32_t version;
	long bl;
	int ret;

	ret = unarmor(armored, len, b64, sizeof(b64), &n, err, errlen);
	if (ret)
		return ret;
	bl = sshsig__base64_decode(b64, n, blob, sizeof(blob), &bad);
	if (bl == -ENOSPC)
		return fail(-EINVAL, err, errlen, "the signature is longer than %d bytes",
			    SIG_BLOB_MAX);
	if (bl < 0)
		return fail(-EINVAL, err, errlen, "the signature's base64 is broken at "
			    "character %zu of %zu (bad padding, or truncated)", bad, n);
	r.len = (size_t)bl;
	if (r.len < MAGIC_LEN || memcmp(blob, MAGIC, MAGIC_LEN))
		return fail(-EINVAL, err, errlen, "the signature does not start with \"SSHSIG\" "
			    "(not an SSH signature)");
	r.off = MAGIC_LEN;
	ret = rd_u32(&r, &version, "version", err, errlen);
	if (ret)
		return ret;
	if (version != 1)
		return fail(-EINVAL, err, errlen, "the signature is of version %u (1 expected)",
			    version);
	if ((ret = rd_str(&r, &v, &n, "public key", err, errlen)) ||
	    (ret = sshkey__from_blob(v, n, &s.key, err, errlen)) ||
	    (ret = rd_text(&r, s.ns, sizeof(s.ns), "namespace", err, errlen)) ||
	    (ret = rd_text(&r, reserved, sizeof(reserved), "reserved field", err, errlen)) ||
	    (ret = rd_text(&r, s.hashalg, sizeof(s.hashalg), "hash algorithm", err, errlen)))
		return ret;
	if (reserved[0])
		return fail(-EINVAL, err, errlen, "the signature's reserved field is not empty");
	if (strcmp(s.hashalg, "sha256") && strcmp(s.hashalg, "sha512"))
		return fail(-EINVAL, err, errlen, "the signature's hash algorithm \"%s\" is not "
			    "sha256 or sha512", s.hashalg);
	if ((ret = rd_str(&r, &v, &n, "signature value", err, errlen)) ||
	    (ret = parse_inner(v, n, &s, err, errlen)) ||
	    (ret = rd_end(&r, err, errlen)))
		return ret;
	*out = s;
	return 0;
}

/* ---- verification */

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* "SSHSIG" || string ns || string "" || string hashalg || string H(msg) into buf; returns its
 * length or 0 (hash failure). buf holds at least 6 + 4 * 4 + 64 + 8 + 64 bytes. */
static size_t signed_data(const struct jg_sshsig *s, const void *msg, size_t len,
			  uint8_t *buf)
{
	const EVP_MD *md = strcmp(s->hashalg, "sha256") ? EVP_sha512() : EVP_sha256();
	size_t nl = strlen(s->ns), hl = strlen(s->hashalg), o = 0;
	unsigned mdlen = 0;

	memcpy(buf, MAGIC, MAGIC_LEN);
	o = MAGIC_LEN;
	put_u32(buf + o, (uint32_t)nl);
	memcpy(buf + o + 4, s->ns, nl);
	o += 4 + nl;
	put_u32(buf + o, 0);
	o += 4;
	put_u32(buf + o, (uint32_t)hl);
	memcpy(buf + o + 4, s->hashalg, hl);
	o += 4 + hl;
	if (!EVP_Digest(msg, len, buf + o + 4, &mdlen, md, NULL))
		return 0;
	put_u32(buf + o, mdlen);
	return o + 4 + mdlen;
}

/* The DER form of an ECDSA (r, s), which EVP_DigestVerify takes. */
static int ecdsa_der(const struct jg_sshsig *s, uint8_t **der)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(s->ecdsa_r, 32, NULL), *ss = BN_bin2bn(s->ecdsa_s, 32, NULL);
	int n = -1;

	*der = NULL;
	if (es && r && ss && ECDSA_SIG_set0(es, r, ss) == 1) {
		r = ss = NULL;			/* es owns them */
		n = i2d_ECDSA_SIG(es, der);
	}
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(es);
	return n;
}

int sshsig__verify(const struct jg_sshsig *s, const char *ns, const void *msg, size_t len,
		   unsigned need_flags, char *err, size_t errlen)
{
	uint8_t data[6 + 16 + JG_SSHSIG_NS_MAX + 8 + 64], sk[32 + 1 + 4 + 32];
	const uint8_t *tbs = data, *sig = s->sig;
	size_t tbslen, siglen = 64;
	uint8_t *der = NULL;
	unsigned mdlen;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;
	int ret, ok;

	if (strcmp(s->ns, ns))
		return fail(-EKEYREJECTED, err, errlen, "the signature is for namespace \"%s\", "
			    "not \"%s\"", s->ns, ns);
	need_flags |= JG_SK_USER_PRESENT;
	if (s->key.type != JG_KEY_SK_ED25519 && (need_flags & JG_SK_USER_VERIFIED))
		return fail(-EPERM, err, errlen, "user verification (a FIDO2 PIN) is required "
			    "but the signature's key is %s, not a FIDO2 key",
			    sshkey__type_name(s->key.type));
	if (s->key.type == JG_KEY_SK_ED25519 && (s->flags & need_flags) != need_flags)
		return fail(-EPERM, err, errlen, "the FIDO2 signature lacks %s (flags 0x%02x)",
			    !(s->flags & JG_SK_USER_PRESENT) ? "user presence (no touch)" :
			    "user verification (no PIN)", s->flags);
	tbslen = signed_data(s, msg, len, data);
	if (!tbslen)
		return fail(-ENOMEM, err, errlen, "hashing the signed message failed");
	if (s->key.type == JG_KEY_SK_ED25519) {
		if (!EVP_Digest(s->key.application, strlen(s->key.application), sk, &mdlen,
				EVP_sha256(), NULL) ||
		    !EVP_Digest(data, tbslen, sk + 37, &mdlen, EVP_sha256(), NULL))
			return fail(-ENOMEM, err, errlen, "hashing the signed message failed");
		sk[32] = s->flags;
		put_u32(sk + 33, s->counter);
		tbs = sk;
		tbslen = sizeof(sk);
	} else if (s->key.type == JG_KEY_ECDSA_P256) {
		int n = ecdsa_der(s, &der);

		if (n <= 0)
			return fail(-ENOMEM, err, errlen, "encoding the ECDSA signature failed");
		sig = der;
		siglen = (size_t)n;
	}
	pkey = pkey_of(&s->key);
	ctx = EVP_MD_CTX_new();
	if (!pkey || !ctx) {
		ret = fail(-EINVAL, err, errlen, "OpenSSL refuses the signature's %s key",
			   sshkey__type_name(s->key.type));
		goto cleanup;
	}
	ok = EVP_DigestVerifyInit(ctx, NULL, s->key.type == JG_KEY_ECDSA_P256 ? EVP_sha256() :
				  NULL, NULL, pkey) == 1 &&
	     EVP_DigestVerify(ctx, sig, siglen, tbs, tbslen) == 1;
	ret = ok ? 0 : fail(-EKEYREJECTED, err, errlen, "the %s signature does not verify: "
			    "the message or the signature was changed, or another key made it",
			    sshkey__type_name(s->key.type));
cleanup:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OPENSSL_free(der);
	return ret;
}
