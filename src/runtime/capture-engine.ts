/**
 * The packet loop of `run`: one simulated CPU runs its share of a capture's
 * packets through a program's executor, writing verdicts and rewritten
 * packets into result tables indexed by packet number. Single-CPU runs call
 * it on the main thread; `--cpus N` runs one per worker thread over a shared
 * memory (./workers/capture-worker.ts), and the tables are SharedArrayBuffers.
 *
 * XDP packets that fit the kernel's one-page test_run frame skip the program
 * type's generic prepare/finish: the frame geometry of the last prepare is
 * reused, only the packet, the headroom and xdp_md are rewritten. That is the
 * same state prepare would leave for verified code, which can only read
 * [data_meta, data_end) and headroom it exposed with adjust_head/meta
 * (zeroed here every packet); unverified code gets the whole frame zeroed.
 */
import type { PacketTable } from '../pcap/scan.js';
import { XDP_MD } from '../programs/context.js';
import { programTypeRuntime } from '../programs/registry.js';
import type { ProgramTypeName } from '../programs/types.js';
import type { RunArgs } from '../interpreter/interpreter.js';
import type { Program } from '../isa/instruction.js';
import { KERNEL_HELPERS } from '../helpers/ids.js';
import type { Machine } from './machine.js';
import type { Executor } from './tier.js';
import { PACKET_HEADROOM, PACKET_TAILROOM } from './layout.js';
import { takeRedirect } from './world-helpers.js';

/** How packets are spread over CPUs: a flow hash (as RSS does) or in turn. */
export type Spread = 'flow' | 'round-robin';
/** cpuOf value of a packet no CPU ran. */
export const NOT_RUN = 0xff;

/** Per-packet results, indexed by packet number (merged from every CPU's own lists after the run). */
export interface ResultTables {
  retval: Uint32Array;
  /** CPU that ran the packet, NOT_RUN if none. */
  cpuOf: Uint8Array;
  /** Where the packet's data_out lies in its CPU's data store (keepData only). */
  outOff: Int32Array;
  outLen: Int32Array;
  /** XDP_REDIRECT's target ifindex (bpf_redirect), 0 if none or unknown. */
  egress: Int32Array;
}

