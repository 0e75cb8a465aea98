// Differential test: seeded random programs through the JIT and the reference interpreter,
// compared on r0, trap kind and pc, executed-instruction count and the whole memory.
// JIT_DIFF_PROGRAMS=n for a longer run, JIT_DIFF_SEED=s to start elsewhere.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Interpreter } from '../src/interpreter/interpreter.js';
import { Machine } from '../src/runtime/machine.js';
import { HelperRegistry } from '../src/helpers/table.js';
import { registerCoreHelpers } from '../src/helpers/core.js';
import { ExecutionError } from '../src/diagnostics/index.js';
import { INSTRUCTION_SET, type Program } from '../src/isa/index.js';
import { compileProgram, instantiate } from '../src/jit/index.js';
import type { RunRegions } from '../src/runtime/layout.js';
import { Generator, type Features, type GenProgram } from './jit-gen.js';

const PROGRAMS = Number(process.env.JIT_DIFF_PROGRAMS ?? 10000);
const SEED = Number(process.env.JIT_DIFF_SEED ?? 1);
const LAYOUT = { packetCapacity: 4096, heapBytes: 65536 };
const CTX_SIZE = 24;
const VALIDATE = process.env.JIT_DIFF_VALIDATE === '1';

interface Outcome { r0?: bigint; trap?: string; executed?: number; memory: Uint8Array }

/** Core helpers only: program-type helpers (XDP's adjust_*) need a program-type run around them. */
function newMachine(seed: number): Machine {
  return new Machine({ ...LAYOUT, seed, helpers: registerCoreHelpers(new HelperRegistry()) });
}

function regionsOf(m: Machine, data: Uint8Array): RunRegions {
  const a = m.area(0);
  return m.regions(0, a.packetData, a.packetData + data.length, CTX_SIZE);
}
function describe(e: unknown): string {
  if (e instanceof ExecutionError) return `${e.codeName}@${e.pc}`;
  throw e;
}

function runInterpreter(g: GenProgram, seed: number): Outcome {
  const m = newMachine(seed);
  const a = m.area(0);
  new Uint8Array(m.memory.buffer).set(g.data, a.packetData);
  let interp: Interpreter;
  try {
    interp = new Interpreter(g.program, m, { unverified: true, budget: g.budget });
  } catch (e) {
    return { trap: describe(e), memory: new Uint8Array(m.memory.buffer) };
  }
  try {
    const lo = interp.run(0, { r1: a.packetData, r2: g.data.length, regions: regionsOf(m, g.data) });
    return { r0: interp.r0(lo), executed: interp.executed, memory: new Uint8Array(m.memory.buffer) };
  } catch (e) {
    return { trap: describe(e), memory: new Uint8Array(m.memory.buffer) };
  }
}

/**
 * The JIT's outcome; `verified` compiles the program as code the verifier accepted (no region checks:
 * only for programs whose sandboxed run made no invalid access), keeping the budget so that a
 * miscompiled loop cannot hang the test.
 */
function runJit(g: GenProgram, seed: number, verified = false): Outcome {
  const m = newMachine(seed);
  const a = m.area(0);
  new Uint8Array(m.memory.buffer).set(g.data, a.packetData);
  let inst;
  try {
    const mode = verified ? { verified: true } : { unverified: true };
    const c = compileProgram(g.program, { helpers: m.helpers, layout: m.layout, ...mode, budget: g.budget, cache: false, validate: VALIDATE });
    inst = instantiate(c, { memory: m.memory, layout: m.layout, helpers: m.helpers, helperRuntime: m });
  } catch (e) {
    return { trap: describe(e), memory: new Uint8Array(m.memory.buffer) };
  }
  inst.setRegions(regionsOf(m, g.data));
  try {
    const r0 = inst.run(a.packetData, g.data.length);
    return { r0, executed: Number(BigInt(g.budget) - inst.remaining()), memory: new Uint8Array(m.memory.buffer) };
  } catch (e) {
    return { trap: describe(e), memory: new Uint8Array(m.memory.buffer) };
  }
}

function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (Buffer.compare(a, b) === 0) return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function dump(p: Program): string {
  return p.instructions.map((i) => `${i.pc}: ${i.spec.name} dst=${i.dst} src=${i.src} off=${i.off} imm=${i.imm}${i.immHi !== undefined ? ` hi=${i.immHi}` : ''}`).join('\n');
}

