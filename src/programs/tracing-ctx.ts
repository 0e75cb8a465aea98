/**
 * Tracing types whose context is a block of bytes the event provides and
 * which the kernel cannot BPF_PROG_TEST_RUN (it answers ENOTSUPP): kprobe,
 * kretprobe and uprobe (BPF_PROG_TYPE_KPROBE: struct pt_regs, x86-64),
 * tracepoint (the event's record, laid out as its tracefs `format` file
 * says) and perf_event (struct bpf_perf_event_data). testRun here simulates
 * the event firing: ctx is the context's bytes (zero-padded to the struct;
 * a tracepoint record is used as given), the program runs as the current
 * task (task.ts), and retval is r0's low 32 bits, which the kernel's
 * trace_call_bpf treats as "record the event" when non-zero
 * (kernel/trace/bpf_trace.c). data_in and flags are refused (EINVAL).
 *
 * Tracepoint records go in the CPU area's packet buffer (up to
 * PERF_MAX_TRACE_SIZE = 8 KiB; the context area is 1 KiB).
 */
import type { ProgramTypeName } from './types.js';
import type { ProgramTypeRuntime, TestRunInput } from './runtime.js';
import { TestRunError } from './skb.js';
import { enterTaskContext, setCurrentTask } from './task.js';
import type { Machine } from '../runtime/machine.js';

const EINVAL = 22;
/** sizeof(struct pt_regs) on x86-64: 21 registers. */
export const PT_REGS_SIZE = 168;
/** sizeof(struct bpf_perf_event_data): pt_regs, sample_period, addr. */
export const PERF_EVENT_DATA_SIZE = 184;
/** PERF_MAX_TRACE_SIZE: the largest tracepoint record. */
export const PERF_MAX_TRACE_SIZE = 8192;

/** struct pt_regs (arch/x86/include/uapi/asm/ptrace.h, !__KERNEL__ names), byte offsets. */
export const PT_REGS = Object.fromEntries(
  ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
    'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss'].map((n, i) => [n, 8 * i]),
) as Readonly<Record<string, number>>;

function checkSimulatedRun(input: TestRunInput, what: string): void {
  if (input.data) throw new TestRunError(EINVAL, `${what}: takes a context, not data_in`);
  if (input.flags) throw new TestRunError(EINVAL, `${what}: takes no flags (0x${input.flags.toString(16)})`);
}

/** A runtime whose context is `size` bytes at the CPU's context area (or packet buffer when `inPacketBuffer`). */
function bytesContextRuntime(name: ProgramTypeName, what: string, size: number, inPacketBuffer: boolean): ProgramTypeRuntime {
  return {
    name,
    prepare(machine: Machine, cpu: number, input: TestRunInput) {
      checkSimulatedRun(input, what);
      const ctxIn = input.ctx ?? new Uint8Array(0);
      if (ctxIn.length > size) throw new TestRunError(EINVAL, `${what}: a context of ${ctxIn.length} bytes, at most ${size}`);
      if (input.task) setCurrentTask(machine, input.task);
      const area = machine.area(cpu);
      const at = inPacketBuffer ? area.packetData : area.ctx;
      const len = inPacketBuffer ? ctxIn.length : size;
      const mem = new Uint8Array(machine.memory.buffer);
      mem.fill(0, at, at + len);
      mem.set(ctxIn, at);
      const base = machine.regions(cpu, area.packetData, area.packetData, 0);
      const regions = { ...base, ctx: { start: at, end: at + len } };
      enterTaskContext(machine, cpu, regions);
      return { r1: at, regions };
    },
    finish(_machine, _cpu, r0lo) {
      return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) };
    },
  };
}

export const kprobeRuntime = bytesContextRuntime('kprobe', 'kprobe', PT_REGS_SIZE, false);
export const tracepointRuntime = bytesContextRuntime('tracepoint', 'tracepoint', PERF_MAX_TRACE_SIZE, true);
export const perfEventRuntime = bytesContextRuntime('perf_event', 'perf_event', PERF_EVENT_DATA_SIZE, false);

/**
 * BPF_PROG_TYPE_CGROUP_DEVICE: r1 points to struct bpf_cgroup_dev_ctx
 * {access_type = (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_*, major, minor};
 * r0 = 1 allows the device access, 0 refuses it (the kernel's
 * __cgroup_bpf_check_dev_permission then fails with EPERM). No kernel
 * test_run: testRun simulates one access check with ctx as the struct.
 */
export const BPF_CGROUP_DEV_CTX_SIZE = 12;
export const BPF_DEVCG = { ACC_MKNOD: 1, ACC_READ: 2, ACC_WRITE: 4, DEV_BLOCK: 1, DEV_CHAR: 2 } as const;
export const cgroupDeviceRuntime = bytesContextRuntime('cgroup_device', 'cgroup_device', BPF_CGROUP_DEV_CTX_SIZE, false);
