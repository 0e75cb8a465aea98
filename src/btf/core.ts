/**
 * CO-RE (compile once, run everywhere) relocation resolution against a
 * target BTF, following libbpf's relo_core.c rules: candidates are target
 * types of the same kind whose name equals the local name with any
 * "___flavor" suffix dropped; field accesses are matched member by member
 * by name; several matching candidates must agree.
 */
import { LoadError } from '../diagnostics/index.js';
import type { Btf, BtfType } from './btf.js';
import type { CoreRelo } from './ext.js';
import { MAX_RESOLVE_DEPTH, type CoreReloKindName } from './kinds.js';

/** Name without a "___flavor" suffix ("task___v2" → "task"). */
export function essentialName(name: string): string {
  const i = name.indexOf('___');
  return i > 0 ? name.slice(0, i) : name;
}

/** One step of a resolved access path. */
interface Access { readonly typeId: number; readonly index: number; readonly name: string }

/** A field/type/enum access resolved in one BTF. */
interface Spec {
  readonly rootId: number;
  readonly path: readonly Access[];
  /** Bit offset of the accessed field from the root pointer. */
  readonly bitOffset: number;
  /** Type of the final field (or element). */
  readonly fieldType: number;
  /** Bitfield size in bits, 0 for a whole field. */
  readonly bitfieldSize: number;
}

export interface CoreResult {
  readonly kind: CoreReloKindName;
  /** Value computed from the local BTF (what clang put in the instruction). */
  readonly local: number | bigint;
  /** Value for the target; undefined when `poison`. */
  readonly target?: number | bigint;
  /** True when the relocation could not be satisfied: the instruction must be poisoned. */
  readonly poison: boolean;
  /** Target root type id when a candidate matched. */
  readonly targetTypeId?: number;
  /** For field byte offsets: the target field's byte size (for load size fixups). */
  readonly targetFieldSize?: number;
  readonly localFieldSize?: number;
  /**
   * Whether the instruction must hold `local` before patching. Off for
   * bitfields, where clang and libbpf may pick different load windows.
   */
  readonly validate: boolean;
}

const FIELD_KINDS = new Set<CoreReloKindName>(['FIELD_BYTE_OFFSET', 'FIELD_BYTE_SIZE', 'FIELD_EXISTS', 'FIELD_SIGNED', 'FIELD_LSHIFT_U64', 'FIELD_RSHIFT_U64']);
const ENUM_KINDS = new Set<CoreReloKindName>(['ENUMVAL_EXISTS', 'ENUMVAL_VALUE']);

function err(message: string, insnOff?: number): never {
  throw new LoadError('CoreRelocation', insnOff === undefined ? {} : { offset: insnOff }, message);
}

function parseAccess(access: string, insnOff: number): number[] {
  if (!/^\d+(:\d+)*$/.test(access)) err(`bad access string "${access}"`, insnOff);
  return access.split(':').map((s) => Number(s));
}

function kindClass(t: BtfType): string {
  return t.kind === 'ENUM64' ? 'ENUM' : t.kind;
}

/** Resolves a local field access string into a spec. */
function localFieldSpec(btf: Btf, rootId: number, idx: number[], insnOff: number): Spec {
  const root = btf.resolve(rootId);
  let bitOffset = idx[0]! * btf.sizeof(root.id) * 8;
  let typeId = root.id;
  let bitfieldSize = 0;
  const path: Access[] = [{ typeId, index: idx[0]!, name: '' }];
  for (let i = 1; i < idx.length; i++) {
    const t = btf.resolve(typeId);
    const k = idx[i]!;
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      const m = t.members[k];
      if (!m) err(`access ${idx.join(':')}: member ${k} out of range in ${btf.describe(t.id)}`, insnOff);
      bitOffset += m!.bitOffset;
      bitfieldSize = m!.bitfieldSize;
      path.push({ typeId: t.id, index: k, name: m!.name });
      typeId = m!.type;
    } else if (t.kind === 'ARRAY') {
      bitOffset += k * btf.sizeof(t.type) * 8;
      bitfieldSize = 0;
      path.push({ typeId: t.id, index: k, name: '' });
      typeId = t.type;
    } else {
      err(`access ${idx.join(':')}: cannot index into ${btf.describe(t.id)}`, insnOff);
    }
  }
  return { rootId, path, bitOffset, fieldType: typeId, bitfieldSize };
}

