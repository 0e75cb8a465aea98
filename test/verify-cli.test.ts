// `ebpf-wasm verify`: exit codes against the kernel's verdicts (a sample of the
// labelled corpus), the bundled examples (all accepted by the kernel), and errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './support/paths.js';
import type { VerifierMap } from '../src/verifier/index.js';

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
/** The same, asynchronously, so that the corpus sample runs several CLIs at once. */
function cliAsync(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [CLI, ...args], { cwd: ROOT });
    let out = '', err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err += d; });
    c.on('close', (code) => resolve({ code, out, err }));
  });
}
const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-verify-'));
const hexFile = (name: string, hex: string): string => { const p = join(tmp, name); writeFileSync(p, hex); return p; };

interface Entry { name: string; type: string; license: string; maps: VerifierMap[]; hex: string; funcInfo?: number[] }
const dir = join(ROOT, 'test', 'fixtures', 'verifier');
const corpus: Entry[] = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8'));
const labels: Record<string, { ok: boolean; error: string }> = JSON.parse(readFileSync(join(dir, 'labels.json'), 'utf8')).labels;

const EXAMPLES = ['flow_counter', 'socket_filter', 'tc_rewrite', 'trace_counter', 'xdp_firewall', 'xdp_lb'];

test('every example object is accepted, as by the kernel', () => {
  for (const n of EXAMPLES) {
    const r = cli(['verify', `examples/${n}/${n}.o`]);
    assert.is(r.code, 0, `${n}: ${r.out}${r.err}`);
    assert.match(r.out, /^\w+: accepted \(processed \d+ insns\)\n$/);
  }
});

test('a sample of ≥100 corpus programs: exit codes equal the kernel verdicts', async () => {
  // every 12th labelled program: all families, both verdicts, maps and licenses
  const labelled = corpus.filter((p) => labels[p.name]);
  const sample = labelled.filter((_, i) => i % 12 === 0);
  for (const p of labelled) if (p.license !== 'GPL' && !sample.includes(p)) { sample.push(p); break; }
  assert.ok(sample.length >= 100, `${sample.length} programs`);
  let acc = 0, rej = 0;
  const wrong: string[] = [];
  const runs = sample.map((p, i) => {
    const args = ['verify', '--raw', '--type', p.type, '--license', p.license, hexFile(`c${i}.hex`, p.hex)];
    for (const m of p.maps) args.push('--map', `${m.type}:${m.keySize}:${m.valueSize}:${m.maxEntries}:${m.flags ?? 0}`);
    if (p.funcInfo) args.push('--func-info', p.funcInfo.join(','));
    return args;
  });
  const results: Awaited<ReturnType<typeof cliAsync>>[] = new Array(runs.length);
  let next = 0;
  const worker = async (): Promise<void> => { while (next < runs.length) { const i = next++; results[i] = await cliAsync(runs[i]!); } };
  await Promise.all(Array.from({ length: 8 }, worker));
  sample.forEach((p, i) => {
    const r = results[i]!;
    const label = labels[p.name]!;
    if (label.ok) acc++; else rej++;
    if (r.code !== (label.ok ? 0 : 1)) wrong.push(`${p.name}: kernel ${label.ok ? 'accepts' : 'rejects'}, exit ${r.code} ${r.out}${r.err}`);
    else if (!label.ok) assert.ok(r.out.includes(label.error) || r.out.includes('rejected at pc'), r.out);
  });
  assert.equal(wrong, []);
  assert.ok(acc >= 20 && rej >= 20, `${acc} accepted, ${rej} rejected`);
});

test('rejection: kernel-worded error, pc and the BTF.ext source line', () => {
  const r = cli(['verify', '--type', 'socket', 'examples/xdp_firewall/xdp_firewall.o']);
  assert.is(r.code, 1);
  assert.match(r.out, /^xdp_firewall: rejected at pc \d+: .+\n  ; .+ \(xdp_firewall\.c:\d+(:\d+)?\)\n$/);
});

test('--raw with --map: lddw src=1 imm K names the K-th map; map type names and numbers', () => {
  // r1 = map[0]; r2 = fp-4 (*(u32*)(fp-4) = 0); call map_lookup_elem; r0 = 0; exit
  const hex = '18110000000000000000000000000000' + '620afcff00000000' + 'bfa2000000000000' + '07020000fcffffff' +
    '8500000001000000' + 'b700000000000000' + '9500000000000000';
  const f = hexFile('lookup.hex', hex);
  assert.is(cli(['verify', '--raw', '--type', 'xdp', '--map', 'hash:4:8:16', f]).code, 0);
  assert.is(cli(['verify', '--raw', '--type', 'xdp', '--map', '1:4:8:16:0', f]).code, 0);
  assert.is(cli(['verify', '--raw', '--type', 'xdp', '--map', 'array:4:8:16', f]).code, 0);
  const noMap = cli(['verify', '--raw', '--type', 'xdp', f]);
  assert.is(noMap.code, 1, noMap.out + noMap.err);
  const keyTooBig = cli(['verify', '--raw', '--type', 'xdp', '--map', 'hash:8:8:16', f]);
  assert.is(keyTooBig.code, 1, keyTooBig.out);
});

