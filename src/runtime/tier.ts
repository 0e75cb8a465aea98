/**
 * Execution tiers behind one interface: a LoadedProgram (and everything
 * above it: objects, the CLI, the edge runtime) runs a program through an
 * Executor without knowing which tier it is. The interpreter is always
 * here; the JIT registers itself when ../jit/tier.js is imported, so that
 * code which never asks for it never loads Binaryen.
 */
import type { Program } from '../isa/instruction.js';
import { Interpreter, type RunArgs } from '../interpreter/interpreter.js';
import type { ProgramTypeName } from '../programs/types.js';
import type { Machine } from './machine.js';
import { tailCallPeers } from './tail-calls.js';

export type TierName = 'interpreter' | 'jit';
export const TIER_NAMES: readonly TierName[] = ['interpreter', 'jit'];

/** One program bound to one machine in one tier. */
export interface Executor {
  readonly tier: TierName;
  /** Runs on CPU `cpu` with the prepared entry registers and regions; returns r0's low 32 bits. */
  run(cpu: number, args: RunArgs): number;
  /** High half of r0 after the last run. */
  readonly r0hi: number;
  /** Does the one-time work for CPU `cpu` (the JIT instantiates its module) so that timed runs exclude it. */
  warm?(cpu: number): void;
}

export interface ExecutorRequest {
  readonly program: Program;
  readonly machine: Machine;
  readonly type: ProgramTypeName;
  /** No verifier verdict: region checks and the instruction budget are on. */
  readonly unverified: boolean;
  readonly budget?: number;
  /** Program id (prog arrays hold it): the tier registers the program as a tail-call target under it. */
  readonly progId?: number;
  /** The program may tail-call or be tail-called (its object has a prog array): the JIT compiles it for the shared table. */
  readonly tailCalls?: boolean;
}

export type ExecutorFactory = (req: ExecutorRequest) => Executor;

class InterpreterExecutor implements Executor {
  readonly tier = 'interpreter' as const;
  private readonly interpreter: Interpreter;
  constructor(req: ExecutorRequest) {
    this.interpreter = new Interpreter(req.program, req.machine, { unverified: req.unverified, budget: req.budget });
    if (req.progId !== undefined) tailCallPeers(req.machine).interpreters.set(req.progId, this.interpreter);
  }
  run(cpu: number, args: RunArgs): number { return this.interpreter.run(cpu, args); }
  get r0hi(): number { return this.interpreter.r0hi; }
}

const factories = new Map<TierName, ExecutorFactory>([['interpreter', (req) => new InterpreterExecutor(req)]]);

/** Called by a tier's module when it is imported. */
export function registerTier(name: TierName, factory: ExecutorFactory): void {
  factories.set(name, factory);
}

/**
 * The JIT tier's module, held in a variable: bundlers (esbuild for the edge runtime and the playground)
 * follow literal dynamic imports, and that one would pull Binaryen into bundles that must not contain it.
 */
const JIT_TIER_MODULE = '../jit/tier.js';

/** Makes a tier available (the JIT loads Binaryen, ~0.5 s, once). */
export async function loadTier(name: TierName): Promise<void> {
  if (factories.has(name)) return;
  // resolved here, not at load: some hosts (edge runtimes) give modules no usable import.meta.url
  if (name === 'jit') await import(new URL(JIT_TIER_MODULE, import.meta.url).href);
  if (!factories.has(name)) throw new Error(`unknown execution tier ${String(name)}`);
}

export function tierLoaded(name: TierName): boolean { return factories.has(name); }

export function createExecutor(name: TierName, req: ExecutorRequest): Executor {
  const factory = factories.get(name);
  if (!factory) {
    if (!TIER_NAMES.includes(name)) throw new Error(`unknown execution tier ${String(name)} (expected ${TIER_NAMES.join(' or ')})`);
    throw new Error(`the ${name} tier is not loaded: await loadTier('${name}') (or import 'ebpf-wasm/jit') first`);
  }
  return factory(req);
}
