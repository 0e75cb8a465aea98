// Redirect maps (devmap, devmap_hash, cpumap, xskmap): user-space updates
// with the kernel's checks and errnos over the simulated devices, CPUs and
// AF_XDP sockets, program lookups, and bpf_redirect_map's fallback action,
// flags and the per-CPU redirect record the XDP runtime reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import { MAP_TYPE as T, BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, NR_CPUS } from '../src/maps/constants.js';
import { readRedirect, resetRedirect } from '../src/maps/redirect.js';
import { MapError } from '../src/diagnostics/index.js';
import { SOCK_LAYOUT, type BpfMaps } from '../src/maps/syscall.js';

const XDP = { ABORTED: 0n, DROP: 1n, PASS: 2n, TX: 3n, REDIRECT: 4n };

function errnoOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof MapError) return e.errnoName; throw e; }
  return 'ok';
}
const u32s = (...xs: number[]): Uint8Array => new Uint8Array(new Uint32Array(xs).buffer);
const key = (i: number): Uint8Array => u32s(i);

function redirect(maps: BpfMaps, fd: number, k: number | bigint, flags: bigint, cpu = 0): bigint {
  const e = maps.kernels.exports;
  e.set_cpu(cpu);
  resetRedirect(maps, cpu);
  const r = e.redirect_map(maps.map(fd).handle, BigInt(k), flags);
  e.set_cpu(0);
  return r;
}

test('devmap: ifindex targets, value_size 4 or 8, the kernel\'s update/delete errnos', () => {
  const maps = newMaps(2);
  maps.addDevice(5, 'eth0');
  const fd = maps.bpf_map_create(T.devmap, 'tx', 4, 8, 4);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(0), u32s(5, 0))), 'ok');
  assert.equal([...maps.bpf_map_lookup_elem(fd, key(0))], [...u32s(5, 0)]);
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, key(1))), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(5, 0), 1)), 'EEXIST', 'BPF_NOEXIST always fails');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(5, 0), 4)), 'EINVAL');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(4), u32s(5, 0))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(99, 0))), 'EINVAL', 'no such device');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(0, 7))), 'EINVAL', 'program fd without ifindex');
  const plain = maps.registerProgram('p');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(5, plain.fd))), 'EINVAL', 'not a BPF_XDP_DEVMAP program');
  const devprog = maps.registerProgram('d', 'xdp_devmap');
  maps.bpf_map_update_elem(fd, key(1), u32s(1, devprog.fd));
  assert.equal([...maps.bpf_map_lookup_elem(fd, key(1))], [...u32s(1, devprog.id)], 'user space reads the program id');
  maps.bpf_map_update_elem(fd, key(1), u32s(0, 0));
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, key(1))), 'ENOENT', 'ifindex 0 empties the slot');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(2))), 'ok', 'deleting an empty slot succeeds');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(4))), 'EINVAL');
  assert.equal([...maps.bpf_map_get_next_key(fd, key(2))], [...key(3)]);
  assert.is(errnoOf(() => maps.bpf_map_get_next_key(fd, key(3))), 'ENOENT');
  // value_size 4: ifindex only
  const fd4 = maps.bpf_map_create(T.devmap, 'tx4', 4, 4, 2);
  maps.bpf_map_update_elem(fd4, key(1), u32s(5));
  assert.equal([...maps.bpf_map_lookup_elem(fd4, key(1))], [...u32s(5)]);
});

test('bpf_redirect_map on a devmap: target recorded, fallback action from the low flag bits, bad flags abort', () => {
  const maps = newMaps(2);
  maps.addDevice(5, 'eth0');
  maps.addDevice(6, 'eth1');
  const fd = maps.bpf_map_create(T.devmap, 'tx', 4, 8, 4);
  maps.bpf_map_update_elem(fd, key(2), u32s(5, 0));
  maps.bpf_map_update_elem(fd, key(3), u32s(6, 0));
  const id = maps.map(fd).id;
  assert.is(redirect(maps, fd, 2, 0n, 1), XDP.REDIRECT);
  assert.equal(readRedirect(maps, 1), { kind: 'device', mapId: id, key: 2, ifindex: 5, progId: 0 });
  assert.is(readRedirect(maps, 0), undefined, 'the record is per CPU');
  for (const fallback of [XDP.ABORTED, XDP.DROP, XDP.PASS, XDP.TX]) {
    assert.is(redirect(maps, fd, 0, fallback), fallback, 'an empty slot returns the low flag bits');
    assert.is(readRedirect(maps, 0), undefined);
  }
  assert.is(redirect(maps, fd, 9, XDP.PASS), XDP.PASS, 'out of range');
  assert.is(redirect(maps, fd, 2n + (1n << 32n), 0n), XDP.REDIRECT, 'the key is the low 32 bits');
  assert.is(redirect(maps, fd, 2, 1n << 2n), XDP.ABORTED, 'an unknown flag bit');
  // broadcast: every device; the lookup failing does not matter
  assert.is(redirect(maps, fd, 0, BigInt(BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)), XDP.REDIRECT);
  assert.equal(readRedirect(maps, 0, 5), { kind: 'broadcast', mapId: id, ifindexes: [6], excludeIngress: true });
  assert.is(redirect(maps, fd, 0, BigInt(BPF_F_BROADCAST)), XDP.REDIRECT);
  assert.equal(readRedirect(maps, 0, 5), { kind: 'broadcast', mapId: id, ifindexes: [5, 6], excludeIngress: false });
  // a later failed lookup clears the earlier target (the last call wins)
  const e = maps.kernels.exports;
  e.redirect_map(maps.map(fd).handle, 2n, 0n);
  e.redirect_map(maps.map(fd).handle, 1n, XDP.DROP);
  assert.is(readRedirect(maps, 0), undefined);
});

