// Arrays: BPF_MAP_TYPE_ARRAY, PERCPU_ARRAY, and the fd arrays PROG_ARRAY and
// ARRAY_OF_MAPS (one u32 slot per index: a program id, or the inner map's
// address). Every element exists and starts zeroed; keys are u32 indexes.

import {
  M_TYPE, M_VALUE, M_MAX, M_VSTRIDE, M_SPIN, F0,
  T_PERCPU_ARRAY, T_PROG_ARRAY, T_ARRAY_OF_MAPS, T_PERF_EVENT_ARRAY, T_CGROUP_ARRAY,
  BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK,
  E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM,
  cpu, ncpus, copyValue, copyValueLocked, clearSpin,
  copyBytes, zeroBytes,
} from './common';
import { kalloc, kfree } from './alloc';

const A_DATA = F0;

@inline function isFd(t: u32): bool { return t == T_PROG_ARRAY || t == T_ARRAY_OF_MAPS || t == T_PERF_EVENT_ARRAY || t == T_CGROUP_ARRAY; }

function elemBytes(map: usize): u64 {
  const t = load<u32>(map, M_TYPE);
  if (isFd(t)) return 4;
  const s = <u64>load<u32>(map, M_VSTRIDE);
  return t == T_PERCPU_ARRAY ? s * ncpus : s;
}

export function arrayInit(map: usize): i32 {
  const total = elemBytes(map) * load<u32>(map, M_MAX);
  if (total > 0x7fff0000) return -ENOMEM;
  const data = kalloc(<u32>total);
  if (data == 0) return -ENOMEM;
  store<u32>(map, <u32>data, A_DATA);
  return 0;
}

export function arrayFree(map: usize): void { kfree(<usize>load<u32>(map, A_DATA)); }

@inline function slot(map: usize, i: u32): usize {
  return <usize>load<u32>(map, A_DATA) + <usize>(<u64>i * elemBytes(map));
}

export function arrayLookup(map: usize, key: usize): usize {
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return 0;
  const t = load<u32>(map, M_TYPE);
  if (t == T_PERCPU_ARRAY) return slot(map, i) + <usize>cpu * load<u32>(map, M_VSTRIDE);
  if (t == T_ARRAY_OF_MAPS) return <usize>load<u32>(slot(map, i));
  if (t == T_PROG_ARRAY || t == T_PERF_EVENT_ARRAY || t == T_CGROUP_ARRAY) return 0;
  return <usize>load<u32>(map, A_DATA) + <usize>i * load<u32>(map, M_VSTRIDE);
}

export function arrayLookupPercpu(map: usize, key: usize, c: u32): usize {
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX) || c >= ncpus) return 0;
  return slot(map, i) + <usize>c * load<u32>(map, M_VSTRIDE);
}

export function arrayUpdate(map: usize, key: usize, value: usize, flags: u64, allCpus: bool): i32 {
  const t = load<u32>(map, M_TYPE);
  if (isFd(t)) {
    // the fd was resolved by user space: value holds the u32 to store
    if (flags != 0) return -EINVAL;
    const i = load<u32>(key);
    if (i >= load<u32>(map, M_MAX)) return -E2BIG;
    atomic.store<u32>(slot(map, i), load<u32>(value));
    return 0;
  }
  if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return -E2BIG;
  if (flags & BPF_NOEXIST) return -EEXIST;
  const lockFlag = (flags & BPF_F_LOCK) != 0;
  if (lockFlag && load<u32>(map, M_SPIN) == 0) return -EINVAL;
  const p = slot(map, i);
  if (t == T_PERCPU_ARRAY) {
    const stride = <usize>load<u32>(map, M_VSTRIDE);
    const vs = load<u32>(map, M_VALUE);
    // user space passes 8-byte-rounded slots and the kernel stores them whole
    if (allCpus) copyBytes(p, value, stride * ncpus);
    else copyBytes(p + <usize>cpu * stride, value, vs);
    return 0;
  }
  if (lockFlag) copyValueLocked(map, p, value, p);
  else copyValue(map, p, value);
  return 0;
}

export function arrayDelete(map: usize, key: usize): i32 {
  const t = load<u32>(map, M_TYPE);
  if (!isFd(t)) return -EINVAL;
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return -E2BIG;
  const old = atomic.xchg<u32>(slot(map, i), 0);
  return old != 0 ? 0 : -ENOENT;
}

export function arraySysLookup(map: usize, key: usize, out: usize, flags: u64): i32 {
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return -ENOENT;
  const t = load<u32>(map, M_TYPE);
  const p = slot(map, i);
  if (isFd(t)) {
    const v = atomic.load<u32>(p);
    if (v == 0) return -ENOENT;
    store<u32>(out, v);
    return 0;
  }
  if (t == T_PERCPU_ARRAY) {
    copyBytes(out, p, <usize>load<u32>(map, M_VSTRIDE) * ncpus);
    return 0;
  }
  if ((flags & BPF_F_LOCK) != 0) copyValueLocked(map, out, p, p);
  else copyValue(map, out, p);
  clearSpin(map, out);
  return 0;
}

export function arrayGetNextKey(map: usize, key: usize, next: usize): i32 {
  const max = load<u32>(map, M_MAX);
  const i: u32 = key == 0 ? 0xffffffff : load<u32>(key);
  if (i >= max) { store<u32>(next, 0); return 0; }
  if (i == max - 1) return -ENOENT;
  store<u32>(next, i + 1);
  return 0;
}

/** The stored u32 of an fd array slot (program id / inner map address), 0 if empty. */
export function arraySlot(map: usize, index: u32): u32 {
  if (index >= load<u32>(map, M_MAX)) return 0;
  return atomic.load<u32>(slot(map, index));
}
