/**
 * The JIT runtime: instantiates a compiled module on a memory and one CPU
 * area, and runs it. Needs no Binaryen (only ./abi.js and shared tables).
 */
import { ExecutionError } from '../diagnostics/index.js';
import type { HelperRegistry, HelperRuntime } from '../helpers/table.js';
import type { CpuArea, MemoryLayout, RunRegions } from '../runtime/layout.js';
import type { RunArgs } from '../interpreter/interpreter.js';
import {
  CALLX_IMPORT, CONFIGURE_HEADERS_EXPORT, ENTRY_FRAME, ENV_MODULE, Exports, HELPERS_MODULE, KERNELS_MODULE, MEMORY_IMPORT,
  TAIL_SHARED_GLOBALS, TAIL_TABLE_IMPORT, TRAP_IMPORT, TRAP_NAMES, TRAP_RETURN_ZERO, type CompiledProgram,
} from './abi.js';

interface JitExports {
  run(...halves: number[]): number;
  r0hi(): number;
  configure(...bounds: number[]): void;
  setBudget(lo: number, hi: number): void;
  remaining(): number;
  remainingHi(): number;
  batch(desc: number, count: number, results: number, start: number, ctx: number): number;
  batchIndex(): number;
  /** Only in modules with ld_abs/ld_ind. */
  [CONFIGURE_HEADERS_EXPORT]?: (mac: number, network: number, head: number) => void;
}

export interface InstanceOptions {
  memory: WebAssembly.Memory;
  layout: MemoryLayout;
  /** Simulated CPU whose area (stack, ctx, scratch) the runs use (default 0). */
  cpu?: number;
  /** Implementations of the helpers the program calls. */
  helpers?: HelperRegistry;
  /** Services for `js` helper implementations. */
  helperRuntime?: HelperRuntime;
  /** Exports of the AssemblyScript kernels, for `kernel` helper implementations. */
  kernels?: Record<string, unknown>;
  /** Program id (prog arrays hold it): a tail-call module puts its tailEntry at this index of the CPU's table. */
  progId?: number;
}

/** What the tail-call modules on one memory and CPU share (see abi.ts TAIL_TABLE_IMPORT). */
interface TailGroup {
  readonly table: WebAssembly.Table;
  readonly globals: Record<string, WebAssembly.Global>;
  /** The regions of the run in progress: a tail-called program's helpers see them. */
  regions?: RunRegions;
}
const tailGroups = new WeakMap<WebAssembly.Memory, Map<number, TailGroup>>();

function tailGroup(memory: WebAssembly.Memory, cpu: number): TailGroup {
  let perCpu = tailGroups.get(memory);
  if (!perCpu) tailGroups.set(memory, perCpu = new Map());
  let g = perCpu.get(cpu);
  if (!g) {
    const globals: Record<string, WebAssembly.Global> = {};
    for (const n of TAIL_SHARED_GLOBALS.i32) globals[n] = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    for (const n of TAIL_SHARED_GLOBALS.i64) globals[n] = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
    g = { table: new WebAssembly.Table({ element: 'anyfunc', initial: 1 }), globals };
    perCpu.set(cpu, g);
  }
  return g;
}

/** Thrown through wasm by the trap import when ld_abs/ld_ind reads outside the packet: the run returns 0. */
const RETURN_ZERO = { returnZero: true } as const;

const U32 = 0x1_0000_0000;
const MASK64 = (1n << 64n) - 1n;

function halves(v: bigint | number): [number, number] {
  if (typeof v === 'number') return [v >>> 0, Math.floor(v / U32) >>> 0];
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffff_ffffn), Number(u >> 32n)];
}

type KernelFn = (...args: (number | bigint)[]) => number | bigint;

