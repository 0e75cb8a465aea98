// Sockmap and sockhash over simulated sockets: which sockets may join
// (sock_map_sk_state_allowed), BPF_NOEXIST/BPF_EXIST, cookies read back,
// deletes, and bpf_sk_redirect_map / bpf_msg_redirect_hash verdicts with the
// target recorded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newMaps } from './kernel/map-setup.js';
import { MAP_TYPE as T } from '../src/maps/constants.js';
import { readRedirect, resetRedirect } from '../src/maps/redirect.js';
import { MapError } from '../src/diagnostics/index.js';
import { SOCK_LAYOUT } from '../src/maps/syscall.js';

const SK_DROP = 0n, SK_PASS = 1n;
function errnoOf(f: () => unknown): string {
  try { f(); } catch (e) { if (e instanceof MapError) return e.errnoName; throw e; }
  return 'ok';
}
const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (n: number | bigint): Uint8Array => new Uint8Array(new BigUint64Array([BigInt(n)]).buffer);

test('sockmap: sockets that may join, flags, cookies, deletes', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.sockmap, 'sm', 4, 8, 4);
  const est = maps.socket({ family: 'inet', protocol: 'tcp', state: 'established' });
  const lis = maps.socket({ family: 'inet6', protocol: 'tcp', state: 'listen' });
  const closed = maps.socket({ family: 'inet', protocol: 'tcp', state: 'close' });
  const udp = maps.socket({ family: 'inet', protocol: 'udp', state: 'close' });
  const unixDisconnected = maps.socket({ family: 'unix', protocol: 'tcp', state: 'close' });
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(0), u64(est))), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(1), u64(lis), 1)), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(2), u64(udp))), 'ok', 'UDP sockets join whatever their state');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(3), u64(closed))), 'EOPNOTSUPP');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(3), u64(unixDisconnected))), 'EOPNOTSUPP');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(1), u64(est), 1)), 'EEXIST');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(3), u64(est), 2)), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(4), u64(est))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(3), u64(est), 4)), 'EINVAL');
  const cookie = (k: number): bigint => new DataView(maps.bpf_map_lookup_elem(fd, u32(k)).buffer).getBigUint64(0, true);
  const sock = (f: number) => { const o = maps.object(f); if (!o || !('kind' in o) || o.kind !== 'socket') throw new Error('no socket'); return o; };
  assert.is(cookie(0), sock(est).cookie);
  assert.is(cookie(1), sock(lis).cookie);
  // closing the fd leaves the map's reference
  maps.close(est);
  assert.is(cookie(0), sock(lis).cookie - 1n);
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, u32(0))), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, u32(0))), 'EINVAL', 'deleting an empty slot');
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd, u32(0))), 'ENOENT');
  const fd4 = maps.bpf_map_create(T.sockmap, 'sm4', 4, 4, 4);
  maps.bpf_map_update_elem(fd4, u32(0), u32(lis));
  assert.is(errnoOf(() => maps.bpf_map_lookup_elem(fd4, u32(0))), 'ENOSPC', '4-byte values cannot hold the cookie');
  // programs see struct bpf_sock
  const e = maps.kernels.exports;
  const s = e.heap_alloc(16);
  new DataView(maps.bytes().buffer).setUint32(s, 1, true);
  const p = e.map_lookup_elem(maps.map(fd).handle, s);
  const dv = new DataView(maps.bytes().buffer);
  assert.equal([dv.getUint32(p + SOCK_LAYOUT.family, true), dv.getUint32(p + SOCK_LAYOUT.protocol, true), dv.getUint32(p + SOCK_LAYOUT.state, true)], [10, 6, 10]);
});

