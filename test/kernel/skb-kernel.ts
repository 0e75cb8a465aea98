/**
 * Runs the skb corpus in the kernel (BPF_PROG_LOAD + BPF_PROG_TEST_RUN through
 * the small C helper skb-testrun.c, built with gcc on first use) and in this
 * engine, in one result shape so the two compare byte for byte.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '../../src/isa/index.js';
import { LoadedProgram } from '../../src/runtime/test-run.js';
import { TestRunError } from '../../src/programs/skb.js';
import { ROOT } from '../support/paths.js';
import { kernelTypeId, toHex, type SkbCase } from './skb-cases.js';

/** errno of a rejected run (0: ran), retval, data_out and ctx_out as hex. */
export type RunResult = [err: number, retval: string, dataOut: string, ctxOut: string];

export function runOurs(c: SkbCase): RunResult {
  const p = new LoadedProgram(decode(c.bytes), { type: c.program.type, unverified: true });
  try {
    const r = p.testRun({ data: c.packet.data, ...(c.ctx.ctx ? { ctx: c.ctx.ctx } : {}), repeat: c.program.repeat ?? 1 });
    return [0, r.retval.toString(), toHex(r.dataOut), toHex(r.ctxOut ?? new Uint8Array(0))];
  } catch (e) {
    if (e instanceof TestRunError) return [e.errno, '0', '', ''];
    throw e;
  }
}

/**
 * The stored form of a result: data_out '=' when it equals data_in ('z': with
 * the Ethernet header zeroed; runs of zero bytes as .N.), ctx_out as
 * its non-zero 32-bit words `offset:hex` (most of __sk_buff stays zero).
 */
export function compact(c: SkbCase, r: RunResult): RunResult {
  const input = toHex(c.packet.data);
  // non-L2 types hand the frame back with its Ethernet header zeroed
  const data = r[2] === input ? '=' : r[2] === '0'.repeat(28) + input.slice(28) ? 'z'
    : r[2].replace(/(?:00){16,}/g, (z) => `.${z.length / 2}.`);
  const words: string[] = [];
  for (let i = 0; i < r[3].length; i += 8) if (r[3].slice(i, i + 8) !== '00000000') words.push(`${i / 2}:${r[3].slice(i, i + 8)}`);
  return [r[0], r[1], data, r[3] ? words.join(',') || '0' : ''];
}
export function expand(c: SkbCase, r: RunResult): RunResult {
  const input = toHex(c.packet.data);
  const data = r[2] === '=' ? input : r[2] === 'z' ? '0'.repeat(28) + input.slice(28)
    : r[2].replace(/\.(\d+)\./g, (_, n: string) => '00'.repeat(Number(n)));
  let ctx = '';
  if (r[3]) {
    const b = '0'.repeat(192 * 2).split('');
    if (r[3] !== '0') for (const w of r[3].split(',')) { const [o, h] = w.split(':'); b.splice(Number(o) * 2, 8, ...h!); }
    ctx = b.join('');
  }
  return [r[0], r[1], data, ctx];
}

/** Builds the C helper; null when gcc is missing. */
export function buildKernelHelper(): string | null {
  const out = join(mkdtempSync(join(tmpdir(), 'skb-testrun-')), 'skb-testrun');
  const r = spawnSync('gcc', ['-O1', '-o', out, join(ROOT, 'test/kernel/skb-testrun.c')], { encoding: 'utf8' });
  return r.status === 0 ? out : null;
}

export interface KernelRun { results: Map<string, RunResult>; loadErrors: Map<string, string> }

/** Runs the cases in the kernel; throws when the helper cannot run at all. */
export function runKernel(helper: string, cases: SkbCase[]): KernelRun {
  const lines: string[] = [];
  const order: (SkbCase | string)[] = [];
  let current = '';
  for (const c of cases) {
    if (c.program.name !== current) {
      current = c.program.name;
      lines.push(`prog ${kernelTypeId(c.program.type)} ${toHex(c.bytes)}`);
      order.push(current);
    }
    lines.push(`run ${toHex(c.packet.data)} ${c.ctx.ctx ? toHex(c.ctx.ctx) : '-'} ${c.program.repeat ?? 1}`);
    order.push(c);
  }
  const r = spawnSync(helper, [], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`skb-testrun failed: ${r.stderr}`);
  const outLines = r.stdout.split('\n');
  const results = new Map<string, RunResult>();
  const loadErrors = new Map<string, string>();
  let loadError: string | null = null;
  order.forEach((o, i) => {
    const l = outLines[i] ?? '';
    if (typeof o === 'string') { loadError = l.startsWith('prog ok') ? null : l; if (loadError) loadErrors.set(o, loadError); return; }
    if (loadError) return;
    const [, err, retval, data, ctx] = l.split(' ');
    const e = Number(err);
    results.set(o.id, e ? [e, '0', '', ''] : [0, retval!, data === '-' ? '' : data!, ctx === '-' ? '' : ctx!]);
  });
  return { results, loadErrors };
}

/** True when this process may call bpf(): the helper loads and runs a trivial program. */
export function bpfWorks(helper: string): boolean {
  const r = spawnSync(helper, [], { input: 'prog 3 b7000000000000009500000000000000\nrun ' + '00'.repeat(12) + '08064500 -\n', encoding: 'utf8' });
  return r.status === 0 && r.stdout.startsWith('prog ok') && r.stdout.includes('\nrun 0 ');
}
