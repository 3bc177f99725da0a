/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Policy -> kernel map entries: paths resolved to (dev, ino), endpoints to LPM prefixes with
 * the ranges of every covering prefix pushed down, connect endpoints on loopback spread over
 * every name of this host. Touches the host only through stat() and getifaddrs(). */
#ifndef JG_COMPILE_H
#define JG_COMPILE_H

#include <stddef.h>
#include <stdint.h>
#include "jitgate.h"
#include "policy/policy.h"

struct jg_cobject {
	uint32_t dev;			/* kernel dev_t */
	uint64_t ino;
	struct jg_object val;
	char *path;			/* the name it was found by, for audit records */
};

/* A protected object's name: a new inode at it takes over the protection (the names map). */
struct jg_cname {
	struct jg_name_key key;		/* gen is set when written */
	struct jg_name val;
};

/* A watched tree of the session trail: its directory (or file) by identity, and the
 * elevate resources whose sessions it is watched for. */
struct jg_cwatch {
	uint32_t dev;			/* kernel dev_t */
	uint64_t ino;
	struct jg_watch val;
	char *path;			/* as the policy (or the defaults) named it */
};

struct jg_cnet {
	uint8_t addr[16];
	uint8_t prefixlen;		/* 0..128 */
	struct jg_net_value val;
};

/* One expanded standing rule: subject running the executable (dev, ino; 0, 0 = any program)
 * holds `perms` (enum jg_perm bits) on `resource`. */
struct jg_cstanding {
	uint32_t subject;
	uint16_t resource;
	uint32_t dev;			/* kernel dev_t */
	uint64_t ino;
	uint32_t perms;
	uint32_t igen;			/* the executable's i_generation, 0 = any */
};

struct jg_compiled {
	struct jg_cobject *objs; size_t nobjs;
	struct jg_cnet *nets;    size_t nnets;
	struct jg_cnet *binds;   size_t nbinds;	/* bind endpoints, with the wildcards'
						 * ::ffff:0.0.0.0/128 and ::/128 */
	uint32_t *devs;          size_t ndevs;
	size_t nhardlinks;		/* objects added for multiply-linked files inside trees */
	struct jg_cname *names;  size_t nnames;	/* the names of files and exec objects */
	struct jg_cobject *ancestors; size_t nancestors;	/* directories above them */
	uint16_t elevate_res[JG_MAX_ELEVATE];	/* resource ids of kind elevate */
	uint8_t elevate_mode[JG_MAX_ELEVATE];	/* enum jg_mode */
	size_t nelevate;
	uint16_t admin_res;		/* the gate-admin resource's id (0: none) */
	struct jg_cwatch *watch; size_t nwatch;	/* the session trail's watched trees */
	char **watch_missing; size_t nwatch_missing;	/* default trees this host lacks */
	struct jg_cstanding *standing; size_t nstanding;	/* users and group members
						 * resolved, one entry per (subject, resource,
						 * executable) */
	uint8_t (*hosts)[16];    size_t nhosts;	/* this host's addresses outside loopback at
						 * compile time, IPv4 as ::ffff:a.b.c.d */
	size_t nloopback_eps;		/* connect endpoints on loopback: each also protects
					 * the loopback prefixes and every host address */
};

/* Standing entries per policy: half of the map, which holds two generations. */
#define JG_MAX_STANDING_PER_GEN (JG_MAX_STANDING / 2)

/* ids[i] is the kernel resource id of p->resources[i] (1..JG_MAX_RESOURCES-1).
 * Returns 0, or -errno with "FILE:LINE:COLUMN: message" in err. */
int compile__policy(const struct jg_policy *p, const uint16_t *ids, struct jg_compiled **out,
		    char *err, size_t errlen);
/* Flags for compile__policy_opts. */
#define JG_COMPILE_NO_HARDLINK_WALK (1u << 0)	/* `policy check`: no readdir inside trees */
#define JG_COMPILE_NO_HOST_ADDRS    (1u << 1)	/* loopback endpoints cover loopback only */
int compile__policy_opts(const struct jg_policy *p, const uint16_t *ids, unsigned flags,
			 struct jg_compiled **out, char *err, size_t errlen);
/* As compile__policy_opts, with the host's addresses given instead of asked (getifaddrs).
 * Loopback ones among them are skipped: the loopback prefixes hold them. */
int compile__policy_hosts(const struct jg_policy *p, const uint16_t *ids, unsigned flags,
			  const uint8_t (*hosts)[16], size_t nhosts, struct jg_compiled **out,
			  char *err, size_t errlen);
/* "10.0.2.15" or "2001:db8::5" for a 16-byte address (IPv4 as ::ffff:a.b.c.d); buf has room
 * for INET6_ADDRSTRLEN. Returns buf. */
const char *compile__addr_text(const uint8_t addr[16], char *buf, size_t len);
/* This host's addresses now, outside loopback, IPv4 as ::ffff:a.b.c.d; free(*out). */
int compile__host_addrs(uint8_t (**out)[16], size_t *nout, char *err, size_t errlen);
void compile__free(struct jg_compiled *c);

/* Userspace st_dev -> the kernel's encoding of a dev_t (major << 20 | minor). For the
 * filesystem a path is on, as the gate sees it, use mounts__identify: st_dev is not always
 * super_block->s_dev. */
uint32_t compile__kdev(uint64_t st_dev);

/* Add the canary object (resource JG_CANARY_RESOURCE). */
int compile__add_canary(struct jg_compiled *c, const char *path, char *err, size_t errlen);

#endif
