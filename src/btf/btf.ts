/**
 * BTF (BPF Type Format) parsing and type helpers. Types are plain data
 * indexed by id (0 is void); every referenced id is checked at parse time so
 * later helpers can index without guards.
 */
import { LoadError } from '../diagnostics/index.js';
import { ByteView, readCString } from '../elf/reader.js';
import {
  BTF_ARRAY_SIZE, BTF_DECL_TAG_SIZE, BTF_ENUM64_SIZE, BTF_ENUM_SIZE, BTF_HEADER_SIZE, BTF_INT_SIZE, BTF_KIND_NAMES,
  BTF_MAGIC, BTF_MAX_TYPE, BTF_MEMBER_SIZE, BTF_PARAM_SIZE, BTF_TYPE_SIZE, BTF_VAR_SECINFO_SIZE, BTF_VAR_SIZE,
  BTF_VERSION, BtfKind, INFO_KIND_FLAG, INFO_KIND_MASK, INFO_KIND_SHIFT, INFO_VLEN_MASK, INT_BITS_MASK,
  INT_ENCODING_SHIFT, INT_OFFSET_SHIFT, IntEncoding, MAX_RESOLVE_DEPTH, MEMBER_BITFIELD_SIZE_SHIFT,
  MEMBER_BIT_OFFSET_MASK, type BtfKindName,
} from './kinds.js';

export interface BtfMember { readonly name: string; readonly type: number; readonly bitOffset: number; readonly bitfieldSize: number }
export interface BtfEnumValue { readonly name: string; readonly value: number }
export interface BtfEnum64Value { readonly name: string; readonly value: bigint }
export interface BtfParam { readonly name: string; readonly type: number }
export interface BtfVarSecinfo { readonly type: number; readonly offset: number; readonly size: number }

interface Base<K extends BtfKindName> { readonly id: number; readonly kind: K; readonly name: string }
export interface BtfVoid { readonly id: 0; readonly kind: 'VOID'; readonly name: '' }
export interface BtfInt extends Base<'INT'> { readonly size: number; readonly signed: boolean; readonly char: boolean; readonly bool: boolean; readonly bitOffset: number; readonly bits: number }
export interface BtfPtr extends Base<'PTR'> { readonly type: number }
export interface BtfArray extends Base<'ARRAY'> { readonly type: number; readonly indexType: number; readonly nelems: number }
export interface BtfStruct extends Base<'STRUCT' | 'UNION'> { readonly size: number; readonly members: readonly BtfMember[] }
export interface BtfEnum extends Base<'ENUM'> { readonly size: number; readonly signed: boolean; readonly values: readonly BtfEnumValue[] }
export interface BtfEnum64 extends Base<'ENUM64'> { readonly size: number; readonly signed: boolean; readonly values: readonly BtfEnum64Value[] }
export interface BtfFwd extends Base<'FWD'> { readonly union: boolean }
export interface BtfRef extends Base<'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' | 'TYPE_TAG'> { readonly type: number }
export interface BtfFunc extends Base<'FUNC'> { readonly type: number; readonly linkage: number }
export interface BtfFuncProto extends Base<'FUNC_PROTO'> { readonly returnType: number; readonly params: readonly BtfParam[] }
export interface BtfVar extends Base<'VAR'> { readonly type: number; readonly linkage: number }
export interface BtfDatasec extends Base<'DATASEC'> { readonly size: number; readonly vars: readonly BtfVarSecinfo[] }
export interface BtfFloat extends Base<'FLOAT'> { readonly size: number }
export interface BtfDeclTag extends Base<'DECL_TAG'> { readonly type: number; readonly componentIdx: number }

export type BtfType = BtfVoid | BtfInt | BtfPtr | BtfArray | BtfStruct | BtfEnum | BtfEnum64 | BtfFwd | BtfRef
  | BtfFunc | BtfFuncProto | BtfVar | BtfDatasec | BtfFloat | BtfDeclTag;

const VOID: BtfVoid = { id: 0, kind: 'VOID', name: '' };

