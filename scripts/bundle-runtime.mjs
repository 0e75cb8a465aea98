// Bundles the Binaryen-free runtime entry (tsc's output in dist/src/runtime-entry)
// into one ES module: dist/runtime/ebpf-wasm-runtime.js (minified) and
// ebpf-wasm-runtime.debug.js (readable), and records their sizes in size.json.
//
// esbuild rather than a concatenation script: tsc's ESM output has `export *`
// chains, re-exports and name collisions between modules that a rewriting
// script would have to scope by hand; esbuild does this correctly, tree-shakes
// what the runtime does not export (assembler tables, pcap) and minifies, in
// ~50 ms, from one npm package with no dependencies.
//
// platform 'neutral' resolves no Node built-ins, so a `node:` import fails the
// build; the metafile check below also fails it if Binaryen or the CLI is
// reached (the JIT's runtime side, src/jit/runtime.ts + abi.ts, may join; its
// compiler imports Binaryen and is caught).
import { build } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'dist/src/runtime-entry/index.js');
const outDir = join(root, 'dist/runtime');
mkdirSync(outDir, { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'none',
};

export async function bundleRuntime({ quiet = false } = {}) {
  const aotEntry = join(root, 'dist/src/runtime-entry/aot.js');
  const outputs = [
    { file: 'ebpf-wasm-runtime.js', minify: true, entry },
    { file: 'ebpf-wasm-runtime.debug.js', minify: false, entry },
    // precompiled modules only (ebpf-wasm/runtime/aot): no verifier, interpreter or decoder
    { file: 'ebpf-wasm-aot.js', minify: true, entry: aotEntry },
    { file: 'ebpf-wasm-aot.debug.js', minify: false, entry: aotEntry },
  ];
  const sizes = {};
  for (const o of outputs) {
    const outfile = join(outDir, o.file);
    const r = await build({ ...common, entryPoints: [o.entry], outfile, minify: o.minify });
    const inputs = Object.keys(r.metafile.inputs);
    const bad = inputs.filter((p) => /binaryen|(^|\/)node:|src\/cli\//.test(p));
    if (bad.length) throw new Error(`runtime bundle reached forbidden modules: ${bad.join(', ')}`);
    const heavy = o.entry === aotEntry ? inputs.filter((p) => /src\/(verifier|interpreter|loader)\//.test(p)) : [];
    if (heavy.length) throw new Error(`the AOT bundle reached the verifier/interpreter/loader: ${heavy.join(', ')}`);
    const bytes = readFileSync(outfile);
    sizes[o.file] = { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, modules: inputs.length };
  }
  writeFileSync(join(outDir, 'size.json'), JSON.stringify(sizes, null, 2) + '\n');
  if (!quiet) {
    for (const [f, s] of Object.entries(sizes)) {
      console.log(`${f}: ${s.raw} B raw, ${s.gzip} B gzip (${s.modules} modules)`);
    }
  }
  return { outDir, file: join(outDir, 'ebpf-wasm-runtime.js'), sizes };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await bundleRuntime();
}
