// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * flow_counter: per-flow and per-source packet accounting at XDP.
 *
 *  - `flows` (hash): IPv4 5-tuple -> packets/bytes
 *  - `sources` (LRU hash): IPv4 source -> packets, so a scan from many
 *    sources evicts old ones instead of failing updates
 *  - .bss counters for what is not IPv4 TCP/UDP/ICMP
 *
 * Configuration is read-only data set by the loader before load (libbpf
 * skeleton: `skel->rodata->min_frame_len = 64;`): the verifier then sees the
 * values as constants and prunes dead branches.
 *
 * Every packet passes; this program only observes.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct flow_stats {
	__u64 packets;
	__u64 bytes;
};

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(max_entries, 65536);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __be32);
	__type(value, __u64);
	__uint(max_entries, 4096);
} sources SEC(".maps");

/* Loader-set configuration. */
const volatile __u32 min_frame_len = 0;	/* shorter frames are only counted in `runts` */
const volatile bool track_ports = true;	/* false: ports are left 0 in flow keys */

/* Global counters (zero-initialized: .bss). */
__u64 total_packets;
__u64 non_ipv4_packets;
__u64 runts;

static __always_inline void count_source(__be32 saddr)
{
	__u64 one = 1, *cnt;

	cnt = bpf_map_lookup_elem(&sources, &saddr);
	if (cnt) {
		__sync_fetch_and_add(cnt, 1);
		return;
	}
	/* BPF_NOEXIST: lose a race with another CPU gracefully */
	bpf_map_update_elem(&sources, &saddr, &one, BPF_NOEXIST);
}

static __always_inline void count_flow(const struct flow_key *key, __u64 len)
{
	struct flow_stats *st, init = { .packets = 1, .bytes = len };

	st = bpf_map_lookup_elem(&flows, key);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, len);
		return;
	}
	bpf_map_update_elem(&flows, key, &init, BPF_NOEXIST);
}

SEC("xdp")
int flow_counter(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u64 len = data_end - data;
	struct flow_key key = {};
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u16 proto;
	void *l4;

	__sync_fetch_and_add(&total_packets, 1);
	if (len < min_frame_len) {
		__sync_fetch_and_add(&runts, 1);
		return XDP_PASS;
	}
	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;

	proto = eth->h_proto;
	iph = (void *)(eth + 1);
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *vh = (void *)(eth + 1);

		if ((void *)(vh + 1) > data_end)
			return XDP_PASS;
		proto = vh->h_vlan_encapsulated_proto;
		iph = (void *)(vh + 1);
	}
	if (proto != bpf_htons(ETH_P_IP)) {
		__sync_fetch_and_add(&non_ipv4_packets, 1);
		return XDP_PASS;
	}
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return XDP_PASS;

	key.saddr = iph->saddr;
	key.daddr = iph->daddr;
	key.proto = iph->protocol;
	l4 = (void *)iph + iph->ihl * 4;

	if (track_ports && (iph->frag_off & bpf_htons(0x1fff)) == 0) {
		if (key.proto == IPPROTO_TCP) {
			struct tcphdr *th = l4;

			if ((void *)(th + 1) > data_end)
				return XDP_PASS;
			key.sport = th->source;
			key.dport = th->dest;
		} else if (key.proto == IPPROTO_UDP) {
			struct udphdr *uh = l4;

			if ((void *)(uh + 1) > data_end)
				return XDP_PASS;
			key.sport = uh->source;
			key.dport = uh->dest;
		}
	}

	count_flow(&key, len);
	count_source(key.saddr);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
