// Redirect maps: BPF_MAP_TYPE_DEVMAP, CPUMAP, XSKMAP (an 8-byte slot per
// index) and DEVMAP_HASH (a hash map of 8-byte values, assembly/hash.ts), and
// bpf_redirect_map. User space validates targets (devices, CPUs, sockets:
// src/maps/redirect.ts) and stores the resolved slot; programs look slots up
// and redirect to them.
//
// Slots: devmap {u32 ifindex, u32 prog id} (struct bpf_devmap_val, present
// when ifindex != 0); cpumap {u32 qsize, u32 prog id} (struct bpf_cpumap_val,
// present when qsize != 0); xskmap {u32 socket object address, 0}. The
// presence word is written last and cleared atomically, as the kernel's xchg
// of the entry pointer.
//
// Each CPU has a redirect record (the kernel's struct bpf_redirect_info) that
// the XDP runtime reads after a run returning XDP_REDIRECT.

import {
  M_TYPE, M_MAX, M_ID, F0,
  T_DEVMAP, T_DEVMAP_HASH, T_CPUMAP, T_XSKMAP,
  EINVAL, ENOENT, ENOMEM, EOPNOTSUPP,
  cpu, copyBytes,
} from './common';
import { kalloc, kfree, redirectBase } from './alloc';
import { hashLookup } from './hash';

const SLOT: u32 = 8;
const R_DATA = F0;

// redirect record, per CPU
const RI_MAP: usize = 0;       // map handle when BPF_F_BROADCAST (ri->map), else 0
const RI_MAP_TYPE: usize = 4;  // 0 = none / lookup failed
const RI_MAP_ID: usize = 8;    // INT_MAX after a failed lookup
const RI_INDEX: usize = 12;    // tgt_index (the key)
const RI_FLAGS: usize = 16;    // BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS when broadcasting
const RI_VALUE: usize = 20;    // tgt_value: the slot / hash value / socket object
const RI_SCRATCH: usize = 28;
export const REDIRECT_RECORD_BYTES: u32 = 32;

const XDP_ACTION_MASK: u64 = 3; // XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX
const XDP_ABORTED: i64 = 0;
const XDP_REDIRECT: i64 = 4;
const BPF_F_BROADCAST: u64 = 1 << 3;
const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;
const INT_MAX: u32 = 0x7fffffff;

export function redirInit(map: usize): i32 {
  const total = <u64>load<u32>(map, M_MAX) * SLOT;
  if (total > 0x7fff0000) return -ENOMEM;
  const data = kalloc(<u32>total);
  if (data == 0) return -ENOMEM;
  store<u32>(map, <u32>data, R_DATA);
  return 0;
}

export function redirFree(map: usize): void { kfree(<usize>load<u32>(map, R_DATA)); }

@inline function slotOf(map: usize, i: u32): usize { return <usize>load<u32>(map, R_DATA) + <usize>i * SLOT; }

/** The slot's target: devmap/cpumap the slot itself, xskmap the socket object; 0 if empty. */
function arrayTarget(map: usize, i: u32): usize {
  if (i >= load<u32>(map, M_MAX)) return 0;
  const p = slotOf(map, i);
  const v = atomic.load<u32>(p);
  if (v == 0) return 0;
  return load<u32>(map, M_TYPE) == T_XSKMAP ? <usize>v : p;
}

/** bpf_map_lookup_elem from a program (devmap: the bpf_devmap_val; xskmap: the socket). */
export function redirLookup(map: usize, key: usize): usize {
  if (load<u32>(map, M_TYPE) == T_CPUMAP) return 0; // the verifier refuses it; the kernel returns NULL
  return arrayTarget(map, load<u32>(key));
}

/** Stores a slot user space has validated (value: 8 bytes). */
export function redirStore(map: usize, key: usize, value: usize): i32 {
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return -EINVAL;
  const p = slotOf(map, i);
  store<u32>(p, load<u32>(value, 4), 4);
  atomic.store<u32>(p, load<u32>(value));
  return 0;
}

/** Delete: an index in range always succeeds, empty or not (dev_map_delete_elem, cpu_map_delete_elem, xsk_map_delete_elem). */
export function redirDelete(map: usize, key: usize): i32 {
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return -EINVAL;
  atomic.store<u32>(slotOf(map, i), 0);
  return 0;
}

/** User-space lookup: the value as stored (value_size bytes); xskmap sockets cannot be read back. */
export function redirSysLookup(map: usize, key: usize, out: usize, valueSize: u32): i32 {
  if (load<u32>(map, M_TYPE) == T_XSKMAP) return -EOPNOTSUPP;
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return -ENOENT;
  const p = slotOf(map, i);
  if (atomic.load<u32>(p) == 0) return -ENOENT;
  copyBytes(out, p, <usize>valueSize);
  return 0;
}

@inline function record(): usize { return redirectBase() + <usize>cpu * REDIRECT_RECORD_BYTES; }

/**
 * bpf_redirect_map (51), the kernel's __bpf_xdp_redirect_map: the low flag
 * bits are the action returned when the key has no target; devmaps also take
 * BPF_F_BROADCAST (every entry) and BPF_F_EXCLUDE_INGRESS. Other flag bits
 * abort.
 */
export function redirectMap(map: usize, key: u64, flags: u64): i64 {
  const t = load<u32>(map, M_TYPE);
  const isDev = t == T_DEVMAP || t == T_DEVMAP_HASH;
  const flagMask: u64 = isDev ? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : 0;
  if ((flags & ~(XDP_ACTION_MASK | flagMask)) != 0) return XDP_ABORTED;
  let target: usize = 0;
  const k = <u32>key;
  if (t == T_DEVMAP_HASH) {
    // the key goes through the record's spare word: this CPU's own memory
    const scratch = record() + RI_SCRATCH;
    store<u32>(scratch, k);
    target = hashLookup(map, scratch);
  } else if (t == T_DEVMAP || t == T_CPUMAP || t == T_XSKMAP) {
    target = arrayTarget(map, k);
  } else {
    return XDP_ABORTED;
  }
  const ri = record();
  if (target == 0 && (flags & BPF_F_BROADCAST) == 0) {
    store<u32>(ri, INT_MAX, RI_MAP_ID);
    store<u32>(ri, 0, RI_MAP_TYPE);
    return <i64>(flags & XDP_ACTION_MASK);
  }
  store<u32>(ri, <u32>target, RI_VALUE);
  store<u32>(ri, k, RI_INDEX);
  store<u32>(ri, load<u32>(map, M_ID), RI_MAP_ID);
  store<u32>(ri, t, RI_MAP_TYPE);
  if ((flags & BPF_F_BROADCAST) != 0) {
    store<u32>(ri, <u32>map, RI_MAP);
    store<u32>(ri, <u32>flags, RI_FLAGS);
  } else {
    store<u32>(ri, 0, RI_MAP);
    store<u32>(ri, 0, RI_FLAGS);
  }
  return XDP_REDIRECT;
}

/** Clears this CPU's record before a run (no redirect yet). */
export function redirectReset(c: u32): void {
  const ri = redirectBase() + <usize>c * REDIRECT_RECORD_BYTES;
  for (let i: usize = 0; i < <usize>REDIRECT_RECORD_BYTES; i += 4) store<u32>(ri + i, 0);
}
