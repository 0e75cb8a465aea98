/**
 * The eBPF instruction set as data: one InstructionSpec for every encodable
 * instruction variant of RFC 9669, plus the kernel extensions the engine
 * accepts (may_goto) and the conformance suite's callx.
 *
 * An instruction variant is identified, as in the conformance suite's own
 * table, by its opcode plus one discriminating field where the opcode alone is
 * ambiguous: src for lddw and call, imm for atomics and byte swaps, off for
 * sdiv/smod and movsx.
 */
import {
  AluOp, AtomicOp, CallSrc, Class, JcondSrc, JmpOp, LddwSrc, Mode, Size, Source, SIZE_BYTES,
  type AluOpValue, type JmpOpValue, type SizeValue,
} from './opcodes.js';

export type InstructionKind =
  | 'alu'        // dst = dst op src|imm (incl. mov, sdiv/smod)
  | 'neg'        // dst = -dst
  | 'movsx'      // dst = sign-extend(src, bits)
  | 'end'        // byte swap: le/be (to-endianness) or bswap
  | 'lddw'       // 64-bit immediate load, two slots
  | 'ldabs'      // legacy packet load, absolute offset
  | 'ldind'      // legacy packet load, offset from src
  | 'ldx'        // dst = *(size *)(src + off)
  | 'ldxs'       // sign-extending load
  | 'st'         // *(size *)(dst + off) = imm
  | 'stx'        // *(size *)(dst + off) = src
  | 'atomic'     // atomic read-modify-write at dst + off
  | 'ja'         // unconditional jump by off (JMP) or imm (JMP32, "gotol")
  | 'jcond'      // conditional jump
  | 'may_goto'   // kernel extension: bounded-iteration jump
  | 'call'       // helper (src 0), local (src 1) or kfunc (src 2)
  | 'callx'      // call helper whose id is in dst (conformance suite only)
  | 'exit';

export type ConformanceGroup =
  | 'base32' | 'base64' | 'atomic32' | 'atomic64' | 'divmul32' | 'divmul64' | 'packet' | 'callx';

/**
 * How an instruction uses each field: 'reg' holds a register number, 'value'
 * any value, 'zero' is reserved and must be 0, 'fixed' is the discriminator.
 */
export type FieldUse = 'reg' | 'value' | 'zero' | 'fixed';

export interface InstructionSpec {
  /** Unique name: the mnemonic, plus _imm/_reg where both sources exist (e.g. add32_imm, jeq_reg, exit). */
  readonly name: string;
  /** Mnemonic of the conformance-suite assembler (e.g. add32, jeq, lock fetch add). */
  readonly mnemonic: string;
  readonly opcode: number;
  readonly discriminator?: { readonly field: 'src' | 'imm' | 'off'; readonly value: number };
  readonly kind: InstructionKind;
  readonly fields: { readonly dst: FieldUse; readonly src: FieldUse; readonly off: FieldUse; readonly imm: FieldUse };
  /** Source operand: an immediate or a register (ALU, jumps). */
  readonly source: 'imm' | 'reg' | 'none';
  /** Operand width: 32 for ALU/JMP32 and 32-bit atomics, else 64. */
  readonly width: 32 | 64;
  readonly aluOp?: AluOpValue;
  readonly jmpOp?: JmpOpValue;
  /** Bytes moved by loads, stores and atomics; bits swapped by END; bits of movsx source. */
  readonly size?: number;
  readonly atomicOp?: number;
  /** END: 'le'/'be' convert to that byte order, 'swap' always swaps. */
  readonly order?: 'le' | 'be' | 'swap';
  /** Number of 8-byte slots (2 for lddw). */
  readonly slots: 1 | 2;
  readonly group: ConformanceGroup;
  readonly cpuVersion: 1 | 2 | 3 | 4;
  /** Accepted only for unverified code (the kernel rejects it). */
  readonly unverifiedOnly?: boolean;
}

const specs: InstructionSpec[] = [];
type SpecInput = Omit<InstructionSpec, 'mnemonic'>;
/** Registers a variant; `name` is given as the mnemonic and made unique by source. */
function add(s: SpecInput): void {
  const bySource = s.kind === 'alu' || s.kind === 'jcond';
  specs.push({ ...s, mnemonic: s.name, name: bySource ? `${s.name}_${s.source}` : s.name });
}

const ALU_OPS: ReadonlyArray<readonly [string, AluOpValue]> = [
  ['add', AluOp.ADD], ['sub', AluOp.SUB], ['mul', AluOp.MUL], ['div', AluOp.DIV],
  ['or', AluOp.OR], ['and', AluOp.AND], ['lsh', AluOp.LSH], ['rsh', AluOp.RSH],
  ['mod', AluOp.MOD], ['xor', AluOp.XOR], ['mov', AluOp.MOV], ['arsh', AluOp.ARSH],
];
const DIVMUL = new Set<number>([AluOp.MUL, AluOp.DIV, AluOp.MOD]);

