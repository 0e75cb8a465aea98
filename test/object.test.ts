/**
 * loadObject (libbpf-style loading onto one machine) and the object CLI
 * commands' error paths.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './support/paths.js';
import { internalMapName, loadObject, objectNameFromPath } from '../src/object/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { readCapture } from '../src/pcap/pcap.js';
import { KERNEL_RELEASE } from '../src/btf/kernel/runtime-layout.js';

const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const example = (n: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'examples', n, `${n}.o`)));
const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-obj-'));
function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
const u32 = (n: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; };

test('internal map names follow libbpf', () => {
  assert.is(internalMapName('flow_counter', '.bss'), 'flow_cou.bss');
  assert.is(internalMapName('flow_counter', '.rodata'), 'flow_cou.rodata');
  assert.is(internalMapName('xdp_lb', '.rodata'), 'xdp_lb.rodata');
  assert.is(objectNameFromPath('examples/flow_counter/flow_counter.o'), 'flow_counter');
});

test('loadObject creates maps, writes global data, freezes .rodata and does not touch its input', () => {
  const bytes = example('flow_counter');
  const copy = bytes.slice();
  const obj = loadObject(bytes, { name: 'flow_counter', unverified: true, kernels, rodata: { min_frame_len: 64 } });
  assert.equal(bytes, copy);
  assert.equal([...obj.maps.keys()].sort(), ['flow_cou.bss', 'flow_cou.rodata', 'flows', 'sources']);
  const ro = obj.map('flow_cou.rodata');
  assert.ok(ro.info.frozen);
  assert.equal([...ro.lookup(u32(0))!.subarray(0, 4)], [64, 0, 0, 0]);
  assert.throws(() => ro.update(u32(0), new Uint8Array(5)), /EPERM/);
  const prog = obj.program('flow_counter');
  assert.is(prog.type, 'xdp');
  // every packet runs; .bss counts them
  const cap = readCapture(new Uint8Array(readFileSync(join(ROOT, 'examples', 'sample.pcap'))));
  for (const p of cap.packets.slice(0, 10)) prog.loaded.testRun({ data: p.data });
  const bss = obj.map('flow_cou.bss').lookup(u32(0))!;
  assert.is(new DataView(bss.buffer, bss.byteOffset).getBigUint64(0, true), 10n);
});

const fixture = (n: string): Uint8Array => new Uint8Array(readFileSync(join(ROOT, 'test', 'fixtures', 'elf', `${n}.o`)));
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

test('global data of every kind under libbpf names; kconfig values; rodata set before the freeze', () => {
  const obj = loadObject(fixture('globals'), { name: 'globals', unverified: true, kernels, autoload: { use_ksym: false }, rodata: { cfg_limit: 7 } });
  assert.equal([...obj.maps.keys()].sort(), ['g.rodata.banner', 'glo.data.custom', 'globals.bss', 'globals.data', 'globals.kconfig', 'globals.rodata']);
  assert.equal([...obj.programs.keys()], ['use_globals']);
  assert.is(hex(obj.map('glo.data.custom').lookup(u32(0))), '2a000000');
  assert.is(hex(obj.map('g.rodata.banner').lookup(u32(0))), '68656c6c6f00');
  // LINUX_KERNEL_VERSION (u32: the release the built-in kernel BTF was cut from) then CONFIG_BPF_SYSCALL (bool)
  const kc = obj.map('globals.kconfig').lookup(u32(0))!;
  const [a, b, c] = KERNEL_RELEASE.split(/[.-]/).map(Number);
  assert.is(new DataView(kc.buffer, kc.byteOffset).getUint32(0, true), (a! << 16) + (b! << 8) + Math.min(c!, 255));
  assert.is(kc.length, 5, 'sized as libbpf sizes .kconfig: the last extern\'s end');
  assert.is(kc[4], 1);
  assert.ok(obj.map('globals.kconfig').info.frozen);
  const ro = obj.map('globals.rodata');
  const v = ro.spec.variables!.find((x) => x.name === 'cfg_limit')!;
  assert.is(ro.lookup(u32(0))![v.offset], 7);
  assert.ok(ro.info.frozen);
  // the __ksym program, when loaded, names program, pc and symbol
  assert.throws(() => loadObject(fixture('globals'), { unverified: true, kernels }), /pc \d+: program use_ksym: relocation of bpf_prog_active: kernel symbol/);
});

test('map-in-map and prog-array initialisers hold the inner maps\' and programs\' ids', () => {
  const obj = loadObject(fixture('maps'), { name: 'maps', unverified: true, kernels });
  const ids = (name: string) => obj.map(name).entries().map(([k, v]) => [k[0], new DataView(v.buffer, v.byteOffset).getUint32(0, true)]);
  assert.equal(ids('outer'), [[0, obj.map('inner1').info.id], [2, obj.map('inner2').info.id]]);
  assert.equal(ids('jmp_table'), [[0, obj.program('tail0').ref.id], [1, obj.program('tail1').ref.id]]);
});

test('loadObject: clear errors', () => {
  // verified by default: the example passes the verifier and carries its verdict
  const verified = loadObject(example('xdp_lb'), { kernels, name: 'xdp_lb' });
  assert.ok(verified.programs.get('xdp_lb')!.loaded.verification?.verified);
  assert.throws(() => loadObject(example('xdp_lb'), { unverified: true }), /map kernels/);
  assert.throws(() => loadObject(example('xdp_lb'), { unverified: true, kernels, rodata: { nope: 1 } }), /no read-only global variable named nope/);
  assert.throws(() => loadObject(example('xdp_lb'), { unverified: true, kernels, maxEntries: { nope: 1 } }), /no map named nope/);
  const obj = loadObject(example('xdp_lb'), { unverified: true, kernels, name: 'xdp_lb' });
  assert.throws(() => obj.program('nope'), /no program named nope.*xdp_lb/);
  assert.throws(() => obj.map('nope'), /no map named nope/);
});

test('CLI: --map-init naming a missing map', () => {
  const r = cli(['test-run', 'examples/xdp_lb/xdp_lb.o', '--data-hex', '00', '--map-init', `nope=${join(ROOT, 'examples/xdp_lb/vips.txt')}`, '--unverified']);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /--map-init: no map named nope/);
  assert.not.match(r.err, /at .*\.js:/);
});

test('CLI: unknown program name', () => {
  const r = cli(['test-run', 'examples/xdp_lb/xdp_lb.o', '--prog', 'nope', '--data-hex', '00', '--unverified']);
  assert.is(r.code, 2, r.err);
  assert.match(r.err, /no program named nope \(the object has: xdp_lb\)/);
});

test('CLI: truncated object', () => {
  const f = join(tmp, 'trunc.o');
  writeFileSync(f, example('xdp_lb').subarray(0, 300));
  const r = cli(['test-run', f, '--data-hex', '00', '--unverified']);
  assert.is(r.code, 1);
  assert.match(r.err, /EW40\d\d/);
  assert.not.match(r.err, /at .*\.js:/);
});

test('CLI: without --unverified the program is verified, then run', () => {
  const r = cli(['test-run', 'examples/xdp_lb/xdp_lb.o', '--data-hex', '00']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /^retval: 2\n/); // too short for Ethernet: XDP_PASS
});

test('CLI run: a trapping program names the packet; earlier counts are kept', () => {
  // a budget that the ARP path of flow_counter fits in and the IPv4 path does not
  const r = cli(['run', 'examples/flow_counter/flow_counter.o', '--pcap', 'examples/sample.pcap', '--budget', '40', '--unverified', '--stop-on-error']);
  assert.is(r.code, 1);
  assert.match(r.err, /run stopped at packet 2 \(index 1\) of \d+; 1 packets counted before it: EW3002: pc \d+: instruction budget/);
  assert.match(r.out, /^packets: 1\nXDP_PASS: 1\n/);
});

test('CLI run: summary, --out keeps the non-dropped packets, --json maps in bpftool shape', () => {
  const out = join(tmp, 'out.pcap');
  const r = cli(['run', 'examples/xdp_firewall/xdp_firewall.o', '--pcap', 'examples/sample.pcap', '--map-init',
    'blocklist=examples/xdp_firewall/blocklist.txt', '--out', out, '--unverified']);
  assert.is(r.code, 0, r.err);
  const m = /XDP_PASS: (\d+)/.exec(r.out);
  assert.ok(m, r.out);
  assert.match(r.out, /rate: \d+ packets\/s/);
  assert.is(readCapture(new Uint8Array(readFileSync(out))).packets.length, +m![1]!);
  const j = cli(['run', 'examples/xdp_firewall/xdp_firewall.o', '--pcap', 'examples/sample.pcap', '--dump-maps', '--json', '--unverified']);
  const parsed = JSON.parse(j.out) as { packets: number; maps: Record<string, { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }[]> };
  assert.ok(parsed.packets > 0);
  assert.equal(parsed.maps.rule_hits![0]!.key, ['0x00', '0x00', '0x00', '0x00']);
  assert.is(parsed.maps.verdicts![0]!.values![0]!.cpu, 0);
  assert.is(parsed.maps.verdicts![0]!.values![0]!.value.length, 16);
});

test('CLI test-run: --data/--ctx files equal --data-hex/--ctx-hex; --json carries bpftool-shaped maps', () => {
  const c = (JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'kernel', 'cases.json'), 'utf8')) as { cases: { name: string; args: string[] }[] })
    .cases.find((x) => x.name === 'tc_rewrite.ctx')!;
  const dataHex = c.args[c.args.indexOf('--data-hex') + 1]!, ctxHex = c.args[c.args.indexOf('--ctx-hex') + 1]!;
  writeFileSync(join(tmp, 'data.bin'), Buffer.from(dataHex, 'hex'));
  writeFileSync(join(tmp, 'ctx.bin'), Buffer.from(ctxHex, 'hex'));
  const a = cli(['test-run', 'examples/tc_rewrite/tc_rewrite.o', '--data-hex', dataHex, '--ctx-hex', ctxHex, '--repeat', '3', '--unverified']);
  const b = cli(['test-run', 'examples/tc_rewrite/tc_rewrite.o', '--data', join(tmp, 'data.bin'), '--ctx', join(tmp, 'ctx.bin'), '--repeat', '3', '--unverified']);
  assert.is(a.code, 0, a.err);
  const mask = (t: string): string => t.replace(/duration_ns: \d+/, '');
  assert.is(mask(b.out), mask(a.out));
  assert.match(a.out, /^retval: 0\ndata_out: [0-9a-f]+\nctx_out: [0-9a-f]+\nduration_ns: \d+\n$/);
  const j = JSON.parse(cli(['test-run', 'examples/tc_rewrite/tc_rewrite.o', '--data-hex', dataHex, '--dump-maps', '--json', '--unverified']).out) as { retval: number; maps: Record<string, { key: string[]; value: string[] }[]> };
  assert.is(j.retval, 0);
  assert.is(j.maps.rewrites!.length, 3);
  assert.equal(j.maps.rewrites![1]!.value, ['0x01', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00', '0x00']);
});

test('CLI map dump --json', () => {
  const r = cli(['map', 'dump', 'examples/flow_counter/flow_counter.o', '--map', 'flow_cou.rodata', '--json']);
  assert.is(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { key: string[]; value: string[] }[];
  assert.is(j.length, 1);
  assert.equal(j[0]!.key, ['0x00', '0x00', '0x00', '0x00']);
  assert.is(j[0]!.value.length, 5);
});

test.run();
