// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SSHSIG verification against signatures made by the real ssh-keygen at test time, software
 * FIDO2 signatures for the sk flags, and the signer list's lines. */
#include <errno.h>
#include <criterion/criterion.h>
#include "fleet/signers.h"
#include "fleet/sshsig.h"
#include "sshkeys.h"

#define NS JG_SSHSIG_NAMESPACE

static char err[512];
static const char msg[] = "{\"type\":\"jitgate.fleet.request\",\"v\":1}";

/* One sentence: something, no line break. */
static void one_sentence(void)
{
	cr_assert(err[0], "no message");
	cr_assert_null(strchr(err, '\n'), "message with a line break: %s", err);
}

static int verify_text(const char *armored, const char *ns, const void *m, size_t len,
		       unsigned flags)
{
	struct jg_sshsig s;
	int ret;

	err[0] = '\0';
	ret = sshsig__parse(armored, strlen(armored), &s, err, sizeof(err));
	if (ret)
		return ret;
	return sshsig__verify(&s, ns, m, len, flags, err, sizeof(err));
}

static struct jg_signers *signers_of(const char *text)
{
	struct jg_signers *s = NULL;
	int ret = signers__parse(text, strlen(text), NULL, &s, err, sizeof(err));

	cr_assert_eq(ret, 0, "%s", err);
	return s;
}

TestSuite(sshsig, .init = keys_setup, .fini = keys_teardown);

Test(sshsig, ed25519_and_ecdsa_from_ssh_keygen_verify)
{
	const char *types[] = { "ed25519", "ecdsa" };

	for (size_t i = 0; i < 2; i++) {
		char *sig;

		key_make(types[i], types[i]);
		sig = key_sign(types[i], NS, msg, strlen(msg));
		cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), 0), 0, "%s: %s", types[i],
			     err);
		free(sig);
	}
}

Test(sshsig, sha256_signature_verifies)
{
	char cmd[1024], path[256], *sig;

	key_make("alice", "ed25519");
	snprintf(path, sizeof(path), "%s/m2", keydir);
	snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' > '%s' && ssh-keygen -q -Y sign -O "
		 "hashalg=sha256 -n %s -f '%s/alice' '%s'", "hello", path, NS, keydir, path);
	cr_assert_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/m2.sig", keydir);
	sig = slurp(path);
	cr_assert_eq(verify_text(sig, NS, "hello", 5, 0), 0, "%s", err);
	cr_assert_neq(verify_text(sig, NS, "hellO", 5, 0), 0);
	free(sig);
}

Test(sshsig, wrong_namespace_is_refused)
{
	char *sig;

	key_make("alice", "ed25519");
	sig = key_sign("alice", "git", msg, strlen(msg));
	cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), 0), -EKEYREJECTED);
	one_sentence();
	cr_assert(strstr(err, "namespace \"git\""), "%s", err);
	free(sig);
}

Test(sshsig, edited_message_is_refused)
{
	char *sig, edited[sizeof(msg)];
	const char *types[] = { "ed25519", "ecdsa" };

	for (size_t i = 0; i < 2; i++) {
		key_make(types[i], types[i]);
		sig = key_sign(types[i], NS, msg, strlen(msg));
		memcpy(edited, msg, sizeof(msg));
		edited[strlen(msg) - 2] = '2';	/* "v":2 */
		cr_assert_eq(verify_text(sig, NS, edited, strlen(edited), 0), -EKEYREJECTED);
		one_sentence();
		cr_assert(strstr(err, "does not verify"), "%s", err);
		free(sig);
	}
}

