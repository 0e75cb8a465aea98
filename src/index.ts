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
// JIT tier (eBPF → wasm). The compiler loads Binaryen (~0.5 s), so it lives behind `ebpf-wasm/jit`
// (or `await loadTier('jit')`); running compiled modules needs no Binaryen.
export { JitInstance, instantiate, type InstanceOptions } from './jit/runtime.js';
export { CompiledExecutor } from './jit/executor.js';
export type { CompiledProgram, JitManifest, HelperImportInfo } from './jit/abi.js';
// bpf(BPF_PROG_LOAD)-style loading: attr checks, verifier, log_level/log_buf/log_size, kernel errnos
export { bpfProgLoad, BPF_LOG, BPF_F, PROG_LOAD_ERRNO, type ProgLoadAttr, type ProgLoadResult, type ProgHandle } from './runtime/prog-load.js';
export { verifierErrno } from './verifier/errno.js';
// Captures through a program (what `ebpf-wasm run` does): packet tables, writers, the simulated world, N CPUs.
export { scanCapture, timestampNs, type PacketTable } from './pcap/scan.js';
export { PcapWriter, PcapngWriter, type CaptureWriter, type WriterInterface, type Direction } from './pcap/writer.js';
export { parseWorld, EMPTY_WORLD, WorldError, type World, type WorldInterface, type WorldRoute, type WorldNeighbour } from './runtime/world.js';
export { setWorld, fibLookup, BPF_FIB_LKUP_RET } from './runtime/world-helpers.js';
export { runTable, CaptureRunStopped, type TableRunSpec, type TableRunResult } from './runtime/workers/run-table.js';
export { flowHash, type Spread, type CaptureEvent } from './runtime/capture-engine.js';
export { formatBtf, mapBtf, type Formatted } from './btf/format.js';
// ahead-of-time modules: load (Binaryen-free; also in ebpf-wasm/runtime); compileObject is in ebpf-wasm/jit
export { loadPrecompiled, checkModuleBytes, PrecompiledMap, PrecompiledProgram, type LoadPrecompiledOptions, type PrecompiledInput, type PrecompiledSet, type AotManifest } from './aot/runtime.js';
