// The kernel side of the benchmarks (bench/kernel/kbench.c): its figures are
// only worth quoting if it runs what the engine runs. Over the sample pcap,
// its first-run retvals must equal the interpreter's for the bench programs;
// bad captures fail with the packet index. Needs bpf(): under root a refusal
// is a failure; otherwise the test prints SKIP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kbenchBinary, kernelBench, ROOT } from '../bench/kernel/kernel.js';
import { loadObject } from '../src/object/object.js';
import { readCapture } from '../src/pcap/pcap.js';
import { applyMapInit, readMapInit } from '../src/cli/format.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';

const PCAP = 'examples/sample.pcap';
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const packets = readCapture(new Uint8Array(readFileSync(join(ROOT, PCAP)))).packets.map((p) => p.data);
const isRoot = process.getuid?.() === 0;

function interpreterRetvals(object: string, mapInit: string[]): number[] {
  const obj = loadObject(new Uint8Array(readFileSync(join(ROOT, object))), { name: 'bench', kernels });
  for (const s of mapInit) {
    const eq = s.indexOf('=');
    const i = readMapInit(`${s.slice(0, eq)}=${join(ROOT, s.slice(eq + 1))}`);
    applyMapInit(obj.map(i.map), i.file, i.entries);
  }
  const p = obj.program();
  return packets.map((data) => Number(p.loaded.testRun({ data }).retval));
}

const probe = kernelBench(['examples/xdp_firewall/xdp_firewall.o', '--repeat', '1', '--trials', '1']);
if (!probe.ok && !isRoot) {
  console.log(`\nSKIP: kbench needs bpf(): ${probe.reason}`);
  test('kbench skipped (not root)', () => {});
} else {
  let ran = 0;
  const cases: [string, string[]][] = [
    ['examples/xdp_firewall/xdp_firewall.o', ['blocklist=examples/xdp_firewall/blocklist.txt']],
    ['bench/programs/map_heavy.o', ['config=bench/programs/map_heavy-config.txt', 'acl=bench/programs/map_heavy-acl.txt']],
  ];
  for (const [object, mapInit] of cases) {
    test(`kbench ${object}: the kernel's retvals over the pcap are the interpreter's`, () => {
      const k = kernelBench([object, '--pcap', PCAP, '--repeat', '2', '--trials', '1', ...mapInit.flatMap((s) => ['--map-init', s])]);
      assert.ok(k.ok, k.ok ? '' : k.reason);
      if (!k.ok) return;
      assert.is(k.run.packets, packets.length);
      const prog = k.run.programs[0]!;
      assert.is(prog.errors, 0);
      assert.is(prog.retvals.length, packets.length);
      assert.equal(prog.retvals, interpreterRetvals(object, mapInit));
      assert.ok(prog.trial_mean_ns[0]! > 0, 'a duration');
      assert.ok(Object.keys(k.run.baselines).length === 1, 'one floor per program type');
      ran += packets.length;
    });
  }

  test('kbench map_ops: every program runs over filled maps and passes', () => {
    const k = kernelBench(['bench/programs/map_ops.o', '--fill', 'hash_1k=1000', '--fill', 'lpm_10k=10000', '--fill', 'array_1k=1000',
      '--prog', 'lookup_hash_1k', '--prog', 'lookup_lpm_10k', '--prog', 'update_array_1k', '--prog', 'base_u32', '--repeat', '2', '--trials', '1']);
    assert.ok(k.ok);
    if (!k.ok) return;
    assert.equal(k.run.programs.map((p) => p.name), ['lookup_hash_1k', 'lookup_lpm_10k', 'update_array_1k', 'base_u32']);
    for (const p of k.run.programs) assert.equal(p.retvals, [2], p.name);
    ran += k.run.programs.length;
  });

  test('kbench: bad input fails with a message naming what and where', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kbench-'));
    const whole = readFileSync(join(ROOT, PCAP));
    const cut = join(dir, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, 24 + 16 + 10)); // first record's data cut short
    const bin = kbenchBinary();
    const r = spawnSync(bin, ['examples/xdp_firewall/xdp_firewall.o', '--pcap', cut], { cwd: ROOT, encoding: 'utf8' });
    assert.is(r.status, 1);
    assert.match(r.stderr, /packet 1: truncated data at offset 24/);
    const magic = join(dir, 'magic.pcap');
    writeFileSync(magic, Buffer.alloc(64, 0x41));
    const m = spawnSync(bin, ['examples/xdp_firewall/xdp_firewall.o', '--pcap', magic], { cwd: ROOT, encoding: 'utf8' });
    assert.is(m.status, 1);
    assert.match(m.stderr, /not a little-endian pcap/);
    const u = spawnSync(bin, ['examples/xdp_firewall/xdp_firewall.o', '--fill', 'nosuch=3'], { cwd: ROOT, encoding: 'utf8' });
    assert.is(u.status, 1);
    assert.match(u.stderr, /--fill nosuch=3/);
    const usage = spawnSync(bin, [], { cwd: ROOT, encoding: 'utf8' });
    assert.is(usage.status, 2);
  });

  test('reports how many kernel runs were compared', () => {
    console.log(`\nNOTE: compared ${ran} kernel runs (retvals) with the engine`);
    assert.ok(ran > 0);
  });
}

test.run();
