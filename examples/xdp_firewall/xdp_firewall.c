// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * xdp_firewall: drop IPv4 packets whose source address falls inside a
 * blocklisted prefix.
 *
 * The blocklist is an LPM trie keyed by (prefix length, IPv4 address);
 * userspace fills it, e.g. `bpftool map update name blocklist key hex
 * 18 00 00 00 c6 33 64 00 value hex 01 00 00 00` for 198.51.100.0/24.
 * The value is a rule id, counted in `rule_hits`. Every verdict is counted
 * per CPU in `verdicts`, indexed by the XDP action.
 *
 * Non-IPv4 traffic (ARP, IPv6) always passes. One 802.1Q/802.1ad tag is
 * skipped.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_RULES 16

struct lpm_v4_key {
	__u32 prefixlen;	/* in bits, 0..32 */
	__u32 addr;		/* network byte order */
};

struct verdict_stats {
	__u64 packets;
	__u64 bytes;
};

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);		/* rule id, < MAX_RULES */
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, struct verdict_stats);
	__uint(max_entries, XDP_REDIRECT + 1);
} verdicts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, MAX_RULES);
} rule_hits SEC(".maps");

static __always_inline int record(struct xdp_md *ctx, __u32 action)
{
	struct verdict_stats *st = bpf_map_lookup_elem(&verdicts, &action);

	if (st) {
		/* per-CPU slot: no atomics needed */
		st->packets++;
		st->bytes += ctx->data_end - ctx->data;
	}
	return action;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct lpm_v4_key key;
	struct iphdr *iph;
	__u32 *rule;
	__u16 proto;
	void *l3;

	if ((void *)(eth + 1) > data_end)
		return record(ctx, XDP_DROP);	/* runt frame */

	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vh = l3;

		if ((void *)(vh + 1) > data_end)
			return record(ctx, XDP_DROP);
		proto = vh->h_vlan_encapsulated_proto;
		l3 = vh + 1;
	}

	if (proto != bpf_htons(ETH_P_IP))
		return record(ctx, XDP_PASS);

	iph = l3;
	if ((void *)(iph + 1) > data_end)
		return record(ctx, XDP_DROP);

	key.prefixlen = 32;
	key.addr = iph->saddr;
	rule = bpf_map_lookup_elem(&blocklist, &key);
	if (!rule)
		return record(ctx, XDP_PASS);

	if (*rule < MAX_RULES) {
		__u32 id = *rule;
		__u64 *hits = bpf_map_lookup_elem(&rule_hits, &id);

		if (hits)
			__sync_fetch_and_add(hits, 1);
	}
	return record(ctx, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
