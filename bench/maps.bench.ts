// Map benchmarks: lookup/update ns/op from JS (the bpf_map_* API), through
// the kernel exports called from JS, and wasm→wasm (a small wasm loop that
// imports the exports, as JIT code calls them); and the Linux kernel's own
// maps timed in-kernel (test/kernel/map-bench.c under BPF_PROG_TEST_RUN)
// when bpf() works. Run: npm run build && node dist/bench/maps.bench.js
import { Bench } from 'tinybench';
import binaryen from 'binaryen';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { newMaps, ROOT } from '../test/kernel/map-setup.js';
import { MAP_TYPE as T, MAP_FLAG } from '../src/maps/constants.js';
import type { BpfMaps } from '../src/maps/syscall.js';

const INNER = 1000; // operations per measured call: the loop lives inside the function

/** A wasm module looping over a kernel export: key word i*7919 % mod at key+off, then the call. */
function wasmLoop(memory: WebAssembly.Memory, lookup: Function, update: Function): { lookups: Function; updates: Function } {
  const wat = `(module
    (import "env" "memory" (memory 1))
    (import "k" "lookup" (func $lookup (param i32 i32) (result i32)))
    (import "k" "update" (func $update (param i32 i32 i32 i64) (result i64)))
    (func (export "lookups") (param $map i32) (param $key i32) (param $off i32) (param $n i32) (param $mod i32) (param $span i32) (result i32)
      (local $i i32) (local $acc i32)
      (loop $l
        (i32.store (i32.add (local.get $key) (local.get $off)) (i32.rem_u (i32.mul (i32.rem_u (local.get $i) (local.get $span)) (i32.const 7919)) (local.get $mod)))
        (local.set $acc (i32.add (local.get $acc) (call $lookup (local.get $map) (local.get $key))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $acc))
    (func (export "updates") (param $map i32) (param $key i32) (param $off i32) (param $value i32) (param $n i32) (param $mod i32) (result i64)
      (local $i i32) (local $acc i64)
      (loop $l
        (i32.store (i32.add (local.get $key) (local.get $off)) (i32.rem_u (i32.mul (local.get $i) (i32.const 7919)) (local.get $mod)))
        (local.set $acc (i64.add (local.get $acc) (call $update (local.get $map) (local.get $key) (local.get $value) (i64.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
      (local.get $acc)))`;
  const mod = binaryen.parseText(wat);
  const bin = mod.emitBinary();
  mod.dispose();
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bin as Uint8Array<ArrayBuffer>), { env: { memory }, k: { lookup, update } });
  return inst.exports as unknown as { lookups: Function; updates: Function };
}

interface Case { name: string; type: number; keySize: number; entries: number; flags?: number; lpm?: boolean; kernelKind: string }
const CASES: Case[] = [
  { name: 'hash 1k', type: T.hash, keySize: 4, entries: 1000, kernelKind: 'hash' },
  { name: 'hash 1M', type: T.hash, keySize: 4, entries: 1_000_000, kernelKind: 'hash' },
  { name: 'lru 1k', type: T.lru_hash, keySize: 4, entries: 1000, kernelKind: 'lru' },
  { name: 'lpm 10k', type: T.lpm_trie, keySize: 8, entries: 10_000, flags: MAP_FLAG.NO_PREALLOC, lpm: true, kernelKind: 'lpm' },
  { name: 'array 1k', type: T.array, keySize: 4, entries: 1000, kernelKind: 'array' },
];

function keyBytes(c: Case, i: number): Uint8Array {
  const b = new Uint8Array(c.keySize);
  const dv = new DataView(b.buffer);
  // LPM: /32 lookups of address bytes LE(i), filled as /24 prefixes of the same bytes
  if (c.lpm) { dv.setUint32(0, 32, true); dv.setUint32(4, i, true); }
  else dv.setUint32(0, i, true);
  return b;
}
function updateKeyBytes(c: Case, i: number): Uint8Array {
  const b = keyBytes(c, i);
  if (c.lpm) new DataView(b.buffer).setUint32(0, 24, true);
  return b;
}

