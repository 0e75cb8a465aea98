// Assembler dialect, errors, and conformance-syntax round trips of every spec.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assemble, assembleToBytes, decode, disassembleBytes, disassemble, encode, INSTRUCTION_SET, lddwValue, makeInstruction, parseConformanceData,
  specByName,
} from '../src/isa/index.js';
import { AsmError } from '../src/diagnostics/index.js';

const hex = (text: string): string => Buffer.from(encode(assemble(text))).toString('hex');

function asmError(text: string, firstLine?: number): AsmError {
  try { assemble(text, firstLine === undefined ? {} : { firstLine }); } catch (e) { if (e instanceof AsmError) return e; throw e; }
  throw new Error(`expected an AsmError for: ${text}`);
}

test('basic encodings', () => {
  assert.is(hex('mov32 %r0, 0'), 'b400000000000000');
  assert.is(hex('add32 %r0, -3'), '04000000fdffffff');
  assert.is(hex('add64 %r1, %r2'), hex('add %r1, %r2'));
  assert.is(hex('neg64 %r1'), hex('neg %r1'));
  assert.is(hex('sdiv %r1, %r2'), '3f21010000000000');
  assert.is(hex('smod32 %r1, 3'), '9401010003000000');
  assert.is(hex('movsx832 %r0, %r1'), 'bc10080000000000');
  assert.is(hex('movsx3264 %r0, %r1'), 'bf10200000000000');
  assert.is(hex('le16 %r3'), 'd403000010000000');
  assert.is(hex('be64 %r3'), 'dc03000040000000');
  assert.is(hex('swap32 %r3'), 'd703000020000000');
  assert.is(hex('bswap32 %r3'), hex('swap32 %r3'));
  assert.is(hex('ldxsh %r0, [%r1-2]'), '8910feff00000000');
  assert.is(hex('ldxdw %r0, [%r1 + 0x10]'), '7910100000000000');
  assert.is(hex('stw [%r10-8], 0xffffffff'), '620af8ffffffffff');
  assert.is(hex('stxb [%r1], %r2'), '7321000000000000');
  assert.is(hex('lddw %r0, 0x1122334455667788'), '1800000088776655' + '0000000044332211');
  assert.is(hex('lddw %r0, -1'), '18000000ffffffff' + '00000000ffffffff');
  assert.is(hex('call 5'), '8500000005000000');
  assert.is(hex('call helper 5'), hex('call 5'));
  assert.is(hex('call %r2'), '8d02000000000000');
  assert.is(hex('callx %r2'), hex('call %r2'));
  assert.is(hex('call runtime 7'), '8520000007000000');
  assert.is(hex('call runtime 7, 2'), '8520020007000000');
  assert.is(hex('lock add [%r10-8], %r1'), 'db1af8ff00000000');
  assert.is(hex('lock fetch xor32 [%r10-8], %r1'), 'c31af8ffa1000000');
  assert.is(hex('lock cmpxchg [%r1], %r2'), 'db210000f1000000');
  assert.is(hex('ldabsh 12'), '280000000c000000');
  assert.is(hex('ldindb %r2, 4'), '5020000004000000');
  assert.is(hex('lddw map_fd %r1, 3'), '1811000003000000' + '0000000000000000');
  assert.is(hex('lddw map_value %r1, 0x0000000800000003'), '1821000003000000' + '0000000008000000');
  assert.is(hex('exit'), '9500000000000000');
  assert.is(Buffer.from(assembleToBytes('exit')).toString('hex'), '9500000000000000');
  assert.is(disassembleBytes(assembleToBytes('mov %r0, 1\nexit'), { syntax: 'llvm' }), 'r0 = 0x1\nexit\n');
});

test('labels, +N/-N, implicit exit label, lddw slots, ja32 and call local targets in imm', () => {
  const prog = assemble(`
    ja end            # forward over an lddw: counted in slots
    lddw %r1, 1
  end:
    jeq %r1, 0, exit
    ja32 end
    call local fn
    exit
  fn: mov %r0, 1
    exit
  `);
  assert.is(prog.map((i) => i.pc).join(), '0,1,3,4,5,6,7,8');
  assert.is(prog[0]!.off, 2);
  assert.is(prog[2]!.off, 2); // to the first exit at slot 6
  assert.is(prog[3]!.imm, -2);
  assert.is(prog[3]!.off, 0);
  assert.is(prog[4]!.imm, 1);
  assert.is(prog[4]!.src, 1);
  assert.is(hex('jne %r1, %r2, -1\nexit'), '5d21ffff00000000' + '9500000000000000');
  assert.is(hex('ja +0x10'), '0500100000000000');
  // an explicit exit: label wins over the implicit one
  const p2 = assemble('ja exit\nexit\nexit:\nexit');
  assert.is(p2[0]!.off, 1);
});

