export * from './abi.js';
export { compileProgram, toWat, DEFAULT_BUDGET, MAX_JIT_SLOTS, type CompileOptions } from './compiler.js';
export { JitInstance, instantiate, type InstanceOptions } from './runtime.js';
export { runRawJit } from './conformance.js';
export { CompiledExecutor } from './executor.js';
export { jitExecutor } from './tier.js';
export { compileObject, manifestJson, type CompileObjectOptions, type CompiledSet } from '../aot/compile.js';
