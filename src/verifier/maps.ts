/**
 * Map types as the verifier sees them: the kernel's enum bpf_map_type values
 * (printed in messages) and the map-type/helper compatibility rules of
 * check_map_func_compatibility.
 */
export const MAP_TYPE_IDS = {
  unspec: 0, hash: 1, array: 2, prog_array: 3, perf_event_array: 4, percpu_hash: 5, percpu_array: 6,
  stack_trace: 7, cgroup_array: 8, lru_hash: 9, lru_percpu_hash: 10, lpm_trie: 11, array_of_maps: 12,
  hash_of_maps: 13, devmap: 14, sockmap: 15, cpumap: 16, xskmap: 17, sockhash: 18, cgroup_storage: 19,
  reuseport_sockarray: 20, percpu_cgroup_storage: 21, queue: 22, stack: 23, sk_storage: 24, devmap_hash: 25,
  struct_ops: 26, ringbuf: 27, inode_storage: 28, task_storage: 29, bloom_filter: 30, user_ringbuf: 31,
  cgrp_storage: 32, arena: 33,
} as const;
export type MapTypeName = keyof typeof MAP_TYPE_IDS;

export interface VerifierMap {
  readonly type: MapTypeName | number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly name?: string;
}

export function mapTypeId(t: MapTypeName | number): number {
  return typeof t === 'number' ? t : MAP_TYPE_IDS[t];
}

/** Maps whose type limits the helpers that may take them. */
const MAP_ONLY_FUNCS: Partial<Record<number, readonly string[]>> = {
  [MAP_TYPE_IDS.prog_array]: ['bpf_tail_call'],
  [MAP_TYPE_IDS.perf_event_array]: ['bpf_perf_event_read', 'bpf_perf_event_output', 'bpf_perf_event_read_value', 'bpf_skb_output', 'bpf_xdp_output'],
  [MAP_TYPE_IDS.ringbuf]: ['bpf_ringbuf_output', 'bpf_ringbuf_reserve', 'bpf_ringbuf_query', 'bpf_ringbuf_reserve_dynptr'],
  [MAP_TYPE_IDS.stack_trace]: ['bpf_get_stackid'],
  [MAP_TYPE_IDS.devmap]: ['bpf_redirect_map', 'bpf_map_lookup_elem'],
  [MAP_TYPE_IDS.devmap_hash]: ['bpf_redirect_map', 'bpf_map_lookup_elem'],
  [MAP_TYPE_IDS.cpumap]: ['bpf_redirect_map'],
  [MAP_TYPE_IDS.xskmap]: ['bpf_redirect_map', 'bpf_map_lookup_elem'],
};
/** Helpers that accept only some map types. */
const FUNC_ONLY_MAPS: Record<string, readonly number[]> = {
  bpf_tail_call: [MAP_TYPE_IDS.prog_array],
  bpf_perf_event_read: [MAP_TYPE_IDS.perf_event_array],
  bpf_perf_event_output: [MAP_TYPE_IDS.perf_event_array],
  bpf_get_stackid: [MAP_TYPE_IDS.stack_trace],
  bpf_redirect_map: [MAP_TYPE_IDS.devmap, MAP_TYPE_IDS.devmap_hash, MAP_TYPE_IDS.cpumap, MAP_TYPE_IDS.xskmap],
  bpf_ringbuf_output: [MAP_TYPE_IDS.ringbuf],
  bpf_ringbuf_reserve: [MAP_TYPE_IDS.ringbuf],
  bpf_ringbuf_query: [MAP_TYPE_IDS.ringbuf],
};

/** True when the helper may be passed a map of this type. */
export function mapFuncCompatible(mapType: number, helper: string): boolean {
  const only = MAP_ONLY_FUNCS[mapType];
  if (only && !only.includes(helper)) return false;
  const maps = FUNC_ONLY_MAPS[helper];
  return !maps || maps.includes(mapType);
}
