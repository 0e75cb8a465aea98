// The assembler, the .data reader and the conformance disassembler against the
// vendored bpf_conformance files: bytes equal to the upstream assembler's, round
// trips, groups/cpu versions from our spec table, and the negative files.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assemble, conformanceRequirements, conformanceSkipReason, decode, disassemble, encode, parseConformanceData,
  type Instruction,
} from '../src/isa/index.js';
import { AsmError, DecodeError } from '../src/diagnostics/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shared = process.env.EBPF_WASM_SHARED ?? join(root, '..', 'shared');
const suite = join(shared, 'bpf_conformance');
const jsonl = join(suite, 'assembled.jsonl');

interface Assembled { name: string; program_hex: string; mem_hex: string; expected: string; groups: string[]; cpu_version: string }

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const hexOf = (programHex: string): string => programHex.trim().split(/\s+/).join('');

function programOf(name: string): Uint8Array {
  const d = parseConformanceData(readFileSync(join(suite, 'tests', `${name}.data`), 'utf8'));
  if (d.raw) return d.raw;
  return encode(assemble(d.asm!, { firstLine: d.asmFirstLine! }));
}

/** Groups and cpu version the runner would derive, from our table: exact union of groups, max version. */
function requirements(insns: readonly Instruction[]): { groups: string[]; cpu: string } {
  const r = conformanceRequirements(insns);
  return { groups: r.groups, cpu: `v${r.cpuVersion}` };
}

