// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The policy's "notify" hooks, and the request events they may listen to. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jitgate.h"
#include "lib/duration.h"
#include "lib/jsonpos.h"
#include "policy/parse.h"

static const char *const notify_events[] = { "request.create", "request.approve",
					     "request.deny", "request.cancel", "request.expire",
					     "session.warn", NULL };

unsigned policy__notify_event_bit(const char *type)
{
	for (unsigned i = 0; notify_events[i]; i++)
		if (!strcmp(type, notify_events[i]))
			return 1u << i;
	return 0;
}

int parse_notify(struct ctx *c, json_t *v, const char *ptr)
{
	static const char *const known[] = { "on", "command", "timeout", NULL };
	char eptr[PTR_MAX], kptr[PTR_MAX], aptr[PTR_MAX], what[64], w[128];
	const char *key;
	json_t *hook, *val, *a;
	size_t i, k;
	int ret;

	if ((ret = get_array(c, v, ptr, "\"notify\"", "[{\"command\": [\"/usr/local/bin/page\"]}]",
			     true)))
		return ret;
	c->p->nnotify = json_array_size(v);
	if (c->p->nnotify && !(c->p->notify = calloc(c->p->nnotify, sizeof(*c->p->notify))))
		return oom(c);
	json_array_foreach(v, i, hook) {
		struct jg_notify_hook *h = &c->p->notify[i];

		elem(eptr, ptr, i);
		fmt(what, sizeof(what), "notify hook %zu", i + 1);
		h->pos = jsonpos__value(c->jp, eptr);
		h->events = JG_NOTIFY_ALL;
		h->timeout_s = 10;
		if ((ret = get_object(c, hook, eptr, what)))
			return ret;
		json_object_foreach(hook, key, val) {
			child(kptr, eptr, key);
			fmt(w, sizeof(w), "%s: %s", what, key);
			if (!strcmp(key, "on")) {
				if ((ret = get_array(c, val, kptr, w, "[\"request.create\"]", false)))
					return ret;
				h->events = 0;
				json_array_foreach(val, k, a) {
					const char *s;
					unsigned bit;

					elem(aptr, kptr, k);
					if ((ret = get_str(c, a, aptr, w, &s)))
						return ret;
					bit = policy__notify_event_bit(s);
					if (!bit)
						return fail_val(c, aptr, "%s: %s is not an event hooks "
								"run on; use request.create, "
								"request.approve, request.deny, "
								"request.cancel, request.expire or "
								"session.warn",
								what, Q(c, s));
					h->events |= bit;
				}
			} else if (!strcmp(key, "command")) {
				if ((ret = get_array(c, val, kptr, w, "[\"/usr/local/bin/page\", "
						     "\"--team\", \"sre\"]", false)))
					return ret;
				h->argc = json_array_size(val);
				if (!(h->argv = calloc(h->argc + 1, sizeof(*h->argv))))
					return oom(c);
				json_array_foreach(val, k, a) {
					elem(aptr, kptr, k);
					if (k == 0) {
						struct jg_path pth = { 0 };

						if ((ret = get_path(c, a, aptr, w, &pth)))
							return ret;
						h->argv[0] = pth.path;
					} else if ((ret = dup_str(c, a, aptr, w, &h->argv[k]))) {
						return ret;
					}
				}
			} else if (!strcmp(key, "timeout")) {
				if ((ret = get_duration(c, val, kptr, w, &h->timeout_s)))
					return ret;
			} else {
				return unknown_key(c, kptr, what, key, known);
			}
		}
		if (!h->argv)
			return fail_val(c, eptr, "%s has no \"command\"; say what to run", what);
	}
	return 0;
}
