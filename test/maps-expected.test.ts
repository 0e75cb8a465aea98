// The stored kernel expectations (test/kernel/map-expected.json, regenerated
// by test/kernel/map-expected.gen.mjs as root): the same seeded scripts run on
// ebpf-wasm's maps must give the kernel's results. Needs no root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, generateOps, runOurs, compareResults, digestResults, type Kind } from './kernel/map-ops.js';
import { BAD_CASES } from './kernel/map-badinput.js';
import { newMaps, ROOT } from './kernel/map-setup.js';

interface Expected { seed: number; n: number; ncpus: number; kernel: string; kinds: Record<string, string[]>; bad: Record<string, string[]> }
const exp = JSON.parse(readFileSync(join(ROOT, 'test', 'kernel', 'map-expected.json'), 'utf8')) as Expected;
let total = 0;

for (const kind of KINDS) {
  test(`${kind}: matches the stored kernel ${exp.kernel} results`, () => {
    const want = exp.kinds[kind];
    assert.ok(want, `no stored results for ${kind}: regenerate map-expected.json`);
    const ops = generateOps(kind as Kind, exp.seed, exp.n, exp.ncpus);
    const ours = digestResults(ops, runOurs(newMaps(exp.ncpus), ops));
    const { mismatches } = compareResults(kind as Kind, ops, ours, want!);
    total += ops.length;
    assert.equal(mismatches.slice(0, 5), [], `${mismatches.length} results differ`);
  });
}

test('bad input: stored kernel errnos', () => {
  const bad: string[] = [];
  for (const c of BAD_CASES) {
    const want = exp.bad[c.name];
    if (!want) { bad.push(`${c.name}: not in map-expected.json`); continue; }
    const ours = runOurs(newMaps(exp.ncpus), c.ops);
    for (const m of compareResults('hash', c.ops, ours, want).mismatches) bad.push(`${c.name}: ${m.op} ours ${m.ours} kernel ${m.kernel}`);
  }
  assert.equal(bad, []);
});

test('summary', () => {
  console.log(`\nNOTE: compared ${total} operations with stored kernel results`);
});

test.run();
