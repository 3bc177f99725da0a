/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Files and executables: open for read/write, exec, new hardlinks. */
#ifndef JG_FILES_BPF_H
#define JG_FILES_BPF_H

#include "decide.bpf.h"

#define FMODE_READ  0x1
#define FMODE_WRITE 0x2

SEC("lsm/file_open")
int BPF_PROG(jg_file_open, struct file *file, int ret)
{
	__u32 fmode, perms = 0;

	if (ret)
		return ret;
	fmode = file->f_mode;
	if (fmode & FMODE_READ)
		perms |= JG_PERM_READ;
	if (fmode & FMODE_WRITE)
		perms |= JG_PERM_WRITE;
	if (!perms)
		return 0;
	return gate_file(file, JG_KIND_FILES, perms, JG_HOOK_FILE_OPEN);
}

SEC("lsm/bprm_check_security")
int BPF_PROG(jg_exec, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return gate_file(bprm->file, JG_KIND_EXEC, JG_PERM_EXEC, JG_HOOK_EXEC);
}

/* A new name for a protected inode needs write; the inode then stays protected by its own
 * identity, so the new name (which may sit outside the tree) is no way around the gate. */
SEC("lsm/inode_link")
int BPF_PROG(jg_inode_link, struct dentry *old_dentry, struct inode *dir,
	     struct dentry *new_dentry, int ret)
{
	__u32 dev, gen = 0, subject = 0, loginuid = 0;
	struct verdict v = {};
	struct jg_event *e;

	if (ret)
		return ret;
	dev = old_dentry->d_sb->s_dev;
	ret = gate_dentry(&v, old_dentry, dev, JG_KIND_FILES, JG_PERM_WRITE, &gen, &subject,
			  &loginuid);
	if (!v.type)
		return ret;
	if (!ret && !v.too_deep) {
		struct jg_object_key key = { .gen = gen, .dev = dev };
		struct jg_object obj = { .resource = v.resource, .kind = JG_KIND_FILES };

		struct jg_filter *f = bpf_map_lookup_elem(&filters, &gen);
		__u32 bit;

		key.ino = old_dentry->d_inode->i_ino;
		obj.mode = v.type == JG_EV_AUDIT ? JG_MODE_AUDIT : JG_MODE_ENFORCE;
		bpf_map_update_elem(&objects, &key, &obj, BPF_NOEXIST);
		/* the walk looks at the filter first: the new entry must pass it */
		bit = jg_ino_bit(key.ino);
		if (f)
			__sync_fetch_and_or(&f->ino[(bit >> 6) & (JG_FILTER_WORDS - 1)],
					    1ULL << (bit & 63));
	}
	if (v.resource == JG_CANARY_RESOURCE && !v.too_deep)
		return ret;
	e = event_start(&v, JG_HOOK_LINK, subject, loginuid, ret, false);
	if (e) {
		e->file.dev = dev;
		e->file.ino = old_dentry->d_inode->i_ino;
		e->file.prot_ino = v.prot_ino;
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}

#endif
