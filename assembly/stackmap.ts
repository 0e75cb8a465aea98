// BPF_MAP_TYPE_STACK_TRACE, bpf_get_stackid and bpf_get_stack over a
// simulated call stack. Each CPU has a call chain area (kernel and user
// stacks: u32 nr, u32 pad, u64 ips[PERF_MAX_STACK]) that user space sets
// (src/maps/stack.ts), standing in for the registers the kernel unwinds.
//
// The map is the kernel's: n_buckets = roundup_pow_of_two(max_entries)
// slots indexed by the hash of the (skipped, truncated) ips; at most
// max_entries stacks are stored (the kernel's preallocated freelist). Stack
// ids differ from the kernel's (another hash function), the rules do not:
// the same stack gets the same id, a different stack hashing to a used slot
// gets -EEXIST unless BPF_F_REUSE_STACKID.

import {
  M_MAX, M_VALUE, M_FLAGS, M_LOCK, F0, F1, F2,
  E2BIG, EEXIST, EFAULT, EINVAL, ENOENT, ENOMEM,
  cpu, spinLock, spinUnlock, hashBytes, bytesEqual, copyBytes, zeroBytes,
} from './common';
import { kalloc, kfree, callchainBase } from './alloc';

const S_BUCKETS = F0;
const S_NBUCKETS = F1;
const S_USED = F2;

// bucket: u32 hash, u32 nr, then the frames (value_size bytes)
const B_HASH: usize = 0;
const B_NR: usize = 4;
const B_DATA: usize = 8;

/** sysctl kernel.perf_event_max_stack (default). */
export const PERF_MAX_STACK: u32 = 127;
/** One CPU's call chains: kernel then user, each u32 nr, u32 pad, u64 ips[PERF_MAX_STACK]. */
export const CHAIN_BYTES: u32 = 8 + 8 * PERF_MAX_STACK;
export const CALLCHAIN_CPU_BYTES: u32 = 2 * CHAIN_BYTES;

const BPF_F_SKIP_FIELD_MASK: u64 = 0xff;
const BPF_F_USER_STACK: u64 = 1 << 8;
const BPF_F_FAST_STACK_CMP: u64 = 1 << 9;
const BPF_F_REUSE_STACKID: u64 = 1 << 10;
const BPF_F_USER_BUILD_ID: u64 = 1 << 11;
const BPF_F_STACK_BUILD_ID: u32 = 1 << 5;
/** struct bpf_stack_build_id: s32 status, u8 build_id[20], u64 ip (offset). */
const BUILD_ID_ELEM: u32 = 32;
const BPF_STACK_BUILD_ID_IP: u32 = 2;

function roundPow2(n: u32): u32 { return n <= 1 ? 1 : <u32>1 << (32 - clz<u32>(n - 1)); }

export function stackInit(map: usize): i32 {
  const n = roundPow2(load<u32>(map, M_MAX));
  const b = kalloc(n * 4);
  if (b == 0) return -ENOMEM;
  store<u32>(map, <u32>b, S_BUCKETS);
  store<u32>(map, n, S_NBUCKETS);
  return 0;
}

export function stackFree(map: usize): void {
  const b = <usize>load<u32>(map, S_BUCKETS);
  const n = load<u32>(map, S_NBUCKETS);
  for (let i: u32 = 0; i < n; i++) kfree(<usize>load<u32>(b + <usize>i * 4));
  kfree(b);
}

@inline function elemSize(map: usize): u32 { return (load<u32>(map, M_FLAGS) & BPF_F_STACK_BUILD_ID) != 0 ? BUILD_ID_ELEM : 8; }

/** The call chain of this CPU: kernel or user stack. */
@inline function chain(user: bool): usize { return callchainBase() + <usize>cpu * CALLCHAIN_CPU_BYTES + (user ? <usize>CHAIN_BYTES : 0); }

/** Writes frames [skip, skip+n) of a chain into dst as u64 ips or build-id entries (IP fallback: no build ids here). */
function putFrames(dst: usize, ch: usize, skip: u32, n: u32, elem: u32): void {
  for (let i: u32 = 0; i < n; i++) {
    const ip = load<u64>(ch + 8 + <usize>(skip + i) * 8);
    if (elem == 8) { store<u64>(dst + <usize>i * 8, ip); continue; }
    const e = dst + <usize>i * BUILD_ID_ELEM;
    zeroBytes(e, BUILD_ID_ELEM);
    store<u32>(e, BPF_STACK_BUILD_ID_IP);
    store<u64>(e + 24, ip);
  }
}

