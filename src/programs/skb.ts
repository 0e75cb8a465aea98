/**
 * The simulated sk_buff behind struct __sk_buff and the BPF_PROG_TEST_RUN
 * behaviour of the skb program types (net/bpf/test_run.c,
 * bpf_prog_test_run_skb):
 *
 *  - the frame goes through eth_type_trans on loopback: protocol from the
 *    EtherType, pkt_type from the destination MAC, data past the Ethernet
 *    header;
 *  - tc (sched_cls/sched_act) sees the frame again from the Ethernet header;
 *    socket filters, cgroup_skb and lwt see it from the network header;
 *  - socket filters have no direct packet access (data_end is not computed);
 *  - after the run, non-L2 types get 14 zeroed bytes pushed in front, so
 *    data_out is always a whole frame;
 *  - ctx_in may set only mark, priority, ingress_ifindex, ifindex, cb[],
 *    tstamp, wire_len, gso_segs, gso_size and hwtstamp (others non-zero:
 *    EINVAL); ctx_out reports mark, priority, ingress_ifindex, ifindex,
 *    tstamp, cb[], wire_len, gso_segs and hwtstamp.
 *
 * The program-visible fields live in the __sk_buff struct in the ctx region
 * (the program reads and writes them directly); the rest of the sk_buff
 * (buffer bounds, header offsets, hash state, encapsulation) lives here.
 */
import { EbpfError } from '../diagnostics/index.js';
import { PACKET_TAILROOM, type RunRegions } from '../runtime/layout.js';
import type { Machine } from '../runtime/machine.js';
import type { ProgramTypeName } from './types.js';
import { endXdpRun } from './xdp.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import { BPF_SOCK, BPF_SOCK_SIZE, SKB, SKB_CB, SKB_CB_BYTES, SK_BUFF_SIZE } from './contexts/sk_buff.js';
import {
  AF, CHECKSUM, E, ETH_HLEN, ETH_P, GSO_LEGACY_MAX_SIZE, GSO_MAX_SEGS, IPV4_HLEN, IPV6_HLEN, LOOPBACK_IFINDEX, PACKET,
  SKB_TEST_MAX_DATA, TCP_CLOSE,
} from './skb-constants.js';

/** A BPF_PROG_TEST_RUN that the kernel rejects with an errno (EINVAL for a bad ctx_in…). */
export class TestRunError extends EbpfError {
  constructor(readonly errno: number, message: string) {
    super('BadInput', `${message} (errno ${errno})`);
    this.name = 'TestRunError';
  }
}

/** A packet handed to another device by bpf_clone_redirect during the run. */
export interface SkbClone { ifindex: number; flags: bigint; data: Uint8Array }

export interface SkbTestRunOutput extends TestRunOutput {
  /** Target recorded by bpf_redirect (the kernel acts on it when r0 is TC_ACT_REDIRECT). */
  redirect?: { ifindex: number; flags: bigint };
  /** Copies sent by bpf_clone_redirect, in order. */
  clones?: SkbClone[];
}

/** The part of the sk_buff the program cannot see directly. Addresses are linear-memory addresses. */
export interface SimSkb {
  readonly type: ProgramTypeName;
  readonly ctx: number;
  /** Bounds of the buffer (head .. end); the packet may move inside it. */
  readonly bufStart: number;
  readonly bufEnd: number;
  data: number;
  len: number;
  /** Header positions, -1 when unset. */
  mac: number;
  network: number;
  transport: number;
  /** skb->mac_len (0 until something resets it: eth_type_trans leaves it unset). */
  macLen: number;
  /** tc and lwt: data/data_end/data_meta are computed (bpf_compute_data_pointers). */
  readonly directPacketAccess: boolean;
  swHash: boolean;
  l4Hash: boolean;
  /** skb->ip_summed and skb->csum_level (CHECKSUM_*). */
  ipSummed: number;
  csumLevel: number;
  encapsulation: boolean;
  redirect?: { ifindex: number; flags: bigint };
  clones: SkbClone[];
  /** The run's regions: the data window follows the packet when helpers move it. */
  readonly regions: RunRegions;
  readonly ctxIn: Uint8Array;
}

const states = new WeakMap<Machine, (SimSkb | undefined)[]>();

/** The sk_buff of the run on `cpu`; throws outside an skb run. */
export function skbOf(machine: Machine, cpu: number): SimSkb {
  const s = states.get(machine)?.[cpu];
  if (!s) throw new Error('skb helper called outside an skb program run');
  return s;
}

/** Makes `s` the sk_buff of CPU `cpu`'s run (undefined: none) for the skb helpers; sk-skb.ts builds its own. */
export function setSkbRun(machine: Machine, cpu: number, s: SimSkb | undefined): void {
  let list = states.get(machine);
  if (!list) states.set(machine, list = []);
  list[cpu] = s;
}

