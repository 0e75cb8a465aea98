#!/usr/bin/env node
// Runs the kernel oracle (test/kernel/oracle.c: libbpf + BPF_PROG_TEST_RUN)
// on every program of every object under examples/ and test/fixtures/ that
// the kernel accepts (test/fixtures/verifier/objects.json + objects-labels.json)
// and whose type BPF_PROG_TEST_RUN runs with packet data, over a fixed packet
// set (test/fixtures/objects-kernel/packets.pcap: the first 24 frames of
// examples/sample.pcap, a 14-byte frame and a 60-byte zero frame), and stores
// the kernel's output under test/fixtures/objects-kernel/, so
// test/objects-kernel.test.ts compares the engine with it without root.
//
// One oracle `run-pcap` invocation per program: the object is loaded once and
// maps persist from packet to packet (the engine side does the same).
//
// Two oracle loaders: libbpf's whole-object load, and the single-program mode
// (--plan: test/kernel/plan.ts writes OUR loader's parse, oracle.c makes the
// bpf() calls; the kernel still verifies and runs). A program is run both
// ways; the stored answer is libbpf's when libbpf loads the object (the two
// must agree: recorded as planAgrees), else the single-program one
// (loader: 'plan'). Programs the verifier labels call rejected are tried in
// single-program mode too (it creates .rodata frozen and maps with BTF, as
// libbpf does), and become cases when the kernel takes them.
// Needs `npm run build` first (dist/test/kernel/plan.js).
//
//   node scripts/objects-kernel-expectations.mjs           # (re)write the fixtures
//   node scripts/objects-kernel-expectations.mjs --check   # compare, write nothing
//
// Needs root, gcc, libbpf-dev and a kernel that allows bpf().
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOracle, sameButDuration } from './kernel-expectations.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FIXTURES = join(ROOT, 'test', 'fixtures', 'objects-kernel');
export const PACKETS = 'test/fixtures/objects-kernel/packets.pcap';
const check = process.argv.includes('--check');

/** Program types BPF_PROG_TEST_RUN runs with packet data. */
export const PACKET_TYPES = new Set(['xdp', 'socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit']);
/** Why the other types are not run here. */
export const TYPE_SKIPS = {
  raw_tracepoint: 'raw_tracepoint: context-only test run, covered by test/progtypes.test.ts',
  syscall: 'syscall: context-only test run, covered by test/progtypes.test.ts',
  flow_dissector: 'flow_dissector: own kernel test in test/progtypes.test.ts',
  sk_lookup: 'sk_lookup: own kernel test in test/progtypes.test.ts',
};
export const typeSkip = (t) => TYPE_SKIPS[t] ?? `${t}: BPF_PROG_TEST_RUN has no packet run for this type (tracing/cgroup hook)`;

/**
 * prog_array / *_of_maps values are kernel-global ids: each replaced by its rank among the ids of its
 * kind (program ids and map ids are separate kernel counters); test/objects-kernel.test.ts does the same.
 */
export function maskIds(t) {
  const lines = t.split('\n');
  const kindOf = (l) => (/type=prog_array\b/.test(l) ? 'prog' : /type=(array_of_maps|hash_of_maps)\b/.test(l) ? 'map' : undefined);
  const ids = { prog: new Set(), map: new Set() };
  let kind;
  for (const l of lines) {
    if (l.startsWith('map ')) kind = kindOf(l);
    else if (l.startsWith('end map')) kind = undefined;
    else if (kind && l.split(' ')[1]) ids[kind].add(Buffer.from(l.split(' ')[1], 'hex').readUInt32LE(0));
  }
  const rank = Object.fromEntries(Object.entries(ids).map(([k, set]) => [k, new Map([...set].sort((a, b) => a - b).map((v, i) => [v, i + 1]))]));
  kind = undefined;
  return lines.map((l) => {
    if (l.startsWith('map ')) { kind = kindOf(l); return l; }
    if (l.startsWith('end map')) { kind = undefined; return l; }
    const [k, v] = l.split(' ');
    return kind && v ? `${k} ${kind}#${rank[kind].get(Buffer.from(v, 'hex').readUInt32LE(0))}` : l;
  }).join('\n');
}

