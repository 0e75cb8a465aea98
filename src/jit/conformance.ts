/**
 * `--tier jit` for the conformance plugin: run raw program bytes the way the
 * bpf_conformance suite expects (r1 = a private copy of the memory or 0,
 * r2 = its length, r10 = top of the stack, helper 5 callable), unverified and
 * sandboxed.
 */
import { decode } from '../isa/decode.js';
import { HelperRegistry } from '../helpers/table.js';
import type { HelperRuntime } from '../helpers/table.js';
import { computeLayout, createMemory, type MemoryLayout } from '../runtime/layout.js';
import { compileProgram } from './compiler.js';
import { instantiate } from './runtime.js';

/** The helper the suite calls (`call 5`, `callx` with r2 = 5); in Linux it is bpf_ktime_get_ns. */
const CONFORMANCE_HELPER = 'bpf_ktime_get_ns';

let shared: { registry: HelperRegistry; layout: MemoryLayout; memory: WebAssembly.Memory; rt: HelperRuntime } | undefined;

function environment(memBytes: number) {
  if (!shared || shared.layout.packetCapacity < memBytes) {
    const registry = new HelperRegistry();
    let clock = 0n;
    registry.register(CONFORMANCE_HELPER, { js: (rt) => rt.nowNs() });
    const layout = computeLayout({ packetCapacity: Math.max(memBytes, 4096) });
    const memory = createMemory(layout);
    const rt: HelperRuntime = {
      memory, cpu: 0,
      nowNs: () => (clock += 1000n),
      bootNs: () => clock,
      randomU32: () => 0,
      trace: () => {},
    };
    shared = { registry, layout, memory, rt };
  }
  return shared;
}

/** Runs raw eBPF bytes with optional input memory; returns r0. Throws ExecutionError on traps. */
export function runRawJit(bytes: Uint8Array, mem: Uint8Array = new Uint8Array(0), budget?: number): bigint {
  return runRawJitDetailed(bytes, mem, budget).r0;
}

/** runRawJit, also returning the input memory as the program left it. */
export function runRawJitDetailed(bytes: Uint8Array, mem: Uint8Array = new Uint8Array(0), budget?: number): { r0: bigint; dataOut: Uint8Array } {
  const env = environment(mem.length);
  const program = decode(bytes);
  const compiled = compileProgram(program, { helpers: env.registry, layout: env.layout, unverified: true, ...(budget !== undefined ? { budget } : {}) });
  const inst = instantiate(compiled, { memory: env.memory, layout: env.layout, helpers: env.registry, helperRuntime: env.rt });
  const area = inst.area;
  new Uint8Array(env.memory.buffer).set(mem, area.packetData);
  inst.setRegions({ data: { start: area.packetData, end: area.packetData + mem.length } });
  const r0 = inst.run(mem.length > 0 ? area.packetData : 0, mem.length);
  return { r0, dataOut: new Uint8Array(env.memory.buffer.slice(area.packetData, area.packetData + mem.length)) };
}
