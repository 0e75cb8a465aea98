// Shared definitions of the map kernels: errnos, map types, the map header
// layout, spin locks on linear-memory words and the key hash.

// errnos (returned negated)
export const EPERM: i32 = 1;
export const ENOENT: i32 = 2;
export const E2BIG: i32 = 7;
export const EAGAIN: i32 = 11;
export const ENOMEM: i32 = 12;
export const EFAULT: i32 = 14;
export const EBUSY: i32 = 16;
export const EEXIST: i32 = 17;
export const EINVAL: i32 = 22;
export const ENOSPC: i32 = 28;
export const ENODEV: i32 = 19;
export const EOVERFLOW: i32 = 75;
export const EOPNOTSUPP: i32 = 95;
export const ENOTSUPP: i32 = 524;

// enum bpf_map_type
export const T_HASH: u32 = 1;
export const T_ARRAY: u32 = 2;
export const T_PROG_ARRAY: u32 = 3;
export const T_PERF_EVENT_ARRAY: u32 = 4;
export const T_PERCPU_HASH: u32 = 5;
export const T_PERCPU_ARRAY: u32 = 6;
export const T_STACK_TRACE: u32 = 7;
export const T_CGROUP_ARRAY: u32 = 8;
export const T_LRU_HASH: u32 = 9;
export const T_LRU_PERCPU_HASH: u32 = 10;
export const T_LPM_TRIE: u32 = 11;
export const T_ARRAY_OF_MAPS: u32 = 12;
export const T_HASH_OF_MAPS: u32 = 13;
export const T_DEVMAP: u32 = 14;
export const T_SOCKMAP: u32 = 15;
export const T_CPUMAP: u32 = 16;
export const T_XSKMAP: u32 = 17;
export const T_SOCKHASH: u32 = 18;
export const T_CGROUP_STORAGE: u32 = 19;
export const T_REUSEPORT_SOCKARRAY: u32 = 20;
export const T_PERCPU_CGROUP_STORAGE: u32 = 21;
export const T_QUEUE: u32 = 22;
export const T_STACK: u32 = 23;
export const T_DEVMAP_HASH: u32 = 25;
export const T_SK_STORAGE: u32 = 24;
export const T_RINGBUF: u32 = 27;
export const T_INODE_STORAGE: u32 = 28;
export const T_TASK_STORAGE: u32 = 29;
export const T_BLOOM_FILTER: u32 = 30;
export const T_CGRP_STORAGE: u32 = 32;

// update flags
export const BPF_ANY: u64 = 0;
export const BPF_NOEXIST: u64 = 1;
export const BPF_EXIST: u64 = 2;
export const BPF_F_LOCK: u64 = 4;

// map flags
export const BPF_F_NO_PREALLOC: u32 = 1;
export const BPF_F_ZERO_SEED: u32 = 64;

// Map header (the map handle points here). Family fields start at F0.
export const M_TYPE: usize = 0;
export const M_KEY: usize = 4;
export const M_VALUE: usize = 8;
export const M_MAX: usize = 12;
export const M_FLAGS: usize = 16;
export const M_ID: usize = 20;
/** Map-wide spin lock (free list, trie, queue, ring buffer). */
export const M_LOCK: usize = 24;
export const M_COUNT: usize = 28;
/** value_size rounded up to 8 (per-CPU slot stride). */
export const M_VSTRIDE: usize = 32;
export const M_KSTRIDE: usize = 36;
/** Offset of struct bpf_spin_lock in the value plus one; 0 = none. */
export const M_SPIN: usize = 40;
export const M_EXTRA: usize = 44;
export const F0: usize = 48;
export const F1: usize = 52;
export const F2: usize = 56;
export const F3: usize = 60;
export const F4: usize = 64;
export const F5: usize = 68;
export const F6: usize = 72;
export const F7: usize = 76;
export const F8: usize = 80;
export const F9: usize = 84;
export const MAP_HEADER_BYTES: u32 = 128;

/** Simulated CPU of this instance (one instance per worker thread). */
export let cpu: u32 = 0;
export let ncpus: u32 = 1;
export function setCpu(c: u32): void { cpu = c; }
export function setNcpus(n: u32): void { ncpus = n; }

