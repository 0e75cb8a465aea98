// BPF_MAP_TYPE_PERF_EVENT_ARRAY and bpf_perf_event_output. The array's slots
// hold simulated perf events (what perf_event_open returns to libbpf's
// perf_buffer__new); an event owns a ring of 2^n pages laid out as the
// kernel's mmapped perf buffer: records of a perf_event_header {u32 type,
// u16 misc, u16 size} at 64-bit head positions, wrapping byte-wise at the end
// of the ring. The consumer (src/maps/perfbuf.ts) advances the tail.

import {
  M_MAX, F0,
  E2BIG, EINVAL, ENOENT, ENOSPC, EOPNOTSUPP,
  cpu, spinLock, spinUnlock, round8,
} from './common';
import { kalloc, kfree } from './alloc';

// simulated struct perf_event (header of the event object)
const E_TYPE: usize = 0;     // attr.type
const E_CONFIG: usize = 4;   // attr.config
const E_ONCPU: usize = 8;    // the CPU the event is bound to
const E_DATA: usize = 12;    // ring data
const E_SIZE: usize = 16;    // ring bytes (a power of two)
const E_LOCK: usize = 20;
const E_HEAD: usize = 24;    // u64 data_head (producer)
const E_TAIL: usize = 32;    // u64 data_tail (written by the consumer)
const E_LOST: usize = 40;    // u64 samples lost since the last PERF_RECORD_LOST
const E_ID: usize = 48;      // u64 event id (PERF_RECORD_LOST carries it)
const E_LOST_TOTAL: usize = 56; // u64 event->lost_samples
const EVENT_BYTES: u32 = 64;

const PERF_TYPE_SOFTWARE: u32 = 1;
const PERF_COUNT_SW_BPF_OUTPUT: u32 = 10;
const PERF_RECORD_LOST: u32 = 2;
const PERF_RECORD_SAMPLE: u32 = 9;
/** The output comes from kernel context (perf_misc_flags of kernel regs). */
const PERF_RECORD_MISC_KERNEL: u32 = 1;
const HEADER_BYTES: u32 = 8;
const LOST_RECORD_BYTES: u32 = 24;
const BPF_F_INDEX_MASK: u64 = 0xffffffff;
const BPF_F_CURRENT_CPU: u64 = 0xffffffff;
const U16_MAX: u32 = 0xffff;

/** A perf event bound to CPU `oncpu` with a ring of `dataBytes` (power of two); 0 on ENOMEM. */
export function perfEventCreate(type: u32, config: u32, oncpu: u32, dataBytes: u32, id: u64): usize {
  const ev = kalloc(EVENT_BYTES);
  if (ev == 0) return 0;
  let data: usize = 0;
  if (dataBytes != 0) {
    data = kalloc(dataBytes);
    if (data == 0) { kfree(ev); return 0; }
  }
  store<u32>(ev, type, E_TYPE);
  store<u32>(ev, config, E_CONFIG);
  store<u32>(ev, oncpu, E_ONCPU);
  store<u32>(ev, <u32>data, E_DATA);
  store<u32>(ev, dataBytes, E_SIZE);
  store<u64>(ev, id, E_ID);
  return ev;
}

export function perfEventFree(ev: usize): void {
  kfree(<usize>load<u32>(ev, E_DATA));
  kfree(ev);
}

/** Writes n bytes at ring position pos, wrapping at the end as the kernel's perf_output_copy. */
function ringWrite(data: usize, mask: u64, pos: u64, src: usize, n: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u8>(data + <usize>((pos + i) & mask), load<u8>(src + i));
}
function ringPut32(data: usize, mask: u64, pos: u64, v: u32): void {
  for (let i: u32 = 0; i < 4; i++) store<u8>(data + <usize>((pos + i) & mask), <u8>(v >> (i * 8)));
}
function ringPut64(data: usize, mask: u64, pos: u64, v: u64): void {
  for (let i: u32 = 0; i < 8; i++) store<u8>(data + <usize>((pos + i) & mask), <u8>(v >> (i * 8)));
}

