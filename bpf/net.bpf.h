/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Network endpoints: connect, unconnected sends (UDP sendto/sendmsg, TCP Fast Open) and bind,
 * over IPv4, IPv6 and IPv4-mapped IPv6. */
#ifndef JG_NET_BPF_H
#define JG_NET_BPF_H

#include "session.bpf.h"

#define JG_MSG_FASTOPEN 0x20000000	/* MSG_FASTOPEN: a #define, so not in vmlinux.h */
#define JG_SIN6_LEN     24		/* SIN6_LEN_RFC2133: the shortest sockaddr_in6 the stack takes */
#define JG_IPPROTO_ICMPV6 58		/* a #define, so not in vmlinux.h */

/* Which socket call names the address: each protocol reads an AF_UNSPEC name its own way. */
enum net_call {
	NET_CONNECT,
	NET_SEND,
	NET_BIND,
};

/* Which port ranges of the matching prefix a call must satisfy. */
enum net_ports {
	PORTS_NAMED,	/* the port the name carries: TCP, UDP, UDP-Lite, SCTP, DCCP, MPTCP */
	PORTS_HOST,	/* ping sockets: ICMP echo reaches no port, only the host; the ranges
			 * that span every port (an endpoint written without a port) */
	PORTS_EVERY,	/* raw sockets and other port-less protocols: the payload may carry
			 * any transport header, so every range of the prefix */
};

/* An address and port a socket call names. The address is kept aligned here (word loads
 * and stores; the packed LPM key is byte-aligned) and copied into the key at lookup. */
struct net_target {
	__u8  addr[16] __attribute__((aligned(8)));	/* IPv6 form, IPv4 as ::ffff:a.b.c.d */
	__u16 family;
	__u16 port;		/* 0 unless PORTS_NAMED */
	__u32 gen;
	__u8  ports;		/* enum net_ports */
};

/* The family the stack reads a name of `family` as, or 0 when the call names no IP
 * destination. AF_INET and AF_INET6 are taken at their word whatever the socket (an AF_INET
 * name on an IPv6 UDP socket goes down the IPv4 path; where a protocol refuses the mix, a
 * check costs nothing). AF_UNSPEC (0) is what each protocol makes of it (6.1):
 *  - connect: inet_dgram_connect and __inet_stream_connect disconnect; no destination.
 *  - bind: inet_bind takes AF_UNSPEC with INADDR_ANY as AF_INET (compatibility).
 *  - sendmsg on an IPv4 socket: udp_sendmsg (UDP, UDP-Lite), raw_sendmsg and l2tp_ip take
 *    it as AF_INET. On a stream socket (TCP Fast Open) it is a disconnect, nothing is sent.
 *  - sendmsg on an IPv6 socket: udpv6_sendmsg sends to the connected peer (gated at its
 *    connect); rawv6_sendmsg and l2tp_ip6 take it as AF_INET6. */
static __always_inline __u16 name_family(__u16 family, const __u8 *sa, struct sock *sk,
					 short type, enum net_call call)
{
	__u16 sk_family;

	if (family == JG_AF_INET || family == JG_AF_INET6)
		return family;
	if (family != 0 || call == NET_CONNECT)
		return 0;
	sk_family = sk->__sk_common.skc_family;
	if (call == NET_BIND)
		return sk_family == JG_AF_INET && !*(__u32 *)&sa[4] ? JG_AF_INET : 0;
	if (type == SOCK_STREAM)
		return 0;
	if (sk_family == JG_AF_INET)
		return JG_AF_INET;
	if (sk_family != JG_AF_INET6)
		return 0;
	if (type != SOCK_RAW && (sk->sk_protocol == IPPROTO_UDP ||
				 sk->sk_protocol == IPPROTO_UDPLITE))
		return 0;
	return JG_AF_INET6;
}

/* Port-less traffic is told apart by the socket, never by the name: only an IPv4 or IPv6
 * socket's protocol number means an IP protocol (other families reuse the numbers). */
static __always_inline __u8 ports_of(struct sock *sk, short type)
{
	__u16 sk_family = sk->__sk_common.skc_family, proto;

	if (sk_family != JG_AF_INET && sk_family != JG_AF_INET6)
		return PORTS_NAMED;
	if (type == SOCK_RAW)
		return PORTS_EVERY;
	proto = sk->sk_protocol;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
	case IPPROTO_MPTCP:
		return PORTS_NAMED;
	case IPPROTO_ICMP:
	case JG_IPPROTO_ICMPV6:
		return PORTS_HOST;
	default:
		return PORTS_EVERY;
	}
}

/* Fill t from a sockaddr the kernel has copied in, up to the port bitmap test. Returns false
 * when nothing protected can be involved: no IP destination (see name_family), too short
 * for the stack to accept (it then fails with EINVAL anyway), or a port no endpoint of the
 * kind (connect or bind) has. A port-less call skips the bitmap: its answer is in the LPM.
 * sin_port and sin6_port sit at byte 2, sin_addr at 4, sin6_addr at 8: fixed by the socket
 * ABI, so plain offsets (sa_data's declaration differs between kernel versions). The reads
 * are probe reads: msg_name is a void pointer, and a 6.1 verifier will not let a BTF
 * struct sockaddr be read past its 16 bytes. */
