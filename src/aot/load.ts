/**
 * The runtime side of ahead-of-time modules: recreates the machine, map
 * kernels and maps of a precompiled set exactly as the compiler had them (the
 * code embeds map addresses), checks every module against the manifest, and
 * binds each to a LoadedProgram through a CompiledExecutor. Imports neither
 * Binaryen nor Node built-ins: this is what edge hosts run.
 */
import { AotError, EbpfError } from '../diagnostics/index.js';
import { makeProgram } from '../isa/instruction.js';
import type { CompiledProgram } from '../jit/abi.js';
import { CompiledExecutor } from '../jit/executor.js';
import { registerMapHelpers } from '../helpers/maps.js';
import type { MapKernelExports, MapKernels } from '../maps/kernels.js';
import { BpfMaps, isErrno, type MapInfo, type ProgramRef } from '../maps/syscall.js';
import { MAP_TYPE } from '../maps/constants.js';
import { RingBufferConsumer } from '../maps/ringbuf.js';
import { Machine, type MachineOptions } from '../runtime/machine.js';
import type { TestRunOptions, TestRunResult } from '../runtime/test-run.js';
import { programTypeRuntime } from '../programs/registry.js';
import type { ProgramTypeName } from '../programs/types.js';
import { ENGINE_NAME, ENGINE_VERSION, MANIFEST_FORMAT } from './version.js';
import { fromHex, fromJsonJit, type AotManifest, type AotMap, type AotModuleEntry, type AotProgram } from './manifest.js';
import { sha256Hex } from './sha256.js';

export interface LoadPrecompiledOptions {
  /** The map kernels (dist/assembly/maps.wasm, or maps.shared.wasm for a shared memory): a compiled module or its bytes. */
  kernels: WebAssembly.Module | Uint8Array;
  /** Simulated world of the machine (seed, clock); the layout comes from the manifest. */
  machine?: Omit<MachineOptions, 'cpus' | 'packetCapacity' | 'heapBytes' | 'maxBytes' | 'shared'>;
}

/** A module as a host provides it: compiled (Workers' static wasm imports) or bytes (checked against sha256). */
export type PrecompiledInput = WebAssembly.Module | Uint8Array;

const PERCPU = new Set<number>([MAP_TYPE.percpu_hash, MAP_TYPE.percpu_array, MAP_TYPE.lru_percpu_hash]);

/** A live map of a precompiled set: the maps API of loadObject's BpfMap. */
export class PrecompiledMap {
  constructor(private readonly bpf: BpfMaps, readonly name: string, readonly spec: AotMap, readonly fd: number) {}
  get info(): MapInfo { return this.bpf.map(this.fd); }
  get handle(): number { return this.info.handle; }
  get type(): number { return this.spec.type; }
  get typeName(): string { return this.spec.typeName; }
  get keySize(): number { return this.spec.keySize; }
  get valueSize(): number { return this.spec.valueSize; }
  get maxEntries(): number { return this.spec.maxEntries; }
  get perCpu(): boolean { return PERCPU.has(this.spec.type); }
  /** Bytes of a value as user space sees it (per-CPU: every CPU's value, 8-aligned, concatenated). */
  get userValueSize(): number { return this.bpf.userValueSize(this.info); }

  lookup(key: Uint8Array): Uint8Array | undefined {
    try { return this.bpf.bpf_map_lookup_elem(this.fd, key); } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }
  update(key: Uint8Array, value: Uint8Array, flags = 0): void { this.bpf.bpf_map_update_elem(this.fd, key, value, flags); }
  delete(key: Uint8Array): void { this.bpf.bpf_map_delete_elem(this.fd, key); }

  keys(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.keySize === 0) return out;
    let prev: Uint8Array | null = null;
    for (;;) {
      let next: Uint8Array;
      try { next = this.bpf.bpf_map_get_next_key(this.fd, prev); } catch (e) {
        if (isErrno(e, 'ENOENT')) break;
        throw e;
      }
      out.push(next);
      prev = next;
      if (out.length > this.maxEntries + 1) throw new Error(`map ${this.name}: key iteration does not end`);
    }
    return out;
  }

  /** Entries sorted by key bytes (as loadObject's maps and the kernel oracle list them). */
  entries(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    for (const k of this.keys()) { const v = this.lookup(k); if (v) out.push([k, v]); }
    return out.sort((a, b) => compare(a[0], b[0]));
  }

  consumeRecords(): Uint8Array[] {
    const recs: Uint8Array[] = [];
    new RingBufferConsumer(this.bpf, this.fd).consume((d) => { recs.push(d.slice()); });
    return recs;
  }
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * A precompiled program bound to the set's machine: the JIT tier's run API.
 * Not a LoadedProgram on purpose: that one verifies on load and falls back to
 * the interpreter, which would put the verifier (~55 KB) into an AOT-only bundle
 * for code the compiler already verified.
 */
