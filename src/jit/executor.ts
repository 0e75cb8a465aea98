/**
 * A compiled module as an Executor (see ../runtime/tier.ts), instantiated per
 * simulated CPU on first use (the map kernels may be bound to the machine
 * after the program is loaded). Binaryen-free: precompiled (AOT) modules run
 * through this too.
 */
import type { RunArgs } from '../interpreter/interpreter.js';
import type { Executor, ExecutorRequest } from '../runtime/tier.js';
import type { CompiledProgram } from './abi.js';
import { JitInstance } from './runtime.js';
import { tailCallPeers } from '../runtime/tail-calls.js';

export class CompiledExecutor implements Executor {
  readonly tier = 'jit' as const;
  private readonly instances: (JitInstance | undefined)[] = [];
  private hi = 0;

  constructor(readonly compiled: CompiledProgram, private readonly req: ExecutorRequest) {
    if (compiled.manifest.tailCalls && req.progId !== undefined) tailCallPeers(req.machine).jit.set(req.progId, this);
  }

  instance(cpu: number): JitInstance {
    let inst = this.instances[cpu];
    if (!inst) {
      const m = this.req.machine;
      inst = new JitInstance(this.compiled, {
        memory: m.memory, layout: m.layout, cpu, helpers: m.helpers, helperRuntime: m, kernels: m.kernelExports,
        progId: this.req.progId,
      });
      this.instances[cpu] = inst;
      // tail calls: every program of the object needs its entry in this CPU's table before the first run
      if (this.compiled.manifest.tailCalls) for (const p of tailCallPeers(m).jit.values()) (p as CompiledExecutor).instance(cpu);
    }
    return inst;
  }

  warm(cpu: number): void { this.instance(cpu); }

  run(cpu: number, args: RunArgs): number {
    this.req.machine.cpu = cpu;
    const inst = this.instance(cpu);
    const lo = inst.runWith(args);
    this.hi = inst.lastR0Hi;
    return lo;
  }

  get r0hi(): number { return this.hi; }
}
