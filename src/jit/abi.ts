/**
 * The contract between compiled modules and the JIT runtime: import and
 * export names, trap codes and the manifest a compilation yields. Shared by
 * the compiler and the runtime; imports nothing from Binaryen.
 */
import { DiagnosticCode } from '../diagnostics/index.js';

export const ENV_MODULE = 'env';
export const MEMORY_IMPORT = 'memory';
/** `trap(code, pc)`: the runtime throws; code is a DiagnosticCode or TRAP_RETURN_ZERO. */
export const TRAP_IMPORT = 'trap';
/** `callx(id, r1..r5) -> r0`: helper call through a register. */
export const CALLX_IMPORT = 'callx';
/** Module of `js` helper imports, named by helper id. */
export const HELPERS_MODULE = 'helpers';
/** Module of `kernel` helper imports, named by the kernels' export. */
export const KERNELS_MODULE = 'kernels';

/**
 * Not an error: the kernel ends a program whose ld_abs/ld_ind reads outside
 * the packet with r0 = 0. Diagnostic codes start at 1000, so 0 cannot clash.
 */
export const TRAP_RETURN_ZERO = 0;

/** The kernel's BPF_MAX_LOOPS: may_goto's per-frame iteration allowance. */
export const MAY_GOTO_LOOPS = 8 * 1024 * 1024;

/**
 * Tail calls (modules compiled with `tailCalls`): every program of an object on one CPU shares
 * `env.progs`, a funcref table indexed by program id whose entries are the modules' `tailEntry`
 * exports, and the run state as imported mutable globals `env.<name>` (TAIL_SHARED_GLOBALS), so a
 * tail-called program sees the same regions, stack top and remaining budget.
 */
export const TAIL_TABLE_IMPORT = 'progs';
export const TAIL_SHARED_GLOBALS = {
  i32: ['stack_lo', 'stack_hi', 'ctx_lo', 'ctx_hi', 'data_lo', 'data_hi', 'heap_lo', 'heap_hi', 'tc_next', 'tc_count'],
  i64: ['stack_top', 'rem', 'tc_ctx'],
} as const;

/** Exports of every compiled module. */
export const Exports = {
  /** run(r1lo, r1hi, … r5lo, r5hi) -> r0 low; high half via r0hi(). */
  run: 'run',
  r0hi: 'r0hi',
  /** configure(stackLo, stackHi, ctxLo, ctxHi, dataLo, dataHi, heapLo, heapHi, stackTop) */
  configure: 'configure',
  /** setBudget(lo, hi): the allowance each run starts with. */
  setBudget: 'setBudget',
  /** remaining() -> low half of the unused allowance of the last run; high half via remainingHi(). */
  remaining: 'remaining',
  remainingHi: 'remainingHi',
  /** batch(descAddr, count, resultAddr, start, ctxAddr) -> next index; see runtime.runBatch. */
  batch: 'batch',
  /** batchIndex() -> the input the batch loop was running (after a trap). */
  batchIndex: 'batchIndex',
  /** tailEntry(r1, r10, depth) -> r0: the program's entry as a tail-call target (tail-call modules only). */
  tailEntry: 'tailEntry',
} as const;

export const TRAP_NAMES: ReadonlyMap<number, keyof typeof DiagnosticCode> = new Map(
  (Object.entries(DiagnosticCode) as [keyof typeof DiagnosticCode, number][]).map(([name, code]) => [code, name]),
);

export interface HelperImportInfo {
  readonly id: number;
  readonly name: string;
  readonly kind: 'js' | 'kernel';
  /** Import base name (the helper id for js, the kernels' export for kernel). */
  readonly base: string;
}

/** What a compiled module needs at instantiation, and how it was built. */
export interface JitManifest {
  readonly memory: { readonly initialPages: number; readonly maximumPages: number; readonly shared: boolean };
  readonly helpers: readonly HelperImportInfo[];
  readonly usesCallx: boolean;
  /** Region checks compiled in (unverified code). */
  readonly sandbox: boolean;
  /** Per-block budget accounting compiled in. */
  readonly budgeted: boolean;
  readonly defaultBudget: bigint;
  /** Context field offsets the batch entry writes (xdp_md data, data_end, data_meta). */
  readonly batchContext: { readonly data: number; readonly dataEnd: number; readonly dataMeta: number } | null;
  /** The batch entry was compiled in. */
  readonly batch: boolean;
  /** Compiled for tail calls: imports the shared table and run state, exports tailEntry. */
  readonly tailCalls?: boolean;
  readonly hash: string;
  readonly slotCount: number;
  readonly functions: number;
  /**
   * Where each eBPF instruction's code starts: a source map's `mappings` (module byte offset → pc as the
   * line). A wasm trap or a helper's error names its pc from the engine's stack trace through it, at no
   * cost to running code. Absent in modules compiled before it existed.
   */
  readonly pcMap?: string;
}

/** Name of the wasm function of the eBPF function entered at `pc` (seen in engine stack traces). */
export const entryFunctionName = (pc: number): string => `f${pc}`;
/** An engine stack-trace frame in such a function: name and module byte offset (V8's format). */
export const ENTRY_FRAME = /\bf\d+ \(wasm:\/\/[^)]*:0x([0-9a-f]+)\)/;

export interface CompiledProgram {
  readonly bytes: Uint8Array;
  readonly manifest: JitManifest;
  /** Compiled once, instantiated many times. */
  readonly module: WebAssembly.Module;
}

/**
 * `configureHeaders(mac, network, head)`: exported only by modules with ld_abs/ld_ind, which read
 * SKF_LL_OFF / SKF_NET_OFF offsets from the skb's MAC / network header (-1: unset) above the buffer head.
 */
export const CONFIGURE_HEADERS_EXPORT = 'configureHeaders';
