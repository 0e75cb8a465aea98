#!/usr/bin/env node
/**
 * Loads every open-source object built by scripts/open-source-objects.sh with
 * the public API and prints one row per program:
 *
 *   project | object | program | type | loaded | verified (ours) | kernel | ran | first error
 *
 *   node scripts/open-source-objects.mjs [CACHE] [--json FILE] [--only SUBSTR]
 *
 * (after `npm run build`; CACHE defaults to $OSS_CACHE or /tmp/ebpf-wasm-oss).
 *
 * - loaded: loadObject(bytes, { unverified: true }) with only this program
 *   autoloaded (parse, maps, global data, relocations, program creation).
 * - verified: the same load with our verifier (loadObject's default).
 * - kernel: the running kernel's BPF_PROG_LOAD through libbpf, one program at
 *   a time (scripts/open-source-objects-kernel.c, compiled into CACHE with
 *   gcc -lbpf), when bpf() works; "n/a" otherwise. `agree` says whether our
 *   verdict is the kernel's.
 * - ran: each packet below (packet types) or a zeroed context (other runnable
 *   types) through BPF_PROG_TEST_RUN semantics in the interpreter and in the
 *   JIT, on fresh maps per tier; "ok" when every run finished in both tiers
 *   with identical retval, data_out and ctx_out. Verified programs run
 *   verified, the others inside the sandbox.
 *
 * What the projects' own loaders do is done here too, as in the kernel
 * harness: a section libbpf does not know becomes XDP (libxdp, xdp-tutorial's
 * loader) or a socket filter (Suricata's non-XDP filters), and a map declared
 * with max_entries 0 for user space to size (xdp-tools' per-CPU stats,
 * xdp-bench's cpumap) gets one entry per CPU.
 */
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const api = await import(join(ROOT, 'dist/src/index.js'));
const { loadObject, parseObject, loadTier } = { ...api, ...(await import(join(ROOT, 'dist/src/loader/object.js'))) };
await loadTier('jit');
const kernels = new WebAssembly.Module(readFileSync(join(ROOT, 'dist/assembly/maps.wasm')));

const args = process.argv.slice(2);
const flag = (name) => { const i = args.indexOf(name); if (i < 0) return undefined; const v = args[i + 1]; args.splice(i, 2); return v; };
const jsonOut = flag('--json');
const only = flag('--only');
// map types whose max_entries 0 is not for user space to fill in (the kernel harness's list too)
const KEEP_ZERO = new Set(['sk_storage', 'inode_storage', 'task_storage', 'cgrp_storage', 'perf_event_array', 'ringbuf', 'user_ringbuf']);
const NCPUS = 4; // the simulated machine's CPUs (machineOptions below)
const CACHE = args[0] ?? process.env.OSS_CACHE ?? '/tmp/ebpf-wasm-oss';
const TSV = join(CACHE, 'objects.tsv');
if (!existsSync(TSV)) { console.error(`no ${TSV}: run scripts/open-source-objects.sh ${CACHE} first`); process.exit(2); }

// ---------- the kernel's verdicts ----------
const KLOAD = join(CACHE, 'open-source-objects-kernel');
function kernelHarness() {
  const src = join(ROOT, 'scripts/open-source-objects-kernel.c');
  try {
    if (!existsSync(KLOAD) || statSync(KLOAD).mtimeMs < statSync(src).mtimeMs) {
      execFileSync('gcc', ['-O2', '-o', KLOAD, src, '-lbpf', '-lelf', '-lz'], { stdio: 'pipe' });
    }
    return true;
  } catch (e) {
    console.error(`kernel harness unavailable: ${String(e.stderr ?? e.message).split('\n')[0]}`);
    return false;
  }
}
const haveKernel = kernelHarness();
function kernelVerdicts(objPath, fallback) {
  const v = new Map();
  if (!haveKernel) return v;
  let out = '';
  try { out = execFileSync(KLOAD, [objPath, fallback], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }); } catch (e) { out = e.stdout ?? ''; }
  for (const line of out.split('\n')) {
    const [name, status, errno, why] = line.split('\t');
    if (!name) continue;
    v.set(name, status === 'ok' ? { ok: true } : { ok: false, errno: Number(errno), why: why ?? '' });
  }
  return v;
}

