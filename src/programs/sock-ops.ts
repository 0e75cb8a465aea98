/**
 * BPF_PROG_TYPE_SOCK_OPS (SEC "sockops"): TCP calls the cgroup's program at
 * points of a connection's life (tcp_call_bpf, include/net/tcp.h): op is
 * the BPF_SOCK_OPS_* callback, args[] its arguments, and the program answers
 * through reply (TIMEOUT_INIT, RWND_INIT, NEEDS_ECN, BASE_RTT…). r0 = 1 lets
 * the call use reply; anything else makes tcp_call_bpf return -1
 * (bpf_prog_run_array_cg: EPERM). Writable: reply and sk_txhash.
 *
 * No kernel test_run: testRun simulates one callback. ctx_in is the struct
 * bpf_sock_ops with op, args and the tcp_sock fields the caller wants
 * (snd_cwnd, srtt_us, state…, is_fullsock, skb_tcp_flags); family,
 * addresses and ports come from setSocketCall; sk is the socket when
 * is_fullsock (else NULL, and the tcp_sock fields read 0 as
 * SOCK_OPS_GET_FIELD does); `data`, when given, is the skb the callback
 * carries (skb_data..skb_data_end, skb_len). bpf_sock_ops_cb_flags is the
 * socket's (bpf_sock_ops_cb_flags_set keeps it across runs). The output
 * adds `result` (reply, or -1) and the socket's state after the run.
 *
 * Helpers (sock_ops_func_proto): bpf_setsockopt/bpf_getsockopt on a
 * documented subset of options (SOCKOPTS: the int options of SOL_SOCKET,
 * SOL_TCP, SOL_IP and SOL_IPV6 that _bpf_setsockopt accepts, plus
 * TCP_CONGESTION as a string); bpf_sock_ops_cb_flags_set; bpf_sock_map_update
 * and bpf_sock_hash_update (through the maps' own update, with
 * sock_map_op_okay's ops); bpf_get_socket_cookie.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperProto, HelperRuntime } from '../helpers/table.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import { PACKET_TAILROOM } from '../runtime/layout.js';
import { MapError } from '../diagnostics/index.js';
import { TestRunError } from './skb.js';
import { SOCK_OPS as O, SOCK_OPS_ALL_CB_FLAGS, SOCK_OPS_OP, SOCK_OPS_SIZE } from './contexts/sock_ops.js';
import { beginSocketRun, endSocketRun, neg, resolveCall, writeSockFields, type ResolvedCall } from '../helpers/sockprogs.js';

const EINVAL = 22, EOPNOTSUPP = 95, ENOPROTOOPT = 92, ENOENT = 2;

/** Socket options bpf_setsockopt/bpf_getsockopt model: level, optname, default, and how a set value is stored. */
export interface SockoptDef { level: number; optname: number; name: string; default: number | string; store?: (v: number) => number }
export const SOL = { SOCKET: 1, TCP: 6, IP: 0, IPV6: 41 } as const;
/** net.core.wmem_max / rmem_max defaults; SOCK_MIN_SNDBUF / SOCK_MIN_RCVBUF on x86-64. */
const WMEM_MAX = 212992, RMEM_MAX = 212992, SOCK_MIN_SNDBUF = 4608, SOCK_MIN_RCVBUF = 2304;
/** TCP_CA_NAME_MAX. */
const TCP_CA_NAME_MAX = 16;
export const SOCKOPTS: readonly SockoptDef[] = [
  // sk_setsockopt doubles the buffer sizes (struct sk_buff overhead) within the sysctl limits
  { level: SOL.SOCKET, optname: 7, name: 'SO_SNDBUF', default: 16384, store: (v) => Math.max(Math.min(v, WMEM_MAX) * 2, SOCK_MIN_SNDBUF) },
  { level: SOL.SOCKET, optname: 8, name: 'SO_RCVBUF', default: 131072, store: (v) => Math.max(Math.min(v, RMEM_MAX) * 2, SOCK_MIN_RCVBUF) },
  { level: SOL.SOCKET, optname: 9, name: 'SO_KEEPALIVE', default: 0, store: (v) => (v ? 1 : 0) },
  { level: SOL.SOCKET, optname: 12, name: 'SO_PRIORITY', default: 0 },
  { level: SOL.SOCKET, optname: 18, name: 'SO_RCVLOWAT', default: 1 },
  { level: SOL.SOCKET, optname: 36, name: 'SO_MARK', default: 0 },
  { level: SOL.TCP, optname: 1, name: 'TCP_NODELAY', default: 0, store: (v) => (v ? 1 : 0) },
  { level: SOL.TCP, optname: 2, name: 'TCP_MAXSEG', default: 536 },
  { level: SOL.TCP, optname: 4, name: 'TCP_KEEPIDLE', default: 7200 },
  { level: SOL.TCP, optname: 5, name: 'TCP_KEEPINTVL', default: 75 },
  { level: SOL.TCP, optname: 6, name: 'TCP_KEEPCNT', default: 9 },
  { level: SOL.TCP, optname: 7, name: 'TCP_SYNCNT', default: 6 },
  { level: SOL.TCP, optname: 10, name: 'TCP_WINDOW_CLAMP', default: 0 },
  { level: SOL.TCP, optname: 13, name: 'TCP_CONGESTION', default: 'cubic' },
  { level: SOL.TCP, optname: 18, name: 'TCP_USER_TIMEOUT', default: 0 },
  { level: SOL.TCP, optname: 25, name: 'TCP_NOTSENT_LOWAT', default: 0 },
  { level: SOL.TCP, optname: 1001, name: 'TCP_BPF_IW', default: 10 },
  { level: SOL.TCP, optname: 1002, name: 'TCP_BPF_SNDCWND_CLAMP', default: 0 },
  { level: SOL.IP, optname: 1, name: 'IP_TOS', default: 0 },
  { level: SOL.IPV6, optname: 67, name: 'IPV6_TCLASS', default: 0 },
];
/** Congestion controls TCP_CONGESTION accepts here (tcp_set_congestion_control finds them). */
const CONGESTION = ['cubic', 'reno', 'bbr', 'dctcp'];

