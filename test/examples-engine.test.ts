/**
 * The engine against the kernel on the bundled examples: every oracle case
 * (test/fixtures/kernel/cases.json) our program types support is run through
 * our CLI with the same arguments (verified, as a user runs them, with
 * --cpus = the kernel's possible CPUs) and its output
 * compared with the kernel's byte for byte, duration_ns aside; then the same
 * cases in each tier explicitly (interpreter and JIT), verified.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normalizeOracleOutput, parseOracleOutput } from './kernel/oracle-format.js';
import { CLI, ROOT } from './support/paths.js';
import { loadObject, objectNameFromPath } from '../src/object/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { parseArgs } from 'node:util';
import { loadObjectForCli, selectProgram } from '../src/cli/commands/test-run-object.js';
import { formatMaps } from '../src/cli/format.js';
import { toHex } from '../src/cli/hex.js';
import { readCapture } from '../src/pcap/pcap.js';
import { runCapture } from '../src/runtime/capture-run.js';
import { loadTier, TIER_NAMES, type TierName } from '../src/runtime/tier.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'kernel');
interface Case { name: string; args: string[] }
const meta = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as { possible_cpus: number; cases: Case[] };
const maskDuration = (t: string): string => t.replace(/^duration_ns: \d+$/m, 'duration_ns: *');
/** Examples whose program types have no runtime yet. */
const UNSUPPORTED = new Set<string>([]);
/**
 * Cases known to differ, with the reason; the test checks they still differ so
 * the entry is removed once fixed.
 */
const KNOWN_DIFFERENT: Record<string, string> = {};
const exampleOf = (c: Case): string => /examples\/([^/]+)\//.exec(c.args[1]!)![1]!;
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('every example the kernel loads loads here, with the kernel\'s programs and instruction counts', () => {
  for (const c of meta.cases.filter((x) => x.args[0] === 'load')) {
    const want = parseOracleOutput(readFileSync(join(FIXTURES, `${c.name}.txt`), 'utf8')).loads;
    const obj = loadObject(new Uint8Array(readFileSync(join(ROOT, c.args[1]!))), { name: objectNameFromPath(c.args[1]!), unverified: true, kernels });
    assert.equal([...obj.programs.values()].map((p) => ({ prog: p.name, section: p.section, insns: p.insnCount })), want, c.name);
  }
});

test('our CLI prints what the kernel printed, case by case', () => {
  let same = 0, ran = 0;
  const diffs: string[] = [];
  const skipped: string[] = [];
  const known: string[] = [];
  for (const c of meta.cases) {
    if (c.args[0] === 'load') continue; // `load` output belongs to the verify command
    if (UNSUPPORTED.has(exampleOf(c))) { skipped.push(c.name); continue; }
    ran++;
    // as many simulated CPUs as the kernel's possible CPUs, so per-CPU values have the same slots
    // verified, as a user runs it: the verifier must accept every example, then the run matches the kernel
    const r = cli([c.args[0]!, ...c.args.slice(1), '--cpus', String(meta.possible_cpus)]);
    if (r.code !== 0) { diffs.push(`${c.name}: exit ${r.code}: ${r.err.trim()}`); continue; }
    const kernel = readFileSync(join(FIXTURES, `${c.name}.txt`), 'utf8');
    // byte for byte but duration_ns; the normalised form (per-CPU on CPU 0) must agree as well
    const want = maskDuration(kernel);
    const got = maskDuration(r.out);
    if (got === want) assert.is(normalizeOracleOutput(r.out), normalizeOracleOutput(kernel), c.name);
    if (got === want) { same++; if (KNOWN_DIFFERENT[c.name]) diffs.push(`${c.name}: now matches the kernel: remove it from KNOWN_DIFFERENT`); continue; }
    if (KNOWN_DIFFERENT[c.name]) { known.push(`${c.name} (${KNOWN_DIFFERENT[c.name]})`); continue; }
    const g = got.split('\n'), w = want.split('\n');
    const k = g.findIndex((l, i) => l !== w[i]);
    diffs.push(`${c.name}: line ${k + 1}: engine ${JSON.stringify(g[k]?.slice(0, 140))}, kernel ${JSON.stringify(w[k]?.slice(0, 140))}`);
  }
  process.stdout.write(`\nNOTE: engine vs kernel: ${same}/${ran} cases identical; known differences: ${known.join(', ') || 'none'}; skipped (raw_tracepoint has no runtime yet): ${skipped.join(', ')}\n`);
  assert.equal(diffs, [], diffs.join('\n'));
});

