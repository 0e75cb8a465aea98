/**
 * eBPF → Binaryen IR. Registers are i64 locals; each function entry (pc 0 and
 * every local-call target) becomes a wasm function whose basic blocks become
 * nested blocks and real loops (./structure.ts; irreducible graphs go through
 * Binaryen's Relooper and its label dispatch). Semantics follow
 * docs/ARCHITECTURE.md's execution contract; this file shares no evaluation
 * code with the interpreter.
 */
import { AluOp, AtomicOp, ATOMIC_FETCH, CallSrc, FRAME_POINTER, JmpOp, MAX_CALL_FRAMES, REGISTER_COUNT, STACK_FRAME_BYTES } from '../isa/opcodes.js';
import { jumpTarget, lddwValue, type Instruction, type Program } from '../isa/instruction.js';
import { DiagnosticCode, ExecutionError } from '../diagnostics/index.js';
import type { HelperRegistry } from '../helpers/table.js';
import { structure, type Exit, type Target } from './structure.js';
import { Ir, type BinOp, type Expr, type RmwOp, type ValType } from './binaryen.js';
import {
  buildCfg, fallThrough, functionBlocks, jumpSuccessor, type Cfg, type Successor,
} from './cfg.js';
import {
  CALLX_IMPORT, CONFIGURE_HEADERS_EXPORT, ENV_MODULE, Exports, HELPERS_MODULE, KERNELS_MODULE, MAY_GOTO_LOOPS, MEMORY_IMPORT,
  TAIL_SHARED_GLOBALS, TAIL_TABLE_IMPORT, TRAP_IMPORT, TRAP_RETURN_ZERO, entryFunctionName, type HelperImportInfo,
} from './abi.js';
import { CPU_AREAS_BASE, SKF_LL_OFF, SKF_NET_OFF } from '../runtime/layout.js';
import { MAP_HEADER } from '../maps/header.js';
import { MAP_TYPE } from '../maps/constants.js';
import { MAP_MAX_ENTRIES_OFFSET, MAX_TAIL_CALLS, TAIL_CALL_FAILED, TAIL_CALL_HELPER } from '../runtime/tail-calls.js';
import {
  BPF_LOOP_HELPER, BPF_MAX_LOOPS, CALLBACK_E2BIG, CALLBACK_EINVAL, CALLBACK_KEY_BYTES, CALLBACK_KEYS_FROM_STACK_TOP, LOOKUP_EXPORT,
  MAP_KEY_SIZE_OFFSET, NEXT_KEY_EXPORT, callbackId, callbackTable, isCallbackHelper, isFuncLddw,
} from '../runtime/callbacks.js';
/** Internal names of the kernels' exports a map iteration calls. */
const ITER_NEXT_KEY = 'iter_next_key';
const ITER_LOOKUP = 'iter_lookup';

/** The map kernels' export behind bpf_map_lookup_elem (inlined for arrays in verified code). */
const MAP_LOOKUP_EXPORT = 'map_lookup_elem';
/** The map kernels' export that reads a prog-array slot (program id, 0 when empty). */
const PROG_ARRAY_GET = 'prog_array_get';

export interface TranslateOptions {
  readonly helpers: HelperRegistry;
  readonly memory: { initialPages: number; maximumPages: number; shared: boolean };
  readonly sandbox: boolean;
  readonly budgeted: boolean;
  readonly defaultBudget: bigint;
  readonly batchContext: { data: number; dataEnd: number; dataMeta: number } | null;
  /** Emit the batch entry (runBatch). */
  readonly batch: boolean;
  /** Tail calls through the shared table (see abi.ts TAIL_TABLE_IMPORT). */
  readonly tailCalls?: boolean;
}

export interface Translation {
  readonly ir: Ir;
  readonly helpers: HelperImportInfo[];
  readonly usesCallx: boolean;
  readonly functions: number;
}

// Local indices of a translated function: r0..r10 are params 0..10, then the frame depth.
const DEPTH = REGISTER_COUNT;
const LABEL = DEPTH + 1;   // Relooper's label helper
const T64A = LABEL + 1;
const T64B = T64A + 1;
const T32A = T64B + 1;
const MAY_GOTO = T32A + 1;
/** The budget left, kept in a local (cheaper than the global) and synced at calls, exits and traps. */
const REM = MAY_GOTO + 1;
/** Sandbox: the access being checked, and the data window's bounds cached for the inline fast path. */
const ADDR64 = REM + 1;
const ADDR = ADDR64 + 1;
const DATA_LO = ADDR + 1;
const DATA_LEN = DATA_LO + 1;
/** pc of the block whose budget charge failed (the trap after the body reports it). */
const TRAP_PC = DATA_LEN + 1;
const ACCESS_SIZES = [1, 2, 4, 8] as const;
const DATA_LIMIT0 = TRAP_PC + 1;
const dataLimit = (size: number): number => DATA_LIMIT0 + ACCESS_SIZES.indexOf(size as 1 | 2 | 4 | 8);
const FUNC_PARAMS: ValType[] = [...Array<ValType>(REGISTER_COUNT).fill('i64'), 'i32'];
const SHARED_REG_LOCAL = Array.from({ length: REGISTER_COUNT }, (_, r) => r);
/**
 * The program's entry, when no local call targets it, takes only r1..r5 (fewer arguments for the run and
 * batch loops to pass: wasm has 6 argument registers here); r0 and r6..r10 and the depth become its first
 * locals, so every other local keeps its index. r10 starts at the stack top, the rest at 0.
 */
const ENTRY_ARGS = [1, 2, 3, 4, 5] as const;
const ENTRY_REG_LOCAL = [ENTRY_ARGS.length, 0, 1, 2, 3, 4, 6, 7, 8, 9, 10];
const ENTRY_PARAMS: ValType[] = ENTRY_ARGS.map(() => 'i64');
const ENTRY_VARS: ValType[] = [...Array<ValType>(REGISTER_COUNT - ENTRY_ARGS.length).fill('i64'), 'i32'];
const ENTRY_LOCAL_NAMES = ['r1', 'r2', 'r3', 'r4', 'r5', 'r0', 'r6', 'r7', 'r8', 'r9', 'r10'];
const FUNC_VARS: ValType[] = ['i32', 'i64', 'i64', 'i32', 'i32', 'i64', 'i64', 'i32', 'i64', 'i64', 'i32', 'i64', 'i64', 'i64', 'i64'];
const LOCAL_NAMES = [...Array.from({ length: REGISTER_COUNT }, (_, r) => `r${r}`), 'depth', 'label', 't64a', 't64b', 't32', 'may_goto', 'rem', 'addr64', 'addr', 'data_lo', 'data_len', 'trap_pc', 'room1', 'room2', 'room4', 'room8'];

// Globals.
const G = {
  stackLo: 'stack_lo', stackHi: 'stack_hi', ctxLo: 'ctx_lo', ctxHi: 'ctx_hi',
  dataLo: 'data_lo', dataHi: 'data_hi', heapLo: 'heap_lo', heapHi: 'heap_hi',
  top: 'stack_top', budget: 'budget', rem: 'rem', r0hi: 'r0hi', batchIndex: 'batch_index',
  tcNext: 'tc_next', tcCount: 'tc_count', tcCtx: 'tc_ctx',
} as const;
/** ld_abs/ld_ind's header bases (skb programs; -1: unset), only in modules with such loads. */
const G_HEADERS = { mac: 'hdr_mac', network: 'hdr_network', head: 'hdr_head' } as const;
/** The shared function table of tail-call modules. */
const PROGS_TABLE = 'progs';
/** tailEntry(r1, r10, depth) -> r0, the type of every entry in the table. */
const TAIL_ENTRY_PARAMS: ValType[] = ['i64', 'i64', 'i32'];
/** r1..r5 as a callee left them: the register file is flat, so the caller sees them after the call. */
const RET_REGS = [1, 2, 3, 4, 5] as const;
const retGlobal = (r: number): string => `ret_r${r}`;
/** Regions in the order the check tries them (packet data first: most checked accesses go there). */
const REGION_GLOBALS = [
  [G.dataLo, G.dataHi], [G.ctxLo, G.ctxHi], [G.stackLo, G.stackHi], [G.heapLo, G.heapHi],
] as const;
/** Linear-memory addresses fit 31 bits (the memory maximum is below 2 GiB). */
const ADDRESS_BITS = 31;
/** Largest eBPF access offset (s16) folded into a memarg offset (verified code, see Translator.addr). */
const MAX_MEMARG_FOLD = 0x7fff;
/** No region (CPU areas, then map storage) starts below the CPU areas (src/runtime/layout.ts). */
const FIRST_REGION_ADDRESS = CPU_AREAS_BASE;
if (FIRST_REGION_ADDRESS <= MAX_MEMARG_FOLD) throw new Error('memory layout: regions must start above the largest folded offset');
/** An access: i32 pointer plus the memarg's static offset. */
interface Address { readonly ptr: Expr; readonly offset: number }
/** Largest per-run allowance: block charging subtracts and tests the sign. */
const MAX_ALLOWANCE = (1n << 63n) - 1n;

