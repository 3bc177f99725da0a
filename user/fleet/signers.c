// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The signer list: allowed_signers lines into keys with their principals and options, and
 * the one verify call that joins a signature to a listed person (fleet/signers.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "fleet/signers.h"

#define MAX_PRINCIPAL 64
#define MAX_TOKEN 8192

struct lctx {
	const char *file;
	unsigned line;
	char *err;
	size_t errlen;
};

static __attribute__((format(printf, 2, 3)))
int lfail(struct lctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s:%u: ", c->file, c->line);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	fleet__one_line(c->err);
	return -EINVAL;
}

static void signer_free(struct jg_signer *e)
{
	for (size_t i = 0; i < e->nprincipals; i++)
		free(e->principals[i]);
	for (size_t i = 0; i < e->nnamespaces; i++)
		free(e->namespaces[i]);
	free(e->principals);
	free(e->namespaces);
}

void signers__free(struct jg_signers *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		signer_free(&s->v[i]);
	free(s->v);
	free(s->file);
	free(s);
}

/* Split "a,b,c" (no empty items) into a new array. */
static int split_list(struct lctx *c, const char *text, const char *what, char ***out,
		      size_t *n)
{
	const char *p = text;

	*out = NULL;
	*n = 0;
	for (;;) {
		size_t l = strcspn(p, ",");
		char **v;

		if (!l)
			return lfail(c, "an empty item in the %s \"%s\"", what, text);
		v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*out = v;
		v[*n] = strndup(p, l);
		if (!v[*n])
			return -ENOMEM;
		(*n)++;
		if (!p[l])
			return 0;
		p += l + 1;
	}
}

static int parse_principals(struct lctx *c, const char *tok, struct jg_signer *e)
{
	int ret = split_list(c, tok, "principals", &e->principals, &e->nprincipals);

	if (ret)
		return ret;
	for (size_t i = 0; i < e->nprincipals; i++) {
		const char *p = e->principals[i];

		if (strpbrk(p, "*?!\"'"))
			return lfail(c, "principal \"%s\": wildcards, negation and quotes are not "
				     "accepted (name each person)", p);
		if (strlen(p) >= MAX_PRINCIPAL)
			return lfail(c, "principal \"%.20s...\" is longer than %d bytes", p,
				     MAX_PRINCIPAL - 1);
	}
	return 0;
}

/* "YYYYMMDD[HHMM[SS]]Z" into unix seconds (UTC). */
static int parse_time(struct lctx *c, const char *opt, const char *v, int64_t *out)
{
	size_t n = strlen(v);
	struct tm tm = { 0 };
	int f[6] = { 0 };
	time_t t;

	if (n < 2 || v[n - 1] != 'Z' || (n != 9 && n != 13 && n != 15) ||
	    strspn(v, "0123456789") != n - 1)
		return lfail(c, "%s=\"%s\" is not YYYYMMDD[HHMM[SS]]Z (UTC; the Z is required "
			     "because OpenSSH reads a time without it in local time)", opt, v);
	for (size_t i = 0, k = 0; i + 1 < n; k++) {
		size_t w = k == 0 ? 4 : 2;

		for (size_t j = 0; j < w; j++)
			f[k] = f[k] * 10 + (v[i + j] - '0');
		i += w;
	}
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	t = timegm(&tm);
	if (f[0] < 1970 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 59 || tm.tm_mday != f[2])
		return lfail(c, "%s=\"%s\" is not a valid date and time", opt, v);
	*out = (int64_t)t;
	return 0;
}

/* One option (name or name="value"), value unquoted into val; each at most once. */
static int apply_option(struct lctx *c, const char *name, const char *val, struct jg_signer *e,
			unsigned *seen)
{
	static const char *const known[] = { "verify-required", "namespaces", "valid-after",
					     "valid-before" };

	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i])) {
			if (*seen & (1u << i))
				return lfail(c, "option %s is given twice", name);
			*seen |= 1u << i;
		}
	if (!strcmp(name, "verify-required") && !val) {
		e->verify_required = true;
		return 0;
	}
	if (!strcmp(name, "namespaces") && val)
		return split_list(c, val, "namespaces", &e->namespaces, &e->nnamespaces);
	if (!strcmp(name, "valid-after") && val)
		return parse_time(c, name, val, &e->valid_after);
	if (!strcmp(name, "valid-before") && val)
		return parse_time(c, name, val, &e->valid_before);
	if (!strcmp(name, "cert-authority"))
		return lfail(c, "cert-authority is not supported (list each person's key)");
	if (!strcmp(name, "verify-required") || !strcmp(name, "namespaces") ||
	    !strcmp(name, "valid-after") || !strcmp(name, "valid-before"))
		return lfail(c, "option %s %s", name, val ? "takes no value" : "needs a value");
	return lfail(c, "unknown option \"%s\" (namespaces, valid-after, valid-before and "
		     "verify-required are known)", name);
}