/** Devices test_run can see (only loopback: the frame arrives there). */
export function deviceExists(ifindex: number): boolean {
  return ifindex === LOOPBACK_IFINDEX;
}

const be16 = (b: Uint8Array, o: number) => (b[o]! << 8) | b[o + 1]!;
/** A host-order EtherType as the raw little-endian load of its big-endian bytes (skb->protocol). */
export const htons = (v: number) => ((v & 0xff) << 8) | ((v >>> 8) & 0xff);

/** eth_type_trans on loopback (dev_addr and broadcast both 00:00:00:00:00:00). */
export function ethTypeTrans(frame: Uint8Array): { protocol: number; pktType: number } {
  let pktType: number = PACKET.HOST;
  const dstZero = frame.subarray(0, 6).every((x) => x === 0);
  if (!dstZero) pktType = (frame[0]! & 1) !== 0 ? PACKET.MULTICAST : PACKET.OTHERHOST;
  const proto = be16(frame, 12);
  if (proto >= ETH_P.ETH_802_3_MIN) return { protocol: proto, pktType };
  // raw 802.3 (IPX) starts its payload with 0xFFFF; otherwise 802.2 LLC
  if (frame.length >= ETH_HLEN + 2 && frame[14] === 0xff && frame[15] === 0xff) return { protocol: ETH_P.ETH_802_3, pktType };
  return { protocol: ETH_P.ETH_802_2, pktType };
}

/** Ranges of __sk_buff that ctx_in must leave zero (everything but the fields test_run accepts). */
const CTX_IN_ZERO: readonly [number, number][] = [
  [0, SKB.mark!], [SKB.mark! + 4, SKB.priority!], [SKB.ifindex! + 4, SKB_CB],
  [SKB_CB + SKB_CB_BYTES, SKB.tstamp!], [SKB.gso_segs! + 4, SKB.gso_size!], [SKB.gso_size! + 4, SKB.hwtstamp!],
];

/** bpf_ctx_init + the ifindex lookup and convert___skb_to_skb checks. */
function checkCtxIn(ctx: Uint8Array | undefined): Uint8Array {
  const out = new Uint8Array(SK_BUFF_SIZE);
  if (!ctx) return out;
  // bytes past the struct must be zero (bpf_check_uarg_tail_zero)
  for (let i = SK_BUFF_SIZE; i < ctx.length; i++) if (ctx[i] !== 0) throw new TestRunError(E.E2BIG, 'ctx_in has non-zero bytes past struct __sk_buff');
  out.set(ctx.subarray(0, SK_BUFF_SIZE));
  const dv = new DataView(out.buffer);
  const ifindex = dv.getUint32(SKB.ifindex!, true);
  if (ifindex > LOOPBACK_IFINDEX && !deviceExists(ifindex)) throw new TestRunError(E.ENODEV, `no device with ifindex ${ifindex}`);
  for (const [a, b] of CTX_IN_ZERO) {
    for (let i = a; i < b; i++) if (out[i] !== 0) throw new TestRunError(E.EINVAL, `ctx_in sets byte ${i} of __sk_buff, which test_run does not accept`);
  }
  return out;
}

interface SkbTypeOptions {
  /** tc: the program sees the frame from the Ethernet header. */
  l2: boolean;
  directPacketAccess: boolean;
}

const SKB_TYPES: Partial<Record<ProgramTypeName, SkbTypeOptions>> = {
  socket_filter: { l2: false, directPacketAccess: false },
  cgroup_skb: { l2: false, directPacketAccess: true },
  sched_cls: { l2: true, directPacketAccess: true },
  sched_act: { l2: true, directPacketAccess: true },
  lwt_in: { l2: false, directPacketAccess: true },
  lwt_out: { l2: false, directPacketAccess: true },
  lwt_xmit: { l2: false, directPacketAccess: true },
};

/** Writes len/data/data_end/data_meta into __sk_buff and moves the run's data window to the packet. */
export function syncPacket(machine: Machine, s: SimSkb): void {
  const dv = new DataView(machine.memory.buffer);
  dv.setUint32(s.ctx + SKB.len!, s.len, true);
  dv.setUint32(s.ctx + SKB.data!, s.data, true);
  if (s.directPacketAccess) {
    dv.setUint32(s.ctx + SKB.data_end!, s.data + s.len, true);
    dv.setUint32(s.ctx + SKB.data_meta!, s.data, true);
  }
  s.regions.data = { start: s.data, end: s.data + s.len };
  s.regions.headers = { mac: s.mac, network: s.network, head: s.bufStart };
}

