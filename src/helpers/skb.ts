/**
 * The skb helpers (net/core/filter.c) with the kernel's ids, prototypes,
 * allowed program types, limits and errnos, over the simulated sk_buff of
 * src/programs/skb.ts. Helpers that move the packet update __sk_buff's
 * len/data/data_end/data_meta and the run's data window (syncPacket).
 *
 * test_run's skb has ip_summed == CHECKSUM_NONE, so the skb->csum
 * bookkeeping the kernel does for CHECKSUM_COMPLETE never shows and is not
 * modelled; the checksum fields inside the packet are.
 */
import type { HelperProto, HelperRegistry, HelperRuntime } from './table.js';
import type { Machine } from '../runtime/machine.js';
import type { ProgramTypeName } from '../programs/types.js';
import { SKB } from '../programs/contexts/sk_buff.js';
import { deviceExists, htons, reserveRoom, skbOf, syncPacket, type SimSkb } from '../programs/skb.js';
import {
  BPF_ADJ_ROOM_ENCAP_L2_MASK, BPF_ADJ_ROOM_ENCAP_L2_SHIFT, BPF_ADJ_ROOM_MAC, BPF_ADJ_ROOM_MAX_DIFF, BPF_ADJ_ROOM_NET,
  BPF_F_ADJ_ROOM_DECAP_L3_IPV4, BPF_F_ADJ_ROOM_DECAP_L3_IPV6, BPF_F_ADJ_ROOM_DECAP_L3_MASK, BPF_F_ADJ_ROOM_ENCAP_L2_ETH,
  BPF_F_ADJ_ROOM_ENCAP_L3_IPV4, BPF_F_ADJ_ROOM_ENCAP_L3_IPV6, BPF_F_ADJ_ROOM_ENCAP_L3_MASK, BPF_F_ADJ_ROOM_ENCAP_L4_GRE,
  BPF_F_ADJ_ROOM_ENCAP_L4_UDP, BPF_F_ADJ_ROOM_FIXED_GSO, BPF_F_ADJ_ROOM_MASK, BPF_F_ADJ_ROOM_NO_CSUM_RESET,
  BPF_F_HDR_FIELD_MASK, BPF_F_INGRESS, BPF_F_INVALIDATE_HASH, BPF_F_IPV6, BPF_F_MARK_ENFORCE, BPF_F_MARK_MANGLED_0,
  BPF_F_PSEUDO_HDR, BPF_F_RECOMPUTE_CSUM, BPF_HDR_START_MAC, BPF_HDR_START_NET, BPF_SKB_MAX_LEN, CSUM_MANGLED_0, E,
  ETH_ALEN, ETH_HLEN, ETH_P, IPV4_HLEN, IPV6_HLEN, PACKET, TC_ACT, VLAN_ETH_HLEN, VLAN_HLEN, CHECKSUM, SKB_MAX_CSUM_LEVEL,
  BPF_CSUM_LEVEL, BPF_SKB_CLOCK, INET_ECN_MASK, INET_ECN_CE, INT_MAX, VLAN_MAX_DEPTH, BPF_HELPER_MAX_HDR_OFFSET,
} from '../programs/skb-constants.js';
import { csum16Add, csumFrom32to16, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub } from './csum.js';

const U32 = 0xffff_ffffn;
const err = (e: number) => BigInt(-e);
const u32 = (v: bigint) => Number(v & U32);
const s32 = (v: bigint) => Number(BigInt.asIntN(32, v));

type T = ProgramTypeName;
const SOCKET_FILTER: T[] = ['socket_filter'];
const CGROUP: T[] = ['cgroup_skb'];
const TC: T[] = ['sched_cls', 'sched_act'];
const LWT_RO: T[] = ['lwt_in', 'lwt_out'];
const LWT_XMIT: T[] = ['lwt_xmit'];
const LWT: T[] = [...LWT_RO, ...LWT_XMIT];

const proto = (args: HelperProto['args'], changesPacket = false): HelperProto =>
  ({ ret: 'integer', args, gplOnly: false, ...(changesPacket ? { changesPacket } : {}) });

interface Ctx { m: Machine; s: SimSkb; mem: Uint8Array; dv: DataView }
function ctxOf(rt: HelperRuntime): Ctx {
  const m = rt as Machine;
  return { m, s: skbOf(m, m.cpu), mem: new Uint8Array(m.memory.buffer), dv: new DataView(m.memory.buffer) };
}

