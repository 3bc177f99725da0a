// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Policy -> kernel map entries (compile.h): objects by (dev, ino) with the hardlinks inside
 * protected trees, names, endpoints as LPM prefixes, elevation; standing rules are expanded
 * in standing.c. */
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
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "policy/compile.h"
#include "policy/compiler.h"
#include "lib/mounts.h"

/* Half of each map: a reload writes the next generation beside the live one. */
#define MAX_NAMES_PER_GEN (JG_MAX_NAMES / 2)
#define MAX_OBJS_PER_GEN (JG_MAX_OBJECTS / 2)
#define MAX_NETS_PER_GEN (JG_MAX_NET_PREFIXES / 2)
#define MAX_BINDS_PER_GEN (JG_MAX_BIND_PREFIXES / 2)

uint32_t compile__kdev(uint64_t st_dev)
{
	return (uint32_t)((major(st_dev) << 20) | (minor(st_dev) & 0xfffff));
}

/* The mount table of the compile in progress (compiling is single-threaded, like nftw). */
static struct jg_mounts mounts_now;

/* The filesystem identity the kernel compares: (super_block->s_dev, inode). */
static int identify(const char *path, uint32_t *kdev, uint64_t *ino, const char **fstype)
{
	return mounts__identify(&mounts_now, path, kdev, ino, fstype);
}

/* The kernel dev of a path already stat()ed (st_dev when statx cannot tell). */
uint32_t compile__kdev_of_path(const char *path, dev_t st_dev)
{
	const char *fstype;
	uint32_t kdev;
	uint64_t ino;
	bool mine = !mounts_now.v;

	if (mine && mounts__load(&mounts_now, NULL))
		return compile__kdev(st_dev);
	if (identify(path, &kdev, &ino, &fstype))
		kdev = compile__kdev(st_dev);
	if (mine)
		mounts__free(&mounts_now);
	return kdev;
}

