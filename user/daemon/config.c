// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The daemon config file (jitgated.json): every key checked, with FILE: KEY and one sentence
 * for what is wrong; defaults < config file < command line (main.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
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

/* ------------------------------------------------------------------ config */

static int copy_str(json_t *v, const char *file, const char *key, char *dst, size_t len,
		    char *err, size_t errlen)
{
	if (!json_is_string(v) || !*json_string_value(v) || strlen(json_string_value(v)) >= len) {
		snprintf(err, errlen, "%s: \"%s\" must be a non-empty string shorter than %zu bytes",
			 file, key, len);
		return -EINVAL;
	}
	snprintf(dst, len, "%s", json_string_value(v));
	return 0;
}

static int group_list(json_t *v, const char *file, const char *key,
		      char (*groups)[JG_NAME_LEN], size_t *n, char *err, size_t errlen)
{
	size_t i;
	json_t *g;
	int ret = 0;

	if (!json_is_array(v) || json_array_size(v) > MAX_ADMIN_GROUPS) {
		snprintf(err, errlen, "%s: \"%s\" must be an array of at most %d group names", file,
			 key, MAX_ADMIN_GROUPS);
		return -EINVAL;
	}
	json_array_foreach(v, i, g) {
		ret = copy_str(g, file, key, groups[i], JG_NAME_LEN, err, errlen);
		if (ret)
			return ret;
		*n = i + 1;
	}
	return 0;
}

/* "trusted_tools": absolute paths of executables. */
static int tool_list(json_t *v, const char *file, struct config *c, char *err, size_t errlen)
{
	const char *path;
	size_t i;
	json_t *t;

	if (!json_is_array(v) || json_array_size(v) > MAX_TRUSTED_TOOLS) {
		snprintf(err, errlen, "%s: \"trusted_tools\" must be an array of at most %d "
			 "absolute paths of executables", file, MAX_TRUSTED_TOOLS);
		return -EINVAL;
	}
	json_array_foreach(v, i, t) {
		path = json_string_value(t);
		if (!path || path[0] != '/' || strlen(path) >= sizeof(c->trusted_tools[0])) {
			snprintf(err, errlen, "%s: \"trusted_tools\" entry %zu must be an absolute "
				 "path shorter than %zu bytes", file, i,
				 sizeof(c->trusted_tools[0]));
			return -EINVAL;
		}
		snprintf(c->trusted_tools[i], sizeof(c->trusted_tools[i]), "%s", path);
		c->ntrusted_tools = i + 1;
	}
	return 0;
}

/* "KEY": a duration ("15m") of at least one second, in ns. */
static int config_duration(json_t *v, const char *file, const char *obj, const char *key,
			   int64_t *ns, char *err, size_t errlen)
{
	char e[128];
	uint64_t secs;

	if (!json_is_string(v) || duration__parse(json_string_value(v), &secs, e, sizeof(e)) ||
	    !secs) {
		snprintf(err, errlen, "%s: \"%s\".\"%s\" must be a duration like \"15m\" (at least "
			 "1s)", file, obj, key);
		return -EINVAL;
	}
	*ns = (int64_t)secs * 1000000000LL;
	return 0;
}

/* "KEY": a whole number in [min, max]. */
static int config_count(json_t *v, const char *file, const char *obj, const char *key,
			json_int_t min, json_int_t max, json_int_t *n, char *err, size_t errlen)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(err, errlen, "%s: \"%s\".\"%s\" must be a whole number from %lld to %lld",
			 file, obj, key, (long long)min, (long long)max);
		return -EINVAL;
	}
	*n = json_integer_value(v);
	return 0;
}

/* One key of a section object ("mfa_lockout", "requests"): a whole number in [min, max]
 * stored as what kind says, or (KEY_NS) a duration. */
enum section_kind { KEY_UNSIGNED, KEY_SIZE, KEY_NS };

struct section_key {
	const char *name;
	enum section_kind kind;
	json_int_t min, max;		/* KEY_UNSIGNED and KEY_SIZE */
	void *dst;
};

