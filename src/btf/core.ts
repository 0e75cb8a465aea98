/**
 * CO-RE (compile once, run everywhere) relocation resolution against a
 * target BTF, following the rules of libbpf's relo_core.c:
 *  - candidates are target types of a compatible kind whose name equals the
 *    local name with any "___flavor" suffix dropped;
 *  - a field access string ("0:1:2") becomes a list of accessors (named
 *    members and array indexes; anonymous members only add their offset),
 *    matched in the target member by member, by name, through anonymous
 *    members;
 *  - every matching candidate must give the same answer;
 *  - unsatisfiable field offsets / enum values poison the instruction, while
 *    *_EXISTS and type relocations evaluate to 0.
 */
import { LoadError } from '../diagnostics/index.js';
import type { Btf, BtfArray, BtfType } from './btf.js';
import type { CoreRelo } from './ext.js';
import { MAX_RESOLVE_DEPTH, type CoreReloKindName } from './kinds.js';

/** libbpf's bpf_core_essential_name_len: cut at the last "X___Y" (X, Y not '_'). */
export function essentialName(name: string): string {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') {
      return name.slice(0, i + 1);
    }
  }
  return name;
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
  /** Field byte offsets: memory access sizes before and after (0 when not applicable). */
  readonly localFieldSize?: number;
  readonly targetFieldSize?: number;
  /** The access size may not be changed (e.g. signed ints of different sizes): poison loads/stores. */
  readonly failMemSizeAdjust?: boolean;
  /**
   * Whether the instruction must hold `local` before patching. Off for
   * bitfields (clang and libbpf may pick different load windows) and type ids.
   */
  readonly validate: boolean;
}

/** One high-level step of an access path (libbpf's bpf_core_accessor). */
interface Accessor {
  /** Named member: the struct/union id. Array element (or root): the element type id. */
  readonly typeId: number;
  readonly index: number;
  /** Member name; undefined for array/root accessors. */
  readonly name?: string;
}

interface FieldSpec { readonly accessors: readonly Accessor[]; readonly bitOffset: number }

const FIELD_KINDS = new Set<CoreReloKindName>(['FIELD_BYTE_OFFSET', 'FIELD_BYTE_SIZE', 'FIELD_EXISTS', 'FIELD_SIGNED', 'FIELD_LSHIFT_U64', 'FIELD_RSHIFT_U64']);
const ENUM_KINDS = new Set<CoreReloKindName>(['ENUMVAL_EXISTS', 'ENUMVAL_VALUE']);

function err(message: string, insnOff?: number): never {
  throw new LoadError('CoreRelocation', insnOff === undefined ? {} : { offset: insnOff }, message);
}

const isComposite = (t: BtfType): boolean => t.kind === 'STRUCT' || t.kind === 'UNION';
const isEnum = (t: BtfType): boolean => t.kind === 'ENUM' || t.kind === 'ENUM64';
/** libbpf's btf_kind_core_compat: same kind, or enum vs enum64. */
const kindsCompat = (a: BtfType, b: BtfType): boolean => a.kind === b.kind || (isEnum(a) && isEnum(b));

function parseAccess(access: string, insnOff: number): number[] {
  if (!/^\d+(:\d+)*$/.test(access)) err(`bad access string "${access}"`, insnOff);
  return access.split(':').map((s) => Number(s));
}

/** A zero-length array that is the last member of the struct its accessor names. */
function isFlexArray(btf: Btf, prev: Accessor | undefined, a: BtfArray): boolean {
  if (!prev || prev.name === undefined || a.nelems !== 0) return false;
  const t = btf.type(prev.typeId);
  return isComposite(t) && prev.index === (t as { members: readonly unknown[] }).members.length - 1;
}