/** What the simulated TCP socket keeps between callbacks. */
export interface SockOpsSocketState { cbFlags: number; options: Map<string, number | string> }
const sockets = new WeakMap<Machine, Map<number, SockOpsSocketState>>();

/** The sock_ops state of socket `fd` (created on first use). */
export function sockOpsState(machine: Machine, fd: number): SockOpsSocketState {
  let all = sockets.get(machine);
  if (!all) sockets.set(machine, all = new Map());
  let s = all.get(fd);
  if (!s) all.set(fd, s = { cbFlags: 0, options: new Map() });
  return s;
}

/** The tcp_sock fields that read 0 without a full socket. */
const TCP_FIELDS_FROM = O.is_fullsock! + 4, TCP_FIELDS_TO = O.sk!;

interface SockOpsRun { ctx: number; call: ResolvedCall; fullsock: boolean; op: number }
const runs = new WeakMap<Machine, (SockOpsRun | undefined)[]>();

export interface SockOpsOutput extends TestRunOutput {
  /** What tcp_call_bpf returns: reply when the program returned 1, else -1. */
  result: number;
  /** The socket's callback flags after the run. */
  cbFlags: number;
}

export const sockOpsRuntime: ProgramTypeRuntime = {
  name: 'sock_ops',
  prepare(machine: Machine, cpu: number, input: TestRunInput) {
    if (input.flags) throw new TestRunError(EINVAL, `sock_ops: takes no flags (0x${input.flags.toString(16)})`);
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length > SOCK_OPS_SIZE) throw new TestRunError(EINVAL, `sock_ops: a context of ${ctxIn.length} bytes, at most ${SOCK_OPS_SIZE}`);
    const call = resolveCall(machine, 'sock_ops');
    const area = machine.area(cpu);
    const data = input.data ?? new Uint8Array(0);
    if (data.length > area.packetLimit - area.packetData) throw new TestRunError(EINVAL, `sock_ops: an skb of ${data.length} bytes is too large here`);
    const mem = new Uint8Array(machine.memory.buffer);
    const dv = new DataView(machine.memory.buffer);
    const ctx = area.ctx;
    mem.fill(0, ctx, ctx + SOCK_OPS_SIZE);
    mem.set(ctxIn, ctx);
    const fullsock = dv.getUint32(ctx + O.is_fullsock!, true) !== 0;
    dv.setUint32(ctx + O.is_fullsock!, fullsock ? 1 : 0, true);
    writeSockFields(machine, ctx + O.family!, call);
    if (!fullsock) mem.fill(0, ctx + TCP_FIELDS_FROM, ctx + TCP_FIELDS_TO);
    dv.setUint32(ctx + O.bpf_sock_ops_cb_flags!, fullsock ? sockOpsState(machine, call.sock.fd).cbFlags : 0, true);
    dv.setBigUint64(ctx + O.sk!, fullsock ? BigInt(call.sock.addr) : 0n, true);
    mem.fill(0, area.packetBase, Math.min(area.packetLimit, area.packetData + data.length + PACKET_TAILROOM));
    mem.set(data, area.packetData);
    dv.setBigUint64(ctx + O.skb_data!, BigInt(area.packetData), true);
    dv.setBigUint64(ctx + O.skb_data_end!, BigInt(area.packetData + data.length), true);
    dv.setUint32(ctx + O.skb_len!, data.length, true);
    const regions = machine.regions(cpu, area.packetData, area.packetData + data.length, SOCK_OPS_SIZE);
    let list = runs.get(machine);
    if (!list) runs.set(machine, list = []);
    list[cpu] = { ctx, call, fullsock, op: dv.getUint32(ctx + O.op!, true) };
    beginSocketRun(machine, cpu, 'sock_ops', call);
    return { r1: ctx, regions };
  },
  finish(machine, cpu, r0lo): SockOpsOutput {
    const run = runs.get(machine)?.[cpu];
    if (!run) throw new Error('sock_ops: finish without prepare');
    const ctxOut = new Uint8Array(machine.memory.buffer.slice(run.ctx, run.ctx + SOCK_OPS_SIZE));
    const dv = new DataView(ctxOut.buffer);
    for (const f of ['sk', 'skb_data', 'skb_data_end']) dv.setBigUint64(O[f]!, 0n, true); // addresses of this machine
    const retval = BigInt(r0lo >>> 0);
    runs.get(machine)![cpu] = undefined;
    endSocketRun(machine, cpu);
    return {
      retval, dataOut: new Uint8Array(0), ctxOut,
      result: retval === 1n ? dv.getInt32(O.reply!, true) : -1,
      cbFlags: sockOpsState(machine, run.call.sock.fd).cbFlags,
    };
  },
};

