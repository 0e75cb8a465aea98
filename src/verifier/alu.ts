/**
 * Scalar ALU and comparison transfer functions: what the kernel's
 * adjust_scalar_min_max_vals, is_branch_taken and regs_refine_cond_op compute,
 * over the tnum and the four pairs of bounds.
 */
import { AluOp, JmpOp } from '../isa/opcodes.js';
import {
  type Tnum, tnumAdd, tnumSub, tnumMul, tnumAnd, tnumOr, tnumXor, tnumLshift, tnumRshift, tnumArshift,
  tnumSubreg, tnumWithSubreg, tnumIntersect, tnumConst, tnumIsConst, tnumCast,

  U64_MAX, U32_MAX, S64_MIN, S64_MAX, S32_MIN, S32_MAX, u64, s64, u32, s32,
} from './tnum.js';
import { type Reg, syncBounds, setUnknown, zext32, markKnown, isConst } from './reg.js';

interface View { smin: bigint; smax: bigint; umin: bigint; umax: bigint; t: Tnum }
interface Width { bits: 32 | 64; umax: bigint; smin: bigint; smax: bigint; u: (x: bigint) => bigint; s: (x: bigint) => bigint }
const W64: Width = { bits: 64, umax: U64_MAX, smin: S64_MIN, smax: S64_MAX, u: u64, s: s64 };
const W32: Width = { bits: 32, umax: U32_MAX, smin: S32_MIN, smax: S32_MAX, u: u32, s: s32 };
export const widthOf = (bits: 32 | 64): Width => (bits === 64 ? W64 : W32);

function view(r: Reg, w: Width): View {
  return w.bits === 64
    ? { smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax, t: r.var }
    : { smin: r.s32min, smax: r.s32max, umin: r.u32min, umax: r.u32max, t: tnumSubreg(r.var) };
}
function store(r: Reg, v: View, w: Width): void {
  if (w.bits === 64) {
    r.smin = v.smin; r.smax = v.smax; r.umin = v.umin; r.umax = v.umax; r.var = v.t;
  } else {
    r.s32min = v.smin; r.s32max = v.smax; r.u32min = v.umin; r.u32max = v.umax; r.var = tnumWithSubreg(r.var, v.t);
  }
}
const minB = (...xs: bigint[]): bigint => xs.reduce((a, b) => (a < b ? a : b));
const maxB = (...xs: bigint[]): bigint => xs.reduce((a, b) => (a > b ? a : b));

/** Signed bounds from unsigned ones when they do not cross the sign bit. */
function signedFromUnsigned(v: View, w: Width): void {
  if (w.s(v.umin) <= w.s(v.umax)) { v.smin = w.s(v.umin); v.smax = w.s(v.umax); } else { v.smin = w.smin; v.smax = w.smax; }
}

/** One operation on one width; returns false when the result is simply unknown. */
function compute(d: View, s: View, op: number, w: Width, shift: number): boolean {
  switch (op) {
    case AluOp.ADD: {
      const umin = d.umin + s.umin, umax = d.umax + s.umax;
      if (umax > w.umax) { d.umin = 0n; d.umax = w.umax; } else { d.umin = umin; d.umax = umax; }
      const smin = d.smin + s.smin, smax = d.smax + s.smax;
      if (smin < w.smin || smax > w.smax) { d.smin = w.smin; d.smax = w.smax; } else { d.smin = smin; d.smax = smax; }
      d.t = w.bits === 64 ? tnumAdd(d.t, s.t) : tnumCast(tnumAdd(d.t, s.t), 4);
      return true;
    }
    case AluOp.SUB: {
      if (d.umin < s.umax) { d.umin = 0n; d.umax = w.umax; } else { const a = d.umin - s.umax; d.umax = d.umax - s.umin; d.umin = a; }
      const smin = d.smin - s.smax, smax = d.smax - s.smin;
      if (smin < w.smin || smax > w.smax) { d.smin = w.smin; d.smax = w.smax; } else { d.smin = smin; d.smax = smax; }
      d.t = w.bits === 64 ? tnumSub(d.t, s.t) : tnumCast(tnumSub(d.t, s.t), 4);
      return true;
    }
    case AluOp.MUL: {
      const umax = d.umax * s.umax;
      if (umax > w.umax) { d.umin = 0n; d.umax = w.umax; } else { d.umin = d.umin * s.umin; d.umax = umax; }
      const c = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
      if (c.some((x) => x < w.smin || x > w.smax)) { d.smin = w.smin; d.smax = w.smax; } else { d.smin = minB(...c); d.smax = maxB(...c); }
      d.t = w.bits === 64 ? tnumMul(d.t, s.t) : tnumCast(tnumMul(d.t, s.t), 4);
      return true;
    }
    case AluOp.AND: {
      d.t = tnumAnd(d.t, s.t);
      d.umin = d.t.value; d.umax = minB(d.umax, s.umax);
      signedFromUnsigned(d, w);
      return true;
    }
    case AluOp.OR: {
      d.t = tnumOr(d.t, s.t);
      d.umin = maxB(d.umin, s.umin); d.umax = d.t.value | d.t.mask;
      signedFromUnsigned(d, w);
      return true;
    }
    case AluOp.XOR: {
      d.t = tnumXor(d.t, s.t);
      d.umin = d.t.value; d.umax = d.t.value | d.t.mask;
      signedFromUnsigned(d, w);
      return true;
    }
    case AluOp.LSH: {
      const k = BigInt(shift);
      if (d.umax > (w.umax >> k)) { d.umin = 0n; d.umax = w.umax; } else { d.umin <<= k; d.umax <<= k; }
      d.smin = w.smin; d.smax = w.smax;
      d.t = w.bits === 64 ? tnumLshift(d.t, shift) : tnumCast(tnumLshift(d.t, shift), 4);
      return true;
    }
    case AluOp.RSH: {
      const k = BigInt(shift);
      d.umin >>= k; d.umax >>= k;
      d.smin = w.smin; d.smax = w.smax;
      d.t = tnumRshift(d.t, shift);
      return true;
    }
    case AluOp.ARSH: {
      const k = BigInt(shift);
      d.smin >>= k; d.smax >>= k;
      d.umin = 0n; d.umax = w.umax;
      d.t = tnumArshift(d.t, shift, w.bits);
      return true;
    }
    default:
      return false;
  }
}

