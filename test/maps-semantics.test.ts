// Semantics of the map kernels that the kernel differential does not reach:
// the program-side exports (per-CPU slots, map-in-map, prog arrays), the ring
// buffer, queue/stack overwrite, bpf_spin_lock with BPF_F_LOCK, iteration
// while deleting, memory growth, the bpf() commands, the typed API and the
// helper registration.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import {
  MAP_TYPE as T, MAP_FLAG, BPF_CMD, BPF_EXIST, BPF_NOEXIST, BPF_F_LOCK, ERRNO,
  BPF_RB_AVAIL_DATA, BPF_RB_RING_SIZE, BPF_RB_CONS_POS, BPF_RB_PROD_POS,
} from '../src/maps/constants.js';
import { RingBufferConsumer } from '../src/maps/ringbuf.js';
import { TypedMap, u32, u64, perCpu } from '../src/maps/object.js';
import { MapError } from '../src/diagnostics/index.js';
import { HelperRegistry } from '../src/helpers/table.js';
import { registerMapHelpers } from '../src/helpers/maps.js';

const k32 = (n: number): Uint8Array => u32.encode(n);
function errnoOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof MapError) return e.errnoName; throw e; }
  return 'ok';
}

test('per-CPU hash: programs write their CPU slot, user space reads every CPU rounded to 8 bytes', () => {
  const maps = newMaps(4);
  const k = maps.kernels.exports;
  const fd = maps.bpf_map_create(T.percpu_hash, 'pc', 4, 4, 8);
  const h = maps.map(fd).handle;
  const s = k.heap_alloc(64);
  const mem = (): DataView => new DataView(maps.bytes().buffer);
  mem().setUint32(s, 7, true);
  for (let cpu = 0; cpu < 4; cpu++) {
    k.set_cpu(cpu);
    mem().setUint32(s + 8, 100 + cpu, true);
    const r = k.map_update_elem(h, s, s + 8, 0n);
    assert.is(r, 0n);
  }
  k.set_cpu(2);
  const p = k.map_lookup_elem(h, s);
  assert.is(mem().getUint32(p, true), 102);
  assert.is(mem().getUint32(k.map_lookup_percpu_elem(h, s, 3), true), 103);
  assert.is(k.map_lookup_percpu_elem(h, s, 4), 0);
  const typed = new TypedMap(maps, fd, u32, perCpu(u32, 4));
  assert.equal(typed.get(7), [100, 101, 102, 103]);
  assert.is(maps.bpf_map_lookup_elem(fd, k32(7)).length, 32);
  // a fresh element written by a program zeroes the other CPUs
  mem().setUint32(s, 8, true);
  k.map_update_elem(h, s, s + 8, 0n);
  assert.equal(typed.get(8), [0, 0, 103, 0]);
});

test('per-CPU array: program and user views', () => {
  const maps = newMaps(2);
  const k = maps.kernels.exports;
  const fd = maps.bpf_map_create(T.percpu_array, 'pa', 4, 8, 4);
  const typed = new TypedMap(maps, fd, u32, perCpu(u64, 2));
  typed.set(1, [5n, 6n]);
  const s = k.heap_alloc(16);
  new DataView(maps.bytes().buffer).setUint32(s, 1, true);
  k.set_cpu(1);
  assert.is(new DataView(maps.bytes().buffer).getBigUint64(k.map_lookup_elem(maps.map(fd).handle, s), true), 6n);
  assert.equal(typed.get(3), [0n, 0n]);
  assert.is(typed.get(4), undefined);
});

test('map in map: a lookup from a program returns the inner map, user space sees its id', () => {
  const maps = newMaps(1);
  const k = maps.kernels.exports;
  const inner = maps.bpf_map_create(T.array, 'in', 4, 4, 4);
  const inner2 = maps.bpf_map_create(T.array, 'in2', 4, 4, 4);
  for (const type of [T.array_of_maps, T.hash_of_maps]) {
    const outer = maps.bpf_map_create(type, 'out', 4, 4, 4, { inner_map_fd: inner });
    maps.bpf_map_update_elem(outer, k32(1), k32(inner2));
    assert.is(u32.decode(maps.bpf_map_lookup_elem(outer, k32(1))), maps.map(inner2).id);
    const s = k.heap_alloc(16);
    new DataView(maps.bytes().buffer).setUint32(s, 1, true);
    assert.is(k.map_lookup_elem(maps.map(outer).handle, s), maps.map(inner2).handle);
    new DataView(maps.bytes().buffer).setUint32(s, 2, true);
    assert.is(k.map_lookup_elem(maps.map(outer).handle, s), 0);
  }
});

