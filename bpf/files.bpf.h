/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Files and executables: open for read/write, exec, write-class operations on protected trees
 * (names, attributes, xattrs, hardlinks), and the re-check of open descriptors and mmaps. */
#ifndef JG_FILES_BPF_H
#define JG_FILES_BPF_H

#include "session.bpf.h"
#include "seal.bpf.h"
#include "trail.bpf.h"

#define FMODE_READ  0x1
#define FMODE_WRITE 0x2
#define MAY_WRITE   0x2
#define MAY_READ    0x4
#define MAY_APPEND  0x8
#define PROT_READ   0x1
#define PROT_WRITE  0x2
#define PROT_EXEC   0x4
#define MAP_SHARED  0x1
#define VM_EXEC     0x4
#define VM_SHARED   0x8

/* Set by the loader from the running kernel's BTF: newer kernels pass an idmap before the
 * dentry of inode_setattr (6.1 does not). */
const volatile __u32 setattr_has_idmap = 0;

/* inode_setattr's arguments (a program taking ctx): read by position, as the dentry moved
 * when an idmap was added in front. The loads are asm so that each keeps a constant offset
 * from ctx (the verifier refuses a computed one) and the branch the knob rules out is dead
 * code to the verifier. */
#define SETATTR_ARGS(ctx, dentry, attr, ret)							\
	do {											\
		if (setattr_has_idmap) {							\
			asm volatile("%0 = *(u64 *)(%1 + 24)" : "=r"(ret) : "r"(ctx));		\
			asm volatile("%0 = *(u64 *)(%1 + 8)" : "=r"(dentry) : "r"(ctx));	\
			asm volatile("%0 = *(u64 *)(%1 + 16)" : "=r"(attr) : "r"(ctx));	\
		} else {									\
			asm volatile("%0 = *(u64 *)(%1 + 16)" : "=r"(ret) : "r"(ctx));		\
			asm volatile("%0 = *(u64 *)(%1 + 0)" : "=r"(dentry) : "r"(ctx));	\
			asm volatile("%0 = *(u64 *)(%1 + 8)" : "=r"(attr) : "r"(ctx));		\
		}										\
	} while (0)

/* Inodes that an allowed open found protected. file_permission and mmap_file re-check only
 * marked inodes, so a read or mmap of anything else costs one inode-storage lookup (a NULL
 * blob pointer for most inodes). Not pinned: it lives as long as the programs do. */
struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} open_marks SEC(".maps");

/* The descriptor re-check (file_permission) is the one hook on every read and write on the
 * host, and its trampoline alone adds a quarter to a cheap read (in the VM). It is attached only
 * while something could need it: a read or write grant or standing rule in the kernel, or a
 * file opened under one still alive. held_files is that last set (struct file address -> 1),
 * kept by file_open and file_free_security; user/gate.c detaches both only when there are
 * no such grants or standing rules and held_files is empty. With no daemon the links stay:
 * fail safe. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_HELD_FILES);
	__type(key, __u64);
	__type(value, __u32);
} held_files SEC(".maps");

/* How many entries held_files has, so that file_free_security (every close on the host
 * while armed) skips the hash lookup when none is held. Not pinned, like open_marks. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} held_count SEC(".maps");

/* PROC_SUPER_MAGIC: bpf/seal_host.bpf.h */
#define CAP_AUDIT_CONTROL   30

/* The subject is the loginuid, and the kernel lets any task whose loginuid is unset set it
 * once, without privilege: a service account could claim any person's grants. Setting it
 * needs CAP_AUDIT_CONTROL (in the initial user namespace) while the gate is loaded;
 * pam_loginuid runs as root and is not affected. Only write opens on procfs get here. */
