/**
 * BPF_PROG_TYPE_CGROUP_SYSCTL: runs when a task of the cgroup reads or
 * writes a file under /proc/sys; r1 points to struct bpf_sysctl {write,
 * file_pos}, the helpers below give the name and values, and r0 = 1 lets
 * the access go on while 0 fails it with EPERM (__cgroup_bpf_run_filter_sysctl,
 * kernel/bpf/cgroup.c). file_pos may be rewritten.
 *
 * No kernel test_run: testRun simulates one access. TestRunInput.sysctl
 * names the file and its current value; newValue, when given, makes it a
 * write (ctx.write = 1). ctxOut returns the struct (file_pos), and
 * sysctlNewValue the value the write would store.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperRuntime } from '../helpers/table.js';
import type { ProgramTypeRuntime } from './runtime.js';
import { TestRunError } from './skb.js';
import { enterTaskContext, helperWritable, setCurrentTask } from './task.js';

const EINVAL = 22, E2BIG = 7, EFAULT = 14;
export const BPF_SYSCTL = { write: 0, file_pos: 4 } as const;
export const BPF_SYSCTL_SIZE = 8;
/** BPF_F_SYSCTL_BASE_NAME: bpf_sysctl_get_name gives the last component only. */
export const BPF_F_SYSCTL_BASE_NAME = 1;
/** PAGE_SIZE - 1: the largest value bpf_sysctl_set_new_value accepts. */
const MAX_NEW_VALUE = 4095;

interface Access { name: string; cur: Uint8Array; write: boolean; newVal: Uint8Array }
const accesses = new WeakMap<Machine, Access[]>();
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

export const cgroupSysctlRuntime: ProgramTypeRuntime = {
  name: 'cgroup_sysctl',
  prepare(machine, cpu, input) {
    if (input.data) throw new TestRunError(EINVAL, 'cgroup_sysctl: takes no data_in');
    if (!input.sysctl) throw new TestRunError(EINVAL, 'cgroup_sysctl: give the sysctl accessed (TestRunInput.sysctl)');
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length > BPF_SYSCTL_SIZE) throw new TestRunError(EINVAL, `cgroup_sysctl: a context of ${ctxIn.length} bytes, at most ${BPF_SYSCTL_SIZE}`);
    if (input.task) setCurrentTask(machine, input.task);
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    mem.fill(0, area.ctx, area.ctx + BPF_SYSCTL_SIZE);
    mem.set(ctxIn, area.ctx);
    const write = input.sysctl.newValue !== undefined;
    new DataView(machine.memory.buffer).setUint32(area.ctx + BPF_SYSCTL.write, write ? 1 : 0, true);
    let list = accesses.get(machine);
    if (!list) accesses.set(machine, list = []);
    list[cpu] = { name: input.sysctl.name, cur: enc(input.sysctl.current), write, newVal: enc(input.sysctl.newValue ?? '') };
    const regions = machine.regions(cpu, area.packetData, area.packetData, BPF_SYSCTL_SIZE);
    enterTaskContext(machine, cpu, regions);
    return { r1: area.ctx, regions };
  },
  finish(machine, cpu, r0lo) {
    const ctx = machine.area(cpu).ctx;
    const a = accesses.get(machine)?.[cpu];
    return {
      retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0),
      ctxOut: new Uint8Array(machine.memory.buffer.slice(ctx, ctx + BPF_SYSCTL_SIZE)),
      ...(a?.write ? { sysctlNewValue: new TextDecoder().decode(a.newVal) } : {}),
    };
  },
};

/** bpf_sysctl_* (kernel/bpf/cgroup.c), with the kernel's copy_sysctl_value and strscpy rules. */
export function registerSysctlHelpers(registry: HelperRegistry): void {
  const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
  const access = (rt: HelperRuntime): Access | undefined => accesses.get(rt as Machine)?.[rt.cpu];
  const dstOk = (rt: HelperRuntime, buf: bigint, len: number): boolean => helperWritable(rt as Machine, rt.cpu, buf, len);
  const copyValue = (rt: HelperRuntime, buf: bigint, len: number, src: Uint8Array | undefined): bigint => {
    if (!buf) return neg(EINVAL);
    if (!len) return neg(E2BIG);
    if (!dstOk(rt, buf, len)) return neg(EFAULT);
    const dst = new Uint8Array(rt.memory.buffer, Number(buf), len);
    if (!src || !src.length) { dst.fill(0); return neg(EINVAL); }
    dst.set(src.subarray(0, Math.min(len, src.length)));
    if (len > src.length) { dst.fill(0, src.length); return BigInt(src.length); }
    dst[len - 1] = 0;
    return neg(E2BIG);
  };
  const types = { programTypes: ['cgroup_sysctl'] as const };
  registry.register('bpf_sysctl_get_name', {
    js: (rt, _ctx, buf, lenArg, flags) => {
      const a = access(rt), len = Number(lenArg);
      if (!a || !buf) return neg(EINVAL);
      if (!dstOk(rt, buf, len)) return neg(EFAULT);
      const name = flags & BigInt(BPF_F_SYSCTL_BASE_NAME) ? a.name.slice(a.name.lastIndexOf('/') + 1) : a.name;
      // strscpy: at most len - 1 bytes and a NUL; -E2BIG when cut
      const src = enc(name), dst = new Uint8Array(rt.memory.buffer, Number(buf), len);
      if (len === 0) return neg(E2BIG);
      const n = Math.min(src.length, len - 1);
      dst.set(src.subarray(0, n));
      dst[n] = 0;
      return n < src.length ? neg(E2BIG) : BigInt(n);
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size', 'anything'], gplOnly: false }, ...types });
  registry.register('bpf_sysctl_get_current_value', {
    js: (rt, _ctx, buf, len) => copyValue(rt, buf, Number(len), access(rt)?.cur),
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size'], gplOnly: false }, ...types });
  registry.register('bpf_sysctl_get_new_value', {
    js: (rt, _ctx, buf, lenArg) => {
      const a = access(rt), len = Number(lenArg);
      if (!a?.write) {
        if (buf && len && dstOk(rt, buf, len)) new Uint8Array(rt.memory.buffer, Number(buf), len).fill(0);
        return neg(EINVAL);
      }
      return copyValue(rt, buf, len, a.newVal);
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size'], gplOnly: false }, ...types });
  registry.register('bpf_sysctl_set_new_value', {
    js: (rt, _ctx, buf, lenArg) => {
      const a = access(rt), len = Number(lenArg);
      if (!a?.write || !a.newVal.length || !buf || !len || len > MAX_NEW_VALUE) return neg(EINVAL);
      if (!helperWritable(rt as Machine, rt.cpu, buf, len)) return neg(EFAULT);
      a.newVal = new Uint8Array(rt.memory.buffer, Number(buf), len).slice();
      return 0n;
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size'], gplOnly: false }, ...types });
}
