/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Network destinations: connect over IPv4, IPv6 and IPv4-mapped IPv6. */
#ifndef JG_NET_BPF_H
#define JG_NET_BPF_H

#include "decide.bpf.h"

SEC("lsm/socket_connect")
int BPF_PROG(jg_connect, struct socket *sock, struct sockaddr *address, int addrlen, int ret)
{
	struct jg_net_key key = {};
	struct jg_filter *filter;
	struct jg_net_value *val;
	__u32 gen;
	struct task_struct *task;
	struct verdict v = {};
	struct jg_event *e;
	__u32 subject, loginuid;
	__u16 family, port;
	__u64 now;
	int i;

	if (ret)
		return ret;
	family = address->sa_family;
	if (family != JG_AF_INET && family != JG_AF_INET6)
		return 0;
	/* sin_port and sin6_port both sit at byte 2, sin_addr at byte 4: fixed by the socket
	 * ABI, so plain offsets (sa_data's declaration differs between kernel versions) */
	port = bpf_ntohs(*(__u16 *)((void *)address + 2));
	gen = live_gen() & 1;
	filter = bpf_map_lookup_elem(&filters, &gen);
	if (!filter || !(filter->port[(port >> 6) & (JG_FILTER_WORDS - 1)] & (1ULL << (port & 63))))
		return 0;	/* no protected endpoint has this port: no LPM lookup */
	if (family == JG_AF_INET) {
		if (addrlen < (int)sizeof(struct sockaddr_in))
			return 0;
		key.addr[10] = 0xff;
		key.addr[11] = 0xff;
		*(__u32 *)&key.addr[12] = *(__u32 *)((void *)address + 4);
	} else {
		struct sockaddr_in6 sin6;

		if (addrlen < (int)sizeof(sin6) ||
		    bpf_probe_read_kernel(&sin6, sizeof(sin6), address))
			return 0;
		__builtin_memcpy(key.addr, &sin6.sin6_addr, 16);
	}
	key.gen = (__u8)gen;
	key.prefixlen = 8 + 128;
	val = bpf_map_lookup_elem(&net_prefixes, &key);
	if (!val)
		return 0;

	task = bpf_get_current_task_btf();
	subject = subject_of(task, &loginuid);
	now = bpf_ktime_get_boot_ns();
	for (i = 0; i < JG_MAX_PORT_RANGES; i++) {
		struct jg_port_range *r;

		if (i >= val->count)
			break;
		r = &val->ranges[i];
		if (port < r->lo || port > r->hi)
			continue;
		if (require(&v, subject, r->resource, r->mode, JG_PERM_CONNECT, now, 0))
			break;
	}
	if (!v.type)
		return 0;
	count(&v);
	ret = v.type == JG_EV_DENY ? -EACCES : 0;
	e = event_start(&v, JG_HOOK_CONNECT, subject, loginuid, ret, false);
	if (e) {
		e->net.family = family;
		e->net.port = port;
		__builtin_memcpy(e->net.addr, key.addr, 16);
		bpf_ringbuf_submit(e, 0);
	}
	return ret;
}

#endif