test('devmap_hash: keyed entries, BPF_NOEXIST, E2BIG when full, ENOENT delete, program lookups', () => {
  const maps = newMaps(1);
  maps.addDevice(10, 'a');
  maps.addDevice(11, 'b');
  const fd = maps.bpf_map_create(T.devmap_hash, 'dh', 4, 4, 2);
  maps.bpf_map_update_elem(fd, key(10), u32s(10));
  maps.bpf_map_update_elem(fd, key(11), u32s(11), 2); // BPF_EXIST is not checked
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(10), u32s(11), 1)), 'EEXIST');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(12), u32s(10))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(12), u32s(0))), 'EINVAL', 'ifindex 0');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(12), u32s(10), 3)), 'EINVAL');
  maps.bpf_map_update_elem(fd, key(10), u32s(11));
  assert.equal([...maps.bpf_map_lookup_elem(fd, key(10))], [...u32s(11)]);
  assert.is(redirect(maps, fd, 10, 0n), XDP.REDIRECT);
  assert.equal(readRedirect(maps, 0), { kind: 'device', mapId: maps.map(fd).id, key: 10, ifindex: 11, progId: 0 });
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(10))), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(10))), 'ENOENT');
  assert.is(redirect(maps, fd, 10, XDP.DROP), XDP.DROP);
  assert.is(errnoOf(() => maps.bpf_map_create(T.devmap_hash, 'dh', 4, 4, 0x80000001)), 'EINVAL');
});

test('cpumap: qsize, possible CPUs, EOVERFLOW, program entries; redirect to a CPU', () => {
  const maps = newMaps(2);
  const fd = maps.bpf_map_create(T.cpumap, 'cpus', 4, 8, 4);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(192, 0))), 'ok');
  assert.equal([...maps.bpf_map_lookup_elem(fd, key(1))], [...u32s(192, 0)]);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(16385, 0))), 'EOVERFLOW');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(2), u32s(192, 0))), 'ENODEV', 'CPU 2 is not possible on a 2-CPU machine');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(4), u32s(192, 0))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(0), u32s(192, 0), 1)), 'EEXIST');
  const plain = maps.registerProgram('p');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(0), u32s(192, plain.fd))), 'ENOMEM', 'entry allocation fails on a wrong program');
  const cp = maps.registerProgram('c', 'xdp_cpumap');
  maps.bpf_map_update_elem(fd, key(0), u32s(64, cp.fd));
  assert.is(redirect(maps, fd, 0, 0n), XDP.REDIRECT);
  assert.equal(readRedirect(maps, 0), { kind: 'cpu', mapId: maps.map(fd).id, cpu: 0, qsize: 64, progId: cp.id });
  maps.bpf_map_update_elem(fd, key(0), u32s(0, 0));
  assert.is(redirect(maps, fd, 0, XDP.PASS), XDP.PASS, 'qsize 0 removed the entry');
  assert.is(redirect(maps, fd, 1, BigInt(BPF_F_BROADCAST)), XDP.ABORTED, 'broadcast is for devmaps');
  assert.is(errnoOf(() => maps.bpf_map_create(T.cpumap, 'c', 4, 4, NR_CPUS + 1)), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_create(T.cpumap, 'c', 4, 12, 4)), 'EINVAL');
});

test('xskmap: AF_XDP sockets only, BPF_NOEXIST/BPF_EXIST, no user-space reads; programs see the socket', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.xskmap, 'xsks', 4, 4, 4);
  const xsk = maps.socket({ family: 'xdp', ifindex: 1, queueId: 3 });
  const unbound = maps.socket({ family: 'xdp', bound: false });
  const tcp = maps.socket({ family: 'inet' });
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(0), u32s(xsk), 2)), 'ENOENT', 'BPF_EXIST on an empty slot');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(0), u32s(xsk), 1)), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(0), u32s(xsk), 1)), 'EEXIST');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(unbound))), 'EOPNOTSUPP');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(tcp))), 'EOPNOTSUPP');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(fd))), 'ENOTSOCK', 'a map fd');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(1), u32s(9999))), 'EBADF');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, key(4), u32s(xsk))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, key(0))), 'EOPNOTSUPP');
  const e = maps.kernels.exports;
  const s = e.heap_alloc(16);
  new DataView(maps.bytes().buffer).setUint32(s, 0, true);
  const sockPtr = e.map_lookup_elem(maps.map(fd).handle, s);
  assert.ok(sockPtr !== 0);
  assert.is(new DataView(maps.bytes().buffer).getUint32(sockPtr + SOCK_LAYOUT.queue_id, true), 3, 'the socket\'s queue id');
  assert.is(redirect(maps, fd, 0, 0n), XDP.REDIRECT);
  assert.equal(readRedirect(maps, 0), { kind: 'xsk', mapId: maps.map(fd).id, key: 0, socketFd: xsk, queueId: 3 });
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, key(0))), 'ok');
  assert.is(e.map_lookup_elem(maps.map(fd).handle, s), 0);
  assert.is(redirect(maps, fd, 0, XDP.DROP), XDP.DROP);
  assert.is(errnoOf(() => maps.bpf_map_create(T.xskmap, 'x', 4, 8, 4)), 'EINVAL');
});

test.run();
