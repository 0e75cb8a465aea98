/**
 * `ebpf-wasm run`: the simulated world (seed, clock, interfaces), byte-for-byte
 * determinism, tiers agreeing, the output capture as tshark reads it, and
 * bad input — broken captures, unknown maps, a program trapping mid-capture —
 * reported with the packet index or record offset, the results before it kept.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../src/pcap/pcap.js';
import { scanCapture } from '../src/pcap/scan.js';
import { PcapError } from '../src/pcap/pcap.js';
import { parseWorld, WorldError } from '../src/runtime/world.js';
import { CLI, ROOT } from './support/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-run-'));
const SAMPLE = join(ROOT, 'examples', 'sample.pcap');
const WORLD_O = 'test/fixtures/run/world.o';
const sample = new Uint8Array(readFileSync(SAMPLE));
const samplePackets = readCapture(sample).packets;

const worldFile = join(tmp, 'world.json');
writeFileSync(worldFile, JSON.stringify({
  interfaces: [{ ifindex: 1, name: 'lo', mtu: 65536 }, { ifindex: 3, name: 'eth0', mtu: 1500, mac: '02:00:00:00:00:03' }, { ifindex: 4, name: 'eth1', mtu: 9000 }],
  ingress: 3,
}));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

interface RunJson {
  packets: number; verdicts: Record<string, number>; packets_per_second?: number;
  maps: Record<string, { key: string[]; value: string[] }[]>; error?: { packet: number; index: number; message: string; code?: string };
  capture_error?: { record: number; offset: number; message: string };
}
const json = (s: string): RunJson => JSON.parse(s) as RunJson;
const le = (b: string[], at: number, n: number): bigint => {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(parseInt(b[at + i]!, 16));
  return v;
};
const tsNs = (i: number): bigint => samplePackets[i]!.timestampNs;

test('same capture, world and seed: byte-identical output capture and JSON, twice; another seed differs', () => {
  const runs = [7, 7, 8].map((seed, k) => {
    const out = join(tmp, `det${k}.pcapng`);
    const r = cli(['run', WORLD_O, '--pcap', SAMPLE, '--world', worldFile, '--seed', String(seed), '--out', out, '--json', '--dump-maps']);
    assert.is(r.code, 0, r.err);
    const j = json(r.out);
    delete j.packets_per_second;
    return { bytes: readFileSync(out), text: JSON.stringify(j) };
  });
  assert.ok(runs[0]!.bytes.equals(runs[1]!.bytes), 'same seed: same output capture');
  assert.is(runs[0]!.text, runs[1]!.text);
  assert.not.ok(runs[0]!.bytes.equals(runs[2]!.bytes), 'another seed: other random MACs and verdicts');
});

test('the clock is the packet timestamp (or first + i * --clock-step); ingress_ifindex is the world\'s', () => {
  const last = samplePackets.length - 1;
  for (const [extra, want] of [[[], tsNs(last)], [['--clock-step', '1000'], tsNs(0) + BigInt(last) * 1000n]] as const) {
    const r = cli(['run', WORLD_O, '--pcap', SAMPLE, '--world', worldFile, '--json', '--dump-maps', ...extra]);
    assert.is(r.code, 0, r.err);
    const v = json(r.out).maps.seen![0]!.value;
    assert.is(le(v, 0, 8), want, `ktime ${extra.join(' ')}`);
    assert.is(le(v, 8, 4), 3n, 'ingress_ifindex');
    assert.is(le(v, 12, 4), 0n, 'rx_queue_index on one CPU');
    assert.is(le(v, 16, 8), BigInt(samplePackets.length));
  }
  // without a world: BPF_PROG_TEST_RUN's device, the loopback (the kernel's answer, checked with test/kernel/oracle.c)
  const r = cli(['run', WORLD_O, '--pcap', SAMPLE, '--json', '--dump-maps']);
  assert.is(le(json(r.out).maps.seen![0]!.value, 8, 4), 1n);
});

test('interpreter and JIT tiers write the same capture and maps (XDP fast path incl. adjust_head)', () => {
  const cases: [string, string[]][] = [
    [WORLD_O, ['--world', worldFile, '--seed', '3']],
    ['examples/xdp_lb/xdp_lb.o', ['--map-init', 'vips=examples/xdp_lb/vips.txt', '--map-init', 'backends=examples/xdp_lb/backends.txt']],
    ['examples/xdp_firewall/xdp_firewall.o', ['--map-init', 'blocklist=examples/xdp_firewall/blocklist.txt']],
  ];
  for (const [obj, extra] of cases) {
    const got = (['interpreter', 'jit'] as const).map((tier) => {
      const out = join(tmp, `tier-${tier}.pcapng`);
      const r = cli(['run', obj, '--pcap', SAMPLE, '--tier', tier, '--out', out, '--json', '--dump-maps', ...extra]);
      assert.is(r.code, 0, r.err);
      const j = json(r.out);
      delete j.packets_per_second;
      return { bytes: readFileSync(out), j: JSON.stringify({ ...j, tier: undefined }) };
    });
    assert.ok(got[0]!.bytes.equals(got[1]!.bytes), `${obj}: same output capture`);
    assert.is(got[0]!.j, got[1]!.j, obj);
  }
});

function tshark(args: string[]): string | undefined {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) {
    if (process.env.CI === 'true') throw new Error('tshark is missing under CI (.ci/run installs it)');
    process.stdout.write('SKIP: tshark is not installed\n');
    return undefined;
  }
  assert.is(r.status, 0, r.stderr);
  return r.stdout;
}

test('tshark reads the output capture: frame count, interfaces and directions, IP addresses', () => {
  const out = join(tmp, 'tshark.pcapng');
  const r = cli(['run', WORLD_O, '--pcap', SAMPLE, '--world', worldFile, '--seed', '5', '--out', out, '--json', '--per-packet']);
  assert.is(r.code, 0, r.err);
  const j = json(r.out) as RunJson & { per_packet: { packet: number; retval: number; data_out: string }[] };
  const kept = j.per_packet.filter((p) => p.retval === 2 || p.retval === 3);
  const fields = tshark(['-r', out, '-T', 'fields', '-E', 'separator=;', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction', '-e', 'eth.src', '-e', 'ip.src', '-e', 'ip.dst']);
  if (fields === undefined) return;
  const rows = fields.trim().split('\n').map((l) => l.split(';'));
  assert.is(rows.length, kept.length, 'one frame per passed or transmitted packet');
  assert.is(rows.length, (j.verdicts.XDP_PASS ?? 0) + (j.verdicts.XDP_TX ?? 0));
  let ipv4 = 0;
  rows.forEach((row, k) => {
    const p = kept[k]!;
    const hex = p.data_out;
    assert.is(row[0], 'eth0', `frame ${k + 1}: the ingress interface`);
    assert.is(parseInt(row[1]!, 16), p.retval === 3 ? 2 : 1, `frame ${k + 1}: XDP_TX outbound, XDP_PASS inbound`);
    assert.is(row[2]!.replace(/:/g, ''), hex.slice(12, 24), `frame ${k + 1}: the rewritten source MAC`);
    // IPv4 without VLAN: addresses at 26..34 of the frame
    if (hex.slice(24, 28) === '0800') {
      const ip = (at: number) => [0, 1, 2, 3].map((b) => parseInt(hex.slice((at + b) * 2, (at + b) * 2 + 2), 16)).join('.');
      assert.is(row[3], ip(26)); assert.is(row[4], ip(30));
      ipv4++;
    }
  });
  assert.ok(ipv4 > 50, `${ipv4} IPv4 frames checked`);
  process.stdout.write(`\nNOTE: tshark read ${rows.length} frames (${ipv4} IPv4 addresses checked)\n`);
});

test('pcap output (--out-format pcap) keeps the same packets without interface tags', () => {
  const out = join(tmp, 'plain.pcap');
  const r = cli(['run', WORLD_O, '--pcap', SAMPLE, '--world', worldFile, '--seed', '5', '--out', out, '--out-format', 'pcap', '--json']);
  assert.is(r.code, 0, r.err);
  const cap = readCapture(new Uint8Array(readFileSync(out)));
  assert.is(cap.format, 'pcap');
  const j = json(r.out);
  assert.is(cap.packets.length, (j.verdicts.XDP_PASS ?? 0) + (j.verdicts.XDP_TX ?? 0));
});

test('maps after the run are decoded through BTF: text lines and bpftool-style "formatted" JSON', () => {
  const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', SAMPLE, '--dump-maps']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /map flow_cou\.bss \(array, 1 entries\)\n {2}0 => \{"total_packets":374,"runts":0,"non_ipv4_packets":\d+\}\n/);
  assert.match(r.out, /map flow_cou\.rodata \(array, 1 entries\)\n {2}0 => \{"min_frame_len":0,"track_ports":true\}\n/);
  assert.match(r.out, /\n {2}\{"saddr":\d+,"daddr":\d+,"sport":\d+,"dport":\d+,"proto":(6|17|1),"pad":""\} => \{"packets":\d+,"bytes":\d+\}\n/);
  const j = cli(['run', 'examples/xdp_firewall/xdp_firewall.o', '--pcap', SAMPLE, '--map-init', 'blocklist=examples/xdp_firewall/blocklist.txt', '--dump-maps', '--json']);
  const maps = (JSON.parse(j.out) as { maps: Record<string, { key: string[]; formatted?: { key: unknown; values?: { cpu: number; value: { packets: number } }[]; value?: unknown } }[]> }).maps;
  const pass = maps.verdicts!.find((e) => e.formatted!.key === 2)!;
  const passed = (JSON.parse(j.out) as { verdicts: Record<string, number> }).verdicts.XDP_PASS;
  assert.is(pass.formatted!.values![0]!.value.packets, passed, 'per-CPU value of XDP_PASS on CPU 0');
  assert.equal(maps.blocklist!.map((e) => e.formatted!.key), [{ prefixlen: 24, addr: 6566854 }, { prefixlen: 25, addr: 2154889419 }, { prefixlen: 32, addr: 117571776 }]);
});

test('events: bpf_printk lines with their packet and CPU, ring-buffer records, on 1 and 2 CPUs', () => {
  const ethType = (d: Uint8Array): number => (d[12]! << 8) | d[13]!;
  const v6 = samplePackets.map((p, i) => [i, p.data] as const).filter(([, d]) => ethType(d) === 0x86dd);
  const v4 = samplePackets.filter((p) => ethType(p.data) === 0x0800);
  for (const cpus of ['1', '2']) {
    const r = cli(['run', 'test/fixtures/run/events.o', '--pcap', SAMPLE, '--json', '--cpus', cpus]);
    assert.is(r.code, 0, r.err);
    const ev = (JSON.parse(r.out) as { events: { kind: string; packet?: number; cpu?: number; text?: string; map?: string; data?: string }[] }).events;
    const traces = ev.filter((e) => e.kind === 'trace');
    assert.equal(traces.map((e) => e.packet), v6.map(([i]) => i + 1), `cpus ${cpus}: one line per IPv6 frame, in packet order`);
    traces.forEach((e, k) => assert.is(e.text, `ipv6 frame of ${v6[k]![1].length} bytes, proto 86dd`));
    if (cpus === '2') assert.ok(new Set(traces.map((e) => e.cpu)).size >= 1);
    const rings = ev.filter((e) => e.kind === 'ringbuf');
    assert.is(rings.length, v4.length, `cpus ${cpus}: one record per IPv4 frame`);
    assert.ok(rings.every((e) => e.map === 'events' && e.data!.endsWith('00080000')), 'proto 0x0800');
    if (cpus === '1') assert.equal(rings.map((e) => parseInt(e.data!.slice(0, 8).match(/../g)!.reverse().join(''), 16)), v4.map((p) => p.data.length));
  }
});

// ---------------------------------------------------------------- bad input

/** The sample cut inside record 100's data. */
function truncatedSample(): { file: string; record: number; offset: number } {
  const t = scanCapture(sample);
  const record = 100;
  const offset = t.dataOff[record]! - 16;
  const file = join(tmp, 'truncated.pcap');
  writeFileSync(file, sample.subarray(0, t.dataOff[record]! + 5));
  return { file, record, offset };
}

