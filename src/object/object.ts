/**
 * libbpf-style loading of a parsed object onto one Machine: every map is
 * created through BpfMaps (global data under libbpf's names, initial images
 * written, .rodata set then frozen), prog-array / map-in-map slots filled,
 * relocations patched into executable instructions and each program bound to
 * a LoadedProgram of its type (cf. bpf_object__load).
 */
import { LoadError, ProgramError } from '../diagnostics/index.js';
import { decode } from '../isa/decode.js';
import { applyCoreRelocations, parseObject } from '../loader/object.js';
import type { Btf } from '../btf/btf.js';
import { describeCoreAccess } from '../btf/core.js';
import { btfAttachProblem, btfTraceKind } from '../programs/fentry.js';
import { kernelAttachTarget, kernelBtf } from '../btf/kernel/index.js';
import { KERNEL_RELEASE } from '../btf/kernel/runtime-layout.js';
import type { ExternSpec, MapSpec, ObjectSpec, ProgramRelocation, ProgramSpec } from '../loader/spec.js';
import { spinLockOffset } from '../verifier/map-btf.js';
import { globalFuncFromBtf } from '../verifier/global-func.js';
import { VERIFIER_CONTEXTS } from '../programs/context.js';
import { KFUNC_HELPER_BASE } from '../kfuncs/table.js';
import { instantiateMapKernelsSync, type MapKernels } from '../maps/kernels.js';
import { BpfMaps, isErrno, type MapInfo, type ProgramRef } from '../maps/syscall.js';
import { BPF_OBJ_NAME_LEN, MAP_TYPE, mapTypeName } from '../maps/constants.js';
import { RingBufferConsumer } from '../maps/ringbuf.js';
import { registerMapHelpers } from '../helpers/maps.js';
import { Machine, type MachineOptions } from '../runtime/machine.js';
import { LoadedProgram } from '../runtime/test-run.js';
// the socket-level program types register themselves (kept out of the edge runtime bundle)
import '../programs/socket-types.js';
import type { TierName } from '../runtime/tier.js';
import { verifyForLoad, type VerifiedLoad } from '../runtime/verify-load.js';
import type { VerifierMap } from '../verifier/maps.js';
import type { TracingTarget } from '../verifier/btf-access.js';
import type { ProgramTypeName } from '../programs/types.js';

export type RodataValue = Uint8Array | number | bigint;

export interface LoadObjectOptions {
  /** Object name (libbpf: the file's base name up to its first '.'); prefixes global-data map names. */
  name?: string;
  /** `const volatile` variables of .rodata* set before the map is frozen. */
  rodata?: Record<string, RodataValue>;
  /** Initial images replacing a global-data map's bytes (by map name: `flow_cou.rodata`, or section: `.rodata`). */
  initialData?: Record<string, Uint8Array>;
  /** max_entries overrides by map name (bpf_map__set_max_entries). */
  maxEntries?: Record<string, number>;
  /** Load onto this machine (its map kernels are created if it has none); else a new one. */
  machine?: Machine;
  machineOptions?: MachineOptions;
  /** The compiled AssemblyScript map kernels (dist/assembly/maps.wasm); needed unless `machine` already has kernels. */
  kernels?: WebAssembly.Module | MapKernels;
  /**
   * Programs to load or skip by name (bpf_program__set_autoload); by default
   * every program but SEC("?...") ones. A skipped program needs no relocations.
   */
  autoload?: Record<string, boolean>;
  /**
   * Program types by program name (bpf_program__set_type), for sections libbpf
   * does not map to a type (e.g. SEC("tc/dnat")) or to load a program as another type.
   */
  programTypes?: Record<string, ProgramTypeName>;
  /** Run without verification, inside the sandbox. Required until the verifier is wired in (see verifyProgram). */
  unverified?: boolean;
  /** Instruction budget per run (unverified code). */
  budget?: number;
  /** Execution tier of every program (default interpreter); 'jit' needs `await loadTier('jit')` first. */
  tier?: TierName;
  /** Kernel version for LINUX_KERNEL_VERSION (KERNEL_VERSION(a,b,c) encoding). */
  kernelVersion?: number;
  /** Extra kconfig values (CONFIG_*), overriding the built-in ones. */
  kconfig?: Record<string, number | bigint | boolean | string>;
  /**
   * Target BTF of CO-RE relocations not resolved by parseObject: by default
   * the built-in kernel BTF (src/btf/kernel), as libbpf uses the running
   * kernel's; null leaves the compiled-in values.
   */
  targetBtf?: Btf | null;
}

