// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgate mfa: enrol a user for TOTP codes (with a QR code when libqrencode is there), or
 * lift a lockout. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include <zlib.h>
#ifdef JG_HAVE_QRENCODE
#include <qrencode.h>
#endif
#include "cli/cli.h"

/* ---- mfa ---- */

static const char mfa_help[] =
"Usage: jitgate mfa enroll USER [--secret BASE32] [--qr] [--json]\n"
"       jitgate mfa unlock USER [--json]\n"
"\n"
"Enrol USER for TOTP codes (roles with require_mfa ask for one: --otp CODE). Admins only.\n"
"Prints the otpauth:// URI (first line) and the base32 secret, for USER's authenticator\n"
"app, and a QR code of the URI when the output is a terminal (or with --qr). They are\n"
"shown this once: jitgated keeps the secret and never prints it again. Enrolling again\n"
"replaces the user's secret.\n"
"\n"
"unlock lifts USER's MFA lockout (too many wrong codes: jitgated refuses every code\n"
"until the lock's time is over) and clears the failures counted so far. Admins only.\n"
"\n"
"Options:\n"
"  -s, --secret BASE32  use this secret (A-Z, 2-7) instead of a new random one; '-' reads\n"
"                       it from stdin, so it stays out of the process list\n"
"      --qr             draw the QR code also when the output is not a terminal\n"
"      --json           print {\"user\", \"uid\", \"uri\", \"secret\"}\n"
"  -h, --help           show this help\n"
"\n"
"EXAMPLES\n"
"  jitgate mfa enroll alice\n"
"  jitgate mfa enroll alice --secret - < alice.secret\n"
"  jitgate mfa unlock alice\n";


/* The URI as a QR code for the authenticator app's camera, drawn with half blocks (two
 * modules per character cell, light modules as ink: terminals are mostly dark). */
static void print_qr(const char *uri)
{
#ifdef JG_HAVE_QRENCODE
	QRcode *q = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	const int quiet = 2;

	if (!q) {
		pr_warn("cannot draw the QR code: %s", strerror(errno));
		return;
	}
	for (int y = -quiet; y < q->width + quiet; y += 2) {
		for (int x = -quiet; x < q->width + quiet; x++) {
			bool top = y >= 0 && y < q->width && x >= 0 && x < q->width &&
				   (q->data[y * q->width + x] & 1);
			bool bot = y + 1 >= 0 && y + 1 < q->width && x >= 0 && x < q->width &&
				   (q->data[(y + 1) * q->width + x] & 1);

			fputs(top ? (bot ? " " : "\u2584") : (bot ? "\u2580" : "\u2588"), stdout);
		}
		putchar('\n');
	}
	QRcode_free(q);
#else
	(void)uri;
	pr_info("this jitgate was built without libqrencode: no QR code");
#endif
}

static int mfa_unlock(int argc, char **argv)
{
	json_t *reply = NULL, *result = NULL;
	bool json = false;
	const char *user;
	char *name;
	int c;

	if ((c = cli__common_opts(argc, argv, mfa_help, &json)) >= 0)
		return c;
	c = cli__operand(argc, argv, "name the USER to unlock", "USER", &user);
	if (c)
		return c;
	if (cli__ask("mfa.unlock", &reply, &result, "user", user, NULL))
		return EXIT_FAIL;
	if (json) {
		print_json(result);
	} else {
		name = who(result);
		if (json_is_true(json_object_get(result, "was_locked")))
			printf("MFA for %s unlocked (it was locked after %lld failed codes)\n", name,
			       jint(result, "failures", 0));
		else
			printf("MFA for %s was not locked; %lld failed codes cleared\n", name,
			       jint(result, "failures", 0));
		free(name);
	}
	json_decref(reply);
	return EXIT_OK;
}

int do_mfa(int argc, char **argv)
{
	static const char *const subs[] = { "enroll", "unlock", NULL };
	const char *user, *secret = NULL;
	bool qr = isatty(STDOUT_FILENO), json = false;
	const struct cli_opt opts[] = {
		{ "secret", 's', .arg = &secret },
		{ "json", 0, .flag = &json },
		{ "qr", 0, .flag = &qr },
		{ 0 }
	};
	json_t *reply = NULL, *result = NULL;
	char line[256];
	int c, sub;

	if ((c = cli__sub(argc, argv, mfa_help, "say 'enroll USER'", subs, &sub)) >= 0)
		return c;
	if (sub == 1)
		return mfa_unlock(argc - 1, argv + 1);
	argc--;
	argv++;
	if ((c = cli__opts(argc, argv, mfa_help, opts)) >= 0)
		return c;
	c = cli__operand(argc, argv, "name the USER to enrol", "USER", &user);
	if (c)
		return c;
	if (secret && !strcmp(secret, "-")) {
		if (!fgets(line, sizeof(line), stdin)) {
			pr_warn("--secret -: nothing to read on stdin");
			return EXIT_FAIL;
		}
		line[strcspn(line, "\r\n")] = '\0';
		secret = line;
	}
	if (secret) {
		size_t n = strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz234567");

		/* base32, with '=' padding at most */
		if (!n || secret[n + strspn(secret + n, "=")])
			return usage_error("mfa ", "--secret must be base32 (letters A-Z and digits "
					   "2-7)");
	}

	if (cli__ask("mfa.enroll", &reply, &result, "user", user, "secret", secret, NULL))
		return EXIT_FAIL;
	if (!jstr(result, "uri")) {
		json_decref(reply);
		return cli__malformed("no \"uri\"");
	}
	if (json) {
		print_json(result);
	} else {
		char *uri = clean(jstr(result, "uri")), *sec = clean(jstr(result, "secret") ?: "?");
		char *name = who(result);

		printf("%s\n", uri);
		if (qr)
			print_qr(uri);
		if (json_is_integer(json_object_get(result, "uid")))
			printf("secret: %s (for %s, uid %lld)\n", sec, name, jint(result, "uid", -1));
		else
			printf("secret: %s (for %s)\n", sec, name);
		free(uri);
		free(sec);
		free(name);
	}
	fflush(stdout);
	pr_info("this secret is shown only once: put it in the user's authenticator app now");
	json_decref(reply);
	return EXIT_OK;
}
