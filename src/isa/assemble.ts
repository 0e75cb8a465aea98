/**
 * Assembler for the bpf_conformance suite's text dialect (uBPF style), driven
 * by the instruction table in spec.ts: a mnemonic is looked up among the
 * specs' `mnemonic`s and the spec's kind/fields decide the operand shape.
 *
 * Syntax (one instruction or label per line; `#` starts a comment):
 *   label:                       defines a label at the next slot (may precede an instruction)
 *   add %r0, %r1 / add32 %r0, 5  ALU, `64` suffix accepted; operands split by commas and/or spaces
 *   neg %r0, le16 %r0, bswap32 %r0 (alias swap32), movsx832 %r0, %r1
 *   ldxw %r0, [%r1+4], ldxsb %r0, [%r1-2], stw [%r10-8], 5, stxdw [%r10-8], %r1
 *   lddw %r0, 0x1122334455667788
 *   lddw map_fd %r1, 3 / lddw map_value %r1, 0x0000000800000003 / lddw btf_id|func|map_idx|map_idx_value ...
 *                                pseudo lddw: the spec mnemonic selects src; the value is the whole
 *                                64-bit immediate (high word = second slot's imm)
 *   ldabsw 12 / ldindh %r2, 4    legacy packet loads
 *   ja target, ja32 target (target in imm), jeq %r1, 5, target, jne32 %r1, %r2, -3
 *   may_goto target
 *   call 5 / call helper 5, call local label, call runtime 7 [, btfObj], call %r2 (callx, reg in dst)
 *   lock [fetch] add|and|or|xor[32] [%r1+0], %r2, lock xchg[32] ..., lock cmpxchg[32] ...
 *   exit
 * A target is a label or a signed `+N`/`-N` slot offset; `exit` is an implicit
 * label of the first exit unless a label `exit:` is defined explicitly.
 * Immediates: decimal must fit the signed field; hex (`0x`) may also be the
 * unsigned bit pattern of the field (e.g. `0xffffffff` for imm32 -1).
 */
import { AsmError } from '../diagnostics/index.js';
import { CallSrc, REGISTER_COUNT } from './opcodes.js';
import { encode, makeInstruction, type InstructionFields } from './encode.js';
import type { Instruction } from './instruction.js';
import { INSTRUCTION_SET, type InstructionKind, type InstructionSpec } from './spec.js';

export interface AssembleOptions {
  /** Line number of the first line of `text` in error messages (default 1). */
  firstLine?: number;
}

/** Operand shapes. `source` is a register or an imm32 and selects the spec's _reg/_imm variant. */
type Operand =
  | 'dst' | 'src' | 'source' | 'imm' | 'imm64' | 'target' | 'dstMem' | 'srcMem' | 'optOff';

/** Operands by kind, in source order. */
const OPERANDS: Readonly<Record<InstructionKind, readonly Operand[]>> = {
  alu: ['dst', 'source'], neg: ['dst'], movsx: ['dst', 'src'], end: ['dst'], lddw: ['dst', 'imm64'],
  ldabs: ['imm'], ldind: ['src', 'imm'], ldx: ['dst', 'srcMem'], ldxs: ['dst', 'srcMem'],
  st: ['dstMem', 'imm'], stx: ['dstMem', 'src'], atomic: ['dstMem', 'src'],
  ja: ['target'], jcond: ['dst', 'source', 'target'], may_goto: ['target'],
  call: ['imm'], callx: ['dst'], exit: [],
};

/** The operand shape of one spec (call variants differ by src). */
export function operandShape(spec: InstructionSpec): readonly Operand[] {
  if (spec.kind === 'call') {
    if (spec.discriminator?.value === CallSrc.LOCAL) return ['target'];
    if (spec.discriminator?.value === CallSrc.KFUNC) return ['imm', 'optOff'];
  }
  return OPERANDS[spec.kind];
}