test('--log-level: the kernel-format log on stdout', () => {
  const f = hexFile('uninit.hex', 'bf200000000000009500000000000000');
  const r = cli(['verify', '--raw', '--type', 'socket_filter', '--log-level', '1', f]);
  assert.is(r.code, 1);
  assert.match(r.out, /0: \(bf\) r0 = r2\nR2 !read_ok\nprocessed 1 insns \(limit 1000000\)/);
  assert.match(r.out, /uninit: rejected at pc 0: R2 !read_ok\n$/);
  const s = cli(['verify', '--log-level', '4', 'examples/xdp_lb/xdp_lb.o']);
  assert.is(s.code, 0);
  assert.match(s.out, /^verification time \d+ usec\nstack depth \d+(\+\d+)*\nprocessed \d+ insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0\n/);
});

test('--prog, --unprivileged and the object license', () => {
  assert.is(cli(['verify', '--prog', 'xdp_lb', 'examples/xdp_lb/xdp_lb.o']).code, 0);
  const r = cli(['verify', '--unprivileged', 'examples/socket_filter/socket_filter.o']);
  assert.is(r.code, 1);
  assert.match(r.out, /rejected at pc \d+: R0 pointer comparison prohibited/);
  // bpf_trace_printk is GPL-only: a non-GPL --license is refused as by the kernel
  const printk = hexFile('printk.hex', '7a0af8ff68690a00bfa100000000000007010000f8ffffffb7020000080000008500000006000000b7000000000000009500000000000000');
  assert.is(cli(['verify', '--raw', '--type', 'kprobe', printk]).code, 0);
  assert.is(cli(['verify', '--raw', '--type', 'kprobe', '--license', 'Dual BSD/GPL', printk]).code, 0);
  const mit = cli(['verify', '--raw', '--type', 'kprobe', '--license', 'MIT', printk]);
  assert.is(mit.code, 1, mit.out);
  assert.match(mit.out, /cannot call GPL-restricted function from non-GPL compatible program/);
});

test('errors exit 2: usage, unreadable file, malformed bytecode', () => {
  const ok = hexFile('ok.hex', 'b7000000000000009500000000000000');
  const cases: string[][] = [
    ['verify'],
    ['verify', join(tmp, 'missing.o')],
    ['verify', '--raw', ok],
    ['verify', ok],
    ['verify', '--raw', '--type', 'nosuch', ok],
    ['verify', '--raw', '--type', 'xdp', '--map', 'hash:4:8', ok],
    ['verify', '--raw', '--type', 'xdp', '--map', 'nosuch:4:8:1', ok],
    ['verify', '--raw', '--type', 'xdp', hexFile('odd.hex', 'b70000000000000095000000')],
    ['verify', '--raw', '--type', 'xdp', hexFile('nothex.hex', 'b7000000zz')],
    ['verify', '--prog', 'nosuch', 'examples/xdp_lb/xdp_lb.o'],
    ['verify', '--log-level', 'x', 'examples/xdp_lb/xdp_lb.o'],
    ['verify', '--bogus', 'examples/xdp_lb/xdp_lb.o'],
    ['verify', 'examples/raw/checksum.o'],
  ];
  for (const c of cases) {
    const r = cli(c);
    assert.is(r.code, 2, `${c.join(' ')}: ${r.out}${r.err}`);
    assert.match(r.err, /^ebpf-wasm verify: /);
    assert.not.match(r.err, /\n\s+at /);
  }
});

test('test-run --raw: --unverified or --type (verified as that type first)', () => {
  const ok = hexFile('ret7.hex', 'b7000000070000009500000000000000');
  assert.is(cli(['test-run', '--raw', ok]).code, 2);
  const v = cli(['test-run', '--raw', '--type', 'xdp', ok]);
  assert.is(v.code, 0, v.err);
  assert.is(v.out, 'retval: 7\n');
  const bad = cli(['test-run', '--raw', '--type', 'xdp', hexFile('bad.hex', 'bf200000000000009500000000000000')]);
  assert.is(bad.code, 1);
  assert.match(bad.err, /pc 0: R2 !read_ok/);
  assert.is(cli(['test-run', '--raw', '--type', 'nosuch', ok]).code, 2);
  assert.is(cli(['test-run', '--raw', '--unverified', hexFile('bad2.hex', 'bf200000000000009500000000000000')]).code, 0);
});

test.run();
