/** Runs program bytes (or an ELF object's `main`) in a chosen tier: shared by the CLI and the plugin. */
import { runRawInterpreter } from '../runtime/raw.js';
import { loadElfEntry } from '../loader/object.js';

export type Tier = 'interpreter' | 'jit';

export interface RunBytesOptions { tier: Tier; elf?: boolean; unverified?: boolean; budget?: number }

export async function runProgramBytes(input: Uint8Array, mem: Uint8Array | undefined, opts: RunBytesOptions): Promise<bigint> {
  // --elf: an ET_REL object whose global function `main` is the program (the runner's ELF mode)
  const program = opts.elf ? loadElfEntry(input, 'main') : input;
  if (opts.tier === 'jit') throw new Error('the jit tier is not built yet');
  return runRawInterpreter(program, mem, { unverified: opts.unverified, budget: opts.budget }).r0;
}