/** Field a jump target goes in: off where the spec uses off, else imm (ja32, call local). */
export function targetField(spec: InstructionSpec): 'off' | 'imm' {
  return spec.fields.off === 'value' ? 'off' : 'imm';
}

const REGISTER_PREFIX = '%r';
const IMPLICIT_EXIT_LABEL = 'exit';
/** Mnemonic words, longest first (e.g. `lock fetch add32`). */
const MAX_MNEMONIC_WORDS = 3;
/** Suffix the dialect accepts on 64-bit ALU mnemonics (`add64` = `add`). */
const ALU64_SUFFIX = '64';
/** Word that may follow `call` for a helper call (`call helper 5`). */
const CALL_HELPER_WORD = 'helper';
const CALL = 'call';

/** Mnemonic → specs (two where an imm and a reg variant share it). */
const BY_MNEMONIC: ReadonlyMap<string, readonly InstructionSpec[]> = (() => {
  const m = new Map<string, InstructionSpec[]>();
  const put = (mn: string, s: InstructionSpec): void => {
    let l = m.get(mn);
    if (!l) m.set(mn, (l = []));
    l.push(s);
  };
  for (const s of INSTRUCTION_SET) put(s.mnemonic, s);
  const primary = new Set(m.keys());
  for (const s of INSTRUCTION_SET) {
    // Aliases the dialect accepts: add64 for add, swapN for bswapN, call helper N.
    if ((s.kind === 'alu' || s.kind === 'neg') && s.width === 64 && !primary.has(s.mnemonic + ALU64_SUFFIX)) put(s.mnemonic + ALU64_SUFFIX, s);
    if (s.kind === 'end' && s.order === 'swap') put(`swap${s.size}`, s);
    if (s.kind === 'call' && s.discriminator?.value === CallSrc.HELPER) put(`${CALL} ${CALL_HELPER_WORD}`, s);
  }
  return m;
})();
const CALLX = INSTRUCTION_SET.filter((s) => s.kind === 'callx');
const MNEMONIC_PREFIXES = new Set([...BY_MNEMONIC.keys()].flatMap((k) => {
  const w = k.split(' ');
  return w.slice(1).map((_, i) => w.slice(0, i + 1).join(' '));
}));

const INT_RE = /^([+-]?)(0x[0-9a-f]+|[0-9]+)$/i;
const LABEL_RE = /^[A-Za-z_.$][\w.$]*$/;
const MEM_RE = /^\[\s*([^\s+\-\]]+)\s*(?:([+-])\s*([0-9a-fA-Fx]+))?\s*\]$/;
/** Tokens: a bracketed memory operand, or a run of characters other than spaces and commas. */
const TOKEN_RE = /\[[^\]]*\]?|[^\s,]+/g;

/** Parses an integer; decimal must fit `bits` signed, hex may also be its unsigned pattern. */
function parseInteger(tok: string, bits: number, line: number, what: string): bigint {
  const m = INT_RE.exec(tok);
  if (!m) throw new AsmError('AsmOperand', line, `expected ${what}, got '${tok}'`);
  const magnitude = BigInt(m[2]!);
  const v = m[1] === '-' ? -magnitude : magnitude;
  const hex = m[2]!.length > 1 && m[2]![1]!.toLowerCase() === 'x';
  const min = -(1n << BigInt(bits - 1));
  const max = hex && m[1] !== '-' ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  if (v < min || v > max) throw new AsmError('AsmRange', line, `${what} ${tok} is out of range for ${bits} bits`);
  return BigInt.asIntN(bits, v);
}

const IMM_BITS = 32;
const OFF_BITS = 16;
const IMM64_BITS = 64;

function parseRegister(tok: string, line: number): number {
  const n = tok.startsWith(REGISTER_PREFIX) ? tok.slice(REGISTER_PREFIX.length) : '';
  if (!/^[0-9]+$/.test(n) || Number(n) >= REGISTER_COUNT) {
    throw new AsmError('AsmOperand', line, `invalid register '${tok}'`);
  }
  return Number(n);
}

