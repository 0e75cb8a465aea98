/**
 * BPF_PROG_TYPE_CGROUP_SOCKOPT (cgroup/getsockopt, cgroup/setsockopt): the
 * cgroup's program sees a socket option call (kernel/bpf/cgroup.c,
 * __cgroup_bpf_run_filter_setsockopt / _getsockopt). r1 points to struct
 * bpf_sockopt: optval..optval_end is the option buffer (a packet the program
 * may write), level/optname/optlen describe it, retval (getsockopt) is the
 * kernel handler's result. r0 = 1 lets the call go on, 0 fails it (EPERM).
 *
 * The buffer: max(16, optlen) bytes, at most PAGE_SIZE (sockopt_alloc_buf),
 * holding the caller's (setsockopt) or the kernel handler's (getsockopt)
 * first min(optlen, buffer) bytes. After the program:
 *  - setsockopt: optlen -1 skips the kernel handler (the call returns 0);
 *    optlen above the buffer or below -1 is EFAULT, unless the caller's
 *    optlen was above PAGE_SIZE and the new one is not negative (then the
 *    original option goes to the kernel); otherwise the kernel handler gets
 *    level, optname, optlen and the buffer as the program left them.
 *  - getsockopt: optlen above the buffer or negative is EFAULT (same
 *    PAGE_SIZE exception: the handler's answer stands); otherwise the
 *    caller gets optlen bytes of the buffer and retval.
 *
 * No kernel test_run: runSetsockopt / runGetsockopt simulate one call on the
 * socket of setSocketCall (ctx->sk). The verifier's context rules are the
 * union of both attach types (contexts/sockopt.ts); the runtime knows the
 * attach type from the call.
 */
import type { Machine } from '../runtime/machine.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import type { LoadedProgram } from '../runtime/test-run.js';
import { TestRunError } from './skb.js';
import { BPF_SOCKOPT as O, BPF_SOCKOPT_SIZE } from './contexts/sockopt.js';
import { beginSocketRun, endSocketRun, resolveCall } from '../helpers/sockprogs.js';

const EINVAL = 22, EPERM = 1, EFAULT = 14;
const PAGE_SIZE = 4096;
/** sockopt_alloc_buf's smallest buffer. */
const MIN_BUF = 16;

export type SockoptAttach = 'getsockopt' | 'setsockopt';

/** What the socket call ends as. */
export type SockoptResult =
  | { kind: 'error'; errno: number }
  /** setsockopt: optlen = -1, the kernel handler is skipped and the call returns 0. */
  | { kind: 'bypass' }
  /** setsockopt: the kernel handler runs with these (the original ones when unchanged). */
  | { kind: 'set'; level: number; optname: number; optval: Uint8Array }
  /** getsockopt: what the caller receives. */
  | { kind: 'get'; retval: number; optval: Uint8Array };

export interface SockoptOutput extends TestRunOutput { result: SockoptResult }

interface Pending { attach: SockoptAttach; userOptlen: number }
interface Run extends Pending { ctx: number; buf: number; maxOptlen: number; original: Uint8Array; level: number; optname: number }
const pending = new WeakMap<Machine, Pending>();
const runs = new WeakMap<Machine, (Run | undefined)[]>();

