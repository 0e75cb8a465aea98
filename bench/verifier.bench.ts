// Verification time of every example and test-object program (test/fixtures/verifier/objects.json):
// best and median of 20 verify() calls after a warm-up (best is steadier on a loaded machine),
// with the processed-instruction count.
// The kernel's side: sudo python3 scripts/verifier-kernel-times.py (BPF_PROG_LOAD at log level 4).
//
//     npm run build && node dist/bench/verifier.bench.js [name-filter]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify, type VerifierMap } from '../src/verifier/index.js';
import { loadHelpers } from '../src/runtime/verify-load.js';
import type { ProgramTypeName } from '../src/programs/types.js';

interface Entry { name: string; type: ProgramTypeName; license: string; maps: VerifierMap[]; funcInfo: number[]; hex: string }
const objects: Record<string, { programs: Entry[] }> = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'verifier', 'objects.json'), 'utf8')).objects;
const only = process.argv[2];
const RUNS = 20;
const helpers = loadHelpers();

console.log('| program | processed insns | our µs, best of 20 | our µs, median |');
console.log('|---|---|---|---|');
for (const [file, o] of Object.entries(objects)) {
  for (const p of o.programs) {
    const name = `${file.replace(/^.*\//, '').replace(/\.o$/, '')}:${p.name}`;
    if (only && !name.includes(only)) continue;
    const bytes = Buffer.from(p.hex, 'hex');
    const opts = { type: p.type, maps: p.maps, license: p.license, helpers, funcInfo: p.funcInfo.map((insnOff) => ({ insnOff })) };
    const first = verify(bytes, opts);
    if (!first.ok) continue;
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      verify(bytes, opts);
      times.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    const us = (t: number): string => Math.round(t).toLocaleString('en-US');
    console.log(`| ${name} | ${first.stats.processed} | ${us(times[0]!)} | ${us(times[RUNS >> 1]!)} |`);
  }
}