/** [0]: the first packet index not to run (the earliest trapping packet, or the count); shared by the CPUs. */
export function allocStop(count: number, shared: boolean): Int32Array {
  const a = new Int32Array(shared ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
  a[0] = count;
  return a;
}

export function allocResults(count: number): ResultTables {
  const t: ResultTables = {
    retval: new Uint32Array(count), cpuOf: new Uint8Array(count), outOff: new Int32Array(count), outLen: new Int32Array(count), egress: new Int32Array(count),
  };
  t.cpuOf.fill(NOT_RUN);
  return t;
}

/** Puts one CPU's lists into the per-packet tables. */
export function mergeCpu(t: ResultTables, cpu: number, r: CpuRunResult, only = false): void {
  if (only && !r.errors?.length) {
    // the only CPU ran packets 0..n-1 in order: its lists are the tables' prefix
    t.retval.set(r.ret); t.outOff.set(r.off); t.outLen.set(r.len); t.egress.set(r.eg); t.cpuOf.fill(cpu, 0, r.packets);
    return;
  }
  for (let k = 0; k < r.packets; k++) {
    const i = r.ran[k]!;
    t.retval[i] = r.ret[k]!; t.cpuOf[i] = cpu; t.outOff[i] = r.off[k]!; t.outLen[i] = r.len[k]!; t.egress[i] = r.eg[k]!;
  }
}

/**
 * What one CPU ran, in its own lists (packet index, verdict, data_out place):
 * CPUs writing interleaved packets into one table would share cache lines.
 */
class CpuLists {
  n = 0;
  ran: Int32Array; ret: Uint32Array; off: Int32Array; len: Int32Array; eg: Int32Array;
  constructor(guess: number) {
    const c = Math.max(1024, guess);
    this.ran = new Int32Array(c); this.ret = new Uint32Array(c); this.off = new Int32Array(c); this.len = new Int32Array(c); this.eg = new Int32Array(c);
  }
  push(i: number, r: number, off: number, len: number, eg: number): void {
    if (this.n === this.ran.length) {
      const c = this.n * 2;
      const g = <T extends Int32Array | Uint32Array>(a: T, b: T): T => { b.set(a); return b; };
      this.ran = g(this.ran, new Int32Array(c)); this.ret = g(this.ret, new Uint32Array(c));
      this.off = g(this.off, new Int32Array(c)); this.len = g(this.len, new Int32Array(c)); this.eg = g(this.eg, new Int32Array(c));
    }
    const k = this.n++;
    this.ran[k] = i; this.ret[k] = r; this.off[k] = off; this.len[k] = len; this.eg[k] = eg;
  }
}

/** An event a packet produced (trace_printk text); ring-buffer records are read after the run. */
export interface CaptureEvent { packet: number; cpu: number; kind: 'trace'; text: string }

/** A packet the run could not run (the kernel's BPF_PROG_TEST_RUN answers an errno, or a trap). */
export interface PacketError { packet: number; message: string; code?: number; name?: string; errno?: number }

export interface CpuRunOptions {
  /**
   * Go on with the next packet after one that fails (recorded in `errors`), as
   * the kernel answers that BPF_PROG_TEST_RUN call with an errno and takes the
   * next; without it the run stops at the first failure (stopAt).
   */
  continueOnError?: boolean;
  cpu: number;
  /** CPUs the packets are spread over (this one runs the packets that map to `cpu`). */
  cpus: number;
  spread: Spread;
  keepData: boolean;
  /** Interface packets arrive on; 0: BPF_PROG_TEST_RUN's default (XDP: the loopback device, ifindex 1; skb types: none). */
  ingressIfindex: number;
  /** 0: the clock reads each packet's capture timestamp; else first timestamp + index * step. */
  clockStepNs: number;
  /**
   * Receives each packet's verdict and data_out (src[start, end)) as soon as it
   * ran, instead of the data store (one CPU on the main thread: the output
   * is written as the run goes).
   */
  sink?: (packet: number, retval: number, src: Uint8Array, start: number, end: number, egress: number) => void;
  /** Called with the packet index reached, every 65536 packets of this CPU. */
  onProgress?: (done: number) => void;
}

export interface CpuRunResult {
  packets: number;
  /** Packet indices this CPU ran (ascending), their verdicts, data_out places in `data` and redirect targets. */
  ran: Int32Array; ret: Uint32Array; off: Int32Array; len: Int32Array; eg: Int32Array;
  /** This CPU's data store: data_out of its packets at outOff/outLen. */
  data: Uint8Array;
  events: CaptureEvent[];
  /** The first packet this CPU could not run (the run stopped there). */
  error?: PacketError;
  /** continueOnError: every packet this CPU could not run, in order. */
  errors?: PacketError[];
}

const CLOCK_HELPERS = ['bpf_ktime_get_ns', 'bpf_ktime_get_boot_ns', 'bpf_ktime_get_coarse_ns', 'bpf_jiffies64', 'bpf_ktime_get_tai_ns'];
const CALL_OPCODE = 0x85;
const PSEUDO_HELPER = 0;
/** src 1: a bpf-to-bpf call. */
const PSEUDO_CALL = 1;
/** Helpers through which verified XDP code reaches the headroom (it can only move data_meta/data down with them). */
const HEADROOM_HELPERS = ['bpf_xdp_adjust_head', 'bpf_xdp_adjust_meta'];

/** Whether a program may call one of `names` (an indirect call counts as yes). */
export function mayCall(program: Program, names: readonly string[]): boolean {
  const ids = new Set(KERNEL_HELPERS.filter(([, name]) => names.includes(name)).map(([id]) => id));
  for (const insn of program.instructions) {
    if (insn.opcode !== CALL_OPCODE) continue;
    if (insn.src === PSEUDO_HELPER && ids.has(insn.imm)) return true;
    if (insn.src !== PSEUDO_HELPER && insn.src !== PSEUDO_CALL) return true; // kfunc / callx-like forms
  }
  return false;
}

/** Whether a program may read the clock: setting it per packet costs a BigInt. */
export function readsClock(program: Program): boolean { return mayCall(program, CLOCK_HELPERS); }

const ETH_P_8021Q = 0x8100, ETH_P_8021AD = 0x88a8, ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd;
const ETH_HLEN = 14, VLAN_HLEN = 4;
const IPPROTO_TCP = 6, IPPROTO_UDP = 17, IPPROTO_SCTP = 132;
const IP_OFFSET_MASK = 0x1fff, IP_MF = 0x2000;
const LINKTYPE_ETHERNET = 1, LINKTYPE_RAW = 101;

/**
 * A flow hash of an IPv4/IPv6 packet's addresses, protocol and ports (ports
 * left out for fragments), as a NIC's RSS hashes the 4-tuple: every packet of
 * a flow lands on one CPU. Non-IP frames hash to 0 (queue 0, like RSS).
 */
export function flowHash(b: Uint8Array, off: number, len: number, linkType: number): number {
  let p = off;
  const end = off + len;
  let proto: number;
  if (linkType === LINKTYPE_ETHERNET) {
    if (len < ETH_HLEN) return 0;
    proto = (b[p + 12]! << 8) | b[p + 13]!;
    p += ETH_HLEN;
    while ((proto === ETH_P_8021Q || proto === ETH_P_8021AD) && p + VLAN_HLEN <= end) { proto = (b[p + 2]! << 8) | b[p + 3]!; p += VLAN_HLEN; }
  } else if (linkType === LINKTYPE_RAW) {
    proto = len > 0 && b[p]! >> 4 === 6 ? ETH_P_IPV6 : ETH_P_IP;
  } else return 0;
  let h = 0x811c9dc5;
  const mix = (x: number): void => { h = Math.imul(h ^ x, 0x01000193); };
  let l4: number, ports = true;
  if (proto === ETH_P_IP) {
    if (p + 20 > end) return 0;
    const ihl = (b[p]! & 0xf) * 4;
    l4 = b[p + 9]!;
    const frag = (b[p + 6]! << 8) | b[p + 7]!;
    if (frag & (IP_OFFSET_MASK | IP_MF)) ports = false;
    for (let i = 12; i < 20; i++) mix(b[p + i]!);
    p += ihl;
  } else if (proto === ETH_P_IPV6) {
    if (p + 40 > end) return 0;
    l4 = b[p + 6]!;
    for (let i = 8; i < 40; i++) mix(b[p + i]!);
    p += 40;
  } else return 0;
  mix(l4);
  if (ports && (l4 === IPPROTO_TCP || l4 === IPPROTO_UDP || l4 === IPPROTO_SCTP) && p + 4 <= end) {
    for (let i = 0; i < 4; i++) mix(b[p + i]!);
  }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13;
  return h >>> 0;
}

export function cpuForPacket(t: PacketTable, i: number, cpus: number, spread: Spread): number {
  if (cpus === 1) return 0;
  if (spread === 'round-robin') return i % cpus;
  return flowHash(t.bytes, t.dataOff[i]!, t.capLen[i]!, t.linkType) % cpus;
}

/** Copies below this many bytes go byte by byte; longer ones as subarray + set (~60 ns whatever the length). */
const SMALL_COPY = 16;

class DataStore {
  buf: Uint8Array;
  len = 0;
  constructor(guess: number) { this.buf = new Uint8Array(Math.max(1 << 16, guess)); }
  put(src: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (this.len + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + n) cap *= 2;
      const b = new Uint8Array(cap);
      b.set(this.buf.subarray(0, this.len));
      this.buf = b;
    }
    const at = this.len;
    copyBytes(this.buf, at, src, start, n);
    this.len += n;
    return at;
  }
}

