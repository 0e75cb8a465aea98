import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readElf, RelocType, SectionType, SymbolBind, SymbolType, SHDR_SIZE } from '../src/elf/index.js';
import { parseObject, loadElfEntry } from '../src/loader/index.js';
import { LoadError } from '../src/diagnostics/index.js';
import { dv, fixture, llvm, loadError, rng, FIXTURES } from './fixtures/elf/helpers.js';

const FIXTURE_NAMES = ['progs.o', 'progs-v4.o', 'maps.o', 'globals.o', 'core.o', 'main.o', 'kinds.o', 'core_target.o', 'extern_bad.o'];

/** Byte offset of section header `i`. */
function shdr(b: Uint8Array, i: number): number {
  return Number(dv(b).getBigUint64(40, true)) + i * SHDR_SIZE;
}
function sectionIndex(b: Uint8Array, name: string): number {
  return readElf(b).sectionByName(name)!.index;
}

test('reads header, sections, symbols of progs.o', () => {
  const elf = readElf(fixture('progs.o'));
  const names = elf.sections.map((s) => s.name);
  for (const n of ['.text', 'xdp', '.relxdp', 'socket', 'tc', 'kprobe/do_sys_open', 'maps', 'license', 'version', '.BTF', '.BTF.ext', '.symtab', '.strtab']) {
    assert.ok(names.includes(n), n);
  }
  const xdp = elf.sectionByName('xdp')!;
  assert.is(xdp.type, SectionType.PROGBITS);
  assert.is(xdp.size, 0x110);
  assert.is(xdp.data.length, 0x110);
  const pass = elf.symbols.find((s) => s.name === 'xdp_pass')!;
  assert.is(pass.type, SymbolType.FUNC);
  assert.is(pass.bind, SymbolBind.GLOBAL);
  assert.is(pass.shndx, xdp.index);
  const add3 = elf.symbols.find((s) => s.name === 'add3')!;
  assert.is(add3.bind, SymbolBind.LOCAL);
});

test('relocations of the xdp section match llvm-readelf', () => {
  const elf = readElf(fixture('progs.o'));
  const xdp = elf.sectionByName('xdp')!;
  const rel = elf.relocationsFor(xdp.index).map((r) => [r.offset, r.type, elf.symbolName(elf.symbols[r.symbol]!)]);
  assert.equal(rel, [
    [0x28, RelocType.R_BPF_64_64, 'legacy_hash'],
    [0x60, RelocType.R_BPF_64_32, '.text'],
    [0xb0, RelocType.R_BPF_64_64, '.text'],
    [0xe8, RelocType.R_BPF_64_32, 'global_mul'],
  ]);
  assert.is(elf.relSectionFor(xdp.index)!.name, '.relxdp');
});

test('data relocation kinds: ABS64 / ABS32 / NODYLD32 are read', () => {
  const elf = readElf(fixture('globals.o'));
  const btf = elf.sectionByName('.BTF')!;
  const types = new Set(elf.relocationsFor(btf.index).map((r) => r.type));
  assert.ok(types.has(RelocType.R_BPF_64_ABS32));
  assert.ok(types.has(RelocType.R_BPF_64_NODYLD32));
  const maps = readElf(fixture('maps.o'));
  assert.ok(maps.relocationsFor(maps.sectionByName('.maps')!.index).every((r) => r.type === RelocType.R_BPF_64_ABS64));
});

test('section and symbol tables agree with llvm-readelf (when installed)', () => {
  for (const f of FIXTURE_NAMES) {
    const out = llvm('llvm-readelf', ['-S', '-s', '--wide', FIXTURES + f]);
    if (out === undefined) { console.log('SKIP: llvm-readelf-19 not installed'); return; }
    const elf = readElf(fixture(f));
    const m = /There are (\d+) section headers/.exec(out);
    assert.is(elf.sections.length, Number(m![1]), f);
    const symCount = /Symbol table '\.symtab' contains (\d+) entries/.exec(out);
    assert.is(elf.symbols.length, Number(symCount![1]), f);
    for (const s of elf.sections) if (s.name) assert.ok(out.includes(` ${s.name} `) || out.includes(` ${s.name}\n`), `${f}: ${s.name}`);
  }
});

