// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The gate's loader: load and attach the BPF programs or adopt the pinned ones, swap policy
 * generations, write grants and denial budgets, arm and idle the descriptor re-check.
 *
 * Size: every use of the generated skeleton (gate.skel.h) stays in this one file, so that
 * only it depends on the BPF object; pins (gate/pins.c) and the descriptor scan
 * (gate/preexisting.c) live beside it without the skeleton. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "gate.skel.h"
#include "gate/gate.h"
#include "lib/log.h"
#include "lib/mounts.h"

#define LSM_FILE "/sys/kernel/security/lsm"
#define BPF_FS_MAGIC 0xcafe4a11

/* Every program of the object is attached and its link pinned as "link_" + its name without
 * the "jg_" prefix; the file_open link's presence means "the gate is loaded" (gate/pins.c).
 * Two groups are the exception, pinned as "prog_" + name at load and attached on demand:
 * the descriptor re-check while armed (see held_files in bpf/files.bpf.h), and the
 * session-file and lend programs while an elevated session can exist (bpf/session_files.bpf.h,
 * session_lend.bpf.h: attached before an elevate grant is written, detached once no live
 * elevate grant and no session task is left). */
struct demand_group {
	const char *const *progs;	/* attach order; detached in reverse */
	size_t n;
};

/* file_free must see every file held under a grant. */
static const char *const recheck_progs[] = { "file_free", "file_permission" };
static const struct demand_group recheck = { recheck_progs, 2 };

/* The programs that make marks or guard session tasks. Those that guard marks already made
 * stay attached, as marks outlive the session's tasks (a file in flight over SCM_RIGHTS, a
 * signal owner on her pipe): sess_ffree (a mark left by a detached free hook could name a
 * later file at the same address), sess_frecv, lend_fowner (clears a record when she sets
 * the owner again) and lend_sigio; with no mark each is one array read, on rare hooks but
 * the free. */
static const char *const session_progs[] = {
	"sess_falloc", "lend_bind", "lend_listen", "lend_connect", "lend_sockopt", "lend_trace",
	"lend_ioctl", "lend_mknod", "lend_setattr", "lend_acl", "lend_open", "host_netlink",
	"made_mknod", "made_mkdir", "made_inst",
};
static const struct demand_group sessionp = {
	session_progs, sizeof(session_progs) / sizeof(session_progs[0])
};

static const char *short_name(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);

	return strncmp(name, "jg_", 3) ? name : name + 3;
}

static bool in_group(const struct demand_group *grp, const char *name)
{
	for (size_t i = 0; i < grp->n; i++)
		if (!strcmp(name, grp->progs[i]))
			return true;
	return false;
}

static bool on_demand(const struct bpf_program *prog)
{
	return in_group(&recheck, short_name(prog)) || in_group(&sessionp, short_name(prog));
}

/* The pin that says a program is in place: its link, or for the re-check its program. */
static void link_name(const struct bpf_program *prog, char *buf, size_t len)
{
	snprintf(buf, len, "%s_%s", on_demand(prog) ? "prog" : "link", short_name(prog));
}

int gate__preflight(char *err, size_t errlen)
{
	char buf[512] = "";
	ssize_t n;
	int fd, ret;

	fd = open(LSM_FILE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* securityfs may simply not be mounted yet (early boot, containers) */
		mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL);
		fd = open(LSM_FILE, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot tell which LSMs are active: %s: %s; BPF LSM cannot be "
			 "confirmed, refusing to start", LSM_FILE, strerror(-ret));
		return ret;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		n = 0;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	{
		char padded[sizeof(buf) + 2];

		snprintf(padded, sizeof(padded), ",%s,", buf);
		if (strstr(padded, ",bpf,"))
			return 0;
	}
	snprintf(err, errlen, "BPF LSM is not active: %s lists \"%s\" without \"bpf\"; add "
		 "\"lsm=%s%sbpf\" to the kernel command line and reboot", LSM_FILE, buf, buf,
		 buf[0] ? "," : "");
	return -EOPNOTSUPP;
}