/**
 * A verifier error at an instruction CO-RE poisoned (libbpf: "failed to
 * resolve CO-RE relocation"): names the relocation's section, instruction
 * offset, kind and access instead of the unknown helper 0xbad2310.
 */
function explainPoisoned(p: ProgramSpec, spec: ObjectSpec, e: unknown): unknown {
  if (!(e instanceof ProgramError) || !spec.btf) return e;
  const r = p.relocations.find((x) => x.kind === 'core' && x.pc === e.pc && x.core?.result?.poison);
  if (!r || !r.core) return e;
  return new LoadError('CoreRelocation', { section: r.core.section, offset: r.core.insnOff, symbol: r.symbol },
    `program ${p.name}: failed to resolve CO-RE relocation ${r.core.kind} ${describeCoreAccess(spec.btf, r.core)} (access ${r.core.access}) `
    + `against the kernel BTF, and the verifier reached the poisoned instruction (pc ${e.pc})`);
}

/** Name of BTF FUNC `id` ('' when it is not one). */
function funcName(btf: Btf, id: number): string {
  try { const t = btf.type(id); return t.kind === 'FUNC' ? t.name : ''; } catch { return ''; }
}

/** Applies the CO-RE relocations parseObject left unresolved, against `target` (loadObject does this before verifying). */
export function withCore(spec: ObjectSpec, target: Btf | null): ObjectSpec {
  const local = spec.btf;
  if (!local || !target) return spec;
  const pending = (p: ProgramSpec): boolean => p.relocations.some((r) => r.kind === 'core' && r.core && !r.core.result);
  if (!spec.programs.some(pending)) return spec;
  return { ...spec, programs: spec.programs.map((p) => (pending(p) ? applyCoreRelocations(p, local, target, { subsetTarget: target === kernelBtf() }) : p)) };
}

/**
 * The single verification hook: called for every program before it gets an
 * executable tier unless `unverified` was asked for.
 */
/**
 * Verifies a program as the kernel would at BPF_PROG_LOAD: before relocation,
 * with its map references (lddw src=1/2 imm = map index) checked against the
 * object's map specs and its license.
 */
export function verifyProgram(prog: ProgramSpec, spec: ObjectSpec): VerifiedLoad {
  const toVerifier = (m: MapSpec): VerifierMap => {
    // libbpf creates maps with their BTF value type (global data: the section's DATASEC) and freezes .rodata
    const btf = spec.btf && m.valueType !== undefined ? spec.btf : undefined;
    const lock = btf ? spinLockOffset(btf, m.valueType!) : undefined;
    return {
      type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name,
      ...(m.innerMap ? { inner: toVerifier(m.innerMap) } : {}),
      ...(btf ? { btf: true } : {}), ...(lock !== undefined ? { spinLockOff: lock } : {}),
      ...(m.readonly && m.data ? { frozenData: m.data } : {}),
    };
  };
  const maps = spec.maps.map(toVerifier);
  // libbpf passes the program's BTF func_info with it (bpf_loop callbacks need it)
  // global functions (not the entry) are verified on their own against their BTF prototype
  const ctxStruct = VERIFIER_CONTEXTS[prog.type]?.ctx.struct;
  // libbpf marks hidden global subprograms static (mark_btf_static): verified inline, as static ones
  const hidden = new Set(spec.hiddenFuncs ?? []);
  const funcInfo = prog.funcInfo.map((f) => {
    const global = f.pc > 0 && spec.btf && !hidden.has(funcName(spec.btf, f.typeId)) ? globalFuncFromBtf(spec.btf, f.typeId, ctxStruct) : undefined;
    return { insnOff: f.pc, ...(global ? { global } : {}) };
  });
  const lineInfo = prog.lineInfo.map((l) => ({ insnOff: l.pc, source: l.source, fileName: l.fileName, line: l.line }));
  const attachProblem = btfAttachProblem(prog.type, prog.attachType, prog.attachTo);
  if (attachProblem) throw new LoadError('LoaderBadProgram', { section: prog.section, symbol: prog.name }, `program ${prog.name}: ${attachProblem}`);
  try {
    const tracing = tracingTarget(prog);
    return verifyForLoad(prog.instructions, { type: prog.type, maps, license: prog.license || spec.license, funcInfo, lineInfo, ...(tracing ? { tracing } : {}) });
  } catch (e) {
    if (e instanceof ProgramError) throw new ProgramError(e.codeName, e.pc, `program ${prog.name}: ${e.message}`);
    throw e;
  }
}

