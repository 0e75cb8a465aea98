// kfuncs (src/kfuncs): programs of test/fixtures/kfuncs/kfuncs.o that call kernel functions through
// `extern … __ksym` declarations run in both tiers and return what BPF_PROG_TEST_RUN returned in the
// kernel (test/fixtures/kfuncs/kernel.json, scripts/kfuncs-expectations.py; as root the test also
// runs the live kernel). Verdicts of every program, the bad_* ones included, are compared with the
// kernel's in test/verifier-objects.test.ts. Here also: the table, the loader's errors, and the
// verifier on hand-made kfunc calls.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../src/object/object.js';
import { parseObject } from '../src/loader/object.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { KFUNCS, kfuncByName, KF_ACQUIRE, KF_RELEASE, KF_RET_NULL } from '../src/kfuncs/index.js';
import { verify } from '../src/verifier/index.js';
import { LoadError } from '../src/diagnostics/index.js';
import { ROOT } from './support/paths.js';

const DIR = join(ROOT, 'test', 'fixtures', 'kfuncs');
interface Case { name: string; object: string; prog: string; data: string | null; retval?: number; dataOut?: string; errno?: number }
const stored = JSON.parse(readFileSync(join(DIR, 'kernel.json'), 'utf8')) as { cases: Case[] };
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const bytes = (f: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, f)));
const names = (f: string): string[] => parseObject(bytes(f)).programs.map((p) => p.name);

/** retval (and data_out for packet runs) as the script records the kernel's. */
function runOurs(c: Case, tier: TierName): Partial<Case> {
  // only this program: the bad_* ones are meant to fail verification
  const autoload = Object.fromEntries(names(c.object).map((n) => [n, n === c.prog]));
  const obj = loadObject(bytes(c.object), { kernels, tier, autoload });
  const r = obj.program(c.prog).loaded.testRun(c.data !== null ? { data: Buffer.from(c.data, 'hex') } : {});
  const out: Partial<Case> = { retval: Number(BigInt.asUintN(32, BigInt(r.retval))) };
  if (c.data !== null) out.dataOut = Buffer.from(r.dataOut).toString('hex');
  return out;
}

test('the table: kernel prototypes and flags', () => {
  assert.ok(KFUNCS.length >= 10);
  KFUNCS.forEach((k, i) => assert.is(k.id, i));
  const from = kfuncByName('bpf_task_from_pid')!;
  assert.is(from.flags & (KF_ACQUIRE | KF_RET_NULL), KF_ACQUIRE | KF_RET_NULL);
  assert.is(kfuncByName('bpf_task_release')!.flags & KF_RELEASE, KF_RELEASE);
  assert.is(kfuncByName('bpf_cpumask_create')!.programTypes.includes('xdp' as never), false);
  assert.is(kfuncByName('no_such'), undefined);
});

