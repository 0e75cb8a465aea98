/**
 * `ebpf-wasm gen skeleton PROG.o [--name NAME] [-o FILE]`: a TypeScript
 * module with typed accessors for the object (src/object/skeleton.ts),
 * like `bpftool gen skeleton PROG.o > prog.skel.h`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { objectNameFromPath } from '../../object/object.js';
import { generateSkeleton } from '../../object/skeleton.js';
import { ObjectUsageError } from './test-run-object.js';

export const GEN_USAGE = `  gen skeleton PROG.o [--name NAME] [--import-from MODULE] [-o FILE]
      a TypeScript module with typed accessors for the object's programs, maps and .rodata
      variables, the object embedded (like bpftool gen skeleton); stdout unless -o`;

export async function genCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what !== 'skeleton') throw new ObjectUsageError(`gen: unknown generator '${what ?? ''}' (known: skeleton)`);
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: { name: { type: 'string' }, 'import-from': { type: 'string' }, out: { type: 'string', short: 'o' } },
  });
  if (positionals.length !== 1) throw new ObjectUsageError('gen skeleton: give one object file');
  const path = positionals[0]!;
  const text = generateSkeleton(new Uint8Array(readFileSync(path)), {
    name: values.name ?? objectNameFromPath(path),
    ...(values['import-from'] !== undefined ? { importFrom: values['import-from'] } : {}),
  });
  if (values.out) writeFileSync(values.out, text);
  else process.stdout.write(text);
  return 0;
}
