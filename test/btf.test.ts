import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readElf } from '../src/elf/index.js';
import {
  parseBtf, parseBtfExt, resolveCoreRelo, essentialName, coreCandidates, BtfKind, BTF_MAGIC, type Btf, type CoreRelo,
} from '../src/btf/index.js';
import { parseObject } from '../src/loader/index.js';
import { dv, fixture, loadError } from './fixtures/elf/helpers.js';

function btfOf(name: string): Btf {
  return parseBtf(readElf(fixture(name)).sectionByName('.BTF')!.data);
}
function extOf(name: string) {
  const elf = readElf(fixture(name));
  const btf = parseBtf(elf.sectionByName('.BTF')!.data);
  return { btf, ext: parseBtfExt(elf.sectionByName('.BTF.ext')!.data, btf) };
}

/** Hand-built BTF: types are [kind, nameOff, vlen/kflag info bits, sizeOrType, ...extra u32]. */
function buildBtf(types: number[][], strings = '\0a\0b\0'): Uint8Array {
  const words: number[] = [];
  for (const [kind, nameOff, vlen, sizeOrType, ...extra] of types) {
    words.push(nameOff!, ((kind! & 0x1f) << 24) | (vlen! & 0xffff), sizeOrType!, ...extra);
  }
  const typeLen = words.length * 4;
  const str = new TextEncoder().encode(strings);
  const out = new Uint8Array(24 + typeLen + str.length);
  const v = dv(out);
  v.setUint16(0, BTF_MAGIC, true); v.setUint8(2, 1); v.setUint32(4, 24, true);
  v.setUint32(8, 0, true); v.setUint32(12, typeLen, true); v.setUint32(16, typeLen, true); v.setUint32(20, str.length, true);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, true));
  out.set(str, 24 + typeLen);
  return out;
}
const INT32 = [BtfKind.INT, 1, 0, 4, (1 << 24) | 32];

test('every BTF kind parses from kinds.o', () => {
  const btf = btfOf('kinds.o');
  const kinds = new Set(btf.types.map((t) => t.kind));
  for (const k of ['INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM64', 'FWD', 'TYPEDEF', 'VOLATILE', 'CONST', 'RESTRICT',
    'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG']) assert.ok(kinds.has(k as never), k);
  assert.ok(btfOf('core.o').types.some((t) => t.kind === 'ENUM'));
});

test('struct members, bitfields, sizes and resolution', () => {
  const btf = btfOf('kinds.o');
  const s = btf.find('STRUCT', 'all_kinds')!;
  assert.is(s.kind, 'STRUCT');
  if (s.kind !== 'STRUCT') return;
  assert.is(s.size, 80);
  const m = Object.fromEntries(s.members.map((x, i) => [x.name, { ...x, i }]));
  assert.equal([m['bits_a']!.bitOffset, m['bits_a']!.bitfieldSize], [32, 3]);
  assert.equal([m['bits_b']!.bitOffset, m['bits_b']!.bitfieldSize], [35, 4]);
  assert.equal(btf.memberOffset(s.id, m['bits_b']!.i), { bitOffset: 35, bitfieldSize: 4, byteOffset: 4 });
  assert.equal(btf.memberOffset(s.id, m['arr']!.i).byteOffset, 64);
  assert.is(btf.sizeof(m['arr']!.type), 15);
  assert.is(btf.sizeof(m['u']!.type), 8);
  assert.is(btf.sizeof(m['fn']!.type), 8);
  assert.equal([btf.alignof(s.id), btf.alignof(m['arr']!.type), btf.alignof(m['bits_b']!.type), btf.alignof(m['u']!.type)], [8, 1, 1, 8]);
  const cv = btf.resolve(m['cv']!.type);
  assert.equal([cv.kind, cv.name], ['INT', 'unsigned long']);
  assert.is(btf.skipModifiers(m['cv']!.type).kind, 'TYPEDEF');
  assert.is(btf.describe(m['arr']!.type), 'char[5][3]');
  assert.equal(btf.findMember(s.id, 'e'), { name: 'e', type: m['e']!.type, bitOffset: 128, bitfieldSize: 0, byteOffset: 16 });
  const skb = btf.find('STRUCT', '__sk_buff')!;
  // Through an anonymous union member.
  assert.is(btf.findMember(skb.id, 'flow_keys')!.byteOffset, 144);
  assert.is(btf.findMember(s.id, 'nope'), undefined);
  assert.is(btf.describe(m['tagged']!.type), 'user *');
  const fwd = btf.resolve(btf.resolve(m['fwd']!.type).kind === 'PTR' ? (btf.resolve(m['fwd']!.type) as { type: number }).type : 0);
  assert.equal([fwd.kind, fwd.name], ['FWD', 'opaque']);
  assert.throws(() => btf.sizeof(fwd.id), /has no size/);
});

