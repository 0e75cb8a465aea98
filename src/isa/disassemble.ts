/**
 * Disassemblers: the conformance dialect (which `assemble` reads back, with
 * jump targets as `+N`/`-N`), and the llvm-objdump/kernel syntax as printed by
 * `llvm-objdump-19 -d --no-show-raw-insn` (addresses and jump annotations
 * `<.text+0x..>` left out).
 *
 * Known differences from llvm-objdump-19 (default options):
 * - 32-bit atomics: objdump without `--mattr=+alu32` prints most as
 *   `<unknown>` and `lock fetch add32` as a plain add; we print what
 *   `--mattr=+alu32` prints (`lock *(u32 *)(r1 + 0x0) += w2`,
 *   `w2 = atomic_fetch_add((u32 *)(r1 + 0x0), w2)`, `w2 = xchg32_32(r1 + 0x0, w2)`,
 *   `w0 = cmpxchg32_32(r1 + 0x0, w0, w2)`).
 * - Sub-word loads/stores use r registers, as objdump does by default
 *   (`--mattr=+alu32` would print `w0 = *(u32 *)...`).
 * - ldind: objdump omits the immediate (`skb[r7]`); we print `skb[r7 + 0x4]`
 *   when it is non-zero, so no information is lost.
 * - ld_pseudo (lddw with src != 0): objdump shows only the low imm; we add the
 *   high word as a fourth operand when it is non-zero.
 * - may_goto, callx, gotol print as objdump does; callx carries the register in dst.
 */
import { AluOp, AtomicOp, ATOMIC_FETCH, CallSrc, JmpOp, LddwSrc } from './opcodes.js';
import { lddwValue, type Instruction, type Program } from './instruction.js';
import { operandShape, targetField } from './assemble.js';
import { decode } from './decode.js';

export type DisassemblySyntax = 'conformance' | 'llvm';

export interface DisassembleOptions {
  /** 'conformance' (default): the assembler's dialect; 'llvm': llvm-objdump/kernel style. */
  syntax?: DisassemblySyntax;
  /** Prefix each line with its slot number, right-aligned, and a tab (as objdump does). */
  showPc?: boolean;
}

const PC_COLUMN = 8;

/** Signed value as llvm prints it: `0x5`, `-0xc`. */
function shex(v: number | bigint): string {
  const b = BigInt(v);
  return b < 0n ? `-0x${(-b).toString(16)}` : `0x${b.toString(16)}`;
}
/** Jump offset with an explicit sign: `+0x3`, `-0x4`. */
function sjump(v: number): string {
  return v < 0 ? shex(v) : `+${shex(v)}`;
}
/** Signed decimal with an explicit sign, for conformance jump targets. */
function sdec(v: number): string {
  return v < 0 ? `${v}` : `+${v}`;
}

// ---------------------------------------------------------------- conformance

function memOperand(reg: number, off: number): string {
  if (off === 0) return `[%r${reg}]`;
  return off < 0 ? `[%r${reg}${off}]` : `[%r${reg}+${off}]`;
}

/** One instruction in the conformance dialect. */
function conformanceLine(insn: Instruction): string {
  const { spec } = insn;
  const ops: string[] = [];
  for (const kind of operandShape(spec)) {
    switch (kind) {
      case 'dst': ops.push(`%r${insn.dst}`); break;
      case 'src': ops.push(`%r${insn.src}`); break;
      case 'source': ops.push(spec.source === 'reg' ? `%r${insn.src}` : `${insn.imm}`); break;
      case 'imm': ops.push(`${insn.imm}`); break;
      case 'optOff': if (insn.off !== 0) ops.push(`${insn.off}`); break;
      case 'imm64': ops.push(`0x${lddwValue(insn).toString(16)}`); break;
      case 'dstMem': ops.push(memOperand(insn.dst, insn.off)); break;
      case 'srcMem': ops.push(memOperand(insn.src, insn.off)); break;
      case 'target': ops.push(sdec(targetField(spec) === 'off' ? insn.off : insn.imm)); break;
    }
  }
  // callx is written `call %rX` in the dialect.
  const mnemonic = spec.kind === 'callx' ? 'call' : spec.mnemonic;
  return ops.length === 0 ? mnemonic : `${mnemonic} ${ops.join(', ')}`;
}

// ---------------------------------------------------------------- llvm

const ALU_OPERATORS: Readonly<Record<number, string>> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=',
  [AluOp.AND]: '&=', [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=',
  [AluOp.MOV]: '=', [AluOp.ARSH]: 's>>=',
};
/** Signed forms of div/mod (off = 1). */
const SIGNED_PREFIX = 's';
const JMP_OPERATORS: Readonly<Record<number, string>> = {
  [JmpOp.JEQ]: '==', [JmpOp.JGT]: '>', [JmpOp.JGE]: '>=', [JmpOp.JSET]: '&', [JmpOp.JNE]: '!=',
  [JmpOp.JSGT]: 's>', [JmpOp.JSGE]: 's>=', [JmpOp.JLT]: '<', [JmpOp.JLE]: '<=', [JmpOp.JSLT]: 's<',
  [JmpOp.JSLE]: 's<=',
};
/** Atomic read-modify-write operations without the fetch bit: operator and fetch name. */
const ATOMIC_RMW: Readonly<Record<number, readonly [string, string]>> = {
  [AtomicOp.ADD]: ['+=', 'add'], [AtomicOp.OR]: ['|=', 'or'], [AtomicOp.AND]: ['&=', 'and'], [AtomicOp.XOR]: ['^=', 'xor'],
};
const BITS_PER_BYTE = 8;
const IMM64_BITS = 64;

