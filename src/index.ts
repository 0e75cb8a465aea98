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
// socket program types (sk_skb, sk_msg, sock_ops, cgroup_sockopt, sk_reuseport, lirc_mode2): simulated calls on sockets of the maps
export { setSocketCall, setSocketAddress, parseEndpoint, type SocketCall, type Endpoint } from './helpers/sockprogs.js';
export { runStream, SK_ACTION, type SkSkbOutput, type StreamResult, type StreamMessage } from './programs/sk-skb.js';
export { MAX_MSG_FRAGS, type SkMsgOutput } from './programs/sk-msg.js';
export { SOCKOPTS, sockOpsState, type SockOpsOutput, type SockoptDef } from './programs/sock-ops.js';
export { runSetsockopt, runGetsockopt, type SockoptOutput, type SockoptResult, type SockoptAttach } from './programs/cgroup-sockopt.js';
export { setMigratingSocket, type SkReuseportOutput } from './programs/sk-reuseport.js';
export { type LircOutput, type RcEvent } from './programs/lirc.js';
export { SOCK_OPS, SOCK_OPS_OP, SOCK_OPS_CB_FLAG, SOCK_OPS_ALL_CB_FLAGS } from './programs/contexts/sock_ops.js';
export { LIRC_MODE2 } from './programs/contexts/lirc.js';
