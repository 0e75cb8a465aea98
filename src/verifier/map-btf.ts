/**
 * What the verifier learns from a map's BTF value type, as the kernel's
 * btf_parse_fields does at map creation: where its `struct bpf_spin_lock` is.
 */
import type { Btf } from '../btf/btf.js';

/** The kernel's struct name for the lock field. */
const SPIN_LOCK_STRUCT = 'bpf_spin_lock';
/** Nesting followed before giving up (a bad BTF must not recurse forever). */
const MAX_DEPTH = 32;

/** Byte offset of the first `struct bpf_spin_lock` in the value type (struct members, nested structs, datasec vars). */
export function spinLockOffset(btf: Btf, typeId: number, depth = 0): number | undefined {
  if (depth > MAX_DEPTH) return undefined;
  let t;
  try { t = btf.resolve(typeId); } catch { return undefined; }
  switch (t.kind) {
    case 'STRUCT': case 'UNION':
      if (t.kind === 'STRUCT' && t.name === SPIN_LOCK_STRUCT) return 0;
      for (const m of t.members) {
        const off = spinLockOffset(btf, m.type, depth + 1);
        if (off !== undefined) return Math.floor(m.bitOffset / 8) + off;
      }
      return undefined;
    case 'DATASEC':
      for (const v of t.vars) {
        const off = spinLockOffset(btf, v.type, depth + 1);
        if (off !== undefined) return v.offset + off;
      }
      return undefined;
    case 'VAR':
      return spinLockOffset(btf, t.type, depth + 1);
    default:
      return undefined;
  }
}
