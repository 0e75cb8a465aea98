/**
 * The one module that touches Binaryen: a thin typed layer over the parts of
 * its API the translator needs (like the AssemblyScript compiler's module.ts).
 * Everything else in src/jit speaks in terms of `Ir` and `Expr`.
 */
import binaryen from 'binaryen';

export type Expr = number;
export type ValType = 'i32' | 'i64' | 'none';
export type RelooperBlock = number;

export type BinOp =
  | 'add' | 'sub' | 'mul' | 'div_s' | 'div_u' | 'rem_s' | 'rem_u' | 'and' | 'or' | 'xor'
  | 'shl' | 'shr_u' | 'shr_s' | 'rotl' | 'rotr'
  | 'eq' | 'ne' | 'lt_s' | 'lt_u' | 'le_s' | 'le_u' | 'gt_s' | 'gt_u' | 'ge_s' | 'ge_u';
export type UnOp = 'eqz' | 'extend8_s' | 'extend16_s';
export type RmwOp = 'add' | 'and' | 'or' | 'xor' | 'xchg';

function wasmType(t: ValType): binaryen.Type {
  return t === 'i32' ? binaryen.i32 : t === 'i64' ? binaryen.i64 : binaryen.none;
}

/** Binaryen's "no maximum" for table limits. */
const UNLIMITED_TABLE = 0xffffffff;

/** binaryen.Function exists at run time but its d.ts only declares it as a Module member. */
const BinaryenFunction = (binaryen as unknown as { Function: { setLocalName(f: number, index: number, name: string): void } }).Function;

/** The features generated code uses: atomics (shared memory), sign extension, mutable globals. */
const FEATURES = binaryen.Features.Atomics | binaryen.Features.SignExt | binaryen.Features.MutableGlobals
  | binaryen.Features.BulkMemory;

export interface MemoryImport {
  module: string; name: string; initialPages: number; maximumPages: number; shared: boolean;
}

/** Wraps one binaryen.Module; dispose() after emitting. */
export class Ir {
  private readonly m: binaryen.Module;
  private optimizeLevel = 0;

  constructor() {
    this.m = new binaryen.Module();
    this.m.setFeatures(FEATURES);
  }

  // --- module-level ---------------------------------------------------------
  importMemory(mem: MemoryImport): void {
    // setMemory first: addMemoryImport turns the existing memory into an import.
    this.m.setMemory(mem.initialPages, mem.maximumPages, null, [], mem.shared, false, '0');
    this.m.addMemoryImport('0', mem.module, mem.name, mem.shared);
  }
  importFunction(internal: string, module: string, base: string, params: readonly ValType[], result: ValType): void {
    this.m.addFunctionImport(internal, module, base, binaryen.createType(params.map(wasmType)), wasmType(result));
  }
  /** A mutable global shared with other modules (imported). */
  importGlobal(internal: string, module: string, base: string, type: 'i32' | 'i64'): void {
    this.m.addGlobalImport(internal, module, base, wasmType(type), true);
  }
  /** An imported funcref table (of any size) for call_indirect, table.get and table.size; enables reference types. */
  importTable(internal: string, module: string, base: string): void {
    this.m.setFeatures(FEATURES | binaryen.Features.ReferenceTypes);
    this.m.addTable(internal, 0, UNLIMITED_TABLE);
    this.m.addTableImport(internal, module, base);
  }
  addGlobal(name: string, type: 'i32' | 'i64', init: number | bigint = 0): void {
    this.m.addGlobal(name, wasmType(type), true, type === 'i32' ? this.i32(Number(init)) : this.i64(BigInt(init)));
  }
  /** Adds a function; `localNames` (params then vars) only shows in the text form. */
  addFunction(name: string, params: readonly ValType[], result: ValType, vars: readonly ValType[], body: Expr, localNames?: readonly string[]): void {
    const f = this.m.addFunction(name, binaryen.createType(params.map(wasmType)), wasmType(result), vars.map(wasmType), body);
    localNames?.forEach((n, i) => BinaryenFunction.setLocalName(f, i, n));
  }
  exportFunction(internal: string, external: string): void {
    this.m.addFunctionExport(internal, external);
  }
  exportGlobal(internal: string, external: string): void {
    this.m.addGlobalExport(internal, external);
  }
  validate(): boolean {
    return this.m.validate() === 1;
  }
  /** Runs Binaryen's optimiser at `level`; emitting afterwards keeps its stack-IR passes. */
  optimize(level: number): void {
    this.optimizeLevel = level;
    binaryen.setOptimizeLevel(level);
    binaryen.setShrinkLevel(0);
    this.m.optimize();
  }
  emitBinary(): Uint8Array {
    // Binaryen's global levels (default 2/1) also make the writer optimise stack IR: costly, and V8 gains nothing.
    binaryen.setOptimizeLevel(this.optimizeLevel);
    binaryen.setShrinkLevel(0);
    return this.m.emitBinary();
  }

