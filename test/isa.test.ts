import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decode, encode, INSTRUCTION_SET, SPECS_BY_OPCODE, makeInstruction, specByName } from '../src/isa/index.js';
import { DecodeError } from '../src/diagnostics/index.js';

function bytes(...words: number[][]): Uint8Array {
  return new Uint8Array(words.flat());
}
const EXIT = [0x95, 0, 0, 0, 0, 0, 0, 0];

test('every spec encodes and decodes back to itself', () => {
  for (const spec of INSTRUCTION_SET) {
    const insn = makeInstruction(spec, {
      dst: spec.fields.dst === 'reg' ? 3 : 0,
      src: spec.fields.src === 'reg' ? 7 : 0,
      off: spec.fields.off === 'value' ? -5 : 0,
      imm: spec.fields.imm === 'value' ? -123456 : 0,
      immHi: spec.slots === 2 ? 0x12345678 : undefined,
    });
    const prog = decode(encode([insn]));
    assert.is(prog.instructions.length, 1);
    const got = prog.instructions[0]!;
    assert.is(got.spec, spec, spec.name);
    assert.equal([got.dst, got.src, got.off, got.imm, got.immHi], [insn.dst, insn.src, insn.off, insn.imm, insn.immHi], spec.name);
  }
});

test('names are unique and every opcode variant is distinguishable', () => {
  const names = new Set(INSTRUCTION_SET.map((s) => s.name));
  assert.is(names.size, INSTRUCTION_SET.length);
  for (const variants of SPECS_BY_OPCODE) {
    if (!variants || variants.length < 2) continue;
    const field = variants[0]!.discriminator?.field;
    assert.ok(field);
    const values = new Set(variants.map((v) => { assert.is(v.discriminator?.field, field); return v.discriminator!.value; }));
    assert.is(values.size, variants.length);
  }
});

function decodeError(b: Uint8Array): DecodeError {
  try { decode(b); } catch (e) { if (e instanceof DecodeError) return e; throw e; }
  throw new Error('expected a DecodeError');
}

test('unknown opcode names the pc', () => {
  const e = decodeError(bytes([0xb7, 0, 0, 0, 0, 0, 0, 0], [0xff, 0, 0, 0, 0, 0, 0, 0], EXIT));
  assert.is(e.codeName, 'UnknownOpcode');
  assert.is(e.pc, 1);
  assert.match(e.message, /pc 1: unknown opcode 0xff/);
});

test('unknown discriminator (atomic imm, swap width, lddw src, sdiv off)', () => {
  for (const w of [[0xdb, 0x21, 0, 0, 0x02, 0, 0, 0], [0xd4, 0x01, 0, 0, 0x08, 0, 0, 0],
    [0x18, 0x71, 0, 0, 0, 0, 0, 0], [0x3f, 0x01, 2, 0, 0, 0, 0, 0], [0xbf, 0x21, 4, 0, 0, 0, 0, 0]]) {
    const e = decodeError(bytes([0xb7, 0, 0, 0, 0, 0, 0, 0], w, [0, 0, 0, 0, 0, 0, 0, 0], EXIT));
    assert.is(e.codeName, 'UnknownOpcode', w.toString());
    assert.is(e.pc, 1);
  }
});

test('bad registers are rejected with their pc', () => {
  const e = decodeError(bytes(EXIT, [0xbf, 0xb0, 0, 0, 0, 0, 0, 0]));
  assert.is(e.codeName, 'InvalidRegister');
  assert.is(e.pc, 1);
  const e2 = decodeError(bytes([0xbf, 0x0c, 0, 0, 0, 0, 0, 0], EXIT));
  assert.is(e2.codeName, 'InvalidRegister');
  assert.is(e2.pc, 0);
});