/* A signature whose embedded key was swapped for another listed key does not verify. */
Test(sshsig, swapped_key_does_not_verify)
{
	struct jg_sshsig a, b;
	char *sa, *sb;

	key_make("alice", "ed25519");
	key_make("bob", "ed25519");
	sa = key_sign("alice", NS, msg, strlen(msg));
	sb = key_sign("bob", NS, msg, strlen(msg));
	cr_assert_eq(sshsig__parse(sa, strlen(sa), &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(sshsig__parse(sb, strlen(sb), &b, err, sizeof(err)), 0, "%s", err);
	memcpy(a.sig, b.sig, sizeof(a.sig));		/* bob's signature, alice's key */
	cr_assert_eq(sshsig__verify(&a, NS, msg, strlen(msg), 0, err, sizeof(err)),
		     -EKEYREJECTED);
	one_sentence();
	free(sa);
	free(sb);
}

Test(sshsig, wrong_key_through_the_signer_list)
{
	char *apub, *bpub, list[2048], *sig;
	struct jg_signers *s;
	const struct jg_signer *who = NULL;

	key_make("alice", "ed25519");
	key_make("ecdsa", "ecdsa");
	key_make("mallory", "ed25519");
	apub = key_pub("alice");
	bpub = key_pub("ecdsa");
	snprintf(list, sizeof(list), "# people\nalice %s\n\nbob,robert %s\n", apub, bpub);
	s = signers_of(list);
	cr_assert_eq(s->n, 2);

	sig = key_sign("ecdsa", NS, msg, strlen(msg));
	cr_assert_eq(signers__verify(s, "robert", sig, strlen(sig), msg, strlen(msg), NS, 0, 0,
				     &who, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(who->line, 4);
	err[0] = '\0';
	cr_assert_eq(signers__verify(s, "alice", sig, strlen(sig), msg, strlen(msg), NS, 0, 0,
				     NULL, err, sizeof(err)), -EACCES);
	one_sentence();
	cr_assert(strstr(err, "is not alice's"), "%s", err);
	free(sig);

	sig = key_sign("mallory", NS, msg, strlen(msg));
	err[0] = '\0';
	cr_assert_eq(signers__verify(s, "alice", sig, strlen(sig), msg, strlen(msg), NS, 0, 0,
				     NULL, err, sizeof(err)), -ENOKEY);
	one_sentence();
	cr_assert(strstr(err, "is not in signers"), "%s", err);
	free(sig);
	signers__free(s);
	free(apub);
	free(bpub);
}

/* ssh-keygen -Y verify agrees with us on a good signature (the same list, the same bytes). */
Test(sshsig, ssh_keygen_verify_agrees)
{
	char *pub, *sig, path[256], cmd[1024];
	FILE *f;

	key_make("ecdsa", "ecdsa");
	pub = key_pub("ecdsa");
	sig = key_sign("ecdsa", NS, msg, strlen(msg));
	snprintf(path, sizeof(path), "%s/allowed", keydir);
	f = fopen(path, "w");
	cr_assert(f && fprintf(f, "alice %s\n", pub) > 0 && !fclose(f));
	snprintf(cmd, sizeof(cmd), "ssh-keygen -Y verify -f '%s' -I alice -n %s -s '%s/msg.%d.sig' "
		 "< '%s/msg.%d' >/dev/null 2>&1", path, NS, keydir, (int)getpid(), keydir,
		 (int)getpid());
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), 0), 0, "%s", err);
	free(pub);
	free(sig);
}

Test(sshsig, truncated_and_garbled_armor)
{
	char *sig, *bad;
	size_t n;

	key_make("alice", "ed25519");
	sig = key_sign("alice", NS, msg, strlen(msg));
	n = strlen(sig);
	bad = strdup(sig);

	bad[n / 2] = '\0';				/* cut in the middle */
	cr_assert_eq(verify_text(bad, NS, msg, strlen(msg), 0), -EINVAL);
	one_sentence();
	cr_assert(strstr(err, "does not end with"), "%s", err);

	strcpy(bad, sig);
	bad[40] = '!';					/* a byte that is not base64 */
	cr_assert_eq(verify_text(bad, NS, msg, strlen(msg), 0), -EINVAL);
	one_sentence();
	cr_assert(strstr(err, "line 2: byte 0x21 is not base64"), "%s", err);

	/* the last base64 line shortened: the blob is broken or ends early */
	strcpy(bad, sig);
	memmove(strstr(bad, "\n-----END") - 4, strstr(bad, "\n-----END"),
		strlen(strstr(bad, "\n-----END")) + 1);
	cr_assert_eq(verify_text(bad, NS, msg, strlen(msg), 0), -EINVAL);
	one_sentence();

	cr_assert_eq(verify_text("hello", NS, msg, strlen(msg), 0), -EINVAL);
	one_sentence();
	cr_assert(strstr(err, "does not start with"), "%s", err);
	cr_assert_eq(verify_text("", NS, msg, strlen(msg), 0), -EINVAL);
	one_sentence();
	free(bad);
	free(sig);
}

/* A valid armor around a blob that is not SSHSIG, and one with bytes after the end. */
Test(sshsig, blob_shape_is_checked)
{
	const char *not_sshsig = "-----BEGIN SSH SIGNATURE-----\naGVsbG8gd29ybGQ=\n"
				 "-----END SSH SIGNATURE-----\n";
	struct swsk k;
	char *sig, *p;

	cr_assert_eq(verify_text(not_sshsig, NS, msg, 1, 0), -EINVAL);
	one_sentence();
	cr_assert(strstr(err, "\"SSHSIG\""), "%s", err);

	swsk_make(&k);
	sig = swsk_sign(&k, NS, msg, strlen(msg), JG_SK_USER_PRESENT, 7);
	cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), 0), 0, "%s", err);
	/* padding with non-zero dropped bits: another spelling of the same bytes */
	p = strstr(sig, "=\n");
	if (p && p[-1] != '=') {
		p[-1] = p[-1] == 'A' ? 'B' : (char)(p[-1] ^ 1);
		cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), 0), -EINVAL);
		one_sentence();
	}
	EVP_PKEY_free(k.pkey);
	free(sig);
}

