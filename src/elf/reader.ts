/**
 * A strict reader for ELF64 little-endian relocatable BPF objects. Every read
 * is bounds-checked up front; malformed input raises a LoadError naming the
 * section, offset or symbol, never a RangeError from a typed array.
 */
import { LoadError } from '../diagnostics/index.js';
import {
  EHDR_SIZE, EI_CLASS, EI_DATA, EI_VERSION, ELFCLASS64, ELFDATA2LSB, ELF_MAGIC, EM_BPF, ET_REL, EV_CURRENT,
  KNOWN_SECTION_TYPES, REL_SIZE, RELOC_TYPE_NAMES, RELOC_WIDTH, SHDR_SIZE, SHN_ABS, SHN_COMMON, SHN_LORESERVE,
  SHN_UNDEF, SYM_SIZE, SectionType,
} from './constants.js';

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** File bytes of the section (empty for NOBITS). A view, not a copy. */
  readonly data: Uint8Array;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: number;
  readonly size: number;
  readonly type: number;
  readonly bind: number;
  readonly visibility: number;
  /** Section index, or SHN_UNDEF / SHN_ABS / SHN_COMMON. */
  readonly shndx: number;
}

export interface ElfRelocation {
  /** Byte offset into the target section. */
  readonly offset: number;
  readonly type: number;
  /** Symbol table index. */
  readonly symbol: number;
}

/** Whether a section's contents are file bytes (`data.length === size`): not NULL or NOBITS. */
export function hasFileData(s: ElfSection): boolean {
  return s.index !== 0 && s.type !== SectionType.NULL && s.type !== SectionType.NOBITS;
}

/** Little-endian reads over a byte array; callers check bounds first. */
export class ByteView {
  private readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number { return this.bytes.length; }
  has(offset: number, size: number): boolean {
    return Number.isInteger(offset) && offset >= 0 && size >= 0 && offset + size <= this.bytes.length;
  }
  u8(o: number): number { return this.dv.getUint8(o); }
  u16(o: number): number { return this.dv.getUint16(o, true); }
  u32(o: number): number { return this.dv.getUint32(o, true); }
  i32(o: number): number { return this.dv.getInt32(o, true); }
  /** A u64 as a Number; null when it exceeds 2^53 (no sane file is that large). */
  u64(o: number): number | null {
    const lo = this.dv.getUint32(o, true), hi = this.dv.getUint32(o + 4, true);
    if (hi >= 0x200000) return null;
    return hi * 0x100000000 + lo;
  }
  u64big(o: number): bigint { return this.dv.getBigUint64(o, true); }
}

const utf8 = new TextDecoder('utf-8');

/** NUL-terminated string at `offset` of `table`; throws LoadError outside it. */
export function readCString(table: Uint8Array, offset: number, place: { section: string; symbol?: string }): string {
  if (!Number.isInteger(offset) || offset < 0 || offset >= table.length) {
    throw new LoadError('ElfBadString', { ...place, offset },
      `string offset ${offset} outside table of ${table.length} bytes`);
  }
  const end = table.indexOf(0, offset);
  if (end < 0) throw new LoadError('ElfBadString', { ...place, offset }, 'string is not NUL-terminated');
  return utf8.decode(table.subarray(offset, end));
}

export class ElfFile {
  readonly sections: readonly ElfSection[];
  readonly symbols: readonly ElfSymbol[];
  readonly symtab: ElfSection | undefined;
  private readonly relCache = new Map<number, readonly ElfRelocation[]>();
  /** REL section index by the index of the section it relocates. */
  private readonly relByTarget = new Map<number, ElfSection>();

