/**
 * The parsed, deterministic description of an object file (a "spec"), kept
 * apart from live objects: nothing here owns a map or a loaded program. The
 * runtime turns MapSpecs into maps and patches ProgramSpec instructions at
 * the recorded relocations (cf. cilium/ebpf's CollectionSpec / ProgramSpec /
 * MapSpec and libbpf's bpf_object__open vs bpf_object__load).
 */
import type { Btf } from '../btf/btf.js';
import type { CoreRelo } from '../btf/ext.js';
import type { CoreResult } from '../btf/core.js';
import type { AttachTypeName, ProgramTypeName } from './sections.js';

export type RelocationKind = 'map' | 'map_value' | 'call' | 'kconfig' | 'ksym' | 'kfunc' | 'core';

/**
 * One instruction the runtime (or the linker, for 'call') must patch.
 *
 * Instruction state after parsing, by kind:
 *  - map:        lddw src=1 (MAP_FD), imm = index into ObjectSpec.maps (placeholder for the fd/address).
 *  - map_value:  lddw src=2 (MAP_VALUE), imm = map index, second-slot imm = offset into the value.
 *  - kconfig:    like map_value, against the synthesised ".kconfig" map.
 *  - call:       already linked: call src=1 or lddw src=4 (function pointer) with the relative slot in imm.
 *  - ksym:       call src=2 (KFUNC) imm=0, or lddw imm=0 (src=3 BTF_ID for typed variables) — needs kernel BTF.
 *  - core:       patched when a target BTF was given (`core.result`), else untouched.
 */
export interface ProgramRelocation {
  /** Slot index in ProgramSpec.instructions. */
  readonly pc: number;
  readonly kind: RelocationKind;
  /** ELF symbol (or, for section symbols, the section) the relocation names. */
  readonly symbol: string;
  /** map / map_value / kconfig: the map's name and its index in ObjectSpec.maps. */
  readonly map?: string;
  readonly mapIndex?: number;
  /** map_value / kconfig: byte offset into the map value. */
  readonly offset?: number;
  /** call: callee function name; `pointer` for lddw src=4 function addresses. */
  readonly target?: string;
  readonly pointer?: boolean;
  /** ksym / kconfig / kfunc: declared weak (may stay unresolved). */
  readonly weak?: boolean;
  /** kfunc: the id in the engine's kfunc table (src/kfuncs), now the call's imm; absent for a missing weak one. */
  readonly kfuncId?: number;
  /** core: the BTF.ext record (insnOff is relative to `section`) and, if resolved, its result. */
  readonly core?: CoreRelo & { readonly section: string; readonly result?: CoreResult };
}

export interface ProgramFunction {
  readonly name: string;
  /** First slot of the function in ProgramSpec.instructions. */
  readonly pc: number;
  readonly slots: number;
  /** ELF section and byte offset it came from. */
  readonly section: string;
  readonly sectionOffset: number;
}

export interface ProgramFuncInfo { readonly pc: number; readonly typeId: number; readonly name: string }
export interface ProgramLineInfo { readonly pc: number; readonly fileName: string; readonly source: string; readonly line: number; readonly column: number }

export interface ProgramSpec {
  readonly name: string;
  readonly section: string;
  readonly type: ProgramTypeName;
  readonly attachType?: AttachTypeName;
  /** Target named by the section ("kprobe/do_sys_open" → "do_sys_open"). */
  readonly attachTo?: string;
  readonly sleepable: boolean;
  readonly frags: boolean;
  /** False for SEC("?...") programs, which libbpf does not load unless asked. */
  readonly autoload: boolean;
  readonly license: string;
  /** Linked instructions: the entry function, then every reachable subprogram. */
  readonly instructions: Uint8Array;
  readonly slotCount: number;
  /** The entry function first, then appended subprograms in placement order. */
  readonly functions: readonly ProgramFunction[];
  /** Sorted by pc, then kind. */
  readonly relocations: readonly ProgramRelocation[];
  readonly funcInfo: readonly ProgramFuncInfo[];
  readonly lineInfo: readonly ProgramLineInfo[];
}

export type MapDefinitionKind = 'legacy' | 'btf' | 'data' | 'kconfig';

/** One initialiser slot of a map-in-map or prog array (`.values = { [i] = &x }`). */
export interface MapSlot { readonly index: number; readonly map?: string; readonly program?: string }

export interface DataVariable { readonly name: string; readonly offset: number; readonly size: number; readonly typeId?: number; readonly global: boolean }

export interface MapSpec {
  readonly name: string;
  readonly section: string;
  readonly definition: MapDefinitionKind;
  readonly type: number;
  readonly typeName: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly pinning: number;
  readonly numaNode: number;
  readonly mapExtra: number;
  /** BTF type ids of key and value, when declared with __type. */
  readonly keyType?: number;
  readonly valueType?: number;
  /** map-in-map: the inner map's template. */
  readonly innerMap?: MapSpec;
  /** Initial contents of map-in-map / prog-array slots, by index. */
  readonly slots?: readonly MapSlot[];
  /** Global data maps: the section's initial bytes (zeros for .bss) and variables. */
  readonly data?: Uint8Array;
  readonly variables?: readonly DataVariable[];
  /** Read-only for programs (.rodata*, .kconfig): the runtime freezes it after setting values. */
  readonly readonly?: boolean;
}

export type ExternKind = 'kconfig' | 'ksym';
export interface ExternSpec {
  readonly name: string;
  readonly kind: ExternKind;
  readonly weak: boolean;
  /** kfunc (called) rather than a variable. */
  readonly func: boolean;
  /** BTF VAR/FUNC id of the declaration, when BTF is present. */
  readonly typeId?: number;
  /** kconfig: placement in the ".kconfig" map. */
  readonly offset?: number;
  readonly size?: number;
}

export interface ObjectSpec {
  readonly license: string;
  /** The "version" section (kernel version for old kprobe loaders). */
  readonly kernelVersion?: number;
  readonly programs: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  readonly externs: readonly ExternSpec[];
  readonly btf?: Btf;
  /**
   * Global subprograms with hidden or internal visibility (`__hidden`): libbpf marks their BTF FUNC
   * static (mark_btf_static), so the kernel verifies them with their callers' context, not on their own.
   */
  readonly hiddenFuncs?: readonly string[];
}

export interface ParseOptions {
  /**
   * Target (kernel) BTF for CO-RE. When given, CO-RE relocations are applied
   * and their results recorded; otherwise they are left for the runtime.
   */
  readonly targetBtf?: Btf;
}