  // --- source positions -------------------------------------------------------
  private debugFile = -1;
  /**
   * Records that expression pairs[2i] of function `func` stands for source line pairs[2i + 1] (the
   * translator: an eBPF pc). Positions go to the source map of emitWithPositions; they change no code.
   */
  setPositions(func: string, pairs: readonly number[]): void {
    if (pairs.length === 0) return;
    if (this.debugFile < 0) this.debugFile = this.m.addDebugInfoFileName('ebpf');
    const f = this.m.getFunction(func);
    // Binaryen's lines are 1-based; the source map it writes counts from 0 again
    for (let i = 0; i < pairs.length; i += 2) this.m.setDebugLocation(f, pairs[i]!, this.debugFile, pairs[i + 1]! + 1, 0);
  }
  /**
   * The binary with a name section (function names show in engine stack traces) and the source map's
   * `mappings` (module byte offset → line, base64 VLQ: see runtime.ts decodePositions).
   */
  emitWithPositions(): { binary: Uint8Array; mappings: string } {
    binaryen.setOptimizeLevel(this.optimizeLevel);
    binaryen.setShrinkLevel(0);
    const was = binaryen.getDebugInfo();
    binaryen.setDebugInfo(true);
    try {
      const out = this.m.emitBinary('positions') as unknown as { binary: Uint8Array; sourceMap: string | null };
      const mappings = out.sourceMap ? (JSON.parse(out.sourceMap) as { mappings: string }).mappings : '';
      return { binary: out.binary, mappings };
    } finally {
      binaryen.setDebugInfo(was);
    }
  }
  emitText(): string {
    return this.m.emitText();
  }
  dispose(): void {
    this.m.dispose();
  }

  // --- constants, locals, globals ------------------------------------------
  i32(v: number): Expr { return this.m.i32.const(v | 0); }
  /** A 64-bit constant; numbers must be safe integers (Binaryen converts them itself). */
  i64(v: bigint | number): Expr { return this.m.i64.const(typeof v === 'number' ? v : BigInt.asIntN(64, v)); }
  get(local: number, type: 'i32' | 'i64'): Expr { return this.m.local.get(local, wasmType(type)); }
  set(local: number, value: Expr): Expr { return this.m.local.set(local, value); }
  tee(local: number, value: Expr, type: 'i32' | 'i64'): Expr { return this.m.local.tee(local, value, wasmType(type)); }
  gget(name: string, type: 'i32' | 'i64'): Expr { return this.m.global.get(name, wasmType(type)); }
  gset(name: string, value: Expr): Expr { return this.m.global.set(name, value); }

  // --- arithmetic -----------------------------------------------------------
  bin32(op: BinOp, a: Expr, b: Expr): Expr { return this.m.i32[op](a, b); }
  bin64(op: BinOp, a: Expr, b: Expr): Expr { return this.m.i64[op](a, b); }
  un32(op: UnOp, a: Expr): Expr { return this.m.i32[op](a); }
  un64(op: UnOp | 'extend32_s', a: Expr): Expr { return this.m.i64[op](a); }
  wrap(a: Expr): Expr { return this.m.i32.wrap(a); }
  extendU(a: Expr): Expr { return this.m.i64.extend_u(a); }
  extendS(a: Expr): Expr { return this.m.i64.extend_s(a); }
  select(cond: Expr, ifTrue: Expr, ifFalse: Expr): Expr { return this.m.select(cond, ifTrue, ifFalse); }

