// Unit tests of the JIT: traps and their pcs, regions, budget, calls, packets, batch, helpers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ExecutionError, EbpfError, DiagnosticCode } from '../src/diagnostics/index.js';
import { compileProgram, instantiate, MAX_JIT_SLOTS } from '../src/jit/index.js';
import { PROGRAM_TYPES } from '../src/programs/context.js';
import { machine, prog } from './jit-asm.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function trapOf(fn: () => unknown): ExecutionError {
  try { fn(); } catch (e) {
    if (e instanceof ExecutionError) return e;
    throw e;
  }
  throw new Error('expected a trap');
}

test('mov/exit and the full 64-bit r0', () => {
  const m = machine();
  assert.is(m.jit(prog(['lddw', { dst: 0, imm: -1, immHi: 0x7fffffff }], ['exit'])).run(), 0x7fffffffffffffffn);
  assert.is(m.jit(prog(['mov_imm', { dst: 0, imm: -2 }], ['exit'])).run(), 0xfffffffffffffffen);
  assert.is(m.jit(prog(['mov_reg', { dst: 0, src: 1 }], ['add_reg', { dst: 0, src: 2 }], ['exit'])).run(40n, 2n), 42n);
});

test('memory outside every region traps with EW3001 and the pc', () => {
  const m = machine();
  const p = prog(['mov_imm', { dst: 0, imm: 0 }], ['ldxdw', { dst: 0, src: 1, off: 0 }], ['exit']);
  const e = trapOf(() => m.jit(p).run(0));
  assert.is(e.code, DiagnosticCode.MemoryAccessViolation);
  assert.is(e.pc, 1);
});

test('stack region: all eight frames below r10, nothing at or above it', () => {
  const m = machine();
  const at = (off: number, name = 'stxdw') => m.jit(prog([name, { dst: 10, src: 1, off }], ['mov_imm', { dst: 0, imm: 1 }], ['exit']));
  assert.is(at(-8).run(7n), 1n);
  assert.is(at(-4096).run(7n), 1n);
  assert.is(trapOf(() => at(-4097).run(7n)).code, DiagnosticCode.MemoryAccessViolation);
  assert.is(trapOf(() => at(0).run(7n)).code, DiagnosticCode.MemoryAccessViolation);
  assert.is(trapOf(() => at(-4).run(7n)).code, DiagnosticCode.MemoryAccessViolation); // straddles the top
  assert.is(at(-1, 'stxb').run(7n), 1n);
});

test('budget: charged per basic block on entry, trap names the block leader', () => {
  const m = machine();
  // 0: mov r0,0 | 1: add r0,1 ; 2: ja -2   (blocks: [0] n=1, [1,2] n=2)
  const p = prog(['mov_imm', { dst: 0, imm: 0 }], ['add_imm', { dst: 0, imm: 1 }], ['ja', { off: -2 }]);
  const inst = m.jit(p, { budget: 10 });
  const e = trapOf(() => inst.run());
  assert.is(e.code, DiagnosticCode.InstructionBudgetExhausted);
  assert.is(e.pc, 1);
  assert.is(inst.remaining(), 1n); // 1 + 2*4 = 9 executed
  const q = m.jit(prog(['mov_imm', { dst: 0, imm: 3 }], ['exit']), { budget: 2 });
  assert.is(q.run(), 3n);
  assert.is(q.remaining(), 0n);
  q.setBudget(1);
  assert.is(trapOf(() => q.run()).pc, 0);
});

test('local calls: r10 moves down 512 per frame, r6-r9 survive, eight frames at most', () => {
  const m = machine();
  // 0: mov r6, 5 ; 1: call local +2 (-> 4) ; 2: add r0, r6 ; 3: exit ; 4: mov r6, 9 ; 5: mov r0, r10 ; 6: exit
  const p = prog(['mov_imm', { dst: 6, imm: 5 }], ['call local', { imm: 2 }], ['add_reg', { dst: 0, src: 6 }], ['exit'],
    ['mov_imm', { dst: 6, imm: 9 }], ['mov_reg', { dst: 0, src: 10 }], ['exit']);
  const inst = m.jit(p);
  assert.is(inst.run(), BigInt(inst.area.stackTop - 512 + 5));
  const rec = prog(['call local', { imm: -1 }], ['exit']);
  const e = trapOf(() => m.jit(rec).run());
  assert.is(e.code, DiagnosticCode.CallDepthExceeded);
  assert.is(e.pc, 0);
});