export const cgroupSockoptRuntime: ProgramTypeRuntime = {
  name: 'cgroup_sockopt',
  prepare(machine: Machine, cpu: number, input: TestRunInput) {
    const p = pending.get(machine);
    if (!p) throw new TestRunError(EINVAL, 'cgroup_sockopt: run it with runSetsockopt / runGetsockopt');
    if (input.flags) throw new TestRunError(EINVAL, `cgroup_sockopt: takes no flags (0x${input.flags.toString(16)})`);
    const ctxIn = input.ctx ?? new Uint8Array(BPF_SOCKOPT_SIZE);
    const cin = new DataView(ctxIn.buffer, ctxIn.byteOffset, ctxIn.byteLength);
    const call = resolveCall(machine, 'cgroup_sockopt');
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    const dv = new DataView(machine.memory.buffer);
    const optval = input.data ?? new Uint8Array(0);
    const optlen = cin.getInt32(O.optlen, true);
    const maxOptlen = Math.min(Math.max(MIN_BUF, p.userOptlen), PAGE_SIZE);
    const buf = area.packetData;
    mem.fill(0, buf, buf + maxOptlen);
    mem.set(optval.subarray(0, Math.min(Math.max(optlen, 0), maxOptlen)), buf);
    const ctx = area.ctx;
    mem.fill(0, ctx, ctx + BPF_SOCKOPT_SIZE);
    dv.setBigUint64(ctx + O.sk, BigInt(call.sock.addr), true);
    dv.setBigUint64(ctx + O.optval, BigInt(buf), true);
    dv.setBigUint64(ctx + O.optval_end, BigInt(buf + maxOptlen), true);
    const level = cin.getInt32(O.level, true), optname = cin.getInt32(O.optname, true);
    dv.setInt32(ctx + O.level, level, true);
    dv.setInt32(ctx + O.optname, optname, true);
    dv.setInt32(ctx + O.optlen, optlen, true);
    dv.setInt32(ctx + O.retval, p.attach === 'getsockopt' ? cin.getInt32(O.retval, true) : 0, true);
    let list = runs.get(machine);
    if (!list) runs.set(machine, list = []);
    list[cpu] = { ...p, ctx, buf, maxOptlen, original: optval.slice(), level, optname };
    beginSocketRun(machine, cpu, 'cgroup_sockopt', call);
    return { r1: ctx, regions: machine.regions(cpu, buf, buf + maxOptlen, BPF_SOCKOPT_SIZE) };
  },
  finish(machine, cpu, r0lo): SockoptOutput {
    const run = runs.get(machine)?.[cpu];
    if (!run) throw new Error('cgroup_sockopt: finish without prepare');
    runs.get(machine)![cpu] = undefined;
    endSocketRun(machine, cpu);
    const ctxOut = new Uint8Array(machine.memory.buffer.slice(run.ctx, run.ctx + BPF_SOCKOPT_SIZE));
    const dv = new DataView(ctxOut.buffer);
    for (const f of ['sk', 'optval', 'optval_end'] as const) dv.setBigUint64(O[f], 0n, true);
    const retval = BigInt(r0lo >>> 0);
    const out = (result: SockoptResult): SockoptOutput => ({ retval, dataOut: bufBytes, ctxOut, result });
    const bufBytes = new Uint8Array(machine.memory.buffer.slice(run.buf, run.buf + run.maxOptlen));
    const optlen = dv.getInt32(O.optlen, true);
    const ret = dv.getInt32(O.retval, true);
    // bpf_prog_run_array_cg: r0 = 0 is EPERM (unless the program set an error in retval)
    if (retval !== 1n) return out({ kind: 'error', errno: run.attach === 'getsockopt' && ret < 0 ? -ret : EPERM });
    const bigUser = run.userOptlen > PAGE_SIZE;
    if (run.attach === 'setsockopt') {
      if (optlen === -1) return out({ kind: 'bypass' });
      if (optlen > run.maxOptlen || optlen < -1) {
        if (bigUser && optlen >= 0) return out({ kind: 'set', level: run.level, optname: run.optname, optval: run.original });
        return out({ kind: 'error', errno: EFAULT });
      }
      return out({ kind: 'set', level: dv.getInt32(O.level, true), optname: dv.getInt32(O.optname, true), optval: bufBytes.slice(0, optlen) });
    }
    if (optlen > run.maxOptlen || optlen < 0) {
      if (bigUser && optlen >= 0) return out({ kind: 'get', retval: ret, optval: run.original });
      return out({ kind: 'error', errno: EFAULT });
    }
    if (ret < 0) return out({ kind: 'error', errno: -ret });
    return out({ kind: 'get', retval: ret, optval: bufBytes.slice(0, optlen) });
  },
};

function sockoptCtx(level: number, optname: number, optlen: number, retval = 0): Uint8Array {
  const b = new Uint8Array(BPF_SOCKOPT_SIZE);
  const dv = new DataView(b.buffer);
  dv.setInt32(O.level, level, true); dv.setInt32(O.optname, optname, true);
  dv.setInt32(O.optlen, optlen, true); dv.setInt32(O.retval, retval, true);
  return b;
}

/** setsockopt(fd, level, optname, optval, optval.length) through a cgroup/setsockopt program. */
export function runSetsockopt(prog: LoadedProgram, call: { level: number; optname: number; optval: Uint8Array }): SockoptOutput {
  pending.set(prog.machine, { attach: 'setsockopt', userOptlen: call.optval.length });
  try {
    return prog.testRun({ ctx: sockoptCtx(call.level, call.optname, call.optval.length), data: call.optval }) as unknown as SockoptOutput;
  } finally { pending.delete(prog.machine); }
}

/**
 * getsockopt through a cgroup/getsockopt program: the kernel handler answered
 * `retval` with `optval` (its optlen: optval.length); the caller's buffer
 * was `userOptlen` bytes.
 */
export function runGetsockopt(prog: LoadedProgram, call: { level: number; optname: number; optval: Uint8Array; retval: number; userOptlen: number }): SockoptOutput {
  pending.set(prog.machine, { attach: 'getsockopt', userOptlen: call.userOptlen });
  try {
    return prog.testRun({ ctx: sockoptCtx(call.level, call.optname, call.optval.length, call.retval), data: call.optval }) as unknown as SockoptOutput;
  } finally { pending.delete(prog.machine); }
}