static int ensure_bpffs(const char *pin_dir, char *err, size_t errlen)
{
	struct statfs sfs;
	char parent[256];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = 0;
	if (statfs(parent, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		goto mkdir;
	if (mount("bpf", parent, "bpf", 0, NULL) && errno != EBUSY) {
		snprintf(err, errlen, "%s is not a BPF filesystem and mounting one failed: %s",
			 parent, strerror(errno));
		return -errno;
	}
mkdir:
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		snprintf(err, errlen, "cannot create the pin directory %s: %s", pin_dir,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static void pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Maps that carry state across daemon restarts (everything but .rodata). */
static struct bpf_map **state_maps(struct gate_bpf *skel, size_t *n)
{
	static struct bpf_map *maps[21];

	maps[0] = skel->maps.gate_config;
	maps[1] = skel->maps.objects;
	maps[2] = skel->maps.net_prefixes;
	maps[3] = skel->maps.grants;
	maps[4] = skel->maps.stats;
	maps[5] = skel->maps.events;
	maps[6] = skel->maps.exempt_tasks;
	maps[7] = skel->maps.filters;
	maps[8] = skel->maps.bind_prefixes;
	maps[9] = skel->maps.standing;
	maps[10] = skel->maps.held_files;
	maps[11] = skel->maps.events_prio;
	maps[12] = skel->maps.deny_rate;
	maps[13] = skel->maps.deny_reported;
	maps[14] = skel->maps.standing_exes;
	maps[15] = skel->maps.names;
	maps[16] = skel->maps.ancestors;
	maps[17] = skel->maps.sessions;	/* jitgated looks a process's session up by pidfd */
	maps[18] = skel->maps.sealed;
	maps[19] = skel->maps.gate_maps;
	maps[20] = skel->maps.watched;
	*n = 21;
	return maps;
}

/* The layout version of pinned maps, read before anything else is adopted: pins of another
 * version may lack maps or have other value sizes, and the message must say why. Every
 * version starts the config with (gen, layout). 0 when it cannot be read. */
static uint32_t pinned_layout(const char *pin_dir)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0, layout = 0;
	char path[512];
	void *val;
	int fd;

	pin_path(path, sizeof(path), pin_dir, "gate_config");
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size >= 8 &&
	    (val = calloc(1, info.value_size))) {
		if (!bpf_map_lookup_elem(fd, &zero, val))
			memcpy(&layout, (char *)val + 4, sizeof(layout));
		free(val);
	}
	close(fd);
	return layout;
}

static int adopt(struct jg_gate *g, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct jg_config cfg;
	struct bpf_map **maps;
	char path[512];
	size_t n, missing = 0;
	__u32 zero = 0;
	uint32_t layout;
	int fd, ret;

	layout = pinned_layout(g->pin_dir);
	if (layout && layout != JG_LAYOUT_VERSION) {
		snprintf(err, errlen, "the pinned gate has layout version %u, this jitgated needs "
			 "%u; run 'jitgate unload' first", layout, JG_LAYOUT_VERSION);
		return -EPROTO;
	}
	bpf_object__for_each_program(prog, g->skel->obj) {
		char name[128];

		link_name(prog, name, sizeof(name));
		pin_path(path, sizeof(path), g->pin_dir, name);
		if (access(path, F_OK))
			missing++;
	}
	maps = state_maps(g->skel, &n);
	for (size_t i = 0; i < n; i++) {
		pin_path(path, sizeof(path), g->pin_dir, bpf_map__name(maps[i]));
		fd = bpf_obj_get(path);
		if (fd < 0 && errno == EPERM) {
			snprintf(err, errlen, "the sealed gate refuses this jitgated its map %s: only "
				 "the jitgated binary that loaded it (or one renamed into its place) "
				 "started by the service manager may adopt it; see docs/design.md, "
				 "\"The sealed gate\"", path);
			return -EPERM;
		}
		if (fd < 0) {
			missing++;
			continue;
		}
		ret = bpf_map__reuse_fd(maps[i], fd);
		close(fd);
		if (ret) {
			snprintf(err, errlen, "the pinned map %s does not match this version of "
				 "jitgated (%s); run 'jitgate unload' first", path, strerror(-ret));
			return ret;
		}
	}
	if (missing) {
		snprintf(err, errlen, "%s holds an incomplete gate (%zu pins missing); run "
			 "'jitgate unload' to clear it", g->pin_dir, missing);
		return -ENOENT;
	}
	bpf_object__for_each_program(prog, g->skel->obj)
		bpf_program__set_autoload(prog, false);
	ret = gate_bpf__load(g->skel);
	if (ret) {
		snprintf(err, errlen, "cannot adopt the pinned maps: %s", strerror(-ret));
		return ret;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.gate_config), &zero, &cfg) ||
	    cfg.layout != JG_LAYOUT_VERSION) {
		snprintf(err, errlen, "the pinned gate has layout version %u, this jitgated needs "
			 "%u; run 'jitgate unload' first", cfg.layout, JG_LAYOUT_VERSION);
		return -EPROTO;
	}
	g->gen = cfg.gen;
	g->ringbuf_bytes = bpf_map__max_entries(g->skel->maps.events);
	g->prio_ringbuf_bytes = bpf_map__max_entries(g->skel->maps.events_prio);
	g->max_grants = bpf_map__max_entries(g->skel->maps.grants);
	g->adopted = true;
	return 0;
}

/* Parameters of the running kernel's LSM hook (its bpf_lsm_<hook> stub), or -1 when the
 * kernel BTF does not say. Hook signatures change between kernels (idmap arguments). */
static int hook_nargs(const char *hook)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	char name[128];
	int id, n = -1;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "bpf_lsm_%s", hook);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id > 0) {
		t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
		if (t && btf_is_func_proto(t))
			n = btf_vlen(t);
	}
	btf__free(btf);
	return n;
}

/* The sealed gate's two facts a new gate starts from (bpf/seal.bpf.h): the ids of every
 * map of the object (their writable descriptors go to the trusted jitgated alone) and this
 * executable, the trusted jitgated. Written before any program is attached. */
