/**
 * The simulated current task and kernel/user address spaces that tracing
 * helpers read (bpf_get_current_*, bpf_probe_read_*).
 *
 * Current task: BPF_PROG_TEST_RUN runs a tracing or syscall program in the
 * caller's context, so the kernel's `current` is the test runner. Here it is
 * a configurable record per machine (setCurrentTask, or TestRunInput.task);
 * the defaults are documented in DEFAULT_TASK.
 *
 * Address spaces (bpf_probe_read_kernel / _user and their _str forms):
 *  - kernel space is the machine's linear memory, as for every other BPF
 *    pointer, but only where a kernel object lives: the run's stack, context
 *    and data windows, the map heap and the simulated task_struct
 *    (bpf_get_current_task) in the CPU area's kernel-object region. Any other
 *    address (the null page, the map kernels' static data, another CPU's
 *    area, user addresses) faults: -EFAULT and the destination zeroed, as
 *    copy_from_kernel_nofault does.
 *  - user space is a sparse list of segments the test supplies (address,
 *    bytes) at addresses of 4 GiB and above, so they never collide with
 *    linear memory; bpf_probe_read_user of anything else faults the same way.
 */
import type { Machine } from '../runtime/machine.js';
import type { RunRegions } from '../runtime/layout.js';
import { KERNEL_FIELDS, KERNEL_STRUCT_SIZES } from '../btf/kernel/runtime-layout.js';

/** TASK_COMM_LEN (include/linux/sched.h). */
export const TASK_COMM_LEN = 16;

export interface CurrentTask {
  /** Thread id (the kernel's task->pid). */
  pid: number;
  /** Process id (task->tgid). */
  tgid: number;
  uid: number;
  gid: number;
  /** task->comm; longer names are cut to TASK_COMM_LEN - 1 bytes as the kernel does. */
  comm: string;
  /** bpf_get_current_cgroup_id: the cgroup v2 id of the task's cgroup. */
  cgroupId: bigint;
  /** The parent's pid (task->real_parent->tgid); DEFAULT_PPID when not set. */
  ppid?: number;
}

/** Parent of the simulated task unless told otherwise: init. */
export const DEFAULT_PPID = 1;
/** comm of the simulated parent task. */
export const PARENT_COMM = 'init';

/** The task a machine runs programs as until told otherwise. */
export const DEFAULT_TASK: Readonly<CurrentTask> = { pid: 1000, tgid: 1000, uid: 0, gid: 0, comm: 'ebpf-wasm', cgroupId: 1n };

/** A piece of simulated user memory. */
export interface UserSegment { readonly address: bigint; readonly bytes: Uint8Array }

/** Lowest simulated user address: above every linear-memory address. */
export const USER_SPACE_BASE = 0x1_0000_0000n;

/**
 * The simulated kernel objects behind bpf_get_current_task(_btf), laid out
 * as the built-in kernel BTF says (src/btf/kernel: this kernel's real
 * offsets), so CO-RE reads (BPF_CORE_READ(task, real_parent, tgid),
 * task->cred->uid.val, task->comm) and BTF-pointer loads find the current
 * task's values. In the CPU area's kernel-object region: the task, its
 * parent (pid = tgid = ppid, real_parent of itself) and one cred shared by
 * both (uid/gid and their e/s/fs forms). Members the simulation does not
 * fill read as zero.
 */
