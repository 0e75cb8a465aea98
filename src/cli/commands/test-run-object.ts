/**
 * `ebpf-wasm test-run PROG.o …`: BPF_PROG_TEST_RUN on one program of an
 * object, printed exactly as the kernel oracle (test/kernel/oracle.c) prints it.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseObject } from '../../loader/object.js';
import { MAP_KERNELS_WASM_URL } from '../../maps/kernels.js';
import { internalMapName, loadObject, objectNameFromPath, type BpfObject, type LoadObjectOptions } from '../../object/object.js';
import { loadTier, TIER_NAMES, type TierName } from '../../runtime/tier.js';
import { applyMapInit, formatMaps, mapsJson, readMapInit } from '../format.js';
import { parseHexBytes, toHex } from '../hex.js';

export class ObjectUsageError extends Error {}

let kernelsModule: WebAssembly.Module | undefined;
export function mapKernelsModule(): WebAssembly.Module {
  return (kernelsModule ??= new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL)));
}

export interface CliObjectOptions {
  path: string;
  mapInit: readonly string[];
  unverified: boolean;
  seed?: number;
  budget?: number;
  /** Simulated CPUs (the kernel's possible CPUs: per-CPU values have one slot each); runs use CPU 0, as the oracle pins itself there. */
  cpus?: number;
  /** Execution tier of the programs (default interpreter); 'jit' needs `await loadTier('jit')` (see cliTier). */
  tier?: TierName;
  /** Packet buffer bytes per CPU (bench lays a batch of packets out there). */
  packetCapacity?: number;
  /** Extra loadObject options (machine, kernels, tier…), applied last. */
  load?: Partial<LoadObjectOptions>;
}

/**
 * --tier's value (default: the JIT, the product's tier; the interpreter is the
 * reference), with the tier loaded so that loadObjectForCli can use it.
 */
export async function cliTier(v: string | undefined, fallback: TierName = 'jit'): Promise<TierName> {
  const tier = (v ?? fallback) as TierName;
  if (!TIER_NAMES.includes(tier)) throw new ObjectUsageError(`--tier takes ${TIER_NAMES.join(' or ')}, not ${v}`);
  await loadTier(tier);
  return tier;
}

/**
 * Loads an object as the oracle does: --map-init of a global-data map replaces
 * its initial image before load, other maps are updated after load.
 */
export function loadObjectForCli(o: CliObjectOptions): BpfObject {
  const bytes = new Uint8Array(readFileSync(o.path));
  const spec = parseObject(bytes.slice());
  const name = objectNameFromPath(o.path);
  const inits = o.mapInit.map(readMapInit);
  const internal = new Map(spec.maps.filter((m) => m.definition === 'data' || m.definition === 'kconfig').map((m) => [internalMapName(name, m.section), m]));
  const regular = new Set(spec.maps.filter((m) => m.definition !== 'data' && m.definition !== 'kconfig').map((m) => m.name));
  const initialData: Record<string, Uint8Array> = {};
  for (const i of inits) {
    const m = internal.get(i.map);
    if (!m && !regular.has(i.map)) throw new ObjectUsageError(`--map-init: no map named ${i.map} (the object has: ${[...internal.keys(), ...regular].join(', ')})`);
    if (!m) continue;
    for (const [k, v] of i.entries) {
      if (k.length !== m.keySize) throw new ObjectUsageError(`${i.file}: key of ${k.length} bytes, map ${i.map} has key_size ${m.keySize}`);
      if (v.length !== m.valueSize) throw new ObjectUsageError(`${i.file}: value of ${v.length} bytes, ${i.map} holds ${m.valueSize}`);
      initialData[i.map] = v;
    }
  }
  // verified by default (a rejection is a VerifierError: exit 1); --unverified runs inside the sandbox
  const obj = loadObject(spec, {
    name, initialData, unverified: o.unverified === true, kernels: mapKernelsModule(), budget: o.budget, tier: o.tier,
    machineOptions: {
      seed: o.seed, ...(o.cpus !== undefined ? { cpus: o.cpus } : {}),
      ...(o.packetCapacity !== undefined ? { packetCapacity: o.packetCapacity } : {}),
    },
    ...o.load,
  });
  for (const i of inits) if (!internal.has(i.map)) applyMapInit(obj.map(i.map), i.file, i.entries);
  return obj;
}

