// Seeded fuzzing: random bytes and mutated corpus programs never crash or hang
// the verifier; every outcome is a verdict (with a pc and message on rejection).
// A longer run: FUZZ_SCALE=N multiplies the counts, FUZZ_SEED=S changes the seeds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify, type VerifierMap } from '../src/verifier/index.js';
import type { ProgramTypeName } from '../src/programs/types.js';
import { bpfProgLoad } from '../src/runtime/prog-load.js';

interface Entry { name: string; type: ProgramTypeName; license: string; maps: VerifierMap[]; hex: string; funcInfo?: number[] }
const corpus: Entry[] = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'verifier', 'corpus.json'), 'utf8'));
const bytesOf = (hex: string): Uint8Array => new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));

/** xorshift32: deterministic across runs. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
}
const TYPES: ProgramTypeName[] = ['socket_filter', 'sched_cls', 'xdp', 'kprobe', 'tracepoint', 'raw_tracepoint', 'cgroup_skb'];
const MAPS: VerifierMap[] = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 }, { type: 'array', keySize: 4, valueSize: 16, maxEntries: 4 }];
// Small budgets keep each run short; the point is the absence of crashes and hangs.
const LIMIT = 20000;
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? 0);

function check(bytes: Uint8Array, type: ProgramTypeName, maps: VerifierMap[], logLevel: number, unprivileged: boolean, funcInfo?: number[]): void {
  const r = verify(bytes, { type, maps, logLevel, unprivileged, insnLimit: LIMIT, funcInfo: funcInfo?.map((insnOff) => ({ insnOff })) });
  assert.type(r.ok, 'boolean');
  if (!r.ok) {
    assert.type(r.error!.pc, 'number');
    assert.ok(r.error!.message.length > 0);
  }
}

test('random byte strings', () => {
  const next = rng(0xc0ffee + SEED);
  for (let i = 0; i < 1500 * SCALE; i++) {
    const slots = 1 + (next() % 24);
    const b = new Uint8Array(slots * 8);
    for (let j = 0; j < b.length; j++) b[j] = next() & 0xff;
    // Bias towards valid-looking instructions: small registers, exits at the end.
    for (let s = 0; s < slots; s++) if (next() % 2) b[s * 8 + 1]! &= 0x77;
    if (next() % 2) b.set([0x95, 0, 0, 0, 0, 0, 0, 0], (slots - 1) * 8);
    check(b, TYPES[next() % TYPES.length]!, MAPS, next() % 8, next() % 4 === 0);
  }
});

test('mutated corpus programs', () => {
  const next = rng(42 + SEED);
  for (let i = 0; i < 2500 * SCALE; i++) {
    const p = corpus[next() % corpus.length]!;
    const b = bytesOf(p.hex);
    const flips = 1 + (next() % 3);
    for (let k = 0; k < flips; k++) {
      const at = next() % b.length;
      b[at] = next() % 3 === 0 ? b[at]! ^ (1 << (next() % 8)) : next() & 0xff;
    }
    check(b, p.type, p.maps, next() % 4 === 0 ? 7 : 0, next() % 5 === 0, p.funcInfo);
  }
});

test('mutated callback programs and random BPF_PROG_LOAD attributes', () => {
  const next = rng(7 + SEED);
  const withBtf = corpus.filter((p) => p.funcInfo);
  for (let i = 0; i < 600 * SCALE; i++) {
    const p = withBtf[next() % withBtf.length]!;
    const b = bytesOf(p.hex);
    for (let k = 1 + (next() % 2); k > 0; k--) b[next() % b.length] = next() & 0xff;
    const size = [0, 1, 2, 16, 64, 4096][next() % 6]!;
    const r = bpfProgLoad({
      progType: next() % 8 ? p.type : next() % 40, insns: next() % 10 ? b : b.subarray(0, b.length - 3), license: p.license,
      logLevel: next() % 20, ...(next() % 3 ? { logBuf: new Uint8Array(size + (next() % 2)) } : {}), logSize: size,
      progFlags: next() % 4 ? 0 : 1 << (next() % 18), maps: p.maps,
      funcInfo: next() % 4 ? p.funcInfo!.map((insnOff) => ({ insnOff: next() % 6 ? insnOff : next() % 40 })) : undefined,
    });
    assert.type(r.ok, 'boolean');
    if (!r.ok) assert.ok(r.errno > 0 && r.reason.length > 0);
  }
});

test.run();
