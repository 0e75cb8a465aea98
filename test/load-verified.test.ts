// Verification on load: LoadedProgram verifies by default (type, maps,
// license) and then runs without the sandbox; `unverified: true` keeps the sandbox.
import { test } from 'uvu';
import { readFileSync as readAsm } from 'node:fs';
import { join as joinPath } from 'node:path';
import { ROOT as PROJECT_ROOT } from './support/paths.js';

// the playground's example program (drops IPv4 UDP, passes the rest)
const DROP_UDP_ASM = readAsm(joinPath(PROJECT_ROOT, 'web/examples/drop-udp.asm'), 'utf8');
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, decode, encode } from '../src/isa/index.js';
import { LoadedProgram } from '../src/runtime/test-run.js';
import { verifyForLoad } from '../src/runtime/verify-load.js';
import { runRawInterpreter } from '../src/runtime/raw.js';
import { VerifierError, ExecutionError } from '../src/diagnostics/index.js';
import { parseObject } from '../src/loader/object.js';
import { ROOT } from './support/paths.js';

const prog = (asm: string) => decode(encode(assemble(asm)));
const hexProg = (hex: string) => decode(new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16))));

const DROP_UDP = prog(DROP_UDP_ASM);
function frame(proto: number, len = 60): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00], 0);
  p[14] = 0x45; p[23] = proto;
  return p;
}

test('an accepted program loads verified and runs without the sandbox', () => {
  const p = new LoadedProgram(DROP_UDP, { type: 'xdp' });
  assert.ok(p.verification?.verified);
  assert.ok(p.verification!.stats.processed > 0);
  assert.is(p.testRun({ data: frame(17) }).retval, 1n);
  assert.is(p.testRun({ data: frame(6) }).retval, 2n);
  assert.is(p.testRun({ data: frame(17, 20) }).retval, 2n);
});

test('a rejected program throws VerifierError naming pc and message', () => {
  // reads the packet without a bounds check (far enough out that the sandbox's regions trap it)
  const unchecked = prog('ldxw %r2, [%r1+0]\nldxb %r0, [%r2+4000]\nexit');
  try {
    new LoadedProgram(unchecked, { type: 'xdp' });
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, VerifierError);
    const v = e as VerifierError;
    assert.is(v.pc, 1);
    assert.match(v.kernelMessage, /invalid access to packet/);
    assert.match(v.message, /pc 1/);
  }
  // the same program loads unverified, inside the sandbox, which traps the out-of-bounds read
  const s = new LoadedProgram(unchecked, { type: 'xdp', unverified: true });
  assert.is(s.verification, undefined);
  assert.throws(() => s.testRun({ data: new Uint8Array(0) }), (e: unknown) => e instanceof ExecutionError);
});

test('maps and license are the verifier\'s: lddw src=1 imm K is maps[K]; GPL-only helpers need GPL', () => {
  const lookup = hexProg('18110000000000000000000000000000' + '620afcff00000000' + 'bfa2000000000000' + '07020000fcffffff' +
    '8500000001000000' + 'b700000000000000' + '9500000000000000');
  assert.throws(() => verifyForLoad(lookup, { type: 'xdp' }), (e: unknown) => e instanceof VerifierError);
  const ok = verifyForLoad(lookup, { type: 'xdp', maps: [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 }] });
  assert.is(ok.verified, true);
  assert.throws(() => verifyForLoad(lookup, { type: 'xdp', maps: [{ type: 'hash', keySize: 8, valueSize: 8, maxEntries: 16 }] }),
    (e: unknown) => e instanceof VerifierError);
  const printk = hexProg('7a0af8ff68690a00bfa100000000000007010000f8ffffffb7020000080000008500000006000000b7000000000000009500000000000000');
  assert.ok(verifyForLoad(printk, { type: 'kprobe' }).verified);
  try {
    verifyForLoad(printk, { type: 'kprobe', license: 'MIT' });
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, VerifierError);
    assert.is((e as VerifierError).kernelMessage, 'cannot call GPL-restricted function from non-GPL compatible program');
  }
  assert.throws(() => new LoadedProgram(printk, { type: 'kprobe', license: 'Proprietary' }), (e: unknown) => e instanceof VerifierError);
});

test('verifyForLoad accepts every example object\'s programs (bytes, object maps and license)', () => {
  for (const n of ['flow_counter', 'socket_filter', 'tc_rewrite', 'trace_counter', 'xdp_firewall', 'xdp_lb']) {
    const spec = parseObject(new Uint8Array(readFileSync(join(ROOT, 'examples', n, `${n}.o`))));
    const maps = spec.maps.map((m) => ({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }));
    for (const p of spec.programs) assert.is(verifyForLoad(p.instructions, { type: p.type, maps, license: spec.license }).verified, true, p.name);
  }
});

test('ALU32 results are not narrowed by stale 64-bit bounds (else dead-branch pruning accepts unsafe code)', () => {
  // w5 = byte << 8 may be non-zero: the kernel explores the fall-through and finds the uninitialised r9
  const p = prog(`ldxw %r2, [%r1+4]\nldxw %r1, [%r1+0]\nmov %r3, %r1\nadd %r3, 14\njgt %r3, %r2, out
ldxb %r5, [%r1+0]\nlsh32 %r5, 8\njeq %r5, 0, out\nldxdw %r0, [%r9+0]\nexit\nout:\nmov %r0, 2\nexit`);
  try {
    verifyForLoad(p, { type: 'xdp' });
    assert.unreachable('accepted');
  } catch (e) {
    assert.instance(e, VerifierError);
    assert.is((e as VerifierError).kernelMessage, 'R9 !read_ok');
  }
  const add = prog(`ldxw %r2, [%r1+4]\nldxw %r1, [%r1+0]\nmov %r3, %r1\nadd %r3, 14\njgt %r3, %r2, out
ldxb %r5, [%r1+0]\nadd32 %r5, 1\njne %r5, 256, out\nldxdw %r0, [%r9+0]\nexit\nout:\nmov %r0, 2\nexit`);
  assert.throws(() => verifyForLoad(add, { type: 'xdp' }), (e: unknown) => e instanceof VerifierError && e.kernelMessage === 'R9 !read_ok');
});

test('raw programs stay unverified-only; type raw cannot be verified', () => {
  const ret = prog('mov %r0, 3\nexit');
  assert.throws(() => runRawInterpreter(ret), /unverified/);
  assert.is(runRawInterpreter(ret, undefined, { unverified: true }).r0, 3n);
  assert.throws(() => verifyForLoad(ret, { type: 'raw' }), (e: unknown) => e instanceof VerifierError);
  assert.throws(() => new LoadedProgram(ret, { type: 'raw' }), (e: unknown) => e instanceof VerifierError);
});

test.run();
