/**
 * Helpers that read the simulated world (./world.ts): bpf_fib_lookup over its
 * routes and neighbours (net/core/filter.c bpf_ipv4_fib_lookup /
 * bpf_ipv6_fib_lookup: the same struct bpf_fib_lookup fields in and out, the
 * same BPF_FIB_LKUP_RET_* codes and errnos), and XDP's bpf_redirect, which
 * records the target interface for the output capture.
 */
import type { HelperRegistry, HelperRuntime } from '../helpers/table.js';
import type { ProgramTypeName } from '../programs/types.js';
import { XdpAction, isXdpRun } from '../programs/xdp.js';
import type { Machine } from './machine.js';
import { EMPTY_WORLD, type World, type WorldInterface, type WorldRoute } from './world.js';

/** struct bpf_fib_lookup (include/uapi/linux/bpf.h): field offsets and size. */
export const FIB = {
  family: 0, l4_protocol: 1, sport: 2, dport: 4, tot_len: 6, mtu_result: 6, ifindex: 8, rt_metric: 12,
  src: 16, dst: 32, h_vlan_proto: 48, h_vlan_TCI: 50, smac: 52, dmac: 58, size: 64,
} as const;
export const BPF_FIB_LOOKUP = { DIRECT: 1, OUTPUT: 2, SKIP_NEIGH: 4, TBID: 8, SRC: 16 } as const;
const FLAGS_ALL = BPF_FIB_LOOKUP.DIRECT | BPF_FIB_LOOKUP.OUTPUT | BPF_FIB_LOOKUP.SKIP_NEIGH | BPF_FIB_LOOKUP.TBID | BPF_FIB_LOOKUP.SRC;
export const BPF_FIB_LKUP_RET = {
  SUCCESS: 0, BLACKHOLE: 1, UNREACHABLE: 2, PROHIBIT: 3, NOT_FWDED: 4, FWD_DISABLED: 5, UNSUPP_LWT: 6,
  NO_NEIGH: 7, FRAG_NEEDED: 8, NO_SRC_ADDR: 9,
} as const;
const AF_INET = 2, AF_INET6 = 10;
const EINVAL = 22, ENODEV = 19, EAFNOSUPPORT = 97;
const ETH_ALEN = 6;

/** The kernel's fib lookup over the world's table: longest prefix, then lowest metric. */
export function findRoute(world: World, family: 4 | 6, dst: bigint): WorldRoute | undefined {
  let best: WorldRoute | undefined;
  for (const r of world.routes) {
    if (r.dst.family !== family) continue;
    const host = BigInt((family === 4 ? 32 : 128) - r.dst.len);
    if (dst >> host !== r.dst.addr >> host) continue;
    if (!best || r.dst.len > best.dst.len || (r.dst.len === best.dst.len && r.metric < best.metric)) best = r;
  }
  return best;
}

function readAddr(m: Uint8Array, at: number, family: 4 | 6): bigint {
  let v = 0n;
  for (let i = 0; i < (family === 4 ? 4 : 16); i++) v = (v << 8n) | BigInt(m[at + i]!);
  return v;
}
function writeAddr(m: Uint8Array, at: number, family: 4 | 6, v: bigint): void {
  const n = family === 4 ? 4 : 16;
  for (let i = n - 1; i >= 0; i--) { m[at + i] = Number(v & 0xffn); v >>= 8n; }
}

/**
 * bpf_fib_lookup on `params` (plen bytes at an address of `mem`). XDP checks
 * the route MTU against tot_len, as bpf_xdp_fib_lookup does; tc does too
 * here (the kernel skips it for GSO packets, which test runs do not build).
 */