/** libbpf's bpf_core_parse_spec for field relocations. */
function parseFieldSpec(btf: Btf, rootId: number, raw: number[], insnOff: number): FieldSpec {
  let id = btf.resolve(rootId).id;
  const accessors: Accessor[] = [{ typeId: id, index: raw[0]! }];
  let bitOffset = raw[0]! * btf.sizeof(id) * 8;
  for (let i = 1; i < raw.length; i++) {
    const t = btf.resolve(id);
    const idx = raw[i]!;
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      const m = t.members[idx];
      if (!m) err(`access ${raw.join(':')}: member ${idx} out of range in ${btf.describe(t.id)}`, insnOff);
      bitOffset += m!.bitOffset;
      if (m!.name) accessors.push({ typeId: t.id, index: idx, name: m!.name });
      id = m!.type;
    } else if (t.kind === 'ARRAY') {
      const elem = btf.resolve(t.type);
      if (!isFlexArray(btf, accessors[accessors.length - 1], t) && idx >= t.nelems) {
        err(`access ${raw.join(':')}: index ${idx} out of bounds of ${btf.describe(t.id)}`, insnOff);
      }
      accessors.push({ typeId: elem.id, index: idx });
      bitOffset += idx * btf.sizeof(elem.id) * 8;
      id = elem.id;
    } else {
      err(`access ${raw.join(':')}: cannot index into ${btf.describe(t.id)}`, insnOff);
    }
  }
  return { accessors, bitOffset };
}

/** libbpf's bpf_core_fields_are_compat. */
function fieldsCompat(a: Btf, aId: number, b: Btf, bId: number): boolean {
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const x = a.resolve(aId), y = b.resolve(bId);
    if (isComposite(x) && isComposite(y)) return true;
    if (!kindsCompat(x, y)) return false;
    switch (x.kind) {
      case 'PTR': case 'FLOAT': return true;
      case 'FWD': case 'ENUM': case 'ENUM64': {
        const ln = essentialName(x.name), tn = essentialName(y.name);
        return ln === '' || tn === '' || ln === tn;
      }
      case 'INT': return y.kind === 'INT' && x.bitOffset === 0 && y.bitOffset === 0;
      case 'ARRAY': if (y.kind !== 'ARRAY') return false; aId = x.type; bId = y.type; continue;
      default: return false;
    }
  }
  return false;
}

/** libbpf's bpf_core_types_are_compat (root names already match). */
function typesCompat(a: Btf, aId: number, b: Btf, bId: number, level = MAX_RESOLVE_DEPTH): boolean {
  if (!kindsCompat(a.type(aId), b.type(bId))) return false;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const x = a.resolve(aId), y = b.resolve(bId);
    if (!kindsCompat(x, y)) return false;
    switch (x.kind) {
      case 'VOID': case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': case 'FWD': return true;
      case 'INT': return y.kind === 'INT' && x.bitOffset === 0 && y.bitOffset === 0;
      case 'PTR': if (y.kind !== 'PTR') return false; aId = x.type; bId = y.type; continue;
      case 'ARRAY': if (y.kind !== 'ARRAY') return false; aId = x.type; bId = y.type; continue;
      case 'FUNC_PROTO': {
        if (y.kind !== 'FUNC_PROTO' || x.params.length !== y.params.length || level <= 0) return false;
        if (!x.params.every((p, i) => typesCompat(a, a.resolve(p.type).id, b, b.resolve(y.params[i]!.type).id, level - 1))) return false;
        aId = x.returnType; bId = y.returnType;
        continue;
      }
      default: return false;
    }
  }
  return false;
}

function namesMatch(local: string, target: string): boolean {
  if (!target) return !local;
  return essentialName(local) === essentialName(target);
}

