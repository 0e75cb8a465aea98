/**
 * Map keys and values decoded through BTF, as bpftool's "formatted" dump
 * shows them: structs as objects by member name, integers as numbers (64-bit
 * ones beyond 2^53 as decimal strings), enums by name, char arrays as
 * strings, bitfields extracted, global-data sections by variable name.
 */
import type { Btf, BtfType } from './btf.js';
import type { MapSpec } from '../loader/spec.js';

export type Formatted = number | string | boolean | null | Formatted[] | { [name: string]: Formatted };

const MAX_DEPTH = 32;

function readUint(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

function num(v: bigint): number | string {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

const isChar = (btf: Btf, id: number): boolean => {
  const t = btf.resolve(id);
  return t.kind === 'INT' && t.size === 1 && (t.char || t.name === 'char' || t.name === 'signed char' || t.name === 'unsigned char');
};

/** Decodes `bytes[off…]` as BTF type `id`. */
export function formatBtf(btf: Btf, id: number, bytes: Uint8Array, off = 0, depth = 0): Formatted {
  if (depth > MAX_DEPTH) return null;
  const t: BtfType = btf.resolve(id);
  switch (t.kind) {
    case 'INT': {
      let v = readUint(bytes, off, t.size);
      if (t.bits && t.bits < t.size * 8) v = (v >> BigInt(t.bitOffset)) & ((1n << BigInt(t.bits)) - 1n);
      if (t.bool) return v !== 0n;
      if (t.signed) v = BigInt.asIntN(t.bits || t.size * 8, v);
      return num(v);
    }
    case 'ENUM': case 'ENUM64': {
      let v = readUint(bytes, off, t.size);
      if (t.signed) v = BigInt.asIntN(t.size * 8, v);
      const e = (t.values as readonly { name: string; value: number | bigint }[]).find((x) => BigInt(x.value) === v);
      return e ? e.name : num(v);
    }
    case 'PTR': return '0x' + readUint(bytes, off, 8).toString(16);
    case 'FLOAT': {
      const dv = new DataView(bytes.buffer, bytes.byteOffset + off, t.size);
      return t.size === 4 ? dv.getFloat32(0, true) : t.size === 8 ? dv.getFloat64(0, true) : hex(bytes, off, t.size);
    }
    case 'ARRAY': {
      const esize = btf.sizeof(t.type);
      if (isChar(btf, t.type)) {
        let end = off;
        while (end < off + t.nelems && bytes[end] !== 0) end++;
        return new TextDecoder().decode(bytes.subarray(off, end));
      }
      const out: Formatted[] = [];
      for (let i = 0; i < t.nelems; i++) out.push(formatBtf(btf, t.type, bytes, off + i * esize, depth + 1));
      return out;
    }
    case 'STRUCT': case 'UNION': {
      const o: { [name: string]: Formatted } = {};
      for (const m of t.members) {
        const mt = btf.resolve(m.type);
        const byteOff = off + Math.floor(m.bitOffset / 8);
        let v: Formatted;
        if (m.bitfieldSize > 0 && mt.kind === 'INT') {
          const span = Math.ceil(((m.bitOffset % 8) + m.bitfieldSize) / 8);
          let raw = readUint(bytes, byteOff, span) >> BigInt(m.bitOffset % 8);
          raw &= (1n << BigInt(m.bitfieldSize)) - 1n;
          v = mt.signed ? num(BigInt.asIntN(m.bitfieldSize, raw)) : num(raw);
        } else v = formatBtf(btf, m.type, bytes, byteOff, depth + 1);
        if (m.name) o[m.name] = v;
        else if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(o, v); // anonymous struct/union
      }
      return o;
    }
    case 'DATASEC': {
      const o: { [name: string]: Formatted } = {};
      for (const s of t.vars) {
        const v = btf.type(s.type);
        if (v.kind === 'VAR') o[v.name] = formatBtf(btf, v.type, bytes, off + s.offset, depth + 1);
      }
      return o;
    }
    default: return hex(bytes, off, 0);
  }
}

function hex(b: Uint8Array, off: number, n: number): string {
  return [...b.subarray(off, off + n)].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** How to decode a map's keys and values, when its BTF says: undefined parts stay bytes. */
export interface MapBtf { key?: (b: Uint8Array) => Formatted; value?: (b: Uint8Array) => Formatted }

export function mapBtf(btf: Btf | undefined, spec: MapSpec): MapBtf {
  if (!btf) return {};
  const out: MapBtf = {};
  const safe = (id: number) => (b: Uint8Array): Formatted => { try { return formatBtf(btf, id, b); } catch { return hex(b, 0, b.length); } };
  if (spec.definition === 'data' || spec.definition === 'kconfig') {
    const sec = btf.find('DATASEC', spec.section);
    if (sec) out.value = safe(sec.id);
    out.key = (b) => num(readUint(b, 0, b.length)); // the section's one u32 index
    return out;
  }
  if (spec.keyType !== undefined) out.key = safe(spec.keyType);
  if (spec.valueType !== undefined) out.value = safe(spec.valueType);
  return out;
}