test('bpf_sk_redirect_map: SK_PASS to an established socket, SK_DROP for a listener, an empty slot or bad flags', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.sockmap, 'sm', 4, 8, 4);
  const est = maps.socket({ family: 'inet', protocol: 'tcp', state: 'established' });
  const lis = maps.socket({ family: 'inet', protocol: 'tcp', state: 'listen' });
  maps.bpf_map_update_elem(fd, u32(0), u64(est));
  maps.bpf_map_update_elem(fd, u32(1), u64(lis));
  const e = maps.kernels.exports;
  const h = maps.map(fd).handle;
  resetRedirect(maps, 0);
  assert.is(e.sk_redirect_map(0, h, 1n, 0n), SK_DROP, 'a listening socket');
  assert.is(e.sk_redirect_map(0, h, 2n, 0n), SK_DROP, 'empty');
  assert.is(e.sk_redirect_map(0, h, 9n, 0n), SK_DROP, 'out of range');
  assert.is(e.sk_redirect_map(0, h, 0n, 2n), SK_DROP, 'a flag other than BPF_F_INGRESS');
  assert.is(readRedirect(maps, 0), undefined);
  assert.is(e.sk_redirect_map(0, h, 0n, 1n), SK_PASS);
  assert.equal(readRedirect(maps, 0), { kind: 'socket', mapId: maps.map(fd).id, key: 0, socketFd: est, cookie: 1n, ingress: true });
  assert.is(e.msg_redirect_map(0, h, 0n, 0n), SK_PASS);
  assert.equal(readRedirect(maps, 0), { kind: 'socket', mapId: maps.map(fd).id, key: 0, socketFd: est, cookie: 1n, ingress: false });
});

test('sockhash: keyed sockets, full map, ENOENT delete, bpf_msg_redirect_hash', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.sockhash, 'sh', 12, 8, 2);
  const a = maps.socket({ family: 'inet', protocol: 'tcp' });
  const b = maps.socket({ family: 'inet', protocol: 'udp', state: 'established' });
  const k = (n: number): Uint8Array => Uint8Array.from({ length: 12 }, (_, i) => (n + i) & 0xff);
  maps.bpf_map_update_elem(fd, k(1), u64(a));
  maps.bpf_map_update_elem(fd, k(2), u64(b), 1);
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, k(3), u64(a))), 'E2BIG');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, k(3), u64(a), 2)), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, k(1), u64(b), 1)), 'EEXIST');
  maps.bpf_map_update_elem(fd, k(1), u64(b), 2);
  const e = maps.kernels.exports;
  const s = e.heap_alloc(16);
  maps.bytes().set(k(1), s);
  resetRedirect(maps, 0);
  assert.is(e.msg_redirect_hash(0, maps.map(fd).handle, s, 0n), SK_PASS, 'a connected UDP socket');
  const t = readRedirect(maps, 0);
  assert.ok(t && t.kind === 'socket' && t.socketFd === b);
  assert.is(e.sk_redirect_map(0, maps.map(fd).handle, 0n, 0n), SK_DROP, 'the map helper needs a sockmap');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, k(1))), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, k(1))), 'ENOENT');
  assert.is(e.msg_redirect_hash(0, maps.map(fd).handle, s, 0n), SK_DROP);
});

test('reuseport socket array: listening TCP or bound UDP sockets with SO_REUSEPORT; cookies; E2BIG/ENOENT deletes', () => {
  const maps = newMaps(1);
  const fd = maps.bpf_map_create(T.reuseport_sockarray, 'ra', 4, 8, 4);
  const lis = maps.socket({ family: 'inet', protocol: 'tcp', state: 'listen', reuseport: true });
  const udp = maps.socket({ family: 'inet6', protocol: 'udp', state: 'close', reuseport: true });
  const noReuse = maps.socket({ family: 'inet', protocol: 'tcp', state: 'listen' });
  const est = maps.socket({ family: 'inet', protocol: 'tcp', state: 'established', reuseport: true });
  const unix = maps.socket({ family: 'unix', protocol: 'tcp', state: 'listen', reuseport: true });
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(0), u64(lis))), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(1), u64(udp), 1)), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(2), u64(noReuse))), 'EINVAL', 'no SO_REUSEPORT');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(2), u64(est))), 'EINVAL', 'not hashed: established');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(2), u64(unix))), 'ENOTSUPP');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(0), u64(udp), 1)), 'EEXIST');
  assert.is(errnoOf(() => maps.bpf_map_update_elem(fd, u32(2), u64(udp), 2)), 'ENOENT');
  const o = maps.object(lis);
  assert.equal(maps.bpf_map_lookup_elem(fd, u32(0)), u64(o && 'kind' in o && o.kind === 'socket' ? o.cookie : -1n));
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, u32(0))), 'ok');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, u32(0))), 'ENOENT');
  assert.is(errnoOf(() => maps.bpf_map_delete_elem(fd, u32(4))), 'E2BIG');
});

test.run();
