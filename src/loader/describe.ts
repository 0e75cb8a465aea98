/**
 * Human-readable views of an ObjectSpec: program disassembly annotated with
 * function labels and BTF.ext source lines (like `llvm-objdump -S`), and a
 * summary of maps.
 */
import { decode } from '../isa/decode.js';
import { disassembleInstruction, type DisassemblySyntax } from '../isa/disassemble.js';
import type { MapSpec, ObjectSpec, ProgramSpec } from './spec.js';

const PC_COLUMN = 8;

export function disassembleProgramSpec(prog: ProgramSpec, syntax: DisassemblySyntax = 'llvm'): string {
  const program = decode(prog.instructions);
  const fnAt = new Map(prog.functions.map((f) => [f.pc, f.name]));
  const lineAt = new Map<number, string>();
  for (const l of prog.lineInfo) if (l.source.trim()) lineAt.set(l.pc, `; ${l.source.trim()}`);
  let out = `${prog.name} (section ${prog.section}, type ${prog.type}, ${prog.slotCount} slots):\n`;
  let lastLine = '';
  for (const insn of program.instructions) {
    const fn = fnAt.get(insn.pc);
    if (fn !== undefined) out += `\n${String(insn.pc).padStart(PC_COLUMN, '0')} <${fn}>:\n`;
    const src = lineAt.get(insn.pc);
    if (src !== undefined && src !== lastLine) { out += `${src}\n`; lastLine = src; }
    out += `${String(insn.pc).padStart(PC_COLUMN)}:\t${disassembleInstruction(insn, syntax)}\n`;
  }
  return out;
}

export function describeMap(m: MapSpec): string {
  const parts = [`${m.name}`, `type=${m.typeName.toLowerCase()}`, `key_size=${m.keySize}`, `value_size=${m.valueSize}`,
    `max_entries=${m.maxEntries}`];
  if (m.flags) parts.push(`flags=0x${m.flags.toString(16)}`);
  if (m.innerMap) parts.push(`inner=${m.innerMap.typeName.toLowerCase()}`);
  parts.push(`section=${m.section}`);
  return parts.join(' ');
}

export function describeObject(spec: ObjectSpec): string {
  let out = `license: ${spec.license}\n`;
  for (const p of spec.programs) out += `program ${p.name} section=${p.section} type=${p.type} slots=${p.slotCount}\n`;
  for (const m of spec.maps) out += `map ${describeMap(m)}\n`;
  return out;
}
