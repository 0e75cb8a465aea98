/**
 * Map operations, ns per lookup/update: from JIT code, from JS (the libbpf-
 * style bpf_map_* API) and in the Linux kernel, the program side measured
 * by the same bytecode in both (bench/programs/map_ops.o: a bounded loop of
 * N_OPS operations per run, on keys spread over the whole map; see the
 * comment there). Kernel: BPF_PROG_TEST_RUN with `repeat` through
 * bench/kernel/kbench.c, in the same run.
 *
 *   npm run build && node dist/bench/maps-kernel.bench.js [ROUNDS]
 *
 * Per operation = (run of the map program - run of its base_* loop without
 * the call) / N_OPS, on both sides, so the loop and the test-run overhead
 * cancel. Our figures are process CPU time (kernel/kernel.ts cpuNowMs). ROUNDS (default 1) repeats everything; the table is the median of
 * the rounds' medians (each kernel figure is the median of its trials).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { loadObject, type BpfObject } from '../src/object/object.js';
import { loadTier } from '../src/runtime/tier.js';
import { programTypeRuntime } from '../src/programs/registry.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { cpuNowMs, kernelBench, median, ROOT } from './kernel/kernel.js';

const OBJECT = 'bench/programs/map_ops.o';
/** Must match N_OPS, SPREAD and the LPM fill prefix in map_ops.c / kbench.c. */
const N_OPS = 256;
const SPREAD = 2654435761;
const LPM_FILL_PREFIX = 24;
const LPM_LOOKUP_PREFIX = 32;
const LPM_HOST = 5;
/** Program runs per measured call (JIT), operations per measured call (JS). */
const RUNS = 20;
const JS_OPS = 1000;
const KERNEL_REPEAT = 200;
const KERNEL_TRIALS = 3;
const BENCH_MS = 400;

interface Case { label: string; map: string; entries: number; lpm: boolean }
const CASES: Case[] = [
  { label: 'hash, 1k entries', map: 'hash_1k', entries: 1000, lpm: false },
  { label: 'hash, 1M entries', map: 'hash_1m', entries: 1_000_000, lpm: false },
  { label: 'LRU hash, 1k', map: 'lru_1k', entries: 1000, lpm: false },
  { label: 'LPM trie, 10k prefixes', map: 'lpm_10k', entries: 10_000, lpm: true },
  { label: 'array, 1k', map: 'array_1k', entries: 1000, lpm: false },
];
const base = (c: Case): string => (c.lpm ? 'base_lpm' : 'base_u32');

const rounds = process.argv[2] && /^\d+$/.test(process.argv[2]) ? Number(process.argv[2]) : 1;

/** Writes the key of operation i as map_ops.c computes it into `dv` (u32 arithmetic, as the program's). */
function writeKey(c: Case, dv: DataView, i: number, update: boolean): void {
  const k = (Math.imul(i, SPREAD | 0) >>> 0) % c.entries;
  if (c.lpm) {
    dv.setUint32(0, update ? LPM_FILL_PREFIX : LPM_LOOKUP_PREFIX, true);
    dv.setUint32(4, update ? k << 8 : (k << 8) | LPM_HOST, false);
  } else dv.setUint32(0, k, true);
}

/** The same contents as kbench's --fill: keys 0..entries-1 (LPM: /24 prefixes), value u64 1. */
function fill(obj: BpfObject, c: Case): void {
  const m = obj.map(c.map);
  const v = new Uint8Array(8);
  v[0] = 1;
  const k = new Uint8Array(c.lpm ? 8 : 4);
  const dv = new DataView(k.buffer);
  for (let i = 0; i < c.entries; i++) {
    if (c.lpm) { dv.setUint32(0, LPM_FILL_PREFIX, true); dv.setUint32(4, i << 8, false); } else dv.setUint32(0, i, true);
    m.update(k, v, 0);
  }
}

await loadTier('jit');
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const obj = loadObject(new Uint8Array(readFileSync(join(ROOT, OBJECT))), { name: 'map_ops', tier: 'jit', kernels });
for (const c of CASES) fill(obj, c);
const machine = obj.machine;
const frame = new Uint8Array(64);