/**
 * dst = dst op src for scalars. Shifts by a non-constant amount, division and
 * modulo produce an unknown scalar, as in the kernel.
 */
export function scalarAluOp(dst: Reg, src: Reg, op: number, bits: 32 | 64): void {
  const isShift = op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH;
  const srcConst = bits === 64 ? isConst(src) : tnumIsConst(tnumSubreg(src.var));
  const shift = srcConst ? Number(bits === 64 ? src.var.value : u32(src.var.value)) : -1;
  if ((isShift && (!srcConst || shift >= bits)) || op === AluOp.DIV || op === AluOp.MOD) { setUnknown(dst); return; }
  dst.id = 0;
  const d32 = view(dst, W32), s32v = view(src, W32);
  if (bits === 64) {
    const d = view(dst, W64), s = view(src, W64);
    compute(d, s, op, W64, shift);
    store(dst, d, W64);
    if (isShift) {
      dst.s32min = S32_MIN; dst.s32max = S32_MAX; dst.u32min = 0n; dst.u32max = U32_MAX;
    } else {
      // The low half of add/sub/mul/and/or/xor depends only on the operands' low halves.
      compute(d32, s32v, op, W32, shift);
      dst.s32min = d32.smin; dst.s32max = d32.smax; dst.u32min = d32.umin; dst.u32max = d32.umax;
    }
    syncBounds(dst);
  } else {
    compute(d32, s32v, op, W32, shift);
    store(dst, d32, W32);
    // As zext_32_to_64 then reg_bounds_sync: the stale 64-bit bounds must not
    // clip the new subregister (w += 1 on [0, 255] is [1, 256]).
    zext32(dst);
  }
}

export function scalarNeg(dst: Reg, bits: 32 | 64): void {
  const zero = { ...dst };
  markKnown(zero, 0n);
  zero.type = 'scalar';
  const src = { ...dst };
  Object.assign(dst, zero);
  scalarAluOp(dst, src, AluOp.SUB, bits);
}

// ---- comparisons -------------------------------------------------------------

const NEGATE: Record<number, number> = {
  [JmpOp.JEQ]: JmpOp.JNE, [JmpOp.JNE]: JmpOp.JEQ, [JmpOp.JGT]: JmpOp.JLE, [JmpOp.JLE]: JmpOp.JGT,
  [JmpOp.JGE]: JmpOp.JLT, [JmpOp.JLT]: JmpOp.JGE, [JmpOp.JSGT]: JmpOp.JSLE, [JmpOp.JSLE]: JmpOp.JSGT,
  [JmpOp.JSGE]: JmpOp.JSLT, [JmpOp.JSLT]: JmpOp.JSGE,
};
/** Pseudo opcode: the fall-through of JSET ((a & b) == 0). */
export const JSET_NOT = -1;
export function negateJmp(op: number): number { return op === JmpOp.JSET ? JSET_NOT : op === JSET_NOT ? JmpOp.JSET : NEGATE[op]!; }
const SWAP: Record<number, number> = {
  [JmpOp.JGT]: JmpOp.JLT, [JmpOp.JLT]: JmpOp.JGT, [JmpOp.JGE]: JmpOp.JLE, [JmpOp.JLE]: JmpOp.JGE,
  [JmpOp.JSGT]: JmpOp.JSLT, [JmpOp.JSLT]: JmpOp.JSGT, [JmpOp.JSGE]: JmpOp.JSLE, [JmpOp.JSLE]: JmpOp.JSGE,
};
/** b op' a is equivalent to a op b. */
export function swapJmp(op: number): number { return SWAP[op] ?? op; }