test('reserved fields: every negative/unused-* kind', () => {
  const cases: Array<[string, number[]]> = [
    ['add64 imm off', [0x07, 0x00, 0x01, 0x00, 0x01, 0, 0, 0]], ['add64 imm src', [0x07, 0x10, 0, 0, 1, 0, 0, 0]],
    ['add64 reg imm', [0x0f, 0, 0, 0, 1, 0, 0, 0]], ['add64 reg off', [0x0f, 0, 1, 0, 0, 0, 0, 0]],
    ['be16 off', [0xdc, 0, 1, 0, 0x10, 0, 0, 0]], ['be16 src', [0xdc, 0x10, 0, 0, 0x10, 0, 0, 0]],
    ['call dst', [0x85, 1, 0, 0, 0, 0, 0, 0]], ['call off', [0x85, 0, 1, 0, 0, 0, 0, 0]],
    ['exit dst', [0x95, 1, 0, 0, 0, 0, 0, 0]], ['exit imm', [0x95, 0, 0, 0, 1, 0, 0, 0]],
    ['ja imm', [0x05, 0, 0, 0, 1, 0, 0, 0]], ['ja src', [0x05, 0x10, 0, 0, 0, 0, 0, 0]],
    ['jeq imm src', [0x15, 0x10, 0, 0, 0, 0, 0, 0]], ['jeq reg imm', [0x1d, 0, 0, 0, 1, 0, 0, 0]],
    ['ldxdw imm', [0x79, 0xa0, 0xf8, 0xff, 1, 0, 0, 0]], ['mov imm off', [0xb4, 0, 1, 0, 1, 0, 0, 0]],
    ['neg src', [0x84, 0x10, 0, 0, 0, 0, 0, 0]], ['neg imm', [0x87, 0, 0, 0, 1, 0, 0, 0]],
    ['stdw src', [0x7a, 0x1a, 0xf8, 0xff, 0, 0, 0, 0]], ['stxw imm', [0x63, 0x0a, 0xfc, 0xff, 1, 0, 0, 0]],
    ['ldabs dst', [0x20, 0x01, 0, 0, 0, 0, 0, 0]], ['ja32 off', [0x06, 0, 1, 0, 1, 0, 0, 0]],
  ];
  for (const [what, w] of cases) {
    const e = decodeError(bytes(EXIT, w, EXIT));
    assert.ok(e.codeName === 'ReservedFieldNonZero' || e.codeName === 'UnknownOpcode', what + ' ' + e.codeName);
    assert.is(e.pc, 1, what);
  }
  // mov reg with off 1 has no meaning (movsx takes 8/16/32)
  assert.is(decodeError(bytes([0xbf, 0, 1, 0, 0, 0, 0, 0], EXIT)).codeName, 'UnknownOpcode');
});

test('truncated lddw, bad second slot, truncated program, empty program', () => {
  let e = decodeError(bytes(EXIT, [0x18, 0x01, 0, 0, 1, 0, 0, 0]));
  assert.is(e.codeName, 'TruncatedLddw'); assert.is(e.pc, 1);
  e = decodeError(bytes([0x18, 0x01, 0, 0, 1, 0, 0, 0], [0x95, 0, 0, 0, 0, 0, 0, 0], EXIT));
  assert.is(e.codeName, 'InvalidLddwSecondSlot'); assert.is(e.pc, 1);
  e = decodeError(new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0]));
  assert.is(e.codeName, 'TruncatedProgram'); assert.is(e.pc, 1);
  e = decodeError(new Uint8Array(0));
  assert.is(e.codeName, 'EmptyProgram');
});

test('lddw keeps both halves and its slot count', () => {
  const p = decode(bytes([0x18, 0x01, 0, 0, 0x44, 0x33, 0x22, 0x11], [0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55], EXIT));
  assert.is(p.slotCount, 3);
  assert.is(p.instructions[1]!.pc, 2);
  assert.is(p.indexBySlot[1], -1);
  assert.is(p.instructions[0]!.imm, 0x11223344);
  assert.is(p.instructions[0]!.immHi, 0x55667788);
  assert.is(specByName('lddw').slots, 2);
});

test.run();