// ---------- inputs ----------
const PACKET_TYPES = new Set(['xdp', 'socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit', 'flow_dissector']);
const hex = (s) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g).map((b) => parseInt(b, 16)));
const cat = (...parts) => { const n = parts.reduce((a, p) => a + p.length, 0); const o = new Uint8Array(n); let i = 0; for (const p of parts) { o.set(p, i); i += p.length; } return o; };
const be16 = (v) => Uint8Array.of(v >> 8, v & 255);
function csum(b) { let s = 0; for (let i = 0; i < b.length; i += 2) s += (b[i] << 8) | (b[i + 1] ?? 0); while (s >> 16) s = (s & 0xffff) + (s >> 16); return ~s & 0xffff; }
const ETH = (type) => cat(hex('020000000002 020000000001'), be16(type));
function ipv4(proto, payload) {
  const h = cat(hex('45 00'), be16(20 + payload.length), hex('0001 4000 40'), Uint8Array.of(proto), hex('0000 0a000001 0a000002'));
  h.set(be16(csum(h)), 10);
  return cat(h, payload);
}
const ipv6 = (next, payload) => cat(hex('60000000'), be16(payload.length), Uint8Array.of(next, 64), hex('fd000000000000000000000000000001 fd000000000000000000000000000002'), payload);
const tcp = cat(be16(1234), be16(80), hex('00000001 00000000 5002 ffff 0000 0000'), new Uint8Array(8));
const udp = (len) => cat(be16(1234), be16(53), be16(8 + len), hex('0000'), new Uint8Array(len).fill(0x61));
const icmpEcho = (() => { const m = cat(hex('0800 0000 0001 0001'), new Uint8Array(16).fill(0x42)); m.set(be16(csum(m)), 2); return m; })();
const PACKETS = [
  ['ipv4-tcp-syn', cat(ETH(0x0800), ipv4(6, tcp))],
  ['ipv4-udp', cat(ETH(0x0800), ipv4(17, udp(18)))],
  ['ipv6-udp', cat(ETH(0x86dd), ipv6(17, udp(18)))],
  ['ipv4-icmp-echo', cat(ETH(0x0800), ipv4(1, icmpEcho))],
  ['vlan-ipv4-udp', cat(hex('020000000002 020000000001 8100 0064'), be16(0x0800), ipv4(17, udp(18)))],
  ['arp', cat(ETH(0x0806), hex('0001 0800 06 04 0001 020000000001 0a000001 000000000000 0a000002'))],
];
// zeroed context for the other types: the UAPI struct's size (pt_regs, bpf_perf_event_data), else a
// tracepoint record large enough for the fields these programs read
const CTX_SIZE = { kprobe: 168, perf_event: 184 };
const ctxSize = (type) => CTX_SIZE[type] ?? 512;

// ---------- one program ----------
const projectOf = (repo) => repo.split('/')[1];
function fallbackType(repo, src, spec) {
  if (repo === 'OISF/suricata' && !/xdp/.test(src)) return 'socket_filter';
  return 'xdp';
}
const firstLine = (e) => `${e?.codeName ? `${e.codeName}: ` : ''}${String(e?.message ?? e).split('\n')[0]}`.slice(0, 300);

function loadOne(bytes, spec, prog, type, objName, opts) {
  const autoload = Object.fromEntries(spec.programs.map((p) => [p.name, p.name === prog.name]));
  const maxEntries = {};
  // xdp-tools sizes its per-CPU stats and xdp-bench its cpumap from user space; storage maps must keep 0
  for (const m of spec.maps) if (m.maxEntries === 0 && m.definition !== 'data' && m.definition !== 'kconfig' && !KEEP_ZERO.has(m.typeName.toLowerCase())) maxEntries[m.name] = NCPUS;
  return loadObject(bytes, { name: objName, kernels, autoload, maxEntries, programTypes: type !== prog.type ? { [prog.name]: type } : {}, ...opts });
}

function runTiers(bytes, spec, prog, type, objName, verified) {
  const inputs = PACKET_TYPES.has(type) ? PACKETS.map(([n, d]) => [n, { data: d }]) : [['ctx', { ctx: new Uint8Array(ctxSize(type)) }]];
  const results = {};
  for (const tier of ['interpreter', 'jit']) {
    const obj = loadOne(bytes, spec, prog, type, objName, { tier, unverified: !verified, machineOptions: { cpus: NCPUS } });
    const p = obj.program(prog.name);
    results[tier] = inputs.map(([name, input]) => {
      try {
        const r = p.loaded.testRun(input);
        return { name, retval: String(r.retval), data: Buffer.from(r.dataOut ?? []).toString('hex'), ctx: r.ctxOut ? Buffer.from(r.ctxOut).toString('hex') : '' };
      } catch (e) { return { name, error: firstLine(e) }; }
    });
  }
  const a = results.interpreter, b = results.jit;
  const err = a.find((r) => r.error) ?? b.find((r) => r.error);
  if (err) return { ran: false, error: `${err.name}: ${err.error}`, runs: a };
  const diff = a.findIndex((r, i) => JSON.stringify(r) !== JSON.stringify(b[i]));
  if (diff >= 0) return { ran: false, error: `${a[diff].name}: tiers differ (interpreter retval ${a[diff].retval}, jit ${b[diff].retval})`, runs: a };
  return { ran: true, runs: a };
}