/** Every (object, program) with its verdict: either a case or a skip with reason. */
export function enumerate() {
  const dir = join(ROOT, 'test', 'fixtures', 'verifier');
  const listed = JSON.parse(readFileSync(join(dir, 'objects.json'), 'utf8')).objects;
  const labels = JSON.parse(readFileSync(join(dir, 'objects-labels.json'), 'utf8')).labels;
  const cases = [], skips = [];
  for (const obj of Object.keys(listed).sort()) {
    for (const p of listed[obj].programs ?? []) {
      const key = `${obj}:${p.name}`;
      const label = labels[key];
      if (!PACKET_TYPES.has(p.type)) { skips.push({ key, reason: label?.ok === false ? `kernel rejects: ${label.error}` : typeSkip(p.type) }); continue; }
      const c = { key, obj, prog: p.name, type: p.type, ...(p.explicitType ? { explicitType: true } : {}) };
      // labelled rejected: tried in single-program mode, skipped if the kernel refuses it there too
      if (!label?.ok) { cases.push({ ...c, labelRejected: `kernel rejects: ${label?.error ?? 'unlabelled'}` }); continue; }
      cases.push(c);
    }
  }
  return { cases, skips };
}

/** Kernel answers that change run to run (bpf_get_prandom_u32, ktime): stored once, not rewritten or checked. */
export const NONDETERMINISTIC = new Set(['test/fixtures/run/world.o:world']);

/**
 * The oracle's single-program mode for a case: writes the plan (OUR loader's
 * parse, dist/test/kernel/plan.js) and runs the oracle with --plan.
 */
