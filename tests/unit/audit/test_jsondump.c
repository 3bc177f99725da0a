// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jsondump__compact must write exactly what jansson writes (JSON_COMPACT | JSON_ENSURE_ASCII,
 * DEL escaped): the audit log's bytes are hashed into its chain. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "audit/jsondump.h"
#include "lib/util.h"

static void same(json_t *v)
{
	char *want = util__json_escape_del(json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII));
	size_t len = 0;
	char *got = jsondump__compact(v, &len);

	cr_assert_not_null(want);
	cr_assert_not_null(got, "gave up on %s", want);
	cr_assert_str_eq(got, want);
	cr_assert_eq(len, strlen(want));
	free(want);
	free(got);
}

Test(jsondump, every_kind_of_value)
{
	json_t *v = json_pack("{s:I, s:s, s:s, s:{s:I, s:o, s:s}, s:[i, s, n, b, b, {}, []],"
			      " s:n, s:b, s:{}, s:I, s:I}",
			      "seq", (json_int_t)42, "time", "2026-12-05T07:45:15.149834311Z",
			      "host", "h\"o\\s/t", "subject", "uid", (json_int_t)1000,
			      "loginuid", json_null(), "user", "alice",
			      "list", 1, "two", true, false,
			      "null", "yes", true, "empty",
			      "min", (json_int_t)INT64_MIN, "max", (json_int_t)INT64_MAX);

	same(v);
	json_decref(v);
	v = json_object();
	same(v);
	json_decref(v);
}

Test(jsondump, escapes_controls_del_and_non_ascii)
{
	static const char *const texts[] = {
		"", "plain", "quote \" backslash \\ slash /", "\b\f\n\r\t", "\x01\x1f\x7f",
		"caf\xc3\xa9", "\xe2\x82\xac euro", "\xf0\x9f\x98\x80 outside the BMP",
		"\xef\xbf\xbd replacement", "\xed\x9f\xbf last before surrogates",
		"\xf4\x8f\xbf\xbf highest", "\x1b[2J\x1b]0;title\x07",
	};

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		json_t *v = json_pack("{s:s, s:[s]}", texts[i], texts[i], "k", texts[i]);

		cr_assert_not_null(v, "text %zu", i);
		same(v);
		json_decref(v);
	}
	{
		/* a NUL inside a string */
		json_t *v = json_object();

		json_object_set_new(v, "nul", json_stringn("a\0b", 3));
		same(v);
		json_decref(v);
	}
}

/* Random byte strings, kept when jansson takes them as UTF-8. */
Test(jsondump, random_strings)
{
	unsigned int seed = 4711;
	int tried = 0;

	for (int round = 0; round < 20000; round++) {
		char buf[24];
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		json_t *s, *v;

		for (size_t i = 0; i < n; i++) {
			int r = rand_r(&seed) % 4;

			/* ASCII, controls, and lead/continuation bytes often enough to make UTF-8 */
			buf[i] = (char)(r == 0 ? rand_r(&seed) % 0x20 : r == 1 ? 0x20 + rand_r(&seed) % 0x60 :
					r == 2 ? 0x80 + rand_r(&seed) % 0x40 : 0xc2 + rand_r(&seed) % 0x33);
		}
		s = json_stringn(buf, n);
		if (!s)
			continue;
		tried++;
		v = json_pack("{s:o, s:I}", "s", s, "n", (json_int_t)round);
		same(v);
		json_decref(v);
	}
	cr_assert_gt(tried, 1000, "only %d strings were UTF-8", tried);
}

Test(jsondump, a_real_is_left_to_jansson)
{
	json_t *v = json_pack("{s:f}", "x", 1.5);

	cr_assert_null(jsondump__compact(v, NULL));
	json_decref(v);
}