test('falling off the end (pc = slot count); jumps outside the program are rejected before running', () => {
  const m = machine();
  const fell = trapOf(() => m.jit(prog(['mov_imm', { dst: 0, imm: 1 }], ['lddw', { dst: 1, imm: 1 }])).run());
  assert.is([fell.code, fell.pc].join(), [DiagnosticCode.FellOffEnd, 3].join());
  const e = trapOf(() => m.jit(prog(['mov_imm', { dst: 0, imm: 1 }], ['jeq_imm', { dst: 0, imm: 0, off: 1 }], ['exit'], ['lddw', { dst: 1, imm: 1 }], ['ja', { off: -2 }])));
  assert.is(e.code, DiagnosticCode.JumpOutOfRange);
  assert.is(e.pc, 5);
});

test('unknown helpers trap only when reached', () => {
  const m = machine();
  const p = prog(['mov_imm', { dst: 0, imm: 7 }], ['jeq_imm', { dst: 1, imm: 0, off: 1 }], ['call', { imm: 1 }], ['exit']);
  const inst = m.jit(p);
  assert.is(inst.run(0), 7n);
  const e = trapOf(() => inst.run(1));
  assert.is(e.code, DiagnosticCode.UnknownHelper);
  assert.is(e.pc, 2);
});

test('js helpers get u64 arguments, r1-r5 survive the call; callx dispatches by id', () => {
  const m = machine();
  m.helpers.register('bpf_get_prandom_u32', { js: (_rt, r1, r2) => r1 + r2 });
  const p = prog(['call', { imm: 7 }], ['add_reg', { dst: 0, src: 1 }], ['exit']);
  assert.is(m.jit(p).run(-1n, 3n), 2n + 0xffffffffffffffffn & 0xffffffffffffffffn);
  const x = prog(['mov_imm', { dst: 3, imm: 7 }], ['callx', { dst: 3 }], ['exit']);
  assert.is(m.jit(x).run(1n, 2n), 3n);
  const bad = prog(['mov_imm', { dst: 3, imm: 99999 }], ['callx', { dst: 3 }], ['exit']);
  assert.is(trapOf(() => m.jit(bad).run()).code, DiagnosticCode.UnknownHelper);
  try { m.jit(x, { verified: true }); assert.unreachable(); } catch (e) { assert.is((e as EbpfError).code, DiagnosticCode.JitUnsupported); }
});

test('traps without a pc of their own name the eBPF pc (verified and sandboxed): wasm traps, helper errors, kernel traps', () => {
  const m = machine();
  // verified code has no region checks: an access past the memory's end is a wasm trap (pc 3, a folded offset)
  const far = prog(['mov_imm', { dst: 0, imm: 0 }], ['mov_imm', { dst: 1, imm: 0x7ffffff0 }], ['add_imm', { dst: 0, imm: 1 }],
    ['ldxdw', { dst: 0, src: 1, off: 8 }], ['exit']);
  for (const opts of [{ verified: true, budget: false as const }, { verified: true }, { unverified: true }]) {
    const e = trapOf(() => m.jit(far, opts).run());
    assert.is(e.code, DiagnosticCode.MemoryAccessViolation);
    assert.is(e.pc, 3, JSON.stringify(opts));
  }
  // a js helper's error without a pc gets the call's; other errors pass through as they are
  m.helpers.register('bpf_get_prandom_u32', { js: (_rt, r1) => { if (r1 === 1n) throw new ExecutionError('HelperFault', -1, 'boom'); throw new RangeError('plain'); } });
  const call = prog(['mov_imm', { dst: 0, imm: 0 }], ['ja', { off: 0 }], ['call', { imm: 7 }], ['exit']);
  for (const opts of [{ verified: true, budget: false as const }, { unverified: true }]) {
    const e = trapOf(() => m.jit(call, opts).run(1n));
    assert.equal([e.code, e.pc, e.message], [DiagnosticCode.HelperFault, 2, 'EW3008: pc 2: boom'], JSON.stringify(opts));
    try { m.jit(call, opts).run(2n); assert.unreachable(); } catch (x) { assert.instance(x, RangeError); }
  }
  // a kernel helper (wasm) that traps: the frame of the call site names pc 1
  const trapping = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7e, 0x01, 0x7f, // (i32, i64) -> i32
    0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x6b, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b, // "k": unreachable
  ]))).exports as { k: (a: number, b: bigint) => number };
  m.helpers.register('bpf_map_lookup_elem', { kernel: { export: 'k', params: ['i32', 'i64'], result: 'i32' } });
  const k = prog(['mov_imm', { dst: 0, imm: 0 }], ['call', { imm: 1 }], ['exit']);
  for (const opts of [{ verified: true, budget: false as const }, { unverified: true }]) {
    const c = compileProgram(k, { helpers: m.helpers, layout: m.layout, ...opts });
    const inst = instantiate(c, { memory: m.memory, layout: m.layout, helpers: m.helpers, kernels: { k: trapping.k } });
    const e = trapOf(() => inst.run());
    assert.is(e.pc, 1, JSON.stringify(opts));
  }
});