export function runPlan(oracle, dir, c, args) {
  const plan = spawnSync(process.execPath, [join(ROOT, 'dist', 'test', 'kernel', 'plan.js'), c.obj, '--prog', c.prog, ...(c.type ? ['--type', c.type] : [])],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (plan.status !== 0) return { status: plan.status ?? 1, stdout: '', stderr: plan.stderr };
  const file = join(dir, `${caseFile(c.key)}.plan`);
  writeFileSync(file, plan.stdout);
  return spawnSync(oracle, [...args, '--plan', file], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
}

export const caseFile = (key) => key.replace(/[/:]/g, '_') + '.txt';

/** The packet set: first 24 frames of examples/sample.pcap + a 14-byte frame + a 60-byte zero frame. */
function writePackets() {
  const b = readFileSync(join(ROOT, 'examples', 'sample.pcap'));
  const le = b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32LE(0) === 0xa1b23c4d;
  if (!le) throw new Error('sample.pcap: expected a little-endian classic pcap');
  const recs = [];
  let off = 24;
  while (off + 16 <= b.length && recs.length < 24) {
    const incl = b.readUInt32LE(off + 8);
    recs.push(b.subarray(off, off + 16 + incl));
    off += 16 + incl;
  }
  const rec = (data) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1700000000, 0); h.writeUInt32LE(data.length, 8); h.writeUInt32LE(data.length, 12);
    return Buffer.concat([h, data]);
  };
  const eth14 = Buffer.from('020000000001020000000002' + '0800', 'hex'); // Ethernet header only, IPv4 type, no payload
  const zero60 = Buffer.alloc(60);
  const out = Buffer.concat([b.subarray(0, 24), ...recs, rec(eth14), rec(zero60)]);
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(FIXTURES, { recursive: true });
  const pcap = writePackets();
  const pcapPath = join(ROOT, PACKETS);
  if (!existsSync(pcapPath) || !readFileSync(pcapPath).equals(pcap)) {
    if (check) { process.stdout.write('DIFFERS packets.pcap\n'); process.exit(1); }
    writeFileSync(pcapPath, pcap);
  }
  const oracle = buildOracle();
  const cpus = Number(readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',').map((r) => r.split('-')).reduce((n, [a, b]) => n + (b === undefined ? 1 : +b - +a + 1), 0));
  const { cases, skips } = enumerate();
  const ran = [];
  let changed = 0;
  const planDir = mkdtempSync(join(tmpdir(), 'objects-kernel-plan-'));
  let disagree = 0;
  for (const c of cases) {
    const typeArgs = c.explicitType ? ['--type', c.type] : [];
    const args = ['run-pcap', c.obj, '--prog', c.prog, ...typeArgs, '--pcap', PACKETS, '--dump-maps'];
    const why = (r) => {
      const lines = (r.stderr ?? '').trim().split('\n');
      const cause = lines.find((l) => /legacy map definitions|failed to auto-pin|prog '[^']+': failed to load|pseudo btf_id|must provide btf_id|invalid func unknown|unknown func|has to have BTF|readonly map/.test(l));
      return ([cause, lines.slice(-1)[0]].filter(Boolean).join(' -> ') || `exit ${r.status}`).slice(0, 300);
    };
    const lib = c.labelRejected ? undefined : spawnSync(oracle, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
    const planned = runPlan(oracle, planDir, c, args);
    const libOk = lib?.status === 0, planOk = planned.status === 0;
    if (!libOk && !planOk) {
      const reason = c.labelRejected ? `${c.labelRejected}; single-program mode: ${why(planned)}`
        : `oracle cannot run it: libbpf: ${why(lib)}; single-program mode: ${why(planned)}`;
      skips.push({ key: c.key, reason });
      process.stdout.write(`skip    ${c.key}: ${reason}\n`);
      continue;
    }
    const out = libOk ? lib.stdout : planned.stdout;
    const loader = libOk ? 'libbpf' : 'plan';
    // the engine loads the same programs as the oracle did: one (and those its prog arrays name) for the plan
    if (!libOk) args.splice(4, 0, '--single');
    let planAgrees;
    if (libOk && planOk && !NONDETERMINISTIC.has(c.key)) {
      planAgrees = sameButDuration(maskIds(lib.stdout), maskIds(planned.stdout));
      if (!planAgrees) { disagree++; process.stdout.write(`DISAGREE ${c.key}: libbpf and single-program mode differ\n`); }
    }
    const file = join(FIXTURES, caseFile(c.key));
    const old = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    const same = old !== undefined && (NONDETERMINISTIC.has(c.key) || sameButDuration(maskIds(old), maskIds(out)));
    if (!same) { changed++; if (!check) writeFileSync(file, out); }
    const { labelRejected, explicitType, ...rest } = c;
    ran.push({
      ...rest, args, file: caseFile(c.key), loader,
      ...(planAgrees !== undefined ? { planAgrees } : {}),
      ...(libOk && !planOk ? { planError: why(planned) } : {}),
      ...(!libOk && lib ? { libbpfError: why(lib) } : {}),
      ...(labelRejected ? { labelRejected } : {}),
    });
    process.stdout.write(`${same ? 'same   ' : check ? 'DIFFERS' : 'written'} ${c.key} (${loader}${planAgrees === undefined ? '' : planAgrees ? ', single-program mode agrees' : ', single-program mode DISAGREES'})\n`);
  }
  if (!check) {
    const meta = {
      note: 'written by scripts/objects-kernel-expectations.mjs; oracle = test/kernel/oracle.c run-pcap (one load per program, maps persist across packets); loader libbpf = whole object through libbpf, plan = single-program mode (our parse, kernel bpf() calls)',
      kernel: release(), possible_cpus: cpus, packets: PACKETS, cases: ran, skips: skips.sort((a, b) => a.key.localeCompare(b.key)),
    };
    writeFileSync(join(FIXTURES, 'cases.json'), JSON.stringify(meta, null, 1) + '\n');
  }
  process.stdout.write(`${ran.length} programs run (${ran.filter((c) => c.loader === 'plan').length} in single-program mode only), ${skips.length} skipped, ${changed} ${check ? 'differ' : 'changed'}, ${disagree} libbpf/single-program disagreements\n`);
  process.exit((check && changed) || disagree ? 1 : 0);
}
