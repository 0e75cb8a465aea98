import { test } from 'uvu';
import { readFileSync as readAsm } from 'node:fs';
import { join as joinPath } from 'node:path';
import { ROOT as PROJECT_ROOT } from './support/paths.js';

// the playground's example program (drops IPv4 UDP, passes the rest)
const DROP_UDP_ASM = readAsm(joinPath(PROJECT_ROOT, 'web/examples/drop-udp.asm'), 'utf8');
import * as assert from 'uvu/assert';
import { assemble, decode, encode } from '../src/isa/index.js';
import { LoadedProgram } from '../src/runtime/test-run.js';
import { ExecutionError } from '../src/diagnostics/index.js';

function load(asm: string): LoadedProgram {
  return new LoadedProgram(decode(encode(assemble(asm))), { type: 'xdp', unverified: true });
}
function frame(proto: number, len = 60): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
  p[14] = 0x45; p[23] = proto;
  return p;
}


test('xdp_md carries real packet pointers; verdicts follow the packet', () => {
  const p = load(DROP_UDP_ASM);
  assert.is(p.testRun({ data: frame(17) }).retval, 1n);
  assert.is(p.testRun({ data: frame(6) }).retval, 2n);
  assert.is(p.testRun({ data: frame(17, 20) }).retval, 2n);
  const r = p.testRun({ data: frame(17), repeat: 100 });
  assert.equal(r.dataOut, frame(17));
  assert.ok(r.durationNs >= 0);
});

test('retval is the low 32 bits of r0', () => {
  const p = load('lddw %r0, 0x1234500000002\nexit');
  assert.is(p.testRun({ data: frame(6) }).retval, 2n);
});

test('bpf_xdp_adjust_head grows and shrinks the frame within the kernel limits', () => {
  const grow = load(`
mov %r6, %r1
mov %r2, -14
call 44
mov %r0, %r0
jne %r0, 0, fail
ldxw %r2, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, fail
stb [%r2+0], 0xee
mov %r0, 3
exit
fail:
mov %r0, 0
exit`);
  const r = grow.testRun({ data: frame(6) });
  assert.is(r.retval, 3n);
  assert.is(r.dataOut.length, 74);
  assert.is(r.dataOut[0], 0xee);
  assert.equal(r.dataOut.subarray(14), frame(6));
  // past the headroom (256 - sizeof(xdp_frame)) fails with -EINVAL
  const tooFar = load('mov %r2, -217\ncall 44\nexit');
  assert.is(tooFar.testRun({ data: frame(6) }).retval, BigInt(0x100000000 - 22));
  const limit = load('mov %r2, -216\ncall 44\nexit');
  assert.is(limit.testRun({ data: frame(6) }).retval, 0n);
  // cannot shrink below an Ethernet header
  assert.is(load('mov %r2, 47\ncall 44\nexit').testRun({ data: frame(6) }).retval, BigInt(0x100000000 - 22));
  assert.is(load('mov %r2, 46\ncall 44\nexit').testRun({ data: frame(6) }).retval, 0n);
});

test('bpf_xdp_adjust_tail and adjust_meta', () => {
  const tail = load('mov %r2, -10\ncall 65\nexit');
  const r = tail.testRun({ data: frame(6) });
  assert.is(r.retval, 0n); assert.is(r.dataOut.length, 50);
  const grow = load('mov %r2, 100\ncall 65\nexit').testRun({ data: frame(6) });
  assert.is(grow.dataOut.length, 160); assert.is(grow.dataOut[159], 0);
  const meta = load('mov %r2, -8\ncall 54\nexit').testRun({ data: frame(6) });
  assert.is(meta.retval, 0n); assert.is(meta.dataOut.length, 68);
  assert.is(load('mov %r2, -6\ncall 54\nexit').testRun({ data: frame(6) }).retval, BigInt(0x100000000 - 13));
  assert.is(load('mov %r2, -36\ncall 54\nexit').testRun({ data: frame(6) }).retval, BigInt(0x100000000 - 13));
});

test('out-of-frame accesses trap in the sandbox', () => {
  const p = load('ldxw %r2, [%r1+4]\nldxb %r0, [%r2+5000]\nexit');
  try { p.testRun({ data: frame(6) }); assert.unreachable(); } catch (e) {
    assert.instance(e, ExecutionError); assert.is((e as ExecutionError).pc, 1);
  }
});

test.run();
