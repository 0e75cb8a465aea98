/**
 * `ebpf-wasm run PROG.o --pcap IN …` (and `run-pcap`, the oracle's spelling,
 * which implies --per-packet): every packet of a capture through one program
 * in a simulated world (interfaces, seed, clock), on one or more simulated
 * CPUs, in the JIT (default) or the interpreter.
 *
 * Output capture (--out): pcapng by default, one interface description block
 * per world interface (plus `redirect` for packets whose redirect target the
 * engine does not track), each packet tagged with the interface it entered
 * (XDP_PASS, TC_ACT_OK… : inbound on the ingress interface) or left
 * (XDP_TX: outbound on the ingress interface; redirects: outbound);
 * dropped packets are left out. `--out-format pcap` writes classic pcap
 * without interface tags.
 *
 * A packet the kernel's BPF_PROG_TEST_RUN would refuse (an errno, e.g. EINVAL
 * for a 14-byte frame on an skb program) or that traps is reported (run-pcap:
 * `packet N error -ERRNO`, as the oracle prints; stderr names the packet and
 * its index) and the run goes on with the next packet, as the kernel does;
 * --stop-on-error stops the run there instead (exit 1, earlier results kept).
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { scanCapture, type PacketTable } from '../../pcap/scan.js';
import { PcapngWriter, PcapWriter, type CaptureWriter, type Direction } from '../../pcap/writer.js';
import { MAP_KERNELS_SHARED_WASM_URL } from '../../maps/kernels.js';
import { MAP_TYPE } from '../../maps/constants.js';
import type { BpfObject } from '../../object/object.js';
import { Machine } from '../../runtime/machine.js';
import { loadTier, TIER_NAMES, type TierName } from '../../runtime/tier.js';
import { NOT_RUN, type Spread } from '../../runtime/capture-engine.js';
import { runTable, type TableRunResult } from '../../runtime/workers/run-table.js';
import { EMPTY_WORLD, parseWorld, WorldError, type World } from '../../runtime/world.js';
import { setWorld } from '../../runtime/world-helpers.js';
import { parseObject } from '../../loader/object.js';
import { PROGRAM_TYPE_IDS, type ProgramTypeName } from '../../programs/types.js';
import { formatMaps, mapsJson } from '../format.js';
import { mapBtf, type Formatted } from '../../btf/format.js';
import { toHex } from '../hex.js';
import { intOption, loadObjectForCli, ObjectUsageError, selectProgram } from './test-run-object.js';
import { TC_ACT } from '../../programs/skb-constants.js';
import { XdpAction } from '../../programs/xdp.js';

/** LWT return codes (enum bpf_ret_code). */
const BPF_LWT = { OK: 0, DROP: 2, REDIRECT: 7 } as const;
const U32 = 0x1_0000_0000;

export type Placement = { drop: true } | { drop: false; redirect: boolean; direction: Direction };
const IN: Placement = { drop: false, redirect: false, direction: 'inbound' };
const DROP: Placement = { drop: true };

/** Where a packet goes after a verdict: dropped, received (inbound), sent back (outbound) or redirected. */
export function placement(type: string, retval: number): Placement {
  const r = retval >>> 0;
  switch (type) {
    case 'xdp':
      if (r === XdpAction.PASS) return IN;
      if (r === XdpAction.TX) return { drop: false, redirect: false, direction: 'outbound' };
      if (r === XdpAction.REDIRECT) return { drop: false, redirect: true, direction: 'outbound' };
      return DROP; // ABORTED, DROP, and unknown actions (the kernel drops them)
    case 'sched_cls': case 'sched_act': {
      const s = r >= U32 / 2 ? r - U32 : r;
      if (s === TC_ACT.REDIRECT) return { drop: false, redirect: true, direction: 'outbound' };
      if (s === TC_ACT.SHOT || s === TC_ACT.STOLEN || s === TC_ACT.QUEUED || s === TC_ACT.TRAP) return DROP;
      return IN;
    }
    case 'socket_filter': return r === 0 ? DROP : IN;
    case 'cgroup_skb': return (r & 1) === 0 ? DROP : IN;
    case 'lwt_in': case 'lwt_out': case 'lwt_xmit':
      if (r === BPF_LWT.DROP) return DROP;
      if (r === BPF_LWT.REDIRECT) return { drop: false, redirect: true, direction: 'outbound' };
      return IN;
    default: return IN;
  }
}