export class JitInstance {
  readonly compiled: CompiledProgram;
  readonly memory: WebAssembly.Memory;
  readonly area: CpuArea;
  private readonly exports: JitExports;
  private readonly layout: MemoryLayout;
  private regions: RunRegions;
  private configuredHeapEnd = -1;
  private configuredDataStart = -1;
  private configuredDataEnd = -1;
  private readonly configuredCtx = [-1, -1];
  /** The skb header bases last given to configureHeaders (mac, network, head). */
  private readonly configuredHeaders = [-1, -1, 0];
  /** High half of r0 after the last runWith(). */
  lastR0Hi = 0;
  /** The allowance each run starts with (for the budget trap's message). */
  private budget: bigint;
  /** The heap region follows the memory's size unless set explicitly. */
  private heapAuto = true;
  private i32: Int32Array;
  /** Tail-call modules: the table and run state shared with the object's other programs on this CPU. */
  private readonly group: TailGroup | undefined;

  constructor(compiled: CompiledProgram, opts: InstanceOptions) {
    this.compiled = compiled;
    this.budget = compiled.manifest.defaultBudget;
    this.memory = opts.memory;
    this.layout = opts.layout;
    const area = opts.layout.areas[opts.cpu ?? 0];
    if (!area) throw new RangeError(`no CPU area ${opts.cpu}`);
    this.area = area;
    this.regions = {
      stack: { start: area.stackBase, end: area.stackTop },
      ctx: { start: area.ctx, end: area.ctx },
      data: { start: area.packetData, end: area.packetData },
      heap: { start: opts.layout.heapBase, end: opts.layout.heapBase },
    };
    this.i32 = new Int32Array(this.memory.buffer);
    const m = compiled.manifest;
    const helperFns: Record<string, unknown> = {};
    const kernelFns: Record<string, unknown> = {};
    const rt = opts.helperRuntime;
    const callJs = (id: number, pc: number, a: bigint[]): bigint => {
      // a tail-called program's helpers act on the run in progress, which another instance configured
      if (this.group?.regions) this.regions = this.group.regions;
      const r = callHelper(id, pc, a);
      // A helper may grow memory (the heap region follows it) or move the packet (skb_change_head,
      // adjust_room…: the data window follows it, as the interpreter's does).
      const d = this.regions.data;
      if (this.memory.buffer.byteLength !== this.configuredHeapEnd || d.start !== this.configuredDataStart || d.end !== this.configuredDataEnd) {
        this.configuredHeapEnd = -1;
        this.configure();
      }
      this.configureHeaders();
      return r;
    };
    const callHelper = (id: number, pc: number, a: bigint[]): bigint => {
      const impl = opts.helpers?.get(id)?.impl;
      if (impl?.js) {
        if (!rt) throw new ExecutionError('HelperFault', pc, `helper ${id} needs a helper runtime`);
        return BigInt.asIntN(64, impl.js(rt, ...(a.map((x) => x & MASK64) as [bigint, bigint, bigint, bigint, bigint])));
      }
      if (impl?.kernel) {
        const fn = opts.kernels?.[impl.kernel.export] as KernelFn | undefined;
        if (!fn) throw new ExecutionError('HelperFault', pc, `kernel export ${impl.kernel.export} missing`);
        const args = impl.kernel.params.map((t, i) => (t === 'i32' ? Number(BigInt.asIntN(32, a[i]!)) : a[i]!));
        const r = fn(...args);
        return typeof r === 'bigint' ? r : BigInt(r | 0);
      }
      throw new ExecutionError('UnknownHelper', pc, `unknown helper ${id}`);
    };
    for (const h of m.helpers) {
      if (h.kind === 'kernel') {
        const fn = opts.kernels?.[h.base];
        if (typeof fn !== 'function') throw new Error(`JIT module needs kernel export ${h.base} (helper ${h.name})`);
        // A kernel may grow the memory (map elements allocated on update); sandboxed code checks the heap
        // region against a global, so it must follow at once. Verified code has no checks: direct call.
        kernelFns[h.base] = m.sandbox ? (...args: unknown[]): unknown => {
          const r = (fn as (...a: unknown[]) => unknown)(...args);
          if (this.memory.buffer.byteLength !== this.configuredHeapEnd) this.configure();
          return r;
        } : fn;
      } else {
        helperFns[h.base] = (a: bigint, b: bigint, c: bigint, d: bigint, e: bigint): bigint => callJs(h.id, -1, [a, b, c, d, e]);
      }
    }
    const imports: WebAssembly.Imports = {
      [ENV_MODULE]: {
        [MEMORY_IMPORT]: this.memory,
        [TRAP_IMPORT]: (code: number, pc: number): never => {
          if (code === TRAP_RETURN_ZERO) throw RETURN_ZERO;
          const name = TRAP_NAMES.get(code) ?? 'HelperFault';
          // worded as the interpreter words it
          if (name === 'InstructionBudgetExhausted') throw new ExecutionError(name, pc, `instruction budget of ${this.budget} exhausted`);
          throw new ExecutionError(name, pc, trapMessage(name));
        },
        [CALLX_IMPORT]: (id: number, a: bigint, b: bigint, c: bigint, d: bigint, e: bigint, pc: number): bigint =>
          callJs(id >>> 0, pc, [a, b, c, d, e]),
      },
      [HELPERS_MODULE]: helperFns as WebAssembly.ModuleImports,
      [KERNELS_MODULE]: kernelFns as WebAssembly.ModuleImports,
    };
    this.group = m.tailCalls ? tailGroup(this.memory, opts.cpu ?? 0) : undefined;
    if (this.group) Object.assign(imports[ENV_MODULE]!, { [TAIL_TABLE_IMPORT]: this.group.table }, this.group.globals);
    const inst = new WebAssembly.Instance(compiled.module, imports);
    this.exports = inst.exports as unknown as JitExports;
    if (this.group && opts.progId !== undefined) {
      const t = this.group.table;
      if (opts.progId >= t.length) t.grow(opts.progId + 1 - t.length);
      t.set(opts.progId, (inst.exports as Record<string, unknown>)[Exports.tailEntry] as (...a: unknown[]) => unknown);
    }
    this.configure();
  }