const CHECK = 'check';
const BUDGET_TRAP = 'budget_trap';
const BUDGET_OUT = 'budget_out';
const VIOLATION_OUT = 'violation_out';
const CHECK_ALIGNED = 'check_aligned';

const JCMP: Partial<Record<number, BinOp>> = {
  [JmpOp.JEQ]: 'eq', [JmpOp.JNE]: 'ne', [JmpOp.JGT]: 'gt_u', [JmpOp.JGE]: 'ge_u', [JmpOp.JLT]: 'lt_u',
  [JmpOp.JLE]: 'le_u', [JmpOp.JSGT]: 'gt_s', [JmpOp.JSGE]: 'ge_s', [JmpOp.JSLT]: 'lt_s', [JmpOp.JSLE]: 'le_s',
};
const ALU_SIMPLE: Partial<Record<number, BinOp>> = {
  [AluOp.ADD]: 'add', [AluOp.SUB]: 'sub', [AluOp.MUL]: 'mul', [AluOp.OR]: 'or', [AluOp.AND]: 'and',
  [AluOp.XOR]: 'xor', [AluOp.LSH]: 'shl', [AluOp.RSH]: 'shr_u', [AluOp.ARSH]: 'shr_s',
};
const RMW: Partial<Record<number, RmwOp>> = {
  [AtomicOp.ADD]: 'add', [AtomicOp.OR]: 'or', [AtomicOp.AND]: 'and', [AtomicOp.XOR]: 'xor',
};

export function funcName(entry: number): string {
  return entryFunctionName(entry);
}

class Translator {
  readonly ir = new Ir();
  readonly cfg: Cfg;
  readonly helperImports = new Map<number, HelperImportInfo & { params: ValType[]; result: ValType }>();
  usesCallx = false;
  /** Some ld_abs/ld_ind needs the header globals. */
  usesHeaders = false;
  /** The function being translated branches to its memory-violation exit. */
  usesViolationExit = false;
  /** Counter for unique labels. */
  labels = 0;
  /** Translating blocks for Binaryen's Relooper, which cannot take branches to labels outside them. */
  relooping = false;
  /** The function being translated tests accesses against the cached data window. */
  usesDataWindow = false;
  /** Some instruction writes r10 (unverified code may): stack accesses then need checks. */
  readonly r10Written: boolean;
  /** Entries reached by local calls (pc 0 may be one too). */
  readonly callTargets = new Set<number>();
  /** Entry pc of each callback id (index id - 1), see ../runtime/callbacks.ts. */
  readonly callbacks: number[];
  /** The map-iteration kernel exports are imported. */
  iterImports = false;
  /** (marker expression, pc) pairs of the function being translated, flat (see blockCode). */
  positions: number[] = [];

  constructor(readonly program: Program, readonly opts: TranslateOptions) {
    this.cfg = buildCfg(program);
    this.callbacks = callbackTable(program);
    this.r10Written = program.instructions.some((i) => {
      const k = i.spec.kind;
      if (k === 'atomic') return i.src === FRAME_POINTER; // fetch forms and xchg write src
      return i.dst === FRAME_POINTER && i.spec.fields.dst === 'reg' && k !== 'st' && k !== 'stx' && k !== 'jcond';
    });
    for (const insn of program.instructions) {
      const k = insn.spec.kind;
      if (k === 'ja' || k === 'jcond' || k === 'may_goto' || (k === 'call' && insn.src === CallSrc.LOCAL)) {
        const t = jumpSuccessor(this.cfg, insn);
        // Like the interpreter, reject any jump outside the program before running anything.
        if (t.kind !== 'block') throw new ExecutionError('JumpOutOfRange', insn.pc, `jump out of range from insn ${insn.pc} to ${jumpTarget(insn)}`);
        if (k === 'call') this.callTargets.add(this.cfg.blocks[t.block]!.pc);
      }
    }
  }

  // --- registers and operands ------------------------------------------------
  /** Local index of each register in the function being translated (see ENTRY_REG_LOCAL). */
  regLocal: readonly number[] = SHARED_REG_LOCAL;
  reg(r: number): Expr { return this.ir.get(this.regLocal[r]!, 'i64'); }
  setReg(r: number, v: Expr): Expr { return this.ir.set(this.regLocal[r]!, v); }
  low(r: number): Expr { return this.ir.wrap(this.reg(r)); }
  /** 64-bit source operand: register or sign-extended immediate. */
  src64(insn: Instruction): Expr {
    return insn.spec.source === 'reg' ? this.reg(insn.src) : this.ir.i64(BigInt(insn.imm));
  }
  src32(insn: Instruction): Expr {
    return insn.spec.source === 'reg' ? this.low(insn.src) : this.ir.i32(insn.imm);
  }
  zext(v32: Expr): Expr { return this.ir.extendU(v32); }

  /**
   * Sandbox: after a call that may move the packet (a js helper, callx, a local call), the cached data
   * window locals take the globals' new values (a shrunk packet must not leave the old window open).
   */
  /** Stores the local budget to the global (before calls, exits and ends of the run). */
  syncBudget(): Expr[] {
    return this.opts.budgeted ? [this.ir.gset(G.rem, this.ir.get(REM, 'i64'))] : [];
  }

  trap(code: number, pc: number): Expr {
    const ir = this.ir;
    return ir.block(null, [ir.call(TRAP_IMPORT, [ir.i32(code), ir.i32(pc)], 'none'), ir.unreachable()]);
  }

  // --- memory ----------------------------------------------------------------
  /**
   * The address of `base + off` as an i32 pointer and the memarg's static offset, region-checked for
   * unverified code. Unchecked addresses are computed in i32 (wrapping is a ring homomorphism, so
   * wrap(base) + off = wrap(base + off)): no 64-bit add and no zero-extension per access. Verified code
   * also folds a positive offset into the memarg (one addressing mode, no add); wasm adds that offset
   * without wrapping, which is exact when wrap(base) + off < 2^32: verified accesses land in a region,
   * every region starts at or above FIRST_REGION_ADDRESS > MAX_MEMARG_FOLD, so base = address - off
   * lies in [0, 2^31).
   */
  addr(base: number, off: number, size: number, pc: number, aligned = false): Address {
    const ir = this.ir;
    if (!this.opts.sandbox || this.provenInStack(base, off, size, aligned)) {
      if (off === 0) return { ptr: this.low(base), offset: 0 };
      if (!this.opts.sandbox && off > 0 && off <= MAX_MEMARG_FOLD) return { ptr: this.low(base), offset: off };
      return { ptr: ir.bin32('add', this.low(base), ir.i32(off)), offset: 0 };
    }
    return { ptr: this.checkedAddr(base, off, size, pc, aligned), offset: 0 };
  }

  /** Sandbox: the region-checked i32 address of `base + off` (64-bit sum, then the checks). */
  checkedAddr(base: number, off: number, size: number, pc: number, aligned: boolean): Expr {
    const ir = this.ir;
    const a = off === 0 ? this.reg(base) : ir.bin64('add', this.reg(base), ir.i64(BigInt(off)));
    if (aligned) return ir.call(CHECK_ALIGNED, [a, ir.i32(size), ir.i32(pc)], 'i32');
    // Inline fast path for the packet/data window; every other region goes through check().
    const addr = (): Expr => ir.get(ADDR, 'i32');
    // One subtract and one unsigned compare: addr - data_lo < the window's room for `size` bytes.
    this.usesDataWindow = true;
    const inData = ir.bin64('lt_u', ir.bin64('sub', ir.get(ADDR64, 'i64'), ir.get(DATA_LO, 'i64')), ir.get(dataLimit(size), 'i64'));
    // The other regions are tested inline too, and a violation branches out of the function body to one
    // trap call: a call on the access path would make V8 spill every register around it (wasm has no
    // callee-saved registers), which costs loops far more than the compares.
    const within = (lo: string, hi: string): Expr => ir.bin32('and',
      ir.bin32('ge_u', addr(), ir.gget(lo, 'i32')), ir.bin32('le_u', ir.bin32('add', addr(), ir.i32(size)), ir.gget(hi, 'i32')));
    let inOther = within(REGION_GLOBALS[1][0], REGION_GLOBALS[1][1]);
    for (const [lo, hi] of REGION_GLOBALS.slice(2)) inOther = ir.bin32('or', inOther, within(lo, hi));
    if (this.relooping) {
      return ir.block(null, [
        ir.set(ADDR64, a),
        ir.set(ADDR, ir.wrap(ir.get(ADDR64, 'i64'))),
        ir.if(ir.un32('eqz', inData), ir.set(ADDR, ir.call(CHECK, [ir.get(ADDR64, 'i64'), ir.i32(size), ir.i32(pc)], 'i32'))),
        addr(),
      ], 'i32');
    }
    this.usesViolationExit = true;
    return ir.block(null, [
      ir.set(ADDR64, a),
      ir.set(ADDR, ir.wrap(ir.get(ADDR64, 'i64'))),
      ir.if(ir.un32('eqz', inData),
        ir.if(ir.un32('eqz', ir.bin32('and', ir.bin64('lt_u', ir.get(ADDR64, 'i64'), ir.i64(2 ** ADDRESS_BITS)), inOther)),
          ir.block(null, [ir.set(TRAP_PC, ir.i32(pc)), ir.br(VIOLATION_OUT)]))),
      addr(),
    ], 'i32');
  }

