// Cold start (load to first verdict) of the xdp_firewall example per host, and
// the AOT deployment's size: `npm run build && node scripts/bench-aot.mjs [N]`.
// Each sample is a fresh process / isolate / page; medians of N (default 5).
//   Node interpreter / JIT: loadObject from the .o (JIT: Binaryen loaded and the program compiled)
//   Node AOT, Deno: the runtime bundle + manifest.json + .wasm bytes, compiled and loaded
//   Chromium: the bundle imported, modules fetched with compileStreaming, loaded
//   workerd: modules compiled by workerd at startup; performance.now() does not advance inside a
//     request there, so the figure is the first /aot/first round trip seen by the client (load a fresh
//     set + one verdict), plus the time from spawning workerd to its first answer
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const N = Number(process.argv[2] ?? 5);
const h = await import(pathToFileURL(join(root, 'dist/test/fixtures/edge/harness.js')).href);
const fx = await h.prepareFixture();
const dir = fx.dir;
const packet = fx.aot.packets[3].hex; // tcp 80: XDP_PASS
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const results = {};

function nodeSample(code) {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const nodeObject = (tier) => `
const t0 = performance.now();
const { loadObject } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist/src/object/index.js')).href)});
const { loadTier } = await import(${JSON.stringify(pathToFileURL(join(root, 'dist/src/runtime/tier.js')).href)});
const { readFileSync } = await import('node:fs');
await loadTier('${tier}');
const kernels = new WebAssembly.Module(readFileSync(${JSON.stringify(h.KERNELS_WASM)}));
const obj = loadObject(new Uint8Array(readFileSync(${JSON.stringify(h.FIREWALL_O)})), { name: 'xdp_firewall', kernels, tier: '${tier}' });
const r = obj.program('xdp_firewall').loaded.testRun({ data: Buffer.from('${packet}', 'hex') });
console.log(JSON.stringify({ ms: performance.now() - t0, retval: String(r.retval) }));`;
const nodeAotWith = (bundle) => `
const t0 = performance.now();
const rt = await import(${JSON.stringify(pathToFileURL(join(root, 'dist/runtime')).href)} + '/${bundle}');
const { readFileSync } = await import('node:fs');
const manifest = JSON.parse(readFileSync(${JSON.stringify(join(dir, 'aot/manifest.json'))}, 'utf8'));
const set = rt.loadPrecompiled(manifest, { xdp_firewall: new Uint8Array(readFileSync(${JSON.stringify(join(dir, 'aot/xdp_firewall.wasm'))})) },
  { kernels: new Uint8Array(readFileSync(${JSON.stringify(join(dir, 'aot/maps.wasm'))})) });
const r = set.program('xdp_firewall').testRun({ data: Buffer.from('${packet}', 'hex') });
console.log(JSON.stringify({ ms: performance.now() - t0, retval: String(r.retval) }));`;
const nodeAot = nodeAotWith('ebpf-wasm-runtime.js');

for (const [name, code] of [['Node interpreter (.o)', nodeObject('interpreter')], ['Node JIT (.o, Binaryen)', nodeObject('jit')],
  ['Node AOT (runtime bundle)', nodeAot], ['Node AOT (AOT-only bundle)', nodeAotWith('ebpf-wasm-aot.js')]]) {
  const xs = [];
  for (let i = 0; i < N; i++) { const s = nodeSample(code); if (s.retval !== '2') throw new Error(`${name}: retval ${s.retval}`); xs.push(s.ms); }
  results[name] = median(xs);
}

// Deno: the same steps as Node AOT, bytes read with Deno.readFile
writeFileSync(join(dir, 'deno-coldstart.mjs'), nodeAot
  .replace("const { readFileSync } = await import('node:fs');", 'const readFileSync = (f, enc) => enc ? Deno.readTextFileSync(f) : Deno.readFileSync(f);')
  .replace(/Buffer\.from\('([0-9a-f]+)', 'hex'\)/, (_, x) => `new Uint8Array(${JSON.stringify(Array.from(Buffer.from(x, 'hex')))})`));
{
  const xs = [];
  for (let i = 0; i < N; i++) {
    const r = spawnSync(join(root, 'node_modules/.bin/deno'), ['run', `--allow-read=${root}`, '--no-prompt', '--no-config', '--no-lock', join(dir, 'deno-coldstart.mjs')],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, DENO_DIR: join(dir, '.deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } });
    if (r.status !== 0) throw new Error(r.stderr);
    const s = JSON.parse(r.stdout.trim());
    if (s.retval !== '2') throw new Error(`deno: retval ${s.retval}`);
    xs.push(s.ms);
  }
  results['Deno AOT'] = median(xs);
}

// Chromium: a page per sample
writeFileSync(join(dir, 'coldstart.html'), `<!doctype html><meta charset="utf-8"><script type="module">
const t0 = performance.now();
const rt = await import('./' + new URLSearchParams(location.search).get('bundle'));
const [manifest, prog, kernels] = await Promise.all([fetch('./aot/manifest.json').then((r) => r.json()),
  WebAssembly.compileStreaming(fetch('./aot/xdp_firewall.wasm')), WebAssembly.compileStreaming(fetch('./aot/maps.wasm'))]);
const set = rt.loadPrecompiled(manifest, { xdp_firewall: prog }, { kernels });
const r = set.program('xdp_firewall').testRun({ data: new Uint8Array(${JSON.stringify(Array.from(Buffer.from(packet, 'hex')))}) });
window.result = { ms: performance.now() - t0, retval: String(r.retval) };
</script>`);
{
  const server = await h.serveDir(dir);
  const browser = await h.launchChromium();
  copyFileSync(join(root, 'dist/runtime/ebpf-wasm-aot.js'), join(dir, 'ebpf-wasm-aot.js'));
  for (const [label, bundle] of [['runtime bundle', 'ebpf-wasm-runtime.js'], ['AOT-only bundle', 'ebpf-wasm-aot.js']]) {
    const xs = [];
    for (let i = 0; i < N; i++) {
      const page = await browser.context.newPage();
      await page.goto(new URL(`coldstart.html?bundle=${bundle}&i=${i}`, server.base).href);
      await page.waitForFunction(() => window.result, undefined, { timeout: 15_000 });
      const s = await page.evaluate(() => window.result);
      if (s.retval !== '2') throw new Error(`chromium: retval ${s.retval}`);
      xs.push(s.ms);
      await page.close();
    }
    results[`Chromium AOT (${label})`] = median(xs);
  }
  await browser.close();
  await server.close();
}

// workerd: a fresh process per sample
{
  const xs = [], boot = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const w = await h.startWorkerd(dir, [
      { name: 'worker.mjs', kind: 'esModule' }, { name: 'ebpf-wasm-runtime.js', kind: 'esModule' },
      { name: 'program.mjs', kind: 'esModule' }, { name: 'handler.mjs', kind: 'esModule' }, { name: 'aot-handler.mjs', kind: 'esModule' },
      { name: 'manifest.json', kind: 'json', file: 'aot/manifest.json' },
      { name: 'xdp_firewall.wasm', kind: 'wasm', file: 'aot/xdp_firewall.wasm' }, { name: 'maps.wasm', kind: 'wasm', file: 'aot/maps.wasm' },
    ]);
    boot.push(performance.now() - t0);
    const t1 = performance.now();
    const r = await (await fetch(new URL('/aot/first', w.base), { method: 'POST', body: packet })).json();
    xs.push(performance.now() - t1);
    await w.stop();
    if (r.retval !== '2') throw new Error(`workerd: ${JSON.stringify(r)}`);
  }
  results['workerd AOT (first request round trip)'] = median(xs);
  results['workerd: spawn to first answer (polled every 100 ms)'] = median(boot);
}

const gz = (f) => gzipSync(readFileSync(f), { level: 9 }).length;
const files = { bundle: join(root, 'dist/runtime/ebpf-wasm-runtime.js'), aotBundle: join(root, 'dist/runtime/ebpf-wasm-aot.js'), kernels: join(dir, 'aot/maps.wasm'), program: join(dir, 'aot/xdp_firewall.wasm') };
const sizes = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, { raw: readFileSync(f).length, gzip: gz(f) }]));
console.log(JSON.stringify({ samples: N, coldStartMs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v * 10) / 10])), sizes }, null, 2));