test('kernel helpers are direct imports with their i32/i64 signature', () => {
  const m = machine();
  m.helpers.register('bpf_map_lookup_elem', { kernel: { export: 'lookup', params: ['i32', 'i64'], result: 'i32' } });
  const p = prog(['call', { imm: 1 }], ['exit']);
  const c = compileProgram(p, { helpers: m.helpers, layout: m.layout });
  assert.equal(c.manifest.helpers.map((h) => [h.kind, h.base]), [['kernel', 'lookup']]);
  const { instantiate } = { instantiate: (cc: typeof c) => import('../src/jit/runtime.js').then((r) => r.instantiate(cc, { memory: m.memory, layout: m.layout, kernels: { lookup: (a: number, b: bigint) => a - Number(b) } })) };
  return instantiate(c).then((inst) => {
    assert.is(inst.run(5, 7), 0xfffffffffffffffen); // i32 -2 sign-extended
  });
});

test('ld_abs/ld_ind read network order; out of the packet the program returns 0', () => {
  const m = machine();
  const inst = m.jit(prog(['mov_imm', { dst: 0, imm: 9 }], ['mov_imm', { dst: 6, imm: 1 }], ['ldabsh', { imm: 1 }], ['mov_reg', { dst: 7, src: 0 }],
    ['ldindw', { src: 6, imm: -1 }], ['lsh_imm', { dst: 7, imm: 32 }], ['or_reg', { dst: 0, src: 7 }], ['ldabsb', { imm: 4 }], ['exit']));
  const data = inst.area.packetData;
  m.bytes().set([0x12, 0x34, 0x56, 0x78, 0x9a], data);
  inst.setRegions({ data: { start: data, end: data + 5 } });
  assert.is(inst.run(data, 5), 0x9an);
  inst.setRegions({ data: { start: data, end: data + 4 } });
  assert.is(inst.run(data, 4), 0n);
  const two = m.jit(prog(['ldabsh', { imm: 1 }], ['mov_reg', { dst: 7, src: 0 }], ['ldindw', { src: 6, imm: 0 }], ['lsh_imm', { dst: 7, imm: 32 }], ['or_reg', { dst: 0, src: 7 }], ['exit']));
  two.setRegions({ data: { start: data, end: data + 5 } });
  assert.is(two.run(), 0x0000345612345678n);
});

test('may_goto: 8M iterations per frame, then the jump is taken', () => {
  const m = machine();
  // 0: mov r0,0 ; 1: may_goto +2 ; 2: add r0,1 ; 3: ja -3 ; 4: exit
  const p = prog(['mov_imm', { dst: 0, imm: 0 }], ['may_goto', { off: 2 }], ['add_imm', { dst: 0, imm: 1 }], ['ja', { off: -3 }], ['exit']);
  assert.is(m.jit(p, { budget: 100_000_000 }).run(), BigInt(8 * 1024 * 1024));
});

