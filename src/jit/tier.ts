/**
 * The JIT as an execution tier (see ../runtime/tier.ts): compiles the program
 * once against the machine's layout and helpers; runs it through a
 * CompiledExecutor. Importing this module registers the tier.
 */
import { registerTier, type ExecutorRequest } from '../runtime/tier.js';
import { compileProgram } from './compiler.js';
import { CompiledExecutor } from './executor.js';

export function jitExecutor(req: ExecutorRequest): CompiledExecutor {
  // Verified code terminates by the verifier's proof: no budget accounting, no region checks.
  const compiled = compileProgram(req.program, {
    helpers: req.machine.helpers,
    layout: req.machine.layout,
    unverified: req.unverified,
    budget: req.unverified ? (req.budget ?? undefined) : false,
    programType: req.type,
    // the batch entry fills xdp_md's data fields; other contexts need their runtime's prepare per packet
    batch: req.type === 'xdp',
    tailCalls: req.tailCalls,
  });
  return new CompiledExecutor(compiled, req);
}

registerTier('jit', jitExecutor);