/** bpf_get_stackid (27): the id of the current stack in the map, storing it when new. */
export function getStackid(map: usize, flags: u64): i64 {
  if ((flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_FAST_STACK_CMP | BPF_F_REUSE_STACKID)) != 0) return -EINVAL;
  const skip = <u32>(flags & BPF_F_SKIP_FIELD_MASK);
  const elem = elemSize(map);
  let maxDepth = load<u32>(map, M_VALUE) / elem + skip;
  if (maxDepth > PERF_MAX_STACK) maxDepth = PERF_MAX_STACK;
  const ch = chain((flags & BPF_F_USER_STACK) != 0);
  let nr = load<u32>(ch);
  if (nr > maxDepth) nr = maxDepth; // get_perf_callchain stops at max_depth
  if (nr <= skip) return -EFAULT;
  const traceNr = nr - skip;
  const len = traceNr * 8;
  const ips = ch + 8 + <usize>skip * 8;
  const hash = hashBytes(ips, len, 0);
  const n = load<u32>(map, S_NBUCKETS);
  const id = hash & (n - 1);
  const slot = <usize>load<u32>(map, S_BUCKETS) + <usize>id * 4;
  spinLock(map + M_LOCK);
  const bucket = <usize>load<u32>(slot);
  const hashMatches = bucket != 0 && load<u32>(bucket, B_HASH) == hash;
  if (hashMatches && (flags & BPF_F_FAST_STACK_CMP) != 0) { spinUnlock(map + M_LOCK); return id; }
  if (hashMatches && load<u32>(bucket, B_NR) == traceNr) {
    // compare as stored (ips, or build-id entries made from them)
    const tmp = kalloc(traceNr * elem);
    if (tmp == 0) { spinUnlock(map + M_LOCK); return -ENOMEM; }
    putFrames(tmp, ch, skip, traceNr, elem);
    const same = bytesEqual(bucket + B_DATA, tmp, traceNr * elem);
    kfree(tmp);
    if (same) { spinUnlock(map + M_LOCK); return id; }
  }
  if (bucket != 0 && (flags & BPF_F_REUSE_STACKID) == 0) { spinUnlock(map + M_LOCK); return -EEXIST; }
  // a new bucket comes from the max_entries preallocated ones, before the old one is returned
  const used = load<u32>(map, S_USED);
  if (used >= load<u32>(map, M_MAX)) { spinUnlock(map + M_LOCK); return -ENOMEM; }
  const nb = kalloc(<u32>B_DATA + load<u32>(map, M_VALUE));
  if (nb == 0) { spinUnlock(map + M_LOCK); return -ENOMEM; }
  store<u32>(nb, hash, B_HASH);
  store<u32>(nb, traceNr, B_NR);
  putFrames(nb + B_DATA, ch, skip, traceNr, elem);
  atomic.store<u32>(slot, <u32>nb);
  if (bucket != 0) kfree(bucket);
  else store<u32>(map, used + 1, S_USED);
  spinUnlock(map + M_LOCK);
  return id;
}

/** bpf_get_stack (67): copies the current stack into buf; returns the bytes copied (the rest zeroed) or -errno (buf zeroed). */
export function getStack(buf: usize, size: u32, flags: u64): i64 {
  let err: i64 = -EINVAL;
  const user = (flags & BPF_F_USER_STACK) != 0;
  const buildId = (flags & BPF_F_USER_BUILD_ID) != 0;
  const elem: u32 = buildId ? BUILD_ID_ELEM : 8;
  if ((flags & ~(BPF_F_SKIP_FIELD_MASK | BPF_F_USER_STACK | BPF_F_USER_BUILD_ID)) == 0 && !(buildId && !user) && size % elem == 0) {
    const skip = <u32>(flags & BPF_F_SKIP_FIELD_MASK);
    const num = size / elem;
    let maxDepth = num + skip;
    if (maxDepth > PERF_MAX_STACK) maxDepth = PERF_MAX_STACK;
    const ch = chain(user);
    let nr = load<u32>(ch);
    if (nr > maxDepth) nr = maxDepth;
    if (nr >= skip) {
      let traceNr = nr - skip;
      if (traceNr > num) traceNr = num;
      const copyLen = traceNr * elem;
      putFrames(buf, ch, skip, traceNr, elem);
      if (size > copyLen) zeroBytes(buf + copyLen, size - copyLen);
      return copyLen;
    }
    err = -EFAULT;
  }
  zeroBytes(buf, size);
  return err;
}

/** User-space lookup (bpf_stackmap_extract): the frames, zero-padded to value_size; `del` also deletes. */
export function stackSysLookup(map: usize, key: usize, out: usize, del: bool): i32 {
  const id = load<u32>(key);
  if (id >= load<u32>(map, S_NBUCKETS)) return -ENOENT;
  spinLock(map + M_LOCK);
  const bucket = <usize>load<u32>(<usize>load<u32>(map, S_BUCKETS) + <usize>id * 4);
  if (bucket == 0) { spinUnlock(map + M_LOCK); return -ENOENT; }
  const len = load<u32>(bucket, B_NR) * elemSize(map);
  const vs = load<u32>(map, M_VALUE);
  copyBytes(out, bucket + B_DATA, len);
  zeroBytes(out + len, vs - len);
  if (del) {
    atomic.store<u32>(<usize>load<u32>(map, S_BUCKETS) + <usize>id * 4, 0);
    kfree(bucket);
    store<u32>(map, load<u32>(map, S_USED) - 1, S_USED);
  }
  spinUnlock(map + M_LOCK);
  return 0;
}

export function stackDelete(map: usize, key: usize): i32 {
  const id = load<u32>(key);
  if (id >= load<u32>(map, S_NBUCKETS)) return -E2BIG;
  spinLock(map + M_LOCK);
  const slot = <usize>load<u32>(map, S_BUCKETS) + <usize>id * 4;
  const bucket = <usize>load<u32>(slot);
  if (bucket == 0) { spinUnlock(map + M_LOCK); return -ENOENT; }
  atomic.store<u32>(slot, 0);
  kfree(bucket);
  store<u32>(map, load<u32>(map, S_USED) - 1, S_USED);
  spinUnlock(map + M_LOCK);
  return 0;
}

export function stackGetNextKey(map: usize, key: usize, next: usize): i32 {
  const n = load<u32>(map, S_NBUCKETS);
  const b = <usize>load<u32>(map, S_BUCKETS);
  let id: u32 = 0;
  if (key != 0) {
    id = load<u32>(key);
    if (id >= n || atomic.load<u32>(b + <usize>id * 4) == 0) id = 0;
    else id++;
  }
  while (id < n && atomic.load<u32>(b + <usize>id * 4) == 0) id++;
  if (id >= n) return -ENOENT;
  store<u32>(next, id);
  return 0;
}