/** libbpf's bpf_core_types_match (TYPE_MATCHES): stricter, structural. */
function typesMatch(a: Btf, aId: number, b: Btf, bId: number, behindPtr: boolean, level: number): boolean {
  if (level <= 0) return false;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    const x = a.resolve(aId), y = b.resolve(bId);
    if (!namesMatch(x.name, y.name)) return false;
    switch (x.kind) {
      case 'VOID': return y.kind === 'VOID';
      case 'FWD':
        if (behindPtr && y.kind !== 'FWD') return (y.kind === 'STRUCT' && !x.union) || (y.kind === 'UNION' && x.union);
        return y.kind === 'FWD' && y.union === x.union;
      case 'ENUM': case 'ENUM64': {
        if (!isEnum(y)) return false;
        const ye = y as typeof x;
        if (x.size !== ye.size || x.values.length > ye.values.length) return false;
        return x.values.every((v) => ye.values.some((w) => namesMatch(v.name, w.name)));
      }
      case 'STRUCT': case 'UNION': {
        if (behindPtr) {
          if (x.kind === y.kind) return true;
          return y.kind === 'FWD' && (x.kind === 'UNION') === y.union;
        }
        if (x.kind !== y.kind) return false;
        const ys = y as typeof x;
        if (x.members.length > ys.members.length) return false;
        return x.members.every((m) => ys.members.some((n) => namesMatch(m.name, n.name) && typesMatch(a, m.type, b, n.type, behindPtr, level - 1)));
      }
      case 'INT': return y.kind === 'INT' && x.size === y.size && x.signed === y.signed;
      case 'PTR': if (y.kind !== 'PTR') return false; behindPtr = true; aId = x.type; bId = y.type; continue;
      case 'ARRAY': if (y.kind !== 'ARRAY' || x.nelems !== y.nelems) return false; aId = x.type; bId = y.type; continue;
      case 'FUNC_PROTO': {
        if (y.kind !== 'FUNC_PROTO' || x.params.length !== y.params.length) return false;
        if (!x.params.every((p, i) => typesMatch(a, p.type, b, y.params[i]!.type, behindPtr, level - 1))) return false;
        aId = x.returnType; bId = y.returnType;
        continue;
      }
      default: return false;
    }
  }
  return false;
}

/** libbpf's bpf_core_match_member: find a named member, descending into anonymous ones. */
function matchMember(local: Btf, acc: Accessor, target: Btf, targId: number, out: Accessor[], bit: { v: number }, depth = 0): { found: boolean; next: number } {
  const tt = target.resolve(targId);
  if ((tt.kind !== 'STRUCT' && tt.kind !== 'UNION') || depth > MAX_RESOLVE_DEPTH) return { found: false, next: 0 };
  const lt = local.type(acc.typeId) as Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>;
  const lm = lt.members[acc.index]!;
  for (let i = 0; i < tt.members.length; i++) {
    const m = tt.members[i]!;
    bit.v += m.bitOffset;
    if (!m.name) {
      const r = matchMember(local, acc, target, m.type, out, bit, depth + 1);
      if (r.found) return r;
    } else if (m.name === lm.name) {
      if (!fieldsCompat(local, lm.type, target, m.type)) return { found: false, next: 0 };
      out.push({ typeId: tt.id, index: i, name: m.name });
      return { found: true, next: m.type };
    }
    bit.v -= m.bitOffset;
  }
  return { found: false, next: 0 };
}

/** libbpf's bpf_core_spec_match for field relocations; null when the candidate does not fit. */
function matchFieldSpec(local: Btf, spec: FieldSpec, target: Btf, candId: number): FieldSpec | null {
  const out: Accessor[] = [];
  const bit = { v: 0 };
  let targId = candId;
  for (let i = 0; i < spec.accessors.length; i++) {
    const acc = spec.accessors[i]!;
    let tt = target.resolve(targId);
    targId = tt.id;
    if (acc.name !== undefined) {
      const r = matchMember(local, acc, target, targId, out, bit);
      if (!r.found) return null;
      targId = r.next;
    } else {
      if (i > 0) {
        if (tt.kind !== 'ARRAY') return null;
        if (!isFlexArray(target, out[out.length - 1], tt) && acc.index >= tt.nelems) return null;
        tt = target.resolve(tt.type);
        targId = tt.id;
      }
      out.push({ typeId: targId, index: acc.index });
      bit.v += acc.index * target.sizeof(targId) * 8;
    }
  }
  return { accessors: out, bitOffset: bit.v };
}

