/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* SSH signatures as `ssh-keygen -Y sign` makes them (openssh PROTOCOL.sshsig), verified
 * in-process with OpenSSL libcrypto (docs/fleet.md says why not `ssh-keygen -Y verify`):
 * Ed25519, ECDSA P-256 and FIDO2 sk-ssh-ed25519@openssh.com keys, whose user-present flag is
 * always required and user-verified flag on request. No trust decision here: which key
 * belongs to whom is the signer list's (fleet/signers.h). */
#ifndef JG_FLEET_SSHSIG_H
#define JG_FLEET_SSHSIG_H

#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The namespace of every jitgate fleet signature (`ssh-keygen -Y sign -n ...`). */
#define JG_SSHSIG_NAMESPACE "jitgate-fleet-v1"

enum jg_sshkey_type {
	JG_KEY_ED25519 = 1,		/* ssh-ed25519 */
	JG_KEY_ECDSA_P256,		/* ecdsa-sha2-nistp256 */
	JG_KEY_SK_ED25519,		/* sk-ssh-ed25519@openssh.com (FIDO2) */
};

/* FIDO2 flags of an sk signature. */
#define JG_SK_USER_PRESENT  0x01	/* touched */
#define JG_SK_USER_VERIFIED 0x04	/* PIN or biometric */

#define JG_SSHKEY_BLOB_MAX 512
#define JG_SSHKEY_APP_MAX 128
#define JG_SSHSIG_NS_MAX 64

/* A public key, as the wire blob (compared byte for byte) and its parts. */
struct jg_sshkey {
	enum jg_sshkey_type type;
	uint8_t blob[JG_SSHKEY_BLOB_MAX];
	size_t bloblen;
	uint8_t pub[65];		/* Ed25519: 32 bytes; P-256: 0x04 || X || Y */
	size_t publen;
	char application[JG_SSHKEY_APP_MAX];	/* sk: the FIDO application, "ssh:" */
};

/* One parsed signature: the signer's key, the namespace and hash it claims, the raw
 * signature and, for sk keys, the flags and counter the authenticator signed. */
struct jg_sshsig {
	struct jg_sshkey key;
	char ns[JG_SSHSIG_NS_MAX];
	char hashalg[8];		/* "sha256" or "sha512" */
	uint8_t sig[64];		/* Ed25519 and sk: R || S */
	uint8_t ecdsa_r[32], ecdsa_s[32];	/* P-256: big-endian, left-padded */
	uint8_t flags;			/* sk only */
	uint32_t counter;		/* sk only */
};

/* Every byte of s that is not printable ASCII becomes '?': a sentence that quotes input (a
 * key type, a field name, JSON's own error text) stays one line of plain text. Every error
 * message of user/fleet/ goes through it. */
void fleet__one_line(char *s);
/* The sentence fmt makes, into err (when there is room), as one line (fleet__one_line). */
void fleet__vsay(char *err, size_t errlen, const char *fmt, va_list ap);

/* The key type's SSH name ("ssh-ed25519", ...); "?" for another value. */
const char *sshkey__type_name(enum jg_sshkey_type t);
/* A key type by its SSH name; 0 when jitgate does not accept it. */
enum jg_sshkey_type sshkey__type_from_name(const char *name);

/* Parse a public key blob (the base64 part of a key line, decoded). The point of a P-256 key
 * is checked to be on the curve. Returns 0 or -EINVAL with one sentence. */
int sshkey__from_blob(const uint8_t *blob, size_t len, struct jg_sshkey *k, char *err,
		      size_t errlen);
/* "SHA256:..." as `ssh-keygen -l` prints it. */
char *sshkey__fingerprint(const struct jg_sshkey *k, char *buf, size_t len);

/* Strict base64 (RFC 4648, padding required, nothing else allowed). Returns the decoded
 * length, or -EINVAL (bad character or padding, at offset *bad) or -ENOSPC (out too small). */
long sshsig__base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outlen,
			   size_t *bad);

/* Parse an armored signature ("-----BEGIN SSH SIGNATURE-----" ... "-----END SSH
 * SIGNATURE-----", a final newline allowed). Returns 0 or -EINVAL with one sentence naming
 * what is wrong and where; *s is filled only on success. */
int sshsig__parse(const char *armored, size_t len, struct jg_sshsig *s, char *err,
		  size_t errlen);

/* Does s sign msg in namespace ns? need_flags (JG_SK_*) are required of sk signatures on top
 * of JG_SK_USER_PRESENT, which is always required; a signature of another key type cannot
 * carry flags, so asking JG_SK_USER_VERIFIED of one refuses it. Returns 0, or with one
 * sentence: -EKEYREJECTED (another namespace, or the signature does not verify), -EPERM (a
 * flag is missing), -EINVAL (a hash or key OpenSSL refuses), -ENOMEM. */
int sshsig__verify(const struct jg_sshsig *s, const char *ns, const void *msg, size_t len,
		   unsigned need_flags, char *err, size_t errlen);

#endif
