/**
 * The skb corpus (test/kernel/skb-cases.ts: socket_filter, sched_cls/act,
 * cgroup_skb, lwt_* programs with ld_abs/ld_ind incl. SKF_NET_OFF/SKF_LL_OFF,
 * packet-moving helpers, ctx_in/ctx_out, repeat) in the JIT tier: every case
 * gives the interpreter's result and the kernel's stored result byte for byte
 * (errno, retval, data_out, ctx_out). Programs run unverified, as in the
 * interpreter's differential: the JIT's sandbox and budget are on.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { allCases, toHex, type SkbCase } from './kernel/skb-cases.js';
import { expand, runOurs, type RunResult } from './kernel/skb-kernel.js';
import { decode } from '../src/isa/index.js';
import { LoadedProgram } from '../src/runtime/test-run.js';
import { TestRunError } from '../src/programs/skb.js';
import { loadTier } from '../src/runtime/tier.js';

await loadTier('jit');

function runJit(c: SkbCase): RunResult {
  const p = new LoadedProgram(decode(c.bytes), { type: c.program.type, unverified: true, tier: 'jit' });
  assert.is(p.executor.tier, 'jit');
  try {
    const r = p.testRun({ data: c.packet.data, ...(c.ctx.ctx ? { ctx: c.ctx.ctx } : {}), repeat: c.program.repeat ?? 1 });
    return [0, r.retval.toString(), toHex(r.dataOut), toHex(r.ctxOut ?? new Uint8Array(0))];
  } catch (e) {
    if (e instanceof TestRunError) return [e.errno, '0', '', ''];
    throw e;
  }
}

test('skb corpus: JIT = interpreter = kernel (stored results), case by case', () => {
  const cases = allCases();
  const stored = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/skb/kernel-results.json'), 'utf8')) as { results: Record<string, RunResult> };
  const bad: string[] = [];
  const types = new Map<string, number>();
  let vsKernel = 0;
  for (const c of cases) {
    const jit = runJit(c);
    const interp = runOurs(c);
    if (jit.join('|') !== interp.join('|')) bad.push(`${c.id}: jit ${jit.join(' ')} interpreter ${interp.join(' ')}`);
    const k = stored.results[c.id];
    if (k) {
      vsKernel++;
      const want = expand(c, k);
      if (jit.join('|') !== want.join('|')) bad.push(`${c.id}: jit ${jit.join(' ')} kernel ${want.join(' ')}`);
    }
    types.set(c.program.type, (types.get(c.program.type) ?? 0) + 1);
  }
  process.stdout.write(`\nNOTE: skb corpus in the JIT tier: ${cases.length - bad.length}/${cases.length} cases identical to the interpreter, ${vsKernel} compared with the kernel; by type: ${[...types].map(([t, n]) => `${t} ${n}`).join(', ')}\n`);
  assert.ok(cases.length > 1000 && vsKernel === cases.length, 'the whole corpus ran against stored kernel results');
  assert.equal(bad.slice(0, 20), [], `${bad.length} differences`);
});

test.run();