/** libbpf's bpf_core_types_are_compat: shape-compatible, names not compared below the root. */
function typesCompatible(a: Btf, aId: number, b: Btf, bId: number, depth = 0): boolean {
  if (depth > MAX_RESOLVE_DEPTH) return false;
  const x = a.resolve(aId), y = b.resolve(bId);
  if (kindClass(x) !== kindClass(y)) {
    // A forward declaration is compatible with the struct/union it declares.
    const fwd = (f: BtfType, s: BtfType): boolean => f.kind === 'FWD' && (s.kind === 'STRUCT' || s.kind === 'UNION');
    return fwd(x, y) || fwd(y, x);
  }
  switch (x.kind) {
    case 'VOID': case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': case 'FWD': case 'FLOAT': return true;
    case 'INT': return y.kind === 'INT' && x.bitOffset === 0 && y.bitOffset === 0;
    case 'PTR': return y.kind === 'PTR' && typesCompatible(a, x.type, b, y.type, depth + 1);
    case 'ARRAY': return y.kind === 'ARRAY' && typesCompatible(a, x.type, b, y.type, depth + 1);
    case 'FUNC_PROTO': {
      if (y.kind !== 'FUNC_PROTO' || x.params.length !== y.params.length) return false;
      if (!x.params.every((p, i) => typesCompatible(a, p.type, b, y.params[i]!.type, depth + 1))) return false;
      return typesCompatible(a, x.returnType, b, y.returnType, depth + 1);
    }
    default: return false;
  }
}

/** libbpf's bpf_core_fields_are_compat, for the member types along a path. */
function fieldsCompatible(a: Btf, aId: number, b: Btf, bId: number, depth = 0): boolean {
  if (depth > MAX_RESOLVE_DEPTH) return false;
  const x = a.resolve(aId), y = b.resolve(bId);
  const composite = (t: BtfType): boolean => t.kind === 'STRUCT' || t.kind === 'UNION' || t.kind === 'FWD';
  // Like libbpf: composites are compatible by shape at this level; their members are matched by name.
  if (composite(x) && composite(y)) return true;
  const intLike = (t: BtfType): boolean => t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64';
  if (intLike(x) && intLike(y)) return true;
  if (x.kind !== y.kind) return false;
  switch (x.kind) {
    case 'PTR': case 'FLOAT': return true;
    case 'ARRAY': return y.kind === 'ARRAY' && fieldsCompatible(a, x.type, b, y.type, depth + 1);
    default: return false;
  }
}

/** Matches a local field spec in target type `targId`; null if it does not fit. */
function matchFieldSpec(local: Btf, spec: Spec, target: Btf, targId: number): Spec | null {
  const root = target.resolve(targId);
  let bitOffset = spec.path[0]!.index * target.sizeof(root.id) * 8;
  let typeId = root.id;
  let bitfieldSize = 0;
  const path: Access[] = [{ typeId, index: spec.path[0]!.index, name: '' }];
  for (let i = 1; i < spec.path.length; i++) {
    const acc = spec.path[i]!;
    const lt = local.resolve(acc.typeId);
    const tt = target.resolve(typeId);
    if (lt.kind === 'STRUCT' || lt.kind === 'UNION') {
      if (tt.kind !== 'STRUCT' && tt.kind !== 'UNION') return null;
      const lm = lt.members[acc.index]!;
      let found: { bitOffset: number; type: number; bitfieldSize: number } | null;
      if (acc.name) found = target.findMember(tt.id, acc.name) ?? null;
      else {
        // Anonymous member: match by position (libbpf only walks named ones; this is the closest behaviour).
        const m = tt.members[acc.index];
        found = m ? { bitOffset: m.bitOffset, type: m.type, bitfieldSize: m.bitfieldSize } : null;
      }
      if (!found || !fieldsCompatible(local, lm.type, target, found.type)) return null;
      bitOffset += found.bitOffset;
      bitfieldSize = found.bitfieldSize;
      path.push({ typeId: tt.id, index: acc.index, name: acc.name });
      typeId = found.type;
    } else if (lt.kind === 'ARRAY') {
      if (tt.kind !== 'ARRAY') return null;
      // A flexible (zero-length) target array accepts any index.
      if (tt.nelems !== 0 && acc.index >= tt.nelems) return null;
      bitOffset += acc.index * target.sizeof(tt.type) * 8;
      bitfieldSize = 0;
      path.push({ typeId: tt.id, index: acc.index, name: '' });
      typeId = tt.type;
    } else return null;
  }
  return { rootId: targId, path, bitOffset, fieldType: typeId, bitfieldSize };
}