  /**
   * r10 + off with r10 never written: frame k has r10 = stackTop - 512k (k < 8, 8-aligned), and the stack
   * region is the CPU's whole stack [stackTop - 8 * 512, stackTop), so an access within the frame's own
   * 512 bytes needs no check.
   */
  provenInStack(base: number, off: number, size: number, aligned: boolean): boolean {
    return base === FRAME_POINTER && !this.r10Written && off >= -STACK_FRAME_BYTES && off + size <= 0
      && (!aligned || off % size === 0);
  }

  /**
   * Caches the data window for the inline check: its start (i64) and, per access size k, the number of
   * start offsets where k bytes fit (0 when none). Reloaded after calls: a helper may move the packet.
   */
  loadDataWindow(): Expr[] {
    if (!this.opts.sandbox) return [];
    const ir = this.ir;
    const len = (): Expr => ir.get(DATA_LEN, 'i64');
    const out = [
      ir.set(DATA_LO, this.zext(ir.gget(G.dataLo, 'i32'))),
      ir.set(DATA_LEN, this.zext(ir.bin32('sub', ir.gget(G.dataHi, 'i32'), ir.gget(G.dataLo, 'i32')))),
    ];
    for (const k of ACCESS_SIZES) {
      out.push(ir.set(dataLimit(k), ir.if(ir.bin64('ge_u', len(), ir.i64(BigInt(k))),
        ir.bin64('sub', len(), ir.i64(BigInt(k - 1))), ir.i64(0n))));
    }
    return out;
  }

  // --- instructions ------------------------------------------------------------
  alu(insn: Instruction): Expr {
    const ir = this.ir;
    const { spec, dst } = insn;
    const op = spec.aluOp!;
    const is64 = spec.width === 64;
    const signed = insn.off === 1 && (op === AluOp.DIV || op === AluOp.MOD);
    const bin = (o: BinOp, a: Expr, b: Expr): Expr => (is64 ? ir.bin64(o, a, b) : ir.bin32(o, a, b));
    const dstv = (): Expr => (is64 ? this.reg(dst) : this.low(dst));
    const srcv = (): Expr => (is64 ? this.src64(insn) : this.src32(insn));
    const k = (v: number): Expr => (is64 ? ir.i64(BigInt(v)) : ir.i32(v));
    const type: 'i32' | 'i64' = is64 ? 'i64' : 'i32';
    const result = (v: Expr): Expr => this.setReg(dst, is64 ? v : this.zext(v));

    const simple = ALU_SIMPLE[op];
    if (simple) return result(bin(simple, dstv(), srcv()));
    if (op === AluOp.MOV) return result(srcv());
    if (op === AluOp.DIV || op === AluOp.MOD) {
      const isDiv = op === AluOp.DIV;
      // A zero divisor gives 0 (div) or leaves dst (mod); INT_MIN / -1 gives INT_MIN (wasm's div_s would trap).
      const whenZero = (): Expr => (isDiv ? k(0) : dstv());
      if (spec.source === 'imm') {
        if (insn.imm === 0) return result(whenZero());
        if (signed && isDiv && insn.imm === -1) return result(bin('sub', k(0), dstv()));
        return result(bin(isDiv ? (signed ? 'div_s' : 'div_u') : (signed ? 'rem_s' : 'rem_u'), dstv(), srcv()));
      }
      const tmp = is64 ? T64A : T32A;
      const d = (): Expr => ir.get(tmp, type);
      const divide = bin(isDiv ? (signed ? 'div_s' : 'div_u') : (signed ? 'rem_s' : 'rem_u'), dstv(), d());
      const nonZero = signed && isDiv
        ? ir.if(bin('eq', d(), k(-1)), bin('sub', k(0), dstv()), divide)
        : divide;
      return ir.block(null, [
        ir.set(tmp, srcv()),
        result(ir.if(is64 ? ir.un64('eqz', d()) : ir.un32('eqz', d()), whenZero(), nonZero)),
      ]);
    }
    throw new Error(`unhandled alu op ${op}`);
  }

  bswap32(v: Expr): Expr {
    const ir = this.ir;
    const t = (): Expr => ir.get(T32A, 'i32');
    return ir.block(null, [
      ir.set(T32A, v),
      ir.bin32('or',
        ir.bin32('and', ir.bin32('rotl', t(), ir.i32(8)), ir.i32(0x00ff00ff)),
        ir.bin32('and', ir.bin32('rotr', t(), ir.i32(8)), ir.i32(0xff00ff00 | 0))),
    ], 'i32');
  }
  bswap16(v32: Expr): Expr {
    const ir = this.ir;
    const t = (): Expr => ir.get(T32A, 'i32');
    return ir.block(null, [
      ir.set(T32A, v32),
      ir.bin32('or',
        ir.bin32('shl', ir.bin32('and', t(), ir.i32(0xff)), ir.i32(8)),
        ir.bin32('and', ir.bin32('shr_u', t(), ir.i32(8)), ir.i32(0xff))),
    ], 'i32');
  }
  bswap64(v: Expr): Expr {
    const ir = this.ir;
    const t = (): Expr => ir.get(T64B, 'i64');
    const hi = this.bswap32(ir.wrap(ir.bin64('shr_u', t(), ir.i64(32n))));
    const lo = this.bswap32(ir.wrap(t()));
    // Evaluate the swapped low half into a separate local before bswap32 reuses T32A.
    return ir.block(null, [
      ir.set(T64B, v),
      ir.set(T64A, ir.bin64('shl', this.zext(lo), ir.i64(32n))),
      ir.bin64('or', ir.get(T64A, 'i64'), this.zext(hi)),
    ], 'i64');
  }

  end(insn: Instruction): Expr {
    const ir = this.ir;
    const { dst, spec } = insn;
    const bits = spec.size!;
    if (spec.order === 'le') {
      // The host is little-endian: truncate to the width.
      if (bits === 64) return ir.nop();
      return this.setReg(dst, bits === 32 ? this.zext(this.low(dst)) : ir.bin64('and', this.reg(dst), ir.i64(0xffffn)));
    }
    if (bits === 16) return this.setReg(dst, this.zext(this.bswap16(this.low(dst))));
    if (bits === 32) return this.setReg(dst, this.zext(this.bswap32(this.low(dst))));
    return this.setReg(dst, this.bswap64(this.reg(dst)));
  }

  atomic(insn: Instruction): Expr {
    const ir = this.ir;
    const { spec, dst, src, off, pc } = insn;
    const w = spec.width;
    const size = spec.size!;
    const op = spec.atomicOp!;
    const { ptr, offset } = this.addr(dst, off, size, pc, true);
    const val = (r: number): Expr => (w === 32 ? this.low(r) : this.reg(r));
    const widen = (v: Expr): Expr => (w === 32 ? this.zext(v) : v);
    if (op === AtomicOp.CMPXCHG) {
      return this.setReg(0, widen(ir.cmpxchg(w, ptr, val(0), val(src), offset)));
    }
    const rmw: RmwOp = op === AtomicOp.XCHG ? 'xchg' : RMW[op & ~ATOMIC_FETCH]!;
    const old = ir.rmw(w, rmw, ptr, val(src), offset);
    if (op === AtomicOp.XCHG || (op & ATOMIC_FETCH) !== 0) return this.setReg(src, widen(old));
    return ir.drop(old);
  }

