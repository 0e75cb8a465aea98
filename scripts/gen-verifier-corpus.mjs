// Generates the verifier's differential corpus: test/fixtures/verifier/corpus.json.
// Programs are written with kernel-style instruction macros (BPF_MOV64_IMM…) and
// symbolic jump labels; each carries its family, program type, maps and license.
// Labels (the kernel's verdicts) come from scripts/label-verifier-corpus.py.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ---- instruction macros -------------------------------------------------
const OP = { add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0 };
const J = { ja: 0x00, jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70, jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0 };
const SZ = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };
const I = (code, dst = 0, src = 0, off = 0, imm = 0, target) => ({ code, dst, src, off, imm, target });
const alu64 = (op, d, imm) => I(0x07 | OP[op], d, 0, 0, imm);
const alu64r = (op, d, s) => I(0x0f | OP[op], d, s);
const alu32 = (op, d, imm) => I(0x04 | OP[op], d, 0, 0, imm);
const alu32r = (op, d, s) => I(0x0c | OP[op], d, s);
const mov = (d, imm) => alu64('mov', d, imm);
const movr = (d, s) => alu64r('mov', d, s);
const mov32 = (d, imm) => alu32('mov', d, imm);
const ldx = (size, d, s, off) => I(0x61 | SZ[size], d, s, off);
const st = (size, d, off, imm) => I(0x62 | SZ[size], d, 0, off, imm);
const stx = (size, d, s, off) => I(0x63 | SZ[size], d, s, off);
const jmp = (op, d, imm, target) => I(0x05 | J[op], d, 0, 0, imm, target);
const jmpr = (op, d, s, target) => I(0x0d | J[op], d, s, 0, 0, target);
const jmp32 = (op, d, imm, target) => I(0x06 | J[op], d, 0, 0, imm, target);
const jmp32r = (op, d, s, target) => I(0x0e | J[op], d, s, 0, 0, target);
const ja = (target) => I(0x05, 0, 0, 0, 0, target);
const call = (id) => I(0x85, 0, 0, 0, id);
const callLocal = (target) => I(0x85, 0, 1, 0, 0, { imm: target });
const exit = () => I(0x95);
const lddw = (d, lo, hi = 0) => [I(0x18, d, 0, 0, lo), I(0, 0, 0, 0, hi)];
const ldmap = (d, idx) => [I(0x18, d, 1, 0, idx), I(0, 0, 0, 0, 0)];
const raw = (code, dst, src, off, imm) => I(code, dst, src, off, imm);
const ldfunc = (d, label) => [I(0x18, d, 4, 0, 0, { imm: label }), I(0, 0, 0, 0, 0)];
const L = (name) => ({ label: name });
const ret = (v = 0) => [mov(0, v), exit()];

/** Flattens items, resolves labels (jump off, or imm for local calls) and encodes. */
function assemble(items) {
  const flat = items.flat(Infinity);
  const labels = new Map();
  let pc = 0;
  for (const it of flat) { if (it.label !== undefined) labels.set(it.label, pc); else pc++; }
  const out = [];
  pc = 0;
  for (const it of flat) {
    if (it.label !== undefined) continue;
    let { off, imm } = it;
    if (it.target !== undefined) {
      if (typeof it.target === 'object') {
        const t = labels.get(it.target.imm); if (t === undefined) throw new Error(`label ${it.target.imm}`); imm = t - pc - 1;
      } else if (typeof it.target === 'number') off = it.target;
      else { const t = labels.get(it.target); if (t === undefined) throw new Error(`label ${it.target}`); off = t - pc - 1; }
    }
    const b = Buffer.alloc(8);
    b[0] = it.code; b[1] = (it.dst & 15) | ((it.src & 15) << 4); b.writeInt16LE(off, 2); b.writeInt32LE(imm | 0, 4);
    out.push(b.toString('hex'));
    pc++;
  }
  return out.join('');
}

// ---- corpus ---------------------------------------------------------------
const corpus = [];
const names = new Set();
function P(family, name, type, items, opts = {}) {
  const full = `${family}/${name}`;
  if (names.has(full)) throw new Error(`duplicate ${full}`);
  names.add(full);
  const hex = assemble(items);
  corpus.push({ name: full, family, type, license: opts.license ?? 'GPL', maps: opts.maps ?? [], hex, ...(opts.btf ? { funcInfo: funcStarts(hex) } : {}) });
}
/** BTF func_info offsets: pc 0 and every local call / ld_imm64 src=4 target, ascending. */
function funcStarts(hex) {
  const b = Buffer.from(hex, 'hex');
  const starts = new Set([0]);
  for (let pc = 0; pc < b.length / 8; pc++) {
    const code = b[pc * 8], src = b[pc * 8 + 1] >> 4, imm = b.readInt32LE(pc * 8 + 4);
    if ((code === 0x85 && src === 1) || (code === 0x18 && src === 4)) starts.add(pc + 1 + imm);
  }
  return [...starts].sort((x, y) => x - y);
}
const HASH = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16, flags: 0 };
const HASH48 = { type: 'hash', keySize: 4, valueSize: 48, maxEntries: 16, flags: 0 };
const ARRAY = { type: 'array', keySize: 4, valueSize: 16, maxEntries: 4, flags: 0 };
const ARRAY64 = { type: 'array', keySize: 4, valueSize: 64, maxEntries: 4, flags: 0 };
const PROG_ARRAY = { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 };
const PERF = { type: 'perf_event_array', keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 };
const RINGBUF = { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 };
const HASH_LOCK = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
const BIGKEY = { type: 'hash', keySize: 16, valueSize: 8, maxEntries: 16, flags: 0 };

// Common: key at fp-4 = 0, r2 = fp-4, r1 = map; lookup.
const lookup = (mapIdx = 0, keyOff = -4) => [st(4, 10, keyOff, 0), movr(2, 10), alu64('add', 2, keyOff), ldmap(1, mapIdx), call(1)];

// 1. uninitialised registers and stack ---------------------------------------
{
  const F = 'uninit';
  for (let r = 0; r <= 9; r++) P(F, `read-r${r}`, 'socket_filter', [movr(0, r), exit()]);
  for (let r = 1; r <= 9; r++) P(F, `add-r${r}-to-r0`, 'socket_filter', [mov(0, 1), alu64r('add', 0, r), exit()]);
  P(F, 'exit-no-r0', 'socket_filter', [exit()]);
  P(F, 'exit-r0-set', 'socket_filter', [mov(0, 0), exit()]);
  P(F, 'exit-r0-set32', 'socket_filter', [mov32(0, 7), exit()]);
  P(F, 'r0-one-path', 'socket_filter', [ldx(4, 2, 1, 0), jmp('jeq', 2, 0, 'o'), mov(0, 1), L('o'), exit()]);
  P(F, 'r0-both-paths', 'socket_filter', [ldx(4, 2, 1, 0), jmp('jeq', 2, 0, 'a'), mov(0, 1), exit(), L('a'), mov(0, 2), exit()]);
  P(F, 'r1-ctx-ok', 'socket_filter', [movr(0, 1), mov(0, 0), exit()]);
  for (const size of [1, 2, 4, 8]) for (const off of [-8, -16, -512]) {
    P(F, `stack-read-uninit-s${size}${off}`, 'socket_filter', [ldx(size, 0, 10, off), mov(0, 0), exit()]);
    P(F, `stack-read-init-s${size}${off}`, 'socket_filter', [st(8, 10, off, 1), ldx(size, 0, 10, off), exit()]);
  }
  P(F, 'stack-partial-init', 'socket_filter', [st(4, 10, -8, 1), ldx(8, 0, 10, -8), exit()]);
  P(F, 'stack-two-halves', 'socket_filter', [st(4, 10, -8, 1), st(4, 10, -4, 1), ldx(8, 0, 10, -8), exit()]);
  P(F, 'stack-init-one-path', 'socket_filter', [ldx(4, 2, 1, 0), jmp('jeq', 2, 0, 'a'), st(8, 10, -8, 0), L('a'), ldx(8, 0, 10, -8), exit()]);
  P(F, 'stack-byte-init', 'socket_filter', [st(1, 10, -1, 1), ldx(1, 0, 10, -1), exit()]);
  P(F, 'stack-byte-neighbour', 'socket_filter', [st(1, 10, -1, 1), ldx(1, 0, 10, -2), exit()]);
  P(F, 'write-r10', 'socket_filter', [mov(10, 0), mov(0, 0), exit()]);
  P(F, 'add-r10', 'socket_filter', [alu64('add', 10, 8), mov(0, 0), exit()]);
  P(F, 'read-r10-ok', 'socket_filter', [movr(0, 10), mov(0, 0), exit()]);
  P(F, 'stx-uninit-src', 'socket_filter', [stx(8, 10, 3, -8), mov(0, 0), exit()]);
  P(F, 'ldx-uninit-base', 'socket_filter', [ldx(8, 0, 4, 0), exit()]);
  P(F, 'jmp-uninit', 'socket_filter', [jmp('jeq', 5, 0, 'a'), L('a'), mov(0, 0), exit()]);
  P(F, 'jmp-reg-uninit-src', 'socket_filter', [mov(0, 0), jmpr('jeq', 0, 7, 'a'), L('a'), exit()]);
  P(F, 'r0-after-call-ok', 'socket_filter', [call(5), exit()]);
  for (let r = 1; r <= 5; r++) P(F, `clobbered-r${r}-after-call`, 'socket_filter', [mov(1, 1), mov(2, 2), mov(3, 3), mov(4, 4), mov(5, 5), call(5), movr(0, r), exit()]);
  for (let r = 6; r <= 9; r++) P(F, `kept-r${r}-after-call`, 'socket_filter', [mov(r, 1), call(5), movr(0, r), exit()]);
  P(F, 'mov32-uninit', 'socket_filter', [alu32r('mov', 0, 3), exit()]);
  P(F, 'neg-uninit', 'socket_filter', [I(0x87, 0), exit()]);
}

// 2. stack bounds and alignment -------------------------------------------------
{
  const F = 'stack';
  for (const size of [1, 2, 4, 8]) {
    for (const off of [-520, -513, -512, -511, -256, -9, -8, -7, -6, -5, -4, -3, -2, -1, 0, 4, 8]) {
      P(F, `st-s${size}-off${off}`, 'socket_filter', [st(size, 10, off, 0), mov(0, 0), exit()]);
    }
  }
  for (const off of [-16, -12, -10, -9, -3]) P(F, `stx-dw-off${off}`, 'socket_filter', [mov(1, 0), stx(8, 10, 1, off), mov(0, 0), exit()]);
  for (const off of [-8, -12, -11]) P(F, `roundtrip-w-off${off}`, 'socket_filter', [st(4, 10, off, 3), ldx(4, 0, 10, off), exit()]);
  for (const add of [-8, -512, -513, 8, 0]) P(F, `ptr-fp${add}-store`, 'socket_filter', [movr(2, 10), alu64('add', 2, add), st(8, 2, 0, 0), mov(0, 0), exit()]);
  P(F, 'ptr-fp-var-store', 'socket_filter', [ldx(4, 3, 1, 0), alu64('and', 3, 7), movr(2, 10), alu64('add', 2, -16), alu64r('add', 2, 3), st(1, 2, 0, 0), mov(0, 0), exit()]);
  P(F, 'ptr-fp-var-read', 'socket_filter', [st(8, 10, -8, 0), st(8, 10, -16, 0), ldx(4, 3, 1, 0), alu64('and', 3, 7), movr(2, 10), alu64('add', 2, -16), alu64r('add', 2, 3), ldx(1, 0, 2, 0), exit()]);
  P(F, 'spill-fill-ctx', 'socket_filter', [stx(8, 10, 1, -8), ldx(8, 2, 10, -8), ldx(4, 0, 2, 0), exit()]);
  P(F, 'spill-partial-overwrite', 'socket_filter', [stx(8, 10, 1, -8), st(1, 10, -7, 0), ldx(8, 2, 10, -8), ldx(4, 0, 2, 0), exit()]);
  P(F, 'spill-partial-read', 'socket_filter', [stx(8, 10, 1, -8), ldx(4, 0, 10, -8), exit()]);
  P(F, 'spill-scalar-partial-read', 'socket_filter', [mov(1, 5), stx(8, 10, 1, -8), ldx(4, 0, 10, -8), exit()]);
  P(F, 'spill-fill-fp', 'socket_filter', [stx(8, 10, 10, -8), ldx(8, 2, 10, -8), st(8, 2, -16, 0), mov(0, 0), exit()]);
  P(F, 'spill-ctx-32bit', 'socket_filter', [stx(4, 10, 1, -8), mov(0, 0), exit()]);
  P(F, 'spill-scalar-bounds-kept', 'socket_filter', [ldx(4, 3, 1, 0), alu64('and', 3, 15), stx(8, 10, 3, -8), ldx(8, 4, 10, -8), movr(2, 10), alu64('add', 2, -16), alu64r('add', 2, 4), st(1, 2, 0, 0), mov(0, 0), exit()]);
  P(F, 'spill-scalar-bounds-lost-32', 'socket_filter', [ldx(4, 3, 1, 0), alu64('and', 3, 15), stx(4, 10, 3, -8), ldx(4, 4, 10, -8), movr(2, 10), alu64('add', 2, -16), alu64r('add', 2, 4), st(1, 2, 0, 0), mov(0, 0), exit()]);
  P(F, 'deep-ptr', 'socket_filter', [movr(2, 10), alu64('add', 2, -256), alu64('add', 2, -256), st(8, 2, 0, 0), mov(0, 0), exit()]);
  P(F, 'deep-ptr-over', 'socket_filter', [movr(2, 10), alu64('add', 2, -256), alu64('add', 2, -260), st(8, 2, 0, 0), mov(0, 0), exit()]);
}

