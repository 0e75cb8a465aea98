/**
 * The reference interpreter: the engine's semantic reference for every
 * instruction. Registers are kept as pairs of 32-bit halves (no BigInt on the
 * hot path); the program is predecoded into flat typed arrays and dispatched
 * through one dense switch.
 *
 * Immediates live in the register file too: slot REG_COUNT + pc holds
 * instruction pc's sign-extended immediate, so an ALU or jump instruction
 * reads its operand from one index whether the source is a register or an
 * immediate, and each operation needs one case instead of two.
 */
import { ExecutionError } from '../diagnostics/index.js';
import { jumpTarget, type Program } from '../isa/instruction.js';
import { blockLengths } from '../isa/blocks.js';
import {
  AluOp, AtomicOp, CallSrc, FRAME_POINTER, JmpOp, MAX_CALL_FRAMES, REGISTER_COUNT, STACK_FRAME_BYTES,
} from '../isa/opcodes.js';
import type { InstructionSpec } from '../isa/spec.js';
import { SKF_LL_OFF, SKF_NET_OFF, type RunRegions } from '../runtime/layout.js';
import type { Machine } from '../runtime/machine.js';
import type { HelperSpec } from '../helpers/table.js';
import {
  BPF_LOOP_HELPER, BPF_MAX_LOOPS, CALLBACK_E2BIG, CALLBACK_EINVAL, CALLBACK_KEY_BYTES, LOOKUP_EXPORT, MAP_KEY_SIZE_OFFSET,
  NEXT_KEY_EXPORT, callbackId, callbackKeyBuffers, callbackTable, isCallbackHelper, isFuncLddw,
} from '../runtime/callbacks.js';
import { MAP_MAX_ENTRIES_OFFSET, MAX_TAIL_CALLS, TAIL_CALL_FAILED, TAIL_CALL_HELPER, tailCallPeers } from '../runtime/tail-calls.js';

/** Dense internal operation numbers, one per semantic operation. */
const enum Op {
  ADD64, SUB64, MUL64, DIV64, SDIV64, OR64, AND64, LSH64, RSH64, NEG64, MOD64, SMOD64, XOR64, MOV64, ARSH64,
  ADD32, SUB32, MUL32, DIV32, SDIV32, OR32, AND32, LSH32, RSH32, NEG32, MOD32, SMOD32, XOR32, MOV32, ARSH32,
  MOVSX8_64, MOVSX16_64, MOVSX32_64, MOVSX8_32, MOVSX16_32,
  LE16, LE32, LE64, BE16, BE32, BE64, BSWAP16, BSWAP32, BSWAP64,
  LDDW,
  LDX1, LDX2, LDX4, LDX8, LDXS1, LDXS2, LDXS4,
  ST1, ST2, ST4, ST8, STX1, STX2, STX4, STX8,
  ATOMIC_ADD32, ATOMIC_OR32, ATOMIC_AND32, ATOMIC_XOR32, ATOMIC_XCHG32, ATOMIC_CMPXCHG32,
  ATOMIC_ADD64, ATOMIC_OR64, ATOMIC_AND64, ATOMIC_XOR64, ATOMIC_XCHG64, ATOMIC_CMPXCHG64,
  JA,
  JEQ, JGT, JGE, JSET, JNE, JSGT, JSGE, JLT, JLE, JSLT, JSLE,
  JEQ32, JGT32, JGE32, JSET32, JNE32, JSGT32, JSGE32, JLT32, JLE32, JSLT32, JSLE32,
  MAY_GOTO, CALL_HELPER, CALL_LOCAL, CALL_KFUNC, CALLX, EXIT, TAIL_CALL, CALLBACK_HELPER,
  LDABS, LDIND,
  /** Sentinel one past the last slot: reaching it means falling off the end. */
  FELL_OFF,
}

const ALU_OPS_64: Record<number, Op> = {
  [AluOp.ADD]: Op.ADD64, [AluOp.SUB]: Op.SUB64, [AluOp.MUL]: Op.MUL64, [AluOp.DIV]: Op.DIV64,
  [AluOp.OR]: Op.OR64, [AluOp.AND]: Op.AND64, [AluOp.LSH]: Op.LSH64, [AluOp.RSH]: Op.RSH64,
  [AluOp.MOD]: Op.MOD64, [AluOp.XOR]: Op.XOR64, [AluOp.MOV]: Op.MOV64, [AluOp.ARSH]: Op.ARSH64,
};
/** The 32-bit op of each 64-bit one sits at the same distance in the enum. */
const ALU32_DELTA = Op.ADD32 - Op.ADD64;
const JMP_OPS: Record<number, Op> = {
  [JmpOp.JEQ]: Op.JEQ, [JmpOp.JGT]: Op.JGT, [JmpOp.JGE]: Op.JGE, [JmpOp.JSET]: Op.JSET, [JmpOp.JNE]: Op.JNE,
  [JmpOp.JSGT]: Op.JSGT, [JmpOp.JSGE]: Op.JSGE, [JmpOp.JLT]: Op.JLT, [JmpOp.JLE]: Op.JLE, [JmpOp.JSLT]: Op.JSLT,
  [JmpOp.JSLE]: Op.JSLE,
};
const JMP32_DELTA = Op.JEQ32 - Op.JEQ;
const ATOMIC_OPS: Record<number, Op> = {
  [AtomicOp.ADD]: Op.ATOMIC_ADD64, [AtomicOp.OR]: Op.ATOMIC_OR64, [AtomicOp.AND]: Op.ATOMIC_AND64,
  [AtomicOp.XOR]: Op.ATOMIC_XOR64, [AtomicOp.XCHG]: Op.ATOMIC_XCHG64, [AtomicOp.CMPXCHG]: Op.ATOMIC_CMPXCHG64,
};
const ATOMIC32_DELTA = Op.ATOMIC_ADD32 - Op.ATOMIC_ADD64;
const ATOMIC_FETCH_BIT = 0x01;