static __always_inline int guard_loginuid(struct file *file)
{
	struct task_struct *task = bpf_get_current_task_btf();
	const struct cred *cred = task->cred;
	struct verdict v = { .type = JG_EV_DENY, .perm = JG_PERM_WRITE };
	char name[16] = {};
	struct jg_session *s;
	__u32 subject, loginuid;

	if (file->f_inode->i_sb->s_magic != PROC_SUPER_MAGIC)
		return 0;
	bpf_probe_read_kernel_str(name, sizeof(name), file->f_path.dentry->d_name.name);
	/* "loginuid" is 8 bytes: one word compare, then its end */
	if (*(__u64 *)name != *(const __u64 *)"loginuid" || name[8])
		return 0;
	subject = subject_of(task, &loginuid);
	s = session_of(task);
	if (s) {
		/* an elevated session has CAP_AUDIT_CONTROL; its login uid is still not its to
		 * change (the sealed gate keys on it) */
		subject = s->subject;
		v.type = JG_EV_TAMPER;
		stat_inc(JG_STAT_TAMPER);
		goto refuse;
	}
	if (loginuid != (__u32)-1)
		return 0;	/* already set: the kernel itself wants CAP_AUDIT_CONTROL */
	if (cred->user_ns->level == 0 &&
	    (caps_of(&cred->cap_effective) & (1ULL << CAP_AUDIT_CONTROL)))
		return 0;
	count(&v);
refuse:
	emit_file_event(&v, JG_HOOK_FILE_OPEN, subject, loginuid, -EPERM, true,
			file->f_inode->i_sb->s_dev, file->f_inode->i_ino, &file->f_path, NULL,
			JG_EVF_LOGINUID);
	return -EPERM;
}

SEC("lsm/file_open")
int BPF_PROG(jg_file_open, struct file *file, int ret)
{
	struct verdict v = {};
	__u32 fmode, perms = 0;

	if (ret)
		return ret;
	ret = session_enforce(JG_HOOK_FILE_OPEN);
	if (ret)
		return ret;
	ret = seal_file_open(file);
	if (ret)
		return ret;
	fmode = file->f_mode;
	if (fmode & FMODE_READ)
		perms |= JG_PERM_READ;
	if (fmode & FMODE_WRITE) {
		perms |= JG_PERM_WRITE;
		ret = guard_loginuid(file);
		if (ret)
			return ret;
	}
	/* neither read nor write (O_WRONLY|O_RDWR, "3"): an ioctl-only descriptor, and some
	 * ioctls read the data (btrfs encoded read): it needs read */
	if (!perms)
		perms = JG_PERM_READ;
	ret = gate_file_v(&v, file, perms, JG_HOOK_FILE_OPEN);
	/* Allowed (by a grant, or in audit mode), and protected: later reads, writes and mmaps
	 * on it are checked again. Not jitgated's exempt reads (v.type is DENY there). */
	if (!ret && (v.type == JG_EV_ALLOW || v.type == JG_EV_AUDIT))
		bpf_inode_storage_get(&open_marks, file->f_inode, 0,
				      BPF_LOCAL_STORAGE_GET_F_CREATE);
	/* Held under a grant: the re-check stays attached until this file is freed. An
	 * audit-mode open is not held: nothing of it is enforced. */
	if (!ret && v.type == JG_EV_ALLOW) {
		__u64 key = (__u64)file;
		__u32 one = 1, zero = 0;
		__s64 *n = bpf_map_lookup_elem(&held_count, &zero);

		if (bpf_map_update_elem(&held_files, &key, &one, BPF_NOEXIST))
			stat_inc(JG_STAT_HELD_FULL);
		else if (n)
			__sync_fetch_and_add(n, 1);
	}
	return trail_open(ret, file);
}

/* Every file's last reference; attached only with file_permission. The inode may be gone
 * already (__fput drops the dentry first), so only the file's address is used. */
SEC("lsm/file_free_security")
int BPF_PROG(jg_file_free, struct file *file)
{
	__u64 key = (__u64)file;
	__u32 zero = 0;
	__s64 *n = bpf_map_lookup_elem(&held_count, &zero);

	if (n && *n <= 0)
		return 0;
	if (bpf_map_lookup_elem(&held_files, &key) && !bpf_map_delete_elem(&held_files, &key) && n)
		__sync_fetch_and_add(n, -1);
	return 0;
}

/* An operation on `a` and, when not NULL, `b` (same filesystem) by name, without an open:
 * each needs `perm` on every protected tree it is in. One event: the first denial, else the
 * first grant used. */