const getField = (c: Ctx, f: string) => c.dv.getUint32(c.s.ctx + SKB[f]!, true);
const setField = (c: Ctx, f: string, v: number) => c.dv.setUint32(c.s.ctx + SKB[f]!, v >>> 0, true);
/** skb->protocol as the host-order EtherType. */
const protocolOf = (c: Ctx) => htons(getField(c, 'protocol') & 0xffff);
const setProtocol = (c: Ctx, p: number) => setField(c, 'protocol', htons(p));

function clearHash(c: Ctx): void { setField(c, 'hash', 0); c.s.swHash = false; c.s.l4Hash = false; }

/**
 * skb_is_gso: test_run makes a GSO skb when ctx_in sets gso_size, but with no
 * gso_type (neither TCP nor UDP_L4), which several helpers refuse.
 */
const isGso = (c: Ctx) => getField(c, 'gso_size') !== 0;
function gsoReset(c: Ctx): void { setField(c, 'gso_size', 0); setField(c, 'gso_segs', 0); }

/** skb_ensure_writable / pskb_may_pull: the first `n` bytes must exist. */
const mayPull = (s: SimSkb, n: number) => n <= s.len;

/** bpf_skb_net_base_len: the minimal L3 header of skb->protocol. */
function netBaseLen(c: Ctx): number {
  const p = protocolOf(c);
  return p === ETH_P.IP ? IPV4_HLEN : p === ETH_P.IPV6 ? IPV6_HLEN : 0;
}

/** bpf_skb_generic_push + header bookkeeping: insert `len` zero bytes at data+off, headers move with data. */
function netHdrPush(c: Ctx, off: number, len: number): boolean {
  const { s } = c;
  if (!reserveRoom(c.m, s, len, 0)) return false;
  const mem = new Uint8Array(c.m.memory.buffer);
  const transSame = s.transport === s.network;
  s.data -= len; s.len += len;
  mem.copyWithin(s.data, s.data + len, s.data + len + off);
  mem.fill(0, s.data + off, s.data + off + len);
  if (s.mac >= 0) s.mac -= len;
  s.network -= len;
  if (transSame) s.transport = s.network;
  return true;
}

/** bpf_skb_generic_pop + header bookkeeping: remove `len` bytes at data+off. */
function netHdrPop(c: Ctx, off: number, len: number): number {
  const { s } = c;
  if (!mayPull(s, off + len)) return -E.ENOMEM;
  const mem = new Uint8Array(c.m.memory.buffer);
  const transSame = s.transport === s.network;
  mem.copyWithin(s.data + len, s.data, s.data + off);
  s.data += len; s.len -= len;
  if (s.mac >= 0) s.mac += len;
  s.network += len;
  if (transSame) s.transport = s.network;
  return 0;
}

/** vlan_get_protocol: skb->protocol with the VLAN tags in the packet skipped (0 when they are cut short). */
function vlanGetProtocol(c: Ctx): number {
  let type = protocolOf(c);
  const { s, mem } = c;
  if (type !== ETH_P.VLAN_8021Q && type !== ETH_P.VLAN_8021AD) return type;
  let depth = s.macLen ? s.macLen - VLAN_HLEN : ETH_HLEN;
  let budget = VLAN_MAX_DEPTH;
  do {
    if (depth + VLAN_HLEN > s.len || !--budget) return 0;
    type = (mem[s.data + depth + 2]! << 8) | mem[s.data + depth + 3]!;
    depth += VLAN_HLEN;
  } while (type === ETH_P.VLAN_8021Q || type === ETH_P.VLAN_8021AD);
  return type;
}

/** __skb_reset_checksum_unnecessary: a moved header invalidates a verified checksum. */
function resetChecksumUnnecessary(s: SimSkb): void {
  if (s.ipSummed === CHECKSUM.UNNECESSARY) { s.ipSummed = CHECKSUM.NONE; s.csumLevel = 0; }
}

/** A deterministic stand-in for the kernel's flow hash (which is keyed by a per-boot random seed). */
function flowHash(c: Ctx): number {
  const { s, mem } = c;
  let h = 0x811c9dc5;
  const mix = (a: number, n: number) => { for (let i = 0; i < n && a + i < s.data + s.len; i++) h = Math.imul(h ^ mem[a + i]!, 0x01000193); };
  const p = protocolOf(c);
  if (p === ETH_P.IP && s.network + IPV4_HLEN <= s.data + s.len) {
    mix(s.network + 9, 1); mix(s.network + 12, 8);
    const ihl = (mem[s.network]! & 0xf) * 4;
    mix(s.network + ihl, 4);
  } else if (p === ETH_P.IPV6 && s.network + IPV6_HLEN <= s.data + s.len) {
    mix(s.network + 6, 1); mix(s.network + 8, 32); mix(s.network + IPV6_HLEN, 4);
  } else {
    h ^= p;
  }
  return (h >>> 0) || 1;
}

