// Generates the verifier's mutation family: test/fixtures/verifier/mutations.json.
// Every program of examples/*/*.o (linked by the loader, `npm run build` first),
// unmutated and with seeded single mutations: a dropped or flipped bounds check,
// a shifted access offset, a removed NULL check, a neighbouring helper id, a
// swapped register, a widened load, a changed immediate, a truncation, a moved
// jump target. Maps come from the object's map specs (global data as arrays),
// `lddw src=1/2 imm=K` name the K-th map. Labels come from
// scripts/label-verifier-mutations.py; test/verifier-mutations.test.ts compares.
//
//     npm run build && node scripts/gen-verifier-mutations.mjs [seed [per-kind [out.json]]]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseObject } from '../dist/src/loader/object.js';
import { MAP_TYPE_IDS } from '../dist/src/verifier/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = ['xdp_firewall', 'flow_counter', 'xdp_lb', 'tc_rewrite', 'socket_filter', 'trace_counter'];
const seed = Number(process.argv[2] ?? 0x5eed) >>> 0;
const PER_KIND = Number(process.argv[3] ?? 12);
const OUT = process.argv[4] ?? join(root, 'test', 'fixtures', 'verifier', 'mutations.json');

/** mulberry32 */
function rng(s) {
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const typeName = (id) => Object.keys(MAP_TYPE_IDS).find((k) => MAP_TYPE_IDS[k] === id) ?? id;

function decode(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let i = 0; i < bytes.length; i += 8) {
    out.push({ code: bytes[i], dst: bytes[i + 1] & 15, src: bytes[i + 1] >> 4, off: v.getInt16(i + 2, true), imm: v.getInt32(i + 4, true) });
  }
  return out;
}
function encode(insns) {
  const b = new Uint8Array(insns.length * 8);
  const v = new DataView(b.buffer);
  insns.forEach((n, k) => {
    b[k * 8] = n.code; b[k * 8 + 1] = (n.dst & 15) | ((n.src & 15) << 4);
    v.setInt16(k * 8 + 2, n.off, true); v.setInt32(k * 8 + 4, n.imm | 0, true);
  });
  return Buffer.from(b).toString('hex');
}

const cls = (c) => c & 7;
const isJmp = (c) => cls(c) === 5 || cls(c) === 6;
const isCond = (c) => isJmp(c) && (c & 0xf0) !== 0x00 && (c & 0xf0) !== 0x80 && (c & 0xf0) !== 0x90;
const isLdx = (c) => cls(c) === 1 && (c & 0xe0) === 0x60;
const isMem = (c) => (cls(c) === 1 || cls(c) === 2 || cls(c) === 3) && (c & 0xe0) === 0x60;
const isAluImm = (c) => (cls(c) === 4 || cls(c) === 7) && (c & 8) === 0 && (c & 0xf0) !== 0xd0 && (c & 0xf0) !== 0x80;
const lddwSecond = (insns) => {
  const s = new Set();
  insns.forEach((n, k) => { if (n.code === 0x18) s.add(k + 1); });
  return s;
};
const SIZE_NAME = { 0x00: 'w', 0x08: 'h', 0x10: 'b', 0x18: 'dw' };
const INVERT = { 0x10: 0x50, 0x50: 0x10, 0x20: 0xb0, 0xb0: 0x20, 0x30: 0xa0, 0xa0: 0x30, 0x60: 0xd0, 0xd0: 0x60, 0x70: 0xc0, 0xc0: 0x70 };

