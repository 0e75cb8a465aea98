// BPF_MAP_TYPE_BLOOM_FILTER: a bit array of roundup_pow_of_two(max_entries *
// nr_hash_funcs * 7 / 5) bits (the kernel's sizing), set and tested with
// nr_hash_funcs seeded hashes of the value. Atomic ORs keep pushes from
// several CPUs safe.

import {
  M_VALUE, M_MAX, M_EXTRA, F0, F1, F2, F3,
  EINVAL, ENOENT, ENOMEM,
  hashBytes,
} from './common';
import { kalloc, kfree } from './alloc';

const B_DATA = F0;
const B_MASK = F1;
const B_NHASH = F2;
const B_SEED = F3;

export function bloomInit(map: usize, seed: u32): i32 {
  let nh = load<u32>(map, M_EXTRA) & 0xf;
  if (nh == 0) nh = 5;
  let bits = <u64>load<u32>(map, M_MAX) * nh;
  bits = (bits / 5) * 7;
  let n: u64 = 64;
  if (bits > (<u64>1 << 31)) n = <u64>1 << 31;
  else while (n < bits) n <<= 1;
  const data = kalloc(<u32>(n >> 3));
  if (data == 0) return -ENOMEM;
  store<u32>(map, <u32>data, B_DATA);
  store<u32>(map, <u32>(n - 1), B_MASK);
  store<u32>(map, nh, B_NHASH);
  store<u32>(map, seed, B_SEED);
  return 0;
}

export function bloomFree(map: usize): void { kfree(<usize>load<u32>(map, B_DATA)); }

@inline function bitIndex(map: usize, value: usize, i: u32): u32 {
  return hashBytes(value, load<u32>(map, M_VALUE), load<u32>(map, B_SEED) + i) & load<u32>(map, B_MASK);
}

export function bloomPush(map: usize, value: usize, flags: u64): i32 {
  if (flags != 0) return -EINVAL;
  const data = <usize>load<u32>(map, B_DATA);
  const nh = load<u32>(map, B_NHASH);
  for (let i: u32 = 0; i < nh; i++) {
    const b = bitIndex(map, value, i);
    atomic.or<u32>(data + (<usize>(b >> 5) << 2), <u32>1 << (b & 31));
  }
  return 0;
}

export function bloomPeek(map: usize, value: usize): i32 {
  const data = <usize>load<u32>(map, B_DATA);
  const nh = load<u32>(map, B_NHASH);
  for (let i: u32 = 0; i < nh; i++) {
    const b = bitIndex(map, value, i);
    if ((load<u32>(data + (<usize>(b >> 5) << 2)) & (<u32>1 << (b & 31))) == 0) return -ENOENT;
  }
  return 0;
}
