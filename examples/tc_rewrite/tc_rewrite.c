// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tc_rewrite: a tc classifier (attach with `tc qdisc add dev eth0 clsact;
 * tc filter add dev eth0 ingress bpf da obj tc_rewrite.o sec tc`) that
 * rewrites IPv4 packets in place, keeping every checksum valid:
 *
 *  1. TCP to port 8080 is redirected to port 80 (port rewrite, L4 checksum
 *     fixed with bpf_l4_csum_replace);
 *  2. DNS (UDP port 53) is marked DSCP EF, expedited forwarding (TOS
 *     rewrite, IPv4 header checksum fixed with bpf_l3_csum_replace);
 *  3. packets with a TTL above MAX_TTL get it clamped to MAX_TTL.
 *
 * A rewritten packet gets skb->mark = MARK_BASE | rule bits, so later
 * iptables/routing rules can match it; `rewrites` counts each rule.
 * The classifier never drops: it always returns TC_ACT_OK.
 */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define PORT_FROM	8080
#define PORT_TO		80
#define DSCP_EF		46
#define MAX_TTL		64
#define MARK_BASE	0xeb000000

enum rule { RULE_PORT, RULE_DSCP, RULE_TTL, RULE_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, RULE_MAX);
} rewrites SEC(".maps");

static __always_inline void count(__u32 rule)
{
	__u64 *n = bpf_map_lookup_elem(&rewrites, &rule);

	if (n)
		__sync_fetch_and_add(n, 1);
}

/* Replaces one 16-bit word of the IPv4 header, fixing its checksum. */
static __always_inline int ip_rewrite_word(struct __sk_buff *skb, __u32 word_off, __be16 old, __be16 new)
{
	int err;

	err = bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), old, new, sizeof(new));
	if (err)
		return err;
	return bpf_skb_store_bytes(skb, ETH_HLEN + word_off, &new, sizeof(new), 0);
}

SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	__u32 l4_off, mark = 0;
	__be16 tos_word, ttl_word, dport;
	__u8 proto, ttl;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->ihl < 5)
		return TC_ACT_OK;

	/* Copy what we need: helpers that write the packet invalidate pointers. */
	proto = iph->protocol;
	ttl = iph->ttl;
	tos_word = *(__be16 *)iph;			/* version/ihl, tos */
	ttl_word = *(__be16 *)((void *)iph + 8);	/* ttl, protocol */
	l4_off = ETH_HLEN + iph->ihl * 4;

	if (iph->frag_off & bpf_htons(0x1fff))
		goto ttl;	/* not the first fragment: no L4 header */

	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = data + l4_off;

		if ((void *)(th + 1) > data_end)
			return TC_ACT_OK;
		dport = th->dest;
		if (dport == bpf_htons(PORT_FROM)) {
			__be16 to = bpf_htons(PORT_TO);

			if (bpf_l4_csum_replace(skb, l4_off + offsetof(struct tcphdr, check), dport, to,
						sizeof(to)))
				return TC_ACT_OK;
			if (bpf_skb_store_bytes(skb, l4_off + offsetof(struct tcphdr, dest), &to, sizeof(to), 0))
				return TC_ACT_OK;
			mark |= 1 << RULE_PORT;
			count(RULE_PORT);
		}
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *uh = data + l4_off;

		if ((void *)(uh + 1) > data_end)
			return TC_ACT_OK;
		if (uh->dest == bpf_htons(53)) {
			__be16 new_word = tos_word;
			__u8 tos = ((__u8 *)&tos_word)[1];

			((__u8 *)&new_word)[1] = DSCP_EF << 2 | (tos & 3);	/* keep ECN */
			if (new_word != tos_word) {
				if (ip_rewrite_word(skb, 0, tos_word, new_word))
					return TC_ACT_OK;
				mark |= 1 << RULE_DSCP;
				count(RULE_DSCP);
			}
		}
	}

ttl:
	if (ttl > MAX_TTL) {
		__be16 new_word = ttl_word;

		((__u8 *)&new_word)[0] = MAX_TTL;
		if (ip_rewrite_word(skb, 8, ttl_word, new_word))
			return TC_ACT_OK;
		mark |= 1 << RULE_TTL;
		count(RULE_TTL);
	}

	if (mark)
		skb->mark = MARK_BASE | mark;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
