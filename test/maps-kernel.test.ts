// Differential test against the Linux kernel's own maps on this machine: the
// same seeded scripts run through ebpf-wasm's map API and through bpf() (the
// map-harness.c helper built with gcc against libbpf), comparing results,
// errnos and final contents. Runs whenever bpf() works; as root, a harness
// that cannot run is a failure; otherwise the test prints SKIP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KINDS, generateOps, runOurs, compareResults } from './kernel/map-ops.js';
import { BAD_CASES } from './kernel/map-badinput.js';
import { newMaps, kernelHarness, runKernel, possibleCpus } from './kernel/map-setup.js';
import { MAP_TYPE as T, MAP_FLAG } from '../src/maps/constants.js';

const OPS_PER_TYPE = Number(process.env.MAP_DIFF_OPS ?? 10000);
const status = kernelHarness();
const ncpus = possibleCpus();

if (!status.ok) {
  if (status.root) {
    test('kernel harness runs as root', () => {
      assert.unreachable(`running as root but the kernel comparison cannot run: ${status.reason}`);
    });
  } else {
    console.log(`\nSKIP: kernel map differential needs root and bpf(): ${status.reason}`);
    test('kernel differential skipped (not root)', () => {});
  }
} else {
  const harness = status.harness;
  let total = 0;

  for (const kind of KINDS) {
    test(`${kind}: ${OPS_PER_TYPE} seeded operations match the kernel`, () => {
      const ops = generateOps(kind, 1000 + KINDS.indexOf(kind), OPS_PER_TYPE, ncpus);
      const ours = runOurs(newMaps(ncpus), ops);
      const kernel = runKernel(harness, ops);
      const { mismatches, bloomFalsePositives, fpOurs, fpKernel, negatives } = compareResults(kind, ops, ours, kernel);
      total += ops.length;
      if (mismatches.length > 0) {
        const shown = mismatches.slice(0, 5).map((m) => `  #${m.index} ${m.op.slice(0, 90)}\n    ours:   ${m.ours.slice(0, 120)}\n    kernel: ${m.kernel.slice(0, 120)}`);
        assert.unreachable(`${mismatches.length} of ${ops.length} results differ:\n${shown.join('\n')}`);
      }
      if (kind === 'bloom_filter') {
        console.log(`\nNOTE: bloom filter: ${bloomFalsePositives} lookups differ only by a false positive; false-positive rate ours ${(fpOurs / negatives).toFixed(3)}, kernel ${(fpKernel / negatives).toFixed(3)}`);
        // same sizing rule: the rates must be close
        assert.ok(Math.abs(fpOurs - fpKernel) <= 0.2 * Math.max(fpOurs, fpKernel) + 20, `false positives ours ${fpOurs}, kernel ${fpKernel}`);
      }
      // the final contents were compared by the last script line
      assert.ok(ops[ops.length - 1]!.startsWith('I '));
    });
  }

  test('bad input gives the kernel errno and loses no entry', () => {
    const bad: string[] = [];
    for (const c of BAD_CASES) {
      const ours = runOurs(newMaps(ncpus), c.ops);
      const kernel = runKernel(harness, c.ops);
      const { mismatches } = compareResults('hash', c.ops, ours, kernel);
      for (const m of mismatches) bad.push(`${c.name}: ${m.op} ours ${m.ours.slice(0, 60)} kernel ${m.kernel.slice(0, 60)}`);
      total += c.ops.length;
    }
    assert.equal(bad, []);
  });

  for (const [label, lruFlags] of [['', 0], [' with BPF_F_NO_COMMON_LRU (one CPU\'s share)', MAP_FLAG.NO_COMMON_LRU]] as const) test(`LRU under pressure${label}: never above max_entries, the newest and the hot entries survive (kernel pinned to one CPU)`, () => {
    const max = 256;
    // with per-CPU LRU lists, one CPU's updates can use only its share of the elements
    const limit = lruFlags ? max / ncpus : max;
    const ops: string[] = [`C ${T.lru_hash} 4 8 ${max} ${lruFlags} 0 -1`];
    const hot = Array.from({ length: 16 }, (_, i) => 100000 + i);
    const hex = (n: number): string => Array.from(new Uint8Array(new Uint32Array([n]).buffer), (b) => b.toString(16).padStart(2, '0')).join('');
    for (const h of hot) ops.push(`U 0 ${hex(h)} 0101010101010101 0`);
    const checks: { line: number; key: number; kind: 'newest' | 'hot' }[] = [];
    for (let i = 0; i < 4000; i++) {
      ops.push(`U 0 ${hex(i)} 0202020202020202 0`);
      ops.push(`L 0 ${hex(i)} 0`);
      checks.push({ line: ops.length - 1, key: i, kind: 'newest' });
      // updates refresh an entry on both sides (user-space lookups do not mark LRU entries in the kernel)
      if (i % 8 === 0) for (const h of hot) ops.push(`U 0 ${hex(h)} 0303030303030303 2`);
    }
    for (const h of hot) { ops.push(`L 0 ${hex(h)} 0`); checks.push({ line: ops.length - 1, key: h, kind: 'hot' }); }
    ops.push('I 0');
    let t0 = Date.now();
    const ours = runOurs(newMaps(ncpus), ops);
    const tOurs = Date.now() - t0;
    t0 = Date.now();
    const kernel = runKernel(harness, ops, true);
    console.log(`\nNOTE: LRU pressure script: ours ${tOurs} ms, kernel ${Date.now() - t0} ms`);
    total += ops.length;
    for (const [name, res] of [['ours', ours], ['kernel', kernel]] as const) {
      const count = Number(res[res.length - 1]!.split(' ')[0]);
      assert.ok(count <= limit, `${name}: ${count} entries above ${limit}`);
      if (lruFlags) assert.is(count, limit, `${name}: the CPU's share is full`);
      const lostNewest = checks.filter((c) => c.kind === 'newest' && res[c.line] === '-2').length;
      const lostHot = checks.filter((c) => c.kind === 'hot' && res[c.line] === '-2').length;
      console.log(`\nNOTE: LRU ${name}: ${count}/${max} entries at the end, newest lost ${lostNewest}/4000, hot lost ${lostHot}/${hot.length}`);
      assert.is(lostNewest, 0, `${name}: a just-inserted entry was evicted`);
      assert.is(lostHot, 0, `${name}: a hot entry was evicted`);
    }
  });

  test('summary', () => {
    console.log(`\nNOTE: ran ${total} map operations against the kernel (${KINDS.length} scripts x ${OPS_PER_TYPE} + bad input + LRU pressure, ${ncpus} CPUs)`);
    assert.ok(total >= KINDS.length * OPS_PER_TYPE);
  });
}

test.run();
