/** Runs program bytes (or an ELF object's `main`) in a chosen tier: shared by the CLI and the plugin. */
import { runRawInterpreter } from '../runtime/raw.js';

export type Tier = 'interpreter' | 'jit';

export interface RunBytesOptions { tier: Tier; elf?: boolean; unverified?: boolean; budget?: number }

export async function runProgramBytes(input: Uint8Array, mem: Uint8Array | undefined, opts: RunBytesOptions): Promise<bigint> {
  if (opts.elf) throw new Error('--elf needs the ELF loader, which is not built yet');
  if (opts.tier === 'jit') throw new Error('the jit tier is not built yet');
  return runRawInterpreter(input, mem, { unverified: opts.unverified, budget: opts.budget }).r0;
}