test('irreducible control flow (a loop with two entries) compiles and runs', () => {
  const m = machine();
  const p = prog(
    ['mov_imm', { dst: 0, imm: 0 }], ['jeq_imm', { dst: 1, imm: 0, off: 2 }],
    ['add_imm', { dst: 0, imm: 1 }], ['jgt_imm', { dst: 0, imm: 20, off: 3 }],
    ['add_imm', { dst: 0, imm: 2 }], ['jgt_imm', { dst: 0, imm: 20, off: 1 }], ['ja', { off: -5 }],
    ['exit']);
  const ref = (r1: number) => {
    let r0 = 0, at = r1 === 0 ? 'B' : 'A';
    for (;;) {
      if (at === 'A') { r0 += 1; if (r0 > 20) return r0; at = 'B'; } else { r0 += 2; if (r0 > 20) return r0; at = 'A'; }
    }
  };
  const inst = m.jit(p);
  assert.is(inst.run(0), BigInt(ref(0)));
  assert.is(inst.run(1), BigInt(ref(1)));
});

test('atomics: natural alignment, fetch forms, cmpxchg', () => {
  const m = machine();
  const mis = prog(['mov_imm', { dst: 1, imm: 1 }], ['lock add', { dst: 10, src: 1, off: -12 }], ['exit']);
  const e = trapOf(() => m.jit(mis).run());
  assert.is([e.code, e.pc].join(), [DiagnosticCode.MemoryAccessViolation, 1].join());
  const p = prog(
    ['stdw', { dst: 10, off: -8, imm: 10 }], ['mov_imm', { dst: 1, imm: 5 }], ['lock fetch add', { dst: 10, src: 1, off: -8 }],
    ['mov_imm', { dst: 0, imm: 15 }], ['mov_imm', { dst: 2, imm: 99 }], ['lock cmpxchg', { dst: 10, src: 2, off: -8 }],
    ['ldxdw', { dst: 3, src: 10, off: -8 }], ['lsh_imm', { dst: 1, imm: 16 }], ['lsh_imm', { dst: 0, imm: 8 }],
    ['add_reg', { dst: 0, src: 1 }], ['add_reg', { dst: 0, src: 3 }], ['exit']);
  assert.is(m.jit(p).run(), (10n << 16n) + (15n << 8n) + 99n);
});

test('shared memory: imported with the same limits, atomics are real wasm atomics', () => {
  const m = machine({ packetCapacity: 4096, heapBytes: 65536, shared: true, maxBytes: 16 * 1024 * 1024 });
  assert.ok(m.memory.buffer instanceof SharedArrayBuffer);
  const p = prog(['stdw', { dst: 10, off: -8, imm: 40 }], ['mov_imm', { dst: 1, imm: 2 }], ['lock fetch add', { dst: 10, src: 1, off: -8 }],
    ['ldxdw', { dst: 0, src: 10, off: -8 }], ['add_reg', { dst: 0, src: 1 }], ['exit']);
  assert.is(m.jit(p).run(), 82n);
});

test('verified code skips region checks', () => {
  const m = machine();
  const p = prog(['ldxb', { dst: 0, src: 1, off: 0 }], ['exit']);
  m.bytes()[m.layout.areas[0]!.kobj] = 0x5a;
  assert.is(m.jit(p, { verified: true }).run(m.layout.areas[0]!.kobj), 0x5an);
  assert.is(trapOf(() => m.jit(p).run(m.layout.areas[0]!.kobj)).code, DiagnosticCode.MemoryAccessViolation);
});

test('heap region follows memory.grow', () => {
  const m = machine();
  const p = prog(['stb', { dst: 1, off: 0, imm: 1 }], ['mov_imm', { dst: 0, imm: 2 }], ['exit']);
  const inst = m.jit(p);
  const end = m.memory.buffer.byteLength;
  assert.is(inst.run(end - 1), 2n);
  assert.is(trapOf(() => inst.run(end)).code, DiagnosticCode.MemoryAccessViolation);
  m.memory.grow(1);
  assert.is(inst.run(end), 2n);
  assert.is(m.bytes()[end], 1);
});