test('rejects non-ELF, wrong class, wrong machine, wrong type', () => {
  const b = fixture('progs.o');
  let c = b.slice(); c[0] = 0;
  assert.is(loadError(() => readElf(c)).codeName, 'ElfBadMagic');
  c = b.slice(); c[4] = 1;
  assert.is(loadError(() => readElf(c)).codeName, 'ElfUnsupported');
  c = b.slice(); c[5] = 2;
  assert.is(loadError(() => readElf(c)).codeName, 'ElfUnsupported');
  c = b.slice(); dv(c).setUint16(18, 62, true);
  const e = loadError(() => readElf(c));
  assert.is(e.codeName, 'ElfUnsupported');
  assert.match(e.message, /e_machine 62/);
  c = b.slice(); dv(c).setUint16(16, 2, true);
  assert.match(loadError(() => readElf(c)).message, /ET_REL/);
  assert.is(loadError(() => readElf(new Uint8Array(0))).codeName, 'ElfTruncated');
});

test('truncated files fail with LoadError at every cut', () => {
  for (const f of ['progs.o', 'maps.o', 'main.o']) {
    const b = fixture(f);
    const cuts = new Set<number>();
    for (let n = 0; n < 128; n++) cuts.add(n);
    for (let n = 128; n < b.length; n += 37) cuts.add(n);
    for (const s of readElf(b).sections) { cuts.add(s.offset); cuts.add(s.offset + s.size - 1); }
    cuts.add(b.length - 1);
    for (const n of cuts) {
      if (n >= b.length) continue;
      const e = loadError(() => parseObject(b.subarray(0, n)));
      assert.ok(e.code >= 4000 && e.code < 5000, `${f} cut at ${n}: ${e.message}`);
    }
  }
});

test('corrupt section header offset and size name the section', () => {
  const b = fixture('progs.o');
  const i = sectionIndex(b, 'socket');
  let c = b.slice();
  dv(c).setBigUint64(shdr(c, i) + 24, 0xffff0000n, true);
  let e = loadError(() => readElf(c));
  assert.is(e.codeName, 'ElfBadSectionHeader');
  assert.is(e.section, 'socket');
  c = b.slice();
  dv(c).setBigUint64(shdr(c, i) + 32, BigInt(c.length), true);
  e = loadError(() => readElf(c));
  assert.is(e.section, 'socket');
  assert.match(e.message, /extends past end of file/);
  c = b.slice();
  dv(c).setBigUint64(shdr(c, i) + 32, 1n << 60n, true);
  e = loadError(() => readElf(c));
  assert.is(e.codeName, 'ElfBadSectionHeader');
  // Section header table past the end.
  c = b.slice();
  dv(c).setBigUint64(40, BigInt(c.length - 10), true);
  assert.is(loadError(() => readElf(c)).codeName, 'ElfTruncated');
  c = b.slice();
  dv(c).setUint16(62, 200, true);
  assert.is(loadError(() => readElf(c)).codeName, 'ElfBadSectionHeader');
  // A symbol table whose size is not a whole number of entries.
  c = b.slice();
  const st = sectionIndex(b, '.symtab');
  dv(c).setBigUint64(shdr(c, st) + 32, BigInt(readElf(b).sections[st]!.size - 5), true);
  e = loadError(() => readElf(c));
  assert.is(e.section, '.symtab');
});