Test(sshsig, sk_flags_are_enforced)
{
	struct swsk k;
	struct jg_sshsig s;
	char *sig;

	swsk_make(&k);
	sig = swsk_sign(&k, NS, msg, strlen(msg), JG_SK_USER_PRESENT, 1);
	cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), 0), 0, "%s", err);
	cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), JG_SK_USER_VERIFIED), -EPERM);
	one_sentence();
	cr_assert(strstr(err, "no PIN"), "%s", err);
	cr_assert_eq(verify_text(sig, NS, "x", 1, 0), -EKEYREJECTED);
	free(sig);

	sig = swsk_sign(&k, NS, msg, strlen(msg), JG_SK_USER_PRESENT | JG_SK_USER_VERIFIED, 2);
	cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), JG_SK_USER_VERIFIED), 0, "%s", err);
	free(sig);

	/* no touch: a valid signature over flags 0 is still refused */
	sig = swsk_sign(&k, NS, msg, strlen(msg), 0, 3);
	cr_assert_eq(verify_text(sig, NS, msg, strlen(msg), 0), -EPERM);
	one_sentence();
	cr_assert(strstr(err, "no touch"), "%s", err);
	/* and claiming the touch afterwards breaks the signature: the flags are signed */
	cr_assert_eq(sshsig__parse(sig, strlen(sig), &s, err, sizeof(err)), 0, "%s", err);
	s.flags = JG_SK_USER_PRESENT;
	cr_assert_eq(sshsig__verify(&s, NS, msg, strlen(msg), 0, err, sizeof(err)),
		     -EKEYREJECTED);
	one_sentence();
	free(sig);
	EVP_PKEY_free(k.pkey);
}