static __always_inline int gate_names(struct dentry *a, struct dentry *b, __u32 perm,
				      __u32 hook, bool with_exe)
{
	__u32 dev = a->d_sb->s_dev, gen = 0, subject = 0, loginuid = 0;
	struct verdict v = {};
	int ret;

	if (!dev_protected(dev, &gen))
		return 0;
	check_tree(&v, a, false, gen, dev, perm, &subject, &loginuid);
	if (b && v.type != JG_EV_DENY)
		check_tree(&v, b, false, gen, dev, perm, &subject, &loginuid);
	if (!v.type)
		return 0;
	count(&v);
	ret = v.type == JG_EV_DENY ? -EACCES : 0;
	if (is_canary(&v))
		return ret;
	emit_file_event(&v, hook, subject, loginuid, ret, with_exe, dev, a->d_inode->i_ino, NULL, a,
			0);
	return ret;
}

/* A write-class operation by name (unlink, rename, create, setattr, setxattr, link). */
static __always_inline int gate_write(struct dentry *a, struct dentry *b, __u32 hook,
				      bool with_exe)
{
	int ret = session_enforce(hook);

	return ret ? ret : gate_names(a, b, JG_PERM_WRITE, hook, with_exe);
}

/* What a name operation is about: the inode when the name exists, else (a name about to be
 * created) the directory it is created in. */
static __always_inline struct dentry *existing(struct dentry *d)
{
	return d->d_inode ? d : d->d_parent;
}

/* Names of protected objects (user/compile.c), for carry_name. Pinned: it is policy. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_NAMES);
	__type(key, struct jg_name_key);
	__type(value, struct jg_name);
} names SEC(".maps");

/* Directories above the policy's objects (user/compile.c): renaming one moves the object's
 * name, and the next policy load would protect whatever is put there instead. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, JG_MAX_ANCESTORS);
	__type(key, struct jg_object_key);
	__type(value, struct jg_object);
} ancestors SEC(".maps");

/* Renaming a directory above a protected object needs the grant that writes the object:
 * write for files, exec for exec programs (which have no write). */
static __always_inline int gate_ancestor(struct dentry *d)
{
	__u32 dev = d->d_sb->s_dev, gen = 0, subject, loginuid;
	struct inode *inode = d->d_inode;
	struct jg_object_key k = {};
	struct verdict v = {};
	struct jg_object *a;
	int ret;

	if (!inode || !dev_protected(dev, &gen))
		return 0;
	k.gen = gen;
	k.dev = dev;
	k.ino = inode->i_ino;
	a = bpf_map_lookup_elem(&ancestors, &k);
	if (!a || (a->igen && a->igen != inode->i_generation))
		return 0;
	subject = subject_of(bpf_get_current_task_btf(), &loginuid);
	require(&v, gen, subject, a->resource, a->mode,
		a->kind == JG_KIND_EXEC ? JG_PERM_EXEC : JG_PERM_WRITE, bpf_ktime_get_boot_ns(),
		0);
	count(&v);
	ret = v.type == JG_EV_DENY ? -EACCES : 0;
	if (is_canary(&v))
		return ret;
	/* prot_ino 0: the names go up to the filesystem's root */
	emit_file_event(&v, JG_HOOK_RENAME, subject, loginuid, ret, true, dev, k.ino, NULL, d,
			JG_EVF_ANCESTOR);
	return ret;
}

/* Protect `inode` by its own (dev, ino, i_generation) with `obj` (resource, kind, mode).
 * Returns 1 when it is protected already, 0 when it is now, -ENOSPC when the objects map
 * has no room. An entry for the number with another i_generation is about an inode that
 * is gone (or, on btrfs, of another subvolume): it is replaced (and counted, stale). */
static __always_inline int protect_inode(__u32 gen, __u32 dev, struct inode *inode,
					 struct jg_object obj)
{
	struct jg_object_key k = { .gen = gen, .dev = dev, .ino = inode->i_ino };
	struct jg_object *old;
	struct jg_filter *f;
	__u32 bit;

	obj.igen = inode->i_generation;
	old = bpf_map_lookup_elem(&objects, &k);
	if (old && (!old->igen || old->igen == obj.igen))
		return 1;
	if (old)
		stat_inc(JG_STAT_STALE);
	if (bpf_map_update_elem(&objects, &k, &obj, BPF_ANY))
		return -ENOSPC;
	/* the walk looks at the filter first: the new entry must pass it */
	f = bpf_map_lookup_elem(&filters, &gen);
	bit = jg_ino_bit(k.ino);
	if (f)
		__sync_fetch_and_or(&f->ino[(bit >> 6) & (JG_FILTER_WORDS - 1)],
				    1ULL << (bit & 63));
	return 0;
}

