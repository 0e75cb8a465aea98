// The llvm-syntax disassembler against llvm-objdump-19 output committed under
// test/fixtures/asm (rebuild with build.sh): golden.o compiled from golden.c by
// clang-19 -mcpu=v4, and every-spec.o holding one instance of every spec.
// 32-bit atomics are compared with the `--mattr=+alu32` listing, as documented
// in src/isa/disassemble.ts; every other line with objdump's default listing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assemble, decode, disassemble, disassembleInstruction, encode } from '../src/isa/index.js';

const fixtures = fileURLToPath(new URL('../../test/fixtures/asm', import.meta.url));
const read = (name: string): Buffer => readFileSync(join(fixtures, name));

/** ELF64 little-endian section bytes by name: just enough of the format for a relocatable object. */
function elfSection(file: Uint8Array, name: string): Uint8Array {
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  assert.equal([...file.slice(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'ELF magic');
  assert.is(file[4], 2, 'ELFCLASS64');
  assert.is(file[5], 1, 'little-endian');
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  const shstrndx = v.getUint16(0x3e, true);
  const header = (i: number) => {
    const b = shoff + i * shentsize;
    return { name: v.getUint32(b, true), offset: Number(v.getBigUint64(b + 0x18, true)), size: Number(v.getBigUint64(b + 0x20, true)) };
  };
  const strtab = header(shstrndx);
  const cstr = (off: number): string => {
    let end = strtab.offset + off;
    while (file[end] !== 0) end++;
    return Buffer.from(file.slice(strtab.offset + off, end)).toString('latin1');
  };
  for (let i = 0; i < shnum; i++) {
    const h = header(i);
    if (cstr(h.name) === name) return file.slice(h.offset, h.offset + h.size);
  }
  throw new Error(`no section ${name}`);
}

/** slot -> instruction text from an objdump listing, whitespace collapsed, `<sym+off>` notes dropped. */
function objdumpLines(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+):\t(.*)$/.exec(line);
    if (m) out.set(Number(m[1]), m[2]!.replace(/\s*<[^<>]*>\s*$/, '').replace(/\s+/g, ' ').trim());
  }
  return out;
}

function compare(objName: string, listing: string, alu32Listing: string, minLines: number): void {
  const insns = decode(elfSection(read(objName), '.text')).instructions;
  const plain = objdumpLines(read(listing).toString());
  const alu32 = objdumpLines(read(alu32Listing).toString());
  assert.is(plain.size, insns.length, `${objName}: instruction count`);
  assert.ok(insns.length >= minLines);
  const bad: string[] = [];
  for (const insn of insns) {
    const use32Atomic = insn.spec.kind === 'atomic' && insn.spec.width === 32;
    const want = (use32Atomic ? alu32 : plain).get(insn.pc);
    const got = disassembleInstruction(insn, 'llvm');
    if (got !== want) bad.push(`${insn.pc} ${insn.spec.name}: got '${got}', objdump '${want}'`);
  }
  assert.equal(bad, []);
}

test('golden.o (clang-19 -O2 -mcpu=v4) matches llvm-objdump-19', () => {
  compare('golden.o', 'golden.objdump.txt', 'golden.alu32.objdump.txt', 250);
});

test('every-spec.o (one of each spec) matches llvm-objdump-19', () => {
  compare('every-spec.o', 'every-spec.objdump.txt', 'every-spec.alu32.objdump.txt', 150);
});

test('golden.o round-trips through the conformance syntax', () => {
  const bytes = elfSection(read('golden.o'), '.text');
  const text = disassemble(decode(bytes));
  assert.equal([...encode(assemble(text))], [...bytes]);
});

function llvm(src: string): string[] {
  return disassemble(assemble(src), { syntax: 'llvm' }).trimEnd().split('\n');
}

test('llvm syntax: the forms of the brief', () => {
  assert.equal(llvm(`
    mov %r0, 0
    mov32 %r0, %r1
    add %r0, 1
    lsh32 %r0, 3
    neg %r0
    be16 %r0
    bswap64 %r0
    jeq %r1, 0, +3
    jsgt32 %r1, %r2, -4
    ldxw %r0, [%r1+4]
    stxdw [%r10-8], %r1
    ldxsb %r0, [%r1]
    lddw %r0, 0x1122334455667788
    call 5
    call local -3
    lock add [%r1], %r2
    lock fetch add [%r1], %r0
    lock xchg [%r1], %r0
    lock cmpxchg [%r1], %r2
    ja +2
    ja32 +2
    exit
    ldabsb 12
    movsx864 %r1, %r2
    sdiv32 %r0, 3
  `), [
    'r0 = 0x0', 'w0 = w1', 'r0 += 0x1', 'w0 <<= 0x3', 'r0 = -r0', 'r0 = be16 r0', 'r0 = bswap64 r0',
    'if r1 == 0x0 goto +0x3', 'if w1 s> w2 goto -0x4', 'r0 = *(u32 *)(r1 + 0x4)', '*(u64 *)(r10 - 0x8) = r1',
    'r0 = *(s8 *)(r1 + 0x0)', 'r0 = 0x1122334455667788 ll', 'call 0x5', 'call -0x3',
    'lock *(u64 *)(r1 + 0x0) += r2', 'r0 = atomic_fetch_add((u64 *)(r1 + 0x0), r0)', 'r0 = xchg_64(r1 + 0x0, r0)',
    'r0 = cmpxchg_64(r1 + 0x0, r0, r2)', 'goto +0x2', 'gotol +0x2', 'exit', 'r0 = *(u8 *)skb[0xc]',
    'r1 = (s8)r2', 'w0 s/= 0x3',
  ]);
});

test('llvm syntax: documented extensions (ld_pseudo high word, ldind imm, kfunc btf object)', () => {
  assert.equal(llvm(`
    lddw map_value %r1, 0x0000000800000003
    lddw map_fd %r1, 3
    ldindw %r2, 4
    ldindh %r2, -4
    call runtime 7, 2
    lddw %r0, -1
  `), [
    'ld_pseudo r1, 0x2, 0x3, 0x8', 'ld_pseudo r1, 0x1, 0x3', 'r0 = *(u32 *)skb[r2 + 0x4]', 'r0 = *(u16 *)skb[r2 - 0x4]',
    'call 0x7, 0x2', 'r0 = -0x1 ll',
  ]);
});

test('showPc prefixes slot numbers (lddw counts two)', () => {
  const text = disassemble(assemble('lddw %r0, 1\nexit'), { syntax: 'llvm', showPc: true });
  assert.is(text, '       0:\tr0 = 0x1 ll\n       2:\texit\n');
});

test.run();
