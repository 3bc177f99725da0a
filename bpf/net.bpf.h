/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Network endpoints: connect, unconnected sends (UDP sendto/sendmsg, TCP Fast Open) and bind,
 * over IPv4, IPv6 and IPv4-mapped IPv6. */
#ifndef JG_NET_BPF_H
#define JG_NET_BPF_H

#include "decide.bpf.h"

#define JG_MSG_FASTOPEN 0x20000000	/* MSG_FASTOPEN: a #define, so not in vmlinux.h */
#define JG_SIN6_LEN     24		/* SIN6_LEN_RFC2133: the shortest sockaddr_in6 the stack takes */

/* An address and port a socket call names. The address is kept aligned here (word loads
 * and stores; the packed LPM key is byte-aligned) and copied into the key at lookup. */
struct net_target {
	__u8  addr[16] __attribute__((aligned(8)));	/* IPv6 form, IPv4 as ::ffff:a.b.c.d */
	__u16 family;
	__u16 port;
	__u32 gen;
};

/* Fill t from a sockaddr the kernel has copied in, up to the port bitmap test. Returns false
 * when nothing protected can be involved: not IPv4/IPv6, too short for the stack to accept
 * (it then fails with EINVAL anyway), or a port no endpoint of the kind (connect or bind)
 * has.
 * sin_port and sin6_port sit at byte 2, sin_addr at 4, sin6_addr at 8: fixed by the socket
 * ABI, so plain offsets (sa_data's declaration differs between kernel versions). The reads
 * are probe reads: msg_name is a void pointer, and a 6.1 verifier will not let a BTF
 * struct sockaddr be read past its 16 bytes. */
static __always_inline bool target_read(struct net_target *t, const void *addr, int len,
					__u16 sock_family, bool bind)
{
	__u8 sa[JG_SIN6_LEN] __attribute__((aligned(8)));
	struct jg_filter *filter;
	__u16 family, port;
	__u32 gen;
	__u64 *words;

	if (!addr || len < 16 || bpf_probe_read_kernel(sa, 16, addr))
		return false;
	family = *(__u16 *)sa;
	/* inet_bind takes AF_UNSPEC with INADDR_ANY as AF_INET (compatibility) */
	if (bind && family == 0 && sock_family == JG_AF_INET && !*(__u32 *)&sa[4])
		family = JG_AF_INET;
	if (family != JG_AF_INET && family != JG_AF_INET6)
		return false;
	port = bpf_ntohs(*(__u16 *)&sa[2]);
	gen = live_gen() & 1;
	filter = bpf_map_lookup_elem(&filters, &gen);
	if (!filter)
		return false;
	words = bind ? filter->bind_port : filter->port;
	if (!(words[(port >> 6) & (JG_FILTER_WORDS - 1)] & (1ULL << (port & 63))))
		return false;	/* no protected endpoint has this port: no LPM lookup */
	if (family == JG_AF_INET) {
		t->addr[10] = 0xff;
		t->addr[11] = 0xff;
		*(__u32 *)&t->addr[12] = *(__u32 *)&sa[4];
	} else {
		if (len < JG_SIN6_LEN || bpf_probe_read_kernel(sa, JG_SIN6_LEN, addr))
			return false;
		__builtin_memcpy(t->addr, &sa[8], 16);
	}
	t->family = family;
	t->port = port;
	t->gen = gen;
	return true;
}

static __always_inline bool addr_is_any(const __u8 *a, bool v4)
{
	__u64 hi = *(__u64 *)a;
	__u32 mid = *(__u32 *)&a[8], lo = *(__u32 *)&a[12];

	if (v4)
		return !hi && mid == bpf_htonl(0xffff) && !lo;
	return !hi && !mid && !lo;
}

/* A destination of 0.0.0.0 or :: is no wildcard but this host: the stack sends it to the
 * socket's bound IPv4 address or 127.0.0.1, to ::1 (IPv4-mapped loopback for a socket bound
 * to an IPv4-mapped address). Check the address the packet really goes to. */
