/**
 * ELF encodings used by the BPF object reader (System V gABI, the BPF psABI
 * in the LLVM/kernel docs). The only place these numbers appear.
 */

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"

/** e_ident indexes and values. */
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;

/** e_type: only relocatable objects are loaded (what clang -c emits). */
export const ET_REL = 1;
/** e_machine of eBPF. */
export const EM_BPF = 247;

/** Fixed record sizes of ELF64. */
export const EHDR_SIZE = 64;
export const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;
export const RELA_SIZE = 24;

/** Section header types. */
export const SectionType = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  GROUP: 17,
  SYMTAB_SHNDX: 18,
  /** LLVM-specific sections clang may emit; carried, never interpreted. */
  LLVM_ODRTAB: 0x6fff4c00,
  LLVM_LINKER_OPTIONS: 0x6fff4c01,
  LLVM_ADDRSIG: 0x6fff4c03,
  LLVM_DEPENDENT_LIBRARIES: 0x6fff4c04,
  LLVM_SYMPART: 0x6fff4c05,
  LLVM_BB_ADDR_MAP: 0x6fff4c0a,
} as const;
export const KNOWN_SECTION_TYPES: ReadonlySet<number> = new Set(Object.values(SectionType));

/** Section flags. */
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

/** Special section indexes (st_shndx / e_shstrndx). */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;

/** Symbol binding (st_info >> 4). */
export const SymbolBind = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
/** Symbol type (st_info & 0xf). */
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4 } as const;
/** Symbol visibility (st_other & 3). */
export const SymbolVisibility = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;

/** BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const RelocType = {
  NONE: 0,
  /** lddw imm (64-bit, split over two slots): maps, globals, func pointers. */
  R_BPF_64_64: 1,
  /** 64-bit data word (DWARF, .maps initialisers). */
  R_BPF_64_ABS64: 2,
  /** 32-bit data word (DWARF, BTF). */
  R_BPF_64_ABS32: 3,
  /** 32-bit data word the dynamic loader must not touch (BTF, BTF.ext). */
  R_BPF_64_NODYLD32: 4,
  /** call imm: bpf-to-bpf calls and extern (kfunc) calls. */
  R_BPF_64_32: 10,
} as const;
export type RelocTypeValue = (typeof RelocType)[keyof typeof RelocType];
export const RELOC_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(RelocType).map(([k, v]) => [v, k]));
/** Bytes a relocation of each type patches, for bounds checks. */
export const RELOC_WIDTH: Readonly<Record<number, number>> = {
  [RelocType.NONE]: 0,
  [RelocType.R_BPF_64_64]: 16,
  [RelocType.R_BPF_64_ABS64]: 8,
  [RelocType.R_BPF_64_ABS32]: 4,
  [RelocType.R_BPF_64_NODYLD32]: 4,
  [RelocType.R_BPF_64_32]: 8,
};