const rows = [];
for (const line of readFileSync(TSV, 'utf8').trim().split('\n')) {
  const [repo, commit, src, objPath, status] = line.split('\t');
  if (only && !`${repo}/${src}`.includes(only)) continue;
  const base = { project: projectOf(repo), repo, commit, object: src };
  if (status !== 'ok') { rows.push({ ...base, program: '*', type: '-', loaded: false, kernel: null, error: status }); continue; }
  const bytes = new Uint8Array(readFileSync(objPath));
  const objName = objPath.split('/').pop().split('.')[0];
  let spec;
  try { spec = parseObject(bytes.slice()); } catch (e) { rows.push({ ...base, program: '*', type: '-', loaded: false, kernel: null, error: `parse: ${firstLine(e)}` }); continue; }
  const fallback = fallbackType(repo, src, spec);
  const kv = kernelVerdicts(objPath, fallback);
  for (const prog of spec.programs) {
    const type = prog.type === 'unspec' ? fallback : prog.type;
    const row = { ...base, program: prog.name, section: prog.section, type, loaded: false, verified: false, kernel: kv.get(prog.name) ?? null, ran: false, error: '' };
    try { loadOne(bytes, spec, prog, type, objName, { unverified: true }); row.loaded = true; } catch (e) { row.error = `load: ${firstLine(e)}`; }
    if (row.loaded) {
      try { loadOne(bytes, spec, prog, type, objName, {}); row.verified = true; } catch (e) { row.verifyError = firstLine(e); }
      try {
        const r = runTiers(bytes, spec, prog, type, objName, row.verified);
        row.ran = r.ran; row.runs = r.runs;
        if (!r.ran) row.error = `run: ${r.error}`;
      } catch (e) { row.error = `run: ${firstLine(e)}`; }
      if (!row.verified && !row.error) row.error = `verify: ${row.verifyError}`;
      else if (!row.verified) row.error = `verify: ${row.verifyError}; ${row.error}`;
    }
    rows.push(row);
  }
}

// ---------- table ----------
const yn = (b) => (b ? 'yes' : 'no');
const kcell = (k) => (k === null ? 'n/a' : k.ok ? 'ok' : `${k.errno}`);
// a program we cannot load is refused, as one the kernel does not take
const agree = (r) => (r.kernel === null ? '' : r.kernel.ok === (r.loaded && r.verified) ? 'yes' : 'NO');
console.log('| project | object | program | type | loaded | verified | kernel | agree | ran | first error |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  const kwhy = r.kernel && !r.kernel.ok ? ` [kernel: ${r.kernel.why}]` : '';
  console.log(`| ${r.project} | ${r.object} | ${r.program} | ${r.type} | ${yn(r.loaded)} | ${r.loaded ? yn(r.verified) : ''} | ${kcell(r.kernel)} | ${agree(r)} | ${r.loaded ? yn(r.ran) : ''} | ${(r.error + kwhy).replace(/\|/g, '\\|')} |`);
}
const objs = new Set(rows.map((r) => r.object));
const sum = (f) => rows.filter(f).length;
console.log(`\n${objs.size} objects, ${rows.length} programs: ${sum((r) => r.loaded)} loaded, ${sum((r) => r.verified)} verified by us, `
  + `${sum((r) => r.kernel?.ok)} accepted by the kernel, ${sum((r) => agree(r) === 'yes')} verdicts agree / ${sum((r) => agree(r) === 'NO')} disagree, ${sum((r) => r.ran)} ran in both tiers`);
// per object: counts of programs loaded / verified / accepted by the kernel / agreeing / run
console.log('\n| project | commit | object | programs | loaded | verified | kernel ok | agree | ran |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const o of objs) {
  const rs = rows.filter((r) => r.object === o);
  const c = (f) => rs.filter(f).length;
  console.log(`| ${rs[0].project} | ${rs[0].commit.slice(0, 12)} | ${o} | ${rs.length} | ${c((r) => r.loaded)} | ${c((r) => r.verified)} | `
    + `${haveKernel ? c((r) => r.kernel?.ok) : 'n/a'} | ${haveKernel ? c((r) => agree(r) === 'yes') : 'n/a'} | ${c((r) => r.ran)} |`);
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(rows, null, 1));