/* A file inside a protected tree of `perm`'s kind (files: read/write, exec) is about to get
 * a name outside it (a hardlink, a rename): protect its inode by itself first, so the new
 * name is no way around the tree. Nothing for a file that is an object itself. */
static __always_inline int carry_tree(struct dentry *d, __u32 perm)
{
	__u32 dev = d->d_sb->s_dev, gen = 0, subject = 0, loginuid = 0;
	struct inode *inode = d->d_inode;
	struct verdict v = {};
	struct jg_object obj = {};

	if (!inode || !dev_protected(dev, &gen))
		return 0;
	check_tree(&v, d, false, gen, dev, perm, &subject, &loginuid);
	if (!v.type || v.too_deep || v.disconnected || v.prot_ino == inode->i_ino ||
	    v.resource == JG_CANARY_RESOURCE)
		return 0;
	obj.resource = v.resource;
	obj.kind = perm == JG_PERM_EXEC ? JG_KIND_EXEC : JG_KIND_FILES;
	obj.mode = v.type == JG_EV_AUDIT ? JG_MODE_AUDIT : JG_MODE_ENFORCE;
	return protect_inode(gen, dev, inode, obj) < 0 ? -ENOSPC : 0;
}

/* A new inode is about to take (rename) or took (d_instantiate) the name `dentry` in `dir`.
 * If that is a protected object's name in the live policy, the inode is protected as the
 * object was, by its own (dev, ino), and the event tells jitgated (object.rebind). Returns
 * -ENOSPC when the objects map has no room: the caller refuses what it can. */
static __always_inline int carry_name(struct inode *dir, struct dentry *dentry,
				      struct inode *inode, __u32 hook, bool with_exe)
{
	struct jg_name_key nk = {};
	struct verdict v = {};
	struct jg_config *c;
	struct jg_filter *f;
	struct jg_name *nv;
	__u32 zero = 0, gen, bit, subject, loginuid;
	int err;

	if (!dir || !inode)
		return 0;
	nk.dev = dir->i_sb->s_dev;
	if (!dev_protected(nk.dev, &gen))
		return 0;
	f = bpf_map_lookup_elem(&filters, &gen);
	if (!f)
		return 0;
	c = bpf_map_lookup_elem(&gate_config, &zero);
	if (!c || !c->nnames[gen & 1])
		return 0;
	nk.dir_ino = dir->i_ino;
	bit = jg_ino_bit(nk.dir_ino);
	if (!(f->dir[(bit >> 6) & (JG_FILTER_WORDS - 1)] & (1ULL << (bit & 63))))
		return 0;	/* no protected name in this directory */
	nk.gen = gen;
	bpf_probe_read_kernel_str(nk.name, sizeof(nk.name), dentry->d_name.name);
	nv = bpf_map_lookup_elem(&names, &nk);
	if (!nv)
		return 0;
	if (inode->i_sb->s_dev != nk.dev)
		return 0;
	err = protect_inode(gen, nk.dev, inode, nv->obj);
	if (err > 0)
		return 0;	/* the object itself (a lookup), or protected already */
	stat_inc(err ? JG_STAT_REBIND_FULL : JG_STAT_REBIND);
	subject = subject_of(bpf_get_current_task_btf(), &loginuid);
	v.type = JG_EV_REBIND;
	v.resource = nv->obj.resource;
	v.prot_ino = nv->ino;
	if (v.resource == JG_CANARY_RESOURCE)
		return err;
	/* path "" below the object: jitgated names it by the policy's path of prot_ino */
	emit_file_event(&v, hook, subject, loginuid, err, with_exe, nk.dev, inode->i_ino, NULL,
			NULL, JG_EVF_PATH_REL);
	return err;
}

SEC("lsm/inode_unlink")
int BPF_PROG(jg_inode_unlink, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	ret = seal_remove(dir, dentry, JG_HOOK_UNLINK);
	if (ret)
		return ret;
	ret = gate_write(dentry, NULL, JG_HOOK_UNLINK, true);
	return trail_name(ret, JG_HOOK_UNLINK, JG_TOP_UNLINK, dentry, NULL, true);
}

