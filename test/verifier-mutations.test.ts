// Differential test: the verifier against the kernel's verdicts on seeded
// mutations of the example objects (test/fixtures/verifier/mutations.json from
// scripts/gen-verifier-mutations.mjs, labelled by scripts/label-verifier-mutations.py).
// VERIFIER_REPORT=1 prints every disagreement.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify, type VerifierMap } from '../src/verifier/index.js';
import type { ProgramTypeName } from '../src/programs/types.js';

interface Entry {
  name: string; example: string; program: string; kind: string; mutation: string;
  type: ProgramTypeName; license: string; maps: VerifierMap[]; hex: string;
}
interface Label { ok: boolean; error: string; processed: number | null }

const dir = join(process.cwd(), 'test', 'fixtures', 'verifier');
// MUTATIONS=/tmp/m.json compares another generated set (labels in /tmp/m-labels.json).
const file = process.env.MUTATIONS ?? join(dir, 'mutations.json');
const entries: Entry[] = JSON.parse(readFileSync(file, 'utf8'));
const labels: Record<string, Label> = JSON.parse(readFileSync(file.replace(/\.json$/, '-labels.json'), 'utf8')).labels;

function bytesOf(hex: string): Uint8Array {
  return new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
}

interface Tally { n: number; agree: number; acc: number; accAgree: number; rej: number; rejAgree: number; msg: number }
const tally = (): Tally => ({ n: 0, agree: 0, acc: 0, accAgree: 0, rej: 0, rejAgree: 0, msg: 0 });
const total = tally();
const kinds = new Map<string, Tally>();
const falseAccepts: string[] = [];
const originals: string[] = [];
const report: string[] = [];
let unlabelled = 0;
let shallow = 0;

for (const p of entries) {
  const label = labels[p.name];
  if (!label) { unlabelled++; continue; }
  const r = verify(bytesOf(p.hex), { type: p.type, maps: p.maps, license: p.license, logLevel: 0 });
  if (p.kind === 'original') {
    originals.push(p.name);
    if (!r.ok || !label.ok) report.push(`ORIGINAL ${p.name} kernel ${label.ok} we ${r.ok}`);
    // Without liveness/precision pruning we walk more than the kernel, never less:
    // fewer means a path the kernel checks was skipped (an accept that proves little).
    else if (label.processed !== null && r.stats.processed < label.processed) report.push(`ORIGINAL ${p.name} walked ${r.stats.processed} insns, kernel ${label.processed}`);
  }
  if (label.ok && r.ok && label.processed !== null && r.stats.processed < label.processed) shallow++;
  const k = kinds.get(p.kind) ?? tally();
  kinds.set(p.kind, k);
  for (const t of [total, k]) {
    t.n++;
    if (label.ok) { t.acc++; if (r.ok) t.accAgree++; } else { t.rej++; if (!r.ok) t.rejAgree++; }
    if (r.ok === label.ok) t.agree++;
    if (!label.ok && !r.ok && r.error!.message === label.error) t.msg++;
  }
  if (!label.ok && r.ok) falseAccepts.push(`${p.name} (${p.mutation}): kernel "${label.error}"`);
  if (r.ok !== label.ok) report.push(`VERDICT ${p.name} (${p.mutation}): kernel ${label.ok ? 'accepts' : `rejects "${label.error}"`}, we ${r.ok ? 'accept' : `reject "${r.error!.message}" at ${r.error!.pc}`}`);
  else if (!label.ok && r.error!.message !== label.error) report.push(`MESSAGE ${p.name} (${p.mutation}): kernel "${label.error}", we "${r.error!.message}" at ${r.error!.pc}`);
}

const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '100.0');
console.log(`NOTE: verifier mutations: ${total.n} programs, ${total.acc} accepted by the kernel; agreement ${pct(total.agree, total.n)}% ` +
  `(accepts ${pct(total.accAgree, total.acc)}%, rejects ${pct(total.rejAgree, total.rej)}%), first error line match ${pct(total.msg, total.rej)}%; ` +
  `${shallow} accepted with fewer insns walked than the kernel`);
for (const [name, t] of [...kinds].sort()) {
  console.log(`NOTE:   ${name.padEnd(12)} ${String(t.n).padStart(4)} programs  agreement ${pct(t.agree, t.n).padStart(5)}%  accepts ${pct(t.accAgree, t.acc).padStart(5)}%  rejects ${pct(t.rejAgree, t.rej).padStart(5)}%  messages ${pct(t.msg, t.rej).padStart(5)}%`);
}
if (process.env.VERIFIER_REPORT) for (const l of report) console.log(l);

test('every mutation is labelled and the family is large enough', () => {
  assert.is(unlabelled, 0, 'run scripts/label-verifier-mutations.py');
  assert.ok(total.n - originals.length >= 100, `${total.n - originals.length} mutations`);
});

test('every example program is accepted by the kernel and by us, walking at least the kernel\'s insns', () => {
  assert.ok(originals.length >= 6, `${originals.length} originals`);
  assert.equal(report.filter((l) => l.startsWith('ORIGINAL')), []);
});

test('no program the kernel rejects is accepted', () => {
  assert.equal(falseAccepts, []);
});

test('verdict agreement ≥ 90%', () => {
  assert.ok(total.agree / total.n >= 0.9, `${pct(total.agree, total.n)}%`);
});

test.run();
