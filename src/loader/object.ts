/**
 * parseObject: a clang `-target bpf` relocatable object → ObjectSpec.
 * Finds programs by SEC() conventions and FUNC symbols, links .text
 * subprograms into each program like libbpf's bpf_object__relocate_calls,
 * collects legacy, BTF-defined and global-data maps, externs, BTF func/line
 * info and CO-RE records.
 */
import { LoadError } from '../diagnostics/index.js';
import {
  CallSrc, Class, CLASS_MASK, JmpOp, LddwSrc, INSTRUCTION_BYTES, Mode, MODE_MASK, Size, SIZE_BYTES, SIZE_MASK, SOURCE_MASK, type SizeValue,
} from '../isa/opcodes.js';
import { readElf, hasFileData, ByteView, type ElfFile, type ElfSection, type ElfSymbol } from '../elf/reader.js';
import { RelocType, SHF_ALLOC, SHF_EXECINSTR, SHN_UNDEF, SectionType, SymbolBind, SymbolType, SymbolVisibility } from '../elf/constants.js';
import { parseBtf, type Btf, type BtfType } from '../btf/btf.js';
import { parseBtfExt, type BtfExt } from '../btf/ext.js';
import { hasCoreCandidates, resolveCoreRelo, type CoreResult } from '../btf/core.js';
import { matchSection } from './sections.js';
import { kfuncByName, type KfuncSpec } from '../kfuncs/table.js';

/** imm of a call to a missing weak kfunc: no id in the table (the verifier refuses it where reachable). */
const KFUNC_UNRESOLVED = -1;
import {
  BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, CORE_POISON_HELPER, LEGACY_MAP_DEF_SIZE, MAP_TYPE_NAMES, MAX_GLOBAL_DATA_BYTES, MapType, PinType, Sections,
} from './constants.js';
import type {
  DataVariable, ExternSpec, MapSlot, MapSpec, ObjectSpec, ParseOptions, ProgramFuncInfo, ProgramFunction,
  ProgramLineInfo, ProgramRelocation, ProgramSpec,
} from './spec.js';

const LDDW_OPCODE = Class.LD | Mode.IMM | Size.DW; // 0x18
const CALL_OPCODE = Class.JMP | JmpOp.CALL; // 0x85

/** A function: a FUNC symbol's bytes inside an executable section. */
interface Func {
  readonly name: string;
  readonly section: ElfSection;
  /** Byte offset in the section and byte length. */
  readonly start: number;
  readonly size: number;
  readonly global: boolean;
}

/** What one relocation in an executable section means. */
type CodeReloc =
  | { kind: 'call'; sym: ElfSymbol; pointer: boolean }
  | { kind: 'map'; sym: ElfSymbol; mapIndex: number }
  | { kind: 'map_value'; sym: ElfSymbol; mapIndex: number; symOffset: number }
  | { kind: 'extern'; sym: ElfSymbol; ext: ExternSpec; isCall: boolean };

function u32At(b: Uint8Array, o: number): number { return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0; }
function i32At(b: Uint8Array, o: number): number { return u32At(b, o) | 0; }
function setI32(b: Uint8Array, o: number, v: number): void { b[o] = v & 0xff; b[o + 1] = (v >>> 8) & 0xff; b[o + 2] = (v >>> 16) & 0xff; b[o + 3] = (v >>> 24) & 0xff; }
function setSrc(b: Uint8Array, slot: number, src: number): void { const o = slot * 8 + 1; b[o] = (b[o]! & 0x0f) | (src << 4); }
function srcOf(b: Uint8Array, slot: number): number { return b[slot * 8 + 1]! >> 4; }

const isDataSection = (s: ElfSection): boolean =>
  (s.flags & SHF_ALLOC) !== 0 && (s.flags & SHF_EXECINSTR) === 0 && (s.type === SectionType.PROGBITS || s.type === SectionType.NOBITS) &&
  (s.name === Sections.DATA || s.name === Sections.RODATA || s.name === Sections.BSS ||
    s.name.startsWith(Sections.DATA + '.') || s.name.startsWith(Sections.RODATA + '.') || s.name.startsWith(Sections.BSS + '.'));

class ObjectParser {
  readonly elf: ElfFile;
  btf?: Btf;
  readonly ext?: BtfExt;
  readonly license: string;
  readonly kernelVersion?: number;
  readonly funcs = new Map<number, Func[]>();
  /** Global functions with hidden/internal visibility (see ObjectSpec.hiddenFuncs). */
  readonly hiddenFuncs: string[] = [];
  readonly maps: MapSpec[] = [];
  readonly externs: ExternSpec[] = [];
  private readonly mapBySymbol = new Map<string, number>(); // `${shndx}:${value}` → map index (legacy and BTF maps)
  private readonly mapByDataSection = new Map<number, number>();
  private readonly externByName = new Map<string, ExternSpec>();
  private kconfigMapIndex = -1;
  private readonly relocCache = new Map<number, Map<number, CodeReloc>>();

  constructor(bytes: Uint8Array, readonly options: ParseOptions, entryOnly = false) {
    this.elf = readElf(bytes);
    this.collectFunctions();
    // The conformance entry needs code only: BTF, license and maps are not read.
    if (entryOnly) { this.license = ''; return; }
    const btfSec = this.elf.sectionByName(Sections.BTF);
    if (btfSec && hasFileData(btfSec)) {
      this.btf = parseBtf(btfSec.data, { section: Sections.BTF });
      const extSec = this.elf.sectionByName(Sections.BTF_EXT);
      if (extSec && hasFileData(extSec)) this.ext = parseBtfExt(extSec.data, this.btf);
    }
    this.license = this.readLicense();
    const kv = this.readVersion();
    if (kv !== undefined) this.kernelVersion = kv;
    if (this.btf) this.btf = this.fixupDatasecs(this.btf);
    this.collectLegacyMaps();
    this.collectBtfMaps();
    this.collectDataMaps();
    this.collectExterns();
  }

  private readLicense(): string {
    const s = this.elf.sectionByName(Sections.LICENSE);
    if (!s || !hasFileData(s)) return '';
    const end = s.data.indexOf(0);
    if (end < 0) throw new LoadError('LoaderBadData', { section: s.name }, 'license is not NUL-terminated');
    return new TextDecoder().decode(s.data.subarray(0, end));
  }

  private readVersion(): number | undefined {
    const s = this.elf.sectionByName(Sections.VERSION);
    if (!s || !hasFileData(s)) return undefined;
    if (s.size !== 4) throw new LoadError('LoaderBadData', { section: s.name }, `version section is ${s.size} bytes, expected 4`);
    return u32At(s.data, 0);
  }