export function fibLookup(world: World, mem: Uint8Array, params: number, plen: number, flags: number): number {
  if (plen < FIB.size) return -EINVAL;
  if (flags & ~FLAGS_ALL) return -EINVAL;
  const af = mem[params + FIB.family]!;
  if (af !== AF_INET && af !== AF_INET6) return -EAFNOSUPPORT;
  const family: 4 | 6 = af === AF_INET ? 4 : 6;
  const dv = new DataView(mem.buffer, mem.byteOffset + params, FIB.size);
  const ifindex = dv.getUint32(FIB.ifindex, true);
  // a world without interfaces is BPF_PROG_TEST_RUN's: the packet's device is the loopback, which does not
  // forward (net.ipv4.conf.lo.forwarding / ipv6 follow ip_forward, 0 by default); no other device is known
  if (world.interfaces.length === 0) return ifindex === LOOPBACK_IFINDEX ? BPF_FIB_LKUP_RET.FWD_DISABLED : -ENODEV;
  const dev = world.interfaces.find((i) => i.ifindex === ifindex);
  if (!dev) return -ENODEV;
  if (!dev.forwarding) return BPF_FIB_LKUP_RET.FWD_DISABLED;
  const dst = readAddr(mem, params + FIB.dst, family);
  const route = findRoute(world, family, dst);
  if (!route) return BPF_FIB_LKUP_RET.NOT_FWDED; // -ENETUNREACH from the fib
  switch (route.type) {
    case 'blackhole': return BPF_FIB_LKUP_RET.BLACKHOLE;
    case 'unreachable': return BPF_FIB_LKUP_RET.UNREACHABLE;
    case 'prohibit': return BPF_FIB_LKUP_RET.PROHIBIT;
    case 'local': return BPF_FIB_LKUP_RET.NOT_FWDED; // res.type != RTN_UNICAST
    default: break;
  }
  const out = world.interfaces.find((i) => i.ifindex === route.dev) as WorldInterface;
  const mtu = route.mtu ?? out.mtu;
  if (dv.getUint16(FIB.tot_len, true) > mtu) {
    dv.setUint16(FIB.mtu_result, mtu, true);
    return BPF_FIB_LKUP_RET.FRAG_NEEDED;
  }
  dv.setUint32(FIB.rt_metric, route.metric, true);
  dv.setUint32(FIB.ifindex, out.ifindex, true);
  if (flags & BPF_FIB_LOOKUP.SRC) {
    const src = route.src ?? out.addresses.find((a) => a.family === family)?.addr;
    if (src === undefined) return BPF_FIB_LKUP_RET.NO_SRC_ADDR;
    writeAddr(mem, params + FIB.src, family, src);
  }
  let nexthop = dst;
  if (route.via) { nexthop = route.via.addr; writeAddr(mem, params + FIB.dst, family, nexthop); }
  if (!(flags & BPF_FIB_LOOKUP.SKIP_NEIGH)) {
    const n = world.neighbours.find((x) => x.dev === out.ifindex && x.ip.family === family && x.ip.addr === nexthop);
    if (!n) return BPF_FIB_LKUP_RET.NO_NEIGH;
    mem.set(n.mac.subarray(0, ETH_ALEN), params + FIB.dmac);
    mem.set(out.mac.subarray(0, ETH_ALEN), params + FIB.smac);
  }
  // bpf_fib_set_fwd_params
  dv.setUint16(FIB.h_vlan_TCI, 0, true);
  dv.setUint16(FIB.h_vlan_proto, 0, true);
  dv.setUint16(FIB.mtu_result, mtu, true);
  return BPF_FIB_LKUP_RET.SUCCESS;
}

/** The kernel reads %s strings into a bounded buffer. */
const MAX_TRACE_STR = 512;

/** Per machine: its world, the program type of the packet runs (`run` sets both), XDP redirect targets per CPU. */
interface MachineWorld { world: World; runType?: ProgramTypeName; redirects: Int32Array }
const worlds = new WeakMap<object, MachineWorld>();
const MAX_CPUS = 64;

function stateOf(m: object): MachineWorld {
  let s = worlds.get(m);
  if (!s) worlds.set(m, s = { world: EMPTY_WORLD, redirects: new Int32Array(MAX_CPUS) });
  return s;
}

/** Puts `machine` in `world`; runs of `runType` follow (XDP's bpf_redirect differs from tc's). */
export function setWorld(machine: Machine, world: World, runType?: ProgramTypeName): void {
  const s = stateOf(machine);
  s.world = world;
  s.runType = runType;
}

/** The ifindex the last run on `cpu` redirected to (0: none), cleared. */
export function takeRedirect(machine: Machine, cpu: number): number {
  const r = worlds.get(machine)?.redirects;
  if (!r) return 0;
  const v = r[cpu]!;
  r[cpu] = 0;
  return v;
}

/**
 * Registers the world's helpers (every machine has them; a machine outside
 * any world has no interfaces, so lookups fail with -ENODEV):
 * bpf_fib_lookup for XDP and tc, and bpf_redirect for XDP beside tc's (a
 * machine whose runs are XDP gets XDP's semantics: flags must be 0, else
 * XDP_ABORTED; the target is recorded).
 */
/** enum bpf_check_mtu_ret and bpf_check_mtu_flags. */
export const BPF_MTU_CHK_RET = { SUCCESS: 0, FRAG_NEEDED: 1, SEGS_TOO_BIG: 2 } as const;
const BPF_MTU_CHK_SEGS = 1n;
/** dev->hard_header_len of Ethernet and the loopback. */
const HARD_HEADER_LEN = 14;
/** The MTU of every other device of a machine outside any world. */
const DEFAULT_MTU = 1500;
/** The loopback's MTU (drivers/net/loopback.c: 64 KiB): BPF_PROG_TEST_RUN's packets arrive on it. */
const LOOPBACK_MTU = 65536;
const LOOPBACK_IFINDEX = 1;

