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
import { allCases, COMMON, CTXS, toHex, type ProgramCase, type SkbCase } from './kernel/skb-cases.js';
import { bpfWorks, buildKernelHelper, expand, runKernel, runOurs, type RunResult } from './kernel/skb-kernel.js';
import { assemble, decode, encode } from '../src/isa/index.js';
import { SKF_LL_OFF, SKF_NET_OFF } from '../src/runtime/layout.js';
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

/**
 * ld_abs/ld_ind below zero (linux/filter.h SKF_NET_OFF / SKF_LL_OFF): bytes
 * from the network or MAC header, refused before the buffer head or past the
 * packet, and offsets below SKF_LL_OFF. The skb corpus has none; these cases
 * compare both tiers with each other always and with the live kernel whenever
 * bpf() works (the three types that may use ld_abs).
 */
const NEG_SIZES = ['b', 'h', 'w'] as const;
const NEG_OFFSETS = [
  ...[0, 1, 9, 12, 16, 19, 20, 36, 40, 1000].map((k) => SKF_NET_OFF + k),
  ...[0, 6, 12, 13, 14, 26, 60].map((k) => SKF_LL_OFF + k),
  SKF_NET_OFF - 1, SKF_LL_OFF - 1, SKF_LL_OFF - 14, -1, -14,
];
function negativeCases(): SkbCase[] {
  const out: SkbCase[] = [];
  const packets = COMMON.filter((p) => ['ipv4-udp', 'ipv6-tcp', 'vlan-ipv4-udp', 'arp', 'eth-only', 'ipv4-short'].includes(p.name));
  for (const type of ['socket_filter', 'sched_cls', 'sched_act'] as const) {
    for (const sfx of NEG_SIZES) {
      // one program per offset and form: ld_abs, ld_ind through the register, ld_ind through imm
      const forms: [string, string][] = [
        ...NEG_OFFSETS.map((o, i): [string, string] => [`abs-${i}`, `mov %r6, %r1\nldabs${sfx} ${o}\nexit`]),
        ...NEG_OFFSETS.map((o, i): [string, string] => [`ind-reg-${i}`, `mov %r6, %r1\nmov %r7, ${o}\nldind${sfx} %r7, 0\nexit`]),
        ...NEG_OFFSETS.map((o, i): [string, string] => [`ind-imm-${i}`, `mov %r6, %r1\nmov %r7, 3\nldind${sfx} %r7, ${o - 3}\nexit`]),
      ];
      for (const [form, asm] of forms) {
        const program: ProgramCase = { name: `neg-${type}-${sfx}-${form}`, type, asm };
        const bytes = encode(assemble(asm));
        for (const packet of packets) {
          for (const ctx of [CTXS[0]!]) out.push({ id: `${program.name}/${packet.name}/${ctx.name}`, program, bytes, packet, ctx });
        }
      }
    }
  }
  return out;
}

test('ld_abs/ld_ind at SKF_NET_OFF/SKF_LL_OFF: JIT = interpreter, and = the live kernel', () => {
  const cases = negativeCases();
  const jit = new Map(cases.map((c) => [c.id, runJit(c)]));
  const bad: string[] = [];
  let loaded = 0;
  for (const c of cases) {
    const i = runOurs(c);
    if (i[1] !== '0') loaded++;
    if (jit.get(c.id)!.join('|') !== i.join('|')) bad.push(`${c.id}: jit ${jit.get(c.id)!.join(' ')} interpreter ${i.join(' ')}`);
  }
  // the offsets reach real header bytes, not only the out-of-range path
  assert.ok(loaded > cases.length / 4, `only ${loaded} of ${cases.length} runs returned a loaded value`);
  assert.equal(bad.slice(0, 20), [], `${bad.length} tier differences`);
  let kernelRan = 0;
  const root = process.getuid?.() === 0;
  const helper = buildKernelHelper();
  if (!helper || !bpfWorks(helper)) {
    assert.ok(!root, 'running as root but bpf() does not work (or gcc is missing): the live comparison must run');
    process.stdout.write('\nSKIP: negative-offset live kernel comparison: bpf() is not available (needs root)\n');
  } else {
    const { results, loadErrors } = runKernel(helper, cases);
    assert.equal([...loadErrors], [], 'the kernel loads every program');
    for (const c of cases) {
      const k = results.get(c.id);
      if (!k) continue;
      kernelRan++;
      if (k.join('|') !== jit.get(c.id)!.join('|')) bad.push(`${c.id}: jit ${jit.get(c.id)!.join(' ')} kernel ${k.join(' ')}`);
    }
    assert.is(kernelRan, cases.length, 'every case ran in the kernel');
  }
  process.stdout.write(`\nNOTE: negative ld_abs/ld_ind offsets: ${cases.length} runs, identical in both tiers (${loaded} returned header bytes); ${kernelRan} compared with the live kernel\n`);
  assert.equal(bad.slice(0, 20), [], `${bad.length} kernel differences`);
});

test.run();