  /**
   * ld_abs/ld_ind: big-endian load from the packet; out of bounds ends the program with r0 = 0. Offsets
   * from SKF_NET_OFF / SKF_LL_OFF address the network / MAC header (the kernel's
   * bpf_internal_load_pointer_neg_helper): the bytes must lie between the buffer head and the packet's end.
   */
  ldPacket(insn: Instruction): Expr {
    const ir = this.ir;
    const size = insn.spec.size!;
    const fail = (): Expr => ir.block(null, [...this.syncBudget(), this.trap(TRAP_RETURN_ZERO, insn.pc)]);
    const value = (ptr: () => Expr): Expr => {
      const raw = size === 1 ? ir.load32(1, ptr()) : size === 2 ? this.bswap16(ir.load32(2, ptr())) : this.bswap32(ir.load32(4, ptr()));
      return this.setReg(0, this.zext(raw));
    };
    const dataLo = (): Expr => ir.gget(G.dataLo, 'i32');
    const dataHi = (): Expr => ir.gget(G.dataHi, 'i32');
    if (insn.spec.kind === 'ldabs' && insn.imm >= 0) {
      // The common case, all i32: addresses stay below 2^31 and imm < 2^31, so the sum cannot wrap.
      const ptr = (): Expr => ir.bin32('add', dataLo(), ir.i32(insn.imm));
      return ir.block(null, [
        ir.if(ir.bin32('gt_u', ir.bin32('add', ptr(), ir.i32(size)), dataHi()), fail()),
        value(ptr),
      ]);
    }
    this.usesHeaders = true;
    // i64 so that no sum wraps; -1 = no such header
    const o = (): Expr => ir.get(T64A, 'i64');
    const p = (): Expr => ir.get(T64B, 'i64');
    const fromHeader = (base: string, skf: number): Expr => ir.if(ir.bin32('lt_s', ir.gget(base, 'i32'), ir.i32(0)),
      ir.i64(-1n), ir.bin64('add', ir.extendS(ir.gget(base, 'i32')), ir.bin64('sub', o(), ir.i64(BigInt(skf)))));
    const negative = (): Expr => ir.if(ir.bin64('ge_s', o(), ir.i64(BigInt(SKF_NET_OFF))), fromHeader(G_HEADERS.network, SKF_NET_OFF),
      ir.if(ir.bin64('ge_s', o(), ir.i64(BigInt(SKF_LL_OFF))), fromHeader(G_HEADERS.mac, SKF_LL_OFF), ir.i64(-1n)));
    const off = insn.spec.kind === 'ldind'
      ? ir.bin32('add', this.low(insn.src), ir.i32(insn.imm))
      : ir.i32(insn.imm);
    return ir.block(null, [
      ir.set(T64A, ir.extendS(off)),
      ir.set(T64B, ir.if(ir.bin64('ge_s', o(), ir.i64(0n)), ir.bin64('add', this.zext(dataLo()), o()), ir.block(null, [
        ir.set(T64B, negative()),
        // a header pointer must not start before the buffer head
        ir.if(ir.bin64('lt_s', p(), this.zext(ir.gget(G_HEADERS.head, 'i32'))), ir.i64(-1n), p()),
      ], 'i64'))),
      ir.if(ir.bin32('or',
        ir.bin64('lt_s', p(), ir.i64(0n)),
        ir.bin64('gt_s', ir.bin64('add', p(), ir.i64(BigInt(size))), this.zext(dataHi()))),
      fail()),
      value(() => ir.wrap(p())),
    ]);
  }

  helperCall(insn: Instruction): Expr {
    const ir = this.ir;
    if (insn.imm === TAIL_CALL_HELPER && this.opts.tailCalls) return this.tailCall();
    if (isCallbackHelper(insn.imm)) return this.callbackHelper(insn);
    const spec = this.opts.helpers.get(insn.imm);
    const impl = spec?.impl;
    if (!spec || !impl || (!impl.js && !impl.kernel)) return this.trap(DiagnosticCode.UnknownHelper, insn.pc);
    let info = this.helperImports.get(spec.id);
    if (!info) {
      if (impl.kernel) {
        info = { id: spec.id, name: spec.name, kind: 'kernel', base: impl.kernel.export, params: [...impl.kernel.params], result: impl.kernel.result };
      } else {
        info = { id: spec.id, name: spec.name, kind: 'js', base: String(spec.id), params: Array<ValType>(5).fill('i64'), result: 'i64' };
      }
      this.helperImports.set(spec.id, info);
      ir.importFunction(`h${spec.id}`, info.kind === 'kernel' ? KERNELS_MODULE : HELPERS_MODULE, info.base, info.params, info.result);
    }
    const args = info.params.map((t, i) => (t === 'i32' ? this.low(i + 1) : this.reg(i + 1)));
    const r = ir.call(`h${spec.id}`, args, info.result);
    // An i32 result is a C int/long: sign-extend (pointers stay below 2 GiB, so they are unaffected).
    const set = this.setReg(0, info.result === 'i32' ? ir.extendS(r) : r);
    if (!this.opts.sandbox && impl.kernel?.export === MAP_LOOKUP_EXPORT) return this.inlineArrayLookup(set);
    return this.opts.sandbox ? ir.block(null, [set, ...this.loadDataWindow()]) : set;
  }

  /**
   * bpf_map_lookup_elem on a plain array without a call, as the kernel's
   * array_map_gen_lookup does: verified code holds a valid map pointer in r1
   * and a readable key in r2, so the index check and the stride multiply run
   * inline; every other map type takes the kernels' call (`viaCall`).
   */
  inlineArrayLookup(viaCall: Expr): Expr {
    const ir = this.ir;
    // r1 is a map pointer (verified code only): the header fields' offsets fold into the memarg
    const field = (off: number): Expr => this.zext(ir.load32(4, this.low(1), off));
    const index = (): Expr => ir.get(T64A, 'i64');
    return ir.if(ir.bin32('eq', ir.load32(4, this.low(1), MAP_HEADER.type), ir.i32(MAP_TYPE.array)),
      ir.block(null, [
        ir.set(T64A, this.zext(ir.load32(4, this.low(2)))),
        this.setReg(0, ir.select(ir.bin64('lt_u', index(), field(MAP_HEADER.maxEntries)),
          ir.bin64('add', field(MAP_HEADER.arrayData), ir.bin64('mul', index(), field(MAP_HEADER.valueStride))),
          ir.i64(0n))),
      ]),
      viaCall);
  }

