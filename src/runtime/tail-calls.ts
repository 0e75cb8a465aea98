/**
 * bpf_tail_call: which program a prog-array slot names, per machine. The
 * object loader gives every program an id (BpfSyscalls.registerProgram) and
 * stores ids in prog arrays; each tier registers what it runs under that id
 * (the interpreter its Interpreter, the JIT its executor, whose instances put
 * their entry into the CPU's shared function table). Kernel semantics, both
 * tiers: index >= max_entries fails without counting; the 34th tail call of
 * a run (MAX_TAIL_CALL_CNT = 33) fails; an empty slot fails after counting;
 * a failed call goes on after the call with r0 = -EINVAL (the helper's own
 * return value: the kernel's JITs leave r0 undefined and its verifier treats
 * r0 as unknown, so programs cannot depend on more).
 */
import { MAX_TAIL_CALLS } from '../isa/opcodes.js';
import type { Machine } from './machine.js';

import { MAP_HEADER } from '../maps/header.js';
export { MAX_TAIL_CALLS };
/** Helper id of bpf_tail_call (include/uapi/linux/bpf.h). */
export const TAIL_CALL_HELPER = 12;
/** r0 after a failed tail call. */
export const TAIL_CALL_FAILED = -22; // -EINVAL
/**
 * Byte offset of max_entries in a map's header in linear memory (assembly/common.ts M_MAX): the tail
 * call reads it as the kernel's JIT reads array->map.max_entries. test/tailcall.test.ts checks it.
 */
export const MAP_MAX_ENTRIES_OFFSET = MAP_HEADER.maxEntries;

/** What a tier runs under a program id (unknown here to keep this module free of tier imports). */
export interface TailCallPeers {
  readonly interpreters: Map<number, unknown>;
  readonly jit: Map<number, unknown>;
}

const peers = new WeakMap<Machine, TailCallPeers>();

export function tailCallPeers(machine: Machine): TailCallPeers {
  let p = peers.get(machine);
  if (!p) peers.set(machine, p = { interpreters: new Map(), jit: new Map() });
  return p;
}