function parseMem(tok: string, line: number): { reg: number; off: number } {
  const m = MEM_RE.exec(tok);
  if (!m) throw new AsmError('AsmOperand', line, `expected a memory operand [%rN+off], got '${tok}'`);
  const reg = parseRegister(m[1]!, line);
  if (!m[2]) return { reg, off: 0 };
  return { reg, off: Number(parseInteger(m[2] + m[3], OFF_BITS, line, 'offset')) };
}

interface Pending {
  spec: InstructionSpec;
  fields: InstructionFields;
  pc: number;
  line: number;
  label?: string;
}

function isRegister(tok: string): boolean {
  return tok.startsWith('%');
}

/** Splits a line (comment removed) into an optional label and tokens. */
function tokenize(text: string): { label?: string; tokens: string[] } {
  let body = text;
  const colon = /^\s*([^\s:,[\]]+):/.exec(body);
  let label: string | undefined;
  if (colon) {
    label = colon[1]!;
    body = body.slice(colon[0].length);
  }
  return { ...(label !== undefined ? { label } : {}), tokens: body.match(TOKEN_RE) ?? [] };
}

/** Finds the longest mnemonic (1–3 words) at the start of the tokens. */
function matchMnemonic(tokens: readonly string[], line: number): { mnemonic: string; specs: readonly InstructionSpec[]; operands: string[] } {
  for (let n = Math.min(MAX_MNEMONIC_WORDS, tokens.length); n >= 1; n--) {
    const mn = tokens.slice(0, n).join(' ').toLowerCase();
    let specs = BY_MNEMONIC.get(mn);
    const operands = tokens.slice(n);
    if (mn === CALL && operands.length > 0 && isRegister(operands[0]!)) specs = CALLX;
    if (specs) return { mnemonic: mn, specs, operands };
  }
  // A known prefix (`lock`, `lock fetch`) followed by nothing or by an operand lacks its
  // operation: an operand-count error, as upstream reports it; followed by a word, that
  // word is an unknown operation.
  let n = 0;
  while (n < tokens.length && MNEMONIC_PREFIXES.has(tokens.slice(0, n + 1).join(' ').toLowerCase())) n++;
  if (n > 0) {
    const next = tokens[n];
    if (next === undefined || isRegister(next) || next.startsWith('[')) {
      throw new AsmError('AsmOperand', line, `invalid number of operands for '${tokens.slice(0, n).join(' ')}'`);
    }
    throw new AsmError('AsmUnknownMnemonic', line, `unknown mnemonic '${tokens.slice(0, n + 1).join(' ')}'`);
  }
  throw new AsmError('AsmUnknownMnemonic', line, `unknown mnemonic '${tokens[0]}'`);
}