/* The options token: name[="value"] joined by commas; quoted values may hold commas. */
static int parse_options(struct lctx *c, const char *tok, struct jg_signer *e)
{
	char buf[MAX_TOKEN];
	const char *p = tok;
	unsigned seen = 0;

	while (*p) {
		size_t nl = strcspn(p, "=,");
		char name[64], *val = NULL;
		int ret;

		if (!nl || nl >= sizeof(name))
			return lfail(c, "an option name is empty or too long in \"%s\"", tok);
		memcpy(name, p, nl);
		name[nl] = '\0';
		p += nl;
		if (*p == '=') {
			const char *q = p + 1, *end;

			if (*q != '"')
				return lfail(c, "option %s: the value must be in double quotes",
					     name);
			end = strchr(q + 1, '"');
			if (!end)
				return lfail(c, "option %s: the closing quote is missing", name);
			memcpy(buf, q + 1, (size_t)(end - q - 1));
			buf[end - q - 1] = '\0';
			val = buf;
			p = end + 1;
		}
		ret = apply_option(c, name, val, e, &seen);
		if (ret)
			return ret;
		if (*p == ',')
			p++;
		else if (*p)
			return lfail(c, "option %s: a comma or space must follow it", name);
	}
	return 0;
}

/* The next whitespace-separated token (quotes keep spaces) into tok. */
static const char *next_token(const char *p, char *tok, size_t toklen)
{
	size_t n = 0;
	bool q = false;

	while (*p == ' ' || *p == '\t')
		p++;
	while (*p && (q || (*p != ' ' && *p != '\t'))) {
		if (*p == '"')
			q = !q;
		if (n + 1 < toklen)
			tok[n++] = *p;
		p++;
	}
	tok[n] = '\0';
	return p;
}

static bool looks_like_key_type(const char *t)
{
	return !strncmp(t, "ssh-", 4) || !strncmp(t, "ecdsa-", 6) || !strncmp(t, "sk-", 3) ||
	       !strncmp(t, "rsa-", 4);
}

static int parse_key(struct lctx *c, const char *type, const char *b64, struct jg_signer *e)
{
	uint8_t blob[JG_SSHKEY_BLOB_MAX];
	char kerr[200];
	size_t bad;
	long n;

	if (!sshkey__type_from_name(type))
		return lfail(c, "key type \"%s\" is not accepted (ssh-ed25519, ecdsa-sha2-nistp256 "
			     "and sk-ssh-ed25519@openssh.com are)", type);
	if (!*b64)
		return lfail(c, "the %s key's base64 is missing", type);
	n = sshsig__base64_decode(b64, strlen(b64), blob, sizeof(blob), &bad);
	if (n < 0)
		return lfail(c, "the %s key's base64 is %s", type,
			     n == -ENOSPC ? "too long" : "broken");
	if (sshkey__from_blob(blob, (size_t)n, &e->key, kerr, sizeof(kerr)))
		return lfail(c, "%s", kerr);
	if (e->key.type != sshkey__type_from_name(type))
		return lfail(c, "the line says %s but the key is %s", type,
			     sshkey__type_name(e->key.type));
	return 0;
}

static int parse_line(struct lctx *c, const char *line, struct jg_signer *e)
{
	char tok[MAX_TOKEN], type[MAX_TOKEN];
	const char *p;
	int ret;

	p = next_token(line, tok, sizeof(tok));
	ret = parse_principals(c, tok, e);
	if (ret)
		return ret;
	p = next_token(p, tok, sizeof(tok));
	if (!*tok)
		return lfail(c, "the key is missing after the principals");
	if (!looks_like_key_type(tok)) {
		ret = parse_options(c, tok, e);
		if (ret)
			return ret;
		p = next_token(p, tok, sizeof(tok));
		if (!*tok)
			return lfail(c, "the key is missing after the options");
	}
	snprintf(type, sizeof(type), "%s", tok);
	next_token(p, tok, sizeof(tok));		/* the rest is a comment */
	return parse_key(c, type, tok, e);
}

