// Stack trace maps, bpf_get_stackid and bpf_get_stack over the simulated
// call stack: same stack → same id, skip and truncation, BPF_F_USER_STACK,
// -EEXIST on a slot collision unless BPF_F_REUSE_STACKID, at most max_entries
// stacks (-ENOMEM), the user-space view, and the errnos.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import {
  MAP_TYPE as T, MAP_FLAG, ERRNO, BPF_F_USER_STACK, BPF_F_REUSE_STACKID, BPF_F_FAST_STACK_CMP, BPF_F_USER_BUILD_ID, PERF_MAX_STACK,
} from '../src/maps/constants.js';
import { setCallStack } from '../src/maps/stack.js';
import { MapError } from '../src/diagnostics/index.js';
import type { BpfMaps } from '../src/maps/syscall.js';

function errnoOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof MapError) return e.errnoName; throw e; }
  return 'ok';
}
const stackid = (maps: BpfMaps, fd: number, flags: number, cpu = 0): bigint => {
  const e = maps.kernels.exports;
  e.set_cpu(cpu);
  const r = e.get_stackid(0, maps.map(fd).handle, BigInt(flags));
  e.set_cpu(0);
  return r;
};
const frames = (v: Uint8Array): bigint[] => {
  const dv = new DataView(v.buffer, v.byteOffset);
  return Array.from({ length: v.length / 8 }, (_, i) => dv.getBigUint64(8 * i, true));
};
const key = (id: bigint | number): Uint8Array => new Uint8Array(new Uint32Array([Number(id)]).buffer);
const ips = (...xs: number[]): bigint[] => xs.map((x) => 0xffffffff81000000n + BigInt(x));

test('the same stack gets the same id; user space reads the frames zero-padded to value_size', () => {
  const maps = newMaps(2);
  // enough buckets that these five stacks do not collide (ids are deterministic: the hash has a fixed seed)
  const fd = maps.bpf_map_create(T.stack_trace, 'st', 4, 8 * 8, 1 << 16);
  setCallStack(maps, 0, { kernel: ips(1, 2, 3), user: [0x401000n, 0x402000n] });
  const a = stackid(maps, fd, 0);
  assert.ok(a >= 0n && a < 1n << 16n);
  assert.is(stackid(maps, fd, 0), a);
  assert.equal(frames(maps.bpf_map_lookup_elem(fd, key(a))), [...ips(1, 2, 3), 0n, 0n, 0n, 0n, 0n]);
  const u = stackid(maps, fd, BPF_F_USER_STACK);
  assert.equal(frames(maps.bpf_map_lookup_elem(fd, key(u))).slice(0, 3), [0x401000n, 0x402000n, 0n]);
  // skip drops the innermost frames; a stack deeper than the value is truncated
  const s = stackid(maps, fd, 1);
  assert.equal(frames(maps.bpf_map_lookup_elem(fd, key(s))).slice(0, 3), [...ips(2, 3), 0n]);
  setCallStack(maps, 1, { kernel: ips(...Array.from({ length: 20 }, (_, i) => i)) });
  const deep = stackid(maps, fd, 0, 1);
  assert.equal(frames(maps.bpf_map_lookup_elem(fd, key(deep))), ips(0, 1, 2, 3, 4, 5, 6, 7));
  const deepSkip = stackid(maps, fd, 2, 1);
  assert.equal(frames(maps.bpf_map_lookup_elem(fd, key(deepSkip))), ips(2, 3, 4, 5, 6, 7, 8, 9), 'the depth is value_size/8 + skip before skipping');
  // iteration walks the used ids in order
  const ids: number[] = [];
  let k: Uint8Array | null = null;
  for (;;) { try { k = maps.bpf_map_get_next_key(fd, k); } catch { break; } ids.push(new DataView(k.buffer).getUint32(0, true)); }
  assert.equal(ids, [...new Set([a, u, s, deep, deepSkip].map(Number))].sort((x, y) => x - y));
  // lookup_and_delete takes the stack out
  assert.equal(frames(maps.bpf_map_lookup_and_delete_elem(fd, key(a))).slice(0, 3), ips(1, 2, 3));
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, key(a))), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_lookup_and_delete_elem(fd, key(a))), 'ENOENT');
});

test('errnos: EFAULT when skip eats the stack, EINVAL flags, EEXIST on a collision, ENOMEM without a free bucket', () => {
  const maps = newMaps(1);
  // one bucket and one preallocated stack: every stack collides
  const fd = maps.bpf_map_create(T.stack_trace, 'st', 4, 16, 1);
  setCallStack(maps, 0, { kernel: ips(1, 2) });
  assert.is(stackid(maps, fd, 2), -BigInt(ERRNO.EFAULT));
  assert.is(stackid(maps, fd, 1 << 12), -BigInt(ERRNO.EINVAL));
  setCallStack(maps, 0, { kernel: [] });
  assert.is(stackid(maps, fd, 0), -BigInt(ERRNO.EFAULT), 'an empty stack');
  setCallStack(maps, 0, { kernel: ips(1, 2) });
  assert.is(stackid(maps, fd, 0), 0n);
  setCallStack(maps, 0, { kernel: ips(7, 8) });
  assert.is(stackid(maps, fd, 0), -BigInt(ERRNO.EEXIST));
  // the kernel pops a free bucket before it returns the replaced one: none is free
  assert.is(stackid(maps, fd, BPF_F_REUSE_STACKID), -BigInt(ERRNO.ENOMEM));
  assert.equal(frames(maps.bpf_map_lookup_elem(fd, key(0))), ips(1, 2));
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(0))), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(0))), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(1))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, key(0))), 'ENOENT');
  assert.is(stackid(maps, fd, 0), 0n, 'a free bucket again');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(0), new Uint8Array(16))), 'EINVAL');
});