/** Size of the innermost non-array element of a type (libbpf: load size of an array field). */
function elementSize(btf: Btf, id: number): number {
  let t = btf.resolve(id);
  for (let d = 0; t.kind === 'ARRAY' && d <= MAX_RESOLVE_DEPTH; d++) t = btf.resolve(t.type);
  return btf.sizeof(t.id);
}

interface FieldCalc { value: number; fieldSize: number; fieldType: number; validate: boolean; bitfield: boolean }

/** libbpf's bpf_core_calc_field_relo (little-endian). */
function calcField(btf: Btf, spec: FieldSpec, kind: CoreReloKindName, insnOff: number): FieldCalc {
  const acc = spec.accessors[spec.accessors.length - 1]!;
  if (acc.name === undefined) {
    // Root or array element access.
    if (kind === 'FIELD_BYTE_OFFSET') return { value: spec.bitOffset / 8, fieldSize: elementSize(btf, acc.typeId), fieldType: acc.typeId, validate: true, bitfield: false };
    if (kind === 'FIELD_BYTE_SIZE') return { value: btf.sizeof(acc.typeId), fieldSize: 0, fieldType: 0, validate: true, bitfield: false };
    err(`${kind} cannot be applied to an array element access`, insnOff);
  }
  const st = btf.type(acc.typeId) as Extract<BtfType, { kind: 'STRUCT' | 'UNION' }>;
  const m = st.members[acc.index]!;
  const mt = btf.resolve(m.type);
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize, byteSize: number, byteOffset: number;
  const bitfield = bitSize > 0;
  if (bitfield) {
    byteSize = btf.sizeof(mt.id);
    if (byteSize === 0) err('bitfield of a zero-sized type', insnOff);
    byteOffset = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOffset * 8 > byteSize * 8) {
      if (byteSize >= 8) err(`bitfield at bit ${bitOff} (${bitSize} bits) cannot be read with a 64-bit load`, insnOff);
      byteSize *= 2;
      byteOffset = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = btf.sizeof(mt.id);
    byteOffset = Math.floor(bitOff / 8);
    bitSize = byteSize * 8;
  }
  let validate = !bitfield;
  let value: number, fieldSize = 0, fieldType = 0;
  switch (kind) {
    case 'FIELD_BYTE_OFFSET':
      value = byteOffset;
      if (!bitfield) { fieldSize = elementSize(btf, mt.id); fieldType = mt.id; }
      break;
    case 'FIELD_BYTE_SIZE': value = byteSize; break;
    case 'FIELD_SIGNED':
      value = (isEnum(mt) && (mt as { signed: boolean }).signed) || (mt.kind === 'INT' && mt.signed) ? 1 : 0;
      validate = true;
      break;
    case 'FIELD_LSHIFT_U64': value = 64 - (bitOff + bitSize - byteOffset * 8); break;
    case 'FIELD_RSHIFT_U64': value = 64 - bitSize; validate = true; break;
    default: return err(`${kind} is not a computed field relocation`, insnOff);
  }
  return { value, fieldSize, fieldType, validate, bitfield };
}

/** Target types that may stand for local type `localId`: compatible kind, same essential name. */
export function coreCandidates(local: Btf, localId: number, target: Btf): number[] {
  const lt = local.type(localId);
  const name = essentialName(lt.name);
  if (!name) return [];
  const out: number[] = [];
  for (const t of target.types) {
    if (t.id === 0 || !t.name || !kindsCompat(t, lt)) continue;
    if (essentialName(t.name) === name) out.push(t.id);
  }
  return out;
}

