/**
 * The floor under the JIT's figures: hand-written wasm for the same work as
 * the generated code, timed the same way in the same process. The checksum
 * loop over 1500 bytes (byte loads, shift, or, add; i32 and i64 variants)
 * and a batch loop of 256 that writes the xdp_md data fields and calls a
 * `return XDP_PASS` function. Run: npm run build && node dist/bench/jit-floor.bench.js
 */
import binaryen from 'binaryen';
import v8 from 'node:v8';

// TurboFan code from the start: this small module otherwise stayed in Liftoff (the baseline tier) here for
// the whole run, 3x slower than the optimised code the JIT's hot functions reach.
v8.setFlagsFromString('--no-liftoff');

const WAT = `(module (import "env" "memory" (memory 1 100))
 (func (export "ck32") (param $p i32) (param $len i32) (result i32) (local $i i32) (local $s i32)
  (if (i32.ge_u (local.get $len) (i32.const 2)) (then
   (loop $l
    (local.set $s (i32.add (local.get $s) (i32.or
      (i32.shl (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 8))
      (i32.load8_u offset=1 (i32.add (local.get $p) (local.get $i))))))
    (local.set $i (i32.add (local.get $i) (i32.const 2)))
    (br_if $l (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $len))))))
  (local.get $s))
 (func (export "ck64") (param $p i32) (param $len i32) (result i32) (local $i i64) (local $s i64) (local $a i64) (local $b i64)
  (if (i32.ge_u (local.get $len) (i32.const 2)) (then
   (loop $l
    (local.set $a (i64.add (i64.extend_i32_u (local.get $p)) (local.get $i)))
    (local.set $b (i64.load8_u (i32.wrap_i64 (i64.add (local.get $a) (i64.const 1)))))
    (local.set $a (i64.load8_u (i32.wrap_i64 (local.get $a))))
    (local.set $s (i64.add (local.get $s) (i64.or (i64.shl (local.get $a) (i64.const 8)) (local.get $b))))
    (local.set $i (i64.add (local.get $i) (i64.const 2)))
    (br_if $l (i64.lt_u (i64.add (local.get $i) (i64.const 1)) (i64.extend_i32_u (local.get $len)))))))
  (i32.wrap_i64 (local.get $s)))
 (func $pass (param $ctx i64) (result i64) (i64.const 2))
 (func (export "batch") (param $desc i32) (param $n i32) (param $res i32) (param $ctx i32) (local $i i32) (local $off i32) (local $len i32)
  (loop $l
   (local.set $off (i32.load (i32.add (local.get $desc) (i32.shl (local.get $i) (i32.const 3)))))
   (local.set $len (i32.load offset=4 (i32.add (local.get $desc) (i32.shl (local.get $i) (i32.const 3)))))
   (i64.store32 (local.get $ctx) (i64.extend_i32_u (local.get $off)))
   (i64.store32 offset=4 (local.get $ctx) (i64.extend_i32_u (i32.add (local.get $off) (local.get $len))))
   (i64.store32 offset=8 (local.get $ctx) (i64.extend_i32_u (local.get $off)))
   (i32.store (i32.add (local.get $res) (i32.shl (local.get $i) (i32.const 2)))
     (i32.wrap_i64 (call $pass (i64.extend_i32_u (local.get $ctx)))))
   (local.set $i (i32.add (local.get $i) (i32.const 1)))
   (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
)`;

const mod = binaryen.parseText(WAT);
const wasm = mod.emitBinary();
mod.dispose();
const memory = new WebAssembly.Memory({ initial: 1, maximum: 100 });
const ex = new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), { env: { memory } }).exports as Record<string, (...a: number[]) => number>;
const u8 = new Uint8Array(memory.buffer);
const DATA = 4096, LEN = 1500, DESC = 8192, RES = 12288, CTX = 16384, BATCH = 256;
for (let i = 0; i < LEN; i++) u8[DATA + i] = (i * 31 + 7) & 0xff;
const dv = new DataView(memory.buffer);
for (let i = 0; i < BATCH; i++) { dv.setUint32(DESC + i * 8, DATA, true); dv.setUint32(DESC + i * 8 + 4, 64, true); }

/** Median over `reps` samples of `inner` calls, ns per unit. */
function median(fn: () => void, inner: number, units: number, reps = 31): number {
  for (let i = 0; i < 2000; i++) fn();
  const t: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) fn();
    t.push(Number(process.hrtime.bigint() - t0) / (inner * units));
  }
  return t.sort((a, b) => a - b)[reps >> 1]!;
}
console.table([
  { case: 'checksum 1500 B, hand-written wasm (i32)', 'ns/run': median(() => ex.ck32!(DATA, LEN), 200, 1).toFixed(1) },
  { case: 'checksum 1500 B, hand-written wasm (i64, the JIT\'s shape)', 'ns/run': median(() => ex.ck64!(DATA, LEN), 200, 1).toFixed(1) },
  { case: `batch of ${BATCH}, xdp_md fields + call returning XDP_PASS`, 'ns/run': median(() => ex.batch!(DESC, BATCH, RES, CTX), 100, BATCH).toFixed(2) },
]);
