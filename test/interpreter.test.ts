import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runRawInterpreter as runRaw, type RawRunOptions } from '../src/runtime/raw.js';
import type { Program } from '../src/isa/index.js';

const runRawInterpreter = (p: Program | Uint8Array, mem?: Uint8Array, o: RawRunOptions = {}) => runRaw(p, mem, { unverified: true, ...o });
import { ExecutionError } from '../src/diagnostics/index.js';
import { ins, prog } from './support/build.js';

function trap(bytes: Uint8Array, mem?: Uint8Array, budget?: number): ExecutionError {
  try { runRawInterpreter(bytes, mem, { unverified: true, budget }); } catch (e) {
    if (e instanceof ExecutionError) return e;
    throw e;
  }
  throw new Error('expected a trap');
}
const exit = ins('exit');

test('reads past the input memory trap with the pc', () => {
  const mem = new Uint8Array(8);
  const e = trap(prog(ins('ldxw', { dst: 0, src: 1, off: 6 }), exit), mem);
  assert.is(e.codeName, 'MemoryAccessViolation'); assert.is(e.pc, 0);
  const ok = runRawInterpreter(prog(ins('ldxw', { dst: 0, src: 1, off: 4 }), exit), new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4]));
  assert.is(ok.r0, 0x04030201n);
});

test('null and wild pointers trap', () => {
  assert.is(trap(prog(ins('mov_imm', { dst: 1, imm: 0 }), ins('ldxb', { dst: 0, src: 1 }), exit)).pc, 1);
  assert.is(trap(prog(ins('lddw', { dst: 1, imm: 0x100, immHi: 1 }), ins('stxb', { dst: 1, src: 0 }), exit)).pc, 2);
  assert.is(trap(prog(ins('mov_imm', { dst: 0, imm: 0 }), ins('stxb', { dst: 10, src: 0 }), exit)).codeName, 'MemoryAccessViolation');
  // the stack of all 8 frames is usable; below it is not
  runRawInterpreter(prog(ins('mov_imm', { dst: 0, imm: 0 }), ins('stxdw', { dst: 10, src: 0, off: -4096 }), exit));
  assert.is(trap(prog(ins('mov_imm', { dst: 0, imm: 0 }), ins('stxdw', { dst: 10, src: 0, off: -4104 }), exit)).pc, 1);
});

test('the budget is counted per basic block, exactly', () => {
  const straight = prog(ins('mov_imm', { dst: 0, imm: 1 }), ins('add_imm', { dst: 0, imm: 1 }), exit);
  assert.is(runRawInterpreter(straight, undefined, { budget: 3 }).executed, 3);
  assert.is(trap(straight, undefined, 2).codeName, 'InstructionBudgetExhausted');
  const forever = prog(ins('mov_imm', { dst: 0, imm: 0 }), ins('ja', { off: -1 }), exit);
  const e = trap(forever, undefined, 10_000);
  assert.is(e.codeName, 'InstructionBudgetExhausted');
  assert.is(e.pc, 1);
});

test('unbounded recursion hits the call depth limit', () => {
  const e = trap(prog(ins('call local', { imm: -1 }), exit));
  assert.is(e.codeName, 'CallDepthExceeded');
});

test('bpf-to-bpf calls get their own frame and keep r6-r9', () => {
  const r = runRawInterpreter(prog(
    ins('mov_imm', { dst: 6, imm: 7 }),
    ins('call local', { imm: 2 }),
    ins('add_reg', { dst: 0, src: 6 }),
    exit,
    // callee: r6 clobbered locally, r0 = r10 distance to caller frame marker
    ins('mov_imm', { dst: 6, imm: 100 }),
    ins('mov_imm', { dst: 0, imm: 5 }),
    ins('stxdw', { dst: 10, src: 6, off: -8 }),
    exit,
  ));
  assert.is(r.r0, 12n);
});

test('unknown and unimplemented helpers trap only when reached', () => {
  let e = trap(prog(ins('call', { imm: 9999 }), exit));
  assert.is(e.codeName, 'UnknownHelper'); assert.match(e.message, /unknown helper #9999/);
  e = trap(prog(ins('mov_imm', { dst: 0, imm: 0 }), ins('call', { imm: 1 }), exit));
  assert.match(e.message, /bpf_map_lookup_elem/); assert.is(e.pc, 1);
  const r = runRawInterpreter(prog(ins('mov_imm', { dst: 0, imm: 3 }), ins('ja', { off: 1 }), ins('call', { imm: 9999 }), exit));
  assert.is(r.r0, 3n);
});

test('falling off the end traps; jumps out of range are refused at load', () => {
  assert.is(trap(prog(ins('mov_imm', { dst: 0, imm: 1 }))).codeName, 'FellOffEnd');
  assert.is(trap(prog(ins('ja', { off: 5 }), exit)).codeName, 'JumpOutOfRange');
  // into the middle of an lddw
  assert.is(trap(prog(ins('ja', { off: 1 }), ins('lddw', { dst: 0, imm: 1 }), exit)).codeName, 'JumpOutOfRange');
});

test('misaligned atomics trap', () => {
  const e = trap(prog(ins('mov_imm', { dst: 1, imm: 1 }), ins('lock add', { dst: 10, src: 1, off: -12 }), ins('mov_imm', { dst: 0, imm: 0 }), exit));
  assert.is(e.codeName, 'MemoryAccessViolation'); assert.match(e.message, /misaligned/);
});

test('ld_abs/ld_ind read big-endian and end the program with 0 out of bounds', () => {
  const mem = new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55]);
  assert.is(runRawInterpreter(prog(ins('ldabsw', { imm: 1 }), exit), mem).r0, 0x22334455n);
  assert.is(runRawInterpreter(prog(ins('mov_imm', { dst: 0, imm: 9 }), ins('ldabsw', { imm: 2 }), exit), mem).r0, 0n);
  assert.is(runRawInterpreter(prog(ins('mov_imm', { dst: 3, imm: 3 }), ins('ldindh', { src: 3, imm: 0 }), exit), mem).r0, 0x4455n);
});

test('helper 5 (ktime_get_ns) reads the simulated clock and returns', () => {
  const r = runRawInterpreter(prog(ins('call', { imm: 5 }), exit));
  assert.is(r.r0, 1_000_000_000n);
});

test('may_goto falls through 8M times per frame, then jumps', () => {
  // loop: may_goto +2 (exit path); r0 += 1; ja -3
  const r = runRawInterpreter(prog(
    ins('mov_imm', { dst: 0, imm: 0 }),
    ins('may_goto', { off: 2 }),
    ins('add_imm', { dst: 0, imm: 1 }),
    ins('ja', { off: -3 }),
    exit,
  ));
  assert.is(r.r0, 8388608n);
});

test.run();
