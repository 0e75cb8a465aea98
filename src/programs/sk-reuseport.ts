/**
 * BPF_PROG_TYPE_SK_REUSEPORT (sk_reuseport, sk_reuseport/migrate): picks the
 * socket of an SO_REUSEPORT group for an incoming packet or connection
 * (net/core/sock_reuseport.c, run_bpf_filter / bpf_run_sk_reuseport in
 * net/core/filter.c). r1 points to struct sk_reuseport_md (read-only):
 * data..data_end is the packet from the L4 header, len the skb length,
 * eth_protocol the __be16 skb->protocol, ip_protocol, bind_inany, hash,
 * sk the group's socket being looked up and migrating_sk the socket whose
 * requests are migrated (sk_reuseport/migrate) or NULL. r0 = SK_PASS takes
 * the socket bpf_sk_select_reuseport selected (or, without one, the kernel's
 * hash choice); anything else refuses (ECONNREFUSED).
 *
 * No kernel test_run: testRun simulates one lookup on the socket of
 * setSocketCall; `data` is the L4 packet; ctx_in may set eth_protocol,
 * ip_protocol, bind_inany and hash (the rest is computed);
 * setMigratingSocket(machine, fd) names a migrating socket. The output
 * adds `selected` (cookie of the chosen socket) and `outcome`.
 *
 * bpf_sk_select_reuseport (sk_select_reuseport): the socket under key in a
 * reuseport array, sockmap or sockhash (none: ENOENT); one outside any
 * reuseport group is ENOENT for an array, EINVAL for the others; one in
 * another group is EPROTOTYPE (protocol differs), EAFNOSUPPORT (family) or
 * EBADFD. Groups are modelled as SO_REUSEPORT sockets of one family and
 * protocol bound to the same local port (the port setSocketCall or
 * setSocketAddress gave them). flags are ignored, as in the kernel.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry } from '../helpers/table.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import type { SocketObject } from '../helpers/sockprogs.js';
import { PACKET_TAILROOM } from '../runtime/layout.js';
import { TestRunError } from './skb.js';
import { SK_REUSEPORT_MD as R, SK_REUSEPORT_MD_SIZE } from './contexts/sk_reuseport.js';
import { BPF_SOCK } from './contexts/sk_buff.js';
import { beginSocketRun, endSocketRun, neg, resolveCall, socketRun, type ResolvedCall } from '../helpers/sockprogs.js';
import { SK_ACTION } from './sk-skb.js';
import { MAP_TYPE } from '../maps/constants.js';

const EINVAL = 22, ENOENT = 2, EPROTOTYPE = 91, EAFNOSUPPORT = 97, EBADFD = 77;

export interface SkReuseportOutput extends TestRunOutput {
  /** Cookie of the socket bpf_sk_select_reuseport chose (undefined: none). */
  selected?: bigint;
  /** 'selected': that socket takes it; 'hash': the kernel picks by hash; 'refused': ECONNREFUSED. */
  outcome: 'selected' | 'hash' | 'refused';
}

interface Run { ctx: number; call: ResolvedCall; selected?: SocketObject }
const runs = new WeakMap<Machine, (Run | undefined)[]>();
const migrating = new WeakMap<Machine, number>();

/** The socket whose requests migrate in the next sk_reuseport/migrate runs (undefined: none). */
export function setMigratingSocket(machine: Machine, fd: number | undefined): void {
  if (fd === undefined) migrating.delete(machine); else migrating.set(machine, fd);
}