function copyBytes(dst: Uint8Array, at: number, src: Uint8Array, start: number, n: number): void {
  if (n < SMALL_COPY) for (let k = 0; k < n; k++) dst[at + k] = src[start + k]!;
  else dst.set(src.subarray(start, start + n), at);
}

/** The part of a JIT instance the fast path uses. */
interface JitRunner { bindRegions(r: RunArgs['regions']): void; runU32(r1: number, r2?: number): number }

const LOOPBACK_IFINDEX = 1;
const STOP_CHECK_MASK = 0xff;
const XOFF = Object.fromEntries(XDP_MD.fields.map((f) => [f.name, f.offset])) as Record<string, number>;
const I32 = 4;

/** Runs this CPU's packets of `table` in order; stops at the first trap or at stopAt. */
export function runCpu(machine: Machine, executor: Executor, type: ProgramTypeName, unverified: boolean, program: Program,
  table: PacketTable, stopAt: Int32Array, o: CpuRunOptions): CpuRunResult {
  const rt = programTypeRuntime(type);
  const cpu = o.cpu;
  const area = machine.area(cpu);
  // room for every packet of this CPU's share plus some growth, so the store rarely moves
  const sink = o.sink;
  const lists = new CpuLists(Math.ceil((table.count / o.cpus) * 1.1));
  const store = new DataStore(o.keepData && !sink ? Math.ceil((table.bytes.length / o.cpus) * 1.25) : 0);
  const events: CaptureEvent[] = [];
  const clock = readsClock(program);
  // each packet is a BPF_PROG_TEST_RUN call of its own: fresh cgroup storage (see testRunStorageReset)
  const storageReset = mayCall(program, ['bpf_get_local_storage'])
    ? machine.kernelExports?.test_run_storage_reset as ((cpu: number) => void) | undefined : undefined;
  const firstNs = table.count > 0 ? BigInt(table.tsSec[0]!) * 1_000_000_000n + BigInt(table.tsNsec[0]!) : 0n;
  const stepNs = BigInt(o.clockStepNs);
  const bytes = table.bytes;
  const isXdp = type === 'xdp';
  const interp = executor.tier === 'interpreter';
  // verified code the headroom cannot reach needs it zeroed once (by the first prepare), not per packet
  const redirecting = isXdp && mayCall(program, ['bpf_redirect']);
  const clearHeadroom = unverified || mayCall(program, HEADROOM_HELPERS);
  // verified JIT code runs without region checks: the JIT instance's 32-bit entry, no region rebinding per packet
  const jit = !unverified && !interp ? (executor as Executor & { instance?(cpu: number): JitRunner }).instance?.(cpu) : undefined;
  let jitBound = false;
  let traceSeen = machine.traceLines.length;
  let packets = 0;
  let mem = new Uint8Array(machine.memory.buffer);
  let i32 = new Int32Array(machine.memory.buffer);
  // fast XDP path state: the args and frame size of the last generic prepare
  let fastArgs: RunArgs | undefined;
  let fastFrame = 0, fastLen = -1;
  const ctxW = area.ctx >> 2;
  const rxQueue = o.cpus > 1 ? cpu : 0;
  // test_run's XDP frames arrive on the loopback device's queue 0 unless the context names another device
  const ingress = o.ingressIfindex || (isXdp ? LOOPBACK_IFINDEX : 0);
  machine.cpu = cpu;
  let result: CpuRunResult | undefined;
  const errors: PacketError[] = [];

  for (let i = 0; i < table.count; i++) {
    // another CPU's trap: packets from stopAt on are discarded, so checking now and then is enough
    if ((i & STOP_CHECK_MASK) === 0 && i >= Atomics.load(stopAt, 0)) break;
    if (o.cpus > 1 && cpuForPacket(table, i, o.cpus, o.spread) !== cpu) continue;
    const off = table.dataOff[i]!, len = table.capLen[i]!;
    if (clock) {
      const ts = o.clockStepNs > 0 ? firstNs + BigInt(i) * stepNs : BigInt(table.tsSec[i]!) * 1_000_000_000n + BigInt(table.tsNsec[i]!);
      machine.setClock(ts);
    }
    // a grown unshared memory detaches the views; shared views stay valid for the CPU areas, all below the heap
    if (mem.byteLength === 0) { mem = new Uint8Array(machine.memory.buffer); i32 = new Int32Array(machine.memory.buffer); }
    let retval: number;
    let outOff = 0, outLen = 0, egress = 0;
    if (storageReset) storageReset(cpu);
    try {
      // frames are max(page, headroom + len + tailroom): the last frame fits this packet as is when it
      // had room to spare (the page minimum applied) and this packet fits it too, or lengths are equal
      const fast = isXdp && fastArgs !== undefined
        && (len === fastLen || (PACKET_HEADROOM + fastLen + PACKET_TAILROOM < fastFrame && PACKET_HEADROOM + len + PACKET_TAILROOM <= fastFrame));
      if (fast) {
        const args = fastArgs!;
        if (unverified) mem.fill(0, area.packetBase, area.packetBase + fastFrame);
        else if (clearHeadroom) mem.fill(0, area.packetBase, area.packetData);
        copyBytes(mem, area.packetData, bytes, off, len);
        i32[ctxW + XOFF.data! / I32] = area.packetData;
        i32[ctxW + XOFF.data_end! / I32] = area.packetData + len;
        i32[ctxW + XOFF.data_meta! / I32] = area.packetData;
        i32[ctxW + XOFF.ingress_ifindex! / I32] = ingress;
        i32[ctxW + XOFF.rx_queue_index! / I32] = rxQueue;
        i32[ctxW + XOFF.egress_ifindex! / I32] = 0;
        // the JIT follows the memory's size itself; the interpreter checks against the regions it is given
        if (interp) (args.regions.heap as { end: number }).end = machine.memory.buffer.byteLength;
        if (jit) {
          if (!jitBound) { jit.bindRegions(args.regions); jitBound = true; }
          retval = jit.runU32(args.r1!);
        } else retval = executor.run(cpu, args) >>> 0;
        if (redirecting) egress = takeRedirect(machine, cpu);
        if (mem.byteLength === 0) { mem = new Uint8Array(machine.memory.buffer); i32 = new Int32Array(machine.memory.buffer); }
        if (o.keepData || sink) {
          const meta = i32[ctxW + XOFF.data_meta! / I32]!, end = i32[ctxW + XOFF.data_end! / I32]!;
          if (sink) sink(i, retval, mem, meta, end, egress);
          else { outOff = store.put(mem, meta, end); outLen = end - meta; }
        }
      } else {
        const data = bytes.subarray(off, off + len);
        // as BPF_PROG_TEST_RUN: no device and queue 0 unless the world names them
        const args = rt.prepare(machine, cpu, { data, ...(ingress ? { ingressIfindex: ingress } : {}), ...(rxQueue ? { rxQueueIndex: rxQueue } : {}) });
        if (isXdp) { fastArgs = args; fastFrame = args.regions.data.end - area.packetBase; fastLen = len; jitBound = false; }
        const lo = executor.run(cpu, args);
        const out = rt.finish(machine, cpu, lo, executor.r0hi);
        retval = Number(BigInt.asUintN(32, out.retval));
        if (redirecting) egress = takeRedirect(machine, cpu);
        if (sink) sink(i, retval, out.dataOut, 0, out.dataOut.length, egress);
        else if (o.keepData) { outOff = store.put(out.dataOut, 0, out.dataOut.length); outLen = out.dataOut.length; }
        mem = new Uint8Array(machine.memory.buffer); i32 = new Int32Array(machine.memory.buffer);
      }
    } catch (e) {
      const err = e as Error & { code?: number; codeName?: string; errno?: number };
      const pe: PacketError = {
        packet: i, message: err?.message ?? String(e), ...(err?.code !== undefined ? { code: err.code, name: err.codeName } : {}),
        ...(typeof err?.errno === 'number' ? { errno: err.errno } : {}),
      };
      if (o.continueOnError) {
        errors.push(pe);
        // the next packet takes the generic path: nothing of this one's frame is reused
        fastArgs = undefined; fastLen = -1;
        mem = new Uint8Array(machine.memory.buffer); i32 = new Int32Array(machine.memory.buffer);
        continue;
      }
      result = { ...finishLists(lists), data: store.buf.subarray(0, store.len), events, error: pe };
      // the earliest trap wins: CPUs stop before it
      for (;;) {
        const cur = Atomics.load(stopAt, 0);
        if (cur <= i || Atomics.compareExchange(stopAt, 0, cur, i) === cur) break;
      }
      break;
    }
    lists.push(i, retval, outOff, outLen, egress);
    packets++;
    if (machine.traceLines.length > traceSeen) {
      for (; traceSeen < machine.traceLines.length; traceSeen++) events.push({ packet: i, cpu, kind: 'trace', text: machine.traceLines[traceSeen]! });
    }
    if (o.onProgress && (packets & 0xffff) === 0) o.onProgress(i);
  }
  return result ?? { ...finishLists(lists), data: store.buf.subarray(0, store.len), events, ...(errors.length ? { errors } : {}) };
}

function finishLists(l: CpuLists): Pick<CpuRunResult, 'packets' | 'ran' | 'ret' | 'off' | 'len' | 'eg'> {
  return { packets: l.n, ran: l.ran.subarray(0, l.n), ret: l.ret.subarray(0, l.n), off: l.off.subarray(0, l.n), len: l.len.subarray(0, l.n), eg: l.eg.subarray(0, l.n) };
}
