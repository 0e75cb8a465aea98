/**
 * BTF-typed tracing program types (tp_btf, fentry, fexit, fmod_ret, lsm)
 * on test/fixtures/core/tracing.o, in the interpreter and the JIT.
 *
 * BPF_PROG_TEST_RUN of fentry/fexit/fmod_ret calls the kernel's test
 * functions (net/bpf/test_run.c); the engine's emulation must print what
 * tracing-harness.c prints for the kernel. The kernel here cannot load
 * fentry/fexit/fmod_ret/lsm programs (EPERM: no BPF trampoline), so those
 * are checked against the values test_run.c passes and returns, and against
 * the kernel live only where it loads them (tp_btf here, every type on a
 * kernel with trampolines). Simulated calls with ctx go beyond the kernel.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/paths.js';
import { loadObject, verifyProgram, type BpfObject } from '../src/object/index.js';
import { ExecutionError, LoadError } from '../src/diagnostics/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { parseObject } from '../src/loader/index.js';
import { TestRunError } from '../src/programs/skb.js';
import { FENTRY_TEST_CALLS, MODIFY_RETURN_TEST_CALLS, targetArgCount } from '../src/programs/fentry.js';
import { kernelObjectSpace, taskStructAddress } from '../src/programs/task.js';
import { placeKernelSkb } from '../src/btf/kernel/objects.js';
import { kernelField } from '../src/btf/kernel/index.js';

const DIR = join(ROOT, 'test', 'fixtures', 'core');
const OBJECT = new Uint8Array(readFileSync(join(DIR, 'tracing.o')));
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const TIERS: TierName[] = ['interpreter', 'jit'];
const TASK = { pid: 5151, tgid: 5150, uid: 0, gid: 0, comm: 'exec-me', ppid: 99 };
const stored = (JSON.parse(readFileSync(join(DIR, 'tracing-expected.json'), 'utf8')) as { outputs: Record<string, string> }).outputs;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** .bss variables of tracing.c by name: offset in the section. */
const bssVars = (() => {
  const btf = parseObject(OBJECT).btf!;
  const out = new Map<string, number>();
  for (const t of btf.types) if (t.kind === 'DATASEC' && t.name === '.bss') for (const v of t.vars) out.set(btf.type(v.type).name, v.offset);
  return out;
})();

function load(tier: TierName, prog: string, verified = false): BpfObject {
  return loadObject(OBJECT, { name: 'tracing', kernels, tier, ...(verified ? {} : { unverified: true }), autoload: { [prog]: true } });
}
function bss(obj: BpfObject): Uint8Array { return obj.map('tracing.bss').lookup(new Uint8Array(4))!; }
function i64s(obj: BpfObject, name: string, n: number): bigint[] {
  const b = bss(obj);
  const dv = new DataView(b.buffer, b.byteOffset + bssVars.get(name)!);
  return [...Array(n).keys()].map((i) => dv.getBigInt64(8 * i, true));
}
const runs = (obj: BpfObject): number => new DataView(bss(obj).buffer, bss(obj).byteOffset + bssVars.get('runs')!).getUint32(0, true);
const u64s = (...v: bigint[]): Uint8Array => { const b = new Uint8Array(8 * v.length); const dv = new DataView(b.buffer); v.forEach((x, i) => dv.setBigUint64(8 * i, BigInt.asUintN(64, x), true)); return b; };
function errno(f: () => unknown): number {
  try { f(); } catch (e) { if (e instanceof TestRunError) return e.errno; throw e; }
  return 0;
}

/** The engine's BPF_PROG_TEST_RUN (no input) printed as tracing-harness.c prints the kernel's. */
function engineOutput(tier: TierName, prog: string): string {
  const obj = load(tier, prog);
  const lines = ['load: ok', 'attach: ok'];
  try {
    lines.push(`retval: ${obj.program(prog).loaded.testRun({}).retval}`);
  } catch (e) {
    if (!(e instanceof TestRunError)) throw e;
    lines.push(`error: ${e.errno}`);
  }
  lines.push(`bss: ${hex(bss(obj))}`);
  return lines.join('\n');
}

test('before the tiers: the JIT is loaded', async () => { await loadTier('jit'); });

test('the test-function tables agree with the built-in BTF prototypes', () => {
  for (const c of FENTRY_TEST_CALLS) assert.is(c.args({ b: 1n, arg: 2n, retval: 3n }).length, targetArgCount('fentry', c.fn), c.fn);
  for (const c of MODIFY_RETURN_TEST_CALLS) assert.is(c.args({ b: 1n, arg: 2n, retval: 3n }).length, targetArgCount('fmod_ret', c.fn), c.fn);
  assert.is(targetArgCount('tp_btf', 'sched_process_exec'), 3);
  assert.is(targetArgCount('lsm', 'file_open'), 1);
});

