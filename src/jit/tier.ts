/**
 * The JIT as an execution tier (see ../runtime/tier.ts): compiles the program
 * once against the machine's layout and helpers, and instantiates it per
 * simulated CPU on first use (the map kernels may be bound to the machine
 * after the program is loaded).
 */
import type { RunArgs } from '../interpreter/interpreter.js';
import { registerTier, type Executor, type ExecutorRequest } from '../runtime/tier.js';
import type { CompiledProgram } from './abi.js';
import { compileProgram } from './compiler.js';
import { JitInstance } from './runtime.js';

export class JitExecutor implements Executor {
  readonly tier = 'jit' as const;
  readonly compiled: CompiledProgram;
  private readonly instances: (JitInstance | undefined)[] = [];
  private hi = 0;

  constructor(private readonly req: ExecutorRequest) {
    // Verified code terminates by the verifier's proof: no budget accounting, no region checks.
    this.compiled = compileProgram(req.program, {
      helpers: req.machine.helpers,
      layout: req.machine.layout,
      unverified: req.unverified,
      budget: req.unverified ? (req.budget ?? undefined) : false,
      programType: req.type,
    });
  }

  instance(cpu: number): JitInstance {
    let inst = this.instances[cpu];
    if (!inst) {
      const m = this.req.machine;
      inst = new JitInstance(this.compiled, {
        memory: m.memory, layout: m.layout, cpu, helpers: m.helpers, helperRuntime: m, kernels: m.kernelExports,
      });
      this.instances[cpu] = inst;
    }
    return inst;
  }

  run(cpu: number, args: RunArgs): number {
    this.req.machine.cpu = cpu;
    const inst = this.instance(cpu);
    const lo = inst.runWith(args);
    this.hi = inst.lastR0Hi;
    return lo;
  }

  get r0hi(): number { return this.hi; }
}

registerTier('jit', (req) => new JitExecutor(req));