static int seal_start(struct jg_gate *g, char *err, size_t errlen)
{
	struct jg_seal val = { .flags = JG_SEAL_TRUSTED | JG_SEAL_OBJECT | JG_SEAL_PATH };
	struct jg_seal_key key = { 0 };
	struct jg_mounts m = { 0 };
	struct bpf_map *map;
	const char *fstype;
	uint64_t ino;
	__u32 one = 1;
	int ret;

	bpf_object__for_each_map(map, g->skel->obj) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_map__fd(map);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) ||
		    bpf_map_update_elem(bpf_map__fd(g->skel->maps.gate_maps), &info.id, &one,
					BPF_ANY)) {
			ret = -errno;
			snprintf(err, errlen, "cannot record the id of the map %s for the sealed "
				 "gate: %s", bpf_map__name(map), strerror(-ret));
			return ret;
		}
	}
	mounts__load(&m, NULL);
	ret = mounts__identify(&m, "/proc/self/exe", &key.dev, &ino, &fstype);
	mounts__free(&m);
	key.ino = ino;
	if (!ret && bpf_map_update_elem(bpf_map__fd(g->skel->maps.sealed), &key, &val, BPF_ANY))
		ret = -errno;
	if (ret)
		snprintf(err, errlen, "cannot record this jitgated's executable as the trusted one: "
			 "%s", strerror(-ret));
	return ret;
}

/* A map's size before the load; 0, or the error with "WHAT size N is invalid: ..." in err. */
static int set_size(struct bpf_map *map, __u32 n, const char *what, char *err, size_t errlen)
{
	int ret = bpf_map__set_max_entries(map, n);

	if (ret)
		snprintf(err, errlen, "%s size %u is invalid: %s", what, n, strerror(-ret));
	return ret;
}