static __always_inline void target_unspecified(struct net_target *t, struct sock *sk)
{
	__u8 *a = t->addr;

	if (addr_is_any(a, true)) {
		__u32 saddr = sk ? sk->__sk_common.skc_rcv_saddr : 0;

		*(__u32 *)&a[12] = saddr ? saddr : bpf_htonl(0x7f000001);
	} else if (addr_is_any(a, false)) {
		struct in6_addr *s = sk ? &sk->__sk_common.skc_v6_rcv_saddr : NULL;

		if (s && !s->in6_u.u6_addr32[0] && !s->in6_u.u6_addr32[1] &&
		    s->in6_u.u6_addr32[2] == bpf_htonl(0xffff)) {
			a[10] = 0xff;
			a[11] = 0xff;
			*(__u32 *)&a[12] = bpf_htonl(0x7f000001);
		} else {
			a[15] = 1;
		}
	}
}

/* The endpoint check shared by connect, sendmsg and bind: every port range of the longest
 * matching prefix that holds the port must be satisfied for `perm`. */
static __always_inline int net_gate(void *lpm, struct net_target *t, __u32 perm, __u32 hook)
{
	struct jg_net_key key = { .prefixlen = 8 + 128, .gen = (__u8)t->gen };
	struct jg_net_value *val;
	struct verdict v = {};
	struct jg_event *e;
	__u32 subject, loginuid;
	__u64 now;
	int i, ret;

	__builtin_memcpy(key.addr, t->addr, 16);
	val = bpf_map_lookup_elem(lpm, &key);
	if (!val)
		return 0;
	subject = subject_of(bpf_get_current_task_btf(), &loginuid);
	now = bpf_ktime_get_boot_ns();
	for (i = 0; i < JG_MAX_PORT_RANGES; i++) {
		struct jg_port_range *r;

		if (i >= val->count)
			break;
		r = &val->ranges[i];
		if (t->port < r->lo || t->port > r->hi)
			continue;
		if (require(&v, t->gen, subject, r->resource, r->mode, perm, now, 0))
			break;
	}
	if (!v.type)
		return 0;
	count(&v);
	ret = v.type == JG_EV_DENY ? -EACCES : 0;
	e = event_start(&v, hook, subject, loginuid, ret, false);
	if (e) {
		e->net.family = t->family;
		e->net.port = t->port;
		__builtin_memcpy(e->net.addr, t->addr, 16);
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}

SEC("lsm/socket_connect")
int BPF_PROG(jg_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct net_target t = {};

	if (ret)
		return ret;
	if (!target_read(&t, address, addrlen, 0, false))
		return 0;
	target_unspecified(&t, sock->sk);
	return net_gate(&net_prefixes, &t, JG_PERM_CONNECT, JG_HOOK_CONNECT);
}

/* Runs on every send on the host. Only a send that names its destination can reach an
 * endpoint the connect hook did not see: a datagram sendto/sendmsg (a connected UDP socket
 * passed connect; a given address overrides it) and TCP Fast Open, whose implicit connect
 * never calls security_socket_connect. A stream send without MSG_FASTOPEN ignores msg_name. */
SEC("lsm/socket_sendmsg")
int BPF_PROG(jg_sendmsg, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct net_target t = {};
	void *name;
	short type;

	if (ret)
		return ret;
	name = msg->msg_name;
	if (!name)
		return 0;	/* the common case: connected socket */
	type = sock->type;
	if (type != SOCK_DGRAM && type != SOCK_SEQPACKET &&
	    !(type == SOCK_STREAM && (msg->msg_flags & JG_MSG_FASTOPEN)))
		return 0;
	if (!target_read(&t, name, msg->msg_namelen, 0, false))
		return 0;
	target_unspecified(&t, sock->sk);
	return net_gate(&net_prefixes, &t, JG_PERM_CONNECT, JG_HOOK_SENDMSG);
}

/* A bind of 0.0.0.0 or :: needs no special case here: userspace puts the ranges of every
 * endpoint the wildcard covers under the wildcard's own /128 key (user/compile.c). */
SEC("lsm/socket_bind")
int BPF_PROG(jg_bind, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct net_target t = {};

	if (ret)
		return ret;
	if (sock->type == SOCK_RAW)
		return 0;	/* a raw socket's bind has no port */
	if (!target_read(&t, address, addrlen, sock->sk->__sk_common.skc_family, true))
		return 0;
	return net_gate(&bind_prefixes, &t, JG_PERM_BIND, JG_HOOK_BIND);
}

#endif