function runOf(rt: HelperRuntime): { m: Machine; run: SockOpsRun } {
  const m = rt as Machine;
  const run = runs.get(m)?.[m.cpu];
  if (!run) throw new Error('sock_ops helper called outside a sock_ops run');
  return { m, run };
}

const u32 = (v: bigint) => Number(v & 0xffffffffn);
const proto = (args: HelperProto['args']): HelperProto => ({ ret: 'integer', args, gplOnly: false });
/** The last op _bpf_setsockopt runs with the socket locked (is_locked_tcp_sock_ops). */
const LAST_LOCKED_OP = SOCK_OPS_OP.WRITE_HDR_OPT_CB;
/** sock_map_op_okay. */
const MAP_UPDATE_OPS: readonly number[] = [SOCK_OPS_OP.PASSIVE_ESTABLISHED_CB, SOCK_OPS_OP.ACTIVE_ESTABLISHED_CB, SOCK_OPS_OP.TCP_LISTEN_CB];

/** Option lookup and the checks bpf_setsockopt/bpf_getsockopt share; an errno or the option. */
function option(rt: HelperRuntime, level: bigint, optname: bigint, optlen: number): SockoptDef | number {
  const { run } = runOf(rt);
  if (run.op > LAST_LOCKED_OP) return EOPNOTSUPP;
  if (!run.fullsock) return EINVAL;
  const def = SOCKOPTS.find((o) => BigInt(o.level) === level && BigInt(o.optname) === optname);
  if (!def) return level === BigInt(SOL.SOCKET) || level === BigInt(SOL.TCP) || level === BigInt(SOL.IP) || level === BigInt(SOL.IPV6) ? EINVAL : ENOPROTOOPT;
  if (def.level === SOL.IPV6 && run.call.sock.family !== 'inet6') return EINVAL;
  if (typeof def.default === 'number' && optlen !== 4) return EINVAL;
  if (typeof def.default === 'string' && (optlen < 1 || optlen > TCP_CA_NAME_MAX)) return EINVAL;
  return def;
}

