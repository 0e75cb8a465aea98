#!/usr/bin/env node
// Runs the kernel oracle (test/kernel/oracle.c: libbpf + BPF_PROG_TEST_RUN)
// on every bundled example and stores what the kernel answered under
// test/fixtures/kernel/, so tests without root can compare the engine with
// the kernel. Needs root, gcc, libbpf-dev and a kernel that allows bpf().
//
//   node scripts/kernel-expectations.mjs           # (re)write the fixtures
//   node scripts/kernel-expectations.mjs --check   # compare, write nothing
//
// Each case is one oracle command line (paths relative to the repository
// root); its output goes to test/fixtures/kernel/<case>.txt and the list to
// cases.json. duration_ns varies from run to run: a fixture whose only
// difference is that value is left as it is.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'kernel');
const check = process.argv.includes('--check');

const PCAP = 'examples/sample.pcap';
const ex = (name) => `examples/${name}/${name}.o`;
const TRACE_PID = '24680';
// raw_tracepoint sys_enter context: args[0] = struct pt_regs * (unused), args[1] = syscall number
const sysEnter = (nr) => '0000000000000000' + Buffer.from(new BigUint64Array([BigInt(nr)]).buffer).toString('hex');
// A DNS query with TTL 128: tc_rewrite marks it DSCP EF and clamps the TTL.
const DNS_TTL128 = '0200000000fe02000000000c0800450000380abc0000801100000a0000350a00000a' +
  'c0de0035002400001234010000010000000000000377777707657861' + '6d706c6504746573740000010001';

export const CASES = [
  ...['xdp_firewall', 'flow_counter', 'xdp_lb', 'tc_rewrite', 'socket_filter', 'trace_counter'].map((n) => ({ name: `${n}.load`, args: ['load', ex(n)] })),
  { name: 'xdp_firewall.pcap', args: ['run-pcap', ex('xdp_firewall'), '--pcap', PCAP, '--map-init', 'blocklist=examples/xdp_firewall/blocklist.txt', '--dump-maps'] },
  { name: 'xdp_firewall.empty-blocklist', args: ['run-pcap', ex('xdp_firewall'), '--pcap', PCAP, '--dump-maps'] },
  { name: 'flow_counter.pcap', args: ['run-pcap', ex('flow_counter'), '--pcap', PCAP, '--dump-maps'] },
  { name: 'flow_counter.min64', args: ['run-pcap', ex('flow_counter'), '--pcap', PCAP, '--map-init', 'flow_cou.rodata=examples/flow_counter/config-min64.txt', '--dump-maps'] },
  { name: 'xdp_lb.pcap', args: ['run-pcap', ex('xdp_lb'), '--pcap', PCAP, '--map-init', 'vips=examples/xdp_lb/vips.txt', '--map-init', 'backends=examples/xdp_lb/backends.txt', '--dump-maps'] },
  { name: 'tc_rewrite.pcap', args: ['run-pcap', ex('tc_rewrite'), '--pcap', PCAP, '--dump-maps'] },
  { name: 'tc_rewrite.ctx', args: ['test-run', ex('tc_rewrite'), '--data-hex', '@DNS_TTL128', '--ctx-hex', '00'.repeat(192), '--dump-maps'] },
  { name: 'socket_filter.pcap', args: ['run-pcap', ex('socket_filter'), '--pcap', PCAP, '--dump-maps'] },
  { name: 'trace_counter.openat', args: ['test-run', ex('trace_counter'), '--ctx-hex', sysEnter(257), '--repeat', '3', '--pid', TRACE_PID, '--dump-maps'] },
  { name: 'trace_counter.read', args: ['test-run', ex('trace_counter'), '--ctx-hex', sysEnter(0), '--pid', TRACE_PID, '--dump-maps'] },
].map((c) => ({ ...c, args: c.args.map((a) => (a === '@DNS_TTL128' ? fixIpChecksum(DNS_TTL128) : a)) }));

function fixIpChecksum(hex) {
  const b = Buffer.from(hex, 'hex');
  b.writeUInt16BE(0, 24);
  let s = 0;
  for (let i = 14; i < 34; i += 2) s += b.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  b.writeUInt16BE(~s & 0xffff, 24);
  return b.toString('hex');
}

export function buildOracle(dir = mkdtempSync(join(tmpdir(), 'ebpf-oracle-'))) {
  const bin = join(dir, 'oracle');
  execFileSync('gcc', ['-O2', '-o', bin, join(ROOT, 'test', 'kernel', 'oracle.c'), '-lbpf', '-lelf', '-lz'], { stdio: 'inherit' });
  return bin;
}

export const sameButDuration = (a, b) => a.replace(/^duration_ns: \d+$/gm, 'duration_ns: *') === b.replace(/^duration_ns: \d+$/gm, 'duration_ns: *');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const oracle = buildOracle();
  const cpus = Number(readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').map((r) => r.split('-')).reduce((n, [a, b]) => n + (b === undefined ? 1 : +b - +a + 1), 0));
  let changed = 0, failed = 0;
  for (const c of CASES) {
    const r = spawnSync(oracle, c.args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) { failed++; process.stderr.write(`${c.name}: oracle exit ${r.status}\n${r.stderr}`); continue; }
    const file = join(FIXTURES, `${c.name}.txt`);
    const old = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    const same = old !== undefined && sameButDuration(old, r.stdout);
    if (!same) { changed++; if (!check) writeFileSync(file, r.stdout); }
    process.stdout.write(`${same ? 'same   ' : check ? 'DIFFERS' : 'written'} ${c.name} (${r.stdout.split('\n').length - 1} lines)\n`);
  }
  if (!check) {
    const meta = { note: 'written by scripts/kernel-expectations.mjs; oracle = test/kernel/oracle.c', kernel: release(), possible_cpus: cpus, cases: CASES };
    writeFileSync(join(FIXTURES, 'cases.json'), JSON.stringify(meta, null, 2) + '\n');
  }
  process.stdout.write(`${CASES.length} cases, ${changed} ${check ? 'differ' : 'changed'}, ${failed} failed\n`);
  process.exit(failed || (check && changed) ? 1 : 0);
}
