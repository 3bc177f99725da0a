// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Fuzz harness: policy text, as `jitgate policy check` (open to every user) and jitgated's
 * reload read it. The text goes through policy__load_string; what parses is compiled to
 * kernel map entries as `policy check` does (paths stat()ed, no walk inside trees), with a
 * fixed set of host addresses instead of asking the interfaces, so a run is repeatable. The
 * compiled entries are checked against the limits the kernel side relies on. Nothing here
 * touches the kernel. */
#include <errno.h>
#include <stdint.h>
#include "fuzz.h"
#include "policy/compile.h"
#include "policy/policy.h"

/* 10.0.2.15, 192.0.2.1 and 2001:db8::5, as getifaddrs would give them */
static const uint8_t hosts[3][16] = {
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 2, 15 },
	{ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5 },
};

static void check_compiled(const struct jg_policy *p, const struct jg_compiled *c)
{
	char buf[64];

	for (size_t i = 0; i < c->nnets; i++) {
		if (c->nets[i].prefixlen > 128)
			fz_fail("net prefix /%u", c->nets[i].prefixlen);
		compile__addr_text(c->nets[i].addr, buf, sizeof(buf));
	}
	for (size_t i = 0; i < c->nbinds; i++)
		if (c->binds[i].prefixlen > 128)
			fz_fail("bind prefix /%u", c->binds[i].prefixlen);
	for (size_t i = 0; i < c->nstanding; i++)
		if (!c->standing[i].resource || c->standing[i].resource > p->nresources)
			fz_fail("standing entry for resource %u of %zu", c->standing[i].resource,
				p->nresources);
	if (c->nelevate > JG_MAX_ELEVATE)
		fz_fail("%zu elevate resources", c->nelevate);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jg_policy *p = NULL;
	struct jg_compiled *c = NULL;
	uint16_t *ids = NULL;
	char *text, err[1024];
	int ret;

	if (size > 256 * 1024)
		return 0;
	text = fz_str(data, size);
	ret = policy__load_string(text, "fuzz.json", &p, err, sizeof(err));
	if (ret) {
		if (!err[0])
			fz_fail("policy refused (%d) without a sentence", ret);
		goto cleanup;
	}
	for (size_t i = 0; i < p->nroles; i++)
		if (policy__role(p, p->roles[i].name) == NULL)
			fz_fail("role \"%s\" is not found by name", p->roles[i].name);
	for (size_t i = 0; i < p->nresources; i++)
		if (policy__resource(p, p->resources[i].name) == NULL)
			fz_fail("resource \"%s\" is not found by name", p->resources[i].name);
	if (p->nresources > JG_MAX_RESOURCES - 1)
		goto cleanup;	/* `policy check` stops here too */
	ids = calloc(p->nresources ? p->nresources : 1, sizeof(*ids));
	if (!ids)
		abort();
	for (size_t i = 0; i < p->nresources; i++)
		ids[i] = (uint16_t)(i + 1);
	err[0] = '\0';
	if (!compile__policy_hosts(p, ids, JG_COMPILE_NO_HARDLINK_WALK, hosts, 3, &c, err,
				   sizeof(err)))
		check_compiled(p, c);
cleanup:
	compile__free(c);
	free(ids);
	policy__free(p);
	free(text);
	return 0;
}
