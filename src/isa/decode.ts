/** Bytes → typed instructions. Rejects anything RFC 9669 does not define. */
import { DecodeError } from '../diagnostics/index.js';
import { INSTRUCTION_BYTES, REGISTER_COUNT } from './opcodes.js';
import { SPECS_BY_OPCODE, type InstructionSpec } from './spec.js';
import { makeProgram, type Instruction, type Program } from './instruction.js';

export interface RawSlot { opcode: number; dst: number; src: number; off: number; imm: number }

export function readSlot(bytes: Uint8Array, slot: number): RawSlot {
  const b = slot * INSTRUCTION_BYTES;
  return {
    opcode: bytes[b]!,
    dst: bytes[b + 1]! & 0x0f,
    src: bytes[b + 1]! >> 4,
    off: ((bytes[b + 2]! | (bytes[b + 3]! << 8)) << 16) >> 16,
    imm: bytes[b + 4]! | (bytes[b + 5]! << 8) | (bytes[b + 6]! << 16) | (bytes[b + 7]! << 24),
  };
}

function hex(n: number, width = 2): string {
  return '0x' + (n >>> 0).toString(16).padStart(width, '0');
}

function selectSpec(raw: RawSlot, pc: number): InstructionSpec {
  const candidates = SPECS_BY_OPCODE[raw.opcode];
  if (!candidates) throw new DecodeError('UnknownOpcode', pc, `unknown opcode ${hex(raw.opcode)}`);
  if (candidates.length === 1 && !candidates[0]!.discriminator) return candidates[0]!;
  for (const s of candidates) {
    const d = s.discriminator;
    if (!d || raw[d.field] === d.value) return s;
  }
  const field = candidates[0]!.discriminator!.field;
  throw new DecodeError('UnknownOpcode', pc,
    `unknown ${field} ${raw[field]} for opcode ${hex(raw.opcode)}`);
}

/** Decodes one instruction at `slot`; `bytes` must hold whole slots. */
export function decodeAt(bytes: Uint8Array, slot: number, slotCount: number): Instruction {
  const raw = readSlot(bytes, slot);
  const spec = selectSpec(raw, slot);
  for (const field of ['dst', 'src', 'off', 'imm'] as const) {
    const use = spec.fields[field];
    if (use === 'zero' && raw[field] !== 0) {
      throw new DecodeError('ReservedFieldNonZero', slot,
        `${spec.name}: reserved field ${field} must be 0, is ${raw[field]}`);
    }
    if (use === 'reg' && raw[field] >= REGISTER_COUNT) {
      throw new DecodeError('InvalidRegister', slot, `${spec.name}: invalid ${field} register r${raw[field]}`);
    }
  }
  if (spec.kind === 'callx' && raw.dst >= REGISTER_COUNT) {
    throw new DecodeError('InvalidRegister', slot, `callx: invalid register r${raw.dst}`);
  }
  if (spec.kind === 'lddw') {
    if (slot + 1 >= slotCount) {
      throw new DecodeError('TruncatedLddw', slot, 'lddw is missing its second slot');
    }
    const next = readSlot(bytes, slot + 1);
    if (next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
      throw new DecodeError('InvalidLddwSecondSlot', slot + 1,
        'second slot of lddw must have opcode, registers and offset 0');
    }
    return { spec, opcode: raw.opcode, dst: raw.dst, src: raw.src, off: raw.off, imm: raw.imm, immHi: next.imm, pc: slot };
  }
  return { spec, opcode: raw.opcode, dst: raw.dst, src: raw.src, off: raw.off, imm: raw.imm, pc: slot };
}

/** Decodes a whole program. */
export function decode(bytes: Uint8Array): Program {
  if (bytes.length % INSTRUCTION_BYTES !== 0) {
    throw new DecodeError('TruncatedProgram', Math.floor(bytes.length / INSTRUCTION_BYTES),
      `program length ${bytes.length} is not a multiple of ${INSTRUCTION_BYTES} bytes`);
  }
  const slotCount = bytes.length / INSTRUCTION_BYTES;
  if (slotCount === 0) throw new DecodeError('EmptyProgram', 0, 'program has no instructions');
  const out: Instruction[] = [];
  for (let slot = 0; slot < slotCount;) {
    const insn = decodeAt(bytes, slot, slotCount);
    out.push(insn);
    slot += insn.spec.slots;
  }
  return makeProgram(out);
}