test('a truncated capture: the error names the record and its offset; the packets before it are run and written', () => {
  const { file, record, offset } = truncatedSample();
  const out = join(tmp, 'truncated-out.pcapng');
  const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', file, '--out', out, '--json', '--dump-maps']);
  assert.is(r.code, 1);
  assert.match(r.err, new RegExp(`pcap record ${record} at byte offset ${offset}: truncated packet data`));
  const j = json(r.out);
  assert.is(j.packets, record);
  assert.equal(j.capture_error, { record, offset, message: j.capture_error!.message });
  assert.is(readCapture(new Uint8Array(readFileSync(out))).packets.length, record, 'flow_counter passes everything it saw');
  assert.ok(j.maps['flow_cou.bss']!.length === 1);
});

test('captures rejected at the header or a record: wrong magic, snapshot length over the limit, caplen > snaplen', () => {
  const cases: [string, Uint8Array, RegExp][] = [];
  const bad = sample.slice(); bad[0] = 0x00;
  cases.push(['magic', bad, /pcap record 0 at byte offset 0: wrong magic 0x[0-9a-f]{8}/]);
  const snap = sample.slice(); new DataView(snap.buffer).setUint32(16, 300000, true);
  cases.push(['snaplen', snap, /byte offset 16: snapshot length 300000 is outside 1\.\.262144/]);
  const cap = sample.slice(); const dv = new DataView(cap.buffer);
  dv.setUint32(16, 128, true); // snaplen 128: the first record longer than that is refused
  const t = scanCapture(sample);
  let first = 0;
  while (t.capLen[first]! <= 128) first++;
  cases.push(['caplen', cap, new RegExp(`pcap record ${first} at byte offset ${t.dataOff[first]! - 16}: captured length ${t.capLen[first]} exceeds the snapshot length 128`)]);
  for (const [name, bytes, re] of cases) {
    const file = join(tmp, `bad-${name}.pcap`);
    writeFileSync(file, bytes);
    const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', file]);
    assert.is(r.code, 1, name);
    assert.match(r.err, re, name);
    assert.not.match(r.err, /at .*\.js:\d+/, `${name}: no stack trace`);
    if (name === 'caplen') assert.match(r.out, new RegExp(`^packets: ${first}\n`), 'records before it ran');
  }
  // the table keeps what came before, for API users too
  const s = scanCapture(cases[2]![1]);
  assert.is(s.count, first);
  assert.instance(s.error, PcapError);
});