function enumValueList(t: BtfType): { name: string; value: number | bigint }[] {
  return t.kind === 'ENUM' || t.kind === 'ENUM64' ? t.values.map((v) => ({ name: v.name, value: v.value })) : [];
}

/** Whether `target` has any candidate type for the relocation's root type (TYPE_ID_LOCAL needs none). */
export function hasCoreCandidates(local: Btf, relo: CoreRelo, target: Btf): boolean {
  if (relo.kind === 'TYPE_ID_LOCAL') return true;
  const root = local.type(relo.typeId);
  if (!root.name) return true;
  return coreCandidates(local, relo.typeId, target).length > 0;
}

/**
 * Resolves one CO-RE relocation. With no target BTF, nothing matches: field
 * offsets and enum values poison, *_EXISTS / type relocations give 0, and
 * TYPE_ID_LOCAL is always the local id (libbpf's behaviour).
 */
export function resolveCoreRelo(local: Btf, relo: CoreRelo, target: Btf | undefined): CoreResult {
  const { kind, insnOff } = relo;
  const raw = parseAccess(relo.access, insnOff);
  const rootLocal = local.type(relo.typeId);
  if (kind === 'TYPE_ID_LOCAL') {
    if (relo.access !== '0') err(`type relocation access must be "0", is "${relo.access}"`, insnOff);
    return { kind, local: relo.typeId, target: relo.typeId, poison: false, validate: false };
  }
  if (!rootLocal.name) err(`${kind} relocation against anonymous ${local.describe(relo.typeId)} is not supported`, insnOff);
  const cands = target ? coreCandidates(local, relo.typeId, target) : [];

  if (FIELD_KINDS.has(kind)) {
    const spec = parseFieldSpec(local, relo.typeId, raw, insnOff);
    const isExists = kind === 'FIELD_EXISTS';
    const lc = isExists ? undefined : calcField(local, spec, kind, insnOff);
    const base = { kind, local: lc ? lc.value : 1, validate: lc ? lc.validate : true };
    let found: { spec: FieldSpec; calc?: FieldCalc; id: number } | undefined;
    for (const cand of cands) {
      const ts = matchFieldSpec(local, spec, target!, cand);
      if (!ts) continue;
      const tc = isExists ? undefined : calcField(target!, ts, kind, insnOff);
      if (!found) { found = { spec: ts, ...(tc ? { calc: tc } : {}), id: cand }; continue; }
      if (ts.bitOffset !== found.spec.bitOffset) err(`${kind} ${local.describe(relo.typeId)} ${relo.access}: field offset ambiguity between candidates ${found.id} and ${cand}`, insnOff);
      if (tc && tc.value !== found.calc!.value) err(`${kind} ${local.describe(relo.typeId)} ${relo.access}: candidates ${found.id} and ${cand} disagree`, insnOff);
    }
    if (!found) return isExists ? { ...base, target: 0, poison: false } : { ...base, poison: true };
    if (isExists) return { ...base, target: 1, poison: false, targetTypeId: found.id };
    const tc = found.calc!;
    let failMemSizeAdjust = false;
    if (lc!.fieldSize !== tc.fieldSize) {
      // Only pointers and unsigned integers may be read with a different width.
      const a = local.resolve(lc!.fieldType || 0), b = target!.resolve(tc.fieldType || 0);
      const ok = (a.kind === 'PTR' && b.kind === 'PTR') || (a.kind === 'INT' && b.kind === 'INT' && !a.signed && !b.signed);
      failMemSizeAdjust = !ok;
    }
    return { ...base, target: tc.value, poison: false, targetTypeId: found.id, localFieldSize: lc!.fieldSize, targetFieldSize: tc.fieldSize,
      ...(failMemSizeAdjust ? { failMemSizeAdjust } : {}) };
  }

  if (ENUM_KINDS.has(kind)) {
    const lt = local.resolve(relo.typeId);
    const lv = enumValueList(lt)[raw[0]!];
    if (!lv || raw.length !== 1) err(`enum access ${relo.access} out of range in ${local.describe(lt.id)}`, insnOff);
    const localValue = kind === 'ENUMVAL_EXISTS' ? 1 : lv!.value;
    const want = essentialName(lv!.name);
    let result: { value: number | bigint; id: number } | undefined;
    for (const cand of cands) {
      const hit = enumValueList(target!.resolve(cand)).find((v) => essentialName(v.name) === want);
      if (!hit) continue;
      const value = kind === 'ENUMVAL_EXISTS' ? 1 : hit.value;
      if (result && result.value !== value) err(`${kind} ${lv!.name}: candidates ${result.id} and ${cand} disagree`, insnOff);
      result ??= { value, id: cand };
    }
    if (!result) return kind === 'ENUMVAL_EXISTS' ? { kind, local: 1, target: 0, poison: false, validate: true } : { kind, local: localValue, poison: true, validate: true };
    return { kind, local: localValue, target: result.value, poison: false, targetTypeId: result.id, validate: true };
  }

  // Type relocations: TYPE_ID_TARGET, TYPE_EXISTS, TYPE_SIZE, TYPE_MATCHES; 0 when nothing matches.
  if (relo.access !== '0') err(`type relocation access must be "0", is "${relo.access}"`, insnOff);
  const valueOf = (btf: Btf, id: number): number => kind === 'TYPE_ID_TARGET' ? id : kind === 'TYPE_SIZE' ? btf.sizeof(id) : 1;
  const localValue = valueOf(local, relo.typeId);
  const validate = kind !== 'TYPE_ID_TARGET';
  let result: { value: number; id: number } | undefined;
  for (const cand of cands) {
    const ok = kind === 'TYPE_MATCHES'
      ? typesMatch(local, relo.typeId, target!, cand, false, MAX_RESOLVE_DEPTH)
      : typesCompat(local, relo.typeId, target!, cand);
    if (!ok) continue;
    const value = valueOf(target!, cand);
    if (result && result.value !== value) err(`${kind} for ${local.describe(relo.typeId)}: candidates ${result.id} and ${cand} disagree`, insnOff);
    result ??= { value, id: cand };
  }
  if (!result) return { kind, local: localValue, target: 0, poison: false, validate };
  return { kind, local: localValue, target: result.value, poison: false, targetTypeId: result.id, validate };
}

