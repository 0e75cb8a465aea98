/**
 * Kernel UAPI numbers the loader needs (linux/bpf.h, libbpf's bpf_helpers.h).
 * The only place these appear in the loader.
 */

import { MAP_TYPE } from '../maps/constants.js';

/** enum bpf_map_type, upper-cased as libbpf spells it (one table: src/maps/constants.ts). */
export const MapType = Object.fromEntries(Object.entries(MAP_TYPE).map(([k, v]) => [k.toUpperCase(), v])) as {
  readonly [K in keyof typeof MAP_TYPE as Uppercase<K>]: (typeof MAP_TYPE)[K];
};
export const MAP_TYPE_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(MapType).map(([k, v]) => [v, k]));

/** Map flags the loader sets on global-data maps (as libbpf does). */
export const BPF_F_RDONLY_PROG = 0x80;
export const BPF_F_MMAPABLE = 0x400;

/** enum libbpf_pin_type. */
export const PinType = { NONE: 0, BY_NAME: 1 } as const;

/** Size of a legacy `struct bpf_map_def` (type, key_size, value_size, max_entries, map_flags). */
export const LEGACY_MAP_DEF_SIZE = 20;

/** Well-known section names. */
export const Sections = {
  TEXT: '.text',
  LEGACY_MAPS: 'maps',
  BTF_MAPS: '.maps',
  LICENSE: 'license',
  VERSION: 'version',
  BTF: '.BTF',
  BTF_EXT: '.BTF.ext',
  KCONFIG: '.kconfig',
  KSYMS: '.ksyms',
  DATA: '.data',
  RODATA: '.rodata',
  BSS: '.bss',
} as const;

/**
 * Largest global-data section we materialise. A .bss (NOBITS) size is not
 * backed by file bytes, so without a bound a corrupt header could demand
 * terabytes; the kernel caps map values far below this anyway.
 */
export const MAX_GLOBAL_DATA_BYTES = 1 << 26;

/** Poison written over instructions whose CO-RE relocation failed (libbpf's). */
export const CORE_POISON_HELPER = 0xbad2310;
