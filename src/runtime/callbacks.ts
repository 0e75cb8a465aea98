/**
 * Helpers that call back into the program (bpf_loop, bpf_for_each_map_elem),
 * shared by both tiers.
 *
 * A callback is named by `lddw rX, func` (src_reg 4, imm = the callee's
 * offset from the next slot). At run time that lddw loads the callback's
 * **id**: its 1-based index in `callbackTable(program)` (callback entries in
 * the order their first lddw appears). The interpreter maps the id to the
 * callee's entry pc, the JIT to the callee's wasm function; 0 and unknown ids
 * name no callback (the call traps with EW3003, as an unknown helper).
 *
 * Semantics (kernel/bpf/bpf_iter.c, arraymap.c, hashtab.c):
 * - bpf_loop(nr_loops: u32, fn, ctx, flags): flags != 0 → -EINVAL; nr_loops >
 *   BPF_MAX_LOOPS → -E2BIG; fn(i, ctx, 0, 0, 0) for i = 0.. until it returns
 *   non-zero; returns the iterations run (the stopping one included).
 * - bpf_for_each_map_elem(map, fn, ctx, flags): flags != 0 → -EINVAL;
 *   fn(map, &key, value, ctx, 0) for each element in iteration order (the
 *   element counted before the call) until it returns non-zero; returns the
 *   elements visited. The key is a copy in the CPU's helper scratch space.
 * The callback runs in a new frame (r10 - 512) like a bpf-to-bpf call, so it
 * counts toward the 8-frame limit; r1-r5 keep their values across the whole
 * helper call (the execution contract for helpers).
 */
import { LddwSrc, MAX_CALL_FRAMES } from '../isa/opcodes.js';
import { jumpTarget, type Program } from '../isa/instruction.js';
import { E } from '../programs/skb-constants.js';
import { CTX_BYTES, KOBJ_BYTES, SCRATCH_BYTES } from './layout.js';

export const BPF_LOOP_HELPER = 181;
export const FOR_EACH_MAP_ELEM_HELPER = 164;
/** The kernel's BPF_MAX_LOOPS. */
export const BPF_MAX_LOOPS = 1 << 23;
export const CALLBACK_EINVAL = -E.EINVAL;
export const CALLBACK_E2BIG = -E.E2BIG;
/** Largest key bpf_for_each_map_elem copies for its callback (larger keys: -E2BIG). */
export const CALLBACK_KEY_BYTES = 256;
/** Kernel exports the map iteration uses (assembly/index.ts). */
export const NEXT_KEY_EXPORT = 'sys_get_next_key';
export const LOOKUP_EXPORT = 'map_lookup_elem';
/** Map header fields (assembly/common.ts): key size. */
export const MAP_KEY_SIZE_OFFSET = 4;

export function isCallbackHelper(id: number): boolean {
  return id === BPF_LOOP_HELPER || id === FOR_EACH_MAP_ELEM_HELPER;
}

/** Is this a `lddw rX, func` (a callback address)? */
export function isFuncLddw(insn: { spec: { kind: string }; src: number }): boolean {
  return insn.spec.kind === 'lddw' && insn.src === LddwSrc.FUNC;
}

/** Entry pcs of the program's callbacks: id k (1-based) is entries[k - 1]. */
export function callbackTable(program: Program): number[] {
  const out: number[] = [];
  for (const insn of program.instructions) {
    if (!isFuncLddw(insn)) continue;
    const t = jumpTarget({ ...insn, spec: { ...insn.spec, kind: 'call' } });
    if (t < 0 || t >= program.slotCount || program.indexBySlot[t] === -1) continue;
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

/** The id a `lddw rX, func` at `pc` loads (0 when its target is no instruction). */
export function callbackId(table: readonly number[], insn: { pc: number; imm: number }): number {
  return table.indexOf(insn.pc + 1 + insn.imm) + 1;
}

/**
 * Two key buffers (current, next) for a bpf_for_each_map_elem whose caller
 * runs in frame `depth`: the top of the CPU's helper scratch space, one pair
 * per frame so nested iterations do not share them.
 */
export function callbackKeyBuffers(stackTop: number, depth: number): number {
  const scratchEnd = stackTop + CTX_BYTES + KOBJ_BYTES + SCRATCH_BYTES;
  return scratchEnd - (depth + 1) * 2 * CALLBACK_KEY_BYTES;
}
/** Offset of the scratch-space key pairs from the stack top, for compiled code: frame d at this - d * 2 * key bytes. */
export const CALLBACK_KEYS_FROM_STACK_TOP = CTX_BYTES + KOBJ_BYTES + SCRATCH_BYTES - 2 * CALLBACK_KEY_BYTES;
if (2 * CALLBACK_KEY_BYTES * MAX_CALL_FRAMES > SCRATCH_BYTES / 2) throw new Error('callback key buffers exceed half the scratch space');
