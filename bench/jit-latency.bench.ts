/**
 * JIT load latency (compile + instantiate), warm: each size is compiled
 * repeatedly for 2 s before 2 s of timed compilations; prints the median and
 * the 10th percentile. Run: npm run build && node dist/bench/jit-latency.bench.js
 */
import { assemble, makeProgram, type Program } from '../src/isa/index.js';
import { Machine } from '../src/runtime/machine.js';
import { compileProgram, instantiate, type CompileOptions } from '../src/jit/index.js';

const WARM_MS = 2000, TIMED_MS = 2000;
const m = new Machine();

/** n instructions: ALU, stack loads and forward branches in turn. */
function program(n: number): Program {
  const lines: string[] = [];
  for (let i = 0; i < n - 2; i++) {
    lines.push(i % 3 === 0 ? `add %r${i % 6}, ${i}` : i % 3 === 1 ? `ldxdw %r1, [%r10-${8 * (1 + (i % 60))}]` : `jgt %r2, ${i}, +1`);
  }
  lines.push('mov %r0, 0', 'exit');
  return makeProgram(assemble(lines.join('\n')));
}

const modes: Array<[string, CompileOptions]> = [
  ['sandboxed', { unverified: true }], ['verified', { verified: true }], ['verified, no budget', { verified: true, budget: false }],
];
const rows: Array<Record<string, string>> = [];
for (const n of [10, 100, 1000, 4000]) {
  const p = program(n);
  for (const [mode, opts] of modes) {
    const load = () => instantiate(compileProgram(p, { helpers: m.helpers, layout: m.layout, cache: false, ...opts }),
      { memory: m.memory, layout: m.layout, helpers: m.helpers, helperRuntime: m });
    const t0 = performance.now();
    while (performance.now() - t0 < WARM_MS) load();
    const times: number[] = [];
    const t1 = performance.now();
    while (performance.now() - t1 < TIMED_MS) { const t = performance.now(); load(); times.push(performance.now() - t); }
    times.sort((a, b) => a - b);
    rows.push({ program: `${n} insns (${mode})`, 'median ms': times[times.length >> 1]!.toFixed(3), 'p10 ms': times[Math.floor(times.length / 10)]!.toFixed(3), runs: String(times.length) });
  }
}
console.table(rows);
