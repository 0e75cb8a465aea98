/**
 * BPF_PROG_TYPE_TRACING attached as BPF_TRACE_RAW_TP: SEC("tp_btf/<event>").
 * The context is the raw tracepoint's u64 argument array, as for
 * raw_tracepoint, but typed: the arguments are those of the event's
 * btf_trace_<event> prototype in the built-in kernel BTF without its first
 * (void *__data) parameter, so pointer arguments are BTF pointers the
 * program may dereference (task_struct *, linux_binprm *, …).
 *
 * BPF_PROG_TEST_RUN: bpf_prog_test_run_tracing only knows fentry/fexit/
 * fmod_ret and fails with EFAULT for tp_btf (checked live by
 * test/core-tracing.test.ts); testRun without ctx does the same. With ctx
 * (beyond the kernel, which ignores ctx_in here) testRun simulates the
 * event firing once: ctx holds the arguments (whole u64s, at most the
 * event's count), the program runs as the current task (task.ts) and
 * retval is r0's low 32 bits (ignored by the kernel's __bpf_trace_run). A
 * task_struct argument may point to the simulated current task:
 * taskStructAddress().
 */
import type { ProgramAttach, ProgramTypeRuntime } from './runtime.js';
import type { ProgramTypeName } from './types.js';
import { TestRunError } from './skb.js';
import { checkArgsCtx, enterBtfContext } from './fentry.js';

const EINVAL = 22, EFAULT = 14;

export function tpBtfRuntime(name: ProgramTypeName, attach: ProgramAttach): ProgramTypeRuntime {
  const what = `tp_btf/${attach.to ?? ''}`;
  return {
    name,
    prepare(machine, cpu, input) {
      if (input.data) throw new TestRunError(EINVAL, `${what}: takes a context, not data_in`);
      if (input.flags) throw new TestRunError(EINVAL, `${what}: takes no flags (0x${input.flags.toString(16)})`);
      if (!input.ctx) throw new TestRunError(EFAULT, `${what}: BPF_PROG_TEST_RUN has no tp_btf run (give ctx to simulate the event)`);
      return enterBtfContext(machine, cpu, checkArgsCtx('tp_btf', attach.to, input.ctx), input);
    },
    finish(_machine, _cpu, r0lo) {
      return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) };
    },
  };
}
