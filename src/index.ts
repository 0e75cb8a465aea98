/** ebpf-wasm public API. */
export * from './isa/index.js';
export * from './diagnostics/index.js';
export { Interpreter, type InterpreterOptions, type RunArgs, DEFAULT_BUDGET } from './interpreter/interpreter.js';
export { Machine, type MachineOptions } from './runtime/machine.js';
export * from './runtime/layout.js';
export { runRawInterpreter, prepareRawInput, type RawRunOptions, type RawRun } from './runtime/raw.js';
export * from './helpers/table.js';
export { registerCoreHelpers } from './helpers/core.js';
export * from './programs/types.js';
export * from './programs/context.js';
