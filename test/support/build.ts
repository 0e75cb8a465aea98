/** Builds programs in tests from spec names, without depending on the assembler. */
import { encode, makeInstruction, specByName, type Instruction, type InstructionFields } from '../../src/isa/index.js';

export function ins(name: string, f: InstructionFields = {}): Instruction {
  return makeInstruction(specByName(name), f);
}
export function prog(...list: Instruction[]): Uint8Array {
  return encode(list);
}
