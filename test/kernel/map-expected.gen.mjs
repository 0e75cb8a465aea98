// Regenerates test/kernel/map-expected.json: the Linux kernel's results for
// the seeded map scripts and the bad-input cases, so test/maps-expected.test.ts
// can compare without root. Run as root after `npm run build`:
//   node test/kernel/map-expected.gen.mjs
import { writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { KINDS, generateOps, digestResults } from '../../dist/test/kernel/map-ops.js';
import { BAD_CASES } from '../../dist/test/kernel/map-badinput.js';
import { kernelHarness, runKernel, possibleCpus } from '../../dist/test/kernel/map-setup.js';

const SEED = 7, N = 2000;
const h = kernelHarness();
if (!h.ok) { console.error(`cannot run the kernel harness: ${h.reason}`); process.exit(1); }
const ncpus = possibleCpus();
const out = { generatedBy: 'test/kernel/map-expected.gen.mjs', kernel: execSync('uname -r').toString().trim(), seed: SEED, n: N, ncpus, kinds: {}, bad: {} };
for (const kind of KINDS) {
  const ops = generateOps(kind, SEED, N, ncpus);
  out.kinds[kind] = digestResults(ops, runKernel(h.harness, ops));
}
for (const c of BAD_CASES) out.bad[c.name] = runKernel(h.harness, c.ops);
writeFileSync(new URL('./map-expected.json', import.meta.url), JSON.stringify(out, null, 0) + '\n');
console.log(`wrote ${KINDS.length} scripts x ${N} ops and ${BAD_CASES.length} bad-input cases (kernel ${out.kernel}, ${ncpus} CPUs)`);
