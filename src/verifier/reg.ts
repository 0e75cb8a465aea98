/**
 * Register state: type, fixed offset, and for scalars (and pointer variable
 * offsets) a tnum plus signed/unsigned 64- and 32-bit bounds, kept mutually
 * consistent the way the kernel's reg_bounds_sync does.
 */
import {
  type Tnum, TNUM_UNKNOWN, tnumConst, tnumRange, tnumIntersect, tnumSubreg, tnumWithSubreg, tnumIsConst,
  tnumCast, U64_MAX, U32_MAX, S64_MIN, S64_MAX, S32_MIN, S32_MAX, u64, s64, u32, s32, tnumEq, tnumIn,
} from './tnum.js';

export type RegType =
  | 'not_init' | 'scalar' | 'ctx' | 'map_ptr' | 'map_value' | 'map_key' | 'fp' | 'pkt' | 'pkt_meta' | 'pkt_end'
  | 'mem' | 'sock_common' | 'sock' | 'flow_keys' | 'func' | 'btf_id' | 'dynptr';

/** The flags of a PTR_TO_BTF_ID that decide what kfuncs take it. */
export type BtfTrust = 'trusted' | 'rcu' | 'plain';

export interface Reg {
  type: RegType;
  maybeNull: boolean;
  /** Fixed offset of a pointer. */
  off: number;
  var: Tnum;
  smin: bigint; smax: bigint; umin: bigint; umax: bigint;
  s32min: bigint; s32max: bigint; u32min: bigint; u32max: bigint;
  /** Shared by copies: NULL checks and scalar bounds propagate through it. */
  id: number;
  /** Reference this pointer holds (ringbuf records, sockets from bpf_sk_lookup_*). */
  refObjId: number;
  /** Packet pointers: bytes known to be in bounds after off. */
  range: number;
  /** map_ptr / map_value / map_key: index of the map. */
  map: number;
  /** mem: size of the region; ringbuf marks ringbuf records. */
  memSize: number;
  ringbuf: boolean;
  /** fp: frame the pointer points into. */
  frameno: number;
  /** func (ld_imm64 src=4): the subprogram it points to. */
  subprog: number;
  /** btf_id (PTR_TO_BTF_ID): the kernel struct it points to. */
  btf: string;
  /** btf_id: that struct's type id in the tracing target's kernel BTF (0: a kfunc pointer, no layout known). */
  btfId: number;
  /**
   * btf_id: PTR_TRUSTED (kfunc results, tp_btf/lsm arguments), MEM_RCU (RCU-protected fields walked to from
   * trusted pointers) or plain (fentry arguments, other pointers walked to).
   */
  trust: BtfTrust;
  /** mem: MEM_RDONLY (a bpf_dynptr_slice). */
  rdonly: boolean;
  /** mem: a slice of the packet dynptr with this id (invalid once the packet changes); dynptr stack records: their id. */
  dynptrId: number;
}

export function notInit(): Reg {
  return {
    type: 'not_init', maybeNull: false, off: 0, var: TNUM_UNKNOWN,
    smin: S64_MIN, smax: S64_MAX, umin: 0n, umax: U64_MAX, s32min: S32_MIN, s32max: S32_MAX, u32min: 0n, u32max: U32_MAX,
    id: 0, refObjId: 0, range: 0, map: -1, memSize: 0, ringbuf: false, frameno: 0, subprog: -1, btf: '', btfId: 0, trust: 'trusted', rdonly: false, dynptrId: 0,
  };
}
export function unknownScalar(): Reg { return { ...notInit(), type: 'scalar' }; }
export function knownScalar(v: bigint): Reg {
  const r = unknownScalar();
  markKnown(r, v);
  return r;
}
/** A pointer of the given type with a zero, known variable offset. */
export function pointer(type: RegType, extra: Partial<Reg> = {}): Reg {
  const r = unknownScalar();
  markKnown(r, 0n);
  r.type = type;
  Object.assign(r, extra);
  return r;
}
export function markKnown(r: Reg, v: bigint): void {
  const x = u64(v);
  r.var = tnumConst(x);
  r.umin = r.umax = x;
  r.smin = r.smax = s64(x);
  r.u32min = r.u32max = u32(x);
  r.s32min = r.s32max = s32(x);
}
export function markUnbounded(r: Reg): void {
  r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64_MAX;
  r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32_MAX;
}
export function mark32Unbounded(r: Reg): void { r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32_MAX; }
export function mark64Unbounded(r: Reg): void { r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = U64_MAX; }
export function setUnknown(r: Reg): void {
  Object.assign(r, unknownScalar());
}
export const isConst = (r: Reg): boolean => tnumIsConst(r.var);
export const isPointer = (r: Reg): boolean => r.type !== 'scalar' && r.type !== 'not_init';
export const isPkt = (r: Reg): boolean => r.type === 'pkt' || r.type === 'pkt_meta';

