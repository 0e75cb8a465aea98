/**
 * `ebpf-wasm compile PROG.o [--prog NAME]… -o OUT/ [--cpus N] [--shared] [--optimize N]`:
 * verifies and compiles programs ahead of time to OUT/<prog>.wasm, copies the
 * map kernels the addresses were computed with (OUT/maps.wasm) and writes
 * OUT/manifest.json (see src/aot/manifest.ts). Same input, same bytes.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compileObject, manifestJson } from '../../aot/compile.js';
import { MAP_KERNELS_SHARED_WASM_URL, MAP_KERNELS_WASM_URL } from '../../maps/kernels.js';
import { objectNameFromPath } from '../../object/object.js';
import { ObjectUsageError } from './test-run-object.js';

export const COMPILE_USAGE = `  compile PROG.o [--prog NAME]... -o OUT/ [--cpus N] [--shared] [--optimize N]
      verify and compile programs ahead of time: OUT/<prog>.wasm, OUT/maps.wasm (map kernels) and
      OUT/manifest.json, for loadPrecompiled() in 'ebpf-wasm/runtime' (hosts without run-time codegen)
`;

function intArg(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ObjectUsageError(`${name} takes an integer from ${min} to ${max}`);
  return n;
}

export async function compileCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      prog: { type: 'string', multiple: true }, output: { type: 'string', short: 'o' },
      cpus: { type: 'string' }, shared: { type: 'boolean' }, optimize: { type: 'string' },
    },
  });
  if (positionals.length !== 1 || !values.output) throw new ObjectUsageError('compile takes PROG.o -o OUT/');
  const path = positionals[0]!;
  const cpus = intArg(values.cpus, '--cpus', 1, 64);
  const optimize = intArg(values.optimize, '--optimize', 0, 4);
  const shared = values.shared === true;
  const kernelsUrl = shared ? MAP_KERNELS_SHARED_WASM_URL : MAP_KERNELS_WASM_URL;
  const kernelsFile = shared ? 'maps.shared.wasm' : 'maps.wasm';
  const kernels = new Uint8Array(readFileSync(kernelsUrl));
  const layout = { ...(cpus !== undefined ? { cpus } : {}), ...(shared ? { shared } : {}) };
  const set = compileObject(new Uint8Array(readFileSync(path)), {
    name: objectNameFromPath(path), kernels, kernelsFile, layout,
    ...(values.prog ? { programs: values.prog } : {}), ...(optimize !== undefined ? { optimize } : {}),
  });
  const out = values.output;
  mkdirSync(out, { recursive: true });
  for (const [file, bytes] of set.files) writeFileSync(join(out, file), bytes);
  copyFileSync(kernelsUrl, join(out, kernelsFile));
  writeFileSync(join(out, 'manifest.json'), manifestJson(set.manifest));
  for (const p of set.manifest.programs) {
    process.stdout.write(`${join(out, p.file)}: ${p.type} program ${p.name}, ${p.jit.slotCount} insns -> ${p.size} bytes (sha256 ${p.sha256.slice(0, 16)}…)\n`);
  }
  process.stdout.write(`${join(out, 'manifest.json')}: ${set.manifest.programs.length} program(s), ${set.manifest.maps.length} map(s)\n`);
  return 0;
}