test('comments, commas or spaces, CR line ends, blank lines, case of mnemonics', () => {
  assert.is(hex('  MOV %r0 %r1   # move\r\n\r\n# only a comment\n add  %r0,%r1'), 'bf10000000000000' + '0f10000000000000');
});

test('immediate ranges: decimal signed, hex may be the unsigned pattern', () => {
  assert.is(hex('mov32 %r0, 2147483647'), 'b4000000ffffff7f');
  assert.is(hex('mov32 %r0, -2147483648'), 'b400000000000080');
  assert.is(hex('mov32 %r0, 0xffffffff'), 'b4000000ffffffff');
  for (const bad of ['mov32 %r0, 2147483648', 'mov32 %r0, -2147483649', 'mov %r0, 0x100000000', 'call 0x1ffffffff',
    'stw [%r1+0], 4294967296', 'jeq %r1, 0x100000000, +1']) {
    assert.is(asmError(bad).codeName, 'AsmRange', bad);
  }
  assert.is(asmError('ldxb %r0, [%r1+0x10000]').codeName, 'AsmRange');
  assert.is(asmError('ldxb %r0, [%r1+32768]').codeName, 'AsmRange');
  assert.is(hex('ldxb %r0, [%r1-32768]'), '7110008000000000');
  assert.is(asmError('ja +32768').codeName, 'AsmRange');
  assert.is(asmError('lddw %r0, 0x10000000000000000').codeName, 'AsmRange');
});

test('errors name the line (with firstLine) and the problem', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['mov %r0, 1\nfoo %r0', 'AsmUnknownMnemonic', /line 2: unknown mnemonic 'foo'/],
    ['exit\nmov %r11, 1', 'AsmOperand', /line 2: invalid register '%r11'/],
    ['mov r1, 1', 'AsmOperand', /invalid register 'r1'/],
    ['mov %r0', 'AsmOperand', /takes 2 operand/],
    ['exit %r0', 'AsmOperand', /takes 0 operand/],
    ['neg %r0, %r1', 'AsmOperand', /takes 1 operand/],
    ['lock', 'AsmOperand', /invalid number of operands/],
    ['lock fetch', 'AsmOperand', /invalid number of operands/],
    ['lock or [%r10-8]', 'AsmOperand', /'lock or' takes 2/],
    ['lock nand [%r10-8], %r1', 'AsmUnknownMnemonic', /unknown mnemonic 'lock nand'/],
    ['lock fetch [%r10-8], %r1', 'AsmOperand', /invalid number of operands for 'lock fetch'/],
    ['ldxw %r0, %r1', 'AsmOperand', /memory operand/],
    ['stxw %r0, %r1', 'AsmOperand', /memory operand/],
    ['mov %r0, abc', 'AsmOperand', /expected immediate/],
    ['ja 5', 'AsmOperand', /label or \+N\/-N/],
    ['ja nowhere\nexit', 'AsmUnknownLabel', /line 1: unknown label 'nowhere'/],
    ['a:\na:\nexit', 'AsmSyntax', /line 2: duplicate label 'a'/],
    ['call local nowhere', 'AsmUnknownLabel', /unknown label/],
  ];
  for (const [src, code, re] of cases) {
    const e = asmError(src);
    assert.is(e.codeName, code, src);
    assert.match(e.message, re, src);
  }
  const e = asmError('exit\n\nbogus', 10);
  assert.is(e.line, 12);
  assert.match(e.message, /^EW2002: line 12:/);
});

test('every spec round-trips through the conformance syntax, with edge field values', () => {
  const values = [0, 1, -1, 0x7fff, -0x8000, 0x7fffffff, -0x80000000];
  for (const spec of INSTRUCTION_SET) {
    for (const v of values) {
      const fields = {
        dst: spec.fields.dst === 'reg' ? 10 : 0,
        src: spec.fields.src === 'reg' ? 9 : 0,
        off: spec.fields.off === 'value' ? (v << 16) >> 16 : 0,
        imm: spec.fields.imm === 'value' ? v : 0,
        ...(spec.slots === 2 ? { immHi: ~v } : {}),
      };
      const insn = makeInstruction(spec, fields);
      const text = disassemble([insn]);
      const back = assemble(text);
      assert.is(back.length, 1, text);
      assert.is(back[0]!.spec, spec, text);
      assert.equal(
        [back[0]!.dst, back[0]!.src, back[0]!.off, back[0]!.imm, back[0]!.immHi],
        [insn.dst, insn.src, insn.off, insn.imm, insn.immHi], `${spec.name}: ${text}`);
      // the llvm syntax prints something for every spec
      assert.ok(disassemble([insn], { syntax: 'llvm' }).trim().length > 0);
    }
  }
});

