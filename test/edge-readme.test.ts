/**
 * The README's host examples ("Hosts: the JIT where code generation is
 * allowed, ahead-of-time modules everywhere"), run as written in each host:
 * Node, headless Chromium, Deno and workerd. Only the package specifier
 * 'ebpf-wasm/runtime' is mapped to the built bundle where the host has no
 * package resolution (a bundler or import map does that in a deployment).
 * Each must print what the object loaded from its `.o` gives in the interpreter.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT } from './support/paths.js';
import {
  aotPackets, FIREWALL_O, fromHex, installBlocked, KERNELS_WASM, launchChromium, serveDir, startWorkerd,
} from './fixtures/edge/harness.js';
import { loadObject } from '../src/object/index.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
function snippet(heading: string): string {
  const at = readme.indexOf(`\n### ${heading}\n`);
  assert.ok(at >= 0, `README has a ${heading} section`);
  const m = /```js\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(m, `README ${heading} section has a js example`);
  return m![1]!;
}
const toBundle = (code: string): string => code.replace("from 'ebpf-wasm/runtime'", "from './ebpf-wasm-runtime.js'");

// inside the package, so that Node resolves 'ebpf-wasm/runtime' by self-reference as a user's install would
const dir = join(ROOT, 'dist/readme-examples');
const packet = fromHex(aotPackets().find((p) => p.name.startsWith('tcp from 198.51.100.9'))!.hex);
let expected = '';

test.before(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const c = spawnSync(process.execPath, [CLI, 'compile', FIREWALL_O, '-o', join(dir, 'fw')], { cwd: ROOT, encoding: 'utf8' });
  assert.is(c.status, 0, c.stderr);
  writeFileSync(join(dir, 'packet.bin'), packet);
  copyFileSync(join(ROOT, 'dist/runtime/ebpf-wasm-runtime.js'), join(dir, 'ebpf-wasm-runtime.js'));
  copyFileSync(join(ROOT, 'dist/runtime/ebpf-wasm-aot.js'), join(dir, 'ebpf-wasm-aot.js'));
  // the reference: the .o in the interpreter, same blocklist entry, same packet
  const obj = loadObject(new Uint8Array(readFileSync(FIREWALL_O)), { name: 'xdp_firewall', kernels: new WebAssembly.Module(readFileSync(KERNELS_WASM)) });
  obj.map('blocklist').update(Uint8Array.of(24, 0, 0, 0, 198, 51, 100, 0), Uint8Array.of(1, 0, 0, 0));
  const { retval } = obj.program('xdp_firewall').loaded.testRun({ data: packet });
  expected = JSON.stringify({ retval: Number(retval), hits: [...obj.map('rule_hits').lookup(Uint8Array.of(1, 0, 0, 0))!] });
  assert.is(expected, JSON.stringify({ retval: 1, hits: [1, 0, 0, 0, 0, 0, 0, 0] }), 'XDP_DROP by rule 1');
});

test('Node: the README example, unchanged', () => {
  writeFileSync(join(dir, 'node.mjs'), snippet('Node'));
  const r = spawnSync(process.execPath, [join(dir, 'node.mjs')], { cwd: dir, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), expected);
});

test('Deno: the README example', () => {
  const blocked = installBlocked('deno');
  if (blocked) { process.stdout.write(`\nSKIP: deno: ${blocked}\n`); return; }
  writeFileSync(join(dir, 'deno.mjs'), toBundle(snippet('Deno')));
  const r = spawnSync(join(ROOT, 'node_modules/.bin/deno'), ['run', `--allow-read=${dir}`, '--no-prompt', '--no-config', '--no-lock', join(dir, 'deno.mjs')], {
    cwd: dir, encoding: 'utf8', env: { ...process.env, DENO_DIR: join(dir, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
  });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.trim(), expected);
});

test('Chromium: the README example in a page', async () => {
  const blocked = installBlocked('chromium');
  if (blocked) { process.stdout.write(`\nSKIP: chromium: ${blocked}\n`); return; }
  writeFileSync(join(dir, 'browser.mjs'), toBundle(snippet('Browser')));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./browser.mjs"></script><body></body>');
  const server = await serveDir(dir);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(new URL('index.html', server.base).href);
    await page.waitForFunction(() => document.body.textContent!.startsWith('{'), undefined, { timeout: 15_000 });
    assert.is(await page.evaluate(() => document.body.textContent), expected);
    assert.equal(errors, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('workerd: the README Worker, unchanged (the package specifier names the AOT bundle module)', async () => {
  const blocked = installBlocked('workerd');
  if (blocked) { process.stdout.write(`\nSKIP: workerd: ${blocked}\n`); return; }
  writeFileSync(join(dir, 'worker.mjs'), snippet('Cloudflare Workers (workerd)'));
  const w = await startWorkerd(dir, [
    { name: 'worker.mjs', kind: 'esModule' },
    { name: 'ebpf-wasm/runtime/aot', kind: 'esModule', file: 'ebpf-wasm-aot.js' },
    { name: 'fw/manifest.json', kind: 'json' },
    { name: 'fw/xdp_firewall.wasm', kind: 'wasm' },
    { name: 'fw/maps.wasm', kind: 'wasm' },
  ], '/', (r) => r.status > 0);
  try {
    const r = await fetch(new URL('/', w.base), { method: 'POST', body: packet });
    assert.is(r.status, 200);
    // the readiness probe's empty bodies match no rule, so the counter is this request's
    assert.is(JSON.stringify(await r.json()), expected);
  } finally {
    await w.stop();
  }
});

test.run();
