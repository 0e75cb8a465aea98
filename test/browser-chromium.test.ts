/**
 * The runtime bundle in headless Chromium (playwright-core driving the
 * system chromium): a page imports the bundle and runs the firewall through
 * the same handler as workerd and Deno; results must equal Node's. The
 * precompiled xdp_firewall (fetched, compileStreaming) must give the same
 * verdicts and maps as Node JIT, Node AOT and the interpreter. Under a CSP
 * without 'wasm-unsafe-eval' run-time compilation is refused (AOT modules too:
 * the browser compiles every module in the page) but the interpreter still runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Page } from 'playwright-core';
import {
  aotComparable, aotReferences, nodePcap, SAMPLE_PCAP, installBlocked, launchChromium, note, prepareFixture, serveDir, stripVerdict, TINY_WASM,
  type Fixture, type StaticServer,
} from './fixtures/edge/harness.js';

const blocked = installBlocked('chromium');
let fx: Fixture;
let server: StaticServer;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
const CSP = "default-src 'self'; script-src 'self'";

async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(new URL(path, server.base).href);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 15_000 });
  return { page, errors };
}
type CallResult = { status: number; body: any };
const call = (page: Page, method: string, path: string, body?: string | number[], type?: string): Promise<CallResult> =>
  page.evaluate(([m, p, b, t]) => (window as any).edge.call(m, p, b, t), [method, path, body, type] as const);

test.before(async () => {
  if (blocked) return;
  fx = await prepareFixture();
  // page.html as is, and the same page under a strict CSP at /csp/page.html
  server = await serveDir(fx.dir, (p): Record<string, string> => (p.startsWith('/csp/') ? { 'content-security-policy': CSP } : {}));
  const { mkdirSync, copyFileSync, readdirSync } = await import('node:fs');
  const { join } = await import('node:path');
  mkdirSync(join(fx.dir, 'csp'), { recursive: true });
  for (const f of readdirSync(fx.dir)) if (/\.(m?js|html)$/.test(f)) copyFileSync(join(fx.dir, f), join(fx.dir, 'csp', f));
  mkdirSync(join(fx.dir, 'csp/aot'), { recursive: true });
  for (const f of readdirSync(join(fx.dir, 'aot'))) copyFileSync(join(fx.dir, 'aot', f), join(fx.dir, 'csp/aot', f));
  browser = await launchChromium();
});

test.after(async () => {
  await browser?.close();
  await server?.close();
});

test('chromium loads the bundle; run-time compilation is allowed without a CSP', async () => {
  if (blocked) return note('SKIP', `chromium: ${blocked}`);
  const { page, errors } = await open('page.html');
  const info = await call(page, 'GET', '/info');
  assert.equal(info.body.tiers, ['interpreter', 'aot']);
  assert.is(info.body.canCompileWasmAtRuntime, true);
  assert.equal((await call(page, 'POST', '/wasm/compile', Array.from(TINY_WASM))).body, { compiled: true, exports: 1 });
  note('NOTE', `chromium ${browser!.context.browser()?.version() ?? ''}`);
  assert.equal(errors, []);
  await page.close();
});

test('every packet, as hex and as binary: same verdict and data_out as Node', async () => {
  if (blocked) return;
  const { page, errors } = await open('page.html');
  const { fromHex } = await import('./fixtures/edge/harness.js');
  for (let i = 0; i < fx.packets.length; i++) {
    const p = fx.packets[i]!;
    const hex = await call(page, 'POST', '/xdp', p.hex, 'text/plain');
    assert.is(hex.status, 200, p.name);
    assert.equal(stripVerdict(hex.body), fx.expected[i], p.name);
    const bin = await call(page, 'POST', '/xdp', Array.from(fromHex(p.hex)), 'application/octet-stream');
    assert.equal(stripVerdict(bin.body), fx.expected[i], p.name);
  }
  assert.equal(errors, []);
  await page.close();
});

test('the precompiled firewall (AOT): same verdicts, data_out, runBatch and maps as Node JIT, Node AOT and the interpreter', async () => {
  if (blocked) return;
  const { page, errors } = await open('page.html');
  const body = JSON.stringify({ packets: fx.aot.packets.map((p) => p.hex), blocklist: fx.aot.blocklist });
  const r = await call(page, 'POST', '/aot/run', body, 'application/json');
  assert.is(r.status, 200, JSON.stringify(r.body));
  const ref = await aotReferences(fx.aot);
  const got = aotComparable(r.body);
  assert.equal(got, ref.nodeAot);
  assert.equal(got, ref.jit);
  assert.equal(got, ref.interpreter);
  note('NOTE', `chromium AOT: load (fetch + compileStreaming + loadPrecompiled) ${r.body.loadMs.toFixed(2)} ms, first verdict ${r.body.firstVerdictMs.toFixed(2)} ms`);
  const wrong = await call(page, 'GET', '/aot/wrong-module');
  assert.is(wrong.status, 422);
  assert.match(wrong.body.error, /^EW7024: /);
  assert.equal(errors, []);
  await page.close();
});

test("under a CSP without 'wasm-unsafe-eval' compilation is refused and the interpreter still runs", async () => {
  if (blocked) return;
  const { page, errors } = await open('csp/page.html');
  const info = await call(page, 'GET', '/info');
  assert.is(info.body.canCompileWasmAtRuntime, false);
  const c = await call(page, 'POST', '/wasm/compile', Array.from(TINY_WASM));
  assert.is(c.body.compiled, false);
  assert.match(c.body.error, /CompileError|unsafe-eval|Content Security Policy/i);
  const batch = await call(page, 'POST', '/xdp/batch', JSON.stringify({ packets: fx.packets.map((p) => p.hex) }), 'application/json');
  assert.equal(batch.body.results.map(stripVerdict), fx.expected);
  // AOT modules are compiled by the page too, so the CSP refuses them: a clear error, not a hang
  const aot = await call(page, 'POST', '/aot/run', JSON.stringify({ packets: [fx.aot.packets[3]!.hex] }), 'application/json');
  assert.is(aot.status, 422);
  assert.match(aot.body.error, /CompileError|unsafe-eval|Content Security Policy/i);
  assert.equal(errors, []);
  await page.close();
});

test('a whole capture (examples/sample.pcap) in the page: same outcomes as Node', async () => {
  if (blocked) return;
  const { readFileSync } = await import('node:fs');
  const pcap = readFileSync(SAMPLE_PCAP);
  const { page, errors } = await open('page.html');
  const r = await call(page, 'POST', '/pcap', Array.from(pcap), 'application/vnd.tcpdump.pcap');
  assert.is(r.status, 200);
  assert.equal(r.body, nodePcap(fx.program, pcap));
  assert.equal(errors, []);
  await page.close();
});

test.run();
