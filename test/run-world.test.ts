/**
 * The simulated world's routing: bpf_fib_lookup over the world's routes and
 * neighbours with the kernel's struct bpf_fib_lookup and BPF_FIB_LKUP_RET_*
 * codes (net/core/filter.c), and an XDP router (test/fixtures/run/fib.o)
 * whose redirected packets land on the egress interface of the output capture.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY_WORLD, parseWorld, parsePrefix, WorldError } from '../src/runtime/world.js';
import { BPF_FIB_LKUP_RET as RET, BPF_FIB_LOOKUP, FIB, fibLookup } from '../src/runtime/world-helpers.js';
import { CLI, ROOT } from './support/paths.js';

const WORLD = {
  interfaces: [
    { ifindex: 2, name: 'eth0', mtu: 1500, mac: '02:00:00:00:00:02', addresses: ['192.168.1.1/24', '2001:db8:1::1/64'] },
    { ifindex: 3, name: 'eth1', mtu: 1400, mac: '02:00:00:00:00:03', addresses: ['10.0.0.1/24'] },
    { ifindex: 4, name: 'eth2', mtu: 1500, mac: '02:00:00:00:00:04', addresses: ['172.16.0.1/24', '2001:db8:4::1/64'] },
    { ifindex: 5, name: 'mgmt', mtu: 1500, forwarding: false },
  ],
  ingress: 2,
  routes: [
    { dst: '0.0.0.0/0', via: '172.16.0.254', metric: 100 },
    { dst: '0.0.0.0/0', via: '172.16.0.253', metric: 200 },
    { dst: '10.9.0.0/16', via: '10.0.0.254', metric: 5 },
    { dst: '203.0.113.0/24', type: 'blackhole' },
    { dst: '198.51.100.0/24', type: 'unreachable' },
    { dst: '198.51.100.128/25', type: 'prohibit' },
    { dst: '::/0', via: '2001:db8:4::fe', dev: 4, metric: 1 },
  ],
  neighbours: [
    { ip: '172.16.0.254', mac: '02:00:00:00:ac:fe', dev: 4 },
    { ip: '10.0.0.7', mac: '02:00:00:00:0a:07', dev: 3 },
    { ip: '2001:db8:4::fe', mac: '02:00:00:00:66:fe', dev: 4 },
  ],
};
const world = parseWorld(WORLD);
const AF_INET = 2, AF_INET6 = 10;

interface Query { family?: number; ifindex?: number; dst: string; src?: string; totLen?: number; plen?: number; flags?: number }
function lookup(q: Query) {
  const mem = new Uint8Array(128);
  const base = 16;
  const dv = new DataView(mem.buffer, base);
  const d = parsePrefix(q.dst, 'q', false);
  mem[base + FIB.family] = q.family ?? (d.family === 4 ? AF_INET : AF_INET6);
  dv.setUint16(FIB.tot_len, q.totLen ?? 100, true);
  dv.setUint32(FIB.ifindex, q.ifindex ?? 2, true);
  const put = (at: number, addr: string): void => {
    const p = parsePrefix(addr, 'q', false);
    const n = p.family === 4 ? 4 : 16;
    let v = p.addr;
    for (let i = n - 1; i >= 0; i--) { mem[base + at + i] = Number(v & 0xffn); v >>= 8n; }
  };
  put(FIB.dst, q.dst);
  if (q.src) put(FIB.src, q.src);
  const rc = fibLookup(world, mem, base, q.plen ?? FIB.size, q.flags ?? 0);
  const addr = (at: number, n: number): string => n === 4 ? [...mem.subarray(base + at, base + at + 4)].join('.')
    : [...mem.subarray(base + at, base + at + 16)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const mac = (at: number): string => [...mem.subarray(base + at, base + at + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const n = d.family === 4 ? 4 : 16;
  return { rc, ifindex: dv.getUint32(FIB.ifindex, true), metric: dv.getUint32(FIB.rt_metric, true), mtu: dv.getUint16(FIB.mtu_result, true), dst: addr(FIB.dst, n), src: addr(FIB.src, n), smac: mac(FIB.smac), dmac: mac(FIB.dmac) };
}

test('fib lookup: forwarded via the gateway of the lowest-metric default route, MACs from the neighbour and the egress device', () => {
  const r = lookup({ dst: '8.8.8.8' });
  assert.equal(r, { rc: RET.SUCCESS, ifindex: 4, metric: 100, mtu: 1500, dst: '172.16.0.254', src: '0.0.0.0', smac: '02:00:00:00:00:04', dmac: '02:00:00:00:ac:fe' });
});

test('fib lookup: longest prefix wins; a connected route keeps the destination as next hop', () => {
  const c = lookup({ dst: '10.0.0.7' });
  assert.equal([c.rc, c.ifindex, c.dst, c.dmac, c.mtu], [RET.SUCCESS, 3, '10.0.0.7', '02:00:00:00:0a:07', 1400]);
  const g = lookup({ dst: '10.9.1.1' });
  assert.equal([g.rc, g.ifindex, g.dst], [RET.NO_NEIGH, 3, '10.0.0.254'], 'gateway without a neighbour entry');
  assert.is(lookup({ dst: '10.9.1.1', flags: BPF_FIB_LOOKUP.SKIP_NEIGH }).rc, RET.SUCCESS);
});

test('fib lookup: blackhole, unreachable, prohibit (the /25 inside the unreachable /24), local and unrouted destinations', () => {
  assert.is(lookup({ dst: '203.0.113.9' }).rc, RET.BLACKHOLE);
  assert.is(lookup({ dst: '198.51.100.9' }).rc, RET.UNREACHABLE);
  assert.is(lookup({ dst: '198.51.100.200' }).rc, RET.PROHIBIT);
  assert.is(lookup({ dst: '192.168.1.1' }).rc, RET.NOT_FWDED, 'a local address is not forwarded');
  const v6 = parseWorld({ ...WORLD, routes: [] });
  const mem = new Uint8Array(FIB.size);
  mem[FIB.family] = AF_INET6;
  new DataView(mem.buffer).setUint32(FIB.ifindex, 2, true);
  mem[FIB.dst] = 0xfc;
  assert.is(fibLookup(v6, mem, 0, FIB.size, 0), RET.NOT_FWDED, 'no route');
});

test('fib lookup: MTU (frag needed, mtu_result), forwarding disabled, source address, argument errors', () => {
  const f = lookup({ dst: '10.0.0.7', totLen: 1401 });
  assert.equal([f.rc, f.mtu], [RET.FRAG_NEEDED, 1400]);
  assert.is(lookup({ dst: '10.0.0.7', totLen: 1400 }).rc, RET.SUCCESS);
  assert.is(lookup({ dst: '8.8.8.8', ifindex: 5 }).rc, RET.FWD_DISABLED);
  assert.is(lookup({ dst: '10.0.0.7', flags: BPF_FIB_LOOKUP.SRC }).src, '10.0.0.1');
  assert.is(lookup({ dst: '8.8.8.8', plen: FIB.size - 1 }).rc, -22, 'plen < sizeof: -EINVAL');
  assert.is(lookup({ dst: '8.8.8.8', flags: 1 << 5 }).rc, -22, 'unknown flag: -EINVAL');
  assert.is(lookup({ dst: '8.8.8.8', family: 0 }).rc, -97, 'family: -EAFNOSUPPORT');
  assert.is(lookup({ dst: '8.8.8.8', ifindex: 42 }).rc, -19, 'no such device: -ENODEV');
});

test('fib lookup without a world: BPF_PROG_TEST_RUN\'s loopback (ifindex 1) does not forward, other devices are unknown', () => {
  for (const family of [AF_INET, AF_INET6]) {
    const mem = new Uint8Array(FIB.size);
    mem[FIB.family] = family;
    mem[FIB.dst] = 10;
    new DataView(mem.buffer).setUint32(FIB.ifindex, 1, true);
    assert.is(fibLookup(EMPTY_WORLD, mem, 0, FIB.size, 0), RET.FWD_DISABLED, `family ${family}, ifindex 1`);
    new DataView(mem.buffer).setUint32(FIB.ifindex, 2, true);
    assert.is(fibLookup(EMPTY_WORLD, mem, 0, FIB.size, 0), -19, `family ${family}, ifindex 2: -ENODEV`);
  }
  // the argument checks come first, as in the kernel
  const mem = new Uint8Array(FIB.size);
  mem[FIB.family] = AF_INET;
  assert.is(fibLookup(EMPTY_WORLD, mem, 0, FIB.size - 1, 0), -22);
});

test('fib lookup: IPv6 default route and neighbour', () => {
  const r = lookup({ dst: '2001:db8:99::1' });
  assert.equal([r.rc, r.ifindex, r.metric, r.dst, r.dmac], [RET.SUCCESS, 4, 1, '20010db80004000000000000000000fe', '02:00:00:00:66:fe']);
});

test('world files are checked: addresses, gateways, devices', () => {
  const bad: [unknown, RegExp][] = [
    [{ interfaces: [{ ifindex: 2, name: 'eth0', addresses: ['10.0.0.1'] }] }, /addresses\[0\]: expected ADDRESS\/LENGTH/],
    [{ interfaces: [{ ifindex: 2, name: 'eth0', addresses: ['10.0.0.300/24'] }] }, /bad IPv4 address/],
    [{ interfaces: [{ ifindex: 2, name: 'eth0' }], routes: [{ dst: '0.0.0.0/0', via: '10.0.0.1' }] }, /routes\[0\]: a unicast route needs "dev"/],
    [{ interfaces: [{ ifindex: 2, name: 'eth0' }], routes: [{ dst: '0.0.0.0/0', dev: 9 }] }, /routes\[0\]\.dev: no interface with ifindex 9/],
    [{ interfaces: [{ ifindex: 2, name: 'eth0' }], routes: [{ dst: '::/0', via: '10.0.0.1', dev: 2 }] }, /gateway of another family/],
    [{ interfaces: [{ ifindex: 2, name: 'eth0' }, { ifindex: 2, name: 'eth1' }] }, /ifindex 2 appears twice/],
    [{ colour: 'blue' }, /world colour: unknown key/],
  ];
  for (const [j, re] of bad) assert.throws(() => parseWorld(j), (e: unknown) => e instanceof WorldError && re.test((e as Error).message), JSON.stringify(j));
});

test('an XDP router (fib.o) over the sample: forwarded packets leave by the egress interface with the lookup\'s MACs', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-run-world-'));
  const wf = join(tmp, 'world.json');
  writeFileSync(wf, JSON.stringify({ ...WORLD, interfaces: WORLD.interfaces.map((i) => (i.ifindex === 3 ? { ...i, mtu: 1500 } : i)), neighbours: [...WORLD.neighbours, { ip: '10.0.0.10', mac: '02:00:00:00:0a:0a', dev: 3 }] }));
  const out = join(tmp, 'out.pcapng');
  const r = spawnSync(process.execPath, [CLI, 'run', 'test/fixtures/run/fib.o', '--pcap', 'examples/sample.pcap', '--world', wf, '--out', out, '--json', '--per-packet', '--dump-maps'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.is(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { verdicts: Record<string, number>; per_packet: { retval: number; data_out: string; redirect_ifindex?: number }[] };
  const redirected = j.per_packet.filter((p) => p.retval === 4);
  assert.ok(redirected.length > 50, `${redirected.length} packets forwarded`);
  for (const p of redirected) {
    assert.ok(p.redirect_ifindex === 3 || p.redirect_ifindex === 4, `egress ${p.redirect_ifindex}`);
    if (p.redirect_ifindex === 3) assert.is(p.data_out.slice(0, 24), '02000000' + '0a0a' + '020000000003', 'dmac of 10.0.0.10, smac of eth1');
  }
  const tshark = spawnSync('tshark', ['-r', out, '-T', 'fields', '-E', 'separator=;', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (tshark.error) {
    if (process.env.CI === 'true') throw new Error('tshark is missing under CI');
    process.stdout.write('SKIP: tshark is not installed\n');
    return;
  }
  const rows = tshark.stdout.trim().split('\n');
  const eth1Out = rows.filter((l) => l === 'eth1;0x00000002').length;
  assert.is(eth1Out, redirected.filter((p) => p.redirect_ifindex === 3).length, 'tshark sees them leave by eth1');
});

const FIB_KERNEL = join(ROOT, 'test', 'fixtures', 'run', 'fib-kernel.txt');

test('bpf_fib_lookup + XDP redirect over the world equal the kernel\'s, packet by packet (stored expectations)', () => {
  // test/kernel/fib-world.sh builds the same world in a network namespace and runs fib.o through BPF_PROG_TEST_RUN
  const r = spawnSync(process.execPath, [CLI, 'run-pcap', 'test/fixtures/run/fib.o', '--pcap', 'test/fixtures/run/fib-packets.pcap',
    '--world', 'test/fixtures/run/fib-world.json', '--dump-maps'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const want = readFileSync(FIB_KERNEL, 'utf8');
  assert.fixture(r.stdout, want);
  const cases = want.split('\n').filter((l) => l.startsWith('packet ')).length;
  // every outcome the router distinguishes is exercised: forwarded, not forwarded, dropped
  assert.equal(new Set(want.split('\n').filter((l) => l.startsWith('packet ')).map((l) => l.split(' ')[3])), new Set(['1', '2', '4']));
  process.stdout.write(`\nNOTE: fib world: ${cases}/${cases} packets identical to the kernel's\n`);
});

test('live kernel: the world built in a network namespace still gives the stored answers', () => {
  if (process.getuid?.() !== 0) { process.stdout.write('\n'); process.stdout.write('SKIP: needs root (unshare, BPF_PROG_TEST_RUN)\n'); return; }
  // under root a missing gcc/libbpf/iproute2 or a failing bpf() fails here, it is not skipped
  const bin = join(mkdtempSync(join(tmpdir(), 'ebpf-oracle-')), 'oracle');
  execFileSync('gcc', ['-O2', '-o', bin, join(ROOT, 'test', 'kernel', 'oracle.c'), '-lbpf', '-lelf', '-lz'], { stdio: 'pipe' });
  const r = spawnSync(join(ROOT, 'test', 'kernel', 'fib-world.sh'), [bin], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.fixture(r.stdout, readFileSync(FIB_KERNEL, 'utf8'));
  process.stdout.write('\nNOTE: fib world: live kernel output equals the stored expectations\n');
});

test.run();