/* "OBJ": {KEY: ...} with the keys of keys[n]; an unknown key is named with the list of the
 * known ones. */
static int config_section(json_t *o, const char *file, const char *obj,
			  const struct section_key *keys, size_t n, char *err, size_t errlen)
{
	const char *key;
	json_int_t v_n = 0;
	json_t *v;
	size_t i, len;
	int ret = 0;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: \"%s\" must be an object", file, obj);
		return -EINVAL;
	}
	json_object_foreach(o, key, v) {
		for (i = 0; i < n && strcmp(key, keys[i].name); i++)
			;
		if (i == n) {
			len = (size_t)snprintf(err, errlen, "%s: unknown key \"%s\".\"%s\" (", file,
					       obj, key);
			for (i = 0; i < n && len < errlen; i++)
				len += (size_t)snprintf(err + len, errlen - len, "%s%s",
							i ? ", " : "", keys[i].name);
			if (len < errlen)
				snprintf(err + len, errlen - len, ")");
			return -EINVAL;
		}
		if (keys[i].kind == KEY_NS)
			ret = config_duration(v, file, obj, key, keys[i].dst, err, errlen);
		else
			ret = config_count(v, file, obj, key, keys[i].min, keys[i].max, &v_n, err,
					   errlen);
		if (ret)
			return ret;
		if (keys[i].kind == KEY_UNSIGNED)
			*(unsigned *)keys[i].dst = (unsigned)v_n;
		else if (keys[i].kind == KEY_SIZE)
			*(size_t *)keys[i].dst = (size_t)v_n;
	}
	return 0;
}

/* "mfa_lockout": {"deny", "fail_interval", "unlock_time"} (faillock's names and meaning). */
static int config_mfa(json_t *o, const char *file, struct jg_mfa_policy *m, char *err,
		      size_t errlen)
{
	const struct section_key keys[] = {
		{ "deny", KEY_UNSIGNED, 0, JG_MFA_DENY_MAX, &m->deny },
		{ "fail_interval", KEY_NS, 0, 0, &m->fail_interval_ns },
		{ "unlock_time", KEY_NS, 0, 0, &m->unlock_time_ns },
	};

	return config_section(o, file, "mfa_lockout", keys, sizeof(keys) / sizeof(keys[0]), err,
			      errlen);
}

/* "requests": {"max_pending", "rate", "rate_window", "max_reason_bytes"}. */
static int config_requests(json_t *o, const char *file, struct jg_req_limits *l, char *err,
			   size_t errlen)
{
	const struct section_key keys[] = {
		{ "max_pending", KEY_UNSIGNED, 1, 1000, &l->max_pending },
		{ "rate", KEY_UNSIGNED, 0, 100000, &l->rate },
		{ "rate_window", KEY_NS, 0, 0, &l->rate_window_ns },
		{ "max_reason_bytes", KEY_SIZE, 1, JG_REASON_LEN - 1, &l->reason_max },
	};

	return config_section(o, file, "requests", keys, sizeof(keys) / sizeof(keys[0]), err,
			      errlen);
}

/* "metrics_listen": a loopback address and port, or "" (none). */
static int config_metrics_listen(json_t *v, const char *file, struct config *c, char *err,
				 size_t errlen)
{
	struct sockaddr_storage ss;
	uint32_t len;
	char e[400];

	if (!json_is_string(v) || strlen(json_string_value(v)) >= sizeof(c->metrics_listen)) {
		snprintf(err, errlen, "%s: \"metrics_listen\" must be a string like "
			 "\"127.0.0.1:9464\" (or \"\" for none)", file);
		return -EINVAL;
	}
	if (*json_string_value(v) &&
	    metrics_listen_address(json_string_value(v), &ss, &len, e, sizeof(e))) {
		snprintf(err, errlen, "%s: %s", file, e);
		return -EINVAL;
	}
	snprintf(c->metrics_listen, sizeof(c->metrics_listen), "%s", json_string_value(v));
	return 0;
}

