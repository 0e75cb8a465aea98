// Cgroup arrays and cgroup storages over simulated cgroups: hierarchy tests
// by bpf_current_task_under_cgroup / bpf_skb_under_cgroup, storage that
// appears on attach, bpf_get_local_storage for the running program's cgroup
// and attach type (shared and per-CPU), and the user-space rules.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import { MAP_TYPE as T, ERRNO } from '../src/maps/constants.js';
import { MapError } from '../src/diagnostics/index.js';

function errnoOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof MapError) return e.errnoName; throw e; }
  return 'ok';
}
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const BPF_CGROUP_INET_INGRESS = 0, BPF_CGROUP_INET_EGRESS = 1;
const storageKey = (id: bigint, attach: number): Uint8Array => {
  const k = new Uint8Array(16);
  const dv = new DataView(k.buffer);
  dv.setBigUint64(0, id, true);
  dv.setUint32(8, attach, true);
  return k;
};

test('cgroup array: the current task under a cgroup, -EAGAIN for an empty slot, -E2BIG out of range', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.cgroup_array, 'cgs', 4, 4, 4);
  const app = maps.cgroup('/app');
  const web = maps.cgroup('/app/web', app);
  const other = maps.cgroup('/other');
  maps.bpf_map_update_elem(fd, u32(0), u32(app));
  maps.bpf_map_update_elem(fd, u32(1), u32(other));
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(2), u32(fd))), 'EBADF', 'a map fd is not a cgroup');
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, u32(0))), 'ENOTSUPP');
  const e = maps.kernels.exports;
  const h = maps.map(fd).handle;
  maps.setCurrent(0, { cgroupFd: web });
  assert.is(e.current_task_under_cgroup(h, 0n), 1n, '/app/web is under /app');
  assert.is(e.current_task_under_cgroup(h, 1n), 0n);
  assert.is(e.current_task_under_cgroup(h, 2n), -BigInt(ERRNO.EAGAIN));
  assert.is(e.current_task_under_cgroup(h, 4n), -BigInt(ERRNO.E2BIG));
  assert.is(e.skb_under_cgroup(0, h, 0n), 1n);
  maps.setCurrent(0, { cgroupFd: app });
  assert.is(e.current_task_under_cgroup(h, 0n), 1n, 'a cgroup is under itself');
  maps.setCurrent(0, {});
  assert.is(e.skb_under_cgroup(0, h, 0n), -BigInt(ERRNO.ENOENT), 'no socket cgroup');
  assert.is(e.current_task_under_cgroup(h, 0n), 0n);
  maps.bpf_map_delete_elem(fd, u32(0));
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, u32(0))), 'ENOENT');
});

test('cgroup storage: allocated on attach, per cgroup and attach type; bpf_get_local_storage finds the running program\'s', () => {
  const maps = newMaps(2);
  const fd = maps.bpf_map_create(T.cgroup_storage, 'cs', 16, 8, 0);
  const a = maps.cgroup('/a');
  const b = maps.cgroup('/b');
  const idOf = (f: number): bigint => { const o = maps.object(f); if (!o || !('kind' in o) || o.kind !== 'cgroup') throw new Error('no cgroup'); return o.cgroupId; };
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, storageKey(idOf(a), BPF_CGROUP_INET_INGRESS))), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, storageKey(idOf(a), BPF_CGROUP_INET_INGRESS), new Uint8Array(8))), 'ENOENT');
  maps.cgroupStorageAttach(fd, a, BPF_CGROUP_INET_INGRESS);
  maps.cgroupStorageAttach(fd, a, BPF_CGROUP_INET_EGRESS);
  maps.cgroupStorageAttach(fd, a, BPF_CGROUP_INET_INGRESS); // attaching again keeps the storage
  assert.equal([...maps.bpf_map_lookup_elem(fd, storageKey(idOf(a), BPF_CGROUP_INET_INGRESS))], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, storageKey(idOf(a), 0), new Uint8Array(8), 1)), 'EINVAL', 'BPF_NOEXIST');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, storageKey(idOf(a), 0))), 'EINVAL');
  // a program attached to /a ingress writes through bpf_get_local_storage
  const e = maps.kernels.exports;
  const h = maps.map(fd).handle;
  maps.setCurrent(1, { cgroupFd: a, attachType: BPF_CGROUP_INET_INGRESS });
  e.set_cpu(1);
  const p = e.get_local_storage(h, 0n);
  assert.ok(p !== 0);
  new DataView(maps.bytes().buffer).setBigUint64(p, 42n, true);
  maps.setCurrent(1, { cgroupFd: b, attachType: BPF_CGROUP_INET_INGRESS });
  assert.is(e.get_local_storage(h, 0n), 0, '/b has no storage (no program attached there)');
  e.set_cpu(0);
  assert.is(new DataView(maps.bpf_map_lookup_elem(fd, storageKey(idOf(a), BPF_CGROUP_INET_INGRESS)).buffer).getBigUint64(0, true), 42n);
  assert.is(new DataView(maps.bpf_map_lookup_elem(fd, storageKey(idOf(a), BPF_CGROUP_INET_EGRESS)).buffer).getBigUint64(0, true), 0n);
  let n = 0;
  let k: Uint8Array | null = null;
  for (;;) { try { k = maps.bpf_map_get_next_key(fd, k); } catch { break; } n++; }
  assert.is(n, 2, 'one entry per (cgroup, attach type)');
});

test('per-CPU cgroup storage and u64 keys (one storage per cgroup, shared by attach types)', () => {
  const maps = newMaps(2);
  const fd = maps.bpf_map_create(T.percpu_cgroup_storage, 'pcs', 8, 4, 0);
  const a = maps.cgroup('/a');
  maps.cgroupStorageAttach(fd, a, BPF_CGROUP_INET_INGRESS);
  maps.cgroupStorageAttach(fd, a, BPF_CGROUP_INET_EGRESS);
  const e = maps.kernels.exports;
  const h = maps.map(fd).handle;
  for (const cpu of [0, 1]) {
    maps.setCurrent(cpu, { cgroupFd: a, attachType: cpu === 0 ? BPF_CGROUP_INET_INGRESS : BPF_CGROUP_INET_EGRESS });
    e.set_cpu(cpu);
    new DataView(maps.bytes().buffer).setUint32(e.get_local_storage(h, 0n), 100 + cpu, true);
  }
  e.set_cpu(0);
  const o = maps.object(a);
  const id = o && 'kind' in o && o.kind === 'cgroup' ? o.cgroupId : 0n;
  const v = maps.bpf_map_lookup_elem(fd, new Uint8Array(new BigUint64Array([id]).buffer));
  const dv = new DataView(v.buffer);
  assert.equal([v.length, dv.getUint32(0, true), dv.getUint32(8, true)], [16, 100, 101], 'each CPU\'s slot, 8-aligned');
  assert.is(errnoOf(() => maps.bpf_map_create(T.percpu_cgroup_storage, 'x', 16, 32769, 0)), 'E2BIG');
});

test.run();