/** Each mutator returns candidate mutations: { desc, insns }. */
const MUTATORS = {
  'bounds-check': (insns) => {
    const out = [];
    insns.forEach((n, k) => {
      // reg-reg unsigned compares: the pkt/data_end bounds checks clang emits
      if (!isJmp(n.code) || (n.code & 8) === 0 || ![0x20, 0x30, 0xa0, 0xb0].includes(n.code & 0xf0)) return;
      const a = insns.slice(); a[k] = { code: 0x05, dst: 0, src: 0, off: 0, imm: 0 };
      out.push({ desc: `pc ${k}: bounds check r${n.dst} vs r${n.src} → ja +0`, insns: a });
      const b = insns.slice(); b[k] = { ...n, code: (n.code & 0x0f) | INVERT[n.code & 0xf0] };
      out.push({ desc: `pc ${k}: bounds check r${n.dst} vs r${n.src} inverted`, insns: b });
    });
    return out;
  },
  'offset': (insns) => {
    const out = [];
    insns.forEach((n, k) => {
      if (!isMem(n.code)) return;
      for (const d of [-1, 1, -4, 4, 8]) {
        const a = insns.slice(); a[k] = { ...n, off: n.off + d };
        out.push({ desc: `pc ${k}: access off ${n.off} → ${n.off + d}`, insns: a });
      }
    });
    return out;
  },
  'null-check': (insns) => {
    const out = [];
    insns.forEach((n, k) => {
      if (n.code !== 0x85 || n.src !== 0 || n.imm !== 1) return; // bpf_map_lookup_elem
      const regs = new Set([0]);
      for (let j = k + 1; j < Math.min(insns.length, k + 8); j++) {
        const m = insns[j];
        if (m.code === 0xbf && regs.has(m.src)) regs.add(m.dst);
        if (isCond(m.code) && (m.code & 8) === 0 && m.imm === 0 && regs.has(m.dst) && [0x10, 0x50].includes(m.code & 0xf0)) {
          const a = insns.slice(); a[j] = { code: 0x05, dst: 0, src: 0, off: 0, imm: 0 };
          out.push({ desc: `pc ${j}: NULL check of r${m.dst} after lookup at ${k} → ja +0`, insns: a });
          const b = insns.slice(); b[j] = { code: 0x05, dst: 0, src: 0, off: m.off, imm: 0 };
          out.push({ desc: `pc ${j}: NULL check of r${m.dst} after lookup at ${k} → ja +${m.off}`, insns: b });
          break;
        }
      }
    });
    return out;
  },
  'helper': (insns) => {
    const out = [];
    insns.forEach((n, k) => {
      if (n.code !== 0x85 || n.src !== 0) return;
      for (const d of [-1, 1]) {
        if (n.imm + d <= 0) continue;
        const a = insns.slice(); a[k] = { ...n, imm: n.imm + d };
        out.push({ desc: `pc ${k}: helper ${n.imm} → ${n.imm + d}`, insns: a });
      }
    });
    return out;
  },
  'register': (insns, r) => {
    const out = [];
    const second = lddwSecond(insns);
    insns.forEach((n, k) => {
      if (second.has(k) || n.code === 0x95 || n.code === 0x85 || n.code === 0x05) return;
      const field = (n.code & 8) && cls(n.code) !== 1 && cls(n.code) !== 2 ? (r() < 0.5 ? 'src' : 'dst') : cls(n.code) === 1 || cls(n.code) === 3 ? (r() < 0.5 ? 'src' : 'dst') : 'dst';
      let v = Math.floor(r() * 11);
      if (v === n[field]) v = (v + 1) % 11;
      const a = insns.slice(); a[k] = { ...n, [field]: v };
      out.push({ desc: `pc ${k}: ${field} r${n[field]} → r${v}`, insns: a });
    });
    return out;
  },
  'load-size': (insns) => {
    const out = [];
    insns.forEach((n, k) => {
      if (!isLdx(n.code)) return;
      const order = [0x10, 0x08, 0x00, 0x18];
      const i = order.indexOf(n.code & 0x18);
      for (const sz of order.slice(i + 1)) {
        const a = insns.slice(); a[k] = { ...n, code: (n.code & ~0x18) | sz };
        out.push({ desc: `pc ${k}: load ${SIZE_NAME[n.code & 0x18]} → ${SIZE_NAME[sz]}`, insns: a });
      }
    });
    return out;
  },
  'immediate': (insns, r) => {
    const out = [];
    insns.forEach((n, k) => {
      const jmpImm = isCond(n.code) && (n.code & 8) === 0;
      const stImm = cls(n.code) === 2 && (n.code & 0xe0) === 0x60;
      if (!isAluImm(n.code) && !jmpImm && !stImm) return;
      const choices = [n.imm + 1, n.imm - 1, 0, -1, n.imm * 2 + 64, 0x7fffffff, 1 << Math.floor(r() * 31)];
      let v = choices[Math.floor(r() * choices.length)] | 0;
      if (v === n.imm) v = (n.imm + 1) | 0;
      const a = insns.slice(); a[k] = { ...n, imm: v };
      out.push({ desc: `pc ${k}: imm ${n.imm} → ${v}`, insns: a });
    });
    return out;
  },
  'truncate': (insns) => {
    const out = [];
    for (let k = 1; k < insns.length; k++) {
      out.push({ desc: `truncated to ${k} insns`, insns: insns.slice(0, k) });
      out.push({ desc: `truncated to ${k} insns + exit`, insns: [...insns.slice(0, k), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] });
    }
    return out;
  },
  'jump-target': (insns, r) => {
    const out = [];
    insns.forEach((n, k) => {
      if (!isJmp(n.code) || n.code === 0x85 || n.code === 0x95) return;
      const choices = [1, -1, 2, -2, 4];
      const d = choices[Math.floor(r() * choices.length)];
      const a = insns.slice(); a[k] = { ...n, off: n.off + d };
      out.push({ desc: `pc ${k}: jump off ${n.off} → ${n.off + d}`, insns: a });
    });
    return out;
  },
};

