/**
 * BPF_PROG_TEST_RUN for this engine: run a program of a given type on input
 * data/context, `repeat` times, and report retval, data_out, ctx_out and the
 * mean duration per run, as the kernel does.
 */
import type { Program } from '../isa/instruction.js';
import { programTypeRuntime } from '../programs/registry.js';
import type { ProgramTypeName } from '../programs/types.js';
import type { ProgramAttach, TestRunInput, TestRunOutput } from '../programs/runtime.js';
import { Machine } from './machine.js';
import type { VerifierMap } from '../verifier/maps.js';
import { verifyForLoad, type VerifiedLoad } from './verify-load.js';
import { createExecutor, type Executor, type ExecutorFactory, type TierName } from './tier.js';
import { mayCall } from './capture-engine.js';

/**
 * BPF_PROG_TEST_RUN gives each call fresh cgroup storage (net/bpf/test_run.c:
 * bpf_cgroup_storages_alloc before the repeat loop, freed after it): a reset
 * of the machine's test-run storages for CPU `cpu`, or undefined when the
 * program cannot call bpf_get_local_storage or the machine has no map kernels.
 */
export function testRunStorageReset(machine: Machine, program: Program): ((cpu: number) => void) | undefined {
  if (!mayCall(program, ['bpf_get_local_storage'])) return undefined;
  return machine.kernelExports?.test_run_storage_reset as ((cpu: number) => void) | undefined;
}

export interface LoadedProgramOptions {
  type: ProgramTypeName;
  /** Attach type and target (BTF-typed tracing programs run with their target's arguments). */
  attach?: ProgramAttach;
  /** Run without a verifier verdict, inside the sandbox. */
  unverified?: boolean;
  /**
   * A verdict obtained before relocation (the object loader verifies the
   * program with its map references, then patches in map addresses).
   */
  verified?: VerifiedLoad;
  /** Maps the verifier checks lddw src=1/2 imm K against (maps[K]). */
  maps?: readonly VerifierMap[];
  /** License for GPL-only helpers; default "GPL". */
  license?: string;
  budget?: number;
  /** Execution tier (default interpreter); 'jit' needs `await loadTier('jit')` first. */
  tier?: TierName;
  /** Program id for tail calls (see ExecutorRequest). */
  progId?: number;
  /** The program's object has a prog array (see ExecutorRequest). */
  tailCalls?: boolean;
  /** Builds the executor instead of a tier (e.g. a precompiled module's CompiledExecutor). */
  executor?: ExecutorFactory;
}

export interface TestRunOptions extends TestRunInput {
  /** Runs; results are those of the last one and duration the mean (the kernel's semantics). */
  repeat?: number;
  cpu?: number;
}

export interface TestRunResult extends TestRunOutput {
  durationNs: number;
}

/** A program bound to a machine and a tier. */
export class LoadedProgram {
  readonly machine: Machine;
  readonly executor: Executor;
  /** The verifier's verdict; undefined for programs loaded unverified. */
  readonly verification: VerifiedLoad | undefined;

  constructor(readonly program: Program, readonly options: LoadedProgramOptions, machine?: Machine) {
    this.machine = machine ?? new Machine();
    // verified code runs without region checks; unverified code only inside the sandbox
    this.verification = options.unverified ? undefined : options.verified ?? verifyForLoad(program, { type: options.type, maps: options.maps ?? [], license: options.license ?? 'GPL' });
    const req = { program, machine: this.machine, type: options.type, unverified: options.unverified === true, budget: options.budget,
      progId: options.progId, tailCalls: options.tailCalls };
    this.executor = options.executor ? options.executor(req) : createExecutor(options.tier ?? 'interpreter', req);
  }

  testRun(opts: TestRunOptions = {}): TestRunResult {
    const repeat = Math.max(1, opts.repeat ?? 1);
    const cpu = opts.cpu ?? 0;
    const rt = programTypeRuntime(this.options.type, this.options.attach);
    let lo = 0;
    let total = 0;
    // instantiate outside the timed runs; a CPU the machine lacks is the runtime's error to report (ENXIO…)
    if (cpu >= 0 && cpu < this.machine.layout.cpus) this.executor.warm?.(cpu);
    if (cpu >= 0 && cpu < this.machine.layout.cpus) testRunStorageReset(this.machine, this.program)?.(cpu);
    for (let i = 0; i < repeat; i++) {
      // the kernel runs every repetition on the same context (rt.again); runtimes without it start afresh
      const args = i > 0 && rt.again ? rt.again(this.machine, cpu) : rt.prepare(this.machine, cpu, opts);
      const t0 = performance.now();
      lo = this.executor.run(cpu, args);
      total += performance.now() - t0;
    }
    const out = rt.finish(this.machine, cpu, lo, this.executor.r0hi);
    return { ...out, durationNs: Math.round((total * 1e6) / repeat) };
  }
}
