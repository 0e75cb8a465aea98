// Worker threads (simulated CPUs) sharing one memory on the newer map kinds:
// bpf_perf_event_output to each CPU's ring, a BPF_F_NO_COMMON_LRU hash (each
// CPU's share), a stack trace map fed by get_stackid, and local storage
// created concurrently with F_CREATE. Nothing may be lost, duplicated or
// exceed its limits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { computeLayout, createMemory } from '../src/runtime/layout.js';
import { instantiateMapKernelsSync, MAP_KERNELS_SHARED_WASM_URL } from '../src/maps/kernels.js';
import { BpfMaps } from '../src/maps/syscall.js';
import { MAP_TYPE as T, MAP_FLAG } from '../src/maps/constants.js';
import { PerfBuffer } from '../src/maps/perfbuf.js';
import { setCallStack } from '../src/maps/stack.js';

const WORKERS = 4;
const PER_WORKER = 4000;
const LRU_MAX = 400;

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { module, memory, heapBase, cpus, cpu, perf, lru, stacks, storage, owners, perWorker } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
k.maps_init(heapBase, cpus);
k.set_cpu(cpu);
const s = k.heap_alloc(64);
let dv = new DataView(memory.buffer);
const view = () => (dv.byteLength === memory.buffer.byteLength ? dv : (dv = new DataView(memory.buffer)));
let lost = 0, ids = new Set();
for (let i = 0; i < perWorker; i++) {
  view().setUint32(s, cpu, true);
  view().setUint32(s + 4, i, true);
  const r = k.perf_event_output(0, perf, 0xffffffffn, s, 8n);
  if (r !== 0n) { if (r !== -28n) throw new Error('perf output ' + r); lost++; }
  view().setUint32(s + 16, (cpu << 20) | i, true);
  if (k.map_update_elem(lru, s + 16, s, 0n) !== 0n) throw new Error('lru update failed');
  const id = k.get_stackid(0, stacks, 0n);
  if (id < 0n && id !== -17n && id !== -12n) throw new Error('get_stackid ' + id);
  if (id >= 0n) ids.add(Number(id));
  // every CPU races to create the same owners' storage: one value each
  const p = k.storage_get(storage, owners[i % owners.length], 0, 1n);
  if (p === 0) throw new Error('storage_get failed');
  Atomics.add(new Int32Array(memory.buffer, p, 1), 0, 1);
}
parentPort.postMessage({ lost, ids: [...ids] });
`;

test(`${WORKERS} threads: perf rings, per-CPU LRU shares, stack ids and local storage stay consistent`, async () => {
  const layout = computeLayout({ cpus: WORKERS, shared: true, maxBytes: 512 << 20 });
  const memory = createMemory(layout);
  const module = new WebAssembly.Module(readFileSync(MAP_KERNELS_SHARED_WASM_URL));
  const maps = new BpfMaps(instantiateMapKernelsSync(module, memory, layout));
  const perf = maps.bpf_map_create(T.perf_event_array, 'ev', 4, 4, WORKERS);
  const samples: number[][] = Array.from({ length: WORKERS }, () => []);
  let lostReported = 0n;
  const pb = new PerfBuffer(maps, perf, {
    pageCount: 8, // 32 KiB per CPU: 4000 records of 24 bytes overflow it
    sample: (cpu, d) => { const dv = new DataView(d.buffer, d.byteOffset); assert.is(dv.getUint32(0, true), cpu); samples[cpu]!.push(dv.getUint32(4, true)); },
    lost: (_cpu, n) => { lostReported += n; },
  });
  const lru = maps.bpf_map_create(T.lru_hash, 'lru', 4, 4, LRU_MAX, { map_flags: MAP_FLAG.NO_COMMON_LRU });
  const stacks = maps.bpf_map_create(T.stack_trace, 'st', 4, 64, 64);
  for (let cpu = 0; cpu < WORKERS; cpu++) setCallStack(maps, cpu, { kernel: [0xffffffff81000000n + BigInt(cpu), 0xffffffff82000000n] });
  const storage = maps.bpf_map_create(T.task_storage, 'ts', 4, 8, 0, { map_flags: MAP_FLAG.NO_PREALLOC });
  const ownerFds = Array.from({ length: 16 }, (_, i) => maps.task(100 + i));
  const owners = ownerFds.map((fd) => { const o = maps.object(fd); return o && 'kind' in o ? o.addr : 0; });
  const results = await Promise.all(Array.from({ length: WORKERS }, (_, cpu) => new Promise<{ lost: number; ids: number[] }>((resolve, reject) => {
    const w = new Worker(WORKER, {
      eval: true,
      workerData: {
        module, memory, heapBase: layout.heapBase, cpus: layout.cpus, cpu, perf: maps.map(perf).handle, lru: maps.map(lru).handle,
        stacks: maps.map(stacks).handle, storage: maps.map(storage).handle, owners, perWorker: PER_WORKER,
      },
    });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  pb.poll();
  const lost = results.reduce((a, r) => a + r.lost, 0);
  // perf: each CPU's samples in order, written + lost = calls; the lost records cover what was lost before the last sample
  for (let cpu = 0; cpu < WORKERS; cpu++) {
    const seq = samples[cpu]!;
    for (let i = 1; i < seq.length; i++) assert.ok(seq[i]! > seq[i - 1]!, `cpu ${cpu}: sample ${seq[i]} after ${seq[i - 1]}`);
    assert.is(BigInt(seq.length) + pb.lostSamples(cpu), BigInt(PER_WORKER));
  }
  assert.ok(lost > 0, 'the rings overflowed');
  assert.ok(lostReported <= BigInt(lost));
  // per-CPU LRU: every CPU holds exactly its share
  let k: Uint8Array | null = null;
  const perCpu = new Array(WORKERS).fill(0);
  for (;;) { try { k = maps.bpf_map_get_next_key(lru, k); } catch { break; } perCpu[new DataView(k.buffer).getUint32(0, true) >>> 20]++; }
  assert.equal(perCpu, new Array(WORKERS).fill(LRU_MAX / WORKERS));
  // stack ids: each CPU's distinct stack, stored once
  for (const r of results) assert.ok(r.ids.length <= 1);
  // local storage: one value per owner, counting every CPU's increments
  let total = 0;
  for (const fd of ownerFds) total += Number(new DataView(maps.bpf_map_lookup_elem(storage, new Uint8Array(new Int32Array([fd]).buffer)).buffer).getBigUint64(0, true));
  assert.is(total, WORKERS * PER_WORKER);
  console.log(`\nNOTE: ${WORKERS} threads x ${PER_WORKER}: ${samples.flat().length} perf samples, ${lost} lost (${lostReported} reported), LRU shares ${perCpu.join('/')}`);
});

test.run();