export function registerSockOpsHelpers(registry: HelperRegistry): void {
  const types = { programTypes: ['sock_ops'] as const };
  registry.register('bpf_setsockopt', {
    js: (rt, _ctx, level, optname, optvalArg, optlenArg) => {
      const optlen = u32(optlenArg), at = u32(optvalArg);
      const def = option(rt, level, optname, optlen);
      if (typeof def === 'number') return neg(def);
      const m = rt as Machine;
      const state = sockOpsState(m, runOf(rt).run.call.sock.fd);
      const raw = new Uint8Array(m.memory.buffer, at, optlen);
      if (typeof def.default === 'string') {
        const nul = raw.indexOf(0);
        const name = new TextDecoder().decode(raw.subarray(0, nul < 0 ? raw.length : nul));
        if (!CONGESTION.includes(name)) return neg(ENOENT); // no such congestion control
        state.options.set(def.name, name);
        return 0n;
      }
      const v = new DataView(m.memory.buffer).getInt32(at, true);
      if (v < 0 && def.name !== 'SO_MARK' && def.name !== 'SO_PRIORITY') return neg(EINVAL);
      state.options.set(def.name, def.store ? def.store(v) : v);
      return 0n;
    },
  }, { proto: proto(['ptr_to_ctx', 'anything', 'anything', 'ptr_to_mem', 'const_size']), ...types });

  registry.register('bpf_getsockopt', {
    js: (rt, _ctx, level, optname, optvalArg, optlenArg) => {
      const optlen = u32(optlenArg), at = u32(optvalArg);
      const m = rt as Machine;
      const out = new Uint8Array(m.memory.buffer, at, optlen);
      const def = option(rt, level, optname, optlen);
      if (typeof def === 'number') { out.fill(0); return neg(def); } // the kernel zeroes optval on failure
      const v = sockOpsState(m, runOf(rt).run.call.sock.fd).options.get(def.name) ?? def.default;
      out.fill(0);
      if (typeof v === 'string') out.set(new TextEncoder().encode(v).subarray(0, optlen - 1));
      else new DataView(m.memory.buffer).setInt32(at, v, true);
      return 0n;
    },
  }, { proto: proto(['ptr_to_ctx', 'anything', 'anything', 'ptr_to_uninit_mem', 'const_size']), ...types });

  // bpf_sock_ops_cb_flags_set: full sockets only; unknown bits are returned (and not set)
  registry.register('bpf_sock_ops_cb_flags_set', {
    js: (rt, _ctx, flagsArg) => {
      const { m, run } = runOf(rt);
      if (!run.fullsock) return neg(EINVAL);
      const flags = u32(flagsArg);
      const state = sockOpsState(m, run.call.sock.fd);
      state.cbFlags = flags & SOCK_OPS_ALL_CB_FLAGS;
      new DataView(m.memory.buffer).setUint32(run.ctx + O.bpf_sock_ops_cb_flags!, state.cbFlags, true);
      return BigInt(flags & ~SOCK_OPS_ALL_CB_FLAGS);
    },
  }, { proto: proto(['ptr_to_ctx', 'anything']), ...types });

  // bpf_sock_map_update / bpf_sock_hash_update: the socket of the callback joins the map as
  // user space would add it (sock_map_update_common's checks are the maps')
  const mapUpdate = (rt: HelperRuntime, mapArg: bigint, keyArg: bigint, flags: bigint): bigint => {
    const { m, run } = runOf(rt);
    if (!run.fullsock || !MAP_UPDATE_OPS.includes(run.op)) return neg(EOPNOTSUPP);
    const maps = run.call.maps;
    const info = maps.mapByHandle(u32(mapArg));
    if (!info) return neg(EINVAL);
    const key = new Uint8Array(m.memory.buffer, u32(keyArg), info.keySize).slice();
    const value = new Uint8Array(info.valueSize); // the socket fd, as user space passes it
    new DataView(value.buffer).setUint32(0, run.call.sock.fd, true);
    try {
      maps.bpf_map_update_elem(info.fd, key, value, Number(flags));
    } catch (e) {
      if (e instanceof MapError) return neg(e.errno);
      throw e;
    }
    return 0n;
  };
  registry.register('bpf_sock_map_update', { js: (rt, _ctx, map, key, flags) => mapUpdate(rt, map, key, flags) },
    { proto: proto(['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything']), ...types });
  registry.register('bpf_sock_hash_update', { js: (rt, _ctx, map, key, flags) => mapUpdate(rt, map, key, flags) },
    { proto: proto(['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything']), ...types });
}