test('close: frees a map unless a map-in-map still holds it', () => {
  const maps = newMaps(1);
  const inner = maps.bpf_map_create(T.array, 'in', 4, 4, 4);
  const other = maps.bpf_map_create(T.array, 'other', 4, 4, 4);
  const outer = maps.bpf_map_create(T.hash_of_maps, 'out', 4, 4, 4, { inner_map_fd: inner });
  maps.bpf_map_update_elem(outer, k32(1), k32(inner));
  const innerHandle = maps.map(inner).handle, otherHandle = maps.map(other).handle;
  maps.close(inner);
  maps.close(other);
  assert.is(errnoOf(() => maps.map(inner)), 'EBADF');
  assert.ok(maps.mapByHandle(innerHandle), 'still referenced by the outer map');
  assert.is(maps.mapByHandle(otherHandle), undefined);
  assert.is(errnoOf(() => maps.close(inner)), 'EBADF');
});

test('prog array: slots hold program ids for tail calls', () => {
  const maps = newMaps(1);
  const p = maps.registerProgram('target');
  const fd = maps.bpf_map_create(T.prog_array, 'jmp', 4, 4, 8);
  maps.bpf_map_update_elem(fd, k32(3), k32(p.fd));
  assert.is(maps.kernels.exports.prog_array_get(maps.map(fd).handle, 3), p.id);
  assert.is(maps.kernels.exports.prog_array_get(maps.map(fd).handle, 4), 0);
  assert.is(maps.kernels.exports.prog_array_get(maps.map(fd).handle, 99), 0);
  assert.is(u32.decode(maps.bpf_map_lookup_elem(fd, k32(3))), p.id);
  maps.bpf_map_delete_elem(fd, k32(3));
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, k32(3))), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, k32(1), k32(maps.bpf_map_create(T.array, 'a', 4, 4, 1)))), 'EBADF');
});

test('ring buffer: reserve, submit, discard, output, query, consumer, wrap-around and full', () => {
  const maps = newMaps(1);
  const k = maps.kernels.exports;
  const fd = maps.bpf_map_create(T.ringbuf, 'rb', 0, 0, 4096);
  const rb = maps.map(fd).handle;
  const c = new RingBufferConsumer(maps, fd);
  assert.is(k.ringbuf_query(rb, BigInt(BPF_RB_RING_SIZE)), 4096n);
  const r1 = k.ringbuf_reserve(rb, 12n, 0n);
  assert.ok(r1 > 0);
  maps.bytes().set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], r1);
  const r2 = k.ringbuf_reserve(rb, 3n, 0n);
  maps.bytes().set([9, 9, 9], r2);
  assert.is(k.ringbuf_query(rb, BigInt(BPF_RB_PROD_POS)), 24n + 16n);
  // the first record is still busy: nothing to consume
  const got: number[][] = [];
  k.ringbuf_submit(r2, 0n);
  assert.is(c.consume((d) => { got.push([...d]); }), 0);
  k.ringbuf_submit(r1, 0n);
  assert.is(c.consume((d) => { got.push([...d]); }), 2);
  assert.equal(got, [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [9, 9, 9]]);
  assert.is(k.ringbuf_query(rb, BigInt(BPF_RB_CONS_POS)), 40n);
  assert.is(k.ringbuf_query(rb, BigInt(BPF_RB_AVAIL_DATA)), 0n);
  // discarded records are skipped
  const r3 = k.ringbuf_reserve(rb, 8n, 0n);
  k.ringbuf_discard(r3, 0n);
  assert.is(c.consume(() => {}), 0);
  assert.is(c.consumerPos, 56n);
  // reserve flags must be zero; output flags only the wakeup bits
  assert.is(k.ringbuf_reserve(rb, 8n, 1n), 0);
  const src = k.heap_alloc(4096);
  assert.is(k.ringbuf_output(rb, src, 8n, 4n), -BigInt(ERRNO.EINVAL));
  // fill: records of 1000 bytes wrap around the 4 KiB ring and stay intact
  let seq = 0;
  const seen: number[] = [];
  for (let round = 0; round < 20; round++) {
    for (;;) {
      maps.bytes().fill(seq & 0xff, src, src + 1000);
      const r = k.ringbuf_output(rb, src, 1000n, 0n);
      if (r !== 0n) { assert.is(r, -BigInt(ERRNO.EAGAIN)); break; }
      seq++;
    }
    c.consume((d) => {
      assert.is(d.length, 1000);
      assert.ok(d.every((x) => x === d[0]), 'a wrapped record kept its bytes');
      seen.push(d[0]!);
    });
  }
  assert.is(seen.length, seq);
  assert.equal(seen, Array.from({ length: seq }, (_, i) => i & 0xff));
  // a record larger than the ring is refused
  assert.is(k.ringbuf_reserve(rb, 4096n, 0n), 0);
});