/* A rate a second (0 allowed: zero says what it means) or its burst (1 at least), at most
 * 1000000, into *out. 0 or -EINVAL with the message in err ("must be <what>between ..."). */
static int rate_number(const char *file, const char *key, json_t *v, bool burst,
		       const char *what, const char *zero, uint32_t *out, char *err, size_t errlen)
{
	json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;

	if (n < (burst ? 1 : 0) || n > 1000000) {
		snprintf(err, errlen, "%s: \"%s\" must be %sbetween %d and 1000000%s", file, key,
			 what, burst ? 1 : 0, burst ? "" : zero);
		return -EINVAL;
	}
	*out = (uint32_t)n;
	return 0;
}

/* The config's sizes, rates and limits: 0, -EINVAL with one sentence, or 1 when key is not
 * one of them. */
static int config_number(struct config *c, const char *file, const char *key, json_t *v,
			 char *err, size_t errlen)
{
	int ret = 0;

	if (!strcmp(key, "ringbuf_bytes") || !strcmp(key, "prio_ringbuf_bytes")) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

		/* the kernel wants a power of two, at least one page */
		if (n < 4096 || n > (1 << 30) || (n & (n - 1))) {
			snprintf(err, errlen, "%s: \"%s\" must be a power of two "
				 "between 4096 and 1073741824", file, key);
			ret = -EINVAL;
		} else if (!strcmp(key, "ringbuf_bytes")) {
			c->ringbuf_bytes = (uint32_t)n;
		} else {
			c->prio_ringbuf_bytes = (uint32_t)n;
		}
	} else if (!strcmp(key, "deny_rate") || !strcmp(key, "deny_burst")) {
		bool burst = !strcmp(key, "deny_burst");

		ret = rate_number(file, key, v, burst, "", " (0: stream every denial)",
				  burst ? &c->deny_burst : &c->deny_rate, err, errlen);
	} else if (!strcmp(key, "max_grants")) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;

		if (n < 1 || n > 1 << 20) {
			snprintf(err, errlen, "%s: \"max_grants\" must be between 1 and 1048576",
				 file);
			ret = -EINVAL;
		} else {
			c->max_grants = (uint32_t)n;
		}
	} else if (!strcmp(key, "audit_max_bytes") || !strcmp(key, "audit_keep")) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
		bool keep = !strcmp(key, "audit_keep");

		if (n < 0 || (keep && n > 1000)) {
			snprintf(err, errlen, "%s: \"%s\" must be %s", file, key,
				 keep ? "between 0 and 1000" : "0 (never rotate) or more");
			ret = -EINVAL;
		} else if (keep) {
			c->audit_keep = (uint32_t)n;
		} else {
			c->audit_max_bytes = (uint64_t)n;
		}
	} else if (!strcmp(key, "max_clients") || !strcmp(key, "max_clients_per_uid") ||
		   !strcmp(key, "client_read_timeout_ms") ||
		   !strcmp(key, "client_write_timeout_ms")) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : 0;
		bool count = !strncmp(key, "max_", 4);
		json_int_t lo = count ? 1 : 100, hi = count ? MAX_CLIENTS_LIMIT : 600000;

		if (n < lo || n > hi) {
			snprintf(err, errlen, "%s: \"%s\" must be an integer between %lld and "
				 "%lld", file, key, (long long)lo, (long long)hi);
			ret = -EINVAL;
		} else if (!strcmp(key, "max_clients")) {
			c->max_clients = (uint32_t)n;
		} else if (!strcmp(key, "max_clients_per_uid")) {
			c->max_clients_per_uid = (uint32_t)n;
		} else if (!strcmp(key, "client_read_timeout_ms")) {
			c->client_read_timeout_ms = (uint32_t)n;
		} else {
			c->client_write_timeout_ms = (uint32_t)n;
		}
	} else if (!strcmp(key, "client_rate") || !strcmp(key, "client_burst")) {
		bool burst = !strcmp(key, "client_burst");

		ret = rate_number(file, key, v, burst, "an integer ", " (0: no limit)",
				  burst ? &c->client_burst : &c->client_rate, err, errlen);
	} else if (!strcmp(key, "audit_backlog_bytes")) {
		json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;

		if (n < 4096 || n > (1LL << 30)) {
			snprintf(err, errlen, "%s: \"audit_backlog_bytes\" must be an integer between "
				 "4096 and 1073741824", file);
			ret = -EINVAL;
		} else {
			c->audit_backlog_bytes = (uint64_t)n;
		}
	} else {
		return 1;
	}
	return ret;
}