/**
 * Makes room for `head` bytes before data and `tail` bytes after the packet,
 * moving it inside the buffer when needed (the kernel reallocates the head:
 * pskb_expand_head). Bytes before data back to the MAC header move along.
 * Returns false when the buffer cannot hold it.
 */
export function reserveRoom(machine: Machine, s: SimSkb, head: number, tail: number): boolean {
  if (s.data - head >= s.bufStart && s.data + s.len + tail <= s.bufEnd) return true;
  const lo = s.mac >= 0 && s.mac < s.data ? s.mac : s.data;
  const before = s.data - lo;
  const want = Math.max(head, before) + 64;
  if (want + s.len + tail > s.bufEnd - s.bufStart) return false;
  const newData = s.bufStart + want;
  const delta = newData - s.data;
  new Uint8Array(machine.memory.buffer).copyWithin(lo + delta, lo, s.data + s.len);
  s.data += delta;
  if (s.mac >= 0) s.mac += delta;
  if (s.network >= 0) s.network += delta;
  if (s.transport >= 0) s.transport += delta;
  return true;
}

function makeRuntime(name: ProgramTypeName, opts: SkbTypeOptions): ProgramTypeRuntime {
  return {
    name,
    prepare(machine, cpu, input: TestRunInput) {
      endXdpRun(machine, cpu);
      const area = machine.area(cpu);
      const frame = input.data ?? new Uint8Array(0);
      if (frame.length < ETH_HLEN || frame.length > SKB_TEST_MAX_DATA) {
        throw new TestRunError(E.EINVAL, `data_size_in ${frame.length} is outside ${ETH_HLEN}..${SKB_TEST_MAX_DATA}`);
      }
      const ctxIn = checkCtxIn(input.ctx);
      const cin = new DataView(ctxIn.buffer);
      const mem = new Uint8Array(machine.memory.buffer);
      const dv = new DataView(machine.memory.buffer);
      // helpers zero every byte they add to the packet, so only the frame's neighbourhood is cleared
      mem.fill(0, area.packetBase, Math.min(area.packetLimit, area.packetData + frame.length + PACKET_TAILROOM));
      mem.set(frame, area.packetData);
      const { protocol, pktType } = ethTypeTrans(frame);
      // test_run refuses IP frames too short for their L3 header
      const l3len = frame.length - ETH_HLEN;
      if ((protocol === ETH_P.IP && l3len < IPV4_HLEN) || (protocol === ETH_P.IPV6 && l3len < IPV6_HLEN)) {
        throw new TestRunError(E.EINVAL, `${protocol === ETH_P.IP ? 'IPv4' : 'IPv6'} frame of ${frame.length} bytes is shorter than its header`);
      }
      const mac = area.packetData, network = mac + ETH_HLEN;
      const data = opts.l2 ? mac : network;
      const len = opts.l2 ? frame.length : frame.length - ETH_HLEN;

      const wire = cin.getUint32(SKB.wire_len!, true);
      if (wire !== 0 && (wire < len || wire > GSO_LEGACY_MAX_SIZE)) throw new TestRunError(E.EINVAL, `wire_len ${wire} is outside ${len}..${GSO_LEGACY_MAX_SIZE}`);
      if (cin.getUint32(SKB.gso_segs!, true) > GSO_MAX_SEGS) throw new TestRunError(E.EINVAL, 'gso_segs above GSO_MAX_SEGS');

      // __sk_buff: what the program reads; ctx_in supplies the fields test_run accepts
      const ctx = area.ctx;
      mem.fill(0, ctx, ctx + SK_BUFF_SIZE + BPF_SOCK_SIZE);
      const cp = (field: string, size: number) => mem.set(ctxIn.subarray(SKB[field]!, SKB[field]! + size), ctx + SKB[field]!);
      cp('mark', 4); cp('priority', 4); cp('ingress_ifindex', 4); cp('tstamp', 8); cp('gso_segs', 4);
      cp('gso_size', 4); cp('hwtstamp', 8);
      mem.set(ctxIn.subarray(SKB_CB, SKB_CB + SKB_CB_BYTES), ctx + SKB_CB);
      const ifindex = cin.getUint32(SKB.ifindex!, true);
      dv.setUint32(ctx + SKB.ifindex!, ifindex > LOOPBACK_IFINDEX ? ifindex : LOOPBACK_IFINDEX, true);
      dv.setUint32(ctx + SKB.wire_len!, wire !== 0 ? wire : len, true);
      dv.setUint32(ctx + SKB.pkt_type!, pktType, true);
      dv.setUint32(ctx + SKB.protocol!, htons(protocol), true);

      // the socket test_run attaches: its addresses come from the IP header
      const sock = ctx + SK_BUFF_SIZE;
      let family: number = AF.UNSPEC;
      const l3 = frame.subarray(ETH_HLEN);
      if (protocol === ETH_P.IP && l3.length >= IPV4_HLEN) {
        family = AF.INET;
        mem.set(l3.subarray(12, 16), ctx + SKB.local_ip4!); mem.set(l3.subarray(16, 20), ctx + SKB.remote_ip4!);
        mem.set(l3.subarray(12, 16), sock + BPF_SOCK.src_ip4); mem.set(l3.subarray(16, 20), sock + BPF_SOCK.dst_ip4);
      } else if (protocol === ETH_P.IPV6 && l3.length >= IPV6_HLEN) {
        family = AF.INET6;
        mem.set(l3.subarray(8, 24), ctx + SKB['local_ip6[0]']!); mem.set(l3.subarray(24, 40), ctx + SKB['remote_ip6[0]']!);
        mem.set(l3.subarray(8, 24), sock + BPF_SOCK.src_ip6); mem.set(l3.subarray(24, 40), sock + BPF_SOCK.dst_ip6);
      }
      dv.setUint32(ctx + SKB.family!, family, true);
      dv.setUint32(sock + BPF_SOCK.family, family, true);
      dv.setUint32(sock + BPF_SOCK.state, TCP_CLOSE, true);
      dv.setInt32(sock + BPF_SOCK.rx_queue_mapping, -1, true);
      dv.setUint32(ctx + SKB.sk!, sock, true);

      const regions = machine.regions(cpu, data, data + len, SK_BUFF_SIZE + BPF_SOCK_SIZE);
      const s: SimSkb = {
        type: name, ctx, bufStart: area.packetBase, bufEnd: area.packetLimit, data, len, mac, network, transport: -1, macLen: 0,
        directPacketAccess: opts.directPacketAccess, swHash: false, l4Hash: false, ipSummed: CHECKSUM.NONE, csumLevel: 0,
        encapsulation: false,
        clones: [], regions, ctxIn,
      };
      syncPacket(machine, s);
      let list = states.get(machine);
      if (!list) states.set(machine, list = []);
      list[cpu] = s;
      return { r1: ctx, regions };
    },

    again(machine, cpu) {
      // the kernel's test_run reruns the program on the same skb: changes accumulate
      const s = skbOf(machine, cpu);
      syncPacket(machine, s);
      return { r1: s.ctx, regions: s.regions };
    },

    finish(machine, cpu, r0lo): SkbTestRunOutput {
      const s = skbOf(machine, cpu);
      if (!opts.l2) {
        // test_run pushes a zeroed Ethernet header back so data_out is a frame
        if (!reserveRoom(machine, s, ETH_HLEN, 0)) throw new TestRunError(E.ENOMEM, 'no headroom for the Ethernet header');
        s.data -= ETH_HLEN; s.len += ETH_HLEN;
        new Uint8Array(machine.memory.buffer).fill(0, s.data, s.data + ETH_HLEN);
      }
      const mem = new Uint8Array(machine.memory.buffer);
      const ctxOut = s.ctxIn.slice();
      const put = (field: string, size: number) => ctxOut.set(mem.subarray(s.ctx + SKB[field]!, s.ctx + SKB[field]! + size), SKB[field]!);
      put('mark', 4); put('priority', 4); put('ingress_ifindex', 4); put('ifindex', 4); put('tstamp', 8);
      ctxOut.set(mem.subarray(s.ctx + SKB_CB, s.ctx + SKB_CB + SKB_CB_BYTES), SKB_CB);
      put('wire_len', 4); put('gso_segs', 4); put('hwtstamp', 8);
      const out: SkbTestRunOutput = {
        retval: BigInt(r0lo >>> 0),
        dataOut: mem.slice(s.data, s.data + s.len),
        ctxOut,
        clones: s.clones,
      };
      if (s.redirect) out.redirect = s.redirect;
      // skb helpers called outside a run must not see this packet
      states.get(machine)![cpu] = undefined;
      return out;
    },
  };
}

export const socketFilterRuntime = makeRuntime('socket_filter', SKB_TYPES.socket_filter!);
export const schedClsRuntime = makeRuntime('sched_cls', SKB_TYPES.sched_cls!);
export const schedActRuntime = makeRuntime('sched_act', SKB_TYPES.sched_act!);
export const cgroupSkbRuntime = makeRuntime('cgroup_skb', SKB_TYPES.cgroup_skb!);
export const lwtInRuntime = makeRuntime('lwt_in', SKB_TYPES.lwt_in!);
export const lwtOutRuntime = makeRuntime('lwt_out', SKB_TYPES.lwt_out!);
export const lwtXmitRuntime = makeRuntime('lwt_xmit', SKB_TYPES.lwt_xmit!);

/** Program types whose context is __sk_buff and that this module runs. */
export const SKB_PROGRAM_TYPES = Object.keys(SKB_TYPES) as ProgramTypeName[];