test(`JIT and interpreter agree on ${PROGRAMS} random programs`, () => {
  // The core helpers (clocks, random numbers, CPU ids) work in any run; program-type helpers need their context.
  const helperIds = [...registerCoreHelpers(new HelperRegistry()).all()].filter((h) => h.impl).map((h) => h.id);
  const gen = new Generator(SEED, { layout: new Machine(LAYOUT).layout, helperIds });
  const counts = new Map<string, number>();
  const feat: Record<keyof Features | 'budgetTrap', number> = { loop: 0, localCall: 0, atomic: 0, regionEdge: 0, divZero: 0, irreducible: 0, budgetTrap: 0 };
  const outcomes = new Map<string, number>();
  const diffs: string[] = [];
  let verifiedRuns = 0;
  const t0 = Date.now();
  for (let n = 0; n < PROGRAMS; n++) {
    const g = gen.generate();
    for (const [k, v] of g.specCounts) counts.set(k, (counts.get(k) ?? 0) + v);
    for (const k of Object.keys(g.features) as (keyof Features)[]) if (g.features[k]) feat[k]++;
    const i = runInterpreter(g, n), j = runJit(g, n);
    const kind = i.trap ? i.trap.split('@')[0]! : 'ok';
    outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
    if (kind === 'InstructionBudgetExhausted') feat.budgetTrap++;
    const problems: string[] = [];
    if (i.trap !== j.trap) problems.push(`trap: interpreter ${i.trap ?? 'none'}, jit ${j.trap ?? 'none'}`);
    if (i.r0 !== j.r0) problems.push(`r0: interpreter ${i.r0?.toString(16)}, jit ${j.r0?.toString(16)}`);
    if (!i.trap && i.executed !== j.executed) problems.push(`executed: interpreter ${i.executed}, jit ${j.executed}`);
    const d = firstDiff(i.memory, j.memory);
    if (d >= 0) problems.push(`memory differs at 0x${d.toString(16)}: interpreter ${i.memory[d]}, jit ${j.memory[d]}`);
    // Programs that ran to their end inside the sandbox made only valid accesses: the verified codegen
    // (unchecked addresses, memarg offsets) must give the same result. callx is unverified-only.
    if (!i.trap && !g.program.instructions.some((x) => x.spec.unverifiedOnly)) {
      verifiedRuns++;
      const v = runJit(g, n, true);
      if (v.trap !== undefined) problems.push(`verified jit: trap ${v.trap}`);
      if (v.r0 !== i.r0) problems.push(`verified jit r0: interpreter ${i.r0?.toString(16)}, jit ${v.r0?.toString(16)}`);
      if (v.executed !== i.executed) problems.push(`verified jit executed: interpreter ${i.executed}, jit ${v.executed}`);
      const dv = firstDiff(i.memory, v.memory);
      if (dv >= 0) problems.push(`verified jit: memory differs at 0x${dv.toString(16)}: interpreter ${i.memory[dv]}, jit ${v.memory[dv]}`);
    }
    if (problems.length > 0) {
      diffs.push(`program ${n} (seed ${SEED}, budget ${g.budget}, data ${g.data.length} B): ${problems.join('; ')}`);
      if (diffs.length <= 3) console.log(`${diffs[diffs.length - 1]}\n${dump(g.program)}\n`);
    }
  }
  const ms = Date.now() - t0;
  const pct = (x: number) => `${(100 * x / PROGRAMS).toFixed(1)}%`;
  console.log(`NOTE: ${PROGRAMS} programs in ${ms} ms, ${diffs.length} differences; outcomes ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; ${verifiedRuns} also compiled as verified code`);
  console.log(`NOTE: features ${Object.entries(feat).map(([k, v]) => `${k} ${pct(v)}`).join(', ')}`);
  assert.equal(diffs.slice(0, 20), [], `${diffs.length} differences`);
  // The generator checks its own coverage.
  if (PROGRAMS >= 10000) {
    const thin = INSTRUCTION_SET.filter((s) => (counts.get(s.name) ?? 0) < 100).map((s) => `${s.name}: ${counts.get(s.name) ?? 0}`);
    assert.equal(thin, [], 'every instruction variant at least 100 times');
    for (const [k, v] of Object.entries(feat)) assert.ok(v >= 0.2 * PROGRAMS, `${k} in ${pct(v)} of programs (want >= 20%)`);
    assert.ok(verifiedRuns >= 0.2 * PROGRAMS, `verified codegen compared on ${pct(verifiedRuns)} of programs (want >= 20%)`);
  }
});

test.run();
