// Differential test: the verifier against the kernel's verdicts on the corpus
// (test/fixtures/verifier/corpus.json, labelled by scripts/label-verifier-corpus.py).
// VERIFIER_REPORT=1 prints every disagreement.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify, type VerifierMap } from '../src/verifier/index.js';
import type { ProgramTypeName } from '../src/programs/types.js';

interface Entry { name: string; family: string; type: ProgramTypeName; license: string; maps: VerifierMap[]; hex: string; funcInfo?: number[] }
interface Label { ok: boolean; error: string; processed: number | null }

const dir = join(process.cwd(), 'test', 'fixtures', 'verifier');
const corpus: Entry[] = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8'));
const labels: Record<string, Label> = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')).labels;

export function bytesOf(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
}

interface Tally { n: number; agree: number; acc: number; accAgree: number; rej: number; rejAgree: number; msg: number }
const tally = (): Tally => ({ n: 0, agree: 0, acc: 0, accAgree: 0, rej: 0, rejAgree: 0, msg: 0 });
const total = tally();
const families = new Map<string, Tally>();
const falseAccepts: string[] = [];
const report: string[] = [];

for (const p of corpus) {
  const label = labels[p.name];
  if (!label) continue;
  const r = verify(bytesOf(p.hex), { type: p.type, maps: p.maps, license: p.license, logLevel: 0, funcInfo: p.funcInfo?.map((insnOff) => ({ insnOff })) });
  const f = families.get(p.family) ?? tally();
  families.set(p.family, f);
  for (const t of [total, f]) {
    t.n++;
    if (label.ok) { t.acc++; if (r.ok) t.accAgree++; } else { t.rej++; if (!r.ok) t.rejAgree++; }
    if (r.ok === label.ok) t.agree++;
    if (!label.ok && !r.ok && r.error!.message === label.error) t.msg++;
  }
  if (!label.ok && r.ok) falseAccepts.push(p.name);
  if (r.ok !== label.ok) report.push(`VERDICT ${p.name}: kernel ${label.ok ? 'accepts' : `rejects "${label.error}"`}, we ${r.ok ? 'accept' : `reject "${r.error!.message}" at ${r.error!.pc}`}`);
  else if (!label.ok && r.error!.message !== label.error) report.push(`MESSAGE ${p.name}: kernel "${label.error}", we "${r.error!.message}" at ${r.error!.pc}`);
}

const pct = (a: number, b: number): string => (b ? ((100 * a) / b).toFixed(1) : '100.0');
console.log(`NOTE: verifier corpus: ${total.n} programs, ${total.acc} accepted by the kernel; agreement ${pct(total.agree, total.n)}% ` +
  `(accepts ${pct(total.accAgree, total.acc)}%, rejects ${pct(total.rejAgree, total.rej)}%), first error line match ${pct(total.msg, total.rej)}%`);
for (const [name, t] of [...families].sort()) {
  console.log(`NOTE:   ${name.padEnd(11)} ${String(t.n).padStart(4)} programs  agreement ${pct(t.agree, t.n).padStart(5)}%  accepts ${pct(t.accAgree, t.acc).padStart(5)}%  rejects ${pct(t.rejAgree, t.rej).padStart(5)}%  messages ${pct(t.msg, t.rej).padStart(5)}%`);
}
if (process.env.VERIFIER_REPORT) for (const l of report) console.log(l);

test('the corpus is large and balanced', () => {
  assert.ok(total.n >= 600, `${total.n} programs`);
  assert.ok(total.acc / total.n >= 0.4, 'at least 40% accepted by the kernel');
});

test('no program the kernel rejects is accepted', () => {
  assert.equal(falseAccepts, []);
});

test('verdict agreement ≥ 97% overall and ≥ 90% per family on accepts and rejects', () => {
  assert.ok(total.agree / total.n >= 0.97, `overall ${pct(total.agree, total.n)}%`);
  for (const [name, t] of families) {
    assert.ok(t.acc === 0 || t.accAgree / t.acc >= 0.9, `${name} accepts ${pct(t.accAgree, t.acc)}%`);
    assert.ok(t.rej === 0 || t.rejAgree / t.rej >= 0.9, `${name} rejects ${pct(t.rejAgree, t.rej)}%`);
  }
});

test('first error line matches the kernel on ≥ 80% of rejections', () => {
  assert.ok(total.msg / total.rej >= 0.8, `${pct(total.msg, total.rej)}%`);
});

test.run();