function taskLayout() {
  // precomputed from the built-in kernel BTF (runtime-layout.ts): runs need not parse it
  const field = (struct: string, path: string): number => {
    const f = KERNEL_FIELDS[`${struct}.${path}`];
    if (!f) throw new Error(`runtime-layout.ts has no ${struct}.${path}: rerun scripts/gen-kernel-btf.mjs`);
    return f.offset;
  };
  const f = (path: string): number => field('task_struct', path);
  const taskSize = KERNEL_STRUCT_SIZES.task_struct!;
  const credSize = KERNEL_STRUCT_SIZES.cred!;
  const align8 = (n: number): number => Math.ceil(n / 8) * 8;
  return {
    pid: f('pid'), tgid: f('tgid'), comm: f('comm'), realParent: f('real_parent'), parent: f('parent'),
    groupLeader: f('group_leader'), cred: f('cred'), realCred: f('real_cred'),
    size: taskSize,
    /** Offsets from the region's start of the parent image and the cred. */
    parentAt: align8(taskSize), credAt: align8(taskSize) * 2, credSize,
    credIds: ['uid', 'gid', 'suid', 'sgid', 'euid', 'egid', 'fsuid', 'fsgid'].map((n) => [n, field('cred', n)] as const),
  };
}
let layout: ReturnType<typeof taskLayout> | undefined;
/** Offsets of the simulated task_struct (kernel layout) and of the objects next to it. */
export function simTaskLayout(): ReturnType<typeof taskLayout> {
  return layout ??= taskLayout();
}

/** task_struct member offsets (the kernel's), kept under their old name for callers. */
export const SIM_TASK_STRUCT = {
  get pid(): number { return simTaskLayout().pid; },
  get tgid(): number { return simTaskLayout().tgid; },
  get comm(): number { return simTaskLayout().comm; },
  get size(): number { return simTaskLayout().size; },
};

interface TaskState {
  task: CurrentTask;
  user: UserSegment[];
  /** Per CPU: linear-memory ranges that count as kernel objects during the current run. */
  kernelRanges: Array<Array<readonly [number, number]>>;
}

const states = new WeakMap<Machine, TaskState>();

function stateOf(machine: Machine): TaskState {
  let s = states.get(machine);
  if (!s) states.set(machine, s = { task: { ...DEFAULT_TASK }, user: [], kernelRanges: [] });
  return s;
}

/** Changes the machine's current task (fields not given keep their values). */
export function setCurrentTask(machine: Machine, task: Partial<CurrentTask>): CurrentTask {
  const s = stateOf(machine);
  s.task = { ...s.task, ...task };
  return s.task;
}

export function currentTask(machine: Machine): Readonly<CurrentTask> {
  return stateOf(machine).task;
}

/** Replaces the simulated user address space. */
export function setUserMemory(machine: Machine, segments: readonly UserSegment[]): void {
  for (const seg of segments) {
    if (seg.address < USER_SPACE_BASE) throw new RangeError(`user segment at 0x${seg.address.toString(16)} lies below USER_SPACE_BASE (0x${USER_SPACE_BASE.toString(16)})`);
  }
  stateOf(machine).user = segments.map((x) => ({ address: x.address, bytes: x.bytes.slice() }));
}

/** The task's comm as the kernel stores it: at most 15 bytes, NUL-padded to 16. */
export function commBytes(comm: string): Uint8Array {
  const out = new Uint8Array(TASK_COMM_LEN);
  out.set(new TextEncoder().encode(comm).subarray(0, TASK_COMM_LEN - 1));
  return out;
}

/** Address of CPU `cpu`'s simulated task_struct (in its kernel-object region). */
export function taskStructAddress(machine: Machine, cpu: number): number {
  return machine.area(cpu).kobj;
}

/**
 * The kernel-object region's free tail on CPU `cpu`, after the task, its
 * parent and cred: where tests place other kernel objects (placeKernelSkb,
 * writeKernelStruct). BTF-typed tracing programs may read all of it.
 */
export function kernelObjectSpace(machine: Machine, cpu: number): { start: number; end: number } {
  const L = simTaskLayout();
  return { start: taskStructAddress(machine, cpu) + Math.ceil((L.credAt + L.credSize) / 8) * 8, end: machine.area(cpu).scratch };
}

/**
 * Called by the tracing runtimes before a run: writes the task_struct image
 * and records which linear-memory ranges are kernel objects for the run.
 */
