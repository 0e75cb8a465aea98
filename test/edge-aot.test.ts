/**
 * Ahead-of-time modules in Node: `ebpf-wasm compile` is deterministic, the
 * precompiled firewall gives the same verdicts, data_out and map contents as
 * the object loaded from its `.o` in the interpreter and the JIT, the machine
 * is recreated byte for byte, and every way a precompiled set can be wrong
 * is a typed, numbered error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './support/paths.js';
import {
  aotComparable, aotPackets, blocklist, FIREWALL_O, fromHex, KERNELS_WASM, objectReference, AOT_PROBE_WASM,
} from './fixtures/edge/harness.js';
import { compileObject, loadPrecompiled, sha256Hex, ENGINE_VERSION, type AotManifest } from '../src/aot/index.js';
import { AotError, DiagnosticCode } from '../src/diagnostics/index.js';
import { loadObject } from '../src/object/index.js';
import * as runtime from '../src/runtime-entry/index.js';
import { pathToFileURL } from 'node:url';

// the plain ES module the edge hosts run (not compiled by tsc)
const { runAot } = await import(pathToFileURL(join(ROOT, 'test/fixtures/edge/aot-handler.mjs')).href) as {
  runAot(rt: unknown, load: () => unknown, packets: string[], blocklist: [string, string][]): Promise<any>;
};
const mod = (b: Uint8Array): WebAssembly.Module => new WebAssembly.Module(b as Uint8Array<ArrayBuffer>);

const kernelBytes = new Uint8Array(readFileSync(KERNELS_WASM));
const kernels = new WebAssembly.Module(kernelBytes);
const firewall = new Uint8Array(readFileSync(FIREWALL_O));
const compiled = compileObject(firewall, { name: 'xdp_firewall', kernels: kernelBytes });
const wasm = compiled.files.get('xdp_firewall.wasm')!;
const clone = (m: AotManifest): any => JSON.parse(JSON.stringify(m));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
}

test('engine version is package.json\'s', () => {
  assert.is(ENGINE_VERSION, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
});

test('sha256 agrees with node:crypto at block-boundary lengths', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, wasm.length]) {
    const b = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
    assert.is(sha256Hex(b), createHash('sha256').update(b).digest('hex'), `length ${n}`);
  }
});

test('compile twice (API and CLI): same manifest, same bytes', () => {
  const again = compileObject(firewall, { name: 'xdp_firewall', kernels: kernelBytes });
  assert.is(JSON.stringify(again.manifest), JSON.stringify(compiled.manifest));
  assert.equal([...again.files.keys()], ['xdp_firewall.wasm']);
  assert.ok(Buffer.from(again.files.get('xdp_firewall.wasm')!).equals(Buffer.from(wasm)));
  const dirs = [0, 1].map(() => mkdtempSync(join(tmpdir(), 'ebpf-wasm-aot-')));
  for (const d of dirs) {
    const r = cli(['compile', FIREWALL_O, '-o', d]);
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /xdp_firewall\.wasm: xdp program xdp_firewall, \d+ insns -> \d+ bytes/);
  }
  const files = readdirSync(dirs[0]!).sort();
  assert.equal(files, ['manifest.json', 'maps.wasm', 'xdp_firewall.wasm']);
  for (const f of files) assert.ok(readFileSync(join(dirs[0]!, f)).equals(readFileSync(join(dirs[1]!, f))), f);
  // the CLI's output is the API's
  assert.ok(readFileSync(join(dirs[0]!, 'xdp_firewall.wasm')).equals(Buffer.from(wasm)));
  const m = JSON.parse(readFileSync(join(dirs[0]!, 'manifest.json'), 'utf8')) as AotManifest;
  assert.is(m.object.sha256, createHash('sha256').update(firewall).digest('hex'));
  assert.is(m.programs[0]!.sha256, createHash('sha256').update(wasm).digest('hex'));
  assert.is(m.kernels.sha256, createHash('sha256').update(kernelBytes).digest('hex'));
});

test('the manifest describes programs, helpers and maps (BTF layouts, baked addresses)', () => {
  const m = compiled.manifest;
  assert.equal(m.engine, { name: 'ebpf-wasm', version: ENGINE_VERSION });
  assert.equal(m.programOrder, ['xdp_firewall']);
  const p = m.programs[0]!;
  assert.equal([p.name, p.section, p.type, p.file], ['xdp_firewall', 'xdp', 'xdp', 'xdp_firewall.wasm']);
  assert.equal(p.jit.helpers.map((h) => [h.name, h.kind]), [['bpf_map_lookup_elem', 'kernel']]);
  assert.ok(p.imports.some((i) => i.module === 'kernels' && i.name === 'map_lookup_elem'));
  assert.is(p.jit.sandbox, false);
  assert.ok(p.verifier.processed > 0);
  assert.equal(m.maps.map((x) => [x.name, x.typeName, x.keySize, x.valueSize, x.maxEntries]), [
    ['blocklist', 'lpm_trie', 8, 4, 1024], ['rule_hits', 'array', 4, 8, 16], ['verdicts', 'percpu_array', 4, 16, 5],
  ]);
  assert.equal(m.maps[0]!.key!.fields!.map((f) => [f.name, f.offset, f.size]), [['prefixlen', 0, 4], ['addr', 4, 4]]);
  assert.is(m.maps[2]!.value!.type, 'struct verdict_stats');
  // the addresses are those loadObject gives the maps on the same layout
  const obj = loadObject(firewall, { name: 'xdp_firewall', kernels });
  for (const mm of m.maps) assert.is(mm.address, obj.map(mm.name).handle, mm.name);
});

test('loadPrecompiled recreates the machine byte for byte (heap identical to loadObject\'s)', () => {
  const set = loadPrecompiled(compiled.manifest, { xdp_firewall: mod(wasm) }, { kernels });
  const obj = loadObject(firewall, { name: 'xdp_firewall', kernels });
  const a = new Uint8Array(set.machine.memory.buffer), b = new Uint8Array(obj.machine.memory.buffer);
  assert.is(a.length, b.length);
  const base = set.machine.layout.heapBase;
  assert.ok(Buffer.from(a.subarray(base)).equals(Buffer.from(b.subarray(base))));
});

test('Node AOT = Node JIT = interpreter: verdicts, data_out, runBatch and map contents', async () => {
  const list = aotPackets();
  const hexes = list.map((p) => p.hex);
  const load = () => ({ manifest: compiled.manifest, modules: { 'xdp_firewall.wasm': wasm }, kernels: kernelBytes });
  const aot = aotComparable(await runAot(runtime, load, hexes, blocklist()));
  const interp = await objectReference('interpreter', list);
  const jit = await objectReference('jit', list);
  assert.equal(aot, interp);
  assert.equal(jit, interp);
  // not a vacuous agreement: both of the firewall's verdicts and every blocklist rule are hit
  const actions = new Set(interp.results.map((r) => r.action));
  for (const a of ['XDP_DROP', 'XDP_PASS']) assert.ok(actions.has(a), a);
  assert.is(interp.maps.rule_hits!.filter(([, v]) => v !== '0000000000000000').length, 3);
  assert.is(interp.maps.blocklist!.length, 3);
});

test('the sample capture: AOT = interpreter, packet by packet', async () => {
  const { readCapture } = await import('../src/pcap/pcap.js');
  const cap = readCapture(new Uint8Array(readFileSync(join(ROOT, 'examples/sample.pcap'))));
  const list = cap.packets.map((p, i) => ({ name: `#${i}`, hex: Buffer.from(p.data).toString('hex') }));
  const load = () => ({ manifest: compiled.manifest, modules: { xdp_firewall: mod(wasm) }, kernels });
  const aot = aotComparable(await runAot(runtime, load, list.map((p) => p.hex), blocklist()));
  assert.equal(aot, await objectReference('interpreter', list));
});

test('every example object compiles; its programs run as in the JIT tier (and the interpreter)', async () => {
  const { loadTier } = await import('../src/runtime/tier.js');
  await loadTier('jit');
  const examples = ['flow_counter', 'xdp_lb', 'tc_rewrite', 'socket_filter', 'trace_counter'];
  const frame = fromHex(aotPackets()[3]!.hex);
  let ran = 0;
  for (const ex of examples) {
    const dir = join(ROOT, 'examples', ex);
    const o = readdirSync(dir).find((f) => f.endsWith('.o'));
    if (!o) continue;
    const bytes = new Uint8Array(readFileSync(join(dir, o)));
    const set = compileObject(bytes, { name: ex, kernels: kernelBytes });
    const mods = Object.fromEntries([...set.files].map(([f, b]) => [f, b]));
    const pre = loadPrecompiled(set.manifest, mods, { kernels });
    const obj = loadObject(bytes, { name: ex, kernels, tier: 'jit' });
    const ref = loadObject(bytes, { name: ex, kernels });
    const out = (r: { retval: bigint; dataOut: Uint8Array }) => [String(r.retval), Buffer.from(r.dataOut).toString('hex')];
    for (const p of set.manifest.programs) {
      if (!['xdp', 'sched_cls', 'sched_act', 'socket_filter', 'cgroup_skb'].includes(p.type)) continue;
      const a = out(pre.program(p.name).testRun({ data: frame }));
      assert.equal(a, out(obj.program(p.name).loaded.testRun({ data: frame })), `${ex}/${p.name} vs JIT`);
      const i = out(ref.program(p.name).loaded.testRun({ data: frame }));
      // AOT is the JIT's code: where the JIT tier itself differs from the interpreter, say so (not an AOT matter)
      if (JSON.stringify(a) !== JSON.stringify(i)) process.stdout.write(`\nNOTE: ${ex}/${p.name}: JIT and AOT give ${a[0]}, the interpreter ${i[0]} (JIT tier difference)\n`);
      ran++;
    }
    for (const [name, m] of obj.maps) {
      if (m.type === 27 /* ringbuf */) continue;
      assert.equal(pre.map(name).entries(), m.entries(), `${ex} map ${name}`);
    }
  }
  process.stdout.write(`\nNOTE: ${ran} example programs compared AOT vs JIT tier\n`);
  assert.ok(ran >= 4, `only ${ran} programs ran`);
});

