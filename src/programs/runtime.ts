/**
 * What a program type does around a run: write its context and packet into
 * the CPU area before, and turn r0 and memory into the kernel's
 * BPF_PROG_TEST_RUN results after.
 */
import type { Machine } from '../runtime/machine.js';
import type { RunArgs } from '../interpreter/interpreter.js';
import type { ProgramTypeName } from './types.js';
import type { CurrentTask } from './task.js';

export interface TestRunInput {
  /** Packet or data bytes (data_in). */
  data?: Uint8Array;
  /** Context bytes (ctx_in), in the UAPI struct's layout. */
  ctx?: Uint8Array;
  /** Interface the packet arrives on. */
  ingressIfindex?: number;
  rxQueueIndex?: number;
  /** BPF_PROG_TEST_RUN flags (TEST_RUN_FLAGS); types that take none reject any. */
  flags?: number;
  /** Repetitions asked for; types the kernel does not repeat (raw_tracepoint, syscall) reject more than one. */
  repeat?: number;
  /** The current task for this and later runs (tracing and syscall types; see task.ts). */
  task?: Partial<CurrentTask>;
  /** cgroup_sysctl: the sysctl being accessed (name relative to /proc/sys, e.g. "net/ipv4/ip_forward"). */
  sysctl?: { name: string; current: string; newValue?: string };
}

/** BPF_PROG_TEST_RUN flags (include/uapi/linux/bpf.h). */
export const TEST_RUN_FLAGS = {
  BPF_F_TEST_RUN_ON_CPU: 1 << 0,
  BPF_F_TEST_XDP_LIVE_FRAMES: 1 << 1,
  BPF_F_TEST_SKB_CHECKSUM_COMPLETE: 1 << 2,
} as const;

export interface TestRunOutput {
  /** r0 as the kernel reports it (32-bit for most types, 64-bit for raw). */
  retval: bigint;
  dataOut: Uint8Array;
  ctxOut?: Uint8Array;
  /** cgroup_sysctl: the value a write will store (after bpf_sysctl_set_new_value), for writes. */
  sysctlNewValue?: string;
}

/** What a program is attached to: libbpf's expected attach type and the section's target name. */
export interface ProgramAttach {
  /** ATTACH_TYPES name (src/loader/sections.ts), e.g. TRACE_FENTRY. */
  readonly type?: string;
  /** "fentry/do_unlinkat" → "do_unlinkat". */
  readonly to?: string;
}

export interface ProgramTypeRuntime {
  readonly name: ProgramTypeName;
  /**
   * Types whose runs depend on the attach point (BTF-typed tracing: the
   * target function's arguments) give the runtime for one program here.
   */
  forAttach?(attach: ProgramAttach): ProgramTypeRuntime;
  /** Writes the inputs into CPU `cpu`'s area; returns the entry registers and regions. */
  prepare(machine: Machine, cpu: number, input: TestRunInput): RunArgs;
  /**
   * Entry registers for the next repetition of a `repeat` run. The kernel runs
   * every repetition on the same context and packet (changes accumulate); a
   * runtime without this hook is prepared afresh each time.
   */
  again?(machine: Machine, cpu: number): RunArgs;
  /** Reads the results back after a run that returned r0 = (lo, hi). */
  finish(machine: Machine, cpu: number, r0lo: number, r0hi: number): TestRunOutput;
}
