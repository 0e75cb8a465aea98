/**
 * `ebpf-wasm/runtime`: everything needed to run eBPF programs in an edge
 * runtime or a browser, and nothing that generates code at run time.
 *
 * No Binaryen (14.8 MB, top-level await) and no Node built-ins: this entry
 * must load where `WebAssembly.compile` of run-time bytes is refused
 * (Cloudflare Workers, Vercel Edge, pages whose CSP lacks 'wasm-unsafe-eval').
 * Programs run on the interpreter tier, or as JIT modules compiled ahead of
 * time (`ebpf-wasm compile`, loaded by loadPrecompiled). `scripts/bundle-runtime.mjs` turns this entry
 * into one ES module file and fails if anything else sneaks in.
 *
 * The ELF loader (src/loader) is left out on purpose: it doubles the bundle
 * (+56 KB raw, +18 KB gzip) while an edge deployment embeds linked program
 * bytes. Pages that parse clang objects (the playground) import it directly.
 */
export { decode, decodeAt, readSlot, type RawSlot } from '../isa/decode.js';
export { encode } from '../isa/encode.js';
export {
  disassemble, disassembleBytes, disassembleInstruction,
  type DisassembleOptions, type DisassemblySyntax,
} from '../isa/disassemble.js';
export type { Instruction, Program } from '../isa/instruction.js';
export * from '../diagnostics/index.js';
export { Interpreter, type InterpreterOptions, type RunArgs, DEFAULT_BUDGET } from '../interpreter/interpreter.js';
export { Machine, defaultHelpers, type MachineOptions } from '../runtime/machine.js';
export { computeLayout, type LayoutOptions, type MemoryLayout } from '../runtime/layout.js';
export { HelperRegistry } from '../helpers/table.js';
export { PROGRAM_TYPE_IDS, programTypeByKernelId, type ProgramTypeName } from '../programs/types.js';
export { XDP_MD, PROGRAM_TYPES, type ContextSpec } from '../programs/context.js';
export { XdpAction, XDP_ACTION_NAMES } from '../programs/xdp.js';
export type { TestRunInput, TestRunOutput } from '../programs/runtime.js';
export {
  LoadedProgram, type LoadedProgramOptions, type TestRunOptions, type TestRunResult,
} from '../runtime/test-run.js';
export {
  runCapture, verdictName, CaptureRunError, type CaptureRunOptions, type CaptureRunResult, type PacketOutcome,
} from '../runtime/capture-run.js';
// ahead-of-time JIT modules (`ebpf-wasm compile`): loaded from WebAssembly.Module objects, no code generation
export * from '../aot/runtime.js';
export {
  readCapture, writePcap, PcapError, type Capture, type CapturedPacket, type ReadOptions, type WritePacket,
} from '../pcap/pcap.js';

import { decode } from '../isa/decode.js';
import { LoadedProgram, type LoadedProgramOptions } from '../runtime/test-run.js';
import type { Machine } from '../runtime/machine.js';

/** Which tiers this entry can run: the interpreter, and JIT modules compiled ahead of time (loadPrecompiled). */
export const RUNTIME_TIERS = ['interpreter', 'aot'] as const;

/** Decodes raw program bytes (8-byte slots, little-endian) and binds them to a machine. */
export function loadProgram(bytes: Uint8Array, options: LoadedProgramOptions, machine?: Machine): LoadedProgram {
  return new LoadedProgram(decode(bytes), options, machine);
}

/**
 * Whether this host compiles WebAssembly bytes made at run time (the JIT's
 * in-process path). False in Workers/Vercel Edge and under a CSP without
 * 'wasm-unsafe-eval'; there only the interpreter and AOT modules run.
 */
export async function canCompileWasmAtRuntime(): Promise<boolean> {
  // the smallest valid module: magic + version
  const empty = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  try {
    await WebAssembly.compile(empty);
    return true;
  } catch {
    return false;
  }
}
