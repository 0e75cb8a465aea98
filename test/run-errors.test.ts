/**
 * What the kernel's BPF_PROG_TEST_RUN does that a run over many packets must
 * keep: a packet it refuses (an errno: EINVAL for a 14-byte frame on an skb
 * program) is reported and the next packet runs; each call gets fresh cgroup
 * storage (net/bpf/test_run.c: bpf_cgroup_storages_alloc per call, shared by
 * the call's repetitions, never linked into the map). Checked against the
 * kernel oracle (test/kernel/oracle.c) live when bpf() works.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './support/paths.js';

const PCAP = 'test/fixtures/objects-kernel/packets.pcap';
const SOCKET_FILTER = 'examples/socket_filter/socket_filter.o';
const CGROUP = 'test/fixtures/maps/cgroup.o';
/** An IPv4/UDP frame of 62 bytes. */
const UDP = '02000000000102000000000208004500001c0001000040110000c0a801010a0000010035003500080000' + '00'.repeat(20);
const EINVAL = 22;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let oracleBin: string | undefined | null = null;
/** The kernel oracle when bpf() works (root, gcc, libbpf-dev); under root it must build. */
function oracle(): string | undefined {
  if (oracleBin !== null) return oracleBin;
  oracleBin = undefined;
  if (process.getuid?.() !== 0) return undefined;
  const bin = join(mkdtempSync(join(tmpdir(), 'run-errors-')), 'oracle');
  const r = spawnSync('gcc', ['-O2', '-o', bin, join(ROOT, 'test', 'kernel', 'oracle.c'), '-lbpf', '-lelf', '-lz'], { encoding: 'utf8' });
  assert.is(r.status, 0, `under root the kernel oracle must build: ${r.stderr}`);
  return (oracleBin = bin);
}
const noDuration = (t: string): string => t.replace(/^duration_ns: \d+$/gm, 'duration_ns: *');

test('run-pcap reports a packet the kernel refuses (packet N error -E) and runs the next, in both tiers and on 2 CPUs', () => {
  for (const tier of ['interpreter', 'jit']) {
    for (const cpus of ['1', '2']) {
      const r = cli(['run-pcap', SOCKET_FILTER, '--pcap', PCAP, '--tier', tier, '--cpus', cpus]);
      assert.is(r.code, 0, `${tier} cpus ${cpus}: ${r.err}`);
      const lines = r.out.trim().split('\n');
      assert.is(lines.length, 26, 'every packet has its line');
      assert.is(lines[24], `packet 25 error -${EINVAL}`);
      assert.match(lines[25]!, /^packet 26 retval 0 data_out (00){60}$/);
      assert.match(r.err, /packet 25 \(index 24\) not run: .*14 bytes.*errno 22/);
    }
  }
});

test('--stop-on-error stops at the refused packet (exit 1), the packets before it kept', () => {
  const r = cli(['run-pcap', SOCKET_FILTER, '--pcap', PCAP, '--stop-on-error']);
  assert.is(r.code, 1);
  const lines = r.out.trim().split('\n');
  assert.is(lines.length, 24);
  assert.match(lines[23]!, /^packet 24 retval /);
  assert.match(r.err, /run stopped at packet 25 \(index 24\) of 26/);
});

test('run --json lists the refused packets; the verdict counts leave them out', () => {
  for (const cpus of ['1', '2']) {
    const r = cli(['run', SOCKET_FILTER, '--pcap', PCAP, '--json', '--cpus', cpus, '--tier', 'interpreter']);
    assert.is(r.code, 0, r.err);
    const j = JSON.parse(r.out.trim().split('\n').pop()!) as { packets: number; errors: { packet: number; index: number; errno?: number }[] };
    assert.is(j.packets, 25, `cpus ${cpus}`);
    assert.equal(j.errors.map((e) => [e.packet, e.index, e.errno]), [[25, 24, EINVAL]]);
  }
});

test('the kernel oracle goes on after the refused packet too', () => {
  const bin = oracle();
  if (!bin) { process.stdout.write('\nSKIP: not root: no live kernel\n'); return; }
  const k = spawnSync(bin, ['run-pcap', SOCKET_FILTER, '--pcap', PCAP], { cwd: ROOT, encoding: 'utf8' });
  assert.is(k.status, 0, k.stderr);
  const ours = cli(['run-pcap', SOCKET_FILTER, '--pcap', PCAP]);
  assert.is(ours.out, k.stdout);
  process.stdout.write('\nNOTE: 1 live kernel run-pcap (26 packets) compared\n');
});

test('each test run gets fresh cgroup storage, shared by its repetitions and not in the map', () => {
  // count_ingress counts in cgroup storage and drops every third packet: repeat 3 in one call
  // reaches 3 (retval 0), separate calls always see 1 (retval 1); the storage maps stay empty
  const want = [1, 1, 0];
  const bin = oracle();
  let live = 0;
  for (const repeat of [1, 2, 3]) {
    for (const tier of ['interpreter', 'jit']) {
      const args = ['test-run', CGROUP, '--prog', 'count_ingress', '--data-hex', UDP, '--repeat', String(repeat), '--dump-maps'];
      const r = cli([...args, '--tier', tier]);
      assert.is(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^retval: ${want[repeat - 1]}$`, 'm'), `repeat ${repeat} (${tier})`);
      assert.match(r.out, /^map totals type=cgroup_storage .* entries=0$/m);
      assert.match(r.out, /^map percpu_packets type=percpu_cgroup_storage .* entries=0$/m);
      if (bin && tier === 'interpreter') {
        const k = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8' });
        assert.is(k.status, 0, k.stderr);
        assert.is(noDuration(r.out), noDuration(k.stdout), `repeat ${repeat}: ours and the kernel`);
        live++;
      }
    }
  }
  // and run-pcap (one call per packet): every packet counts 1, none dropped
  const r = cli(['run-pcap', CGROUP, '--prog', 'count_ingress', '--pcap', PCAP]);
  assert.is(r.code, 0, r.err);
  assert.not.match(r.out, /^packet \d+ retval 0 /m);
  process.stdout.write(`\nNOTE: ${live} live kernel test runs compared\n`);
});

test.run();