for (const cls of [Class.ALU, Class.ALU64] as const) {
  const width = cls === Class.ALU64 ? 64 : 32;
  const suffix = width === 32 ? '32' : '';
  const base: ConformanceGroup = width === 32 ? 'base32' : 'base64';
  const divmul: ConformanceGroup = width === 32 ? 'divmul32' : 'divmul64';
  for (const [mn, op] of ALU_OPS) {
    for (const source of ['imm', 'reg'] as const) {
      const opcode = cls | op | (source === 'imm' ? Source.K : Source.X);
      const group = DIVMUL.has(op) ? divmul : base;
      const signedDiv = op === AluOp.DIV || op === AluOp.MOD;
      // off tells div from sdiv, and mov from movsx (register source only).
      const offKeyed = signedDiv || (op === AluOp.MOV && source === 'reg');
      add({
        name: mn + suffix, opcode, kind: 'alu', source, width, aluOp: op, slots: 1, group, cpuVersion: 1,
        fields: { dst: 'reg', src: source === 'reg' ? 'reg' : 'zero', off: offKeyed ? 'fixed' : 'zero', imm: source === 'imm' ? 'value' : 'zero' },
        ...(offKeyed ? { discriminator: { field: 'off' as const, value: 0 } } : {}),
      });
      if (signedDiv) {
        add({
          name: 's' + mn + suffix, opcode, discriminator: { field: 'off', value: 1 }, kind: 'alu', source, width,
          aluOp: op, slots: 1, group, cpuVersion: 4,
          fields: { dst: 'reg', src: source === 'reg' ? 'reg' : 'zero', off: 'fixed', imm: source === 'imm' ? 'value' : 'zero' },
        });
      }
    }
  }
  // mov with a register source doubles as movsx (off = source bits).
  for (const bits of [8, 16, 32] as const) {
    if (width === 32 && bits === 32) continue; // movsx3232 does not exist
    add({
      name: `movsx${bits}${width}`, opcode: cls | AluOp.MOV | Source.X, discriminator: { field: 'off', value: bits },
      kind: 'movsx', source: 'reg', width, aluOp: AluOp.MOV, size: bits, slots: 1, group: base, cpuVersion: 4,
      fields: { dst: 'reg', src: 'reg', off: 'fixed', imm: 'zero' },
    });
  }
  add({
    // The conformance suite's table puts both negs (0x84, 0x87) in base32.
    name: 'neg' + suffix, opcode: cls | AluOp.NEG, kind: 'neg', source: 'none', width, aluOp: AluOp.NEG, slots: 1,
    group: 'base32', cpuVersion: 1, fields: { dst: 'reg', src: 'zero', off: 'zero', imm: 'zero' },
  });
}

// Byte swaps: ALU|END|TO_LE (0xd4), ALU|END|TO_BE (0xdc), ALU64|END (0xd7, bswap).
// The group follows the width swapped, not the class (as in the conformance suite's table).
const SWAP64 = 64;
for (const bits of [16, 32, 64] as const) {
  const group: ConformanceGroup = bits === SWAP64 ? 'base64' : 'base32';
  for (const [order, opcode, prefix, cpu] of [
    ['le', Class.ALU | AluOp.END | Source.K, 'le', 1],
    ['be', Class.ALU | AluOp.END | Source.X, 'be', 1],
    ['swap', Class.ALU64 | AluOp.END | Source.K, 'bswap', 4],
  ] as const) {
    add({
      name: `${prefix}${bits}`, opcode, discriminator: { field: 'imm', value: bits }, kind: 'end', source: 'none',
      width: order === 'swap' ? 64 : 32, aluOp: AluOp.END, size: bits, order, slots: 1, group, cpuVersion: cpu,
      fields: { dst: 'reg', src: 'zero', off: 'zero', imm: 'fixed' },
    });
  }
}