static int load_fresh(struct jg_gate *g, bool stream_allow, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct jg_config cfg = { .gen = 0, .layout = JG_LAYOUT_VERSION };
	struct bpf_map **maps;
	char path[512];
	__u32 zero = 0;
	size_t n;
	int ret;

	if ((ret = set_size(g->skel->maps.events, g->ringbuf_bytes, "ring buffer", err,
			    errlen)) ||
	    (ret = set_size(g->skel->maps.events_prio, g->prio_ringbuf_bytes,
			    "priority ring buffer", err, errlen)) ||
	    (ret = set_size(g->skel->maps.grants, g->max_grants, "grant map", err, errlen)))
		return ret;
	g->skel->rodata->ringbuf_events_allow = stream_allow;
	/* 6.1: (dentry, attr); later kernels: (idmap, dentry, attr) */
	g->skel->rodata->setattr_has_idmap = hook_nargs("inode_setattr") == 3;
	ret = gate_bpf__load(g->skel);
	if (ret == -EPERM) {
		/* what a kernel without working BPF trampolines (or without CAP_BPF) answers */
		snprintf(err, errlen, "the kernel refused to load the BPF LSM programs (%s): BPF LSM "
			 "cannot enforce on this host", strerror(-ret));
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "the kernel refused to load the BPF programs: %s (run with -v "
			 "for the verifier log)", strerror(-ret));
		return ret;
	}
	ret = bpf_map_update_elem(bpf_map__fd(g->skel->maps.gate_config), &zero, &cfg, BPF_ANY);
	if (ret) {
		ret = -errno;
		snprintf(err, errlen, "cannot initialise the config map: %s", strerror(-ret));
		return ret;
	}
	ret = seal_start(g, err, errlen);
	if (ret)
		return ret;
	/* Pin maps before links: a link pinned alone would be a gate nobody can feed. */
	maps = state_maps(g->skel, &n);
	for (size_t i = 0; i < n; i++) {
		pin_path(path, sizeof(path), g->pin_dir, bpf_map__name(maps[i]));
		ret = bpf_map__pin(maps[i], path);
		if (ret) {
			snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	bpf_object__for_each_program(prog, g->skel->obj) {
		struct bpf_link *link;
		char name[128];

		link_name(prog, name, sizeof(name));
		pin_path(path, sizeof(path), g->pin_dir, name);
		if (on_demand(prog)) {
			ret = bpf_program__pin(prog, path);
			if (ret) {
				snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
				return ret;
			}
			continue;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			ret = -errno;
			snprintf(err, errlen, "the kernel refused to attach the BPF program for %s: %s; "
				 "BPF LSM cannot enforce on this host",
				 bpf_program__section_name(prog), strerror(-ret));
			return ret;
		}
		ret = bpf_link__pin(link, path);
		/* The pin holds the link now; our reference can go. */
		bpf_link__destroy(link);
		if (ret) {
			snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int gate__open(struct jg_gate **out, const char *pin_dir, const struct jg_gate_opts *o,
	       char *err, size_t errlen)
{
	struct jg_gate *g = calloc(1, sizeof(*g));
	bool fresh;
	int ret;

	if (!g)
		return -ENOMEM;
	snprintf(g->pin_dir, sizeof(g->pin_dir), "%s", pin_dir);
	g->ringbuf_bytes = o->ringbuf_bytes;
	g->prio_ringbuf_bytes = o->prio_ringbuf_bytes;
	g->max_grants = o->max_grants;
	ret = ensure_bpffs(pin_dir, err, errlen);
	if (ret)
		goto fail;
	g->skel = gate_bpf__open();
	if (!g->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the embedded BPF object: %s", strerror(-ret));
		goto fail;
	}
	fresh = !gate__is_pinned(pin_dir);
	ret = fresh ? load_fresh(g, o->stream_allow_events, err, errlen) : adopt(g, err, errlen);
	if (ret && fresh)
		gate__unpin(pin_dir, NULL, 0);	/* leave nothing half-made behind */
	if (ret)
		goto fail;
	*out = g;
	return 0;
fail:
	gate__close(g);
	return ret;
}

void gate__close(struct jg_gate *g)
{
	if (!g)
		return;
	gate_bpf__destroy(g->skel);
	free(g);
}

/* Delete every key of a map whose generation is `gen`. */
static int drop_gen(int fd, size_t key_size, uint32_t gen, bool net)
{
	unsigned char key[128], next[128];
	unsigned char (*doomed)[128] = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int ret = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		uint32_t kgen = net ? ((struct jg_net_key *)next)->gen : *(uint32_t *)next;

		memcpy(key, next, key_size);
		prev = key;
		if (kgen != gen)
			continue;
		if (n == cap) {
			void *p = realloc(doomed, (cap = cap ? cap * 2 : 64) * sizeof(*doomed));

			if (!p) {
				ret = -ENOMEM;
				goto out;
			}
			doomed = p;
		}
		memcpy(doomed[n++], next, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, doomed[i]);
out:
	free(doomed);
	return ret;
}

static int drop_generation(struct jg_gate *g, uint32_t gen)
{
	int ret;

	ret = drop_gen(bpf_map__fd(g->skel->maps.objects), sizeof(struct jg_object_key), gen, false);
	if (!ret)
		ret = drop_gen(bpf_map__fd(g->skel->maps.net_prefixes), sizeof(struct jg_net_key),
			       gen, true);
	if (!ret)
		ret = drop_gen(bpf_map__fd(g->skel->maps.bind_prefixes), sizeof(struct jg_net_key),
			       gen, true);
	if (!ret)
		ret = drop_gen(bpf_map__fd(g->skel->maps.standing), sizeof(struct jg_standing_key),
			       gen, false);
	if (!ret)
		ret = drop_gen(bpf_map__fd(g->skel->maps.names), sizeof(struct jg_name_key), gen,
			       false);
	if (!ret)
		ret = drop_gen(bpf_map__fd(g->skel->maps.ancestors), sizeof(struct jg_object_key),
			       gen, false);
	if (!ret)
		ret = drop_gen(bpf_map__fd(g->skel->maps.standing_exes),
			       sizeof(struct jg_object_key), gen, false);
	if (!ret)
		ret = drop_gen(bpf_map__fd(g->skel->maps.watched), sizeof(struct jg_object_key),
			       gen, false);
	return ret;
}

static void set_bit64(__u64 *words, uint32_t bit)
{
	words[(bit >> 6) & (JG_FILTER_WORDS - 1)] |= 1ULL << (bit & 63);
}

static int write_filter(struct jg_gate *g, const struct jg_compiled *c, uint32_t gen)
{
	struct jg_filter *f = calloc(1, sizeof(*f));
	int ret = 0;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < c->nobjs; i++)
		set_bit64(f->ino, jg_ino_bit(c->objs[i].ino));
	for (size_t i = 0; i < c->nnames; i++)
		set_bit64(f->dir, jg_ino_bit(c->names[i].key.dir_ino));
	for (size_t i = 0; i < c->nnets; i++)
		for (uint32_t r = 0; r < c->nets[i].val.count; r++)
			for (uint32_t p = c->nets[i].val.ranges[r].lo;
			     p <= c->nets[i].val.ranges[r].hi; p++)
				set_bit64(f->port, p);
	for (size_t i = 0; i < c->nbinds; i++)
		for (uint32_t r = 0; r < c->binds[i].val.count; r++)
			for (uint32_t p = c->binds[i].val.ranges[r].lo;
			     p <= c->binds[i].val.ranges[r].hi; p++)
				set_bit64(f->bind_port, p);
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.filters), &gen, f, BPF_ANY))
		ret = -errno;
	free(f);
	return ret;
}

/* The names of objects, the directories above them and the watched trees, for generation
 * `next`. */
/* Endpoints into an LPM map of generation `next` (connect or bind). */
static int write_prefixes(int fd, const struct jg_cnet *v, size_t n, uint32_t next)
{
	for (size_t i = 0; i < n; i++) {
		struct jg_net_key k = { .prefixlen = 8 + v[i].prefixlen, .gen = (uint8_t)next };

		memcpy(k.addr, v[i].addr, 16);
		if (bpf_map_update_elem(fd, &k, &v[i].val, BPF_ANY))
			return -errno;
	}
	return 0;
}