int compile__grow(void **arr, size_t n, size_t elem)
{
	void *p;

	/* capacity is 16, then doubles whenever n reaches a power of two */
	if (n && (n < 16 || (n & (n - 1))))
		return 0;
	p = realloc(*arr, (n ? n * 2 : 16) * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static struct jg_cobject *find_obj(struct jg_compiled *c, uint32_t dev, uint64_t ino)
{
	for (size_t i = 0; i < c->nobjs; i++)
		if (c->objs[i].dev == dev && c->objs[i].ino == ino)
			return &c->objs[i];
	return NULL;
}

static int add_dev(struct jg_compiled *c, uint32_t dev)
{
	for (size_t i = 0; i < c->ndevs; i++)
		if (c->devs[i] == dev)
			return 0;
	if (compile__grow((void **)&c->devs, c->ndevs, sizeof(*c->devs)))
		return -ENOMEM;
	c->devs[c->ndevs++] = dev;
	return 0;
}

/* The inode's i_generation (FS_IOC_GETVERSION: ext4, btrfs, xfs, ...), which the kernel
 * compares with the inode it meets, so that a reused inode number (a deleted file's, or on
 * btrfs another subvolume's) is not taken for the object. 0 (any inode with the number)
 * where the filesystem has none to give or the file cannot be opened (`policy check` as an
 * ordinary user). */
uint32_t compile__igen_of(const char *path)
{
	int gen = 0, fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (ioctl(fd, FS_IOC_GETVERSION, &gen))
		gen = 0;
	close(fd);
	return (uint32_t)gen;
}

static int add_obj(struct jg_compiled *c, uint32_t dev, uint64_t ino, uint16_t res, uint8_t kind,
		   uint8_t mode, const char *path)
{
	struct jg_cobject *o;

	if (c->nobjs >= MAX_OBJS_PER_GEN)
		return -E2BIG;
	if (compile__grow((void **)&c->objs, c->nobjs, sizeof(*c->objs)))
		return -ENOMEM;
	o = &c->objs[c->nobjs];
	o->dev = dev;
	o->ino = ino;
	o->val = (struct jg_object){ .resource = res, .kind = kind, .mode = mode,
				     .igen = compile__igen_of(path) };
	o->path = strdup(path);
	if (!o->path)
		return -ENOMEM;
	c->nobjs++;
	return add_dev(c, dev);
}

/* nftw has no user pointer: the walk below is single-threaded, so a static context is safe. */
static struct {
	struct jg_compiled *c;
	uint32_t dev;
	dev_t st_dev;		/* stat's device of the tree's top: nftw stays on it */
	uint16_t res;
	uint8_t kind, mode;
	int err;
	char where[256];
} walk;

/* A file with more than one link can be reached by a name outside the tree, where the
 * d_parent walk would not see the protected ancestor: protect that inode by itself. */
static int walk_hardlinks(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DNR || type == FTW_NS) {
		/* a directory we cannot read may hide a hardlinked file: refuse, never guess */
		walk.err = -EACCES;
		snprintf(walk.where, sizeof(walk.where), "%s", path);
		return 1;
	}
	if (type != FTW_F || st->st_nlink < 2 || S_ISDIR(st->st_mode))
		return 0;
	if (st->st_dev != walk.st_dev)
		return 0;
	if (find_obj(walk.c, walk.dev, st->st_ino))
		return 0;
	walk.err = add_obj(walk.c, walk.dev, st->st_ino, walk.res, walk.kind, walk.mode, path);
	if (!walk.err)
		walk.c->nhardlinks++;
	return walk.err ? 1 : 0;
}

/* Remember where the object is: its directory and last name. A new inode put there later
 * (rename over it, create after unlink) is protected by the kernel at once. An object that
 * is a mount point, or "/", has no such name (nothing can be put at it). */
static int add_name(struct jg_compiled *c, const char *path, uint32_t dev, uint64_t ino,
		    const struct jg_object *val)
{
	char buf[PATH_MAX], dirbuf[PATH_MAX];
	const char *fstype, *base, *dir;
	struct jg_cname *n;
	uint64_t dir_ino;
	uint32_t dir_dev;

	snprintf(buf, sizeof(buf), "%s", path);
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	base = basename(buf);
	dir = dirname(dirbuf);
	if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
		return 0;
	if (identify(dir, &dir_dev, &dir_ino, &fstype) || dir_dev != dev)
		return 0;
	if (c->nnames >= MAX_NAMES_PER_GEN)
		return -E2BIG;
	if (compile__grow((void **)&c->names, c->nnames, sizeof(*c->names)))
		return -ENOMEM;
	n = &c->names[c->nnames++];
	memset(n, 0, sizeof(*n));
	n->key.dev = dev;
	n->key.dir_ino = dir_ino;
	/* cut like the kernel's copy of the name: at most JG_NAME_KEY_LEN - 1 bytes */
	strncpy(n->key.name, base, sizeof(n->key.name) - 1);
	n->val.ino = ino;
	n->val.obj = *val;
	return 0;
}

/* Every directory above an object, up to its filesystem's root: renaming one needs the
 * object's grant (bpf/files.bpf.h gate_ancestor). The first object below a directory names
 * the resource. */
static int add_ancestors(struct jg_compiled *c, const char *path, uint32_t dev,
			 const struct jg_object *val)
{
	char buf[PATH_MAX];
	const char *fstype;
	uint64_t ino;
	uint32_t kdev;

	snprintf(buf, sizeof(buf), "%s", path);
	for (;;) {
		char *dir = dirname(buf);
		bool seen = false;

		if (identify(dir, &kdev, &ino, &fstype) || kdev != dev)
			return 0;	/* another filesystem: its rename cannot move ours */
		for (size_t i = 0; i < c->nancestors && !seen; i++)
			seen = c->ancestors[i].dev == kdev && c->ancestors[i].ino == ino;
		if (!seen) {
			struct jg_cobject *a;

			if (c->nancestors >= JG_MAX_ANCESTORS / 2)
				return -E2BIG;
			if (compile__grow((void **)&c->ancestors, c->nancestors, sizeof(*c->ancestors)))
				return -ENOMEM;
			a = &c->ancestors[c->nancestors++];
			memset(a, 0, sizeof(*a));
			a->dev = kdev;
			a->ino = ino;
			a->val = *val;
			a->val.igen = compile__igen_of(dir);
		}
		if (!strcmp(dir, "/") || !strcmp(dir, "."))
			return 0;
		memmove(buf, dir, strlen(dir) + 1);
	}
}

static int add_path(struct jg_compiled *c, const struct jg_policy *p,
		    const struct jg_resource *r, const struct jg_path *jp, uint16_t res,
		    uint8_t kind, unsigned flags, char *err, size_t errlen)
{
	uint8_t mode = r->audit_mode ? JG_MODE_AUDIT : JG_MODE_ENFORCE;
	const char *fstype;
	struct jg_cobject *o;
	struct stat st;
	uint64_t ino;
	uint32_t dev;
	int ret;

	if (stat(jp->path, &st) || identify(jp->path, &dev, &ino, &fstype)) {
		ret = -errno;
		snprintf(err, errlen, "%s:%d:%d: resource \"%s\": cannot protect \"%s\": %s",
			 p->file, jp->pos.line, jp->pos.col, r->name, jp->path, strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s:%d:%d: resource \"%s\": \"%s\" is neither a regular file "
			 "nor a directory", p->file, jp->pos.line, jp->pos.col, r->name, jp->path);
		return -EINVAL;
	}
	if (!strcmp(fstype, "overlay")) {
		/* its files are checked as the layers' inodes, which stat here does not show */
		snprintf(err, errlen, "%s:%d:%d: resource \"%s\": \"%s\" is on overlayfs: protect "
			 "it in the layer's own directory, where the kernel checks it",
			 p->file, jp->pos.line, jp->pos.col, r->name, jp->path);
		return -EINVAL;
	}
	o = find_obj(c, dev, st.st_ino);
	if (o) {
		if (o->val.resource == res && o->val.kind == kind)
			return 0;
		snprintf(err, errlen, "%s:%d:%d: resource \"%s\": \"%s\" is already protected by "
			 "another resource (one object, one resource)", p->file, jp->pos.line,
			 jp->pos.col, r->name, jp->path);
		return -EEXIST;
	}
	ret = add_obj(c, dev, st.st_ino, res, kind, mode, jp->path);
	if (!ret)
		ret = add_name(c, jp->path, dev, st.st_ino, &c->objs[c->nobjs - 1].val);
	if (!ret)
		ret = add_ancestors(c, jp->path, dev, &c->objs[c->nobjs - 1].val);
	if (ret == 0 && S_ISDIR(st.st_mode) && !(flags & JG_COMPILE_NO_HARDLINK_WALK)) {
		walk.c = c;
		walk.dev = dev;
		walk.st_dev = st.st_dev;
		walk.res = res;
		walk.kind = kind;
		walk.mode = mode;
		walk.err = 0;
		snprintf(walk.where, sizeof(walk.where), "%s", jp->path);
		if (nftw(jp->path, walk_hardlinks, 32, FTW_PHYS | FTW_MOUNT) < 0 && !walk.err)
			walk.err = -errno;
		ret = walk.err;
	}
	if (ret == -E2BIG)
		snprintf(err, errlen, "%s:%d:%d: resource \"%s\": the policy protects more than %d "
			 "objects or %d names", p->file, jp->pos.line, jp->pos.col, r->name,
			 MAX_OBJS_PER_GEN, MAX_NAMES_PER_GEN);
	else if (ret)
		snprintf(err, errlen, "%s:%d:%d: resource \"%s\": cannot walk \"%s\" (at %s): %s",
			 p->file, jp->pos.line, jp->pos.col, r->name, jp->path, walk.where,
			 strerror(-ret));
	return ret;
}

/* An elevate resource: its id for the kernel's config, and its except list as programs
 * identified by (dev, ino), matched exactly (no ancestor walk, so no device entry). */
static int add_elevate(struct jg_compiled *c, const struct jg_policy *p,
		       const struct jg_resource *r, uint16_t res, char *err, size_t errlen)
{
	uint8_t mode = r->audit_mode ? JG_MODE_AUDIT : JG_MODE_ENFORCE;

	if (c->nelevate >= JG_MAX_ELEVATE) {
		snprintf(err, errlen, "%s:%d:%d: resource \"%s\": the policy has more than %d "
			 "elevate resources", p->file, r->pos.line, r->pos.col, r->name,
			 JG_MAX_ELEVATE);
		return -E2BIG;
	}
	c->elevate_res[c->nelevate] = res;
	c->elevate_mode[c->nelevate++] = mode;
	for (size_t j = 0; j < r->nelevate_except; j++) {
		const struct jg_path *jp = &r->elevate_except[j];
		struct jg_cobject *o;
		struct stat st;
		uint32_t dev;

		if (stat(jp->path, &st)) {
			snprintf(err, errlen, "%s:%d:%d: resource \"%s\": cannot resolve the elevate "
				 "exception \"%s\": %s", p->file, jp->pos.line, jp->pos.col,
				 r->name, jp->path, strerror(errno));
			return -errno;
		}
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s:%d:%d: resource \"%s\": the elevate exception \"%s\" "
				 "is not a regular file", p->file, jp->pos.line, jp->pos.col,
				 r->name, jp->path);
			return -EINVAL;
		}
		dev = compile__kdev_of_path(jp->path, st.st_dev);
		o = find_obj(c, dev, st.st_ino);
		if (o) {
			if (o->val.kind == JG_KIND_ELEVATE_EXCEPT)
				continue;
			snprintf(err, errlen, "%s:%d:%d: resource \"%s\": \"%s\" is already protected "
				 "by another resource (one object, one resource)", p->file,
				 jp->pos.line, jp->pos.col, r->name, jp->path);
			return -EEXIST;
		}
		if (c->nobjs >= MAX_OBJS_PER_GEN) {
			snprintf(err, errlen, "%s:%d:%d: resource \"%s\": the policy protects more "
				 "than %d objects", p->file, jp->pos.line, jp->pos.col, r->name,
				 MAX_OBJS_PER_GEN);
			return -E2BIG;
		}
		if (compile__grow((void **)&c->objs, c->nobjs, sizeof(*c->objs)))
			return -ENOMEM;
		o = &c->objs[c->nobjs];
		o->dev = dev;
		o->ino = st.st_ino;
		o->val = (struct jg_object){ .resource = res, .kind = JG_KIND_ELEVATE_EXCEPT,
					     .mode = mode, .igen = compile__igen_of(jp->path) };
		o->path = strdup(jp->path);
		if (!o->path)
			return -ENOMEM;
		c->nobjs++;
	}
	return 0;
}

