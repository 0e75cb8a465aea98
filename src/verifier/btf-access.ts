/**
 * PTR_TO_BTF_ID for BTF-typed tracing programs (tp_btf, fentry, fexit,
 * fmod_ret, lsm), after kernel/bpf/btf.c: btf_ctx_access types a context
 * slot by the attach target's prototype (a pointer to a struct becomes a
 * BTF pointer), btf_struct_walk finds what a load through such a pointer
 * reads (a scalar member, or a pointer member that becomes a BTF pointer
 * again). The caller (the loader) resolves the target in its kernel BTF, so
 * the verifier never loads the built-in BTF itself.
 */
import type { Btf, BtfParam, BtfType } from '../btf/btf.js';
import type { BtfTrust } from './reg.js';

export type TracingKind = 'fentry' | 'fexit' | 'fmod_ret' | 'tp_btf' | 'lsm';

/** The attach target of a BTF-typed tracing program, resolved in a kernel BTF. */
export interface TracingTarget {
  readonly kind: TracingKind;
  /** attach_func_name as the kernel logs it: the function, bpf_lsm_<hook>, or the event (its typedef without btf_trace_). */
  readonly name: string;
  readonly btf: Btf;
  /** Arguments (tp_btf: without the prototype's leading void *__data). */
  readonly params: readonly BtfParam[];
  readonly returnType: number;
}

/** What a load reads: a scalar, a BTF pointer to struct `id`, or a refusal with the kernel's message. */
export type BtfLoad =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'ptr'; readonly id: number; readonly name: string; readonly field?: string }
  | { readonly kind: 'error'; readonly message: string };

/** reg_type_str's prefix for each trust (PTR_TRUSTED, MEM_RCU, none). */
export const BTF_TRUST_PREFIX: Readonly<Record<BtfTrust, string>> = { trusted: 'trusted_', rcu: 'rcu_', plain: '' };

/** RCU-protected pointer fields (the kernel's BTF_TYPE_SAFE_RCU lists in kernel/bpf/verifier.c), by struct. */
const RCU_FIELDS: Readonly<Record<string, readonly string[]>> = {
  task_struct: ['cpus_ptr', 'cgroups', 'real_parent', 'group_leader'],
};

/** Whether member `field` of struct `id` holds an RCU-protected pointer (type_is_rcu). */
export function isRcuField(btf: Btf, id: number, field: string | undefined): boolean {
  return field !== undefined && (RCU_FIELDS[btf.type(id).name]?.includes(field) ?? false);
}

/** Slots of the trampoline context the kernel lets a program read (MAX_BPF_FUNC_ARGS u64s). */
export const MAX_BPF_FUNC_ARGS = 12;
const SLOT_BYTES = 8;
/** The kernel's walks of nested members (btf_struct_walk loops, here bounded). */
const MAX_WALK_DEPTH = 32;

const SCALAR: BtfLoad = { kind: 'scalar' };
const error = (message: string): BtfLoad => ({ kind: 'error', message });

