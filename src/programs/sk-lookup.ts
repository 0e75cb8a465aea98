/**
 * BPF_PROG_TYPE_SK_LOOKUP: runs when the stack looks up a socket for a new
 * connection or datagram; r1 points to struct bpf_sk_lookup (read-only), r0
 * is SK_PASS (1) or SK_DROP (0), and bpf_sk_assign picks the socket.
 *
 * The program sees the lookup key: for AF_INET the ip6 fields read as zero,
 * for AF_INET6 the ip4 fields (the kernel's ctx conversion reads one side
 * of a union); remote_port is the wire-order port in the low 16 bits,
 * local_port host order; sk is the selected socket (NULL at the start).
 *
 * BPF_PROG_TEST_RUN (net/bpf/test_run.c, bpf_prog_test_run_sk_lookup):
 *  - flags, cpu and data are refused (EINVAL); ctx_in (zeros when absent, as
 *    the kernel does when only ctx_out is given) may not set sk or anything after local_port (EINVAL); local_port
 *    above U16_MAX is ERANGE; a family other than AF_INET/AF_INET6 is
 *    EAFNOSUPPORT;
 *  - every repetition starts with no selected socket; ctx_out is ctx_in with
 *    cookie = the selected socket's cookie (0 when none), EOPNOTSUPP when the
 *    selection is in a reuseport group without BPF_SK_LOOKUP_F_NO_REUSEPORT.
 * Sockets come from the small model in sockets.ts.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry } from '../helpers/table.js';
import type { ProgramTypeRuntime } from './runtime.js';
import { TestRunError } from './skb.js';
import { socketAt } from './sockets.js';
import { BPF_SK_LOOKUP as L, BPF_SK_LOOKUP_SIZE } from './contexts/sk_lookup.js';

const EINVAL = 22, ERANGE = 34, EAFNOSUPPORT = 97, EOPNOTSUPP = 95, EEXIST = 17, ESOCKTNOSUPPORT = 94, EPROTOTYPE = 91;
const AF_INET = 2, AF_INET6 = 10;
const U16_MAX = 0xffff;
export const SK_LOOKUP_FLAGS = { BPF_SK_LOOKUP_F_REPLACE: 1 << 0, BPF_SK_LOOKUP_F_NO_REUSEPORT: 1 << 1 } as const;
const TCP_LISTEN = 10, TCP_CLOSE = 7, IPPROTO_TCP = 6, IPPROTO_UDP = 17;

/** The kernel's bpf_sk_lookup_kern beyond what the program reads: the selection. */
interface Lookup { ctx: number; userCtx: Uint8Array; family: number; protocol: number; selected: number; noReuseport: boolean }
const lookups = new WeakMap<Machine, Lookup[]>();