/** Where a Btf came from, for error messages. */
export interface BtfSource { readonly section: string }

export class Btf {
  /** types[id]; types[0] is void. */
  readonly types: readonly BtfType[];
  private readonly byName = new Map<string, number[]>();

  constructor(types: readonly BtfType[], readonly strings: Uint8Array, readonly source: BtfSource = { section: '.BTF' }) {
    this.types = types;
    for (const t of types) {
      if (!t.name) continue;
      const list = this.byName.get(t.name);
      if (list) list.push(t.id); else this.byName.set(t.name, [t.id]);
    }
  }

  get count(): number { return this.types.length; }

  /** The type with `id`; LoadError if there is none. */
  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw new LoadError('BtfBadTypeId', { section: this.source.section }, `type id ${id} out of range (${this.types.length} types)`);
    return t;
  }

  /** A string of the string section (BTF.ext refers to it too). */
  string(offset: number, what = 'string'): string {
    return readCString(this.strings, offset, { section: `${this.source.section} (${what})` });
  }

  /** Ids of the types named `name` (any kind), ascending. */
  idsByName(name: string): readonly number[] { return this.byName.get(name) ?? []; }

  /** First type of `kind` named `name`. */
  find(kind: BtfKindName, name: string): BtfType | undefined {
    for (const id of this.idsByName(name)) { const t = this.types[id]!; if (t.kind === kind) return t; }
    return undefined;
  }

  /** Skips typedef, const, volatile, restrict and type tags. */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; ; depth++) {
      if (t.kind !== 'TYPEDEF' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return t;
      if (depth >= MAX_RESOLVE_DEPTH) throw new LoadError('BtfBad', { section: this.source.section }, `type chain from id ${id} is too deep or cyclic`);
      t = this.type(t.type);
    }
  }

  /** Skips const, volatile, restrict and type tags (not typedefs). */
  skipModifiers(id: number): BtfType {
    let t = this.type(id);
    for (let depth = 0; ; depth++) {
      if (t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return t;
      if (depth >= MAX_RESOLVE_DEPTH) throw new LoadError('BtfBad', { section: this.source.section }, `type chain from id ${id} is too deep or cyclic`);
      t = this.type(t.type);
    }
  }

  /** Byte size of a type (pointers are 8 bytes); LoadError for sizeless kinds. */
  sizeof(id: number): number {
    let mult = 1;
    let t = this.resolve(id);
    for (let depth = 0; ; depth++) {
      switch (t.kind) {
        case 'INT': case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': case 'DATASEC': case 'FLOAT':
          return mult * t.size;
        case 'PTR': return mult * 8;
        case 'VAR': t = this.resolve(t.type); break;
        case 'ARRAY':
          mult *= t.nelems;
          if (mult > 0xffffffff) throw new LoadError('BtfBad', { section: this.source.section }, `array type ${id} is too large`);
          t = this.resolve(t.type);
          break;
        default:
          throw new LoadError('BtfBad', { section: this.source.section }, `type ${id} (${t.kind}) has no size`);
      }
      if (depth >= MAX_RESOLVE_DEPTH) throw new LoadError('BtfBad', { section: this.source.section }, `type ${id} nests too deeply`);
    }
  }

  /** Natural alignment of a type (libbpf's btf__align_of, without packed-struct detection). */
  alignof(id: number, depth = 0): number {
    if (depth > MAX_RESOLVE_DEPTH) throw new LoadError('BtfBad', { section: this.source.section }, `type ${id} nests too deeply`);
    const t = this.resolve(id);
    switch (t.kind) {
      case 'INT': case 'ENUM': case 'ENUM64': case 'FLOAT': return Math.max(1, Math.min(t.size, 8));
      case 'PTR': return 8;
      case 'ARRAY': return this.alignof(t.type, depth + 1);
      case 'STRUCT': case 'UNION': {
        let a = 1;
        for (const m of t.members) a = Math.max(a, this.alignof(m.type, depth + 1));
        return a;
      }
      case 'VAR': return this.alignof(t.type, depth + 1);
      default: throw new LoadError('BtfBad', { section: this.source.section }, `type ${id} (${t.kind}) has no alignment`);
    }
  }

  /** A C-like description for messages: "struct task", "int", "u32 *". */
  describe(id: number, depth = 0): string {
    const t = this.type(id);
    if (depth > MAX_RESOLVE_DEPTH) return '…';
    switch (t.kind) {
      case 'VOID': return 'void';
      case 'STRUCT': return `struct ${t.name || '(anon)'}`;
      case 'UNION': return `union ${t.name || '(anon)'}`;
      case 'ENUM': case 'ENUM64': return `enum ${t.name || '(anon)'}`;
      case 'PTR': return `${this.describe(t.type, depth + 1)} *`;
      case 'ARRAY': return `${this.describe(t.type, depth + 1)}[${t.nelems}]`;
      case 'CONST': case 'VOLATILE': case 'RESTRICT': return `${t.kind.toLowerCase()} ${this.describe(t.type, depth + 1)}`;
      default: return t.name || t.kind.toLowerCase();
    }
  }

  /**
   * Member `name` of a struct/union, looking through anonymous struct/union
   * members; the bit offset is from the start of `structId`.
   */
  findMember(structId: number, name: string, depth = 0): (BtfMember & { byteOffset: number }) | undefined {
    if (depth > MAX_RESOLVE_DEPTH) return undefined;
    const t = this.resolve(structId);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
    for (const m of t.members) {
      if (m.name === name) return { ...m, byteOffset: Math.floor(m.bitOffset / 8) };
      if (!m.name) {
        const inner = this.findMember(m.type, name, depth + 1);
        if (inner) { const bitOffset = inner.bitOffset + m.bitOffset; return { ...inner, bitOffset, byteOffset: Math.floor(bitOffset / 8) }; }
      }
    }
    return undefined;
  }

  /**
   * A copy with some types replaced (same ids). Used to fix up DATASEC sizes
   * and offsets, which clang leaves for the loader to fill in.
   */
  withTypes(replace: ReadonlyMap<number, BtfType>): Btf {
    return new Btf(this.types.map((t) => replace.get(t.id) ?? t), this.strings, this.source);
  }

  /** Member `index` of a struct/union with its byte and bit placement. */
  memberOffset(structId: number, index: number): { bitOffset: number; bitfieldSize: number; byteOffset: number } {
    const t = this.resolve(structId);
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') throw new LoadError('BtfBad', { section: this.source.section }, `type ${structId} is not a struct or union`);
    const m = t.members[index];
    if (!m) throw new LoadError('BtfBad', { section: this.source.section }, `member ${index} of type ${structId} out of range`);
    return { bitOffset: m.bitOffset, bitfieldSize: m.bitfieldSize, byteOffset: Math.floor(m.bitOffset / 8) };
  }
}

