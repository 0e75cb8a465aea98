#!/usr/bin/env node
/**
 * Regenerates test/fixtures/oss-shaped/kernel.json: the running kernel's
 * BPF_PROG_TEST_RUN results (through test/kernel/oracle.c) for the
 * oss-shaped fixtures, the minimal reproductions of what open-source objects
 * needed (docs/OPEN-SOURCE-OBJECTS.md). Needs root (bpf()) and gcc -lbpf.
 *
 *   test/fixtures/oss-shaped/build.sh && node scripts/open-source-objects-expectations.mjs
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OSS_SHAPED_CASES, oracleArgs } from '../test/fixtures/oss-shaped/cases.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'oss-oracle-'));
try {
  const oracle = join(dir, 'oracle');
  execFileSync('gcc', ['-O2', '-o', oracle, join(ROOT, 'test/kernel/oracle.c'), '-lbpf', '-lelf', '-lz'], { stdio: 'pipe' });
  const cases = OSS_SHAPED_CASES.map((c) => {
    const out = execFileSync(oracle, oracleArgs(c, dir), { cwd: ROOT, encoding: 'utf8' });
    // the duration varies from run to run: keep retval and data_out
    const kernel = out.split('\n').filter((l) => l.startsWith('retval:') || l.startsWith('data_out:')).join('\n') + '\n';
    return { ...c, kernel };
  });
  const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  writeFileSync(join(ROOT, 'test/fixtures/oss-shaped/kernel.json'),
    JSON.stringify({ generator: 'scripts/open-source-objects-expectations.mjs', kernel: release, cases }, null, 1) + '\n');
  console.log(`${cases.length} cases from kernel ${release}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