/* Watch `path` for the sessions of elevate resource `res`: one entry per (dev, ino), the
 * resources that watch it listed in it. */
static int add_watch(struct jg_compiled *c, const char *path, const struct stat *st,
		     uint16_t res)
{
	uint32_t dev = compile__kdev_of_path(path, st->st_dev);
	struct jg_cwatch *w = NULL;

	for (size_t i = 0; i < c->nwatch && !w; i++)
		if (c->watch[i].dev == dev && c->watch[i].ino == st->st_ino)
			w = &c->watch[i];
	if (!w) {
		if (c->nwatch >= JG_MAX_WATCH / 2)
			return -E2BIG;
		if (compile__grow((void **)&c->watch, c->nwatch, sizeof(*c->watch)))
			return -ENOMEM;
		w = &c->watch[c->nwatch];
		memset(w, 0, sizeof(*w));
		w->dev = dev;
		w->ino = st->st_ino;
		w->val.igen = compile__igen_of(path);
		if (!(w->path = strdup(path)))
			return -ENOMEM;
		c->nwatch++;
	}
	for (int k = 0; k < JG_MAX_ELEVATE; k++) {
		if (w->val.resource[k] == res)
			return 0;
		if (!w->val.resource[k]) {
			w->val.resource[k] = res;
			return 0;
		}
	}
	return 0;	/* cannot happen: at most JG_MAX_ELEVATE elevate resources */
}