static int write_names(struct jg_gate *g, const struct jg_compiled *c, uint32_t next)
{
	for (size_t i = 0; i < c->nancestors; i++) {
		struct jg_object_key k = { .gen = next, .dev = c->ancestors[i].dev,
					   .ino = c->ancestors[i].ino };

		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.ancestors), &k,
					&c->ancestors[i].val, BPF_ANY))
			return -errno;
	}
	for (size_t i = 0; i < c->nnames; i++) {
		struct jg_name_key k = c->names[i].key;

		k.gen = next;
		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.names), &k, &c->names[i].val,
					BPF_ANY))
			return -errno;
	}
	/* the session trail's watched trees */
	for (size_t i = 0; i < c->nwatch; i++) {
		struct jg_object_key k = { .gen = next, .dev = c->watch[i].dev,
					   .ino = c->watch[i].ino };

		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.watched), &k, &c->watch[i].val,
					BPF_ANY))
			return -errno;
	}
	return 0;
}

int gate__apply(struct jg_gate *g, const struct jg_compiled *c, char *err, size_t errlen)
{
	int cfg_fd = bpf_map__fd(g->skel->maps.gate_config);
	uint32_t next = g->gen ^ 1, zero = 0, standing_rw = 0;
	struct jg_config cfg;
	int ret;

	if (c->nstanding > JG_MAX_STANDING_PER_GEN) {
		snprintf(err, errlen, "the standing rules expand to %zu entries; the limit is %d",
			 c->nstanding, JG_MAX_STANDING_PER_GEN);
		return -E2BIG;
	}
	if (c->ndevs > JG_MAX_DEVS) {
		snprintf(err, errlen, "the policy protects objects on %zu filesystems; the limit is %d",
			 c->ndevs, JG_MAX_DEVS);
		return -E2BIG;
	}
	for (size_t i = 0; i < c->nstanding; i++)
		standing_rw |= c->standing[i].perms & (JG_PERM_READ | JG_PERM_WRITE);
	if (standing_rw) {
		/* files opened under a standing rule are re-checked like granted ones; armed
		 * before cfg is read, as arming writes recheck_armed into it */
		ret = gate__recheck_arm(g, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg)) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the config map: %s", strerror(-ret));
		return ret;
	}
	ret = drop_generation(g, next);	/* leftovers of an interrupted apply */
	for (size_t i = 0; i < c->nobjs && !ret; i++) {
		struct jg_object_key k = { .gen = next, .dev = c->objs[i].dev, .ino = c->objs[i].ino };

		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.objects), &k, &c->objs[i].val,
					BPF_ANY))
			ret = -errno;
	}
	if (!ret)
		ret = write_prefixes(bpf_map__fd(g->skel->maps.net_prefixes), c->nets, c->nnets,
				     next);
	if (!ret)
		ret = write_prefixes(bpf_map__fd(g->skel->maps.bind_prefixes), c->binds, c->nbinds,
				     next);
	if (!ret)
		ret = write_names(g, c, next);
	for (size_t i = 0; i < c->nstanding && !ret; i++) {
		const struct jg_cstanding *e = &c->standing[i];
		struct jg_standing_key k = { .gen = next, .subject = e->subject,
					     .resource = e->resource, .dev = e->dev, .ino = e->ino };

		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.standing), &k, &e->perms,
					BPF_ANY))
			ret = -errno;
	}
	/* the programs of rules bound to one: their execs get the loader-environment check
	 * (bpf/taint.bpf.h); written before the flip, like everything else */
	for (size_t i = 0; i < c->nstanding && !ret; i++) {
		const struct jg_cstanding *e = &c->standing[i];
		struct jg_object_key k = { .gen = next, .dev = e->dev, .ino = e->ino };

		/* the value is the program's i_generation (0: any inode with the number) */
		if (e->ino && bpf_map_update_elem(bpf_map__fd(g->skel->maps.standing_exes), &k,
						  &e->igen, BPF_ANY))
			ret = -errno;
	}
	if (!ret)
		ret = write_filter(g, c, next);
	/* First the next generation's devices (the live words are rewritten unchanged), then
	 * the flip alone: a reader sees one consistent generation either way. */
	if (!ret) {
		cfg.ndevs[next] = (uint32_t)c->ndevs;
		memset(cfg.devs[next], 0, sizeof(cfg.devs[next]));
		memcpy(cfg.devs[next], c->devs, c->ndevs * sizeof(c->devs[0]));
		cfg.nelevate[next] = (uint32_t)c->nelevate;
		memcpy(cfg.elevate_res[next], c->elevate_res, sizeof(cfg.elevate_res[next]));
		memcpy(cfg.elevate_mode[next], c->elevate_mode, sizeof(cfg.elevate_mode[next]));
		cfg.nstanding[next] = (uint32_t)c->nstanding;
		cfg.standing_rw[next] = standing_rw != 0;
		cfg.nnames[next] = (uint32_t)c->nnames;
		cfg.admin_res[next] = c->admin_res;
		if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY))
			ret = -errno;
	}
	if (ret) {
		drop_generation(g, next);
		snprintf(err, errlen, "cannot write the policy into the kernel maps: %s; the running "
			 "policy stays", strerror(-ret));
		return ret;
	}
	cfg.gen = next;
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY)) {
		ret = -errno;
		drop_generation(g, next);
		snprintf(err, errlen, "cannot switch the policy generation: %s", strerror(-ret));
		return ret;
	}
	g->gen = next;
	drop_generation(g, next ^ 1);
	return 0;
}

