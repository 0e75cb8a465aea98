/** Typed instructions → bytes. */
import { INSTRUCTION_BYTES } from './opcodes.js';
import type { Instruction } from './instruction.js';
import type { InstructionSpec } from './spec.js';

export interface InstructionFields {
  dst?: number; src?: number; off?: number; imm?: number; immHi?: number;
}

function writeSlot(out: Uint8Array, slot: number, opcode: number, dst: number, src: number, off: number, imm: number): void {
  const b = slot * INSTRUCTION_BYTES;
  out[b] = opcode;
  out[b + 1] = (dst & 0x0f) | ((src & 0x0f) << 4);
  out[b + 2] = off & 0xff;
  out[b + 3] = (off >> 8) & 0xff;
  out[b + 4] = imm & 0xff;
  out[b + 5] = (imm >> 8) & 0xff;
  out[b + 6] = (imm >> 16) & 0xff;
  out[b + 7] = (imm >>> 24) & 0xff;
}

/** Builds an Instruction from a spec, filling the discriminator field. */
export function makeInstruction(spec: InstructionSpec, f: InstructionFields, pc = 0): Instruction {
  const v = { dst: f.dst ?? 0, src: f.src ?? 0, off: f.off ?? 0, imm: f.imm ?? 0 };
  if (spec.discriminator) v[spec.discriminator.field] = spec.discriminator.value;
  return spec.slots === 2
    ? { spec, opcode: spec.opcode, ...v, immHi: f.immHi ?? 0, pc }
    : { spec, opcode: spec.opcode, ...v, pc };
}

export function encode(instructions: readonly Instruction[]): Uint8Array {
  let slots = 0;
  for (const i of instructions) slots += i.spec.slots;
  const out = new Uint8Array(slots * INSTRUCTION_BYTES);
  let slot = 0;
  for (const i of instructions) {
    writeSlot(out, slot, i.opcode, i.dst, i.src, i.off, i.imm);
    if (i.spec.slots === 2) writeSlot(out, slot + 1, 0, 0, 0, 0, i.immHi ?? 0);
    slot += i.spec.slots;
  }
  return out;
}