  /**
   * bpf_loop / bpf_for_each_map_elem (semantics: ../runtime/callbacks.ts): a wasm loop around a direct
   * call of the callback's function, one loop per callback the program names (r2 holds its id). The map
   * iteration calls the kernels' sys_get_next_key and map_lookup_elem. r1..r5 keep their values.
   * Locals: t64a = calls made, t64b = the limit, t32a = the previous key (0: none yet), addr = the value.
   */
  callbackHelper(insn: Instruction): Expr {
    const ir = this.ir;
    const loop = insn.imm === BPF_LOOP_HELPER;
    const pc = insn.pc;
    const depth = (): Expr => ir.get(DEPTH, 'i32');
    const count = (): Expr => ir.get(T64A, 'i64');
    const done = `cb_done_${pc}`;
    const result = (v: number): Expr => ir.block(null, [this.setReg(0, ir.i64(BigInt(v))), ir.br(done)]);
    // map iteration: two key buffers at the top of the CPU's scratch space, one pair per frame
    const keyA = (): Expr => ir.bin32('sub', ir.bin32('add', ir.wrap(ir.gget(G.top, 'i64')), ir.i32(CALLBACK_KEYS_FROM_STACK_TOP)),
      ir.bin32('mul', depth(), ir.i32(2 * CALLBACK_KEY_BYTES)));
    if (!loop && !this.iterImports) {
      this.iterImports = true;
      // listed in the manifest (under the helper's id and its negation) so the runtime supplies them
      const name = 'bpf_for_each_map_elem';
      this.helperImports.set(insn.imm, { id: insn.imm, name, kind: 'kernel', base: NEXT_KEY_EXPORT, params: ['i32', 'i32', 'i32'], result: 'i32' });
      this.helperImports.set(-insn.imm, { id: -insn.imm, name, kind: 'kernel', base: LOOKUP_EXPORT, params: ['i32', 'i32'], result: 'i32' });
      ir.importFunction(ITER_NEXT_KEY, KERNELS_MODULE, NEXT_KEY_EXPORT, ['i32', 'i32', 'i32'], 'i32');
      ir.importFunction(ITER_LOOKUP, KERNELS_MODULE, LOOKUP_EXPORT, ['i32', 'i32'], 'i32');
    }
    const prev = (): Expr => ir.get(T32A, 'i32');
    // the buffer the next key goes to: the one the previous key is not in
    const nextBuf = (): Expr => ir.select(ir.bin32('eq', prev(), keyA()), ir.bin32('add', keyA(), ir.i32(CALLBACK_KEY_BYTES)), keyA());
    const perCallback = (entry: number, id: number): Expr => {
      const brk = `cb_brk_${pc}_${id}`, again = `cb_loop_${pc}_${id}`;
      const args: Expr[] = [];
      for (let r = 0; r < REGISTER_COUNT; r++) {
        let v: Expr;
        if (r === FRAME_POINTER) v = ir.bin64('sub', this.reg(r), ir.i64(BigInt(STACK_FRAME_BYTES)));
        else if (loop) v = r === 1 ? ir.bin64('sub', count(), ir.i64(1n)) : r === 2 ? this.reg(3) : r >= 3 && r <= 5 ? ir.i64(0n) : this.reg(r);
        else {
          v = r === 1 ? this.reg(1) : r === 2 ? this.zext(prev()) : r === 3 ? this.zext(ir.get(ADDR, 'i32'))
            : r === 4 ? this.reg(3) : r === 5 ? ir.i64(0n) : this.reg(r);
        }
        args.push(v);
      }
      args.push(ir.bin32('add', depth(), ir.i32(1)));
      const next: Expr[] = loop ? [] : [
        // the next element: stop when there is none; skip one deleted meanwhile
        ir.br(brk, ir.call(ITER_NEXT_KEY, [this.low(1), prev(), nextBuf()], 'i32')),
        ir.set(T32A, nextBuf()),
        ir.set(ADDR, ir.call(ITER_LOOKUP, [this.low(1), prev()], 'i32')),
        ir.br(again, ir.bin32('eq', ir.get(ADDR, 'i32'), ir.i32(0))),
      ];
      return ir.block(brk, [
        ir.loop(again, ir.block(null, [
          ir.br(brk, ir.bin64('ge_u', count(), ir.get(T64B, 'i64'))),
          ...next,
          ir.set(T64A, ir.bin64('add', count(), ir.i64(1n))),
          ir.if(ir.bin32('ge_u', depth(), ir.i32(MAX_CALL_FRAMES - 1)), this.trap(DiagnosticCode.CallDepthExceeded, pc)),
          ...this.syncBudget(),
          this.setReg(0, ir.call(funcName(entry), args, 'i64')),
          ...(this.opts.budgeted ? [ir.set(REM, ir.gget(G.rem, 'i64'))] : []),
          ir.br(brk, ir.bin64('ne', this.reg(0), ir.i64(0n))),
          ir.br(again),
        ])),
      ]);
    };
    // dispatch on the id in r2; an id naming no callback traps as an unknown helper
    let dispatch: Expr = this.trap(DiagnosticCode.UnknownHelper, pc);
    for (let id = this.callbacks.length; id >= 1; id--) {
      dispatch = ir.if(ir.bin64('eq', this.reg(2), ir.i64(BigInt(id))), perCallback(this.callbacks[id - 1]!, id), dispatch);
    }
    return ir.block(null, [
      ir.block(done, [
        ir.if(ir.bin64('ne', this.reg(4), ir.i64(0n)), result(CALLBACK_EINVAL)),
        ...(loop ? [
          ir.if(ir.bin32('gt_u', this.low(1), ir.i32(BPF_MAX_LOOPS)), result(CALLBACK_E2BIG)),
          ir.set(T64B, this.zext(this.low(1))),
        ] : [
          ir.if(ir.bin32('gt_u', ir.load32(4, ir.bin32('add', this.low(1), ir.i32(MAP_KEY_SIZE_OFFSET))), ir.i32(CALLBACK_KEY_BYTES)), result(CALLBACK_E2BIG)),
          ir.set(T64B, this.zext(ir.load32(4, ir.bin32('add', this.low(1), ir.i32(MAP_HEADER.maxEntries))))),
          ir.set(T32A, ir.i32(0)),
        ]),
        ir.set(T64A, ir.i64(0n)),
        dispatch,
        this.setReg(0, count()),
      ]),
      ...this.loadDataWindow(),
    ]);
  }

  localCall(insn: Instruction, target: number): Expr {
    const ir = this.ir;
    const depth = (): Expr => ir.get(DEPTH, 'i32');
    const args: Expr[] = [];
    for (let r = 0; r < REGISTER_COUNT; r++) {
      args.push(r === FRAME_POINTER ? ir.bin64('sub', this.reg(r), ir.i64(BigInt(STACK_FRAME_BYTES))) : this.reg(r));
    }
    args.push(ir.bin32('add', depth(), ir.i32(1)));
    return ir.block(null, [
      ir.if(ir.bin32('ge_u', depth(), ir.i32(MAX_CALL_FRAMES - 1)), this.trap(DiagnosticCode.CallDepthExceeded, insn.pc)),
      ...this.syncBudget(),
      this.setReg(0, ir.call(funcName(target), args, 'i64')),
      ...(this.opts.budgeted ? [ir.set(REM, ir.gget(G.rem, 'i64'))] : []),
      ...RET_REGS.map((r) => this.setReg(r, ir.gget(retGlobal(r), 'i64'))),
      // the callee's frame may have been replaced by tail calls: they return here
      ...(this.opts.tailCalls ? [this.tailDispatch((v) => this.setReg(0, v),
        () => ir.bin64('sub', this.reg(FRAME_POINTER), ir.i64(BigInt(STACK_FRAME_BYTES))), () => ir.bin32('add', depth(), ir.i32(1))),
      ...(this.opts.budgeted ? [ir.set(REM, ir.gget(G.rem, 'i64'))] : [])] : []),
      ...this.loadDataWindow(),
    ]);
  }

  /** Code of one non-terminating instruction, or the action part of a terminator. */
  insn(insn: Instruction): Expr {
    const ir = this.ir;
    const { spec, dst, src, off, pc } = insn;
    switch (spec.kind) {
      case 'alu': return this.alu(insn);
      case 'neg':
        return spec.width === 64
          ? this.setReg(dst, ir.bin64('sub', ir.i64(0n), this.reg(dst)))
          : this.setReg(dst, this.zext(ir.bin32('sub', ir.i32(0), this.low(dst))));
      case 'movsx': {
        const bits = spec.size!;
        if (spec.width === 64) {
          return this.setReg(dst, bits === 8 ? ir.un64('extend8_s', this.reg(src))
            : bits === 16 ? ir.un64('extend16_s', this.reg(src)) : ir.un64('extend32_s', this.reg(src)));
        }
        return this.setReg(dst, this.zext(bits === 8 ? ir.un32('extend8_s', this.low(src)) : ir.un32('extend16_s', this.low(src))));
      }
      case 'end': return this.end(insn);
      case 'lddw':
        // a callback's address is its id in the shared table (../runtime/callbacks.ts)
        if (isFuncLddw(insn)) return this.setReg(dst, ir.i64(BigInt(callbackId(this.callbacks, insn))));
        return this.setReg(dst, ir.i64(lddwValue(insn)));
      case 'ldabs': case 'ldind': return this.ldPacket(insn);
      case 'ldx': case 'ldxs': {
        const a = this.addr(src, off, spec.size!, pc);
        return this.setReg(dst, ir.load64(spec.size!, spec.kind === 'ldxs', a.ptr, a.offset));
      }
      case 'st': {
        const a = this.addr(dst, off, spec.size!, pc);
        return ir.store64(spec.size!, a.ptr, ir.i64(BigInt(insn.imm)), a.offset);
      }
      case 'stx': {
        const a = this.addr(dst, off, spec.size!, pc);
        return ir.store64(spec.size!, a.ptr, this.reg(src), a.offset);
      }
      case 'atomic': return this.atomic(insn);
      case 'call':
        if (insn.src === CallSrc.HELPER) return this.helperCall(insn);
        if (insn.src === CallSrc.LOCAL) {
          const t = jumpSuccessor(this.cfg, insn);
          if (t.kind !== 'block') return this.trap(DiagnosticCode.JumpOutOfRange, pc);
          return this.localCall(insn, this.cfg.blocks[t.block]!.pc);
        }
        return this.trap(DiagnosticCode.UnknownHelper, pc); // kfuncs have no implementation here
      case 'callx': {
        this.usesCallx = true;
        const args = [this.low(dst)];
        for (let r = 1; r <= 5; r++) args.push(this.reg(r));
        args.push(ir.i32(pc));
        const set = this.setReg(0, ir.call(CALLX_IMPORT, args, 'i64'));
        return this.opts.sandbox ? ir.block(null, [set, ...this.loadDataWindow()]) : set;
      }
      case 'ja': case 'jcond': case 'may_goto': case 'exit':
        return ir.nop();
    }
  }

