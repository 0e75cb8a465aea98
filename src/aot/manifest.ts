/**
 * manifest.json of a precompiled set: everything the runtime needs to
 * recreate the machine, map kernels and maps exactly as at compile time, and
 * to check each module before instantiating it. Plain JSON (bigints as
 * decimal strings, bytes as hex) so hosts can import it as a JSON module.
 */
import type { JitManifest } from '../jit/abi.js';
import type { LayoutOptions } from '../runtime/layout.js';
import type { ProgramTypeName } from '../programs/types.js';
import type { CheckStats } from '../verifier/verifier.js';

/** One field of a BTF-described key or value. */
export interface AotField {
  readonly name: string;
  /** Byte offset in the key/value (bit offset for bitfields in `bitOffset`). */
  readonly offset: number;
  readonly size: number;
  readonly type: string;
  readonly bitOffset?: number;
  readonly bits?: number;
}

/** A key or value type as BTF describes it. */
export interface AotLayout {
  readonly type: string;
  readonly kind: string;
  readonly size: number;
  readonly fields?: readonly AotField[];
}

export interface AotMapSlot { readonly index: number; readonly program?: string; readonly map?: string }

export interface AotMap {
  /** The live name (global data: libbpf's internal name, e.g. `flow_cou.bss`). */
  readonly name: string;
  readonly section: string;
  readonly definition: string;
  readonly type: number;
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly mapExtra: number;
  /** map-in-map template, created and closed before the outer map as the loader does. */
  readonly inner?: { readonly type: number; readonly keySize: number; readonly valueSize: number; readonly maxEntries: number; readonly flags: number };
  /** Global data: the value written at load (rodata/kconfig applied), hex; then frozen when `readonly`. */
  readonly image?: string;
  readonly readonly?: boolean;
  /** Address of the map header baked into the code (lddw of a map reference). */
  readonly address: number;
  /** Address of element 0's value, for maps the code addresses directly (global data). */
  readonly valueAddress?: number;
  /** Prog-array / map-in-map initialisers, by program or map name. */
  readonly slots?: readonly AotMapSlot[];
  readonly key?: AotLayout;
  readonly value?: AotLayout;
}

/** A module's import or export, as WebAssembly.Module.imports/exports list it. */
export interface AotModuleEntry { readonly module?: string; readonly name: string; readonly kind: string }

/** JitManifest in JSON form (defaultBudget as a decimal string). */
export type AotJitManifest = Omit<JitManifest, 'defaultBudget'> & { readonly defaultBudget: string };

export interface AotProgram {
  readonly name: string;
  readonly section: string;
  readonly type: ProgramTypeName;
  /** The module's file name in the output directory. */
  readonly file: string;
  readonly sha256: string;
  readonly size: number;
  readonly imports: readonly AotModuleEntry[];
  readonly exports: readonly AotModuleEntry[];
  readonly jit: AotJitManifest;
  /** The verifier's statistics at compile time (the code was verified then). */
  readonly verifier: CheckStats;
}

export interface AotManifest {
  readonly format: number;
  readonly engine: { readonly name: string; readonly version: string };
  readonly object: { readonly name: string; readonly sha256: string; readonly size: number; readonly license: string };
  /** Layout options the machine is created with, and what they computed (checked at load). */
  readonly machine: {
    readonly options: LayoutOptions;
    readonly heapBase: number;
    readonly cpuAreaBytes: number;
    readonly initialPages: number;
    readonly maximumPages: number;
    readonly shared: boolean;
    readonly cpus: number;
    readonly packetCapacity: number;
  };
  /** The AssemblyScript map kernels the addresses were computed with. */
  readonly kernels: { readonly file: string; readonly sha256: string; readonly size: number };
  /** Every program of the object that got an fd, in load order (prog-array values are these fds). */
  readonly programOrder: readonly string[];
  readonly maps: readonly AotMap[];
  readonly programs: readonly AotProgram[];
}

export function toJsonJit(m: JitManifest): AotJitManifest {
  return { ...m, defaultBudget: m.defaultBudget.toString() };
}

export function fromJsonJit(m: AotJitManifest): JitManifest {
  return { ...m, defaultBudget: BigInt(m.defaultBudget) };
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(h: string): Uint8Array {
  if (h.length % 2 || /[^0-9a-f]/i.test(h)) throw new TypeError('not hex');
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}
