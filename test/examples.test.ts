/**
 * The bundled examples and the kernel's answers about them.
 *
 * Always: every example has its C source and a BPF ELF object; the kernel
 * fixtures (test/fixtures/kernel/, written by scripts/kernel-expectations.mjs)
 * exist, parse, and cover every packet of examples/sample.pcap.
 * As root with a working bpf(): the kernel oracle is rebuilt and every case
 * is run again; its output must equal the stored one (duration_ns aside, and
 * per-CPU values compared on CPU 0, where the oracle runs). Under root a
 * missing gcc/libbpf or a failing bpf() is a failure, not a skip.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture } from '../src/pcap/pcap.js';
import { normalizeOracleOutput, parseOracleOutput } from './kernel/oracle-format.js';
import { ROOT, skip } from './support/paths.js';

const EXAMPLES = ['xdp_firewall', 'flow_counter', 'xdp_lb', 'tc_rewrite', 'socket_filter', 'trace_counter'];
const FIXTURES = join(ROOT, 'test', 'fixtures', 'kernel');
interface Case { name: string; args: string[] }
const meta = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as { possible_cpus: number; cases: Case[] };
const samplePackets = readCapture(new Uint8Array(readFileSync(join(ROOT, 'examples', 'sample.pcap')))).packets.length;

test('every example has its source and a BPF ELF object', () => {
  for (const n of EXAMPLES) {
    assert.ok(existsSync(join(ROOT, 'examples', n, `${n}.c`)), `${n}.c`);
    const o = readFileSync(join(ROOT, 'examples', n, `${n}.o`));
    assert.equal([...o.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], `${n}.o is ELF`);
    assert.is(o.readUInt16LE(18), 247, `${n}.o e_machine is EM_BPF`);
  }
});

test('sample.pcap holds a few hundred Ethernet frames with ascending timestamps', () => {
  const cap = readCapture(new Uint8Array(readFileSync(join(ROOT, 'examples', 'sample.pcap'))));
  assert.is(cap.linkType, 1);
  assert.ok(cap.packets.length >= 200 && cap.packets.length <= 1000, `${cap.packets.length} frames`);
  for (let i = 1; i < cap.packets.length; i++) assert.ok(cap.packets[i]!.timestampNs > cap.packets[i - 1]!.timestampNs);
});

test('kernel fixtures exist, parse, and cover every example', () => {
  const loaded = new Set<string>();
  for (const c of meta.cases) {
    const file = join(FIXTURES, `${c.name}.txt`);
    assert.ok(existsSync(file), `${c.name}.txt`);
    let out;
    try { out = parseOracleOutput(readFileSync(file, 'utf8')); } catch (e) { throw new Error(`${c.name}.txt: ${(e as Error).message}`); }
    if (c.args[0] === 'load') { assert.ok(out.loads.length > 0, c.name); out.loads.forEach(() => loaded.add(c.args[1]!)); }
    if (c.args[0] === 'run-pcap') assert.is(out.packets.length, samplePackets, `${c.name}: one line per packet`);
    if (c.args[0] === 'test-run') assert.ok(out.retval !== undefined && out.durationNs !== undefined, c.name);
    if (c.args.includes('--dump-maps')) assert.ok(out.maps.length > 0, `${c.name}: maps dumped`);
  }
  for (const n of EXAMPLES) assert.ok(loaded.has(`examples/${n}/${n}.o`), `${n}: the kernel accepted it`);
});

test('live kernel oracle output equals the stored expectations', () => {
  if (process.getuid?.() !== 0) { process.stdout.write('\n'); skip('kernel oracle needs root (BPF_PROG_LOAD, BPF_PROG_TEST_RUN)'); return; }
  const bin = join(mkdtempSync(join(tmpdir(), 'ebpf-oracle-')), 'oracle');
  execFileSync('gcc', ['-O2', '-o', bin, join(ROOT, 'test', 'kernel', 'oracle.c'), '-lbpf', '-lelf', '-lz'], { stdio: 'pipe' });
  let same = 0;
  const diffs: string[] = [];
  for (const c of meta.cases) {
    const r = spawnSync(bin, c.args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.is(r.status, 0, `${c.name}: oracle exit ${r.status}: ${r.stderr}`);
    const want = normalizeOracleOutput(readFileSync(join(FIXTURES, `${c.name}.txt`), 'utf8'));
    const got = normalizeOracleOutput(r.stdout);
    if (got === want) { same++; continue; }
    const g = got.split('\n'), w = want.split('\n');
    const k = g.findIndex((l, i) => l !== w[i]);
    diffs.push(`${c.name}: line ${k + 1}: kernel now says ${JSON.stringify(g[k]?.slice(0, 100))}, fixture ${JSON.stringify(w[k]?.slice(0, 100))}`);
  }
  process.stdout.write(`\nNOTE: kernel oracle: ${same}/${meta.cases.length} cases equal the stored expectations\n`);
  assert.equal(diffs, [], diffs.join('\n'));
});

test.run();
