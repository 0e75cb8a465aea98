/** Reads a bare program from a file: 8-byte instructions, hex text, or conformance assembly. */
import { readFileSync } from 'node:fs';
import { decode } from '../isa/decode.js';
import type { Program } from '../isa/instruction.js';
import { parseHexBytes } from './hex.js';
import { assembleToBytes } from '../isa/assemble.js';

const ASM_EXTENSIONS = /\.(s|asm|S)$/;

const HEX_TEXT = /^[\s0-9a-fA-Fx,]*$/;

export function programBytesFromFile(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  if (ASM_EXTENSIONS.test(path)) return assembleToBytes(new TextDecoder().decode(bytes));
  const text = new TextDecoder().decode(bytes);
  if (bytes.length > 0 && HEX_TEXT.test(text) && /[0-9a-fA-F]/.test(text)) return parseHexBytes(text, path);
  return bytes;
}

export function loadProgramFile(path: string): Program {
  return decode(programBytesFromFile(path));
}
