// BPF_MAP_TYPE_RINGBUF: records of an 8-byte header (u32 length with BUSY and
// DISCARD bits, u32 owner map) and the sample, 8-aligned, at 64-bit producer
// positions. The kernel maps the data pages twice so a record never wraps; we
// allocate twice the size instead and, on commit, copy the part past the end
// back to the start, so positions and space accounting match the kernel.

import {
  M_MAX, M_LOCK, F0, F1, F2, F4,
  EAGAIN, EINVAL, ENOMEM,
  spinLock, spinUnlock, round8,
  copyBytes, zeroBytes,
} from './common';
import { kalloc, kfree } from './alloc';

const R_DATA = F0;
const R_MASK = F1;
const R_CONS = F2;  // u64 consumer position (written by user space)
const R_PROD = F4;  // u64 producer position
const HDR: u32 = 8;
export const BUSY_BIT: u32 = 0x80000000;
export const DISCARD_BIT: u32 = 0x40000000;
const MAX_RECORD: u64 = 0x3fffffff;

export const RB_NO_WAKEUP: u64 = 1;
export const RB_FORCE_WAKEUP: u64 = 2;

export function ringbufInit(map: usize): i32 {
  const size = load<u32>(map, M_MAX);
  if (<u64>size * 2 > 0x7fff0000) return -ENOMEM;
  const data = kalloc(size * 2);
  if (data == 0) return -ENOMEM;
  store<u32>(map, <u32>data, R_DATA);
  store<u32>(map, size - 1, R_MASK);
  return 0;
}

export function ringbufFree(map: usize): void { kfree(<usize>load<u32>(map, R_DATA)); }

export function ringbufReserve(map: usize, size: u64, flags: u64): usize {
  if (flags != 0) return 0;
  if (size > MAX_RECORD) return 0;
  const len = <u64>round8(<u32>size + HDR);
  const mask = <u64>load<u32>(map, R_MASK);
  if (len > mask + 1) return 0;
  const lk = map + M_LOCK;
  spinLock(lk);
  const cons = atomic.load<u64>(map + R_CONS);
  const prod = load<u64>(map, R_PROD);
  const np = prod + len;
  if (np - cons > mask) { spinUnlock(lk); return 0; }
  const hdr = <usize>load<u32>(map, R_DATA) + <usize>(prod & mask);
  store<u32>(hdr, <u32>size | BUSY_BIT);
  store<u32>(hdr, <u32>map, 4);
  atomic.store<u64>(map + R_PROD, np);
  spinUnlock(lk);
  return hdr + HDR;
}

function commit(sample: usize, flags: u64, discard: bool): void {
  const hdr = sample - HDR;
  const map = <usize>load<u32>(hdr, 4);
  const len = load<u32>(hdr) & ~BUSY_BIT;
  const data = <usize>load<u32>(map, R_DATA);
  const size = <usize>load<u32>(map, R_MASK) + 1;
  const end = hdr + <usize>round8(len + HDR);
  // mirror the part written past the end of the ring
  if (end > data + size) copyBytes(data, data + size, end - (data + size));
  atomic.store<u32>(hdr, discard ? len | DISCARD_BIT : len);
}

export function ringbufSubmit(sample: usize, flags: u64): void { commit(sample, flags, false); }
export function ringbufDiscard(sample: usize, flags: u64): void { commit(sample, flags, true); }

export function ringbufOutput(map: usize, data: usize, size: u64, flags: u64): i32 {
  if ((flags & ~(RB_NO_WAKEUP | RB_FORCE_WAKEUP)) != 0) return -EINVAL;
  const rec = ringbufReserve(map, size, 0);
  if (rec == 0) return -EAGAIN;
  copyBytes(rec, data, <usize>size);
  commit(rec, flags, false);
  return 0;
}

export function ringbufQuery(map: usize, flags: u64): u64 {
  const cons = atomic.load<u64>(map + R_CONS);
  const prod = atomic.load<u64>(map + R_PROD);
  if (flags == 0) return prod - cons;            // BPF_RB_AVAIL_DATA
  if (flags == 1) return <u64>load<u32>(map, R_MASK) + 1; // BPF_RB_RING_SIZE
  if (flags == 2) return cons;                   // BPF_RB_CONS_POS
  if (flags == 3) return prod;                   // BPF_RB_PROD_POS
  return 0;
}
