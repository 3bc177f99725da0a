/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The host's signer list (/etc/jitgate/fleet/signers): which SSH key belongs to whom, in the
 * allowed_signers format of ssh-keygen(1), one key per line:
 *
 *     PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]
 *
 * PRINCIPALS: user names joined by commas (no wildcards). OPTIONS: namespaces="a,b",
 * valid-after="YYYYMMDD[HHMM[SS]]Z", valid-before="...Z", verify-required (jitgate: the
 * key's sk signatures need a PIN, flag 0x04). Blank lines and lines starting with '#' are
 * skipped. docs/fleet.md has the rules. */
#ifndef JG_FLEET_SIGNERS_H
#define JG_FLEET_SIGNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fleet/sshsig.h"

#define JG_SIGNERS_MAX_BYTES (4 << 20)

struct jg_signer {
	char **principals;
	size_t nprincipals;
	char **namespaces;		/* NULL: any namespace */
	size_t nnamespaces;
	bool verify_required;
	int64_t valid_after, valid_before;	/* unix seconds; 0: unbounded */
	struct jg_sshkey key;
	unsigned line;
};

struct jg_signers {
	char *file;			/* the name used in messages */
	struct jg_signer *v;
	size_t n;
};

/* Parse the text (name is used in messages, "signers" when NULL). A bad line refuses the
 * whole list: -EINVAL with "NAME:LINE: message" in err, *out untouched. A key listed twice
 * is refused too (which line's principals would count?). */
int signers__parse(const char *text, size_t len, const char *name, struct jg_signers **out,
		   char *err, size_t errlen);
int signers__load_file(const char *path, struct jg_signers **out, char *err, size_t errlen);
void signers__free(struct jg_signers *s);

/* The entry whose key is k (byte for byte), or NULL. */
const struct jg_signer *signers__find(const struct jg_signers *s, const struct jg_sshkey *k);
bool signer__has_principal(const struct jg_signer *e, const char *principal);

/* Verify an armored signature over msg made by principal (NULL: anyone listed) in namespace
 * ns at time `when` (unix seconds: the signed form's own time): the key must be listed,
 * name the principal, allow the namespace and be valid at `when`; need_flags as in
 * sshsig__verify (JG_SK_USER_VERIFIED is added for a verify-required key). On success *who
 * (when not NULL) is the entry. Returns 0 or, with one sentence: -EINVAL (malformed),
 * -ENOKEY (key not listed), -EACCES (listed, but not for this principal, namespace or
 * time), -EKEYREJECTED (another namespace, or it does not verify), -EPERM (flags). */
int signers__verify(const struct jg_signers *s, const char *principal, const char *armored,
		    size_t alen, const void *msg, size_t len, const char *ns, int64_t when,
		    unsigned need_flags, const struct jg_signer **who, char *err,
		    size_t errlen);

#endif