test('ENUM64, FLOAT, DECL_TAG, TYPE_TAG details', () => {
  const btf = btfOf('kinds.o');
  const e = btf.find('ENUM64', 'big')!;
  if (e.kind !== 'ENUM64') throw new Error('not enum64');
  assert.ok(e.signed);
  assert.equal(e.values.map((v) => [v.name, v.value]), [['BIG_A', 1n], ['BIG_B', 0x123456789an], ['BIG_NEG', -1n]]);
  assert.is(btf.find('FLOAT', 'double')!.kind, 'FLOAT');
  const tags = btf.types.filter((t) => t.kind === 'DECL_TAG').map((t) => t.kind === 'DECL_TAG' && [t.name, btf.type(t.type).name, t.componentIdx]);
  assert.equal(tags.sort(), [['func_tag', 'tagged_fn', -1], ['member_tag', 'all_kinds', 0], ['param_tag', 'tagged_fn', 0], ['struct_tag', 'all_kinds', -1]].sort());
  const tt = btf.types.find((t) => t.kind === 'TYPE_TAG')!;
  assert.is(tt.name, 'user');
  const ds = btf.find('DATASEC', '.bss')!;
  if (ds.kind !== 'DATASEC') throw new Error('not datasec');
  assert.is(btf.type(ds.vars[0]!.type).name, 'g_all');
});

test('BTF.ext func_info, line_info and CO-RE records', () => {
  const { btf, ext } = extOf('progs.o');
  const xdp = ext.funcInfo.get('xdp')!.map((f) => [f.insnOff, btf.type(f.typeId).name]);
  assert.equal(xdp, [[0, 'xdp_pass'], [136, 'xdp_drop']]);
  assert.equal(ext.funcInfo.get('.text')!.map((f) => btf.type(f.typeId).name), ['global_mul', 'add3', 'loop_cb', 'mid_a', 'mid_b', 'leaf_c']);
  const lines = ext.lineInfo.get('xdp')!;
  assert.ok(lines.length > 5);
  assert.ok(lines.every((l) => l.fileName.endsWith('progs.c') && l.line > 0));
  assert.ok(lines.some((l) => l.source.includes('bpf_map_lookup_elem(&legacy_hash')));
  assert.is(ext.coreRelos.size, 0);
  const core = extOf('core.o');
  const relos = core.ext.coreRelos.get('kprobe/core_test')!;
  assert.is(relos.length, 18);
  assert.equal([...new Set(relos.map((r) => r.kind))].sort(), ['ENUMVAL_EXISTS', 'ENUMVAL_VALUE', 'FIELD_BYTE_OFFSET', 'FIELD_BYTE_SIZE',
    'FIELD_EXISTS', 'FIELD_LSHIFT_U64', 'FIELD_RSHIFT_U64', 'FIELD_SIGNED', 'TYPE_EXISTS', 'TYPE_ID_LOCAL', 'TYPE_SIZE']);
  assert.equal(relos[1], { insnOff: 64, typeId: relos[0]!.typeId, access: '0:3:1', kind: 'FIELD_BYTE_OFFSET' });
});