/* The watched trees of an elevate resource: its "watch" list, which must exist, or the
 * defaults, of which those this host lacks are skipped (and named in watch_missing). */
static int add_watches(struct jg_compiled *c, const struct jg_policy *p,
		       const struct jg_resource *r, uint16_t res, char *err, size_t errlen)
{
	static const char *const defaults[] = JG_WATCH_DEFAULTS;
	size_t n = r->has_watch ? r->nelevate_watch : sizeof(defaults) / sizeof(defaults[0]);
	struct stat st;
	int ret;

	for (size_t j = 0; j < n; j++) {
		const struct jg_path *jp = r->has_watch ? &r->elevate_watch[j] : NULL;
		const char *path = jp ? jp->path : defaults[j];

		if (stat(path, &st)) {
			ret = -errno;
			if (jp) {
				snprintf(err, errlen, "%s:%d:%d: resource \"%s\": cannot resolve the "
					 "watched tree \"%s\": %s", p->file, jp->pos.line,
					 jp->pos.col, r->name, path, strerror(-ret));
				return ret;
			}
			for (size_t k = 0; k < c->nwatch_missing; k++)
				if (!strcmp(c->watch_missing[k], path))
					goto next;
			if (compile__grow((void **)&c->watch_missing, c->nwatch_missing,
					  sizeof(*c->watch_missing)) ||
			    !(c->watch_missing[c->nwatch_missing] = strdup(path)))
				return -ENOMEM;
			c->nwatch_missing++;
			continue;
		}
		ret = add_watch(c, path, &st, res);
		if (ret == -E2BIG)
			snprintf(err, errlen, "%s:%d:%d: resource \"%s\": the policy watches more than "
				 "%d trees", p->file, jp ? jp->pos.line : r->pos.line,
				 jp ? jp->pos.col : r->pos.col, r->name, JG_MAX_WATCH / 2);
		if (ret)
			return ret;
next:;
	}
	return 0;
}