SEC("lsm/inode_rmdir")
int BPF_PROG(jg_inode_rmdir, struct inode *dir, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	ret = seal_remove(dir, dentry, JG_HOOK_RMDIR);
	if (ret)
		return ret;
	ret = gate_write(dentry, NULL, JG_HOOK_RMDIR, true);
	return trail_name(ret, JG_HOOK_RMDIR, JG_TOP_RMDIR, dentry, NULL, true);
}

/* The source (itself and its trees: renaming a protected directory counts) and the
 * destination (the replaced file, else the directory it lands in). */
SEC("lsm/inode_rename")
int BPF_PROG(jg_inode_rename, struct inode *old_dir, struct dentry *old_dentry,
	     struct inode *new_dir, struct dentry *new_dentry, int ret)
{
	if (ret)
		return ret;
	ret = seal_rename(old_dir, old_dentry, new_dir, new_dentry);
	if (ret)
		return ret;
	ret = gate_write(old_dentry, existing(new_dentry), JG_HOOK_RENAME, true);
	if (!ret)
		ret = gate_ancestor(old_dentry);
	if (ret)
		return ret;
	/* moved out of a protected tree, it stays protected by its own identity */
	if (carry_tree(old_dentry, JG_PERM_READ) || carry_tree(old_dentry, JG_PERM_EXEC))
		return -ENOSPC;
	/* a file renamed onto a protected name (an editor's save, sed -i, dpkg) takes over its
	 * protection; if it cannot, the rename is refused */
	ret = carry_name(new_dir, new_dentry, old_dentry->d_inode, JG_HOOK_RENAME, true);
	return trail_name(ret, JG_HOOK_RENAME, JG_TOP_RENAME, old_dentry, new_dentry, true);
}

/* Every dentry that gets an inode: creates, links, and lookups that miss the cache. A new
 * inode at a protected name (the object was unlinked and made again) takes over the
 * protection. A void hook: a full map cannot refuse it, only count and report. */
SEC("lsm/d_instantiate")
int BPF_PROG(jg_d_instantiate, struct dentry *dentry, struct inode *inode)
{
	struct dentry *parent;

	if (!inode)
		return 0;
	parent = dentry->d_parent;
	if (!parent || parent == dentry)
		return 0;
	carry_name(parent->d_inode, dentry, inode, JG_HOOK_D_INSTANTIATE, false);
	return 0;
}

/* create, mkdir, mknod, symlink: the new dentry is negative; its directory decides. */
SEC("lsm/inode_create")
int BPF_PROG(jg_inode_create, struct inode *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	ret = seal_create(dir, dentry, JG_HOOK_CREATE, true);
	if (ret)
		return ret;
	ret = gate_write(dentry->d_parent, NULL, JG_HOOK_CREATE, true);
	return trail_create(ret, JG_TOP_CREATE, dentry, mode, NULL, true);
}

SEC("lsm/inode_mkdir")
int BPF_PROG(jg_inode_mkdir, struct inode *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret)
		return ret;
	ret = seal_create(dir, dentry, JG_HOOK_CREATE, false);
	if (ret)
		return ret;
	ret = gate_write(dentry->d_parent, NULL, JG_HOOK_CREATE, false);
	return trail_create(ret, JG_TOP_MKDIR, dentry, mode, NULL, false);
}

SEC("lsm/inode_mknod")
int BPF_PROG(jg_inode_mknod, struct inode *dir, struct dentry *dentry, umode_t mode,
	     dev_t rdev, int ret)
{
	if (ret)
		return ret;
	ret = seal_create(dir, dentry, JG_HOOK_CREATE, true);
	if (ret)
		return ret;
	ret = gate_write(dentry->d_parent, NULL, JG_HOOK_CREATE, true);
	return trail_create(ret, JG_TOP_MKNOD, dentry, mode, NULL, true);
}

SEC("lsm/inode_symlink")
int BPF_PROG(jg_inode_symlink, struct inode *dir, struct dentry *dentry, const char *name,
	     int ret)
{
	if (ret)
		return ret;
	ret = seal_create(dir, dentry, JG_HOOK_CREATE, true);
	if (ret)
		return ret;
	ret = gate_write(dentry->d_parent, NULL, JG_HOOK_CREATE, true);
	return trail_create(ret, JG_TOP_SYMLINK, dentry, 0, name, true);
}

/* chmod, chown, utimes, truncate (also ftruncate and O_TRUNC: all go through
 * notify_change). The args: SETATTR_ARGS. */
