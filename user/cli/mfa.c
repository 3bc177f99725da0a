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
	pr_warn("this jitgate was built without libqrencode: no QR code");
#endif
}

static int mfa_unlock(int argc, char **argv)
{
	json_t *args, *reply = NULL, *result = NULL;
	bool json = false;
	const char *user;
	char *name;
	int c;

	if ((c = cli__common_opts(argc, argv, mfa_help, &json)) >= 0)
		return c;
	if (optind >= argc)
		return usage_error("mfa ", "name the USER to unlock");
	user = argv[optind++];
	if (optind < argc)
		return usage_error("mfa ", "unexpected argument '%s'", argv[optind]);
	if (!*user)
		return usage_error("mfa ", "the USER must not be empty");
	args = json_pack("{s:s}", "user", user);
	if (!args)
		return cli__oom();
	if (call("mfa.unlock", args, &reply, &result))
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
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "qr", no_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *user, *secret = NULL;
	bool qr = isatty(STDOUT_FILENO);
	json_t *args, *reply = NULL, *result = NULL;
	char line[256];
	bool json = false;
	int c;

	if (argc < 2)
		return usage_error("mfa ", "say 'enroll USER'");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs(mfa_help, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "unlock"))
		return mfa_unlock(argc - 1, argv + 1);
	if (strcmp(argv[1], "enroll"))
		return usage_error("mfa ", "unknown mfa command '%s' (use enroll or unlock)",
				   argv[1]);
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, ":s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': secret = optarg; break;
		case 'j': json = true; break;
		case 'Q': qr = true; break;
		case 'h': fputs(mfa_help, stdout); return EXIT_OK;
		default: return bad_option("mfa ", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("mfa ", "name the USER to enrol");
	user = argv[optind++];
	if (optind < argc)
		return usage_error("mfa ", "unexpected argument '%s'", argv[optind]);
	if (!*user)
		return usage_error("mfa ", "the USER must not be empty");
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

	args = json_pack("{s:s}", "user", user);
	if (args && secret)
		json_object_set_new(args, "secret", json_string(secret));
	if (!args)
		return cli__oom();
	if (call("mfa.enroll", args, &reply, &result))
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
	pr_warn("this secret is shown only once: put it in the user's authenticator app now");
	json_decref(reply);
	return EXIT_OK;
}