function opOf(spec: InstructionSpec, src: number): Op {
  switch (spec.kind) {
    case 'alu': {
      let op = ALU_OPS_64[spec.aluOp!]!;
      if (spec.discriminator?.field === 'off' && spec.discriminator.value === 1) {
        op = spec.aluOp === AluOp.DIV ? Op.SDIV64 : Op.SMOD64;
      }
      return spec.width === 32 ? op + ALU32_DELTA : op;
    }
    case 'neg': return spec.width === 32 ? Op.NEG32 : Op.NEG64;
    case 'movsx':
      if (spec.width === 64) return spec.size === 8 ? Op.MOVSX8_64 : spec.size === 16 ? Op.MOVSX16_64 : Op.MOVSX32_64;
      return spec.size === 8 ? Op.MOVSX8_32 : Op.MOVSX16_32;
    case 'end': {
      const base = spec.order === 'le' ? Op.LE16 : spec.order === 'be' ? Op.BE16 : Op.BSWAP16;
      return base + (spec.size === 16 ? 0 : spec.size === 32 ? 1 : 2);
    }
    case 'lddw': return Op.LDDW;
    case 'ldx': return spec.size === 1 ? Op.LDX1 : spec.size === 2 ? Op.LDX2 : spec.size === 4 ? Op.LDX4 : Op.LDX8;
    case 'ldxs': return spec.size === 1 ? Op.LDXS1 : spec.size === 2 ? Op.LDXS2 : Op.LDXS4;
    case 'st': return spec.size === 1 ? Op.ST1 : spec.size === 2 ? Op.ST2 : spec.size === 4 ? Op.ST4 : Op.ST8;
    case 'stx': return spec.size === 1 ? Op.STX1 : spec.size === 2 ? Op.STX2 : spec.size === 4 ? Op.STX4 : Op.STX8;
    case 'atomic': {
      const op = ATOMIC_OPS[spec.atomicOp! & ~ATOMIC_FETCH_BIT] ?? ATOMIC_OPS[spec.atomicOp!]!;
      return spec.width === 32 ? op + ATOMIC32_DELTA : op;
    }
    case 'ja': return Op.JA;
    case 'jcond': { const op = JMP_OPS[spec.jmpOp!]!; return spec.width === 32 ? op + JMP32_DELTA : op; }
    case 'may_goto': return Op.MAY_GOTO;
    case 'call': return src === CallSrc.LOCAL ? Op.CALL_LOCAL : src === CallSrc.KFUNC ? Op.CALL_KFUNC : Op.CALL_HELPER;
    case 'callx': return Op.CALLX;
    case 'exit': return Op.EXIT;
    case 'ldabs': return Op.LDABS;
    case 'ldind': return Op.LDIND;
  }
}

export interface InterpreterOptions {
  /** Run with the sandbox's region checks (code that no verifier accepted). */
  unverified?: boolean;
  /** Executed-instruction budget per run (see docs/ARCHITECTURE.md). */
  budget?: number;
}

/** Entry registers of a run: r1..r5 as unsigned 32-bit values (pointers are addresses). */
export interface RunArgs {
  r1?: number; r2?: number; r3?: number; r4?: number; r5?: number;
  regions: RunRegions;
}

export const DEFAULT_BUDGET = 100_000_000;
/** The kernel's BPF_MAX_LOOPS: may_goto iterations per frame. */
const MAY_GOTO_LIMIT = 8 * 1024 * 1024;
const TWO32 = 4294967296;
const LEADER_BIT = 1 << 12;
const MAX_SAFE_HI = 0x1fffff; // |value| < 2^53 when hi <= this

function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const t = a0 * b0;
  const m1 = a1 * b0 + (t >>> 16);
  const m2 = a0 * b1 + (m1 & 0xffff);
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16)) | 0;
}
/**
 * Effective address of base register + off for an access of `size` bytes.
 * Outside the sandbox only the 64-bit range is checked (the address must fit
 * linear memory); inside it the access must lie in one of the run's regions.
 */
