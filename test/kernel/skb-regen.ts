/**
 * Regenerates test/fixtures/skb/kernel-results.json from the running kernel
 * (needs root: bpf() with BPF_PROG_LOAD and BPF_PROG_TEST_RUN).
 *
 *   npm run build && node dist/test/kernel/skb-regen.js
 */
import { writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';
import { allCases } from './skb-cases.js';
import { bpfWorks, buildKernelHelper, compact, runKernel } from './skb-kernel.js';

const helper = buildKernelHelper();
if (!helper) throw new Error('gcc could not build test/kernel/skb-testrun.c');
if (!bpfWorks(helper)) throw new Error('bpf() does not work here (run as root on Linux)');
const cases = allCases();
const { results, loadErrors } = runKernel(helper, cases);
if (loadErrors.size) {
  for (const [p, e] of loadErrors) process.stderr.write(`kernel rejected ${p}: ${e}\n`);
  throw new Error(`${loadErrors.size} programs did not load`);
}
const stored = Object.fromEntries(cases.map((c) => [c.id, compact(c, results.get(c.id)!)]));
const out = { kernel: release(), cases: results.size, results: stored };
const file = join(ROOT, 'test/fixtures/skb/kernel-results.json');
writeFileSync(file, JSON.stringify(out, null, 0).replace(/\],"/g, '],\n"') + '\n');
process.stdout.write(`wrote ${results.size} kernel results (${release()}) to ${file}\n`);
