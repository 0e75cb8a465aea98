// The map-storage allocator over [heapBase, memory end). Its state lives in a
// control block at heapBase (not in wasm globals) so every instance sharing
// the memory (one per simulated CPU) sees the same heap. Blocks carry a
// 16-byte header naming their size class; freed blocks go to per-class free
// lists; fresh space is bumped from `brk`, growing memory when needed.

import { spinLock, spinUnlock, zeroBytes } from './common';

const CB_MAGIC: usize = 0;
const CB_LOCK: usize = 4;
const CB_BRK: usize = 8;
const CB_NCPUS: usize = 12;
const CB_NEXT_ID: usize = 16;
/** Per-CPU XDP redirect records (assembly/redirect.ts), allocated by the first instance. */
const CB_REDIRECT: usize = 20;
/** Per-CPU simulated call chains (assembly/stackmap.ts). */
const CB_CALLCHAIN: usize = 24;
/** Per-CPU current context: task, cgroup, attach type (assembly/cgroup.ts). */
const CB_CURRENT: usize = 28;
const CB_HEADS: usize = 64;
const SMALL_CLASSES: u32 = 256; // 16..4096 step 16
const LARGE_CLASSES: u32 = 20;  // 8 KiB .. 4 GiB powers of two
const CB_BYTES: u32 = 4096;
const MAGIC: u32 = 0x4d415053; // "MAPS"
const BLOCK_HEADER: u32 = 16;

export let heapBase: usize = 0;

export function allocInit(base: usize, cpus: u32): bool {
  heapBase = base;
  ensureMemory(base + CB_BYTES);
  if (atomic.cmpxchg<u32>(base + CB_MAGIC, 0, MAGIC) == 0) {
    store<u32>(base + CB_BRK, <u32>base + CB_BYTES);
    store<u32>(base + CB_NCPUS, cpus);
    return true;
  }
  return false;
}

export function allocNcpus(): u32 { return load<u32>(heapBase + CB_NCPUS); }
export function heapBrk(): u32 { return atomic.load<u32>(heapBase + CB_BRK); }

function ensureMemory(end: usize): bool {
  while (true) {
    const cur = <usize>memory.size() << 16;
    if (end <= cur) return true;
    if (memory.grow(<i32>((end - cur + 0xffff) >> 16)) < 0) {
      // another thread may have grown it meanwhile
      if (end <= (<usize>memory.size() << 16)) return true;
      return false;
    }
  }
}

function classOf(size: u32): u32 {
  if (size <= 4096) return ((size + 15) >> 4) - 1;
  const lg = 32 - clz<u32>(size - 1); // ceil(log2(size)), >= 13
  return SMALL_CLASSES + <u32>(lg - 13);
}

function classBytes(c: u32): u64 {
  if (c < SMALL_CLASSES) return <u64>(c + 1) << 4;
  return <u64>1 << (c - SMALL_CLASSES + 13);
}

/** Zeroed block of at least `size` bytes, 16-aligned; 0 when memory is exhausted. */
export function kalloc(size: u32): usize {
  if (size == 0) size = 16;
  if (size > 0x7fff0000) return 0;
  const c = classOf(size);
  const bytes = classBytes(c);
  const headAddr = heapBase + CB_HEADS + (<usize>c << 2);
  spinLock(heapBase + CB_LOCK);
  const head = load<u32>(headAddr);
  if (head != 0) {
    store<u32>(headAddr, load<u32>(<usize>head));
    spinUnlock(heapBase + CB_LOCK);
    zeroBytes(<usize>head, <usize>bytes);
    return <usize>head;
  }
  const brk = <u64>load<u32>(heapBase + CB_BRK);
  const end = brk + BLOCK_HEADER + bytes;
  if (end >= 0x80000000 || !ensureMemory(<usize>end)) {
    spinUnlock(heapBase + CB_LOCK);
    return 0;
  }
  store<u32>(heapBase + CB_BRK, <u32>end);
  spinUnlock(heapBase + CB_LOCK);
  store<u32>(<usize>brk, c);
  // fresh memory from grow is zero; bumped space was never handed out
  return <usize>brk + BLOCK_HEADER;
}

export function kfree(p: usize): void {
  if (p == 0) return;
  const c = load<u32>(p - BLOCK_HEADER);
  const headAddr = heapBase + CB_HEADS + (<usize>c << 2);
  spinLock(heapBase + CB_LOCK);
  store<u32>(p, load<u32>(headAddr));
  store<u32>(headAddr, <u32>p);
  spinUnlock(heapBase + CB_LOCK);
}

/** Next map id, shared by all instances. */
export function nextMapId(): u32 {
  return atomic.add<u32>(heapBase + CB_NEXT_ID, 1) + 1;
}

/** Address of the per-CPU redirect records (0 until maps_init sets it). */
export function redirectBase(): usize { return <usize>atomic.load<u32>(heapBase + CB_REDIRECT); }
export function setRedirectBase(p: usize): void { atomic.store<u32>(heapBase + CB_REDIRECT, <u32>p); }
export function callchainBase(): usize { return <usize>atomic.load<u32>(heapBase + CB_CALLCHAIN); }
export function setCallchainBase(p: usize): void { atomic.store<u32>(heapBase + CB_CALLCHAIN, <u32>p); }
export function currentBase(): usize { return <usize>atomic.load<u32>(heapBase + CB_CURRENT); }
export function setCurrentBase(p: usize): void { atomic.store<u32>(heapBase + CB_CURRENT, <u32>p); }
