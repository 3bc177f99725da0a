// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The OpenMetrics exposition: label escapes, counter suffixes, # EOF, and the format rules
 * checked line by line (metrics__check) on rendered and hand-broken texts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "lib/metrics.h"

static const struct jg_metrics_decision decisions[] = {
	{ "deny", "prod-secrets", "file", "read", 3 },
	{ "allow", "prod-secrets", "file", "read", 1 },
	{ "deny", "we\"ird\\name\nx", "exec", "exec", 2 },
};
static const struct jg_metrics_ring rings[] = {
	{ "events", 4194304, 128, 0 }, { "priority", 1048576, 0, 7 },
};
static const struct jg_metrics_sink sinks[] = {
	{ "0", "file", "json", "/var/log/siem.jsonl", false, false, 10, 0, 0, 0, 0, 0 },
	{ "1", "syslog", "cef", "127.0.0.1:514", true, true, 9, 1, 0, 2, 4, 300 },
};
static const struct jg_metrics_stat stats[] = {
	{ "too_deep", 1 }, { "suppressed", 5 },
};

static struct jg_metrics sample_snapshot(void)
{
	return (struct jg_metrics){
		.version = "0.1.0", .start_time_ns = 1764950400123456789LL, .enforcing = true,
		.kernel_deny = 5, .kernel_allow = 1, .kernel_audit = 0,
		.stats = stats, .nstats = 2, .decisions = decisions, .ndecisions = 3,
		.grants_live = 1, .grants_capacity = 16384, .requests_pending = 2,
		.rings = rings, .nrings = 2, .policy_generation = 3,
		.policy_loaded_ns = 1764950500000000000LL, .policy_resources = 4,
		.audit_write_errors = 0, .audit_lost = 0, .audit_pending_bytes = 0,
		.sinks = sinks, .nsinks = 2, .scrapes = 12, .scrapes_refused = 1,
	};
}

static char *render(size_t *len)
{
	struct jg_metrics m = sample_snapshot();
	char *t = metrics__render(&m, len);

	cr_assert_not_null(t);
	cr_assert_eq(strlen(t), *len);
	return t;
}

Test(metrics, label_value_escapes)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "a\"b", "a\\\"b" },
		{ "back\\slash", "back\\\\slash" },
		{ "two\nlines", "two\\nlines" },
		{ "tab\there\r", "tab?here?" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },		/* UTF-8 stays */
		{ "bad\xff\xc3x", "bad??x" },			/* not UTF-8 */
		{ "\xc0\xaf", "??" },				/* overlong */
		{ "\xed\xa0\x80", "???" },			/* a surrogate */
		{ "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v = metrics__label_value(cases[i].in);

		cr_assert_str_eq(v, cases[i].out, "case %zu", i);
		free(v);
	}
}

Test(metrics, ends_with_eof)
{
	size_t len;
	char *t = render(&len);

	cr_assert(len > 6);
	cr_assert_str_eq(t + len - 6, "# EOF\n");
	cr_assert_eq(strstr(t, "# EOF"), t + len - 6, "one # EOF, at the end");
	free(t);
}

Test(metrics, counters_have_total_suffix)
{
	size_t len;
	char *t = render(&len), *line, *save = NULL;
	char family[128] = "";
	bool counter = false;
	unsigned counters = 0;

	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "# TYPE ", 7)) {
			char *sp = strchr(line + 7, ' ');

			snprintf(family, sizeof(family), "%.*s", (int)(sp - line - 7), line + 7);
			counter = !strcmp(sp + 1, "counter");
			counters += counter;
			cr_assert(!counter || !strstr(family, "_total"),
				  "counter family %s carries _total", family);
		} else if (line[0] != '#' && counter) {
			size_t fl = strlen(family);

			cr_assert(!strncmp(line, family, fl) && !strncmp(line + fl, "_total", 6),
				  "counter sample without _total: %s", line);
		}
	}
	cr_assert_geq(counters, 10);
	free(t);
}

Test(metrics, families_and_values)
{
	static const char *const want[] = {
		"# TYPE jitgate_build info\n",
		"jitgate_build_info{version=\"0.1.0\"} 1\n",
		"# UNIT jitgate_start_time_seconds seconds\n",
		"jitgate_start_time_seconds 1764950400.123\n",
		"jitgate_decisions_total{decision=\"deny\",resource="
			"\"prod-secrets\",kind=\"file\",perm=\"read\"} 3\n",
		"resource=\"we\\\"ird\\\\name\\nx\"",
		"jitgate_kernel_decisions_total{decision=\"deny\"} 5\n",
		"jitgate_grants_live 1\n",
		"jitgate_requests_pending 2\n",
		"jitgate_ring_buffer_lost_events_total{ring=\"priority\"} 7\n",
		"jitgate_ring_buffer_used_bytes{ring=\"events\"} 128\n",
		"# UNIT jitgate_sink_queue_bytes bytes\n",
		"jitgate_sink_queue_bytes{sink=\"1\",type=\"syslog\","
			"format=\"cef\",target=\"127.0.0.1:514\"} 300\n",
		"jitgate_sink_dropped_records_total{sink=\"1\"",
		"jitgate_policy_generation 3\n",
		"jitgate_kernel_events_total{event=\"suppressed\"} 5\n",
	};
	size_t len;
	char *t = render(&len);

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(t, want[i]), "missing %s", want[i]);
	/* a file sink has no spool or connection */
	cr_assert_null(strstr(t, "jitgate_sink_connected{sink=\"0\""));
	free(t);
}

