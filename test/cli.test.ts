import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, PLUGIN, ROOT } from './support/paths.js';

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', input });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-cli-'));

test('test-run --raw prints the checksum example retval and data_out', () => {
  const r = cli(['test-run', '--unverified', '--raw', 'examples/raw/checksum.bin', '--data-hex', '4500003c1c46400040060000ac100a63ac100a0c']);
  assert.is(r.code, 0, r.err);
  assert.is(r.out, 'retval: 45542\ndata_out: 4500003c1c46400040060000ac100a63ac100a0c\n');
});

test('asm → bin → disasm → asm round trip through the CLI', () => {
  const src = join(tmp, 'p.s');
  writeFileSync(src, 'mov %r0, 1\nlsh %r0, 40\njeq %r0, 0, +1\nadd32 %r0, -1\nexit\n');
  const bin = join(tmp, 'p.bin');
  assert.is(cli(['asm', src, '-o', bin]).code, 0);
  assert.is(readFileSync(bin).length, 40);
  const llvm = cli(['disasm', bin]);
  assert.match(llvm.out, /r0 <<= 0x28/);
  assert.match(llvm.out, /if r0 == 0x0 goto \+0x1/);
  const conf = cli(['disasm', '--syntax', 'conformance', bin]);
  writeFileSync(join(tmp, 'q.s'), conf.out);
  assert.is(cli(['asm', join(tmp, 'q.s'), '-o', join(tmp, 'q.bin')]).code, 0);
  assert.equal(readFileSync(join(tmp, 'q.bin')), readFileSync(bin));
  assert.is(cli(['test-run', '--unverified', '--raw', src]).out, 'retval: 4294967295\n');
});

test('bad input: clear errors and exit codes, never a stack trace', () => {
  let r = cli(['test-run', '--unverified', '--raw', join(tmp, 'missing.bin')]);
  assert.is(r.code, 1); assert.match(r.err, /no such file/);
  writeFileSync(join(tmp, 'bad.bin'), Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0]));
  r = cli(['test-run', '--unverified', '--raw', join(tmp, 'bad.bin')]);
  assert.is(r.code, 1); assert.match(r.err, /EW1002: pc 0: unknown opcode 0xff/);
  writeFileSync(join(tmp, 'bad.s'), 'mov %r0, 1\nfrobnicate %r1\nexit\n');
  r = cli(['asm', join(tmp, 'bad.s'), '-o', join(tmp, 'x.bin')]);
  assert.is(r.code, 1); assert.match(r.err, /line 2/);
  r = cli(['test-run', '--unverified', '--raw', 'examples/raw/checksum.bin', '--data-hex', 'zz']);
  assert.is(r.code, 1); assert.match(r.err, /--data-hex: invalid hex/);
  r = cli(['test-run', '--raw', 'examples/raw/checksum.bin']);
  assert.is(r.code, 2); assert.match(r.err, /--unverified/);
  r = cli(['frob']);
  assert.is(r.code, 2);
  r = cli(['test-run', '--unverified', '--raw', 'examples/raw/checksum.bin', '--bogus']);
  assert.is(r.code, 2); assert.not.match(r.err, /at .*\.js/);
  writeFileSync(join(tmp, 'loop.s'), 'ja -1\nexit\n');
  r = cli(['test-run', '--unverified', '--raw', join(tmp, 'loop.s'), '--budget', '1000']);
  assert.is(r.code, 1); assert.match(r.err, /EW3002: pc 0: instruction budget/);
});

test('conformance plugin: memory argument, errors exit non-zero', () => {
  // r0 = *(u32 *)(r1 + 0) with memory 11 22 33 44
  const prog = '61  10  00  00  00  00  00  00  95  00  00  00  00  00  00  00  \n';
  let r = spawnSync(process.execPath, [PLUGIN, '11  22  33  44  ', '--tier', 'interpreter'], { input: prog, encoding: 'utf8' });
  assert.is(r.status, 0); assert.is(r.stdout.trim(), '0x44332211');
  r = spawnSync(process.execPath, [PLUGIN], { input: 'ff 00 00 00 00 00 00 00\n', encoding: 'utf8' });
  assert.is(r.status, 1); assert.match(r.stderr, /unknown opcode/);
  r = spawnSync(process.execPath, [PLUGIN, '--tier', 'bogus'], { input: prog, encoding: 'utf8' });
  assert.is(r.status, 1);
});



test('disasm and maps on an object file', () => {
  const d = cli(['disasm', 'examples/xdp_lb/xdp_lb.o']);
  assert.is(d.code, 0, d.err);
  assert.match(d.out, /^xdp_lb \(section xdp, type xdp, \d+ slots\):/);
  assert.match(d.out, /; void \*data_end = \(void \*\)\(long\)ctx->data_end;\n +0:\tr2 = \*\(u32 \*\)\(r1 \+ 0x4\)/);
  const m = cli(['maps', 'examples/xdp_lb/xdp_lb.o']);
  assert.match(m.out, /^vips type=hash key_size=8 value_size=8 max_entries=64/m);
  const bad = cli(['disasm', 'examples/xdp_lb/xdp_lb.o', '--prog', 'nope']);
  assert.is(bad.code, 2); assert.match(bad.err, /no program 'nope'/);
});
test.run();
