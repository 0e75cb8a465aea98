// bpf_spin_lock/unlock, bpf_check_mtu (XDP and tc), bpf_xdp_load_bytes/store_bytes and bpf_snprintf in
// both tiers against the kernel: a clang object (test/fixtures/helpers2) whose programs write the
// helpers' results into the packet. Expectations: test/fixtures/helpers2/kernel.json
// (scripts/helpers2-expectations.mjs); as root the test also runs the live kernel through
// test/kernel/oracle.c. The engine runs in a world with the kernel test run's loopback (ifindex 1,
// MTU 65536), the device BPF_PROG_TEST_RUN gives packets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObject, type BpfObject } from '../src/object/object.js';
import { assertLiveTestRuns } from './kernel/live-test-run.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { setWorld, checkMtu } from '../src/runtime/world-helpers.js';
import { parseWorld, EMPTY_WORLD } from '../src/runtime/world.js';
import { formatTracePrintk } from '../src/helpers/printk.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OBJECT = 'test/fixtures/helpers2/helpers2.o';
interface Case { name: string; object?: string; prog: string; data: string; kernel: string }
const expected = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'helpers2', 'kernel.json'), 'utf8')) as { cases: Case[] };
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const objectBytes = (path: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, path)));
await loadTier('jit');
const LOOPBACK = parseWorld({ interfaces: [{ ifindex: 1, name: 'lo', mtu: 65536, mac: '00:00:00:00:00:00' }], ingress: 1 });

const MODES: Array<[TierName, boolean]> = [['interpreter', false], ['interpreter', true], ['jit', false], ['jit', true]];
const label = (tier: TierName, unverified: boolean): string => `${tier} (${unverified ? 'sandboxed' : 'verified'})`;
function load(tier: TierName, unverified: boolean, path = OBJECT): BpfObject {
  const obj = loadObject(objectBytes(path), { kernels, tier, unverified });
  setWorld(obj.machine, LOOPBACK);
  return obj;
}

/** What the oracle prints for a test run, without the duration. */
function engineOutput(obj: BpfObject, c: Case): string {
  const r = obj.program(c.prog).loaded.testRun({ data: Buffer.from(c.data, 'hex') });
  return `retval: ${r.retval}\ndata_out: ${Buffer.from(r.dataOut).toString('hex')}\n`;
}

test('the fixture covers every helper and its error codes', () => {
  const progs = new Set(expected.cases.map((c) => c.prog));
  for (const p of ['spin', 'mtu_xdp', 'mtu_tc', 'xdp_bytes', 'snprintf_xdp']) assert.ok(progs.has(p), p);
  const out = expected.cases.map((c) => c.kernel).join('');
  assert.ok(out.includes('edffffff'), '-ENODEV'); // check_mtu, unknown ifindex
  assert.ok(out.includes('eaffffff'), '-EINVAL'); // check_mtu flags
  assert.ok(/ea00|eaea/.test(out), 'xdp bytes -EINVAL');
  assert.ok(out.includes('f2f2'), 'xdp bytes -EFAULT');
});

for (const [tier, unverified] of MODES) {
  test(`${label(tier, unverified)}: every case as the kernel ran it`, () => {
    // a fresh object per case: the kernel oracle loads the object for every run (the spin-lock counter starts at 0).
    // spinlock.o and snprintf.o run verified too: the verifier takes bpf_spin_lock (map value BTF) and const strings (frozen .rodata).
    let ran = 0;
    for (const c of expected.cases) {
      assert.is(engineOutput(load(tier, unverified, c.object), c), c.kernel, c.name);
      ran++;
    }
    console.log(`\nNOTE: ${ran} helpers2 cases compared with the kernel (${label(tier, unverified)})`);
  });
}

test('bpf_spin_lock takes the value word user-space BPF_F_LOCK takes (same kernel export), released after the run', () => {
  for (const tier of ['interpreter', 'jit'] as const) {
    const obj = load(tier, true, 'test/fixtures/helpers2/spinlock.o');
    const spec = obj.machine.helpers.get(93)!;
    assert.is(spec.impl?.kernel?.export, 'spin_lock');
    assert.is(obj.machine.helpers.get(94)!.impl?.kernel?.export, 'spin_unlock');
    const c = expected.cases.find((x) => x.name === 'spin-slot0')!;
    for (let i = 0; i < 3; i++) engineOutput(obj, c);
    const map = obj.maps.get('locked')!;
    const v = map.lookup(new Uint8Array(4))!;
    const dv = new DataView(v.buffer, v.byteOffset);
    assert.is(dv.getUint32(0, true), 0, `${tier}: lock word free after the runs`);
    assert.is(dv.getUint32(4, true), 6, `${tier}: cnt`);
    assert.is(dv.getUint32(8, true), 36, `${tier}: sum`);
  }
});

test('bpf_check_mtu outside any world: the packet\'s device is the loopback (MTU 65536, as BPF_PROG_TEST_RUN), any other 1500', () => {
  const mem = new Uint8Array(64);
  const dv = new DataView(mem.buffer);
  dv.setUint32(0, 16, true); dv.setUint32(4, 16 + 1514, true); // xdp_md data, data_end
  assert.is(checkMtu(EMPTY_WORLD, mem, true, 0, 7, 32, 0, 0n), 0);
  assert.is(dv.getUint32(32, true), 1500);
  dv.setUint32(32, 0, true);
  assert.is(checkMtu(EMPTY_WORLD, mem, true, 0, 7, 32, 1, 0n), 1);
  for (const ifindex of [0, 1]) {
    dv.setUint32(32, 0, true);
    assert.is(checkMtu(EMPTY_WORLD, mem, true, 0, ifindex, 32, 0, 0n), 0);
    assert.is(dv.getUint32(32, true), 65536, `ifindex ${ifindex}`);
  }
});

test('bpf_snprintf shares the trace_printk formatter: up to 12 arguments, a conversion beyond data_len is EINVAL', () => {
  const fmt = (s: string) => new Uint8Array([...Buffer.from(s), 0]);
  const none = () => undefined;
  const r = formatTracePrintk(fmt('%d %d %d %d %d'), [1n, 2n, 3n, 4n, 5n], none);
  assert.equal(r, { text: '1 2 3 4 5', length: 9 });
  assert.is(formatTracePrintk(fmt('%d %d'), [1n], none), 22);
  assert.is(formatTracePrintk(fmt('%d %d %d %d'), [1n, 2n, 3n], none), 22, 'trace_printk keeps its three');
});

test('the live kernel agrees (BPF_PROG_TEST_RUN through test/kernel/oracle.c)', () => {
  assertLiveTestRuns('helpers2', OBJECT, expected.cases);
});

test.run();