function fill(maps: BpfMaps, fd: number, c: Case): void {
  const v = new Uint8Array(8).fill(1);
  for (let i = 0; i < c.entries; i++) {
    maps.bpf_map_update_elem(fd, updateKeyBytes(c, i), v);
  }
}

function kernelFigure(kind: string, entries: number, op: string): string {
  const bin = join(ROOT, 'dist', 'test', 'kernel', 'map-bench');
  const src = join(ROOT, 'test', 'kernel', 'map-bench.c');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(join(ROOT, 'dist', 'test', 'kernel'), { recursive: true });
    const cc = spawnSync('gcc', ['-O2', '-o', bin, src, '-lbpf']);
    if (cc.status !== 0) return 'n/a (gcc/libbpf)';
  }
  const r = spawnSync(bin, [kind, String(entries), op], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'n/a (bpf() unavailable)';
}

const rows: string[][] = [];
for (const c of CASES) {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(c.type, 'bench', c.keySize, 8, c.entries, { map_flags: c.flags ?? 0 });
  fill(maps, fd, c);
  const k = maps.kernels.exports;
  const handle = maps.map(fd).handle;
  const key = k.heap_alloc(16), ukey = k.heap_alloc(16), value = k.heap_alloc(16);
  const dv = (): DataView => new DataView(maps.bytes().buffer);
  if (c.lpm) { dv().setUint32(key, 32, true); dv().setUint32(ukey, 24, true); }
  const off = c.lpm ? 4 : 0;
  const loop = wasmLoop(maps.kernels.memory, k.map_lookup_elem, k.map_update_elem);
  const keys = Array.from({ length: INNER }, (_, i) => keyBytes(c, (i * 7919) % c.entries));
  const ukeys = Array.from({ length: INNER }, (_, i) => updateKeyBytes(c, (i * 7919) % c.entries));
  const v8 = new Uint8Array(8).fill(2);
  const out = new Uint8Array(8);
  let sink = 0;
  const bench = new Bench({ time: 300, warmup: true });
  bench
    .add('lookup JS API', () => { for (let i = 0; i < INNER; i++) sink += maps.bpf_map_lookup_elem(fd, keys[i]!, out)[0]!; })
    .add('update JS API', () => { for (let i = 0; i < INNER; i++) maps.bpf_map_update_elem(fd, ukeys[i]!, v8); })
    .add('lookup export from JS', () => {
      const d = dv();
      for (let i = 0; i < INNER; i++) {
        d.setUint32(key + off, (i * 7919) % c.entries, true);
        sink += k.map_lookup_elem(handle, key);
      }
    })
    .add('lookup wasm→wasm', () => { sink += loop.lookups(handle, key, off, INNER, c.entries, INNER) as number; })
    // the kernel figure cycles over 64 keys (its unrolled program): the same here
    .add('lookup wasm→wasm 64 keys', () => { sink += loop.lookups(handle, key, off, INNER, c.entries, 64) as number; })
    .add('update wasm→wasm', () => { loop.updates(handle, ukey, off, value, INNER, c.entries); });
  await bench.run();
  const ns = (name: string): string => {
    const t = bench.tasks.find((x) => x.name === name)!;
    const r = t.result as unknown as { latency?: { mean: number } };
    return r.latency ? ((r.latency.mean * 1e6) / INNER).toFixed(1) : 'n/a';
  };
  rows.push([c.name, ns('lookup JS API'), ns('update JS API'), ns('lookup export from JS'), ns('lookup wasm→wasm'), ns('lookup wasm→wasm 64 keys'), ns('update wasm→wasm'),
    kernelFigure(c.kernelKind, c.entries, 'lookup'), kernelFigure(c.kernelKind, c.entries, 'update')]);
  if (sink === -1) console.log(sink);
}

const head = ['map', 'lookup JS', 'update JS', 'lookup export←JS', 'lookup wasm→wasm', 'lookup w→w 64 keys', 'update wasm→wasm', 'kernel lookup (64 keys)', 'kernel update'];
console.log(`ns/op (${INNER} ops per measured call; kernel: in-kernel BPF_PROG_TEST_RUN, 64 unrolled calls, minus an empty run)`);
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [head, ...rows]) console.log(r.map((x, i) => x.padStart(w[i]!)).join('  '));
