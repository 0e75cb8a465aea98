/**
 * BTF encoding: the inverse of parseBtf for the kinds it knows. Used to
 * store the built-in kernel BTF (scripts/gen-kernel-btf.mjs) as the same
 * bytes a kernel's /sys/kernel/btf/vmlinux holds. Strings are deduplicated
 * in first-use order, so the output depends only on the input types.
 */
import {
  BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION, BtfKind, INFO_KIND_FLAG, INFO_KIND_SHIFT, INT_ENCODING_SHIFT, INT_OFFSET_SHIFT, IntEncoding, MEMBER_BITFIELD_SIZE_SHIFT,
} from './kinds.js';
import type { BtfType } from './btf.js';

/** Encodes types[1..] (types[0] must be void; ids are array indexes). */
export function encodeBtf(types: readonly BtfType[]): Uint8Array {
  const strOffsets = new Map<string, number>([['', 0]]);
  const strParts: Uint8Array[] = [new Uint8Array(1)];
  let strLen = 1;
  const enc = new TextEncoder();
  const str = (s: string): number => {
    let off = strOffsets.get(s);
    if (off === undefined) {
      off = strLen;
      const b = enc.encode(s);
      strParts.push(b, new Uint8Array(1));
      strLen += b.length + 1;
      strOffsets.set(s, off);
    }
    return off;
  };
  const words: number[] = [];
  const head = (name: string, kind: number, vlen: number, kflag: boolean, sizeOrType: number): void => {
    words.push(str(name), ((kflag ? INFO_KIND_FLAG : 0) | (kind << INFO_KIND_SHIFT) | vlen) >>> 0, sizeOrType >>> 0);
  };
  for (const t of types.slice(1)) {
    switch (t.kind) {
      case 'INT': {
        head(t.name, BtfKind.INT, 0, false, t.size);
        const e = (t.signed ? IntEncoding.SIGNED : 0) | (t.char ? IntEncoding.CHAR : 0) | (t.bool ? IntEncoding.BOOL : 0);
        words.push(((e << INT_ENCODING_SHIFT) | (t.bitOffset << INT_OFFSET_SHIFT) | t.bits) >>> 0);
        break;
      }
      case 'PTR': head(t.name, BtfKind.PTR, 0, false, t.type); break;
      case 'ARRAY': head(t.name, BtfKind.ARRAY, 0, false, 0); words.push(t.type, t.indexType, t.nelems); break;
      case 'STRUCT': case 'UNION': {
        const kflag = t.members.some((m) => m.bitfieldSize > 0);
        head(t.name, t.kind === 'STRUCT' ? BtfKind.STRUCT : BtfKind.UNION, t.members.length, kflag, t.size);
        for (const m of t.members) {
          words.push(str(m.name), m.type, (kflag ? ((m.bitfieldSize << MEMBER_BITFIELD_SIZE_SHIFT) | m.bitOffset) : m.bitOffset) >>> 0);
        }
        break;
      }
      case 'ENUM':
        head(t.name, BtfKind.ENUM, t.values.length, t.signed, t.size);
        for (const v of t.values) words.push(str(v.name), v.value >>> 0);
        break;
      case 'ENUM64':
        head(t.name, BtfKind.ENUM64, t.values.length, t.signed, t.size);
        for (const v of t.values) {
          const u = BigInt.asUintN(64, v.value);
          words.push(str(v.name), Number(u & 0xffffffffn), Number(u >> 32n));
        }
        break;
      case 'FWD': head(t.name, BtfKind.FWD, 0, t.union, 0); break;
      case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG':
        head(t.name, BtfKind[t.kind], 0, false, t.type);
        break;
      case 'FUNC': head(t.name, BtfKind.FUNC, t.linkage, false, t.type); break;
      case 'FUNC_PROTO':
        head(t.name, BtfKind.FUNC_PROTO, t.params.length, false, t.returnType);
        for (const p of t.params) words.push(str(p.name), p.type);
        break;
      case 'VAR': head(t.name, BtfKind.VAR, 0, false, t.type); words.push(t.linkage); break;
      case 'DATASEC':
        head(t.name, BtfKind.DATASEC, t.vars.length, false, t.size);
        for (const v of t.vars) words.push(v.type, v.offset, v.size);
        break;
      case 'FLOAT': head(t.name, BtfKind.FLOAT, 0, false, t.size); break;
      case 'DECL_TAG': head(t.name, BtfKind.DECL_TAG, 0, false, t.type); words.push(t.componentIdx >>> 0); break;
      case 'VOID': throw new RangeError(`void may only be type 0 (type ${t.id})`);
    }
  }
  // Every record is a whole number of u32 words: the word array is the type section.
  const typeLen = words.length * 4;
  const out = new Uint8Array(BTF_HEADER_SIZE + typeLen + strLen);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, BTF_MAGIC, true);
  dv.setUint8(2, BTF_VERSION);
  dv.setUint32(4, BTF_HEADER_SIZE, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true);
  dv.setUint32(20, strLen, true);
  words.forEach((w, i) => dv.setUint32(BTF_HEADER_SIZE + 4 * i, w, true));
  let o = BTF_HEADER_SIZE + typeLen;
  for (const p of strParts) { out.set(p, o); o += p.length; }
  return out;
}