  condition(insn: Instruction): Expr {
    const ir = this.ir;
    const op = insn.spec.jmpOp!;
    if (insn.spec.width === 64) {
      const a = this.reg(insn.dst), b = this.src64(insn);
      if (op === JmpOp.JSET) return ir.bin64('ne', ir.bin64('and', a, b), ir.i64(0n));
      return ir.bin64(JCMP[op]!, a, b);
    }
    const a = this.low(insn.dst), b = this.src32(insn);
    if (op === JmpOp.JSET) return ir.bin32('ne', ir.bin32('and', a, b), ir.i32(0));
    return ir.bin32(JCMP[op]!, a, b);
  }

  // --- functions -----------------------------------------------------------------
  /** Straight-line code of a block: budget charge, instructions, and the action part of its terminator. */
  blockCode(id: number, entry: number): Expr[] {
    const ir = this.ir;
    const b = this.cfg.blocks[id]!;
    const { instructions } = this.program;
    const code: Expr[] = [];
    if (this.opts.budgeted) {
      // Charge first, then test the sign: one sub that sets the flags instead of a compare and a sub
      // (the allowance is at most 2^63 - 1, see setBudget). The trap gets the allowance before the charge.
      // Exhaustion branches out of the function body to one trap call: no call inside loops, whose
      // clobbers would make V8 keep the registers in stack slots across the whole loop.
      code.push(ir.set(REM, ir.bin64('sub', ir.get(REM, 'i64'), ir.i64(b.count))));
      // (Binaryen's Relooper cannot take branches out of its blocks: there the trap is called in place.)
      code.push(ir.if(ir.bin64('lt_s', ir.get(REM, 'i64'), ir.i64(0n)), this.relooping
        ? ir.call(BUDGET_TRAP, [ir.i32(b.pc), ir.bin64('add', ir.get(REM, 'i64'), ir.i64(b.count))], 'none')
        : ir.block(null, [
        ir.set(TRAP_PC, ir.i32(b.pc)),
        ir.set(REM, ir.bin64('add', ir.get(REM, 'i64'), ir.i64(b.count))),
        ir.br(BUDGET_OUT),
      ])));
    }
    for (let i = b.first; i <= b.last; i++) {
      // A nop marks where each instruction's code starts (no machine code): a wasm trap or a helper's
      // error maps back to its pc through the source map (see runtime.ts pcAt).
      const mark = ir.nop();
      this.positions.push(mark, instructions[i]!.pc);
      code.push(mark, this.insn(instructions[i]!));
    }
    const last = instructions[b.last]!;
    if (last.spec.kind === 'exit') {
      if (this.callTargets.has(entry)) for (const r of RET_REGS) code.push(ir.gset(retGlobal(r), this.reg(r)));
      code.push(...this.syncBudget());
      code.push(ir.ret(this.reg(0)));
    }
    if (last.spec.kind === 'may_goto') {
      // Taken when the frame's allowance is used up; otherwise spend one iteration.
      code.push(ir.set(T32A, ir.un32('eqz', ir.get(MAY_GOTO, 'i32'))));
      code.push(ir.set(MAY_GOTO, ir.bin32('sub', ir.get(MAY_GOTO, 'i32'), ir.bin32('xor', ir.get(T32A, 'i32'), ir.i32(1)))));
    }
    return code;
  }

  /** Where a block goes next; a conditional whose two edges meet is a plain goto. */
  blockExit(id: number): { kind: 'none' } | { kind: 'goto'; to: Successor } | { kind: 'cond'; cond: () => Expr; taken: Successor; fall: Successor } {
    const cfg = this.cfg;
    const last = this.program.instructions[cfg.blocks[id]!.last]!;
    switch (last.spec.kind) {
      case 'exit': return { kind: 'none' };
      case 'ja': return { kind: 'goto', to: jumpSuccessor(cfg, last) };
      case 'jcond': case 'may_goto': {
        const taken = jumpSuccessor(cfg, last), fall = fallThrough(cfg, last);
        if (taken.kind === 'block' && fall.kind === 'block' && taken.block === fall.block) return { kind: 'goto', to: fall };
        const cond = last.spec.kind === 'jcond' ? () => this.condition(last) : () => this.ir.get(T32A, 'i32');
        return { kind: 'cond', cond, taken, fall };
      }
      default: return { kind: 'goto', to: fallThrough(cfg, last) };
    }
  }

  specialCode(s: Successor): Expr {
    return s.kind === 'bad-jump'
      ? this.trap(DiagnosticCode.JumpOutOfRange, s.pc)
      : this.trap(DiagnosticCode.FellOffEnd, this.program.slotCount);
  }

  /** Structured control flow (dominator-based) when reducible, else the Relooper. */
  functionBody(entry: number): Expr {
    const blockIds = functionBlocks(this.cfg, entry);
    const local = new Map(blockIds.map((id, i) => [id, i]));
    const toTarget = (s: Successor): Target => (s.kind === 'block' ? { node: local.get(s.block)! } : { leaf: () => this.specialCode(s) });
    const structured = structure(this.ir, {
      size: blockIds.length,
      code: (v) => this.blockCode(blockIds[v]!, entry),
      exit: (v): Exit => {
        const e = this.blockExit(blockIds[v]!);
        if (e.kind === 'none') return e;
        if (e.kind === 'goto') return { kind: 'goto', to: toTarget(e.to) };
        return { kind: 'cond', cond: e.cond, taken: toTarget(e.taken), fall: toTarget(e.fall) };
      },
    });
    if (structured) return structured;
    this.relooping = true;
    try {
      return this.relooperBody(entry, blockIds);
    } finally {
      this.relooping = false;
    }
  }

  relooperBody(entry: number, blockIds: readonly number[]): Expr {
    const ir = this.ir;
    const rl = ir.relooper();
    const rlBlock = new Map<number, number>();
    const special = new Map<string, number>();
    const target = (s: Successor): number => {
      if (s.kind === 'block') return rlBlock.get(s.block)!;
      const key = `${s.kind}:${s.pc}`;
      let b = special.get(key);
      if (b === undefined) special.set(key, b = rl.addBlock(this.specialCode(s)));
      return b;
    };
    for (const id of blockIds) rlBlock.set(id, rl.addBlock(ir.block(null, this.blockCode(id, entry))));
    for (const id of blockIds) {
      const from = rlBlock.get(id)!;
      const e = this.blockExit(id);
      if (e.kind === 'goto') rl.addBranch(from, target(e.to), null);
      else if (e.kind === 'cond') {
        const taken = target(e.taken), fall = target(e.fall);
        if (taken !== fall) rl.addBranch(from, taken, e.cond());
        rl.addBranch(from, fall, null);
      }
    }
    return rl.render(rlBlock.get(this.cfg.blockAt[entry]!)!, LABEL);
  }

  leanEntry(entry: number): boolean {
    // tail-call targets start with the caller's r10 and depth: the full signature
    return entry === 0 && !this.callTargets.has(0) && !this.opts.tailCalls;
  }

  // --- tail calls ----------------------------------------------------------------
  /**
   * bpf_tail_call(ctx, prog_array, index) with the kernel's checks in its order (../runtime/tail-calls.ts).
   * Success leaves the target's program id in tc_next and ctx in tc_ctx and returns from this function:
   * the loop after the call that entered it (tailDispatch) runs the target in this frame's place.
   */
  tailCall(): Expr {
    const ir = this.ir;
    const fail = `tail_fail${this.labels++}`;
    if (!this.helperImports.has(TAIL_CALL_HELPER)) {
      this.helperImports.set(TAIL_CALL_HELPER, { id: TAIL_CALL_HELPER, name: 'bpf_tail_call', kind: 'kernel', base: PROG_ARRAY_GET, params: ['i32', 'i32'], result: 'i32' });
      ir.importFunction(`h${TAIL_CALL_HELPER}`, KERNELS_MODULE, PROG_ARRAY_GET, ['i32', 'i32'], 'i32');
    }
    const slot = (): Expr => ir.get(T32A, 'i32');
    return ir.block(null, [
      ir.block(fail, [
        ir.set(T32A, this.low(3)),
        ir.br(fail, ir.bin32('ge_u', slot(), ir.load32(4, ir.bin32('add', this.low(2), ir.i32(MAP_MAX_ENTRIES_OFFSET))))),
        ir.br(fail, ir.bin32('ge_u', ir.gget(G.tcCount, 'i32'), ir.i32(MAX_TAIL_CALLS))),
        ir.gset(G.tcCount, ir.bin32('add', ir.gget(G.tcCount, 'i32'), ir.i32(1))),
        ir.set(T32A, ir.call(`h${TAIL_CALL_HELPER}`, [this.low(2), slot()], 'i32')),
        ir.br(fail, ir.un32('eqz', slot())),
        ir.br(fail, ir.bin32('ge_u', slot(), ir.tableSize(PROGS_TABLE))),
        ir.br(fail, ir.tableSlotEmpty(PROGS_TABLE, slot())),
        ir.gset(G.tcNext, slot()),
        ir.gset(G.tcCtx, this.reg(1)),
        ...this.syncBudget(),
        ir.ret(ir.i64(0n)),
      ]),
      this.setReg(0, ir.i64(BigInt(TAIL_CALL_FAILED))),
    ]);
  }

