// Test helpers: build programs from spec names, and a small machine to run them on.
import { makeInstruction, makeProgram, specByName, type Instruction, type InstructionFields, type Program } from '../src/isa/index.js';
import { computeLayout, createMemory, type MemoryLayout } from '../src/runtime/layout.js';
import { HelperRegistry, type HelperRuntime } from '../src/helpers/table.js';
import { compileProgram, instantiate, type CompileOptions, type JitInstance } from '../src/jit/index.js';

export type Item = readonly [string, InstructionFields?];

/** A program from (spec name, fields) pairs; pcs follow lddw's two slots. */
export function prog(...items: Item[]): Program {
  const out: Instruction[] = [];
  let pc = 0;
  for (const [name, f] of items) {
    const spec = specByName(name);
    out.push(makeInstruction(spec, f ?? {}, pc));
    pc += spec.slots;
  }
  return makeProgram(out);
}

export interface Machine {
  layout: MemoryLayout;
  memory: WebAssembly.Memory;
  helpers: HelperRegistry;
  rt: HelperRuntime;
  bytes(): Uint8Array;
  jit(p: Program, opts?: CompileOptions): JitInstance;
}

export function machine(layoutOpts: Parameters<typeof computeLayout>[0] = { packetCapacity: 4096, heapBytes: 65536 }): Machine {
  const layout = computeLayout(layoutOpts);
  const memory = createMemory(layout);
  const helpers = new HelperRegistry();
  let clock = 0n;
  const rt: HelperRuntime = { memory, cpu: 0, nowNs: () => (clock += 1n), bootNs: () => clock, randomU32: () => 4, trace: () => {} };
  return {
    layout, memory, helpers, rt,
    bytes: () => new Uint8Array(memory.buffer),
    jit(p, opts = {}) {
      const c = compileProgram(p, { helpers, layout, ...opts });
      return instantiate(c, { memory, layout, helpers, helperRuntime: rt });
    },
  };
}
