/**
 * The compiler side of ahead-of-time modules: loads an object as loadObject
 * does (maps created in linear memory, relocations patched, every program
 * verified), compiles the chosen programs with the JIT and writes what the
 * runtime (./load.ts) needs to recreate the same machine without the `.o`.
 * Deterministic: the same object, options and map kernels give the same bytes.
 * Uses Binaryen (through ../jit/compiler.js); no Node built-ins (the CLI writes the files).
 */
import { AotError } from '../diagnostics/index.js';
import type { Btf, BtfType } from '../btf/btf.js';
import { decode } from '../isa/decode.js';
import { compileProgram } from '../jit/compiler.js';
import { parseObject } from '../loader/object.js';
import type { MapSpec, ObjectSpec } from '../loader/spec.js';
import { loadObject, type BpfMap, type LoadObjectOptions } from '../object/object.js';
import type { LayoutOptions } from '../runtime/layout.js';
import { ENGINE_NAME, ENGINE_VERSION, MANIFEST_FORMAT } from './version.js';
import { toHex, toJsonJit, type AotField, type AotLayout, type AotManifest, type AotMap, type AotProgram } from './manifest.js';
import { sha256Hex } from './sha256.js';

export interface CompileObjectOptions {
  /** Object name (libbpf: the file's base name up to the first '.'); prefixes global-data map names. */
  name: string;
  /** The map kernels' bytes (dist/assembly/maps.wasm; maps.shared.wasm with `layout.shared`). */
  kernels: Uint8Array;
  /** Their file name, recorded in the manifest (default maps.wasm). */
  kernelsFile?: string;
  /** Programs to compile (default: every program the object loads). */
  programs?: readonly string[];
  /** Memory layout of the machine (the runtime recreates it). */
  layout?: LayoutOptions;
  /** Passed on to loadObject (as at run time they cannot change: the images are in the manifest). */
  rodata?: LoadObjectOptions['rodata'];
  maxEntries?: LoadObjectOptions['maxEntries'];
  kconfig?: LoadObjectOptions['kconfig'];
  kernelVersion?: number;
  /** Binaryen optimisation level (default 0, as the JIT tier). */
  optimize?: number;
}

