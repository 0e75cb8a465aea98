/**
 * The compiler side of the JIT: eBPF Program → wasm bytes + manifest (+ a
 * compiled WebAssembly.Module), cached by program hash. Running the result
 * needs only ./runtime.js, which never loads Binaryen.
 */
import { encode } from '../isa/encode.js';
import type { Program } from '../isa/instruction.js';
import { EbpfError } from '../diagnostics/index.js';
import { HelperRegistry } from '../helpers/table.js';
import { computeLayout, type MemoryLayout } from '../runtime/layout.js';
import { PROGRAM_TYPES } from '../programs/context.js';
import type { ProgramTypeName } from '../programs/types.js';
import { translate } from './translate.js';
import type { CompiledProgram, JitManifest } from './abi.js';

/** Instructions allowed per run when none is given (the interpreter's default too). */
export const DEFAULT_BUDGET = 100_000_000n;
/**
 * Largest program compiled: V8 rejects wasm function bodies above 7,654,321
 * bytes and sandboxed code needs up to ~60 bytes per instruction.
 */
export const MAX_JIT_SLOTS = 120_000;

export interface CompileOptions {
  /** Helper implementations (default: a registry with none registered: every helper call traps at run time). */
  helpers?: HelperRegistry;
  /** Memory the module imports (its limits must match the memory it runs on). */
  layout?: MemoryLayout;
  /** Sandboxed code for unverified programs (default true). */
  unverified?: boolean;
  /** The verifier accepted the program: skip region checks (same as unverified: false). */
  verified?: boolean;
  /** Instruction budget per run (the contract's safety net for all code); false turns accounting off for verified code. */
  budget?: number | bigint | false;
  /** Binaryen optimisation level (0 = none, the default; codegen is 5–30× faster and V8 reaches the same speed). */
  optimize?: number;
  /** Program type: decides the context the batch entry fills (xdp_md for xdp). */
  programType?: ProgramTypeName;
  /** Reuse an earlier compilation of the same program and options (default true). */
  cache?: boolean;
  /** Compile the batch entry for runBatch (default: for program types with a context, e.g. xdp). */
  batch?: boolean;
  /** Run Binaryen's validator on the generated module (costs about as much as translating; for tests). */
  validate?: boolean;
  /**
   * Compile for tail calls (every program of an object with a prog array): shared table and run state,
   * a tailEntry export; instantiate with a progId. See src/jit/README.md.
   */
  tailCalls?: boolean;
}

const defaultRegistry = new HelperRegistry();
const caches = new WeakMap<HelperRegistry, Map<string, CompiledProgram>>();

/** FNV-1a over the bytes, two independent 32-bit lanes. */
function hashBytes(bytes: Uint8Array): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i]!, 0x01000193);
    b = Math.imul(b ^ bytes[i]!, 0x5bd1e995);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

interface Resolved {
  helpers: HelperRegistry;
  layout: MemoryLayout;
  sandbox: boolean;
  budgeted: boolean;
  budget: bigint;
  optimize: number;
  batchContext: JitManifest['batchContext'];
  batch: boolean;
  tailCalls: boolean;
}

function resolve(opts: CompileOptions): Resolved {
  const sandbox = !(opts.verified === true || opts.unverified === false);
  const budgeted = sandbox || opts.budget !== false;
  const budget = opts.budget === undefined || opts.budget === false ? DEFAULT_BUDGET : BigInt(opts.budget);
  const ctx = PROGRAM_TYPES[opts.programType ?? 'raw']?.context ?? null;
  const off = (name: string): number | undefined => ctx?.fields.find((f) => f.name === name)?.offset;
  const data = off('data'), dataEnd = off('data_end'), dataMeta = off('data_meta');
  return {
    helpers: opts.helpers ?? defaultRegistry,
    layout: opts.layout ?? computeLayout(),
    sandbox, budgeted, budget,
    optimize: opts.optimize ?? 0,
    batchContext: data !== undefined && dataEnd !== undefined && dataMeta !== undefined ? { data, dataEnd, dataMeta } : null,
    batch: opts.batch ?? ctx !== null,
    tailCalls: opts.tailCalls ?? false,
  };
}