/** true / false when the comparison of two scalars is decided, null otherwise. */
export function branchTaken(a: Reg, b: Reg, op: number, bits: 32 | 64): boolean | null {
  const w = widthOf(bits);
  const x = view(a, w), y = view(b, w);
  const xc = tnumIsConst(x.t), yc = tnumIsConst(y.t);
  switch (op) {
    case JmpOp.JEQ:
    case JmpOp.JNE: {
      let r: boolean | null = null;
      if (xc && yc) r = x.t.value === y.t.value;
      else if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) r = false;
      else if (((x.t.value ^ y.t.value) & ~(x.t.mask | y.t.mask) & w.umax) !== 0n) r = false;
      return r === null ? null : op === JmpOp.JEQ ? r : !r;
    }
    case JmpOp.JSET:
      if ((x.t.value & y.t.value) !== 0n) return true;
      if (((x.t.value | x.t.mask) & (y.t.value | y.t.mask)) === 0n) return false;
      return null;
    case JSET_NOT: {
      const r = branchTaken(a, b, JmpOp.JSET, bits);
      return r === null ? null : !r;
    }
    case JmpOp.JGT: return x.umin > y.umax ? true : x.umax <= y.umin ? false : null;
    case JmpOp.JGE: return x.umin >= y.umax ? true : x.umax < y.umin ? false : null;
    case JmpOp.JLT: return x.umax < y.umin ? true : x.umin >= y.umax ? false : null;
    case JmpOp.JLE: return x.umax <= y.umin ? true : x.umin > y.umax ? false : null;
    case JmpOp.JSGT: return x.smin > y.smax ? true : x.smax <= y.smin ? false : null;
    case JmpOp.JSGE: return x.smin >= y.smax ? true : x.smax < y.smin ? false : null;
    case JmpOp.JSLT: return x.smax < y.smin ? true : x.smin >= y.smax ? false : null;
    case JmpOp.JSLE: return x.smax <= y.smin ? true : x.smin > y.smax ? false : null;
  }
  return null;
}

/** Narrows a and b assuming `a op b` holds (mutates both). */
export function refine(a: Reg, b: Reg, op: number, bits: 32 | 64): void {
  const w = widthOf(bits);
  const x = view(a, w), y = view(b, w);
  switch (op) {
    case JmpOp.JEQ: {
      const umin = maxB(x.umin, y.umin), umax = minB(x.umax, y.umax), smin = maxB(x.smin, y.smin), smax = minB(x.smax, y.smax);
      const t = tnumIntersect(x.t, y.t);
      x.umin = y.umin = umin; x.umax = y.umax = umax; x.smin = y.smin = smin; x.smax = y.smax = smax; x.t = y.t = t;
      break;
    }
    case JmpOp.JNE: {
      for (const [p, q] of [[x, y], [y, x]] as const) {
        if (!tnumIsConst(q.t)) continue;
        const v = q.t.value, sv = w.s(v);
        if (p.umin === v) p.umin++; else if (p.umax === v) p.umax--;
        if (p.smin === sv) p.smin++; else if (p.smax === sv) p.smax--;
      }
      break;
    }
    case JmpOp.JSET:
      if (tnumIsConst(y.t) && y.t.value !== 0n && (y.t.value & (y.t.value - 1n)) === 0n) x.t = tnumOr(x.t, y.t);
      break;
    case JSET_NOT:
      if (tnumIsConst(y.t)) x.t = tnumAnd(x.t, { value: ~y.t.value & w.umax, mask: 0n });
      break;
    case JmpOp.JGE: x.umin = maxB(x.umin, y.umin); y.umax = minB(y.umax, x.umax); break;
    case JmpOp.JGT: x.umin = maxB(x.umin, y.umin + 1n); y.umax = minB(y.umax, x.umax - 1n); break;
    case JmpOp.JSGE: x.smin = maxB(x.smin, y.smin); y.smax = minB(y.smax, x.smax); break;
    case JmpOp.JSGT: x.smin = maxB(x.smin, y.smin + 1n); y.smax = minB(y.smax, x.smax - 1n); break;
    case JmpOp.JLE: y.umin = maxB(y.umin, x.umin); x.umax = minB(x.umax, y.umax); break;
    case JmpOp.JLT: y.umin = maxB(y.umin, x.umin + 1n); x.umax = minB(x.umax, y.umax - 1n); break;
    case JmpOp.JSLE: y.smin = maxB(y.smin, x.smin); x.smax = minB(x.smax, y.smax); break;
    case JmpOp.JSLT: y.smin = maxB(y.smin, x.smin + 1n); x.smax = minB(x.smax, y.smax - 1n); break;
  }
  store(a, x, w);
  store(b, y, w);
  syncBounds(a);
  syncBounds(b);
}

export { tnumConst };
