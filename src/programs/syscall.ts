/**
 * BPF_PROG_TYPE_SYSCALL: r1 points to a plain buffer the caller supplies (no
 * UAPI struct: any aligned offset below U16_MAX may be read or written).
 * Programs are sleepable (libbpf's SEC("syscall") sets BPF_F_SLEEPABLE),
 * which changes nothing here: a run never sleeps.
 *
 * BPF_PROG_TEST_RUN (net/bpf/test_run.c, bpf_prog_test_run_syscall):
 *  - ctx_in is the buffer, up to U16_MAX bytes, copied back after the run
 *    (ctxOut here: the kernel writes it over ctx_in); without one r1 is NULL;
 *  - data_in/out, ctx_out, repeat and flags are refused (EINVAL);
 *  - retval is r0's low 32 bits.
 * The program runs as the current task (task.ts). The buffer lives in the
 * CPU area's packet buffer (the context area is 1 KiB).
 *
 * Not modelled: bpf_sys_bpf, bpf_sys_close, bpf_btf_find_by_name_kind and
 * bpf_kallsyms_lookup_name (programs issuing bpf() commands from the
 * kernel); a call to them traps as an unimplemented helper (EW3003).
 * Known difference: as for raw_tracepoint, a ctx_in shorter than the
 * furthest byte the program reads is not refused (see raw-tracepoint.ts).
 */
import type { ProgramTypeRuntime } from './runtime.js';
import { TestRunError } from './skb.js';
import { enterTaskContext, setCurrentTask } from './task.js';

const EINVAL = 22;
/** U16_MAX: the largest syscall context. */
export const SYSCALL_CTX_MAX = 0xffff;

const buffers = new WeakMap<object, number[]>();

export const syscallRuntime: ProgramTypeRuntime = {
  name: 'syscall',
  prepare(machine, cpu, input) {
    if (input.data) throw new TestRunError(EINVAL, 'syscall: test_run takes no data_in');
    if ((input.repeat ?? 1) > 1) throw new TestRunError(EINVAL, `syscall: test_run does not repeat (repeat ${input.repeat})`);
    if (input.flags) throw new TestRunError(EINVAL, `syscall: test_run takes no flags (0x${input.flags.toString(16)})`);
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length > SYSCALL_CTX_MAX) throw new TestRunError(EINVAL, `syscall: ctx_in of ${ctxIn.length} bytes, at most ${SYSCALL_CTX_MAX}`);
    if (ctxIn.length > machine.layout.packetCapacity) {
      throw new RangeError(`syscall: ctx_in of ${ctxIn.length} bytes exceeds the packet capacity of ${machine.layout.packetCapacity}`);
    }
    if (input.task) setCurrentTask(machine, input.task);
    const area = machine.area(cpu);
    new Uint8Array(machine.memory.buffer).set(ctxIn, area.packetData);
    const base = machine.regions(cpu, area.packetData, area.packetData, 0);
    const regions = { ...base, ctx: { start: area.packetData, end: area.packetData + ctxIn.length } };
    enterTaskContext(machine, cpu, regions);
    let list = buffers.get(machine);
    if (!list) buffers.set(machine, list = []);
    list[cpu] = ctxIn.length;
    return { r1: ctxIn.length ? area.packetData : 0, regions };
  },
  finish(machine, cpu, r0lo) {
    const area = machine.area(cpu);
    const len = buffers.get(machine)?.[cpu] ?? 0;
    const ctxOut = new Uint8Array(machine.memory.buffer.slice(area.packetData, area.packetData + len));
    return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0), ...(len ? { ctxOut } : {}) };
  },
};
