/**
 * Verifier state: call frames (registers and 512-byte stacks made of 8-byte
 * slots, each byte invalid/spill/misc/zero), acquired references, and the
 * checkpoint a path descends from (for pruning and loop detection).
 */
import { STACK_FRAME_BYTES } from '../isa/opcodes.js';
import { type Reg, regsEqual, regSubsumes, notInit, pointer } from './reg.js';

/** Stack byte kinds (the kernel's STACK_INVALID/SPILL/MISC/ZERO). */
/** Dynptr: one of the 16 bytes of a struct bpf_dynptr (STACK_DYNPTR); the slot's spill holds its 'dynptr' record. */
export const enum SB { Invalid = 0, Spill = 1, Misc = 2, Zero = 3, Dynptr = 4 }
export const SLOT_BYTES = 8;
export const STACK_SLOTS = STACK_FRAME_BYTES / SLOT_BYTES;
export const REG_COUNT = 11;

export interface Slot { bytes: SB[]; spill: Reg | null }
export interface Frame {
  regs: Reg[];
  /** Slot i covers fp-8(i+1) … fp-8i-1; byte index 7 is the lowest address. */
  stack: Array<Slot | undefined>;
  /** Call instruction that created the frame (-1 for main). */
  callsite: number;
  frameno: number;
  subprog: number;
  /** A callback's frame (bpf_loop, bpf_for_each_map_elem): its r0 range; it returns to the calling helper call. */
  callback?: { readonly min: number; readonly max: number; readonly widen: boolean };
  /** Callbacks this frame has had run in a row (bounds bpf_loop unrolling); not part of state equality. */
  callbackDepth?: number;
}
export interface RefState { id: number; insn: number }
export interface Checkpoint { state: State; pc: number; branches: number; parent: Checkpoint | null; hits: number; misses: number }
/** A held bpf_spin_lock: the map and the id of the map value pointer it was taken through. */
export interface LockState { readonly map: number; readonly id: number }
export interface State {
  frames: Frame[];
  refs: RefState[];
  parent: Checkpoint | null;
  /** bpf_spin_lock held (the kernel's active_locks / active_lock_id). */
  lock?: LockState | null;
  /** Inside bpf_rcu_read_lock (the kernel's active_rcu_lock). */
  rcu?: boolean;
}

function sameLock(a: LockState | null | undefined, b: LockState | null | undefined): boolean {
  return (!a && !b) || (!!a && !!b && a.map === b.map && a.id === b.id);
}

export function newFrame(frameno: number, callsite: number, subprog: number): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < REG_COUNT; i++) regs.push(notInit());
  regs[REG_COUNT - 1] = pointer('fp', { frameno });
  return { regs, stack: [], callsite, frameno, subprog };
}

export function cloneSlot(s: Slot | undefined): Slot | undefined {
  return s ? { bytes: s.bytes.slice(), spill: s.spill ? { ...s.spill } : null } : undefined;
}
export function cloneFrame(f: Frame): Frame {
  return { regs: f.regs.map((r) => ({ ...r })), stack: f.stack.map(cloneSlot), callsite: f.callsite, frameno: f.frameno, subprog: f.subprog, callback: f.callback, callbackDepth: f.callbackDepth };
}
export function cloneState(s: State): State {
  return { frames: s.frames.map(cloneFrame), refs: s.refs.map((r) => ({ ...r })), parent: s.parent, lock: s.lock ?? null, rcu: s.rcu ?? false };
}

/** Every register and spilled register of every frame. */
export function* allRegs(s: State): Generator<Reg> {
  for (const f of s.frames) {
    for (const r of f.regs) yield r;
    for (const sl of f.stack) if (sl?.spill) yield sl.spill;
  }
}

function slotEmpty(s: Slot | undefined): boolean { return !s || s.bytes.every((b) => b === SB.Invalid); }

export function statesEqualExact(a: State, b: State): boolean {
  if (a.frames.length !== b.frames.length || a.refs.length !== b.refs.length || !sameLock(a.lock, b.lock) || !!a.rcu !== !!b.rcu) return false;
  for (let i = 0; i < a.frames.length; i++) {
    const fa = a.frames[i]!, fb = b.frames[i]!;
    if (fa.callsite !== fb.callsite) return false;
    for (let r = 0; r < REG_COUNT; r++) if (!regsEqual(fa.regs[r]!, fb.regs[r]!)) return false;
    const n = Math.max(fa.stack.length, fb.stack.length);
    for (let k = 0; k < n; k++) {
      const x = fa.stack[k], y = fb.stack[k];
      if (slotEmpty(x) && slotEmpty(y)) continue;
      if (!x || !y) return false;
      for (let j = 0; j < SLOT_BYTES; j++) if (x.bytes[j] !== y.bytes[j]) return false;
      if (!!x.spill !== !!y.spill || (x.spill && !regsEqual(x.spill, y.spill!))) return false;
    }
  }
  return true;
}

/** Everything `cur` can do was already shown safe by `old`. */
export function stateSubsumes(old: State, cur: State): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length || !sameLock(old.lock, cur.lock) || !!old.rcu !== !!cur.rcu) return false;
  for (let i = 0; i < old.refs.length; i++) if (old.refs[i]!.id !== cur.refs[i]!.id) return false;
  for (let i = 0; i < old.frames.length; i++) {
    const fo = old.frames[i]!, fc = cur.frames[i]!;
    if (fo.callsite !== fc.callsite) return false;
    for (let r = 0; r < REG_COUNT; r++) if (!regSubsumes(fo.regs[r]!, fc.regs[r]!)) return false;
    for (let k = 0; k < fo.stack.length; k++) {
      const x = fo.stack[k];
      if (slotEmpty(x)) continue;
      const y = fc.stack[k];
      for (let j = 0; j < SLOT_BYTES; j++) {
        const bo = x!.bytes[j]!, bc = y ? y.bytes[j]! : SB.Invalid;
        if (bo === SB.Invalid) continue;
        if (bo === SB.Misc && (bc === SB.Misc || bc === SB.Zero || (bc === SB.Spill && y!.spill?.type === 'scalar'))) continue;
        if (bo === bc && bo !== SB.Spill) continue;
        if (bo === SB.Spill && bc === SB.Spill) continue;
        return false;
      }
      if (x!.spill && x!.bytes[SLOT_BYTES - 1] === SB.Spill) {
        if (!y?.spill || !regSubsumes(x!.spill, y.spill)) return false;
      }
    }
  }
  return true;
}
