/**
 * The static playground (dist/web, built by scripts/build-web.mjs) in headless
 * Chromium, served from 127.0.0.1 under a CSP that allows only its own origin
 * and with every other request aborted: it must work offline. Clicking Run
 * must show the verdict and data_out Node computes; a screenshot is saved as
 * dist/playground.png.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { assembleToBytes } from '../src/isa/index.js';
import {
  installBlocked, launchChromium, nodeVerdicts, note, root, serveDir, type StaticServer, type Verdict,
} from './fixtures/edge/harness.js';

const blocked = installBlocked('chromium');
let server: StaticServer;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
let page: Page;
const pageErrors: string[] = [];
const foreign: string[] = [];

const asm = (name: string): Uint8Array => assembleToBytes(readFileSync(join(root, 'web/examples', name), 'utf8'));
const text = async (sel: string): Promise<string> => (await page.textContent(sel))?.trim() ?? '';

/** Clicks Run and waits for this run to finish (body[data-runs] counts runs). */
async function clickRun(): Promise<void> {
  const before = Number(await page.getAttribute('body', 'data-runs') ?? 0);
  await page.click('#run');
  await page.waitForFunction((n) => Number(document.body.dataset.runs ?? 0) > n || !document.getElementById('run-error')!.hidden
    || !document.getElementById('asm-error')!.hidden, before, { timeout: 10_000 });
}

async function shown(): Promise<Verdict> {
  return {
    retval: await text('#retval'),
    action: await text('#action'),
    dataOut: (await page.getAttribute('#data-out', 'data-hex')) ?? '',
  };
}

test.before(async () => {
  if (blocked) return;
  const { buildWeb } = await import(pathToFileURL(join(root, 'scripts/build-web.mjs')).href) as
    { buildWeb(o: { quiet: boolean }): Promise<{ outDir: string }> };
  const { outDir } = await buildWeb({ quiet: true });
  server = await serveDir(outDir, () => ({ 'content-security-policy': "default-src 'self'" }));
  browser = await launchChromium();
  // offline: anything not served by our own 127.0.0.1 server is aborted and recorded
  await browser.context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(server.base)) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.goto(server.base);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
});

test.after(async () => {
  await browser?.close();
  await server?.close();
});

test('the playground opens with the firewall example disassembled', async () => {
  if (blocked) return note('SKIP', `chromium: ${blocked}`);
  const dis = await text('#disasm');
  assert.match(dis, /0:\tmov %r6, %r1/);
  assert.is(dis.split('\n').length, asm('xdp-firewall.asm').length / 8);
  assert.match(await text('#env'), /tiers: interpreter/);
  // the hooks for panels that land later are there, marked as not wired
  for (const id of ['verifier', 'wat', 'maps']) {
    assert.is(await page.getAttribute(`#panel-${id}-body`, 'data-state'), 'unwired', id);
  }
});

test('Run shows the verdict and data_out Node computes; screenshot saved', async () => {
  if (blocked) return;
  const fw = asm('xdp-firewall.asm');
  const packet = await page.inputValue('#packet');
  await clickRun();
  const want = nodeVerdicts(fw, [{ name: 'icmp', hex: packet }])[0]!;
  assert.equal(want.action, 'XDP_TX');
  assert.equal(await shown(), want);
  assert.ok((await page.$$('#data-out mark')).length >= 12, 'the swapped MAC bytes are marked');
  await page.screenshot({ path: join(root, 'dist/playground.png'), fullPage: true });
  note('NOTE', 'screenshot: dist/playground.png');
  // another preset: telnet is dropped
  await page.selectOption('#preset', { label: 'TCP to port 23 (telnet)' });
  await clickRun();
  assert.equal(await shown(), nodeVerdicts(fw, [{ name: 'telnet', hex: await page.inputValue('#packet') }])[0]);
  assert.is(await text('#action'), 'XDP_DROP');
});

