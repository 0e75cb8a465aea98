// Hash maps: BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and
// HASH_OF_MAPS. Buckets hold a spin lock and a chain head; lookups walk the
// chain without the lock (the kernel's RCU readers). Elements come from a
// preallocated pool (the kernel's prealloc) or, with BPF_F_NO_PREALLOC, from
// the heap, counted against max_entries. LRU maps evict with second chance:
// lookups set a reference bit, eviction scans from the cold end. With
// BPF_F_NO_COMMON_LRU each CPU has its own list and an equal share of the
// elements (the kernel's per-CPU LRU): a CPU evicts only from its own list.

import {
  M_TYPE, M_KEY, M_VALUE, M_MAX, M_FLAGS, M_LOCK, M_COUNT, M_VSTRIDE, M_KSTRIDE, M_SPIN,
  F0, F1, F2, F3, F4, F5, F6, F7, F8, F9,
  T_PERCPU_HASH, T_LRU_HASH, T_LRU_PERCPU_HASH, T_HASH_OF_MAPS, T_PERCPU_CGROUP_STORAGE,
  BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_PREALLOC,
  E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM,
  cpu, ncpus, spinLock, spinUnlock, spinTryLock, hashBytes, bytesEqual, round8,
  copyValue, copyValueLocked, clearSpin,
  copyBytes, zeroBytes,
} from './common';
import { kalloc, kfree } from './alloc';

const H_BUCKETS = F0;
const H_MASK = F1;
const H_POOL = F2;
const H_FREE = F3;
const H_ESIZE = F4;
const H_LRU_HEAD = F5; // most recently inserted
const H_LRU_TAIL = F6;
const H_LRU_LOCK = F7;
const H_SEED = F8;
/** BPF_F_NO_COMMON_LRU: per-CPU LRU lists and free lists, {head, tail, lock, free} per CPU. */
const H_PCPU_LRU = F9;
// an LRU list: the common one starts at H_LRU_HEAD (head, tail, lock are consecutive)
const L_HEAD: usize = 0;
const L_TAIL: usize = 4;
const L_LOCK: usize = 8;
const L_FREE: usize = 12;
const PCPU_LRU_BYTES: u32 = 16;
const BPF_F_NO_COMMON_LRU: u32 = 2;

// element layout
const E_NEXT: usize = 0;
const E_HASH: usize = 4;
const E_LPREV: usize = 8;
const E_LNEXT: usize = 12;
const E_REF: usize = 16;
/** The CPU whose LRU list owns the element (BPF_F_NO_COMMON_LRU). */
const E_CPU: usize = 20;
const E_KEY: usize = 24;

@inline function isPercpu(t: u32): bool { return t == T_PERCPU_HASH || t == T_LRU_PERCPU_HASH || t == T_PERCPU_CGROUP_STORAGE; }
@inline function isLru(t: u32): bool { return t == T_LRU_HASH || t == T_LRU_PERCPU_HASH; }
@inline function valOff(map: usize): usize { return E_KEY + <usize>load<u32>(map, M_KSTRIDE); }

