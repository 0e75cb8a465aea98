/**
 * Kernel differential for the skb program types: the corpus of
 * test/kernel/skb-cases.ts run by this engine must give the kernel's
 * BPF_PROG_TEST_RUN results byte for byte (errno, retval, data_out, ctx_out).
 * The stored kernel results always run; the live comparison runs whenever
 * bpf() works, and must run under root.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { allCases, type SkbCase } from './kernel/skb-cases.js';
import { bpfWorks, buildKernelHelper, expand, runKernel, runOurs, type RunResult } from './kernel/skb-kernel.js';

const cases = allCases();
const ours = new Map<string, RunResult>(cases.map((c) => [c.id, runOurs(c)]));

function compare(expected: Map<string, RunResult>, label: string): number {
  const bad: string[] = [];
  let n = 0;
  for (const c of cases) {
    const k = expected.get(c.id);
    if (!k) continue;
    n++;
    const o = ours.get(c.id)!;
    const what = ['errno', 'retval', 'data_out', 'ctx_out'].filter((_, i) => k[i] !== o[i]);
    if (what.length) bad.push(`${c.id}: ${what.map((w) => `${w} kernel ${k[['errno', 'retval', 'data_out', 'ctx_out'].indexOf(w)]} ours ${o[['errno', 'retval', 'data_out', 'ctx_out'].indexOf(w)]}`).join('; ')}`);
  }
  process.stdout.write(`\nNOTE: skb differential (${label}): ${n - bad.length}/${n} cases identical\n`);
  assert.ok(n > 0, `no ${label} cases ran`);
  assert.equal(bad.slice(0, 20), [], `${bad.length} mismatches`);
  return n;
}

test('stored kernel results: every case identical', () => {
  const stored = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/skb/kernel-results.json'), 'utf8')) as { results: Record<string, RunResult> };
  const byId = new Map(cases.map((c) => [c.id, c]));
  const n = compare(new Map(Object.entries(stored.results).filter(([id]) => byId.has(id)).map(([id, r]) => [id, expand(byId.get(id)!, r)])), 'stored');
  assert.is(n, cases.length, 'stored results cover the corpus (regenerate: node dist/test/kernel/skb-regen.js)');
});

test('live kernel: every case identical', () => {
  const root = process.getuid?.() === 0;
  const helper = buildKernelHelper();
  if (!helper || !bpfWorks(helper)) {
    assert.ok(!root, 'running as root but bpf() does not work (or gcc is missing): the live comparison must run');
    process.stdout.write('\nSKIP: skb live kernel differential: bpf() is not available (needs root)\n');
    return;
  }
  const { results, loadErrors } = runKernel(helper, cases as SkbCase[]);
  assert.equal([...loadErrors], [], 'the kernel loads every program');
  compare(results, 'live kernel');
});

test.run();