if (!existsSync(jsonl)) {
  console.log(`SKIP: bpf_conformance data not found at ${suite} (set EBPF_WASM_SHARED)`);
  test('conformance data absent', () => {});
} else {
  const entries: Assembled[] = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

  test('assembled.jsonl lists all 313 tests', () => {
    assert.is(entries.length, 313);
    assert.is(readdirSync(join(suite, 'tests')).filter((f) => f.endsWith('.data')).length, 313);
  });

  test('assemble(.data) equals the upstream assembler byte for byte (313)', () => {
    const bad: string[] = [];
    for (const e of entries) {
      const got = toHex(programOf(e.name));
      if (got !== hexOf(e.program_hex)) bad.push(`${e.name}: got ${got}, want ${hexOf(e.program_hex)}`);
    }
    assert.equal(bad, []);
  });

  test('asm section of lddw.data (which also has raw) assembles to the raw bytes', () => {
    const d = parseConformanceData(readFileSync(join(suite, 'tests', 'lddw.data'), 'utf8'));
    assert.is(d.rawForm, 'words');
    assert.is(toHex(encode(assemble(d.asm!))), toHex(d.raw!));
  });

  test('round trip bytes -> conformance text -> bytes (313)', () => {
    const bad: string[] = [];
    for (const e of entries) {
      const bytes = Buffer.from(hexOf(e.program_hex), 'hex');
      const text = disassemble(decode(bytes));
      let again: string;
      try { again = toHex(encode(assemble(text))); } catch (err) { bad.push(`${e.name}: ${(err as Error).message}`); continue; }
      if (again !== hexOf(e.program_hex)) bad.push(`${e.name}:\n${text}`);
      // and the text is a fixed point
      if (disassemble(assemble(text)) !== text) bad.push(`${e.name}: text not stable`);
    }
    assert.equal(bad, []);
  });

  test('groups and cpu version from the spec table equal the runner\'s (313)', () => {
    const bad: string[] = [];
    for (const e of entries) {
      const r = requirements(decode(Buffer.from(hexOf(e.program_hex), 'hex')).instructions);
      if (r.groups.join() !== [...e.groups].sort().join() || r.cpu !== e.cpu_version) {
        bad.push(`${e.name}: ours ${r.groups.join('+')} ${r.cpu}, runner ${e.groups.join('+')} ${e.cpu_version}`);
      }
    }
    assert.equal(bad, []);
  });

  test('runner skip counts per cpu version / groups match the README (v1 162, v2 171, v3 253, v4 312, +callx 313)', () => {
    const reqs = entries.map((e) => conformanceRequirements(decode(Buffer.from(hexOf(e.program_hex), 'hex')).instructions));
    const runs = (cpuVersion: number, extra: Array<'callx'> = []) =>
      reqs.filter((r) => conformanceSkipReason(r, {
        cpuVersion, groups: ['base64', 'atomic64', 'divmul64', ...extra],
      }) === undefined).length;
    assert.equal([runs(1), runs(2), runs(3), runs(4), runs(4, ['callx'])], [162, 171, 253, 312, 313]);
  });

  test('.data fields: mem, result, no-register-offset header, C section', () => {
    const mem = parseConformanceData(readFileSync(join(suite, 'tests', 'mem-len.data'), 'utf8'));
    assert.ok(mem.mem && mem.mem.length > 0);
    for (const e of entries) {
      const d = parseConformanceData(readFileSync(join(suite, 'tests', `${e.name}.data`), 'utf8'));
      assert.is(d.skipReason, undefined, e.name);
      assert.is(d.result, BigInt(e.expected), e.name);
      assert.is(toHex(d.mem ?? new Uint8Array()), e.mem_hex.trim().split(/\s+/).join(''), e.name);
    }
  });

  const negative = join(suite, 'negative');
  const negFile = (n: string): string => readFileSync(join(negative, n), 'utf8');

  /** Expected error code and file line of each negative/invalid_* (line = the offending instruction). */
  const INVALID: Record<string, [string, number]> = {
    'invalid_imm32_dec_range.data': ['AsmRange', 5],
    'invalid_imm32_hex_range.data': ['AsmRange', 5],
    'invalid_label.data': ['AsmUnknownLabel', 4],
    'invalid_lock.data': ['AsmOperand', 4],
    'invalid_lock2.data': ['AsmOperand', 4],
    'invalid_mnemonic.data': ['AsmUnknownMnemonic', 5],
    'invalid_offset.data': ['AsmOperand', 4],
    'invalid_offset_range.data': ['AsmRange', 5],
    'invalid_operand_count.data': ['AsmOperand', 4],
    'invalid_register.data': ['AsmOperand', 4],
  };

  test('negative/invalid_*: AsmError with the right code and file line', () => {
    const files = readdirSync(negative).filter((f) => f.startsWith('invalid_') && f !== 'invalid_unknown_directive.data');
    assert.equal(files.sort(), Object.keys(INVALID).sort());
    for (const f of files) {
      const d = parseConformanceData(negFile(f));
      let err: unknown;
      try { assemble(d.asm!, { firstLine: d.asmFirstLine! }); } catch (e) { err = e; }
      assert.instance(err, AsmError, f);
      const e = err as AsmError;
      assert.equal([e.codeName, e.line], INVALID[f], `${f}: ${e.message}`);
      assert.match(e.message, new RegExp(`line ${e.line}:`));
    }
  });

  test('negative parser cases: unknown directive, empty, empty_instructions, error', () => {
    const unk = parseConformanceData(negFile('invalid_unknown_directive.data'));
    assert.match(unk.skipReason ?? '', /unknown section header/);
    assert.ok(parseConformanceData(negFile('empty.data')).skipReason);
    const ei = parseConformanceData(negFile('empty_instructions.data'));
    assert.is(ei.asm, undefined); assert.is(ei.raw, undefined); assert.is(ei.result, 0n);
    const er = parseConformanceData(negFile('error.data'));
    assert.is(er.error, 'Invalid');
    assert.is(encode(assemble(er.asm!)).length, 16);
    const hb = parseConformanceData(negFile('incorrect_return_value_high_bits.data'));
    assert.is(hb.result, 0x8977665544332211n);
    assert.is(hb.mem!.length, 12);
  });

  test('negative/unused-*: byte-form raw, DecodeError from decode (45)', () => {
    const files = readdirSync(negative).filter((f) => f.startsWith('unused-'));
    assert.is(files.length, 45);
    for (const f of files) {
      const d = parseConformanceData(negFile(f));
      assert.is(d.rawForm, 'bytes', f);
      assert.is(d.error, '', f);
      assert.is(d.raw!.length % 8, 0, f);
      let err: unknown;
      try { decode(d.raw!); } catch (e) { err = e; }
      assert.instance(err, DecodeError, f);
      assert.is((err as DecodeError).pc, 0, f);
    }
  });
}

test.run();
