// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Standing rules compiled: each rule's subjects (users, and the members of groups as the
 * user database has them now) times its executables, one kernel entry each. */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <ifaddrs.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <libgen.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "policy/compile.h"
#include "policy/compiler.h"

/* One (subject, resource, executable) entry; a second rule naming the same triple adds its
 * permissions to the first. */
static int add_standing_entry(struct jg_compiled *c, uint32_t subject, uint16_t res,
			      uint32_t dev, uint64_t ino, uint32_t igen, uint32_t perms)
{
	struct jg_cstanding *e;

	for (size_t i = 0; i < c->nstanding; i++) {
		e = &c->standing[i];
		if (e->subject == subject && e->resource == res && e->dev == dev && e->ino == ino) {
			e->perms |= perms;
			return 0;
		}
	}
	if (c->nstanding >= JG_MAX_STANDING_PER_GEN)
		return -E2BIG;
	if (compile__grow((void **)&c->standing, c->nstanding, sizeof(*c->standing)))
		return -ENOMEM;
	c->standing[c->nstanding++] = (struct jg_cstanding){
		.subject = subject, .resource = res, .dev = dev, .ino = ino, .perms = perms,
		.igen = igen };
	return 0;
}

static int add_uid(uint32_t **uids, size_t *n, uint32_t uid)
{
	for (size_t i = 0; i < *n; i++)
		if ((*uids)[i] == uid)
			return 0;
	if (compile__grow((void **)uids, *n, sizeof(**uids)))
		return -ENOMEM;
	(*uids)[(*n)++] = uid;
	return 0;
}

/* A group's members as the system user database has them now: the supplementary members
 * (getgrnam) and every account whose primary group it is. A name in the member list that
 * has no account cannot run anything and is left out. -ENOENT: no such group. */
static int group_uids(const char *group, uint32_t **uids, size_t *n)
{
	struct group *gr;
	struct passwd *pw;
	char **names = NULL;
	size_t nnames = 0;
	gid_t gid;
	int ret = 0;

	errno = 0;
	gr = getgrnam(group);
	if (!gr)
		return errno && errno != ENOENT && errno != ESRCH ? -errno : -ENOENT;
	gid = gr->gr_gid;
	/* copied: the account lookups below may reuse the group's static storage */
	for (char **m = gr->gr_mem; m && *m && !ret; m++) {
		if (compile__grow((void **)&names, nnames, sizeof(*names)) ||
		    !(names[nnames] = strdup(*m)))
			ret = -ENOMEM;
		else
			nnames++;
	}
	for (size_t i = 0; i < nnames && !ret; i++) {
		pw = getpwnam(names[i]);
		if (pw)
			ret = add_uid(uids, n, (uint32_t)pw->pw_uid);
	}
	if (!ret) {
		setpwent();
		while (!ret && (pw = getpwent()))
			if (pw->pw_gid == gid)
				ret = add_uid(uids, n, (uint32_t)pw->pw_uid);
		endpwent();
	}
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return ret;
}

/* The uids a subject stands for, resolved against the system user database at load. */
static int subject_uids(const struct jg_policy *p, const struct jg_standing *st, size_t idx,
			uint32_t **uids, size_t *n, char *err, size_t errlen)
{
	const struct jg_subject *s = &st->subject;
	struct passwd *pw;
	int ret;

	switch (s->kind) {
	case JG_SUBJ_UID:
		return add_uid(uids, n, s->id);
	case JG_SUBJ_USER:
		errno = 0;
		pw = getpwnam(s->name);
		if (pw)
			return add_uid(uids, n, (uint32_t)pw->pw_uid);
		ret = errno && errno != ENOENT && errno != ESRCH ? -errno : -ENOENT;
		if (ret == -ENOENT)
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: no user \"%s\" on this "
				 "host", p->file, s->pos.line, s->pos.col, idx + 1, s->name);
		else
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: cannot look up user "
				 "\"%s\": %s", p->file, s->pos.line, s->pos.col, idx + 1, s->name,
				 strerror(-ret));
		return ret;
	case JG_SUBJ_GROUP:
		ret = group_uids(s->name, uids, n);
		if (ret == -ENOENT)
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: no group \"%s\" on this "
				 "host", p->file, s->pos.line, s->pos.col, idx + 1, s->name);
		else if (ret && ret != -ENOMEM)
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: cannot look up group "
				 "\"%s\": %s", p->file, s->pos.line, s->pos.col, idx + 1, s->name,
				 strerror(-ret));
		return ret;
	}
	return -EINVAL;
}

/* A standing rule, expanded: every uid of its subject x every resource of its allow, on its
 * executable (stat()ed to the (dev, ino) the kernel compares) or on any program. */
int compile__standing(struct jg_compiled *c, const struct jg_policy *p, const uint16_t *ids,
		      size_t idx, char *err, size_t errlen)
{
	const struct jg_standing *st = &p->standing[idx];
	uint32_t *uids = NULL, dev = 0;
	uint64_t ino = 0;
	uint32_t igen = 0;
	size_t nuids = 0;
	struct stat sb;
	int ret = 0;

	/* the parser keeps no position for "exe": messages about it point at the rule */
	if (st->exe) {
		if (stat(st->exe, &sb)) {
			ret = -errno;
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: cannot resolve the "
				 "executable \"%s\": %s", p->file, st->pos.line, st->pos.col,
				 idx + 1, st->exe, strerror(-ret));
			return ret;
		}
		if (!S_ISREG(sb.st_mode)) {
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: the executable \"%s\" is "
				 "not a regular file", p->file, st->pos.line, st->pos.col, idx + 1,
				 st->exe);
			return -EINVAL;
		}
		dev = compile__kdev_of_path(st->exe, sb.st_dev);
		ino = sb.st_ino;
		igen = compile__igen_of(st->exe);
	}
	for (size_t j = 0; j < st->nallow; j++) {
		const struct jg_allow *a = &st->allow[j];

		if (a->perms & JG_PERM_ELEVATE) {
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: resource \"%s\": elevate "
				 "cannot be standing (becoming root needs a grant, for a time)",
				 p->file, a->pos.line, a->pos.col, idx + 1, a->resource);
			return -EINVAL;
		}
		if (a->perms & JG_PERM_ADMIN) {
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: resource \"%s\": admin "
				 "cannot be standing (administering the gate needs a grant, for a "
				 "time; the host's automation needs none)",
				 p->file, a->pos.line, a->pos.col, idx + 1, a->resource);
			return -EINVAL;
		}
	}
	ret = subject_uids(p, st, idx, &uids, &nuids, err, errlen);
	for (size_t j = 0; j < st->nallow && !ret; j++) {
		const struct jg_allow *a = &st->allow[j];
		size_t r;

		for (r = 0; r < p->nresources; r++)
			if (!strcmp(p->resources[r].name, a->resource))
				break;
		if (r == p->nresources) {
			/* the parser refuses this already */
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: unknown resource \"%s\"",
				 p->file, a->pos.line, a->pos.col, idx + 1, a->resource);
			ret = -EINVAL;
			break;
		}
		for (size_t u = 0; u < nuids && !ret; u++)
			ret = add_standing_entry(c, uids[u], ids[r], dev, ino, igen, a->perms);
		if (ret == -E2BIG)
			snprintf(err, errlen, "%s:%d:%d: standing rule %zu: the standing rules expand to "
				 "more than %d (subject, resource, executable) entries", p->file,
				 st->pos.line, st->pos.col, idx + 1, JG_MAX_STANDING_PER_GEN);
	}
	free(uids);
	return ret;
}