int config_load(struct config *c, const char *file, bool must_exist, char *err,
		size_t errlen)
{
	/* the keys that name a path or a host */
	const struct {
		const char *key;
		char *dst;
		size_t len;
	} strs[] = {
		{ "policy", c->policy, sizeof(c->policy) },
		{ "socket", c->socket, sizeof(c->socket) },
		{ "pin_dir", c->pin_dir, sizeof(c->pin_dir) },
		{ "audit_log", c->audit_log, sizeof(c->audit_log) },
		{ "state_dir", c->state_dir, sizeof(c->state_dir) },
		{ "host", c->host, sizeof(c->host) },
		{ "ledger", c->ledger, sizeof(c->ledger) },
		{ "metrics_socket", c->metrics_socket, sizeof(c->metrics_socket) },
		{ "metrics_group", c->metrics_group, sizeof(c->metrics_group) },
	};
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	size_t i;
	int ret = 0;

	if (access(file, F_OK) && !must_exist)
		return 0;
	root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", file, jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: the config must be a JSON object", file);
		json_decref(root);
		return -EINVAL;
	}
	json_object_foreach(root, key, v) {
		for (i = 0; i < sizeof(strs) / sizeof(strs[0]) && strcmp(key, strs[i].key); i++)
			;
		if (i < sizeof(strs) / sizeof(strs[0])) {
			ret = copy_str(v, file, key, strs[i].dst, strs[i].len, err, errlen);
		} else if (!strcmp(key, "audit_stdout") || !strcmp(key, "stream_allow_events")) {
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "%s: \"%s\" must be true or false", file, key);
				ret = -EINVAL;
			} else if (!strcmp(key, "audit_stdout")) {
				c->audit_stdout = json_is_true(v);
			} else {
				c->stream_allow_events = json_is_true(v);
			}
		} else if (!strcmp(key, "admin_groups")) {
			ret = group_list(v, file, key, c->admin_groups, &c->nadmin_groups, err,
					 errlen);
		} else if (!strcmp(key, "auditor_groups")) {
			ret = group_list(v, file, key, c->auditor_groups, &c->nauditor_groups, err,
					 errlen);
		} else if (!strcmp(key, "trusted_tools")) {
			ret = tool_list(v, file, c, err, errlen);
		} else if (!strcmp(key, "sinks")) {
			json_decref(c->sinks);
			c->sinks = json_incref(v);
		} else if (!strcmp(key, "fleet")) {
			json_decref(c->fleet);
			c->fleet = json_incref(v);
		} else if (!strcmp(key, "mfa_lockout")) {
			ret = config_mfa(v, file, &c->mfa, err, errlen);
		} else if (!strcmp(key, "requests")) {
			ret = config_requests(v, file, &c->req, err, errlen);
		} else if (!strcmp(key, "metrics_listen")) {
			ret = config_metrics_listen(v, file, c, err, errlen);
		} else if ((ret = config_number(c, file, key, v, err, errlen)) == 1) {
			/* not a size, a rate or a limit either */
			snprintf(err, errlen, "%s: unknown key \"%s\"", file, key);
			ret = -EINVAL;
		}
		if (ret)
			break;
	}
	if (!ret && *c->metrics_group && !getgrnam(c->metrics_group)) {
		snprintf(err, errlen, "%s: \"metrics_group\" \"%s\" is not a group on this host",
			 file, c->metrics_group);
		ret = -EINVAL;
	}
	json_decref(root);
	return ret;
}
