/**
 * BPF_PROG_TYPE_RAW_TRACEPOINT: r1 points to struct bpf_raw_tracepoint_args,
 * the tracepoint's arguments as u64 args[] (at most MAX_BPF_FUNC_ARGS = 12).
 *
 * BPF_PROG_TEST_RUN (net/bpf/test_run.c, bpf_prog_test_run_raw_tp):
 *  - ctx_in is the args array, 0..96 bytes; without one r1 is NULL;
 *  - data_in/out, ctx_out and repeat are refused (EINVAL); so is cpu != 0
 *    without BPF_F_TEST_RUN_ON_CPU, and with it a CPU that does not exist is
 *    ENXIO (the run then happens on that CPU: bpf_get_smp_processor_id);
 *  - retval is r0's low 32 bits; nothing else comes back.
 * The program runs as the current task (task.ts), which tests configure.
 *
 * Known difference: the kernel also refuses a ctx_in shorter than the
 * furthest context byte the verifier saw the program read
 * (prog->aux->max_ctx_offset); the verifier does not report that offset yet,
 * so here a verified program reads zeros past ctx_in and an unverified one
 * traps (the context region is ctx_in's length).
 */
import { RAW_TRACEPOINT_ARGS } from './context.js';
import type { ProgramTypeRuntime, TestRunInput } from './runtime.js';
import { TEST_RUN_FLAGS } from './runtime.js';
import { TestRunError } from './skb.js';
import { enterTaskContext, setCurrentTask } from './task.js';
import type { Machine } from '../runtime/machine.js';

const EINVAL = 22, ENXIO = 6;
/** MAX_BPF_FUNC_ARGS * sizeof(u64). */
export const RAW_TP_CTX_MAX = RAW_TRACEPOINT_ARGS.size;

/**
 * The test-run rules shared by the tracing types that run once on a CPU
 * chosen by BPF_F_TEST_RUN_ON_CPU (raw_tracepoint; tp_btf/fentry use the same).
 */
export function checkOnCpuRun(machine: Machine, cpu: number, input: TestRunInput, what: string): void {
  if (input.data) throw new TestRunError(EINVAL, `${what}: test_run takes no data_in`);
  if ((input.repeat ?? 1) > 1) throw new TestRunError(EINVAL, `${what}: test_run does not repeat (repeat ${input.repeat})`);
  const flags = input.flags ?? 0;
  // other flag bits are ignored (the kernel checks none but this one)
  if (!(flags & TEST_RUN_FLAGS.BPF_F_TEST_RUN_ON_CPU) && cpu !== 0) throw new TestRunError(EINVAL, `${what}: cpu ${cpu} needs BPF_F_TEST_RUN_ON_CPU`);
  if (cpu >= machine.layout.cpus) throw new TestRunError(ENXIO, `${what}: no CPU ${cpu} (the machine has ${machine.layout.cpus})`);
}

export const rawTracepointRuntime: ProgramTypeRuntime = {
  name: 'raw_tracepoint',
  prepare(machine, cpu, input) {
    checkOnCpuRun(machine, cpu, input, 'raw_tracepoint');
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length > RAW_TP_CTX_MAX) throw new TestRunError(EINVAL, `raw_tracepoint: ctx_in of ${ctxIn.length} bytes, at most ${RAW_TP_CTX_MAX}`);
    if (input.task) setCurrentTask(machine, input.task);
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    mem.fill(0, area.ctx, area.ctx + RAW_TP_CTX_MAX);
    mem.set(ctxIn, area.ctx);
    const regions = machine.regions(cpu, area.packetData, area.packetData, ctxIn.length);
    enterTaskContext(machine, cpu, regions);
    return { r1: ctxIn.length ? area.ctx : 0, regions };
  },
  finish(_machine, _cpu, r0lo) {
    return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) };
  },
};
