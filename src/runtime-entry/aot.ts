/**
 * `ebpf-wasm/runtime/aot`: only what running precompiled modules needs
 * (loadPrecompiled, the maps API, program-type test runs, errors). No
 * verifier, interpreter, decoder or Binaryen: the smallest thing an edge
 * deployment of `ebpf-wasm compile` output ships. `ebpf-wasm/runtime` has all
 * of this plus the interpreter tier for programs that arrive at run time.
 */
export * from '../aot/runtime.js';
export {
  EbpfError, AotError, ExecutionError, MapError, DiagnosticCode, type DiagnosticCodeName,
} from '../diagnostics/index.js';
export { Machine, type MachineOptions } from '../runtime/machine.js';
export { XdpAction, XDP_ACTION_NAMES } from '../programs/xdp.js';
export type { TestRunInput, TestRunOutput } from '../programs/runtime.js';
export type { TestRunOptions, TestRunResult } from '../runtime/test-run.js';