export function registerSkbHelpers(registry: HelperRegistry): HelperRegistry {
  const ctxArgs = (n: number): HelperProto['args'] => ['ptr_to_ctx', ...Array<'anything'>(n).fill('anything')];

  registry.register('bpf_skb_load_bytes', {
    js: (rt, _ctx, offArg, toArg, lenArg) => {
      const c = ctxOf(rt);
      const off = u32(offArg), to = u32(toArg), len = u32(lenArg);
      if (off <= INT_MAX && off + len <= c.s.len) { c.mem.copyWithin(to, c.s.data + off, c.s.data + off + len); return 0n; }
      c.mem.fill(0, to, to + len);
      return err(E.EFAULT);
    },
  }, { proto: proto(['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size']), programTypes: [...SOCKET_FILTER, ...CGROUP, ...TC, ...LWT] });

  registry.register('bpf_skb_load_bytes_relative', {
    js: (rt, _ctx, offArg, toArg, lenArg, hdrArg) => {
      const c = ctxOf(rt);
      const off = u32(offArg), to = u32(toArg), len = u32(lenArg), hdr = u32(hdrArg);
      const start = hdr === BPF_HDR_START_MAC ? c.s.mac : hdr === BPF_HDR_START_NET ? c.s.network : -1;
      if (off <= BPF_HELPER_MAX_HDR_OFFSET && start >= 0 && start + off + len <= c.s.data + c.s.len) {
        c.mem.copyWithin(to, start + off, start + off + len);
        return 0n;
      }
      c.mem.fill(0, to, to + len);
      return err(E.EFAULT);
    },
  }, { proto: proto(['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size', 'anything']), programTypes: [...SOCKET_FILTER, ...CGROUP, ...TC] });

  registry.register('bpf_skb_store_bytes', {
    js: (rt, _ctx, offArg, fromArg, lenArg, flags) => {
      const c = ctxOf(rt);
      if (flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) return err(E.EINVAL);
      const off = u32(offArg), from = u32(fromArg), len = u32(lenArg);
      if (off > INT_MAX || !mayPull(c.s, (off + len) >>> 0)) return err(E.EFAULT);
      c.mem.copyWithin(c.s.data + off, from, from + len);
      if (flags & BPF_F_INVALIDATE_HASH) clearHash(c);
      syncPacket(c.m, c.s);
      return 0n;
    },
  }, { proto: proto(['ptr_to_ctx', 'anything', 'ptr_to_mem', 'const_size', 'anything'], true), programTypes: [...TC, ...LWT_XMIT] });

  /** Checks shared by l3/l4_csum_replace; returns the field address or an errno. */
  const csumField = (c: Ctx, offArg: bigint): number => {
    const off = u32(offArg);
    if (off > BPF_HELPER_MAX_HDR_OFFSET || (off & 1) !== 0) return -E.EFAULT;
    if (!mayPull(c.s, off + 2)) return -E.EFAULT;
    return c.s.data + off;
  };

  registry.register('bpf_l3_csum_replace', {
    js: (rt, _ctx, offArg, from, to, flags) => {
      const c = ctxOf(rt);
      if (flags & ~BPF_F_HDR_FIELD_MASK) return err(E.EINVAL);
      const p = csumField(c, offArg);
      if (p < 0) return BigInt(p);
      const sum = c.dv.getUint16(p, true);
      let next: number;
      switch (Number(flags & BPF_F_HDR_FIELD_MASK)) {
        case 0: if (from !== 0n) return err(E.EINVAL); next = csumReplaceByDiff(sum, u32(to)); break;
        case 2: next = csumReplace2(sum, Number(from & 0xffffn), Number(to & 0xffffn)); break;
        case 4: next = csumReplace4(sum, u32(from), u32(to)); break;
        default: return err(E.EINVAL);
      }
      c.dv.setUint16(p, next, true);
      return 0n;
    },
  }, { proto: proto(ctxArgs(4), true), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_l4_csum_replace', {
    js: (rt, _ctx, offArg, from, to, flags) => {
      const c = ctxOf(rt);
      if (flags & ~(BPF_F_MARK_MANGLED_0 | BPF_F_MARK_ENFORCE | BPF_F_PSEUDO_HDR | BPF_F_HDR_FIELD_MASK | BPF_F_IPV6)) return err(E.EINVAL);
      const p = csumField(c, offArg);
      if (p < 0) return BigInt(p);
      const mmzero = (flags & BPF_F_MARK_MANGLED_0) !== 0n;
      const sum = c.dv.getUint16(p, true);
      if (mmzero && (flags & BPF_F_MARK_ENFORCE) === 0n && sum === 0) return 0n;
      // with CHECKSUM_NONE the pseudo-header flag changes nothing in the packet
      let next: number;
      switch (Number(flags & BPF_F_HDR_FIELD_MASK)) {
        case 0: if (from !== 0n) return err(E.EINVAL); next = csumReplaceByDiff(sum, u32(to)); break;
        case 2: next = csumReplace4(sum, Number(from & 0xffffn), Number(to & 0xffffn)); break;
        case 4: next = csumReplace4(sum, u32(from), u32(to)); break;
        default: return err(E.EINVAL);
      }
      if (mmzero && next === 0) next = CSUM_MANGLED_0;
      c.dv.setUint16(p, next, true);
      return 0n;
    },
  }, { proto: proto(ctxArgs(4), true), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_csum_diff', {
    js: (rt, fromArg, fromSizeArg, toArg, toSizeArg, seedArg) => {
      const mem = new Uint8Array(rt.memory.buffer);
      const from = u32(fromArg), fromSize = u32(fromSizeArg), to = u32(toArg), toSize = u32(toSizeArg), seed = u32(seedArg);
      if (fromSize && toSize) return BigInt(csumFrom32to16(csumSub(csumPartial(mem, to, toSize, seed), csumPartial(mem, from, fromSize, 0))));
      if (toSize) return BigInt(csumFrom32to16(csumPartial(mem, to, toSize, seed)));
      if (fromSize) return BigInt(csumFrom32to16(~csumPartial(mem, from, fromSize, ~seed >>> 0) >>> 0));
      return BigInt(csumFrom32to16(seed));
    },
  }, {
    proto: proto(['ptr_to_mem_or_null', 'const_size_or_zero', 'ptr_to_mem_or_null', 'const_size_or_zero', 'anything']),
    programTypes: [...TC, ...LWT, 'xdp'],
  });

  // skb->ip_summed is CHECKSUM_NONE in test_run: there is no skb->csum to update
  registry.register('bpf_csum_update', { js: () => err(E.ENOTSUPP) },
    { proto: proto(ctxArgs(1)), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_skb_change_proto', {
    js: (rt, _ctx, protoArg, flags) => {
      const c = ctxOf(rt);
      if (flags !== 0n) return err(E.EINVAL);
      const from = protocolOf(c), to = htons(Number(protoArg & 0xffffn));
      const off = c.s.network - c.s.mac;
      const diff = IPV6_HLEN - IPV4_HLEN;
      let ret = 0;
      if (from === ETH_P.IP && to === ETH_P.IPV6) {
        if (!netHdrPush(c, off, diff)) ret = -E.ENOMEM;
      } else if (from === ETH_P.IPV6 && to === ETH_P.IP) {
        ret = netHdrPop(c, off, diff);
      } else {
        ret = -E.ENOTSUPP;
      }
      if (ret === 0) { setProtocol(c, to); clearHash(c); }
      syncPacket(c.m, c.s);
      return BigInt(ret);
    },
  }, { proto: proto(ctxArgs(2), true), programTypes: [...TC] });

  registry.register('bpf_skb_change_type', {
    js: (rt, _ctx, typeArg) => {
      const c = ctxOf(rt);
      const t = u32(typeArg);
      if (getField(c, 'pkt_type') > PACKET.OTHERHOST || t > PACKET.OTHERHOST) return err(E.EINVAL);
      setField(c, 'pkt_type', t);
      return 0n;
    },
  }, { proto: proto(ctxArgs(1)), programTypes: [...TC] });

  registry.register('bpf_skb_adjust_room', {
    js: (rt, _ctx, diffArg, modeArg, flags) => {
      const c = ctxOf(rt);
      const s = c.s;
      const lenDiff = s32(diffArg), mode = u32(modeArg);
      const abs = Math.abs(lenDiff);
      const shrink = lenDiff < 0;
      if (flags & ~(BPF_F_ADJ_ROOM_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return err(E.EINVAL);
      if (abs > BPF_ADJ_ROOM_MAX_DIFF) return err(E.EFAULT);
      const p = protocolOf(c);
      if (p !== ETH_P.IP && p !== ETH_P.IPV6) return err(E.ENOTSUPP);
      let off = s.network - s.mac;
      if (mode === BPF_ADJ_ROOM_NET) off += netBaseLen(c);
      else if (mode !== BPF_ADJ_ROOM_MAC) return err(E.ENOTSUPP);
      let lenMin = netBaseLen(c);
      const decap = flags & BPF_F_ADJ_ROOM_DECAP_L3_MASK;
      if (decap) {
        if (!shrink) return err(E.EINVAL);
        if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV4) lenMin = IPV4_HLEN;
        else if (decap === BPF_F_ADJ_ROOM_DECAP_L3_IPV6) lenMin = IPV6_HLEN;
        else return err(E.EINVAL);
      }
      const lenCur = s.len - (s.network - s.data);
      if ((shrink && (abs >= lenCur || lenCur - abs < lenMin)) || (!shrink && s.len + abs > BPF_SKB_MAX_LEN && !isGso(c))) return err(E.ENOTSUPP);
      const ret = shrink ? netShrink(c, off, abs, flags) : netGrow(c, off, abs, flags);
      if (ret === 0 && !(flags & BPF_F_ADJ_ROOM_NO_CSUM_RESET)) resetChecksumUnnecessary(s);
      syncPacket(c.m, s);
      return BigInt(ret);
    },
  }, { proto: proto(ctxArgs(3), true), programTypes: [...TC] });

  function netGrow(c: Ctx, off: number, len: number, flags: bigint): number {
    const s = c.s;
    const encap = (flags & BPF_F_ADJ_ROOM_ENCAP_L3_MASK) !== 0n;
    const innerMacLen = Number((flags >> BPF_ADJ_ROOM_ENCAP_L2_SHIFT) & BPF_ADJ_ROOM_ENCAP_L2_MASK);
    let macLen = 0;
    // a GSO skb may only grow when it is TCP (or fixed-size UDP_L4); test_run's has no gso_type
    if (isGso(c)) return -E.ENOTSUPP;
    if (encap) {
      const p = protocolOf(c);
      if (p !== ETH_P.IP && p !== ETH_P.IPV6) return -E.ENOTSUPP;
      if ((flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) && (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6)) return -E.EINVAL;
      if ((flags & BPF_F_ADJ_ROOM_ENCAP_L4_GRE) && (flags & BPF_F_ADJ_ROOM_ENCAP_L4_UDP)) return -E.EINVAL;
      if ((flags & BPF_F_ADJ_ROOM_ENCAP_L2_ETH) && innerMacLen < ETH_HLEN) return -E.EINVAL;
      if (s.encapsulation) return -E.EALREADY;
      macLen = s.network - s.mac;
      if (innerMacLen > len) return -E.EINVAL;
    }
    if (!netHdrPush(c, off, len)) return -E.ENOMEM;
    if (encap) {
      s.encapsulation = true;
      s.network = s.data + macLen;
      if (flags & (BPF_F_ADJ_ROOM_ENCAP_L4_GRE | BPF_F_ADJ_ROOM_ENCAP_L4_UDP)) {
        const nhLen = (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4) ? IPV4_HLEN : IPV6_HLEN;
        s.transport = s.network + nhLen;
      }
      const p = protocolOf(c);
      if (p === ETH_P.IP && (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV6)) setProtocol(c, ETH_P.IPV6);
      else if (p === ETH_P.IPV6 && (flags & BPF_F_ADJ_ROOM_ENCAP_L3_IPV4)) setProtocol(c, ETH_P.IP);
    }
    return 0;
  }

  function netShrink(c: Ctx, off: number, len: number, flags: bigint): number {
    if (flags & ~(BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_DECAP_L3_MASK | BPF_F_ADJ_ROOM_NO_CSUM_RESET)) return -E.EINVAL;
    if (isGso(c)) return -E.ENOTSUPP;
    const r = netHdrPop(c, off, len);
    if (r) return r;
    const p = protocolOf(c);
    if (p === ETH_P.IP && (flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV6)) setProtocol(c, ETH_P.IPV6);
    else if (p === ETH_P.IPV6 && (flags & BPF_F_ADJ_ROOM_DECAP_L3_IPV4)) setProtocol(c, ETH_P.IP);
    return 0;
  }

  registry.register('bpf_skb_change_head', {
    js: (rt, _ctx, roomArg, flags) => {
      const c = ctxOf(rt);
      const s = c.s;
      const room = u32(roomArg);
      const newLen = (s.len + room) >>> 0;
      if (flags !== 0n || (!isGso(c) && newLen > BPF_SKB_MAX_LEN) || newLen < s.len) { syncPacket(c.m, s); return err(E.EINVAL); }
      if (!reserveRoom(c.m, s, room, 0)) { syncPacket(c.m, s); return err(E.ENOMEM); }
      s.data -= room; s.len += room;
      c.mem.fill(0, s.data, s.data + room);
      s.mac = s.data;
      s.macLen = s.network - s.mac;
      syncPacket(c.m, s);
      return 0n;
    },
  }, { proto: proto(ctxArgs(2), true), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_skb_change_tail', {
    js: (rt, _ctx, lenArg, flags) => {
      const c = ctxOf(rt);
      const s = c.s;
      const newLen = u32(lenArg);
      // __bpf_skb_min_len: the headers before the payload must stay
      const minLen = s.transport >= 0 ? s.transport - s.data : s.network - s.data;
      let ret = 0;
      if (flags !== 0n || newLen > BPF_SKB_MAX_LEN || newLen < minLen) ret = -E.EINVAL;
      else if (s.encapsulation) ret = -E.ENOTSUPP;
      else if (newLen > s.len) {
        if (!reserveRoom(c.m, s, 0, newLen - s.len)) ret = -E.ENOMEM;
        else { new Uint8Array(c.m.memory.buffer).fill(0, s.data + s.len, s.data + newLen); s.len = newLen; }
      } else {
        s.len = newLen;
      }
      if (ret === 0 && isGso(c)) gsoReset(c);
      syncPacket(c.m, s);
      return BigInt(ret);
    },
  }, { proto: proto(ctxArgs(2), true), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_skb_pull_data', {
    js: (rt, _ctx, lenArg) => {
      const c = ctxOf(rt);
      const n = u32(lenArg) || c.s.len; // 0: the whole linear part
      syncPacket(c.m, c.s);
      return mayPull(c.s, n) ? 0n : err(E.ENOMEM);
    },
  }, { proto: proto(ctxArgs(1), true), programTypes: [...TC, ...LWT] });

  registry.register('bpf_get_hash_recalc', {
    js: (rt) => {
      const c = ctxOf(rt);
      if (!c.s.swHash && !c.s.l4Hash) { setField(c, 'hash', flowHash(c)); c.s.l4Hash = true; }
      return BigInt(getField(c, 'hash'));
    },
  }, { proto: proto(['ptr_to_ctx']), programTypes: [...TC, ...LWT] });

  registry.register('bpf_set_hash', {
    js: (rt, _ctx, hash) => {
      const c = ctxOf(rt);
      setField(c, 'hash', u32(hash)); c.s.swHash = true; c.s.l4Hash = true;
      return 0n;
    },
  }, { proto: proto(ctxArgs(1)), programTypes: [...TC] });

  registry.register('bpf_set_hash_invalid', {
    js: (rt) => { clearHash(ctxOf(rt)); return 0n; },
  }, { proto: { ret: 'void', args: ['ptr_to_ctx'], gplOnly: false }, programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_skb_vlan_push', {
    js: (rt, _ctx, protoArg, tciArg) => {
      const c = ctxOf(rt);
      const s = c.s;
      let vproto = Number(protoArg & 0xffffn);
      if (vproto !== htons(ETH_P.VLAN_8021Q) && vproto !== htons(ETH_P.VLAN_8021AD)) vproto = htons(ETH_P.VLAN_8021Q);
      const tci = Number(tciArg & 0xffffn);
      let ret = 0;
      if (getField(c, 'vlan_present')) {
        // a tag is already held out of band: move it into the packet first
        if (s.data !== s.mac) ret = -E.EINVAL;
        else if (!reserveRoom(c.m, s, VLAN_HLEN, 0)) ret = -E.ENOMEM;
        else {
          const mem = new Uint8Array(c.m.memory.buffer);
          const dv = new DataView(c.m.memory.buffer);
          s.data -= VLAN_HLEN; s.len += VLAN_HLEN; s.mac -= VLAN_HLEN;
          mem.copyWithin(s.data, s.data + VLAN_HLEN, s.data + VLAN_HLEN + 2 * ETH_ALEN);
          const oldProto = getField(c, 'vlan_proto') & 0xffff;
          dv.setUint16(s.data + 2 * ETH_ALEN, oldProto, true);
          dv.setUint16(s.data + 2 * ETH_ALEN + 2, getField(c, 'vlan_tci') & 0xffff, false);
          setField(c, 'protocol', oldProto);
          s.macLen += VLAN_HLEN;
        }
      }
      if (ret === 0) {
        setField(c, 'vlan_proto', vproto); setField(c, 'vlan_tci', tci);
        setField(c, 'vlan_present', vproto | tci ? 1 : 0);
      }
      syncPacket(c.m, s);
      return BigInt(ret);
    },
  }, { proto: proto(ctxArgs(2), true), programTypes: [...TC] });

  const isVlan = (p: number) => p === ETH_P.VLAN_8021Q || p === ETH_P.VLAN_8021AD;
  /** __skb_vlan_pop: take the outer tag out of the packet; returns the TCI or an errno (< 0). */
  const popTag = (c: Ctx): number => {
    const s = c.s;
    if (s.data !== s.mac) return -E.EINVAL;
    if (!mayPull(s, VLAN_ETH_HLEN)) return -E.ENOMEM;
    const mem = new Uint8Array(c.m.memory.buffer);
    const tci = (mem[s.data + ETH_HLEN]! << 8) | mem[s.data + ETH_HLEN + 1]!;
    const inner = (mem[s.data + ETH_HLEN + 2]! << 8) | mem[s.data + ETH_HLEN + 3]!;
    mem.copyWithin(s.data + VLAN_HLEN, s.data, s.data + 2 * ETH_ALEN);
    s.data += VLAN_HLEN; s.len -= VLAN_HLEN; s.mac += VLAN_HLEN;
    // vlan_set_encap_proto
    let p = inner;
    if (inner < ETH_P.ETH_802_3_MIN) {
      p = s.len >= ETH_HLEN + 2 && mem[s.data + ETH_HLEN] === 0xff && mem[s.data + ETH_HLEN + 1] === 0xff ? ETH_P.ETH_802_3 : ETH_P.ETH_802_2;
    }
    setProtocol(c, p);
    if (s.network - s.data < ETH_HLEN) s.network = s.data + ETH_HLEN;
    s.macLen = s.network - s.mac;
    return tci;
  };

  registry.register('bpf_skb_vlan_pop', {
    js: (rt) => {
      const c = ctxOf(rt);
      let ret = 0;
      if (getField(c, 'vlan_present')) {
        setField(c, 'vlan_present', 0); setField(c, 'vlan_tci', 0); setField(c, 'vlan_proto', 0);
      } else if (isVlan(protocolOf(c))) {
        const r = popTag(c);
        if (r < 0) ret = r;
      }
      // the next tag in the packet, if any, moves out of band
      if (ret === 0 && isVlan(protocolOf(c))) {
        const vproto = getField(c, 'protocol') & 0xffff;
        const r = popTag(c);
        if (r < 0) ret = r;
        else { setField(c, 'vlan_proto', vproto); setField(c, 'vlan_tci', r); setField(c, 'vlan_present', 1); }
      }
      syncPacket(c.m, c.s);
      return BigInt(ret);
    },
  }, { proto: proto(['ptr_to_ctx'], true), programTypes: [...TC] });

  // test_run runs in process context: the classid is the task's net_cls one, 0 without net_cls
  registry.register('bpf_get_cgroup_classid', { js: () => 0n },
    { proto: proto(['ptr_to_ctx']), programTypes: [...TC, ...LWT] });

  registry.register('bpf_redirect', {
    js: (rt, ifindexArg, flags) => {
      const c = ctxOf(rt);
      if (flags & ~BPF_F_INGRESS) return BigInt(TC_ACT.SHOT);
      c.s.redirect = { ifindex: u32(ifindexArg), flags };
      return BigInt(TC_ACT.REDIRECT);
    },
  }, { proto: proto(['anything', 'anything']), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_clone_redirect', {
    js: (rt, _ctx, ifindexArg, flags) => {
      const c = ctxOf(rt);
      const s = c.s;
      if (flags & ~BPF_F_INGRESS) return err(E.EINVAL);
      // test_run can build type-less GSO packets; they must not leak out
      if (isGso(c)) return err(E.EBADMSG);
      const ifindex = u32(ifindexArg);
      if (!deviceExists(ifindex)) return err(E.EINVAL);
      // __bpf_redirect_common: the clone needs a MAC header before its network header
      if (s.mac < 0 || s.mac >= s.network || s.len === 0) return err(E.ERANGE);
      const from = Math.min(s.mac, s.data);
      s.clones.push({ ifindex, flags, data: c.mem.slice(from, s.data + s.len) });
      syncPacket(c.m, s);
      return 0n;
    },
  }, { proto: proto(ctxArgs(2), true), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_csum_level', {
    js: (rt, _ctx, levelArg) => {
      const { s } = ctxOf(rt);
      switch (levelArg) {
        case BigInt(BPF_CSUM_LEVEL.INC):
          if (s.ipSummed === CHECKSUM.UNNECESSARY) { if (s.csumLevel < SKB_MAX_CSUM_LEVEL) s.csumLevel++; }
          else if (s.ipSummed === CHECKSUM.NONE) { s.ipSummed = CHECKSUM.UNNECESSARY; s.csumLevel = 0; }
          return 0n;
        case BigInt(BPF_CSUM_LEVEL.DEC):
          if (s.ipSummed === CHECKSUM.UNNECESSARY) { if (s.csumLevel === 0) s.ipSummed = CHECKSUM.NONE; else s.csumLevel--; }
          return 0n;
        case BigInt(BPF_CSUM_LEVEL.RESET): resetChecksumUnnecessary(s); return 0n;
        case BigInt(BPF_CSUM_LEVEL.QUERY): return s.ipSummed === CHECKSUM.UNNECESSARY ? BigInt(s.csumLevel) : err(E.EACCES);
        default: return err(E.EINVAL);
      }
    },
  }, { proto: proto(ctxArgs(1)), programTypes: [...TC, ...LWT_XMIT] });

  registry.register('bpf_skb_set_tstamp', {
    js: (rt, _ctx, tstamp, typeArg) => {
      const c = ctxOf(rt);
      const p = protocolOf(c);
      if (p !== ETH_P.IP && p !== ETH_P.IPV6) return err(E.EOPNOTSUPP);
      const t = u32(typeArg);
      if (t !== BPF_SKB_CLOCK.REALTIME && t !== BPF_SKB_CLOCK.MONOTONIC && t !== BPF_SKB_CLOCK.TAI) return err(E.EINVAL);
      if (t !== BPF_SKB_CLOCK.REALTIME && tstamp === 0n) return err(E.EINVAL);
      c.dv.setBigUint64(c.s.ctx + SKB.tstamp!, tstamp, true);
      c.mem[c.s.ctx + SKB.tstamp_type!] = t;
      return 0n;
    },
  }, { proto: proto(ctxArgs(2)), programTypes: [...TC] });

  // test_run's socket belongs to uid 0
  registry.register('bpf_get_socket_uid', { js: () => 0n },
    { proto: proto(['ptr_to_ctx']), programTypes: [...SOCKET_FILTER, ...CGROUP, ...TC] });

  registry.register('bpf_skb_ecn_set_ce', {
    js: (rt) => {
      const c = ctxOf(rt);
      const { s, mem, dv } = c;
      const p = vlanGetProtocol(c);
      const hlen = p === ETH_P.IP ? IPV4_HLEN : p === ETH_P.IPV6 ? IPV6_HLEN : 0;
      if (!hlen || s.len < hlen || s.network + hlen > s.data + s.len) return 0n;
      const nh = s.network;
      if (p === ETH_P.IP) {
        // IP_ECN_set_ce: ECT(0)/ECT(1) become CE with an incremental checksum update
        const ecn = (mem[nh + 1]! + 1) & INET_ECN_MASK;
        if (!(ecn & 2)) return ecn === 0 ? 1n : 0n;
        // adding ~ECT(x) + CE to the 16-bit word holding the TOS byte (0xfffb + ecn, byte-swapped)
        const add = (htons(0xfffb) + htons(ecn)) & 0xffff;
        dv.setUint16(nh + 10, csum16Add(dv.getUint16(nh + 10, true), add), true);
        mem[nh + 1] = mem[nh + 1]! | INET_ECN_CE;
        return 1n;
      }
      // IPv6: the traffic class straddles the first two bytes
      const word = dv.getUint32(nh, false);
      if (((word >>> 20) & INET_ECN_MASK) === 0) return 0n;
      dv.setUint32(nh, (word | (INET_ECN_CE << 20)) >>> 0, false);
      return 1n;
    },
  }, { proto: proto(['ptr_to_ctx']), programTypes: [...TC, ...CGROUP] });

  // test_run's skb carries no tunnel metadata and no route
  registry.register('bpf_skb_get_tunnel_key', {
    js: (rt, _ctx, toArg, sizeArg) => {
      const c = ctxOf(rt);
      c.mem.fill(0, u32(toArg), u32(toArg) + u32(sizeArg));
      return err(E.EINVAL);
    },
  }, { proto: proto(['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size', 'anything']), programTypes: [...TC, ...LWT_XMIT] });
  registry.register('bpf_skb_get_tunnel_opt', {
    js: (rt, _ctx, toArg, sizeArg) => {
      const c = ctxOf(rt);
      c.mem.fill(0, u32(toArg), u32(toArg) + u32(sizeArg));
      return err(E.ENOENT);
    },
  }, { proto: proto(['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size']), programTypes: [...TC, ...LWT_XMIT] });
  registry.register('bpf_get_route_realm', { js: () => 0n }, { proto: proto(['ptr_to_ctx']), programTypes: [...TC, ...LWT] });
  registry.register('bpf_skb_cgroup_classid', { js: () => 0n }, { proto: proto(['ptr_to_ctx']), programTypes: [...TC] });

  return registry;
}