export function hashInit(map: usize, seed: u32): i32 {
  const t = load<u32>(map, M_TYPE);
  const max = load<u32>(map, M_MAX);
  let nb: u32 = 1;
  while (nb < max) nb <<= 1;
  const vstride = load<u32>(map, M_VSTRIDE);
  const vbytes = isPercpu(t) ? vstride * ncpus : vstride;
  const esize = round8(<u32>E_KEY + load<u32>(map, M_KSTRIDE) + vbytes);
  const buckets = kalloc(nb << 3);
  if (buckets == 0) return -ENOMEM;
  store<u32>(map, <u32>buckets, H_BUCKETS);
  store<u32>(map, nb - 1, H_MASK);
  store<u32>(map, esize, H_ESIZE);
  store<u32>(map, seed, H_SEED);
  if ((load<u32>(map, M_FLAGS) & BPF_F_NO_PREALLOC) == 0) {
    const total = <u64>esize * max;
    if (total > 0x7fff0000) { kfree(buckets); return -ENOMEM; }
    const pool = kalloc(<u32>total);
    if (pool == 0) { kfree(buckets); return -ENOMEM; }
    store<u32>(map, <u32>pool, H_POOL);
    if (isLru(t) && (load<u32>(map, M_FLAGS) & BPF_F_NO_COMMON_LRU) != 0) {
      // each CPU owns an equal share of the elements, as bpf_percpu_lru_populate (max_entries is a multiple of the CPUs)
      const lists = kalloc(PCPU_LRU_BYTES * ncpus);
      if (lists == 0) { kfree(pool); kfree(buckets); return -ENOMEM; }
      store<u32>(map, <u32>lists, H_PCPU_LRU);
      const share = max / ncpus;
      for (let c: u32 = 0; c < ncpus; c++) {
        let next: u32 = 0;
        for (let i = share; i > 0; i--) {
          const e = pool + <usize>esize * (c * share + i - 1);
          store<u32>(e, next, E_NEXT);
          store<u32>(e, c, E_CPU);
          next = <u32>e;
        }
        store<u32>(lists + <usize>c * PCPU_LRU_BYTES, next, L_FREE);
      }
      return 0;
    }
    // thread the free list in address order
    let p = pool + <usize>esize * (max - 1);
    let next: u32 = 0;
    for (let i: u32 = 0; i < max; i++) {
      store<u32>(p, next, E_NEXT);
      next = <u32>p;
      p -= esize;
    }
    store<u32>(map, next, H_FREE);
  }
  return 0;
}

export function hashFree(map: usize): void {
  kfree(<usize>load<u32>(map, H_PCPU_LRU));
  if (load<u32>(map, H_POOL) != 0) kfree(<usize>load<u32>(map, H_POOL));
  else {
    const buckets = <usize>load<u32>(map, H_BUCKETS);
    const n = load<u32>(map, H_MASK) + 1;
    for (let i: u32 = 0; i < n; i++) {
      let e = <usize>load<u32>(buckets + (<usize>i << 3), 4);
      while (e != 0) { const nx = <usize>load<u32>(e, E_NEXT); kfree(e); e = nx; }
    }
  }
  kfree(<usize>load<u32>(map, H_BUCKETS));
}

@inline function bucketOf(map: usize, h: u32): usize {
  return <usize>load<u32>(map, H_BUCKETS) + (<usize>(h & load<u32>(map, H_MASK)) << 3);
}

function find(map: usize, b: usize, h: u32, key: usize): usize {
  const ks = load<u32>(map, M_KEY);
  let e = <usize>atomic.load<u32>(b, 4);
  while (e != 0) {
    if (load<u32>(e, E_HASH) == h && bytesEqual(e + E_KEY, key, ks)) return e;
    e = <usize>load<u32>(e, E_NEXT);
  }
  return 0;
}

/** Element of a key, or 0. */
export function hashLookupElem(map: usize, key: usize): usize {
  const h = hashBytes(key, load<u32>(map, M_KEY), load<u32>(map, H_SEED));
  return find(map, bucketOf(map, h), h, key);
}

/** bpf_map_lookup_elem from a program: the value of this CPU, or 0. */
export function hashLookup(map: usize, key: usize): usize {
  const e = hashLookupElem(map, key);
  if (e == 0) return 0;
  const t = load<u32>(map, M_TYPE);
  if (isLru(t) && load<u8>(e, E_REF) == 0) store<u8>(e, 1, E_REF);
  let v = e + valOff(map);
  if (isPercpu(t)) v += <usize>cpu * load<u32>(map, M_VSTRIDE);
  else if (t == T_HASH_OF_MAPS) return <usize>load<u32>(v);
  return v;
}

/** bpf_map_lookup_percpu_elem. */
export function hashLookupPercpu(map: usize, key: usize, c: u32): usize {
  if (c >= ncpus) return 0;
  const e = hashLookupElem(map, key);
  if (e == 0) return 0;
  return e + valOff(map) + <usize>c * load<u32>(map, M_VSTRIDE);
}

// ---- element allocation ----

