/**
 * The simulated call stack bpf_get_stackid and bpf_get_stack read: per CPU, a
 * kernel stack and a user stack of instruction pointers, innermost first (as
 * the kernel's perf callchain), at most PERF_MAX_STACK frames each. Tracing
 * program runtimes (or tests) set it before a run; it stays until changed.
 */
import { MapError } from '../diagnostics/index.js';
import { ERRNO, PERF_MAX_STACK } from './constants.js';
import type { BpfMaps } from './syscall.js';

/** One chain: u32 nr, u32 pad, u64 ips[PERF_MAX_STACK] (assembly/stackmap.ts). */
const CHAIN_BYTES = 8 + 8 * PERF_MAX_STACK;

export interface SimulatedStack {
  /** Kernel frames, innermost first. */
  kernel?: readonly bigint[];
  /** User frames, innermost first (BPF_F_USER_STACK). */
  user?: readonly bigint[];
}

/** Sets CPU `cpu`'s simulated call stack (a side left out is emptied). */
export function setCallStack(maps: BpfMaps, cpu: number, stack: SimulatedStack): void {
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= maps.ncpus) throw new MapError('EINVAL', ERRNO.EINVAL, `no CPU ${cpu} (the machine has ${maps.ncpus})`);
  const base = maps.kernels.exports.callchain_area(cpu);
  const dv = new DataView(maps.bytes().buffer);
  for (const [i, frames] of [stack.kernel ?? [], stack.user ?? []].entries()) {
    if (frames.length > PERF_MAX_STACK) throw new MapError('E2BIG', ERRNO.E2BIG, `a stack of ${frames.length} frames is deeper than perf_event_max_stack ${PERF_MAX_STACK}`);
    const at = base + i * CHAIN_BYTES;
    dv.setUint32(at, frames.length, true);
    frames.forEach((ip, j) => dv.setBigUint64(at + 8 + 8 * j, BigInt.asUintN(64, ip), true));
  }
}