export function selectProgram(obj: BpfObject, name: string | undefined) {
  if (name !== undefined && !obj.programs.has(name)) {
    throw new ObjectUsageError(`no program named ${name} (the object has: ${[...obj.programs.keys()].join(', ')})`);
  }
  return obj.program(name);
}

function intOption(v: string | undefined, what: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ObjectUsageError(`${what} takes an integer >= ${min}, not ${v}`);
  return n;
}
export { intOption };

export async function testRunObject(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      prog: { type: 'string' }, data: { type: 'string' }, 'data-hex': { type: 'string' },
      pid: { type: 'string' }, // the current task of tracing programs (see below)
      ctx: { type: 'string' }, 'ctx-hex': { type: 'string' }, repeat: { type: 'string' },
      'map-init': { type: 'string', multiple: true }, 'dump-maps': { type: 'boolean' },
      json: { type: 'boolean' }, unverified: { type: 'boolean' }, seed: { type: 'string' }, budget: { type: 'string' },
      cpus: { type: 'string' }, tier: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new ObjectUsageError('test-run takes one object file');
  if (values['data-hex'] !== undefined && values.data !== undefined) throw new ObjectUsageError('give --data-hex or --data, not both');
  if (values['ctx-hex'] !== undefined && values.ctx !== undefined) throw new ObjectUsageError('give --ctx-hex or --ctx, not both');
  const data = values['data-hex'] !== undefined ? parseHexBytes(values['data-hex'], '--data-hex')
    : values.data !== undefined ? new Uint8Array(readFileSync(values.data)) : undefined;
  const ctx = values['ctx-hex'] !== undefined ? parseHexBytes(values['ctx-hex'], '--ctx-hex')
    : values.ctx !== undefined ? new Uint8Array(readFileSync(values.ctx)) : undefined;
  const repeat = intOption(values.repeat, '--repeat', 1) ?? 1;
  const tier = await cliTier(values.tier);
  const obj = loadObjectForCli({
    tier,
    path: positionals[0]!, mapInit: values['map-init'] ?? [], unverified: values.unverified === true,
    seed: intOption(values.seed, '--seed', 0), budget: intOption(values.budget, '--budget', 1),
    cpus: intOption(values.cpus, '--cpus', 1),
  });
  const prog = selectProgram(obj, values.prog);
  const rawTp = prog.type === 'raw_tracepoint';
  // --pid N: the oracle's child whose pid = tgid = N (the current task of tracing programs)
  const pid = intOption(values.pid, '--pid', 1);
  const input = { ...(data ? { data } : {}), ...(ctx ? { ctx } : {}), ...(pid !== undefined ? { task: { pid, tgid: pid } } : {}) };
  // the kernel does not repeat raw_tracepoint runs: the oracle makes N separate runs
  let out = prog.loaded.testRun({ ...input, repeat: rawTp ? 1 : repeat });
  for (let i = 1; rawTp && i < repeat; i++) out = prog.loaded.testRun(input);
  const retval = BigInt.asUintN(32, out.retval);
  const showCtx = ctx !== undefined && !rawTp && out.ctxOut !== undefined && out.ctxOut.length > 0;
  if (values.json) {
    const j: Record<string, unknown> = { retval: Number(retval) };
    if (data) j.data_out = toHex(out.dataOut);
    if (showCtx) j.ctx_out = toHex(out.ctxOut!);
    j.duration_ns = rawTp ? 0 : out.durationNs;
    if (values['dump-maps']) j.maps = mapsJson(obj);
    process.stdout.write(JSON.stringify(j) + '\n');
    return 0;
  }
  let s = `retval: ${retval}\n`;
  if (data) s += `data_out: ${toHex(out.dataOut)}\n`;
  if (showCtx) s += `ctx_out: ${toHex(out.ctxOut!)}\n`;
  s += `duration_ns: ${rawTp ? 0 : out.durationNs}\n`;
  if (values['dump-maps']) s += formatMaps(obj);
  process.stdout.write(s);
  return 0;
}