/** The attach target of a BTF-typed tracing program in the built-in kernel BTF (the kernel's attach_btf_id). */
export function tracingTarget(prog: Pick<ProgramSpec, 'type' | 'attachType' | 'attachTo'>): TracingTarget | undefined {
  if (prog.type !== 'tracing' && prog.type !== 'lsm') return undefined;
  const kind = btfTraceKind(prog.attachType);
  if (!kind || !prog.attachTo) return undefined;
  const name = kind === 'lsm' ? `bpf_lsm_${prog.attachTo}` : prog.attachTo;
  const t = kernelAttachTarget(kind === 'tp_btf' ? 'tp_btf' : 'func', name);
  return t ? { kind, name, btf: kernelBtf(), params: t.params, returnType: t.returnType } : undefined;
}

const PERCPU = new Set<number>([MAP_TYPE.percpu_hash, MAP_TYPE.percpu_array, MAP_TYPE.lru_percpu_hash]);

/** A live map of a loaded object. */
export class BpfMap {
  constructor(readonly object: BpfObject, readonly name: string, readonly spec: MapSpec, readonly fd: number) {}
  get info(): MapInfo { return this.object.maps_.map(this.fd); }
  /** Address of the map header: the pointer programs see. */
  get handle(): number { return this.info.handle; }
  get type(): number { return this.info.type; }
  get typeName(): string { return mapTypeName(this.info.type) ?? `type${this.info.type}`; }
  get keySize(): number { return this.info.keySize; }
  get valueSize(): number { return this.info.valueSize; }
  get maxEntries(): number { return this.info.maxEntries; }
  get perCpu(): boolean { return PERCPU.has(this.info.type); }
  get internal(): boolean { return this.spec.definition === 'data' || this.spec.definition === 'kconfig'; }
  /** Bytes of a value as user space sees it (per-CPU: every CPU's value, 8-aligned, concatenated). */
  get userValueSize(): number { return this.object.maps_.userValueSize(this.info); }

  lookup(key: Uint8Array): Uint8Array | undefined {
    try { return this.object.maps_.bpf_map_lookup_elem(this.fd, key); } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }
  update(key: Uint8Array, value: Uint8Array, flags = 0): void { this.object.maps_.bpf_map_update_elem(this.fd, key, value, flags); }
  delete(key: Uint8Array): void { this.object.maps_.bpf_map_delete_elem(this.fd, key); }

  /** Every key, in the map's iteration order. */
  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.keySize === 0) return out;
    let prev: Uint8Array | null = null;
    for (;;) {
      let next: Uint8Array;
      try { next = this.object.maps_.bpf_map_get_next_key(this.fd, prev); } catch (e) {
        if (isErrno(e, 'ENOENT')) break; // past the last key
        throw e;
      }
      out.push(next);
      prev = next;
      if (out.length > this.maxEntries + 1) throw new Error(`map ${this.name}: key iteration does not end`);
    }
    return out;
  }

  /** Entries sorted by key bytes, as the kernel oracle prints them. */
  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const k of this.keys()) {
      let v: Uint8Array | undefined;
      // perf event arrays and xskmaps hold objects user space cannot read back: they list no entries
      try { v = this.lookup(k); } catch (e) { if (isErrno(e, 'ENOTSUPP') || isErrno(e, 'EOPNOTSUPP')) continue; throw e; }
      if (v) out.push([k, v]);
    }
    return out.sort((a, b) => compareBytes(a[0], b[0]));
  }

  /** Ring buffer: consumes the pending records. */
  consumeRecords(): Uint8Array[] {
    const recs: Uint8Array[] = [];
    new RingBufferConsumer(this.object.maps_, this.fd).consume((d) => { recs.push(d.slice()); });
    return recs;
  }
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** A program of a loaded object: its spec, patched instructions and executable form. */
export class BpfProgram {
  constructor(
    readonly name: string,
    readonly spec: ProgramSpec,
    /** Instructions with every relocation applied. */
    readonly instructions: Uint8Array,
    readonly ref: ProgramRef,
    readonly loaded: LoadedProgram,
  ) {}
  get type(): ProgramTypeName { return this.spec.type; }
  get section(): string { return this.spec.section; }
  get insnCount(): number { return this.spec.slotCount; }
}

