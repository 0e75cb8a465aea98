#!/usr/bin/env node
// Runs the kernel oracle (test/kernel/oracle.c: libbpf + BPF_PROG_TEST_RUN) on
// the helpers2 fixture (test/fixtures/helpers2/helpers2.o: bpf_spin_lock,
// bpf_check_mtu in XDP and tc, bpf_xdp_load_bytes/store_bytes, bpf_snprintf)
// and stores what the kernel answered in test/fixtures/helpers2/kernel.json, so
// that test/helpers2.test.ts compares both tiers with the kernel without root
// (and with the live kernel when bpf() works). spinlock.o and snprintf.o hold the programs the verifier does not take yet. Needs root, gcc and libbpf-dev.
//
//   node scripts/helpers2-expectations.mjs           # (re)write the expectations
//   node scripts/helpers2-expectations.mjs --check   # compare, write nothing
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOracle } from './kernel-expectations.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const HELPERS2_OBJECT = 'test/fixtures/helpers2/helpers2.o';
export const SPINLOCK_OBJECT = 'test/fixtures/helpers2/spinlock.o';
export const SNPRINTF_OBJECT = 'test/fixtures/helpers2/snprintf.o';
export const HELPERS2_EXPECTED = join(ROOT, 'test', 'fixtures', 'helpers2', 'kernel.json');

const hex = (n, bytes = 4) => Buffer.from(Array.from({ length: bytes }, (_, i) => Number((BigInt.asUintN(bytes * 8, BigInt(n)) >> BigInt(8 * i)) & 0xffn))).toString('hex');
const fill = (head, total) => head + Array.from({ length: total - head.length / 2 }, (_, i) => ((0x30 + i) & 0xff).toString(16).padStart(2, '0')).join('');
/** check_mtu input: ifindex, *mtu_len, len_diff, flags, then room for the results (24-byte packet). */
const mtu = (ifindex, mtuLen, diff, flags) => fill(hex(ifindex) + hex(mtuLen) + hex(diff) + hex(flags), 24);
const bytes = (off, sel) => fill(hex(off, 2) + hex(sel, 1), 32);

const MTU = [
  ['dev0', 0, 0, 0, 0], ['lo', 1, 0, 0, 0], ['lo-over', 1, 0, 65530, 0], ['lo-at-mtu', 1, 65536, 0, 0],
  ['lo-mtu-len-over', 1, 65537, 0, 0], ['shrink', 1, 1000, -2000, 0], ['nodev', 999, 7, 0, 0],
  ['segs', 0, 0, 0, 1], ['segs-diff', 0, 0, 5, 1], ['segs-mtu-len', 0, 100, 0, 1], ['bad-flags', 0, 3, 0, 2],
];
export const HELPERS2_CASES = [
  { name: 'spin-slot0', object: SPINLOCK_OBJECT, prog: 'spin', data: fill('000507', 24) },
  { name: 'spin-slot1', object: SPINLOCK_OBJECT, prog: 'spin', data: fill('01ff01', 24) },
  ...MTU.map(([n, i, l, d, f]) => ({ name: `mtu-xdp-${n}`, prog: 'mtu_xdp', data: mtu(i, l, d, f) })),
  ...MTU.map(([n, i, l, d, f]) => ({ name: `mtu-tc-${n}`, prog: 'mtu_tc', data: mtu(i, l, d, f) })),
  ...[[0, 0], [24, 0], [25, 0], [31, 1], [32, 1], [0xffff, 1], [0, 2], [5, 2]].map(([o, s]) => ({ name: `xdp-bytes-${o}-${s}`, prog: 'xdp_bytes', data: bytes(o, s) })),
  ...[0, 1, 2, 3, 4, 5].map((s) => ({ name: `snprintf-${s}`, object: SNPRINTF_OBJECT, prog: 'snprintf_xdp', data: fill(hex(s, 1), 48) })),
];

/** The oracle's output without the run-to-run duration line. */
export function runOracle(oracle, c) {
  const r = spawnSync(oracle, ['test-run', c.object ?? HELPERS2_OBJECT, '--prog', c.prog, '--data-hex', c.data], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`oracle failed on ${c.name}: ${r.stderr}`);
  return r.stdout.replace(/^duration_ns: \d+\n/m, '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const oracle = buildOracle();
  const cases = HELPERS2_CASES.map((c) => ({ ...c, kernel: runOracle(oracle, c) }));
  const old = existsSync(HELPERS2_EXPECTED) ? JSON.parse(readFileSync(HELPERS2_EXPECTED, 'utf8')) : undefined;
  const same = old !== undefined && JSON.stringify(old.cases) === JSON.stringify(cases);
  process.stdout.write(`${same ? 'same' : check ? 'DIFFERS' : 'written'}: ${cases.length} cases\n`);
  if (!check && !same) {
    writeFileSync(HELPERS2_EXPECTED, JSON.stringify({ note: 'written by scripts/helpers2-expectations.mjs; oracle = test/kernel/oracle.c', kernel: release(), cases }, null, 2) + '\n');
  }
  process.exit(check && !same ? 1 : 0);
}