Test(sshsig, verify_required_and_plain_keys)
{
	struct swsk k;
	char list[1024], *sig, *apub;
	struct jg_signers *s;

	swsk_make(&k);
	key_make("alice", "ed25519");
	apub = key_pub("alice");
	snprintf(list, sizeof(list), "bob namespaces=\"git,%s\",verify-required %s bob@key\n"
		 "alice %s\n", NS, k.line, apub);
	s = signers_of(list);
	cr_assert(s->v[0].verify_required);
	sig = swsk_sign(&k, NS, msg, strlen(msg), JG_SK_USER_PRESENT, 9);
	cr_assert_eq(signers__verify(s, "bob", sig, strlen(sig), msg, strlen(msg), NS, 0, 0,
				     NULL, err, sizeof(err)), -EPERM);
	one_sentence();
	free(sig);
	sig = swsk_sign(&k, NS, msg, strlen(msg), JG_SK_USER_PRESENT | JG_SK_USER_VERIFIED, 10);
	cr_assert_eq(signers__verify(s, "bob", sig, strlen(sig), msg, strlen(msg), NS, 0, 0,
				     NULL, err, sizeof(err)), 0, "%s", err);
	free(sig);
	/* a plain key cannot show a PIN */
	sig = key_sign("alice", NS, msg, strlen(msg));
	cr_assert_eq(signers__verify(s, "alice", sig, strlen(sig), msg, strlen(msg), NS, 0,
				     JG_SK_USER_VERIFIED, NULL, err, sizeof(err)), -EPERM);
	one_sentence();
	cr_assert(strstr(err, "not a FIDO2 key"), "%s", err);
	free(sig);
	signers__free(s);
	free(apub);
	EVP_PKEY_free(k.pkey);
}

Test(sshsig, namespaces_and_validity_options)
{
	char list[1024], *sig, *apub;
	struct jg_signers *s;

	key_make("alice", "ed25519");
	apub = key_pub("alice");
	snprintf(list, sizeof(list), "alice namespaces=\"git\",valid-after=\"20260101Z\","
		 "valid-before=\"202701011200Z\" %s\n", apub);
	s = signers_of(list);
	cr_assert_eq(s->v[0].valid_after, 1767225600);
	cr_assert_eq(s->v[0].valid_before, 1798804800);
	sig = key_sign("alice", NS, msg, strlen(msg));
	cr_assert_eq(signers__verify(s, "alice", sig, strlen(sig), msg, strlen(msg), NS,
				     1780000000, 0, NULL, err, sizeof(err)), -EACCES);
	cr_assert(strstr(err, "namespace"), "%s", err);
	signers__free(s);

	snprintf(list, sizeof(list), "alice valid-after=\"20260101Z\" %s\n", apub);
	s = signers_of(list);
	cr_assert_eq(signers__verify(s, "alice", sig, strlen(sig), msg, strlen(msg), NS,
				     1767225599, 0, NULL, err, sizeof(err)), -EACCES);
	one_sentence();
	cr_assert_eq(signers__verify(s, "alice", sig, strlen(sig), msg, strlen(msg), NS,
				     1767225600, 0, NULL, err, sizeof(err)), 0, "%s", err);
	signers__free(s);
	free(sig);
	free(apub);
}