export class BpfObject {
  readonly programs = new Map<string, BpfProgram>();
  readonly maps = new Map<string, BpfMap>();
  /** @internal the bpf() map API of the machine. */
  readonly maps_: BpfMaps;
  constructor(readonly name: string, readonly spec: ObjectSpec, readonly machine: Machine, maps: BpfMaps) {
    this.maps_ = maps;
  }
  program(name?: string): BpfProgram {
    if (name === undefined) {
      const first = this.programs.values().next();
      if (first.done) throw new LoadError('LoaderNoEntry', {}, `object ${this.name} has no programs`);
      return first.value;
    }
    const p = this.programs.get(name);
    if (!p) throw new LoadError('LoaderNoEntry', { symbol: name }, `no program named ${name} (the object has: ${[...this.programs.keys()].join(', ') || 'none'})`);
    return p;
  }
  map(name: string): BpfMap {
    const m = this.maps.get(name);
    if (!m) throw new LoadError('LoaderBadMap', { symbol: name }, `no map named ${name} (the object has: ${[...this.maps.keys()].join(', ') || 'none'})`);
    return m;
  }
}

/** libbpf's internal_map_name(): up to 8 chars of the object name, then the section, sanitised. */
export function internalMapName(objectName: string, section: string): string {
  const sfx = Math.max(7, section.length);
  const pfx = sfx >= 16 ? 0 : Math.min(16 - sfx - 1, objectName.length);
  const name = (objectName.slice(0, pfx) + section).slice(0, 15);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** The object name libbpf derives from a path: base name up to the first '.'. */
export function objectNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot >= 0 ? base.slice(0, dot) : base;
}

const kernelVersion = (a: number, b: number, c: number): number => (a << 16) + (b << 8) + Math.min(c, 255);
/** The simulated kernel's version: the release its built-in BTF was cut from (as libbpf reads uname). */
const SIMULATED_KERNEL_VERSION = ((): number => {
  const [a = 0, b = 0, c = 0] = KERNEL_RELEASE.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  return kernelVersion(a, b, c);
})();
/** The kconfig values a typical distribution kernel has (for `extern ... __kconfig`). */
const DEFAULT_KCONFIG: Record<string, number | bigint | boolean | string> = {
  CONFIG_HZ: 1000,
  CONFIG_BPF_SYSCALL: true,
  CONFIG_BPF_JIT: true,
  CONFIG_BPF_JIT_ALWAYS_ON: true,
  CONFIG_BPF_EVENTS: true,
  CONFIG_DEBUG_INFO_BTF: true,
  CONFIG_64BIT: true,
  CONFIG_X86_64: true,
  CONFIG_SMP: true,
  CONFIG_NET: true,
  CONFIG_PREEMPT: false,
  CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS: true,
  CONFIG_NR_CPUS: 8192,
  // libbpf answers these two itself from feature probes (bpf_object__resolve_externs); a 6.x x86-64
  // kernel has BPF cookies and __x64_sys_* syscall wrappers (BPF_KSYSCALL reads pt_regs through them)
  LINUX_HAS_BPF_COOKIE: true,
  LINUX_HAS_SYSCALL_WRAPPER: true,
};

