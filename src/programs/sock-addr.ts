/**
 * BPF_PROG_TYPE_CGROUP_SOCK_ADDR (cgroup/bind4|6, connect4|6, sendmsg4|6,
 * recvmsg4|6, getpeername/getsockname): r1 points to struct bpf_sock_addr,
 * the address a socket call is about to use; the program may rewrite
 * user_ip4/user_ip6/user_port (and msg_src_ip* for sendmsg) and returns 1
 * to let the call proceed or 0 to fail it with EPERM
 * (__cgroup_bpf_run_filter_sock_addr, kernel/bpf/cgroup.c). ctx->sk is the
 * socket making the call (struct bpf_sock image right after the context).
 *
 * The kernel has no BPF_PROG_TEST_RUN for this type: testRun simulates one
 * call with ctx as the struct (sk must be 0; the socket image takes family,
 * type and protocol from it) and returns the rewritten struct in ctxOut.
 * The program runs as the current task (task.ts), so uid checks work.
 *
 * Verifier rules (context.ts) are those of the union of attach types: the
 * kernel also limits user_ip4 to the *4 attach types, user_ip6 to *6,
 * msg_src_* to sendmsg, and bind's return range is 0..3; the engine does not
 * know the attach type at verification yet.
 */
import type { ProgramTypeRuntime } from './runtime.js';
import { TestRunError } from './skb.js';
import { enterTaskContext, setCurrentTask } from './task.js';
import { BPF_SOCK_ADDR as A, BPF_SOCK_ADDR_SIZE } from './contexts/sock_addr.js';
import { BPF_SOCK, BPF_SOCK_SIZE } from './contexts/sk_buff.js';

const EINVAL = 22;
const TCP_CLOSE = 7;

export const cgroupSockAddrRuntime: ProgramTypeRuntime = {
  name: 'cgroup_sock_addr',
  prepare(machine, cpu, input) {
    if (input.data) throw new TestRunError(EINVAL, 'cgroup_sock_addr: takes a struct bpf_sock_addr, not data_in');
    if (input.flags) throw new TestRunError(EINVAL, `cgroup_sock_addr: takes no flags (0x${input.flags.toString(16)})`);
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length > BPF_SOCK_ADDR_SIZE) throw new TestRunError(EINVAL, `cgroup_sock_addr: a context of ${ctxIn.length} bytes, at most ${BPF_SOCK_ADDR_SIZE}`);
    if (ctxIn.subarray(A.sk, A.sk + 8).some((b) => b !== 0)) throw new TestRunError(EINVAL, 'cgroup_sock_addr: ctx may not set sk (the socket is simulated)');
    if (input.task) setCurrentTask(machine, input.task);
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    const dv = new DataView(machine.memory.buffer);
    const ctx = area.ctx, sock = ctx + BPF_SOCK_ADDR_SIZE;
    mem.fill(0, ctx, sock + BPF_SOCK_SIZE);
    mem.set(ctxIn, ctx);
    // the calling socket: unbound, of the family/type/protocol the call names
    dv.setUint32(sock + BPF_SOCK.family, dv.getUint32(ctx + A.family, true), true);
    dv.setUint32(sock + BPF_SOCK.type, dv.getUint32(ctx + A.type, true), true);
    dv.setUint32(sock + BPF_SOCK.protocol, dv.getUint32(ctx + A.protocol, true), true);
    dv.setUint32(sock + BPF_SOCK.state, TCP_CLOSE, true);
    dv.setBigUint64(ctx + A.sk, BigInt(sock), true);
    const regions = machine.regions(cpu, area.packetData, area.packetData, BPF_SOCK_ADDR_SIZE + BPF_SOCK_SIZE);
    enterTaskContext(machine, cpu, regions);
    return { r1: ctx, regions };
  },
  finish(machine, cpu, r0lo) {
    const ctx = machine.area(cpu).ctx;
    const ctxOut = new Uint8Array(machine.memory.buffer.slice(ctx, ctx + BPF_SOCK_ADDR_SIZE));
    new DataView(ctxOut.buffer).setBigUint64(A.sk, 0n, true); // not an address the caller can use
    return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0), ctxOut };
  },
};

/**
 * BPF_PROG_TYPE_CGROUP_SOCK (cgroup/sock_create, sock_release, post_bind4|6):
 * r1 points to the socket's struct bpf_sock; sock_create/release programs
 * may set bound_dev_if, mark and priority; r0 = 1 lets the call go on, 0
 * fails it with EPERM (__cgroup_bpf_run_filter_sk). No kernel test_run:
 * testRun simulates one call with ctx as the struct bpf_sock and returns
 * it, with the program's writes, in ctxOut. As for sock_addr, the
 * verifier's rules are the union over the attach types.
 */
export const cgroupSockRuntime: ProgramTypeRuntime = {
  name: 'cgroup_sock',
  prepare(machine, cpu, input) {
    if (input.data) throw new TestRunError(EINVAL, 'cgroup_sock: takes a struct bpf_sock, not data_in');
    if (input.flags) throw new TestRunError(EINVAL, `cgroup_sock: takes no flags (0x${input.flags.toString(16)})`);
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length > BPF_SOCK_SIZE) throw new TestRunError(EINVAL, `cgroup_sock: a context of ${ctxIn.length} bytes, at most ${BPF_SOCK_SIZE}`);
    if (input.task) setCurrentTask(machine, input.task);
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    mem.fill(0, area.ctx, area.ctx + BPF_SOCK_SIZE);
    mem.set(ctxIn, area.ctx);
    const regions = machine.regions(cpu, area.packetData, area.packetData, BPF_SOCK_SIZE);
    enterTaskContext(machine, cpu, regions);
    return { r1: area.ctx, regions };
  },
  finish(machine, cpu, r0lo) {
    const ctx = machine.area(cpu).ctx;
    return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0), ctxOut: new Uint8Array(machine.memory.buffer.slice(ctx, ctx + BPF_SOCK_SIZE)) };
  },
};