const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** Bounds implied by the tnum. */
function updateFromTnum(r: Reg): void {
  const v = r.var;
  const sub = tnumSubreg(v);
  r.s32min = maxB(r.s32min, s32(sub.value | (sub.mask & (1n << 31n))));
  r.s32max = minB(r.s32max, s32(sub.value | (sub.mask & ((1n << 31n) - 1n))));
  r.u32min = maxB(r.u32min, sub.value);
  r.u32max = minB(r.u32max, sub.value | sub.mask);
  r.smin = maxB(r.smin, s64(v.value | (v.mask & (1n << 63n))));
  r.smax = minB(r.smax, s64(v.value | (v.mask & ((1n << 63n) - 1n))));
  r.umin = maxB(r.umin, v.value);
  r.umax = minB(r.umax, v.value | v.mask);
}

/** Cross-deduction between signed/unsigned and 32/64-bit bounds. */
function deduce(r: Reg): void {
  // 32-bit: signed ↔ unsigned when the range does not cross the sign boundary.
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = maxB(r.s32min, s32(r.u32min));
    r.s32max = minB(r.s32max, s32(r.u32max));
  }
  if (r.s32min >= 0n || r.s32max < 0n) {
    r.u32min = maxB(r.u32min, u32(r.s32min));
    r.u32max = minB(r.u32max, u32(r.s32max));
  }
  // 64 → 32: when the upper halves agree, the lower halves bound the subregister.
  if ((r.umin >> 32n) === (r.umax >> 32n)) {
    r.u32min = maxB(r.u32min, u32(r.umin));
    r.u32max = minB(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = maxB(r.s32min, s32(r.umin));
      r.s32max = minB(r.s32max, s32(r.umax));
    }
  }
  if ((u64(r.smin) >> 32n) === (u64(r.smax) >> 32n)) {
    r.u32min = maxB(r.u32min, u32(r.smin));
    r.u32max = minB(r.u32max, u32(r.smax));
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = maxB(r.s32min, s32(r.smin));
      r.s32max = minB(r.s32max, s32(r.smax));
    }
  }
  // 32 → 64: splice the subregister bounds into a range with a fixed upper half.
  if ((r.umin >> 32n) === (r.umax >> 32n)) {
    const hi = r.umin & ~U32_MAX;
    r.umin = maxB(r.umin, hi | r.u32min);
    r.umax = minB(r.umax, hi | r.u32max);
  }
  // 64-bit signed ↔ unsigned.
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = maxB(r.smin, s64(r.umin));
    r.smax = minB(r.smax, s64(r.umax));
  }
  if (r.smin >= 0n || r.smax < 0n) {
    r.umin = maxB(r.umin, u64(r.smin));
    r.umax = minB(r.umax, u64(r.smax));
  }
}

function boundOffset(r: Reg): void {
  const v64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(r.u32min, r.u32max));
  r.var = tnumWithSubreg(v64, v32);
}

export function syncBounds(r: Reg): void {
  updateFromTnum(r);
  deduce(r);
  boundOffset(r);
  updateFromTnum(r);
}

