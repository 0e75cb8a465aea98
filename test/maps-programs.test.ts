// Programs over the redirect maps and a perf event array (compiled C,
// test/fixtures/maps/redirect.c), in both tiers: the XDP run reports
// bpf_redirect_map's target, and every run's event reaches the PerfBuffer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { loadObject } from '../src/object/index.js';
import { loadTier } from '../src/runtime/tier.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { PerfBuffer } from '../src/maps/perfbuf.js';
import type { RedirectTarget } from '../src/maps/redirect.js';

const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const fixture = (n: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', 'maps', `${n}.o`)));
const u32s = (...xs: number[]): Uint8Array => new Uint8Array(new Uint32Array(xs).buffer);
const XDP_PASS = 2n, XDP_REDIRECT = 4n;

interface Ev { cpu: number; len: number; kind: number; key: number; ret: bigint }

async function run(tier: 'interpreter' | 'jit', verified: boolean): Promise<void> {
  if (tier === 'jit') await loadTier('jit');
  const obj = loadObject(fixture('redirect'), { name: 'redirect', unverified: !verified, kernels, tier });
  const maps = obj.maps_;
  maps.addDevice(5, 'eth0');
  maps.addDevice(6, 'eth1');
  obj.map('tx_ports').update(u32s(1), u32s(5, 0));
  obj.map('tx_ports').update(u32s(2), u32s(6, 0));
  obj.map('tx_hash').update(u32s(7), u32s(6));
  obj.map('cpus').update(u32s(0), u32s(128, 0));
  const xsk = maps.socket({ family: 'xdp', ifindex: 5, queueId: 2 });
  obj.map('xsks').update(u32s(3), u32s(xsk));
  const events: Ev[] = [];
  const pb = new PerfBuffer(maps, obj.map('events').info.fd, {
    pageCount: 1,
    sample: (cpu, d) => {
      const dv = new DataView(d.buffer, d.byteOffset);
      events.push({ cpu, len: dv.getUint32(0, true), kind: d[4]!, key: d[5]!, ret: dv.getBigInt64(8, true) });
    },
  });
  const prog = obj.program('redirect_by_byte').loaded;
  const cases: [number[], bigint, RedirectTarget | undefined][] = [
    [[0, 1, 9], XDP_REDIRECT, { kind: 'device', mapId: obj.map('tx_ports').info.id, key: 1, ifindex: 5, progId: 0 }],
    [[0, 3], XDP_PASS, undefined],
    [[1, 7], XDP_REDIRECT, { kind: 'device', mapId: obj.map('tx_hash').info.id, key: 7, ifindex: 6, progId: 0 }],
    [[1, 1], XDP_PASS, undefined],
    [[2, 0], XDP_REDIRECT, { kind: 'cpu', mapId: obj.map('cpus').info.id, cpu: 0, qsize: 128, progId: 0 }],
    [[2, 1], XDP_PASS, undefined],
    [[3, 3, 0, 0], XDP_REDIRECT, { kind: 'xsk', mapId: obj.map('xsks').info.id, key: 3, socketFd: xsk, queueId: 2 }],
    [[4, 0], XDP_REDIRECT, { kind: 'broadcast', mapId: obj.map('tx_ports').info.id, ifindexes: [6], excludeIngress: true }],
  ];
  for (const [data, ret, target] of cases) {
    const out = prog.testRun({ data: Uint8Array.from(data), ingressIfindex: 5 }) as { retval: bigint; redirect?: RedirectTarget };
    assert.is(out.retval, ret, `${tier}: ${data}`);
    assert.equal(out.redirect, target, `${tier}: ${data}`);
  }
  assert.is(pb.poll(), cases.length);
  assert.equal(events, cases.map(([d, r]) => ({ cpu: 0, len: d.length, kind: d[0]!, key: d[1]!, ret: r })));
}

test('interpreter: redirect targets and perf events', async () => { await run('interpreter', false); });
test('jit: redirect targets and perf events', async () => { await run('jit', false); });
test('verified load: the verifier accepts the program and the run is the same', async () => { await run('interpreter', true); });



test('the CLI lists and dumps the new map types', async () => {
  const { spawnSync } = await import('node:child_process');
  const { CLI } = await import('./support/paths.js');
  const obj = join(ROOT, 'test', 'fixtures', 'maps', 'redirect.o');
  const list = spawnSync(process.execPath, [CLI, 'maps', obj], { encoding: 'utf8' });
  assert.is(list.status, 0, list.stderr);
  for (const t of ['devmap', 'devmap_hash', 'cpumap', 'xskmap', 'perf_event_array']) assert.match(list.stdout, new RegExp(`type=${t} `));
  const dump = spawnSync(process.execPath, [CLI, 'map', 'dump', obj], { encoding: 'utf8' });
  assert.is(dump.status, 0, dump.stderr);
  assert.match(dump.stdout, /map events type=perf_event_array key_size=4 value_size=4 max_entries=1 entries=0/);
});
async function runCgroup(tier: 'interpreter' | 'jit', verified: boolean): Promise<void> {
  if (tier === 'jit') await loadTier('jit');
  const obj = loadObject(fixture('cgroup'), { name: 'cgroup', unverified: !verified, kernels, tier });
  const maps = obj.maps_;
  const app = maps.cgroup('/app');
  const web = maps.cgroup('/app/web', app);
  const other = maps.cgroup('/other');
  const BPF_CGROUP_INET_INGRESS = 0;
  // attaching count_ingress to /app/web allocates its storages
  maps.cgroupStorageAttach(obj.map('totals').info.fd, web, BPF_CGROUP_INET_INGRESS);
  maps.cgroupStorageAttach(obj.map('percpu_packets').info.fd, web, BPF_CGROUP_INET_INGRESS);
  maps.setCurrent(0, { cgroupFd: web, attachType: BPF_CGROUP_INET_INGRESS });
  const count = obj.program('count_ingress').loaded;
  const verdicts = [60, 70, 80, 90].map((n) => count.testRun({ data: new Uint8Array(n) }).retval);
  assert.equal(verdicts, [1n, 1n, 0n, 1n], `${tier}: every third packet dropped`);
  const o = maps.object(web);
  const key = new Uint8Array(16);
  new DataView(key.buffer).setBigUint64(0, o && 'kind' in o && o.kind === 'cgroup' ? o.cgroupId : 0n, true);
  const totals = new DataView(obj.map('totals').lookup(key)!.buffer);
  // cgroup_skb programs see the skb from the network header: skb->len leaves out the 14-byte Ethernet header
  assert.equal([totals.getBigUint64(0, true), totals.getBigUint64(8, true)], [4n, BigInt(300 - 4 * 14)]);
  assert.is(new DataView(obj.map('percpu_packets').lookup(key)!.buffer).getBigUint64(0, true), 4n);
  // tc: membership of the current cgroup in watched[0]
  const steer = obj.program('steer_by_cgroup').loaded;
  const mark = (): [bigint, number] => {
    const out = steer.testRun({ data: new Uint8Array(64) });
    return [out.retval, new DataView(out.ctxOut!.buffer, out.ctxOut!.byteOffset).getUint32(8, true)];
  };
  assert.equal(mark(), [2n, 0], `${tier}: empty slot: -EAGAIN, shot`);
  obj.map('watched').update(u32s(0), u32s(app));
  assert.equal(mark(), [0n, 0x100], `${tier}: /app/web is under /app`);
  obj.map('watched').update(u32s(0), u32s(other));
  assert.equal(mark(), [0n, 0x200]);
}

test('cgroup storage and cgroup array programs: interpreter', async () => { await runCgroup('interpreter', false); });
test('cgroup storage and cgroup array programs: jit', async () => { await runCgroup('jit', false); });
test('cgroup storage and cgroup array programs: verified', async () => { await runCgroup('interpreter', true); });

test.run();
