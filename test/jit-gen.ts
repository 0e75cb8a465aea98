// Seeded random eBPF programs for differential testing (JIT vs interpreter, JIT vs kernel).
// Programs use every instruction variant, loops (counted, may_goto, unbounded), irreducible
// entries, local calls (sometimes too deep), helpers, atomics and accesses at region edges.
import {
  INSTRUCTION_SET, makeInstruction, makeProgram, AluOp, AtomicOp, CallSrc,
  type Instruction, type InstructionFields, type InstructionSpec, type Program,
} from '../src/isa/index.js';
import type { CpuArea, MemoryLayout } from '../src/runtime/layout.js';
import { XDP_MD } from '../src/programs/context.js';

/** The kernel's XDP test run needs at least an Ethernet header. */
const ETH_HLEN = 14;

/** xorshift32: tiny and seedable. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed ^ 0x9e3779b9) >>> 0 || 1; }
  u32(): number { let x = this.s; x ^= x << 13; x ^= x >>> 17; x ^= x << 5; this.s = x >>> 0; return this.s; }
  int(n: number): number { return this.u32() % n; }
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  chance(p: number): boolean { return this.u32() / 0x1_0000_0000 < p; }
  pick<T>(a: readonly T[]): T { return a[this.int(a.length)]!; }
}

/** What a program exercises (asserted in aggregate by the tests). */
export interface Features {
  loop: boolean; localCall: boolean; atomic: boolean; regionEdge: boolean; divZero: boolean; irreducible: boolean;
}

export interface GenProgram {
  program: Program;
  data: Uint8Array;
  budget: number;
  features: Features;
  specCounts: Map<string, number>;
}

export interface GenOptions {
  layout: MemoryLayout;
  /** Helper ids with implementations (others trap when reached). */
  helperIds: readonly number[];
  /**
   * Programs meant for the kernel verifier (kernel differential): an XDP prologue that bounds-checks the
   * packet, only stack and packet pointers, initialised registers and stack, no helpers, calls, ld_abs.
   */
  kernelSafe?: boolean;
}

// Register roles: r0–r5 scratch; r6 data, r7 heap, r8 ctx pointers; r9 loop counter; r10 frame pointer.
const SCRATCH = [0, 1, 2, 3, 4, 5];
const DATA = 6, HEAP = 7, CTX = 8, COUNTER = 9, FP = 10;
const BASES = [FP, DATA, HEAP, CTX] as const;
const CTX_BYTES_USED = 24;
/** Stack bytes the kernel prologue zeroes (the kernel's stack starts uninitialised). */
const KERNEL_STACK = 64;
const STACK_SPAN = 4096;
const INTERESTING_IMM = [0, 1, -1, 2, 7, 8, 31, 32, 63, 64, 65, -32, 0x7fffffff, -0x80000000, 0xff, 0xffff, 0x8000, -0x8000];

type Item = { spec: InstructionSpec; f: InstructionFields; target?: number };

const SPEC = new Map(INSTRUCTION_SET.map((s) => [s.name, s]));
const spec = (n: string): InstructionSpec => SPEC.get(n)!;

/** Specs that end a run whenever reached: generated rarely so programs stay deep. */
const RARE = new Set(['call runtime', 'callx']);

export class Generator {
  readonly rng: Rng;
  private items: Item[] = [];
  private features!: Features;
  private data!: Uint8Array;
  private readonly area: CpuArea;
  private readonly pool: InstructionSpec[];
  private fnCount = 0;

  constructor(seed: number, readonly opts: GenOptions) {
    this.rng = new Rng(seed);
    this.area = opts.layout.areas[0]!;
    this.pool = INSTRUCTION_SET.filter((s) => !(opts.kernelSafe && (s.kind === 'ldabs' || s.kind === 'ldind' || s.kind === 'callx'
      || s.name === 'call runtime' || (s.kind === 'lddw' && s.discriminator?.value !== 0))));
  }

  private get bases(): readonly number[] { return this.opts.kernelSafe ? [FP, DATA] : BASES; }
  /** Registers read as operands: kernel programs never mix pointers into arithmetic. */
  private srcReg(): number { return this.opts.kernelSafe ? this.rng.pick([...SCRATCH, COUNTER]) : this.rng.int(11); }

  private imm(): number {
    const r = this.rng;
    return r.chance(0.5) ? r.pick(INTERESTING_IMM) : r.chance(0.5) ? r.range(-64, 64) : r.u32() | 0;
  }
  private emit(name: string, f: InstructionFields = {}, target?: number): number {
    this.items.push({ spec: spec(name), f, ...(target !== undefined ? { target } : {}) });
    return this.items.length - 1;
  }