test('bad string offsets name the string table', () => {
  const b = fixture('progs.o');
  const elf = readElf(b);
  // Section name offset outside .strtab (the section-name table here).
  let c = b.slice();
  const i = sectionIndex(b, 'tc');
  dv(c).setUint32(shdr(c, i), 0xfffff, true);
  let e = loadError(() => readElf(c));
  assert.is(e.codeName, 'ElfBadString');
  assert.match(e.message, /#7 \(name\)/);
  // Symbol name offset outside .strtab.
  c = b.slice();
  const st = elf.symtab!;
  const sym = elf.symbols.find((s) => s.name === 'xdp_pass')!;
  dv(c).setUint32(st.offset + sym.index * 24, 0xffffff, true);
  e = loadError(() => readElf(c));
  assert.is(e.codeName, 'ElfBadString');
  assert.is(e.section, '.strtab');
  assert.is(e.symbol, `#${sym.index}`);
  // A string table that is not NUL-terminated.
  c = b.slice();
  const strtab = elf.sections[st.link]!;
  c.fill(0x41, strtab.offset + strtab.size - 20, strtab.offset + strtab.size);
  e = loadError(() => parseObject(c));
  assert.is(e.codeName, 'ElfBadString');
});

test('relocation against a missing symbol / unsupported type / bad offset', () => {
  const b = fixture('progs.o');
  const elf = readElf(b);
  const rel = elf.relSectionFor(elf.sectionByName('xdp')!.index)!;
  let c = b.slice();
  dv(c).setUint32(rel.offset + 12, 0xffff, true);
  let e = loadError(() => parseObject(c));
  assert.is(e.codeName, 'ElfMissingSymbol');
  assert.is(e.section, '.relxdp');
  assert.is(e.offset, 0);
  c = b.slice();
  dv(c).setUint32(rel.offset + 16 + 8, 7, true);
  e = loadError(() => parseObject(c));
  assert.is(e.codeName, 'ElfUnsupportedRelocation');
  assert.is(e.section, '.relxdp');
  assert.is(e.offset, 16);
  c = b.slice();
  dv(c).setBigUint64(rel.offset, 0x10000n, true);
  e = loadError(() => parseObject(c));
  assert.is(e.codeName, 'ElfBadRelocation');
  assert.is(e.symbol, 'legacy_hash');
  // R_BPF_64_64 pointed at an instruction that is not lddw.
  c = b.slice();
  dv(c).setBigUint64(rel.offset, 0x20n, true);
  e = loadError(() => parseObject(c));
  assert.is(e.codeName, 'ElfBadRelocation');
  assert.match(e.message, /not lddw/);
  // Relocation against an undefined symbol that is no extern: rename the target to an UND symbol.
  c = b.slice();
  const sym = elf.symbols.find((s) => s.name === 'legacy_hash')!;
  dv(c).setUint16(elf.symtab!.offset + sym.index * 24 + 6, 0, true);
  e = loadError(() => parseObject(c));
  assert.ok(e instanceof LoadError);
});

test('unknown section type names the section', () => {
  const b = fixture('progs.o');
  const c = b.slice();
  const i = sectionIndex(b, 'license');
  dv(c).setUint32(shdr(c, i) + 4, 0x12345, true);
  const e = loadError(() => readElf(c));
  assert.is(e.codeName, 'ElfUnknownSectionType');
  assert.is(e.section, 'license');
  assert.match(e.message, /0x12345/);
});

test('seeded byte-flip fuzz: only LoadError or success', () => {
  const next = rng(0x5eed);
  let ok = 0, failed = 0;
  const target = (() => { try { return parseObject(fixture('core_target.o')).btf; } catch { return undefined; } })();
  for (const f of FIXTURE_NAMES) {
    const b = fixture(f);
    for (let iter = 0; iter < 250; iter++) {
      const c = b.slice();
      const flips = 1 + Math.floor(next() * 4);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(next() * c.length);
        c[at] = next() < 0.5 ? c[at]! ^ (1 << Math.floor(next() * 8)) : Math.floor(next() * 256);
      }
      try {
        parseObject(c, target ? { targetBtf: target } : {});
        if (f === 'main.o') loadElfEntry(c);
        ok++;
      } catch (e) {
        if (!(e instanceof LoadError)) throw new Error(`${f} iteration ${iter}: ${(e as Error).stack}`);
        failed++;
      }
    }
  }
  assert.ok(ok > 0 && failed > 0, `ok ${ok}, failed ${failed}`);
  console.log(`NOTE: fuzz ${ok} parsed, ${failed} LoadErrors`);
});

