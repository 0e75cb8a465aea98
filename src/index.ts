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
export { verify, verifyOrThrow, MAP_TYPE_IDS, type VerifyOptions, type VerifyResult, type VerifierMap } from './verifier/index.js';
export { installHelperProtos, HELPER_PROTOS } from './helpers/protos.js';
export * from './object/index.js';
export { loadTier, tierLoaded, createExecutor, registerTier, TIER_NAMES, type TierName, type Executor, type ExecutorRequest } from './runtime/tier.js';
export { LoadedProgram, type LoadedProgramOptions, type TestRunOptions, type TestRunResult } from './runtime/test-run.js';
// JIT tier (eBPF → wasm). The compiler loads Binaryen (~0.5 s); ./jit/runtime.js alone runs compiled modules without it.
export { compileProgram, toWat, MAX_JIT_SLOTS, DEFAULT_BUDGET as JIT_DEFAULT_BUDGET, type CompileOptions } from './jit/compiler.js';
export { JitInstance, instantiate, type InstanceOptions } from './jit/runtime.js';
export type { CompiledProgram, JitManifest, HelperImportInfo } from './jit/abi.js';
export { runRawJit } from './jit/conformance.js';
// ahead-of-time modules: compile (Binaryen) and load (Binaryen-free; also in ebpf-wasm/runtime)
export { compileObject, manifestJson, loadPrecompiled, checkModuleBytes, PrecompiledMap, PrecompiledProgram, type CompileObjectOptions, type CompiledSet, type LoadPrecompiledOptions, type PrecompiledInput, type PrecompiledSet, type AotManifest } from './aot/index.js';
