/**
 * `ebpf-wasm gen skeleton`: the generated module type-checks under tsc
 * --strict (a wrong .rodata name or map property is a type error), loads
 * the embedded object, and its handles behave as loadObject's own.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, ROOT } from './support/paths.js';
import { loadObject } from '../src/object/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';

const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
// inside the package, so the generated `import … from 'ebpf-wasm'` resolves to this package
const DIR = join(ROOT, 'dist', 'test', 'skeleton-out');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

function gen(obj: string, out: string): void {
  const r = spawnSync(process.execPath, [CLI, 'gen', 'skeleton', join(ROOT, obj), '-o', join(DIR, out)], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
}

test.before(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  gen('examples/xdp_firewall/xdp_firewall.o', 'xdp_firewall.skel.ts');
  gen('test/fixtures/elf/globals.o', 'globals.skel.ts');
  writeFileSync(join(DIR, 'use.ts'), `import { XdpFirewallSkeleton } from './xdp_firewall.skel.js';
import { GlobalsSkeleton } from './globals.skel.js';
// @ts-expect-error: xdp_firewall.o has no .rodata variables
export const a = () => XdpFirewallSkeleton.load({ rodata: { cfg_limit: 1 } });
// @ts-expect-error: not a .rodata variable of globals.o
export const b = () => GlobalsSkeleton.load({ rodata: { no_such_variable: 1 } });
export const c = () => GlobalsSkeleton.load({ rodata: { cfg_limit: 7 }, autoload: { use_ksym: false } }).maps.rodata;
// @ts-expect-error: no such map
export const d = (s: GlobalsSkeleton) => s.maps.no_such_map;
export const e: number = XdpFirewallSkeleton.mapSpecs.blocklist.keySize;
`);
  const r = spawnSync(TSC, ['--ignoreConfig', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck',
    join(DIR, 'use.ts'), join(DIR, 'xdp_firewall.skel.ts'), join(DIR, 'globals.skel.ts')], { encoding: 'utf8' });
  assert.is(r.status, 0, `tsc: ${r.stdout}${r.stderr}`);
});

test('names: programs and BTF maps by their C names, global data as rodata/bss/data/kconfig', () => {
  const text = readFileSync(join(DIR, 'globals.skel.ts'), 'utf8');
  for (const s of ['readonly use_globals: BpfProgram', 'readonly rodata: BpfMap', 'readonly bss: BpfMap', 'readonly kconfig: BpfMap', 'readonly cfg_limit?: RodataValue', 'obj.map("globals.rodata")'])
    assert.ok(text.includes(s), s);
  assert.ok(readFileSync(join(DIR, 'xdp_firewall.skel.ts'), 'utf8').includes('export type XdpFirewallRodata = Record<string, never>;'));
});

test('the generated module loads the embedded object: same answers and maps as loadObject', async () => {
  const { XdpFirewallSkeleton } = await import(pathToFileURL(join(DIR, 'xdp_firewall.skel.js')).href) as typeof import('./skeleton-types.js');
  const skel = XdpFirewallSkeleton.load({ kernels });
  const direct = loadObject(readFileSync(join(ROOT, 'examples/xdp_firewall/xdp_firewall.o')), { name: 'xdp_firewall', kernels });
  assert.equal(new Uint8Array(XdpFirewallSkeleton.bytes()), new Uint8Array(readFileSync(join(ROOT, 'examples/xdp_firewall/xdp_firewall.o'))));
  // an IPv4/UDP frame to 10.0.0.1
  const frame = Uint8Array.from(Buffer.from('ffffffffffff0200000000010800450000200000400040110000c0a800010a0000010035003500080000deadbeef', 'hex'));
  const ours = skel.progs.xdp_firewall.loaded.testRun({ data: frame });
  const theirs = direct.program('xdp_firewall').loaded.testRun({ data: frame });
  assert.is(ours.retval, theirs.retval);
  assert.equal([...skel.maps.verdicts.entries()].length, [...direct.map('verdicts').entries()].length);
  assert.is(XdpFirewallSkeleton.mapSpecs.blocklist.type, 'lpm_trie');
});

test('.rodata values set through the skeleton reach the frozen map', async () => {
  const { GlobalsSkeleton } = await import(pathToFileURL(join(DIR, 'globals.skel.js')).href) as typeof import('./skeleton-types.js');
  const skel = GlobalsSkeleton.load({ kernels, rodata: { cfg_limit: 7 }, autoload: { use_ksym: false }, unverified: true });
  const v = skel.maps.rodata.lookup(new Uint8Array(4))!;
  assert.is(new DataView(v.buffer, v.byteOffset).getUint32(16, true), 7);
  assert.throws(() => skel.progs.use_ksym, /use_ksym/);
});

test('gen: unknown generator and missing object are usage errors', () => {
  const r = spawnSync(process.execPath, [CLI, 'gen', 'header', 'x.o'], { encoding: 'utf8' });
  assert.is(r.status, 2);
  assert.match(r.stderr, /unknown generator 'header'/);
});

test.run();