test('section-targeted fuzz: flips inside code, maps, BTF, BTF.ext, symbols and relocations', () => {
  const next = rng(0xb7f);
  const target = parseObject(fixture('core_target.o')).btf!;
  const seen = new Set<string>();
  for (const f of ['progs.o', 'maps.o', 'globals.o', 'core.o', 'kinds.o']) {
    const b = fixture(f);
    const secs = readElf(b).sections.filter((s) => s.size > 0 && s.type !== SectionType.NOBITS && !s.name.includes('.debug'));
    for (let iter = 0; iter < 400; iter++) {
      const c = b.slice();
      const s = secs[Math.floor(next() * secs.length)]!;
      for (let k = 0, n = 1 + Math.floor(next() * 2); k < n; k++) {
        const at = s.offset + Math.floor(next() * s.size);
        c[at] = next() < 0.5 ? c[at]! ^ (1 << Math.floor(next() * 8)) : Math.floor(next() * 256);
      }
      try { parseObject(c, { targetBtf: target }); seen.add('ok'); } catch (e) {
        if (!(e instanceof LoadError)) throw new Error(`${f} ${s.name} iteration ${iter}: ${(e as Error).stack}`);
        seen.add(e.codeName);
      }
    }
  }
  for (const code of ['ok', 'BtfBadTypeId', 'BtfExtBad', 'ElfBadRelocation', 'ElfMissingSymbol']) assert.ok(seen.has(code), code);
});

test('section-header fuzz: extreme values in every header field', () => {
  const next = rng(0x5ec7);
  for (const f of ['progs.o', 'maps.o', 'globals.o', 'core.o']) {
    const b = fixture(f);
    const shnum = dv(b).getUint16(60, true);
    for (let iter = 0; iter < 600; iter++) {
      const c = b.slice();
      const h = shdr(c, Math.floor(next() * shnum));
      const field = [0, 4, 8, 24, 32, 40, 44, 48, 56][Math.floor(next() * 9)]!;
      const val = [0n, 1n, 0xffffffffn, 0x7fffffffn, 0xffffffffffffffffn, BigInt(c.length), BigInt(Math.floor(next() * c.length)), 1n << 40n][Math.floor(next() * 8)]!;
      if (field === 0 || field === 4 || field === 40 || field === 44) dv(c).setUint32(h + field, Number(val & 0xffffffffn), true);
      else dv(c).setBigUint64(h + field, val, true);
      try { parseObject(c); } catch (e) {
        if (!(e instanceof LoadError)) throw new Error(`${f} header 0x${h.toString(16)} field ${field} = ${val}: ${(e as Error).stack}`);
      }
    }
  }
  // The case that once escaped: the legacy maps section turned into SHT_NULL.
  const c = fixture('progs.o');
  dv(c).setUint32(shdr(c, sectionIndex(c, 'maps')) + 4, SectionType.NULL, true);
  assert.equal(loadError(() => parseObject(c)).section, 'maps');
});

test('RELA sections and data relocation types in code are rejected', () => {
  const b = fixture('progs.o');
  const elf = readElf(b);
  let c = b.slice();
  const rel = elf.relSectionFor(elf.sectionByName('tc')!.index)!;
  dv(c).setUint32(shdr(c, rel.index) + 4, SectionType.RELA, true);
  let e = loadError(() => readElf(c));
  assert.equal([e.codeName, e.section], ['ElfUnsupportedRelocation', '.reltc']);
  c = b.slice();
  dv(c).setUint32(rel.offset + 8, RelocType.R_BPF_64_ABS64, true);
  e = loadError(() => parseObject(c));
  assert.equal([e.codeName, e.section, e.offset, e.symbol], ['ElfUnsupportedRelocation', '.reltc', 0x10, 'global_mul']);
});

test.run();