/** A task running program NAME RUNS times in the JIT on one prepared frame. */
function programTask(name: string): () => void {
  const p = obj.program(name);
  const rt = programTypeRuntime(p.type);
  const args = rt.prepare(machine, 0, { data: frame });
  const ex = p.loaded.executor;
  if (ex.run(0, args) !== 2) throw new Error(`${name}: expected XDP_PASS`);
  return () => { for (let i = 0; i < RUNS; i++) ex.run(0, args); };
}

const progs = [...new Set(CASES.flatMap((c) => [`lookup_${c.map}`, `update_${c.map}`, base(c)]))];
const tasks = new Map(progs.map((n) => [n, programTask(n)]));
const bpf = obj.maps_;
const jsTasks = new Map<string, () => void>();
for (const c of CASES) {
  const fd = obj.map(c.map).fd;
  // a cursor walks the whole map as the program's does, not a few cache-hot keys
  const key = new Uint8Array(c.lpm ? 8 : 4), kdv = new DataView(key.buffer);
  const out = new Uint8Array(8), v = new Uint8Array(8).fill(2);
  let cursor = 0;
  jsTasks.set(`js lookup ${c.map}`, () => {
    for (let i = 0; i < JS_OPS; i++) { writeKey(c, kdv, cursor++, false); bpf.bpf_map_lookup_elem(fd, key, out); }
  });
  jsTasks.set(`js update ${c.map}`, () => {
    for (let i = 0; i < JS_OPS; i++) { writeKey(c, kdv, cursor++, true); bpf.bpf_map_update_elem(fd, key, v, 0); }
  });
}

interface Row { c: Case; jitL: number[]; jitU: number[]; jsL: number[]; jsU: number[]; kL: number[]; kU: number[] }
const rows: Row[] = CASES.map((c) => ({ c, jitL: [], jitU: [], jsL: [], jsU: [], kL: [], kU: [] }));
let skipReason: string | undefined;
const kargs = [OBJECT, ...progs.flatMap((p) => ['--prog', p]), ...CASES.flatMap((c) => ['--fill', `${c.map}=${c.entries}`]),
  '--repeat', String(KERNEL_REPEAT), '--trials', String(KERNEL_TRIALS)];

for (let round = 0; round < rounds; round++) {
  const b = new Bench({ time: BENCH_MS, warmup: true, warmupTime: 100, now: cpuNowMs });
  for (const [n, fn] of tasks) b.add(n, fn);
  for (const [n, fn] of jsTasks) b.add(n, fn);
  await b.run();
  const p50 = (name: string): number => ((b.tasks.find((t) => t.name === name)!.result as unknown as { latency?: { p50?: number } }).latency?.p50 ?? NaN) * 1e6;
  const k = kernelBench(kargs);
  if (!k.ok) skipReason = k.reason;
  const kmed = (name: string): number => (k.ok ? median(k.run.programs.find((p) => p.name === name)!.trial_mean_ns) : NaN);
  for (const r of rows) {
    const bj = p50(base(r.c));
    r.jitL.push((p50(`lookup_${r.c.map}`) - bj) / (RUNS * N_OPS));
    r.jitU.push((p50(`update_${r.c.map}`) - bj) / (RUNS * N_OPS));
    r.jsL.push(p50(`js lookup ${r.c.map}`) / JS_OPS);
    r.jsU.push(p50(`js update ${r.c.map}`) / JS_OPS);
    const bk = kmed(base(r.c));
    r.kL.push((kmed(`lookup_${r.c.map}`) - bk) / N_OPS);
    r.kU.push((kmed(`update_${r.c.map}`) - bk) / N_OPS);
  }
  console.error(`round ${round + 1}/${rounds} done`);
}

const f = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '–');
const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0.5 ? `${(a / b).toFixed(1)}×` : '–');
console.log(`ns per operation; ${N_OPS} operations per program run; median of ${rounds} round(s)`);
console.log('| map | lookup, JIT code | lookup, JS API | lookup, kernel | JIT / kernel | update, JIT code | update, JS API | update, kernel | JIT / kernel |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const [jl, sl, kl, ju, su, ku] = [r.jitL, r.jsL, r.kL, r.jitU, r.jsU, r.kU].map(median) as [number, number, number, number, number, number];
  console.log(`| ${r.c.label} | ${f(jl)} | ${f(sl)} | ${f(kl)} | ${ratio(jl, kl)} | ${f(ju)} | ${f(su)} | ${f(ku)} | ${ratio(ju, ku)} |`);
}
if (skipReason) console.log(`kernel figures skipped: ${skipReason}`);
