/**
 * kfunc implementations. Kernel objects (tasks, cpumasks) are opaque handles:
 * programs only NULL-check them and pass them back (the verifier lets no
 * program read through them), so a handle is a non-zero tag, never memory.
 */
import type { HelperJsImpl } from '../helpers/table.js';
import type { Machine } from '../runtime/machine.js';
import { currentTask } from '../programs/task.js';
import { XDP_MD } from '../programs/context.js';
import { skbOf } from '../programs/skb.js';

/** nr_cpu_ids of the simulation: set/clear/test of a CPU at or beyond it do nothing (cpu_valid). */
export const SIM_NR_CPU_IDS = 64;

/** Handle tags: the high bits say what a handle is, the low bits which one (never 0). */
const TASK_TAG = 0x7a5c_0000_0000_0000n;
const CPUMASK_TAG = 0x7c9a_0000_0000_0000n;
const LOW = 0xffff_ffffn;

const nop: HelperJsImpl = () => 0n;
export const rcuLock: HelperJsImpl = nop;

/**
 * The simulation's only task is the current one (src/programs/task.ts): its pid and tgid are
 * found, any other pid is NULL (pid 0 always is; the kernel that labelled the fixture found no
 * pid 1 either, running in a sandbox).
 */
export const taskFromPid: HelperJsImpl = (rt, pid) => {
  const p = Number(BigInt.asIntN(32, pid));
  const t = currentTask(rt as Machine);
  return p > 0 && (p === t.pid || p === t.tgid) ? TASK_TAG | BigInt(p) : 0n;
};
/** A trusted task is alive: acquiring it succeeds (refcount_inc_not_zero). */
export const taskAcquire: HelperJsImpl = (_rt, task) => task;
export const taskRelease: HelperJsImpl = nop;

/** Live cpumasks by handle; bpf_cpumask_release frees them (the verifier makes every path release). */
const masks = new Map<bigint, bigint>();
let nextMask = 1n;
export const cpumaskCreate: HelperJsImpl = () => {
  const h = CPUMASK_TAG | (nextMask++ & LOW);
  masks.set(h, 0n);
  return h;
};
export const cpumaskRelease: HelperJsImpl = (_rt, h) => { masks.delete(h); return 0n; };
const cpuValid = (cpu: bigint): boolean => BigInt.asUintN(32, cpu) < BigInt(SIM_NR_CPU_IDS);
export const bitOps: Record<'set' | 'clear' | 'test', HelperJsImpl> = {
  set: (_rt, cpu, h) => { if (cpuValid(cpu)) masks.set(h, (masks.get(h) ?? 0n) | (1n << BigInt.asUintN(32, cpu))); return 0n; },
  clear: (_rt, cpu, h) => { if (cpuValid(cpu)) masks.set(h, (masks.get(h) ?? 0n) & ~(1n << BigInt.asUintN(32, cpu))); return 0n; },
  test: (_rt, cpu, h) => (cpuValid(cpu) && ((masks.get(h) ?? 0n) >> BigInt.asUintN(32, cpu)) & 1n ? 1n : 0n),
};
export const cpumaskWeight: HelperJsImpl = (_rt, h) => {
  let w = 0n;
  for (let m = masks.get(h) ?? 0n; m; m &= m - 1n) w++;
  return w;
};

/**
 * Packet dynptrs: the 16 bytes of a struct bpf_dynptr on the program's stack hold the data address
 * (u32), the size (u32) and the kind (u32: 0 null, DYNPTR_XDP, DYNPTR_SKB). Only linear data is
 * simulated, so a slice in range is always a direct pointer (the kernel copies into buffer__opt only
 * for data outside the head or in frags).
 */
const DYNPTR_XDP = 1, DYNPTR_SKB = 2;
const EINVAL = 22;
const XDP_DATA = XDP_MD.fields.find((f) => f.name === 'data')!.offset;
const XDP_DATA_END = XDP_MD.fields.find((f) => f.name === 'data_end')!.offset;
function setDynptr(rt: { memory: WebAssembly.Memory }, at: bigint, data: number, size: number, kind: number): void {
  const dv = new DataView(rt.memory.buffer, Number(at), 16);
  dv.setUint32(0, data, true); dv.setUint32(4, size, true); dv.setUint32(8, kind, true); dv.setUint32(12, 0, true);
}
/** Flags must be 0; otherwise the dynptr is set null and the call fails (bpf_dynptr_from_xdp/skb). */
export const dynptrFromXdp: HelperJsImpl = (rt, ctxArg, flags, ptr) => {
  if (flags) { setDynptr(rt, ptr, 0, 0, 0); return BigInt(-EINVAL); }
  const dv = new DataView(rt.memory.buffer);
  const data = dv.getUint32(Number(ctxArg) + XDP_DATA, true), end = dv.getUint32(Number(ctxArg) + XDP_DATA_END, true);
  setDynptr(rt, ptr, data, end - data, DYNPTR_XDP);
  return 0n;
};
export const dynptrFromSkb: HelperJsImpl = (rt, _ctx, flags, ptr) => {
  if (flags) { setDynptr(rt, ptr, 0, 0, 0); return BigInt(-EINVAL); }
  let s;
  try { s = skbOf(rt as Machine, rt.cpu); } catch {
    // no skb behind the context: only an unverified program of another type gets here
    setDynptr(rt, ptr, 0, 0, 0);
    return BigInt(-EINVAL);
  }
  setDynptr(rt, ptr, s.data, s.len, DYNPTR_SKB);
  return 0n;
};
/** bpf_dynptr_slice(_rdwr): a pointer to [offset, offset + size) of the dynptr's data, NULL if null or out of range. */
export const dynptrSlice: HelperJsImpl = (rt, ptr, offArg, _buf, sizeArg) => {
  const dv = new DataView(rt.memory.buffer, Number(ptr), 16);
  const data = dv.getUint32(0, true), size = dv.getUint32(4, true), kind = dv.getUint32(8, true);
  const off = BigInt.asUintN(32, offArg), len = BigInt.asUintN(32, sizeArg);
  if (!kind || off + len > BigInt(size)) return 0n;
  return BigInt(data) + off;
};