/** The LRU list an element belongs to: the common one, or its CPU's with BPF_F_NO_COMMON_LRU. */
@inline function lruListOf(map: usize, c: u32): usize {
  const lists = <usize>load<u32>(map, H_PCPU_LRU);
  return lists == 0 ? map + H_LRU_HEAD : lists + <usize>c * PCPU_LRU_BYTES;
}

function lruUnlink(l: usize, e: usize): void {
  const prev = <usize>load<u32>(e, E_LPREV);
  const next = <usize>load<u32>(e, E_LNEXT);
  if (prev != 0) store<u32>(prev, <u32>next, E_LNEXT); else store<u32>(l, <u32>next, L_HEAD);
  if (next != 0) store<u32>(next, <u32>prev, E_LPREV); else store<u32>(l, <u32>prev, L_TAIL);
  store<u32>(e, 0, E_LPREV);
  store<u32>(e, 0, E_LNEXT);
}

function lruPushHead(l: usize, e: usize): void {
  const head = <usize>load<u32>(l, L_HEAD);
  store<u32>(e, 0, E_LPREV);
  store<u32>(e, <u32>head, E_LNEXT);
  if (head != 0) store<u32>(head, <u32>e, E_LPREV); else store<u32>(l, <u32>e, L_TAIL);
  store<u32>(l, <u32>e, L_HEAD);
}

/** Removes e from its bucket chain if present; the bucket lock is held. */
function chainRemove(b: usize, e: usize): bool {
  let prev: usize = 0;
  let cur = <usize>load<u32>(b, 4);
  while (cur != 0) {
    if (cur == e) {
      const nx = load<u32>(e, E_NEXT);
      if (prev == 0) atomic.store<u32>(b, nx, 4); else atomic.store<u32>(prev, nx, E_NEXT);
      return true;
    }
    prev = cur;
    cur = <usize>load<u32>(cur, E_NEXT);
  }
  return false;
}

/** Evicts the coldest element of list l (second chance); returns it detached, or 0. */
function lruEvict(map: usize, l: usize): usize {
  const lk = l + L_LOCK;
  spinLock(lk);
  const count = load<u32>(map, M_COUNT);
  let budget = count * 2 + 2;
  let e = <usize>load<u32>(l, L_TAIL);
  while (e != 0 && budget-- > 0) {
    const prev = <usize>load<u32>(e, E_LPREV);
    if (load<u8>(e, E_REF) != 0 && budget > count) {
      // referenced since the last pass: give it a second chance
      store<u8>(e, 0, E_REF);
      lruUnlink(l, e);
      lruPushHead(l, e);
      e = prev != 0 ? prev : <usize>load<u32>(l, L_TAIL);
      continue;
    }
    const b = bucketOf(map, load<u32>(e, E_HASH));
    if (spinTryLock(b)) {
      const removed = chainRemove(b, e);
      spinUnlock(b);
      if (removed) {
        lruUnlink(l, e);
        spinUnlock(lk);
        return e;
      }
    }
    e = prev;
  }
  spinUnlock(lk);
  return 0;
}

function allocElem(map: usize, t: u32): usize {
  const lists = <usize>load<u32>(map, H_PCPU_LRU);
  if (lists != 0) {
    // BPF_F_NO_COMMON_LRU: this CPU's free list, else evict from this CPU's list only
    const l = lists + <usize>cpu * PCPU_LRU_BYTES;
    spinLock(l + L_LOCK);
    const e = <usize>load<u32>(l, L_FREE);
    if (e != 0) store<u32>(l, load<u32>(e, E_NEXT), L_FREE);
    spinUnlock(l + L_LOCK);
    if (e != 0) { atomic.add<u32>(map + M_COUNT, 1); return e; }
    return lruEvict(map, l);
  }
  if (load<u32>(map, H_POOL) != 0) {
    const lk = map + M_LOCK;
    spinLock(lk);
    const e = <usize>load<u32>(map, H_FREE);
    if (e != 0) {
      store<u32>(map, load<u32>(e, E_NEXT), H_FREE);
      store<u32>(map, load<u32>(map, M_COUNT) + 1, M_COUNT);
    }
    spinUnlock(lk);
    if (e != 0) return e;
    if (!isLru(t)) return 0;
    const v = lruEvict(map, map + H_LRU_HEAD);
    // the evicted element is reused directly: the count is unchanged
    return v;
  }
  const max = load<u32>(map, M_MAX);
  if (atomic.add<u32>(map + M_COUNT, 1) >= max) {
    atomic.sub<u32>(map + M_COUNT, 1);
    return 0;
  }
  const e = kalloc(load<u32>(map, H_ESIZE));
  if (e == 0) atomic.sub<u32>(map + M_COUNT, 1);
  return e;
}