export class PrecompiledProgram {
  readonly executor: CompiledExecutor;
  /** The program type (as LoadedProgram.options, so runCapture and friends accept this too). */
  readonly options: { readonly type: ProgramTypeName };
  constructor(readonly spec: AotProgram, readonly compiled: CompiledProgram, readonly machine: Machine, private readonly bpf: BpfMaps) {
    this.options = { type: spec.type };
    // the instructions are not shipped (the code is in the module): the executor needs none
    this.executor = new CompiledExecutor(compiled, { program: makeProgram([]), machine, type: spec.type, unverified: false });
  }
  get name(): string { return this.spec.name; }
  get type(): ProgramTypeName { return this.spec.type; }

  /** BPF_PROG_TEST_RUN as LoadedProgram.testRun: retval, data_out, ctx_out, mean duration over `repeat` runs. */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    const repeat = Math.max(1, opts.repeat ?? 1);
    const cpu = opts.cpu ?? 0;
    const rt = programTypeRuntime(this.spec.type);
    let lo = 0;
    let total = 0;
    for (let i = 0; i < repeat; i++) {
      const args = i > 0 && rt.again ? rt.again(this.machine, cpu) : rt.prepare(this.machine, cpu, opts);
      const t0 = performance.now();
      lo = this.executor.run(cpu, args);
      total += performance.now() - t0;
    }
    const out = rt.finish(this.machine, cpu, lo, this.executor.r0hi);
    return { ...out, durationNs: Math.round((total * 1e6) / repeat) };
  }

  /** One run on `data`: r0 as the program type reports it. */
  run(data: Uint8Array, cpu = 0): bigint { return this.testRun({ data, cpu }).retval; }

  /**
   * Every packet in one wasm call (the batch entry, compiled for program
   * types with a context such as xdp): r0's low 32 bits per packet. Packets
   * are copied into the map heap for the call; data_out is not kept.
   */
  runBatch(packets: readonly Uint8Array[], cpu = 0): Int32Array {
    if (!this.spec.jit.batch) throw new AotError('AotModuleMismatch', { program: this.name }, 'compiled without the batch entry');
    const k = this.bpf.kernels.exports;
    let total = 0;
    for (const p of packets) total += p.length;
    const base = k.heap_alloc(Math.max(total, 1));
    if (!base) throw new EbpfError('BadInput', `runBatch: no heap for ${total} bytes of packets`);
    try {
      const mem = new Uint8Array(this.machine.memory.buffer);
      const pairs = new Int32Array(packets.length * 2);
      let at = base;
      packets.forEach((p, i) => { mem.set(p, at); pairs[2 * i] = at; pairs[2 * i + 1] = p.length; at += p.length; });
      this.machine.cpu = cpu;
      return this.executor.instance(cpu).runBatch(pairs);
    } finally {
      k.heap_free(base);
    }
  }
}

export interface PrecompiledSet {
  readonly manifest: AotManifest;
  readonly machine: Machine;
  readonly programs: ReadonlyMap<string, PrecompiledProgram>;
  readonly maps: ReadonlyMap<string, PrecompiledMap>;
  program(name?: string): PrecompiledProgram;
  map(name: string): PrecompiledMap;
}

function sameEntries(a: readonly AotModuleEntry[], b: readonly AotModuleEntry[]): string | undefined {
  const key = (e: AotModuleEntry): string => `${e.module ?? ''}.${e.name}:${e.kind}`;
  const sa = new Set(a.map(key)), sb = new Set(b.map(key));
  const missing = [...sa].filter((x) => !sb.has(x)), extra = [...sb].filter((x) => !sa.has(x));
  if (!missing.length && !extra.length) return undefined;
  return [missing.length ? `manifest has ${missing.join(', ')}` : '', extra.length ? `module has ${extra.join(', ')}` : '']
    .filter(Boolean).join('; ');
}

/** Checks a module's bytes against the manifest (the bundler / compile side, where bytes exist). */
export function checkModuleBytes(manifest: AotManifest, program: string, bytes: Uint8Array): void {
  const p = manifest.programs.find((x) => x.name === program);
  if (!p) throw new AotError('AotModuleMissing', { program }, 'not in the manifest');
  const sum = sha256Hex(bytes);
  if (sum !== p.sha256) throw new AotError('AotChecksum', { program, file: p.file }, `sha256 ${sum} does not match the manifest's ${p.sha256} (corrupted or from another compilation)`);
}

