// bpf(BPF_PROG_LOAD) semantics against the kernel: the attribute cases of
// test/fixtures/verifier/prog-load-cases.json with the kernel's errno,
// log_true_size and returned log (scripts/label-prog-load.py), and the errno of
// every rejection in the labelled verifier corpus and mutations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bpfProgLoad, type ProgLoadAttr } from '../src/runtime/prog-load.js';
import { verify, type VerifierMap } from '../src/verifier/index.js';
import { verifierErrno, VERIFIER_ERRNO } from '../src/verifier/errno.js';
import { loadHelpers } from '../src/runtime/verify-load.js';
import type { ProgramTypeName } from '../src/programs/types.js';
import { ROOT } from './support/paths.js';

interface Case {
  name: string; type: ProgramTypeName | number; hex: string; logLevel: number; logSize: number | 'true' | 'true-1';
  buf?: boolean; flags?: number; expectedAttachType?: number; kernVersion?: number; license?: string;
  funcInfo?: number[]; lineInfo?: number[];
}
interface KLabel { errno: number; logTrueSize: number; logSize: number; bufLen: number; first: string; last: string; error: string }
const dir = join(ROOT, 'test', 'fixtures', 'verifier');
const cases: Case[] = JSON.parse(readFileSync(join(dir, 'prog-load-cases.json'), 'utf8'));
const klabels: Record<string, KLabel> = JSON.parse(readFileSync(join(dir, 'prog-load-labels.json'), 'utf8')).labels;
const bytesOf = (hex: string): Uint8Array => new Uint8Array((hex.match(/../g) ?? []).map((h) => parseInt(h, 16)));
const STATS_LINE = /^processed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0$/;

function run(c: Case, size: number, withBuf: boolean): { r: ReturnType<typeof bpfProgLoad>; text: string } {
  const buf = withBuf ? new Uint8Array(size).fill(0xaa) : undefined;
  const attr: ProgLoadAttr = {
    progType: c.type, insns: bytesOf(c.hex), license: c.license ?? 'GPL', logLevel: c.logLevel, logSize: size,
    progFlags: c.flags, expectedAttachType: c.expectedAttachType, kernVersion: c.kernVersion,
    ...(buf ? { logBuf: buf } : {}),
    funcInfo: c.funcInfo?.map((insnOff) => ({ insnOff })),
    // the labeller names the BTF string "int" as every line's file and source text, line 1
    lineInfo: c.lineInfo?.map((insnOff) => ({ insnOff, source: 'int', fileName: 'int', line: 1 })),
  };
  const r = bpfProgLoad(attr);
  let text = '';
  if (buf && (r.ok || r.logTrueSize)) {
    const nul = buf.indexOf(0);
    assert.ok(nul >= 0 && nul < size, `${c.name}: log is NUL-terminated inside log_size`);
    text = new TextDecoder().decode(buf.subarray(0, nul));
  }
  return { r, text };
}

test('attribute cases: errno, log_true_size rules and the returned log match the kernel', () => {
  let compared = 0;
  for (const c of cases) {
    const k = klabels[c.name];
    assert.ok(k, `${c.name} unlabelled (rerun scripts/label-prog-load.py)`);
    let size = typeof c.logSize === 'number' ? c.logSize : 0;
    if (typeof c.logSize === 'string') size = run(c, 0, false).r.logTrueSize - (c.logSize === 'true-1' ? 1 : 0);
    const { r, text } = run(c, size, c.buf ?? size > 0);
    const errno = r.ok ? 0 : r.errno;
    assert.is(errno, k.errno, `${c.name}: errno ${errno} (${r.ok ? 'ok' : r.reason}), kernel ${k.errno}`);
    assert.is(r.logTrueSize === 0, k.logTrueSize === 0, `${c.name}: log_true_size ${r.logTrueSize}, kernel ${k.logTrueSize}`);
    const lines = text.split('\n').filter((l) => l);
    if (STATS_LINE.test(k.last)) assert.is(lines[lines.length - 1], k.last, `${c.name}: final statistics`);
    if (k.error && (k.errno === 13 || k.errno === 22)) assert.ok(lines.includes(k.error), `${c.name}: error line ${k.error}`);
    // fixed mode keeps the start, rotating mode the end, each NUL-terminated within log_size
    if (k.errno === 28) assert.is(text.length, k.bufLen, `${c.name}: bytes returned`);
    if (/fixed/.test(c.name) && k.errno === 28) assert.ok(k.first.startsWith(lines[0]!.slice(0, 5)), `${c.name}: fixed log keeps the start`);
    if (c.name === 'accept-level1') assert.is(r.logTrueSize, k.logTrueSize, 'an accepted program at level 1 logs only its statistics');
    compared++;
  }
  process.stdout.write(`\nNOTE: prog-load: ${compared} attribute cases agree with the kernel\n`);
});