test('two simulated CPUs: per-CPU counters equal loadObject\'s; exported from the main entry (loader) and ebpf-wasm/jit (compiler) too', async () => {
  const main = await import('../src/index.js');
  const jit = await import('../src/jit/index.js');
  const set2 = jit.compileObject(firewall, { name: 'xdp_firewall', kernels: kernelBytes, layout: { cpus: 2 } });
  assert.equal(set2.manifest.machine.options, { cpus: 2 });
  const pre = main.loadPrecompiled(set2.manifest, { xdp_firewall: set2.files.get('xdp_firewall.wasm')! }, { kernels });
  const obj = loadObject(firewall, { name: 'xdp_firewall', kernels, machineOptions: { cpus: 2 } });
  const list = aotPackets();
  list.forEach((p, i) => {
    const a = pre.program('xdp_firewall').testRun({ data: fromHex(p.hex), cpu: i % 2 });
    const b = obj.program('xdp_firewall').loaded.testRun({ data: fromHex(p.hex), cpu: i % 2 });
    assert.is(a.retval, b.retval, p.name);
  });
  const v = pre.map('verdicts').entries();
  assert.equal(v, obj.map('verdicts').entries());
  // per-CPU values for 2 CPUs (2 x 16 bytes), and every packet counted once
  assert.ok(v.every(([, x]) => x.length === 32));
  const dv = (b: Uint8Array, o: number) => Number(new DataView(b.buffer, b.byteOffset).getBigUint64(o, true));
  assert.is(v.reduce((n, [, x]) => n + dv(x, 0) + dv(x, 16), 0), list.length);
});

