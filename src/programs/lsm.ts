/**
 * BPF_PROG_TYPE_LSM: SEC("lsm/<hook>") (BPF_LSM_MAC). The program runs in
 * the hook's trampoline like fmod_ret: the context is the hook's arguments
 * as u64s (the prototype of bpf_lsm_<hook> in the built-in kernel BTF)
 * followed by the return value of the LSM program before it (0 for the
 * first), and r0 is the hook's verdict: 0 allows, a negative errno denies
 * (kernel/bpf/bpf_lsm.c; the verifier bounds it to [-MAX_ERRNO, 0] for
 * int hooks).
 *
 * The kernel has no BPF_PROG_TEST_RUN for LSM programs (lsm_prog_ops has
 * no test_run: ENOTSUPP). testRun here simulates one call of the hook:
 * ctx holds the arguments (whole u64s; at most the hook's count plus the
 * return slot), the program runs as the current task, and retval is r0's
 * low 32 bits (e.g. 0xffffffff for -EPERM).
 */
import type { ProgramTypeRuntime } from './runtime.js';
import { TestRunError } from './skb.js';
import { checkArgsCtx, enterBtfContext } from './fentry.js';

const EINVAL = 22;

export const lsmRuntime: ProgramTypeRuntime = {
  name: 'lsm',
  forAttach(attach) {
    const what = `lsm/${attach.to ?? ''}`;
    return {
      name: 'lsm',
      prepare(machine, cpu, input) {
        if (input.data) throw new TestRunError(EINVAL, `${what}: takes a context, not data_in`);
        if (input.flags) throw new TestRunError(EINVAL, `${what}: takes no flags (0x${input.flags.toString(16)})`);
        return enterBtfContext(machine, cpu, checkArgsCtx('lsm', attach.to, input.ctx ?? new Uint8Array(0)), input);
      },
      finish(_machine, _cpu, r0lo) {
        return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) };
      },
    };
  },
  prepare() { throw new TestRunError(EINVAL, 'lsm: the program has no hook (SEC("lsm/<hook>"))'); },
  finish(_machine, _cpu, r0lo) { return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) }; },
};