export const skReuseportRuntime: ProgramTypeRuntime = {
  name: 'sk_reuseport',
  prepare(machine: Machine, cpu: number, input: TestRunInput) {
    if (input.flags) throw new TestRunError(EINVAL, `sk_reuseport: takes no flags (0x${input.flags.toString(16)})`);
    const ctxIn = input.ctx ?? new Uint8Array(SK_REUSEPORT_MD_SIZE);
    if (ctxIn.length > SK_REUSEPORT_MD_SIZE) throw new TestRunError(EINVAL, `sk_reuseport: a context of ${ctxIn.length} bytes, at most ${SK_REUSEPORT_MD_SIZE}`);
    const cin = new DataView(ctxIn.buffer, ctxIn.byteOffset, ctxIn.byteLength);
    const call = resolveCall(machine, 'sk_reuseport');
    const area = machine.area(cpu);
    const data = input.data ?? new Uint8Array(0);
    if (data.length > area.packetLimit - area.packetData) throw new TestRunError(EINVAL, `sk_reuseport: a packet of ${data.length} bytes is too large here`);
    const mem = new Uint8Array(machine.memory.buffer);
    const dv = new DataView(machine.memory.buffer);
    mem.fill(0, area.packetBase, Math.min(area.packetLimit, area.packetData + data.length + PACKET_TAILROOM));
    mem.set(data, area.packetData);
    const ctx = area.ctx;
    mem.fill(0, ctx, ctx + SK_REUSEPORT_MD_SIZE);
    const get = (off: number): number => (off + 4 <= ctxIn.length ? cin.getUint32(off, true) : 0);
    dv.setBigUint64(ctx + R.data, BigInt(area.packetData), true);
    dv.setBigUint64(ctx + R.data_end, BigInt(area.packetData + data.length), true);
    dv.setUint32(ctx + R.len, data.length, true);
    dv.setUint32(ctx + R.eth_protocol, get(R.eth_protocol) & 0xffff, true);
    dv.setUint32(ctx + R.ip_protocol, get(R.ip_protocol) & 0xff, true);
    dv.setUint32(ctx + R.bind_inany, get(R.bind_inany) ? 1 : 0, true);
    dv.setUint32(ctx + R.hash, get(R.hash), true);
    dv.setBigUint64(ctx + R.sk, BigInt(call.sock.addr), true);
    const mfd = migrating.get(machine);
    if (mfd !== undefined) {
      const o = call.maps.object(mfd);
      if (!o || !('kind' in o) || o.kind !== 'socket') throw new TestRunError(EINVAL, `sk_reuseport: migrating fd ${mfd} is not a socket`);
      dv.setBigUint64(ctx + R.migrating_sk, BigInt(o.addr), true);
    }
    let list = runs.get(machine);
    if (!list) runs.set(machine, list = []);
    list[cpu] = { ctx, call };
    beginSocketRun(machine, cpu, 'sk_reuseport', call);
    return { r1: ctx, regions: machine.regions(cpu, area.packetData, area.packetData + data.length, SK_REUSEPORT_MD_SIZE) };
  },
  finish(machine, cpu, r0lo): SkReuseportOutput {
    const run = runs.get(machine)?.[cpu];
    if (!run) throw new Error('sk_reuseport: finish without prepare');
    runs.get(machine)![cpu] = undefined;
    endSocketRun(machine, cpu);
    const retval = BigInt(r0lo >>> 0);
    const out: SkReuseportOutput = { retval, dataOut: new Uint8Array(0), outcome: 'refused' };
    if (retval !== BigInt(SK_ACTION.SK_PASS)) return out;
    if (!run.selected) return { ...out, outcome: 'hash' };
    return { ...out, outcome: 'selected', selected: run.selected.cookie };
  },
};

/** The group key of a socket: family, protocol and bound port (struct bpf_sock src_port). */
function groupOf(machine: Machine, s: SocketObject): string {
  const port = new DataView(machine.memory.buffer).getUint32(s.addr + BPF_SOCK.src_port, true);
  return `${s.family}/${s.protocol}/${port}`;
}

export function registerSkReuseportHelpers(registry: HelperRegistry): void {
  registry.register('bpf_sk_select_reuseport', {
    js: (rt, _ctx, mapArg, keyArg) => {
      const m = rt as Machine;
      const run = runs.get(m)?.[m.cpu];
      const sr = socketRun(rt);
      if (!run || !sr) throw new Error('bpf_sk_select_reuseport called outside an sk_reuseport run');
      const maps = run.call.maps;
      const info = maps.mapByHandle(Number(mapArg & 0xffffffffn));
      if (!info) return neg(EINVAL);
      const found = maps.kernels.exports.map_lookup_elem(info.handle, Number(keyArg & 0xffffffffn));
      // sockmap/sockhash lookups give the socket; a reuseport array's the slot holding its address
      let obj = found ? maps.objectByAddr(found) : undefined;
      if (found && !obj) obj = maps.objectByAddr(new DataView(m.memory.buffer).getUint32(found, true));
      if (!obj || obj.kind !== 'socket') return neg(ENOENT);
      const isArray = info.type === MAP_TYPE.reuseport_sockarray;
      const tcpHashed = obj.protocol === 'tcp' ? obj.state === 'listen' : obj.bound;
      if (!obj.reuseport || !tcpHashed) return neg(isArray ? ENOENT : EINVAL);
      const mine = run.call.sock;
      if (groupOf(m, obj) !== groupOf(m, mine)) {
        if (obj.protocol !== mine.protocol) return neg(EPROTOTYPE);
        if (obj.family !== mine.family) return neg(EAFNOSUPPORT);
        return neg(EBADFD);
      }
      run.selected = obj;
      return 0n;
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything'], gplOnly: false }, programTypes: ['sk_reuseport'] });
}
