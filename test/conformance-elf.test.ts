import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PLUGIN, ROOT } from './support/paths.js';

// The runner's --elf mode: stdin carries an ELF object as "xx  " hex pairs, `main` is the program.
function runnerHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0') + '  ').join('') + '\n';
}
function plugin(obj: string, mem: number[] | undefined, tier = 'interpreter') {
  const elf = readFileSync(join(ROOT, 'test/fixtures/conformance-elf', obj));
  const argv = [PLUGIN, ...(mem ? [runnerHex(new Uint8Array(mem)).trim() + '  '] : []), '--tier', tier, '--elf'];
  return spawnSync(process.execPath, argv, { input: runnerHex(elf), encoding: 'utf8' });
}

// Expected values come from the conformance .data files (prime, subnet) or from the C sources' comments.
const SUBNET_MEM = [0x00, 0x00, 0xc0, 0x9f, 0xa0, 0x97, 0x00, 0xa0, 0xcc, 0x3b, 0xbf, 0xfa, 0x08, 0x00, 0x45, 0x10,
  0x00, 0x3c, 0x46, 0x3c, 0x40, 0x00, 0x40, 0x06, 0x73, 0x1c, 0xc0, 0xa8, 0x01, 0x02, 0xc0, 0xa8, 0x01, 0x01, 0x06,
  0x0e, 0x00, 0x17, 0x99, 0xc5];
const cases: Array<[string, number[] | undefined, string]> = [
  ['prime.o', undefined, '0x1'],
  ['subnet.o', SUBNET_MEM, '0x1'],
  ['divmod.o', undefined, '0x2a'],
  ['bswap.o', undefined, '0x8877665544330000'],
  ['sum.o', [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88], '0xccaa8866'],
];

test('--elf runs `main` of clang-built objects', () => {
  for (const [obj, mem, want] of cases) {
    const r = plugin(obj, mem);
    assert.is(r.status, 0, `${obj}: ${r.stderr}`);
    assert.is(r.stdout.trim(), want, obj);
  }
  // a different destination subnet gives 0
  const other = [...SUBNET_MEM]; other[32] = 0x02;
  assert.is(plugin('subnet.o', other).stdout.trim(), '0x0');
});

test('--elf with something that is not an ELF object fails with a clear error', () => {
  const r = spawnSync(process.execPath, [PLUGIN, '--elf'], { input: '95  00  00  00  00  00  00  00  \n', encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /EW4\d\d\d/);
});

test.run();