export const skLookupRuntime: ProgramTypeRuntime = {
  name: 'sk_lookup',
  prepare(machine, cpu, input) {
    if (input.flags) throw new TestRunError(EINVAL, `sk_lookup: test_run takes no flags (0x${input.flags.toString(16)})`);
    if (cpu !== 0) throw new TestRunError(EINVAL, `sk_lookup: test_run takes no cpu (${cpu})`);
    if (input.data) throw new TestRunError(EINVAL, 'sk_lookup: test_run takes no data_in');
    // no ctx_in but a ctx_out buffer (how results are always read here): bpf_ctx_init gives a zeroed context
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.subarray(BPF_SK_LOOKUP_SIZE).some((b) => b !== 0)) throw new TestRunError(7, 'sk_lookup: ctx_in larger than struct bpf_sk_lookup with a non-zero tail (E2BIG)');
    const user = new Uint8Array(BPF_SK_LOOKUP_SIZE);
    user.set(ctxIn.subarray(0, BPF_SK_LOOKUP_SIZE));
    const u = new DataView(user.buffer);
    if (u.getBigUint64(L.sk, true) !== 0n) throw new TestRunError(EINVAL, 'sk_lookup: ctx_in may not set sk');
    if (user.subarray(L.local_port + 4).some((b) => b !== 0)) throw new TestRunError(EINVAL, 'sk_lookup: ctx_in may not set fields after local_port');
    const localPort = u.getUint32(L.local_port, true);
    if (localPort > U16_MAX) throw new TestRunError(ERANGE, `sk_lookup: local_port ${localPort} above ${U16_MAX}`);
    // the kernel keeps family and protocol as u16
    const family = u.getUint32(L.family, true) & 0xffff, protocol = u.getUint32(L.protocol, true) & 0xffff;
    if (family !== AF_INET && family !== AF_INET6) throw new TestRunError(EAFNOSUPPORT, `sk_lookup: family ${family} is neither AF_INET nor AF_INET6`);
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    const dv = new DataView(machine.memory.buffer);
    const ctx = area.ctx;
    mem.fill(0, ctx, ctx + BPF_SK_LOOKUP_SIZE);
    dv.setUint32(ctx + L.family, family, true);
    dv.setUint32(ctx + L.protocol, protocol, true);
    if (family === AF_INET) {
      mem.set(user.subarray(L.remote_ip4, L.remote_ip4 + 4), ctx + L.remote_ip4);
      mem.set(user.subarray(L.local_ip4, L.local_ip4 + 4), ctx + L.local_ip4);
    } else {
      mem.set(user.subarray(L.remote_ip6, L.remote_ip6 + 16), ctx + L.remote_ip6);
      mem.set(user.subarray(L.local_ip6, L.local_ip6 + 16), ctx + L.local_ip6);
    }
    mem.set(user.subarray(L.remote_port, L.remote_port + 2), ctx + L.remote_port);
    dv.setUint32(ctx + L.local_port, localPort, true);
    let list = lookups.get(machine);
    if (!list) lookups.set(machine, list = []);
    list[cpu] = { ctx, userCtx: user, family, protocol, selected: 0, noReuseport: false };
    return { r1: ctx, regions: machine.regions(cpu, area.packetData, area.packetData, BPF_SK_LOOKUP_SIZE) };
  },
  finish(machine, cpu, r0lo) {
    const l = lookups.get(machine)?.[cpu];
    if (!l) throw new Error('sk_lookup: finish without prepare');
    const out = l.userCtx.slice();
    let cookie = 0n;
    if (l.selected) {
      const s = socketAt(machine, l.selected)!;
      if (s.reuseport && !l.noReuseport) throw new TestRunError(EOPNOTSUPP, 'sk_lookup: the selected socket is in a reuseport group (no BPF_SK_LOOKUP_F_NO_REUSEPORT)');
      cookie = s.cookie;
    }
    new DataView(out.buffer).setBigUint64(L.sk, cookie, true);
    return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0), ctxOut: out };
  },
};

/** bpf_sk_assign for sk_lookup (net/core/filter.c, bpf_sk_lookup_assign). */
export function registerSkLookupHelpers(registry: HelperRegistry): void {
  registry.register('bpf_sk_assign', {
    js: (rt, _ctx, skArg, flagsArg) => {
      const m = rt as Machine;
      const l = lookups.get(m)?.[m.cpu];
      const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
      // tc's bpf_sk_assign (same id) is not modelled; only unverified code gets here outside sk_lookup
      if (!l) return neg(EOPNOTSUPP);
      const flags = flagsArg;
      if (flags & ~BigInt(SK_LOOKUP_FLAGS.BPF_SK_LOOKUP_F_REPLACE | SK_LOOKUP_FLAGS.BPF_SK_LOOKUP_F_NO_REUSEPORT)) return neg(EINVAL);
      if (l.selected && !(flags & BigInt(SK_LOOKUP_FLAGS.BPF_SK_LOOKUP_F_REPLACE))) return neg(EEXIST);
      const addr = Number(skArg);
      const s = addr ? socketAt(m, addr) : undefined;
      if (addr && !s) return neg(ESOCKTNOSUPPORT); // not a socket the model knows
      if (s) {
        if (s.refcounted) return neg(ESOCKTNOSUPPORT);
        if (s.protocol === IPPROTO_TCP && s.state !== TCP_LISTEN) return neg(ESOCKTNOSUPPORT);
        if (s.protocol === IPPROTO_UDP && s.state !== TCP_CLOSE) return neg(ESOCKTNOSUPPORT);
        if (s.protocol !== l.protocol) return neg(EPROTOTYPE);
        if (s.family !== l.family && (s.family === AF_INET || s.v6only)) return neg(EAFNOSUPPORT);
      }
      l.selected = addr;
      l.noReuseport = (flags & BigInt(SK_LOOKUP_FLAGS.BPF_SK_LOOKUP_F_NO_REUSEPORT)) !== 0n;
      // the program reads the selection back through ctx->sk
      new DataView(m.memory.buffer).setBigUint64(l.ctx + L.sk, BigInt(addr), true);
      return 0n;
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_socket_or_null', 'anything'], gplOnly: false }, programTypes: ['sk_lookup'] });
}