test('an uploaded .bin is disassembled into the editor and runs', async () => {
  if (blocked) return;
  const vlan = asm('push-vlan.asm');
  await page.setInputFiles('#upload', { name: 'push-vlan.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(vlan) });
  await page.waitForFunction(() => document.getElementById('source-note')!.textContent!.includes('push-vlan.bin'));
  assert.match(await page.inputValue('#source'), /call 44/);
  await page.selectOption('#preset', { label: 'TCP to port 80' });
  await clickRun();
  const want = nodeVerdicts(vlan, [{ name: 'tcp', hex: await page.inputValue('#packet') }])[0]!;
  assert.equal(await shown(), want);
  assert.is(want.dataOut.slice(24, 32), '81000064', 'the 802.1Q tag follows the MACs');
});

test('a clang object (.o) is parsed in the page; its XDP program runs as in Node', async () => {
  if (blocked) return;
  const { parseObject } = await import('../src/loader/index.js');
  const obj = readFileSync(join(root, 'test/fixtures/edge/xdp_edge.o'));
  // parseObject patches the bytes it is given (calls are linked in place): parse a copy
  const prog = parseObject(new Uint8Array(obj)).programs[0]!;
  await page.setInputFiles('#upload', { name: 'xdp_edge.o', mimeType: 'application/octet-stream', buffer: obj });
  await page.waitForFunction(() => document.getElementById('source-note')!.textContent!.includes('xdp_edge.o: xdp_edge'));
  assert.ok(await page.isHidden('#elf-program'), 'one XDP program: nothing to choose');
  for (const preset of ['ARP', 'UDP to port 53, 1000 B payload', 'TCP to port 80']) {
    await page.selectOption('#preset', { label: preset });
    await clickRun();
    assert.equal(await shown(), nodeVerdicts(prog.instructions, [{ name: preset, hex: await page.inputValue('#packet') }])[0], preset);
  }
  assert.is(await text('#action'), 'XDP_PASS');
  // an object with several programs, some needing maps: a chooser, and a clear refusal
  const multi = readFileSync(join(root, 'test/fixtures/elf/progs.o'));
  await page.setInputFiles('#upload', { name: 'progs.o', mimeType: 'application/octet-stream', buffer: multi });
  await page.waitForFunction(() => document.getElementById('source-note')!.textContent!.includes('progs.o: xdp_pass'));
  assert.ok(await page.isVisible('#elf-program'));
  assert.is((await page.$$('#elf-program option')).length, parseObject(new Uint8Array(multi)).programs.length);
  assert.match(await text('#asm-error'), /xdp_pass needs map relocations/);
  await clickRun();
  assert.match(await text('#run-error'), /not wired/);
});

test('assembler and run errors are shown with their diagnostic codes', async () => {
  if (blocked) return;
  await page.fill('#source', 'mov %r0, 1\nfrobnicate %r1\nexit');
  await clickRun();
  assert.match(await text('#asm-error'), /^EW2\d{3}: line 2/);
  await page.fill('#source', 'ldxw %r2, [%r1+4]\nldxb %r0, [%r2+5000]\nexit');
  await clickRun();
  assert.match(await text('#run-error'), /^EW3001: pc 1/);
  assert.is(await page.getAttribute('#run-error', 'data-code'), '3001');
});

test('a panel registered through the hook renders after each assembly', async () => {
  if (blocked) return;
  await page.selectOption('#example', { label: 'Drop UDP' });
  await page.evaluate(() => (globalThis as any).ebpfPlayground.registerPanel('verifier', {
    when: 'assemble', render: (ctx: { program: { instructions: unknown[] } }) => ({ text: `${ctx.program.instructions.length} insns checked`, ok: true }),
  }));
  await page.waitForFunction(() => document.getElementById('panel-verifier-body')!.dataset.state === 'ok');
  assert.is(await text('#panel-verifier-body'), '13 insns checked');
  assert.is(await page.getAttribute('#panel-wat-body', 'data-state'), 'unwired');
});

test('nothing left 127.0.0.1 and the page logged no errors', () => {
  if (blocked) return;
  assert.equal(foreign, []);
  assert.equal(pageErrors, []);
});

test.run();