/** Compiles checked bytes, or takes a module; then compares its imports/exports with the manifest. */
function moduleFor(p: AotProgram, input: PrecompiledInput | undefined): WebAssembly.Module {
  if (input === undefined) throw new AotError('AotModuleMissing', { program: p.name, file: p.file }, 'no module given for this program');
  let mod: WebAssembly.Module;
  if (input instanceof WebAssembly.Module) mod = input;
  else if (input instanceof Uint8Array) {
    const sum = sha256Hex(input);
    if (sum !== p.sha256) throw new AotError('AotChecksum', { program: p.name, file: p.file }, `sha256 ${sum} does not match the manifest's ${p.sha256} (corrupted or from another compilation)`);
    try { mod = new WebAssembly.Module(input as Uint8Array<ArrayBuffer>); } catch (e) {
      throw new AotError('AotModuleInvalid', { program: p.name, file: p.file }, `WebAssembly.Module failed: ${(e as Error).message}`);
    }
  } else {
    throw new AotError('AotModuleInvalid', { program: p.name, file: p.file }, 'expected a WebAssembly.Module or its bytes');
  }
  const imports = WebAssembly.Module.imports(mod).map((e) => ({ module: e.module, name: e.name, kind: e.kind }));
  const exports = WebAssembly.Module.exports(mod).map((e) => ({ name: e.name, kind: e.kind }));
  const di = sameEntries(p.imports, imports);
  if (di) throw new AotError('AotModuleMismatch', { program: p.name, file: p.file }, `imports differ from the manifest: ${di}`);
  const de = sameEntries(p.exports, exports);
  if (de) throw new AotError('AotModuleMismatch', { program: p.name, file: p.file }, `exports differ from the manifest: ${de}`);
  return mod;
}

function checkManifest(m: AotManifest): void {
  if (!m || typeof m !== 'object' || !m.engine || !Array.isArray(m.programs) || !Array.isArray(m.maps) || !m.machine) {
    throw new AotError('AotManifest', {}, 'not an ebpf-wasm AOT manifest (engine, machine, maps and programs expected)');
  }
  if (m.engine.name !== ENGINE_NAME || m.engine.version !== ENGINE_VERSION || m.format !== MANIFEST_FORMAT) {
    throw new AotError('AotEngineVersion', {}, `manifest from ${m.engine.name} ${m.engine.version} (format ${m.format}); this runtime is ${ENGINE_NAME} ${ENGINE_VERSION} (format ${MANIFEST_FORMAT}): recompile with this version`);
  }
}

const layoutErr = (what: string, map?: string): AotError => new AotError('AotLayoutMismatch', map !== undefined ? { map } : {}, `${what} differs from compile time (the code embeds these addresses): same engine version, options and map kernels are needed`);

/**
 * Loads a precompiled set: `modules` by program name (or file name) as
 * WebAssembly.Module or bytes. Throws AotError for a manifest from another
 * engine version, a module that is missing, corrupted or does not match, and
 * a machine whose map addresses differ from the compiled-in ones.
 */