Test(metrics, rendered_text_passes_the_checker)
{
	struct jg_metrics m = sample_snapshot(), empty = { .version = "x" };
	char err[256] = "", *t;
	size_t len;

	t = metrics__render(&m, &len);
	cr_assert_eq(metrics__check(t, len, err, sizeof(err)), 0, "%s", err);
	free(t);
	/* nothing to count yet: families without samples are still valid */
	t = metrics__render(&empty, &len);
	cr_assert_eq(metrics__check(t, len, err, sizeof(err)), 0, "%s", err);
	free(t);
}

/* The Prometheus project's own OpenMetrics parser (python3-prometheus-client) takes the
 * text: a second opinion beside metrics__check. Skipped when it is not installed. */
Test(metrics, prometheus_client_parses_it)
{
	static const char py[] =
		"/usr/bin/python3 -c 'import sys\n"
		"from prometheus_client.openmetrics.parser import text_string_to_metric_families as f\n"
		"fams = list(f(sys.stdin.read()))\n"
		"assert len(fams) > 20, len(fams)\n"
		"names = [s.name for m in fams for s in m.samples]\n"
		"assert \"jitgate_decisions_total\" in names and \"jitgate_build_info\" in names\n"
		"' >/dev/null";
	struct jg_metrics m = sample_snapshot();
	size_t len;
	char *t;
	FILE *p;
	int st;

	if (system("/usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2>/dev/null"))
		cr_skip_test("python3-prometheus-client is not installed");
	t = metrics__render(&m, &len);
	p = popen(py, "w");
	cr_assert_not_null(p);
	cr_assert_eq(fwrite(t, 1, len, p), len);
	st = pclose(p);
	cr_assert_eq(st, 0, "the OpenMetrics parser refused the text (status %d)", st);
	free(t);
}

static void refused(const char *text, const char *why)
{
	char err[256] = "";

	cr_assert_eq(metrics__check(text, strlen(text), err, sizeof(err)), -EINVAL,
		     "accepted: %s", text);
	cr_assert_not_null(strstr(err, why), "\"%s\" does not say \"%s\"", err, why);
}

Test(metrics, checker_refuses_broken_texts)
{
	refused("# TYPE a counter\n# HELP a h\na_total 1\n", "does not end with # EOF");
	refused("# TYPE a counter\n# HELP a h\na_total 1\n# EOF\nx 1\n", "text after # EOF");
	refused("# TYPE a counter\n# HELP a h\na 1\n# EOF\n", "is not a_total");
	refused("# TYPE a_total counter\n# HELP a_total h\na_total_total 1\n# EOF\n",
		"must not end in _total");
	refused("# TYPE a gauge\na 1\n# EOF\n", "before its family's # TYPE and # HELP");
	refused("# TYPE a gauge\n# HELP a h\na{l=\"x\ny\"} 1\n# EOF\n", "unterminated");
	refused("# TYPE a gauge\n# HELP a h\na{l=\"x\\ty\"} 1\n# EOF\n", "bad escape");
	refused("# TYPE a gauge\n# HELP a h\na{l=\"x\"} one\n# EOF\n", "bad value");
	refused("# TYPE a counter\n# HELP a h\na_total -1\n# EOF\n", "at least 0");
	refused("# TYPE a gauge\n# HELP a h\na 1\n# TYPE b gauge\n# HELP b h\nb 1\n"
		"# TYPE a gauge\n# EOF\n", "appears twice");
	refused("# TYPE a_size gauge\n# UNIT a_size bytes\n# HELP a_size h\na_size 1\n# EOF\n",
		"does not end with its unit");
	refused("# TYPE a gauge\n# HELP a h\n\na 1\n# EOF\n", "an empty line");
	refused("# TYPE a gauge\n# HELP a h\na 1 123 456\n# EOF\n", "one value");
	refused("# TYPE a widget\n# HELP a h\n# EOF\n", "unknown type");
	refused("# TYPE a gauge\n# HELP a h\na 1\n# EOF", "no newline");
}
