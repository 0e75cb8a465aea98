// Local storages (sk, task, inode, cgrp) on simulated owners: the
// bpf_*_storage_get F_CREATE rules and initial value, bpf_*_storage_delete,
// user space keyed by the owner's fd (BPF_NOEXIST/BPF_EXIST, no iteration),
// and the creation checks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import { MAP_TYPE as T, MAP_FLAG, ERRNO, LOCAL_STORAGE_MAX_VALUE } from '../src/maps/constants.js';
import { MapError } from '../src/diagnostics/index.js';
import type { BpfMaps } from '../src/maps/syscall.js';

function errnoOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof MapError) return e.errnoName; throw e; }
  return 'ok';
}
const i32 = (n: number): Uint8Array => new Uint8Array(new Int32Array([n]).buffer);
const u64 = (n: bigint): Uint8Array => new Uint8Array(new BigUint64Array([n]).buffer);
const F_CREATE = 1n;

const OWNERS: [string, number, (maps: BpfMaps) => number][] = [
  ['sk_storage', T.sk_storage, (m) => m.socket({ family: 'inet', protocol: 'tcp' })],
  ['task_storage', T.task_storage, (m) => m.task(1234, 1234, 'app')],
  ['inode_storage', T.inode_storage, (m) => m.inode('/etc/hosts')],
  ['cgrp_storage', T.cgrp_storage, (m) => m.cgroup('/app')],
];

for (const [name, type, makeOwner] of OWNERS) {
  test(`${name}: get without F_CREATE finds nothing, F_CREATE makes the value (initial value or zeros), delete, user space by fd`, () => {
    const maps = newMaps(1);
    const fd = maps.bpf_map_create(type, 'ls', 4, 8, 0, { map_flags: MAP_FLAG.NO_PREALLOC });
    const owner = makeOwner(maps);
    const other = makeOwner(maps);
    const o = maps.object(owner);
    const addr = o && 'kind' in o ? o.addr : 0;
    const e = maps.kernels.exports;
    const h = maps.map(fd).handle;
    assert.is(e.storage_get(h, addr, 0, 0n), 0);
    assert.is(e.storage_get(h, addr, 0, 2n), 0, 'unknown flags');
    assert.is(e.storage_get(h, 0, 0, F_CREATE), 0, 'no owner');
    const init = e.heap_alloc(16);
    new DataView(maps.bytes().buffer).setBigUint64(init, 77n, true);
    const p = e.storage_get(h, addr, init, F_CREATE);
    assert.ok(p !== 0);
    assert.is(new DataView(maps.bytes().buffer).getBigUint64(p, true), 77n);
    assert.is(e.storage_get(h, addr, 0, F_CREATE), p, 'an existing value is returned, not recreated');
    new DataView(maps.bytes().buffer).setBigUint64(p, 78n, true);
    assert.equal(maps.bpf_map_lookup_elem(fd, i32(owner)), u64(78n));
    assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, i32(other))), 'ENOENT');
    assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, i32(other), u64(5n), 2)), 'ENOENT', 'BPF_EXIST');
    assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, i32(owner), u64(5n), 1)), 'EEXIST', 'BPF_NOEXIST');
    assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, i32(owner), u64(5n), 3)), 'EINVAL');
    maps.bpf_map_update_elem(fd, i32(other), u64(9n));
    const q = e.storage_get(h, maps.object(other) && 'kind' in maps.object(other)! ? (maps.object(other) as { addr: number }).addr : 0, 0, 0n);
    assert.is(new DataView(maps.bytes().buffer).getBigUint64(q, true), 9n, 'programs see what user space stored');
    assert.is(errnoOf(() => maps.bpf_map_get_next_key(fd, null)), 'ENOTSUPP');
    assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, i32(9999))), 'EBADF');
    assert.is(e.storage_delete(h, addr), 0n);
    assert.is(e.storage_delete(h, addr), -BigInt(ERRNO.ENOENT));
    assert.is(e.storage_delete(h, 0), -BigInt(ERRNO.EINVAL));
    const z = e.storage_get(h, addr, 0, F_CREATE);
    assert.is(new DataView(maps.bytes().buffer).getBigUint64(z, true), 0n, 'created zeroed without an initial value');
    maps.bpf_map_delete_elem(fd, i32(owner));
    assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, i32(owner))), 'ENOENT');
  });
}

test('local storage creation checks (bpf_local_storage_map_alloc_check) and fd kinds', () => {
  const maps = newMaps(1);
  const np = { map_flags: MAP_FLAG.NO_PREALLOC };
  assert.is(errnoOf(() => maps.bpf_map_create(T.sk_storage, 's', 4, 8, 0)), 'EINVAL', 'needs BPF_F_NO_PREALLOC');
  assert.is(errnoOf(() => maps.bpf_map_create(T.sk_storage, 's', 4, 8, 1, np)), 'EINVAL', 'max_entries');
  assert.is(errnoOf(() => maps.bpf_map_create(T.sk_storage, 's', 8, 8, 0, np)), 'EINVAL', 'key_size');
  assert.is(errnoOf(() => maps.bpf_map_create(T.task_storage, 's', 4, 0, 0, np)), 'EINVAL', 'value_size 0');
  assert.is(errnoOf(() => maps.bpf_map_create(T.inode_storage, 's', 4, LOCAL_STORAGE_MAX_VALUE + 1, 0, np)), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_create(T.cgrp_storage, 's', 4, LOCAL_STORAGE_MAX_VALUE, 0, { map_flags: MAP_FLAG.NO_PREALLOC | MAP_FLAG.CLONE })), 'ok');
  const sk = maps.bpf_map_create(T.sk_storage, 's', 4, 8, 0, np);
  const task = maps.task(1);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(sk, i32(task), u64(1n))), 'ENOTSOCK', 'a pidfd is not a socket');
  const ts = maps.bpf_map_create(T.task_storage, 't', 4, 8, 0, np);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(ts, i32(sk), u64(1n))), 'EBADF', 'a map fd is not a pidfd');
  const is = maps.bpf_map_create(T.inode_storage, 'i', 4, 8, 0, np);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(is, i32(task), u64(1n))), 'ok', 'every open file has an inode');
});

test.run();