// 3. context offsets and writes per type ------------------------------------
{
  const F = 'ctx';
  const types = { socket_filter: 196, sched_cls: 196, cgroup_skb: 196, xdp: 28, kprobe: 176, tracepoint: 24, raw_tracepoint: 104 };
  for (const [type, end] of Object.entries(types)) {
    for (let off = -4; off <= end; off += 4) P(F, `${type}-ldw-${off}`, type, [ldx(4, 0, 1, off), mov(0, 0), exit()]);
    for (let off = 0; off <= end; off += 8) P(F, `${type}-lddw-${off}`, type, [ldx(8, 0, 1, off), mov(0, 0), exit()]);
    for (const off of [0, 1, 2, 3, 8, 9, 48, 50, 51, 76, 80, 180]) if (off < end) {
      P(F, `${type}-ldb-${off}`, type, [ldx(1, 0, 1, off), mov(0, 0), exit()]);
      P(F, `${type}-ldh-${off}`, type, [ldx(2, 0, 1, off), mov(0, 0), exit()]);
    }
  }
  for (const type of ['socket_filter', 'sched_cls', 'cgroup_skb', 'xdp', 'kprobe', 'tracepoint', 'raw_tracepoint']) {
    const offs = type === 'xdp' ? [0, 12, 16] : [0, 8, 12, 16, 32, 44, 48, 52, 64, 68, 72, 152];
    for (const off of offs) {
      P(F, `${type}-stxw-${off}`, type, [mov(2, 1), stx(4, 1, 2, off), mov(0, 0), exit()]);
    }
    P(F, `${type}-st-imm-48`, type, [st(4, 1, 48, 1), mov(0, 0), exit()]);
  }
  P(F, 'sched_cls-stx-dw-tstamp', 'sched_cls', [mov(2, 1), stx(8, 1, 2, 152), mov(0, 0), exit()]);
  P(F, 'sched_cls-stx-h-mark', 'sched_cls', [mov(2, 1), stx(2, 1, 2, 8), mov(0, 0), exit()]);
  P(F, 'sched_cls-leak-ptr-cb', 'sched_cls', [stx(4, 1, 1, 48), mov(0, 0), exit()]);
  P(F, 'modified-ctx-ptr', 'sched_cls', [alu64('add', 1, 4), ldx(4, 0, 1, 0), mov(0, 0), exit()]);
  P(F, 'modified-ctx-ptr-back', 'sched_cls', [alu64('add', 1, 4), alu64('add', 1, -4), ldx(4, 0, 1, 0), mov(0, 0), exit()]);
  P(F, 'var-ctx-ptr', 'sched_cls', [ldx(4, 2, 1, 0), alu64('and', 2, 4), alu64r('add', 1, 2), ldx(4, 0, 1, 0), mov(0, 0), exit()]);
  P(F, 'ctx-atomic', 'sched_cls', [mov(2, 1), I(0xc3, 1, 2, 8, 0), mov(0, 0), exit()]);
  P(F, 'sk-field-read', 'sched_cls', [ldx(8, 2, 1, 168), mov(0, 0), exit()]);
  P(F, 'sk-field-deref-nocheck', 'sched_cls', [ldx(8, 2, 1, 168), ldx(4, 0, 2, 0), mov(0, 0), exit()]);
  P(F, 'sk-field-deref-check', 'sched_cls', [ldx(8, 2, 1, 168), jmp('jeq', 2, 0, 'o'), ldx(4, 0, 2, 0), L('o'), mov(0, 0), exit()]);
}

// 4. packet access ------------------------------------------------------------
{
  const F = 'packet';
  const layouts = {
    xdp: { data: 0, end: 4, meta: 8, w: 4 },
    sched_cls: { data: 76, end: 80, meta: 140, w: 4 },
    cgroup_skb: { data: 76, end: 80, w: 4 },
  };
  // form: how "r3 = data + N; compare with data_end" is written; each yields the safe path.
  const forms = {
    // if r3 > end goto out  (fall-through safe)
    'gt': (n) => [jmpr('jgt', 3, 2, 'out')],
    'ge': (n) => [jmpr('jge', 3, 2, 'out')],
    'lt-rev': (n) => [jmpr('jlt', 2, 3, 'out')],    // end < r3 → out
    'le-rev': (n) => [jmpr('jle', 2, 3, 'out')],    // end <= r3 → out
    // taken branch safe
    'le-taken': (n) => [jmpr('jle', 3, 2, 'ok'), ja('out'), L('ok')],
    'lt-taken': (n) => [jmpr('jlt', 3, 2, 'ok'), ja('out'), L('ok')],
    'ge-rev-taken': (n) => [jmpr('jge', 2, 3, 'ok'), ja('out'), L('ok')],
    'gt-rev-taken': (n) => [jmpr('jgt', 2, 3, 'ok'), ja('out'), L('ok')],
  };
  for (const [type, l] of Object.entries(layouts)) {
    for (const [fname, form] of Object.entries(forms)) {
      for (const [check, access, sz] of [[8, 0, 8], [8, 4, 4], [8, 7, 1], [8, 5, 4], [14, 12, 2], [14, 13, 2], [1, 0, 1], [4, 0, 4]]) {
        P(F, `${type}-${fname}-chk${check}-ld${sz}@${access}`, type, [
          ldx(4, 2, 1, l.end), ldx(4, 1, 1, l.data), movr(3, 1), alu64('add', 3, check), ...form(check),
          ldx(sz, 0, 1, access), L('out'), mov(0, 0), exit(),
        ]);
      }
    }
    P(F, `${type}-nocheck`, type, [ldx(4, 1, 1, l.data), ldx(1, 0, 1, 0), mov(0, 0), exit()]);
    P(F, `${type}-write-checked`, type, [ldx(4, 2, 1, l.end), ldx(4, 1, 1, l.data), movr(3, 1), alu64('add', 3, 8), jmpr('jgt', 3, 2, 'out'), st(4, 1, 0, 1), L('out'), mov(0, 0), exit()]);
    P(F, `${type}-read-end`, type, [ldx(4, 2, 1, l.end), ldx(1, 0, 2, 0), mov(0, 0), exit()]);
    P(F, `${type}-arith-end`, type, [ldx(4, 2, 1, l.end), alu64('add', 2, 1), mov(0, 0), exit()]);
    P(F, `${type}-cmp-imm`, type, [ldx(4, 2, 1, l.data), jmp('jgt', 2, 100, 'o'), L('o'), mov(0, 0), exit()]);
    P(F, `${type}-var-off-checked`, type, [ldx(4, 2, 1, l.end), ldx(4, 3, 1, l.data), ldx(1, 4, 3, 0), mov(0, 0), exit()]);
    P(F, `${type}-var-add-then-check`, type, [
      ldx(4, 2, 1, l.end), ldx(4, 3, 1, l.data), movr(4, 3), alu64('add', 4, 1), jmpr('jgt', 4, 2, 'out'),
      ldx(1, 5, 3, 0), alu64('and', 5, 15), alu64r('add', 3, 5), movr(4, 3), alu64('add', 4, 4), jmpr('jgt', 4, 2, 'out'), ldx(4, 0, 3, 0), L('out'), mov(0, 0), exit(),
    ]);
    P(F, `${type}-var-add-unbounded`, type, [
      ldx(4, 2, 1, l.end), ldx(4, 3, 1, l.data), movr(4, 3), alu64('add', 4, 1), jmpr('jgt', 4, 2, 'out'),
      ldx(1, 5, 3, 0), alu64r('add', 3, 5), ldx(1, 0, 3, 0), L('out'), mov(0, 0), exit(),
    ]);
    P(F, `${type}-copy-keeps-range`, type, [ldx(4, 2, 1, l.end), ldx(4, 1, 1, l.data), movr(3, 1), alu64('add', 3, 8), jmpr('jgt', 3, 2, 'out'), movr(4, 1), ldx(8, 0, 4, 0), L('out'), mov(0, 0), exit()]);
    P(F, `${type}-jmp32-cmp`, type, [ldx(4, 2, 1, l.end), ldx(4, 1, 1, l.data), movr(3, 1), alu64('add', 3, 8), jmp32r('jgt', 3, 2, 'out'), ldx(8, 0, 1, 0), L('out'), mov(0, 0), exit()]);
    P(F, `${type}-negative-off`, type, [ldx(4, 2, 1, l.end), ldx(4, 1, 1, l.data), movr(3, 1), alu64('add', 3, 8), jmpr('jgt', 3, 2, 'out'), ldx(1, 0, 1, -1), L('out'), mov(0, 0), exit()]);
    P(F, `${type}-ptr-minus-off`, type, [ldx(4, 2, 1, l.end), ldx(4, 1, 1, l.data), movr(3, 1), alu64('add', 3, 8), jmpr('jgt', 3, 2, 'out'), ldx(1, 0, 3, -1), L('out'), mov(0, 0), exit()]);
    P(F, `${type}-pkt-sub-pkt`, type, [ldx(4, 2, 1, l.end), ldx(4, 1, 1, l.data), alu64r('sub', 2, 1), movr(0, 2), exit()]);
    if (l.meta !== undefined) {
      P(F, `${type}-meta-checked`, type, [ldx(4, 2, 1, l.data), ldx(4, 1, 1, l.meta), movr(3, 1), alu64('add', 3, 4), jmpr('jgt', 3, 2, 'out'), ldx(4, 0, 1, 0), L('out'), mov(0, 0), exit()]);
      P(F, `${type}-meta-unchecked`, type, [ldx(4, 1, 1, l.meta), ldx(4, 0, 1, 0), mov(0, 0), exit()]);
      P(F, `${type}-meta-offby1`, type, [ldx(4, 2, 1, l.data), ldx(4, 1, 1, l.meta), movr(3, 1), alu64('add', 3, 3), jmpr('jgt', 3, 2, 'out'), ldx(4, 0, 1, 0), L('out'), mov(0, 0), exit()]);
    }
  }
  P(F, 'socket_filter-data', 'socket_filter', [ldx(4, 1, 1, 76), mov(0, 0), exit()]);
  for (const n of [1, 2, 4]) P(F, `ldabs-${n}`, 'socket_filter', [movr(6, 1), raw(0x20 | { 1: 0x10, 2: 0x08, 4: 0 }[n], 0, 0, 0, 12), exit()]);
  P(F, 'ldabs-no-r6', 'socket_filter', [raw(0x30, 0, 0, 0, 12), exit()]);
  P(F, 'ldabs-xdp', 'xdp', [movr(6, 1), raw(0x30, 0, 0, 0, 12), exit()]);
  P(F, 'ldind-ok', 'sched_cls', [movr(6, 1), mov(2, 3), raw(0x50, 0, 2, 0, 12), exit()]);
}