function reg(n: number, width: 32 | 64): string {
  return `${width === 32 ? 'w' : 'r'}${n}`;
}
/** `(r1 - 0x8)` / `r1 + 0x0`. */
function addr(r: number, off: number): string {
  return `r${r} ${off < 0 ? '-' : '+'} 0x${Math.abs(off).toString(16)}`;
}
function ptrType(bytes: number, signed = false): string {
  return `${signed ? 's' : 'u'}${bytes * BITS_PER_BYTE}`;
}

/** One instruction in llvm-objdump syntax. */
function llvmLine(insn: Instruction): string {
  const { spec, dst, src, off, imm } = insn;
  const w = spec.width;
  const source = spec.source === 'reg' ? reg(src, w) : shex(imm);
  switch (spec.kind) {
    case 'alu': {
      const signed = (spec.aluOp === AluOp.DIV || spec.aluOp === AluOp.MOD) && off !== 0;
      return `${reg(dst, w)} ${signed ? SIGNED_PREFIX : ''}${ALU_OPERATORS[spec.aluOp!]} ${source}`;
    }
    case 'neg': return `${reg(dst, w)} = -${reg(dst, w)}`;
    case 'movsx': return `${reg(dst, w)} = (s${spec.size})${reg(src, w)}`;
    case 'end': {
      const name = spec.order === 'swap' ? 'bswap' : spec.order;
      return `r${dst} = ${name}${spec.size} r${dst}`;
    }
    case 'lddw': {
      if (src === LddwSrc.IMM64) return `r${dst} = ${shex(BigInt.asIntN(IMM64_BITS, lddwValue(insn)))} ll`;
      const hi = insn.immHi ? `, ${shex(insn.immHi >>> 0)}` : '';
      return `ld_pseudo r${dst}, ${shex(src)}, ${shex(imm >>> 0)}${hi}`;
    }
    case 'ldabs': return `r0 = *(${ptrType(spec.size!)} *)skb[${shex(imm)}]`;
    case 'ldind': return `r0 = *(${ptrType(spec.size!)} *)skb[r${src}${imm === 0 ? '' : ` ${imm < 0 ? '-' : '+'} 0x${Math.abs(imm).toString(16)}`}]`;
    case 'ldx': return `r${dst} = *(${ptrType(spec.size!)} *)(${addr(src, off)})`;
    case 'ldxs': return `r${dst} = *(${ptrType(spec.size!, true)} *)(${addr(src, off)})`;
    case 'st': return `*(${ptrType(spec.size!)} *)(${addr(dst, off)}) = ${shex(imm)}`;
    case 'stx': return `*(${ptrType(spec.size!)} *)(${addr(dst, off)}) = r${src}`;
    case 'atomic': {
      const op = spec.atomicOp!;
      const t = ptrType(spec.size!);
      const s = reg(src, w);
      const suffix = w === 32 ? '32_32' : '_64';
      if (op === AtomicOp.XCHG) return `${s} = xchg${suffix}(${addr(dst, off)}, ${s})`;
      if (op === AtomicOp.CMPXCHG) return `${reg(0, w)} = cmpxchg${suffix}(${addr(dst, off)}, ${reg(0, w)}, ${s})`;
      const [operator, name] = ATOMIC_RMW[op & ~ATOMIC_FETCH]!;
      if (op & ATOMIC_FETCH) return `${s} = atomic_fetch_${name}((${t} *)(${addr(dst, off)}), ${s})`;
      return `lock *(${t} *)(${addr(dst, off)}) ${operator} ${s}`;
    }
    case 'ja': return targetField(spec) === 'off' ? `goto ${sjump(off)}` : `gotol ${sjump(imm)}`;
    case 'jcond': return `if ${reg(dst, w)} ${JMP_OPERATORS[spec.jmpOp!]} ${source} goto ${sjump(off)}`;
    case 'may_goto': return `may_goto ${sjump(off)}`;
    case 'call': return src === CallSrc.KFUNC && off !== 0 ? `call ${shex(imm)}, ${shex(off)}` : `call ${shex(imm)}`;
    case 'callx': return `callx r${dst}`;
    case 'exit': return 'exit';
  }
}

/**
 * Text of one instruction.
 * @param insn a decoded or assembled instruction
 * @param syntax 'conformance' (default) or 'llvm'
 */
export function disassembleInstruction(insn: Instruction, syntax: DisassemblySyntax = 'conformance'): string {
  return syntax === 'llvm' ? llvmLine(insn) : conformanceLine(insn);
}

/**
 * Disassembles a program, one instruction per line (lddw takes one line).
 * The conformance syntax reassembles to the same bytes with `assemble`.
 * @param program instructions (e.g. from `assemble`, or `decode(bytes).instructions`) or a Program
 * @param options `syntax`: 'conformance' (default) or 'llvm'; `showPc`: prefix slot numbers
 * @returns the text, each line ending in a newline
 */
export function disassemble(program: readonly Instruction[] | Program, options: DisassembleOptions = {}): string {
  const list = 'instructions' in program ? program.instructions : program;
  const syntax = options.syntax ?? 'conformance';
  return list.map((insn) => {
    const text = disassembleInstruction(insn, syntax);
    return (options.showPc ? `${String(insn.pc).padStart(PC_COLUMN)}:\t` : '') + text + '\n';
  }).join('');
}

/**
 * Decodes bytecode and disassembles it.
 * @throws DecodeError when the bytes are not a valid program
 * @see disassemble
 */
export function disassembleBytes(bytes: Uint8Array, options: DisassembleOptions = {}): string {
  return disassemble(decode(bytes), options);
}