test('queue and stack: FIFO, LIFO, and BPF_EXIST overwriting the oldest', () => {
  const maps = newMaps(1);
  for (const type of [T.queue, T.stack]) {
    const fd = maps.bpf_map_create(type, 'q', 0, 4, 3);
    for (const v of [1, 2, 3]) maps.bpf_map_update_elem(fd, null, k32(v));
    assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, null, k32(4))), 'E2BIG');
    assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, null, k32(4), BPF_NOEXIST)), 'EINVAL');
    maps.bpf_map_update_elem(fd, null, k32(4), BPF_EXIST); // drops 1
    const out: number[] = [];
    for (;;) {
      try { out.push(u32.decode(maps.bpf_map_lookup_and_delete_elem(fd, null))); } catch { break; }
    }
    assert.equal(out, type === T.queue ? [2, 3, 4] : [4, 3, 2]);
    assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, null)), 'ENOENT');
  }
});

test('bpf_spin_lock: BPF_F_LOCK copies under the lock and the lock word never leaks', () => {
  const maps = newMaps(1);
  for (const type of [T.hash, T.array]) {
    const fd = maps.bpf_map_create(type, 'l', 4, 16, 4, { spin_lock_off: 0 });
    const v = new Uint8Array(16).fill(0xab);
    maps.bpf_map_update_elem(fd, k32(1), v, BPF_F_LOCK * (type === T.array ? 1 : 0));
    maps.bpf_map_update_elem(fd, k32(1), v, BPF_F_LOCK);
    const got = maps.bpf_map_lookup_elem_flags(fd, k32(1), undefined, BPF_F_LOCK);
    assert.equal([...got.subarray(0, 4)], [0, 0, 0, 0]);
    assert.equal([...got.subarray(4)], new Array(12).fill(0xab));
    assert.is(errnoOf(() => maps.bpf_map_lookup_elem_flags(fd, k32(1), undefined, 8)), 'EINVAL');
  }
  assert.is(errnoOf(() => maps.bpf_map_create(T.percpu_hash, 'l', 4, 16, 4, { spin_lock_off: 0 })), 'EOPNOTSUPP');
  assert.is(errnoOf(() => maps.bpf_map_create(T.hash, 'l', 4, 16, 4, { spin_lock_off: 14 })), 'EINVAL');
});

test('get_next_key: entries deleted during iteration are skipped, none repeats, a missing key restarts', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.hash, 'it', 4, 4, 1024, { map_flags: MAP_FLAG.NO_PREALLOC });
  const m = new TypedMap(maps, fd, u32, u32);
  for (let i = 0; i < 500; i++) m.set(i, i);
  const seen = new Set<number>();
  const deleted = new Set<number>();
  let cur: Uint8Array | null = null;
  for (;;) {
    let next: Uint8Array;
    try { next = maps.bpf_map_get_next_key(fd, cur); } catch (e) { assert.is((e as MapError).errnoName, 'ENOENT'); break; }
    const key = u32.decode(next);
    assert.not.ok(seen.has(key), `key ${key} visited twice`);
    assert.not.ok(deleted.has(key), `deleted key ${key} visited`);
    seen.add(key);
    // delete entries elsewhere in the map (the libbpf pattern keeps the cursor alive)
    if (key % 3 === 0) for (const d of [key + 1, key + 2]) if (!seen.has(d) && m.delete(d)) deleted.add(d);
    cur = next;
  }
  assert.is(seen.size + deleted.size, 500);
  // the kernel's rule: an unknown key starts over from the first
  const first = maps.bpf_map_get_next_key(fd, null);
  assert.equal(maps.bpf_map_get_next_key(fd, k32(123456)), first);
});

test('memory grows for large maps and the user views follow', () => {
  const maps = newMaps(1, { heapBytes: 65536 });
  const before = maps.kernels.memory.buffer.byteLength;
  const fd = maps.bpf_map_create(T.hash, 'big', 8, 8, 200000);
  assert.ok(maps.kernels.memory.buffer.byteLength > before);
  const m = new TypedMap(maps, fd, u64, u64);
  for (let i = 0n; i < 200000n; i += 997n) m.set(i, i * 3n);
  assert.is(m.get(997n * 7n), 997n * 21n);
  assert.is(errnoOf(() => maps.bpf_map_create(T.array, 'huge', 4, 1 << 20, 4000)), 'ENOMEM');
  assert.is(m.get(997n), 997n * 3n, 'a failed create loses no entry');
});

