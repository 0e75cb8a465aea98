/**
 * Kernel UAPI numbers the loader needs (linux/bpf.h, libbpf's bpf_helpers.h).
 * The only place these appear in the loader.
 */

/** enum bpf_map_type. */
export const MapType = {
  UNSPEC: 0, HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11, ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17, SOCKHASH: 18, CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24,
  DEVMAP_HASH: 25, STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30,
  USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;
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