test('a pcapng capture cut inside a block names the block index and offset', () => {
  const ng = join(tmp, 'ng.pcapng');
  const r0 = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', SAMPLE, '--out', ng]);
  assert.is(r0.code, 0, r0.err);
  const bytes = readFileSync(ng);
  const cut = join(tmp, 'ng-cut.pcapng');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
  const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', cut]);
  assert.is(r.code, 1);
  assert.match(r.err, /pcap record \d+ at byte offset \d+: truncated block/);
  assert.match(r.out, new RegExp(`^packets: ${samplePackets.length - 1}\n`));
});

test('an unknown map in --map-init and a bad world file are clear errors', () => {
  const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', SAMPLE, '--map-init', 'nosuch=examples/xdp_lb/vips.txt']);
  assert.is(r.code, 2);
  assert.match(r.err, /no map named nosuch \(the object has: .*flows/);
  const w = join(tmp, 'bad-world.json');
  writeFileSync(w, JSON.stringify({ interfaces: [{ ifindex: 2, name: 'eth0', mac: 'zz' }] }));
  const r2 = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', SAMPLE, '--world', w]);
  assert.is(r2.code, 1);
  assert.match(r2.err, /EW8003: world interfaces\[0\]\.mac: mac must look like/);
  assert.throws(() => parseWorld({ interfaces: [], ingress: 5 }), (e: unknown) => e instanceof WorldError && /no interface with ifindex 5/.test((e as Error).message));
});

test('a program trapping mid-capture: each trapping packet is named and the run goes on, as the kernel answers a test run with an errno and takes the next (both tiers, 1 and 2 CPUs)', () => {
  // flow_counter's ARP path fits a budget of 40 instructions, its IPv4 path does not (packet 2 is IPv4)
  for (const extra of [['--tier', 'interpreter'], ['--tier', 'jit'], ['--cpus', '2', '--spread', 'round-robin']]) {
    const out = join(tmp, 'trap-go-on.pcapng');
    const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', SAMPLE, '--unverified', '--budget', '40', '--out', out, '--json', ...extra]);
    assert.is(r.code, 0, extra.join(' '));
    const j = JSON.parse(r.out) as RunJson & { errors: { packet: number; index: number; code?: string }[] };
    assert.ok(j.errors.length > 0 && j.packets > 0, 'some packets trap, others run');
    assert.is(j.packets + j.errors.length, samplePackets.length, 'every packet either ran or is listed');
    assert.equal({ packet: j.errors[0]!.packet, index: j.errors[0]!.index, code: j.errors[0]!.code }, { packet: 2, index: 1, code: 'EW3002' });
    assert.match(r.err, /packet 2 \(index 1\) not run: EW3002: pc \d+: instruction budget/);
    assert.is(readCapture(new Uint8Array(readFileSync(out))).packets.length, j.packets, 'every packet that ran is written (flow_counter passes all)');
  }
});

test('--stop-on-error: a trapping packet stops the run there; results and output before it are kept (both tiers, 1 and 2 CPUs)', () => {
  for (const extra of [['--tier', 'interpreter'], ['--tier', 'jit'], ['--cpus', '2', '--spread', 'round-robin']]) {
    const out = join(tmp, 'trap.pcapng');
    const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', SAMPLE, '--unverified', '--budget', '40', '--out', out, '--json', '--stop-on-error', ...extra]);
    assert.is(r.code, 1, extra.join(' '));
    assert.match(r.err, /run stopped at packet 2 \(index 1\) of \d+; 1 packets counted before it: EW3002: pc \d+: instruction budget/);
    const j = json(r.out);
    assert.is(j.packets, 1);
    assert.equal({ packet: j.error!.packet, index: j.error!.index, code: j.error!.code }, { packet: 2, index: 1, code: 'EW3002' });
    assert.is(readCapture(new Uint8Array(readFileSync(out))).packets.length, 1, 'packet 1 written');
  }
});

test.run();