/**
 * bpf_perf_event_output (25): the kernel's __bpf_perf_event_output then
 * perf_event_output with sample_type PERF_SAMPLE_RAW: flags hold the array
 * index (BPF_F_CURRENT_CPU: this CPU); the raw size is rounded so the record
 * stays 8-aligned (round_up(size + 4, 8) - 4). A full ring loses the sample
 * (-ENOSPC) and counts it; the next sample that fits is preceded by a
 * PERF_RECORD_LOST with the count.
 */
export function perfEventOutput(map: usize, flags: u64, src: usize, size: u64): i64 {
  // BPF_F_CTXLEN_MASK (packet bytes appended by skb/xdp programs) is not modelled: the tracing rule applies
  if ((flags & ~BPF_F_INDEX_MASK) != 0) return -EINVAL;
  let index = flags & BPF_F_INDEX_MASK;
  if (index == BPF_F_CURRENT_CPU) index = <u64>cpu;
  if (index >= <u64>load<u32>(map, M_MAX)) return -E2BIG;
  const ev = <usize>atomic.load<u32>(<usize>load<u32>(map, F0) + <usize>(index << 2));
  if (ev == 0) return -ENOENT;
  if (load<u32>(ev, E_TYPE) != PERF_TYPE_SOFTWARE || load<u32>(ev, E_CONFIG) != PERF_COUNT_SW_BPF_OUTPUT) return -EINVAL;
  if (load<u32>(ev, E_ONCPU) != cpu) return -EOPNOTSUPP;
  if (size > <u64>U16_MAX) return -E2BIG;
  const raw = round8(<u32>size + 4) - 4;
  const rec = HEADER_BYTES + 4 + raw;
  if (rec > U16_MAX) return -E2BIG; // the header's u16 size cannot describe it
  const dataBytes = <u64>load<u32>(ev, E_SIZE);
  const mask = dataBytes - 1;
  const data = <usize>load<u32>(ev, E_DATA);
  spinLock(ev + E_LOCK);
  const lost = load<u64>(ev, E_LOST);
  const need = <u64>rec + (lost != 0 ? <u64>LOST_RECORD_BYTES : 0);
  const head = load<u64>(ev, E_HEAD);
  const tail = atomic.load<u64>(ev + E_TAIL);
  // ring_buffer_has_space: CIRC_SPACE(head, tail, size) >= need (one byte always stays free)
  if (((tail - (head + 1)) & mask) < need) {
    store<u64>(ev, lost + 1, E_LOST);
    store<u64>(ev, load<u64>(ev, E_LOST_TOTAL) + 1, E_LOST_TOTAL);
    spinUnlock(ev + E_LOCK);
    return -ENOSPC;
  }
  let pos = head;
  if (lost != 0) {
    ringPut32(data, mask, pos, PERF_RECORD_LOST);
    ringPut32(data, mask, pos + 4, LOST_RECORD_BYTES << 16);
    ringPut64(data, mask, pos + 8, load<u64>(ev, E_ID));
    ringPut64(data, mask, pos + 16, lost);
    store<u64>(ev, 0, E_LOST);
    pos += LOST_RECORD_BYTES;
  }
  ringPut32(data, mask, pos, PERF_RECORD_SAMPLE);
  ringPut32(data, mask, pos + 4, PERF_RECORD_MISC_KERNEL | (rec << 16));
  ringPut32(data, mask, pos + 8, raw);
  ringWrite(data, mask, pos + 12, src, <u32>size);
  for (let i = <u32>size; i < raw; i++) store<u8>(data + <usize>((pos + 12 + i) & mask), 0);
  atomic.store<u64>(ev + E_HEAD, head + need);
  spinUnlock(ev + E_LOCK);
  return 0;
}