for (const tier of TIERS) {
  test(`${tier}: fentry/fexit see test_run.c's arguments and return values; retval 0`, () => {
    const cases: Array<[string, string, number, bigint[]]> = [
      ['fentry1', 'fentry1_a', 1, [1n]],
      ['fentry6_prog', 'fentry6', 6, [16n, 17n, 18n, 19n, 20n, 21n]],
      ['fexit2_prog', 'fexit2', 3, [2n, 3n, 5n]],
      // arg != NULL, arg->a (NULL) read through CO-RE, bpf_fentry_test8's 0
      ['fexit8_prog', 'fexit8', 3, [1n, 0n, 0n]],
    ];
    for (const [prog, v, n, want] of cases) {
      const obj = load(tier, prog);
      assert.is(obj.program(prog).loaded.testRun({}).retval, 0n, prog);
      assert.equal(i64s(obj, v, n), want, prog);
      assert.is(runs(obj), 1, prog);
    }
  });

  test(`${tier}: fmod_ret: a non-zero return replaces the call; retval = side_effect << 16 | sum`, () => {
    let obj = load(tier, 'fmod1_prog');
    // returns 100 for bpf_modify_return_test (b unchanged); bpf_modify_return_test2 runs: 1+3+3+4+5+6+7 = 29
    assert.is(obj.program('fmod1_prog').loaded.testRun({}).retval, (1n << 16n) | 129n);
    assert.equal(i64s(obj, 'fmod1', 3), [1n, 2n, 0n]);
    obj = load(tier, 'fmod2_prog');
    // returns 0: both calls run and increment b: 4 + 29
    assert.is(obj.program('fmod2_prog').loaded.testRun({}).retval, (2n << 16n) | 33n);
    assert.equal(i64s(obj, 'fmod2', 8), [1n, 2n, 3n, 4n, 5n, 6n, 7n, 0n]);
  });

  test(`${tier}: tp_btf: test_run is EFAULT as in the kernel; ctx simulates the event with BTF pointers`, () => {
    const obj = load(tier, 'exec_prog');
    const p = obj.program('exec_prog').loaded;
    assert.is(errno(() => p.testRun({})), 14);
    const task = BigInt(taskStructAddress(obj.machine, 0));
    assert.is(p.testRun({ ctx: u64s(task, 4000n, 0n), task: TASK }).retval, 0n);
    assert.equal(i64s(obj, 'exec_seen', 3), [BigInt(TASK.pid), 4000n, BigInt(TASK.ppid)]);
    const comm = bss(obj).subarray(bssVars.get('exec_comm')!, bssVars.get('exec_comm')! + 16);
    assert.is(new TextDecoder().decode(comm.subarray(0, comm.indexOf(0))), TASK.comm);
    // more arguments than sched_process_exec has
    assert.is(errno(() => p.testRun({ ctx: u64s(task, 1n, 2n, 3n) })), 22);
    assert.is(errno(() => p.testRun({ ctx: new Uint8Array(5) })), 22);
    // a direct load through the task_struct pointer argument: verified (PTR_TO_BTF_ID), then run
    const d = load(tier, 'exec_direct', true);
    assert.ok(d.program('exec_direct').loaded.verification, 'exec_direct was verified');
    assert.is(d.program('exec_direct').loaded.testRun({ ctx: u64s(BigInt(taskStructAddress(d.machine, 0)), 1n), task: TASK }).retval, BigInt(TASK.tgid));
    // a ctx_in pointer beyond linear memory is a typed execution error, never a host exception
    for (const bad of [0xfffff000n, 0x7fffffff00n]) {
      try { d.program('exec_direct').loaded.testRun({ ctx: u64s(bad, 1n), task: TASK }); assert.unreachable(`0x${bad.toString(16)} was read`); } catch (e) {
        assert.instance(e, ExecutionError, `0x${bad.toString(16)}: ${(e as Error).message}`);
      }
    }
  });

  test(`${tier}: tp_btf/netif_receive_skb reads a kernel sk_buff laid out at the kernel's offsets`, () => {
    const obj = load(tier, 'rx_skb');
    const frame = new Uint8Array(60);
    frame.set([0x86, 0xdd], 12); // IPv6 ethertype
    const space = kernelObjectSpace(obj.machine, 0);
    const skb = placeKernelSkb(obj.machine.memory.buffer, space.start, space.end,
      { data: frame, protocol: 0x86dd, mark: 0xbeef, ifindex: 7, devName: 'veth-sim' });
    assert.is(obj.program('rx_skb').loaded.testRun({ ctx: u64s(BigInt(skb)) }).retval, 0n);
    assert.equal(i64s(obj, 'skb_seen', 5), [60n, 0x86ddn, 0xbeefn, 7n, 0x86ddn]);
    const name = bss(obj).subarray(bssVars.get('skb_dev')!, bssVars.get('skb_dev')! + 16);
    assert.is(new TextDecoder().decode(name.subarray(0, name.indexOf(0))), 'veth-sim');
  });

  test(`${tier}: lsm: the hook's arguments and the previous verdict; r0 is the verdict`, () => {
    const obj = load(tier, 'deny_inode');
    const p = obj.program('deny_inode').loaded;
    // a struct file and its inode at the kernel's offsets, in the kernel-object region's free tail
    const file = kernelObjectSpace(obj.machine, 0).start, inode = file + 512;
    const dv = new DataView(obj.machine.memory.buffer);
    dv.setBigUint64(file + kernelField('file', 'f_inode').offset, BigInt(inode), true);
    for (const [ino, verdict] of [[42n, 0xffffffffn], [7n, 0n]] as const) {
      dv.setBigUint64(inode + kernelField('inode', 'i_ino').offset, ino, true);
      assert.is(p.testRun({ ctx: u64s(BigInt(file), 0n) }).retval, verdict);
      assert.equal(i64s(obj, 'lsm_seen', 2), [ino, 0n]);
    }
    // an earlier LSM program's denial (-EACCES) passes through untouched
    assert.is(p.testRun({ ctx: u64s(BigInt(file), -13n) }).retval, BigInt.asUintN(32, -13n));
    assert.is(runs(obj), 2);
  });

  test(`${tier}: refusals: flags, repeat, data_in, a target test_run does not call`, () => {
    const p = load(tier, 'fentry1').program('fentry1').loaded;
    assert.is(errno(() => p.testRun({ flags: 1 })), 22);
    assert.is(errno(() => p.testRun({ repeat: 2 })), 22);
    assert.is(errno(() => p.testRun({ data: new Uint8Array(4) })), 22);
    // ctx simulates a call with other arguments
    const obj = load(tier, 'fentry1');
    assert.is(obj.program('fentry1').loaded.testRun({ ctx: u64s(77n) }).retval, 0n);
    assert.equal(i64s(obj, 'fentry1_a', 1), [77n]);
    assert.is(errno(() => obj.program('fentry1').loaded.testRun({ ctx: u64s(1n, 2n) })), 22);
  });

  test(`${tier}: the engine prints what the stored kernel run printed (programs the kernel loaded)`, () => {
    let n = 0;
    for (const [prog, out] of Object.entries(stored)) {
      if (!out.startsWith('load: ok')) continue;
      assert.is(engineOutput(tier, prog), out, prog);
      n++;
    }
    assert.ok(n >= 3, `${n} programs`);
    process.stdout.write(`\nNOTE: ${tier}: ${n} tracing programs identical to the stored kernel runs\n`);
  });
}