/** Bounds that cannot hold: the state is infeasible. */
export function boundsInvalid(r: Reg): boolean {
  return r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max;
}

/** After a 32-bit operation: the upper half becomes zero. */
export function zext32(r: Reg): void {
  r.var = tnumSubreg(r.var);
  r.umin = r.u32min; r.umax = r.u32max;
  r.smin = r.umin; r.smax = r.umax;
  syncBounds(r);
}

/** Truncates a scalar to `bytes` bytes (loads, 32-bit moves). */
export function coerceToSize(r: Reg, bytes: number): void {
  if (bytes >= 8) return;
  r.var = tnumCast(r.var, bytes);
  const mask = (1n << BigInt(bytes * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) { r.umin &= mask; r.umax &= mask; } else { r.umin = 0n; r.umax = mask; }
  // Every value now fits in `bytes` bytes, so it is non-negative in all views.
  r.smin = r.umin; r.smax = r.umax;
  r.u32min = r.umin; r.u32max = r.umax;
  r.s32min = S32_MIN; r.s32max = S32_MAX;
  syncBounds(r);
}

/** Sign-extends the low `bytes` bytes into 64 bits (ldxs / movsx). */
export function signExtend(r: Reg, bytes: number): void {
  const bits = BigInt(bytes * 8);
  if (isConst(r)) { markKnown(r, BigInt.asIntN(Number(bits), r.var.value)); return; }
  const lo = -(1n << (bits - 1n)), hi = (1n << (bits - 1n)) - 1n;
  setUnknown(r);
  r.smin = lo; r.smax = hi;
  syncBounds(r);
}

export function regsEqual(a: Reg, b: Reg): boolean {
  return a.type === b.type && a.maybeNull === b.maybeNull && a.off === b.off && tnumEq(a.var, b.var) &&
    a.smin === b.smin && a.smax === b.smax && a.umin === b.umin && a.umax === b.umax &&
    a.s32min === b.s32min && a.s32max === b.s32max && a.u32min === b.u32min && a.u32max === b.u32max &&
    a.range === b.range && a.map === b.map && a.memSize === b.memSize && a.frameno === b.frameno && a.subprog === b.subprog &&
    a.refObjId === b.refObjId && a.btf === b.btf && a.btfId === b.btfId && a.trust === b.trust && a.rdonly === b.rdonly && a.dynptrId === b.dynptrId && (a.type === 'scalar' || a.id === b.id);
}

/** `cur` is covered by `old`: every concrete value of cur is allowed by old. */
export function regSubsumes(old: Reg, cur: Reg): boolean {
  if (old.type === 'not_init') return true;
  if (cur.type !== old.type) return false;
  if (old.type === 'scalar') {
    return old.umin <= cur.umin && old.umax >= cur.umax && old.smin <= cur.smin && old.smax >= cur.smax &&
      old.u32min <= cur.u32min && old.u32max >= cur.u32max && old.s32min <= cur.s32min && old.s32max >= cur.s32max &&
      tnumIn(old.var, cur.var);
  }
  if (old.maybeNull !== cur.maybeNull || old.off !== cur.off || old.map !== cur.map || old.memSize !== cur.memSize ||
    old.frameno !== cur.frameno || old.refObjId !== cur.refObjId || old.subprog !== cur.subprog || old.btf !== cur.btf || old.btfId !== cur.btfId || old.trust !== cur.trust || old.rdonly !== cur.rdonly || old.dynptrId !== cur.dynptrId) return false;
  if ((old.type === 'pkt' || old.type === 'pkt_meta') && old.range > cur.range) return false;
  if (old.maybeNull && old.id !== cur.id) return false;
  if ((old.type === 'pkt' || old.type === 'pkt_meta') && old.id !== cur.id) return false;
  return old.umin <= cur.umin && old.umax >= cur.umax && old.smin <= cur.smin && old.smax >= cur.smax && tnumIn(old.var, cur.var);
}