function freeElem(map: usize, e: usize): void {
  const lists = <usize>load<u32>(map, H_PCPU_LRU);
  if (lists != 0) {
    // back to the free list of the CPU that owns it (bpf_percpu_lru_push_free)
    const l = lists + <usize>load<u32>(e, E_CPU) * PCPU_LRU_BYTES;
    spinLock(l + L_LOCK);
    store<u32>(e, load<u32>(l, L_FREE), E_NEXT);
    store<u32>(l, <u32>e, L_FREE);
    spinUnlock(l + L_LOCK);
    atomic.sub<u32>(map + M_COUNT, 1);
    return;
  }
  if (load<u32>(map, H_POOL) != 0) {
    const lk = map + M_LOCK;
    spinLock(lk);
    store<u32>(e, load<u32>(map, H_FREE), E_NEXT);
    store<u32>(map, <u32>e, H_FREE);
    store<u32>(map, load<u32>(map, M_COUNT) - 1, M_COUNT);
    spinUnlock(lk);
  } else {
    kfree(e);
    atomic.sub<u32>(map + M_COUNT, 1);
  }
}

/** Writes a value into an element: all CPUs' values from user space, else this CPU's (others zeroed when fresh). */
function writeValue(map: usize, t: u32, e: usize, value: usize, allCpus: bool, fresh: bool, locked: bool): void {
  const v = e + valOff(map);
  if (isPercpu(t)) {
    const stride = <usize>load<u32>(map, M_VSTRIDE);
    const vs = load<u32>(map, M_VALUE);
    if (allCpus) {
      // user space passes 8-byte-rounded slots and the kernel stores them whole
      copyBytes(v, value, stride * ncpus);
    } else {
      if (fresh) zeroBytes(v, stride * ncpus);
      copyBytes(v + <usize>cpu * stride, value, vs);
    }
    return;
  }
  if (locked) copyValueLocked(map, v, value, v);
  else copyValue(map, v, value);
}

/**
 * Update: BPF_ANY / BPF_NOEXIST / BPF_EXIST (+ BPF_F_LOCK). `allCpus` is set
 * for user space, which passes every CPU's value of a per-CPU map.
 */
export function hashUpdate(map: usize, key: usize, value: usize, flags: u64, allCpus: bool): i32 {
  const t = load<u32>(map, M_TYPE);
  const lockFlag = (flags & BPF_F_LOCK) != 0;
  const f = flags & ~BPF_F_LOCK;
  if (f > BPF_EXIST || (isLru(t) && flags > BPF_EXIST)) return -EINVAL;
  if (lockFlag && load<u32>(map, M_SPIN) == 0) return -EINVAL;
  const ks = load<u32>(map, M_KEY);
  const h = hashBytes(key, ks, load<u32>(map, H_SEED));
  const b = bucketOf(map, h);
  spinLock(b);
  let old = find(map, b, h, key);
  if (old != 0) {
    if (f == BPF_NOEXIST) { spinUnlock(b); return -EEXIST; }
    writeValue(map, t, old, value, allCpus, false, lockFlag);
    if (isLru(t)) store<u8>(old, 1, E_REF);
    spinUnlock(b);
    return 0;
  }
  if (f == BPF_EXIST) { spinUnlock(b); return -ENOENT; }
  spinUnlock(b);
  // allocate outside the bucket lock: LRU eviction locks other buckets
  const e = allocElem(map, t);
  if (e == 0) return load<u32>(map, H_POOL) == 0 && load<u32>(map, M_COUNT) < load<u32>(map, M_MAX) ? -ENOMEM : -E2BIG;
  store<u32>(e, h, E_HASH);
  store<u8>(e, 0, E_REF);
  copyBytes(e + E_KEY, key, ks);
  writeValue(map, t, e, value, allCpus, true, false);
  spinLock(b);
  old = find(map, b, h, key);
  if (old != 0) {
    // raced with another insert of the same key
    if (f == BPF_NOEXIST) { spinUnlock(b); freeElem(map, e); return -EEXIST; }
    writeValue(map, t, old, value, allCpus, false, lockFlag);
    spinUnlock(b);
    freeElem(map, e);
    return 0;
  }
  store<u32>(e, load<u32>(b, 4), E_NEXT);
  atomic.store<u32>(b, <u32>e, 4);
  if (isLru(t)) {
    const l = lruListOf(map, load<u32>(e, E_CPU));
    spinLock(l + L_LOCK);
    lruPushHead(l, e);
    spinUnlock(l + L_LOCK);
  }
  spinUnlock(b);
  return 0;
}

