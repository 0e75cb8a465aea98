// Verifier API, log format, privilege switch and tnum arithmetic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { verify, verifyOrThrow } from '../src/verifier/index.js';
import { VerifierError } from '../src/diagnostics/index.js';
import { tnumAdd, tnumConst, tnumRange, tnumMul, tnumIn, tnumAnd } from '../src/verifier/tnum.js';

const hex = (s: string): Uint8Array => new Uint8Array(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));
const EXIT = '9500000000000000';
const MOV_R0_0 = 'b700000000000000';

test('accepts a trivial program and reports statistics', () => {
  const r = verify(hex(MOV_R0_0 + EXIT), { type: 'socket_filter', logLevel: 4 });
  assert.ok(r.ok);
  assert.is(r.stats.processed, 2);
  assert.match(r.log, /^verification time \d+ usec\nstack depth 0\nprocessed 2 insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0\n$/);
});

test('level 1 log traces instructions and ends with the error', () => {
  const r = verify(hex('bf30000000000000' + EXIT), { type: 'socket_filter', logLevel: 1 });
  assert.not.ok(r.ok);
  assert.equal(r.error, { pc: 0, message: 'R3 !read_ok' });
  const lines = r.log.trim().split('\n');
  assert.ok(lines.includes('0: (bf) r0 = r3'), r.log);
  assert.is(lines[lines.length - 2], 'R3 !read_ok');
  assert.match(lines[lines.length - 1]!, /^processed 1 insns/);
});

test('pass 1 errors carry the kernel message', () => {
  const r = verify(hex(MOV_R0_0 + '0500050000000000' + EXIT), { type: 'socket_filter' });
  assert.equal(r.error, { pc: 1, message: 'jump out of range from insn 1 to 7' });
  const u = verify(hex(MOV_R0_0 + EXIT + MOV_R0_0 + EXIT), { type: 'socket_filter' });
  assert.equal(u.error, { pc: 2, message: 'unreachable insn 2' });
});

test('back edges: bounded loops for privileged callers, rejected for unprivileged ones', () => {
  // r0 = 0; r0 += 1; if r0 < 4 goto -2; exit
  const loop = hex(MOV_R0_0 + '0700000001000000' + 'a5000200fe000000'.replace('0200fe000000', 'feff04000000') + EXIT);
  assert.ok(verify(loop, { type: 'socket_filter' }).ok);
  const u = verify(loop, { type: 'socket_filter', unprivileged: true });
  assert.equal(u.error, { pc: 2, message: 'back-edge from insn 2 to 1' });
});

test('unprivileged: uninitialised stack reads and pointer leaks are rejected', () => {
  // r0 = *(u64 *)(r10 -8); exit
  const p = hex('79a0f8ff00000000' + EXIT);
  assert.ok(verify(p, { type: 'socket_filter' }).ok);
  assert.equal(verify(p, { type: 'socket_filter', unprivileged: true }).error?.message, 'invalid read from stack off -8+0 size 8');
});

test('GPL-only helpers need a GPL-compatible license', () => {
  // call bpf_get_current_task; exit
  const p = hex('8500000023000000' + EXIT);
  assert.ok(verify(p, { type: 'kprobe', license: 'Dual BSD/GPL' }).ok);
  assert.equal(verify(p, { type: 'kprobe', license: 'MIT' }).error?.message, 'cannot call GPL-restricted function from non-GPL compatible program');
});

test('verifyOrThrow raises a VerifierError with code EW5001', () => {
  try {
    verifyOrThrow(hex(EXIT), { type: 'xdp' });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, VerifierError);
    assert.is((e as VerifierError).code, 5001);
    assert.is((e as VerifierError).kernelMessage, 'R0 !read_ok');
  }
});

test('tnum arithmetic', () => {
  assert.equal(tnumAdd(tnumConst(3n), tnumConst(4n)), tnumConst(7n));
  const r = tnumRange(0n, 7n);
  assert.equal(r, { value: 0n, mask: 7n });
  assert.ok(tnumIn(r, tnumConst(5n)));
  assert.not.ok(tnumIn(r, tnumConst(8n)));
  assert.equal(tnumMul(tnumConst(6n), tnumConst(7n)), tnumConst(42n));
  assert.equal(tnumAnd(r, tnumConst(4n)), { value: 0n, mask: 4n });
});

test('line_info puts each source line once before its instructions in the level-1 log', () => {
  const lineInfo = [
    { insnOff: 0, source: '\tint x = 0;', fileName: '/src/dir/prog.c', line: 3 },
    { insnOff: 1, source: '\tint x = 0;', fileName: '/src/dir/prog.c', line: 3 }, // another column, same line
    { insnOff: 2, source: 'return x;', fileName: '/src/dir/prog.c', line: 4 },
  ];
  // rejected (r2 unset) so that the level-1 trace stays in the log
  const r = verify(hex(MOV_R0_0 + MOV_R0_0 + 'bf20000000000000' + EXIT), { type: 'socket_filter', logLevel: 1, lineInfo });
  assert.ok(!r.ok);
  assert.match(r.log, /^0: R1=ctx\(\) R10=fp0\n; int x = 0; @ prog\.c:3\n0: \(b7\) r0 = 0 .*\n1: \(b7\) r0 = 0 .*\n; return x; @ prog\.c:4\n2: \(bf\) r0 = r2\nR2 !read_ok\n/);
  // records out of order are refused before any instruction is looked at (check_btf_line)
  const bad = verify(hex(MOV_R0_0 + EXIT), { type: 'socket_filter', lineInfo: [lineInfo[0]!, { ...lineInfo[0]! }] });
  assert.is(bad.error?.message, 'Invalid line_info[1].insn_off:0 (prev_offset:0 prog->len:2)');
});

test.run();
