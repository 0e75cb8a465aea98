// bpf_loop and bpf_for_each_map_elem (BPF_PSEUDO_FUNC callbacks) in both tiers against the kernel: a clang
// object (test/fixtures/callbacks) summing packet bytes with bpf_loop (to the end of the packet, stopped
// early, nr_loops 0, from the packet, flags != 0, too many loops) and map elements of an array and a hash
// (all, stopped early, flags != 0). Expectations: test/fixtures/callbacks/kernel.json
// (scripts/callbacks-expectations.mjs); as root the test also runs the live kernel through test/kernel/oracle.c.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject, type BpfObject } from '../src/object/object.js';
import { assertLiveTestRuns } from './kernel/live-test-run.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { BPF_MAX_LOOPS, callbackTable } from '../src/runtime/callbacks.js';
import { ExecutionError } from '../src/diagnostics/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OBJECT = 'test/fixtures/callbacks/callbacks.o';
interface Case { name: string; prog: string; data: string; kernel: string }
const expected = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'callbacks', 'kernel.json'), 'utf8')) as { cases: Case[] };
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const bytes = new Uint8Array(readFileSync(join(ROOT, OBJECT)));
await loadTier('jit');

const MODES: Array<[TierName, boolean]> = [['interpreter', false], ['jit', false]];
const label = (tier: TierName, unverified: boolean): string => `${tier} (${unverified ? 'sandboxed' : 'verified'})`;
const load = (tier: TierName, unverified: boolean, budget?: number): BpfObject => loadObject(bytes, { kernels, tier, unverified, budget });

/** What the oracle prints for a test run, without the duration. */
function engineOutput(obj: BpfObject, c: Case): string {
  const r = obj.program(c.prog).loaded.testRun({ data: Buffer.from(c.data, 'hex') });
  return `retval: ${r.retval}\ndata_out: ${Buffer.from(r.dataOut).toString('hex')}\n`;
}
const retval = (c: Case): number => Number(/retval: (\d+)/.exec(c.kernel)![1]);
const byName = (n: string): Case => expected.cases.find((c) => c.name === n)!;

test('the kernel expectations say what the fixture means', () => {
  // loop_stop: 5 calls, bpf_loop returns 5, sum 1+2+3+4+5
  assert.is(retval(byName('loop-stop')), 15 + (5 << 16) + (5 << 24));
  assert.is(retval(byName('loop-zero')), 0);
  assert.is(retval(byName('loop-flags')), (2 ** 32) - 22, '-EINVAL, no call');
  assert.is(retval(byName('loop-e2big')), (2 ** 32) - 7, `-E2BIG above ${BPF_MAX_LOOPS}`);
  assert.is(retval(byName('loop-count-200')), 200 + (200 << 16));
  // array: values 1, 4, ..., 22 (sum 92), keys 0..7 (sum 28), 8 elements
  assert.is(retval(byName('each-array')), 92 + (28 << 8) + (8 << 16) + (8 << 24));
  assert.is(retval(byName('each-array-stop')), 12 + (3 << 8) + (3 << 16) + (3 << 24));
  // hash: keys 10..14 (sum 60), values 2k (sum 120)
  assert.is(retval(byName('each-hash')), 120 + (60 << 8) + (5 << 16) + (5 << 24));
  assert.is(retval(byName('each-hash-stop')), 2 + (2 << 8));
  assert.is(retval(byName('each-flags')), (2 ** 32) - 22);
});

test('every program verifies and names its callbacks through the shared table', () => {
  const obj = load('interpreter', false);
  for (const c of expected.cases) {
    const p = obj.program(c.prog).loaded;
    assert.ok(callbackTable(p.program).length >= 1, c.prog);
  }
});

for (const [tier, unverified] of MODES) {
  test(`${label(tier, unverified)}: every case as the kernel ran it`, () => {
    const obj = load(tier, unverified);
    let ran = 0;
    for (const c of expected.cases) { assert.is(engineOutput(obj, c), c.kernel, c.name); ran++; }
    console.log(`\nNOTE: ${ran} callback cases matched the stored kernel results in ${label(tier, unverified)}`);
  });
}

test('sandboxed (both tiers): bpf_loop cases as the kernel ran them; a for_each key outside the regions traps alike', () => {
  for (const tier of ['interpreter', 'jit'] as const) {
    const obj = load(tier, true);
    let ran = 0;
    for (const c of expected.cases) {
      if (c.prog.startsWith('loop_') || c.prog === 'each_flags') { assert.is(engineOutput(obj, c), c.kernel, `${tier} ${c.name}`); ran++; continue; }
      // the key copy lives in the CPU's helper scratch space, which is no sandbox region (see ../src/runtime/callbacks.ts)
      try {
        engineOutput(obj, c);
        assert.unreachable(`${tier} ${c.name}: read the key`);
      } catch (e) {
        assert.instance(e, ExecutionError, `${tier} ${c.name}: ${String(e)}`);
        assert.is((e as ExecutionError).codeName, 'MemoryAccessViolation', `${tier} ${c.name}`);
      }
    }
    console.log(`\nNOTE: ${ran} callback cases matched the stored kernel results in ${label(tier, true)}`);
  }
});

test('the instruction budget counts the callbacks\' instructions alike in both tiers', () => {
  const c = byName('loop-count-200');
  const trapsAt = (tier: TierName, budget: number): boolean => {
    try { engineOutput(load(tier, true, budget), c); return false; } catch (e) {
      assert.is((e as ExecutionError).codeName, 'InstructionBudgetExhausted', tier);
      return true;
    }
  };
  // find the smallest budget that runs to the end in the interpreter; the JIT must agree on both sides of it
  let lo = 1, hi = 100_000;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (trapsAt('interpreter', mid)) lo = mid + 1; else hi = mid; }
  assert.ok(lo > 200, `200 callback calls take more than 200 instructions (${lo})`);
  assert.is(trapsAt('jit', lo - 1), true, `jit traps at ${lo - 1}`);
  assert.is(trapsAt('jit', lo), false, `jit runs at ${lo}`);
});

test('the live kernel agrees (BPF_PROG_TEST_RUN through test/kernel/oracle.c)', () => {
  assertLiveTestRuns('callback', OBJECT, expected.cases);
});

test.run();
