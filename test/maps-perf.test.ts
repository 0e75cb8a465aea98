// Perf event arrays: bpf_perf_event_output from the kernels' export (what JIT
// code and the interpreter call) and the perf_buffer__poll-like consumer:
// order, record sizes, per-CPU rings, lost-record counting on overflow, and
// the kernel's errnos.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import { MAP_TYPE as T, ERRNO, BPF_F_CURRENT_CPU, PERF_TYPE_SOFTWARE, PAGE_SIZE } from '../src/maps/constants.js';
import { PerfBuffer } from '../src/maps/perfbuf.js';
import { MapError } from '../src/diagnostics/index.js';
import type { BpfMaps } from '../src/maps/syscall.js';

function errnoOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof MapError) return e.errnoName; throw e; }
  return 'ok';
}

/** Calls bpf_perf_event_output as a program on `cpu` would, with `bytes` as the data. */
function output(maps: BpfMaps, fd: number, cpu: number, flags: bigint, bytes: Uint8Array): bigint {
  const k = maps.kernels.exports;
  const buf = k.heap_alloc(Math.max(16, bytes.length));
  maps.bytes().set(bytes, buf);
  k.set_cpu(cpu);
  const r = k.perf_event_output(0, maps.map(fd).handle, flags, buf, BigInt(bytes.length));
  k.heap_free(buf);
  k.set_cpu(0);
  return r;
}
const rec = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

test('samples arrive in order on their CPU, raw size rounded as the kernel (round_up(size + 4, 8) - 4)', () => {
  const maps = newMaps(2);
  const fd = maps.bpf_map_create(T.perf_event_array, 'events', 4, 4, 2);
  const got: [number, number[]][] = [];
  const pb = new PerfBuffer(maps, fd, { pageCount: 1, sample: (cpu, d) => got.push([cpu, [...d]]) });
  assert.is(output(maps, fd, 0, BPF_F_CURRENT_CPU, Uint8Array.of(1, 2, 3)), 0n);
  assert.is(output(maps, fd, 1, BPF_F_CURRENT_CPU, rec(4, 7)), 0n);
  assert.is(output(maps, fd, 0, BPF_F_CURRENT_CPU, rec(12, 9)), 0n);
  assert.is(output(maps, fd, 0, 0n, rec(5, 5)), 0n); // index 0 named explicitly from CPU 0
  assert.is(pb.poll(), 4);
  assert.equal(got, [
    [0, [1, 2, 3, 0]],                              // 3 bytes → raw size 4 (record 16)
    [0, [...rec(12, 9)]],                           // 12 → 12 (record 24)
    [0, [5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0]],      // 5 → 12
    [1, [7, 7, 7, 7]],                              // 4 → 4 (record 16)
  ]);
  assert.is(pb.poll(), 0, 'consumed records are gone');
});

test('errnos: E2BIG index, ENOENT unset slot, EOPNOTSUPP another CPU\'s event, EINVAL flags and non-BPF_OUTPUT events', () => {
  const maps = newMaps(2);
  const fd = maps.bpf_map_create(T.perf_event_array, 'events', 4, 4, 4);
  const d = rec(8, 1);
  assert.is(output(maps, fd, 0, 4n, d), -BigInt(ERRNO.E2BIG));
  assert.is(output(maps, fd, 0, 0n, d), -BigInt(ERRNO.ENOENT));
  const ev1 = maps.perf_event_open(1, 1);
  const key = (i: number) => Uint8Array.of(i, 0, 0, 0);
  const val = (f: number) => new Uint8Array(new Int32Array([f]).buffer);
  maps.bpf_map_update_elem(fd, key(1), val(ev1));
  assert.is(output(maps, fd, 0, 1n, d), -BigInt(ERRNO.EOPNOTSUPP), 'the event is bound to CPU 1');
  assert.is(output(maps, fd, 1, 1n, d), 0n);
  assert.is(output(maps, fd, 1, 1n | (1n << 32n), d), -BigInt(ERRNO.EINVAL), 'bits above the index');
  const hw = maps.perf_event_open(0, 1, { type: PERF_TYPE_SOFTWARE, config: 0 });
  maps.bpf_map_update_elem(fd, key(0), val(hw));
  assert.is(output(maps, fd, 0, 0n, d), -BigInt(ERRNO.EINVAL), 'not a PERF_COUNT_SW_BPF_OUTPUT event');
  // user space: entries cannot be read back, fds must be perf events, BPF_ANY only, delete of an empty slot
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, key(1))), 'ENOTSUPP');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(2), val(fd))), 'EBADF');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(2), val(ev1), 1)), 'EINVAL');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(4), val(ev1))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(2))), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(1))), 'ok');
  assert.is(output(maps, fd, 1, BPF_F_CURRENT_CPU, d), -BigInt(ERRNO.ENOENT), 'deleted');
  assert.is(errnoOf(() => maps.perf_event_open(0, 3)), 'EINVAL', 'page count not a power of two');
  assert.is(errnoOf(() => maps.perf_event_open(0, 1 << 20)), 'ENOMEM', 'a 4 GiB ring');
  assert.is(errnoOf(() => maps.perf_event_open(2, 1)), 'EINVAL', 'no CPU 2');
});

