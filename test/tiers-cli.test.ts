/**
 * The CLI's tiers: `test-run --tier` on objects and `bench` (issue #6's
 * shape: with --tier T --json one JSON object on the last line with `tier`
 * and `ns_per_packet`; without --tier one line per tier). The JIT's batch
 * entry, which bench uses for XDP, must give the verdicts of single runs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT } from './support/paths.js';
import { benchObject } from '../src/cli/commands/bench.js';
import { readCapture } from '../src/pcap/pcap.js';
import { loadTier } from '../src/runtime/tier.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const FIREWALL = ['examples/xdp_firewall/xdp_firewall.o', '--map-init', 'blocklist=examples/xdp_firewall/blocklist.txt'];
const FRAME = '0200000000fe02000000000c0800450000380abc000080111bbb0a0000350a00000ac0de00350024000012340100000100000000000003777777076578616d706c6504746573740000010001';
const packets = readCapture(new Uint8Array(readFileSync(join(ROOT, 'examples/sample.pcap')))).packets.map((p) => p.data);

test('test-run --tier jit and --tier interpreter print the same result and maps', () => {
  for (const args of [
    [...FIREWALL, '--data-hex', FRAME, '--dump-maps', '--cpus', '2'],
    ['examples/tc_rewrite/tc_rewrite.o', '--data-hex', FRAME, '--dump-maps', '--repeat', '3'],
    ['examples/socket_filter/socket_filter.o', '--data-hex', FRAME, '--dump-maps'],
  ]) {
    const outs = ['jit', 'interpreter'].map((t) => cli(['test-run', ...args, '--tier', t]));
    for (const o of outs) assert.is(o.code, 0, o.err);
    const mask = (s: string): string => s.replace(/^duration_ns: \d+$/m, 'duration_ns: *');
    assert.is(mask(outs[0]!.out), mask(outs[1]!.out), args[0]);
    assert.match(outs[0]!.out, /^retval: \d+\ndata_out: [0-9a-f]+\nduration_ns: \d+\n/);
  }
  const bad = cli(['test-run', ...FIREWALL, '--data-hex', FRAME, '--tier', 'native']);
  assert.is(bad.code, 2);
  assert.match(bad.err, /--tier takes interpreter or jit, not native/);
});

test('test-run --unverified --budget: both tiers stop with EW3002 at the same pc (exit 1)', () => {
  const errs = ['jit', 'interpreter'].map((t) => {
    const r = cli(['test-run', ...FIREWALL, '--data-hex', FRAME, '--unverified', '--budget', '20', '--tier', t]);
    assert.is(r.code, 1, `${t}: ${r.out}`);
    assert.match(r.err, /EW3002: pc \d+: instruction budget of 20 exhausted/);
    return r.err;
  });
  assert.is(errs[0], errs[1]);
});

test('bench --tier jit --json: one JSON object on the last line with tier and ns_per_packet', () => {
  const r = cli(['bench', ...FIREWALL, '--pcap', 'examples/sample.pcap', '--tier', 'jit', '--json', '--min-time', '20']);
  assert.is(r.code, 0, r.err);
  const last = JSON.parse(r.out.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.is(last.tier, 'jit');
  assert.is(last.mode, 'batch');
  assert.is(last.packets, packets.length);
  assert.type(last.ns_per_packet, 'number');
  assert.ok((last.ns_per_packet as number) > 0);
});

test('bench without --tier: one line per tier, saying which mode it measured', () => {
  const r = cli(['bench', 'examples/tc_rewrite/tc_rewrite.o', '--pcap', 'examples/sample.pcap', '--min-time', '20']);
  assert.is(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.is(lines.length, 2);
  assert.match(lines[0]!, /^interpreter: [\d.]+ ns\/packet \(loop of runs; tc_rewrite \(sched_cls\), 374 packets/);
  assert.match(lines[1]!, /^jit: [\d.]+ ns\/packet \(loop of runs;/);
  const data = cli(['bench', ...FIREWALL, '--data', 'examples/sample.pcap', '--tier', 'jit', '--min-time', '10']);
  assert.is(data.code, 0, data.err); // a whole file as one (oversized but valid) frame
  assert.match(data.out, /^jit: [\d.]+ ns\/packet \(JIT batch entry/);
  const none = cli(['bench', ...FIREWALL]);
  assert.is(none.code, 2);
  assert.match(none.err, /--data FILE or --pcap FILE/);
});

test('bench: the JIT batch entry gives the verdicts of single runs (XDP examples)', async () => {
  await loadTier('jit');
  for (const [path, mapInit] of [
    ['examples/xdp_firewall/xdp_firewall.o', ['blocklist=' + join(ROOT, 'examples/xdp_firewall/blocklist.txt')]],
    ['examples/flow_counter/flow_counter.o', []],
  ] as const) {
    const opts = { path: join(ROOT, path), packets, mapInit, minTimeMs: 5 };
    const batch = benchObject({ ...opts, tier: 'jit' });
    const loop = benchObject({ ...opts, tier: 'interpreter' });
    assert.is(batch.mode, 'batch', path);
    assert.is(loop.mode, 'loop', path);
    assert.is(batch.firstPass!.length, packets.length);
    assert.equal(batch.firstPass, loop.firstPass, path);
    // the blocklist drops some packets: the comparison covers more than one verdict
    if (path.includes('firewall')) assert.ok(new Set(batch.firstPass).size > 1, `${path}: one verdict only`);
  }
});

test.run();
