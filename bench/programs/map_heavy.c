// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * map_heavy: an XDP program whose cost is dominated by map operations, to
 * compare the tiers and the kernel per packet. Per IPv4 TCP/UDP packet it
 * does six lookups: config (array), per-protocol counters (array), a port
 * ACL (hash), per-flow stats (hash), per-source counters (LRU hash),
 * per-destination counters (hash), plus an insert (BPF_NOEXIST) for each
 * new flow, source or destination. Other frames do two lookups (config
 * and protocol counters).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct flow_key {
	__be32 saddr, daddr;
	__be16 sport, dport;
	__u8 proto, pad[3];
};

struct counters {
	__u64 packets, bytes;
};

struct config {
	__u32 max_len;   /* frames longer than this are dropped (0: no limit) */
	__u32 drop_acl;  /* 1: ports listed in `acl` with value 1 are dropped */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct config);
	__uint(max_entries, 1);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct counters);
	__uint(max_entries, 256);
} proto_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u16);
	__type(value, __u32);
	__uint(max_entries, 1024);
} acl SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct counters);
	__uint(max_entries, 65536);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __be32);
	__type(value, struct counters);
	__uint(max_entries, 4096);
} sources SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __be32);
	__type(value, struct counters);
	__uint(max_entries, 4096);
} dests SEC(".maps");

static __always_inline void count(void *map, void *key, __u64 len)
{
	struct counters *c = bpf_map_lookup_elem(map, key);

	if (c) {
		c->packets++;
		c->bytes += len;
	} else {
		struct counters n = { 1, len };

		bpf_map_update_elem(map, key, &n, BPF_NOEXIST);
	}
}

SEC("xdp")
int map_heavy(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	__u32 zero = 0, proto = 0;
	struct ethhdr *eth = data;
	struct config *cfg;
	struct counters *pc;
	struct flow_key fk = {};
	struct iphdr *ip;

	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return XDP_ABORTED;
	if (cfg->max_len && len > cfg->max_len)
		return XDP_DROP;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	ip = (void *)(eth + 1);
	if (eth->h_proto == bpf_htons(ETH_P_IP) && (void *)(ip + 1) <= data_end)
		proto = ip->protocol;
	pc = bpf_map_lookup_elem(&proto_stats, &proto);
	if (pc) {
		__sync_fetch_and_add(&pc->packets, 1);
		__sync_fetch_and_add(&pc->bytes, len);
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return XDP_PASS;
	if (ip->ihl != 5)
		return XDP_PASS;
	/* TCP and UDP ports sit at the same offsets */
	struct udphdr *l4 = (void *)(ip + 1);
	if ((void *)(l4 + 1) > data_end)
		return XDP_DROP;
	fk.saddr = ip->saddr;
	fk.daddr = ip->daddr;
	fk.sport = l4->source;
	fk.dport = l4->dest;
	fk.proto = proto;

	__u16 port = bpf_ntohs(l4->dest);
	__u32 *rule = bpf_map_lookup_elem(&acl, &port);
	if (rule && *rule == 1 && cfg->drop_acl)
		return XDP_DROP;
	count(&flows, &fk, len);
	count(&sources, &fk.saddr, len);
	count(&dests, &fk.daddr, len);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