test('BPF_F_REUSE_STACKID replaces a colliding stack when a bucket is free', () => {
  const maps = newMaps(1);
  // two buckets, two preallocated stacks
  const fd = maps.bpf_map_create(T.stack_trace, 'st', 4, 16, 2);
  const probe = maps.bpf_map_create(T.stack_trace, 'probe', 4, 16, 2);
  setCallStack(maps, 0, { kernel: ips(1, 2) });
  const a = stackid(maps, fd, 0);
  // find a stack landing in the same bucket (ids depend only on the stack and the bucket count)
  let other = 0;
  for (let i = 3; i < 100 && !other; i++) {
    setCallStack(maps, 0, { kernel: ips(i) });
    const id = stackid(maps, probe, 0);
    maps.bpf_map_delete_elem(probe, key(id));
    if (id === a) other = i;
  }
  assert.ok(other, 'a colliding stack');
  setCallStack(maps, 0, { kernel: ips(other) });
  assert.is(stackid(maps, fd, 0), -BigInt(ERRNO.EEXIST));
  assert.is(stackid(maps, fd, BPF_F_REUSE_STACKID), a);
  assert.equal(frames(maps.bpf_map_lookup_elem(fd, key(a))), [...ips(other), 0n]);
  assert.is(stackid(maps, fd, 0), a, 'the replacement is now the stored stack');
});

test('BPF_F_FAST_STACK_CMP trusts the hash; at most max_entries stacks are stored', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.stack_trace, 'st', 4, 8, 4);
  let stored = 0, nomem = 0, exist = 0;
  for (let i = 0; i < 64; i++) {
    setCallStack(maps, 0, { kernel: ips(1000 + i) });
    const r = stackid(maps, fd, BPF_F_FAST_STACK_CMP);
    if (r >= 0n) stored++; else if (r === -BigInt(ERRNO.ENOMEM)) nomem++; else if (r === -BigInt(ERRNO.EEXIST)) exist++;
  }
  let n = 0;
  let k: Uint8Array | null = null;
  for (;;) { try { k = maps.bpf_map_get_next_key(fd, k); } catch { break; } n++; }
  assert.is(n, 4, 'four buckets, four stacks');
  assert.ok(stored >= 4 && exist > 0, `stored ${stored}, EEXIST ${exist}, ENOMEM ${nomem}`);
});

test('build-id stack maps store bpf_stack_build_id entries (BPF_STACK_BUILD_ID_IP: no build ids in the simulation)', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.stack_trace, 'bid', 4, 32 * 2, 4, { map_flags: MAP_FLAG.STACK_BUILD_ID });
  setCallStack(maps, 0, { kernel: ips(5, 6, 7) });
  const id = stackid(maps, fd, 0);
  const v = maps.bpf_map_lookup_elem(fd, key(id));
  const dv = new DataView(v.buffer);
  assert.equal([dv.getInt32(0, true), dv.getBigUint64(24, true), dv.getInt32(32, true), dv.getBigUint64(56, true)], [2, ips(5)[0], 2, ips(6)[0]]);
  assert.is(errnoOf(() => maps.bpf_map_create(T.stack_trace, 'bid', 4, 48, 4, { map_flags: MAP_FLAG.STACK_BUILD_ID })), 'EINVAL');
});

test('bpf_get_stack: bytes copied, rest zeroed; errors zero the buffer', () => {
  const maps = newMaps(1);
  const e = maps.kernels.exports;
  const buf = e.heap_alloc(256);
  const get = (size: number, flags: number): [bigint, bigint[]] => {
    maps.bytes().fill(0xaa, buf, buf + 256);
    const r = e.get_stack(0, buf, BigInt(size), BigInt(flags));
    return [r, frames(maps.bytes().slice(buf, buf + size))];
  };
  setCallStack(maps, 0, { kernel: ips(1, 2, 3), user: [0x10n] });
  assert.equal(get(40, 0), [24n, [...ips(1, 2, 3), 0n, 0n]]);
  assert.equal(get(16, 0), [16n, ips(1, 2)]);
  assert.equal(get(16, 1), [16n, ips(2, 3)]);
  assert.equal(get(16, 3), [0n, [0n, 0n]], 'skipping exactly the whole stack');
  assert.equal(get(16, 4), [-BigInt(ERRNO.EFAULT), [0n, 0n]]);
  assert.equal(get(16, BPF_F_USER_STACK), [8n, [0x10n, 0n]]);
  assert.equal(get(12, 0)[0], -BigInt(ERRNO.EINVAL), 'size not a multiple of 8');
  assert.equal(get(16, BPF_F_USER_BUILD_ID)[0], -BigInt(ERRNO.EINVAL), 'build ids need the user stack');
  assert.equal(get(16, 1 << 12), [-BigInt(ERRNO.EINVAL), [0n, 0n]]);
  assert.is(errnoOf(() => setCallStack(maps, 0, { kernel: new Array(PERF_MAX_STACK + 1).fill(1n) })), 'E2BIG');
});

test.run();