// ---- errors: typed, numbered, never undefined behaviour ----

function throwsAot(fn: () => unknown, code: keyof typeof DiagnosticCode, re: RegExp): void {
  try { fn(); } catch (e) {
    assert.instance(e, AotError);
    assert.is((e as AotError).codeName, code);
    assert.is((e as AotError).code, DiagnosticCode[code]);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`no ${code}`);
}

test('a manifest from another engine version is refused (EW7021)', () => {
  const m = clone(compiled.manifest);
  m.engine.version = '0.0.9';
  throwsAot(() => loadPrecompiled(m, { xdp_firewall: wasm }, { kernels }), 'AotEngineVersion', /EW7021: .*0\.0\.9.*recompile/);
  throwsAot(() => loadPrecompiled({ hello: 1 } as never, {}, { kernels }), 'AotManifest', /EW7020: not an ebpf-wasm AOT manifest/);
});

test('corrupted .wasm bytes: sha256 mismatch (EW7022), and bytes that do not compile (EW7023)', () => {
  const bad = wasm.slice();
  bad[bad.length >> 1] ^= 0x40;
  throwsAot(() => loadPrecompiled(compiled.manifest, { xdp_firewall: bad }, { kernels }), 'AotChecksum', /program xdp_firewall, file xdp_firewall\.wasm: sha256 [0-9a-f]{64} does not match/);
  // a tampered set whose checksum was updated too still fails cleanly at WebAssembly.Module
  const junk = wasm.slice(0, 40);
  const m = clone(compiled.manifest);
  m.programs[0].sha256 = sha256Hex(junk);
  throwsAot(() => loadPrecompiled(m, { xdp_firewall: junk }, { kernels }), 'AotModuleInvalid', /WebAssembly\.Module failed/);
  // corrupted map kernels
  const k = kernelBytes.slice(); k[100] ^= 1;
  throwsAot(() => loadPrecompiled(compiled.manifest, { xdp_firewall: wasm }, { kernels: k }), 'AotChecksum', /map kernels sha256/);
});