function translateChecked(program: Program, r: Resolved, validate: boolean) {
  if (program.slotCount > MAX_JIT_SLOTS) {
    throw new EbpfError('JitTooLarge', `program has ${program.slotCount} instructions; the JIT compiles at most ${MAX_JIT_SLOTS}`);
  }
  if (!r.sandbox) {
    const bad = program.instructions.find((i) => i.spec.unverifiedOnly);
    if (bad) throw new EbpfError('JitUnsupported', `pc ${bad.pc}: ${bad.spec.name} is accepted only for unverified code`);
  }
  let t: ReturnType<typeof translate>;
  try {
    t = translate(program, {
      helpers: r.helpers,
      memory: { initialPages: r.layout.initialPages, maximumPages: r.layout.maximumPages, shared: r.layout.shared },
      sandbox: r.sandbox, budgeted: r.budgeted, defaultBudget: r.budget, batchContext: r.batchContext, batch: r.batch,
      tailCalls: r.tailCalls,
    });
  } catch (e) {
    // deeply nested control flow can exhaust the JS stack while structuring
    if (e instanceof RangeError) throw new EbpfError('JitTooLarge', `program too complex to compile: ${e.message}`);
    throw e;
  }
  if (validate && !t.ir.validate()) {
    t.ir.dispose();
    throw new EbpfError('JitUnsupported', 'internal error: generated module failed validation');
  }
  if (r.optimize > 0) t.ir.optimize(r.optimize);
  return t;
}

/** Compiles a program to a WebAssembly module. */
export function compileProgram(program: Program, opts: CompileOptions = {}): CompiledProgram {
  const r = resolve(opts);
  const bytes = encode(program.instructions);
  const key = [hashBytes(bytes), r.sandbox, r.budgeted, r.budget, r.optimize, r.layout.initialPages,
    r.layout.maximumPages, r.layout.shared, JSON.stringify(r.batchContext), r.batch, r.tailCalls].join(':');
  let cache = caches.get(r.helpers);
  if (!cache) caches.set(r.helpers, cache = new Map());
  const hit = opts.cache !== false ? cache.get(key) : undefined;
  if (hit) return hit;

  const t = translateChecked(program, r, opts.validate ?? false);
  let wasm: Uint8Array, pcMap: string;
  try {
    ({ binary: wasm, mappings: pcMap } = t.ir.emitWithPositions());
  } finally {
    t.ir.dispose();
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  } catch (e) {
    const msg = (e as Error).message;
    // V8's limits (function body size, locals) show as compile errors; anything else is a JIT bug.
    throw new EbpfError(/size|too many|exceed|limit/i.test(msg) ? 'JitTooLarge' : 'JitUnsupported',
      `the engine rejected the generated module: ${msg}`);
  }
  const manifest: JitManifest = {
    memory: { initialPages: r.layout.initialPages, maximumPages: r.layout.maximumPages, shared: r.layout.shared },
    helpers: t.helpers, usesCallx: t.usesCallx, sandbox: r.sandbox, budgeted: r.budgeted, defaultBudget: r.budget,
    batchContext: r.batchContext, batch: r.batch, tailCalls: r.tailCalls, hash: key, slotCount: program.slotCount, functions: t.functions,
    pcMap,
  };
  const compiled: CompiledProgram = { bytes: wasm, manifest, module };
  if (opts.cache !== false) cache.set(key, compiled);
  return compiled;
}

/** The generated module as WebAssembly text, for inspection and golden tests. */
export function toWat(program: Program, opts: CompileOptions = {}): string {
  const t = translateChecked(program, resolve(opts), true);
  try {
    return t.ir.emitText();
  } finally {
    t.ir.dispose();
  }
}
