/**
 * ns per packet of real programs over examples/sample.pcap (374 frames) in
 * this engine's interpreter and JIT (one run per call, and the JIT's batch
 * entry where the program type has one: XDP) beside the Linux kernel's JIT
 * under BPF_PROG_TEST_RUN (bench/kernel/kbench.c), in one run:
 * the five examples and the map-heavy program bench/programs/map_heavy.o.
 *
 *   npm run build && node dist/bench/examples-kernel.bench.js [ROUNDS] [NAME...]
 *
 * Semantics are the kernel's `repeat`: each packet is prepared once and run
 * R times on the same context (what one run changes, e.g. xdp_lb's
 * adjust_head, the next one sees). Setup is excluded on both sides: the
 * kernel's duration starts after it has copied the packet in; ours
 * subtracts a sweep that only prepares the packets. The kernel's figure
 * still contains its per-repetition test-run overhead; "kernel floor" is an
 * empty program of the same type timed the same way.
 * Batch: all frames in one runBatch call; the frames are restored before
 * each batch (a program may rewrite them) and that copy is subtracted.
 * Our figures are CPU time (tinybench's clock is process CPU, see
 * kernel/kernel.ts cpuNowMs), as the kernel's duration leaves out time spent
 * yielding. ROUNDS (default 1) repeats everything and reports the median of the
 * rounds' medians; each round's kernel figure is itself the median of 3
 * trials.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { loadObject, type BpfObject } from '../src/object/object.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { programTypeRuntime } from '../src/programs/registry.js';
import { readCapture } from '../src/pcap/pcap.js';
import { applyMapInit, readMapInit } from '../src/cli/format.js';
import { CompiledExecutor } from '../src/jit/executor.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import type { RunArgs } from '../src/interpreter/interpreter.js';
import { cpuNowMs, kernelBench, median, ROOT } from './kernel/kernel.js';

interface Case { name: string; object: string; prog?: string; mapInit: string[] }
const CASES: Case[] = [
  { name: 'xdp_firewall', object: 'examples/xdp_firewall/xdp_firewall.o', mapInit: ['blocklist=examples/xdp_firewall/blocklist.txt'] },
  { name: 'flow_counter', object: 'examples/flow_counter/flow_counter.o', mapInit: [] },
  { name: 'xdp_lb', object: 'examples/xdp_lb/xdp_lb.o', mapInit: ['vips=examples/xdp_lb/vips.txt', 'backends=examples/xdp_lb/backends.txt'] },
  { name: 'tc_rewrite', object: 'examples/tc_rewrite/tc_rewrite.o', mapInit: [] },
  { name: 'socket_filter', object: 'examples/socket_filter/socket_filter.o', mapInit: [] },
  { name: 'map_heavy', object: 'bench/programs/map_heavy.o', mapInit: ['config=bench/programs/map_heavy-config.txt', 'acl=bench/programs/map_heavy-acl.txt'] },
];
const PCAP = 'examples/sample.pcap';
/** Repetitions per packet: enough that the JS loop is noise, few enough for the interpreter. */
const REPEAT: Record<TierName, number> = { interpreter: 4, jit: 40 };
const KERNEL_REPEAT = 500;
const KERNEL_TRIALS = 3;
const BENCH_MS = 400;
/** Room for every frame of the capture, each with the kernel's XDP headroom, in the batch. */
const PACKET_CAPACITY = 1 << 20;
const BATCH_HEADROOM = 256;

const args = process.argv.slice(2);
const rounds = args[0] && /^\d+$/.test(args[0]) ? Number(args.shift()) : 1;
const only = new Set(args);
const cases = CASES.filter((c) => only.size === 0 || only.has(c.name));
const packets = readCapture(new Uint8Array(readFileSync(join(ROOT, PCAP)))).packets.map((p) => p.data);
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
await loadTier('jit');

function load(c: Case, tier: TierName): BpfObject {
  const obj = loadObject(new Uint8Array(readFileSync(join(ROOT, c.object))), {
    name: c.name, tier, kernels, machineOptions: { packetCapacity: PACKET_CAPACITY },
  });
  for (const spec of c.mapInit) {
    const eq = spec.indexOf('=');
    const init = readMapInit(`${spec.slice(0, eq)}=${join(ROOT, spec.slice(eq + 1))}`);
    applyMapInit(obj.map(init.map), init.file, init.entries);
  }
  return obj;
}

/** One tier of one case: sweeps over the capture, with and without the runs. */
interface TierTasks { sweep: () => void; prepareOnly: () => void; retvals: number[]; batch?: { run: () => void; restoreOnly: () => void; retvals: number[] } }

