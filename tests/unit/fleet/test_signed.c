// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The signed forms: canonical bytes both ways, every refusal of the parser, labels. */
#include <errno.h>
#include <criterion/criterion.h>
#include "fleet/signed.h"

static char err[512];

static void one_sentence(void)
{
	cr_assert(err[0], "no message");
	cr_assert_null(strchr(err, '\n'), "message with a line break: %s", err);
}

static char *hosts2[] = { "db1", "db2" };

static struct jg_fleet_request sample(void)
{
	struct jg_fleet_request r = {
		.id = "fr-8f3a0c1d2e4b5a69", .requester = "alice", .role = "db-debug",
		.selector = "env=prod,role=db", .hosts = hosts2, .nhosts = 2, .duration = 2700,
		.reason = "INC-4411 replication lag", .created = 1796457600,
		.nonce = "0b5e0000000000000000000000000001",
	};
	return r;
}

static const char sample_text[] =
	"{\"created\":1796457600,\"duration\":2700,\"hosts\":[\"db1\",\"db2\"],"
	"\"id\":\"fr-8f3a0c1d2e4b5a69\",\"nonce\":\"0b5e0000000000000000000000000001\","
	"\"reason\":\"INC-4411 replication lag\",\"requester\":\"alice\",\"role\":\"db-debug\","
	"\"selector\":\"env=prod,role=db\",\"type\":\"jitgate.fleet.request\",\"v\":1}";

Test(signed, request_canonical_bytes_and_round_trip)
{
	struct jg_fleet_request r = sample(), q;
	char *text, *again;
	size_t len, len2;

	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(text, sample_text);
	cr_assert_eq(len, strlen(sample_text));
	cr_assert_eq(fleet__request_parse(text, len, &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(q.id, r.id);
	cr_assert_eq(q.nhosts, 2);
	cr_assert(fleet__request_names(&q, "db2") && !fleet__request_names(&q, "db3"));
	cr_assert_eq(fleet__request_canon(&q, &again, &len2, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(again, text);
	fleet__request_free(&q);
	free(text);
	free(again);
}

/* UTF-8 stays raw (as RFC 8785 has it); a tab is escaped as \t. */
Test(signed, text_is_jcs)
{
	struct jg_fleet_request r = sample(), q;
	char *text;
	size_t len;

	snprintf(r.reason, sizeof(r.reason), "Grüße\tvon /srv \"x\"");
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert(strstr(text, "\"reason\":\"Grüße\\tvon /srv \\\"x\\\"\""), "%s", text);
	cr_assert_eq(fleet__request_parse(text, len, &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(q.reason, r.reason);
	fleet__request_free(&q);
	free(text);
}

Test(signed, bad_fields_are_refused_when_made)
{
	struct jg_fleet_request r;
	char *unsorted[] = { "db2", "db1" }, *dup[] = { "db1", "db1" }, *bad[] = { "db 1" };
	char *text = NULL;
	size_t len;

	r = sample();
	r.hosts = unsorted;
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	one_sentence();
	cr_assert(strstr(err, "not sorted"), "%s", err);
	r.hosts = dup;
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	r = sample();
	r.hosts = bad;
	r.nhosts = 1;
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "is not a host name"), "%s", err);
	r = sample();
	r.nhosts = 0;
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	r = sample();
	r.duration = 0;
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "\"duration\" is 0"), "%s", err);
	r = sample();
	r.reason[3] = '\n';
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	one_sentence();
	r = sample();
	strcpy(r.requester, "al ice");
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	r = sample();
	strcpy(r.id, "r-3");
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "fr- and 16"), "%s", err);
	r = sample();
	strcpy(r.selector, "env");
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	r = sample();
	r.reason[0] = (char)0xff;		/* not UTF-8 */
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), -EINVAL);
	one_sentence();
	cr_assert_null(text);
}