@inline export function spinLock(p: usize): void {
  while (atomic.cmpxchg<i32>(p, 0, 1) != 0) {}
}
@inline export function spinTryLock(p: usize): bool {
  return atomic.cmpxchg<i32>(p, 0, 1) == 0;
}
@inline export function spinUnlock(p: usize): void {
  atomic.store<i32>(p, 0);
}

@inline export function round8(n: u32): u32 { return (n + 7) & ~7; }

/** murmur3-style 32-bit hash of n bytes. */
export function hashBytes(p: usize, n: u32, seed: u32): u32 {
  if (n == 4) {
    // u32 keys: one murmur3 round and the finaliser
    let h: u32 = seed ^ 0x9e3779b1 * 4;
    let k = load<u32>(p) * 0xcc9e2d51;
    k = rotl<u32>(k, 15) * 0x1b873593;
    h ^= k;
    h = rotl<u32>(h, 13) * 5 + 0xe6546b64;
    h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16;
    return h;
  }
  let h: u32 = seed ^ (n * 0x9e3779b1);
  let i: u32 = 0;
  for (; i + 4 <= n; i += 4) {
    let k = load<u32>(p + i) * 0xcc9e2d51;
    k = rotl<u32>(k, 15) * 0x1b873593;
    h ^= k;
    h = rotl<u32>(h, 13) * 5 + 0xe6546b64;
  }
  if (i < n) {
    let k: u32 = 0;
    let sh: u32 = 0;
    for (; i < n; i++) { k |= <u32>load<u8>(p + i) << sh; sh += 8; }
    k *= 0xcc9e2d51;
    k = rotl<u32>(k, 15) * 0x1b873593;
    h ^= k;
  }
  h ^= h >> 16; h *= 0x85ebca6b; h ^= h >> 13; h *= 0xc2b2ae35; h ^= h >> 16;
  return h;
}

export function bytesEqual(a: usize, b: usize, n: u32): bool {
  // the common key sizes compare in one load
  if (n == 4) return load<u32>(a) == load<u32>(b);
  if (n == 8) return load<u64>(a) == load<u64>(b);
  let i: u32 = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < n; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** Copies a map value, leaving the bpf_spin_lock word alone (the kernel's copy_map_value). */
export function copyValue(map: usize, dst: usize, src: usize): void {
  const n = load<u32>(map, M_VALUE);
  const spin = load<u32>(map, M_SPIN);
  if (spin == 0) { copyBytes(dst, src, n); return; }
  const off = <usize>(spin - 1);
  copyBytes(dst, src, off);
  copyBytes(dst + off + 4, src + off + 4, n - <u32>off - 4);
}

/** Copies a value under its own bpf_spin_lock (BPF_F_LOCK). */
export function copyValueLocked(map: usize, dst: usize, src: usize, lockIn: usize): void {
  const lk = lockIn + <usize>(load<u32>(map, M_SPIN) - 1);
  spinLock(lk);
  copyValue(map, dst, src);
  spinUnlock(lk);
}

/** After copying a value out to user space, zero its lock word as the kernel does. */
export function clearSpin(map: usize, dst: usize): void {
  const spin = load<u32>(map, M_SPIN);
  if (spin != 0) store<u32>(dst + <usize>(spin - 1), 0);
}

/*
 * Byte copies and fills as plain loads and stores. With shared memory, V8
 * checks bulk-memory instructions (memory.copy/fill) against this instance's
 * cached memory size, which lags behind a grow done by another thread; plain
 * accesses are checked by the memory's guard pages, which a grow updates for
 * every thread at once. A block another thread just allocated is thus safe
 * to touch only this way.
 */
export function copyBytes(dst: usize, src: usize, n: usize): void {
  if (dst == src || n == 0) return;
  if (dst < src || dst >= src + n) {
    let i: usize = 0;
    for (; i + 8 <= n; i += 8) store<u64>(dst + i, load<u64>(src + i));
    for (; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
  } else {
    // overlapping with dst after src: copy backwards
    let i = n;
    while (i >= 8) { i -= 8; store<u64>(dst + i, load<u64>(src + i)); }
    while (i > 0) { i--; store<u8>(dst + i, load<u8>(src + i)); }
  }
}

export function zeroBytes(dst: usize, n: usize): void {
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) store<u64>(dst + i, 0);
  for (; i < n; i++) store<u8>(dst + i, 0);
}
