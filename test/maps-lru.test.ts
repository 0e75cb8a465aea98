// BPF_F_NO_COMMON_LRU: per-CPU LRU lists, each owning an equal share of the
// preallocated elements (max_entries rounded up to a multiple of the CPUs, as
// htab_map_alloc does): a CPU evicts only its own entries, and deleted
// elements return to the CPU that owns them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import { MAP_TYPE as T, MAP_FLAG } from '../src/maps/constants.js';
import { MapError } from '../src/diagnostics/index.js';
import type { BpfMaps } from '../src/maps/syscall.js';

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

function update(maps: BpfMaps, fd: number, key: number, cpu: number): bigint {
  const e = maps.kernels.exports;
  const s = e.heap_alloc(16);
  const dv = new DataView(maps.bytes().buffer);
  dv.setUint32(s, key, true);
  dv.setUint32(s + 8, key * 10, true);
  e.set_cpu(cpu);
  const r = e.map_update_elem(maps.map(fd).handle, s, s + 8, 0n);
  e.set_cpu(0);
  e.heap_free(s);
  return r;
}
function keys(maps: BpfMaps, fd: number): number[] {
  const out: number[] = [];
  let k: Uint8Array | null = null;
  for (;;) {
    try { k = maps.bpf_map_get_next_key(fd, k); } catch (e) { if (e instanceof MapError) break; throw e; }
    out.push(new DataView(k.buffer).getUint32(0, true));
  }
  return out.sort((a, b) => a - b);
}

test('max_entries is rounded up to a multiple of the CPUs', () => {
  const maps = newMaps(4);
  assert.is(maps.map(maps.bpf_map_create(T.lru_hash, 'l', 4, 8, 5, { map_flags: MAP_FLAG.NO_COMMON_LRU })).maxEntries, 8);
  assert.is(maps.map(maps.bpf_map_create(T.lru_hash, 'l', 4, 8, 5)).maxEntries, 5);
});

test('each CPU evicts only from its own list and share', () => {
  const maps = newMaps(2);
  const fd = maps.bpf_map_create(T.lru_hash, 'l', 4, 8, 8, { map_flags: MAP_FLAG.NO_COMMON_LRU });
  for (const k of [100, 101, 102, 103]) assert.is(update(maps, fd, k, 1), 0n);
  for (let k = 0; k < 50; k++) assert.is(update(maps, fd, k, 0), 0n);
  const ks = keys(maps, fd);
  assert.is(ks.length, 8, 'never above max_entries');
  assert.equal(ks.filter((k) => k >= 100), [100, 101, 102, 103], 'CPU 1\'s entries survive CPU 0\'s pressure');
  assert.equal(ks.filter((k) => k < 100), [46, 47, 48, 49], 'CPU 0 keeps its newest within its share of 4');
  // a delete returns the element to its owner: CPU 0 still has only its own share
  maps.bpf_map_delete_elem(fd, u32(100));
  for (let k = 200; k < 210; k++) update(maps, fd, k, 0);
  assert.is(keys(maps, fd).filter((k) => k >= 200).length, 4);
  assert.is(keys(maps, fd).length, 7, 'CPU 1\'s freed element stays free for CPU 1');
  assert.is(update(maps, fd, 300, 1), 0n);
  assert.is(keys(maps, fd).length, 8);
});

test('a common LRU shares all elements', () => {
  const maps = newMaps(2);
  const fd = maps.bpf_map_create(T.lru_hash, 'l', 4, 8, 8);
  for (const k of [100, 101, 102, 103]) update(maps, fd, k, 1);
  for (let k = 0; k < 50; k++) update(maps, fd, k, 0);
  assert.equal(keys(maps, fd), [42, 43, 44, 45, 46, 47, 48, 49]);
});

test.run();