  /**
   * clang leaves DATASEC sizes and variable offsets as 0 in objects (the
   * symbol table has them); fill them in like libbpf's btf_fixup_datasec so
   * the spec's BTF describes the data maps' real layout.
   */
  private fixupDatasecs(btf: Btf): Btf {
    const replace = new Map<number, BtfType>();
    for (const t of btf.types) {
      if (t.kind !== 'DATASEC') continue;
      const sec = this.elf.sectionByName(t.name);
      if (!sec) continue; // .kconfig / .ksyms have no ELF section
      const syms = new Map(this.elf.symbols.filter((s) => s.shndx === sec.index && s.name).map((s) => [s.name, s]));
      const vars = t.vars.map((vi) => {
        const v = btf.type(vi.type);
        const sym = syms.get(v.name);
        if (!sym) return vi;
        if (sym.value + vi.size > sec.size) {
          throw new LoadError('BtfBad', { section: Sections.BTF, symbol: v.name }, `variable of ${vi.size} bytes at ${sym.value} does not fit ${t.name}`);
        }
        return { type: vi.type, offset: sym.value, size: vi.size };
      }).sort((a, b) => a.offset - b.offset || a.type - b.type);
      replace.set(t.id, { ...t, size: sec.size, vars });
    }
    return replace.size ? btf.withTypes(replace) : btf;
  }

  // ---- functions ----------------------------------------------------------

  private collectFunctions(): void {
    for (const sec of this.elf.sections) {
      if (sec.type !== SectionType.PROGBITS || (sec.flags & SHF_EXECINSTR) === 0) continue;
      if (sec.size % INSTRUCTION_BYTES !== 0) {
        throw new LoadError('LoaderBadProgram', { section: sec.name }, `size ${sec.size} is not a multiple of ${INSTRUCTION_BYTES}`);
      }
      const syms = this.elf.symbols.filter((s) => s.shndx === sec.index && s.type === SymbolType.FUNC)
        .sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const list: Func[] = [];
      if (syms.length === 0) {
        // Hand-written code without symbols: the whole section is one function.
        if (sec.size > 0) list.push({ name: sec.name, section: sec, start: 0, size: sec.size, global: false });
      }
      for (let i = 0; i < syms.length; i++) {
        const s = syms[i]!;
        const place = { section: sec.name, offset: s.value, symbol: s.name || `#${s.index}` };
        if (s.value % INSTRUCTION_BYTES !== 0) throw new LoadError('LoaderBadProgram', place, 'function is not instruction aligned');
        const next = i + 1 < syms.length ? syms[i + 1]!.value : sec.size;
        const size = s.size === 0 ? next - s.value : s.size;
        if (size % INSTRUCTION_BYTES !== 0 || s.value + size > sec.size || s.value + size > next || size <= 0) {
          throw new LoadError('LoaderBadProgram', place, `function of ${s.size} bytes does not fit the section (${sec.size} bytes) or overlaps the next one`);
        }
        if (!s.name) throw new LoadError('LoaderBadProgram', place, 'function symbol has no name');
        list.push({ name: s.name, section: sec, start: s.value, size, global: s.bind !== SymbolBind.LOCAL });
        if (s.bind !== SymbolBind.LOCAL && (s.visibility === SymbolVisibility.HIDDEN || s.visibility === SymbolVisibility.INTERNAL)) this.hiddenFuncs.push(s.name);
      }
      this.funcs.set(sec.index, list);
    }
  }

  /**
   * A called `__ksym` extern: the kfunc of that name in the engine's table, its BTF
   * prototype (when the object has BTF) matching the table's in arity and in
   * pointer/scalar kinds, as libbpf matches it against vmlinux. Missing and weak: undefined.
   */
  private resolveKfunc(e: ExternSpec, at: { section?: string; offset?: number }): KfuncSpec | undefined {
    const k = kfuncByName(e.name);
    const place = { ...at, symbol: e.name };
    if (!k) {
      if (e.weak) return undefined;
      throw new LoadError('LoaderUnknownKfunc', place, `unknown kfunc ${e.name}: not in the engine's kfunc table (src/kfuncs)`);
    }
    const fn = e.typeId !== undefined && this.btf ? this.btf.type(e.typeId) : undefined;
    const proto = fn?.kind === 'FUNC' ? this.btf!.type(fn.type) : undefined;
    if (proto?.kind === 'FUNC_PROTO') {
      const kindOf = (id: number): string => (id === 0 ? 'void' : this.btf!.resolve(id).kind === 'PTR' ? 'pointer' : 'scalar');
      const local = `${kindOf(proto.returnType)} (${proto.params.map((q) => kindOf(q.type)).join(', ')})`;
      const isScalar = (kind: string): boolean => kind === 'scalar' || kind === 'const_size';
      const ours = `${k.ret.kind === 'void' ? 'void' : isScalar(k.ret.kind) ? 'scalar' : 'pointer'} (${k.args.map((a) => (isScalar(a.kind) ? 'scalar' : 'pointer')).join(', ')})`;
      if (local !== ours) throw new LoadError('LoaderUnknownKfunc', place, `kfunc ${e.name}: declared ${local}, the engine's is ${ours}`);
    }
    return k;
  }

  private funcAt(shndx: number, byteOff: number): Func | undefined {
    return this.funcs.get(shndx)?.find((f) => f.start === byteOff);
  }

  // ---- maps ---------------------------------------------------------------

  private addMap(m: MapSpec, key?: string): number {
    const idx = this.maps.length;
    if (this.maps.some((x) => x.name === m.name)) throw new LoadError('LoaderBadMap', { section: m.section, symbol: m.name }, 'duplicate map name');
    this.maps.push(m);
    if (key !== undefined) this.mapBySymbol.set(key, idx);
    return idx;
  }

