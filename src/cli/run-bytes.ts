/** Runs program bytes (or an ELF object's `main`) in a chosen tier: shared by the CLI and the plugin. */
import { runRawInterpreter } from '../runtime/raw.js';
import { loadElfEntry } from '../loader/object.js';

export type Tier = 'interpreter' | 'jit';

export interface RunBytesOptions { tier: Tier; elf?: boolean; unverified?: boolean; budget?: number }

export async function runProgramBytes(input: Uint8Array, mem: Uint8Array | undefined, opts: RunBytesOptions): Promise<bigint> {
  // --elf: an ET_REL object whose global function `main` is the program (the runner's ELF mode)
  const program = opts.elf ? loadElfEntry(input, 'main') : input;
  return (await runRawBytes(program, mem, opts)).r0;
}

/** A raw run in either tier; the JIT (and Binaryen, ~0.5 s to load) is imported only when asked for. */
export async function runRawBytes(program: Uint8Array, mem: Uint8Array | undefined, opts: RunBytesOptions): Promise<{ r0: bigint; dataOut: Uint8Array }> {
  if (opts.tier === 'jit') {
    const { runRawJitDetailed } = await import('../jit/conformance.js');
    return runRawJitDetailed(program, mem, opts.budget);
  }
  const run = runRawInterpreter(program, mem, { unverified: opts.unverified, budget: opts.budget });
  const area = run.machine.area(0);
  return { r0: run.r0, dataOut: new Uint8Array(run.machine.memory.buffer.slice(area.packetData, area.packetData + (mem?.length ?? 0))) };
}