test('hand-built BTF parses; bad type ids, kinds, names are LoadErrors with offsets', () => {
  const ok = parseBtf(buildBtf([INT32, [BtfKind.PTR, 0, 0, 1], [BtfKind.TYPEDEF, 3, 0, 2]]));
  assert.is(ok.count, 4);
  assert.is(ok.resolve(3).kind, 'PTR');
  let e = loadError(() => parseBtf(buildBtf([INT32, [BtfKind.PTR, 0, 0, 99]])));
  assert.is(e.codeName, 'BtfBadTypeId');
  assert.is(e.section, '.BTF');
  assert.is(e.offset, 24 + 16);
  e = loadError(() => parseBtf(buildBtf([INT32, [BtfKind.STRUCT, 1, 1, 4, 3, 7, 0]])));
  assert.is(e.codeName, 'BtfBadTypeId');
  assert.match(e.message, /type id 7/);
  e = loadError(() => parseBtf(buildBtf([INT32, [25, 0, 0, 0]])));
  assert.is(e.codeName, 'BtfUnknownKind');
  e = loadError(() => parseBtf(buildBtf([INT32, [BtfKind.TYPEDEF, 999, 0, 1]])));
  assert.match(e.message, /name offset 999/);
  e = loadError(() => parseBtf(buildBtf([INT32, [BtfKind.STRUCT, 1, 3, 4, 3, 1, 0]])));
  assert.match(e.message, /truncated/);
  e = loadError(() => parseBtf(buildBtf([INT32, [BtfKind.FUNC, 1, 0, 1]])));
  assert.match(e.message, /FUNC_PROTO/);
  // A typedef cycle parses (ids are valid) but resolution stops with an error, not a hang.
  const cyc = parseBtf(buildBtf([[BtfKind.TYPEDEF, 1, 0, 2], [BtfKind.TYPEDEF, 3, 0, 1]]));
  assert.match(loadError(() => cyc.resolve(1)).message, /too deep or cyclic/);
  assert.is(loadError(() => cyc.type(5)).codeName, 'BtfBadTypeId');
  // Header damage.
  const good = buildBtf([INT32]);
  let c = good.slice(); c[0] = 0;
  assert.match(loadError(() => parseBtf(c)).message, /magic/);
  c = good.slice(); dv(c).setUint32(12, 1000, true);
  assert.match(loadError(() => parseBtf(c)).message, /outside BTF data/);
  assert.is(loadError(() => parseBtf(good.subarray(0, 10))).codeName, 'BtfBad');
});

test('corrupt member type id inside a real object names .BTF', () => {
  const b = fixture('kinds.o');
  const elf = readElf(b);
  const sec = elf.sectionByName('.BTF')!;
  const btf = parseBtf(sec.data);
  // Find a PTR type record and point it past the end.
  const data = sec.data;
  const hdr = dv(data).getUint32(4, true), typeOff = dv(data).getUint32(8, true);
  let o = hdr + typeOff, patched = false;
  for (let id = 1; id < btf.count && !patched; id++) {
    const t = btf.types[id]!;
    if (t.kind === 'PTR') { const c = b.slice(); dv(c).setUint32(sec.offset + o + 8, 0xfffff, true);
      const e = loadError(() => parseObject(c));
      assert.is(e.codeName, 'BtfBadTypeId'); assert.is(e.section, '.BTF'); assert.is(e.offset, o); patched = true; }
    o += 12 + extraSize(t);
  }
  assert.ok(patched);
  function extraSize(t: (typeof btf.types)[number]): number {
    switch (t.kind) {
      case 'INT': case 'VAR': case 'DECL_TAG': return 4;
      case 'ARRAY': return 12;
      case 'STRUCT': case 'UNION': return 12 * t.members.length;
      case 'ENUM': return 8 * t.values.length;
      case 'ENUM64': return 12 * t.values.length;
      case 'FUNC_PROTO': return 8 * t.params.length;
      case 'DATASEC': return 12 * t.vars.length;
      default: return 0;
    }
  }
});

