// Builds the static playground (web/) into dist/web/: type-checks web/src with
// tsc (web/tsconfig.json, no Node types), bundles web/src/main.ts and the
// engine sources it imports into one ES module (esbuild, as for the runtime
// bundle), and copies the page and stylesheet. The output is self-contained:
// no CDN, no fetches, so it works offline and from any static server.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// LoadedProgram's on-demand JIT import (Binaryen) is stubbed out, as in the runtime bundle

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'dist/web');

export async function buildWeb({ check = true, quiet = false } = {}) {
  if (check) {
    execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'web/tsconfig.json')], { stdio: 'inherit' });
  }
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, 'playground.js');
  const r = await build({
    entryPoints: [join(root, 'web/src/main.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    loader: { '.asm': 'text' },
    metafile: true,
    logLevel: 'warning',
    legalComments: 'none',
  });
  const bad = Object.keys(r.metafile.inputs).filter((p) => /binaryen|(^|\/)node:|src\/cli\//.test(p));
  if (bad.length) throw new Error(`playground bundle reached forbidden modules: ${bad.join(', ')}`);
  for (const f of ['index.html', 'style.css', 'favicon.svg']) copyFileSync(join(root, 'web', f), join(outDir, f));
  const js = readFileSync(outfile);
  const size = { raw: js.length, gzip: gzipSync(js, { level: 9 }).length };
  writeFileSync(join(outDir, 'size.json'), JSON.stringify({ 'playground.js': size }, null, 2) + '\n');
  if (!quiet) console.log(`dist/web/playground.js: ${size.raw} B raw, ${size.gzip} B gzip`);
  return { outDir, size };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildWeb();
}