export function loadPrecompiled(manifest: AotManifest, modules: Record<string, PrecompiledInput>, opts: LoadPrecompiledOptions): PrecompiledSet {
  checkManifest(manifest);
  // modules first: nothing is created for a set that cannot run
  const mods = new Map<string, WebAssembly.Module>();
  for (const p of manifest.programs) mods.set(p.name, moduleFor(p, modules[p.name] ?? modules[p.file]));

  const mo = manifest.machine;
  const machine = new Machine({ ...opts.machine, ...mo.options });
  const l = machine.layout;
  if (l.heapBase !== mo.heapBase || l.initialPages !== mo.initialPages || l.maximumPages !== mo.maximumPages || l.cpuAreaBytes !== mo.cpuAreaBytes || l.cpus !== mo.cpus) {
    throw layoutErr('the memory layout');
  }
  let kmod: WebAssembly.Module;
  if (opts.kernels instanceof WebAssembly.Module) kmod = opts.kernels;
  else {
    const sum = sha256Hex(opts.kernels);
    if (sum !== manifest.kernels.sha256) throw new AotError('AotChecksum', { file: manifest.kernels.file }, `map kernels sha256 ${sum} differ from the ones compiled against (${manifest.kernels.sha256})`);
    try { kmod = new WebAssembly.Module(opts.kernels as Uint8Array<ArrayBuffer>); } catch (e) {
      throw new AotError('AotModuleInvalid', { file: manifest.kernels.file }, `map kernels: ${(e as Error).message}`);
    }
  }
  let kernels: MapKernels;
  try { kernels = instantiateKernels(kmod, machine); } catch (e) {
    throw new AotError('AotModuleInvalid', { file: manifest.kernels.file }, `map kernels do not instantiate: ${(e as Error).message}`);
  }
  const bpf = new BpfMaps(kernels);
  machine.kernelExports = kernels.exports as unknown as Record<string, unknown>;
  registerMapHelpers(machine.helpers, kernels);

  // maps: the loader's exact sequence of calls, so the kernels' allocator hands out the same addresses
  const maps = new Map<string, PrecompiledMap>();
  const key0 = new Uint8Array(4);
  for (const m of manifest.maps) {
    let innerFd: number | undefined;
    if (m.inner) innerFd = bpf.bpf_map_create(m.inner.type, `${m.name}.inner`.slice(0, 15), m.inner.keySize, m.inner.valueSize, m.inner.maxEntries, { map_flags: m.inner.flags });
    let fd: number;
    try {
      fd = bpf.bpf_map_create(m.type, m.name, m.keySize, m.valueSize, m.maxEntries, {
        map_flags: m.flags, map_extra: m.mapExtra, ...(innerFd !== undefined ? { inner_map_fd: innerFd } : {}),
      });
    } finally {
      if (innerFd !== undefined) bpf.close(innerFd);
    }
    const live = new PrecompiledMap(bpf, m.name, m, fd);
    if (live.handle !== m.address) throw layoutErr(`address 0x${live.handle.toString(16)} (manifest: 0x${m.address.toString(16)})`, m.name);
    if (m.image !== undefined) {
      if (m.keySize > 0 && m.valueSize > 0) bpf.bpf_map_update_elem(fd, key0, fromHex(m.image), 0);
      if (m.readonly) bpf.bpf_map_freeze(fd);
    }
    maps.set(m.name, live);
  }
  const refs = new Map<string, ProgramRef>();
  for (const name of manifest.programOrder) refs.set(name, bpf.registerProgram(name));
  for (const m of manifest.maps) {
    if (m.valueAddress === undefined) continue;
    const k = kernels.exports;
    const keyPtr = k.heap_alloc(8);
    bpf.bytes().fill(0, keyPtr, keyPtr + 8);
    const addr = k.map_lookup_elem(maps.get(m.name)!.handle, keyPtr);
    k.heap_free(keyPtr);
    if (addr !== m.valueAddress) throw layoutErr(`value address 0x${addr.toString(16)} (manifest: 0x${m.valueAddress.toString(16)})`, m.name);
  }
  for (const m of manifest.maps) {
    for (const slot of m.slots ?? []) {
      const fd = slot.program !== undefined ? refs.get(slot.program)?.fd : slot.map !== undefined ? maps.get(slot.map)?.fd : undefined;
      if (fd === undefined) throw new AotError('AotManifest', { map: m.name }, `slot ${slot.index}: no ${slot.program !== undefined ? `program ${slot.program}` : `map ${slot.map}`}`);
      const key = new Uint8Array(4), val = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, slot.index, true);
      new DataView(val.buffer).setUint32(0, fd, true);
      bpf.bpf_map_update_elem(live(maps, m.name).fd, key, val, 0);
    }
  }

  const programs = new Map<string, PrecompiledProgram>();
  for (const p of manifest.programs) {
    const jit = fromJsonJit(p.jit);
    // every helper the module imports must exist here with the same kind of implementation
    for (const h of jit.helpers) {
      const impl = machine.helpers.get(h.id)?.impl;
      const ok = h.kind === 'kernel' ? typeof machine.kernelExports?.[h.base] === 'function' : impl?.js !== undefined;
      if (!ok) throw new AotError('AotModuleMismatch', { program: p.name, file: p.file }, `helper ${h.name} (${h.id}) is not available as a ${h.kind} helper in this runtime`);
    }
    const compiled: CompiledProgram = { bytes: new Uint8Array(0), manifest: jit, module: mods.get(p.name)! };
    programs.set(p.name, new PrecompiledProgram(p, compiled, machine, bpf));
  }
  return {
    manifest, machine, programs, maps,
    program(name?: string): PrecompiledProgram {
      const p = name === undefined ? programs.values().next().value : programs.get(name);
      if (!p) throw new AotError('AotModuleMissing', name !== undefined ? { program: name } : {}, `no such precompiled program (the set has: ${[...programs.keys()].join(', ') || 'none'})`);
      return p;
    },
    map(name: string): PrecompiledMap {
      return live(maps, name);
    },
  };
}

/**
 * instantiateMapKernelsSync's steps, kept here because ../maps/kernels.js
 * computes file URLs from import.meta.url at module load, which hosts such as
 * workerd reject (their module URLs are not hierarchical).
 */
function instantiateKernels(module: WebAssembly.Module, machine: Machine): MapKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory: machine.memory } });
  const exports = instance.exports as unknown as MapKernelExports;
  exports.maps_init(machine.layout.heapBase, machine.layout.cpus);
  exports.set_cpu(0);
  return { exports, instance, memory: machine.memory, layout: machine.layout };
}

function live(maps: Map<string, PrecompiledMap>, name: string): PrecompiledMap {
  const m = maps.get(name);
  if (!m) throw new AotError('AotManifest', { map: name }, `no such map (the set has: ${[...maps.keys()].join(', ') || 'none'})`);
  return m;
}
