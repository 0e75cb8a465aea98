// Runs every compiled test file (dist/test/**/*.test.js) with uvu, one process
// per file so that a crash in one names its file, and prints a closing line.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'dist', 'test');
const only = process.argv.slice(2);

function walk(d) {
  const out = [];
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk(dir).sort().filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
let passed = 0, failed = 0, skipped = 0, failedFiles = [];
for (const f of files) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [f], { cwd: root, encoding: 'utf8', env: process.env, maxBuffer: 256 << 20 });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  const total = /Total:\s+(\d+)/.exec(out), pass = /Passed:\s+(\d+)/.exec(out), skip = /Skipped:\s+(\d+)/.exec(out);
  const t = total ? +total[1] : 0, p = pass ? +pass[1] : 0, s = skip ? +skip[1] : 0;
  const ok = r.status === 0 && t > 0;
  passed += p; skipped += s; failed += Math.max(t - p - s, ok ? 0 : 1);
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${relative(root, f)} (${p}/${t}, ${Date.now() - t0} ms)\n`);
  if (!ok) { failedFiles.push(f); process.stdout.write(out.split('\n').map((l) => '    ' + l).join('\n') + '\n'); }
  else for (const line of out.split('\n')) if (/^(SKIP|NOTE):/.test(line)) process.stdout.write('    ' + line + '\n');
}
process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed === 0 && files.length > 0 ? 0 : 1);
