/**
 * The live-kernel check shared by the test files whose kernel answers come
 * from `oracle.c test-run` (callbacks, helpers2, tailcall): build the oracle,
 * run every stored case through BPF_PROG_TEST_RUN and assert the output is
 * the stored one. Under root a build failure fails; without root it skips.
 */
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../support/paths.js';

export interface StoredTestRunCase { name: string; prog: string; data: string; kernel: string; object?: string }

/** Runs `cases` (objects relative to the repository; default `object`) in the live kernel; `what` names them in the NOTE. */
export function assertLiveTestRuns(what: string, object: string, cases: readonly StoredTestRunCase[]): void {
  if (process.getuid?.() !== 0) { console.log('SKIP: the live kernel comparison needs root (bpf())'); return; }
  const dir = mkdtempSync(join(tmpdir(), `ebpf-wasm-${what.replace(/\W+/g, '-')}-`));
  try {
    const oracle = join(dir, 'oracle');
    const cc = spawnSync('gcc', ['-O2', '-o', oracle, join(ROOT, 'test', 'kernel', 'oracle.c'), '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' });
    assert.is(cc.status, 0, `gcc failed (running as root, so this is a failure, not a skip): ${cc.stderr}`);
    let ran = 0;
    for (const c of cases) {
      const r = spawnSync(oracle, ['test-run', c.object ?? object, '--prog', c.prog, '--data-hex', c.data], { cwd: ROOT, encoding: 'utf8' });
      assert.is(r.status, 0, `oracle failed on ${c.name}: ${r.stderr}`);
      assert.is(r.stdout.replace(/^duration_ns: \d+\n/m, ''), c.kernel, c.name);
      ran++;
    }
    console.log(`\nNOTE: ${ran} ${what} cases ran in the live kernel`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
