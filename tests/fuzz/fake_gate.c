// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A gate without a kernel for the socket harness: the loader's entry points (gate/gate.c)
 * with the grant map kept in memory, so grant, list and revoke go their whole way. Policy
 * generations are accepted and dropped; events, statistics and the descriptor re-check are
 * empty. Only the harness links it; the product always links gate/gate.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "gate/gate.h"

#define FAKE_GRANTS 256

static struct fake_entry {
	bool used;
	struct jg_grant_key k;
	struct jg_grant v;
} grants[FAKE_GRANTS];

void fake_gate__reset(void)
{
	memset(grants, 0, sizeof(grants));
}

int gate__preflight(char *err, size_t errlen)
{
	return 0;
}

int gate__open(struct jg_gate **out, const char *pin_dir, const struct jg_gate_opts *o,
	       char *err, size_t errlen)
{
	snprintf(err, errlen, "the fuzz harness has no kernel gate");
	return -ENOTSUP;
}

void gate__close(struct jg_gate *g)
{
}

int gate__apply(struct jg_gate *g, const struct jg_compiled *c, char *err, size_t errlen)
{
	return 0;
}

int gate__set_grant(struct jg_gate *g, uint32_t subject, uint16_t resource,
		    const struct jg_grant *val)
{
	struct fake_entry *free_slot = NULL;

	for (size_t i = 0; i < FAKE_GRANTS; i++) {
		if (!grants[i].used) {
			free_slot = free_slot ? free_slot : &grants[i];
			continue;
		}
		if (grants[i].k.subject == subject && grants[i].k.resource == resource) {
			grants[i].v = *val;
			return 0;
		}
	}
	if (!free_slot)
		return -ENOSPC;
	free_slot->used = true;
	free_slot->k.subject = subject;
	free_slot->k.resource = resource;
	free_slot->v = *val;
	return 0;
}

int gate__del_grant(struct jg_gate *g, uint32_t subject, uint16_t resource)
{
	for (size_t i = 0; i < FAKE_GRANTS; i++)
		if (grants[i].used && grants[i].k.subject == subject &&
		    grants[i].k.resource == resource) {
			grants[i].used = false;
			return 0;
		}
	return -ENOENT;
}

int gate__for_each_grant(struct jg_gate *g,
			 int (*fn)(const struct jg_grant_key *k, const struct jg_grant *v, void *ctx),
			 void *ctx)
{
	for (size_t i = 0; i < FAKE_GRANTS; i++)
		if (grants[i].used && fn(&grants[i].k, &grants[i].v, ctx))
			break;
	return 0;
}

int gate__canary(const char *canary_path, char *err, size_t errlen)
{
	return 0;
}

int gate__stats(struct jg_gate *g, uint64_t out[JG_STAT_MAX])
{
	memset(out, 0, sizeof(uint64_t) * JG_STAT_MAX);
	return 0;
}

int gate__exempt_self(struct jg_gate *g)
{
	return 0;
}

size_t gate__hooks(struct jg_gate *g, const char **names, size_t max)
{
	if (max)
		names[0] = "file_open";
	return max ? 1 : 0;
}

int gate__events_fd(struct jg_gate *g)
{
	return -1;
}

int gate__prio_events_fd(struct jg_gate *g)
{
	return -1;
}

int gate__recheck_arm(struct jg_gate *g, char *err, size_t errlen)
{
	return 0;
}

int gate__recheck(struct jg_gate *g, struct jg_recheck *out)
{
	memset(out, 0, sizeof(*out));
	out->armed = true;
	return 0;
}

int gate__recheck_idle(struct jg_gate *g)
{
	return 0;
}

int gate__session_arm(struct jg_gate *g, char *err, size_t errlen)
{
	return 0;
}

int gate__session_idle(struct jg_gate *g)
{
	return 0;
}

int gate__set_deny_budget(struct jg_gate *g, uint32_t rate, uint32_t burst)
{
	return 0;
}

int gate__for_each_deny(struct jg_gate *g,
			int (*fn)(uint32_t subject, const struct jg_deny_rate *r,
				  uint64_t reported, void *ctx),
			void *ctx)
{
	return 0;
}

int gate__set_deny_reported(struct jg_gate *g, uint32_t subject, uint64_t reported)
{
	return 0;
}

/* The sealed gate: nothing to seal without a kernel; no process is in a session. */
int gate__seal(struct jg_gate *g, uint32_t dev, uint64_t ino, uint32_t flags)
{
	return 0;
}

int gate__seal_config(struct jg_gate *g, uint32_t daemon_tgid, const uint32_t *fs, size_t nfs,
		      const uint32_t *raw, size_t nraw)
{
	return 0;
}

int gate__session_of(struct jg_gate *g, pid_t pid, struct jg_session *out)
{
	return -ENOENT;
}