  /** Sets some of the run's regions (ctx, data…); the heap defaults to [heapBase, memory end). */
  setRegions(r: Partial<RunRegions>): void {
    this.regions = { ...this.regions, ...r };
    if (r.heap) this.heapAuto = false;
    this.configuredHeapEnd = -1;
    this.configure();
    this.configureHeaders();
  }

  /**
   * Uses `r` itself (not a copy) as the run's regions: a helper that moves the
   * packet updates it and the data window follows. The heap follows the memory.
   */
  bindRegions(r: RunRegions): void {
    if (r !== this.regions) { this.regions = r; this.configuredHeapEnd = -1; }
    this.heapAuto = true;
    const d = r.data;
    if (d.start !== this.configuredDataStart || d.end !== this.configuredDataEnd || r.ctx.start !== this.configuredCtx[0] || r.ctx.end !== this.configuredCtx[1]) {
      this.configuredHeapEnd = -1;
    }
    this.configure();
    this.configureHeaders();
  }

  /** ld_abs/ld_ind's SKF_LL_OFF / SKF_NET_OFF bases follow the skb (unset outside skb programs). */
  private configureHeaders(): void {
    const set = this.exports[CONFIGURE_HEADERS_EXPORT];
    if (!set) return;
    const h = this.regions.headers;
    const mac = h?.mac ?? -1, network = h?.network ?? -1, head = h?.head ?? 0;
    const c = this.configuredHeaders;
    if (mac === c[0] && network === c[1] && head === c[2]) return;
    set(mac, network, head);
    c[0] = mac; c[1] = network; c[2] = head;
  }

