/**
 * Program types against the kernel: every case of
 * test/fixtures/progtypes/cases.json (raw_tracepoint, syscall,
 * flow_dissector) is run by the engine in the interpreter and the JIT tier,
 * as the current task the kernel ran it as, and printed the way the kernel
 * harness (harness.c) prints it; the text must equal the kernel's stored
 * output (expected.json). When bpf() works (root) every case also runs in
 * the kernel live and the engine, as that run's task, must print the same.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/paths.js';
import { loadObject, type BpfObject } from '../src/object/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { loadTier } from '../src/runtime/tier.js';
import { TestRunError } from '../src/programs/skb.js';
import { MAP_TYPE } from '../src/maps/constants.js';
import type { TierName } from '../src/runtime/tier.js';

const DIR = join(ROOT, 'test', 'fixtures', 'progtypes');
interface Case {
  name: string; object: string; prog: string; ctx?: string; data?: string; dataOut?: number; ctxOut?: number;
  flags?: number; cpu?: number; repeat?: number; trace?: boolean; unverified?: string; knownDifferent?: string;
}
const { cases } = JSON.parse(readFileSync(join(DIR, 'cases.json'), 'utf8')) as { cases: Case[] };
const expected = (JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { outputs: Record<string, string> }).outputs;
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));
/** The machine the fixtures were recorded on had 2 possible CPUs; BPF_F_TEST_RUN_ON_CPU cases use CPU 1. */
const CPUS = 2;

/** The task line of a kernel output: the task the engine must run as. */
function taskOf(out: string) {
  const m = /^task pid=(\d+) tgid=(\d+) uid=(\d+) gid=(\d+) comm=(.*)$/m.exec(out);
  if (!m) throw new Error('no task line');
  return { pid: +m[1]!, tgid: +m[2]!, uid: +m[3]!, gid: +m[4]!, comm: m[5]! };
}

function mapLines(obj: BpfObject): string[] {
  const lines: string[] = [];
  for (const m of obj.maps.values()) {
    if ((m.type !== MAP_TYPE.array && m.type !== MAP_TYPE.hash) || m.name.includes('.rodata')) continue;
    for (const [k, v] of m.entries()) lines.push(`map ${m.name} ${hex(k)} ${hex(v)}`);
  }
  return lines.sort();
}

/** One case in the engine, printed as harness.c prints the kernel's run. */
function runOurs(c: Case, tier: TierName, kernelOut: string): string {
  const task = taskOf(kernelOut);
  const obj = loadObject(new Uint8Array(readFileSync(join(DIR, c.object))), {
    name: c.object.replace(/\..*/, ''), kernels, tier, unverified: c.unverified !== undefined,
    autoload: { [c.prog]: true }, machineOptions: { cpus: CPUS },
  });
  const prog = obj.program(c.prog);
  const ctx = c.ctx !== undefined ? unhex(c.ctx) : undefined;
  let s = `task pid=${task.pid} tgid=${task.tgid} uid=${task.uid} gid=${task.gid} comm=${task.comm}\n`;
  obj.machine.traceLines.length = 0;
  try {
    const out = prog.loaded.testRun({
      ...(ctx ? { ctx } : {}), ...(c.data !== undefined ? { data: unhex(c.data) } : {}),
      ...(c.flags ? { flags: c.flags } : {}), ...(c.repeat ? { repeat: c.repeat } : {}), cpu: c.cpu ?? 0, task,
    });
    s += `retval: ${BigInt.asUintN(32, out.retval)}\n`;
    if (c.dataOut) s += `data_out: ${hex(out.dataOut.subarray(0, c.dataOut))}\n`;
    if (c.ctxOut && out.ctxOut) s += `ctx_out: ${hex(out.ctxOut.subarray(0, c.ctxOut))}\n`;
    // harness.c prints ctx_in after the run: only syscall programs write it back
    if (ctx) s += `ctx_after: ${hex(prog.type === 'syscall' ? out.ctxOut! : ctx)}\n`;
  } catch (e) {
    if (!(e instanceof TestRunError)) throw e;
    return s + `error: ${e.errno}\n`;
  }
  for (const l of obj.machine.traceLines) s += `trace: ${l}\n`;
  for (const l of mapLines(obj)) s += `${l}\n`;
  return s;
}

for (const tier of ['interpreter', 'jit'] as const) {
  test(`${tier}: every program-type case prints what the kernel printed`, async () => {
    if (tier === 'jit') await loadTier('jit');
    const diffs: string[] = [];
    let same = 0, known = 0;
    for (const c of cases) {
      const want = expected[c.name];
      assert.ok(want, `${c.name}: no kernel output in expected.json (run kernel-expectations.mjs)`);
      const got = runOurs(c, tier, want!);
      if (c.knownDifferent) {
        if (got === want) diffs.push(`${c.name}: now matches the kernel: drop knownDifferent`);
        else known++;
        continue;
      }
      if (got === want) { same++; continue; }
      const g = got.split('\n'), w = want!.split('\n');
      const k = g.findIndex((l, i) => l !== w[i]);
      diffs.push(`${c.name}: line ${k + 1}: engine ${JSON.stringify(g[k])}, kernel ${JSON.stringify(w[k])}`);
    }
    process.stdout.write(`\nNOTE: ${tier}: ${same}/${cases.length - known} program-type cases identical to the kernel, ${known} known differences\n`);
    assert.equal(diffs, [], diffs.join('\n'));
  });
}

test('the engine prints what the kernel prints live (when bpf() works)', async () => {
  const root = process.getuid?.() === 0;
  const k = await import(pathToFileURL(join(DIR, 'kernel-expectations.mjs')).href) as {
    buildHarness(): string; runKernelCase(bin: string, c: Case): string;
  };
  let bin: string | undefined;
  try { bin = root ? k.buildHarness() : undefined; } catch { bin = undefined; }
  if (!bin) {
    assert.ok(!root, 'running as root but the harness does not build (gcc, libbpf-dev): the live comparison must run');
    process.stdout.write('\nSKIP: program-type live kernel comparison: needs root\n');
    return;
  }
  let ran = 0;
  for (const c of cases) {
    const live = k.runKernelCase(bin, c);
    const ours = runOurs(c, 'interpreter', live);
    if (c.knownDifferent) assert.is.not(ours, live, `${c.name}: now matches the kernel: drop knownDifferent`);
    else assert.is(ours, live, c.name);
    ran++;
  }
  process.stdout.write(`\nNOTE: ${ran} program-type cases run live in the kernel and the engine, all equal (known differences aside)\n`);
});

test.run();