  /** An offset from `base` that lands at, just inside or just outside a region edge, or anywhere inside. */
  private offset(base: number, size: number): number {
    const r = this.rng;
    const len = this.data.length;
    const edge = r.chance(0.3);
    if (edge) this.features.regionEdge = true;
    const jitter = r.pick([-size, -1, 0, 1, size]);
    if (this.opts.kernelSafe) {
      // inside what the prologue initialised / bounds-checked, rarely one byte outside (the verifier must refuse)
      const out = r.chance(0.03);
      // (outside the frame: root may read uninitialised stack, which would make results differ)
      if (base === FP) return out ? 0 : -size * r.range(1, KERNEL_STACK / size);
      return out ? len - size + 1 : r.range(0, len - size);
    }
    switch (base) {
      case FP: return edge ? r.pick([-size + jitter, -STACK_SPAN + jitter]) : -8 * r.range(1, 64) + r.pick([0, 0, 0, 4, 2, 1]);
      case DATA: return edge ? r.pick([len - size + jitter, jitter]) : r.range(0, Math.max(0, len - size));
      case HEAP: return edge ? r.pick([-8 + jitter, jitter]) : 8 * r.range(0, 32) + r.pick([0, 0, 4, 1]);
      default: return edge ? r.pick([CTX_BYTES_USED - size + jitter, jitter]) : r.range(0, CTX_BYTES_USED - size);
    }
  }

  /** One instruction of `s` with operands (no jumps). */
  private straight(s: InstructionSpec): void {
    const r = this.rng;
    const dst = r.pick(SCRATCH);
    const src = this.srcReg();
    switch (s.kind) {
      case 'alu': {
        const divmod = s.aluOp === AluOp.DIV || s.aluOp === AluOp.MOD;
        // The kernel verifier refuses a constant zero divisor: kernel programs divide by a zero register.
        if (divmod && s.source === 'imm' && this.opts.kernelSafe) { this.emit(s.name, { dst, imm: this.imm() || 3 }); return; }
        if (divmod && r.chance(0.25)) {
          this.features.divZero = true;
          if (s.source === 'imm') { this.emit(s.name, { dst, imm: 0 }); return; }
          const z = r.pick(SCRATCH);
          this.emit(r.chance(0.5) ? 'mov_imm' : 'mov32_imm', { dst: z, imm: 0 });
          this.emit(s.name, { dst, src: z });
          return;
        }
        const shift = s.aluOp === AluOp.LSH || s.aluOp === AluOp.RSH || s.aluOp === AluOp.ARSH;
        // the kernel refuses constant shift amounts outside the width
        if (s.source === 'imm' && shift && this.opts.kernelSafe) this.emit(s.name, { dst, imm: r.range(0, s.width - 1) });
        else if (s.source === 'imm') this.emit(s.name, { dst, imm: this.imm() });
        else this.emit(s.name, { dst, src });
        return;
      }
      case 'neg': case 'end': this.emit(s.name, { dst }); return;
      case 'movsx': this.emit(s.name, { dst, src }); return;
      case 'lddw': this.emit(s.name, { dst, imm: r.u32() | 0, immHi: r.chance(0.3) ? 0 : r.u32() | 0 }); return;
      case 'ldabs': this.emit(s.name, { imm: r.range(-4, this.data.length + 4) }); return;
      case 'ldind': {
        const idx = r.pick(SCRATCH);
        this.emit('mov_imm', { dst: idx, imm: r.range(-2, this.data.length) });
        this.emit(s.name, { src: idx, imm: r.range(-3, 3) });
        return;
      }
      case 'ldx': case 'ldxs': {
        const base = r.pick(this.bases);
        this.emit(s.name, { dst, src: base, off: this.offset(base, s.size!) });
        return;
      }
      case 'st': case 'stx': {
        const base = r.pick(this.bases);
        this.emit(s.name, { dst: base, src, off: this.offset(base, s.size!), imm: this.imm() });
        return;
      }
      case 'atomic': {
        this.features.atomic = true;
        const base = this.opts.kernelSafe ? FP : r.pick([FP, HEAP, DATA, CTX]);
        let off = this.offset(base, s.size!);
        if (r.chance(0.7)) off &= ~(s.size! - 1); // mostly aligned (region bases are 8-aligned)
        if (s.atomicOp === AtomicOp.CMPXCHG && r.chance(0.5)) this.emit(s.width === 32 ? 'ldxw' : 'ldxdw', { dst: 0, src: base, off });
        this.emit(s.name, { dst: base, src: r.pick(SCRATCH), off });
        return;
      }
      case 'call':
        if (s.discriminator?.value === CallSrc.HELPER) {
          const ids = this.opts.helperIds;
          this.emit(s.name, { imm: this.opts.kernelSafe || r.chance(0.97) ? r.pick(ids) : r.pick([1, 2, 6, 9999]) });
        } else if (s.discriminator?.value === CallSrc.KFUNC) {
          this.emit(s.name, { imm: r.range(1, 100) });
        }
        return;
      case 'callx': {
        const reg = r.pick(SCRATCH);
        this.emit('mov32_imm', { dst: reg, imm: r.chance(0.9) ? r.pick(this.opts.helperIds) : 9999 });
        this.emit(s.name, { dst: reg });
        return;
      }
      default:
    }
  }