/**
 * A run-pcap case in one tier, in process (the `run` command's tier option
 * belongs to the run helper): the oracle's per-packet lines, then the maps.
 */
function runPcapIn(tier: TierName, args: string[]): string {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: { pcap: { type: 'string' }, 'map-init': { type: 'string', multiple: true }, 'dump-maps': { type: 'boolean' }, prog: { type: 'string' } },
  });
  const obj = loadObjectForCli({
    path: join(ROOT, positionals[0]!), tier, cpus: meta.possible_cpus, unverified: false,
    mapInit: (values['map-init'] ?? []).map((a) => a.replace('=', `=${ROOT}/`)),
  });
  const prog = selectProgram(obj, values.prog);
  assert.is(prog.loaded.executor.tier, tier);
  const res = runCapture(prog.loaded, readCapture(new Uint8Array(readFileSync(join(ROOT, values.pcap!)))));
  if (res.error) throw res.error;
  let s = res.outcomes.map((o) => `packet ${o.index + 1} retval ${BigInt.asUintN(32, o.retval)} data_out ${toHex(o.dataOut)}\n`).join('');
  if (values['dump-maps']) s += formatMaps(obj);
  return s;
}

test('both tiers print what the kernel printed, case by case', async () => {
  await loadTier('jit');
  const diffs: string[] = [];
  const ran = new Map<TierName, number>(TIER_NAMES.map((t) => [t, 0]));
  let packets = 0;
  for (const c of meta.cases) {
    if (c.args[0] === 'load' || UNSUPPORTED.has(exampleOf(c)) || KNOWN_DIFFERENT[c.name]) continue;
    const kernel = readFileSync(join(FIXTURES, `${c.name}.txt`), 'utf8');
    for (const tier of TIER_NAMES) {
      let got: string;
      if (c.args[0] === 'run-pcap') {
        got = runPcapIn(tier, c.args.slice(1));
        packets += got.split('\n').filter((l) => l.startsWith('packet ')).length;
      } else {
        const r = cli([c.args[0]!, ...c.args.slice(1), '--cpus', String(meta.possible_cpus), '--tier', tier]);
        if (r.code !== 0) { diffs.push(`${c.name} (${tier}): exit ${r.code}: ${r.err.trim()}`); continue; }
        got = r.out;
      }
      ran.set(tier, ran.get(tier)! + 1);
      const want = maskDuration(kernel);
      if (maskDuration(got) === want) continue;
      const g = maskDuration(got).split('\n'), w = want.split('\n');
      const k = g.findIndex((l, i) => l !== w[i]);
      diffs.push(`${c.name} (${tier}): line ${k + 1}: engine ${JSON.stringify(g[k]?.slice(0, 140))}, kernel ${JSON.stringify(w[k]?.slice(0, 140))}`);
    }
  }
  process.stdout.write(`\nNOTE: kernel fixtures per tier: ${[...ran].map(([t, n]) => `${t} ${n} cases`).join(', ')} (${packets} packet lines over both tiers), ${diffs.length} differences\n`);
  assert.ok(ran.get('jit')! > 0 && ran.get('jit') === ran.get('interpreter'), 'both tiers ran every case');
  assert.equal(diffs, [], diffs.join('\n'));
});

test.run();
