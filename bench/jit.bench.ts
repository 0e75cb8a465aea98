/**
 * JIT vs interpreter, ns per packet (loop inside the measured function), in three JIT modes
 * (sandboxed; verified with the budget; verified without it, as the JIT tier runs verified code), and
 * JIT load latency (compile + instantiate, warm). Run:
 *   npm run build && node dist/bench/jit.bench.js
 * Times are process CPU time (the machine is shared). JIT_BENCH_ONLY=text keeps the per-packet cases whose
 * name contains text; JIT_BENCH_LATENCY=0 skips the load-latency table.
 */
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { assemble, decode, makeProgram, type Program } from '../src/isa/index.js';
import { Interpreter } from '../src/interpreter/interpreter.js';
import { Machine } from '../src/runtime/machine.js';
import { XDP_MD } from '../src/programs/context.js';
import { compileProgram, instantiate, type CompileOptions, type JitInstance } from '../src/jit/index.js';
import { CompiledExecutor } from '../src/jit/executor.js';
import { loadObject } from '../src/object/object.js';
import { loadTier } from '../src/runtime/tier.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { cpuNowMs } from './kernel/kernel.js';

const root = new URL('../../', import.meta.url);
const PER_SAMPLE = 10000;
const BATCH = 256;
const XDP_PASS = 2;

const PARSER = `
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 34
  jgt %r4, %r3, drop
  ldxh %r5, [%r2+12]
  be16 %r5
  jne %r5, 0x800, pass
  ldxb %r5, [%r2+23]
  jne %r5, 17, pass
  mov %r4, %r2
  add %r4, 42
  jgt %r4, %r3, drop
  ldxh %r5, [%r2+36]
  be16 %r5
  jeq %r5, 53, drop
  mov %r0, ${XDP_PASS}
  exit
drop:
  mov %r0, 1
  exit
pass:
  mov %r0, ${XDP_PASS}
  exit
`;
const RETURN_PASS = `mov %r0, ${XDP_PASS}\nexit\n`;