test('verified loads: BTF targets must exist in the built-in kernel BTF', () => {
  // every program of tracing.o but the direct load through a BTF pointer (see BTF_TRACING_CTX) verifies
  const obj = loadObject(OBJECT, { name: 'tracing', kernels, autoload: { exec_direct: false } });
  assert.is(obj.programs.size, 9);
  const spec = parseObject(OBJECT);
  const p = spec.programs.find((x) => x.name === 'fentry1')!;
  let err: unknown;
  try { verifyProgram({ ...p, attachTo: 'no_such_function' }, spec); } catch (e) { err = e; }
  assert.ok(err instanceof LoadError, String(err));
  assert.match((err as Error).message, /Tracing programs must provide btf_id: fentry target 'no_such_function'/);
  assert.is((err as LoadError).section, p.section);
});

test('the engine prints what the kernel prints live (when bpf() works)', async () => {
  const root = process.getuid?.() === 0;
  const k = await import(pathToFileURL(join(DIR, 'kernel-expectations.mjs')).href) as {
    buildHarness(): string; runKernel(bin: string, prog: string): string; PROGRAMS: string[];
  };
  let bin: string | undefined;
  try { bin = root ? k.buildHarness() : undefined; } catch { bin = undefined; }
  if (!bin) {
    assert.ok(!root, 'running as root but the harness does not build (gcc, libbpf-dev): the live comparison must run');
    process.stdout.write('\nSKIP: tracing live kernel comparison: needs root\n');
    return;
  }
  let ran = 0, refused = 0;
  for (const prog of k.PROGRAMS) {
    const live = k.runKernel(bin, prog);
    if (!live.startsWith('load: ok')) { refused++; continue; }
    assert.is(engineOutput('interpreter', prog), live, prog);
    ran++;
  }
  assert.ok(ran > 0, 'the kernel loaded none of the programs');
  process.stdout.write(`\nNOTE: ${ran} tracing programs run live in the kernel and the engine, all equal; ${refused} the kernel cannot load here\n`);
});

test.run();