test('overflow: samples that do not fit are lost (-ENOSPC) and reported by one PERF_RECORD_LOST before the next sample', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.perf_event_array, 'events', 4, 4, 1);
  const samples: number[] = [];
  const lost: bigint[] = [];
  const pb = new PerfBuffer(maps, fd, { pageCount: 1, sample: (_c, d) => samples.push(d[0]!), lost: (_c, n) => lost.push(n) });
  // 100-byte samples make 112-byte records: a 4096-byte ring holds 36 (one byte always stays free)
  const size = 100, recBytes = 8 + ((size + 4 + 7) & ~7);
  const fits = Math.floor((PAGE_SIZE - 1) / recBytes);
  let ok = 0, nospc = 0;
  for (let i = 0; i < fits + 5; i++) {
    const r = output(maps, fd, 0, BPF_F_CURRENT_CPU, rec(size, i));
    if (r === 0n) ok++; else { assert.is(r, -BigInt(ERRNO.ENOSPC)); nospc++; }
  }
  assert.is(ok, fits);
  assert.is(nospc, 5);
  assert.is(pb.lostSamples(0), 5n);
  pb.poll();
  assert.equal(samples, Array.from({ length: fits }, (_, i) => i));
  assert.equal(lost, []);
  // the next sample brings the lost record first; the records wrap around the end of the ring
  assert.is(output(maps, fd, 0, BPF_F_CURRENT_CPU, rec(size, 200)), 0n);
  assert.is(output(maps, fd, 0, BPF_F_CURRENT_CPU, rec(size, 201)), 0n);
  assert.is(pb.poll(), 3);
  assert.equal(lost, [5n]);
  assert.equal(samples.slice(-2), [200, 201]);
  // many rounds through the ring keep order and contents
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 7; i++) assert.is(output(maps, fd, 0, BPF_F_CURRENT_CPU, rec(1 + ((round * 7 + i) % 300), (round + i) & 0xff)), 0n);
    const before = samples.length;
    pb.poll();
    assert.is(samples.length - before, 7);
    assert.equal(samples.slice(before), Array.from({ length: 7 }, (_, i) => (round + i) & 0xff));
  }
});

test('a sample too large for the ring is lost, not written', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.perf_event_array, 'events', 4, 4, 1);
  const got: number[] = [];
  const pb = new PerfBuffer(maps, fd, { pageCount: 1, sample: (_c, d) => got.push(d.length) });
  assert.is(output(maps, fd, 0, BPF_F_CURRENT_CPU, rec(PAGE_SIZE, 1)), -BigInt(ERRNO.ENOSPC));
  assert.is(output(maps, fd, 0, BPF_F_CURRENT_CPU, rec(4000, 1)), 0n);
  pb.poll();
  assert.equal(got, [4004]);
});

test('perf event array creation checks (fd_array_map_alloc_check)', () => {
  const maps = newMaps(1);
  assert.is(errnoOf(() => maps.bpf_map_create(T.perf_event_array, 'e', 4, 8, 4)), 'EINVAL');
  assert.is(errnoOf(() => maps.bpf_map_create(T.perf_event_array, 'e', 8, 4, 4)), 'EINVAL');
  assert.is(errnoOf(() => maps.bpf_map_create(T.perf_event_array, 'e', 4, 4, 0)), 'EINVAL');
  assert.is(errnoOf(() => maps.bpf_map_create(T.perf_event_array, 'e', 4, 4, 4, { map_flags: 1 << 11 })), 'ok', 'BPF_F_PRESERVE_ELEMS');
  assert.is(errnoOf(() => maps.bpf_map_create(T.perf_event_array, 'e', 4, 4, 4, { map_flags: 1 << 10 })), 'EINVAL', 'BPF_F_MMAPABLE');
});

test.run();
