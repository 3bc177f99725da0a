// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What in a policy covers an object, and which roles give access to it (cover.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jitgate.h"
#include "policy/cover.h"

int cover__normalise(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (len)
		out[0] = 0;
	if (!in || in[0] != '/')
		return -EINVAL;
	if (len < 2)
		return -ENAMETOOLONG;
	while (*in) {
		const char *seg;
		size_t n;

		while (*in == '/')
			in++;
		seg = in;
		while (*in && *in != '/')
			in++;
		n = (size_t)(in - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;	/* the slash before the name taken away */
			out[o] = 0;
			continue;
		}
		if (o + 1 + n + 1 > len)
			return -ENAMETOOLONG;
		out[o++] = '/';
		memcpy(out + o, seg, n);
		o += n;
		out[o] = 0;
	}
	if (o == 0) {
		out[0] = '/';
		out[1] = 0;
	}
	return 0;
}

/* Is entry (as written) path itself or one of its directories? */
static bool path_under(const char *entry, const char *path)
{
	char e[4096];
	size_t n;

	if (cover__normalise(entry, e, sizeof(e)))
		return false;
	n = strlen(e);
	if (n == 1)
		return true;	/* "/" holds everything */
	return !strncmp(e, path, n) && (path[n] == 0 || path[n] == '/');
}

static size_t add(struct jg_cover *out, size_t max, size_t n, const struct jg_resource *res,
		  unsigned perms, const char *entry)
{
	if (n < max)
		out[n] = (struct jg_cover){ .res = res, .perms = perms, .entry = entry };
	return n + 1;
}

size_t cover__path(const struct jg_policy *p, const char *path, struct jg_cover *out,
		   size_t max)
{
	size_t n = 0;

	for (size_t i = 0; p && i < p->nresources; i++) {
		const struct jg_resource *r = &p->resources[i];

		for (size_t k = 0; k < r->nfiles; k++)
			if (path_under(r->files[k].path, path))
				n = add(out, max, n, r, JG_PERM_READ | JG_PERM_WRITE,
					r->files[k].path);
		for (size_t k = 0; k < r->nexec; k++)
			if (path_under(r->exec[k].path, path))
				n = add(out, max, n, r, JG_PERM_EXEC, r->exec[k].path);
	}
	return n;
}

static bool holds(const struct jg_endpoint *ep, const uint8_t addr[16], uint16_t port,
		  bool loopback_too)
{
	if (endpoint__contains(ep, addr, port))
		return true;
	return loopback_too && endpoint__touches_loopback(ep) && endpoint__in_loopback(addr, 128) &&
	       port >= ep->port_lo && port <= ep->port_hi;
}

size_t cover__endpoint(const struct jg_policy *p, const uint8_t addr[16], uint16_t port,
		       struct jg_cover *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; p && i < p->nresources; i++) {
		const struct jg_resource *r = &p->resources[i];

		for (size_t k = 0; k < r->nconnect; k++)
			if (holds(&r->connect[k], addr, port, true))
				n = add(out, max, n, r, JG_PERM_CONNECT, r->connect[k].text);
		for (size_t k = 0; k < r->nbind; k++)
			if (holds(&r->bind[k], addr, port, false))
				n = add(out, max, n, r, JG_PERM_BIND, r->bind[k].text);
	}
	return n;
}

unsigned cover__role_perms(const struct jg_role *role, const char *resource)
{
	unsigned perms = 0;

	for (size_t k = 0; role && resource && k < role->nallow; k++)
		if (!strcmp(role->allow[k].resource, resource))
			perms |= role->allow[k].perms;
	return perms;
}

size_t cover__roles(const struct jg_policy *p, const char *resource, unsigned perms,
		    const struct jg_role **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; p && resource && i < p->nroles; i++) {
		unsigned have = cover__role_perms(&p->roles[i], resource);

		if (!have || (have & perms) != perms)
			continue;
		if (n < max)
			out[n] = &p->roles[i];
		n++;
	}
	return n;
}