test('conformance syntax: sample output', () => {
  const text = disassemble(decode(encode(assemble(`
    lddw %r0, 0x1122334455667788
    ldxw %r1, [%r1-4]
    stdw [%r10], 7
    jsge32 %r1, -1, exit
    call local fn
    call %r2
    lock fetch add32 [%r1+8], %r2
  fn:
    exit
  `))));
  assert.is(text, [
    'lddw %r0, 0x1122334455667788', 'ldxw %r1, [%r1-4]', 'stdw [%r10], 7', 'jsge32 %r1, -1, +3',
    'call local +2', 'call %r2', 'lock fetch add32 [%r1+8], %r2', 'exit', '',
  ].join('\n'));
  assert.is(lddwValue(assemble('lddw %r0, 0x8000000000000000')[0]!), 0x8000000000000000n);
  assert.is(specByName('lock fetch add32').mnemonic, 'lock fetch add32');
});

test('groups/cpu versions of specs the suite files do not exercise, and of the ones fixed to match its table', () => {
  const want: Record<string, [string, number]> = {
    'lddw map_fd': ['base64', 1], 'lddw map_value': ['base64', 1], 'lddw btf_id': ['base64', 1], 'lddw func': ['base64', 1],
    'lddw map_idx': ['base64', 1], 'lddw map_idx_value': ['base64', 1], ldabsw: ['packet', 1], ldabsh: ['packet', 1],
    ldabsb: ['packet', 1], ldindw: ['packet', 1], ldindh: ['packet', 1], ldindb: ['packet', 1],
    'call runtime': ['base32', 3], 'call local': ['base32', 3], callx: ['callx', 1],
    neg: ['base32', 1], neg32: ['base32', 1], le64: ['base64', 1], be64: ['base64', 1], le16: ['base32', 1],
    bswap16: ['base32', 4], bswap32: ['base32', 4], bswap64: ['base64', 4], ja32: ['base32', 4],
    'lock fetch add32': ['atomic32', 3], 'lock cmpxchg': ['atomic64', 3], sdiv32_imm: ['divmul32', 4], smod_reg: ['divmul64', 4],
    jlt_imm: ['base64', 2], jlt32_imm: ['base32', 3], movsx1632: ['base32', 4], movsx3264: ['base64', 4], ldxsw: ['base32', 4],
  };
  for (const [name, [group, cpu]] of Object.entries(want)) {
    const s = specByName(name);
    assert.equal([s.group, s.cpuVersion], [group, cpu], name);
  }
});

test('parseConformanceData: header order, comments, CR, words, bytes, last result wins, skips', () => {
  const d = parseConformanceData([
    'ignored before any header', '-- asm', 'mov %r0, 1 # one', '', 'exit', '-- mem', '00 01', 'ff', '-- result',
    '7', '0x10 # the last line wins', '-- raw', '0x00000001000000b7 # mov r0, 1', '149',
  ].join('\r\n'));
  assert.is(d.asm, 'mov %r0, 1 \n\nexit');
  assert.is(d.asmFirstLine, 3);
  assert.equal([...d.mem!], [0, 1, 0xff]);
  assert.is(d.result, 0x10n);
  assert.is(d.rawForm, 'words');
  assert.is(Buffer.from(d.raw!).toString('hex'), 'b700000001000000' + '9500000000000000');
  assert.is(d.skipReason, undefined);
  // 'asm' is checked before 'result': a header naming both is an asm header
  assert.is(parseConformanceData('-- asm result\nexit\n-- result\n1').asm, 'exit');
  assert.match(parseConformanceData('-- asm\nexit\n-- pyelf\n-- result\n1').skipReason!, /unknown section header/);
  assert.match(parseConformanceData('-- asm\nexit\n').skipReason!, /no result or error/);
  const c = parseConformanceData('-- c\nint main() { return 0; }\n-- asm\nexit\n-- no register offset\nx\n-- result\n0');
  assert.is(c.asm, 'exit'); assert.is(c.result, 0n);
  const b = parseConformanceData('-- raw\n95 00 00 00 00 00 00 00\n-- error\n');
  assert.is(b.rawForm, 'bytes'); assert.is(b.error, '');
  assert.is(parseConformanceData('-- result\n18446744073709551615').result, 0xffffffffffffffffn);
});

test.run();