  /** After a call that may have tail-called: run each target in the callee's place until none is left. */
  tailDispatch(setR0: (v: Expr) => Expr, r10: () => Expr, depth: () => Expr): Expr {
    const ir = this.ir;
    const loop = `tail_dispatch${this.labels++}`;
    return ir.loop(loop, ir.if(ir.gget(G.tcNext, 'i32'), ir.block(null, [
      setR0(ir.callIndirect(PROGS_TABLE, ir.gget(G.tcNext, 'i32'), [ir.gget(G.tcCtx, 'i64'), r10(), depth()], TAIL_ENTRY_PARAMS, 'i64')),
      ir.br(loop),
    ])));
  }

  /** tailEntry(r1, r10, depth): this program as a tail-call target; clears tc_next (the dispatch loop's signal). */
  addTailEntry(): void {
    const ir = this.ir;
    const args: Expr[] = [];
    for (let r = 0; r < REGISTER_COUNT; r++) args.push(r === 1 ? ir.get(0, 'i64') : r === FRAME_POINTER ? ir.get(1, 'i64') : ir.i64(0n));
    args.push(ir.get(2, 'i32'));
    ir.addFunction(Exports.tailEntry, TAIL_ENTRY_PARAMS, 'i64', [], ir.block(null, [
      ir.gset(G.tcNext, ir.i32(0)),
      ir.call(funcName(0), args, 'i64'),
    ], 'i64'));
    ir.exportFunction(Exports.tailEntry, Exports.tailEntry);
  }

  translateFunction(entry: number): void {
    const ir = this.ir;
    const prologue: Expr[] = [];
    this.regLocal = this.leanEntry(entry) ? ENTRY_REG_LOCAL : SHARED_REG_LOCAL;
    if (this.leanEntry(entry)) prologue.push(this.setReg(FRAME_POINTER, ir.gget(G.top, 'i64')));
    if (this.program.instructions.some((i) => i.spec.kind === 'may_goto')) prologue.push(ir.set(MAY_GOTO, ir.i32(MAY_GOTO_LOOPS)));
    if (this.opts.budgeted) prologue.push(ir.set(REM, ir.gget(G.rem, 'i64')));
    this.usesViolationExit = false;
    this.usesDataWindow = false;
    const body = this.functionBody(entry);
    if (this.usesDataWindow) prologue.push(...this.loadDataWindow());
    let main = ir.block(null, [...prologue, body, ir.unreachable()], 'i64');
    if (this.usesViolationExit) {
      main = ir.block(null, [
        ir.block(VIOLATION_OUT, [ir.drop(main)]),
        ir.call(TRAP_IMPORT, [ir.i32(DiagnosticCode.MemoryAccessViolation), ir.get(TRAP_PC, 'i32')], 'none'),
        ir.unreachable(),
      ], 'i64');
    }
    const code = this.opts.budgeted
      ? ir.block(null, [
        ir.block(BUDGET_OUT, [ir.drop(main)]),
        ir.call(BUDGET_TRAP, [ir.get(TRAP_PC, 'i32'), ir.get(REM, 'i64')], 'none'),
        ir.unreachable(),
      ], 'i64')
      : main;
    if (this.leanEntry(entry)) {
      ir.addFunction(funcName(entry), ENTRY_PARAMS, 'i64', [...ENTRY_VARS, ...FUNC_VARS], code, [...ENTRY_LOCAL_NAMES, ...LOCAL_NAMES.slice(REGISTER_COUNT)]);
    } else {
      ir.addFunction(funcName(entry), FUNC_PARAMS, 'i64', FUNC_VARS, code, LOCAL_NAMES);
    }
    ir.setPositions(funcName(entry), this.positions);
    this.positions = [];
    this.regLocal = SHARED_REG_LOCAL;
  }

  // --- module ----------------------------------------------------------------------
  /** check(addr, size, pc) -> addr: the access must lie inside one region. */
  addCheckFunctions(): void {
    const ir = this.ir;
    const [A64, SIZE, PC, A, E] = [0, 1, 2, 3, 4];
    const a = (): Expr => ir.get(A, 'i32');
    const e = (): Expr => ir.get(E, 'i32');
    const violation = (): Expr => ir.block(null, [
      ir.call(TRAP_IMPORT, [ir.i32(DiagnosticCode.MemoryAccessViolation), ir.get(PC, 'i32')], 'none'), ir.unreachable()]);
    const body: Expr[] = [
      // above 2^31 nothing is mapped; below it, a + size cannot overflow 32 bits
      ir.if(ir.un64('eqz', ir.bin64('shr_u', ir.get(A64, 'i64'), ir.i64(BigInt(ADDRESS_BITS)))), ir.nop(), violation()),
      ir.set(A, ir.wrap(ir.get(A64, 'i64'))),
      ir.set(E, ir.bin32('add', a(), ir.get(SIZE, 'i32'))),
    ];
    for (const [lo, hi] of REGION_GLOBALS) {
      body.push(ir.if(ir.bin32('and', ir.bin32('ge_u', a(), ir.gget(lo, 'i32')), ir.bin32('le_u', e(), ir.gget(hi, 'i32'))), ir.ret(a())));
    }
    body.push(violation());
    ir.addFunction(CHECK, ['i64', 'i32', 'i32'], 'i32', ['i32', 'i32'], ir.block(null, body, 'i32'));
    ir.addFunction(CHECK_ALIGNED, ['i64', 'i32', 'i32'], 'i32', [], ir.block(null, [
      ir.if(ir.un64('eqz', ir.bin64('and', ir.get(A64, 'i64'), this.zext(ir.bin32('sub', ir.get(SIZE, 'i32'), ir.i32(1))))), ir.nop(), violation()),
      ir.call(CHECK, [ir.get(A64, 'i64'), ir.get(SIZE, 'i32'), ir.get(PC, 'i32')], 'i32'),
    ], 'i32'));
  }

  /** configureHeaders(mac, network, head): where ld_abs/ld_ind's SKF_LL_OFF / SKF_NET_OFF offsets point. */
  addHeaderGlobals(): void {
    const ir = this.ir;
    const names = [G_HEADERS.mac, G_HEADERS.network, G_HEADERS.head];
    for (const g of names) ir.addGlobal(g, 'i32', g === G_HEADERS.head ? 0 : -1);
    ir.addFunction(CONFIGURE_HEADERS_EXPORT, ['i32', 'i32', 'i32'], 'none', [], ir.block(null, names.map((g, i) => ir.gset(g, ir.get(i, 'i32')))));
    ir.exportFunction(CONFIGURE_HEADERS_EXPORT, CONFIGURE_HEADERS_EXPORT);
  }