test('bpf(cmd, attr): the map commands with the syscall attribute fields', () => {
  const maps = newMaps(1);
  const fd = maps.bpf(BPF_CMD.MAP_CREATE, { map_type: T.hash, key_size: 4, value_size: 4, max_entries: 16, map_name: 'cmd' });
  maps.bpf(BPF_CMD.MAP_UPDATE_ELEM, { map_fd: fd, key: k32(1), value: k32(11), flags: 0 });
  maps.bpf(BPF_CMD.MAP_UPDATE_ELEM, { map_fd: fd, key: k32(2), value: k32(22), flags: 0 });
  const out = new Uint8Array(4);
  maps.bpf(BPF_CMD.MAP_LOOKUP_ELEM, { map_fd: fd, key: k32(2), value: out });
  assert.is(u32.decode(out), 22);
  const next = new Uint8Array(4);
  maps.bpf(BPF_CMD.MAP_GET_NEXT_KEY, { map_fd: fd, next_key: next });
  assert.ok([1, 2].includes(u32.decode(next)));
  const keys = new Uint8Array(64), values = new Uint8Array(64);
  const attr = { map_fd: fd, keys, values, count: 16 };
  assert.is(errnoOf(() => maps.bpf(BPF_CMD.MAP_LOOKUP_BATCH, attr)), 'ENOENT');
  assert.is(attr.count, 2);
  maps.bpf(BPF_CMD.MAP_DELETE_ELEM, { map_fd: fd, key: k32(1) });
  maps.bpf(BPF_CMD.MAP_FREEZE, { map_fd: fd });
  assert.is(errnoOf(() => maps.bpf(BPF_CMD.MAP_UPDATE_ELEM, { map_fd: fd, key: k32(3), value: k32(3) })), 'EPERM');
  assert.is(maps.bpf(BPF_CMD.MAP_GET_FD_BY_ID, { map_id: maps.map(fd).id }), fd);
  assert.is(errnoOf(() => maps.bpf(BPF_CMD.MAP_LOOKUP_ELEM, { map_fd: 77, key: k32(1) })), 'EBADF');
  assert.is(errnoOf(() => maps.bpf(99, {})), 'EINVAL');
  const e = (() => { try { maps.bpf_map_create(T.hash, 'x', 0, 4, 1); } catch (err) { return err as MapError; } })()!;
  assert.is(e.errno, 22);
  assert.is(e.code, 6001);
  assert.match(e.message, /EINVAL/);
});

test('typed object API and batches', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.lru_hash, 'lru', 4, 8, 64);
  const m = new TypedMap(maps, fd, u32, u64);
  for (let i = 0; i < 10; i++) m.set(i, BigInt(i * i));
  assert.is(m.get(3), 9n);
  assert.ok(m.has(9));
  assert.ok(m.delete(9));
  assert.not.ok(m.delete(9));
  assert.is([...m.entries()].length, 9);
  const b = maps.bpf_map_lookup_and_delete_batch(fd, null, 4);
  assert.is(b.keys.length, 4);
  assert.not.ok(b.done);
  assert.is([...m.keys()].length, 5);
  const wrong = (() => { try { maps.bpf_map_update_elem(fd, new Uint8Array(2), new Uint8Array(8)); } catch (err) { return err as MapError; } })();
  assert.is(wrong?.errnoName, 'EINVAL');
  assert.is([...m.keys()].length, 5, 'a bad update loses no entry');
});

test('helpers: registered with the kernel ids as kernel exports', () => {
  const maps = newMaps(1);
  const reg = new HelperRegistry();
  registerMapHelpers(reg, maps.kernels);
  for (const [id, exp] of [[1, 'map_lookup_elem'], [2, 'map_update_elem'], [3, 'map_delete_elem'], [87, 'map_push_elem'], [88, 'map_pop_elem'],
    [89, 'map_peek_elem'], [130, 'ringbuf_output'], [131, 'ringbuf_reserve'], [132, 'ringbuf_submit'], [133, 'ringbuf_discard'], [134, 'ringbuf_query']] as const) {
    const spec = reg.get(id)!;
    assert.is(spec.impl?.kernel?.export, exp);
    assert.ok(spec.proto);
  }
  // a program-side push/pop through the exports
  const k = maps.kernels.exports;
  const q = maps.map(maps.bpf_map_create(T.queue, 'q', 0, 8, 2)).handle;
  const s = k.heap_alloc(16);
  new DataView(maps.bytes().buffer).setBigUint64(s, 42n, true);
  assert.is(k.map_push_elem(q, s, 0n), 0n);
  assert.is(k.map_peek_elem(q, s + 8), 0n);
  assert.is(k.map_pop_elem(q, s + 8), 0n);
  assert.is(new DataView(maps.bytes().buffer).getBigUint64(s + 8, true), 42n);
  assert.is(k.map_pop_elem(q, s + 8), -2n);
  assert.is(k.map_update_elem(q, 0, s, 1n), -22n);
});

test.run();