/**
 * The device __dev_via_ifindex finds: ifindex 0 is the packet's own device
 * (the world's ingress); a world without interfaces is BPF_PROG_TEST_RUN's:
 * packets on the loopback, every other ifindex a device with MTU 1500.
 */
function mtuOf(world: World, ifindex: number): number | undefined {
  if (world.interfaces.length === 0) return ifindex === 0 || ifindex === LOOPBACK_IFINDEX ? LOOPBACK_MTU : DEFAULT_MTU;
  return world.interfaces.find((i) => i.ifindex === (ifindex === 0 ? world.ingress : ifindex))?.mtu;
}

/**
 * bpf_check_mtu (net/core/filter.c bpf_xdp_check_mtu / bpf_skb_check_mtu):
 * the packet's length (data_end - data for XDP, skb->len for tc), or
 * *mtu_len + the device's hard header when *mtu_len is set, plus len_diff,
 * against the device's MTU + hard header. Writes the MTU to *mtu_len and
 * returns BPF_MTU_CHK_RET_*, or -EINVAL on bad flags or -ENODEV, leaving
 * *mtu_len alone (as the 6.18 kernel does). XDP takes no flags; tc accepts
 * BPF_MTU_CHK_SEGS (not with len_diff or *mtu_len). Test runs build
 * no GSO packets, so SEGS_TOO_BIG never happens.
 */
export function checkMtu(world: World, mem: Uint8Array, xdp: boolean, ctx: number, ifindex: number, mtuLen: number, lenDiff: number, flags: bigint): number {
  const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
  const want = dv.getUint32(mtuLen, true);
  if (xdp) {
    if (flags !== 0n) return -EINVAL;
    const mtu = mtuOf(world, ifindex);
    if (mtu === undefined) return -ENODEV;
    let len = want ? want + HARD_HEADER_LEN : dv.getUint32(ctx + 4, true) - dv.getUint32(ctx, true);
    len = (len + lenDiff) | 0;
    dv.setUint32(mtuLen, mtu, true);
    return len > mtu + HARD_HEADER_LEN ? BPF_MTU_CHK_RET.FRAG_NEEDED : BPF_MTU_CHK_RET.SUCCESS;
  }
  if ((flags & ~BPF_MTU_CHK_SEGS) !== 0n || ((flags & BPF_MTU_CHK_SEGS) && (lenDiff || want))) return -EINVAL;
  const mtu = mtuOf(world, ifindex);
  if (mtu === undefined) return -ENODEV;
  const len = ((want ? want + HARD_HEADER_LEN : dv.getUint32(ctx, true)) + lenDiff) | 0; // __sk_buff.len
  dv.setUint32(mtuLen, mtu, true);
  return len <= mtu + HARD_HEADER_LEN ? BPF_MTU_CHK_RET.SUCCESS : BPF_MTU_CHK_RET.FRAG_NEEDED;
}

export function registerWorldHelpers(registry: HelperRegistry): void {
  registry.register('bpf_check_mtu', {
    js: (rt, ctx, ifindex, mtuLen, lenDiff, flags) => BigInt(checkMtu(stateOf(rt).world, new Uint8Array(rt.memory.buffer),
      isXdpRun(rt as Machine, rt.cpu), Number(ctx), Number(BigInt.asUintN(32, ifindex)), Number(mtuLen), Number(BigInt.asIntN(32, lenDiff)), flags)),
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_int', 'anything', 'anything'], gplOnly: false }, programTypes: ['xdp', 'sched_cls', 'sched_act'] });
  registry.register('bpf_fib_lookup', {
    js: (rt, _ctx, params, plen, flags) => BigInt(fibLookup(stateOf(rt).world, new Uint8Array(rt.memory.buffer), Number(params),
      Number(BigInt.asIntN(32, plen)), Number(BigInt.asUintN(32, flags)))),
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size', 'anything'], gplOnly: true }, programTypes: ['xdp', 'sched_cls', 'sched_act'] });
  const tc = registry.byHelperName('bpf_redirect');
  const tcImpl = tc?.impl?.js;
  const types = tc?.programTypes === 'all' ? 'all' : [...(tc?.programTypes ?? []), 'xdp' as const];
  registry.register('bpf_redirect', {
    js: (rt, ifindex, flags, r3, r4, r5) => {
      const s = stateOf(rt);
      if (s.runType === 'xdp') {
        if (flags !== 0n) return BigInt(XdpAction.ABORTED);
        s.redirects[rt.cpu] = Number(BigInt.asUintN(32, ifindex)) | 0;
        return BigInt(XdpAction.REDIRECT);
      }
      if (!tcImpl) throw new Error('bpf_redirect: no tc implementation registered');
      return tcImpl(rt, ifindex, flags, r3, r4, r5);
    },
  }, { proto: tc?.proto ?? { ret: 'integer', args: ['anything', 'anything'], gplOnly: false }, programTypes: types });
}
