// Several worker threads (simulated CPUs) share one memory and hammer the same
// maps through their own kernel instances: per-bucket spin locks, the map and
// heap free lists, and the queue and ring-buffer locks must keep every map
// consistent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { computeLayout, createMemory } from '../src/runtime/layout.js';
import { instantiateMapKernelsSync, MAP_KERNELS_SHARED_WASM_URL } from '../src/maps/kernels.js';
import { BpfMaps } from '../src/maps/syscall.js';
import { MAP_TYPE as T, MAP_FLAG } from '../src/maps/constants.js';
import { TypedMap, u32 } from '../src/maps/object.js';
import { RingBufferConsumer } from '../src/maps/ringbuf.js';

const WORKERS = 4;
const PER_WORKER = 20000;
const HOT = 64;

// CommonJS worker body: instantiate the kernels over the shared memory as CPU `cpu`.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, heapBase, cpus, cpu, hash, lru, queue, rb, perWorker, hot } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
k.maps_init(heapBase, cpus);
k.set_cpu(cpu);
const scratch = k.heap_alloc(64);
const key = scratch, val = scratch + 16;
let dv = new DataView(memory.buffer);
const view = () => (dv.byteLength === memory.buffer.byteLength ? dv : (dv = new DataView(memory.buffer)));
const hotIns = new Array(hot).fill(0), hotDel = new Array(hot).fill(0);
let own = 0, pushed = 0;
for (let i = 0; i < perWorker; i++) {
  // own keys: insert all, delete the even ones
  view().setUint32(key, 1000000 * (cpu + 1) + i, true);
  view().setUint32(val, i, true);
  if (k.map_update_elem(hash, key, val, 1n) !== 0n) throw new Error('own insert failed');
  own++;
  if (i % 2 === 0) { if (k.map_delete_elem(hash, key) !== 0n) throw new Error('own delete failed'); own--; }
  // contended keys: every CPU races to insert (BPF_NOEXIST) and delete
  const h = (i * 7 + cpu) % hot;
  view().setUint32(key, h, true);
  if (k.map_update_elem(hash, key, val, 1n) === 0n) hotIns[h]++;
  view().setUint32(key, (i * 13 + cpu * 5) % hot, true);
  if (k.map_delete_elem(hash, key) === 0n) hotDel[(i * 13 + cpu * 5) % hot]++;
  // LRU: always room, never above max_entries
  view().setUint32(key, (cpu << 20) | i, true);
  if (k.map_update_elem(lru, key, val, 0n) !== 0n) throw new Error('lru update failed');
  // queue: push while there is room
  view().setUint32(val, cpu * perWorker + i, true);
  if (k.map_push_elem(queue, val, 0n) === 0n) pushed++;
  // ring buffer: reserve + submit, or output, records (cpu, seq)
  if (i % 4 === 0) {
    const rec = k.ringbuf_reserve(rb, 8n, 0n);
    if (rec === 0) throw new Error('ring buffer full');
    view().setUint32(rec, cpu, true);
    view().setUint32(rec + 4, i, true);
    k.ringbuf_submit(rec, 0n);
  } else if (i % 4 === 2) {
    view().setUint32(val, cpu, true);
    view().setUint32(val + 4, i, true);
    if (k.ringbuf_output(rb, val, 8n, 0n) !== 0n) throw new Error('ringbuf_output failed');
  }
}
parentPort.postMessage({ own, hotIns, hotDel, pushed });
`;

test(`${WORKERS} threads share hash, LRU and queue maps without losing or duplicating entries`, async () => {
  const layout = computeLayout({ cpus: WORKERS, shared: true, maxBytes: 512 << 20 });
  const memory = createMemory(layout);
  const module = new WebAssembly.Module(readFileSync(MAP_KERNELS_SHARED_WASM_URL));
  const maps = new BpfMaps(instantiateMapKernelsSync(module, memory, layout));
  const hash = maps.bpf_map_create(T.hash, 'shared', 4, 4, 200000, { map_flags: MAP_FLAG.NO_PREALLOC });
  const lru = maps.bpf_map_create(T.lru_hash, 'lru', 4, 4, 1000);
  const queue = maps.bpf_map_create(T.queue, 'q', 0, 4, 50000);
  const rb = maps.bpf_map_create(T.ringbuf, 'rb', 0, 0, 1 << 20);
  const results = await Promise.all(Array.from({ length: WORKERS }, (_, cpu) => new Promise<{ own: number; hotIns: number[]; hotDel: number[]; pushed: number }>((resolve, reject) => {
    const w = new Worker(WORKER, {
      eval: true,
      workerData: { module, memory, heapBase: layout.heapBase, cpus: layout.cpus, cpu, hash: maps.map(hash).handle, lru: maps.map(lru).handle, queue: maps.map(queue).handle, rb: maps.map(rb).handle, perWorker: PER_WORKER, hot: HOT },
    });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  const h = new TypedMap(maps, hash, u32, u32);
  // own keys: exactly the odd ones survive, with their values
  let ownEntries = 0;
  for (const [key, v] of h) {
    if (key >= 1000000) { ownEntries++; assert.is(v % 2, 1); assert.is(key % 1000000, v); }
  }
  assert.is(ownEntries, results.reduce((a, r) => a + r.own, 0));
  // contended keys: successful inserts minus successful deletes is 0 or 1, and matches presence
  for (let key = 0; key < HOT; key++) {
    const ins = results.reduce((a, r) => a + r.hotIns[key]!, 0);
    const del = results.reduce((a, r) => a + r.hotDel[key]!, 0);
    assert.is(ins - del, h.has(key) ? 1 : 0, `hot key ${key}: ${ins} inserts, ${del} deletes`);
  }
  assert.is(maps.kernels.exports.map_count(maps.map(hash).handle), ownEntries + [...Array(HOT).keys()].filter((k) => h.has(k)).length);
  // LRU never above max_entries
  assert.ok([...new TypedMap(maps, lru, u32, u32).keys()].length <= 1000);
  // queue: every pushed value pops exactly once
  const popped = new Set<number>();
  for (;;) {
    try { popped.add(u32.decode(maps.bpf_map_lookup_and_delete_elem(queue, null))); } catch { break; }
  }
  assert.is(popped.size, results.reduce((a, r) => a + r.pushed, 0));
  // ring buffer: every record once, each CPU's records in its order
  const last = new Array(WORKERS).fill(-1);
  let records = 0;
  new RingBufferConsumer(maps, rb).consume((d) => {
    const dv = new DataView(d.buffer);
    const cpu = dv.getUint32(0, true), seq = dv.getUint32(4, true);
    assert.ok(seq > last[cpu]!, `cpu ${cpu}: record ${seq} after ${last[cpu]}`);
    last[cpu] = seq;
    records++;
  });
  assert.is(records, WORKERS * PER_WORKER / 2);
  console.log(`\nNOTE: ${WORKERS} threads x ${PER_WORKER} iterations: ${ownEntries} own entries, ${popped.size} queue values`);
});

test.run();