const entries = [];
const seen = new Set();
for (const ex of EXAMPLES) {
  const bytes = new Uint8Array(readFileSync(join(root, 'examples', ex, `${ex}.o`)));
  const obj = parseObject(bytes.slice());
  const maps = obj.maps.map((m) => ({ type: typeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name }));
  for (const p of obj.programs) {
    const base = decode(p.instructions);
    const add = (kind, desc, insns) => {
      const hex = encode(insns);
      if (seen.has(hex)) return false;
      seen.add(hex);
      entries.push({ name: `${ex}/${p.name}/${kind}${kind === 'original' ? '' : `-${entries.filter((e) => e.example === ex && e.kind === kind).length}`}`,
        example: ex, program: p.name, kind, mutation: desc, type: p.type, license: obj.license, maps, hex });
      return true;
    };
    add('original', 'unmutated', base);
    const r = rng((seed ^ (EXAMPLES.indexOf(ex) * 0x9e3779b9)) >>> 0);
    for (const [kind, fn] of Object.entries(MUTATORS)) {
      const cands = fn(base, r);
      // seeded shuffle, then the first PER_KIND distinct ones
      for (let i = cands.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [cands[i], cands[j]] = [cands[j], cands[i]]; }
      let n = 0;
      for (const c of cands) { if (n >= PER_KIND) break; if (add(kind, c.desc, c.insns)) n++; }
    }
  }
}
// Hand-written programs for verifier bugs this family found (labelled by the kernel like the rest).
const I = (code, dst = 0, src = 0, off = 0, imm = 0) => ({ code, dst, src, off, imm });
const EXIT = [I(0xb7, 0, 0, 0, 2), I(0x95)];
const BAD_CTX = I(0x79, 0, 1, 0, 0); // r0 = *(u64 *)(r1 +0): invalid for xdp and skb contexts
const ARRAY1 = { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, name: 'a' };
const REGRESSIONS = [
  ['alu32-stale-bounds', 'w4 <<= 8 on a u8 load is not the constant 0', 'xdp', [], [
    I(0x61, 2, 1, 4), I(0x61, 8, 1, 0), I(0xbf, 3, 8), I(0x07, 3, 0, 0, 14), I(0x2d, 3, 2, 4),
    I(0x71, 4, 8, 12), I(0x64, 4, 0, 0, 8), I(0x56, 4, 0, 1, 0x100), BAD_CTX, ...EXIT]],
  ['pkt-meta-vs-end', 'data_meta + 8 <= data_end bounds nothing', 'xdp', [], [
    I(0x61, 2, 1, 4), I(0x61, 3, 1, 8), I(0xbf, 4, 3), I(0x07, 4, 0, 0, 8), I(0x2d, 4, 2, 1),
    I(0x71, 0, 3, 0), ...EXIT]],
  ['pkt-beyond-end-decided', 'a pointer known past pkt_end decides its next compare', 'xdp', [], [
    I(0x61, 2, 1, 4), I(0x61, 3, 1, 0), I(0xbf, 4, 3), I(0x07, 4, 0, 0, 14), I(0x2d, 4, 2, 2), ...EXIT,
    I(0x2d, 4, 2, 2), BAD_CTX, I(0x95), ...EXIT]],
  ['pkt-beyond-end-access', 'a load through a pointer known past pkt_end', 'xdp', [], [
    I(0x61, 2, 1, 4), I(0x61, 3, 1, 0), I(0xbf, 4, 3), I(0x07, 4, 0, 0, 14), I(0x2d, 4, 2, 2), ...EXIT,
    I(0x71, 0, 4, -1), ...EXIT]],
  ['ld-abs-unbounded', 'ld_abs u8 leaves R0 unbounded', 'socket_filter', [], [
    I(0xbf, 6, 1), I(0x30, 0, 0, 0, 0), I(0x25, 0, 0, 2, 255), ...EXIT, I(0x79, 0, 6, 0, 0), I(0x95)]],
  ['atomic-fetch-own-address', 'r0 = atomic64_fetch_add((u64 *)(r0 +0), r0)', 'xdp', [ARRAY1], [
    I(0x62, 10, 0, -4, 0), I(0xbf, 2, 10), I(0x07, 2, 0, 0, -4), I(0x18, 1, 1, 0, 0), I(0), I(0x85, 0, 0, 0, 1),
    I(0x15, 0, 0, 1, 0), I(0xdb, 0, 0, 0, 0x01), ...EXIT]],
  ['fp-not-null-undecided', 'if r10 != 0 leaves both branches open', 'xdp', [], [
    I(0x55, 10, 0, 2, 0), BAD_CTX, I(0x95), ...EXIT]],
  ['ld-map-idx', 'lddw src=5 (map index) without fd_array', 'xdp', [ARRAY1], [I(0x18, 1, 5, 0, 0), I(0), ...EXIT]],
];
for (const [name, desc, type, maps, insns] of REGRESSIONS) {
  entries.push({ name: `regression/${name}`, example: 'regression', program: name, kind: 'regression', mutation: desc, type, license: 'GPL', maps, hex: encode(insns) });
}

writeFileSync(OUT, '[' + entries.map((e) => JSON.stringify(e)).join(',\n') + ']\n');
const byKind = {};
for (const e of entries) byKind[e.kind] = (byKind[e.kind] ?? 0) + 1;
console.log(`${entries.length} programs (seed ${seed}):`, JSON.stringify(byKind));