  constructor(readonly bytes: Uint8Array) {
    const v = new ByteView(bytes);
    if (!v.has(0, EHDR_SIZE)) {
      throw new LoadError('ElfTruncated', { offset: 0 }, `file of ${bytes.length} bytes is shorter than the ELF header (${EHDR_SIZE})`);
    }
    for (let i = 0; i < ELF_MAGIC.length; i++) {
      if (v.u8(i) !== ELF_MAGIC[i]) throw new LoadError('ElfBadMagic', { offset: i }, 'not an ELF file (bad magic)');
    }
    if (v.u8(EI_CLASS) !== ELFCLASS64) throw new LoadError('ElfUnsupported', { offset: EI_CLASS }, 'only ELF64 is supported');
    if (v.u8(EI_DATA) !== ELFDATA2LSB) throw new LoadError('ElfUnsupported', { offset: EI_DATA }, 'only little-endian ELF is supported');
    if (v.u8(EI_VERSION) !== EV_CURRENT) throw new LoadError('ElfUnsupported', { offset: EI_VERSION }, 'unknown ELF version');
    const type = v.u16(16), machine = v.u16(18);
    if (type !== ET_REL) throw new LoadError('ElfUnsupported', { offset: 16 }, `e_type ${type} is not ET_REL (relocatable object)`);
    if (machine !== EM_BPF) throw new LoadError('ElfUnsupported', { offset: 18 }, `e_machine ${machine} is not EM_BPF (${EM_BPF})`);
    const shoff = v.u64(40);
    const ehsize = v.u16(52), shentsize = v.u16(58), shnum = v.u16(60), shstrndx = v.u16(62);
    if (ehsize !== EHDR_SIZE) throw new LoadError('ElfUnsupported', { offset: 52 }, `e_ehsize ${ehsize} is not ${EHDR_SIZE}`);
    if (shnum === 0) throw new LoadError('ElfUnsupported', { offset: 60 }, 'no section headers (extended numbering is not supported)');
    if (shentsize !== SHDR_SIZE) throw new LoadError('ElfBadSectionHeader', { offset: 58 }, `e_shentsize ${shentsize} is not ${SHDR_SIZE}`);
    if (shoff === null || !v.has(shoff, shnum * SHDR_SIZE)) {
      throw new LoadError('ElfTruncated', { offset: 40 }, `section header table (${shnum} × ${SHDR_SIZE} bytes at ${shoff ?? 'huge'}) extends past end of file (${bytes.length})`);
    }
    if (shstrndx >= shnum) throw new LoadError('ElfBadSectionHeader', { offset: 62 }, `e_shstrndx ${shstrndx} out of range (${shnum} sections)`);

    // Raw headers first (names need the section-name string table).
    interface Raw { type: number; flags: number; nameOff: number; offset: number; size: number; link: number; info: number; addralign: number; entsize: number; at: number }
    const raws: Raw[] = [];
    for (let i = 0; i < shnum; i++) {
      const h = shoff + i * SHDR_SIZE;
      const num = (o: number, what: string): number => {
        const x = v.u64(h + o);
        if (x === null) throw new LoadError('ElfBadSectionHeader', { section: `#${i}`, offset: h + o }, `${what} is out of range`);
        return x;
      };
      raws.push({
        nameOff: v.u32(h), type: v.u32(h + 4), flags: num(8, 'sh_flags'), offset: num(24, 'sh_offset'),
        size: num(32, 'sh_size'), link: v.u32(h + 40), info: v.u32(h + 44), addralign: num(48, 'sh_addralign'),
        entsize: num(56, 'sh_entsize'), at: h,
      });
    }
    const shstr = raws[shstrndx]!;
    if (shstrndx === 0 || shstr.type !== SectionType.STRTAB) {
      throw new LoadError('ElfBadSectionHeader', { section: `#${shstrndx}`, offset: 62 }, 'e_shstrndx does not name a string table');
    }
    if (!v.has(shstr.offset, shstr.size)) {
      throw new LoadError('ElfBadSectionHeader', { section: `#${shstrndx} (section names)`, offset: shstr.at + 24 },
        `section data (${shstr.size} bytes at 0x${shstr.offset.toString(16)}) extends past end of file (${bytes.length})`);
    }
    const shstrData = bytes.subarray(shstr.offset, shstr.offset + shstr.size);
    const sections: ElfSection[] = raws.map((r, index) => {
      if (index === 0) {
        return { index, name: '', type: r.type, flags: r.flags, offset: r.offset, size: r.size, link: r.link,
          info: r.info, addralign: r.addralign, entsize: r.entsize, data: new Uint8Array(0) };
      }
      const name = readCString(shstrData, r.nameOff, { section: `#${index} (name)` });
      const place = { section: name || `#${index}`, offset: r.at };
      if (!KNOWN_SECTION_TYPES.has(r.type)) {
        throw new LoadError('ElfUnknownSectionType', { ...place, offset: r.at + 4 }, `unknown section type 0x${r.type.toString(16)}`);
      }
      const hasData = r.type !== SectionType.NOBITS && r.type !== SectionType.NULL;
      if (hasData && !v.has(r.offset, r.size)) {
        throw new LoadError('ElfBadSectionHeader', { ...place, offset: r.at + 24 },
          `section data (${r.size} bytes at 0x${r.offset.toString(16)}) extends past end of file (${bytes.length})`);
      }
      const data = hasData ? bytes.subarray(r.offset, r.offset + r.size) : new Uint8Array(0);
      return { index, name, type: r.type, flags: r.flags, offset: r.offset, size: r.size, link: r.link,
        info: r.info, addralign: r.addralign, entsize: r.entsize, data };
    });
    this.sections = sections;

    const symtabs = sections.filter((s) => s.type === SectionType.SYMTAB);
    if (symtabs.length > 1) throw new LoadError('ElfUnsupported', { section: symtabs[1]!.name }, 'more than one symbol table');
    this.symtab = symtabs[0];
    this.symbols = this.symtab ? this.readSymbols(this.symtab) : [];

    for (const s of sections) {
      if (s.type === SectionType.RELA) {
        throw new LoadError('ElfUnsupportedRelocation', { section: s.name }, 'RELA relocation sections are not used by BPF objects');
      }
      if (s.type !== SectionType.REL) continue;
      if (s.entsize !== REL_SIZE) throw new LoadError('ElfBadSectionHeader', { section: s.name }, `sh_entsize ${s.entsize} is not ${REL_SIZE}`);
      if (s.size % REL_SIZE !== 0) throw new LoadError('ElfBadSectionHeader', { section: s.name }, `size ${s.size} is not a multiple of ${REL_SIZE}`);
      if (!this.symtab || s.link !== this.symtab.index) {
        throw new LoadError('ElfBadSectionHeader', { section: s.name }, `sh_link ${s.link} does not name the symbol table`);
      }
      if (s.info === 0 || s.info >= sections.length) {
        throw new LoadError('ElfBadSectionHeader', { section: s.name }, `sh_info ${s.info} names no section`);
      }
      if (this.relByTarget.has(s.info)) {
        throw new LoadError('ElfBadSectionHeader', { section: s.name }, `second relocation section for ${sections[s.info]!.name}`);
      }
      this.relByTarget.set(s.info, s);
    }
  }