  /** A jump forward to an instruction chosen when the function is laid out. */
  private forward(s: InstructionSpec): void {
    const r = this.rng;
    const f: InstructionFields = { dst: this.opts.kernelSafe ? this.srcReg() : r.pick([...SCRATCH, DATA, COUNTER, FP]) };
    if (s.source === 'imm') f.imm = r.chance(0.5) ? this.imm() : r.range(-2, 4);
    if (s.source === 'reg') f.src = this.srcReg();
    this.emit(s.name, f, -1); // resolved by layoutForward
  }

  /** A segment of n random instructions, with optional loops and calls. */
  private segment(n: number, depth: number, fnIndex: number, fnTotal: number): void {
    const r = this.rng;
    for (let i = 0; i < n; i++) {
      const roll = r.u32() / 0x1_0000_0000;
      if (depth < (this.opts.kernelSafe ? 1 : 2) && roll < 0.04) { this.loop(depth, fnIndex, fnTotal); continue; }
      if (roll < 0.07 && fnTotal > 0 && !this.opts.kernelSafe) {
        // Calls go to later functions (no unbounded recursion); rarely to itself, which runs out of frames.
        this.features.localCall = true;
        const callee = fnIndex + 1 <= fnTotal && r.chance(0.95) ? r.range(fnIndex + 1, fnTotal) : Math.max(1, fnIndex);
        this.emit('call local', {}, -2 - callee);
        continue;
      }
      let s = r.pick(this.pool);
      while (RARE.has(s.name) && !r.chance(0.12)) s = r.pick(this.pool);
      // The kernel refuses unreachable code: no unconditional forward jumps or early exits there.
      if (this.opts.kernelSafe && (s.kind === 'ja' || s.kind === 'exit')) continue;
      // Each branch on exactly known values doubles the verifier's paths: fewer of them for the kernel.
      if (this.opts.kernelSafe && (s.kind === 'jcond' || s.kind === 'may_goto') && r.chance(0.75)) continue;
      if (s.kind === 'jcond' || s.kind === 'ja' || s.kind === 'may_goto') this.forward(s);
      else if (s.kind === 'exit') { if (r.chance(0.3)) this.emit('exit'); }
      else if (s.kind === 'call' && (this.opts.kernelSafe || s.discriminator?.value === CallSrc.LOCAL)) continue;
      else this.straight(s);
    }
  }

  private loop(depth: number, fnIndex: number, fnTotal: number): void {
    const r = this.rng;
    this.features.loop = true;
    const kind = this.opts.kernelSafe ? 0 : r.int(3);
    if (kind === 2) {
      // may_goto-bounded loop: runs until the allowance or the budget ends it.
      const head = this.emit('may_goto', {}, -1);
      this.segment(r.range(1, 4), depth + 1, fnIndex, fnTotal);
      this.emit('ja', {}, head);
      this.items[head]!.target = this.items.length;
      return;
    }
    // kind 1 often runs out of budget (and is too long for the kernel verifier to explore)
    const count = this.opts.kernelSafe ? r.range(1, 3) : kind === 0 ? r.range(1, 6) : r.range(100, 100000);
    this.emit('mov_imm', { dst: COUNTER, imm: count });
    let entry = -1;
    if (r.chance(0.3) && !this.opts.kernelSafe) { entry = this.emit('jeq_imm', { dst: r.pick(SCRATCH), imm: r.range(0, 2) }, -1); this.features.irreducible = true; }
    const head = this.items.length;
    this.segment(r.range(2, 6), depth + 1, fnIndex, fnTotal);
    if (entry >= 0) this.items[entry]!.target = this.rng.range(Math.min(head + 1, this.items.length), this.items.length);
    this.emit('add_imm', { dst: COUNTER, imm: -1 });
    this.emit(r.chance(0.5) ? 'jne_imm' : 'jgt_imm', { dst: COUNTER, imm: 0 }, head);
  }

