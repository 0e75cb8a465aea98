#!/usr/bin/env node
// Runs the kernel oracle (test/kernel/oracle.c: libbpf + BPF_PROG_TEST_RUN) on
// the tail-call fixture (test/fixtures/tailcall/tailcall.o) and stores what the
// kernel answered in test/fixtures/tailcall/kernel.json, so that
// test/tailcall.test.ts compares both tiers with the kernel without root (and
// with the live kernel when bpf() works). Needs root, gcc and libbpf-dev.
//
//   node scripts/tailcall-expectations.mjs           # (re)write the expectations
//   node scripts/tailcall-expectations.mjs --check   # compare, write nothing
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOracle } from './kernel-expectations.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const TAILCALL_OBJECT = 'test/fixtures/tailcall/tailcall.o';
export const TAILCALL_EXPECTED = join(ROOT, 'test', 'fixtures', 'tailcall', 'kernel.json');
// XDP test runs need at least an Ethernet header (14 bytes); byte 0 picks the jmp slot.
const TAIL = '000000aabbccdd0011223344556677';
export const TAILCALL_CASES = [
  { name: 'slot0-prog_a', prog: 'dispatch', data: `00${TAIL}` },
  { name: 'slot1-prog_b', prog: 'dispatch', data: `01${TAIL}` },
  { name: 'slot2-prog_c', prog: 'dispatch', data: `02${TAIL}` },
  { name: 'slot3-empty', prog: 'dispatch', data: `03${TAIL}` },
  { name: 'slot5-chain-from-dispatch', prog: 'dispatch', data: `05${TAIL}` },
  { name: 'slot200-out-of-range', prog: 'dispatch', data: `c8${TAIL}` },
  { name: 'chain-direct', prog: 'chain', data: `05${TAIL}` },
];

/** The oracle's output without the run-to-run duration line. */
export function runOracle(oracle, c) {
  const r = spawnSync(oracle, ['test-run', TAILCALL_OBJECT, '--prog', c.prog, '--data-hex', c.data], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`oracle failed on ${c.name}: ${r.stderr}`);
  return r.stdout.replace(/^duration_ns: \d+\n/m, '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const oracle = buildOracle();
  const cases = TAILCALL_CASES.map((c) => ({ ...c, kernel: runOracle(oracle, c) }));
  const old = existsSync(TAILCALL_EXPECTED) ? JSON.parse(readFileSync(TAILCALL_EXPECTED, 'utf8')) : undefined;
  const same = old !== undefined && JSON.stringify(old.cases) === JSON.stringify(cases);
  process.stdout.write(`${same ? 'same' : check ? 'DIFFERS' : 'written'}: ${cases.length} cases\n`);
  if (!check && !same) {
    writeFileSync(TAILCALL_EXPECTED, JSON.stringify({ note: 'written by scripts/tailcall-expectations.mjs; oracle = test/kernel/oracle.c', kernel: release(), cases }, null, 2) + '\n');
  }
  process.exit(check && !same ? 1 : 0);
}
