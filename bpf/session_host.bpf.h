/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* More of what an elevated session lends to objects it did not make (bpf/session_lend.bpf.h
 * for the rest), each in programs of its own, attached with the session programs:
 *  - a network link moved into another network namespace (RTM_NEWLINK or RTM_SETLINK with
 *    IFLA_NET_NS_PID, IFLA_NET_NS_FD or IFLA_TARGET_NETNSID): the host's card would be the
 *    person's, in a namespace of hers, after the revoke. Links made in the session's own
 *    namespace stay allowed (a veth peer's namespace is nested in IFLA_LINKINFO);
 *  - group or other permission bits added to, the owner or group changed of, or an ACL set
 *    on, a regular file or directory the session did not create: root's 0600 file made 0666
 *    would stay readable by her. Narrowing stays allowed. "Created by the session": an inode
 *    whose name a task of the same session (grant) made by open(O_CREAT), mknod or mkdir,
 *    marked when the name gets it (path_mknod / path_mkdir, then d_instantiate).
 * Each refusal is a tamper.deny; the host's automation and gate-admin holders keep all of it. */
#ifndef JG_SESSION_HOST_BPF_H
#define JG_SESSION_HOST_BPF_H

#include "session_files.bpf.h"

/* ------------------------------------------------------------------ links into other netns */
#define JG_NETLINK_ROUTE     0
#define JG_RTM_NEWLINK       16
#define JG_RTM_SETLINK       19
#define JG_IFLA_NET_NS_PID   19
#define JG_IFLA_NET_NS_FD    28
#define JG_IFLA_TARGET_NETNSID 46
#define JG_NLA_TYPE_MASK     0x3fff	/* without NLA_F_NESTED and NLA_F_NET_BYTEORDER */
#define JG_NLMSG_HDRLEN      16
#define JG_IFINFO_END        32		/* nlmsghdr + ifinfomsg: the first attribute */
#define JG_NL_STEPS          4096	/* messages and attributes read; more: refused */

struct nl_scan {
	const unsigned char *data;
	__u32 len;
	__u32 next;	/* the next message */
	__u32 off;	/* the next attribute of a link message */
	__u32 end;	/* the end of that message */
	__s32 ifindex;
	bool moves;
	bool done;
};

/* One message header or one attribute (a bpf_loop callback). */
static long nl_step(__u32 i, struct nl_scan *c)
{
	struct { __u32 len; __u16 type; __u16 flags; } h = {};
	struct { __u16 len; __u16 type; } a = {};
	__u16 t;

	if (c->off + 4 > c->end) {	/* the next message */
		if (c->next + JG_NLMSG_HDRLEN > c->len) {
			c->done = true;
			return 1;
		}
		bpf_probe_read_kernel(&h, sizeof(h), c->data + c->next);
		if (h.len < JG_NLMSG_HDRLEN || h.len > c->len - c->next) {
			c->done = true;	/* netlink_rcv_skb stops here too */
			return 1;
		}
		c->end = c->next + h.len;
		c->off = c->end;
		if ((h.type == JG_RTM_NEWLINK || h.type == JG_RTM_SETLINK) &&
		    h.len >= JG_IFINFO_END) {
			c->off = c->next + JG_IFINFO_END;
			bpf_probe_read_kernel(&c->ifindex, sizeof(c->ifindex),
					      c->data + c->next + JG_NLMSG_HDRLEN + 4);
		}
		c->next += (h.len + 3) & ~3u;
		return 0;
	}
	bpf_probe_read_kernel(&a, sizeof(a), c->data + c->off);
	if (a.len < 4) {
		c->off = c->end;
		return 0;
	}
	t = a.type & JG_NLA_TYPE_MASK;
	if (t == JG_IFLA_NET_NS_PID || t == JG_IFLA_NET_NS_FD || t == JG_IFLA_TARGET_NETNSID) {
		c->moves = true;
		return 1;
	}
	c->off += (a.len + 3) & ~3u;
	return 0;
}

SEC("lsm/netlink_send")
int BPF_PROG(jg_host_netlink, struct sock *sk, struct sk_buff *skb, int ret)
{
	struct nl_scan c = {};

	if (ret)
		return ret;
	if (BPF_CORE_READ(sk, sk_protocol) != JG_NETLINK_ROUTE ||
	    !session_of(bpf_get_current_task_btf()))
		return 0;
	c.data = BPF_CORE_READ(skb, data);
	c.len = BPF_CORE_READ(skb, len);
	bpf_loop(JG_NL_STEPS, nl_step, &c, 0);
	if (!c.moves && c.done)
		return 0;
	/* a move, or a message too long to read to its end */
	return seal_refuse_human(JG_HOOK_HOST, JG_HOST_NETNS_MOVE,
				 c.moves ? (__u64)(__u32)c.ifindex : (__u64)-1);
}

/* ------------------------------------------------------------------ files the session made */

/* A name being made by a session task: dentry address -> the session's grant. Until the
 * name gets its inode (d_instantiate); a creation that fails leaves an entry the LRU drops. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} session_making SEC(".maps");

/* An inode a session made: the session's grant. Not pinned. */
struct {
	__uint(type, BPF_MAP_TYPE_INODE_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} session_made SEC(".maps");

static __always_inline int session_making_name(struct dentry *dentry)
{
	struct jg_session *s = session_of(bpf_get_current_task_btf());
	__u64 key = (__u64)dentry;

	if (s)
		bpf_map_update_elem(&session_making, &key, &s->grant_id, BPF_ANY);
	return 0;
}

SEC("lsm/path_mknod")
int BPF_PROG(jg_made_mknod, const struct path *dir, struct dentry *dentry, umode_t mode,
	     unsigned int dev, int ret)
{
	return ret ? ret : session_making_name(dentry);
}

SEC("lsm/path_mkdir")
int BPF_PROG(jg_made_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode,
	     int ret)
{
	return ret ? ret : session_making_name(dentry);
}

SEC("lsm/d_instantiate")
int BPF_PROG(jg_made_inst, struct dentry *dentry, struct inode *inode)
{
	__u64 key = (__u64)dentry, *grant, *m;

	if (!inode)
		return 0;
	grant = bpf_map_lookup_elem(&session_making, &key);
	if (!grant)
		return 0;
	m = bpf_inode_storage_get(&session_made, inode, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (m)
		*m = *grant;
	bpf_map_delete_elem(&session_making, &key);
	return 0;
}

/* The inode is a regular file or directory a session task changes and the session did not
 * make it: the session's grant, else 0. A BTF pointer (inode storage takes no other). */
static __always_inline __u64 widen_target(struct inode *inode)
{
	struct jg_session *s = session_of(bpf_get_current_task_btf());
	umode_t fmt;
	__u64 *m;

	if (!s || !inode)
		return 0;
	fmt = inode->i_mode & S_IFMT;
	if (fmt != S_IFDIR && fmt != S_IFREG)
		return 0;
	m = bpf_inode_storage_get(&session_made, inode, 0, 0);
	return m && *m == s->grant_id ? 0 : s->grant_id;
}

static __noinline int widen_refuse(struct dentry *dentry, __u64 id)
{
	struct seal_who w;

	if (!seal_human(bpf_get_current_task_btf(), &w) || seal_admin(&w))
		return 0;
	return seal_refuse(&w, JG_HOOK_HOST, JG_HOST_WIDEN_MODE, id, NULL, NULL, dentry, false);
}

/* chmod adding group/other bits, chown changing the owner or group (tamper.id: the mode
 * asked for, with bit 32 for an owner change). */
static __noinline int widen_attr(struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = dentry->d_inode;
	unsigned int valid = BPF_CORE_READ(attr, ia_valid);
	umode_t mode, want;

	if (!widen_target(inode))
		return 0;
	mode = inode->i_mode;
	if (((valid & JG_ATTR_UID) && BPF_CORE_READ(attr, ia_uid.val) != inode->i_uid.val) ||
	    ((valid & JG_ATTR_GID) && BPF_CORE_READ(attr, ia_gid.val) != inode->i_gid.val))
		return widen_refuse(dentry, (1ULL << 32) | (mode & 07777));
	want = BPF_CORE_READ(attr, ia_mode);
	if ((valid & JG_ATTR_MODE) && (want & 0077 & ~mode))
		return widen_refuse(dentry, want & 07777);
	return 0;
}

/* An ACL set on it (system.posix_acl_access or _default). */
static __noinline int widen_acl(struct dentry *dentry)
{
	struct inode *inode = dentry->d_inode;

	return widen_target(inode) ? widen_refuse(dentry, inode->i_mode & 07777) : 0;
}

#endif