static bool prefix_covers(const uint8_t *outer, int olen, const uint8_t *inner, int ilen)
{
	int full = olen / 8, rest = olen % 8;

	if (olen > ilen)
		return false;
	if (memcmp(outer, inner, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((outer[full] & mask) != (inner[full] & mask))
			return false;
	}
	return true;
}

static const uint8_t any4[16] = { [10] = 0xff, [11] = 0xff }, any6[16];

static bool is_host_addr(const struct jg_compiled *c, const uint8_t *addr, int prefixlen)
{
	for (size_t i = 0; prefixlen == 128 && i < c->nhosts; i++)
		if (!memcmp(c->hosts[i], addr, 16))
			return true;
	return false;
}

/* Does endpoint ep apply to the prefix n? A connect endpoint on loopback is this host's
 * service: it applies to every loopback prefix and to the host's own addresses. For bind,
 * the /128 keys of the wildcards 0.0.0.0 and :: take every endpoint inside what a bind of
 * them covers: all IPv4 addresses, or all. */
static bool ep_applies(const struct jg_compiled *c, const struct jg_endpoint *ep,
		       const struct jg_cnet *n, bool bind)
{
	if (prefix_covers(ep->addr, ep->prefixlen, n->addr, n->prefixlen))
		return true;
	if (!bind)
		return endpoint__touches_loopback(ep) &&
		       (endpoint__in_loopback(n->addr, n->prefixlen) ||
			is_host_addr(c, n->addr, n->prefixlen));
	if (n->prefixlen != 128)
		return false;
	if (!memcmp(n->addr, any6, 16))
		return true;
	return !memcmp(n->addr, any4, 16) && prefix_covers(any4, 96, ep->addr, ep->prefixlen);
}

static bool has_range(const struct jg_net_value *v, const struct jg_endpoint *ep, uint16_t res)
{
	for (unsigned k = 0; k < v->count && k < JG_MAX_PORT_RANGES; k++)
		if (v->ranges[k].lo == ep->port_lo && v->ranges[k].hi == ep->port_hi &&
		    v->ranges[k].resource == res)
			return true;
	return false;
}

static int add_prefix(struct jg_cnet **nets, size_t *nnets, size_t max, const uint8_t *addr,
		      uint8_t prefixlen)
{
	for (size_t k = 0; k < *nnets; k++)
		if ((*nets)[k].prefixlen == prefixlen && !memcmp((*nets)[k].addr, addr, 16))
			return 0;
	if (*nnets >= max)
		return -E2BIG;
	if (compile__grow((void **)nets, *nnets, sizeof(**nets)))
		return -ENOMEM;
	memset(&(*nets)[*nnets], 0, sizeof(**nets));
	memcpy((*nets)[*nnets].addr, addr, 16);
	(*nets)[*nnets].prefixlen = prefixlen;
	(*nnets)++;
	return 0;
}

static int add_endpoints(struct jg_compiled *c, const struct jg_policy *p, const uint16_t *ids,
			 bool bind, char *err, size_t errlen)
{
	struct jg_cnet **nets = bind ? &c->binds : &c->nets;
	size_t *nnets = bind ? &c->nbinds : &c->nnets;
	size_t max = bind ? MAX_BINDS_PER_GEN : MAX_NETS_PER_GEN;
	bool any = false;
	int ret;

	/* Unique prefixes first, then every endpoint whose prefix covers one pushes its range
	 * into it: the longest-prefix match then carries all ranges that apply. */
	for (size_t i = 0; i < p->nresources; i++) {
		const struct jg_resource *r = &p->resources[i];
		size_t n = bind ? r->nbind : r->nconnect;

		for (size_t j = 0; j < n; j++) {
			const struct jg_endpoint *ep = bind ? &r->bind[j] : &r->connect[j];

			any = true;
			ret = add_prefix(nets, nnets, max, ep->addr, ep->prefixlen);
			if (ret == -E2BIG)
				snprintf(err, errlen, "%s:%d:%d: the policy names more than %zu %s "
					 "prefixes", p->file, ep->pos.line, ep->pos.col, max,
					 bind ? "bind" : "network");
			if (ret)
				return ret;
		}
	}
	/* this host under every name: the loopback prefixes and the host's addresses */
	for (size_t i = 0; !bind && i < p->nresources; i++)
		for (size_t j = 0; j < p->resources[i].nconnect; j++)
			if (endpoint__touches_loopback(&p->resources[i].connect[j]))
				c->nloopback_eps++;
	for (int l = 0; c->nloopback_eps && l < JG_NLOOPBACK; l++) {
		ret = add_prefix(nets, nnets, max, jg_loopback[l].addr, jg_loopback[l].prefixlen);
		if (ret == -E2BIG)
			snprintf(err, errlen, "%s: the policy names more than %zu network prefixes "
				 "with this host's loopback addresses", p->file, max);
		if (ret)
			return ret;
	}
	for (size_t h = 0; c->nloopback_eps && h < c->nhosts; h++) {
		ret = add_prefix(nets, nnets, max, c->hosts[h], 128);
		if (ret == -E2BIG)
			snprintf(err, errlen, "%s: the policy names more than %zu network prefixes "
				 "with this host's %zu addresses", p->file, max, c->nhosts);
		if (ret)
			return ret;
	}
	if (bind && any) {
		if ((ret = add_prefix(nets, nnets, max, any4, 128)) ||
		    (ret = add_prefix(nets, nnets, max, any6, 128))) {
			if (ret == -E2BIG)
				snprintf(err, errlen, "%s: the policy names more than %zu bind "
					 "prefixes", p->file, max - 2);
			return ret;
		}
	}
	for (size_t k = 0; k < *nnets; k++) {
		struct jg_cnet *n = &(*nets)[k];

		for (size_t i = 0; i < p->nresources; i++) {
			const struct jg_resource *r = &p->resources[i];
			size_t m = bind ? r->nbind : r->nconnect;

			for (size_t j = 0; j < m; j++) {
				const struct jg_endpoint *ep = bind ? &r->bind[j] : &r->connect[j];
				struct jg_port_range *pr;

				if (!ep_applies(c, ep, n, bind))
					continue;
				if (has_range(&n->val, ep, ids[i]))
					continue;	/* one resource, two names of this host */
				if (n->val.count >= JG_MAX_PORT_RANGES) {
					snprintf(err, errlen, "%s:%d:%d: resource \"%s\": more than %d "
						 "port ranges apply to one network prefix", p->file,
						 ep->pos.line, ep->pos.col, r->name,
						 JG_MAX_PORT_RANGES);
					return -E2BIG;
				}
				pr = &n->val.ranges[n->val.count++];
				pr->lo = ep->port_lo;
				pr->hi = ep->port_hi;
				pr->resource = ids[i];
				pr->mode = r->audit_mode ? JG_MODE_AUDIT : JG_MODE_ENFORCE;
			}
		}
	}
	return 0;
}

int compile__policy(const struct jg_policy *p, const uint16_t *ids, struct jg_compiled **out,
		    char *err, size_t errlen)
{
	return compile__policy_opts(p, ids, 0, out, err, errlen);
}

static int add_host(uint8_t (**hosts)[16], size_t *n, const uint8_t *addr)
{
	if (endpoint__in_loopback(addr, 128))
		return 0;	/* the loopback prefixes hold it already */
	for (size_t i = 0; i < *n; i++)
		if (!memcmp((*hosts)[i], addr, 16))
			return 0;
	if (compile__grow((void **)hosts, *n, sizeof(**hosts)))
		return -ENOMEM;
	memcpy((*hosts)[(*n)++], addr, 16);
	return 0;
}

const char *compile__addr_text(const uint8_t addr[16], char *buf, size_t len)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (!memcmp(addr, mapped, 12))
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, addr, buf, (socklen_t)len);
	return buf;
}