Test(sshsig, bad_signer_lines_are_refused_with_their_line)
{
	char *apub, *epub, text[2048], b64[512];
	const char *sp;
	struct jg_signers *s = NULL;
	struct { const char *fmt; const char *want; } cases[] = {
		{ "*.ops %s\n", "wildcards" },
		{ "alice nope %s\n", "unknown option \"nope\"" },
		{ "alice cert-authority %s\n", "cert-authority is not supported" },
		{ "alice valid-after=\"20260101\" %s\n", "the Z is required" },
		{ "alice valid-after=\"20260230Z\" %s\n", "not a valid date" },
		{ "alice namespaces=\"a,,b\" %s\n", "empty item" },
		{ "alice namespaces=\"a %s\n", "closing quote" },
		{ "alice\n", "key is missing" },
		{ "alice,,bob %s\n", "empty item" },
		{ "alice namespaces=\"a\",namespaces=\"b\" %s\n", "given twice" },
	};
	int ret;

	key_make("alice", "ed25519");
	key_make("ecdsa", "ecdsa");
	apub = key_pub("alice");
	epub = key_pub("ecdsa");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "# list\n\n");
		snprintf(text + strlen(text), sizeof(text) - strlen(text), cases[i].fmt, apub);
		err[0] = '\0';
		ret = signers__parse(text, strlen(text), "F", &s, err, sizeof(err));
		cr_assert_eq(ret, -EINVAL, "case %zu: %s", i, err);
		one_sentence();
		cr_assert(!strncmp(err, "F:3: ", 5) && strstr(err, cases[i].want),
			  "case %zu: %s", i, err);
	}
	/* the key part: an unaccepted type, broken base64, a blob of another type, twice */
	sp = strchr(apub, ' ') + 1;
	snprintf(b64, sizeof(b64), "%.*s", (int)strcspn(sp, " "), sp);
	snprintf(text, sizeof(text), "alice ssh-rsa %s\n", b64);
	cr_assert_eq(signers__parse(text, strlen(text), "F", &s, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "F:1: key type \"ssh-rsa\" is not accepted"), "%s", err);
	snprintf(text, sizeof(text), "alice ssh-ed25519 %.22s\n", b64);
	cr_assert_eq(signers__parse(text, strlen(text), "F", &s, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "base64 is broken"), "%s", err);
	snprintf(text, sizeof(text), "alice ecdsa-sha2-nistp256 %s\n", b64);
	cr_assert_eq(signers__parse(text, strlen(text), "F", &s, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "the line says ecdsa-sha2-nistp256 but the key is ssh-ed25519"),
		  "%s", err);
	snprintf(text, sizeof(text), "alice %s\nbob %s\nalice2 %s\n", apub, epub, apub);
	cr_assert_eq(signers__parse(text, strlen(text), "F", &s, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "F:3: this key is listed already on line 1"), "%s", err);
	cr_assert_null(s);
	free(apub);
	free(epub);
}

/* A P-256 point off the curve is refused when the list is read, not at the first verify. */
Test(sshsig, ecdsa_point_off_the_curve)
{
	struct jg_sshkey k;
	struct wbuf w = { .n = 0 };
	uint8_t pt[65] = { 0x04 };

	for (int i = 1; i < 65; i++)
		pt[i] = (uint8_t)i;
	w_cstr(&w, "ecdsa-sha2-nistp256");
	w_cstr(&w, "nistp256");
	w_str(&w, pt, 65);
	cr_assert_eq(sshkey__from_blob(w.b, w.n, &k, err, sizeof(err)), -EINVAL);
	one_sentence();
	cr_assert(strstr(err, "not a valid public key"), "%s", err);
}

Test(sshsig, fingerprint_matches_ssh_keygen)
{
	char *pub, cmd[512], fp[64], path[256], *out;
	const char *sp;
	uint8_t blob[256];
	struct jg_sshkey k;
	size_t bad;
	long n;

	key_make("alice", "ed25519");
	pub = key_pub("alice");
	sp = strchr(pub, ' ') + 1;
	n = sshsig__base64_decode(sp, strcspn(sp, " "), blob, sizeof(blob), &bad);
	cr_assert_gt(n, 0);
	cr_assert_eq(sshkey__from_blob(blob, (size_t)n, &k, err, sizeof(err)), 0, "%s", err);
	sshkey__fingerprint(&k, fp, sizeof(fp));
	snprintf(path, sizeof(path), "%s/fp", keydir);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -f '%s/alice.pub' | cut -d' ' -f2 > '%s'",
		 keydir, path);
	cr_assert_eq(system(cmd), 0);
	out = slurp(path);
	out[strcspn(out, "\n")] = '\0';
	cr_assert_str_eq(fp, out);
	free(out);
	free(pub);
}