/**
 * libbpf's spec description for messages: "struct task_struct.real_parent"
 * or "struct s.arr[2].x" for a field access, "enum pid_type::PIDTYPE_TGID"
 * for an enum value, the type for type relocations. Never throws: an access
 * that does not fit the type is shown raw.
 */
export function describeCoreAccess(btf: Btf, relo: CoreRelo): string {
  try {
    const raw = relo.access.split(':').map(Number);
    if (ENUM_KINDS.has(relo.kind)) {
      const v = enumValueList(btf.resolve(relo.typeId))[raw[0]!];
      return `${btf.describe(relo.typeId)}::${v ? v.name : `#${raw[0]}`}`;
    }
    if (!FIELD_KINDS.has(relo.kind)) return btf.describe(relo.typeId);
    let s = btf.describe(relo.typeId) + (raw[0] ? `[${raw[0]}]` : '');
    let id = relo.typeId;
    for (const idx of raw.slice(1)) {
      const t = btf.resolve(id);
      if (t.kind === 'STRUCT' || t.kind === 'UNION') {
        const m = t.members[idx]!;
        if (m.name) s += `.${m.name}`;
        id = m.type;
      } else if (t.kind === 'ARRAY') {
        s += `[${idx}]`;
        id = t.type;
      } else {
        return `${s} (access ${relo.access})`;
      }
    }
    return s;
  } catch {
    return `type ${relo.typeId} (access ${relo.access})`;
  }
}