interface FieldValues { byteOffset: number; byteSize: number; signed: number; lshift: number; rshift: number }

/** libbpf's bpf_core_calc_field_relo for a (little-endian) spec. */
function fieldValues(btf: Btf, spec: Spec): FieldValues {
  const mt = btf.resolve(spec.fieldType);
  const bitOff = spec.bitOffset;
  let byteSize: number, byteOffset: number, bitSize: number;
  if (spec.bitfieldSize === 0) {
    byteSize = btf.sizeof(mt.id);
    byteOffset = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  } else {
    bitSize = spec.bitfieldSize;
    byteSize = btf.sizeof(mt.id);
    byteOffset = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8) err(`bitfield at bit ${bitOff} (${bitSize} bits) spans more than 8 bytes`);
      byteSize *= 2;
      byteOffset = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  }
  const signed = ((mt.kind === 'ENUM' || mt.kind === 'ENUM64') && mt.signed) || (mt.kind === 'INT' && mt.signed) ? 1 : 0;
  return { byteOffset, byteSize, signed, lshift: 64 - (bitOff + bitSize - byteOffset * 8), rshift: 64 - bitSize };
}

function fieldValue(v: FieldValues, kind: CoreReloKindName): number {
  switch (kind) {
    case 'FIELD_BYTE_OFFSET': return v.byteOffset;
    case 'FIELD_BYTE_SIZE': return v.byteSize;
    case 'FIELD_EXISTS': return 1;
    case 'FIELD_SIGNED': return v.signed;
    case 'FIELD_LSHIFT_U64': return v.lshift;
    case 'FIELD_RSHIFT_U64': return v.rshift;
    default: return err(`${kind} is not a field relocation`);
  }
}

/** Target types that may stand for local type `localId`: same kind, same essential name. */
export function coreCandidates(local: Btf, localId: number, target: Btf): number[] {
  const lt = local.skipModifiers(localId);
  const name = essentialName(lt.name);
  if (!name) return [];
  const out: number[] = [];
  for (const t of target.types) {
    if (t.id === 0 || !t.name || essentialName(t.name) !== name) continue;
    if (kindClass(t) === kindClass(lt)) out.push(t.id);
  }
  return out;
}

function enumValues(t: BtfType): { name: string; value: number | bigint }[] {
  if (t.kind === 'ENUM' || t.kind === 'ENUM64') return t.values.map((v) => ({ name: v.name, value: v.value }));
  return [];
}

/**
 * Resolves one CO-RE relocation. With no target BTF only TYPE_ID_LOCAL can be
 * computed (others poison), which is libbpf's behaviour without kernel BTF.
 */
