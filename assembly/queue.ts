// BPF_MAP_TYPE_QUEUE and STACK: a ring of max_entries + 1 value slots under
// the map lock. A full map refuses a push (E2BIG) unless BPF_EXIST asks to
// overwrite the oldest element.

import {
  M_TYPE, M_VALUE, M_MAX, M_LOCK, F0, F1, F2, F3,
  T_STACK, BPF_NOEXIST, BPF_EXIST,
  E2BIG, EINVAL, ENOENT, ENOMEM,
  spinLock, spinUnlock,
  copyBytes, zeroBytes,
} from './common';
import { kalloc, kfree } from './alloc';

const Q_DATA = F0;
const Q_HEAD = F1;
const Q_TAIL = F2;
const Q_SIZE = F3;

export function queueInit(map: usize): i32 {
  const size = <u64>load<u32>(map, M_MAX) + 1;
  const total = size * load<u32>(map, M_VALUE);
  if (total > 0x7fff0000) return -ENOMEM;
  const data = kalloc(<u32>total);
  if (data == 0) return -ENOMEM;
  store<u32>(map, <u32>data, Q_DATA);
  store<u32>(map, <u32>size, Q_SIZE);
  return 0;
}

export function queueFree(map: usize): void { kfree(<usize>load<u32>(map, Q_DATA)); }

export function queuePush(map: usize, value: usize, flags: u64): i32 {
  if ((flags & BPF_NOEXIST) != 0 || flags > BPF_EXIST) return -EINVAL;
  const vs = load<u32>(map, M_VALUE);
  const size = load<u32>(map, Q_SIZE);
  const lk = map + M_LOCK;
  spinLock(lk);
  const head = load<u32>(map, Q_HEAD);
  let tail = load<u32>(map, Q_TAIL);
  let nh = head + 1;
  if (nh >= size) nh = 0;
  if (nh == tail) {
    if (flags != BPF_EXIST) { spinUnlock(lk); return -E2BIG; }
    // drop the oldest element
    if (++tail >= size) tail = 0;
    store<u32>(map, tail, Q_TAIL);
  }
  copyBytes(<usize>load<u32>(map, Q_DATA) + <usize>head * vs, value, vs);
  store<u32>(map, nh, Q_HEAD);
  spinUnlock(lk);
  return 0;
}

function take(map: usize, out: usize, remove: bool): i32 {
  const vs = load<u32>(map, M_VALUE);
  const size = load<u32>(map, Q_SIZE);
  const lk = map + M_LOCK;
  spinLock(lk);
  const head = load<u32>(map, Q_HEAD);
  const tail = load<u32>(map, Q_TAIL);
  if (head == tail) { spinUnlock(lk); return -ENOENT; }
  const data = <usize>load<u32>(map, Q_DATA);
  if (load<u32>(map, M_TYPE) == T_STACK) {
    const idx = head == 0 ? size - 1 : head - 1;
    copyBytes(out, data + <usize>idx * vs, vs);
    if (remove) store<u32>(map, idx, Q_HEAD);
  } else {
    copyBytes(out, data + <usize>tail * vs, vs);
    if (remove) store<u32>(map, tail + 1 >= size ? 0 : tail + 1, Q_TAIL);
  }
  spinUnlock(lk);
  return 0;
}

export function queuePop(map: usize, out: usize): i32 { return take(map, out, true); }
export function queuePeek(map: usize, out: usize): i32 { return take(map, out, false); }