/** Whether a verdict means the packet does not go on (kept for callers of the old API). */
export function isDropped(type: string, retval: bigint): boolean {
  return placement(type, Number(BigInt.asUintN(32, retval))).drop;
}

function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    const w = 30, f = Math.round((done / total) * w);
    process.stderr.write(`\r[${'#'.repeat(f)}${' '.repeat(w - f)}] ${done}/${total}`);
  };
}

function readWorld(path: string): World {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (e) { throw new ObjectUsageError(`--world ${path}: ${(e as Error).message}`); }
  let j: unknown;
  try { j = JSON.parse(text); } catch (e) { throw new WorldError(path, `not JSON: ${(e as Error).message}`); }
  return parseWorld(j);
}

/** The output capture: packets in order, dropped ones left out, each on its interface. */
export class CaptureOutput {
  private readonly writer: CaptureWriter;
  private readonly ingressIdx: number;
  private readonly redirectIdx: number;
  constructor(format: 'pcap' | 'pcapng', private readonly type: string, private readonly world: World, private readonly table: PacketTable, sink?: (chunk: Uint8Array) => void) {
    const ifaces = world.interfaces.length > 0 ? world.interfaces.map((i) => ({ name: i.name, description: `ifindex ${i.ifindex} mtu ${i.mtu}` }))
      : [{ name: 'ingress', description: 'the capture\'s interface (no --world: the loopback of BPF_PROG_TEST_RUN)' }];
    this.ingressIdx = Math.max(0, world.interfaces.findIndex((i) => i.ifindex === world.ingress));
    this.redirectIdx = ifaces.length;
    const lt = table.linkType;
    this.writer = format === 'pcap' ? new PcapWriter(lt, undefined, sink)
      : new PcapngWriter([...ifaces.map((i) => ({ ...i, linkType: lt })), { name: 'redirect', description: 'redirect target not in the world', linkType: lt }], undefined, sink);
  }
  /** Packet i ran with this verdict and data_out src[start, end); egress: the redirect target's ifindex, if known. */
  packet(i: number, retval: number, src: Uint8Array, start: number, end: number, egress = 0): void {
    const p = placement(this.type, retval);
    if (p.drop) return;
    const t = this.table, n = end - start;
    let iface = this.ingressIdx;
    if (p.redirect) {
      const k = egress ? this.world.interfaces.findIndex((x) => x.ifindex === egress) : -1;
      iface = k >= 0 ? k : this.redirectIdx;
    }
    this.writer.writeFrom(t.tsSec[i]!, t.tsNsec[i]!, src, start, n, iface, p.direction, t.origLen[i]! - t.capLen[i]! + n);
  }
  /** Every packet of a finished multi-CPU run, in packet order. */
  merged(res: TableRunResult): void {
    const { results, stores } = res;
    for (let i = 0; i < res.stopAt; i++) {
      const cpu = results.cpuOf[i]!;
      if (cpu === NOT_RUN) continue;
      const at = results.outOff[i]!;
      this.packet(i, results.retval[i]!, stores[cpu]!, at, at + results.outLen[i]!, results.egress[i]!);
    }
  }
  end(): void { this.writer.end(); }
  bytes(): Uint8Array { return this.writer.bytes(); }
}

/** The type of the program `run` will pick (the first one, or --prog), before the object is loaded. */
function programTypeOf(path: string, prog: string | undefined, type: string | undefined): ProgramTypeName {
  if (type !== undefined) return type as ProgramTypeName;
  const spec = parseObject(new Uint8Array(readFileSync(path)));
  const p = prog === undefined ? spec.programs.find((x) => x.autoload) ?? spec.programs[0] : spec.programs.find((x) => x.name === prog);
  return (p?.type ?? 'xdp') as ProgramTypeName;
}

/** Autoload for --single: the program and the programs prog-array slots name, nothing else. */
function singleProgram(path: string, prog: string): Record<string, boolean> {
  const spec = parseObject(new Uint8Array(readFileSync(path)));
  const keep = new Set([prog]);
  for (const m of spec.maps) for (const s of m.slots ?? []) if (s.program !== undefined) keep.add(s.program);
  return Object.fromEntries(spec.programs.map((p) => [p.name, keep.has(p.name)]));
}

/** Per-CPU values as the kernel lays them out: each CPU's value rounded up to 8 bytes. */
const PERCPU_ALIGN = 8;