/** Parses a .BTF section. */
export function parseBtf(bytes: Uint8Array, source: BtfSource = { section: '.BTF' }): Btf {
  const sec = source.section;
  const v = new ByteView(bytes);
  const fail = (offset: number, message: string, code: 'BtfBad' | 'BtfBadTypeId' | 'BtfUnknownKind' = 'BtfBad'): never => {
    throw new LoadError(code, { section: sec, offset }, message);
  };
  if (!v.has(0, BTF_HEADER_SIZE)) fail(0, `shorter than the BTF header (${bytes.length} < ${BTF_HEADER_SIZE})`);
  if (v.u16(0) !== BTF_MAGIC) fail(0, `bad magic 0x${v.u16(0).toString(16)}`);
  if (v.u8(2) !== BTF_VERSION) fail(2, `unsupported version ${v.u8(2)}`);
  const hdrLen = v.u32(4);
  if (hdrLen < BTF_HEADER_SIZE || !v.has(0, hdrLen)) fail(4, `bad header length ${hdrLen}`);
  for (let o = BTF_HEADER_SIZE; o < hdrLen; o++) if (v.u8(o) !== 0) fail(o, 'unknown non-zero header field');
  const typeOff = v.u32(8), typeLen = v.u32(12), strOff = v.u32(16), strLen = v.u32(20);
  if (!v.has(hdrLen + typeOff, typeLen)) fail(8, `type section (${typeLen} bytes at ${typeOff}) outside BTF data`);
  if (!v.has(hdrLen + strOff, strLen)) fail(16, `string section (${strLen} bytes at ${strOff}) outside BTF data`);
  if (typeLen % 4 !== 0) fail(12, `type section length ${typeLen} is not 4-byte aligned`);
  const strings = bytes.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  if (strLen > 0 && (strings[0] !== 0 || strings[strLen - 1] !== 0)) fail(hdrLen + strOff, 'string section must start and end with NUL');
  const str = (off: number, at: number): string => {
    if (off >= strLen) fail(at, `name offset ${off} outside string section (${strLen} bytes)`);
    return readCString(strings, off, { section: `${sec} (strings)` });
  };

  const types: BtfType[] = [VOID];
  const base = hdrLen + typeOff, end = base + typeLen;
  /** Type ids to check once all types are known: [id, at]. */
  const refs: [number, number][] = [];
  const ref = (id: number, at: number): number => { refs.push([id, at]); return id; };
  for (let o = base; o < end;) {
    const at = o, id = types.length;
    if (id > BTF_MAX_TYPE) fail(at, 'too many types');
    if (o + BTF_TYPE_SIZE > end) fail(at, `type #${id} truncated`);
    const nameOff = v.u32(o), info = v.u32(o + 4), sizeOrType = v.u32(o + 8);
    o += BTF_TYPE_SIZE;
    const kindNum = (info >>> INFO_KIND_SHIFT) & INFO_KIND_MASK;
    const vlen = info & INFO_VLEN_MASK;
    const kflag = (info & INFO_KIND_FLAG) !== 0;
    const kind = BTF_KIND_NAMES[kindNum];
    if (!kind) fail(at, `type #${id} has unknown kind ${kindNum}`, 'BtfUnknownKind');
    const name = str(nameOff, at);
    const need = (n: number): void => { if (o + n > end) fail(at, `type #${id} (${kind}) truncated`); };
    let t: BtfType;
    switch (kindNum) {
      case BtfKind.INT: {
        need(BTF_INT_SIZE);
        const x = v.u32(o); o += BTF_INT_SIZE;
        const enc = x >>> INT_ENCODING_SHIFT;
        t = { id, kind: 'INT', name, size: sizeOrType, signed: (enc & IntEncoding.SIGNED) !== 0, char: (enc & IntEncoding.CHAR) !== 0,
          bool: (enc & IntEncoding.BOOL) !== 0, bitOffset: (x >>> INT_OFFSET_SHIFT) & 0xff, bits: x & INT_BITS_MASK };
        if (t.bits > 128 || t.bitOffset + t.bits > sizeOrType * 8) fail(at, `int type #${id} has bad bits`);
        break;
      }
      case BtfKind.PTR: t = { id, kind: 'PTR', name, type: ref(sizeOrType, at) }; break;
      case BtfKind.ARRAY: {
        need(BTF_ARRAY_SIZE);
        t = { id, kind: 'ARRAY', name, type: ref(v.u32(o), at), indexType: ref(v.u32(o + 4), at), nelems: v.u32(o + 8) };
        o += BTF_ARRAY_SIZE;
        break;
      }
      case BtfKind.STRUCT: case BtfKind.UNION: {
        need(vlen * BTF_MEMBER_SIZE);
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, o += BTF_MEMBER_SIZE) {
          const off = v.u32(o + 8);
          members.push({ name: str(v.u32(o), o), type: ref(v.u32(o + 4), o),
            bitOffset: kflag ? off & MEMBER_BIT_OFFSET_MASK : off, bitfieldSize: kflag ? off >>> MEMBER_BITFIELD_SIZE_SHIFT : 0 });
        }
        t = { id, kind: kindNum === BtfKind.STRUCT ? 'STRUCT' : 'UNION', name, size: sizeOrType, members };
        break;
      }
      case BtfKind.ENUM: {
        need(vlen * BTF_ENUM_SIZE);
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++, o += BTF_ENUM_SIZE) {
          values.push({ name: str(v.u32(o), o), value: kflag ? v.i32(o + 4) : v.u32(o + 4) });
        }
        t = { id, kind: 'ENUM', name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case BtfKind.ENUM64: {
        need(vlen * BTF_ENUM64_SIZE);
        const values: BtfEnum64Value[] = [];
        for (let i = 0; i < vlen; i++, o += BTF_ENUM64_SIZE) {
          const raw = (BigInt(v.u32(o + 8)) << 32n) | BigInt(v.u32(o + 4));
          values.push({ name: str(v.u32(o), o), value: kflag ? BigInt.asIntN(64, raw) : raw });
        }
        t = { id, kind: 'ENUM64', name, size: sizeOrType, signed: kflag, values };
        break;
      }
      case BtfKind.FWD: t = { id, kind: 'FWD', name, union: kflag }; break;
      case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST: case BtfKind.RESTRICT: case BtfKind.TYPE_TAG:
        t = { id, kind: kind as BtfRef['kind'], name, type: ref(sizeOrType, at) };
        break;
      case BtfKind.FUNC: t = { id, kind: 'FUNC', name, type: ref(sizeOrType, at), linkage: vlen }; break;
      case BtfKind.FUNC_PROTO: {
        need(vlen * BTF_PARAM_SIZE);
        const params: BtfParam[] = [];
        for (let i = 0; i < vlen; i++, o += BTF_PARAM_SIZE) params.push({ name: str(v.u32(o), o), type: ref(v.u32(o + 4), o) });
        t = { id, kind: 'FUNC_PROTO', name, returnType: ref(sizeOrType, at), params };
        break;
      }
      case BtfKind.VAR: {
        need(BTF_VAR_SIZE);
        t = { id, kind: 'VAR', name, type: ref(sizeOrType, at), linkage: v.u32(o) };
        o += BTF_VAR_SIZE;
        break;
      }
      case BtfKind.DATASEC: {
        need(vlen * BTF_VAR_SECINFO_SIZE);
        const vars: BtfVarSecinfo[] = [];
        for (let i = 0; i < vlen; i++, o += BTF_VAR_SECINFO_SIZE) {
          vars.push({ type: ref(v.u32(o), o), offset: v.u32(o + 4), size: v.u32(o + 8) });
        }
        t = { id, kind: 'DATASEC', name, size: sizeOrType, vars };
        break;
      }
      case BtfKind.FLOAT: t = { id, kind: 'FLOAT', name, size: sizeOrType }; break;
      case BtfKind.DECL_TAG: {
        need(BTF_DECL_TAG_SIZE);
        t = { id, kind: 'DECL_TAG', name, type: ref(sizeOrType, at), componentIdx: v.i32(o) };
        o += BTF_DECL_TAG_SIZE;
        break;
      }
      default: return fail(at, `type #${id} has unknown kind ${kindNum}`, 'BtfUnknownKind');
    }
    types.push(t);
  }
  for (const [id, at] of refs) {
    if (id >= types.length) fail(at, `reference to type id ${id} out of range (${types.length} types)`, 'BtfBadTypeId');
  }
  // Kind-specific reference rules the helpers rely on.
  for (const t of types) {
    if (t.kind === 'FUNC' && types[t.type]!.kind !== 'FUNC_PROTO') {
      fail(base, `FUNC #${t.id} ${t.name} does not refer to a FUNC_PROTO`, 'BtfBadTypeId');
    }
    if (t.kind === 'DATASEC') for (const s of t.vars) {
      const k = types[s.type]!.kind;
      if (k !== 'VAR' && k !== 'FUNC') fail(base, `DATASEC #${t.id} ${t.name} entry refers to ${k} #${s.type}`, 'BtfBadTypeId');
    }
  }
  return new Btf(types, strings, source);
}