function asm(text: string): Program {
  return makeProgram(assemble(text));
}
function udpPacket(i: number): Uint8Array {
  const p = new Uint8Array(64);
  p[12] = 0x08; p[13] = 0x00; p[14] = 0x45; p[23] = 17; p[36] = 0; p[37] = i % 2 === 0 ? 53 : 80 + (i & 0x3f);
  return p;
}
function payload(): Uint8Array {
  const out = new Uint8Array(1500);
  for (let i = 0; i < out.length; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

const bench = new Bench({ time: 1000, warmup: true, warmupTime: 200, now: cpuNowMs });
/**
 * Sandboxed (unverified: region checks + budget), verified with the budget, and verified without it: what
 * the JIT tier runs for code the verifier accepted (the verifier proves termination).
 */
const MODES: Array<[string, CompileOptions]> = [
  ['sandboxed', { unverified: true }], ['verified', { verified: true }], ['verified, no budget', { verified: true, budget: false }],
];
const field = (n: string) => XDP_MD.fields.find((f) => f.name === n)!.offset;

function xdpCase(name: string, program: Program): void {
  const m = new Machine({ packetCapacity: 4096 });
  const a = m.area(0);
  const base = m.layout.heapBase;
  const bytes = new Uint8Array(m.memory.buffer);
  for (let i = 0; i < BATCH; i++) bytes.set(udpPacket(i), base + i * 64);
  const dv = new DataView(m.memory.buffer);
  dv.setUint32(a.ctx + field('data'), base, true);
  dv.setUint32(a.ctx + field('data_end'), base + 64, true);
  dv.setUint32(a.ctx + field('data_meta'), base, true);
  const regions = m.regions(0, base, base + 64, XDP_MD.size);
  const interp = new Interpreter(program, m, { unverified: true });
  const args = { r1: a.ctx, regions };
  bench.add(`${name}: interpreter (sandboxed)`, () => { for (let i = 0; i < PER_SAMPLE; i++) interp.run(0, args); });
  for (const [mode, opts] of MODES) {
    const c = compileProgram(program, { helpers: m.helpers, layout: m.layout, programType: 'xdp', ...opts });
    const inst: JitInstance = instantiate(c, { memory: m.memory, layout: m.layout, helpers: m.helpers, helperRuntime: m });
    inst.setRegions(regions);
    bench.add(`${name}: JIT run (${mode})`, () => { for (let i = 0; i < PER_SAMPLE; i++) inst.runU32(a.ctx); });
    // batch: descriptors and results in the CPU's scratch area
    const desc = a.scratch, res = a.scratch + BATCH * 8;
    for (let i = 0; i < BATCH; i++) { dv.setUint32(desc + i * 8, base + i * 64, true); dv.setUint32(desc + i * 8 + 4, 64, true); }
    bench.add(`${name}: JIT batch of ${BATCH} (${mode})`, () => { for (let i = 0; i < PER_SAMPLE / 10; i++) inst.runBatchAt(desc, BATCH, res); });
  }
}

function rawCase(name: string, program: Program, input: Uint8Array): void {
  const m = new Machine({ packetCapacity: 4096 });
  const a = m.area(0);
  new Uint8Array(m.memory.buffer).set(input, a.packetData);
  const regions = m.regions(0, a.packetData, a.packetData + input.length, 0);
  const interp = new Interpreter(program, m, { unverified: true });
  const args = { r1: a.packetData, r2: input.length, regions };
  bench.add(`${name}: interpreter (sandboxed)`, () => { for (let i = 0; i < PER_SAMPLE / 100; i++) interp.run(0, args); });
  for (const [mode, opts] of MODES) {
    const c = compileProgram(program, { helpers: m.helpers, layout: m.layout, ...opts });
    const inst = instantiate(c, { memory: m.memory, layout: m.layout, helpers: m.helpers, helperRuntime: m });
    inst.setRegions(regions);
    const want = interp.run(0, args);
    if (inst.runU32(a.packetData, input.length) !== want >>> 0) throw new Error(`${name}: JIT and interpreter disagree`);
    bench.add(`${name}: JIT run (${mode})`, () => { for (let i = 0; i < PER_SAMPLE / 100; i++) inst.runU32(a.packetData, input.length); });
  }
}

/**
 * The Ethernet/IPv4/UDP parser counting into an array map (bench/programs/parse_count.o), loaded as the
 * object loader loads it: verified, then run as the JIT tier runs verified code (no region checks, no
 * budget, array lookups inlined) next to the interpreter on the same verified program. The counters are
 * checked against the packets counted after the runs.
 */
async function objectCase(prog: string): Promise<void> {
  await loadTier('jit');
  const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
  const obj = loadObject(new Uint8Array(readFileSync(new URL('bench/programs/parse_count.o', root))),
    { name: 'parse_count', tier: 'jit', kernels, machineOptions: { packetCapacity: BATCH * 64 } });
  const p = obj.program(prog);
  const m = obj.machine;
  const a = m.area(0);
  const bytes = new Uint8Array(m.memory.buffer);
  for (let i = 0; i < BATCH; i++) bytes.set(udpPacket(i), a.packetData + i * 64);
  const dv = new DataView(m.memory.buffer);
  dv.setUint32(a.ctx + field('data'), a.packetData, true);
  dv.setUint32(a.ctx + field('data_end'), a.packetData + 64, true);
  dv.setUint32(a.ctx + field('data_meta'), a.packetData, true);
  const regions = m.regions(0, a.packetData, a.packetData + 64, XDP_MD.size);
  const interp = new Interpreter(p.loaded.program, m);
  const args = { r1: a.ctx, regions };
  const name = `UDP/IPv4 parser + array map (${prog})`;
  bench.add(`${name}: interpreter (verified)`, () => { for (let i = 0; i < PER_SAMPLE; i++) interp.run(0, args); });
  const inst = (p.loaded.executor as CompiledExecutor).instance(0);
  inst.setRegions(regions);
  bench.add(`${name}: JIT run (verified, no budget)`, () => { for (let i = 0; i < PER_SAMPLE; i++) inst.runU32(a.ctx); });
  const desc = a.scratch, res = a.scratch + BATCH * 8;
  for (let i = 0; i < BATCH; i++) { dv.setUint32(desc + i * 8, a.packetData + i * 64, true); dv.setUint32(desc + i * 8 + 4, 64, true); }
  bench.add(`${name}: JIT batch of ${BATCH} (verified, no budget)`, () => { for (let i = 0; i < PER_SAMPLE / 10; i++) inst.runBatchAt(desc, BATCH, res); });
  checks.push(() => {
    // every run counted one packet: the slots must add up to the runs made
    let total = 0n;
    for (const [, v] of obj.map('counts').entries()) total += new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
    if (total === 0n) throw new Error(`${name}: nothing counted`);
    for (let i = 0; i < BATCH; i++) if (dv.getUint32(res + i * 4, true) !== XDP_PASS) throw new Error(`${name}: batch result ${i} is not XDP_PASS`);
  });
}
const checks: Array<() => void> = [];

xdpCase('return XDP_PASS', asm(RETURN_PASS));
xdpCase('UDP/IPv4 parser', asm(PARSER));
await objectCase('count_atomic');
await objectCase('count_plain');
rawCase('checksum 1500 B loop', decode(new Uint8Array(readFileSync(new URL('examples/raw/checksum.bin', root)))), payload());

const only = process.env.JIT_BENCH_ONLY;
if (only) for (const t of [...bench.tasks]) if (!t.name.includes(only)) bench.remove(t.name);
await bench.run();
for (const check of checks) check();
const median = (t: (typeof bench.tasks)[number]): number => {
  const r = t.result as unknown as { latency?: { p50?: number }; median?: number };
  return r.latency?.p50 ?? r.median ?? NaN;
};
console.table(bench.tasks.map((t) => {
  const perSample = t.name.includes('batch') ? (PER_SAMPLE / 10) * BATCH : t.name.startsWith('checksum') ? PER_SAMPLE / 100 : PER_SAMPLE;
  return { case: t.name, 'ns/packet': ((median(t) * 1e6) / perSample).toFixed(1) };
}));

if (process.env.JIT_BENCH_LATENCY === '0') process.exit(0);
// Load latency: compile + instantiate a program of n instructions (ALU, stack loads, branches), warm.
const lat = new Bench({ time: 2000, warmup: true, warmupTime: 2000 });
const m = new Machine();
function straight(n: number): Program {
  const lines: string[] = [];
  for (let i = 0; i < n - 2; i++) {
    lines.push(i % 3 === 0 ? `add %r${i % 6}, ${i}` : i % 3 === 1 ? `ldxdw %r1, [%r10-${8 * (1 + (i % 60))}]` : `jgt %r2, ${i}, +1`);
  }
  lines.push('mov %r0, 0', 'exit');
  return asm(lines.join('\n'));
}
for (const n of [10, 100, 1000, 4000]) {
  const p = straight(n);
  const modes: Array<[string, CompileOptions]> = [
    ['sandboxed', { unverified: true }], ['verified', { verified: true }], ['verified, no budget', { verified: true, budget: false }],
  ];
  for (const [mode, opts] of modes) {
    lat.add(`${n} insns (${mode})`, () => {
      const c = compileProgram(p, { helpers: m.helpers, layout: m.layout, cache: false, ...opts });
      instantiate(c, { memory: m.memory, layout: m.layout, helpers: m.helpers, helperRuntime: m });
    });
  }
}
await lat.run();
console.table(lat.tasks.map((t) => ({ program: t.name, 'median ms': median(t).toFixed(3) })));
