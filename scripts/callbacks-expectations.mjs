#!/usr/bin/env node
// Runs the kernel oracle (test/kernel/oracle.c: libbpf + BPF_PROG_TEST_RUN) on
// the callback fixture (test/fixtures/callbacks/callbacks.o: bpf_loop and
// bpf_for_each_map_elem) and stores what the kernel answered in
// test/fixtures/callbacks/kernel.json, so that test/callbacks.test.ts compares
// both tiers with the kernel without root (and with the live kernel when bpf()
// works). Needs root, gcc and libbpf-dev.
//
//   node scripts/callbacks-expectations.mjs           # (re)write the expectations
//   node scripts/callbacks-expectations.mjs --check   # compare, write nothing
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOracle } from './kernel-expectations.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CALLBACKS_OBJECT = 'test/fixtures/callbacks/callbacks.o';
export const CALLBACKS_EXPECTED = join(ROOT, 'test', 'fixtures', 'callbacks', 'kernel.json');
// XDP test runs need at least an Ethernet header (14 bytes)
const BYTES = '0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20';
export const CALLBACKS_CASES = [
  { name: 'loop-sum-short', prog: 'loop_sum', data: BYTES.slice(0, 40) },
  { name: 'loop-sum-64', prog: 'loop_sum', data: BYTES + BYTES + 'ff' },
  { name: 'loop-stop', prog: 'loop_stop', data: BYTES },
  { name: 'loop-zero', prog: 'loop_zero', data: BYTES },
  { name: 'loop-flags', prog: 'loop_flags', data: BYTES },
  { name: 'loop-e2big', prog: 'loop_e2big', data: BYTES },
  { name: 'loop-count-0', prog: 'loop_count', data: '00' + BYTES },
  { name: 'loop-count-200', prog: 'loop_count', data: 'c8' + BYTES },
  { name: 'each-array', prog: 'each_array', data: BYTES },
  { name: 'each-array-stop', prog: 'each_array_stop', data: BYTES },
  { name: 'each-hash', prog: 'each_hash', data: BYTES },
  { name: 'each-hash-stop', prog: 'each_hash_stop', data: BYTES },
  { name: 'each-flags', prog: 'each_flags', data: BYTES },
];

/** The oracle's output without the run-to-run duration line. */
export function runOracle(oracle, c) {
  const r = spawnSync(oracle, ['test-run', CALLBACKS_OBJECT, '--prog', c.prog, '--data-hex', c.data], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`oracle failed on ${c.name}: ${r.stderr}`);
  return r.stdout.replace(/^duration_ns: \d+\n/m, '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const oracle = buildOracle();
  const cases = CALLBACKS_CASES.map((c) => ({ ...c, kernel: runOracle(oracle, c) }));
  const old = existsSync(CALLBACKS_EXPECTED) ? JSON.parse(readFileSync(CALLBACKS_EXPECTED, 'utf8')) : undefined;
  const same = old !== undefined && JSON.stringify(old.cases) === JSON.stringify(cases);
  process.stdout.write(`${same ? 'same' : check ? 'DIFFERS' : 'written'}: ${cases.length} cases\n`);
  if (!check && !same) {
    writeFileSync(CALLBACKS_EXPECTED, JSON.stringify({ note: 'written by scripts/callbacks-expectations.mjs; oracle = test/kernel/oracle.c', kernel: release(), cases }, null, 2) + '\n');
  }
  process.exit(check && !same ? 1 : 0);
}