  /** Symbols defining objects in section `sec`, by offset then name. */
  private objectSymbols(sec: ElfSection): ElfSymbol[] {
    return this.elf.symbols.filter((s) => s.shndx === sec.index && s.name !== '' &&
      (s.type === SymbolType.OBJECT || s.type === SymbolType.NOTYPE))
      .sort((a, b) => a.value - b.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private collectLegacyMaps(): void {
    const sec = this.elf.sectionByName(Sections.LEGACY_MAPS);
    if (!sec) return;
    if (!hasFileData(sec)) throw new LoadError('LoaderBadMap', { section: sec.name }, 'legacy maps section has no data');
    const syms = this.objectSymbols(sec).filter((s) => s.bind !== SymbolBind.LOCAL || s.type === SymbolType.OBJECT);
    if (syms.length === 0) return;
    if (sec.size % syms.length !== 0) {
      throw new LoadError('LoaderBadMap', { section: sec.name }, `size ${sec.size} is not a multiple of the ${syms.length} map definitions`);
    }
    const defSize = sec.size / syms.length;
    if (defSize < LEGACY_MAP_DEF_SIZE || defSize % 4 !== 0) {
      throw new LoadError('LoaderBadMap', { section: sec.name }, `map definition size ${defSize} is not supported (need ≥ ${LEGACY_MAP_DEF_SIZE}, multiple of 4)`);
    }
    const v = new ByteView(sec.data);
    for (const s of syms) {
      const place = { section: sec.name, offset: s.value, symbol: s.name };
      if (s.value % defSize !== 0 || s.value + defSize > sec.size) throw new LoadError('LoaderBadMap', place, 'map symbol is not at a definition boundary');
      for (let o = s.value + LEGACY_MAP_DEF_SIZE; o < s.value + defSize; o++) {
        if (v.u8(o) !== 0) throw new LoadError('LoaderBadMap', { ...place, offset: o }, 'unknown non-zero field in legacy map definition');
      }
      const type = v.u32(s.value);
      this.addMap({
        name: s.name, section: sec.name, definition: 'legacy', type, typeName: MAP_TYPE_NAMES[type] ?? `UNKNOWN_${type}`,
        keySize: v.u32(s.value + 4), valueSize: v.u32(s.value + 8), maxEntries: v.u32(s.value + 12), flags: v.u32(s.value + 16),
        pinning: PinType.NONE, numaNode: 0, mapExtra: 0,
      }, `${sec.index}:${s.value}`);
    }
  }

  private collectBtfMaps(): void {
    const sec = this.elf.sectionByName(Sections.BTF_MAPS);
    if (!sec) return;
    const btf = this.btf;
    if (!btf) throw new LoadError('LoaderBadMap', { section: sec.name }, 'BTF-defined maps need a .BTF section');
    const ds = btf.types.find((t) => t.kind === 'DATASEC' && t.name === Sections.BTF_MAPS);
    if (!ds || ds.kind !== 'DATASEC') throw new LoadError('LoaderBadMap', { section: sec.name }, 'no .maps DATASEC in BTF');
    const syms = new Map(this.objectSymbols(sec).map((s) => [s.name, s]));
    const defs: { name: string; sym: ElfSymbol; typeId: number }[] = [];
    for (const vi of ds.vars) {
      const v = btf.type(vi.type);
      if (v.kind !== 'VAR') throw new LoadError('LoaderBadMap', { section: sec.name }, `.maps entry ${vi.type} is not a variable`);
      const sym = syms.get(v.name);
      if (!sym) throw new LoadError('LoaderBadMap', { section: sec.name, symbol: v.name }, 'map variable has no ELF symbol');
      defs.push({ name: v.name, sym, typeId: v.type });
    }
    defs.sort((a, b) => a.sym.value - b.sym.value || (a.name < b.name ? -1 : 1));
    const pending: { idx: number; name: string; sym: ElfSymbol; valuesOffset: number; size: number }[] = [];
    for (const d of defs) {
      // An initialised values[] array makes the symbol larger than the (flexible) struct.
      const size = Math.max(btf.sizeof(d.typeId), d.sym.size);
      if (d.sym.value + size > sec.size) throw new LoadError('LoaderBadMap', { section: sec.name, offset: d.sym.value, symbol: d.name }, 'map definition extends past the section');
      const { spec, valuesOffset } = this.parseBtfMapDef(d.name, d.typeId, sec.name, false);
      const idx = this.addMap(spec, `${sec.index}:${d.sym.value}`);
      if (valuesOffset >= 0) pending.push({ idx, name: d.name, sym: d.sym, valuesOffset, size });
    }
    this.collectMapInitialisers(sec, pending);
  }

  /** libbpf's parse_btf_map_def: members are __uint (ptr to array of N), __type (ptr to T), __array (values). */
  private parseBtfMapDef(name: string, typeId: number, section: string, inner: boolean): { spec: MapSpec; valuesOffset: number } {
    const btf = this.btf!;
    const place = { section, symbol: name };
    const def = btf.resolve(typeId);
    if (def.kind !== 'STRUCT') throw new LoadError('LoaderBadMap', place, `map definition is ${btf.describe(typeId)}, not a struct`);
    const fields: Record<string, number> = {};
    let keyType: number | undefined, valueType: number | undefined, valuesOffset = -1;
    let innerMap: MapSpec | undefined;
    let valuesKind: 'map' | 'prog' | undefined;
    const uintOf = (m: { name: string; type: number }): number => {
      const p = btf.resolve(m.type);
      if (p.kind !== 'PTR') throw new LoadError('LoaderBadMap', place, `field ${m.name} is not declared with __uint`);
      const a = btf.resolve(p.type);
      if (a.kind !== 'ARRAY') throw new LoadError('LoaderBadMap', place, `field ${m.name} is not declared with __uint`);
      return a.nelems;
    };
    for (const m of def.members) {
      switch (m.name) {
        case 'type': case 'max_entries': case 'map_flags': case 'numa_node': case 'key_size': case 'value_size':
        case 'pinning': case 'map_extra':
          fields[m.name] = uintOf(m);
          break;
        case 'key': case 'value': {
          const p = btf.resolve(m.type);
          if (p.kind !== 'PTR') throw new LoadError('LoaderBadMap', place, `field ${m.name} is not declared with __type`);
          if (m.name === 'key') keyType = p.type; else valueType = p.type;
          break;
        }
        case 'values': {
          const a = btf.resolve(m.type);
          if (a.kind !== 'ARRAY') throw new LoadError('LoaderBadMap', place, 'values is not an array (__array)');
          const p = btf.resolve(a.type);
          if (p.kind !== 'PTR') throw new LoadError('LoaderBadMap', place, 'values elements are not pointers');
          const target = btf.resolve(p.type);
          if (target.kind === 'FUNC_PROTO') valuesKind = 'prog';
          else if (target.kind === 'STRUCT') {
            if (inner) throw new LoadError('LoaderBadMap', place, 'inner map definitions cannot nest further');
            valuesKind = 'map';
            innerMap = this.parseBtfMapDef(`${name}.inner`, target.id, section, true).spec;
          } else throw new LoadError('LoaderBadMap', place, `values point to ${btf.describe(target.id)}`);
          if (m.bitfieldSize !== 0 || m.bitOffset % 64 !== 0) throw new LoadError('LoaderBadMap', place, 'values is not 8-byte aligned');
          valuesOffset = m.bitOffset / 8;
          break;
        }
        default:
          throw new LoadError('LoaderBadMap', place, `unknown map definition field "${m.name}"`);
      }
    }
    const type = fields['type'] ?? MapType.UNSPEC;
    let keySize = fields['key_size'], valueSize = fields['value_size'];
    if (keyType !== undefined) {
      const sz = btf.sizeof(keyType);
      if (keySize !== undefined && keySize !== sz) throw new LoadError('LoaderBadMap', place, `key_size ${keySize} disagrees with key type size ${sz}`);
      keySize = sz;
    }
    if (valueType !== undefined) {
      const sz = btf.sizeof(valueType);
      if (valueSize !== undefined && valueSize !== sz) throw new LoadError('LoaderBadMap', place, `value_size ${valueSize} disagrees with value type size ${sz}`);
      valueSize = sz;
    }
    if (valuesKind === 'map') {
      if (type !== MapType.ARRAY_OF_MAPS && type !== MapType.HASH_OF_MAPS) throw new LoadError('LoaderBadMap', place, 'values of maps need a map-in-map type');
      valueSize ??= 4; // the inner map's fd
    } else if (valuesKind === 'prog') {
      if (type !== MapType.PROG_ARRAY) throw new LoadError('LoaderBadMap', place, 'values of programs need BPF_MAP_TYPE_PROG_ARRAY');
      valueSize ??= 4;
    }
    const pinning = fields['pinning'] ?? PinType.NONE;
    if (pinning !== PinType.NONE && pinning !== PinType.BY_NAME) throw new LoadError('LoaderBadMap', place, `unknown pinning ${pinning}`);
    const spec: MapSpec = {
      name, section, definition: 'btf', type, typeName: MAP_TYPE_NAMES[type] ?? `UNKNOWN_${type}`,
      keySize: keySize ?? 0, valueSize: valueSize ?? 0, maxEntries: fields['max_entries'] ?? 0, flags: fields['map_flags'] ?? 0,
      pinning, numaNode: fields['numa_node'] ?? 0, mapExtra: fields['map_extra'] ?? 0,
      ...(keyType !== undefined ? { keyType } : {}), ...(valueType !== undefined ? { valueType } : {}),
      ...(innerMap ? { innerMap } : {}),
    };
    return { spec, valuesOffset };
  }

  /** `.values = { [i] = &map_or_prog }` arrives as ABS64 relocations in .rel.maps. */
  private collectMapInitialisers(sec: ElfSection, pending: { idx: number; name: string; sym: ElfSymbol; valuesOffset: number; size: number }[]): void {
    const relocs = this.elf.relocationsFor(sec.index);
    const slots = new Map<number, MapSlot[]>();
    for (const r of relocs) {
      const sym = this.elf.symbols[r.symbol]!;
      const symName = this.elf.symbolName(sym);
      const owner = pending.find((p) => r.offset >= p.sym.value + p.valuesOffset && r.offset < p.sym.value + p.size);
      const place = { section: `.rel${sec.name}`, offset: r.offset, symbol: symName };
      if (!owner) throw new LoadError('LoaderBadMap', place, 'relocation in .maps outside any values initialiser');
      if (r.type !== RelocType.R_BPF_64_ABS64) throw new LoadError('LoaderBadMap', place, 'values initialiser needs an R_BPF_64_ABS64 relocation');
      const rel = r.offset - owner.sym.value - owner.valuesOffset;
      if (rel % 8 !== 0) throw new LoadError('LoaderBadMap', place, 'values initialiser is not pointer aligned');
      const index = rel / 8;
      const spec = this.maps[owner.idx]!;
      if (index >= spec.maxEntries) throw new LoadError('LoaderBadMap', place, `initialiser slot ${index} ≥ max_entries ${spec.maxEntries}`);
      let slot: MapSlot;
      if (spec.type === MapType.PROG_ARRAY) {
        const f = this.funcAt(sym.shndx, sym.value);
        if (sym.type !== SymbolType.FUNC || !f) throw new LoadError('LoaderBadMap', place, 'prog array initialiser does not name a function');
        slot = { index, program: f.name };
      } else {
        const mi = this.mapBySymbol.get(`${sym.shndx}:${sym.value}`);
        if (mi === undefined || sym.shndx !== sec.index) throw new LoadError('LoaderBadMap', place, 'map-in-map initialiser does not name a map');
        slot = { index, map: this.maps[mi]!.name };
      }
      const list = slots.get(owner.idx) ?? [];
      if (list.some((s) => s.index === index)) throw new LoadError('LoaderBadMap', place, `slot ${index} initialised twice`);
      list.push(slot);
      slots.set(owner.idx, list);
    }
    for (const [idx, list] of slots) {
      list.sort((a, b) => a.index - b.index);
      this.maps[idx] = { ...this.maps[idx]!, slots: list };
    }
  }

  private collectDataMaps(): void {
    for (const sec of this.elf.sections) {
      if (!isDataSection(sec) || sec.size === 0) continue;
      if (sec.size > MAX_GLOBAL_DATA_BYTES) {
        throw new LoadError('LoaderBadData', { section: sec.name }, `section of ${sec.size} bytes exceeds the ${MAX_GLOBAL_DATA_BYTES}-byte limit for global data`);
      }
      const ro = sec.name.startsWith(Sections.RODATA);
      const ds = this.btf?.types.find((t) => t.kind === 'DATASEC' && t.name === sec.name);
      const varTypes = new Map<string, number>();
      if (ds && ds.kind === 'DATASEC') {
        for (const vi of ds.vars) { const v = this.btf!.type(vi.type); if (v.kind === 'VAR') varTypes.set(v.name, v.id); }
      }
      const variables: DataVariable[] = this.objectSymbols(sec).filter((s) => s.type === SymbolType.OBJECT).map((s) => {
        if (s.value + s.size > sec.size) throw new LoadError('LoaderBadData', { section: sec.name, offset: s.value, symbol: s.name }, 'variable extends past its section');
        const typeId = varTypes.get(s.name);
        return { name: s.name, offset: s.value, size: s.size, ...(typeId !== undefined ? { typeId } : {}), global: s.bind !== SymbolBind.LOCAL };
      });
      const data = sec.type === SectionType.NOBITS ? new Uint8Array(sec.size) : sec.data.slice();
      const idx = this.addMap({
        name: sec.name, section: sec.name, definition: 'data', type: MapType.ARRAY, typeName: 'ARRAY',
        keySize: 4, valueSize: sec.size, maxEntries: 1, flags: BPF_F_MMAPABLE | (ro ? BPF_F_RDONLY_PROG : 0),
        pinning: PinType.NONE, numaNode: 0, mapExtra: 0,
        ...(ds ? { valueType: ds.id } : {}), data, variables, readonly: ro,
      });
      this.mapByDataSection.set(sec.index, idx);
    }
  }

  // ---- externs ------------------------------------------------------------

  private collectExterns(): void {
    const btf = this.btf;
    /** name → kind and VAR/FUNC id, from the .kconfig / .ksyms DATASECs. */
    const btfKind = new Map<string, { kind: 'kconfig' | 'ksym'; id: number; func: boolean }>();
    if (btf) {
      for (const t of btf.types) {
        if (t.kind === 'DATASEC' && (t.name === Sections.KCONFIG || t.name === Sections.KSYMS)) {
          for (const vi of t.vars) {
            const v = btf.type(vi.type);
            btfKind.set(v.name, { kind: t.name === Sections.KCONFIG ? 'kconfig' : 'ksym', id: v.id, func: v.kind === 'FUNC' });
          }
        }
      }
    }
    const und = this.elf.symbols.filter((s) => s.index !== 0 && s.shndx === SHN_UNDEF && s.name !== '' && s.bind !== SymbolBind.LOCAL)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const kconfig: { name: string; weak: boolean; typeId?: number; size: number; align: number }[] = [];
    for (const s of und) {
      if (this.externByName.has(s.name)) continue;
      const weak = s.bind === SymbolBind.WEAK;
      const b = btfKind.get(s.name);
      // With BTF, like libbpf, only declarations in .kconfig / .ksyms are externs;
      // a relocation against any other undefined symbol is an error.
      if (btf && !b) continue;
      const kind = b?.kind ?? (s.name.startsWith('CONFIG_') || s.name.startsWith('LINUX_') ? 'kconfig' : 'ksym');
      if (kind === 'kconfig') {
        let size = 8, align = 8;
        if (b && btf) {
          const v = btf.type(b.id);
          if (v.kind !== 'VAR') throw new LoadError('LoaderBadData', { section: Sections.KCONFIG, symbol: s.name }, 'a .kconfig extern must be a variable');
          size = btf.sizeof(v.type);
          align = btf.alignof(v.type);
        }
        kconfig.push({ name: s.name, weak, ...(b ? { typeId: b.id } : {}), size, align });
      } else {
        const func = b ? b.func : s.type === SymbolType.FUNC;
        const e: ExternSpec = { name: s.name, kind: 'ksym', weak, func, ...(b ? { typeId: b.id } : {}) };
        this.externs.push(e);
        this.externByName.set(s.name, e);
      }
    }
    if (kconfig.length === 0) return;
    // libbpf's layout: alignment descending, then size ascending, then name.
    kconfig.sort((a, b) => b.align - a.align || a.size - b.size || (a.name < b.name ? -1 : 1));
    let off = 0;
    const variables: DataVariable[] = [];
    for (const k of kconfig) {
      off = Math.ceil(off / k.align) * k.align;
      const e: ExternSpec = { name: k.name, kind: 'kconfig', weak: k.weak, func: false, ...(k.typeId !== undefined ? { typeId: k.typeId } : {}), offset: off, size: k.size };
      this.externs.push(e);
      this.externByName.set(k.name, e);
      variables.push({ name: k.name, offset: off, size: k.size, ...(k.typeId !== undefined ? { typeId: k.typeId } : {}), global: true });
      off += k.size;
    }
    // libbpf sizes the map to the last extern's end (bpf_object__init_kconfig_map), unrounded
    const size = off;
    if (size > MAX_GLOBAL_DATA_BYTES) throw new LoadError('LoaderBadData', { section: Sections.KCONFIG }, `externs need ${size} bytes, over the global data limit`);
    this.kconfigMapIndex = this.addMap({
      name: Sections.KCONFIG, section: Sections.KCONFIG, definition: 'kconfig', type: MapType.ARRAY, typeName: 'ARRAY',
      keySize: 4, valueSize: size, maxEntries: 1, flags: BPF_F_MMAPABLE | BPF_F_RDONLY_PROG, pinning: PinType.NONE, numaNode: 0,
      mapExtra: 0, data: new Uint8Array(size), variables, readonly: true,
    });
    this.externs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- code relocations -----------------------------------------------------

  /** Classified relocations of executable section `sec`, by byte offset. */
  private codeRelocs(sec: ElfSection, entryOnly: boolean): Map<number, CodeReloc> {
    const cached = this.relocCache.get(sec.index);
    if (cached) return cached;
    const out = new Map<number, CodeReloc>();
    const relName = this.elf.relSectionFor(sec.index)?.name ?? `.rel${sec.name}`;
    for (const r of this.elf.relocationsFor(sec.index)) {
      const sym = this.elf.symbols[r.symbol]!;
      const symName = this.elf.symbolName(sym);
      const place = { section: relName, offset: r.offset, symbol: symName };
      if (r.offset % INSTRUCTION_BYTES !== 0) throw new LoadError('ElfBadRelocation', place, 'relocation is not at an instruction boundary');
      const opcode = sec.data[r.offset]!;
      const isCall = opcode === CALL_OPCODE;
      if (r.type === RelocType.R_BPF_64_64) {
        if (opcode !== LDDW_OPCODE) throw new LoadError('ElfBadRelocation', place, `R_BPF_64_64 at an instruction with opcode 0x${opcode.toString(16)}, not lddw`);
      } else if (r.type === RelocType.R_BPF_64_32) {
        if (!isCall) throw new LoadError('ElfBadRelocation', place, `R_BPF_64_32 at an instruction with opcode 0x${opcode.toString(16)}, not call`);
      } else if (r.type === RelocType.NONE) continue;
      else throw new LoadError('ElfUnsupportedRelocation', place, `relocation type ${r.type} is not valid in program code`);
      if (out.has(r.offset)) throw new LoadError('ElfBadRelocation', place, 'two relocations for one instruction');

      let c: CodeReloc;
      const target = this.elf.sections[sym.shndx];
      if (sym.shndx === SHN_UNDEF) {
        if (sym.index === 0 || !sym.name) throw new LoadError('ElfMissingSymbol', place, 'relocation against the null symbol');
        const ext = this.externByName.get(sym.name);
        if (!ext) {
          if (entryOnly) throw new LoadError('LoaderNoEntry', place, 'entry function refers to an extern');
          throw new LoadError('ElfMissingSymbol', place, 'relocation against an undefined symbol that is not a .kconfig or .ksyms extern');
        }
        c = { kind: 'extern', sym, ext, isCall };
      } else if (target && target.type === SectionType.PROGBITS && (target.flags & SHF_EXECINSTR) !== 0) {
        if (sym.value % INSTRUCTION_BYTES !== 0) throw new LoadError('ElfBadRelocation', place, `function symbol at ${sym.value} is not instruction aligned`);
        if (isCall && srcOf(sec.data, r.offset / INSTRUCTION_BYTES) !== CallSrc.LOCAL) {
          throw new LoadError('ElfBadRelocation', place, 'call relocated to a function must be a bpf-to-bpf call (src=1)');
        }
        if (!isCall && i32At(sec.data, r.offset + 4) % INSTRUCTION_BYTES !== 0) {
          throw new LoadError('ElfBadRelocation', place, 'function address addend is not instruction aligned');
        }
        c = { kind: 'call', sym, pointer: !isCall };
      } else if (entryOnly) {
        throw new LoadError('LoaderNoEntry', place, 'entry function refers to a map or global data');
      } else if (target && (target.name === Sections.LEGACY_MAPS || target.name === Sections.BTF_MAPS)) {
        if (isCall) throw new LoadError('ElfBadRelocation', place, 'call relocation against a map');
        const mi = this.mapBySymbol.get(`${sym.shndx}:${sym.value}`);
        if (mi === undefined) throw new LoadError('ElfMissingSymbol', place, 'relocation names no map definition');
        c = { kind: 'map', sym, mapIndex: mi };
      } else if (target && this.mapByDataSection.has(sym.shndx)) {
        if (isCall) throw new LoadError('ElfBadRelocation', place, 'call relocation against data');
        c = { kind: 'map_value', sym, mapIndex: this.mapByDataSection.get(sym.shndx)!, symOffset: sym.value };
      } else {
        throw new LoadError('ElfBadRelocation', place, `relocation against symbol in unsupported section ${target?.name ?? sym.shndx}`);
      }
      out.set(r.offset, c);
    }
    this.relocCache.set(sec.index, out);
    return out;
  }

  // ---- linking ----------------------------------------------------------------

  /** Links function `entry` with every function it reaches, like libbpf appends subprograms. */
  link(entry: Func, entryOnly: boolean): Omit<ProgramSpec, 'name' | 'section' | 'type' | 'sleepable' | 'frags' | 'license' | 'autoload'> {
    // Depth-first like libbpf's bpf_object__reloc_code: a subprogram is appended
    // when first called and processed at once, before its caller continues.
    interface Frame { readonly f: Func; readonly base: number; readonly code: Uint8Array; readonly slots: number; next: number }
    const placed = new Map<Func, Frame>();
    const order: Frame[] = [];
    let total = 0;
    const functions: ProgramFunction[] = [];
    let descend: Frame | undefined;
    const place = (f: Func): number => {
      const known = placed.get(f);
      if (known) return known.base;
      const frame: Frame = { f, base: total, code: f.section.data.slice(f.start, f.start + f.size), slots: f.size / INSTRUCTION_BYTES, next: 0 };
      placed.set(f, frame);
      order.push(frame);
      functions.push({ name: f.name, pc: frame.base, slots: frame.slots, section: f.section.name, sectionOffset: f.start });
      total += frame.slots;
      descend = frame;
      return frame.base;
    };
    const relocations: ProgramRelocation[] = [];
    const funcInfo: ProgramFuncInfo[] = [];
    const lineInfo: ProgramLineInfo[] = [];
    place(entry);
    const stack: Frame[] = [order[0]!];
    descend = undefined;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const { f, base, code, slots } = frame;
      const sec = f.section;
      const relocs = this.codeRelocs(sec, entryOnly);
      while (frame.next < slots && descend === undefined) {
        const i = frame.next;
        const o = i * INSTRUCTION_BYTES;
        const opcode = code[o]!;
        const width = opcode === LDDW_OPCODE ? 2 : 1;
        const at = { section: sec.name, offset: f.start + o, symbol: f.name };
        if (width === 2 && i + 1 >= slots) throw new LoadError('LoaderBadProgram', at, 'lddw is missing its second slot');
        const pc = base + i;
        const r = relocs.get(f.start + o);
        const imm = i32At(code, o + 4);
        if (r) {
          const symbol = this.elf.symbolName(r.sym);
          switch (r.kind) {
            case 'call': {
              const targetOff = r.pointer ? r.sym.value + imm : r.sym.value + (imm + 1) * INSTRUCTION_BYTES;
              const callee = this.funcAt(r.sym.shndx, targetOff);
              if (!callee) throw new LoadError('LoaderBadProgram', at, `${r.pointer ? 'function pointer' : 'call'} to ${symbol}+${targetOff - r.sym.value} is not the start of a function`);
              const cb = place(callee);
              setI32(code, o + 4, cb - pc - 1);
              if (r.pointer) { setSrc(code, i, LddwSrc.FUNC); setI32(code, o + 12, 0); } else setSrc(code, i, CallSrc.LOCAL);
              relocations.push({ pc, kind: 'call', symbol, target: callee.name, ...(r.pointer ? { pointer: true } : {}) });
              break;
            }
            case 'map':
              setSrc(code, i, LddwSrc.MAP_FD);
              setI32(code, o + 4, r.mapIndex);
              setI32(code, o + 12, 0);
              relocations.push({ pc, kind: 'map', symbol, map: this.maps[r.mapIndex]!.name, mapIndex: r.mapIndex });
              break;
            case 'map_value': {
              const offset = r.symOffset + imm;
              const m = this.maps[r.mapIndex]!;
              if (offset < 0 || offset > m.valueSize) throw new LoadError('LoaderBadData', at, `offset ${offset} outside ${m.name} (${m.valueSize} bytes)`);
              setSrc(code, i, LddwSrc.MAP_VALUE);
              setI32(code, o + 4, r.mapIndex);
              setI32(code, o + 12, offset);
              relocations.push({ pc, kind: 'map_value', symbol, map: m.name, mapIndex: r.mapIndex, offset });
              break;
            }
            case 'extern': {
              const e = r.ext;
              if (e.kind === 'kconfig') {
                if (r.isCall) throw new LoadError('ElfBadRelocation', at, 'call to a kconfig extern');
                setSrc(code, i, LddwSrc.MAP_VALUE);
                setI32(code, o + 4, this.kconfigMapIndex);
                setI32(code, o + 12, e.offset!);
                relocations.push({ pc, kind: 'kconfig', symbol, map: Sections.KCONFIG, mapIndex: this.kconfigMapIndex, offset: e.offset!, weak: e.weak });
              } else {
                if (r.isCall) {
                  // kfunc: imm is its id in the engine's table (the kernel's would be its vmlinux BTF id)
                  const k = this.resolveKfunc(e, at);
                  setSrc(code, i, CallSrc.KFUNC);
                  setI32(code, o + 4, k ? k.id : KFUNC_UNRESOLVED);
                  relocations.push({ pc, kind: 'kfunc', symbol, weak: e.weak, ...(k ? { kfuncId: k.id } : {}) });
                  break;
                } else {
                  // Typed variables become BTF_ID loads; functions and typeless symbols stay plain (address or 0).
                  const typed = e.typeId !== undefined && !e.func && this.btf!.resolve((this.btf!.type(e.typeId) as { type: number }).type).kind !== 'VOID';
                  setSrc(code, i, typed ? LddwSrc.BTF_ID : LddwSrc.IMM64);
                  setI32(code, o + 4, 0);
                  setI32(code, o + 12, 0);
                }
                relocations.push({ pc, kind: 'ksym', symbol, weak: e.weak });
              }
              break;
            }
          }
        } else if (opcode === CALL_OPCODE && srcOf(code, i) === CallSrc.LOCAL) {
          // A call within one section needs no relocation: it is pc-relative there.
          const targetOff = f.start + (i + imm + 1) * INSTRUCTION_BYTES;
          const callee = this.funcAt(sec.index, targetOff);
          if (!callee) throw new LoadError('LoaderBadProgram', at, `local call to section offset ${targetOff} is not the start of a function`);
          const cb = place(callee);
          setI32(code, o + 4, cb - pc - 1);
          relocations.push({ pc, kind: 'call', symbol: callee.name, target: callee.name });
        }
        frame.next = i + width;
      }
      if (descend !== undefined) { stack.push(descend); descend = undefined; continue; }
      stack.pop();
      this.collectExt(f, base, relocations, funcInfo, lineInfo);
    }
    const instructions = new Uint8Array(total * INSTRUCTION_BYTES);
    for (const fr of order) instructions.set(fr.code, fr.base * INSTRUCTION_BYTES);
    relocations.sort((a, b) => a.pc - b.pc || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0));
    funcInfo.sort((a, b) => a.pc - b.pc);
    lineInfo.sort((a, b) => a.pc - b.pc);
    const out = { instructions, slotCount: total, functions, relocations, funcInfo, lineInfo };
    if (this.options.targetBtf && this.btf) patchCore(out, this.btf, this.options.targetBtf);
    return out;
  }

  private collectExt(f: Func, base: number, relocations: ProgramRelocation[], funcInfo: ProgramFuncInfo[], lineInfo: ProgramLineInfo[]): void {
    const ext = this.ext;
    if (!ext) return;
    const sec = f.section.name;
    const inside = (off: number): boolean => off >= f.start && off < f.start + f.size;
    const pcOf = (off: number): number => base + (off - f.start) / INSTRUCTION_BYTES;
    for (const fi of ext.funcInfo.get(sec) ?? []) {
      if (inside(fi.insnOff)) funcInfo.push({ pc: pcOf(fi.insnOff), typeId: fi.typeId, name: this.btf!.type(fi.typeId).name });
    }
    for (const li of ext.lineInfo.get(sec) ?? []) {
      if (inside(li.insnOff)) lineInfo.push({ pc: pcOf(li.insnOff), fileName: li.fileName, source: li.source, line: li.line, column: li.column });
    }
    for (const cr of ext.coreRelos.get(sec) ?? []) {
      if (!inside(cr.insnOff)) continue;
      relocations.push({ pc: pcOf(cr.insnOff), kind: 'core', symbol: this.btf!.type(cr.typeId).name, core: { ...cr, section: sec } });
    }
  }

  programs(): ProgramSpec[] {
    const out: ProgramSpec[] = [];
    for (const [shndx, list] of [...this.funcs].sort((a, b) => a[0] - b[0])) {
      const sec = this.elf.sections[shndx]!;
      if (sec.name === Sections.TEXT || sec.name.startsWith(Sections.TEXT + '.')) continue; // subprograms
      // libbpf: SEC("?name") declares a program that is not loaded by default.
      const autoload = !sec.name.startsWith('?');
      const m = matchSection(autoload ? sec.name : sec.name.slice(1));
      for (const f of list) {
        const linked = this.link(f, false);
        out.push({
          name: f.name, section: sec.name, type: m.type, autoload, ...(m.attach ? { attachType: m.attach } : {}),
          ...(m.attachTo !== undefined ? { attachTo: m.attachTo } : {}), sleepable: m.sleepable, frags: m.frags,
          license: this.license, ...linked,
        });
      }
    }
    return out;
  }

  /** A FUNC symbol by name in any executable section. */
  findFunction(name: string): Func | undefined {
    for (const [, list] of [...this.funcs].sort((a, b) => a[0] - b[0])) {
      const f = list.find((x) => x.name === name);
      if (f) return f;
    }
    return undefined;
  }
}

/** Parses a BPF object file into a deterministic spec. */
export function parseObject(bytes: Uint8Array, options: ParseOptions = {}): ObjectSpec {
  const p = new ObjectParser(bytes, options);
  const programs = p.programs();
  return {
    license: p.license, ...(p.kernelVersion !== undefined ? { kernelVersion: p.kernelVersion } : {}),
    programs, maps: p.maps, externs: p.externs, ...(p.btf ? { btf: p.btf } : {}),
    ...(p.hiddenFuncs.length ? { hiddenFuncs: [...p.hiddenFuncs] } : {}),
  };
}

/**
 * The conformance plugin's --elf input: the linked instructions of the global
 * FUNC `name` (default "main"), with its subprograms appended and calls fixed.
 * Any map, global-data or extern reference is a LoadError (nothing could patch it).
 */
export function loadElfEntry(bytes: Uint8Array, name = 'main'): Uint8Array {
  const p = new ObjectParser(bytes, {}, true);
  const f = p.findFunction(name);
  if (!f) throw new LoadError('LoaderNoEntry', { symbol: name }, 'no function of that name in an executable section');
  if (!f.global) throw new LoadError('LoaderNoEntry', { section: f.section.name, symbol: name }, 'entry function is not global');
  return p.link(f, true).instructions;
}

// ---- CO-RE application -----------------------------------------------------------

/** libbpf's poison: "call 0xbad2310" over the instruction (both lddw slots). */
function poisonAt(code: Uint8Array, o: number): void {
  const slots = code[o] === LDDW_OPCODE && o + 16 <= code.length ? 2 : 1;
  for (let s = 0; s < slots; s++) {
    code.fill(0, o + s * 8, o + s * 8 + 8);
    code[o + s * 8] = CALL_OPCODE;
    setI32(code, o + s * 8 + 4, CORE_POISON_HELPER);
  }
}

function sizeValueOf(bytes: number): SizeValue | undefined {
  for (const [k, v] of Object.entries(SIZE_BYTES)) if (v === bytes) return Number(k) as SizeValue;
  return undefined;
}

/**
 * Resolves every 'core' relocation of a linked program against `target` and
 * patches its instruction like libbpf's bpf_core_patch_insn: ALU immediates,
 * load/store offsets (and access sizes when the field width changed), lddw
 * immediates; unsatisfiable relocations poison the instruction with a call
 * to helper 0xbad2310. Returns patched copies; the input is not modified.
 */
export function applyCoreRelocations<P extends { readonly instructions: Uint8Array; readonly relocations: readonly ProgramRelocation[] }>(
  prog: P, local: Btf, target: Btf, options: CoreOptions = {},
): P {
  const copy = { ...prog, instructions: prog.instructions.slice(), relocations: [...prog.relocations] };
  patchCore(copy, local, target, options);
  return copy;
}

/** applyCoreRelocations in place (the linker's own copy). */
/** Relocations that read a layout (they would poison on a miss); existence checks still answer from the subset. */
const LAYOUT_RELOS: ReadonlySet<string> = new Set(['FIELD_BYTE_OFFSET', 'FIELD_BYTE_SIZE', 'FIELD_SIGNED', 'FIELD_LSHIFT_U64', 'FIELD_RSHIFT_U64', 'TYPE_SIZE']);

export interface CoreOptions {
  /**
   * The target is a subset of a kernel's BTF (the built-in one): a relocation whose root type has no
   * candidate there keeps the compiled-in (local) values instead of poisoning, since the type is
   * more likely missing from the subset than from the kernel (layout relocations only: existence
   * checks answer from the subset). Fields missing from a type the subset has still poison.
   */
  readonly subsetTarget?: boolean;
}

function patchCore(prog: { instructions: Uint8Array; relocations: ProgramRelocation[] }, local: Btf, target: Btf, options: CoreOptions = {}): void {
  const code = prog.instructions;
  const relocs = prog.relocations;
  for (let k = 0; k < relocs.length; k++) {
    const r = relocs[k]!;
    if (r.kind !== 'core' || !r.core) continue;
    const o = r.pc * INSTRUCTION_BYTES;
    const at = { section: r.core.section, offset: r.core.insnOff, symbol: r.symbol };
    if (o + INSTRUCTION_BYTES > code.length) throw new LoadError('CoreRelocation', at, `pc ${r.pc} outside the program`);
    let result: CoreResult;
    try {
      const keepLocal = options.subsetTarget && LAYOUT_RELOS.has(r.core.kind) && !hasCoreCandidates(local, r.core, target);
      result = resolveCoreRelo(local, r.core, keepLocal ? local : target);
    } catch (e) {
      // Name the program section the record belongs to.
      if (e instanceof LoadError && e.section === undefined) throw new LoadError(e.codeName, at, e.detail);
      throw e;
    }
    relocs[k] = { ...r, core: { ...r.core, result } };
    const opcode = code[o]!;
    const cls = opcode & CLASS_MASK;
    const isMem = (cls === Class.LDX || cls === Class.ST || cls === Class.STX) && (opcode & MODE_MASK) === Mode.MEM;
    const sizeChanges = result.targetFieldSize !== undefined && result.targetFieldSize !== result.localFieldSize;
    if (result.poison || (isMem && sizeChanges && result.failMemSizeAdjust)) {
      poisonAt(code, o);
      continue;
    }
    const value = result.target!;
    if (opcode === LDDW_OPCODE) {
      if (o + 16 > code.length || srcOf(code, r.pc) !== 0) throw new LoadError('CoreRelocation', at, 'lddw has an unexpected form');
      const big = BigInt.asUintN(64, BigInt(value));
      const orig = BigInt.asUintN(64, (BigInt(i32At(code, o + 12)) << 32n) | BigInt(u32At(code, o + 4)));
      if (result.validate && orig !== BigInt.asUintN(64, BigInt(result.local))) {
        throw new LoadError('CoreRelocation', at, `lddw value ${orig} is not the expected local value ${result.local}`);
      }
      setI32(code, o + 4, Number(big & 0xffffffffn) | 0);
      setI32(code, o + 12, Number(big >> 32n) | 0);
    } else if (cls === Class.ALU || cls === Class.ALU64) {
      if ((opcode & SOURCE_MASK) !== 0) throw new LoadError('CoreRelocation', at, `cannot apply ${result.kind} to a register-source ALU instruction`);
      const orig = i32At(code, o + 4);
      if (result.validate && orig !== Number(result.local)) throw new LoadError('CoreRelocation', at, `instruction immediate ${orig} is not the expected local value ${result.local}`);
      setI32(code, o + 4, Number(value) | 0);
    } else if (isMem) {
      const orig = ((code[o + 2]! | (code[o + 3]! << 8)) << 16) >> 16;
      if (result.validate && orig !== Number(result.local)) throw new LoadError('CoreRelocation', at, `instruction offset ${orig} is not the expected local value ${result.local}`);
      const v = Number(value);
      if (v < -32768 || v > 32767) throw new LoadError('CoreRelocation', at, `offset ${v} does not fit 16 bits`);
      code[o + 2] = v & 0xff; code[o + 3] = (v >> 8) & 0xff;
      if (sizeChanges) {
        // Same field, different width (u32 → u64, 32-bit pointers): change the access size.
        if (SIZE_BYTES[(opcode & SIZE_MASK) as SizeValue] !== result.localFieldSize) {
          throw new LoadError('CoreRelocation', at, `access size does not match the local field size ${result.localFieldSize}`);
        }
        const sz = sizeValueOf(result.targetFieldSize!);
        if (sz === undefined) throw new LoadError('CoreRelocation', at, `field size ${result.targetFieldSize} cannot be accessed`);
        code[o] = (opcode & ~SIZE_MASK) | sz;
      }
    } else {
      throw new LoadError('CoreRelocation', at, `cannot apply ${result.kind} to opcode 0x${opcode.toString(16)}`);
    }
  }
}