/* Each text is the sample with one change; each is refused with one sentence. */
Test(signed, request_parser_refusals)
{
	struct { const char *from, *to; int ret; const char *want; } cases[] = {
		{ "{\"created\"", "{ \"created\"", -EBADMSG, "canonical" },
		{ "\"duration\":2700,", "", -EINVAL, "\"duration\" is missing" },
		{ "\"v\":1}", "\"v\":1,\"x\":2}", -EINVAL, "unknown field \"x\"" },
		{ "\"v\":1}", "\"v\":2}", -EINVAL, "version 2" },
		{ "2700", "2700.0", -EINVAL, "not an integer" },
		{ "2700", "27e2", -EINVAL, "not an integer" },
		{ "1796457600", "-1", -EINVAL, "outside" },
		{ "\"db1\",\"db2\"", "\"db2\",\"db1\"", -EINVAL, "not sorted" },
		{ "lag", "l\\u0061g", -EBADMSG, "canonical" },
		{ "\"alice\"", "\"alice\",\"role\":\"x\"", -EINVAL, "" },
		{ "jitgate.fleet.request", "jitgate.fleet.decision", -EINVAL, "type" },
		{ "lag", "l\\nag", -EINVAL, "" },
		{ "{", "[", -EINVAL, "not JSON" },
	};
	struct jg_fleet_request q;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		const char *at = strstr(sample_text, cases[i].from);
		int ret;

		cr_assert(at, "case %zu", i);
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(at - sample_text), sample_text,
			 cases[i].to, at + strlen(cases[i].from));
		err[0] = '\0';
		ret = fleet__request_parse(text, strlen(text), &q, err, sizeof(err));
		cr_assert_eq(ret, cases[i].ret, "case %zu: %d %s", i, ret, err);
		one_sentence();
		cr_assert(strstr(err, cases[i].want), "case %zu: %s", i, err);
	}
	/* trailing bytes, a NUL inside */
	cr_assert_eq(fleet__request_parse(sample_text, sizeof(sample_text), &q, err, sizeof(err)),
		     -EINVAL);
	one_sentence();
}

Test(signed, decision_round_trip_and_refusals)
{
	struct jg_fleet_decision d = { .request_id = "fr-8f3a0c1d2e4b5a69", .by = "bob",
				       .kind = JG_FLEET_APPROVE, .time = 1796457720 }, e;
	char *text, bad[1024], *p;
	size_t len;

	fleet__hash(sample_text, strlen(sample_text), d.request_hash);
	cr_assert_eq(fleet__decision_canon(&d, &text, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert(!strncmp(text, "{\"by\":\"bob\",\"decision\":\"approve\",\"reason\":\"\","
			   "\"request\":\"sha256:", 60), "%s", text);
	cr_assert_eq(fleet__decision_parse(text, len, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(e.kind, JG_FLEET_APPROVE);
	cr_assert_eq(memcmp(e.request_hash, d.request_hash, 32), 0);

	snprintf(bad, sizeof(bad), "%s", text);
	p = strstr(bad, "approve");
	memcpy(p, "allow! ", 7);
	cr_assert_eq(fleet__decision_parse(bad, strlen(bad), &e, err, sizeof(err)), -EINVAL);
	one_sentence();
	snprintf(bad, sizeof(bad), "%s", text);
	p = strstr(bad, "sha256:");
	p[7] = 'G';
	cr_assert_eq(fleet__decision_parse(bad, strlen(bad), &e, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "64"), "%s", err);
	free(text);
}

Test(signed, labels_and_selectors)
{
	cr_assert_eq(fleet__labels_check("env=prod,role=db", "x", err, sizeof(err)), 0);
	cr_assert_eq(fleet__labels_check("env=prod,env=dev", "x", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "given twice"), "%s", err);
	cr_assert_eq(fleet__labels_check("env=pr od", "x", err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "0x20"), "%s", err);
	cr_assert_eq(fleet__labels_check("env=", "x", err, sizeof(err)), -EINVAL);
	cr_assert_eq(fleet__labels_check("", "x", err, sizeof(err)), -EINVAL);
	cr_assert_eq(fleet__labels_check("a=b,", "x", err, sizeof(err)), -EINVAL);

	cr_assert(fleet__selector_holds("env=prod,role=db", "zone=a,role=db,env=prod", "db1"));
	cr_assert(!fleet__selector_holds("env=prod,role=db", "env=prod,role=dbx", "db1"));
	cr_assert(!fleet__selector_holds("env=prod", "env=production", "db1"));
	cr_assert(fleet__selector_holds("host=db1", "", "db1"));
	cr_assert(!fleet__selector_holds("host=db1", "", "db10"));
	cr_assert(!fleet__selector_holds("host=db1", "host=db1", "db2"));
	cr_assert(fleet__selector_holds("env=prod,host=db2", "env=prod", "db2"));
}

Test(signed, new_ids_are_well_formed)
{
	char id[JG_FLEET_ID_LEN], id2[JG_FLEET_ID_LEN], nonce[JG_FLEET_NONCE_LEN];
	struct jg_fleet_request r = sample(), q;
	char *text;
	size_t len;

	cr_assert_eq(fleet__new_id(id, nonce), 0);
	cr_assert_eq(fleet__new_id(id2, r.nonce), 0);
	cr_assert_str_neq(id, id2);
	memcpy(r.id, id, sizeof(id));
	cr_assert_eq(fleet__request_canon(&r, &text, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(fleet__request_parse(text, len, &q, err, sizeof(err)), 0, "%s", err);
	fleet__request_free(&q);
	free(text);
}