int signers__parse(const char *text, size_t len, const char *name, struct jg_signers **out,
		   char *err, size_t errlen)
{
	struct lctx c = { name ? name : "signers", 0, err, errlen };
	struct jg_signers *s = calloc(1, sizeof(*s));
	const char *p = text, *end = text + len;
	char line[MAX_TOKEN * 2];
	int ret = -ENOMEM;

	if (!s || !(s->file = strdup(c.file)))
		goto cleanup;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct jg_signer e = { 0 }, *v;
		const char *q;

		c.line++;
		if (l >= sizeof(line) || memchr(p, '\0', l)) {
			ret = lfail(&c, "the line is longer than %zu bytes or holds a NUL byte",
				    sizeof(line) - 1);
			goto cleanup;
		}
		memcpy(line, p, l);
		line[l] = '\0';
		if (l && line[l - 1] == '\r')
			line[l - 1] = '\0';
		p += l + 1;
		for (q = line; *q == ' ' || *q == '\t'; q++)
			;
		if (!*q || *q == '#')
			continue;
		e.line = c.line;
		ret = parse_line(&c, q, &e);
		if (!ret && signers__find(s, &e.key))
			ret = lfail(&c, "this key is listed already on line %u",
				    signers__find(s, &e.key)->line);
		if (!ret && !(v = realloc(s->v, (s->n + 1) * sizeof(*v))))
			ret = -ENOMEM;
		if (ret) {
			signer_free(&e);
			goto cleanup;
		}
		s->v = v;
		s->v[s->n++] = e;
	}
	*out = s;
	return 0;
cleanup:
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", c.file);
	signers__free(s);
	return ret;
}

int signers__load_file(const char *path, struct jg_signers **out, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > JG_SIGNERS_MAX_BYTES) {
		ret = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		snprintf(err, errlen, "%s: %s", path, ret == -EFBIG ?
			 "the signer list is larger than 4 MiB" : "not a regular file");
		goto cleanup;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto cleanup;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		ret = n < 0 ? -errno : -EIO;
		snprintf(err, errlen, "%s: %s", path, n < 0 ? strerror(errno) : "short read");
		goto cleanup;
	}
	ret = signers__parse(buf, (size_t)n, path, out, err, errlen);
cleanup:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}

const struct jg_signer *signers__find(const struct jg_signers *s, const struct jg_sshkey *k)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->v[i].key.bloblen == k->bloblen &&
		    !memcmp(s->v[i].key.blob, k->blob, k->bloblen))
			return &s->v[i];
	return NULL;
}

bool signer__has_principal(const struct jg_signer *e, const char *principal)
{
	for (size_t i = 0; i < e->nprincipals; i++)
		if (!strcmp(e->principals[i], principal))
			return true;
	return false;
}

static bool allows_namespace(const struct jg_signer *e, const char *ns)
{
	if (!e->namespaces)
		return true;
	for (size_t i = 0; i < e->nnamespaces; i++)
		if (!strcmp(e->namespaces[i], ns))
			return true;
	return false;
}

int signers__verify(const struct jg_signers *s, const char *principal, const char *armored,
		    size_t alen, const void *msg, size_t len, const char *ns, int64_t when,
		    unsigned need_flags, const struct jg_signer **who, char *err,
		    size_t errlen)
{
	const struct jg_signer *e;
	struct jg_sshsig sig;
	char fp[64];
	int ret = sshsig__parse(armored, alen, &sig, err, errlen);

	if (ret)
		return ret;
	e = signers__find(s, &sig.key);
	sshkey__fingerprint(&sig.key, fp, sizeof(fp));
	if (!e) {
		snprintf(err, errlen, "the signing key %s %s is not in %s",
			 sshkey__type_name(sig.key.type), fp, s->file);
		fleet__one_line(err);
		return -ENOKEY;
	}
	if (principal && !signer__has_principal(e, principal)) {
		snprintf(err, errlen, "the signing key %s (%s line %u) is not %s's", fp, s->file,
			 e->line, principal);
		fleet__one_line(err);
		return -EACCES;
	}
	if (!allows_namespace(e, ns)) {
		snprintf(err, errlen, "the signing key %s (%s line %u) is not listed for "
			 "namespace %s", fp, s->file, e->line, ns);
		fleet__one_line(err);
		return -EACCES;
	}
	if ((e->valid_after && when < e->valid_after) ||
	    (e->valid_before && when >= e->valid_before)) {
		snprintf(err, errlen, "the signing key %s (%s line %u) is not valid at the "
			 "signed time %lld", fp, s->file, e->line, (long long)when);
		return -EACCES;
	}
	if (e->verify_required)
		need_flags |= JG_SK_USER_VERIFIED;
	ret = sshsig__verify(&sig, ns, msg, len, need_flags, err, errlen);
	if (!ret && who)
		*who = e;
	return ret;
}