export function resolveCoreRelo(local: Btf, relo: CoreRelo, target: Btf | undefined): CoreResult {
  const { kind, insnOff } = relo;
  const idx = parseAccess(relo.access, insnOff);
  const rootLocal = local.type(relo.typeId);
  if (kind === 'TYPE_ID_LOCAL') return { kind, local: relo.typeId, target: relo.typeId, poison: false, validate: true };

  if (FIELD_KINDS.has(kind)) {
    const spec = localFieldSpec(local, relo.typeId, idx, insnOff);
    const lv = fieldValues(local, spec);
    const localValue = fieldValue(lv, kind);
    const base = { kind, local: localValue, localFieldSize: lv.byteSize, validate: spec.bitfieldSize === 0 || kind === 'FIELD_SIGNED' };
    if (!target) return { ...base, poison: kind !== 'FIELD_EXISTS', ...(kind === 'FIELD_EXISTS' ? { target: 0 } : {}) };
    let result: { value: number; id: number; size: number } | undefined;
    for (const cand of coreCandidates(local, relo.typeId, target)) {
      const ts = matchFieldSpec(local, spec, target, cand);
      if (!ts) continue;
      const tv = fieldValues(target, ts);
      const value = fieldValue(tv, kind);
      if (result && result.value !== value) {
        err(`${kind} for ${local.describe(rootLocal.id)} access ${relo.access}: candidates ${result.id} and ${cand} disagree (${result.value} vs ${value})`, insnOff);
      }
      result ??= { value, id: cand, size: tv.byteSize };
    }
    if (!result) return kind === 'FIELD_EXISTS' ? { ...base, target: 0, poison: false } : { ...base, poison: true };
    return { ...base, target: result.value, poison: false, targetTypeId: result.id, targetFieldSize: result.size };
  }

  if (ENUM_KINDS.has(kind)) {
    const lt = local.resolve(relo.typeId);
    const lvals = enumValues(lt);
    const lv = lvals[idx[0]!];
    if (!lv || idx.length !== 1) err(`enum access ${relo.access} out of range in ${local.describe(lt.id)}`, insnOff);
    const localValue = kind === 'ENUMVAL_EXISTS' ? 1 : lv!.value;
    if (!target) return kind === 'ENUMVAL_EXISTS' ? { kind, local: 1, target: 0, poison: false, validate: true } : { kind, local: localValue, poison: true, validate: true };
    const want = essentialName(lv!.name);
    let result: { value: number | bigint; id: number } | undefined;
    for (const cand of coreCandidates(local, relo.typeId, target)) {
      const hit = enumValues(target.type(cand)).find((v) => essentialName(v.name) === want);
      if (!hit) continue;
      const value = kind === 'ENUMVAL_EXISTS' ? 1 : hit.value;
      if (result && result.value !== value) err(`${kind} ${lv!.name}: candidates ${result.id} and ${cand} disagree`, insnOff);
      result ??= { value, id: cand };
    }
    if (!result) return kind === 'ENUMVAL_EXISTS' ? { kind, local: 1, target: 0, poison: false, validate: true } : { kind, local: localValue, poison: true, validate: true };
    return { kind, local: localValue, target: result.value, poison: false, targetTypeId: result.id, validate: true };
  }

  // Type relocations: TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, TYPE_MATCHES.
  if (idx.length !== 1 || idx[0] !== 0) err(`type relocation access must be "0", is "${relo.access}"`, insnOff);
  const localValue = kind === 'TYPE_ID_TARGET' ? relo.typeId : kind === 'TYPE_SIZE' ? local.sizeof(relo.typeId) : 1;
  const absent = kind === 'TYPE_EXISTS' || kind === 'TYPE_MATCHES'
    ? { kind, local: localValue, target: 0, poison: false, validate: true } : { kind, local: localValue, poison: true, validate: true };
  if (!target) return absent;
  let result: { value: number; id: number } | undefined;
  for (const cand of coreCandidates(local, relo.typeId, target)) {
    if (!typesCompatible(local, relo.typeId, target, cand)) continue;
    const value = kind === 'TYPE_ID_TARGET' ? cand : kind === 'TYPE_SIZE' ? target.sizeof(cand) : 1;
    if (result && result.value !== value && kind !== 'TYPE_ID_TARGET') {
      err(`${kind} for ${local.describe(relo.typeId)}: candidates ${result.id} and ${cand} disagree`, insnOff);
    }
    result ??= { value, id: cand };
  }
  if (!result) return absent;
  return { kind, local: localValue, target: result.value, poison: false, targetTypeId: result.id, validate: true };
}
