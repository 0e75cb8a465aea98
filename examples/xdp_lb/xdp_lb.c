// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * xdp_lb: a small L4 load balancer in the style of direct-server-return
 * balancers. A packet to a virtual IP (VIP, port, protocol) gets a backend
 * chosen by a hash of its 5-tuple, so every packet of a flow lands on the
 * same backend, and is sent back out of the same NIC (XDP_TX) wrapped in an
 * outer IPv4 header (IP-in-IP, protocol 4) addressed to that backend. The
 * backend decapsulates and answers the client directly.
 *
 *  - `vips` (hash): struct vip_key -> struct vip_meta, the slice of
 *    `backends` that serves the VIP
 *  - `backends` (array): index -> address, MAC, flags; a draining backend
 *    is skipped (probing at most MAX_PROBES slots)
 *  - `lb_stats` (per-CPU array): packets/bytes sent, packets without backend
 *
 * Everything else (non-VIP traffic, ARP, IPv6, IPv4 with options or
 * fragments) passes to the stack untouched.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_VIPS	64
#define MAX_BACKENDS	8
#define MAX_PROBES	4
#define BACKEND_DRAINING 0x1

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 first;	/* index of the first backend in `backends` */
	__u32 count;	/* number of consecutive backends */
};

struct backend {
	__be32 addr;
	__u8 mac[ETH_ALEN];
	__u16 flags;
};

struct lb_stats {
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 no_backend;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
	__uint(max_entries, MAX_VIPS);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct backend);
	__uint(max_entries, MAX_BACKENDS);
} backends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct lb_stats);
	__uint(max_entries, 1);
} lb_stats SEC(".maps");

/* Source address of the outer header: this balancer's own address. */
const volatile __be32 tunnel_source = bpf_htonl(0x0a000002); /* 10.0.0.2 */

/* Murmur3-style mixing of the flow's words: cheap and well spread. */
static __noinline __u32 flow_hash(const __u32 *words, __u32 n)
{
	__u32 h = 0x9747b28c, i;

#pragma clang loop unroll(disable)
	for (i = 0; i < 4 && i < n; i++) {
		__u32 k = words[i] * 0xcc9e2d51;

		k = (k << 15) | (k >> 17);
		h ^= k * 0x1b873593;
		h = ((h << 13) | (h >> 19)) * 5 + 0xe6546b64;
	}
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	return h;
}

/* RFC 1071 checksum of an option-less IPv4 header (check field zero). */
static __noinline __u16 ipv4_csum(const struct iphdr *iph)
{
	const __u16 *w = (const __u16 *)iph;
	__u32 sum = 0, i;

#pragma clang loop unroll(disable)
	for (i = 0; i < sizeof(*iph) / 2; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum += sum >> 16;
	return ~sum;
}

static __noinline struct backend *pick_backend(const struct vip_meta *vip, __u32 hash)
{
	__u32 i;

	if (vip->count == 0)
		return NULL;
#pragma clang loop unroll(disable)
	for (i = 0; i < MAX_PROBES; i++) {
		__u32 idx = vip->first + (hash + i) % vip->count;
		struct backend *be = bpf_map_lookup_elem(&backends, &idx);

		if (be && be->addr && !(be->flags & BACKEND_DRAINING))
			return be;
	}
	return NULL;
}

SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data, *new_eth;
	struct iphdr *iph, *outer;
	struct vip_key vk = {};
	struct vip_meta *vip;
	struct backend *be;
	struct lb_stats *st;
	__u8 *l4;
	__u32 words[4], zero = 0;
	__u16 inner_len;
	__u8 tos;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_PASS;
	if (iph->ihl != 5 || (iph->frag_off & bpf_htons(0x3fff)))
		return XDP_PASS;	/* options or fragments: leave to the stack */

	vk.addr = iph->daddr;
	vk.proto = iph->protocol;
	l4 = (__u8 *)(iph + 1);
	if (vk.proto == IPPROTO_TCP || vk.proto == IPPROTO_UDP) {
		/* source and destination ports lead both headers */
		if ((void *)(l4 + 4) > data_end)
			return XDP_PASS;
		vk.port = *(__be16 *)(l4 + 2);
		words[2] = *(__u32 *)l4;
	} else {
		return XDP_PASS;
	}

	vip = bpf_map_lookup_elem(&vips, &vk);
	if (!vip)
		return XDP_PASS;

	words[0] = iph->saddr;
	words[1] = iph->daddr;
	words[3] = iph->protocol;
	st = bpf_map_lookup_elem(&lb_stats, &zero);
	be = pick_backend(vip, flow_hash(words, 4));
	if (!be) {
		if (st)
			st->no_backend++;
		return XDP_DROP;
	}

	inner_len = bpf_ntohs(iph->tot_len);
	tos = iph->tos;

	/* Make room for the outer header in front of the inner one. */
	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return XDP_DROP;
	data_end = (void *)(long)ctx->data_end;
	data = (void *)(long)ctx->data;
	new_eth = data;
	outer = (void *)(new_eth + 1);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;

	/* The old Ethernet header sat where the outer IP header now starts. */
	__builtin_memcpy(new_eth->h_source, ((struct ethhdr *)((void *)new_eth + sizeof(*outer)))->h_dest,
			 ETH_ALEN);
	__builtin_memcpy(new_eth->h_dest, be->mac, ETH_ALEN);
	new_eth->h_proto = bpf_htons(ETH_P_IP);

	outer->version = 4;
	outer->ihl = 5;
	outer->tos = tos;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = bpf_htons(0x4000); /* DF */
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = tunnel_source;
	outer->daddr = be->addr;
	outer->check = ipv4_csum(outer);

	if (st) {
		st->tx_packets++;
		st->tx_bytes += data_end - data;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