function tierTasks(c: Case, tier: TierName): TierTasks {
  const obj = load(c, tier);
  const prog = obj.program(c.prog);
  const loaded = prog.loaded;
  const m = loaded.machine;
  const rt = programTypeRuntime(prog.type);
  const ex = loaded.executor;
  const R = REPEAT[tier];
  const again = rt.again?.bind(rt);
  // first-run retvals on fresh packets, to check the tiers against each other and the kernel
  const retvals = packets.map((data) => ex.run(0, rt.prepare(m, 0, { data })) | 0);
  const sweep = (): void => {
    for (const data of packets) {
      const first = rt.prepare(m, 0, { data });
      ex.run(0, first);
      for (let r = 1; r < R; r++) ex.run(0, again ? again(m, 0) : first);
    }
  };
  const prepareOnly = (): void => {
    let a: RunArgs | undefined;
    for (const data of packets) {
      a = rt.prepare(m, 0, { data });
      if (again) for (let r = 1; r < R; r++) a = again(m, 0);
    }
    if (a === undefined) throw new Error('no packets');
  };
  const out: TierTasks = { sweep, prepareOnly, retvals };
  if (tier === 'jit' && ex instanceof CompiledExecutor && ex.compiled.manifest.batch && ex.compiled.manifest.batchContext) {
    // frames one after another in CPU 0's packet buffer, each behind XDP headroom
    rt.prepare(m, 0, { data: packets[0] });
    const area = m.area(0);
    const pairs = new Int32Array(packets.length * 2);
    let at = area.packetData;
    const start = at;
    for (let i = 0; i < packets.length; i++) {
      at += BATCH_HEADROOM;
      pairs[2 * i] = at;
      pairs[2 * i + 1] = packets[i]!.length;
      at += packets[i]!.length;
    }
    if (at > area.packetData + PACKET_CAPACITY) throw new Error(`${c.name}: capture does not fit the packet buffer`);
    const pristine = new Uint8Array(at - start);
    for (let i = 0; i < packets.length; i++) pristine.set(packets[i]!, pairs[2 * i]! - start);
    const inst = ex.instance(0);
    const results = new Int32Array(packets.length);
    const restore = (): void => { new Uint8Array(m.memory.buffer, start, pristine.length).set(pristine); };
    restore();
    inst.runBatch(pairs, results);
    out.batch = { run: () => { restore(); inst.runBatch(pairs, results); }, restoreOnly: restore, retvals: Array.from(results) };
  }
  return out;
}

const mismatches = (a: readonly number[], b: readonly number[]): number => a.filter((x, i) => (x >>> 0) !== (b[i]! >>> 0)).length;
const p50 = (b: Bench, name: string): number => {
  const r = b.tasks.find((t) => t.name === name)!.result as unknown as { latency?: { p50?: number } };
  return (r.latency?.p50 ?? NaN) * 1e6; // ns per task call
};

interface Row { name: string; type: string; interp: number[]; jit: number[]; batch: number[]; kernel: number[]; floor: number[]; notes: string[] }
const rows: Row[] = [];
let skipReason: string | undefined;
for (const c of cases) {
  const interp = tierTasks(c, 'interpreter');
  const jit = tierTasks(c, 'jit');
  const type = loadObject(new Uint8Array(readFileSync(join(ROOT, c.object))), { name: c.name, kernels }).program(c.prog).type;
  const row: Row = { name: c.name, type, interp: [], jit: [], batch: [], kernel: [], floor: [], notes: [] };
  const d = mismatches(interp.retvals, jit.retvals);
  if (d) row.notes.push(`JIT and interpreter differ on ${d} first-run retvals`);
  if (jit.batch) {
    const db = mismatches(jit.batch.retvals, jit.retvals);
    if (db) row.notes.push(`batch and single runs differ on ${db} retvals`);
  }
  const n = packets.length;
  for (let round = 0; round < rounds; round++) {
    const b = new Bench({ time: BENCH_MS, warmup: true, warmupTime: 100, now: cpuNowMs });
    b.add('interp', interp.sweep).add('interp prep', interp.prepareOnly).add('jit', jit.sweep).add('jit prep', jit.prepareOnly);
    if (jit.batch) b.add('batch', jit.batch.run).add('restore', jit.batch.restoreOnly);
    await b.run();
    row.interp.push((p50(b, 'interp') - p50(b, 'interp prep')) / (n * REPEAT.interpreter));
    row.jit.push((p50(b, 'jit') - p50(b, 'jit prep')) / (n * REPEAT.jit));
    if (jit.batch) row.batch.push((p50(b, 'batch') - p50(b, 'restore')) / n);
    const kargs = [c.object, ...(c.prog ? ['--prog', c.prog] : []), '--pcap', PCAP, '--repeat', String(KERNEL_REPEAT), '--trials', String(KERNEL_TRIALS),
      ...c.mapInit.flatMap((s) => ['--map-init', s])];
    const k = kernelBench(kargs);
    if (!k.ok) { skipReason = k.reason; continue; }
    const kp = k.run.programs[0]!;
    row.kernel.push(median(kp.trial_mean_ns));
    row.floor.push(median(Object.values(k.run.baselines)[0]!.trial_mean_ns));
    if (round === 0) {
      const dk = mismatches(kp.retvals, jit.retvals);
      if (dk) row.notes.push(`kernel and JIT differ on ${dk} first-run retvals`);
      if (kp.errors) row.notes.push(`kernel refused ${kp.errors} runs`);
      if (k.run.jit !== 1) row.notes.push(`kernel JIT not enabled (bpf_jit_enable=${k.run.jit})`);
    }
  }
  rows.push(row);
  console.error(`${c.name}: done`);
}

const f = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '–');
const r = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(1)}×` : '–');
console.log(`ns per packet over ${PCAP} (${packets.length} frames); median of ${rounds} round(s)`);
console.log('| program | type | interpreter | JIT, one run | JIT, batch | kernel JIT (test-run) | kernel floor (empty prog) | interp / kernel | JIT / kernel | batch / kernel |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const w of rows) {
  const [i, j, b, k, fl] = [median(w.interp), median(w.jit), median(w.batch), median(w.kernel), median(w.floor)];
  console.log(`| ${w.name} | ${w.type} | ${f(i)} | ${f(j)} | ${f(b)} | ${f(k)} | ${f(fl)} | ${r(i, k)} | ${r(j, k)} | ${r(b, k)} |`);
}
for (const w of rows) for (const n of w.notes) console.log(`note: ${w.name}: ${n}`);
if (skipReason) console.log(`kernel figures skipped: ${skipReason}`);