/* A grant that can open files: the descriptor re-check must be able to take it back. */
static bool grant_rw(const struct jg_grant *v)
{
	return v->expires_ns[__builtin_ctz(JG_PERM_READ)] ||
	       v->expires_ns[__builtin_ctz(JG_PERM_WRITE)];
}

int gate__set_grant(struct jg_gate *g, uint32_t subject, uint16_t resource,
		    const struct jg_grant *val)
{
	struct jg_grant_key k = { .subject = subject, .resource = resource };
	char err[256];
	int ret;

	if (grant_rw(val)) {
		ret = gate__recheck_arm(g, err, sizeof(err));
		if (ret < 0) {
			pr_warn("%s", err);
			return ret;
		}
	}
	if (val->expires_ns[__builtin_ctz(JG_PERM_ELEVATE)]) {
		ret = gate__session_arm(g, err, sizeof(err));
		if (ret < 0) {
			pr_warn("%s", err);
			return ret;
		}
	}
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.grants), &k, val, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int gate__del_grant(struct jg_gate *g, uint32_t subject, uint16_t resource)
{
	struct jg_grant_key k = { .subject = subject, .resource = resource };

	if (bpf_map_delete_elem(bpf_map__fd(g->skel->maps.grants), &k) && errno != ENOENT)
		return -errno;
	return 0;
}

int gate__for_each_grant(struct jg_gate *g,
			 int (*fn)(const struct jg_grant_key *k, const struct jg_grant *v, void *ctx),
			 void *ctx)
{
	int fd = bpf_map__fd(g->skel->maps.grants);
	struct jg_grant_key key, next;
	struct jg_grant val;
	void *prev = NULL;
	int ret;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;	/* deleted meanwhile */
		ret = fn(&key, &val, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int gate__canary(const char *canary_path, char *err, size_t errlen)
{
	int fd = open(canary_path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		snprintf(err, errlen, "the canary %s opened although the gate protects it: BPF LSM is "
			 "not enforcing", canary_path);
		return -EPERM;
	}
	if (errno != EACCES) {
		snprintf(err, errlen, "the canary %s failed with %s instead of being denied: cannot "
			 "prove enforcement", canary_path, strerror(errno));
		return -errno;
	}
	return 0;
}

int gate__stats(struct jg_gate *g, uint64_t out[JG_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(g->skel->maps.stats);
	uint64_t *vals;

	if (ncpu < 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < JG_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

int gate__exempt_self(struct jg_gate *g)
{
	__u32 one = 1;
	int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
	int ret = 0;

	if (pidfd < 0)
		return -errno;
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.exempt_tasks), &pidfd, &one, BPF_ANY))
		ret = -errno;
	close(pidfd);
	return ret;
}

size_t gate__hooks(struct jg_gate *g, const char **names, size_t max)
{
	struct bpf_program *prog;
	size_t n = 0;

	bpf_object__for_each_program(prog, g->skel->obj) {
		const char *sec = bpf_program__section_name(prog);
		const char *slash = strchr(sec, '/');

		if (strncmp(sec, "lsm/", 4))
			continue;	/* the session iterator is no hook */
		if (n < max)
			names[n] = slash ? slash + 1 : sec;
		n++;
	}
	return n < max ? n : max;
}

int gate__events_fd(struct jg_gate *g)
{
	return bpf_map__fd(g->skel->maps.events);
}

int gate__prio_events_fd(struct jg_gate *g)
{
	return bpf_map__fd(g->skel->maps.events_prio);
}

/* ------------------------------------------------------------------ descriptor re-check */

static int read_config(struct jg_gate *g, struct jg_config *cfg)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.gate_config), &zero, cfg) ? -errno : 0;
}

/* Set cfg.recheck_armed (session: cfg.session_armed). */
static int set_flag(struct jg_gate *g, bool session, __u32 armed)
{
	struct jg_config cfg;
	__u32 zero = 0;
	int ret = read_config(g, &cfg);
	__u32 *flag = session ? &cfg.session_armed : &cfg.recheck_armed;

	if (ret || *flag == armed)
		return ret;
	*flag = armed;
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.gate_config), &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

static bool map_empty(int fd, void *key)
{
	return bpf_map_get_next_key(fd, NULL, key) != 0;
}

/* The pin of program i of a group: its link ("link_") or the program itself ("prog_"). */
static void group_pin(struct jg_gate *g, const struct demand_group *grp, const char *kind,
		      size_t i, char *buf, size_t len)
{
	char name[64];

	snprintf(name, sizeof(name), "%s_%s", kind, grp->progs[i]);
	pin_path(buf, len, g->pin_dir, name);
}

/* Attach a group's programs not attached yet, in order: the number attached, or -errno
 * with one sentence in err. */
