// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jitgated --check: validate what a start would use and exit, for ExecStartPre= and dry
 * runs. The config was loaded by configure(); here the policy (parsed and resolved on this
 * host as a start would, without the kernel), the audit sinks' configuration (with a
 * private spool that is removed again; a file sink's file is opened for appending, as a
 * start does) and the kernel preflight (BPF LSM active). Takes no lock, loads nothing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "daemon/daemon.h"
#include "policy/compile.h"

/* One step: its name, and the sentence when it failed. */
static json_t *step(json_t *steps, const char *name, int ret, const char *err)
{
	json_t *s = json_pack("{s:s,s:b}", "check", name, "ok", !ret);

	if (ret && s)
		json_object_set_new(s, "error", json_string(err));
	json_array_append_new(steps, s);
	return s;
}

static int check_policy(const char *file, char *err, size_t errlen)
{
	struct jg_compiled *c = NULL;
	struct jg_policy *p = NULL;
	uint16_t *ids;
	int ret;

	ret = policy_load_ids(file, &p, &ids, err, errlen);
	if (ret) {
		if (ret == -ENOMEM && !*err)
			snprintf(err, errlen, "out of memory");
		return ret;
	}
	for (size_t i = 0; i < p->nresources; i++)
		ids[i] = (uint16_t)(i + 1);
	ret = compile__policy_opts(p, ids, JG_COMPILE_NO_HARDLINK_WALK, &c, err, errlen);
	if (ret && !*err)
		snprintf(err, errlen, "%s: %s", file, strerror(-ret));
	compile__free(c);
	free(ids);
	policy__free(p);
	return ret;
}

/* The private spool: the files sink__config made in it, then the directory. */
static void remove_spool(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *e;

	while (dh && (e = readdir(dh)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(dh), e->d_name, 0);
	if (dh)
		closedir(dh);
	if (rmdir(dir))
		pr_debug("cannot remove %s: %s", dir, strerror(errno));
}

static int check_sinks(char *err, size_t errlen)
{
	char spool[] = "/tmp/jitgated-check.XXXXXX", serr[768];
	int ret;

	if (!json_array_size(d.cfg.sinks))
		return 0;
	if (!mkdtemp(spool)) {
		snprintf(err, errlen, "cannot make a private spool directory: %s", strerror(errno));
		return -errno;
	}
	ret = sink__config(d.cfg.sinks, spool, serr, sizeof(serr));
	sink__close();
	if (ret)
		snprintf(err, errlen, "%s: %s", d.config_path, serr);
	remove_spool(spool);
	return ret;
}

/* The exit status: 0 all well, JG_EXIT_CONFIG for a bad config, policy or sink, JG_EXIT_NO_ENFORCE
 * when this kernel cannot enforce. */
int daemon_check(bool json)
{
	json_t *steps = json_array();
	char err[1024] = "";
	int ret, status = 0;

	ret = check_policy(d.cfg.policy, err, sizeof(err));
	step(steps, "policy", ret, err);
	if (ret)
		status = JG_EXIT_CONFIG;
	*err = 0;
	ret = check_sinks(err, sizeof(err));
	step(steps, "sinks", ret, err);
	if (ret)
		status = JG_EXIT_CONFIG;
	*err = 0;
	ret = gate__preflight(err, sizeof(err));
	step(steps, "kernel", ret, err);
	if (ret && !status)
		status = JG_EXIT_NO_ENFORCE;
	if (json) {
		json_t *o = json_pack("{s:s,s:s,s:b,s:o}", "config", d.config_path,
				      "policy", d.cfg.policy, "ok", !status, "checks", steps);

		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
		return status;
	}
	for (size_t i = 0; i < json_array_size(steps); i++) {
		json_t *s = json_array_get(steps, i);
		const char *e = json_string_value(json_object_get(s, "error"));

		if (e)
			pr_warn("%s", e);
	}
	if (!status)
		printf("%s, %s: ok (config, policy, sinks, BPF LSM active)\n", d.config_path,
		       d.cfg.policy);
	json_decref(steps);
	return status;
}