SEC("lsm/inode_setattr")
int jg_inode_setattr(unsigned long long *ctx)
{
	struct dentry *dentry;
	struct iattr *attr;
	long ret;

	SETATTR_ARGS(ctx, dentry, attr, ret);
	ret = (int)ret;
	if (ret)
		return ret;
	ret = seal_attr(dentry, JG_HOOK_SETATTR, true);
	if (ret)
		return ret;
	ret = gate_write(dentry, NULL, JG_HOOK_SETATTR, true);
	return trail_setattr(ret, dentry, attr);
}

/* The dentry is the second argument both with the user namespace (6.1) and with the idmap
 * that replaced it. */
SEC("lsm/inode_setxattr")
int BPF_PROG(jg_inode_setxattr, void *ns, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	if (ret)
		return ret;
	ret = seal_attr(dentry, JG_HOOK_XATTR, true);
	if (ret)
		return ret;
	return gate_write(dentry, NULL, JG_HOOK_XATTR, true);
}

/* Reading extended attributes is reading the file (they may hold data, ACLs, labels). */
SEC("lsm/inode_getxattr")
int BPF_PROG(jg_inode_getxattr, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	return gate_names(dentry, NULL, JG_PERM_READ, JG_HOOK_XATTR_READ, false);
}

SEC("lsm/inode_listxattr")
int BPF_PROG(jg_inode_listxattr, struct dentry *dentry, int ret)
{
	if (ret)
		return ret;
	return gate_names(dentry, NULL, JG_PERM_READ, JG_HOOK_XATTR_READ, false);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(jg_inode_removexattr, void *ns, struct dentry *dentry, const char *name, int ret)
{
	if (ret)
		return ret;
	ret = seal_attr(dentry, JG_HOOK_XATTR, false);
	if (ret)
		return ret;
	return gate_write(dentry, NULL, JG_HOOK_XATTR, false);
}

/* Re-check a marked file with the ancestor walk: a revoked or expired grant ends access
 * through descriptors opened under it. Streams denials only (the open already logged the
 * grant it used; an event per read() would flood the ring buffer). */
static __always_inline int gate_marked(struct file *file, __u32 perms, __u32 hook,
				       bool with_exe)
{
	struct inode *inode = file->f_inode;
	__u32 dev, gen = 0, subject = 0, loginuid = 0, flags = 0;
	struct verdict v = {};
	int ret;

	if (!bpf_inode_storage_get(&open_marks, inode, 0, 0))
		return 0;
	dev = inode->i_sb->s_dev;
	ret = gate_open_file(&v, file, perms, &gen, &subject, &loginuid, &flags);
	if (!v.type) {
		/* renamed out of every protected tree, or the policy changed */
		bpf_inode_storage_delete(&open_marks, inode);
		return 0;
	}
	if (!ret)
		return 0;
	if (bpf_task_storage_get(&exempt_tasks, bpf_get_current_task_btf(), 0, 0))
		return 0;	/* jitgated listing a protected directory */
	emit_file_event(&v, hook, subject, loginuid, ret, with_exe, dev, inode->i_ino, NULL,
			file->f_path.dentry, flags);
	return ret;
}

SEC("lsm/file_permission")
int BPF_PROG(jg_file_permission, struct file *file, int mask, int ret)
{
	__u32 perms = 0;

	if (ret)
		return ret;
	if (mask & MAY_READ)
		perms |= JG_PERM_READ;
	if (mask & (MAY_WRITE | MAY_APPEND))
		perms |= JG_PERM_WRITE;
	if (!perms)
		return 0;
	return gate_marked(file, perms, JG_HOOK_PERMISSION, false);
}

/* Mapping an exec-protected file executable is running it, whoever maps it: ld.so started
 * as the program (`ld.so /path/to/tool`) opens and maps the tool without any exec of it.
 * Needs exec; denials (and audit-mode would-denials) are streamed, allows are not: the
 * exec that loads a program already logged its grant. */
static __always_inline int gate_exec_map(struct file *file, __u32 hook, bool with_path)
{
	__u32 dev = file->f_inode->i_sb->s_dev, gen = 0, subject = 0, loginuid = 0, flags = 0;
	struct verdict v = {};
	int ret;

	ret = gate_open_file(&v, file, JG_PERM_EXEC, &gen, &subject, &loginuid, &flags);
	if (v.type != JG_EV_DENY && v.type != JG_EV_AUDIT)
		return ret;
	/* bpf_d_path is refused in hooks off the kernel's sleepable list (file_mprotect) */
	emit_file_event(&v, hook, subject, loginuid, ret, with_path, dev, file->f_inode->i_ino,
			with_path ? &file->f_path : NULL, file->f_path.dentry, flags);
	return ret;
}

/* read for any mapping, write for a writable shared one (a private one never reaches the
 * file). Pages already mapped stay mapped after a revoke: see docs/design.md. */
SEC("lsm/mmap_file")
int BPF_PROG(jg_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot,
	     unsigned long flags, int ret)
{
	__u32 perms = JG_PERM_READ;

	if (ret || !file)
		return ret;
	if (prot & PROT_EXEC) {
		ret = gate_exec_map(file, JG_HOOK_MMAP, true);
		if (ret)
			return ret;
	}
	if ((prot & PROT_WRITE) && (flags & MAP_SHARED))
		perms |= JG_PERM_WRITE;
	return gate_marked(file, perms, JG_HOOK_MMAP, true);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(jg_exec, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	ret = session_enforce(JG_HOOK_EXEC);
	if (ret)
		return ret;
	return gate_file(bprm->file, JG_PERM_EXEC, JG_HOOK_EXEC);
}

/* Making a file mapping executable after the fact (mmap PROT_READ, then mprotect PROT_EXEC)
 * is mapping it executable: the same exec check as mmap_file. Making a shared mapping
 * writable re-checks write like a writable mmap. */
SEC("lsm/file_mprotect")
int BPF_PROG(jg_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file;
	unsigned long vm_flags;

	if (ret)
		return ret;
	file = vma->vm_file;
	if (!file)
		return 0;
	vm_flags = vma->vm_flags;
	if ((prot & PROT_EXEC) && !(vm_flags & VM_EXEC)) {
		ret = gate_exec_map(file, JG_HOOK_MPROTECT, false);
		if (ret)
			return ret;
	}
	if ((prot & PROT_WRITE) && (vm_flags & VM_SHARED))
		return gate_marked(file, JG_PERM_WRITE, JG_HOOK_MPROTECT, false);
	return 0;
}

/* A new name for a protected inode needs write; the inode then stays protected by its own
 * identity, so the new name (which may sit outside the tree) is no way around the gate. */
SEC("lsm/inode_link")
int BPF_PROG(jg_inode_link, struct dentry *old_dentry, struct inode *dir,
	     struct dentry *new_dentry, int ret)
{
	__u32 dev, gen = 0, subject = 0, loginuid = 0;
	struct verdict v = {};

	if (ret)
		return ret;
	ret = seal_create(dir, new_dentry, JG_HOOK_LINK, false);
	if (ret)
		return ret;
	/* a new name inside a protected directory is a create there */
	ret = gate_write(new_dentry->d_parent, NULL, JG_HOOK_LINK, false);
	if (ret)
		return ret;
	/* a program of an exec-protected tree keeps its protection under the new name (a link
	 * needs no grant: exec resources have no write) */
	if (carry_tree(old_dentry, JG_PERM_EXEC))
		return -ENOSPC;
	dev = old_dentry->d_sb->s_dev;
	ret = gate_dentry(&v, old_dentry, false, dev, JG_PERM_WRITE, &gen, &subject, &loginuid);
	if (!v.type)
		return trail_name(ret, JG_HOOK_LINK, JG_TOP_LINK, old_dentry, new_dentry, false);
	if (!ret && !v.too_deep && !v.disconnected) {
		struct jg_object obj = { .resource = v.resource, .kind = JG_KIND_FILES };

		obj.mode = v.type == JG_EV_AUDIT ? JG_MODE_AUDIT : JG_MODE_ENFORCE;
		if (protect_inode(gen, dev, old_dentry->d_inode, obj) < 0)
			ret = -ENOSPC;
	}
	if (is_canary(&v))
		return ret;
	emit_file_event(&v, JG_HOOK_LINK, subject, loginuid, ret, false, dev,
			old_dentry->d_inode->i_ino, NULL, old_dentry, 0);
	return trail_name(ret, JG_HOOK_LINK, JG_TOP_LINK, old_dentry, new_dentry, false);
}

#endif