static int group_attach(struct jg_gate *g, const struct demand_group *grp, char *err,
			size_t errlen)
{
	char prog_path[512], link_path[512];
	int ret, pfd, lfd, attached = 0;

	for (size_t i = 0; i < grp->n; i++) {
		group_pin(g, grp, "link", i, link_path, sizeof(link_path));
		if (!access(link_path, F_OK))
			continue;
		group_pin(g, grp, "prog", i, prog_path, sizeof(prog_path));
		pfd = bpf_obj_get(prog_path);
		if (pfd < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot open the pinned program %s: %s", prog_path,
				 strerror(-ret));
			return ret;
		}
		lfd = bpf_raw_tracepoint_open(NULL, pfd);
		ret = lfd < 0 ? -errno : 0;
		close(pfd);
		if (ret) {
			snprintf(err, errlen, "the kernel refused to attach %s: %s; no grant can be "
				 "written without it", grp->progs[i], strerror(-ret));
			return ret;
		}
		ret = bpf_obj_pin(lfd, link_path) ? -errno : 0;
		close(lfd);	/* the pin holds the link */
		if (ret) {
			snprintf(err, errlen, "cannot pin %s: %s", link_path, strerror(-ret));
			return ret;
		}
		attached++;
	}
	return attached;
}

/* Whether any of a group's links is pinned (attached). */
static bool group_linked(struct jg_gate *g, const struct demand_group *grp)
{
	char path[512];

	for (size_t i = 0; i < grp->n; i++) {
		group_pin(g, grp, "link", i, path, sizeof(path));
		if (!access(path, F_OK))
			return true;
	}
	return false;
}

/* Detach a group, in reverse order: 1 when a link went, 0 when none was there, -errno. */
static int group_detach(struct jg_gate *g, const struct demand_group *grp)
{
	char path[512];
	int detached = 0;

	for (size_t i = grp->n; i-- > 0;) {
		group_pin(g, grp, "link", i, path, sizeof(path));
		if (!unlink(path))
			detached = 1;
		else if (errno != ENOENT)
			return -errno;
	}
	return detached;
}

/* Whether the grant map holds a grant for which match(grant, now) holds (stops at the first). */
static bool any_grant(struct jg_gate *g, bool (*match)(const struct jg_grant *, uint64_t),
		      uint64_t now)
{
	int fd = bpf_map__fd(g->skel->maps.grants);
	struct jg_grant_key key, next;
	struct jg_grant val;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (!bpf_map_lookup_elem(fd, &key, &val) && match(&val, now))
			return true;
	}
	return false;
}

static bool rw_match(const struct jg_grant *v, uint64_t now)
{
	(void)now;
	return grant_rw(v);
}

/* Whether the grant map holds a read or write grant. */
static bool rw_granted(struct jg_gate *g)
{
	return any_grant(g, rw_match, 0);
}

int gate__recheck_arm(struct jg_gate *g, char *err, size_t errlen)
{
	int attached = group_attach(g, &recheck, err, errlen), ret;

	if (attached < 0)
		return attached;
	ret = set_flag(g, false, 1);
	if (ret) {
		snprintf(err, errlen, "cannot arm the descriptor re-check: %s", strerror(-ret));
		return ret;
	}
	if (attached)
		pr_info("descriptor re-check attached (file_permission, file_free_security)");
	return attached > 0;
}

int gate__recheck(struct jg_gate *g, struct jg_recheck *out)
{
	int fd = bpf_map__fd(g->skel->maps.held_files);
	uint64_t stats[JG_STAT_MAX];
	struct jg_config cfg;
	__u64 key, next;
	void *prev = NULL;
	int ret = read_config(g, &cfg);

	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->armed = cfg.recheck_armed;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		out->held++;
	}
	if (!gate__stats(g, stats)) {
		out->held_full = stats[JG_STAT_HELD_FULL];
		out->unarmed = stats[JG_STAT_UNARMED];
	}
	return 0;
}

int gate__recheck_idle(struct jg_gate *g)
{
	unsigned char key[64];
	uint64_t stats[JG_STAT_MAX];
	struct jg_config cfg;
	int ret = read_config(g, &cfg);

	if (ret)
		return ret;
	if (!cfg.recheck_armed && !group_linked(g, &recheck))
		return 0;	/* idle already, the usual case: two access() calls a tick */
	if (cfg.standing_rw[cfg.gen & 1] || rw_granted(g))
		return 0;
	/* an open past a full held_files is held nowhere: stay on until unload */
	if (gate__stats(g, stats) || stats[JG_STAT_HELD_FULL])
		return 0;
	/* Disarmed first: with no read or write grant or standing rule nothing can be held
	 * from here on, so an empty held_files stays empty while the links go. */
	if (cfg.recheck_armed) {
		ret = set_flag(g, false, 0);
		if (ret)
			return ret;
	}
	if (!map_empty(bpf_map__fd(g->skel->maps.held_files), key))
		return cfg.recheck_armed ? set_flag(g, false, 1) : 0;
	/* also after a crash between the two steps: unarmed, links still there */
	return group_detach(g, &recheck);
}

/* ------------------------------------------------------------------ session programs */

int gate__session_arm(struct jg_gate *g, char *err, size_t errlen)
{
	int attached = group_attach(g, &sessionp, err, errlen), ret;

	if (attached < 0)
		return attached;
	ret = set_flag(g, true, 1);
	if (ret) {
		snprintf(err, errlen, "cannot arm the session programs: %s", strerror(-ret));
		return ret;
	}
	if (attached > 0)
		pr_info("session-file and lend programs attached: an elevated session can begin");
	return attached > 0;
}