int compile__host_addrs(uint8_t (**out)[16], size_t *nout, char *err, size_t errlen)
{
	uint8_t (*hosts)[16] = NULL, a[16];
	struct ifaddrs *ifa = NULL;
	size_t n = 0;
	int ret = 0;

	if (getifaddrs(&ifa)) {
		ret = -errno;
		snprintf(err, errlen, "cannot list this host's addresses: %s", strerror(-ret));
		return ret;
	}
	for (struct ifaddrs *i = ifa; i && !ret; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		memset(a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a[10] = a[11] = 0xff;
			memcpy(&a[12], &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			memcpy(a, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		ret = add_host(&hosts, &n, a);
	}
	freeifaddrs(ifa);
	if (ret) {
		free(hosts);
		snprintf(err, errlen, "out of memory while listing this host's addresses");
		return ret;
	}
	*out = hosts;
	*nout = n;
	return 0;
}

int compile__policy_opts(const struct jg_policy *p, const uint16_t *ids, unsigned flags,
			 struct jg_compiled **out, char *err, size_t errlen)
{
	uint8_t (*hosts)[16] = NULL;
	size_t nhosts = 0;
	int ret;

	if (!(flags & JG_COMPILE_NO_HOST_ADDRS) &&
	    (ret = compile__host_addrs(&hosts, &nhosts, err, errlen)))
		return ret;
	ret = compile__policy_hosts(p, ids, flags, (const uint8_t (*)[16])hosts, nhosts, out,
				    err, errlen);
	free(hosts);
	return ret;
}

int compile__policy_hosts(const struct jg_policy *p, const uint16_t *ids, unsigned flags,
			  const uint8_t (*hosts)[16], size_t nhosts, struct jg_compiled **out,
			  char *err, size_t errlen)
{
	struct jg_compiled *c = calloc(1, sizeof(*c));
	int ret = 0;

	if (!c || mounts__load(&mounts_now, NULL)) {
		free(c);
		return -ENOMEM;
	}
	for (size_t h = 0; h < nhosts && !ret; h++)
		ret = add_host(&c->hosts, &c->nhosts, hosts[h]);
	for (size_t i = 0; i < p->nresources && !ret; i++) {
		const struct jg_resource *r = &p->resources[i];

		for (size_t j = 0; j < r->nfiles && !ret; j++)
			ret = add_path(c, p, r, &r->files[j], ids[i], JG_KIND_FILES, flags, err,
				       errlen);
		for (size_t j = 0; j < r->nexec && !ret; j++)
			ret = add_path(c, p, r, &r->exec[j], ids[i], JG_KIND_EXEC, flags, err,
				       errlen);
		if (!ret && (r->kinds & JG_RES_ELEVATE))
			ret = add_elevate(c, p, r, ids[i], err, errlen);
		if (r->kinds & JG_RES_GATE)
			c->admin_res = ids[i];	/* one per policy (resources.c) */
		if (!ret && (r->kinds & JG_RES_ELEVATE))
			ret = add_watches(c, p, r, ids[i], err, errlen);
	}
	if (!ret)
		ret = add_endpoints(c, p, ids, false, err, errlen);
	if (!ret)
		ret = add_endpoints(c, p, ids, true, err, errlen);
	for (size_t i = 0; i < p->nstanding && !ret; i++)
		ret = compile__standing(c, p, ids, i, err, errlen);
	mounts__free(&mounts_now);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory while compiling the policy", p->file);
		compile__free(c);
		return ret;
	}
	*out = c;
	return 0;
}

int compile__add_canary(struct jg_compiled *c, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	if (stat(path, &st)) {
		ret = -errno;
		snprintf(err, errlen, "cannot stat the canary %s: %s", path, strerror(-ret));
		return ret;
	}
	ret = add_obj(c, compile__kdev_of_path(path, st.st_dev), st.st_ino, JG_CANARY_RESOURCE,
		      JG_KIND_FILES, JG_MODE_ENFORCE, path);
	if (ret)
		snprintf(err, errlen, "cannot add the canary: %s", strerror(-ret));
	return ret;
}

void compile__free(struct jg_compiled *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nobjs; i++)
		free(c->objs[i].path);
	free(c->objs);
	free(c->nets);
	free(c->binds);
	free(c->devs);
	free(c->standing);
	free(c->names);
	free(c->ancestors);
	free(c->hosts);
	for (size_t i = 0; i < c->nwatch; i++)
		free(c->watch[i].path);
	free(c->watch);
	for (size_t i = 0; i < c->nwatch_missing; i++)
		free(c->watch_missing[i]);
	free(c->watch_missing);
	free(c);
}
