/**
 * `ebpf-wasm bench PROG.o [--prog NAME] (--data FILE | --pcap FILE) [--tier T] [--json]`:
 * ns per packet, per tier. The JIT runs XDP programs through its batch entry
 * (many packets in one wasm call) when the program calls no helper that moves
 * the packet (the batch entry only rewrites xdp_md's data fields); everything
 * else is a tight loop of runs (the program type's prepare + the run, no
 * data_out copy). Each line says which mode it measured. Time is this
 * process's CPU time, so that other load on the machine does not count.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CallSrc } from '../../isa/opcodes.js';
import type { Program } from '../../isa/instruction.js';
import type { HelperRegistry } from '../../helpers/table.js';
import { readCapture } from '../../pcap/pcap.js';
import { programTypeRuntime } from '../../programs/registry.js';
import type { LoadedProgram } from '../../runtime/test-run.js';
import { DEFAULT_PACKET_CAPACITY } from '../../runtime/layout.js';
import { TIER_NAMES, type TierName } from '../../runtime/tier.js';
import type { CompiledExecutor } from '../../jit/executor.js';
import { cliTier, intOption, loadObjectForCli, ObjectUsageError, selectProgram } from './test-run-object.js';

export const BENCH_USAGE = `  bench PROG.o [--prog NAME] (--data FILE | --pcap FILE) [--tier interpreter|jit] [--json] [--unverified]
           [--map-init MAP=FILE]... [--min-time MS]
      ns per packet (JIT: batch entry for XDP programs that do not move the packet, else a loop of runs);
      without --tier one line per tier; --json: one JSON object per line (with --tier: the last line)`;

/** Packets per batch call (descriptors and results fit the CPU's helper scratch). */
const BATCH_PACKETS = 256;
/** Batch packets are laid out 8-aligned in the CPU's packet buffer. */
const PACKET_ALIGN = 8;
const DEFAULT_MIN_TIME_MS = 300;

export type BenchMode = 'batch' | 'loop';