  /** Gives unresolved forward jumps (target -1) a later instruction of the same function. */
  private layoutForward(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      const it = this.items[i]!;
      if (it.target === -1) it.target = this.rng.range(i + 1, Math.min(to - 1, i + 12));
    }
  }

  /**
   * XDP entry: r6 = data, checked to hold the whole input (else return 0), stack zeroed.
   * Offsets of xdp_md come from the context table.
   */
  private xdpPrologue(): void {
    const f = (n: string) => XDP_MD.fields.find((x) => x.name === n)!.offset;
    this.emit('ldxw', { dst: 2, src: 1, off: f('data') });
    this.emit('ldxw', { dst: 3, src: 1, off: f('data_end') });
    this.emit('mov_reg', { dst: DATA, src: 2 });
    this.emit('mov_reg', { dst: 4, src: 2 });
    this.emit('add_imm', { dst: 4, imm: this.data.length });
    this.emit('jle_reg', { dst: 4, src: 3, off: 2 });
    this.emit('mov_imm', { dst: 0, imm: 0 });
    this.emit('exit');
    for (let o = 8; o <= KERNEL_STACK; o += 8) this.emit('stdw', { dst: FP, off: -o, imm: 0 });
  }

  generate(): GenProgram {
    const r = this.rng;
    this.items = [];
    this.features = { loop: false, localCall: false, atomic: false, regionEdge: false, divZero: false, irreducible: false };
    const kernel = this.opts.kernelSafe === true;
    this.data = new Uint8Array(kernel ? r.range(ETH_HLEN, 64) : r.range(0, 64)).map(() => r.int(256));
    const fnTotal = !kernel && r.chance(0.45) ? r.range(1, 3) : 0;
    this.fnCount = fnTotal;
    const area = this.area;
    if (kernel) this.xdpPrologue();
    else {
      // Prologue: pointers into each region, scratch registers with random values.
      this.emit('mov_reg', { dst: DATA, src: 1 });
      this.emit('lddw', { dst: HEAP, imm: this.opts.layout.heapBase + 8 * r.range(0, 8), immHi: 0 });
      this.emit('lddw', { dst: CTX, imm: area.ctx, immHi: 0 });
    }
    this.emit('mov_imm', { dst: COUNTER, imm: 0 });
    for (const reg of [0, 3, 4, 5]) if (kernel || r.chance(0.7)) this.emit('lddw', { dst: reg, imm: r.u32() | 0, immHi: r.u32() | 0 });
    if (kernel) for (const reg of [1, 2]) this.emit('mov_imm', { dst: reg, imm: this.imm() });
    const fnStart: number[] = [];
    const bounds: Array<[number, number]> = [];
    for (let fn = 0; fn <= fnTotal; fn++) {
      const start = this.items.length;
      fnStart.push(start);
      this.segment(r.range(8, this.opts.kernelSafe ? 20 : fn === 0 ? 40 : 16), 0, fn, fnTotal);
      if (r.chance(0.97)) this.emit('mov_reg', { dst: 0, src: r.pick(SCRATCH) });
      this.emit('exit');
      bounds.push([fn === 0 ? 0 : start, this.items.length]);
    }
    for (const [a, b] of bounds) this.layoutForward(a, b);
    // Lay out: pcs (lddw takes two slots), then jump offsets.
    const pcs: number[] = [];
    let pc = 0;
    for (const it of this.items) { pcs.push(pc); pc += it.spec.slots; }
    const insns: Instruction[] = [];
    const specCounts = new Map<string, number>();
    this.items.forEach((it, i) => {
      const f = { ...it.f };
      if (it.target !== undefined) {
        const t = it.target <= -2 ? fnStart[-2 - it.target]! : it.target;
        const rel = pcs[t]! - pcs[i]! - 1;
        if (it.spec.kind === 'call' || (it.spec.kind === 'ja' && it.spec.width === 32)) f.imm = rel; else f.off = rel;
      }
      // Reserved fields stay 0 (the kernel rejects anything else).
      for (const k of ['dst', 'src', 'off', 'imm'] as const) if (it.spec.fields[k] === 'zero') f[k] = 0;
      insns.push(makeInstruction(it.spec, f, pcs[i]!));
      specCounts.set(it.spec.name, (specCounts.get(it.spec.name) ?? 0) + 1);
    });
    const budget = r.chance(0.3) ? r.range(10, 400) : 20000;
    return { program: makeProgram(insns), data: this.data, budget, features: this.features, specCounts };
  }
}