test('runBatch: XDP context per packet; ld_abs failure gives 0 and the batch continues', () => {
  const m = machine();
  const xdp = PROGRAM_TYPES.xdp!.context!;
  const f = (n: string) => xdp.fields.find((x) => x.name === n)!.offset;
  // r0 = (data_end - data) * 256 + first byte
  const p = prog(['ldxw', { dst: 2, src: 1, off: f('data') }], ['ldxw', { dst: 3, src: 1, off: f('data_end') }],
    ['mov_reg', { dst: 0, src: 3 }], ['sub_reg', { dst: 0, src: 2 }], ['lsh_imm', { dst: 0, imm: 8 }],
    ['ldxb', { dst: 4, src: 2, off: 0 }], ['add_reg', { dst: 0, src: 4 }], ['exit']);
  const inst = m.jit(p, { programType: 'xdp' });
  inst.setRegions({ ctx: { start: inst.area.ctx, end: inst.area.ctx + xdp.size } });
  const base = m.layout.heapBase;
  const pairs: number[] = [];
  for (let i = 0; i < 1000; i++) { m.bytes()[base + i * 64] = i & 0xff; pairs.push(base + i * 64, 1 + (i % 60)); }
  const res = inst.runBatch(Int32Array.from(pairs));
  for (let i = 0; i < 1000; i++) assert.is(res[i], (1 + (i % 60)) * 256 + (i & 0xff));
  const raw = m.jit(prog(['ldabsb', { imm: 2 }], ['exit']), { batch: true });
  const out = raw.runBatch(Int32Array.from([base, 3, base, 2, base + 64, 3]));
  assert.equal([...out], [m.bytes()[base + 2], 0, m.bytes()[base + 66]]);
});

test('runU32 sees regions set just before it', () => {
  const m = machine();
  const inst = m.jit(prog(['ldxb', { dst: 0, src: 1, off: 0 }], ['exit']));
  const data = inst.area.packetData;
  m.bytes()[data] = 77;
  inst.setRegions({ data: { start: data, end: data + 1 } });
  assert.is(inst.runU32(data), 77);
  assert.is(trapOf(() => inst.runU32(data + 1)).code, DiagnosticCode.MemoryAccessViolation);
});

test('compilations are cached by program hash and options', () => {
  const m = machine();
  const p = prog(['mov_imm', { dst: 0, imm: 1 }], ['exit']);
  const a = compileProgram(p, { helpers: m.helpers, layout: m.layout });
  assert.is(compileProgram(prog(['mov_imm', { dst: 0, imm: 1 }], ['exit']), { helpers: m.helpers, layout: m.layout }), a);
  assert.is.not(compileProgram(p, { helpers: m.helpers, layout: m.layout, verified: true }), a);
});

test('long programs: many jumps into one block, long chains (no quadratic time, no stack overflow)', () => {
  const m = machine();
  const n = 20000;
  const toEnd = Array.from({ length: n }, (_, i) => ['jgt_imm', { dst: 1, imm: i, off: n - i }] as const);
  const t0 = Date.now();
  const a = m.jit(prog(['mov_imm', { dst: 0, imm: 5 }], ...toEnd, ['mov_imm', { dst: 0, imm: 6 }], ['exit']), { budget: 10 * n });
  assert.is(a.run(0), 6n);
  assert.is(a.run(n + 1), 5n);
  const chain = Array.from({ length: n }, () => ['jeq_imm', { dst: 1, imm: 0, off: 0 }] as const);
  const b = m.jit(prog(['mov_imm', { dst: 0, imm: 7 }], ...chain, ['exit']), { budget: 10 * n });
  assert.is(b.run(0), 7n);
  assert.ok(Date.now() - t0 < 20000, `took ${Date.now() - t0} ms`);
});

test('programs beyond the JIT limit fail with EW7002', () => {
  const items = Array.from({ length: MAX_JIT_SLOTS }, () => ['mov_imm', { dst: 0, imm: 1 }] as const);
  try {
    compileProgram(prog(...items, ['exit']));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, EbpfError);
    assert.is((e as EbpfError).code, DiagnosticCode.JitTooLarge);
  }
});

test('the runtime never loads Binaryen (compiler and runtime apart)', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)) {
      if (m[1]) continue; // type-only imports vanish at run time
      const spec = m[2]!;
      assert.ok(spec.startsWith('.'), `${file} imports ${spec}`);
      visit(join(dirname(file), spec.replace(/\.js$/, '.ts')));
    }
  };
  visit(join(root, 'src', 'jit', 'runtime.ts'));
  assert.ok([...seen].every((f) => !f.endsWith('binaryen.ts')));
  assert.ok(seen.size >= 3);
});

test.run();
