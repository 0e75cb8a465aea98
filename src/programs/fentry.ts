/**
 * BPF_PROG_TYPE_TRACING attached by BTF: fentry/, fexit/ and fmod_ret/
 * (and the argument context tp_btf.ts and lsm.ts share). The context is the
 * trampoline's u64 array of the target function's arguments
 * (kernel/bpf/trampoline.c, arch_prepare_bpf_trampoline): args[0..n-1], then
 * for fexit the function's return value and for fmod_ret the return value
 * of the fmod_ret program before it (0 for the first). The target's
 * prototype comes from the built-in kernel BTF (FUNC <name>).
 *
 * BPF_PROG_TEST_RUN (net/bpf/test_run.c, bpf_prog_test_run_tracing) does not
 * run the program: it calls the kernel's test functions, and an attached
 * program runs when its target is called. Simulated here for a program
 * whose target is one of them, when no ctx is given:
 *  - fentry/fexit: bpf_fentry_test1..10 with FENTRY_TEST_CALLS' arguments;
 *    retval 0 (the functions' checks cannot fail: programs cannot change
 *    arguments);
 *  - fmod_ret: bpf_modify_return_test(1, &b) then
 *    bpf_modify_return_test2(1, &b, 3, 4, 5, 6, 7), b = 2 before each; a
 *    non-zero r0 replaces the call (which then does not increment b);
 *    retval = side_effect << 16 | (sum of the returns as u16), side_effect
 *    counting the calls that changed b.
 * flags, cpu and data_in are refused (EINVAL) as the kernel does.
 *
 * With ctx (u64 arguments, as raw_tracepoint takes them) testRun simulates
 * one call of the target with those arguments: ctx is the trampoline's
 * array (arguments, then the return value slot for fexit/fmod_ret) and
 * retval is r0's low 32 bits (for fmod_ret: non-zero replaces the call).
 *
 * Known differences: the kernel ignores `repeat` (one call sequence); here
 * more than one repetition is refused. A program whose target is not a
 * test function does not run at all in the kernel's test_run (retval 0);
 * here testRun without ctx refuses it (EINVAL), since nothing would run.
 * Pointer arguments (&b, &arg, &retval) point into the simulated context
 * area; the kernel's are stack addresses.
 */
