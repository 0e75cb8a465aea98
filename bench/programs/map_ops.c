// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * map_ops: the same bytecode times map operations in the kernel (under
 * BPF_PROG_TEST_RUN) and in this engine (JIT and interpreter). Every program
 * is an XDP program that ignores its packet and runs a bounded loop of
 * N_OPS operations on one map; `base_*` runs the same loop without the map
 * call, so ns per operation = (op run - base run) / N_OPS.
 *
 * Keys: a .bss cursor advances by N_OPS per run, and operation i uses
 * ((cursor + i) * SPREAD) % ENTRIES, so successive runs walk the whole map
 * instead of a few cache-hot keys. The maps are filled by the bench before
 * the runs: u32 keys 0..ENTRIES-1 (hash, LRU, array); for the LPM trie,
 * /24 prefixes whose address is (k << 8) in network order, looked up as /32
 * addresses inside them and updated as the /24s themselves.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define N_OPS 256
#define SPREAD 2654435761u /* Knuth's multiplicative hash: spreads consecutive i */
#define E_SMALL 1000
#define E_LARGE 1000000
#define E_LPM 10000

struct lpm_key {
	__u32 prefixlen;
	__be32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, E_SMALL);
} hash_1k SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, E_LARGE);
} hash_1m SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, E_SMALL);
} lru_1k SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_key);
	__type(value, __u64);
	__uint(max_entries, E_LPM);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} lpm_10k SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, E_SMALL);
} array_1k SEC(".maps");

__u32 cursor;
__u64 sink;

static __always_inline __u32 key_at(__u32 base, __u32 i, __u32 entries)
{
	return ((base + i) * SPREAD) % entries;
}

/* One program per (map, operation); the loop is the same in all of them. */
#define U32_LOOKUP(NAME, MAP, ENTRIES)                                      \
SEC("xdp") int NAME(struct xdp_md *ctx)                                     \
{                                                                           \
	__u32 base = cursor, k;                                             \
	__u64 acc = 0;                                                      \
	cursor = base + N_OPS;                                              \
	_Pragma("clang loop unroll(disable)")                               \
	for (__u32 i = 0; i < N_OPS; i++) {                                 \
		k = key_at(base, i, ENTRIES);                               \
		__u64 *v = bpf_map_lookup_elem(&MAP, &k);                   \
		if (v)                                                      \
			acc += *v;                                          \
	}                                                                   \
	sink += acc;                                                        \
	return XDP_PASS;                                                    \
}

#define U32_UPDATE(NAME, MAP, ENTRIES)                                      \
SEC("xdp") int NAME(struct xdp_md *ctx)                                     \
{                                                                           \
	__u32 base = cursor, k;                                             \
	__u64 v;                                                            \
	long err = 0;                                                       \
	cursor = base + N_OPS;                                              \
	_Pragma("clang loop unroll(disable)")                               \
	for (__u32 i = 0; i < N_OPS; i++) {                                 \
		k = key_at(base, i, ENTRIES);                               \
		v = base + i;                                               \
		err |= bpf_map_update_elem(&MAP, &k, &v, BPF_ANY);          \
	}                                                                   \
	sink += err;                                                        \
	return XDP_PASS;                                                    \
}

U32_LOOKUP(lookup_hash_1k, hash_1k, E_SMALL)
U32_UPDATE(update_hash_1k, hash_1k, E_SMALL)
U32_LOOKUP(lookup_hash_1m, hash_1m, E_LARGE)
U32_UPDATE(update_hash_1m, hash_1m, E_LARGE)
U32_LOOKUP(lookup_lru_1k, lru_1k, E_SMALL)
U32_UPDATE(update_lru_1k, lru_1k, E_SMALL)
U32_LOOKUP(lookup_array_1k, array_1k, E_SMALL)
U32_UPDATE(update_array_1k, array_1k, E_SMALL)

SEC("xdp") int lookup_lpm_10k(struct xdp_md *ctx)
{
	__u32 base = cursor;
	struct lpm_key k = { .prefixlen = 32 };
	__u64 acc = 0;

	cursor = base + N_OPS;
	#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < N_OPS; i++) {
		k.addr = bpf_htonl(key_at(base, i, E_LPM) << 8 | 5);
		__u64 *v = bpf_map_lookup_elem(&lpm_10k, &k);
		if (v)
			acc += *v;
	}
	sink += acc;
	return XDP_PASS;
}

SEC("xdp") int update_lpm_10k(struct xdp_md *ctx)
{
	__u32 base = cursor;
	struct lpm_key k = { .prefixlen = 24 };
	__u64 v;
	long err = 0;

	cursor = base + N_OPS;
	#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < N_OPS; i++) {
		k.addr = bpf_htonl(key_at(base, i, E_LPM) << 8);
		v = base + i;
		err |= bpf_map_update_elem(&lpm_10k, &k, &v, BPF_ANY);
	}
	sink += err;
	return XDP_PASS;
}

/* Baselines: the loop and key computation, the key stored to the stack as
 * the map programs do, no call. */
SEC("xdp") int base_u32(struct xdp_md *ctx)
{
	__u32 base = cursor;
	volatile __u32 k;
	__u64 acc = 0;

	cursor = base + N_OPS;
	#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < N_OPS; i++) {
		k = key_at(base, i, E_SMALL);
		acc += k;
	}
	sink += acc;
	return XDP_PASS;
}

SEC("xdp") int base_lpm(struct xdp_md *ctx)
{
	__u32 base = cursor;
	volatile struct lpm_key k = { .prefixlen = 32 };
	__u64 acc = 0;

	cursor = base + N_OPS;
	#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < N_OPS; i++) {
		k.addr = bpf_htonl(key_at(base, i, E_LPM) << 8 | 5);
		acc += k.addr;
	}
	sink += acc;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