export interface CompiledSet {
  readonly manifest: AotManifest;
  /** Module bytes by file name (`<prog>.wasm`). */
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** A name for a BTF type, C-like ("struct lpm_v4_key", "__u32", "u8[16]"). */
function typeName(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  const t = btf.type(id);
  if (depth > 16) return t.kind.toLowerCase();
  switch (t.kind) {
    case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': return `${t.kind === 'ENUM64' ? 'enum' : t.kind.toLowerCase()} ${t.name || '(anon)'}`;
    case 'PTR': return `${typeName(btf, t.type, depth + 1)} *`;
    case 'ARRAY': return `${typeName(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'CONST': case 'VOLATILE': case 'RESTRICT': case 'TYPE_TAG': return typeName(btf, t.type, depth + 1);
    default: return t.name || t.kind.toLowerCase();
  }
}

function btfLayout(btf: Btf | undefined, id: number | undefined): AotLayout | undefined {
  if (!btf || id === undefined) return undefined;
  try {
    const t: BtfType = btf.resolve(id);
    const layout: { type: string; kind: string; size: number; fields?: AotField[] } = {
      type: typeName(btf, id), kind: t.kind.toLowerCase(), size: btf.sizeof(id),
    };
    if (t.kind === 'STRUCT' || t.kind === 'UNION') {
      layout.fields = t.members.map((mem) => {
        const f: { name: string; offset: number; size: number; type: string; bitOffset?: number; bits?: number } = {
          name: mem.name, offset: Math.floor(mem.bitOffset / 8), size: btf.sizeof(mem.type), type: typeName(btf, mem.type),
        };
        if (mem.bitfieldSize) { f.bitOffset = mem.bitOffset; f.bits = mem.bitfieldSize; }
        return f;
      });
    }
    return layout;
  } catch {
    return undefined; // BTF that does not describe the type: the layout is left out, sizes still stand
  }
}

/** Global data: the section's variables are the value's fields. */
function dataLayout(m: MapSpec): AotLayout | undefined {
  if (!m.variables) return undefined;
  return {
    type: m.section, kind: 'datasec', size: m.valueSize,
    fields: m.variables.map((v) => ({ name: v.name, offset: v.offset, size: v.size, type: 'var' })),
  };
}

/** Compiles an object's programs to wasm modules plus the manifest that loads them without the object. */
export function compileObject(object: Uint8Array, opts: CompileObjectOptions): CompiledSet {
  const spec: ObjectSpec = parseObject(object.slice());
  const kernels = new WebAssembly.Module(opts.kernels as Uint8Array<ArrayBuffer>);
  const obj = loadObject(spec, {
    name: opts.name, kernels, machineOptions: opts.layout ?? {}, rodata: opts.rodata, maxEntries: opts.maxEntries,
    kconfig: opts.kconfig, kernelVersion: opts.kernelVersion,
  });
  const machine = obj.machine;
  const wanted = opts.programs ?? [...obj.programs.keys()];
  for (const name of wanted) {
    if (!obj.programs.has(name)) {
      throw new AotError('AotModuleMissing', { program: name }, `the object has no loaded program of that name (it has: ${[...obj.programs.keys()].join(', ') || 'none'})`);
    }
  }

  // addresses the code embeds: map headers, and element 0's value for direct-value maps (global data)
  const valueAddressed = new Set<number>();
  for (const p of obj.programs.values()) {
    for (const r of p.spec.relocations) if ((r.kind === 'map_value' || r.kind === 'kconfig') && r.mapIndex !== undefined) valueAddressed.add(r.mapIndex);
  }
  const live = [...obj.maps.values()];
  const valueAddress = (m: BpfMap): number => {
    const k = obj.maps_.kernels.exports;
    const keyPtr = k.heap_alloc(8);
    obj.maps_.bytes().fill(0, keyPtr, keyPtr + 8);
    const addr = k.map_lookup_elem(m.handle, keyPtr);
    k.heap_free(keyPtr);
    return addr;
  };
  const key0 = new Uint8Array(4);
  const maps: AotMap[] = live.map((m, i) => {
    const s = m.spec;
    const data = s.definition === 'data' || s.definition === 'kconfig';
    const out: Record<string, unknown> = {
      name: m.name, section: s.section, definition: s.definition, type: s.type, typeName: m.typeName,
      keySize: s.keySize, valueSize: s.valueSize, maxEntries: m.maxEntries, flags: s.flags, mapExtra: s.mapExtra,
    };
    if (s.innerMap) out.inner = { type: s.innerMap.type, keySize: s.innerMap.keySize, valueSize: s.innerMap.valueSize, maxEntries: s.innerMap.maxEntries, flags: s.innerMap.flags };
    if (data) {
      const v = s.keySize > 0 && s.valueSize > 0 ? m.lookup(key0) : undefined;
      out.image = toHex(v ?? new Uint8Array(0));
      if (s.readonly) out.readonly = true;
    }
    out.address = m.handle;
    if (valueAddressed.has(i)) out.valueAddress = valueAddress(m);
    if (s.slots?.length) out.slots = s.slots.filter((x) => x.program !== undefined || x.map !== undefined).map((x) => ({ index: x.index, ...(x.program !== undefined ? { program: x.program } : { map: x.map }) }));
    const key = btfLayout(spec.btf, s.keyType);
    const value = data ? dataLayout(s) : btfLayout(spec.btf, s.valueType);
    if (key) out.key = key;
    if (value) out.value = value;
    return out as unknown as AotMap;
  });

  const files = new Map<string, Uint8Array>();
  const programs: AotProgram[] = wanted.map((name) => {
    const p = obj.program(name);
    const compiled = compileProgram(decode(p.instructions), {
      helpers: machine.helpers, layout: machine.layout, verified: true, budget: false, programType: p.type,
      cache: false, optimize: opts.optimize ?? 0,
    });
    const file = `${name}.wasm`;
    files.set(file, compiled.bytes);
    return {
      name, section: p.section, type: p.type, file, sha256: sha256Hex(compiled.bytes), size: compiled.bytes.length,
      imports: WebAssembly.Module.imports(compiled.module).map((e) => ({ module: e.module, name: e.name, kind: e.kind })),
      exports: WebAssembly.Module.exports(compiled.module).map((e) => ({ name: e.name, kind: e.kind })),
      jit: toJsonJit(compiled.manifest),
      verifier: p.loaded.verification!.stats,
    };
  });

  const l = machine.layout;
  const manifest: AotManifest = {
    format: MANIFEST_FORMAT,
    engine: { name: ENGINE_NAME, version: ENGINE_VERSION },
    object: { name: opts.name, sha256: sha256Hex(object), size: object.length, license: spec.license },
    machine: {
      options: { ...(opts.layout ?? {}) }, heapBase: l.heapBase, cpuAreaBytes: l.cpuAreaBytes, initialPages: l.initialPages,
      maximumPages: l.maximumPages, shared: l.shared, cpus: l.cpus, packetCapacity: l.packetCapacity,
    },
    kernels: { file: opts.kernelsFile ?? 'maps.wasm', sha256: sha256Hex(opts.kernels), size: opts.kernels.length },
    programOrder: [...obj.programs.keys()],
    maps,
    programs,
  };
  return { manifest, files };
}

/** manifest.json's text: stable key order (as built), two-space indent, trailing newline. */
export function manifestJson(m: AotManifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}
