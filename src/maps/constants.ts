/**
 * The kernel's UAPI numbers for maps (include/uapi/linux/bpf.h) and the
 * errnos map operations return, named once for the whole engine.
 */

/** enum bpf_map_type */
export const MAP_TYPE = {
  unspec: 0,
  hash: 1,
  array: 2,
  prog_array: 3,
  perf_event_array: 4,
  percpu_hash: 5,
  percpu_array: 6,
  stack_trace: 7,
  cgroup_array: 8,
  lru_hash: 9,
  lru_percpu_hash: 10,
  lpm_trie: 11,
  array_of_maps: 12,
  hash_of_maps: 13,
  devmap: 14,
  sockmap: 15,
  cpumap: 16,
  xskmap: 17,
  sockhash: 18,
  cgroup_storage: 19,
  reuseport_sockarray: 20,
  percpu_cgroup_storage: 21,
  queue: 22,
  stack: 23,
  sk_storage: 24,
  devmap_hash: 25,
  struct_ops: 26,
  ringbuf: 27,
  inode_storage: 28,
  task_storage: 29,
  bloom_filter: 30,
  user_ringbuf: 31,
  cgrp_storage: 32,
  arena: 33,
} as const;
export type MapTypeName = keyof typeof MAP_TYPE;
/** One past the last map type the kernel knows. */
export const MAP_TYPE_MAX = 34;

export function mapTypeName(t: number): MapTypeName | undefined {
  for (const [k, v] of Object.entries(MAP_TYPE)) if (v === t) return k as MapTypeName;
  return undefined;
}

/** Map creation flags (map_flags). */
export const MAP_FLAG = {
  NO_PREALLOC: 1 << 0,
  NO_COMMON_LRU: 1 << 1,
  NUMA_NODE: 1 << 2,
  RDONLY: 1 << 3,
  WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5,
  ZERO_SEED: 1 << 6,
  RDONLY_PROG: 1 << 7,
  WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9,
  MMAPABLE: 1 << 10,
  PRESERVE_ELEMS: 1 << 11,
  INNER_MAP: 1 << 12,
  LINK: 1 << 13,
  PATH_FD: 1 << 14,
  VTYPE_BTF_OBJ_FD: 1 << 15,
  TOKEN_FD: 1 << 16,
  SEGV_ON_FAULT: 1 << 17,
  NO_USER_CONV: 1 << 18,
} as const;

/** Element update flags. */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** bpf_ringbuf_* flags and bpf_ringbuf_query selectors. */
export const BPF_RB_NO_WAKEUP = 1;
export const BPF_RB_FORCE_WAKEUP = 2;
export const BPF_RB_AVAIL_DATA = 0;
export const BPF_RB_RING_SIZE = 1;
export const BPF_RB_CONS_POS = 2;
export const BPF_RB_PROD_POS = 3;
export const BPF_RINGBUF_BUSY_BIT = 0x8000_0000;
export const BPF_RINGBUF_DISCARD_BIT = 0x4000_0000;
export const BPF_RINGBUF_HDR_SZ = 8;

/** enum bpf_cmd (the map commands). */
export const BPF_CMD = {
  MAP_CREATE: 0,
  MAP_LOOKUP_ELEM: 1,
  MAP_UPDATE_ELEM: 2,
  MAP_DELETE_ELEM: 3,
  MAP_GET_NEXT_KEY: 4,
  MAP_GET_NEXT_ID: 12,
  MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15,
  MAP_LOOKUP_AND_DELETE_ELEM: 21,
  MAP_FREEZE: 22,
  MAP_LOOKUP_BATCH: 24,
  MAP_LOOKUP_AND_DELETE_BATCH: 25,
  MAP_UPDATE_BATCH: 26,
  MAP_DELETE_BATCH: 27,
} as const;

/** The errnos map operations return (Linux numbering). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSOCK: 88,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;
export type ErrnoName = keyof typeof ERRNO;

export function errnoName(n: number): ErrnoName | undefined {
  for (const [k, v] of Object.entries(ERRNO)) if (v === n) return k as ErrnoName;
  return undefined;
}

/** Kernel limits used by the attribute checks. */
export const BPF_OBJ_NAME_LEN = 16;
export const MAX_BPF_STACK = 512;
/** KMALLOC_MAX_SIZE on x86-64 (order-10 pages). */
export const KMALLOC_MAX_SIZE = 1 << 22;
/** PCPU_MIN_UNIT_SIZE: the largest per-CPU value. */
export const PCPU_MIN_UNIT_SIZE = 32768;
export const LPM_DATA_SIZE_MAX = 256;
export const PAGE_SIZE = 4096;
export const BLOOM_NR_HASH_FUNCS_MASK = 0xf;

/** bpf_perf_event_output flags: the array index (BPF_F_CURRENT_CPU: this CPU's), and skb/xdp's packet bytes to append. */
export const BPF_F_INDEX_MASK = 0xffffffffn;
export const BPF_F_CURRENT_CPU = 0xffffffffn;
export const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;
/** perf_event_open attributes of the events perf event arrays hold. */
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_COUNT_SW_BPF_OUTPUT = 10;
/** enum perf_event_type: the records of a perf buffer. */
export const PERF_RECORD_LOST = 2;
export const PERF_RECORD_SAMPLE = 9;
/** bpf_redirect_map flags (devmaps only) and the XDP actions whose low bits name the fallback. */
export const BPF_F_BROADCAST = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;
/** struct bpf_cpumap_val.qsize limit (cpu_map_update_elem). */
export const CPUMAP_QSIZE_MAX = 16384;
/** CONFIG_NR_CPUS of the reference kernel (the differential test checks cpumap's limit against it). */
export const NR_CPUS = 256;
/** sysctl kernel.perf_event_max_stack (its default): the deepest stack a stack map or bpf_get_stack records. */
export const PERF_MAX_STACK = 127;
/** bpf_get_stackid / bpf_get_stack flags. */
export const BPF_F_SKIP_FIELD_MASK = 0xff;
export const BPF_F_USER_STACK = 1 << 8;
export const BPF_F_FAST_STACK_CMP = 1 << 9;
export const BPF_F_REUSE_STACKID = 1 << 10;
export const BPF_F_USER_BUILD_ID = 1 << 11;
/**
 * BPF_LOCAL_STORAGE_MAX_VALUE_SIZE: U16_MAX less sizeof(struct bpf_local_storage_elem) on x86-64
 * (found with the kernel differential).
 */
export const LOCAL_STORAGE_MAX_VALUE = 65535 - 128;
