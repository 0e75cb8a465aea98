/**
 * .BTF.ext: per-section function info, line info and CO-RE relocation
 * records. Instruction offsets are kept as clang writes them in objects:
 * byte offsets into the named ELF section.
 */
import { LoadError } from '../diagnostics/index.js';
import { ByteView } from '../elf/reader.js';
import type { Btf } from './btf.js';
import {
  BTF_EXT_HEADER_CORE, BTF_EXT_HEADER_MIN, BTF_MAGIC, BTF_VERSION, CORE_RELO_KIND_NAMES, CORE_RELO_MIN,
  FUNC_INFO_MIN, LINE_COL_COLUMN_MASK, LINE_COL_SHIFT, LINE_INFO_MIN, type CoreReloKindName,
} from './kinds.js';

export interface FuncInfo { readonly insnOff: number; readonly typeId: number }
export interface LineInfo {
  readonly insnOff: number;
  readonly fileName: string;
  /** The source line's text, as clang recorded it. */
  readonly source: string;
  readonly line: number;
  readonly column: number;
}
export interface CoreRelo {
  readonly insnOff: number;
  /** Local (object BTF) root type id. */
  readonly typeId: number;
  /** Access string, e.g. "0:1:0" (field path) or "0" (type/enum). */
  readonly access: string;
  readonly kind: CoreReloKindName;
}

export interface BtfExt {
  /** Records by ELF section name, each list in file order. */
  readonly funcInfo: ReadonlyMap<string, readonly FuncInfo[]>;
  readonly lineInfo: ReadonlyMap<string, readonly LineInfo[]>;
  readonly coreRelos: ReadonlyMap<string, readonly CoreRelo[]>;
}

const SECTION = '.BTF.ext';

export function parseBtfExt(bytes: Uint8Array, btf: Btf): BtfExt {
  const v = new ByteView(bytes);
  const fail = (offset: number, message: string): never => { throw new LoadError('BtfExtBad', { section: SECTION, offset }, message); };
  if (!v.has(0, BTF_EXT_HEADER_MIN)) fail(0, `shorter than its header (${bytes.length} < ${BTF_EXT_HEADER_MIN})`);
  if (v.u16(0) !== BTF_MAGIC) fail(0, `bad magic 0x${v.u16(0).toString(16)}`);
  if (v.u8(2) !== BTF_VERSION) fail(2, `unsupported version ${v.u8(2)}`);
  const hdrLen = v.u32(4);
  if (hdrLen < BTF_EXT_HEADER_MIN || !v.has(0, hdrLen)) fail(4, `bad header length ${hdrLen}`);

  const str = (off: number, at: number, what: string): string => {
    try { return btf.string(off, what); } catch (e) {
      if (e instanceof LoadError) fail(at, `${what} offset ${off} is not a valid .BTF string`);
      throw e;
    }
  };

  /** Walks one info block: rec_size, then (sec_name_off, num_info, records)*. */
  function block<T>(offField: number, what: string, min: number, rec: (o: number, sec: string) => T): Map<string, T[]> {
    const out = new Map<string, T[]>();
    const off = v.u32(offField), len = v.u32(offField + 4);
    if (len === 0) return out;
    const start = hdrLen + off, end = start + len;
    if (!v.has(start, len)) fail(offField, `${what} (${len} bytes at ${off}) outside .BTF.ext`);
    if (len < 4) fail(start, `${what} has no record size`);
    const recSize = v.u32(start);
    if (recSize < min || recSize % 4 !== 0) fail(start, `${what} record size ${recSize} is invalid (minimum ${min})`);
    for (let o = start + 4; o < end;) {
      if (o + 8 > end) fail(o, `${what} section header truncated`);
      const sec = str(v.u32(o), o, `${what} section name`);
      const n = v.u32(o + 4);
      o += 8;
      if (n === 0) fail(o - 4, `${what} for ${sec} has no records`);
      if (n > (end - o) / recSize) fail(o - 4, `${what} for ${sec}: ${n} records of ${recSize} bytes overrun the block`);
      if (out.has(sec)) fail(o - 8, `${what} lists section ${sec} twice`);
      const list: T[] = [];
      for (let i = 0; i < n; i++, o += recSize) list.push(rec(o, sec));
      out.set(sec, list);
    }
    return out;
  }

  const checkInsnOff = (off: number, at: number, what: string): number => {
    if (off % 8 !== 0) fail(at, `${what} insn_off ${off} is not instruction aligned`);
    return off;
  };
  const checkType = (id: number, at: number, what: string): number => {
    if (id >= btf.count) throw new LoadError('BtfBadTypeId', { section: SECTION, offset: at }, `${what} type id ${id} out of range (${btf.count} types)`);
    return id;
  };

  const funcInfo = block(8, 'func_info', FUNC_INFO_MIN, (o) => {
    const typeId = checkType(v.u32(o + 4), o, 'func_info');
    if (btf.types[typeId]!.kind !== 'FUNC') throw new LoadError('BtfBadTypeId', { section: SECTION, offset: o }, `func_info type ${typeId} is not a FUNC`);
    return { insnOff: checkInsnOff(v.u32(o), o, 'func_info'), typeId };
  });
  const lineInfo = block(16, 'line_info', LINE_INFO_MIN, (o) => {
    const col = v.u32(o + 12);
    return { insnOff: checkInsnOff(v.u32(o), o, 'line_info'), fileName: str(v.u32(o + 4), o, 'line_info file name'),
      source: str(v.u32(o + 8), o, 'line_info line'), line: col >>> LINE_COL_SHIFT, column: col & LINE_COL_COLUMN_MASK };
  });
  let coreRelos = new Map<string, CoreRelo[]>();
  if (hdrLen >= BTF_EXT_HEADER_CORE) {
    coreRelos = block(24, 'core_relo', CORE_RELO_MIN, (o) => {
      const kindNum = v.u32(o + 12);
      const kind = CORE_RELO_KIND_NAMES[kindNum];
      if (!kind) fail(o, `unknown CO-RE relocation kind ${kindNum}`);
      return { insnOff: checkInsnOff(v.u32(o), o, 'core_relo'), typeId: checkType(v.u32(o + 4), o, 'core_relo'),
        access: str(v.u32(o + 8), o, 'core_relo access string'), kind: kind! };
    });
  }
  return { funcInfo, lineInfo, coreRelos };
}
