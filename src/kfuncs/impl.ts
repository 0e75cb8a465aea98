/**
 * kfunc implementations. Kernel objects (tasks, cpumasks) are opaque handles:
 * programs only NULL-check them and pass them back (the verifier lets no
 * program read through them), so a handle is a non-zero tag, never memory.
 */
import type { HelperJsImpl } from '../helpers/table.js';
import type { Machine } from '../runtime/machine.js';
import { currentTask } from '../programs/task.js';

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