static bool elevate_live(const struct jg_grant *v, uint64_t now)
{
	return v->expires_ns[__builtin_ctz(JG_PERM_ELEVATE)] > now;
}

/* Whether the grant map holds an elevate grant live at boot time now. */
static bool elevate_granted(struct jg_gate *g, uint64_t now)
{
	return any_grant(g, elevate_live, now);
}

static int any_task(const struct jg_session_task *t, void *ctx)
{
	(void)t;
	*(bool *)ctx = true;
	return 1;
}

int gate__session_idle(struct jg_gate *g)
{
	struct timespec ts;
	bool tasks = false;
	char err[256];
	int ret;

	if (!group_linked(g, &sessionp))
		return 0;	/* idle already, the usual case */
	/* no session can begin without a live elevate grant, and only jitgated (this thread)
	 * writes one, after gate__session_arm: none can begin between these checks and the
	 * detach */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	if (elevate_granted(g, (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec))
		return 0;
	/* Disarmed first: from here no session begins, whatever is written into the grants
	 * map behind jitgated, so no session task appears after the scan below. */
	ret = set_flag(g, true, 0);
	if (!ret)
		ret = gate__for_each_session_task(g->pin_dir, any_task, &tasks, err, sizeof(err));
	if (ret || tasks)	/* tasks of an ended session are killed first; then it goes */
		return set_flag(g, true, 1) ?: ret;
	return group_detach(g, &sessionp);
}

/* ------------------------------------------------------------------ denial budget */

int gate__set_deny_budget(struct jg_gate *g, uint32_t rate, uint32_t burst)
{
	int fd = bpf_map__fd(g->skel->maps.gate_config);
	struct jg_config cfg;
	__u32 zero = 0;
	int ret = read_config(g, &cfg);

	if (ret)
		return ret;
	cfg.deny_interval_ns = rate ? 1000000000ull / rate : 0;
	cfg.deny_tau_ns = rate && burst > 1 ? cfg.deny_interval_ns * (burst - 1) : 0;
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

int gate__for_each_deny(struct jg_gate *g,
			int (*fn)(uint32_t subject, const struct jg_deny_rate *r,
				  uint64_t reported, void *ctx),
			void *ctx)
{
	int fd = bpf_map__fd(g->skel->maps.deny_rate);
	int rfd = bpf_map__fd(g->skel->maps.deny_reported);
	struct jg_deny_rate val;
	__u32 key, next;
	__u64 reported;
	void *prev = NULL;
	int ret;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		/* the counters only grow: read without the kernel's lock */
		if (bpf_map_lookup_elem(fd, &key, &val))
			continue;
		if (bpf_map_lookup_elem(rfd, &key, &reported))
			reported = 0;
		ret = fn(key, &val, reported, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int gate__set_deny_reported(struct jg_gate *g, uint32_t subject, uint64_t reported)
{
	if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.deny_reported), &subject, &reported,
				BPF_ANY))
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ the sealed gate */

int gate__seal(struct jg_gate *g, uint32_t dev, uint64_t ino, uint32_t flags)
{
	int fd = bpf_map__fd(g->skel->maps.sealed);
	struct jg_seal_key k = { .dev = dev, .ino = ino };
	struct jg_seal v = { 0 };

	if (bpf_map_lookup_elem(fd, &k, &v))
		memset(&v, 0, sizeof(v));
	if ((v.flags | flags) == v.flags)
		return 0;
	v.flags |= flags;
	if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	return 0;
}

int gate__seal_config(struct jg_gate *g, uint32_t daemon_tgid, const uint32_t *fs, size_t nfs,
		      const uint32_t *raw, size_t nraw)
{
	int fd = bpf_map__fd(g->skel->maps.gate_config);
	struct jg_config cfg;
	__u32 zero = 0;
	int ret = read_config(g, &cfg);

	if (ret)
		return ret;
	if (nfs > JG_MAX_SEAL_DEVS || nraw > JG_MAX_SEAL_DEVS)
		return -E2BIG;
	cfg.daemon_tgid = daemon_tgid;
	if (fs) {
		memset(cfg.seal_fs, 0, sizeof(cfg.seal_fs));
		memcpy(cfg.seal_fs, fs, nfs * sizeof(*fs));
		cfg.nseal_fs = (__u32)nfs;
	}
	if (raw) {
		memset(cfg.raw_devs, 0, sizeof(cfg.raw_devs));
		memcpy(cfg.raw_devs, raw, nraw * sizeof(*raw));
		cfg.nraw_devs = (__u32)nraw;
	}
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
		return -errno;
	/* one more bpf() call: the kernel records the daemon named just now (its credentials
	 * and cgroups, bpf/seal_host.bpf.h) at the next one it makes */
	read_config(g, &cfg);
	return 0;
}

int gate__session_of(struct jg_gate *g, pid_t pid, struct jg_session *out)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int ret = 0;

	if (pidfd < 0)
		return -errno;
	if (bpf_map_lookup_elem(bpf_map__fd(g->skel->maps.sessions), &pidfd, out))
		ret = -errno;
	close(pidfd);
	return ret;
}