test('a rejection whose log does not fit is ENOSPC, as in the kernel; without a buffer log_true_size still tells the size', () => {
  const insns = bytesOf('9500000000000000');
  const probe = bpfProgLoad({ progType: 'socket_filter', insns, license: 'GPL', logLevel: 1 });
  assert.ok(!probe.ok && probe.errnoName === 'EACCES' && probe.logTrueSize > 0);
  const buf = new Uint8Array(probe.logTrueSize - 1);
  const short = bpfProgLoad({ progType: 'socket_filter', insns, license: 'GPL', logLevel: 1, logBuf: buf });
  assert.ok(!short.ok && short.errnoName === 'ENOSPC' && short.logTrueSize === probe.logTrueSize);
  const exact = bpfProgLoad({ progType: 'socket_filter', insns, license: 'GPL', logLevel: 1, logBuf: new Uint8Array(probe.logTrueSize) });
  assert.ok(!exact.ok && exact.errnoName === 'EACCES' && exact.error?.message === 'R0 !read_ok');
  const ok = bpfProgLoad({ progType: 'xdp', insns: bytesOf('b7000000020000009500000000000000'), license: 'GPL' });
  assert.ok(ok.ok && ok.prog.type === 'xdp' && ok.prog.program.instructions.length === 2);
});

interface Entry { name: string; type: ProgramTypeName; license: string; maps: VerifierMap[]; hex: string; funcInfo?: number[] }
interface Label { ok: boolean; errno: number; error: string }

test('the errno of every rejection in the labelled corpus and mutations is the kernel\'s', () => {
  let n = 0, agree = 0;
  const wrong: string[] = [];
  for (const [progs, labels] of [['corpus.json', 'labels.json'], ['mutations.json', 'mutations-labels.json']] as const) {
    const entries: Entry[] = JSON.parse(readFileSync(join(dir, progs), 'utf8'));
    const ls: Record<string, Label> = JSON.parse(readFileSync(join(dir, labels), 'utf8')).labels;
    for (const e of entries) {
      const l = ls[e.name];
      // ENOSPC there is the labeller's 16 MiB log overflowing, not the verdict
      if (!l || l.ok || l.errno === VERIFIER_ERRNO.ENOSPC) continue;
      const r = verify(bytesOf(e.hex), { type: e.type, maps: e.maps, license: e.license, helpers: loadHelpers(), funcInfo: e.funcInfo?.map((insnOff) => ({ insnOff })) });
      if (r.ok) continue;
      n++;
      const ours = VERIFIER_ERRNO[verifierErrno(r.error!.message)];
      if (ours === l.errno) agree++; else wrong.push(`${e.name}: ours ${ours} (${r.error!.message}) kernel ${l.errno} (${l.error})`);
    }
  }
  const pct = (100 * agree / n).toFixed(1);
  process.stdout.write(`\nNOTE: prog-load errno: ${agree}/${n} rejections (${pct}%) get the kernel's errno\n`);
  if (process.env.VERIFIER_REPORT) process.stdout.write(wrong.join('\n') + '\n');
  assert.ok(agree / n >= 0.97, wrong.slice(0, 10).join('\n'));
});

test.run();