  private positions: ReturnType<typeof decodePositions> | undefined;
  /**
   * The eBPF pc where `err` arose, from the innermost frame of a translated function in the engine's
   * stack trace (a wasm trap's own offset, or the call site of the helper that threw) and the module's
   * pc map; -1 when neither tells. Tail-call modules share frames with other programs' modules: -1.
   */
  pcAt(err: unknown): number {
    const map = this.compiled.manifest.pcMap;
    if (!map || this.compiled.manifest.tailCalls || !(err instanceof Error) || typeof err.stack !== 'string') return -1;
    const frame = ENTRY_FRAME.exec(err.stack);
    if (!frame) return -1;
    const offset = parseInt(frame[1]!, 16);
    const { offsets, pcs } = this.positions ??= decodePositions(map);
    // the last instruction whose code starts at or before the offset
    let lo = 0, hi = offsets.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offsets[mid]! <= offset) lo = mid + 1; else hi = mid;
    }
    return lo > 0 ? pcs[lo - 1]! : -1;
  }

  /** A wasm trap becomes an ExecutionError; errors without a pc get the one the stack trace names. */
  private mapError(err: unknown): unknown {
    if (err instanceof WebAssembly.RuntimeError) {
      return new ExecutionError('MemoryAccessViolation', this.pcAt(err), `wasm trap: ${err.message}`);
    }
    if (err instanceof ExecutionError && err.pc < 0) {
      const pc = this.pcAt(err);
      if (pc >= 0) return new ExecutionError(err.codeName, pc, err.message.replace(/^EW\d+: pc -?\d+: /, ''));
    }
    return err;
  }

  /** A program-type run: entry registers and regions as a ProgramTypeRuntime prepared them; returns r0's low half (high: lastR0Hi). */
  runWith(args: RunArgs): number {
    this.bindRegions(args.regions);
    let lo: number;
    try {
      lo = this.exports.run((args.r1 ?? 0) >>> 0, 0, (args.r2 ?? 0) >>> 0, 0, (args.r3 ?? 0) >>> 0, 0, (args.r4 ?? 0) >>> 0, 0, (args.r5 ?? 0) >>> 0, 0);
    } catch (err) {
      if (err === RETURN_ZERO) { this.lastR0Hi = 0; return 0; }
      throw this.mapError(err);
    }
    this.lastR0Hi = this.exports.r0hi();
    return lo;
  }

  /** The allowance each run starts with. */
  setBudget(budget: bigint | number): void {
    this.budget = BigInt(budget);
    const [lo, hi] = halves(budget);
    this.exports.setBudget(lo, hi);
  }

  /** Budget left after the last run. */
  remaining(): bigint {
    return (BigInt(this.exports.remainingHi() >>> 0) << 32n) | BigInt(this.exports.remaining() >>> 0);
  }

  /** Picks up a grown memory (heap region end, typed views). */
  refresh(): void {
    this.configure();
  }

  private configure(): void {
    const end = this.memory.buffer.byteLength;
    // tail-call modules share the configuration with other instances: always write it
    if (end === this.configuredHeapEnd && !this.group) return;
    if (this.group) this.group.regions = this.regions;
    const { stack, ctx, data } = this.regions;
    if (this.heapAuto) this.regions.heap = { start: this.layout.heapBase, end };
    const heap = this.regions.heap;
    this.exports.configure(stack.start, stack.end, ctx.start, ctx.end, data.start, data.end, heap.start, heap.end, this.area.stackTop);
    this.configuredHeapEnd = end;
    this.configuredDataStart = data.start;
    this.configuredDataEnd = data.end;
    this.configuredCtx[0] = ctx.start;
    this.configuredCtx[1] = ctx.end;
    if (this.i32.buffer.byteLength !== end) this.i32 = new Int32Array(this.memory.buffer);
  }

  /** Runs once with r1..r5; returns r0 as an unsigned 64-bit value. */
  run(r1: bigint | number = 0, r2: bigint | number = 0, r3: bigint | number = 0, r4: bigint | number = 0, r5: bigint | number = 0): bigint {
    this.configure();
    const [a, b] = halves(r1), [c, d] = halves(r2), [e, f] = halves(r3), [g, h] = halves(r4), [i, j] = halves(r5);
    let lo: number;
    try {
      lo = this.exports.run(a, b, c, d, e, f, g, h, i, j);
    } catch (err) {
      if (err === RETURN_ZERO) return 0n;
      throw this.mapError(err);
    }
    return (BigInt(this.exports.r0hi() >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  /**
   * Runs with 32-bit r1, r2 and returns r0's low 32 bits: no BigInt on the way. The hot path skips the
   * memory-size check of run(): after growing memory outside a helper, call refresh() (until then the
   * heap region keeps its old end, which only refuses accesses, never allows more).
   */
  runU32(r1: number, r2 = 0): number {
    try {
      return this.exports.run(r1 >>> 0, 0, r2 >>> 0, 0, 0, 0, 0, 0, 0, 0) >>> 0;
    } catch (err) {
      if (err === RETURN_ZERO) return 0;
      throw this.mapError(err);
    }
  }

  /**
   * Runs once per input in one wasm call. `desc` holds (data address, length)
   * i32 pairs already in linear memory at `descAddr`; r0's low halves go to
   * `resultAddr`. For XDP the batch fills the context's data fields and
   * passes r1 = ctx; else r1 = data, r2 = length.
   */
  runBatchAt(descAddr: number, count: number, resultAddr: number): void {
    if (!this.compiled.manifest.batch) throw new Error('compiled without the batch entry: compile with { batch: true }');
    this.configure();
    let i = 0;
    while (i < count) {
      try {
        i = this.exports.batch(descAddr, count, resultAddr, i, this.area.ctx);
      } catch (err) {
        if (err !== RETURN_ZERO) throw this.mapError(err);
        const at = this.exports.batchIndex();
        this.i32[(resultAddr >> 2) + at] = 0;
        i = at + 1;
      }
    }
  }

  /** runBatchAt with the inputs given as a JS array of (address, length) pairs; copies through the CPU's scratch area. */
  runBatch(pairs: Int32Array, results: Int32Array = new Int32Array(pairs.length >> 1)): Int32Array {
    const count = pairs.length >> 1;
    const PAIR_WORDS = 2;
    const chunk = Math.floor(SCRATCH_CHUNK_BYTES / (PAIR_WORDS * 4 + 4));
    const descAddr = this.area.scratch;
    const resAddr = descAddr + chunk * PAIR_WORDS * 4;
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      this.configure();
      this.i32.set(pairs.subarray(start * PAIR_WORDS, (start + n) * PAIR_WORDS), descAddr >> 2);
      this.runBatchAt(descAddr, n, resAddr);
      if (this.i32.buffer.byteLength !== this.memory.buffer.byteLength) this.i32 = new Int32Array(this.memory.buffer);
      results.set(this.i32.subarray(resAddr >> 2, (resAddr >> 2) + n), start);
    }
    return results;
  }
}

/** Scratch bytes runBatch uses for descriptors and results (the CPU area's helper scratch is 8 KiB). */
const SCRATCH_CHUNK_BYTES = 6144;

function trapMessage(name: string): string {
  switch (name) {
    case 'MemoryAccessViolation': return 'memory access outside the run\'s regions';
    case 'InstructionBudgetExhausted': return 'instruction budget exhausted';
    case 'UnknownHelper': return 'call to an unknown or unimplemented helper';
    case 'CallDepthExceeded': return 'too many nested calls';
    case 'FellOffEnd': return 'execution fell off the end of the program';
    case 'JumpOutOfRange': return 'jump outside the program';
    default: return name;
  }
}

/** Engine traps of verified code (no region checks) become memory violations without a pc. */
/**
 * Decodes a source map's `mappings` (one generated line; segments of base64 VLQ deltas: column = module
 * byte offset, source, line = pc, column) into the mapped segments' offsets and pcs, in offset order.
 */
export function decodePositions(mappings: string): { offsets: Int32Array; pcs: Int32Array } {
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const VLQ_SHIFT = 5, VLQ_CONTINUE = 32, VLQ_MASK = 31;
  const offsets: number[] = [], pcs: number[] = [];
  let col = 0, line = 0;
  for (const seg of mappings.split(',')) {
    if (seg === '') continue;
    const fields: number[] = [];
    let value = 0, shift = 0;
    for (const ch of seg) {
      const d = B64.indexOf(ch);
      if (d < 0) return { offsets: new Int32Array(0), pcs: new Int32Array(0) };
      value += (d & VLQ_MASK) * 2 ** shift;
      if (d & VLQ_CONTINUE) { shift += VLQ_SHIFT; continue; }
      fields.push(value % 2 === 1 ? -(value - 1) / 2 : value / 2);
      value = 0; shift = 0;
    }
    col += fields[0] ?? 0;
    if (fields.length >= 4) {
      line += fields[2]!;
      offsets.push(col); pcs.push(line);
    }
  }
  return { offsets: Int32Array.from(offsets), pcs: Int32Array.from(pcs) };
}

/** Instantiates a compiled program (synchronously: fine in Node and workers). */
export function instantiate(compiled: CompiledProgram, opts: InstanceOptions): JitInstance {
  return new JitInstance(compiled, opts);
}
