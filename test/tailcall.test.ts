// bpf_tail_call in both tiers against the kernel: a clang object (test/fixtures/tailcall) with a
// dispatcher into 3 programs, an empty slot, an index out of range and a chain that hits the limit of
// 33 tail calls. Expectations: test/fixtures/tailcall/kernel.json (scripts/tailcall-expectations.mjs);
// as root the test also runs the live kernel through test/kernel/oracle.c.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject, type BpfObject } from '../src/object/object.js';
import { assertLiveTestRuns } from './kernel/live-test-run.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { MAP_MAX_ENTRIES_OFFSET, MAX_TAIL_CALLS } from '../src/runtime/tail-calls.js';
import { ExecutionError } from '../src/diagnostics/index.js';
import type { CompiledExecutor } from '../src/jit/executor.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OBJECT = 'test/fixtures/tailcall/tailcall.o';
interface Case { name: string; prog: string; data: string; kernel: string }
const expected = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'tailcall', 'kernel.json'), 'utf8')) as { cases: Case[] };
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const bytes = new Uint8Array(readFileSync(join(ROOT, OBJECT)));
await loadTier('jit');

const MODES: Array<[TierName, boolean]> = [['interpreter', false], ['interpreter', true], ['jit', false], ['jit', true]];
const label = (tier: TierName, unverified: boolean): string => `${tier} (${unverified ? 'sandboxed' : 'verified'})`;
const load = (tier: TierName, unverified: boolean, budget?: number): BpfObject => loadObject(bytes, { kernels, tier, unverified, budget });

/** What the oracle prints for a test run, without the duration. */
function engineOutput(obj: BpfObject, c: Case): string {
  const r = obj.program(c.prog).loaded.testRun({ data: Buffer.from(c.data, 'hex') });
  return `retval: ${r.retval}\ndata_out: ${Buffer.from(r.dataOut).toString('hex')}\n`;
}

test('the fixture covers the dispatcher, an empty slot, out of range and the 33-call limit', () => {
  const out = expected.cases.map((c) => c.kernel);
  assert.ok(out.some((o) => /data_out: 03ee/.test(o)), 'empty slot falls through');
  assert.ok(out.some((o) => /data_out: c8ee/.test(o)), 'out of range falls through');
  // byte 2 counts chain runs: 33 after dispatch's own tail call, 34 when chain is entered directly
  assert.ok(out.some((o) => new RegExp(`data_out: 0500${MAX_TAIL_CALLS.toString(16)}33`).test(o)), 'limit reached from dispatch');
  assert.ok(out.some((o) => new RegExp(`data_out: 0500${(MAX_TAIL_CALLS + 1).toString(16)}33`).test(o)), 'limit reached from chain');
});

for (const [tier, unverified] of MODES) {
  test(`${label(tier, unverified)}: every case as the kernel ran it`, () => {
    const obj = load(tier, unverified);
    for (const c of expected.cases) assert.is(engineOutput(obj, c), c.kernel, c.name);
  });
}

test('the instruction budget runs on across tail calls (sandboxed, both tiers)', () => {
  for (const tier of ['interpreter', 'jit'] as const) {
    // chain runs ~14 instructions 34 times; 100 instructions end it inside the chain
    const obj = load(tier, true, 100);
    const c = expected.cases.find((x) => x.name === 'chain-direct')!;
    try {
      engineOutput(obj, c);
      assert.unreachable(`${tier}: ran to the end`);
    } catch (e) {
      assert.instance(e, ExecutionError, `${tier}: ${String(e)}`);
      assert.is((e as ExecutionError).codeName, 'InstructionBudgetExhausted', tier);
    }
    // enough budget: the same result as the kernel
    assert.is(engineOutput(load(tier, true, 10_000), c), c.kernel, tier);
  }
});

test('JIT batch: tail calls inside the batch loop give every packet its kernel result', () => {
  for (const unverified of [false, true]) {
    const obj = load('jit', unverified);
    const prog = obj.program('dispatch').loaded;
    const dispatchCases = expected.cases.filter((c) => c.prog === 'dispatch');
    prog.testRun({ data: Buffer.from(dispatchCases[0]!.data, 'hex') }); // binds the XDP regions
    const inst = (prog.executor as CompiledExecutor).instance(0);
    const area = obj.machine.area(0);
    const mem = new Uint8Array(obj.machine.memory.buffer);
    const pairs = new Int32Array(dispatchCases.length * 2);
    const stride = 64;
    dispatchCases.forEach((c, i) => {
      const at = area.packetData + i * stride;
      mem.set(Buffer.from(c.data, 'hex'), at);
      pairs[2 * i] = at; pairs[2 * i + 1] = c.data.length / 2;
    });
    const results = inst.runBatch(pairs);
    dispatchCases.forEach((c, i) => {
      const at = area.packetData + i * stride;
      const got = `retval: ${results[i]! >>> 0}\ndata_out: ${Buffer.from(mem.subarray(at, at + c.data.length / 2)).toString('hex')}\n`;
      assert.is(got, c.kernel, `${c.name} (${unverified ? 'sandboxed' : 'verified'})`);
    });
  }
});

test('max_entries offset of a map header (the tail call reads it as the kernel JIT reads array->map.max_entries)', () => {
  const obj = load('interpreter', false);
  const jmp = obj.maps.get('jmp')!;
  assert.is(new DataView(obj.machine.memory.buffer).getUint32(jmp.handle + MAP_MAX_ENTRIES_OFFSET, true), jmp.maxEntries);
});

test('the live kernel agrees (BPF_PROG_TEST_RUN through test/kernel/oracle.c)', () => {
  assertLiveTestRuns('tail-call', OBJECT, expected.cases);
});

test.run();