static __always_inline bool target_read(struct net_target *t, const void *addr, int len,
					struct socket *sock, enum net_call call)
{
	__u8 sa[JG_SIN6_LEN] __attribute__((aligned(8)));
	struct sock *sk = sock->sk;
	struct jg_filter *filter;
	__u16 family, port;
	short type;
	__u32 gen;
	__u64 *words;
	__u8 ports;

	if (!addr || !sk || len < 16 || bpf_probe_read_kernel(sa, 16, addr))
		return false;
	type = sock->type;
	family = name_family(*(__u16 *)sa, sa, sk, type, call);
	if (!family)
		return false;
	ports = call == NET_BIND ? PORTS_NAMED : ports_of(sk, type);
	port = ports == PORTS_NAMED ? bpf_ntohs(*(__u16 *)&sa[2]) : 0;
	gen = live_gen() & 1;
	if (ports == PORTS_NAMED) {
		filter = bpf_map_lookup_elem(&filters, &gen);
		if (!filter)
			return false;
		words = call == NET_BIND ? filter->bind_port : filter->port;
		if (!(words[(port >> 6) & (JG_FILTER_WORDS - 1)] & (1ULL << (port & 63))))
			return false;	/* no protected endpoint has this port: no LPM lookup */
	}
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
	t->ports = ports;
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
 * matching prefix that holds the port (for port-less calls: see enum net_ports) must be
 * satisfied for `perm`. */
/* The ranges of one prefix, one per bpf_loop step: require() verified once, not once per
 * unrolled range (16 of them made the connect program too large for the verifier). */
_Static_assert(JG_MAX_PORT_RANGES == 16, "net_range masks its index with 0xf");

struct net_walk {
	struct jg_net_value *val;
	struct verdict v;
	__u64 now;
	__u32 subject, perm, gen;
	__u16 port;
	__u8 ports;
};

static long net_range(__u32 i, struct net_walk *w)
{
	struct jg_port_range *r;
	__u32 idx = i;

	if (i >= JG_MAX_PORT_RANGES || i >= w->val->count)
		return 1;
	/* masked in asm: the compiler would drop a C mask it thinks redundant, and the
	 * verifier needs the bound on the register it indexes with */
	asm volatile("%0 &= 0xf" : "+r"(idx));
	r = &w->val->ranges[idx];
	if (w->ports == PORTS_HOST && (r->lo > 1 || r->hi < 65535))
		return 0;
	if (w->ports == PORTS_NAMED && (w->port < r->lo || w->port > r->hi))
		return 0;
	return require(&w->v, w->gen, w->subject, r->resource, r->mode, w->perm, w->now, 0);
}

static __always_inline int net_gate(void *lpm, struct net_target *t, __u32 perm, __u32 hook)
{
	struct jg_net_key key = { .prefixlen = 8 + 128, .gen = (__u8)t->gen };
	struct jg_net_value *val;
	struct net_walk w = {};
	struct verdict v;
	struct jg_event *e;
	__u32 subject, loginuid;
	int ret;

	__builtin_memcpy(key.addr, t->addr, 16);
	val = bpf_map_lookup_elem(lpm, &key);
	if (!val)
		return 0;
	w.val = val;
	w.subject = subject = subject_of(bpf_get_current_task_btf(), &loginuid);
	w.now = bpf_ktime_get_boot_ns();
	w.perm = perm;
	w.gen = t->gen;
	w.port = t->port;
	w.ports = t->ports;
	bpf_loop(JG_MAX_PORT_RANGES, net_range, &w, 0);
	v = w.v;
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
	ret = session_enforce(JG_HOOK_CONNECT);
	if (ret)
		return ret;
	/* a raw or ping socket's connect names a port nobody reads: checked port-less, or its
	 * later send() without a name would reach the address unchecked */
	if (!target_read(&t, address, addrlen, sock, NET_CONNECT))
		return 0;
	target_unspecified(&t, sock->sk);
	return net_gate(&net_prefixes, &t, JG_PERM_CONNECT, JG_HOOK_CONNECT);
}

/* Runs on every send on the host. Only a send that names its destination can reach an
 * endpoint the connect hook did not see: a datagram or raw sendto/sendmsg (a connected
 * socket passed connect; a given address overrides it), also each message of sendmmsg and
 * io_uring's sends, and TCP Fast Open, whose implicit connect never calls
 * security_socket_connect. A stream send without MSG_FASTOPEN ignores msg_name. */
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
	if (type != SOCK_DGRAM && type != SOCK_SEQPACKET && type != SOCK_RAW &&
	    !(type == SOCK_STREAM && (msg->msg_flags & JG_MSG_FASTOPEN)))
		return 0;
	if (!target_read(&t, name, msg->msg_namelen, sock, NET_SEND))
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
	ret = session_enforce(JG_HOOK_BIND);
	if (ret)
		return ret;
	if (sock->type == SOCK_RAW)
		return 0;	/* a raw socket's bind has no port */
	if (!target_read(&t, address, addrlen, sock, NET_BIND))
		return 0;
	return net_gate(&bind_prefixes, &t, JG_PERM_BIND, JG_HOOK_BIND);
}

#endif
