// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * socket_filter: a socket filter (SO_ATTACH_BPF) that keeps only IPv4 TCP
 * segments to port 80 or 443, i.e. what a web-traffic capture wants.
 * Returning the packet length keeps the whole packet, 0 drops it.
 *
 * It reads the packet the classic-BPF way, with the LD_ABS/LD_IND
 * instructions (load_byte/load_half below), which load from the skb in
 * network byte order and abort the program (returning 0) when the offset is
 * out of bounds. Offsets are relative to SKF_NET_OFF, the network header, so
 * the filter works on packet sockets (data starts at the MAC header) and on
 * IP sockets alike.
 *
 * `verdicts` counts drops (index 0) and accepts (index 1).
 */
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The LLVM intrinsics behind LD_ABS/LD_IND (cf. the kernel's samples/bpf). */
unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

#define NET(off) (SKF_NET_OFF + (off))

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} verdicts SEC(".maps");

static __always_inline int verdict(struct __sk_buff *skb, int accept)
{
	__u32 key = !!accept;
	__u64 *n = bpf_map_lookup_elem(&verdicts, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return accept ? skb->len : 0;
}

SEC("socket")
int socket_filter(struct __sk_buff *skb)
{
	__u32 ihl, dport;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return verdict(skb, 0);
	/* version must be 4, protocol TCP */
	if ((load_byte(skb, NET(0)) >> 4) != 4 ||
	    load_byte(skb, NET(offsetof(struct iphdr, protocol))) != IPPROTO_TCP)
		return verdict(skb, 0);
	/* a non-first fragment carries no TCP header */
	if (load_half(skb, NET(offsetof(struct iphdr, frag_off))) & 0x1fff)
		return verdict(skb, 0);

	ihl = (load_byte(skb, NET(0)) & 0xf) << 2;
	if (ihl < sizeof(struct iphdr))
		return verdict(skb, 0);
	/* LD_IND: the offset depends on the header length */
	dport = load_half(skb, NET(ihl + offsetof(struct tcphdr, dest)));
	return verdict(skb, dport == 80 || dport == 443);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
