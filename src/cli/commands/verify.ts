/**
 * `ebpf-wasm verify`: run the verifier over an object's programs or a bare
 * program and report as the kernel would. Exit 0 accepted, 1 rejected, 2 error.
 */
import { loadHelpers } from '../../runtime/verify-load.js';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verify, MAP_TYPE_IDS, type VerifierMap } from '../../verifier/index.js';
import { PROGRAM_TYPE_IDS, type ProgramTypeName } from '../../programs/types.js';
import { parseObject } from '../../loader/object.js';
import type { MapSpec, ProgramSpec } from '../../loader/spec.js';
import { programBytesFromFile } from '../program-file.js';
import { tracingTarget } from '../../object/object.js';

export const VERIFY_USAGE = `  verify FILE [--prog NAME] [--type TYPE] [--raw] [--map TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:FLAGS]]...
         [--license STR] [--log-level N] [--unprivileged] [--func-info OFF,OFF…]
      verify an object's programs (or a bare program with --raw, whose lddw src=1 imm K names the
      K-th --map) and print the verdict; the log (level 1, 2, 4) goes to stdout in the kernel's format.
      --func-info: BTF func_info offsets of a --raw program (needed for callbacks such as bpf_loop)
      exit 0: accepted, 1: rejected, 2: error
`;

/** Errors of use or input (exit 2), as opposed to a verifier rejection (exit 1). */
class InputError extends Error {}

/** Short names people type for program types, beside the kernel's own (BPF_PROG_TYPE_* lowercased). */
const TYPE_ALIASES: Record<string, ProgramTypeName> = {
  socket: 'socket_filter', tc: 'sched_cls', classifier: 'sched_cls', action: 'sched_act',
  raw_tp: 'raw_tracepoint', tp: 'tracepoint', cgroup_skb: 'cgroup_skb',
};

export function parseProgramType(s: string): ProgramTypeName {
  const k = s.toLowerCase().replace(/^bpf_prog_type_/, '');
  const t = TYPE_ALIASES[k] ?? (k in PROGRAM_TYPE_IDS ? (k as ProgramTypeName) : undefined);
  if (t === undefined || t === 'raw' || t === 'unspec') {
    throw new InputError(`unknown program type '${s}' (e.g. socket_filter, xdp, sched_cls, sched_act, kprobe, tracepoint, raw_tracepoint, cgroup_skb)`);
  }
  return t;
}

/** TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:FLAGS], TYPE a kernel map type name or number. */
export function parseMapArg(s: string): VerifierMap {
  const parts = s.split(':');
  if (parts.length < 4 || parts.length > 5) throw new InputError(`--map takes TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:FLAGS], not '${s}'`);
  const tname = parts[0]!.toLowerCase().replace(/^bpf_map_type_/, '');
  let type: VerifierMap['type'];
  if (/^\d+$/.test(tname)) type = Number(tname);
  else if (tname in MAP_TYPE_IDS) type = tname as keyof typeof MAP_TYPE_IDS;
  else throw new InputError(`unknown map type '${parts[0]}' (e.g. hash, array, percpu_hash, percpu_array, lru_hash, lpm_trie, prog_array, queue, stack, ringbuf)`);
  const nums = parts.slice(1).map((p) => {
    const n = Number(p);
    if (p === '' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InputError(`--map '${s}': '${p}' is not a non-negative integer`);
    return n;
  });
  const m: VerifierMap = { type, keySize: nums[0]!, valueSize: nums[1]!, maxEntries: nums[2]!, flags: nums[3] ?? 0 };
  return m;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

interface Target { name: string; type: ProgramTypeName; bytes: Uint8Array; maps: readonly VerifierMap[]; license: string; spec?: ProgramSpec; funcInfo?: number[] }

/** The BTF.ext source line covering pc (the last line record at or before it). */
function sourceLine(spec: ProgramSpec | undefined, pc: number): string | undefined {
  if (!spec) return undefined;
  let best: ProgramSpec['lineInfo'][number] | undefined;
  for (const l of spec.lineInfo) if (l.pc <= pc && (!best || l.pc >= best.pc)) best = l;
  if (!best) return undefined;
  const file = best.fileName.split('/').pop();
  return `${best.source.trim()} (${file}:${best.line}${best.column ? `:${best.column}` : ''})`;
}

export async function verifyCommand(argv: string[]): Promise<number> {
  try {
    return run(argv);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`ebpf-wasm verify: ${msg}\n`);
    return 2;
  }
}

function run(argv: string[]): number {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      prog: { type: 'string' }, type: { type: 'string' }, raw: { type: 'boolean' },
      map: { type: 'string', multiple: true }, 'log-level': { type: 'string' },
      unprivileged: { type: 'boolean' }, license: { type: 'string' }, 'func-info': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new InputError('verify takes one file');
  const file = positionals[0]!;
  const logLevel = values['log-level'] !== undefined ? Number(values['log-level']) : 0;
  if (!Number.isInteger(logLevel) || logLevel < 0 || logLevel > 7) throw new InputError('--log-level takes 0..7 (1: instructions, 2: states, 4: statistics)');
  const typeOverride = values.type !== undefined ? parseProgramType(values.type) : undefined;
  const cliMaps = (values.map ?? []).map(parseMapArg);

  const targets: Target[] = [];
  const head = new Uint8Array(readFileSync(file).subarray(0, 4));
  if (!values.raw && ELF_MAGIC.every((v, i) => head[i] === v)) {
    if (cliMaps.length) throw new InputError('--map is for --raw programs; an object brings its own maps');
    const spec = parseObject(new Uint8Array(readFileSync(file)));
    const toMap = (m: MapSpec): VerifierMap => ({
      type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name,
      ...(m.innerMap ? { inner: toMap(m.innerMap) } : {}),
    });
    const maps = spec.maps.map(toMap);
    let progs = spec.programs;
    if (values.prog !== undefined) {
      progs = progs.filter((p) => p.name === values.prog);
      if (!progs.length) throw new InputError(`no program '${values.prog}' (the object has: ${spec.programs.map((p) => p.name).join(', ') || 'none'})`);
    }
    if (!progs.length) throw new InputError(`${file} has no programs in SEC() sections (a bare .text object: extract it and use --raw --type TYPE)`);
    const license = values.license ?? spec.license;
    for (const p of progs) targets.push({ name: p.name, type: typeOverride ?? p.type, bytes: p.instructions, maps, license, spec: p });
  } else {
    if (!values.raw) throw new InputError(`${file} is not an ELF object; pass --raw for instruction bytes, hex text or assembly`);
    if (!typeOverride) throw new InputError('a raw program needs --type (xdp, socket_filter, sched_cls, ...)');
    if (values.prog !== undefined) throw new InputError('--prog selects a program of an object file, not of a --raw one');
    const bytes = programBytesFromFile(file);
    if (bytes.length === 0 || bytes.length % 8) throw new InputError(`${file}: ${bytes.length} bytes is not a whole number of 8-byte instructions`);
    const name = file.split('/').pop()!.replace(/\.[^.]*$/, '');
    const funcInfo = values['func-info']?.split(',').map(Number);
    if (funcInfo?.some((n) => !Number.isInteger(n) || n < 0)) throw new InputError('--func-info takes instruction offsets: 0,12,…');
    targets.push({ name, type: typeOverride, bytes, maps: cliMaps, license: values.license ?? 'GPL', funcInfo });
  }

  let rejected = 0;
  for (const t of targets) {
    const funcInfo = (t.spec?.funcInfo.map((f) => f.pc) ?? t.funcInfo)?.map((insnOff) => ({ insnOff }));
    const lineInfo = t.spec?.lineInfo.map((l) => ({ insnOff: l.pc, source: l.source, fileName: l.fileName, line: l.line }));
    // tp_btf/fentry/…: the attach target (built-in kernel BTF) types the context as loading does
    const tracing = t.spec ? tracingTarget({ ...t.spec, type: t.type }) : undefined;
    const r = verify(t.bytes, { helpers: loadHelpers(), type: t.type, maps: t.maps, license: t.license, logLevel, unprivileged: values.unprivileged, funcInfo, lineInfo, ...(tracing ? { tracing } : {}) });
    // level 4 statistics (verification time, stack depth, processed) come in the log, as the kernel's do
    if (logLevel) process.stdout.write(r.log);
    if (r.ok) {
      process.stdout.write(`${t.name}: accepted (processed ${r.stats.processed} insns)\n`);
    } else {
      rejected++;
      const e = r.error!;
      const src = sourceLine(t.spec, e.pc);
      process.stdout.write(`${t.name}: rejected at pc ${e.pc}: ${e.message}\n${src ? `  ; ${src}\n` : ''}`);
    }
  }
  return rejected ? 1 : 0;
}