/** Every map's entries decoded through BTF (bpftool's "formatted"), keyed by map name. */
function formattedMaps(obj: BpfObject): Map<string, { key: Formatted; value?: Formatted; values?: { cpu: number; value: Formatted }[] }[]> {
  const out = new Map<string, { key: Formatted; value?: Formatted; values?: { cpu: number; value: Formatted }[] }[]>();
  const hex = (b: Uint8Array): string => toHex(b);
  for (const m of obj.maps.values()) {
    if (m.type === MAP_TYPE.ringbuf || m.keySize === 0) continue;
    const f = mapBtf(obj.spec.btf, m.spec);
    const k = f.key ?? hex, v = f.value ?? hex;
    out.set(m.name, m.entries().map(([key, value]) => {
      if (!m.perCpu) return { key: k(key), value: v(value) };
      const stride = (m.valueSize + PERCPU_ALIGN - 1) & ~(PERCPU_ALIGN - 1);
      const values = [];
      for (let cpu = 0; cpu * stride < value.length; cpu++) values.push({ cpu, value: v(value.subarray(cpu * stride, cpu * stride + m.valueSize)) });
      return { key: k(key), values };
    }));
  }
  return out;
}

/** Maps after the run for people: one line per entry, key and value decoded through BTF. */
function prettyMaps(obj: BpfObject): string {
  const f = formattedMaps(obj);
  let s = '';
  for (const m of [...obj.maps.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const ents = f.get(m.name);
    if (!ents) continue;
    s += `map ${m.name} (${m.typeName}, ${ents.length} entries)\n`;
    for (const e of ents) {
      const val = e.values ? e.values.map((c) => `cpu${c.cpu}: ${JSON.stringify(c.value)}`).join(', ') : JSON.stringify(e.value);
      s += `  ${JSON.stringify(e.key)} => ${val}\n`;
    }
  }
  return s;
}

/** Ring-buffer records left in the object's ring buffers after the run (read once, as a consumer would). */
function drainRingBuffers(obj: BpfObject): { map: string; data: string }[] {
  const out: { map: string; data: string }[] = [];
  for (const m of obj.maps.values()) if (m.type === MAP_TYPE.ringbuf) for (const r of m.consumeRecords()) out.push({ map: m.name, data: toHex(r) });
  return out;
}

export async function runObject(argv: string[], perPacketDefault = false): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      prog: { type: 'string' }, pcap: { type: 'string' }, out: { type: 'string' }, 'out-format': { type: 'string' }, seed: { type: 'string' },
      json: { type: 'boolean' }, 'dump-maps': { type: 'boolean' }, unverified: { type: 'boolean' },
      'per-packet': { type: 'boolean' }, 'map-init': { type: 'string', multiple: true }, budget: { type: 'string' }, cpus: { type: 'string' },
      tier: { type: 'string' }, spread: { type: 'string' }, world: { type: 'string' }, 'clock-step': { type: 'string' },
      // the program's type where its section gives none (SEC("tc/dnat")), as bpf_program__set_type
      type: { type: 'string' },
      'stop-on-error': { type: 'boolean' },
      // load only --prog's program and those its prog arrays name (bpf_program__set_autoload), as the
      // kernel oracle's single-program mode does: a sibling that cannot load does not stop the run
      single: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new ObjectUsageError('run takes one object file');
  if (values.pcap === undefined) throw new ObjectUsageError('run needs --pcap FILE');
  if (values.type !== undefined && !(values.type in PROGRAM_TYPE_IDS)) throw new ObjectUsageError(`--type: unknown program type ${values.type}`);
  if (values.type !== undefined && values.prog === undefined) throw new ObjectUsageError('--type needs --prog NAME (the program it applies to)');
  if (values.single && values.prog === undefined) throw new ObjectUsageError('--single needs --prog NAME');
  const tier = (values.tier ?? 'jit') as TierName;
  if (!TIER_NAMES.includes(tier)) throw new ObjectUsageError(`--tier takes ${TIER_NAMES.join(' or ')}, not ${values.tier}`);
  const spread = (values.spread ?? 'flow') as Spread;
  if (spread !== 'flow' && spread !== 'round-robin') throw new ObjectUsageError(`--spread takes flow or round-robin, not ${values.spread}`);
  const outFormat = values['out-format'] ?? 'pcapng';
  if (outFormat !== 'pcap' && outFormat !== 'pcapng') throw new ObjectUsageError(`--out-format takes pcapng or pcap, not ${outFormat}`);
  // run: --cpus N simulated CPUs, one worker thread each. run-pcap keeps the oracle's meaning:
  // N possible CPUs (per-CPU maps have N slots), every packet on CPU 0, where the oracle pins itself.
  const possibleCpus = intOption(values.cpus, '--cpus', 1) ?? 1;
  const cpus = perPacketDefault ? 1 : possibleCpus;
  const world = values.world !== undefined ? readWorld(values.world) : EMPTY_WORLD;
  const seed = intOption(values.seed, '--seed', 0) ?? world.seed ?? 0;
  const clockStepNs = intOption(values['clock-step'], '--clock-step', 0) ?? world.clockStepNs ?? 0;

  // the capture first: a bad header fails before any work; a bad record stops the table there
  const file = readFileSync(values.pcap);
  const table = scanCapture(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
  await loadTier(tier);
  const layoutOptions = { cpus: possibleCpus, shared: cpus > 1 };
  const machine = new Machine({ ...layoutOptions, seed });
  // helpers over the world (bpf_fib_lookup, XDP's bpf_redirect) read it from the machine
  setWorld(machine, world, programTypeOf(positionals[0]!, values.prog, values.type));
  const sharedKernels = cpus > 1 ? new WebAssembly.Module(readFileSync(MAP_KERNELS_SHARED_WASM_URL)) : undefined;
  const obj = loadObjectForCli({
    path: positionals[0]!, mapInit: values['map-init'] ?? [], unverified: values.unverified === true,
    budget: intOption(values.budget, '--budget', 1),
    load: {
      machine, tier, ...(sharedKernels ? { kernels: sharedKernels } : {}),
      ...(values.type !== undefined ? { programTypes: { [values.prog!]: values.type as ProgramTypeName } } : {}),
      ...(values.single ? { autoload: singleProgram(positionals[0]!, values.prog!) } : {}),
    },
  });
  const prog = selectProgram(obj, values.prog);
  if (prog.type === 'raw_tracepoint') throw new ObjectUsageError(`run: ${prog.name} is a raw_tracepoint program: it takes a context, not packets`);
  const perPacket = values['per-packet'] === true || perPacketDefault;
  const onProgress = progressBar();
  // one CPU writes the output as it runs; workers' results are merged after
  let fd: number | undefined;
  let output: CaptureOutput | undefined;
  if (values.out !== undefined) {
    const f = fd = openSync(values.out, 'w');
    output = new CaptureOutput(outFormat, prog.type, world, table, (chunk) => { writeSync(f, chunk); });
  }
  const direct = output !== undefined && cpus === 1 && !perPacket;
  let res: TableRunResult;
  try {
    res = await runTable({
    machine, program: prog.loaded, instructions: prog.instructions, table, cpus, spread,
    keepData: perPacket || (values.out !== undefined && !direct), ingressIfindex: world.ingress, clockStepNs, seed,
    continueOnError: values['stop-on-error'] !== true,
    ...(sharedKernels ? { workers: { layoutOptions, kernelsModule: sharedKernels, world } } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(direct ? { sink: (i: number, r: number, src: Uint8Array, s: number, e: number, eg: number) => output!.packet(i, r, src, s, e, eg) } : {}),
    });
    if (output && !direct) output.merged(res);
  } finally {
    // what ran before a trap is written too
    output?.end();
    if (fd !== undefined) closeSync(fd);
  }
  if (onProgress) process.stderr.write('\r' + ' '.repeat(60) + '\r');

  const rate = res.elapsedMs > 0 ? Math.round((res.packets * 1000) / res.elapsedMs) : 0;
  const verdicts = [...res.verdicts].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const errs = res.packetErrors;
  const summary = `packets: ${res.packets}\n` + verdicts.map(([k, n]) => `${k}: ${n}\n`).join('') + (errs.length ? `errors: ${errs.length}\n` : '') + `rate: ${rate} packets/s\n`
    + (cpus > 1 ? `cpus: ${cpus} (${spread}): ${res.packetsPerCpu.join(' ')} packets\n` : '');
  // run-pcap compares with the oracle, which leaves ring buffers for --dump-maps: read them only for `run`
  const ring = perPacketDefault ? [] : drainRingBuffers(obj);
  const perPacketLines = (): { index: number; retval: number; data: Uint8Array; egress: number }[] => {
    const out = [];
    for (let i = 0; i < res.stopAt; i++) {
      const cpu = res.results.cpuOf[i]!;
      if (cpu === NOT_RUN) continue;
      const at = res.results.outOff[i]!;
      out.push({ index: i, retval: res.results.retval[i]!, data: res.stores[cpu]!.subarray(at, at + res.results.outLen[i]!), egress: res.results.egress[i]! });
    }
    return out;
  };

  if (values.json) {
    const j: Record<string, unknown> = {
      program: prog.name, type: prog.type, tier, cpus, packets: res.packets, verdicts: Object.fromEntries(verdicts), packets_per_second: rate,
      seed, ...(cpus > 1 ? { spread, packets_per_cpu: res.packetsPerCpu } : {}),
      events: [...res.events.map((e) => ({ kind: e.kind, packet: e.packet + 1, cpu: e.cpu, text: e.text })), ...ring.map((r) => ({ kind: 'ringbuf', ...r }))],
    };
    if (perPacket) j.per_packet = perPacketLines().map((o) => ({ packet: o.index + 1, retval: o.retval, data_out: toHex(o.data), ...(o.egress ? { redirect_ifindex: o.egress } : {}) }));
    if (errs.length) j.errors = errs.map((e) => ({ packet: e.packet + 1, index: e.packet, message: e.message, ...(e.errno !== undefined ? { errno: e.errno } : {}), ...(e.code ? { code: `EW${e.code}` } : {}) }));
    if (res.error) j.error = { packet: res.error.packetIndex + 1, index: res.error.packetIndex, message: res.error.causeMessage, ...(res.error.causeCode ? { code: `EW${res.error.causeCode}` } : {}) };
    if (table.error) j.capture_error = { record: table.error.record, offset: table.error.offset, message: table.error.message };
    if (values['dump-maps']) {
      // bpftool -j map dump's shape, with its "formatted" part when the map has BTF
      const maps = mapsJson(obj) as Record<string, Record<string, unknown>[]>;
      const f = formattedMaps(obj);
      for (const [name, ents] of Object.entries(maps)) ents.forEach((e, k) => { const x = f.get(name)?.[k]; if (x) e.formatted = x; });
      j.maps = maps;
    }
    process.stdout.write(JSON.stringify(j) + '\n');
  } else {
    let s = '';
    if (perPacket) {
      // the oracle's lines: a refused packet as `packet N error -ERRNO`, in packet order
      const lines = perPacketLines();
      let k = 0;
      for (const e of errs) {
        for (; k < lines.length && lines[k]!.index < e.packet; k++) s += `packet ${lines[k]!.index + 1} retval ${lines[k]!.retval} data_out ${toHex(lines[k]!.data)}\n`;
        s += e.errno !== undefined ? `packet ${e.packet + 1} error -${e.errno}\n` : `packet ${e.packet + 1} error ${e.message}\n`;
      }
      for (; k < lines.length; k++) s += `packet ${lines[k]!.index + 1} retval ${lines[k]!.retval} data_out ${toHex(lines[k]!.data)}\n`;
      process.stderr.write(summary);
    } else {
      s += summary;
      for (const e of res.events) s += `event packet ${e.packet + 1} cpu ${e.cpu} ${e.kind}: ${e.text}\n`;
      for (const r of ring) s += `event ringbuf ${r.map}: ${r.data}\n`;
    }
    // run-pcap prints maps as the kernel oracle does; run decodes them through BTF
    if (values['dump-maps']) s += perPacketDefault ? formatMaps(obj) : prettyMaps(obj);
    process.stdout.write(s);
  }
  let code = 0;
  // every failed packet named on stderr (the first ones: a capture can fail on each of millions)
  const SHOWN_ERRORS = 20;
  for (const e of errs.slice(0, SHOWN_ERRORS)) process.stderr.write(`ebpf-wasm: packet ${e.packet + 1} (index ${e.packet}) not run: ${e.message}\n`);
  if (errs.length > SHOWN_ERRORS) process.stderr.write(`ebpf-wasm: ... and ${errs.length - SHOWN_ERRORS} more packets not run\n`);
  if (res.error) {
    process.stderr.write(`ebpf-wasm: run stopped at packet ${res.error.packetIndex + 1} (index ${res.error.packetIndex}) of ${table.count}; ${res.packets} packets counted before it: ${res.error.causeMessage}\n`);
    code = 1;
  }
  if (table.error) {
    process.stderr.write(`ebpf-wasm: ${values.pcap}: ${table.error.message}; the ${table.count} packets before it were run\n`);
    code = 1;
  }
  return code;
}