function detach(map: usize, key: usize, out: usize, withValue: bool, lockFlag: bool): i32 {
  const t = load<u32>(map, M_TYPE);
  const h = hashBytes(key, load<u32>(map, M_KEY), load<u32>(map, H_SEED));
  const b = bucketOf(map, h);
  spinLock(b);
  const e = find(map, b, h, key);
  if (e == 0) { spinUnlock(b); return -ENOENT; }
  if (withValue) copyOut(map, t, e, out, lockFlag);
  chainRemove(b, e);
  spinUnlock(b);
  if (isLru(t)) {
    const l = lruListOf(map, load<u32>(e, E_CPU));
    spinLock(l + L_LOCK);
    lruUnlink(l, e);
    spinUnlock(l + L_LOCK);
  }
  freeElem(map, e);
  return 0;
}

export function hashDelete(map: usize, key: usize): i32 {
  return detach(map, key, 0, false, false);
}

function copyOut(map: usize, t: u32, e: usize, out: usize, lockFlag: bool): void {
  const v = e + valOff(map);
  if (isPercpu(t)) {
    copyBytes(out, v, <usize>load<u32>(map, M_VSTRIDE) * ncpus);
    return;
  }
  if (lockFlag) copyValueLocked(map, out, v, v);
  else copyValue(map, out, v);
  clearSpin(map, out);
}

/** User-space lookup: copies the value (every CPU's for per-CPU maps). */
export function hashSysLookup(map: usize, key: usize, out: usize, flags: u64): i32 {
  const e = hashLookupElem(map, key);
  if (e == 0) return -ENOENT;
  copyOut(map, load<u32>(map, M_TYPE), e, out, (flags & BPF_F_LOCK) != 0);
  return 0;
}

export function hashLookupAndDelete(map: usize, key: usize, out: usize, flags: u64): i32 {
  return detach(map, key, out, true, (flags & BPF_F_LOCK) != 0);
}

/** The kernel's order: rest of the key's chain, then the following buckets; unknown key starts over. */
export function hashGetNextKey(map: usize, key: usize, next: usize): i32 {
  const ks = load<u32>(map, M_KEY);
  const buckets = <usize>load<u32>(map, H_BUCKETS);
  const n = load<u32>(map, H_MASK) + 1;
  let i: u32 = 0;
  if (key != 0) {
    const h = hashBytes(key, ks, load<u32>(map, H_SEED));
    const e = find(map, bucketOf(map, h), h, key);
    if (e != 0) {
      const nx = <usize>load<u32>(e, E_NEXT);
      if (nx != 0) { copyBytes(next, nx + E_KEY, ks); return 0; }
      i = (h & (n - 1)) + 1;
    }
  }
  for (; i < n; i++) {
    const e = <usize>atomic.load<u32>(buckets + (<usize>i << 3), 4);
    if (e != 0) { copyBytes(next, e + E_KEY, ks); return 0; }
  }
  return -ENOENT;
}

/** Value pointer of an element for iteration (hash of maps: the slot). */
export function hashValueOf(map: usize, e: usize): usize { return e + valOff(map); }