  private readSymbols(st: ElfSection): ElfSymbol[] {
    if (st.entsize !== SYM_SIZE) throw new LoadError('ElfBadSectionHeader', { section: st.name }, `sh_entsize ${st.entsize} is not ${SYM_SIZE}`);
    if (st.size % SYM_SIZE !== 0) throw new LoadError('ElfBadSectionHeader', { section: st.name }, `size ${st.size} is not a multiple of ${SYM_SIZE}`);
    const strtab = this.sections[st.link];
    if (!strtab || st.link === 0 || strtab.type !== SectionType.STRTAB) {
      throw new LoadError('ElfBadSectionHeader', { section: st.name }, `sh_link ${st.link} does not name a string table`);
    }
    const v = new ByteView(st.data);
    const out: ElfSymbol[] = [];
    for (let i = 0, n = st.size / SYM_SIZE; i < n; i++) {
      const o = i * SYM_SIZE;
      const nameOff = v.u32(o), info = v.u8(o + 4), other = v.u8(o + 5), shndx = v.u16(o + 6);
      const value = v.u64(o + 8), size = v.u64(o + 16);
      const place = { section: st.name, offset: o };
      if (value === null || size === null) throw new LoadError('ElfBadSymbol', { ...place, symbol: `#${i}` }, 'symbol value or size out of range');
      const name = nameOff === 0 ? '' : readCString(strtab.data, nameOff, { section: strtab.name, symbol: `#${i}` });
      if (shndx !== SHN_UNDEF && shndx !== SHN_ABS && shndx !== SHN_COMMON) {
        if (shndx >= SHN_LORESERVE || shndx >= this.sections.length) {
          throw new LoadError('ElfBadSymbol', { ...place, symbol: name || `#${i}` }, `section index ${shndx} out of range`);
        }
      }
      out.push({ index: i, name, value, size, type: info & 0xf, bind: info >> 4, visibility: other & 3, shndx });
    }
    return out;
  }

  sectionByName(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The REL section that relocates section `index`, if any. */
  relSectionFor(index: number): ElfSection | undefined {
    return this.relByTarget.get(index);
  }

  /** Relocations applying to section `index`, checked against symbols and bounds. */
  relocationsFor(index: number): readonly ElfRelocation[] {
    const cached = this.relCache.get(index);
    if (cached) return cached;
    const rel = this.relByTarget.get(index);
    if (!rel) return [];
    const target = this.sections[index]!;
    const v = new ByteView(rel.data);
    const out: ElfRelocation[] = [];
    for (let o = 0; o < rel.size; o += REL_SIZE) {
      const offset = v.u64(o);
      const type = v.u32(o + 8), symbol = v.u32(o + 12);
      const place = { section: rel.name, offset: o };
      if (offset === null) throw new LoadError('ElfBadRelocation', place, 'r_offset out of range');
      const width = RELOC_WIDTH[type];
      if (width === undefined) {
        throw new LoadError('ElfUnsupportedRelocation', place, `unsupported relocation type ${type}`);
      }
      if (symbol >= this.symbols.length) {
        throw new LoadError('ElfMissingSymbol', place, `relocation against missing symbol #${symbol} (${this.symbols.length} symbols)`);
      }
      if (target.type === SectionType.NOBITS || offset + width > target.size) {
        throw new LoadError('ElfBadRelocation', { ...place, symbol: this.symbols[symbol]!.name || `#${symbol}` },
          `${RELOC_TYPE_NAMES[type]} at 0x${offset.toString(16)} patches past end of ${target.name} (${target.size} bytes)`);
      }
      out.push({ offset, type, symbol });
    }
    out.sort((a, b) => a.offset - b.offset);
    this.relCache.set(index, out);
    return out;
  }

  /** Display name of a symbol for messages (section symbols show their section). */
  symbolName(sym: ElfSymbol): string {
    if (sym.name) return sym.name;
    const sec = this.sections[sym.shndx];
    return sec && sym.shndx !== SHN_UNDEF ? sec.name : `#${sym.index}`;
  }
}

/** Parses the ELF container; section contents are interpreted by the loader. */
export function readElf(bytes: Uint8Array): ElfFile {
  return new ElfFile(bytes);
}