/** Assembles one line's mnemonic and operands into a pending instruction. */
function parseInstruction(tokens: string[], pc: number, line: number): Pending {
  const { mnemonic, specs, operands } = matchMnemonic(tokens, line);
  // Register or immediate source picks the variant.
  const sourceIdx = operandShape(specs[0]!).indexOf('source');
  let spec = specs[0]!;
  if (sourceIdx >= 0 && operands[sourceIdx] !== undefined) {
    const want = isRegister(operands[sourceIdx]!) ? 'reg' : 'imm';
    spec = specs.find((s) => s.source === want) ?? spec;
  }
  const shape = operandShape(spec);
  const required = shape.filter((o) => o !== 'optOff').length;
  if (operands.length < required || operands.length > shape.length) {
    throw new AsmError('AsmOperand', line,
      `'${mnemonic}' takes ${required === shape.length ? required : `${required}-${shape.length}`} operand(s), got ${operands.length}`);
  }
  const f: InstructionFields = {};
  const p: Pending = { spec, fields: f, pc, line };
  shape.forEach((kind, i) => {
    const tok = operands[i];
    if (tok === undefined) return;
    switch (kind) {
      case 'dst': f.dst = parseRegister(tok, line); break;
      case 'src': f.src = parseRegister(tok, line); break;
      case 'source':
        if (isRegister(tok)) f.src = parseRegister(tok, line);
        else f.imm = Number(parseInteger(tok, IMM_BITS, line, 'immediate'));
        break;
      case 'imm': f.imm = Number(parseInteger(tok, IMM_BITS, line, 'immediate')); break;
      case 'optOff': f.off = Number(parseInteger(tok, OFF_BITS, line, 'offset')); break;
      case 'imm64': {
        const v = parseInteger(tok, IMM64_BITS, line, '64-bit immediate');
        f.imm = Number(BigInt.asIntN(IMM_BITS, v));
        f.immHi = Number(BigInt.asIntN(IMM_BITS, v >> BigInt(IMM_BITS)));
        break;
      }
      case 'dstMem': { const m = parseMem(tok, line); f.dst = m.reg; f.off = m.off; break; }
      case 'srcMem': { const m = parseMem(tok, line); f.src = m.reg; f.off = m.off; break; }
      case 'target': {
        const field = targetField(spec);
        if (/^[+-]/.test(tok)) {
          f[field] = Number(parseInteger(tok, field === 'off' ? OFF_BITS : IMM_BITS, line, 'jump offset'));
        } else if (LABEL_RE.test(tok)) {
          p.label = tok;
        } else {
          throw new AsmError('AsmOperand', line, `expected a label or +N/-N, got '${tok}'`);
        }
        break;
      }
    }
  });
  return p;
}

/**
 * Assembles conformance-dialect text (see the module comment for the syntax).
 * @param text program source, one instruction or label per line
 * @param options `firstLine`: line number of the text's first line in errors
 * @returns the instructions, with `pc` set to their slot (lddw takes two)
 * @throws AsmError naming the offending line (syntax, unknown mnemonic,
 *   operand count/shape, register, range, unknown or duplicate label)
 */
export function assemble(text: string, options: AssembleOptions = {}): Instruction[] {
  const firstLine = options.firstLine ?? 1;
  const labels = new Map<string, number>();
  let implicitExit: number | undefined;
  const pending: Pending[] = [];
  let pc = 0;
  text.split('\n').forEach((raw, i) => {
    const line = firstLine + i;
    const hash = raw.indexOf('#');
    const { label, tokens } = tokenize(hash >= 0 ? raw.slice(0, hash) : raw);
    if (label !== undefined) {
      if (!LABEL_RE.test(label)) throw new AsmError('AsmSyntax', line, `invalid label name '${label}'`);
      if (labels.has(label)) throw new AsmError('AsmSyntax', line, `duplicate label '${label}'`);
      labels.set(label, pc);
    }
    if (tokens.length === 0) return;
    const p = parseInstruction(tokens, pc, line);
    if (p.spec.kind === 'exit') implicitExit ??= pc;
    pending.push(p);
    pc += p.spec.slots;
  });
  if (implicitExit !== undefined && !labels.has(IMPLICIT_EXIT_LABEL)) labels.set(IMPLICIT_EXIT_LABEL, implicitExit);

  return pending.map((p) => {
    if (p.label !== undefined) {
      const at = labels.get(p.label);
      if (at === undefined) throw new AsmError('AsmUnknownLabel', p.line, `unknown label '${p.label}'`);
      const field = targetField(p.spec);
      const rel = at - p.pc - 1;
      const bits = field === 'off' ? OFF_BITS : IMM_BITS;
      if (BigInt.asIntN(bits, BigInt(rel)) !== BigInt(rel)) {
        throw new AsmError('AsmRange', p.line, `jump to '${p.label}' (${rel}) does not fit ${bits} bits`);
      }
      p.fields[field] = rel;
    }
    return makeInstruction(p.spec, p.fields, p.pc);
  });
}

/**
 * Assembles conformance-dialect text straight to bytecode (8 bytes per slot).
 * @see assemble for the syntax and errors
 */
export function assembleToBytes(text: string, options: AssembleOptions = {}): Uint8Array {
  return encode(assemble(text, options));
}