export function enterTaskContext(machine: Machine, cpu: number, regions: RunRegions): void {
  const s = stateOf(machine);
  const addr = taskStructAddress(machine, cpu);
  const L = simTaskLayout();
  const end = addr + L.credAt + L.credSize;
  if (end > machine.area(cpu).scratch) throw new RangeError(`the simulated task (${end - addr} bytes) does not fit the kernel-object region`);
  const mem = new Uint8Array(machine.memory.buffer);
  mem.fill(0, addr, end);
  const dv = new DataView(machine.memory.buffer);
  const t = s.task;
  const parent = addr + L.parentAt, cred = addr + L.credAt;
  const image = (at: number, pid: number, tgid: number, realParent: number, comm: string): void => {
    dv.setInt32(at + L.pid, pid, true);
    dv.setInt32(at + L.tgid, tgid, true);
    mem.set(commBytes(comm), at + L.comm);
    dv.setBigUint64(at + L.realParent, BigInt(realParent), true);
    dv.setBigUint64(at + L.parent, BigInt(realParent), true);
    dv.setBigUint64(at + L.groupLeader, BigInt(at), true);
    dv.setBigUint64(at + L.cred, BigInt(cred), true);
    dv.setBigUint64(at + L.realCred, BigInt(cred), true);
  };
  const ppid = t.ppid ?? DEFAULT_PPID;
  image(addr, t.pid, t.tgid, parent, t.comm);
  image(parent, ppid, ppid, parent, PARENT_COMM);
  for (const [name, off] of L.credIds) dv.setUint32(cred + off, name.endsWith('gid') ? t.gid : t.uid, true);
  s.kernelRanges[cpu] = [
    [regions.stack.start, regions.stack.end], [regions.ctx.start, regions.ctx.end],
    [regions.data.start, regions.data.end], [regions.heap.start, regions.heap.end],
    [addr, addr + L.size], [parent, parent + L.size], [cred, cred + L.credSize],
  ];
}

/**
 * Whether a helper may write [addr, addr+size): inside CPU `cpu`'s stack,
 * context or packet areas or the map heap. The verifier proves this for
 * verified programs; for unverified ones it keeps helpers inside the sandbox.
 */
export function helperWritable(machine: Machine, cpu: number, addr: bigint, size: number): boolean {
  if (addr >= USER_SPACE_BASE || size < 0) return false;
  const a = Number(addr), area = machine.area(cpu);
  const ranges: Array<readonly [number, number]> = [
    [area.stackBase, area.stackTop], [area.ctx, area.kobj], [area.packetBase, area.packetLimit],
    [machine.layout.heapBase, machine.memory.buffer.byteLength],
  ];
  return ranges.some(([lo, hi]) => a >= lo && a + size <= hi);
}

/** Whether [addr, addr+size) lies inside one kernel object of the current run on `cpu`. */
export function kernelReadable(machine: Machine, cpu: number, addr: bigint, size: number): boolean {
  const ranges = stateOf(machine).kernelRanges[cpu] ?? [];
  if (addr >= USER_SPACE_BASE) return false;
  const a = Number(addr);
  return ranges.some(([lo, hi]) => a >= lo && a + size <= hi && lo < hi);
}

/** The bytes of simulated user memory at [addr, addr+size), or undefined when any byte is unmapped. */
export function readUser(machine: Machine, addr: bigint, size: number): Uint8Array | undefined {
  for (const seg of stateOf(machine).user) {
    const end = seg.address + BigInt(seg.bytes.length);
    if (addr >= seg.address && addr + BigInt(size) <= end) {
      const off = Number(addr - seg.address);
      return seg.bytes.subarray(off, off + size);
    }
  }
  return undefined;
}

/** The longest readable prefix (up to `max` bytes) of user memory at `addr`, for the _str helpers. */
export function readUserPrefix(machine: Machine, addr: bigint, max: number): Uint8Array {
  for (const seg of stateOf(machine).user) {
    const end = seg.address + BigInt(seg.bytes.length);
    if (addr >= seg.address && addr < end) {
      const off = Number(addr - seg.address);
      return seg.bytes.subarray(off, Math.min(seg.bytes.length, off + max));
    }
  }
  return new Uint8Array(0);
}