function kconfigBytes(ext: ExternSpec, value: number | bigint | boolean | string | undefined): Uint8Array {
  const size = ext.size ?? 0;
  const out = new Uint8Array(size);
  if (value === undefined) return out;
  if (typeof value === 'string') {
    if (size === 1 && value.length === 1) { out[0] = value === 'y' ? 1 : value === 'm' ? 2 : 0; return out; }
    out.set(new TextEncoder().encode(value).subarray(0, Math.max(0, size - 1)));
    return out;
  }
  let v = typeof value === 'boolean' ? (value ? 1n : 0n) : BigInt(value);
  for (let i = 0; i < size; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function rodataBytes(name: string, size: number, value: RodataValue): Uint8Array {
  if (value instanceof Uint8Array) {
    if (value.length !== size) throw new LoadError('LoaderBadData', { symbol: name }, `rodata ${name}: ${value.length} bytes given, the variable has ${size}`);
    return value;
  }
  let v = BigInt(value);
  if (v < 0n) v = BigInt.asUintN(size * 8, v);
  if (size < 8 && v >> BigInt(size * 8) !== 0n) throw new LoadError('LoaderBadData', { symbol: name }, `rodata ${name}: ${value} does not fit in ${size} bytes`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) { out[i] = Number(v & 0xffn); v >>= 8n; }
  return out;
}

function relocError(prog: ProgramSpec, r: ProgramRelocation, why: string): ProgramError {
  return new ProgramError('LoaderBadProgram', r.pc, `program ${prog.name}: relocation of ${r.symbol}: ${why}`);
}

/** Sets up map kernels on `machine` unless it already has them. */
function machineMaps(machine: Machine, kernels: LoadObjectOptions['kernels']): BpfMaps {
  const attached = (machine as Machine & { bpfMaps?: BpfMaps }).bpfMaps;
  if (attached) return attached;
  if (!kernels) throw new LoadError('LoaderBadMap', {}, 'loadObject needs the compiled map kernels (options.kernels: dist/assembly/maps.wasm as a WebAssembly.Module)');
  const k = kernels instanceof WebAssembly.Module ? instantiateMapKernelsSync(kernels, machine.memory, machine.layout) : kernels;
  if (k.memory !== machine.memory) throw new LoadError('LoaderBadMap', {}, 'the map kernels are bound to another memory than the machine\'s');
  const maps = new BpfMaps(k);
  machine.kernelExports = k.exports as unknown as Record<string, unknown>;
  registerMapHelpers(machine.helpers, k);
  (machine as Machine & { bpfMaps?: BpfMaps }).bpfMaps = maps;
  return maps;
}

/** Loads an object file (or an already parsed spec) onto a machine. */
export function loadObject(input: Uint8Array | ObjectSpec, opts: LoadObjectOptions = {}): BpfObject {
  // parseObject may patch the buffer it is given: parse a copy so callers keep their bytes
  const parsed = input instanceof Uint8Array ? parseObject(input.slice()) : input;
  const spec = withCore(parsed, opts.targetBtf === undefined ? kernelBtf() : opts.targetBtf);
  const objName = opts.name ?? 'obj';
  const machine = opts.machine ?? new Machine(opts.machineOptions);
  const bpf = machineMaps(machine, opts.kernels);
  const obj = new BpfObject(objName, spec, machine, bpf);

  for (const name of Object.keys(opts.maxEntries ?? {})) {
    if (!spec.maps.some((m) => m.name === name || internalMapName(objName, m.section) === name)) {
      throw new LoadError('LoaderBadMap', { symbol: name }, `maxEntries: no map named ${name}`);
    }
  }

  // --- maps ---
  const byIndex: BpfMap[] = [];
  const liveName = (m: MapSpec): string => m.definition === 'data' || m.definition === 'kconfig' ? internalMapName(objName, m.section) : m.name;
  const rodataLeft = new Map(Object.entries(opts.rodata ?? {}));
  const scratchKey = new Uint8Array(4);
  for (const m of spec.maps) {
    const name = liveName(m);
    if (m.type === MAP_TYPE.unspec || mapTypeName(m.type) === undefined) {
      throw new LoadError('LoaderBadMap', { section: m.section, symbol: m.name }, `map ${m.name}: unknown map type ${m.type} (${m.typeName})`);
    }
    let maxEntries = opts.maxEntries?.[name] ?? opts.maxEntries?.[m.name] ?? m.maxEntries;
    // libbpf sizes a perf event array without max_entries to the possible CPUs
    if (m.type === MAP_TYPE.perf_event_array && maxEntries === 0) maxEntries = bpf.ncpus;
    let innerFd: number | undefined;
    if (m.innerMap) {
      const i = m.innerMap;
      innerFd = bpf.bpf_map_create(i.type, `${name}.inner`.slice(0, 15), i.keySize, i.valueSize, i.maxEntries, { map_flags: i.flags });
    }
    let fd: number;
    try {
      // libbpf copies the name into bpf_attr.map_name with strlcpy: longer names are cut, not refused
      fd = bpf.bpf_map_create(m.type, name.slice(0, BPF_OBJ_NAME_LEN - 1), m.keySize, m.valueSize, maxEntries, {
        map_flags: m.flags, map_extra: m.mapExtra, ...(innerFd !== undefined ? { inner_map_fd: innerFd } : {}),
      });
    } catch (e) {
      throw new LoadError('LoaderBadMap', { section: m.section, symbol: m.name }, `map ${name} (${m.typeName}): ${(e as Error).message}`);
    } finally {
      if (innerFd !== undefined) bpf.close(innerFd);
    }
    const live = new BpfMap(obj, name, m, fd);
    obj.maps.set(name, live);
    byIndex.push(live);

    // global data: the initial image (or its replacement), .rodata values, then freeze
    if (m.definition === 'data' || m.definition === 'kconfig') {
      const image = new Uint8Array(m.valueSize);
      if (m.data) image.set(m.data.subarray(0, m.valueSize));
      const replaced = opts.initialData?.[name] ?? opts.initialData?.[m.section];
      if (replaced) {
        if (replaced.length !== m.valueSize) throw new LoadError('LoaderBadData', { section: m.section }, `map ${name}: initial value of ${replaced.length} bytes, the map holds ${m.valueSize}`);
        image.set(replaced);
      }
      if (m.definition === 'kconfig') {
        for (const ext of spec.externs) {
          if (ext.kind !== 'kconfig' || ext.offset === undefined) continue;
          const val = ext.name === 'LINUX_KERNEL_VERSION' ? opts.kernelVersion ?? spec.kernelVersion ?? SIMULATED_KERNEL_VERSION
            : opts.kconfig?.[ext.name] ?? DEFAULT_KCONFIG[ext.name];
          if (val === undefined && !ext.weak) throw new LoadError('LoaderBadData', { symbol: ext.name }, `kconfig extern ${ext.name} has no known value (declare it __weak or give options.kconfig)`);
          image.set(kconfigBytes(ext, val), ext.offset);
        }
      }
      for (const v of m.variables ?? []) {
        const val = rodataLeft.get(v.name);
        if (val === undefined) continue;
        if (!m.readonly) throw new LoadError('LoaderBadData', { section: m.section, symbol: v.name }, `rodata: ${v.name} lives in ${m.section}, not in a read-only section`);
        image.set(rodataBytes(v.name, v.size, val), v.offset);
        rodataLeft.delete(v.name);
      }
      if (m.keySize > 0 && m.valueSize > 0) bpf.bpf_map_update_elem(fd, scratchKey, image, 0);
      if (m.readonly) bpf.bpf_map_freeze(fd);
    }
  }
  for (const name of rodataLeft.keys()) throw new LoadError('LoaderBadData', { symbol: name }, `rodata: no read-only global variable named ${name}`);

  // --- programs: ids for prog arrays, patched instructions, executable form ---
  const refs = new Map<string, ProgramRef>();
  for (const name of Object.keys(opts.autoload ?? {})) {
    if (!spec.programs.some((p) => p.name === name)) throw new LoadError('LoaderNoEntry', { symbol: name }, `autoload: no program named ${name}`);
  }
  for (const name of Object.keys(opts.programTypes ?? {})) {
    if (!spec.programs.some((p) => p.name === name)) throw new LoadError('LoaderNoEntry', { symbol: name }, `programTypes: no program named ${name}`);
  }
  const toLoad = spec.programs.filter((p) => opts.autoload?.[p.name] ?? p.autoload)
    .map((p) => (opts.programTypes?.[p.name] ? { ...p, type: opts.programTypes[p.name]! } : p));
  for (const p of toLoad) refs.set(p.name, bpf.registerProgram(p.name));
  const valueAddress = (map: BpfMap): number => {
    const k = bpf.kernels.exports;
    const keyPtr = k.heap_alloc(8);
    bpf.bytes().fill(0, keyPtr, keyPtr + 8);
    const addr = k.map_lookup_elem(map.handle, keyPtr);
    k.heap_free(keyPtr);
    return addr;
  };
  for (const p of toLoad) {
    const insns = p.instructions.slice();
    const dv = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
    for (const r of p.relocations) {
      const at = r.pc * 8;
      if (at + 16 > insns.length && r.kind !== 'call') throw relocError(p, r, 'past the end of the program');
      const setLddw = (value: number): void => {
        insns[at + 1] = insns[at + 1]! & 0x0f; // src = 0: a plain 64-bit immediate
        dv.setInt32(at + 4, value | 0, true);
        dv.setInt32(at + 12, 0, true);
      };
      switch (r.kind) {
        case 'map': {
          const m = r.mapIndex !== undefined ? byIndex[r.mapIndex] : undefined;
          if (!m) throw relocError(p, r, `no map ${r.map ?? r.symbol} in the object`);
          setLddw(m.handle);
          break;
        }
        case 'map_value':
        case 'kconfig': {
          const m = r.mapIndex !== undefined ? byIndex[r.mapIndex] : undefined;
          if (!m) throw relocError(p, r, `no map ${r.map ?? r.symbol} in the object`);
          if (m.type !== MAP_TYPE.array) throw relocError(p, r, `map ${m.name} is a ${m.typeName}, not an array with a direct value`);
          const offset = dv.getInt32(at + 12, true);
          if (offset < 0 || offset >= m.valueSize) throw relocError(p, r, `offset ${offset} outside ${m.name}'s ${m.valueSize}-byte value`);
          const base = valueAddress(m);
          if (!base) throw relocError(p, r, `map ${m.name} has no value`);
          setLddw(base + offset);
          break;
        }
        case 'call': break; // linked by the loader already
        case 'kfunc':
          // runs as the helper registered for it (src/kfuncs); a missing weak kfunc stays a kfunc call that faults if reached
          if (r.kfuncId !== undefined) { insns[at + 1] = insns[at + 1]! & 0x0f; dv.setInt32(at + 4, KFUNC_HELPER_BASE + r.kfuncId, true); }
          break;
        case 'core': break; // applied by the loader when a target BTF was given; else the compiled-in values stand
        case 'ksym':
          if (r.weak) { setLddw(0); break; }
          throw relocError(p, r, `kernel symbol ${r.symbol} needs kernel BTF, which this engine does not have`);
        default:
          throw relocError(p, r, `unsupported relocation kind ${String((r as ProgramRelocation).kind)}`);
      }
    }
    let verified: VerifiedLoad | undefined;
    try {
      verified = opts.unverified ? undefined : verifyProgram(p, spec);
    } catch (e) {
      throw explainPoisoned(p, spec, e);
    }
    let loaded: LoadedProgram;
    try {
      loaded = new LoadedProgram(decode(insns), {
        type: p.type, unverified: !verified, verified, budget: opts.budget, tier: opts.tier,
        ...(p.attachType || p.attachTo ? { attach: { ...(p.attachType ? { type: p.attachType } : {}), ...(p.attachTo ? { to: p.attachTo } : {}) } } : {}),
        progId: refs.get(p.name)!.id, tailCalls: byIndex.some((m) => m.type === MAP_TYPE.prog_array),
      }, machine);
    } catch (e) {
      if (e instanceof ProgramError) throw new ProgramError(e.codeName, e.pc, `program ${p.name}: ${e.message}`);
      throw e;
    }
    obj.programs.set(p.name, new BpfProgram(p.name, p, insns, refs.get(p.name)!, loaded));
  }

  // --- prog-array and map-in-map initialisers ---
  for (const m of byIndex) {
    for (const slot of m.spec.slots ?? []) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, slot.index, true);
      let fd: number;
      if (slot.program !== undefined) {
        const ref = refs.get(slot.program);
        if (!ref) throw new LoadError('LoaderBadMap', { symbol: m.name }, `map ${m.name} slot ${slot.index}: program ${slot.program} is not loaded`);
        fd = ref.fd;
      } else if (slot.map !== undefined) {
        const inner = obj.maps.get(slot.map) ?? byIndex.find((x) => x.spec.name === slot.map);
        if (!inner) throw new LoadError('LoaderBadMap', { symbol: m.name }, `map ${m.name} slot ${slot.index}: no map ${slot.map}`);
        fd = inner.fd;
      } else continue;
      const val = new Uint8Array(4);
      new DataView(val.buffer).setUint32(0, fd, true);
      bpf.bpf_map_update_elem(m.fd, key, val, 0);
    }
  }
  return obj;
}