test('a module that does not match its manifest entry (imports/exports differ) is refused (EW7024)', () => {
  // what a host hands over as a compiled module: no bytes to hash, so the shape is compared
  throwsAot(() => loadPrecompiled(compiled.manifest, { xdp_firewall: mod(AOT_PROBE_WASM) }, { kernels }),
    'AotModuleMismatch', /imports differ from the manifest: manifest has .*env\.trap/);
  // another program's module (xdp_lb calls other helpers)
  const lb = compileObject(new Uint8Array(readFileSync(join(ROOT, 'examples/xdp_lb/xdp_lb.o'))), { name: 'xdp_lb', kernels: kernelBytes });
  const other = mod(lb.files.get('xdp_lb.wasm')!);
  const sameImports = JSON.stringify(WebAssembly.Module.imports(other)) === JSON.stringify(WebAssembly.Module.imports(mod(wasm)));
  if (!sameImports) throwsAot(() => loadPrecompiled(compiled.manifest, { xdp_firewall: other }, { kernels }), 'AotModuleMismatch', /differ from the manifest/);
  throwsAot(() => loadPrecompiled(compiled.manifest, { xdp_firewall: 'nope' as never }, { kernels }), 'AotModuleInvalid', /expected a WebAssembly\.Module/);
});

test('a missing module (EW7025) and a machine whose addresses differ (EW7026)', () => {
  throwsAot(() => loadPrecompiled(compiled.manifest, {}, { kernels }), 'AotModuleMissing', /program xdp_firewall, file xdp_firewall\.wasm: no module given/);
  const set = loadPrecompiled(compiled.manifest, { xdp_firewall: wasm }, { kernels });
  throwsAot(() => set.program('nope'), 'AotModuleMissing', /program nope: no such precompiled program/);
  const moved = clone(compiled.manifest);
  moved.maps[1].address += 64;
  throwsAot(() => loadPrecompiled(moved, { xdp_firewall: wasm }, { kernels }), 'AotLayoutMismatch', /map rule_hits: address 0x[0-9a-f]+ \(manifest: 0x[0-9a-f]+\) differs from compile time/);
  const layout = clone(compiled.manifest);
  layout.machine.heapBase += 4096;
  throwsAot(() => loadPrecompiled(layout, { xdp_firewall: wasm }, { kernels }), 'AotLayoutMismatch', /memory layout differs/);
});

test('compile errors: an unknown --prog is EW7025, a rejected program is the verifier\'s error', () => {
  const r = cli(['compile', FIREWALL_O, '--prog', 'nope', '-o', mkdtempSync(join(tmpdir(), 'ebpf-wasm-aot-'))]);
  assert.is(r.status, 1);
  assert.match(r.stderr, /EW7025: program nope: the object has no loaded program of that name \(it has: xdp_firewall\)/);
  const u = cli(['compile', FIREWALL_O]);
  assert.is(u.status, 2);
  assert.match(u.stderr, /compile takes PROG\.o -o OUT\//);
});

test.run();
