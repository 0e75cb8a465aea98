/**
 * Typed instructions. An Instruction is one decoded variant with its operand
 * fields; lddw carries both halves of its 64-bit immediate.
 */
import type { InstructionSpec } from './spec.js';

export interface Instruction {
  readonly spec: InstructionSpec;
  /** Raw opcode byte. */
  readonly opcode: number;
  readonly dst: number;
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate (for lddw: the low half). */
  readonly imm: number;
  /** lddw only: the high 32 bits of the immediate (signed 32-bit). */
  readonly immHi?: number;
  /** Slot index of the instruction in the program (lddw occupies two). */
  readonly pc: number;
}

/** The 64-bit immediate of an lddw, as an unsigned BigInt. */
export function lddwValue(insn: Instruction): bigint {
  return (BigInt(insn.immHi! >>> 0) << 32n) | BigInt(insn.imm >>> 0);
}

/** Absolute slot an instruction jumps to (jumps and local calls). */
export function jumpTarget(insn: Instruction): number {
  const k = insn.spec.kind;
  if (k === 'ja' && insn.spec.width === 32) return insn.pc + 1 + insn.imm;
  if (k === 'call') return insn.pc + 1 + insn.imm;
  return insn.pc + 1 + insn.off;
}

/** A program: its instructions and the slot count (lddw counts two). */
export interface Program {
  readonly instructions: readonly Instruction[];
  readonly slotCount: number;
  /** instruction index by slot; -1 for the second slot of an lddw. */
  readonly indexBySlot: Int32Array;
}

export function makeProgram(instructions: readonly Instruction[]): Program {
  let slots = 0;
  for (const i of instructions) slots += i.spec.slots;
  const indexBySlot = new Int32Array(slots).fill(-1);
  instructions.forEach((insn, idx) => { indexBySlot[insn.pc] = idx; });
  return { instructions, slotCount: slots, indexBySlot };
}