import type { Machine } from '../runtime/machine.js';
import type { RunArgs } from '../interpreter/interpreter.js';
import type { ProgramAttach, ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import type { ProgramTypeName } from './types.js';
import { TestRunError } from './skb.js';
import { enterTaskContext, setCurrentTask } from './task.js';
import { KERNEL_TARGET_ARGS } from '../btf/kernel/runtime-layout.js';
import { tpBtfRuntime } from './tp-btf.js';

const EINVAL = 22;
/** MAX_BPF_FUNC_ARGS. */
export const MAX_TRACE_ARGS = 12;
/** The trampoline's context: the arguments and one return-value slot. */
export const BTF_CTX_BYTES = (MAX_TRACE_ARGS + 1) * 8;
/** Where the objects test functions' pointer arguments point to, from the context area's start. */
const OBJECTS_AT = 128;
/** Layout of those objects: int b; struct bpf_fentry_test_t arg (one NULL pointer); u32 retval. */
const OBJ = { b: 0, arg: 8, retval: 16, size: 24 } as const;
/** bpf_prog_test_run_tracing's int b = 2. */
const MODIFY_RETURN_B = 2;

/** Addresses of the pointed-to objects of one run. */
interface Pointers { readonly b: bigint; readonly arg: bigint; readonly retval: bigint }

/** One call of bpf_prog_test_run_tracing: the function, its arguments, what it returns when not replaced. */
interface TestCall {
  readonly fn: string;
  readonly args: (p: Pointers) => bigint[];
  readonly ret: bigint;
  /** fmod_ret calls increment *b when they run. */
  readonly incrementsB?: boolean;
}

/** The fentry/fexit sequence of net/bpf/test_run.c (Linux 6.18), with the values the functions return. */
export const FENTRY_TEST_CALLS: readonly TestCall[] = [
  { fn: 'bpf_fentry_test1', args: () => [1n], ret: 2n },
  { fn: 'bpf_fentry_test2', args: () => [2n, 3n], ret: 5n },
  { fn: 'bpf_fentry_test3', args: () => [4n, 5n, 6n], ret: 15n },
  { fn: 'bpf_fentry_test4', args: () => [7n, 8n, 9n, 10n], ret: 34n },
  { fn: 'bpf_fentry_test5', args: () => [11n, 12n, 13n, 14n, 15n], ret: 65n },
  { fn: 'bpf_fentry_test6', args: () => [16n, 17n, 18n, 19n, 20n, 21n], ret: 111n },
  { fn: 'bpf_fentry_test7', args: () => [0n], ret: 0n },
  { fn: 'bpf_fentry_test8', args: (p) => [p.arg], ret: 0n },
  { fn: 'bpf_fentry_test9', args: (p) => [p.retval], ret: 0n },
  { fn: 'bpf_fentry_test10', args: () => [0n], ret: 0n },
];

/** The fmod_ret sequence: a + (*b + 1), and a + (*b + 1) + c + d + e + f + g, with b = 2. */
export const MODIFY_RETURN_TEST_CALLS: readonly TestCall[] = [
  { fn: 'bpf_modify_return_test', args: (p) => [1n, p.b], ret: 1n + BigInt(MODIFY_RETURN_B + 1), incrementsB: true },
  { fn: 'bpf_modify_return_test2', args: (p) => [1n, p.b, 3n, 4n, 5n, 6n, 7n], ret: 1n + BigInt(MODIFY_RETURN_B + 1) + 3n + 4n + 5n + 6n + 7n, incrementsB: true },
];

export type BtfTraceKind = 'fentry' | 'fexit' | 'fmod_ret' | 'tp_btf' | 'lsm';

/** Number of arguments of the attach target in the built-in kernel BTF; undefined when it has none by that name. */
export function targetArgCount(kind: BtfTraceKind, target: string | undefined): number | undefined {
  if (!target) return undefined;
  // precomputed from the built-in kernel BTF (runtime-layout.ts): runs need not parse it
  return KERNEL_TARGET_ARGS[kind === 'tp_btf' ? `tp_btf:${target}` : `func:${kind === 'lsm' ? `bpf_lsm_${target}` : target}`];
}

/** Whether the context has a return-value slot after the arguments. */
const hasRetSlot = (kind: BtfTraceKind): boolean => kind === 'fexit' || kind === 'fmod_ret' || kind === 'lsm';

/**
 * Writes a BTF-typed context (u64 slots) at the CPU's context area and
 * enters the task context. The region the program may read spans the
 * context area and the kernel-object region behind it, where pointer
 * arguments (the current task, test objects) point.
 */
export function enterBtfContext(machine: Machine, cpu: number, slots: readonly bigint[], input: TestRunInput): RunArgs {
  if (input.task) setCurrentTask(machine, input.task);
  const area = machine.area(cpu);
  const mem = new Uint8Array(machine.memory.buffer);
  mem.fill(0, area.ctx, area.ctx + BTF_CTX_BYTES);
  const dv = new DataView(machine.memory.buffer);
  slots.forEach((v, i) => dv.setBigUint64(area.ctx + 8 * i, BigInt.asUintN(64, v), true));
  const base = machine.regions(cpu, area.packetData, area.packetData, 0);
  const regions = { ...base, ctx: { start: area.ctx, end: area.scratch } };
  enterTaskContext(machine, cpu, regions);
  return { r1: area.ctx, regions };
}

/** ctx_in of a simulated call: whole u64 slots, at most the target's arguments (and return slot). */
export function checkArgsCtx(kind: BtfTraceKind, target: string | undefined, ctx: Uint8Array): bigint[] {
  const n = targetArgCount(kind, target);
  const max = n === undefined ? BTF_CTX_BYTES : (n + (hasRetSlot(kind) ? 1 : 0)) * 8;
  if (ctx.length % 8 !== 0) throw new TestRunError(EINVAL, `${kind}: ctx_in of ${ctx.length} bytes is not a whole number of u64 arguments`);
  if (ctx.length > max) throw new TestRunError(EINVAL, `${kind}/${target ?? ''}: ctx_in of ${ctx.length} bytes, at most ${max} (${n ?? MAX_TRACE_ARGS} arguments${hasRetSlot(kind) ? ' and the return value' : ''})`);
  const dv = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  return [...Array(ctx.length / 8).keys()].map((i) => dv.getBigUint64(8 * i, true));
}

function checkTracingRun(input: TestRunInput, what: string): void {
  if (input.data) throw new TestRunError(EINVAL, `${what}: test_run takes no data_in`);
  if (input.flags) throw new TestRunError(EINVAL, `${what}: test_run takes no flags (0x${input.flags.toString(16)})`);
  if ((input.repeat ?? 1) > 1) throw new TestRunError(EINVAL, `${what}: test_run calls the test functions once (repeat ${input.repeat})`);
}

const KIND_OF_ATTACH: Readonly<Record<string, 'fentry' | 'fexit' | 'fmod_ret'>> = { TRACE_FENTRY: 'fentry', TRACE_FEXIT: 'fexit', MODIFY_RETURN: 'fmod_ret' };

/** The runtime of one fentry/fexit/fmod_ret program (its kind and target). */
function functionTraceRuntime(name: ProgramTypeName, kind: 'fentry' | 'fexit' | 'fmod_ret', target: string | undefined): ProgramTypeRuntime {
  const what = `${kind}/${target ?? ''}`;
  /** The emulated call the program ran in, when testRun had no ctx. */
  let emulated: TestCall | undefined;
  return {
    name,
    prepare(machine, cpu, input) {
      checkTracingRun(input, what);
      if (cpu !== 0) throw new TestRunError(EINVAL, `${what}: test_run takes no cpu (${cpu})`);
      if (input.ctx) {
        emulated = undefined;
        return enterBtfContext(machine, cpu, checkArgsCtx(kind, target, input.ctx), input);
      }
      const calls = kind === 'fmod_ret' ? MODIFY_RETURN_TEST_CALLS : FENTRY_TEST_CALLS;
      const call = calls.find((c) => c.fn === target);
      if (!call) {
        throw new TestRunError(EINVAL, `${what}: BPF_PROG_TEST_RUN only calls ${calls.map((c) => c.fn).join(', ')}; give ctx (the arguments) to simulate a call of ${target ?? '(no target)'}`);
      }
      emulated = call;
      const objects = machine.area(cpu).ctx + OBJECTS_AT;
      const dv = new DataView(machine.memory.buffer);
      const p: Pointers = { b: BigInt(objects + OBJ.b), arg: BigInt(objects + OBJ.arg), retval: BigInt(objects + OBJ.retval) };
      const slots = call.args(p);
      if (kind === 'fexit') slots.push(call.ret);
      if (kind === 'fmod_ret') slots.push(0n);
      const args = enterBtfContext(machine, cpu, slots, input);
      new Uint8Array(machine.memory.buffer).fill(0, objects, objects + OBJ.size);
      dv.setInt32(objects + OBJ.b, MODIFY_RETURN_B, true);
      return args;
    },
    finish(_machine, _cpu, r0lo): TestRunOutput {
      const call = emulated;
      if (!call) return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) };
      if (kind !== 'fmod_ret') return { retval: 0n, dataOut: new Uint8Array(0) };
      let ret = 0n, sideEffect = 0n;
      for (const c of MODIFY_RETURN_TEST_CALLS) {
        // the program's int return value replaces the call when it is non-zero
        const replaced = c === call && (r0lo | 0) !== 0;
        ret += replaced ? BigInt(r0lo | 0) : c.ret;
        if (!replaced && c.incrementsB) sideEffect++;
      }
      return { retval: (sideEffect << 16n) | BigInt.asUintN(16, ret), dataOut: new Uint8Array(0) };
    },
  };
}