  /** Entry exports: run, configure, budget access and the batch loop. */
  addEntryPoints(): void {
    const ir = this.ir;
    const pair = (lo: number): Expr => ir.bin64('or', this.zext(ir.get(lo, 'i32')), ir.bin64('shl', this.zext(ir.get(lo + 1, 'i32')), ir.i64(32n)));
    const callMain = (regs: Expr[], r0Local: number): Expr => {
      const args: Expr[] = [...regs];
      while (args.length < ENTRY_ARGS.length) args.push(ir.i64(0n));
      if (!this.leanEntry(0)) {
        args.unshift(ir.i64(0n));
        while (args.length < FRAME_POINTER) args.push(ir.i64(0n));
        args.push(ir.gget(G.top, 'i64'), ir.i32(0));
      }
      const call = ir.call(funcName(0), args, 'i64');
      if (!this.opts.tailCalls) return call;
      // a fresh tail-call count per run; the programs the run tail-calls run from this loop
      return ir.block(null, [
        ir.gset(G.tcCount, ir.i32(0)),
        ir.gset(G.tcNext, ir.i32(0)),
        ir.set(r0Local, call),
        this.tailDispatch((v) => ir.set(r0Local, v), () => ir.gget(G.top, 'i64'), () => ir.i32(0)),
        ir.get(r0Local, 'i64'),
      ], 'i64');
    };
    // run(r1lo, r1hi, …, r5lo, r5hi) -> r0 low
    const regs: Expr[] = [];
    for (let r = 0; r < 5; r++) regs.push(pair(r * 2));
    ir.addFunction(Exports.run, Array<ValType>(10).fill('i32'), 'i32', ['i64'], ir.block(null, [
      ir.gset(G.rem, ir.gget(G.budget, 'i64')),
      ir.set(10, callMain(regs, 10)),
      ir.gset(G.r0hi, ir.wrap(ir.bin64('shr_u', ir.get(10, 'i64'), ir.i64(32n)))),
      ir.wrap(ir.get(10, 'i64')),
    ], 'i32'));
    ir.exportFunction(Exports.run, Exports.run);
    ir.addFunction(Exports.r0hi, [], 'i32', [], ir.gget(G.r0hi, 'i32'));
    ir.exportFunction(Exports.r0hi, Exports.r0hi);
    const cfgGlobals = [G.stackLo, G.stackHi, G.ctxLo, G.ctxHi, G.dataLo, G.dataHi, G.heapLo, G.heapHi, G.top];
    ir.addFunction(Exports.configure, Array<ValType>(cfgGlobals.length).fill('i32'), 'none', [],
      ir.block(null, cfgGlobals.map((g, i) => ir.gset(g, g === G.top ? this.zext(ir.get(i, 'i32')) : ir.get(i, 'i32')))));
    ir.exportFunction(Exports.configure, Exports.configure);
    // Allowances from 2^63 up mean "unlimited" and are clamped: block charging tests the sign.
    ir.addFunction(Exports.setBudget, ['i32', 'i32'], 'none', [], ir.gset(G.budget,
      ir.if(ir.bin32('lt_s', ir.get(1, 'i32'), ir.i32(0)), ir.i64(MAX_ALLOWANCE), pair(0))));
    ir.exportFunction(Exports.setBudget, Exports.setBudget);
    ir.addFunction(Exports.remaining, [], 'i32', [], ir.wrap(ir.gget(G.rem, 'i64')));
    ir.exportFunction(Exports.remaining, Exports.remaining);
    ir.addFunction(Exports.remainingHi, [], 'i32', [], ir.wrap(ir.bin64('shr_u', ir.gget(G.rem, 'i64'), ir.i64(32n))));
    ir.exportFunction(Exports.remainingHi, Exports.remainingHi);

    if (this.opts.batch) this.addBatchEntry(callMain);
  }

  /**
   * batch(desc, count, results, start, ctx) -> index reached. desc holds (data address, length) i32 pairs;
   * results gets r0's low half per input. With a context (XDP), r1 = ctx and its data fields are written.
   */
  addBatchEntry(callMain: (regs: Expr[], r0Local: number) => Expr): void {
    const ir = this.ir;
    const [DESC, COUNT, RESULTS, I, CTX, OFF, LEN, R0] = [0, 1, 2, 3, 4, 5, 6, 7];
    const PAIR_BYTES = 8, RESULT_BYTES = 4;
    const get = (l: number): Expr => ir.get(l, 'i32');
    const bc = this.opts.batchContext;
    const body: Expr[] = [
      ir.gset(G.batchIndex, get(I)),
      ir.set(OFF, ir.load32(4, ir.bin32('add', get(DESC), ir.bin32('mul', get(I), ir.i32(PAIR_BYTES))))),
      ir.set(LEN, ir.load32(4, ir.bin32('add', ir.bin32('add', get(DESC), ir.bin32('mul', get(I), ir.i32(PAIR_BYTES))), ir.i32(4)))),
      ir.gset(G.dataLo, get(OFF)),
      ir.gset(G.dataHi, ir.bin32('add', get(OFF), get(LEN))),
      ...(this.opts.budgeted ? [ir.gset(G.rem, ir.gget(G.budget, 'i64'))] : []),
    ];
    let batchRegs: Expr[];
    if (bc) {
      const field = (o: number, v: Expr): Expr => ir.store64(4, ir.bin32('add', get(CTX), ir.i32(o)), this.zext(v));
      body.push(field(bc.data, get(OFF)), field(bc.dataEnd, ir.bin32('add', get(OFF), get(LEN))), field(bc.dataMeta, get(OFF)));
      batchRegs = [this.zext(get(CTX))];
    } else {
      batchRegs = [this.zext(get(OFF)), this.zext(get(LEN))];
    }
    body.push(
      ir.store64(4, ir.bin32('add', get(RESULTS), ir.bin32('mul', get(I), ir.i32(RESULT_BYTES))), callMain(batchRegs, R0)),
      ir.set(I, ir.bin32('add', get(I), ir.i32(1))),
      ir.br('next', ir.bin32('lt_u', get(I), get(COUNT))),
    );
    ir.addFunction(Exports.batch, ['i32', 'i32', 'i32', 'i32', 'i32'], 'i32', ['i32', 'i32', 'i64'], ir.block(null, [
      ir.if(ir.bin32('lt_u', get(I), get(COUNT)), ir.loop('next', ir.block(null, body))),
      get(I),
    ], 'i32'));
    ir.exportFunction(Exports.batch, Exports.batch);
    ir.addFunction(Exports.batchIndex, [], 'i32', [], ir.gget(G.batchIndex, 'i32'));
    ir.exportFunction(Exports.batchIndex, Exports.batchIndex);
  }

  translate(): Translation {
    const ir = this.ir;
    ir.importMemory({ module: ENV_MODULE, name: MEMORY_IMPORT, ...this.opts.memory });
    ir.importFunction(TRAP_IMPORT, ENV_MODULE, TRAP_IMPORT, ['i32', 'i32'], 'none');
    if (this.program.instructions.some((i) => i.spec.kind === 'callx')) {
      ir.importFunction(CALLX_IMPORT, ENV_MODULE, CALLX_IMPORT, ['i32', 'i64', 'i64', 'i64', 'i64', 'i64', 'i32'], 'i64');
    }
    if (this.opts.tailCalls) {
      // the run state every program of the object on this CPU shares (see abi.ts)
      for (const g of TAIL_SHARED_GLOBALS.i32) ir.importGlobal(g, ENV_MODULE, g, 'i32');
      for (const g of TAIL_SHARED_GLOBALS.i64) ir.importGlobal(g, ENV_MODULE, g, 'i64');
      ir.importTable(PROGS_TABLE, ENV_MODULE, TAIL_TABLE_IMPORT);
    } else {
      for (const g of [G.stackLo, G.stackHi, G.ctxLo, G.ctxHi, G.dataLo, G.dataHi, G.heapLo, G.heapHi]) ir.addGlobal(g, 'i32');
      for (const g of [G.top, G.rem]) ir.addGlobal(g, 'i64');
    }
    ir.addGlobal(G.budget, 'i64', this.opts.defaultBudget > MAX_ALLOWANCE ? MAX_ALLOWANCE : this.opts.defaultBudget);
    if (this.callTargets.size > 0) for (const r of RET_REGS) ir.addGlobal(retGlobal(r), 'i64');
    ir.addGlobal(G.r0hi, 'i32');
    ir.addGlobal(G.batchIndex, 'i32');
    if (this.opts.sandbox) this.addCheckFunctions();
    if (this.opts.budgeted) {
      ir.addFunction(BUDGET_TRAP, ['i32', 'i64'], 'none', [], ir.block(null, [
        ir.gset(G.rem, ir.get(1, 'i64')),
        ir.call(TRAP_IMPORT, [ir.i32(DiagnosticCode.InstructionBudgetExhausted), ir.get(0, 'i32')], 'none'),
        ir.unreachable(),
      ]));
    }
    for (const e of this.cfg.entries) this.translateFunction(e);
    this.addEntryPoints();
    if (this.usesHeaders) this.addHeaderGlobals();
    if (this.opts.tailCalls) this.addTailEntry();
    return {
      ir,
      helpers: [...this.helperImports.values()].map(({ id, name, kind, base }) => ({ id, name, kind, base })),
      usesCallx: this.usesCallx,
      functions: this.cfg.entries.length,
    };
  }
}

export function translate(program: Program, opts: TranslateOptions): Translation {
  const t = new Translator(program, opts);
  try {
    return t.translate();
  } catch (e) {
    t.ir.dispose();
    throw e;
  }
}
