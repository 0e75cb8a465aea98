/**
 * Field values of the eBPF instruction encoding (RFC 9669 §3–§5).
 * These are the only place numeric encodings appear; everything else refers
 * to them by name.
 */

/** Instruction class: the low 3 bits of the opcode. */
export const Class = {
  LD: 0x00,
  LDX: 0x01,
  ST: 0x02,
  STX: 0x03,
  ALU: 0x04,
  JMP: 0x05,
  JMP32: 0x06,
  ALU64: 0x07,
} as const;
export const CLASS_MASK = 0x07;

/** Source bit of arithmetic and jump opcodes. */
export const Source = { K: 0x00, X: 0x08 } as const;
export const SOURCE_MASK = 0x08;

/** Operation codes of ALU/ALU64 (bits 4–7). */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  MOD: 0x90,
  XOR: 0xa0,
  MOV: 0xb0,
  ARSH: 0xc0,
  END: 0xd0,
} as const;
export type AluOpValue = (typeof AluOp)[keyof typeof AluOp];
export const OP_MASK = 0xf0;

/** Operation codes of JMP/JMP32 (bits 4–7). */
export const JmpOp = {
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  JCOND: 0xe0,
} as const;
export type JmpOpValue = (typeof JmpOp)[keyof typeof JmpOp];

/** Load/store mode (bits 5–7). */
export const Mode = {
  IMM: 0x00,
  ABS: 0x20,
  IND: 0x40,
  MEM: 0x60,
  MEMSX: 0x80,
  ATOMIC: 0xc0,
} as const;
export const MODE_MASK = 0xe0;

/** Load/store size (bits 3–4). */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export type SizeValue = (typeof Size)[keyof typeof Size];
export const SIZE_MASK = 0x18;
export const SIZE_BYTES: Readonly<Record<SizeValue, 1 | 2 | 4 | 8>> = {
  [Size.W]: 4,
  [Size.H]: 2,
  [Size.B]: 1,
  [Size.DW]: 8,
};

/** Atomic operations: the imm field of STX|ATOMIC instructions. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  XCHG: 0xe0 | 0x01,
  CMPXCHG: 0xf0 | 0x01,
} as const;
export const ATOMIC_FETCH = 0x01;

/** src_reg values of the 64-bit immediate load (RFC 9669 §5.4). */
export const LddwSrc = {
  IMM64: 0,
  MAP_FD: 1,
  MAP_VALUE: 2,
  BTF_ID: 3,
  FUNC: 4,
  MAP_IDX: 5,
  MAP_IDX_VALUE: 6,
} as const;

/** src_reg values of the call instruction. */
export const CallSrc = { HELPER: 0, LOCAL: 1, KFUNC: 2 } as const;

/** src_reg values of JMP|JCOND (kernel extension: may_goto). */
export const JcondSrc = { MAY_GOTO: 0 } as const;

/** Byte-order conversion widths (imm of END instructions). */
export const SWAP_WIDTHS = [16, 32, 64] as const;

export const INSTRUCTION_BYTES = 8;
export const REGISTER_COUNT = 11;
/** r10, the read-only frame pointer. */
export const FRAME_POINTER = 10;
/** Bytes of stack each frame gets. */
export const STACK_FRAME_BYTES = 512;
/** Deepest bpf-to-bpf call chain (frames, including the main one). */
export const MAX_CALL_FRAMES = 8;
/** The kernel's limit on chained tail calls. */
export const MAX_TAIL_CALLS = 33;

export function classOf(opcode: number): number {
  return opcode & CLASS_MASK;
}