/** Skips typedefs and qualifiers (btf_type_is_modifier), keeping the id of the type reached. */
function skipMods(btf: Btf, id: number): { t: BtfType; id: number } {
  let t = btf.type(id);
  for (let i = 0; i < MAX_WALK_DEPTH && (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG'); i++) {
    id = t.type; t = btf.type(id);
  }
  return { t, id };
}

const isSmallInt = (t: BtfType): boolean => t.kind === 'INT' && t.size <= SLOT_BYTES;
const isStruct = (t: BtfType): boolean => t.kind === 'STRUCT' || t.kind === 'UNION';
/** btf_type_str: the kind's name, "UNKNOWN" for void. */
const kindStr = (t: BtfType): string => (t.kind === 'VOID' ? 'UNKNOWN' : t.kind);

/**
 * btf_ctx_access for a read of `size` bytes at `off` of the context, once
 * bpf_tracing_btf_ctx_access has checked the range and `off % size`.
 */
export function btfCtxAccess(target: TracingTarget, off: number, size: number): BtfLoad {
  const { btf, name: tname, params } = target;
  if (off % SLOT_BYTES) return error(`func '${tname}' offset ${off} is not multiple of ${SLOT_BYTES}`);
  const arg = off / SLOT_BYTES;
  const nrArgs = params.length;
  let typeId: number;
  if (arg > nrArgs) return error(`func '${tname}' doesn't have ${arg + 1}-th argument`);
  if (arg === nrArgs) {
    // the return-value slot exists for trampolines that run after the function
    switch (target.kind) {
      case 'lsm': case 'fexit':
        typeId = target.returnType;
        break;
      case 'fmod_ret': {
        const ret = skipMods(btf, target.returnType).t;
        if (!isSmallInt(ret)) return error(`ret type ${kindStr(ret)} not allowed for fmod_ret`);
        typeId = target.returnType;
        break;
      }
      default:
        return error(`func '${tname}' doesn't have ${arg + 1}-th argument`);
    }
  } else typeId = params[arg]!.type;
  const { t } = skipMods(btf, typeId);
  if (isSmallInt(t) || t.kind === 'ENUM' || t.kind === 'ENUM64' || isStruct(t)) return SCALAR;
  if (t.kind !== 'PTR') {
    return error(`func '${tname}' arg${arg} '${arg < nrArgs ? params[arg]!.name : ''}' has type ${kindStr(t)}. Only pointer access is allowed`);
  }
  // void * and int * read as scalars (from the verifier's safety point of view they are)
  if (t.type === 0) return SCALAR;
  const pointee = skipMods(btf, t.type);
  if (pointee.t.kind === 'INT') return SCALAR;
  // a BTF pointer is read whole (narrower loads of pointer slots are refused)
  if (size !== SLOT_BYTES) return error(`func '${tname}' size ${size} must be ${SLOT_BYTES}`);
  if (!isStruct(pointee.t)) return error(`func '${tname}' arg${arg} type ${kindStr(pointee.t)} is not a struct`);
  return { kind: 'ptr', id: pointee.id, name: pointee.t.name };
}

/**
 * btf_struct_access for a read of `size` bytes at `off` (fixed, non-negative)
 * of struct `id`: walks members, nested structs and arrays to what lies at
 * [off, off + size), as btf_struct_walk does.
 */
export function btfStructAccess(btf: Btf, id: number, off: number, size: number): BtfLoad {
  for (let depth = 0; depth < MAX_WALK_DEPTH; depth++) {
    const r = walk(btf, id, off, size);
    if (r.kind !== 'struct') return r;
    // a nested struct starts exactly at off: go on inside it from its start
    id = r.id; off = 0;
  }
  return error(`struct ${btf.type(id).name} nests too deeply`);
}

function walk(btf: Btf, id: number, off: number, size: number): BtfLoad | { kind: 'struct'; id: number } {
  let t = skipMods(btf, id).t;
  for (let depth = 0; depth < MAX_WALK_DEPTH; depth++) {
    const tname = t.name;
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return error(`Type '${tname}' is not a struct`);
    if (off + size > t.size) return error(`access beyond struct ${tname} at off ${off} size ${size}`);
    let descended = false;
    for (const m of t.members) {
      let moff = Math.floor(m.bitOffset / 8);
      if (off + size <= moff) break; // members further on cannot overlap
      if (m.bitfieldSize) {
        const endByte = Math.ceil((m.bitOffset + m.bitfieldSize) / 8);
        if (off <= moff && endByte <= off + size) return SCALAR;
        continue; // a partial access at either end of a bitfield may belong to the next member
      }
      if (off < moff) break; // a hole in the struct
      let mid = m.type;
      let mt = skipMods(btf, mid);
      let msize: number;
      try { msize = btf.sizeof(mid); } catch { return error(`field ${m.name} doesn't have size`); }
      let mend = moff + msize;
      if (off >= mend) continue;
      // arrays (of arrays): the element at off
      while (mt.t.kind === 'ARRAY') {
        const elem = skipMods(btf, mt.t.type);
        const esize = mt.t.nelems ? msize / mt.t.nelems : 0;
        if (!esize) break;
        const idx = Math.floor((off - moff) / esize);
        moff += idx * esize;
        msize = esize;
        mid = elem.id; mt = elem;
        if (mt.t.kind !== 'ARRAY') break;
      }
      if (mt.t.kind === 'STRUCT' || mt.t.kind === 'UNION') {
        if (off === moff) return { kind: 'struct', id: mt.id };
        off -= moff;
        t = mt.t;
        descended = true;
        break;
      }
      if (mt.t.kind === 'PTR') {
        if (msize !== size || off !== moff) {
          return error(`cannot access ptr member ${m.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}`);
        }
        const pointee = skipMods(btf, mt.t.type);
        if (isStruct(pointee.t)) return { kind: 'ptr', id: pointee.id, name: pointee.t.name, field: m.name };
        return SCALAR;
      }
      // a scalar may be read across elements of the array it lies in, not past the member
      if (off + size > mend) {
        return error(`access beyond the end of member ${m.name} (mend:${mend}) in struct ${tname} with off ${off} size ${size}`);
      }
      return SCALAR;
    }
    if (!descended) return error(`struct ${tname} doesn't have field at offset ${off}`);
  }
  return error(`struct ${t.name} nests too deeply`);
}