// 64-bit immediate loads, one variant per src_reg meaning.
const LDDW_NAMES: Record<number, string> = {
  [LddwSrc.IMM64]: 'lddw', [LddwSrc.MAP_FD]: 'lddw map_fd', [LddwSrc.MAP_VALUE]: 'lddw map_value',
  [LddwSrc.BTF_ID]: 'lddw btf_id', [LddwSrc.FUNC]: 'lddw func', [LddwSrc.MAP_IDX]: 'lddw map_idx',
  [LddwSrc.MAP_IDX_VALUE]: 'lddw map_idx_value',
};
for (const src of Object.values(LddwSrc)) {
  add({
    name: LDDW_NAMES[src]!, opcode: Class.LD | Mode.IMM | Size.DW, discriminator: { field: 'src', value: src },
    kind: 'lddw', source: 'imm', width: 64, size: 8, slots: 2, group: 'base64', cpuVersion: 1,
    fields: { dst: 'reg', src: 'fixed', off: 'zero', imm: 'value' },
  });
}

const SIZES: ReadonlyArray<readonly [string, SizeValue]> = [['w', Size.W], ['h', Size.H], ['b', Size.B], ['dw', Size.DW]];
for (const [sfx, size] of SIZES) {
  const bytes = SIZE_BYTES[size];
  const group: ConformanceGroup = bytes === 8 ? 'base64' : 'base32';
  if (bytes !== 8) {
    add({
      name: `ldabs${sfx}`, opcode: Class.LD | Mode.ABS | size, kind: 'ldabs', source: 'imm', width: 64, size: bytes,
      slots: 1, group: 'packet', cpuVersion: 1, fields: { dst: 'zero', src: 'zero', off: 'zero', imm: 'value' },
    });
    add({
      name: `ldind${sfx}`, opcode: Class.LD | Mode.IND | size, kind: 'ldind', source: 'reg', width: 64, size: bytes,
      slots: 1, group: 'packet', cpuVersion: 1, fields: { dst: 'zero', src: 'reg', off: 'zero', imm: 'value' },
    });
    add({
      name: `ldxs${sfx}`, opcode: Class.LDX | Mode.MEMSX | size, kind: 'ldxs', source: 'reg', width: 64, size: bytes,
      slots: 1, group, cpuVersion: 4, fields: { dst: 'reg', src: 'reg', off: 'value', imm: 'zero' },
    });
  }
  add({
    name: `ldx${sfx}`, opcode: Class.LDX | Mode.MEM | size, kind: 'ldx', source: 'reg', width: 64, size: bytes,
    slots: 1, group, cpuVersion: 1, fields: { dst: 'reg', src: 'reg', off: 'value', imm: 'zero' },
  });
  add({
    name: `st${sfx}`, opcode: Class.ST | Mode.MEM | size, kind: 'st', source: 'imm', width: 64, size: bytes,
    slots: 1, group, cpuVersion: 1, fields: { dst: 'reg', src: 'zero', off: 'value', imm: 'value' },
  });
  add({
    name: `stx${sfx}`, opcode: Class.STX | Mode.MEM | size, kind: 'stx', source: 'reg', width: 64, size: bytes,
    slots: 1, group, cpuVersion: 1, fields: { dst: 'reg', src: 'reg', off: 'value', imm: 'zero' },
  });
}

const ATOMIC_OPS: ReadonlyArray<readonly [string, number]> = [
  ['add', AtomicOp.ADD], ['or', AtomicOp.OR], ['and', AtomicOp.AND], ['xor', AtomicOp.XOR],
  ['fetch add', AtomicOp.ADD | 1], ['fetch or', AtomicOp.OR | 1], ['fetch and', AtomicOp.AND | 1],
  ['fetch xor', AtomicOp.XOR | 1], ['xchg', AtomicOp.XCHG], ['cmpxchg', AtomicOp.CMPXCHG],
];
for (const [size, width, suffix, group] of [[Size.W, 32, '32', 'atomic32'], [Size.DW, 64, '', 'atomic64']] as const) {
  for (const [mn, op] of ATOMIC_OPS) {
    add({
      name: `lock ${mn}${suffix}`, opcode: Class.STX | Mode.ATOMIC | size, discriminator: { field: 'imm', value: op },
      kind: 'atomic', source: 'reg', width, size: width / 8, atomicOp: op, slots: 1, group, cpuVersion: 3,
      fields: { dst: 'reg', src: 'reg', off: 'value', imm: 'fixed' },
    });
  }
}