// 5. NULL checks after map lookups --------------------------------------------
{
  const F = 'null';
  const maps = [HASH];
  const type = 'socket_filter';
  P(F, 'no-check', type, [...lookup(), ldx(8, 0, 0, 0), exit()], { maps });
  for (const [op, taken] of [['jeq', 'null'], ['jne', 'nonnull']]) {
    for (const w of [64, 32]) {
      const j = w === 64 ? jmp : jmp32;
      const body = taken === 'null'
        ? [j(op, 0, 0, 'out'), ldx(8, 0, 0, 0), L('out'), mov(0, 0), exit()]
        : [j(op, 0, 0, 'ok'), mov(0, 0), exit(), L('ok'), ldx(8, 0, 0, 0), mov(0, 0), exit()];
      P(F, `${op}${w}-0`, type, [...lookup(), ...body], { maps });
      const wrong = taken === 'null'
        ? [j(op, 0, 0, 'out'), mov(0, 0), exit(), L('out'), ldx(8, 0, 0, 0), mov(0, 0), exit()]
        : [j(op, 0, 0, 'ok'), ldx(8, 0, 0, 0), mov(0, 0), exit(), L('ok'), mov(0, 0), exit()];
      P(F, `${op}${w}-0-wrong-branch`, type, [...lookup(), ...wrong], { maps });
    }
  }
  P(F, 'jeq-1', type, [...lookup(), jmp('jeq', 0, 1, 'out'), ldx(8, 0, 0, 0), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'jgt-0', type, [...lookup(), jmp('jgt', 0, 0, 'ok'), mov(0, 0), exit(), L('ok'), ldx(8, 0, 0, 0), mov(0, 0), exit()], { maps });
  P(F, 'copy-then-check-orig', type, [...lookup(), movr(6, 0), jmp('jeq', 0, 0, 'out'), ldx(8, 0, 6, 0), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'copy-then-check-copy', type, [...lookup(), movr(6, 0), jmp('jeq', 6, 0, 'out'), ldx(8, 0, 0, 0), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'spill-then-check', type, [...lookup(), stx(8, 10, 0, -16), jmp('jeq', 0, 0, 'out'), ldx(8, 1, 10, -16), ldx(8, 0, 1, 0), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'arith-before-check', type, [...lookup(), alu64('add', 0, 8), jmp('jeq', 0, 0, 'out'), mov(0, 0), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'two-lookups-mixed', type, [...lookup(), movr(6, 0), ...lookup(), movr(7, 0), jmp('jeq', 6, 0, 'out'), ldx(8, 0, 7, 0), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'two-lookups-ok', type, [...lookup(), movr(6, 0), ...lookup(), movr(7, 0), jmp('jeq', 6, 0, 'out'), jmp('jeq', 7, 0, 'out'), ldx(8, 0, 7, 0), ldx(8, 1, 6, 0), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'return-map-ptr', type, [...lookup(), exit()], { maps });
  P(F, 'return-map-ptr-checked', type, [...lookup(), jmp('jeq', 0, 0, 'out'), exit(), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'array-lookup-still-null', type, [...lookup(), ldx(8, 0, 0, 0), exit()], { maps: [ARRAY] });
  P(F, 'key-uninit', type, [movr(2, 10), alu64('add', 2, -4), ldmap(1, 0), call(1), mov(0, 0), exit()], { maps });
  P(F, 'key-partly-uninit', type, [st(4, 10, -8, 0), movr(2, 10), alu64('add', 2, -16), ldmap(1, 0), call(1), mov(0, 0), exit()], { maps: [BIGKEY] });
  P(F, 'key-out-of-stack', type, [movr(2, 10), alu64('add', 2, -2), ldmap(1, 0), call(1), mov(0, 0), exit()], { maps });
  P(F, 'key-scalar', type, [mov(2, 0), ldmap(1, 0), call(1), mov(0, 0), exit()], { maps });
  P(F, 'key-ctx', 'socket_filter', [movr(2, 1), ldmap(1, 0), call(1), mov(0, 0), exit()], { maps });
  P(F, 'map-not-map', type, [st(4, 10, -4, 0), movr(2, 10), alu64('add', 2, -4), mov(1, 0), call(1), mov(0, 0), exit()], { maps });
  P(F, 'write-value', type, [...lookup(), jmp('jeq', 0, 0, 'out'), st(8, 0, 0, 42), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'update-ok', type, [st(4, 10, -4, 0), st(8, 10, -16, 0), movr(2, 10), alu64('add', 2, -4), movr(3, 10), alu64('add', 3, -16), mov(4, 0), ldmap(1, 0), call(2), mov(0, 0), exit()], { maps });
  P(F, 'update-value-short', type, [st(4, 10, -4, 0), st(4, 10, -16, 0), movr(2, 10), alu64('add', 2, -4), movr(3, 10), alu64('add', 3, -16), mov(4, 0), ldmap(1, 0), call(2), mov(0, 0), exit()], { maps });
  P(F, 'delete-ok', type, [st(4, 10, -4, 0), movr(2, 10), alu64('add', 2, -4), ldmap(1, 0), call(3), mov(0, 0), exit()], { maps });
  P(F, 'ldmap-bad-idx', type, [...lookup(1), mov(0, 0), exit()], { maps });
  P(F, 'value-as-key', type, [...lookup(), jmp('jeq', 0, 0, 'out'), movr(2, 0), ldmap(1, 0), call(1), L('out'), mov(0, 0), exit()], { maps });
  P(F, 'jmp32-ne-nonnull', type, [...lookup(), jmp32('jne', 0, 0, 'ok'), mov(0, 0), exit(), L('ok'), st(4, 0, 4, 1), mov(0, 0), exit()], { maps });
}

// 6. map value bounds ---------------------------------------------------------
{
  const F = 'mapval';
  const maps = [ARRAY];
  const type = 'socket_filter';
  const pre = [...lookup(), jmp('jeq', 0, 0, 'out')];
  const post = [L('out'), mov(0, 0), exit()];
  for (const [off, size] of [[0, 8], [8, 8], [12, 4], [15, 1], [16, 1], [9, 8], [14, 4], [-1, 1], [-8, 8], [4, 8], [1, 2]]) {
    P(F, `ld${size}@${off}`, type, [...pre, ldx(size, 1, 0, off), ...post], { maps });
    P(F, `st${size}@${off}`, type, [...pre, st(size, 0, off, 1), ...post], { maps });
  }
  for (const [mask, size] of [[7, 8], [8, 8], [15, 1], [16, 1], [3, 4], [12, 4], [0xff, 1]]) {
    P(F, `var-and${mask}-ld${size}`, type, [...pre, ldx(4, 2, 0, 0), alu64('and', 2, mask), alu64r('add', 0, 2), ldx(size, 1, 0, 0), ...post], { maps });
  }
  for (const [op, k, size, sign] of [['jgt', 8, 8, false], ['jgt', 7, 8, false], ['jge', 9, 8, false], ['jge', 8, 8, false], ['jgt', 15, 1, false], ['jsgt', 8, 8, true], ['jsgt', 8, 8, false], ['jgt', 12, 4, false], ['jlt', 9, 8, false]]) {
    const chk = op === 'jlt' ? [jmp(op, 2, k, 'ok'), ja('out'), L('ok')] : [jmp(op, 2, k, 'out')];
    const lb = sign ? [jmp('jslt', 2, 0, 'out')] : [];
    P(F, `bound-${op}${k}-${sign ? 'signed' : 'nolower'}-ld${size}`, type, [...pre, ldx(8, 2, 0, 0), ...chk, ...lb, alu64r('add', 0, 2), ldx(size, 1, 0, 0), ...post], { maps });
  }
  P(F, 'bound-jmp32', type, [...pre, ldx(4, 2, 0, 0), jmp32('jgt', 2, 8, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jmp32-64bit-reg', type, [...pre, ldx(8, 2, 0, 0), jmp32('jgt', 2, 8, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-reg-reg', type, [...pre, ldx(8, 2, 0, 0), mov(3, 8), jmpr('jgt', 2, 3, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-rsh', type, [...pre, ldx(8, 2, 0, 0), alu64('rsh', 2, 60), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-rsh-too-small', type, [...pre, ldx(8, 2, 0, 0), alu64('rsh', 2, 59), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-mod', type, [...pre, ldx(8, 2, 0, 0), alu64('mod', 2, 16), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-mul', type, [...pre, ldx(8, 2, 0, 0), alu64('and', 2, 3), alu64('mul', 2, 4), alu64r('add', 0, 2), ldx(4, 1, 0, 0), ...post], { maps });
  P(F, 'bound-mul-over', type, [...pre, ldx(8, 2, 0, 0), alu64('and', 2, 3), alu64('mul', 2, 5), alu64r('add', 0, 2), ldx(4, 1, 0, 0), ...post], { maps });
  P(F, 'bound-lsh', type, [...pre, ldx(8, 2, 0, 0), alu64('and', 2, 1), alu64('lsh', 2, 3), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-sub-neg', type, [...pre, ldx(8, 2, 0, 0), alu64('and', 2, 7), alu64r('sub', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-neg-const', type, [...pre, mov(2, 4), alu64r('sub', 0, 2), ldx(1, 1, 0, 4), ...post], { maps });
  P(F, 'bound-xor', type, [...pre, ldx(8, 2, 0, 0), alu64('and', 2, 7), alu64('xor', 2, 8), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-or', type, [...pre, ldx(8, 2, 0, 0), alu64('and', 2, 3), alu64('or', 2, 8), alu64r('add', 0, 2), ldx(4, 1, 0, 0), ...post], { maps });
  P(F, 'bound-alu32-zext', type, [...pre, ldx(8, 2, 0, 0), alu32('and', 2, 7), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-arsh', type, [...pre, ldx(8, 2, 0, 0), alu64('arsh', 2, 61), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jset', type, [...pre, ldx(8, 2, 0, 0), jmp('jset', 2, -8, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jset-small', type, [...pre, ldx(8, 2, 0, 0), jmp('jset', 2, -16, 'out'), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jne-const', type, [...pre, ldx(8, 2, 0, 0), jmp('jne', 2, 5, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jeq-const', type, [...pre, ldx(8, 2, 0, 0), jmp('jeq', 2, 9, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-signed-both', type, [...pre, ldx(8, 2, 0, 0), jmp('jsgt', 2, 8, 'out'), jmp('jslt', 2, 0, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-signed-lower-neg', type, [...pre, ldx(8, 2, 0, 0), jmp('jsgt', 2, 8, 'out'), jmp('jslt', 2, -1, 'out'), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jsle-jsge', type, [...pre, ldx(8, 2, 0, 0), jmp('jsle', 2, 8, 'ok'), ja('out'), L('ok'), jmp('jsge', 2, 0, 'ok2'), ja('out'), L('ok2'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jmp32-signed', type, [...pre, ldx(4, 2, 0, 0), jmp32('jsgt', 2, 8, 'out'), jmp32('jslt', 2, 0, 'out'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jle', type, [...pre, ldx(8, 2, 0, 0), jmp('jle', 2, 8, 'ok'), ja('out'), L('ok'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'bound-jle-off1', type, [...pre, ldx(8, 2, 0, 0), jmp('jle', 2, 9, 'ok'), ja('out'), L('ok'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps });
  P(F, 'value-ptr-store-to-value', type, [...pre, stx(8, 0, 0, 0), ...post], { maps });
  P(F, 'value-ptr-store-unpriv-ok', type, [...pre, movr(1, 10), stx(8, 0, 1, 0), ...post], { maps });
  P(F, 'hash48-ld@40', type, [...lookup(), jmp('jeq', 0, 0, 'out'), ldx(8, 1, 0, 40), ...post], { maps: [HASH48] });
  P(F, 'hash48-ld@44', type, [...lookup(), jmp('jeq', 0, 0, 'out'), ldx(8, 1, 0, 44), ...post], { maps: [HASH48] });
  P(F, 'var-unbounded', type, [...pre, ldx(8, 2, 0, 0), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'var-too-large-umax', type, [...pre, ldx(4, 2, 0, 0), alu64r('add', 0, 2), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'add-const-past-end', type, [...pre, alu64('add', 0, 16), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'add-const-within', type, [...pre, alu64('add', 0, 15), ldx(1, 1, 0, 0), ...post], { maps });
  P(F, 'mapval-big', type, [...lookup(), jmp('jeq', 0, 0, 'out'), ldx(8, 2, 0, 0), alu64('and', 2, 56), alu64r('add', 0, 2), ldx(8, 1, 0, 0), ...post], { maps: [ARRAY64] });
  P(F, 'mapval-big-off', type, [...lookup(), jmp('jeq', 0, 0, 'out'), ldx(8, 2, 0, 0), alu64('and', 2, 56), alu64r('add', 0, 2), ldx(8, 1, 0, 1), ...post], { maps: [ARRAY64] });
}

// 7. pointer arithmetic -------------------------------------------------------
{
  const F = 'ptrarith';
  const type = 'socket_filter';
  const maps = [ARRAY];
  const pre = [...lookup(), jmp('jeq', 0, 0, 'out')];
  const post = [L('out'), mov(0, 0), exit()];
  for (const op of ['mul', 'div', 'or', 'and', 'lsh', 'rsh', 'xor', 'mod', 'arsh']) {
    P(F, `ctx-${op}`, type, [alu64(op, 1, 2), mov(0, 0), exit()]);
    P(F, `mapval-${op}`, type, [...pre, alu64(op, 0, 2), ...post], { maps });
    P(F, `fp-${op}`, type, [movr(2, 10), alu64(op, 2, 2), mov(0, 0), exit()]);
  }
  for (const op of ['add', 'sub', 'mov', 'and']) P(F, `ctx-${op}32`, type, [alu32(op, 1, 0), mov(0, 0), exit()]);
  P(F, 'ctx-neg', type, [I(0x87, 1), mov(0, 0), exit()]);
  P(F, 'ptr-plus-ptr', type, [movr(2, 10), alu64r('add', 2, 1), mov(0, 0), exit()]);
  P(F, 'ptr-minus-ptr-fp', type, [movr(2, 10), movr(3, 10), alu64('add', 3, -8), alu64r('sub', 2, 3), movr(0, 2), exit()]);
  P(F, 'ptr-minus-ptr-ctx-fp', type, [movr(2, 10), alu64r('sub', 2, 1), mov(0, 0), exit()]);
  P(F, 'scalar-minus-ptr', type, [mov(2, 0), alu64r('sub', 2, 10), mov(0, 0), exit()]);
  P(F, 'scalar-plus-ptr', type, [mov(2, -8), alu64r('add', 2, 10), st(8, 2, 0, 0), mov(0, 0), exit()]);
  P(F, 'mapval-plus-scalar-then-sub', type, [...pre, alu64('add', 0, 8), alu64('sub', 0, 4), ldx(4, 1, 0, 0), ...post], { maps });
  P(F, 'map-ptr-arith', type, [ldmap(1, 0), alu64('add', 1, 8), mov(0, 0), exit()], { maps });
  P(F, 'map-ptr-deref', type, [ldmap(1, 0), ldx(8, 0, 1, 0), mov(0, 0), exit()], { maps });
  P(F, 'null-ptr-arith', type, [...lookup(), alu64('add', 0, 8), mov(0, 0), exit()], { maps });
  P(F, 'scalar-deref', type, [mov(1, 4096), ldx(8, 0, 1, 0), exit()]);
  P(F, 'scalar-store', type, [mov(1, 4096), st(8, 1, 0, 0), mov(0, 0), exit()]);
  P(F, 'return-fp', type, [movr(0, 10), exit()]);
  P(F, 'return-ctx', type, [movr(0, 1), exit()]);
  P(F, 'fp-var-unbounded', type, [ldx(4, 2, 1, 0), movr(3, 10), alu64r('add', 3, 2), mov(0, 0), exit()]);
  P(F, 'fp-var-unbounded-access', type, [ldx(4, 2, 1, 0), movr(3, 10), alu64r('add', 3, 2), st(1, 3, -1, 0), mov(0, 0), exit()]);
  P(F, 'ptr-jmp-cmp-imm', type, [movr(2, 10), jmp('jeq', 2, 0, 'a'), L('a'), mov(0, 0), exit()]);
  P(F, 'ptr-jmp-cmp-ptr', type, [movr(2, 10), jmpr('jeq', 2, 1, 'a'), L('a'), mov(0, 0), exit()]);
  P(F, 'ctx-ptr-to-stack-and-back', type, [stx(8, 10, 1, -8), ldx(8, 1, 10, -8), ldx(4, 0, 1, 0), exit()]);
  P(F, 'alu32-on-ptr-mov', type, [alu32r('mov', 2, 10), mov(0, 0), exit()]);
  P(F, 'mapval-add-large', type, [...pre, lddw(2, 0, 1), alu64r('add', 0, 2), ...post], { maps });
  P(F, 'mapval-add-1<<29', type, [...pre, alu64('add', 0, 1 << 29), ...post], { maps });
  P(F, 'mapval-add-1<<29-twice', type, [...pre, alu64('add', 0, 1 << 29), alu64('add', 0, 1 << 29), ...post], { maps });
  P(F, 'div-imm-zero', type, [mov(0, 1), alu64('div', 0, 0), exit()]);
  P(F, 'mod-imm-zero', type, [mov(0, 1), alu64('mod', 0, 0), exit()]);
  P(F, 'div32-imm-zero', type, [mov(0, 1), alu32('div', 0, 0), exit()]);
  P(F, 'div-reg-maybe-zero', type, [ldx(4, 2, 1, 0), mov(0, 1), alu64r('div', 0, 2), exit()]);
  P(F, 'mod-reg-zero', type, [mov(2, 0), mov(0, 1), alu64r('mod', 0, 2), exit()]);
  P(F, 'div-imm-zero-dead', type, [mov(0, 1), jmp('jeq', 0, 1, 'a'), alu64('div', 0, 0), L('a'), exit()]);
  for (const [w, sh] of [[64, 63], [64, 64], [64, -1], [32, 31], [32, 32], [64, 100]]) {
    const f = w === 64 ? alu64 : alu32;
    P(F, `lsh${w}-imm${sh}`, type, [mov(0, 1), f('lsh', 0, sh), exit()]);
    P(F, `arsh${w}-imm${sh}`, type, [mov(0, 1), f('arsh', 0, sh), exit()]);
  }
  P(F, 'shift-reg-large-ok', type, [mov(0, 1), mov(2, 70), alu64r('lsh', 0, 2), exit()]);
  P(F, 'end-ops', type, [ldx(4, 0, 1, 0), I(0xdc, 0, 0, 0, 16), I(0xd4, 0, 0, 0, 32), I(0xdc, 0, 0, 0, 64), exit()]);
  P(F, 'sdiv-ok', type, [ldx(4, 0, 1, 0), I(0x37, 0, 0, 1, 3), exit()]);
  P(F, 'movsx-ok', type, [ldx(4, 2, 1, 0), I(0xbf, 0, 2, 8, 0), exit()]);
}

// 8. helper argument types ----------------------------------------------------
{
  const F = 'helperarg';
  const type = 'socket_filter';
  P(F, 'ktime', type, [call(5), exit()]);
  P(F, 'prandom', type, [call(7), exit()]);
  P(F, 'smp-id', type, [call(8), exit()]);
  P(F, 'unknown-helper', type, [call(9999), exit()]);
  P(F, 'helper-zero', type, [call(0), exit()]);
  P(F, 'helper-negative', type, [call(-1), exit()]);
  const printk = (len, init = true) => [...(init ? [st(8, 10, -8, 0x0a6968)] : []), movr(1, 10), alu64('add', 1, -8), mov(2, len), call(6), mov(0, 0), exit()];
  P(F, 'trace-printk-ok', 'kprobe', printk(8));
  P(F, 'trace-printk-len4', 'kprobe', printk(4));
  P(F, 'trace-printk-too-long', 'kprobe', printk(9));
  P(F, 'trace-printk-zero', 'kprobe', printk(0));
  P(F, 'trace-printk-uninit', 'kprobe', printk(8, false));
  P(F, 'trace-printk-var-len', 'kprobe', [st(8, 10, -8, 0x0a6968), movr(1, 10), alu64('add', 1, -8), ldx(8, 2, 1, 0), call(6), mov(0, 0), exit()]);
  P(F, 'trace-printk-bounded-len', 'kprobe', [st(8, 10, -8, 0x0a6968), ldx(8, 2, 1, 0), alu64('and', 2, 7), alu64('add', 2, 1), movr(1, 10), alu64('add', 1, -8), call(6), mov(0, 0), exit()]);
  P(F, 'trace-printk-scalar-ptr', 'kprobe', [mov(1, 0), mov(2, 8), call(6), mov(0, 0), exit()]);
  P(F, 'trace-printk-ctx-ptr', 'kprobe', [mov(2, 8), call(6), mov(0, 0), exit()]);
  const probeRead = (helper, size, dstOff = -16, uninitOk = true) => [movr(1, 10), alu64('add', 1, dstOff), mov(2, size), mov(3, 0), call(helper), mov(0, 0), exit()];
  for (const h of [4, 112, 113]) {
    P(F, `probe-read-${h}-ok`, 'kprobe', probeRead(h, 16));
    P(F, `probe-read-${h}-over`, 'kprobe', probeRead(h, 17));
    P(F, `probe-read-${h}-zero`, 'kprobe', probeRead(h, 0));
  }
  P(F, 'probe-read-str', 'kprobe', probeRead(45, 16));
  P(F, 'probe-read-neg-size', 'kprobe', [movr(1, 10), alu64('add', 1, -16), mov(2, -1), mov(3, 0), call(4), mov(0, 0), exit()]);
  P(F, 'probe-read-to-ctx', 'kprobe', [mov(2, 8), mov(3, 0), call(4), mov(0, 0), exit()]);
  P(F, 'get-current-comm-ok', 'kprobe', [movr(1, 10), alu64('add', 1, -16), mov(2, 16), call(16), mov(0, 0), exit()]);
  P(F, 'get-current-comm-scalar', 'kprobe', [mov(1, 0), mov(2, 16), call(16), mov(0, 0), exit()]);
  P(F, 'get-current-pid', 'kprobe', [call(14), exit()]);
  P(F, 'get-current-uid', 'kprobe', [call(15), exit()]);
  P(F, 'get-current-task', 'kprobe', [call(35), exit()]);
  const skbLoad = (len, toOff = -16) => [mov(2, 0), movr(3, 10), alu64('add', 3, toOff), mov(4, len), call(26), mov(0, 0), exit()];
  P(F, 'skb-load-bytes-ok', 'sched_cls', skbLoad(16));
  P(F, 'skb-load-bytes-over', 'sched_cls', skbLoad(17));
  P(F, 'skb-load-bytes-zero', 'sched_cls', skbLoad(0));
  P(F, 'skb-load-bytes-sf', 'socket_filter', skbLoad(8));
  P(F, 'skb-load-bytes-not-ctx', 'sched_cls', [movr(1, 10), mov(2, 0), movr(3, 10), alu64('add', 3, -16), mov(4, 8), call(26), mov(0, 0), exit()]);
  P(F, 'skb-store-bytes-ok', 'sched_cls', [st(8, 10, -8, 0), mov(2, 0), movr(3, 10), alu64('add', 3, -8), mov(4, 8), mov(5, 0), call(9), mov(0, 0), exit()]);
  P(F, 'skb-store-bytes-uninit', 'sched_cls', [mov(2, 0), movr(3, 10), alu64('add', 3, -8), mov(4, 8), mov(5, 0), call(9), mov(0, 0), exit()]);
  P(F, 'l3-csum-replace', 'sched_cls', [mov(2, 0), mov(3, 0), mov(4, 0), mov(5, 2), call(10), mov(0, 0), exit()]);
  P(F, 'l4-csum-replace', 'sched_cls', [mov(2, 0), mov(3, 0), mov(4, 0), mov(5, 2), call(11), mov(0, 0), exit()]);
  P(F, 'csum-diff-ok', 'sched_cls', [st(8, 10, -8, 0), movr(1, 10), alu64('add', 1, -8), mov(2, 8), mov(3, 0), mov(4, 0), mov(5, 0), call(28), mov(0, 0), exit()]);
  P(F, 'csum-diff-uninit', 'sched_cls', [movr(1, 10), alu64('add', 1, -8), mov(2, 8), mov(3, 0), mov(4, 0), mov(5, 0), call(28), mov(0, 0), exit()]);
  P(F, 'redirect', 'sched_cls', [mov(1, 1), mov(2, 0), call(23), exit()]);
  P(F, 'redirect-xdp', 'xdp', [mov(1, 1), mov(2, 0), call(23), exit()]);
  P(F, 'redirect-map-xdp', 'xdp', [ldmap(1, 0), mov(2, 0), mov(3, 0), call(51), exit()], { maps: [{ type: 'devmap', keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 }] });
  P(F, 'redirect-map-wrong-map', 'xdp', [ldmap(1, 0), mov(2, 0), mov(3, 0), call(51), exit()], { maps: [ARRAY] });
  P(F, 'tail-call-ok', 'socket_filter', [ldmap(2, 0), mov(3, 0), call(12), mov(0, 0), exit()], { maps: [PROG_ARRAY] });
  P(F, 'tail-call-wrong-map', 'socket_filter', [ldmap(2, 0), mov(3, 0), call(12), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'tail-call-ctx-not-ctx', 'socket_filter', [movr(1, 10), ldmap(2, 0), mov(3, 0), call(12), mov(0, 0), exit()], { maps: [PROG_ARRAY] });
  P(F, 'lookup-prog-array', 'socket_filter', [...lookup(), mov(0, 0), exit()], { maps: [PROG_ARRAY] });
  P(F, 'perf-output-ok', 'kprobe', [st(8, 10, -8, 0), ldmap(2, 0), lddw(3, 0xffffffff, 0), movr(4, 10), alu64('add', 4, -8), mov(5, 8), call(25), mov(0, 0), exit()], { maps: [PERF] });
  P(F, 'perf-output-size-over', 'kprobe', [st(8, 10, -8, 0), ldmap(2, 0), lddw(3, 0xffffffff, 0), movr(4, 10), alu64('add', 4, -8), mov(5, 9), call(25), mov(0, 0), exit()], { maps: [PERF] });
  P(F, 'perf-output-wrong-map', 'kprobe', [st(8, 10, -8, 0), ldmap(2, 0), mov(3, 0), movr(4, 10), alu64('add', 4, -8), mov(5, 8), call(25), mov(0, 0), exit()], { maps: [HASH] });
  P(F, 'ringbuf-output-ok', 'kprobe', [st(8, 10, -8, 0), ldmap(1, 0), movr(2, 10), alu64('add', 2, -8), mov(3, 8), mov(4, 0), call(130), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-reserve-submit', 'kprobe', [ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), jmp('jeq', 0, 0, 'out'), st(8, 0, 0, 1), movr(1, 0), mov(2, 0), call(132), L('out'), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-reserve-leak', 'kprobe', [ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), jmp('jeq', 0, 0, 'out'), st(8, 0, 0, 1), L('out'), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-reserve-nocheck', 'kprobe', [ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), movr(1, 0), mov(2, 0), call(132), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-reserve-oob', 'kprobe', [ldmap(1, 0), mov(2, 8), mov(3, 0), call(131), jmp('jeq', 0, 0, 'out'), st(8, 0, 8, 1), movr(1, 0), mov(2, 0), call(132), L('out'), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-reserve-var-size', 'kprobe', [ldx(8, 2, 1, 0), ldmap(1, 0), mov(3, 0), call(131), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-discard', 'kprobe', [ldmap(1, 0), mov(2, 16), mov(3, 0), call(131), jmp('jeq', 0, 0, 'out'), movr(1, 0), mov(2, 0), call(133), L('out'), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'xdp-adjust-head', 'xdp', [mov(2, -14), call(44), mov(0, 2), exit()]);
  P(F, 'xdp-adjust-head-stale-ptr', 'xdp', [ldx(4, 6, 1, 0), ldx(4, 7, 1, 4), movr(3, 6), alu64('add', 3, 4), jmpr('jgt', 3, 7, 'out'), mov(2, -14), call(44), ldx(4, 0, 6, 0), L('out'), mov(0, 2), exit()]);
  P(F, 'xdp-adjust-head-reload', 'xdp', [movr(6, 1), mov(2, -14), call(44), ldx(4, 2, 6, 0), ldx(4, 3, 6, 4), movr(4, 2), alu64('add', 4, 4), jmpr('jgt', 4, 3, 'out'), ldx(4, 0, 2, 0), L('out'), mov(0, 2), exit()]);
  P(F, 'xdp-adjust-tail', 'xdp', [mov(2, -4), call(65), mov(0, 2), exit()]);
  P(F, 'loop-helper', 'kprobe', [mov(1, 4), ldfunc(2, 'cb'), mov(3, 0), mov(4, 0), call(181), mov(0, 0), exit(), L('cb'), mov(0, 0), exit()]);
  P(F, 'for-each-array', 'kprobe', [ldmap(1, 0), mov(3, 0), mov(4, 0), call(164), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'spin-lock-no-btf', 'sched_cls', [...lookup(), jmp('jeq', 0, 0, 'out'), movr(1, 0), call(93), L('out'), mov(0, 0), exit()], { maps: [HASH_LOCK] });
  P(F, 'arg-uninit-r1', 'socket_filter', [call(17), exit()]);
  P(F, 'get-cgroup-classid', 'sched_cls', [call(17), exit()]);
  P(F, 'get-hash-recalc', 'sched_cls', [call(34), exit()]);
  P(F, 'map-update-flags-ptr', 'socket_filter', [st(4, 10, -4, 0), st(8, 10, -16, 0), movr(2, 10), alu64('add', 2, -4), movr(3, 10), alu64('add', 3, -16), movr(4, 10), ldmap(1, 0), call(2), mov(0, 0), exit()], { maps: [HASH] });
  P(F, 'map-lookup-value-ptr-key', 'socket_filter', [...lookup(), jmp('jeq', 0, 0, 'out'), movr(2, 0), ldmap(1, 1), call(1), L('out'), mov(0, 0), exit()], { maps: [ARRAY, HASH] });
  P(F, 'map-lookup-pkt-key', 'sched_cls', [ldx(4, 2, 1, 80), ldx(4, 3, 1, 76), movr(4, 3), alu64('add', 4, 4), jmpr('jgt', 4, 2, 'out'), movr(2, 3), ldmap(1, 0), call(1), L('out'), mov(0, 0), exit()], { maps: [HASH] });
  P(F, 'map-lookup-pkt-key-short', 'sched_cls', [ldx(4, 2, 1, 80), ldx(4, 3, 1, 76), movr(4, 3), alu64('add', 4, 3), jmpr('jgt', 4, 2, 'out'), movr(2, 3), ldmap(1, 0), call(1), L('out'), mov(0, 0), exit()], { maps: [HASH] });
  P(F, 'stack-arg-misaligned-ok', 'kprobe', [movr(1, 10), alu64('add', 1, -15), mov(2, 15), mov(3, 0), call(113), mov(0, 0), exit()]);
}

// 9. helpers not allowed for the type / GPL -----------------------------------
{
  const F = 'helpertype';
  const simple = [[5, []], [7, []], [8, []], [14, []], [15, []], [35, []], [17, [1]], [34, [1]], [23, [2]], [44, [1]], [65, [1]], [125, []], [160, []], [80, []], [46, []]];
  const setup = { 1: [], 2: [mov(1, 1), mov(2, 0)] };
  for (const type of ['socket_filter', 'sched_cls', 'xdp', 'kprobe', 'tracepoint', 'raw_tracepoint', 'cgroup_skb']) {
    for (const [id, kind] of simple) {
      const args = kind[0] === 2 ? setup[2] : kind[0] === 1 ? [] : [];
      const argsFix = id === 44 || id === 65 ? [mov(2, 0)] : [];
      P(F, `${type}-h${id}`, type, [...args, ...argsFix, call(id), mov(0, 0), exit()]);
    }
  }
  for (const license of ['GPL', 'Dual BSD/GPL', 'MIT', 'Proprietary', 'GPL v2']) {
    const lic = license.replace(/[^A-Za-z0-9]+/g, '_');
    P(F, `printk-license-${lic}`, 'kprobe', [st(8, 10, -8, 0x0a6968), movr(1, 10), alu64('add', 1, -8), mov(2, 8), call(6), mov(0, 0), exit()], { license });
    P(F, `probe-read-license-${lic}`, 'kprobe', [movr(1, 10), alu64('add', 1, -8), mov(2, 8), mov(3, 0), call(4), mov(0, 0), exit()], { license });
    P(F, `ktime-license-${lic}`, 'kprobe', [call(5), mov(0, 0), exit()], { license });
    P(F, `get-task-license-${lic}`, 'kprobe', [call(35), mov(0, 0), exit()], { license });
  }
}

// 10. loops --------------------------------------------------------------------
{
  const F = 'loop';
  const type = 'socket_filter';
  for (const n of [1, 4, 16, 100, 1000]) {
    P(F, `count-up-${n}`, type, [mov(0, 0), L('top'), alu64('add', 0, 1), jmp('jlt', 0, n, 'top'), exit()]);
    P(F, `count-down-${n}`, type, [mov(0, n), L('top'), alu64('sub', 0, 1), jmp('jne', 0, 0, 'top'), exit()]);
  }
  P(F, 'count-up-100000', type, [mov(0, 0), L('top'), alu64('add', 0, 1), jmp('jlt', 0, 100000, 'top'), exit()]);
  P(F, 'infinite-self', type, [mov(0, 0), L('top'), ja('top'), exit()]);
  P(F, 'infinite-body', type, [mov(0, 0), L('top'), alu64('add', 0, 0), ja('top'), exit()]);
  P(F, 'infinite-cond', type, [mov(0, 0), L('top'), mov(1, 1), jmp('jne', 1, 0, 'top'), exit()]);
  P(F, 'unknown-bound', type, [ldx(4, 2, 1, 0), mov(0, 0), L('top'), alu64('add', 0, 1), jmpr('jlt', 0, 2, 'top'), exit()]);
  P(F, 'unknown-bound-masked', type, [ldx(4, 2, 1, 0), alu64('and', 2, 31), mov(0, 0), L('top'), alu64('add', 0, 1), jmpr('jlt', 0, 2, 'top'), exit()]);
  P(F, 'count-down-32', type, [mov32(0, 10), L('top'), alu32('sub', 0, 1), jmp32('jne', 0, 0, 'top'), exit()]);
  P(F, 'nested', type, [mov(0, 0), mov(1, 0), L('o'), mov(2, 0), L('i'), alu64('add', 2, 1), alu64('add', 0, 1), jmp('jlt', 2, 10, 'i'), alu64('add', 1, 1), jmp('jlt', 1, 10, 'o'), exit()]);
  P(F, 'loop-stack-fill', type, [mov(1, 0), L('top'), movr(2, 10), alu64('add', 2, -64), alu64r('add', 2, 1), st(1, 2, 0, 0), alu64('add', 1, 1), jmp('jlt', 1, 64, 'top'), ldx(8, 0, 10, -64), exit()]);
  P(F, 'loop-stack-overflow', type, [mov(1, 0), L('top'), movr(2, 10), alu64('add', 2, -64), alu64r('add', 2, 1), st(1, 2, 0, 0), alu64('add', 1, 1), jmp('jle', 1, 64, 'top'), ldx(8, 0, 10, -64), exit()]);
  P(F, 'back-edge-into-lddw', type, [mov(0, 0), lddw(1, 1), ja(-3), exit()]);
  P(F, 'jump-backward-out', type, [mov(0, 0), ja(-3), exit()]);
  P(F, 'may-goto-loop', type, [mov(0, 0), L('top'), I(0xe5, 0, 0, 0, 0, 'done'), alu64('add', 0, 1), ja('top'), L('done'), exit()]);
  P(F, 'loop-ktime', 'kprobe', [mov(6, 0), L('top'), call(5), alu64('add', 6, 1), jmp('jlt', 6, 8, 'top'), mov(0, 0), exit()]);
  P(F, 'loop-ktime-cond', 'kprobe', [L('top'), call(5), jmp('jgt', 0, 1000, 'top'), mov(0, 0), exit()]);
}

// 11. CFG: jumps, unreachable, calls and recursion -----------------------------
{
  const F = 'cfg';
  const type = 'socket_filter';
  P(F, 'jump-out-of-range-fwd', type, [mov(0, 0), ja(5), exit()]);
  P(F, 'jump-out-of-range-back', type, [mov(0, 0), ja(-5), exit()]);
  P(F, 'jump-to-end', type, [mov(0, 0), ja(1), exit()]);
  P(F, 'cond-jump-out-of-range', type, [mov(0, 0), jmp('jeq', 0, 0, 3), exit()]);
  P(F, 'jump-into-lddw', type, [mov(0, 0), jmp('jeq', 0, 0, 1), lddw(1, 1), exit()]);
  P(F, 'unreachable-after-exit', type, [mov(0, 0), exit(), mov(0, 1), exit()]);
  P(F, 'unreachable-after-ja', type, [mov(0, 0), ja(1), mov(0, 1), exit()]);
  P(F, 'fall-off-end', type, [mov(0, 0)]);
  P(F, 'fall-off-end-cond', type, [mov(0, 0), jmp('jeq', 0, 0, 1), exit(), mov(0, 1)]);
  P(F, 'ja-zero', type, [mov(0, 0), ja(0), exit()]);
  P(F, 'dead-branch-ok', type, [mov(0, 0), jmp('jeq', 0, 1, 'x'), exit(), L('x'), mov(0, 1), exit()]);
  P(F, 'dead-branch-bad-code', type, [mov(0, 0), jmp('jeq', 0, 1, 'x'), exit(), L('x'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'lddw-last', type, [mov(0, 0), exit(), lddw(0, 1)]);
  P(F, 'lddw-ok', type, [lddw(0, 1, 2), exit()]);
  P(F, 'lddw-bad-src', type, [[I(0x18, 0, 7, 0, 1), I(0, 0, 0, 0, 0)], exit()]);
  P(F, 'bad-opcode', type, [raw(0xff, 0, 0, 0, 0), mov(0, 0), exit()]);
  P(F, 'bad-opcode-8e', type, [raw(0x8e, 0, 0, 0, 0), mov(0, 0), exit()]);
  P(F, 'callx', type, [mov(1, 5), raw(0x8d, 1, 0, 0, 0), exit()]);
  P(F, 'reserved-alu-src', type, [raw(0xb7, 0, 1, 0, 0), exit()]);
  P(F, 'reserved-alu-off', type, [raw(0xb7, 0, 0, 1, 0), exit()]);
  P(F, 'reserved-alu-reg-imm', type, [mov(1, 0), raw(0xbf, 0, 1, 0, 5), exit()]);
  P(F, 'reserved-ldx-imm', type, [st(8, 10, -8, 0), raw(0x79, 0, 10, -8, 1), exit()]);
  P(F, 'reserved-st-src', type, [raw(0x7a, 10, 1, -8, 0), mov(0, 0), exit()]);
  P(F, 'reserved-stx-imm', type, [raw(0x7b, 10, 1, -8, 3), mov(0, 0), exit()]);
  P(F, 'reserved-exit-imm', type, [mov(0, 0), raw(0x95, 0, 0, 0, 1)]);
  P(F, 'reserved-call-off', type, [raw(0x85, 0, 0, 1, 5), exit()]);
  P(F, 'reserved-ja-imm', type, [mov(0, 0), raw(0x05, 0, 0, 0, 1), exit()]);
  P(F, 'reserved-neg-imm', type, [mov(0, 0), raw(0x87, 0, 0, 0, 1), exit()]);
  P(F, 'reserved-jmp-imm-reg', type, [mov(0, 0), raw(0x1d, 0, 0, 0, 1), exit()]);
  P(F, 'reserved-end-imm', type, [mov(0, 0), raw(0xd4, 0, 0, 0, 8), exit()]);
  P(F, 'bad-register-11', type, [raw(0xb7, 11, 0, 0, 0), mov(0, 0), exit()]);
  P(F, 'bad-src-register', type, [raw(0xbf, 0, 12, 0, 0), exit()]);
  // bpf-to-bpf calls
  P(F, 'call-ok', type, [callLocal('f'), exit(), L('f'), mov(0, 1), exit()]);
  P(F, 'call-args', type, [mov(1, 5), callLocal('f'), exit(), L('f'), movr(0, 1), exit()]);
  P(F, 'call-r0-uninit', type, [callLocal('f'), exit(), L('f'), exit()]);
  P(F, 'call-callee-reads-r2', type, [callLocal('f'), exit(), L('f'), movr(0, 2), exit()]);
  P(F, 'call-callee-reads-r6', type, [mov(6, 1), callLocal('f'), exit(), L('f'), movr(0, 6), exit()]);
  P(F, 'call-caller-r6-kept', type, [mov(6, 1), callLocal('f'), movr(0, 6), exit(), L('f'), mov(0, 0), exit()]);
  P(F, 'call-caller-r1-clobbered', type, [mov(1, 1), callLocal('f'), movr(0, 1), exit(), L('f'), mov(0, 0), exit()]);
  P(F, 'call-recursion-self', type, [callLocal('f'), exit(), L('f'), callLocal('f'), mov(0, 0), exit()]);
  P(F, 'call-recursion-mutual', type, [callLocal('f'), exit(), L('f'), callLocal('g'), mov(0, 0), exit(), L('g'), callLocal('f'), mov(0, 0), exit()]);
  P(F, 'call-main-recursion', type, [L('m'), callLocal('m'), mov(0, 0), exit()]);
  P(F, 'call-out-of-range', type, [raw(0x85, 0, 1, 0, 10), exit()]);
  P(F, 'call-into-middle-ok', type, [mov(0, 0), callLocal('f'), exit(), L('f'), mov(0, 2), exit()]);
  P(F, 'call-stack-pass-ptr', type, [st(8, 10, -8, 7), movr(1, 10), alu64('add', 1, -8), callLocal('f'), exit(), L('f'), ldx(8, 0, 1, 0), exit()]);
  P(F, 'call-stack-each-256', type, [st(8, 10, -256, 0), callLocal('f'), exit(), L('f'), st(8, 10, -256, 0), mov(0, 0), exit()]);
  P(F, 'call-stack-combined-over', type, [st(8, 10, -312, 0), callLocal('f'), mov(0, 0), exit(), L('f'), st(8, 10, -256, 0), mov(0, 0), exit()]);
  P(F, 'call-chain-depth-3', type, [callLocal('a'), exit(), L('a'), callLocal('b'), exit(), L('b'), callLocal('c'), exit(), L('c'), mov(0, 0), exit()]);
  const deep = [];
  for (let i = 0; i < 9; i++) deep.push(L(`f${i}`), callLocal(`f${i + 1}`), exit());
  deep.push(L('f9'), mov(0, 0), exit());
  P(F, 'call-chain-depth-9', type, deep);
  P(F, 'call-jump-across-subprog', type, [mov(0, 0), jmp('jeq', 0, 0, 'x'), callLocal('f'), exit(), L('f'), L('x'), mov(0, 1), exit()]);
  P(F, 'call-subprog-falls-through', type, [callLocal('f'), exit(), L('f'), mov(0, 0)]);
  P(F, 'call-subprog-falls-into-next', type, [callLocal('f'), callLocal('g'), exit(), L('f'), mov(0, 0), L('g'), mov(0, 1), exit()]);
  P(F, 'call-unused-subprog', type, [mov(0, 0), exit(), L('f'), mov(0, 1), exit()]);
  P(F, 'call-ctx-passed', type, [callLocal('f'), exit(), L('f'), ldx(4, 0, 1, 0), exit()]);
  P(F, 'call-returns-fp', type, [callLocal('f'), mov(0, 0), exit(), L('f'), movr(0, 10), exit()]);
  P(F, 'call-uses-returned-fp', type, [callLocal('f'), st(8, 0, -8, 0), mov(0, 0), exit(), L('f'), movr(0, 10), exit()]);
}

// 12. return values -------------------------------------------------------------
{
  const F = 'retval';
  for (const type of ['socket_filter', 'xdp', 'sched_cls', 'cgroup_skb', 'kprobe', 'tracepoint', 'raw_tracepoint']) {
    for (const v of [0, 1, 2, 3, 4, 7, -1]) P(F, `${type}-ret${v}`, type, ret(v));
    P(F, `${type}-ret-unknown`, type, [call(7), exit()]);
    P(F, `${type}-ret-masked1`, type, [call(7), alu64('and', 0, 1), exit()]);
  }
  P(F, 'cgroup_skb-ret-32bit-0x100000000', 'cgroup_skb', [lddw(0, 0, 1), exit()]);
}

// 13. atomics -------------------------------------------------------------------
{
  const F = 'atomic';
  const type = 'socket_filter';
  const ops = { add: 0x00, fadd: 0x01, or: 0x40, xchg: 0xe1, cmpxchg: 0xf1 };
  for (const [n, imm] of Object.entries(ops)) {
    P(F, `stack-dw-${n}`, type, [st(8, 10, -8, 1), mov(1, 2), mov(0, 0), I(0xdb, 10, 1, -8, imm), mov(0, 0), exit()]);
    P(F, `stack-w-${n}`, type, [st(4, 10, -4, 1), mov(1, 2), mov(0, 0), I(0xc3, 10, 1, -4, imm), mov(0, 0), exit()]);
    P(F, `stack-uninit-${n}`, type, [mov(1, 2), mov(0, 0), I(0xdb, 10, 1, -8, imm), mov(0, 0), exit()]);
    P(F, `mapval-${n}`, type, [...lookup(), jmp('jeq', 0, 0, 'o'), mov(1, 1), movr(6, 0), mov(0, 0), I(0xdb, 6, 1, 0, imm), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  }
  P(F, 'stack-misaligned', type, [st(8, 10, -16, 1), mov(1, 2), I(0xdb, 10, 1, -12, 0), mov(0, 0), exit()]);
  P(F, 'cmpxchg-r0-uninit', type, [st(8, 10, -8, 1), mov(1, 2), I(0xdb, 10, 1, -8, 0xf1), mov(0, 0), exit()]);
  P(F, 'fetch-result-readable', type, [st(8, 10, -8, 1), mov(1, 2), I(0xdb, 10, 1, -8, 0x01), movr(0, 1), exit()]);
  P(F, 'atomic-ptr-src', type, [st(8, 10, -8, 1), I(0xdb, 10, 10, -8, 0), mov(0, 0), exit()]);
  P(F, 'atomic-bad-op', type, [st(8, 10, -8, 1), mov(1, 1), I(0xdb, 10, 1, -8, 0x10), mov(0, 0), exit()]);
  P(F, 'atomic-pkt', 'xdp', [ldx(4, 2, 1, 4), ldx(4, 1, 1, 0), movr(3, 1), alu64('add', 3, 8), jmpr('jgt', 3, 2, 'o'), mov(4, 1), I(0xdb, 1, 4, 0, 0), L('o'), mov(0, 0), exit()]);
}

// 14. JMP32 and bounds through comparisons ------------------------------------
{
  const F = 'bounds';
  const type = 'socket_filter';
  // Dead-branch elimination: the kernel only explores feasible branches, so bad code
  // on an impossible path is accepted.
  const deadPairs = [
    ['jgt', 5, 10, 64], ['jge', 5, 5, 64], ['jlt', 5, 3, 64], ['jle', 5, 4, 64], ['jeq', 5, 5, 64], ['jne', 5, 5, 64],
    ['jsgt', -1, 0, 64], ['jslt', -1, 0, 64], ['jset', 4, 4, 64], ['jset', 4, 3, 64], ['jsge', 0, 0, 64], ['jsle', 1, 0, 64],
    ['jgt', -1, 5, 32], ['jslt', -1, 0, 32], ['jeq', 7, 7, 32], ['jne', 0, 0, 32],
  ];
  for (const [op, val, k, w] of deadPairs) {
    const j = w === 64 ? jmp : jmp32;
    P(F, `const-${op}${w}-${val}-vs-${k}`, type, [mov(2, val), j(op, 2, k, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  }
  const rangeChecks = [
    // r2 = ctx->len & 0xff  (0..255); then op against k: taken path reads bad memory if feasible
    ['jgt', 255, 64], ['jgt', 254, 64], ['jge', 256, 64], ['jge', 255, 64], ['jlt', 0, 64], ['jle', 0, 64], ['jsgt', 255, 64], ['jslt', 0, 64],
    ['jgt', 255, 32], ['jsgt', 255, 32], ['jslt', 0, 32], ['jeq', 256, 64], ['jeq', 255, 64], ['jset', 256, 64], ['jset', 128, 64],
  ];
  for (const [op, k, w] of rangeChecks) {
    const j = w === 64 ? jmp : jmp32;
    P(F, `range-${op}${w}-${k}`, type, [ldx(4, 2, 1, 0), alu64('and', 2, 255), j(op, 2, k, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  }
  P(F, 'alu32-wrap', type, [mov32(2, -1), alu32('add', 2, 1), jmp('jne', 2, 0, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'alu64-upper-zero', type, [mov32(2, -1), jmp('jgt', 2, 0xffffffff & 0x7fffffff, 'ok'), ldx(8, 0, 0, 0), L('ok'), mov(0, 0), exit()]);
  P(F, 'mov32-zext', type, [lddw(2, 1, 1), alu32r('mov', 3, 2), jmp('jne', 3, 1, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'reg-reg-eq-learn', type, [ldx(4, 2, 1, 0), mov(3, 7), jmpr('jne', 2, 3, 'o'), jmp('jeq', 2, 7, 'o'), ldx(8, 0, 0, 0), L('o'), mov(0, 0), exit()]);
  P(F, 'reg-reg-gt-learn', type, [ldx(4, 2, 1, 0), ldx(4, 3, 1, 4), alu64('and', 3, 15), jmpr('jgt', 2, 3, 'o'), jmp('jle', 2, 15, 'o'), ldx(8, 0, 0, 0), L('o'), mov(0, 0), exit()]);
  P(F, 'neg-bounds', type, [ldx(4, 2, 1, 0), alu64('and', 2, 7), I(0x87, 2), jmp('jsgt', 2, 0, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'u32-load-upper', type, [ldx(4, 2, 1, 0), jmp('jgt', 2, 0x7fffffff, 'x'), mov(0, 0), exit(), L('x'), lddw(3, 0, 1), jmpr('jge', 2, 3, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'byte-load-range', type, [ldx(1, 2, 1, 0), jmp('jgt', 2, 255, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'half-load-range', type, [ldx(2, 2, 1, 0), jmp('jgt', 2, 65534, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'rsh-range', type, [ldx(4, 2, 1, 0), alu64('rsh', 2, 28), jmp('jgt', 2, 15, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'or-range', type, [ldx(4, 2, 1, 0), alu64('or', 2, 1), jmp('jeq', 2, 0, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'sub-range', type, [ldx(1, 2, 1, 0), alu64('sub', 2, 1), jmp('jsgt', 2, 254, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'mul-range', type, [ldx(1, 2, 1, 0), alu64('mul', 2, 3), jmp('jgt', 2, 765, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
  P(F, 'div-range', type, [ldx(1, 2, 1, 0), alu64('div', 2, 16), jmp('jgt', 2, 15, 'bad'), mov(0, 0), exit(), L('bad'), ldx(8, 0, 0, 0), exit()]);
}

// 15. mixed: realistic multi-feature programs ---------------------------------
{
  const F = 'mixed';
  const maps = [ARRAY, HASH];
  // Spilled map value pointer, NULL-checked after the fill.
  P(F, 'spill-value-check-after-fill', 'socket_filter', [...lookup(), stx(8, 10, 0, -16), ldx(8, 6, 10, -16), jmp('jeq', 6, 0, 'o'), ldx(8, 0, 6, 0), L('o'), mov(0, 0), exit()], { maps: [HASH] });
  P(F, 'spill-value-nocheck-fill', 'socket_filter', [...lookup(), stx(8, 10, 0, -16), ldx(8, 6, 10, -16), ldx(8, 0, 6, 0), mov(0, 0), exit()], { maps: [HASH] });
  // Caller's stack passed to a subprogram that writes through it.
  P(F, 'callee-writes-caller-stack', 'socket_filter', [movr(1, 10), alu64('add', 1, -8), callLocal('f'), ldx(8, 0, 10, -8), exit(), L('f'), st(8, 1, 0, 5), mov(0, 0), exit()]);
  P(F, 'callee-writes-caller-stack-oob', 'socket_filter', [movr(1, 10), alu64('add', 1, -8), callLocal('f'), ldx(8, 0, 10, -8), exit(), L('f'), st(8, 1, 8, 5), mov(0, 0), exit()]);
  P(F, 'callee-returns-scalar-bound', 'socket_filter', [callLocal('f'), jmp('jgt', 0, 7, 'o'), movr(6, 0), ...lookup(), jmp('jeq', 0, 0, 'o'), alu64r('add', 0, 6), ldx(8, 1, 0, 0), L('o'), mov(0, 0), exit(), L('f'), call(7), alu64('and', 0, 15), exit()], { maps: [ARRAY] });
  P(F, 'callee-returns-scalar-bound-ok', 'socket_filter', [callLocal('f'), movr(6, 0), ...lookup(), jmp('jeq', 0, 0, 'o'), alu64r('add', 0, 6), ldx(8, 1, 0, 0), L('o'), mov(0, 0), exit(), L('f'), call(7), alu64('and', 0, 8), exit()], { maps: [ARRAY] });
  P(F, 'callee-map-lookup', 'socket_filter', [callLocal('f'), jmp('jeq', 0, 0, 'o'), L('o'), mov(0, 0), exit(), L('f'), ...lookup(), exit()], { maps: [HASH] });
  // Packet parsing: ethernet header then IP protocol byte.
  for (const type of ['xdp', 'sched_cls']) {
    const l = type === 'xdp' ? { data: 0, end: 4 } : { data: 76, end: 80 };
    P(F, `${type}-parse-eth-ip`, type, [ldx(4, 2, 1, l.data), ldx(4, 3, 1, l.end), movr(4, 2), alu64('add', 4, 34), jmpr('jgt', 4, 3, 'drop'),
      ldx(2, 5, 2, 12), jmp('jne', 5, 8, 'pass'), ldx(1, 5, 2, 23), jmp('jne', 5, 6, 'pass'), L('drop'), mov(0, 1), exit(), L('pass'), mov(0, 2), exit()]);
    P(F, `${type}-parse-eth-ip-short`, type, [ldx(4, 2, 1, l.data), ldx(4, 3, 1, l.end), movr(4, 2), alu64('add', 4, 23), jmpr('jgt', 4, 3, 'drop'),
      ldx(2, 5, 2, 12), jmp('jne', 5, 8, 'pass'), ldx(1, 5, 2, 23), jmp('jne', 5, 6, 'pass'), L('drop'), mov(0, 1), exit(), L('pass'), mov(0, 2), exit()]);
    P(F, `${type}-var-hdr-len`, type, [ldx(4, 2, 1, l.data), ldx(4, 3, 1, l.end), movr(4, 2), alu64('add', 4, 1), jmpr('jgt', 4, 3, 'o'),
      ldx(1, 5, 2, 0), alu64('and', 5, 0x0f), alu64('lsh', 5, 2), alu64r('add', 2, 5), movr(4, 2), alu64('add', 4, 2), jmpr('jgt', 4, 3, 'o'), ldx(2, 0, 2, 0), L('o'), mov(0, 2), exit()]);
    P(F, `${type}-var-hdr-len-nocheck`, type, [ldx(4, 2, 1, l.data), ldx(4, 3, 1, l.end), movr(4, 2), alu64('add', 4, 1), jmpr('jgt', 4, 3, 'o'),
      ldx(1, 5, 2, 0), alu64('and', 5, 0x0f), alu64('lsh', 5, 2), alu64r('add', 2, 5), ldx(2, 0, 2, 0), L('o'), mov(0, 2), exit()]);
    P(F, `${type}-loop-over-bytes`, type, [ldx(4, 2, 1, l.data), ldx(4, 3, 1, l.end), mov(0, 0), mov(6, 0), L('top'), movr(4, 2), alu64('add', 4, 1), jmpr('jgt', 4, 3, 'done'),
      ldx(1, 5, 2, 0), alu64r('add', 0, 5), alu64('add', 2, 1), alu64('add', 6, 1), jmp('jlt', 6, 16, 'top'), L('done'), alu64('and', 0, 1), exit()]);
  }
  // Counters in a map value with atomics, keyed by a ctx field masked into range.
  P(F, 'percpu-counter', 'socket_filter', [ldx(4, 6, 1, 0), alu64('and', 6, 3), stx(4, 10, 6, -4), movr(2, 10), alu64('add', 2, -4), ldmap(1, 0), call(1), jmp('jeq', 0, 0, 'o'), mov(1, 1), I(0xdb, 0, 1, 8, 0), L('o'), mov(0, 0), exit()], { maps });
  P(F, 'counter-key-out-of-range-still-null', 'socket_filter', [st(4, 10, -4, 9), movr(2, 10), alu64('add', 2, -4), ldmap(1, 0), call(1), ldx(8, 1, 0, 0), mov(0, 0), exit()], { maps });
  P(F, 'array-const-key-1', 'socket_filter', [mov(1, 1), stx(8, 10, 1, -8), movr(2, 10), alu64('add', 2, -8), ldmap(1, 0), call(1), ldx(8, 1, 0, 0), mov(0, 0), exit()], { maps });
  // Helpers writing to the stack then reading it back.
  P(F, 'comm-then-read', 'kprobe', [movr(1, 10), alu64('add', 1, -16), mov(2, 16), call(16), ldx(8, 0, 10, -16), exit()]);
  P(F, 'probe-read-var-size', 'kprobe', [ldx(8, 2, 1, 0), alu64('and', 2, 15), movr(1, 10), alu64('add', 1, -16), mov(3, 0), call(113), mov(0, 0), exit()]);
  P(F, 'probe-read-var-size-over', 'kprobe', [ldx(8, 2, 1, 0), alu64('and', 2, 31), movr(1, 10), alu64('add', 1, -16), mov(3, 0), call(113), mov(0, 0), exit()]);
  P(F, 'probe-read-to-mapval', 'kprobe', [...lookup(), jmp('jeq', 0, 0, 'o'), movr(1, 0), mov(2, 16), mov(3, 0), call(113), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'probe-read-to-mapval-over', 'kprobe', [...lookup(), jmp('jeq', 0, 0, 'o'), movr(1, 0), mov(2, 17), mov(3, 0), call(113), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'perf-output-from-mapval', 'kprobe', [...lookup(), jmp('jeq', 0, 0, 'o'), movr(4, 0), mov(1, 0), ldx(8, 1, 10, -8), mov(5, 16), lddw(3, 0xffffffff, 0), ldmap(2, 1), movr(1, 6), mov(0, 0), L('o'), mov(0, 0), exit()], { maps: [ARRAY, PERF] });
  // JMP32 bounds feeding map-value indexing.
  P(F, 'jmp32-index', 'socket_filter', [...lookup(), jmp('jeq', 0, 0, 'o'), ldx(4, 2, 0, 0), jmp32('jge', 2, 8, 'o'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'jmp32-index-signed', 'socket_filter', [...lookup(), jmp('jeq', 0, 0, 'o'), ldx(4, 2, 0, 0), jmp32('jsgt', 2, 8, 'o'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'linked-copy-bound', 'socket_filter', [...lookup(), jmp('jeq', 0, 0, 'o'), ldx(8, 2, 0, 0), movr(3, 2), jmp('jgt', 3, 8, 'o'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'linked-copy-modified', 'socket_filter', [...lookup(), jmp('jeq', 0, 0, 'o'), ldx(8, 2, 0, 0), movr(3, 2), alu64('add', 3, 1), jmp('jgt', 3, 8, 'o'), alu64r('add', 0, 2), ldx(8, 1, 0, 0), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  P(F, 'spilled-scalar-linked', 'socket_filter', [...lookup(), jmp('jeq', 0, 0, 'o'), ldx(8, 2, 0, 0), stx(8, 10, 2, -16), jmp('jgt', 2, 8, 'o'), ldx(8, 3, 10, -16), alu64r('add', 0, 3), ldx(8, 1, 0, 0), L('o'), mov(0, 0), exit()], { maps: [ARRAY] });
  // Tail call then fall back.
  P(F, 'tail-call-fallback', 'sched_cls', [movr(6, 1), ldmap(2, 0), mov(3, 1), call(12), ldx(4, 0, 6, 0), exit()], { maps: [PROG_ARRAY] });
  P(F, 'tail-call-r1-clobbered', 'sched_cls', [ldmap(2, 0), mov(3, 1), call(12), ldx(4, 0, 1, 0), exit()], { maps: [PROG_ARRAY] });
  // Ringbuf record filled from the stack, submitted on every path.
  P(F, 'ringbuf-both-paths', 'kprobe', [ldmap(1, 0), mov(2, 16), mov(3, 0), call(131), jmp('jeq', 0, 0, 'o'), movr(6, 0), call(7), jmp('jgt', 0, 100, 'd'), movr(1, 6), mov(2, 0), call(132), ja('o'), L('d'), movr(1, 6), mov(2, 0), call(133), L('o'), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-one-path-leak', 'kprobe', [ldmap(1, 0), mov(2, 16), mov(3, 0), call(131), jmp('jeq', 0, 0, 'o'), movr(6, 0), call(7), jmp('jgt', 0, 100, 'o'), movr(1, 6), mov(2, 0), call(132), L('o'), mov(0, 0), exit()], { maps: [RINGBUF] });
  P(F, 'ringbuf-use-after-submit', 'kprobe', [ldmap(1, 0), mov(2, 16), mov(3, 0), call(131), jmp('jeq', 0, 0, 'o'), movr(6, 0), movr(1, 0), mov(2, 0), call(132), st(8, 6, 0, 1), L('o'), mov(0, 0), exit()], { maps: [RINGBUF] });
}

// 16. callbacks (bpf_loop, bpf_for_each_map_elem with BTF func_info) and map-in-map ------------
{
  const F = 'callbacks';
  const HASH8 = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
  const AOM = { type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, inner: HASH8 };
  const HOM = { type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, inner: ARRAY };
  const loop = (ctx, cb, type = 'xdp', opts = { btf: true }, retv = 2) => P(F, cb.name, type, [
    ...ctx, mov(1, 4), ldfunc(2, 'cb'), mov(4, 0), call(181), ...(cb.after ?? []), mov(0, retv), exit(), L('cb'), ...cb.body], opts);
  const noCtx = [mov(3, 0)];
  const stackCtx = [st(8, 10, -8, 0), movr(3, 10), alu64('add', 3, -8)];
  loop(noCtx, { name: 'loop-ok', body: [mov(0, 0), exit()] });
  loop(noCtx, { name: 'loop-no-btf', body: [mov(0, 0), exit()] }, 'xdp', {});
  loop(noCtx, { name: 'loop-cb-ret-1', body: [mov(0, 1), exit()] });
  loop(noCtx, { name: 'loop-cb-ret-2', body: [mov(0, 2), exit()] });
  loop(noCtx, { name: 'loop-cb-ret-index', body: [movr(0, 1), exit()] });
  loop(noCtx, { name: 'loop-cb-ret-index-masked', body: [movr(0, 1), alu64('and', 0, 1), exit()] });
  loop(noCtx, { name: 'loop-cb-ret-ptr', body: [movr(0, 10), exit()] });
  loop(noCtx, { name: 'loop-cb-no-r0', body: [exit()] });
  loop(noCtx, { name: 'loop-cb-reads-r3', body: [movr(0, 3), mov(0, 0), exit()] });
  loop(noCtx, { name: 'loop-cb-null-ctx-deref', body: [ldx(8, 0, 2, 0), mov(0, 0), exit()] });
  loop(stackCtx, { name: 'loop-ctx-sum', body: [ldx(8, 3, 2, 0), alu64r('add', 3, 1), stx(8, 2, 3, 0), mov(0, 0), exit()] });
  loop(stackCtx, { name: 'loop-ctx-count', body: [ldx(8, 3, 2, 0), alu64('add', 3, 1), stx(8, 2, 3, 0), mov(0, 0), exit()] });
  loop(stackCtx, { name: 'loop-ctx-oob-read', body: [ldx(8, 0, 2, 8), mov(0, 0), exit()] });
  loop(stackCtx, { name: 'loop-ctx-write-ptr', body: [stx(8, 2, 10, 0), mov(0, 0), exit()] });
  loop(stackCtx, { name: 'loop-ctx-own-stack', body: [st(8, 10, -16, 1), ldx(8, 0, 10, -16), mov(0, 0), exit()] });
  loop(stackCtx, { name: 'loop-counter-unchecked-index', body: [ldx(8, 3, 2, 0), alu64('add', 3, 1), stx(8, 2, 3, 0), mov(0, 0), exit()],
    after: [ldx(8, 2, 10, -8), movr(3, 10), alu64r('add', 3, 2), ldx(1, 0, 3, -16)] });
  loop(stackCtx, { name: 'loop-counter-checked-index', body: [ldx(8, 3, 2, 0), alu64('add', 3, 1), stx(8, 2, 3, 0), mov(0, 0), exit()],
    after: [st(8, 10, -16, 0), ldx(8, 2, 10, -8), jmp('jgt', 2, 7, 'skip'), movr(3, 10), alu64r('add', 3, 2), ldx(1, 0, 3, -16), L('skip')] });
  loop(noCtx, { name: 'loop-nested', body: [mov(1, 2), ldfunc(2, 'cb2'), mov(3, 0), mov(4, 0), call(181), mov(0, 0), exit(), L('cb2'), mov(0, 0), exit()] });
  loop(noCtx, { name: 'loop-cb-calls-helper', body: [call(5), mov(0, 0), exit()] }, 'kprobe');
  loop(noCtx, { name: 'loop-socket-filter', body: [mov(0, 0), exit()] }, 'socket_filter', { btf: true }, 0);
  P(F, 'loop-r2-not-func', 'xdp', [mov(1, 4), mov(2, 0), mov(3, 0), mov(4, 0), call(181), mov(0, 2), exit()], { btf: true });
  P(F, 'loop-ldfunc-no-call', 'xdp', [ldfunc(2, 'cb'), mov(0, 2), exit(), L('cb'), mov(0, 0), exit()], { btf: true });
  const each = (name, body, maps = [HASH8]) => P(F, name, 'xdp', [ldmap(1, 0), ldfunc(2, 'cb'), mov(3, 0), mov(4, 0), call(164), mov(0, 2), exit(), L('cb'), ...body], { btf: true, maps });
  each('each-elem-ok', [mov(0, 0), exit()]);
  each('each-elem-read-value', [ldx(8, 0, 3, 0), mov(0, 0), exit()]);
  each('each-elem-value-oob', [ldx(8, 0, 3, 8), mov(0, 0), exit()]);
  each('each-elem-read-key', [ldx(4, 0, 2, 0), mov(0, 0), exit()]);
  each('each-elem-key-oob', [ldx(4, 0, 2, 4), mov(0, 0), exit()]);
  each('each-elem-write-value', [st(8, 3, 0, 1), mov(0, 0), exit()]);
  each('each-elem-ret-2', [mov(0, 2), exit()]);
  each('each-elem-array', [ldx(8, 0, 3, 8), mov(0, 0), exit()], [ARRAY]);
  // map-in-map: the lookup gives the inner map (map_ptr or NULL)
  const outer = [st(4, 10, -4, 0), movr(2, 10), alu64('add', 2, -4), ldmap(1, 0), call(1)];
  const inner = [movr(1, 0), movr(2, 10), alu64('add', 2, -4), call(1)];
  P(F, 'mim-lookup-inner', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), ...inner, L('o'), mov(0, 2), exit()], { maps: [AOM] });
  P(F, 'mim-no-null-check', 'xdp', [...outer, ...inner, mov(0, 2), exit()], { maps: [AOM] });
  P(F, 'mim-inner-value', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), ...inner, jmp('jeq', 0, 0, 'o'), ldx(8, 1, 0, 0), L('o'), mov(0, 2), exit()], { maps: [AOM] });
  P(F, 'mim-inner-value-oob', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), ...inner, jmp('jeq', 0, 0, 'o'), ldx(8, 1, 0, 8), L('o'), mov(0, 2), exit()], { maps: [AOM] });
  P(F, 'mim-inner-value-no-check', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), ...inner, ldx(8, 1, 0, 0), L('o'), mov(0, 2), exit()], { maps: [AOM] });
  P(F, 'mim-hash-of-maps', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), ...inner, jmp('jeq', 0, 0, 'o'), ldx(8, 1, 0, 8), L('o'), mov(0, 2), exit()], { maps: [HOM] });
  P(F, 'mim-hash-of-maps-oob', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), ...inner, jmp('jeq', 0, 0, 'o'), ldx(8, 1, 0, 16), L('o'), mov(0, 2), exit()], { maps: [HOM] });
  P(F, 'mim-write-inner-ptr', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), st(8, 0, 0, 1), L('o'), mov(0, 2), exit()], { maps: [AOM] });
  P(F, 'mim-inner-as-value', 'xdp', [...outer, jmp('jeq', 0, 0, 'o'), movr(1, 0), movr(2, 10), alu64('add', 2, -4), movr(3, 10), alu64('add', 3, -4), mov(4, 0), call(2), L('o'), mov(0, 2), exit()], { maps: [AOM] });
}

const out = join(root, 'test', 'fixtures', 'verifier');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'corpus.json'), JSON.stringify(corpus, null, 0).replace(/\},\{/g, '},\n{') + '\n');
const fam = {};
for (const p of corpus) fam[p.family] = (fam[p.family] ?? 0) + 1;
console.log(`${corpus.length} programs`, fam);