test('BTF.ext errors: bad record size, bad section name, bad type id', () => {
  const elf = readElf(fixture('progs.o'));
  const btf = parseBtf(elf.sectionByName('.BTF')!.data);
  const ext = elf.sectionByName('.BTF.ext')!.data;
  const hdr = dv(ext).getUint32(4, true), fiOff = dv(ext).getUint32(8, true);
  let c = ext.slice(); dv(c).setUint32(hdr + fiOff, 3, true);
  assert.match(loadError(() => parseBtfExt(c, btf)).message, /record size 3/);
  c = ext.slice(); dv(c).setUint32(hdr + fiOff + 4, 0xffffff, true);
  let e = loadError(() => parseBtfExt(c, btf));
  assert.is(e.codeName, 'BtfExtBad'); assert.is(e.offset, hdr + fiOff + 4);
  c = ext.slice(); dv(c).setUint32(hdr + fiOff + 12 + 4, 0xffff, true);
  e = loadError(() => parseBtfExt(c, btf));
  assert.is(e.codeName, 'BtfBadTypeId'); assert.is(e.section, '.BTF.ext');
  c = ext.slice(); dv(c).setUint32(hdr + fiOff + 8, 0x7fffffff, true);
  assert.match(loadError(() => parseBtfExt(c, btf)).message, /overrun/);
});

test('essential names and candidates ignore ___flavor suffixes', () => {
  assert.is(essentialName('task___v2'), 'task');
  assert.is(essentialName('task'), 'task');
  assert.is(essentialName('___x'), '___x');
  const local = btfOf('core.o'), target = btfOf('core_target.o');
  const v2 = local.find('STRUCT', 'task___v2')!;
  assert.equal(coreCandidates(local, v2.id, target), [target.find('STRUCT', 'task')!.id]);
  // pid through the flavour resolves to the target's task.pid.
  const r = resolveCoreRelo(local, { insnOff: 0, typeId: v2.id, access: '0:0', kind: 'FIELD_BYTE_OFFSET' }, target);
  assert.equal([r.local, r.target, r.poison], [0, 12, false]);
});

test('CO-RE resolution of core.o against a differently laid out target', () => {
  const local = btfOf('core.o'), target = btfOf('core_target.o');
  const relos = extOf('core.o').ext.coreRelos.get('kprobe/core_test')!;
  const got = relos.map((r) => { const x = resolveCoreRelo(local, r, target); return [r.kind, r.access, x.local, x.poison ? 'poison' : x.target]; });
  assert.equal(got, [
    ['FIELD_BYTE_OFFSET', '0:0', 0, 12],        // pid
    ['FIELD_BYTE_OFFSET', '0:3:1', 12, 56],     // in.y
    ['FIELD_BYTE_OFFSET', '0:2', 4, 8],         // prio (bitfield)
    ['FIELD_BYTE_SIZE', '0:2', 4, 4],
    ['FIELD_LSHIFT_U64', '0:2', 56, 55],
    ['FIELD_SIGNED', '0:2', 0, 0],
    ['FIELD_RSHIFT_U64', '0:2', 59, 57],
    ['FIELD_RSHIFT_U64', '0:2', 59, 57],
    ['FIELD_EXISTS', '0:4', 1, 0],              // extra: gone in target
    ['FIELD_BYTE_SIZE', '0:5', 16, 32],         // comm[16] → comm[32]
    ['FIELD_BYTE_OFFSET', '0:4', 16, 'poison'], // offset of a missing field
    ['FIELD_EXISTS', '0:1', 1, 0],              // task___v2.only_in_v2
    ['TYPE_EXISTS', '0', 1, 0],                 // missing_type
    ['TYPE_EXISTS', '0', 1, 1],
    ['TYPE_SIZE', '0', 8, 16],                  // struct inner
    ['ENUMVAL_EXISTS', '2', 1, 1],
    ['ENUMVAL_VALUE', '2', 2, 7],               // ST_GONE
    ['TYPE_ID_LOCAL', '0', 15, 15],
  ]);
  // Without a target: field offsets/sizes/shifts and enum values poison, the rest evaluate to 0 (or the local id).
  const none = relos.map((r) => resolveCoreRelo(local, r, undefined));
  for (const x of none) {
    const poisons = x.kind.startsWith('FIELD_') && x.kind !== 'FIELD_EXISTS' || x.kind === 'ENUMVAL_VALUE';
    assert.is(x.poison, poisons, x.kind);
    if (!poisons) assert.is(x.target, x.kind === 'TYPE_ID_LOCAL' ? x.local : 0, x.kind);
  }
});

