/**
 * The runtime bundle in real workerd (`workerd serve`), as a Cloudflare Worker
 * bound to 127.0.0.1: the precompiled xdp_firewall (`ebpf-wasm compile`, its
 * .wasm and the map kernels as the Worker's wasm modules, the manifest as a
 * JSON module) must give the same verdicts and map contents as Node's JIT,
 * Node's AOT load and the interpreter; the interpreter routes must equal
 * Node's too; and workerd must refuse to compile run-time WebAssembly bytes
 * (why the AOT path exists).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import {
  aotComparable, aotReferences, nodePcap, SAMPLE_PCAP, fromHex, installBlocked, note, prepareFixture, startWorkerd,
  type Fixture, type Verdict, type Workerd,
} from './fixtures/edge/harness.js';


const blocked = installBlocked('workerd');
let workerd: Workerd | undefined;
let base = '';
let fx: Fixture;

async function post(path: string, body: BodyInit, type: string): Promise<any> {
  const r = await fetch(new URL(path, base), { method: 'POST', body, headers: { 'content-type': type } });
  return { status: r.status, body: await r.json() };
}
const strip = (v: Verdict & { durationNs?: number }): Verdict => ({ retval: v.retval, action: v.action, dataOut: v.dataOut });

test.before(async () => {
  if (blocked) return;
  fx = await prepareFixture();
  workerd = await startWorkerd(fx.dir, [
    { name: 'worker.mjs', kind: 'esModule' }, { name: 'ebpf-wasm-runtime.js', kind: 'esModule' },
    { name: 'program.mjs', kind: 'esModule' }, { name: 'handler.mjs', kind: 'esModule' },
    { name: 'aot-handler.mjs', kind: 'esModule' },
    { name: 'manifest.json', kind: 'json', file: 'aot/manifest.json' },
    { name: 'xdp_firewall.wasm', kind: 'wasm', file: 'aot/xdp_firewall.wasm' },
    { name: 'maps.wasm', kind: 'wasm', file: 'aot/maps.wasm' },
  ]);
  base = workerd.base;
});

test.after(async () => { await workerd?.stop(); });

test('workerd listens on 127.0.0.1 only and loads the bundle', async () => {
  if (blocked) return note('SKIP', `workerd: ${blocked}`);
  assert.is(new URL(base).hostname, '127.0.0.1');
  const r = await fetch(new URL('/info', base));
  const info = await r.json() as { tiers: string[]; canCompileWasmAtRuntime: boolean; instructions: number };
  assert.equal(info.tiers, ['interpreter', 'aot']);
  assert.is(info.instructions, fx.program.length / 8);
  assert.is(info.canCompileWasmAtRuntime, false);
});

test('every packet, as hex bodies: same verdict and data_out as Node', async () => {
  if (blocked) return;
  for (let i = 0; i < fx.packets.length; i++) {
    const r = await post('/xdp', fx.packets[i]!.hex, 'text/plain');
    assert.is(r.status, 200, fx.packets[i]!.name);
    assert.equal(strip(r.body), fx.expected[i], fx.packets[i]!.name);
  }
});

test('binary bodies and the batch route agree with Node too', async () => {
  if (blocked) return;
  for (let i = 0; i < fx.packets.length; i += 3) {
    const r = await post('/xdp', fromHex(fx.packets[i]!.hex), 'application/octet-stream');
    assert.equal(strip(r.body), fx.expected[i], fx.packets[i]!.name);
  }
  const batch = await post('/xdp/batch', JSON.stringify({ packets: fx.packets.map((p) => p.hex) }), 'application/json');
  assert.equal(batch.body.results.map(strip), fx.expected);
  // the verdict mix is what the firewall is meant to produce, not all one action
  const actions = new Set(fx.expected.map((v) => v.action));
  for (const a of ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX']) assert.ok(actions.has(a), a);
});

test('bad input is a 422 with a message, and the Worker keeps serving', async () => {
  if (blocked) return;
  const bad = await post('/xdp', 'zz', 'text/plain');
  assert.is(bad.status, 422);
  assert.match(bad.body.error, /hex/);
  const ok = await post('/xdp', fx.packets[3]!.hex, 'text/plain');
  assert.equal(strip(ok.body), fx.expected[3]);
});

test('workerd refuses WebAssembly.compile of bytes made at run time', async () => {
  if (blocked) return;
  // a valid module exporting one function: (func (export "f") (result i32) i32.const 42)
  const wasm = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0,
    7, 5, 1, 1, 0x66, 0, 0, 10, 6, 1, 4, 0, 0x41, 42, 0x0b,
  ]);
  assert.ok(new WebAssembly.Module(wasm), 'the module is valid (Node compiles it)');
  const r = await post('/wasm/compile', wasm, 'application/wasm');
  assert.is(r.body.compiled, false);
  process.stdout.write(`\nNOTE: workerd: ${r.body.error}\n`);
  assert.match(r.body.error, /CompileError|code generation|disallowed|embedder/i);
});

test('the precompiled firewall (AOT): same verdicts, data_out, runBatch and maps as Node JIT, Node AOT and the interpreter', async () => {
  if (blocked) return;
  const info = await (await fetch(new URL('/aot/info', base))).json() as { engine: { version: string }; runtime: string; programs: { name: string; sha256: string }[] };
  assert.is(info.engine.version, info.runtime);
  assert.equal(info.programs.map((p) => [p.name, p.sha256]), fx.aot.manifest.programs.map((p) => [p.name, p.sha256]));
  const body = JSON.stringify({ packets: fx.aot.packets.map((p) => p.hex), blocklist: fx.aot.blocklist });
  const t0 = performance.now();
  const r = await post('/aot/run', body, 'application/json');
  const firstMs = performance.now() - t0;
  assert.is(r.status, 200, JSON.stringify(r.body));
  const ref = await aotReferences(fx.aot);
  const got = aotComparable(r.body);
  assert.equal(got, ref.nodeAot);
  assert.equal(got, ref.jit);
  assert.equal(got, ref.interpreter);
  assert.ok(got.maps.blocklist!.length === 3 && got.maps.verdicts!.length === 5);
  note('NOTE', `workerd AOT: first /aot/run (load set + ${fx.aot.packets.length} packets, round trip) ${firstMs.toFixed(1)} ms`);
});

test('a module that does not match the manifest is a typed error in workerd too (EW7024)', async () => {
  if (blocked) return;
  const r = await fetch(new URL('/aot/wrong-module', base));
  assert.is(r.status, 422);
  const body = await r.json() as { error: string; code: string };
  assert.is(body.code, 'AotModuleMismatch');
  assert.match(body.error, /^EW7024: program xdp_firewall, file xdp_firewall\.wasm: imports differ from the manifest/);
});

test('a whole capture (examples/sample.pcap) POSTed as one body: same outcomes as Node', async () => {
  if (blocked) return;
  const pcap = readFileSync(SAMPLE_PCAP);
  const want = nodePcap(fx.program, pcap);
  assert.ok(want.packets > 300 && Object.keys(want.verdicts).length >= 2, JSON.stringify(want.verdicts));
  const r = await post('/pcap', new Uint8Array(pcap), 'application/vnd.tcpdump.pcap');
  assert.is(r.status, 200);
  assert.equal(r.body, want);
});

test.run();
