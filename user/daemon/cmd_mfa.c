// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Handlers of MFA administration: mfa.enroll, mfa.unlock. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <bpf/libbpf.h>
#include <openssl/crypto.h>
#include "daemon/daemon.h"

json_t *do_mfa_enroll(const struct peer *p, json_t *args)
{
	const char *user, *secret_text = NULL;
	uint8_t key[JG_TOTP_SECRET_MAX];
	char name[JG_NAME_LEN], err[256], uri[512], b32[128];
	uint32_t uid;
	int len;
	json_t *ev, *res;

	if (!p->admin)
		return deny_perm(p, "enrol MFA");
	if (proto__arg_string(args, "user", true, &user, err, sizeof(err)) ||
	    proto__arg_string(args, "secret", false, &secret_text, err, sizeof(err)) == -EINVAL)
		return proto__error("EINVAL", "%s", err);
	if (util__resolve_user(user, &uid, name, sizeof(name), err, sizeof(err)))
		return proto__error("ENOENT", "%s", err);
	if (secret_text) {
		len = totp__base32_decode(secret_text, key, sizeof(key));
		if (len < 10)	/* RFC 4226: at least 128 bits recommended, 80 the floor */
			return proto__error("EINVAL", "--secret must be base32 of 10 to %d bytes",
					    JG_TOTP_SECRET_MAX);
	} else {
		len = JG_TOTP_SECRET_LEN;
		if (totp__new_secret(key, (size_t)len))
			return proto__error("EIO", "no random bytes for a new secret");
	}
	ev = audit__new("mfa.enroll");
	json_object_set_new(ev, "subject", audit__subject(uid, (uint32_t)-1));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "imported", json_boolean(secret_text != NULL));
	if (tx_begin() || ledger__mfa_set(&d.ledger, uid, name, key, (size_t)len,
					  util__realtime_ns(), p->user)) {
		tx_abort();
		json_decref(ev);
		OPENSSL_cleanse(key, sizeof(key));
		return ledger_error("store the MFA secret");
	}
	ctl_emit(ev);
	if (tx_commit()) {
		OPENSSL_cleanse(key, sizeof(key));
		return ledger_error("store the MFA secret");
	}
	tx_end(true);
	totp__uri("jitgate", name, key, (size_t)len, uri, sizeof(uri));
	totp__base32_encode(key, (size_t)len, b32, sizeof(b32));
	OPENSSL_cleanse(key, sizeof(key));
	res = json_pack("{s:s, s:I, s:s, s:s}", "user", name, "uid", (json_int_t)uid, "uri", uri,
			"secret", b32);
	OPENSSL_cleanse(uri, sizeof(uri));
	OPENSSL_cleanse(b32, sizeof(b32));
	return proto__ok(res);
}

/* An admin lifts a user's MFA lock (and clears the failures counted towards one). */
json_t *do_mfa_unlock(const struct peer *p, json_t *args)
{
	const char *user;
	char name[JG_NAME_LEN], err[256], until[48];
	struct jg_mfa_tally t;
	bool was_locked;
	unsigned failures;
	uint32_t uid;
	json_t *ev;

	if (!p->admin)
		return deny_perm(p, "unlock MFA");
	if (proto__arg_string(args, "user", true, &user, err, sizeof(err)))
		return proto__error("EINVAL", "%s", err);
	if (util__resolve_user(user, &uid, name, sizeof(name), err, sizeof(err)))
		return proto__error("ENOENT", "%s", err);
	if (ledger__mfa_tally_get(&d.ledger, uid, &t))
		return ledger_error("read the MFA lockout");
	was_locked = totp__tally_locked(&t, util__realtime_ns());
	failures = t.nfail;
	ev = audit__new("mfa.unlock");
	json_object_set_new(ev, "subject", audit__subject(uid, (uint32_t)-1));
	json_object_set_new(ev, "by", peer_json(p));
	json_object_set_new(ev, "was_locked", json_boolean(was_locked));
	json_object_set_new(ev, "failures", json_integer(failures));
	if (was_locked)
		json_object_set_new(ev, "until", json_string(util__rfc3339(t.locked_until_ns, until,
									  sizeof(until))));
	totp__tally_reset(&t);
	if (tx_begin() || ledger__mfa_tally_set(&d.ledger, uid, &t)) {
		tx_abort();
		json_decref(ev);
		return ledger_error("clear the MFA lockout");
	}
	ctl_emit(ev);
	if (tx_commit())
		return ledger_error("clear the MFA lockout");
	tx_end(true);
	return proto__ok(json_pack("{s:s, s:I, s:b, s:i}", "user", name, "uid", (json_int_t)uid,
				   "was_locked", was_locked, "failures", (int)failures));
}