test('CO-RE type relocations: TYPE_MATCHES, TYPE_SIZE of a missing type, TYPE_ID_TARGET', () => {
  const local = btfOf('core.o'), target = btfOf('core_target.o');
  const id = (k: 'STRUCT' | 'ENUM', n: string) => local.find(k, n)!.id;
  const r = (typeId: number, kind: CoreRelo['kind']) => resolveCoreRelo(local, { insnOff: 0, typeId, access: '0', kind }, target);
  // struct inner {x, y} matches the target's {pad, y, x}: every local member exists with a matching type.
  assert.is(r(id('STRUCT', 'inner'), 'TYPE_MATCHES').target, 1);
  // struct task has "extra", which the target lacks.
  assert.is(r(id('STRUCT', 'task'), 'TYPE_MATCHES').target, 0);
  assert.is(r(id('STRUCT', 'task'), 'TYPE_EXISTS').target, 1);
  assert.equal([r(id('STRUCT', 'missing_type'), 'TYPE_SIZE').target, r(id('STRUCT', 'missing_type'), 'TYPE_SIZE').poison], [0, false]);
  const tid = r(id('STRUCT', 'task'), 'TYPE_ID_TARGET');
  assert.equal([tid.target, tid.validate], [target.find('STRUCT', 'task')!.id, false]);
  // enum state {IDLE, RUN, GONE} does not match the target's {RUN, GONE, NEW}: IDLE is missing.
  assert.is(r(id('ENUM', 'state'), 'TYPE_MATCHES').target, 0);
  // Array element access: comm[3] moves with comm.
  const comm = resolveCoreRelo(local, { insnOff: 0, typeId: id('STRUCT', 'task'), access: '0:5:3', kind: 'FIELD_BYTE_OFFSET' }, target);
  assert.equal([comm.local, comm.target, comm.localFieldSize, comm.targetFieldSize], [27, 19, 1, 1]);
  assert.is(loadError(() => resolveCoreRelo(local, { insnOff: 0, typeId: id('STRUCT', 'task'), access: '0:5:3', kind: 'FIELD_SIGNED' }, target)).codeName, 'CoreRelocation');
  assert.is(essentialName('a___b___c'), 'a___b');
  assert.is(essentialName('a____b'), 'a____b');
});

test('CO-RE errors: bad access strings are LoadErrors', () => {
  const local = btfOf('core.o'), target = btfOf('core_target.o');
  const task = local.find('STRUCT', 'task')!.id;
  const bad: CoreRelo[] = [
    { insnOff: 8, typeId: task, access: '0:99', kind: 'FIELD_BYTE_OFFSET' },
    { insnOff: 8, typeId: task, access: 'x', kind: 'FIELD_BYTE_OFFSET' },
    { insnOff: 8, typeId: task, access: '0:0:1', kind: 'FIELD_BYTE_OFFSET' },
    { insnOff: 8, typeId: task, access: '1', kind: 'TYPE_SIZE' },
    { insnOff: 8, typeId: local.find('ENUM', 'state')!.id, access: '9', kind: 'ENUMVAL_VALUE' },
  ];
  for (const r of bad) {
    const e = loadError(() => resolveCoreRelo(local, r, target));
    assert.is(e.codeName, 'CoreRelocation', r.access);
    assert.is(e.offset, 8);
  }
});

test.run();