function addr(RL: Int32Array, RH: Int32Array, bounds: Float64Array, sandbox: boolean,
  base: number, off: number, size: number, pc: number): number {
  const bl = RL[base]!;
  const lo = (bl + off) | 0;
  // carry into the high half of the 64-bit sum base + sign-extended off
  const hi = (RH[base]! + (off >> 31) + ((lo >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
  const a = lo >>> 0;
  // verified code stays in its regions, except kernel-struct (BTF) pointers, which the kernel reads
  // as PROBE_MEM: those must still fit linear memory (bounds[MEMORY_END])
  if (hi !== 0 || (sandbox ? !inRegions(bounds, a, a + size) : a + size > bounds[MEMORY_END]!)) {
    throw new ExecutionError('MemoryAccessViolation', pc, `invalid memory access of ${size} bytes at 0x${toBig(lo, hi).toString(16)}`);
  }
  return a;
}
/** bounds[]: four [start, end) region pairs, then the end of linear memory. */
const MEMORY_END = 8;
function inRegions(b: Float64Array, a: number, e: number): boolean {
  return (a >= b[0]! && e <= b[1]!) || (a >= b[2]! && e <= b[3]!) || (a >= b[4]! && e <= b[5]!) || (a >= b[6]! && e <= b[7]!);
}
function atomicAddr(RL: Int32Array, RH: Int32Array, bounds: Float64Array, sandbox: boolean,
  base: number, off: number, size: number, pc: number): number {
  const a = addr(RL, RH, bounds, sandbox, base, off, size, pc);
  if (a % size !== 0) throw new ExecutionError('MemoryAccessViolation', pc, `misaligned atomic access at 0x${a.toString(16)}`);
  return a;
}
/**
 * The kernel's bpf_internal_load_pointer_neg_helper: offsets from SKF_NET_OFF
 * address the network header, from SKF_LL_OFF the MAC header; the bytes must
 * lie between the buffer head and the packet's tail. -1 when they do not.
 */
function negativeLoadAddress(regions: RunRegions, off: number, size: number, tail: number): number {
  const h = regions.headers;
  if (!h) return -1;
  let ptr: number;
  if (off >= SKF_NET_OFF) ptr = h.network < 0 ? -1 : h.network + off - SKF_NET_OFF;
  else if (off >= SKF_LL_OFF) ptr = h.mac < 0 ? -1 : h.mac + off - SKF_LL_OFF;
  else return -1;
  return ptr >= h.head && ptr + size <= tail ? ptr : -1;
}
/** A running bpf_loop / bpf_for_each_map_elem: the state its callback returns to. */
interface CallbackLoop {
  loop: boolean;
  /** Entry pc of the callback. */
  entry: number;
  /** Iterations run (bpf_loop: the next index). */
  count: number;
  /** bpf_loop's nr_loops; for a map, an upper bound on visits (max_entries). */
  limit: number;
  ctxLo: number; ctxHi: number;
  map: number;
  /** Key buffers (two, used in turn) of a map iteration, and the previous key (0: none yet). */
  keys: number;
  prev: number;
  keySize: number;
  /** r1..r5 at the call (lo, hi pairs): they keep their values across the helper. */
  saved: Int32Array;
}
function toBig(lo: number, hi: number): bigint { return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0); }
function toBigSigned(lo: number, hi: number): bigint { return (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0); }
function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

export class Interpreter {
  /** High half of r0 after the last run. */
  r0hi = 0;
  /** Instructions executed by the last run (counted per block). */
  executed = 0;

  private readonly ops: Uint8Array;
  /** op | dst << 8 | (block leader) << 12: one load per dispatch. */
  private readonly words: Int32Array;
  /** Operand index: a source register, or REGISTER_COUNT + pc for an immediate. */
  private readonly srcs: Int32Array;
  private readonly offs: Int32Array;
  private readonly targets: Int32Array;
  /** Per-instruction extra: the fetch flag of atomics, the size of ld_abs/ld_ind. */
  private readonly aux: Uint8Array;
  private readonly blocks: Int32Array;
  private readonly helperAt: (HelperSpec | undefined)[];
  /** Entry pc of each callback id (index id - 1), see ../runtime/callbacks.ts. */
  private readonly callbacks: number[];
  private readonly bounds = new Float64Array(MEMORY_END + 1);
  private readonly RL: Int32Array;
  private readonly RH: Int32Array;
  private readonly slotCount: number;
  private readonly unverified: boolean;
  private readonly budget: number;

  constructor(private readonly program: Program, private readonly machine: Machine, opts: InterpreterOptions = {}) {
    const n = program.slotCount;
    this.slotCount = n;
    this.unverified = opts.unverified ?? false;
    this.budget = opts.budget ?? DEFAULT_BUDGET;
    this.ops = new Uint8Array(n + 1);
    this.words = new Int32Array(n + 1);
    this.ops[n] = Op.FELL_OFF;
    this.words[n] = Op.FELL_OFF;
    this.srcs = new Int32Array(n + 1);
    this.offs = new Int32Array(n);
    this.targets = new Int32Array(n);
    this.aux = new Uint8Array(n);
    this.helperAt = new Array(n);
    this.RL = new Int32Array(REGISTER_COUNT + n);
    this.RH = new Int32Array(REGISTER_COUNT + n);
    this.blocks = blockLengths(program);
    this.callbacks = callbackTable(program);
    for (const insn of program.instructions) {
      const pc = insn.pc;
      const helperCall = insn.spec.kind === 'call' && insn.src === CallSrc.HELPER;
      const op = helperCall && insn.imm === TAIL_CALL_HELPER ? Op.TAIL_CALL
        : helperCall && isCallbackHelper(insn.imm) ? Op.CALLBACK_HELPER : opOf(insn.spec, insn.src);
      this.ops[pc] = op;
      this.words[pc] = op | (insn.dst << 8) | (this.blocks[pc] !== 0 ? LEADER_BIT : 0);
      this.offs[pc] = insn.off;
      const k = REGISTER_COUNT + pc;
      if (op === Op.LDDW && isFuncLddw(insn)) { this.RL[k] = callbackId(this.callbacks, insn); this.RH[k] = 0; }
      else if (op === Op.LDDW) { this.RL[k] = insn.imm; this.RH[k] = insn.immHi!; }
      else { this.RL[k] = insn.imm; this.RH[k] = insn.imm >> 31; }
      const immediate = insn.spec.source === 'imm' || insn.spec.kind === 'lddw' || insn.spec.kind === 'ldabs';
      this.srcs[pc] = immediate ? k : insn.spec.kind === 'callx' ? insn.dst : insn.src;
      const kind = insn.spec.kind;
      if (kind === 'ja' || kind === 'jcond' || kind === 'may_goto' || op === Op.CALL_LOCAL) {
        const t = jumpTarget(insn);
        if (t < 0 || t >= n || program.indexBySlot[t] === -1) {
          throw new ExecutionError('JumpOutOfRange', pc, `jump out of range from insn ${pc} to ${t}`);
        }
        this.targets[pc] = t;
      }
      if (op === Op.CALL_HELPER) this.helperAt[pc] = machine.helpers.get(insn.imm);
      if (kind === 'atomic') this.aux[pc] = insn.imm & ATOMIC_FETCH_BIT;
      if (kind === 'ldabs' || kind === 'ldind') this.aux[pc] = insn.spec.size!;
    }
  }

  /** r0 of the last run as an unsigned 64-bit BigInt. */
  r0(lo: number): bigint { return toBig(lo, this.r0hi); }

  /**
   * Runs the program once on `cpu`. Returns the low 32 bits of r0 (the high
   * half is in `r0hi`). Throws ExecutionError on a trap.
   */
  run(cpu: number, args: RunArgs): number {
    const machine = this.machine;
    machine.cpu = cpu;
    const area = machine.area(cpu);
    // `let`: a tail call switches to the target program's tables (and register file: RL/RH hold its immediates too)
    let RL = this.RL, RH = this.RH;
    let ops = this.ops, words = this.words, srcs = this.srcs, offs = this.offs, targets = this.targets, aux = this.aux;
    let blocks = this.blocks;
    /** The program whose tables are running, and the program of each caller frame. */
    let cur: Interpreter = this;
    const frameProgs: Interpreter[] = [];
    let tailCalls = 0;
    const budget = this.budget;
    const sandbox = this.unverified;
    const { stack, ctx, data, heap } = args.regions;
    const s0 = stack.start, s1 = stack.end, c0 = ctx.start, c1 = ctx.end;
    let d0 = data.start, d1 = data.end;
    const h0 = heap.start, h1 = heap.end;
    let buf = machine.memory.buffer;
    let dv = new DataView(buf);
    let u8 = new Uint8Array(buf);

    for (let r = 0; r < REGISTER_COUNT; r++) { RL[r] = 0; RH[r] = 0; }
    RL[1] = args.r1 ?? 0; RL[2] = args.r2 ?? 0; RL[3] = args.r3 ?? 0; RL[4] = args.r4 ?? 0; RL[5] = args.r5 ?? 0;
    RL[FRAME_POINTER] = area.stackTop;

    // Saved state of callers: return pc, r6..r9 and r10 (lo/hi), may_goto counter.
    const FRAME_WORDS = 12;
    const frames = new Int32Array(MAX_CALL_FRAMES * FRAME_WORDS);
    /** The callback loop each frame is running (by the frame's depth), if any. */
    let loops: (CallbackLoop | undefined)[] | undefined;
    let depth = 0;
    let mayGoto = MAY_GOTO_LIMIT;
    let executed = 0;
    let pc = 0;

    // Region bounds for the sandbox: [start, end) pairs of stack, data, ctx, heap.
    const bounds = this.bounds;
    bounds[0] = s0; bounds[1] = s1; bounds[2] = d0; bounds[3] = d1; bounds[4] = c0; bounds[5] = c1; bounds[6] = h0; bounds[7] = h1;
    bounds[MEMORY_END] = buf.byteLength;

    for (;;) {
      const w = words[pc]!;
      if ((w & LEADER_BIT) !== 0) {
        const bl = blocks[pc]!;
        if (executed + bl > budget) {
          this.executed = executed;
          throw new ExecutionError('InstructionBudgetExhausted', pc, `instruction budget of ${budget} exhausted`);
        }
        executed += bl;
      }
      const d = (w >> 8) & 0xf;
      const s = srcs[pc]!;
      switch (w & 0xff) {
        // ---- 64-bit ALU
        case Op.ADD64: {
          const lo = (RL[d]! + RL[s]!) | 0;
          RH[d] = (RH[d]! + RH[s]! + ((lo >>> 0) < (RL[d]! >>> 0) ? 1 : 0)) | 0; RL[d] = lo; break;
        }
        case Op.SUB64: {
          const lo = (RL[d]! - RL[s]!) | 0;
          RH[d] = (RH[d]! - RH[s]! - ((RL[d]! >>> 0) < (RL[s]! >>> 0) ? 1 : 0)) | 0; RL[d] = lo; break;
        }
        case Op.MUL64: {
          const al = RL[d]!, ah = RH[d]!, bl2 = RL[s]!, bh = RH[s]!;
          RH[d] = (mulhiU32(al >>> 0, bl2 >>> 0) + Math.imul(al, bh) + Math.imul(ah, bl2)) | 0;
          RL[d] = Math.imul(al, bl2); break;
        }
        case Op.DIV64: case Op.MOD64: {
          const isDiv = ops[pc] === Op.DIV64;
          const bl2 = RL[s]!, bh = RH[s]!;
          if (bl2 === 0 && bh === 0) { if (isDiv) { RL[d] = 0; RH[d] = 0; } break; }
          if ((RH[d]! >>> 0) <= MAX_SAFE_HI && (bh >>> 0) <= MAX_SAFE_HI) {
            const a = (RH[d]! >>> 0) * TWO32 + (RL[d]! >>> 0), b = (bh >>> 0) * TWO32 + (bl2 >>> 0);
            const r = isDiv ? Math.floor(a / b) : a % b;
            RL[d] = r | 0; RH[d] = Math.floor(r / TWO32) | 0;
          } else {
            const a = toBig(RL[d]!, RH[d]!), b = toBig(bl2, bh);
            const r = isDiv ? a / b : a % b;
            RL[d] = Number(r & 0xffffffffn) | 0; RH[d] = Number(r >> 32n) | 0;
          }
          break;
        }
        case Op.SDIV64: case Op.SMOD64: {
          const isDiv = ops[pc] === Op.SDIV64;
          const bl2 = RL[s]!, bh = RH[s]!;
          if (bl2 === 0 && bh === 0) { if (isDiv) { RL[d] = 0; RH[d] = 0; } break; }
          const a = toBigSigned(RL[d]!, RH[d]!), b = toBigSigned(bl2, bh);
          // INT64_MIN / -1 wraps to INT64_MIN; INT64_MIN % -1 is 0 (BigInt gives the exact 2^63)
          const r = BigInt.asUintN(64, isDiv ? a / b : a % b);
          RL[d] = Number(r & 0xffffffffn) | 0; RH[d] = Number(r >> 32n) | 0;
          break;
        }
        case Op.OR64: RL[d] = RL[d]! | RL[s]!; RH[d] = RH[d]! | RH[s]!; break;
        case Op.AND64: RL[d] = RL[d]! & RL[s]!; RH[d] = RH[d]! & RH[s]!; break;
        case Op.XOR64: RL[d] = RL[d]! ^ RL[s]!; RH[d] = RH[d]! ^ RH[s]!; break;
        case Op.MOV64: RL[d] = RL[s]!; RH[d] = RH[s]!; break;
        case Op.LSH64: {
          const k = RL[s]! & 63, lo = RL[d]!, hi = RH[d]!;
          if (k === 0) break;
          if (k < 32) { RH[d] = (hi << k) | (lo >>> (32 - k)); RL[d] = lo << k; }
          else { RH[d] = lo << (k - 32); RL[d] = 0; }
          break;
        }
        case Op.RSH64: {
          const k = RL[s]! & 63, lo = RL[d]!, hi = RH[d]!;
          if (k === 0) break;
          if (k < 32) { RL[d] = (lo >>> k) | (hi << (32 - k)); RH[d] = hi >>> k; }
          else { RL[d] = hi >>> (k - 32); RH[d] = 0; }
          break;
        }
        case Op.ARSH64: {
          const k = RL[s]! & 63, lo = RL[d]!, hi = RH[d]!;
          if (k === 0) break;
          if (k < 32) { RL[d] = (lo >>> k) | (hi << (32 - k)); RH[d] = hi >> k; }
          else { RL[d] = hi >> (k - 32); RH[d] = hi >> 31; }
          break;
        }
        case Op.NEG64: {
          const lo = RL[d]!, hi = RH[d]!;
          RL[d] = -lo | 0; RH[d] = (~hi + (lo === 0 ? 1 : 0)) | 0; break;
        }
        // ---- 32-bit ALU: results zero-extend
        case Op.ADD32: RL[d] = (RL[d]! + RL[s]!) | 0; RH[d] = 0; break;
        case Op.SUB32: RL[d] = (RL[d]! - RL[s]!) | 0; RH[d] = 0; break;
        case Op.MUL32: RL[d] = Math.imul(RL[d]!, RL[s]!); RH[d] = 0; break;
        case Op.DIV32: { const b = RL[s]! >>> 0; RL[d] = b === 0 ? 0 : ((RL[d]! >>> 0) / b) | 0; RH[d] = 0; break; }
        case Op.MOD32: { const b = RL[s]! >>> 0; if (b !== 0) RL[d] = ((RL[d]! >>> 0) % b) | 0; RH[d] = 0; break; }
        case Op.SDIV32: {
          const b = RL[s]!;
          RL[d] = b === 0 ? 0 : (RL[d]! === -0x80000000 && b === -1) ? RL[d]! : (RL[d]! / b) | 0; RH[d] = 0; break;
        }
        case Op.SMOD32: {
          const b = RL[s]!;
          if (b !== 0) RL[d] = b === -1 ? 0 : (RL[d]! % b) | 0;
          RH[d] = 0; break;
        }
        case Op.OR32: RL[d] = RL[d]! | RL[s]!; RH[d] = 0; break;
        case Op.AND32: RL[d] = RL[d]! & RL[s]!; RH[d] = 0; break;
        case Op.XOR32: RL[d] = RL[d]! ^ RL[s]!; RH[d] = 0; break;
        case Op.MOV32: RL[d] = RL[s]!; RH[d] = 0; break;
        case Op.LSH32: RL[d] = RL[d]! << (RL[s]! & 31); RH[d] = 0; break;
        case Op.RSH32: RL[d] = RL[d]! >>> (RL[s]! & 31); RH[d] = 0; break;
        case Op.ARSH32: RL[d] = RL[d]! >> (RL[s]! & 31); RH[d] = 0; break;
        case Op.NEG32: RL[d] = -RL[d]! | 0; RH[d] = 0; break;
        case Op.MOVSX8_64: RL[d] = (RL[s]! << 24) >> 24; RH[d] = RL[d]! >> 31; break;
        case Op.MOVSX16_64: RL[d] = (RL[s]! << 16) >> 16; RH[d] = RL[d]! >> 31; break;
        case Op.MOVSX32_64: RL[d] = RL[s]!; RH[d] = RL[s]! >> 31; break;
        case Op.MOVSX8_32: RL[d] = (RL[s]! << 24) >> 24; RH[d] = 0; break;
        case Op.MOVSX16_32: RL[d] = (RL[s]! << 16) >> 16; RH[d] = 0; break;
        // ---- byte order (the host, like every wasm host, is little-endian)
        case Op.LE16: RL[d] = RL[d]! & 0xffff; RH[d] = 0; break;
        case Op.LE32: RH[d] = 0; break;
        case Op.LE64: break;
        case Op.BE16: case Op.BSWAP16: { const x = RL[d]!; RL[d] = ((x & 0xff) << 8) | ((x >>> 8) & 0xff); RH[d] = 0; break; }
        case Op.BE32: case Op.BSWAP32: RL[d] = bswap32(RL[d]!); RH[d] = 0; break;
        case Op.BE64: case Op.BSWAP64: { const lo = RL[d]!; RL[d] = bswap32(RH[d]!); RH[d] = bswap32(lo); break; }
        case Op.LDDW: RL[d] = RL[s]!; RH[d] = RH[s]!; pc++; break;
        // ---- memory
        case Op.LDX1: RL[d] = u8[addr(RL, RH, bounds, sandbox, s, offs[pc]!, 1, pc)]!; RH[d] = 0; break;
        case Op.LDX2: RL[d] = dv.getUint16(addr(RL, RH, bounds, sandbox, s, offs[pc]!, 2, pc), true); RH[d] = 0; break;
        case Op.LDX4: RL[d] = dv.getInt32(addr(RL, RH, bounds, sandbox, s, offs[pc]!, 4, pc), true); RH[d] = 0; break;
        case Op.LDX8: { const a = addr(RL, RH, bounds, sandbox, s, offs[pc]!, 8, pc); RL[d] = dv.getInt32(a, true); RH[d] = dv.getInt32(a + 4, true); break; }
        case Op.LDXS1: RL[d] = dv.getInt8(addr(RL, RH, bounds, sandbox, s, offs[pc]!, 1, pc)); RH[d] = RL[d]! >> 31; break;
        case Op.LDXS2: RL[d] = dv.getInt16(addr(RL, RH, bounds, sandbox, s, offs[pc]!, 2, pc), true); RH[d] = RL[d]! >> 31; break;
        case Op.LDXS4: RL[d] = dv.getInt32(addr(RL, RH, bounds, sandbox, s, offs[pc]!, 4, pc), true); RH[d] = RL[d]! >> 31; break;
        case Op.ST1: case Op.STX1: u8[addr(RL, RH, bounds, sandbox, d, offs[pc]!, 1, pc)] = RL[s]!; break;
        case Op.ST2: case Op.STX2: dv.setUint16(addr(RL, RH, bounds, sandbox, d, offs[pc]!, 2, pc), RL[s]! & 0xffff, true); break;
        case Op.ST4: case Op.STX4: dv.setInt32(addr(RL, RH, bounds, sandbox, d, offs[pc]!, 4, pc), RL[s]!, true); break;
        case Op.ST8: case Op.STX8: {
          const a = addr(RL, RH, bounds, sandbox, d, offs[pc]!, 8, pc); dv.setInt32(a, RL[s]!, true); dv.setInt32(a + 4, RH[s]!, true); break;
        }
        // ---- atomics: single-threaded here; the JIT uses real wasm atomics on shared memory
        case Op.ATOMIC_ADD32: case Op.ATOMIC_OR32: case Op.ATOMIC_AND32: case Op.ATOMIC_XOR32: case Op.ATOMIC_XCHG32: {
          const a = atomicAddr(RL, RH, bounds, sandbox, d, offs[pc]!, 4, pc), old = dv.getInt32(a, true), v = RL[s]!;
          const o = ops[pc];
          dv.setInt32(a, o === Op.ATOMIC_ADD32 ? (old + v) | 0 : o === Op.ATOMIC_OR32 ? old | v
            : o === Op.ATOMIC_AND32 ? old & v : o === Op.ATOMIC_XOR32 ? old ^ v : v, true);
          if (o === Op.ATOMIC_XCHG32 || aux[pc] !== 0) {
            RL[s] = old; RH[s] = 0;
          }
          break;
        }
        case Op.ATOMIC_CMPXCHG32: {
          const a = atomicAddr(RL, RH, bounds, sandbox, d, offs[pc]!, 4, pc), old = dv.getInt32(a, true);
          if (old === RL[0]) dv.setInt32(a, RL[s]!, true);
          RL[0] = old; RH[0] = 0; break;
        }
        case Op.ATOMIC_ADD64: case Op.ATOMIC_OR64: case Op.ATOMIC_AND64: case Op.ATOMIC_XOR64: case Op.ATOMIC_XCHG64: {
          const a = atomicAddr(RL, RH, bounds, sandbox, d, offs[pc]!, 8, pc);
          const ol = dv.getInt32(a, true), oh = dv.getInt32(a + 4, true), vl = RL[s]!, vh = RH[s]!;
          const o = ops[pc];
          let nl: number, nh: number;
          if (o === Op.ATOMIC_ADD64) { nl = (ol + vl) | 0; nh = (oh + vh + ((nl >>> 0) < (ol >>> 0) ? 1 : 0)) | 0; }
          else if (o === Op.ATOMIC_OR64) { nl = ol | vl; nh = oh | vh; }
          else if (o === Op.ATOMIC_AND64) { nl = ol & vl; nh = oh & vh; }
          else if (o === Op.ATOMIC_XOR64) { nl = ol ^ vl; nh = oh ^ vh; }
          else { nl = vl; nh = vh; }
          dv.setInt32(a, nl, true); dv.setInt32(a + 4, nh, true);
          if (o === Op.ATOMIC_XCHG64 || aux[pc] !== 0) {
            RL[s] = ol; RH[s] = oh;
          }
          break;
        }
        case Op.ATOMIC_CMPXCHG64: {
          const a = atomicAddr(RL, RH, bounds, sandbox, d, offs[pc]!, 8, pc);
          const ol = dv.getInt32(a, true), oh = dv.getInt32(a + 4, true);
          if (ol === RL[0] && oh === RH[0]) { dv.setInt32(a, RL[s]!, true); dv.setInt32(a + 4, RH[s]!, true); }
          RL[0] = ol; RH[0] = oh; break;
        }
        // ---- jumps
        case Op.JA: pc = targets[pc]!; continue;
        case Op.JEQ: if (RL[d] === RL[s] && RH[d] === RH[s]) { pc = targets[pc]!; continue; } break;
        case Op.JNE: if (RL[d] !== RL[s] || RH[d] !== RH[s]) { pc = targets[pc]!; continue; } break;
        case Op.JSET: if ((RL[d]! & RL[s]!) !== 0 || (RH[d]! & RH[s]!) !== 0) { pc = targets[pc]!; continue; } break;
        case Op.JGT: {
          const a = RH[d]! >>> 0, b = RH[s]! >>> 0;
          if (a > b || (a === b && (RL[d]! >>> 0) > (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JGE: {
          const a = RH[d]! >>> 0, b = RH[s]! >>> 0;
          if (a > b || (a === b && (RL[d]! >>> 0) >= (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JLT: {
          const a = RH[d]! >>> 0, b = RH[s]! >>> 0;
          if (a < b || (a === b && (RL[d]! >>> 0) < (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JLE: {
          const a = RH[d]! >>> 0, b = RH[s]! >>> 0;
          if (a < b || (a === b && (RL[d]! >>> 0) <= (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JSGT: {
          const a = RH[d]!, b = RH[s]!;
          if (a > b || (a === b && (RL[d]! >>> 0) > (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JSGE: {
          const a = RH[d]!, b = RH[s]!;
          if (a > b || (a === b && (RL[d]! >>> 0) >= (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JSLT: {
          const a = RH[d]!, b = RH[s]!;
          if (a < b || (a === b && (RL[d]! >>> 0) < (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JSLE: {
          const a = RH[d]!, b = RH[s]!;
          if (a < b || (a === b && (RL[d]! >>> 0) <= (RL[s]! >>> 0))) { pc = targets[pc]!; continue; } break;
        }
        case Op.JEQ32: if (RL[d] === RL[s]) { pc = targets[pc]!; continue; } break;
        case Op.JNE32: if (RL[d] !== RL[s]) { pc = targets[pc]!; continue; } break;
        case Op.JSET32: if ((RL[d]! & RL[s]!) !== 0) { pc = targets[pc]!; continue; } break;
        case Op.JGT32: if ((RL[d]! >>> 0) > (RL[s]! >>> 0)) { pc = targets[pc]!; continue; } break;
        case Op.JGE32: if ((RL[d]! >>> 0) >= (RL[s]! >>> 0)) { pc = targets[pc]!; continue; } break;
        case Op.JLT32: if ((RL[d]! >>> 0) < (RL[s]! >>> 0)) { pc = targets[pc]!; continue; } break;
        case Op.JLE32: if ((RL[d]! >>> 0) <= (RL[s]! >>> 0)) { pc = targets[pc]!; continue; } break;
        case Op.JSGT32: if (RL[d]! > RL[s]!) { pc = targets[pc]!; continue; } break;
        case Op.JSGE32: if (RL[d]! >= RL[s]!) { pc = targets[pc]!; continue; } break;
        case Op.JSLT32: if (RL[d]! < RL[s]!) { pc = targets[pc]!; continue; } break;
        case Op.JSLE32: if (RL[d]! <= RL[s]!) { pc = targets[pc]!; continue; } break;
        case Op.MAY_GOTO:
          // The kernel's semantics: fall through while iterations remain, then take the jump.
          if (mayGoto === 0) { pc = targets[pc]!; continue; }
          mayGoto--; break;
        // ---- calls
        case Op.CALL_HELPER: case Op.CALLX: {
          const helper = ops[pc] === Op.CALLX ? machine.helpers.get(RL[s]! >>> 0) : cur.helperAt[pc];
          const id = ops[pc] === Op.CALLX ? RL[s]! >>> 0 : RL[s]!;
          cur.callHelper(helper, id, pc);
          if (machine.memory.buffer !== buf) {
            // a helper grew memory: views and the heap bound follow it
            buf = machine.memory.buffer; dv = new DataView(buf); u8 = new Uint8Array(buf); bounds[MEMORY_END] = buf.byteLength;
            bounds[7] = buf.byteLength;
          }
          // a helper that moved the packet (skb_change_head, adjust_room…) moved the data window too
          if (args.regions.data.start !== d0 || args.regions.data.end !== d1) {
            d0 = args.regions.data.start; d1 = args.regions.data.end; bounds[2] = d0; bounds[3] = d1;
          }
          break;
        }
        case Op.TAIL_CALL: {
          // bpf_tail_call(ctx = r1, prog_array = r2, index = r3): see ../runtime/tail-calls.ts
          const next = this.tailTarget(RL[2]! >>> 0, RL[3]! >>> 0, tailCalls, pc);
          if (next === null) { RL[0] = TAIL_CALL_FAILED; RH[0] = -1; break; }
          tailCalls = next.count;
          const to = next.target;
          if (to) {
            // the target replaces this frame: same r1 (ctx) and r10, its own code and may_goto allowance
            for (let r = 0; r < REGISTER_COUNT; r++) { to.RL[r] = RL[r]!; to.RH[r] = RH[r]!; }
            cur = to;
            RL = to.RL; RH = to.RH; ops = to.ops; words = to.words; srcs = to.srcs; offs = to.offs; targets = to.targets;
            aux = to.aux; blocks = to.blocks;
            mayGoto = MAY_GOTO_LIMIT;
            pc = 0;
            continue;
          }
          RL[0] = TAIL_CALL_FAILED; RH[0] = -1;
          break;
        }
        case Op.CALLBACK_HELPER: {
          const st = cur.startCallbackLoop(RL, RH, pc, area.stackTop, depth);
          if (st === null) break; // r0 holds the result (an error, or no iteration)
          (loops ??= [])[depth] = st;
          // the callback (its r1..r5 are set) runs as a bpf-to-bpf call that returns to this pc
          frameProgs[depth] = cur;
          if (depth + 1 >= MAX_CALL_FRAMES) {
            throw new ExecutionError('CallDepthExceeded', pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
          }
          const f = depth * FRAME_WORDS;
          frames[f] = pc;
          for (let r = 6; r <= FRAME_POINTER; r++) { frames[f + 1 + (r - 6) * 2] = RL[r]!; frames[f + 2 + (r - 6) * 2] = RH[r]!; }
          frames[f + 11] = mayGoto;
          depth++;
          RL[FRAME_POINTER] = (RL[FRAME_POINTER]! - STACK_FRAME_BYTES) | 0;
          mayGoto = MAY_GOTO_LIMIT;
          pc = st.entry;
          continue;
        }
        case Op.CALL_LOCAL: {
          frameProgs[depth] = cur;
          if (depth + 1 >= MAX_CALL_FRAMES) {
            throw new ExecutionError('CallDepthExceeded', pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
          }
          const f = depth * FRAME_WORDS;
          frames[f] = pc + 1;
          for (let r = 6; r <= FRAME_POINTER; r++) { frames[f + 1 + (r - 6) * 2] = RL[r]!; frames[f + 2 + (r - 6) * 2] = RH[r]!; }
          frames[f + 11] = mayGoto;
          depth++;
          RL[FRAME_POINTER] = (RL[FRAME_POINTER]! - STACK_FRAME_BYTES) | 0;
          mayGoto = MAY_GOTO_LIMIT;
          pc = targets[pc]!;
          continue;
        }
        case Op.CALL_KFUNC:
          throw new ExecutionError('UnknownHelper', pc, `kfunc call (BTF id ${RL[s]}) has no implementation here`);
        case Op.EXIT: {
          if (depth === 0) {
            this.r0hi = RH[0]!;
            this.executed = executed;
            return RL[0]!;
          }
          depth--;
          const caller = frameProgs[depth]!;
          if (caller !== cur) {
            // the callee tail-called another program: return into the caller's program
            for (let r = 0; r < REGISTER_COUNT; r++) { caller.RL[r] = RL[r]!; caller.RH[r] = RH[r]!; }
            cur = caller;
            RL = caller.RL; RH = caller.RH; ops = caller.ops; words = caller.words; srcs = caller.srcs; offs = caller.offs;
            targets = caller.targets; aux = caller.aux; blocks = caller.blocks;
          }
          const f = depth * FRAME_WORDS;
          for (let r = 6; r <= FRAME_POINTER; r++) { RL[r] = frames[f + 1 + (r - 6) * 2]!; RH[r] = frames[f + 2 + (r - 6) * 2]!; }
          mayGoto = frames[f + 11]!;
          pc = frames[f]!;
          const st = loops?.[depth];
          if (st !== undefined && ops[pc] === Op.CALLBACK_HELPER) {
            // back in bpf_loop / bpf_for_each_map_elem: call again or return the count
            if (cur.nextCallback(st, RL, RH, pc)) {
              frames[f + 11] = mayGoto;
              depth++;
              RL[FRAME_POINTER] = (RL[FRAME_POINTER]! - STACK_FRAME_BYTES) | 0;
              mayGoto = MAY_GOTO_LIMIT;
              pc = st.entry;
              continue;
            }
            loops![depth] = undefined;
            pc++;
          }
          continue;
        }
        // ---- legacy packet access: big-endian load from the data window; out of bounds ends the program with 0
        case Op.LDABS: case Op.LDIND: {
          const size = aux[pc]!;
          // ld_ind adds the source register's low 32 bits to imm as a signed 32-bit offset
          const off = ops[pc] === Op.LDABS ? RL[s]! : (RL[s]! + RL[REGISTER_COUNT + pc]!) | 0;
          const a = off >= 0 ? d0 + off : negativeLoadAddress(args.regions, off, size, d1);
          if (a < 0 || a + size > d1) {
            this.r0hi = 0; this.executed = executed;
            return 0;
          }
          RL[0] = size === 1 ? u8[a]! : size === 2 ? dv.getUint16(a, false) : dv.getInt32(a, false);
          RH[0] = 0;
          break;
        }
        case Op.FELL_OFF:
          throw new ExecutionError('FellOffEnd', pc, 'execution fell off the end of the program');
        default:
          throw new ExecutionError('UnsupportedInstruction', pc, `no semantics for instruction at pc ${pc}`);
      }
      pc++;
    }
  }

  /**
   * A tail call's target under the kernel's rules: null when the call fails without counting (index out
   * of range, limit reached), else the new count and the target (undefined: an empty slot, counted).
   */
  private tailTarget(map: number, index: number, count: number, pc: number): { count: number; target: Interpreter | undefined } | null {
    const k = this.machine.kernelExports as { prog_array_get?: (map: number, index: number) => number } | undefined;
    if (!k?.prog_array_get) throw new ExecutionError('UnknownHelper', pc, 'bpf_tail_call needs the map kernels (no prog array here)');
    // unverified code may pass anything as the map: reads stay inside linear memory or fail as a violation
    const buf = this.machine.memory.buffer;
    if (map + MAP_MAX_ENTRIES_OFFSET + 4 > buf.byteLength) throw new ExecutionError('MemoryAccessViolation', pc, `bpf_tail_call: no map at 0x${map.toString(16)}`);
    const max = new DataView(buf).getUint32(map + MAP_MAX_ENTRIES_OFFSET, true);
    if (index >= max || count >= MAX_TAIL_CALLS) return null;
    let id: number;
    try {
      id = k.prog_array_get(map, index) >>> 0;
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw new ExecutionError('MemoryAccessViolation', pc, `bpf_tail_call: bad prog array at 0x${map.toString(16)}`);
      throw e;
    }
    const target = id === 0 ? undefined : tailCallPeers(this.machine).interpreters.get(id) as Interpreter | undefined;
    return { count: count + 1, target };
  }

  /**
   * Starts bpf_loop / bpf_for_each_map_elem at `pc` (see ../runtime/callbacks.ts): null when the callback
   * is not called at all (r0 then holds the result), else the loop state with the first call's r1..r5 set.
   */
  private startCallbackLoop(RL: Int32Array, RH: Int32Array, pc: number, stackTop: number, depth: number): CallbackLoop | null {
    const loop = RL[REGISTER_COUNT + pc] === BPF_LOOP_HELPER;
    const id = RL[2]!, entry = RH[2] === 0 && id > 0 ? this.callbacks[id - 1] : undefined;
    if (entry === undefined) throw new ExecutionError('UnknownHelper', pc, `${loop ? 'bpf_loop' : 'bpf_for_each_map_elem'}: r2 is no callback`);
    const saved = new Int32Array(10);
    for (let r = 1; r <= 5; r++) { saved[(r - 1) * 2] = RL[r]!; saved[(r - 1) * 2 + 1] = RH[r]!; }
    const st: CallbackLoop = { loop, entry, count: 0, limit: 0, ctxLo: RL[3]!, ctxHi: RH[3]!, map: 0, keys: 0, prev: 0, keySize: 0, saved };
    const done = (v: number): null => { this.restoreArgs(st, RL, RH); RL[0] = v; RH[0] = v < 0 ? -1 : 0; return null; };
    if (RL[4] !== 0 || RH[4] !== 0) return done(CALLBACK_EINVAL);
    if (loop) {
      const n = RL[1]! >>> 0; // nr_loops is a u32
      if (n > BPF_MAX_LOOPS) return done(CALLBACK_E2BIG);
      st.limit = n;
    } else {
      const map = RL[1]! >>> 0;
      const buf = this.machine.memory.buffer;
      if (RH[1] !== 0 || map + MAP_MAX_ENTRIES_OFFSET + 4 > buf.byteLength) {
        throw new ExecutionError('MemoryAccessViolation', pc, `bpf_for_each_map_elem: no map at 0x${map.toString(16)}`);
      }
      const dv = new DataView(buf);
      st.map = map;
      st.limit = dv.getUint32(map + MAP_MAX_ENTRIES_OFFSET, true);
      st.keySize = dv.getUint32(map + MAP_KEY_SIZE_OFFSET, true);
      if (st.keySize > CALLBACK_KEY_BYTES) return done(CALLBACK_E2BIG);
      st.keys = callbackKeyBuffers(stackTop, depth);
    }
    return this.nextCallback(st, RL, RH, pc, true) ? st : null;
  }

  /**
   * After the callback returned (r0), or before the first call: sets r1..r5 for the next call and returns
   * true, or sets r0 to the count, restores r1..r5 and returns false.
   */
  private nextCallback(st: CallbackLoop, RL: Int32Array, RH: Int32Array, pc: number, first = false): boolean {
    if (!first && (RL[0] !== 0 || RH[0] !== 0)) return this.finishCallbacks(st, RL, RH);
    if (st.count >= st.limit) return this.finishCallbacks(st, RL, RH);
    if (st.loop) {
      RL[1] = st.count; RH[1] = 0;
      RL[2] = st.ctxLo; RH[2] = st.ctxHi;
      RL[3] = 0; RH[3] = 0;
    } else {
      const k = this.machine.kernelExports as Record<string, (...a: number[]) => number> | undefined;
      const nextKey = k?.[NEXT_KEY_EXPORT], lookup = k?.[LOOKUP_EXPORT];
      if (!nextKey || !lookup) throw new ExecutionError('UnknownHelper', pc, 'bpf_for_each_map_elem needs the map kernels');
      // two key buffers, used in turn (as the JIT does): the next key goes to the one the previous is not in
      let value = 0;
      for (;;) {
        const next = st.prev === st.keys ? st.keys + CALLBACK_KEY_BYTES : st.keys;
        if (nextKey(st.map, st.prev, next) !== 0) return this.finishCallbacks(st, RL, RH);
        st.prev = next;
        value = lookup(st.map, next) >>> 0;
        if (value !== 0) break; // deleted meanwhile: skip it
      }
      RL[1] = st.map; RH[1] = 0;
      RL[2] = st.prev; RH[2] = 0;
      RL[3] = value; RH[3] = 0;
      RL[4] = st.ctxLo; RH[4] = st.ctxHi;
    }
    if (st.loop) { RL[4] = 0; RH[4] = 0; }
    RL[5] = 0; RH[5] = 0;
    st.count++;
    return true;
  }

  private finishCallbacks(st: CallbackLoop, RL: Int32Array, RH: Int32Array): false {
    this.restoreArgs(st, RL, RH);
    RL[0] = st.count; RH[0] = 0;
    return false;
  }

  private restoreArgs(st: CallbackLoop, RL: Int32Array, RH: Int32Array): void {
    for (let r = 1; r <= 5; r++) { RL[r] = st.saved[(r - 1) * 2]!; RH[r] = st.saved[(r - 1) * 2 + 1]!; }
  }

  private callHelper(helper: HelperSpec | undefined, id: number, pc: number): void {
    const RL = this.RL, RH = this.RH;
    const impl = helper?.impl;
    if (!helper || !impl) {
      throw new ExecutionError('UnknownHelper', pc,
        helper ? `helper ${helper.name} (#${id}) is not implemented` : `unknown helper #${id}`);
    }
    let r: bigint;
    if (impl.kernel) {
      // The same AssemblyScript export JIT code calls; i32 parameters take the low halves.
      const fn = this.machine.kernelExports?.[impl.kernel.export] as ((...a: unknown[]) => number | bigint) | undefined;
      if (!fn) throw new ExecutionError('UnknownHelper', pc, `helper ${helper.name}: kernel export ${impl.kernel.export} is not loaded`);
      const args = impl.kernel.params.map((t, i) => t === 'i32' ? RL[i + 1]! : toBig(RL[i + 1]!, RH[i + 1]!));
      const v = fn(...args);
      r = typeof v === 'bigint' ? v : BigInt(impl.kernel.result === 'i32' ? (v as number) | 0 : v as number);
    } else if (impl.js) {
      r = impl.js(this.machine, toBig(RL[1]!, RH[1]!), toBig(RL[2]!, RH[2]!), toBig(RL[3]!, RH[3]!),
        toBig(RL[4]!, RH[4]!), toBig(RL[5]!, RH[5]!));
    } else {
      throw new ExecutionError('UnknownHelper', pc, `helper ${helper.name} has no implementation callable here`);
    }
    r = BigInt.asUintN(64, r);
    RL[0] = Number(r & 0xffffffffn) | 0;
    RH[0] = Number(r >> 32n) | 0;
  }
}
