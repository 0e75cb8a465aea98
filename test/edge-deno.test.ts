/**
 * The runtime bundle in Deno: `deno run` serves the firewall on 127.0.0.1
 * (Deno.serve, ephemeral port); results must equal Node's. The precompiled
 * xdp_firewall is read as bytes (sha256 checked against the manifest) and
 * must give the same verdicts and maps as Node JIT, Node AOT and the
 * interpreter. Deno compiles run-time WebAssembly, so the JIT's in-process
 * path is open there too.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  aotComparable, aotReferences, nodePcap, SAMPLE_PCAP, fromHex, installBlocked, note, prepareFixture, root, stripVerdict, TINY_WASM, type Fixture,
} from './fixtures/edge/harness.js';

const deno = join(root, 'node_modules/.bin/deno');
const blocked = installBlocked('deno');
let child: ChildProcess | undefined;
let base = '';
let fx: Fixture;

async function post(path: string, body: BodyInit, type: string): Promise<any> {
  const r = await fetch(new URL(path, base), { method: 'POST', body, headers: { 'content-type': type } });
  return { status: r.status, body: await r.json() };
}

test.before(async () => {
  if (blocked) return;
  fx = await prepareFixture();
  child = spawn(deno, ['run', '--allow-net=127.0.0.1', `--allow-read=${fx.dir}`, '--no-prompt', '--no-config', '--no-lock', join(fx.dir, 'deno-server.mjs')], {
    cwd: fx.dir,
    env: { ...process.env, DENO_DIR: join(fx.dir, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`deno did not start in 20 s: ${err}`)), 20_000);
    let out = '';
    child!.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child!.on('exit', (code) => { clearTimeout(timer); reject(new Error(`deno exited ${code}: ${err}`)); });
  });
  base = `http://127.0.0.1:${port}/`;
});

test.after(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child!.once('exit', r));
  child.stdin!.end(); // the server shuts itself down when stdin closes
  const t = setTimeout(() => child!.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
});

test('deno serves on 127.0.0.1 and loads the bundle', async () => {
  if (blocked) return note('SKIP', `deno: ${blocked}`);
  const info = await (await fetch(new URL('/info', base))).json() as { tiers: string[]; canCompileWasmAtRuntime: boolean; instructions: number };
  assert.equal(info.tiers, ['interpreter', 'aot']);
  assert.is(info.instructions, fx.program.length / 8);
  assert.is(info.canCompileWasmAtRuntime, true);
});

test('every packet, as hex and as binary: same verdict and data_out as Node', async () => {
  if (blocked) return;
  for (let i = 0; i < fx.packets.length; i++) {
    const p = fx.packets[i]!;
    const hex = await post('/xdp', p.hex, 'text/plain');
    assert.is(hex.status, 200, p.name);
    assert.equal(stripVerdict(hex.body), fx.expected[i], p.name);
    const bin = await post('/xdp', fromHex(p.hex), 'application/octet-stream');
    assert.equal(stripVerdict(bin.body), fx.expected[i], p.name);
  }
  const batch = await post('/xdp/batch', JSON.stringify({ packets: fx.packets.map((p) => p.hex) }), 'application/json');
  assert.equal(batch.body.results.map(stripVerdict), fx.expected);
});

test('the precompiled firewall (AOT, bytes checked): same verdicts, data_out, runBatch and maps as Node JIT, Node AOT and the interpreter', async () => {
  if (blocked) return;
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
  note('NOTE', `deno AOT: first /aot/run round trip ${firstMs.toFixed(1)} ms; in Deno: load ${r.body.loadMs.toFixed(2)} ms, first verdict ${r.body.firstVerdictMs.toFixed(2)} ms`);
  const wrong = await fetch(new URL('/aot/wrong-module', base));
  assert.is(wrong.status, 422);
  // bytes here, so the checksum catches the wrong module before its shape is compared
  assert.match(((await wrong.json()) as { error: string }).error, /^EW7022: program xdp_firewall, file xdp_firewall\.wasm: sha256/);
});

test('deno compiles run-time WebAssembly (unlike workerd)', async () => {
  if (blocked) return;
  const r = await post('/wasm/compile', TINY_WASM, 'application/wasm');
  assert.equal(r.body, { compiled: true, exports: 1 });
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