const JMP_OPS: ReadonlyArray<readonly [string, JmpOpValue, 1 | 2]> = [
  ['jeq', JmpOp.JEQ, 1], ['jgt', JmpOp.JGT, 1], ['jge', JmpOp.JGE, 1], ['jset', JmpOp.JSET, 1],
  ['jne', JmpOp.JNE, 1], ['jsgt', JmpOp.JSGT, 1], ['jsge', JmpOp.JSGE, 1], ['jlt', JmpOp.JLT, 2],
  ['jle', JmpOp.JLE, 2], ['jslt', JmpOp.JSLT, 2], ['jsle', JmpOp.JSLE, 2],
];
for (const cls of [Class.JMP, Class.JMP32] as const) {
  const width = cls === Class.JMP ? 64 : 32;
  const suffix = width === 32 ? '32' : '';
  for (const [mn, op, cpu] of JMP_OPS) {
    for (const source of ['imm', 'reg'] as const) {
      add({
        name: mn + suffix, opcode: cls | op | (source === 'imm' ? Source.K : Source.X), kind: 'jcond', source, width,
        jmpOp: op, slots: 1, group: width === 32 ? 'base32' : 'base64', cpuVersion: width === 32 ? 3 : cpu,
        fields: { dst: 'reg', src: source === 'reg' ? 'reg' : 'zero', off: 'value', imm: source === 'imm' ? 'value' : 'zero' },
      });
    }
  }
}
add({
  name: 'ja', opcode: Class.JMP | JmpOp.JA, kind: 'ja', source: 'none', width: 64, jmpOp: JmpOp.JA, slots: 1,
  group: 'base32', cpuVersion: 1, fields: { dst: 'zero', src: 'zero', off: 'value', imm: 'zero' },
});
add({
  name: 'ja32', opcode: Class.JMP32 | JmpOp.JA, kind: 'ja', source: 'none', width: 32, jmpOp: JmpOp.JA, slots: 1,
  group: 'base32', cpuVersion: 4, fields: { dst: 'zero', src: 'zero', off: 'zero', imm: 'value' },
});
add({
  name: 'may_goto', opcode: Class.JMP | JmpOp.JCOND, discriminator: { field: 'src', value: JcondSrc.MAY_GOTO },
  kind: 'may_goto', source: 'none', width: 64, jmpOp: JmpOp.JCOND, slots: 1, group: 'base64', cpuVersion: 4,
  fields: { dst: 'zero', src: 'fixed', off: 'value', imm: 'zero' },
});
add({
  name: 'call', opcode: Class.JMP | JmpOp.CALL, discriminator: { field: 'src', value: CallSrc.HELPER }, kind: 'call',
  source: 'imm', width: 64, jmpOp: JmpOp.CALL, slots: 1, group: 'base32', cpuVersion: 1,
  fields: { dst: 'zero', src: 'fixed', off: 'zero', imm: 'value' },
});
add({
  name: 'call local', opcode: Class.JMP | JmpOp.CALL, discriminator: { field: 'src', value: CallSrc.LOCAL }, kind: 'call',
  source: 'imm', width: 64, jmpOp: JmpOp.CALL, slots: 1, group: 'base32', cpuVersion: 3,
  fields: { dst: 'zero', src: 'fixed', off: 'zero', imm: 'value' },
});
add({
  // off selects the BTF object (0 = vmlinux, else an fd_array index), as in the kernel.
  name: 'call runtime', opcode: Class.JMP | JmpOp.CALL, discriminator: { field: 'src', value: CallSrc.KFUNC }, kind: 'call',
  source: 'imm', width: 64, jmpOp: JmpOp.CALL, slots: 1, group: 'base32', cpuVersion: 3,
  fields: { dst: 'zero', src: 'fixed', off: 'value', imm: 'value' },
});
add({
  name: 'callx', opcode: Class.JMP | JmpOp.CALL | Source.X, kind: 'callx', source: 'reg', width: 64, jmpOp: JmpOp.CALL,
  slots: 1, group: 'callx', cpuVersion: 1, unverifiedOnly: true,
  fields: { dst: 'reg', src: 'zero', off: 'zero', imm: 'zero' },
});
add({
  name: 'exit', opcode: Class.JMP | JmpOp.EXIT, kind: 'exit', source: 'none', width: 64, jmpOp: JmpOp.EXIT, slots: 1,
  group: 'base32', cpuVersion: 1, fields: { dst: 'zero', src: 'zero', off: 'zero', imm: 'zero' },
});

/** Every instruction variant. */
export const INSTRUCTION_SET: readonly InstructionSpec[] = specs;

/** Variants by opcode byte (most opcodes have one; a few are told apart by a discriminator). */
export const SPECS_BY_OPCODE: ReadonlyArray<readonly InstructionSpec[] | undefined> = (() => {
  const table: InstructionSpec[][] = [];
  for (const s of specs) (table[s.opcode] ??= []).push(s);
  return table;
})();

/** Variants by name. */
export const SPECS_BY_NAME: ReadonlyMap<string, InstructionSpec> = new Map(specs.map((s) => [s.name, s]));

export function specByName(name: string): InstructionSpec {
  const s = SPECS_BY_NAME.get(name);
  if (!s) throw new Error(`no instruction named ${name}`);
  return s;
}