for (const tier of ['interpreter', 'jit'] as const) {
  test(`${tier}: every kfunc case returns what the kernel's test run returned`, async () => {
    if (tier === 'jit') await loadTier('jit');
    assert.ok(stored.cases.length >= 13);
    const wrong: string[] = [];
    for (const c of stored.cases) {
      assert.is(c.errno, undefined, `${c.name}: the kernel's run failed`);
      const got = runOurs(c, tier);
      const want: Partial<Case> = { retval: c.retval, ...(c.dataOut !== undefined ? { dataOut: c.dataOut } : {}) };
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${c.name}: engine ${JSON.stringify(got)}, kernel ${JSON.stringify(want)}`);
    }
    assert.equal(wrong, []);
  });
}

test('the live kernel returns what kernel.json stores', () => {
  if (process.getuid?.() !== 0) { console.log('SKIP: the live kernel comparison needs root (bpf())'); return; }
  const r = spawnSync('python3', [join(ROOT, 'scripts', 'kfuncs-expectations.py'), '--print'], { encoding: 'utf8' });
  assert.is(r.status, 0, `kfuncs-expectations.py failed (running as root, so this is a failure, not a skip): ${r.stderr}`);
  const live = JSON.parse(r.stdout) as { cases: Case[] };
  assert.equal(live.cases, stored.cases);
  process.stdout.write(`\nNOTE: ${live.cases.length} kfunc cases ran in the live kernel\n`);
});

test('loader: an unknown kfunc and a mismatched prototype are refused naming the symbol and section', () => {
  try {
    parseObject(bytes('unknown.o'));
    assert.unreachable('unknown kfunc loaded');
  } catch (e) {
    assert.instance(e, LoadError);
    assert.is((e as LoadError).symbol, 'bpf_kfunc_nobody_has');
    assert.is((e as LoadError).section, 'xdp');
    assert.match((e as Error).message, /EW4044.*unknown kfunc bpf_kfunc_nobody_has/);
  }
  assert.throws(() => parseObject(bytes('badproto.o')), /bpf_task_release: declared void \(scalar\), the engine's is void \(pointer\)/);
});

test('loader: a kfunc call carries the table id; a missing weak one is dead code', () => {
  const spec = parseObject(bytes('kfuncs.o'));
  const xdp = spec.programs.find((p) => p.name === 'xdp_task')!;
  const relo = xdp.relocations.find((r) => r.kind === 'kfunc' && r.symbol === 'bpf_task_from_pid')!;
  assert.is(relo.kfuncId, kfuncByName('bpf_task_from_pid')!.id);
  const insn = xdp.instructions.subarray(relo.pc * 8, relo.pc * 8 + 8);
  assert.is(insn[1]! >> 4, 2, 'src_reg = BPF_PSEUDO_KFUNC_CALL');
  assert.is(new DataView(insn.buffer, insn.byteOffset).getInt32(4, true), relo.kfuncId);
  const autoload = Object.fromEntries(spec.programs.map((p) => [p.name, p.name === 'weak_missing']));
  const obj = loadObject(bytes('kfuncs.o'), { kernels, autoload });
  assert.is(obj.program('weak_missing').loaded.testRun({ data: new Uint8Array(14) }).retval, 2n);
});

// Hand-made programs: r1 = 0; call bpf_task_from_pid; (…); exit.
const KFUNC = 2;
const insn = (op: number, dst: number, src: number, off: number, imm: number): number[] => {
  const b = new Uint8Array(8), v = new DataView(b.buffer);
  b[0] = op; b[1] = (src << 4) | dst; v.setInt16(2, off, true); v.setInt32(4, imm, true);
  return [...b];
};
const call = (name: string): number[] => insn(0x85, 0, KFUNC, 0, kfuncByName(name)!.id);
const prog = (...insns: number[][]): Uint8Array => new Uint8Array(insns.flat());
const MOV0 = insn(0xb7, 0, 0, 0, 0), EXIT = insn(0x95, 0, 0, 0, 0);

test('verifier: references, NULL checks and program types on hand-made kfunc calls', () => {
  const ok = prog(insn(0xb7, 1, 0, 0, 0), call('bpf_task_from_pid'), insn(0x15, 0, 0, 2, 0), insn(0xbf, 1, 0, 0, 0), call('bpf_task_release'), MOV0, EXIT);
  assert.ok(verify(ok, { type: 'xdp' }).ok);
  const r = verify(ok, { type: 'socket_filter' });
  assert.is(r.error?.message, 'calling kernel function bpf_task_from_pid is not allowed');
  assert.is(verify(ok, { type: 'xdp', license: 'MIT' }).error?.message, 'cannot call kernel function from non-GPL compatible program');
  const leak = prog(insn(0xb7, 1, 0, 0, 0), call('bpf_task_from_pid'), MOV0, EXIT);
  assert.is(verify(leak, { type: 'xdp' }).error?.message, 'Unreleased reference id=2 alloc_insn=1');
  const nullArg = prog(insn(0xb7, 1, 0, 0, 0), call('bpf_task_release'), MOV0, EXIT);
  assert.is(verify(nullArg, { type: 'xdp' }).error?.message, 'Possibly NULL pointer passed to trusted arg0');
  const bad = prog(insn(0x85, 0, KFUNC, 0, 9999), MOV0, EXIT);
  assert.is(verify(bad, { type: 'xdp' }).error?.message, 'kernel btf_id 9999 is not a function');
  const scalarArg = prog(insn(0xbf, 1, 10, 0, 0), call('bpf_task_from_pid'), MOV0, EXIT);
  assert.is(verify(scalarArg, { type: 'xdp' }).error?.message, 'R1 is not a scalar');
});

test.run();