  // --- memory (memory "0", little-endian like eBPF) --------------------------
  // `offset` is the memarg's static offset: added to the i32 pointer without wrapping (33-bit sum).
  /** Zero-extending load of `bytes` into an i64. */
  load64(bytes: number, signed: boolean, ptr: Expr, offset = 0): Expr {
    const i = this.m.i64;
    switch (bytes) {
      case 1: return signed ? i.load8_s(offset, 1, ptr) : i.load8_u(offset, 1, ptr);
      case 2: return signed ? i.load16_s(offset, 1, ptr) : i.load16_u(offset, 1, ptr);
      case 4: return signed ? i.load32_s(offset, 1, ptr) : i.load32_u(offset, 1, ptr);
      default: return i.load(offset, 1, ptr);
    }
  }
  load32(bytes: number, ptr: Expr, offset = 0): Expr {
    const i = this.m.i32;
    return bytes === 1 ? i.load8_u(offset, 1, ptr) : bytes === 2 ? i.load16_u(offset, 1, ptr) : i.load(offset, 1, ptr);
  }
  store64(bytes: number, ptr: Expr, value: Expr, offset = 0): Expr {
    const i = this.m.i64;
    switch (bytes) {
      case 1: return i.store8(offset, 1, ptr, value);
      case 2: return i.store16(offset, 1, ptr, value);
      case 4: return i.store32(offset, 1, ptr, value);
      default: return i.store(offset, 1, ptr, value);
    }
  }
  /** Atomic read-modify-write returning the old value; width 32 works on i32 values, 64 on i64. */
  rmw(width: 32 | 64, op: RmwOp, ptr: Expr, value: Expr, offset = 0): Expr {
    return width === 32 ? this.m.i32.atomic.rmw[op](offset, ptr, value) : this.m.i64.atomic.rmw[op](offset, ptr, value);
  }
  cmpxchg(width: 32 | 64, ptr: Expr, expected: Expr, replacement: Expr, offset = 0): Expr {
    return width === 32
      ? this.m.i32.atomic.rmw.cmpxchg(offset, ptr, expected, replacement)
      : this.m.i64.atomic.rmw.cmpxchg(offset, ptr, expected, replacement);
  }

  // --- control --------------------------------------------------------------
  block(label: string | null, body: readonly Expr[], type: ValType = 'none'): Expr {
    return this.m.block(label, body as Expr[], wasmType(type));
  }
  loop(label: string, body: Expr): Expr { return this.m.loop(label, body); }
  br(label: string, cond?: Expr): Expr { return this.m.br(label, cond); }
  if(cond: Expr, then: Expr, otherwise?: Expr): Expr { return this.m.if(cond, then, otherwise); }
  call(name: string, args: readonly Expr[], result: ValType): Expr { return this.m.call(name, args as Expr[], wasmType(result)); }
  callIndirect(table: string, index: Expr, args: readonly Expr[], params: readonly ValType[], result: ValType): Expr {
    return this.m.call_indirect(table, index, args as Expr[], binaryen.createType(params.map(wasmType)), wasmType(result));
  }
  tableSize(table: string): Expr { return this.m.table.size(table); }
  /** table[index] is null (no function there). */
  tableSlotEmpty(table: string, index: Expr): Expr { return this.m.ref.is_null(this.m.table.get(table, index, binaryen.funcref)); }
  ret(value?: Expr): Expr { return this.m.return(value); }
  drop(value: Expr): Expr { return this.m.drop(value); }
  unreachable(): Expr { return this.m.unreachable(); }
  nop(): Expr { return this.m.nop(); }

  /** Structures a control-flow graph into wasm blocks and loops (handles irreducible graphs by label dispatch). */
  relooper(): Relooper { return new Relooper(this.m); }
}

/** Binaryen's Relooper, with duplicate edges (e.g. `jeq +0`) folded, which it would assert on. */
export class Relooper {
  private readonly r: binaryen.Relooper;
  private readonly edges = new Set<string>();
  constructor(m: binaryen.Module) { this.r = new binaryen.Relooper(m); }
  addBlock(code: Expr): RelooperBlock { return this.r.addBlock(code); }
  /** A conditional edge (condition non-null) or the default edge (null). Returns false if it duplicated an edge. */
  addBranch(from: RelooperBlock, to: RelooperBlock, condition: Expr | null): boolean {
    const key = `${from}>${to}`;
    if (this.edges.has(key)) return false;
    this.edges.add(key);
    this.r.addBranch(from, to, condition ?? 0, 0);
    return true;
  }
  render(entry: RelooperBlock, labelLocal: number): Expr { return this.r.renderAndDispose(entry, labelLocal); }
}