/**
 * BPF_PROG_TYPE_TRACING: fentry/fexit/fmod_ret here, tp_btf in tp-btf.ts;
 * iter/ and freplace are not simulated.
 */
export function tracingRuntimeFor(name: ProgramTypeName, attach: ProgramAttach, others: Readonly<Record<string, (a: ProgramAttach) => ProgramTypeRuntime>>): ProgramTypeRuntime {
  const kind = attach.type ? KIND_OF_ATTACH[attach.type] : undefined;
  if (kind) return functionTraceRuntime(name, kind, attach.to);
  const other = attach.type ? others[attach.type] : undefined;
  if (other) return other(attach);
  throw new TestRunError(EINVAL, `tracing programs attached as ${attach.type ?? '(no attach type)'} cannot be run`);
}

/** The registry's entry for BPF_PROG_TYPE_TRACING: the runtime depends on the attach type. */
export const tracingRuntime: ProgramTypeRuntime = {
  name: 'tracing',
  forAttach: (attach) => tracingRuntimeFor('tracing', attach, { TRACE_RAW_TP: (a) => tpBtfRuntime('tracing', a) }),
  prepare() { throw new TestRunError(EINVAL, 'tracing: the program has no attach type (SEC("fentry/<function>"), …)'); },
  finish(_machine, _cpu, r0lo) { return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) }; },
};

const BTF_ATTACH_KIND: Readonly<Record<string, BtfTraceKind>> = {
  TRACE_FENTRY: 'fentry', TRACE_FEXIT: 'fexit', MODIFY_RETURN: 'fmod_ret', TRACE_RAW_TP: 'tp_btf', LSM_MAC: 'lsm',
};

/** The BTF-typed tracing kind of an attach type (TRACE_FENTRY → fentry, …); undefined for others. */
export function btfTraceKind(attachType: string | undefined): BtfTraceKind | undefined {
  return attachType ? BTF_ATTACH_KIND[attachType] : undefined;
}

/**
 * Why a BTF-typed program cannot load: libbpf looks its target up in the
 * kernel's BTF and fails when it is not there; without a target the kernel
 * says "Tracing programs must provide btf_id". Here the kernel BTF is the
 * built-in one (targets are added in scripts/gen-kernel-btf.mjs).
 * Undefined when the target exists or the program is not BTF-typed.
 */
export function btfAttachProblem(type: ProgramTypeName, attachType: string | undefined, attachTo: string | undefined): string | undefined {
  if (type !== 'tracing' && type !== 'lsm') return undefined;
  const kind = attachType ? BTF_ATTACH_KIND[attachType] : undefined;
  if (!kind) return undefined;
  if (targetArgCount(kind, attachTo) !== undefined) return undefined;
  const what = kind === 'tp_btf' ? `btf_trace_${attachTo ?? ''}` : kind === 'lsm' ? `bpf_lsm_${attachTo ?? ''}` : attachTo ?? '';
  return `Tracing programs must provide btf_id: ${kind} target ${attachTo ? `'${attachTo}' (${what})` : 'missing'} is not in the built-in kernel BTF`;
}