export interface BenchResult {
  tier: TierName;
  program: string;
  type: string;
  mode: BenchMode;
  packets: number;
  /** Runs timed (packets × passes). */
  runs: number;
  ns_per_packet: number;
  /** r0's low half per packet on the first (untimed) pass, for checking a mode against another. */
  firstPass?: number[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Helpers that move or resize the packet (the verifier's changes_pkt_data): the batch entry cannot follow them. */
function movesPacket(program: Program, helpers: HelperRegistry): boolean {
  return program.instructions.some((i) => i.spec.kind === 'call' && i.src === CallSrc.HELPER && helpers.get(i.imm)?.proto?.changesPacket === true);
}

/** Batches of packets, each batch's bytes laid out back to back (8-aligned), and the buffer they need. */
function layoutBatches(packets: readonly Uint8Array[]): { batches: Uint8Array[][]; capacity: number } {
  const batches: Uint8Array[][] = [];
  let capacity = 0;
  for (let i = 0; i < packets.length; i += BATCH_PACKETS) {
    const b = packets.slice(i, i + BATCH_PACKETS);
    batches.push(b);
    capacity = Math.max(capacity, b.reduce((s, p) => s + alignUp(p.length, PACKET_ALIGN), 0));
  }
  return { batches, capacity };
}

interface Timing { runs: number; ms: number; firstPass: number[] }

/** Rounds of full and copy-only passes in batch timing (the fastest of each counts). */
const MEASURE_ROUNDS = 5;

/**
 * This process's CPU time (user + system, ms): the machine may be shared, and
 * wall time would count the time other processes had the cores.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Calls `pass` until it has used `minMs` of CPU time; returns the passes and the CPU ms per pass. */
function measure(pass: () => void, minMs: number): { passes: number; msPerPass: number } {
  let passes = 0;
  const t0 = cpuMs();
  let ms = 0;
  do { pass(); passes++; ms = cpuMs() - t0; } while (ms < minMs);
  return { passes, msPerPass: ms / passes };
}

function timeLoop(prog: LoadedProgram, packets: readonly Uint8Array[], minMs: number): Timing {
  const rt = programTypeRuntime(prog.options.type);
  const ex = prog.executor;
  const pass = (): void => { for (const data of packets) ex.run(0, rt.prepare(prog.machine, 0, { data })); };
  const firstPass = packets.map((data) => ex.run(0, rt.prepare(prog.machine, 0, { data })) >>> 0); // warm-up
  const { passes, msPerPass } = measure(pass, minMs);
  return { runs: passes * packets.length, ms: msPerPass * passes, firstPass };
}

function timeBatch(prog: LoadedProgram, packets: readonly Uint8Array[], minMs: number): Timing {
  const m = prog.machine;
  const area = m.area(0);
  const inst = (prog.executor as CompiledExecutor).instance(0);
  // xdp_md's other fields (ifindex, queue) as for a normal run; the batch entry fills data/data_end/data_meta
  inst.runWith(programTypeRuntime(prog.options.type).prepare(m, 0, { data: packets[0]! }));
  const { batches } = layoutBatches(packets);
  const desc = area.scratch;
  const results = desc + BATCH_PACKETS * 8;
  const layouts = batches.map((b) => {
    let at = area.packetData;
    const pairs = new Int32Array(b.length * 2);
    b.forEach((p, i) => { pairs[i * 2] = at; pairs[i * 2 + 1] = p.length; at += alignUp(p.length, PACKET_ALIGN); });
    return pairs;
  });
  // A program may rewrite its packets: each batch call gets them afresh. The copy costs CPU time too;
  // it is measured alone and subtracted.
  const restore = (k: number): void => {
    const bytes = new Uint8Array(m.memory.buffer);
    const pairs = layouts[k]!;
    batches[k]!.forEach((p, i) => bytes.set(p, pairs[i * 2]!));
    new Int32Array(m.memory.buffer).set(pairs, desc >> 2);
  };
  const firstPass: number[] = [];
  for (let k = 0; k < batches.length; k++) {
    restore(k);
    inst.runBatchAt(desc, batches[k]!.length, results);
    firstPass.push(...new Uint32Array(m.memory.buffer, results, batches[k]!.length));
  }
  // Full passes and copy-only passes alternate over several rounds and the fastest round of each
  // counts: a single pair of measurements let another process's burst (or V8's background
  // threads, which process.cpuUsage counts) make the copy look dearer than the whole pass.
  const runAll = (): void => { for (let k = 0; k < batches.length; k++) { restore(k); inst.runBatchAt(desc, batches[k]!.length, results); } };
  const copyAll = (): void => { for (let k = 0; k < batches.length; k++) restore(k); };
  let fullBest = Infinity, copyBest = Infinity, passes = 0;
  for (let round = 0; round < MEASURE_ROUNDS; round++) {
    const full = measure(runAll, minMs / MEASURE_ROUNDS);
    const copy = measure(copyAll, Math.max(1, minMs / (4 * MEASURE_ROUNDS)));
    fullBest = Math.min(fullBest, full.msPerPass);
    copyBest = Math.min(copyBest, copy.msPerPass);
    passes += full.passes;
  }
  // Below the copy's own noise the difference means nothing: report the pass with its copy then.
  const msPerPass = fullBest > copyBest ? fullBest - copyBest : fullBest;
  return { runs: passes * packets.length, ms: msPerPass * passes, firstPass };
}

export interface BenchOptions {
  path: string;
  prog?: string;
  packets: readonly Uint8Array[];
  tier: TierName;
  unverified?: boolean;
  mapInit?: readonly string[];
  minTimeMs?: number;
  /** Force a loop of runs even where the batch entry applies. */
  loop?: boolean;
}

/** Loads the object in `tier` (already loaded: see cliTier) and measures ns per packet. */
export function benchObject(o: BenchOptions): BenchResult {
  if (o.packets.length === 0) throw new ObjectUsageError('bench: no packets to run');
  const { capacity } = layoutBatches(o.packets);
  const obj = loadObjectForCli({
    path: o.path, mapInit: o.mapInit ?? [], unverified: o.unverified === true, tier: o.tier,
    packetCapacity: Math.max(DEFAULT_PACKET_CAPACITY, capacity),
  });
  const p = selectProgram(obj, o.prog);
  if (p.type === 'raw_tracepoint') throw new ObjectUsageError(`bench: ${p.name} is a raw_tracepoint program: it takes a context, not packets`);
  const prog = p.loaded;
  const exec = prog.executor as Partial<CompiledExecutor>;
  const batch = !o.loop && o.tier === 'jit' && p.type === 'xdp' && typeof exec.instance === 'function'
    && exec.instance(0).compiled.manifest.batch && !movesPacket(prog.program, prog.machine.helpers);
  const { runs, ms, firstPass } = (batch ? timeBatch : timeLoop)(prog, o.packets, o.minTimeMs ?? DEFAULT_MIN_TIME_MS);
  return { tier: o.tier, program: p.name, type: p.type, mode: batch ? 'batch' : 'loop', packets: o.packets.length, runs, ns_per_packet: Math.round((ms * 1e6 / runs) * 10) / 10, firstPass };
}

export function formatBench(r: BenchResult): string {
  const how = r.mode === 'batch' ? `JIT batch entry, ${BATCH_PACKETS} packets per call` : 'loop of runs';
  return `${r.tier}: ${r.ns_per_packet.toFixed(1)} ns/packet (${how}; ${r.program} (${r.type}), ${r.packets} packets, ${r.runs} runs)\n`;
}

export async function benchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      prog: { type: 'string' }, data: { type: 'string' }, pcap: { type: 'string' }, tier: { type: 'string' },
      json: { type: 'boolean' }, unverified: { type: 'boolean' }, 'map-init': { type: 'string', multiple: true },
      'min-time': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new ObjectUsageError('bench takes one object file');
  if ((values.data === undefined) === (values.pcap === undefined)) throw new ObjectUsageError('bench needs --data FILE or --pcap FILE (one of them)');
  const packets = values.pcap !== undefined
    ? readCapture(new Uint8Array(readFileSync(values.pcap))).packets.map((p) => p.data)
    : [new Uint8Array(readFileSync(values.data!))];
  const tiers = values.tier !== undefined ? [await cliTier(values.tier)] : await Promise.all(TIER_NAMES.map((t) => cliTier(t)));
  for (const tier of tiers) {
    const r = benchObject({
      path: positionals[0]!, prog: values.prog, packets, tier, unverified: values.unverified === true,
      mapInit: values['map-init'] ?? [], minTimeMs: intOption(values['min-time'], '--min-time', 1),
    });
    const { firstPass: _, ...shown } = r;
    process.stdout.write(values.json ? JSON.stringify(shown) + '\n' : formatBench(r));
  }
  return 0;
}
