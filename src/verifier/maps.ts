/**
 * Map types as the verifier sees them: the kernel's enum bpf_map_type values
 * (printed in messages) and the map-type/helper compatibility rules of
 * check_map_func_compatibility.
 */
import { MAP_TYPE, type MapTypeName } from '../maps/constants.js';
/** enum bpf_map_type, shared with the maps API. */
export const MAP_TYPE_IDS = MAP_TYPE;
export type { MapTypeName };

export interface VerifierMap {
  readonly type: MapTypeName | number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly name?: string;
  /** array_of_maps / hash_of_maps: the inner map template (lookups yield a pointer to a map like it). */
  readonly inner?: VerifierMap;
  /** The map was created with BTF key/value types (bpf_spin_lock needs them). */
  readonly btf?: boolean;
  /** Offset of the value's `struct bpf_spin_lock`, found in the value's BTF (the kernel's btf_record). */
  readonly spinLockOff?: number;
  /**
   * Contents of a map programs cannot change: BPF_F_RDONLY_PROG and frozen (libbpf's .rodata).
   * bpf_map_is_rdonly holds only with these; ARG_PTR_TO_CONST_STR reads its strings from them.
   */
  readonly frozenData?: Uint8Array;
}

/** sizeof(struct bpf_spin_lock). */
export const SPIN_LOCK_BYTES = 4;
/** BPF_F_RDONLY_PROG: programs may only read the map. */
export const BPF_F_RDONLY_PROG = 0x80;

/** bpf_map_is_rdonly: read-only for programs and frozen. */
export function mapIsRdonly(m: VerifierMap): boolean {
  return ((m.flags ?? 0) & BPF_F_RDONLY_PROG) !== 0 && m.frozenData !== undefined;
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
  [MAP_TYPE_IDS.cgroup_array]: ['bpf_skb_under_cgroup', 'bpf_current_task_under_cgroup'],
  [MAP_TYPE_IDS.cgroup_storage]: ['bpf_get_local_storage'],
  [MAP_TYPE_IDS.percpu_cgroup_storage]: ['bpf_get_local_storage'],
  [MAP_TYPE_IDS.sockmap]: ['bpf_sk_redirect_map', 'bpf_sock_map_update', 'bpf_msg_redirect_map', 'bpf_sk_select_reuseport', 'bpf_map_lookup_elem', 'bpf_map_update_elem', 'bpf_map_delete_elem'],
  [MAP_TYPE_IDS.sockhash]: ['bpf_sk_redirect_hash', 'bpf_sock_hash_update', 'bpf_msg_redirect_hash', 'bpf_sk_select_reuseport', 'bpf_map_lookup_elem', 'bpf_map_update_elem', 'bpf_map_delete_elem'],
  [MAP_TYPE_IDS.reuseport_sockarray]: ['bpf_sk_select_reuseport'],
  [MAP_TYPE_IDS.sk_storage]: ['bpf_sk_storage_get', 'bpf_sk_storage_delete', 'bpf_kptr_xchg'],
  [MAP_TYPE_IDS.inode_storage]: ['bpf_inode_storage_get', 'bpf_inode_storage_delete', 'bpf_kptr_xchg'],
  [MAP_TYPE_IDS.task_storage]: ['bpf_task_storage_get', 'bpf_task_storage_delete', 'bpf_kptr_xchg'],
  [MAP_TYPE_IDS.cgrp_storage]: ['bpf_cgrp_storage_get', 'bpf_cgrp_storage_delete', 'bpf_kptr_xchg'],
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
  bpf_skb_under_cgroup: [MAP_TYPE_IDS.cgroup_array],
  bpf_current_task_under_cgroup: [MAP_TYPE_IDS.cgroup_array],
  bpf_get_local_storage: [MAP_TYPE_IDS.cgroup_storage, MAP_TYPE_IDS.percpu_cgroup_storage],
  bpf_sk_redirect_map: [MAP_TYPE_IDS.sockmap],
  bpf_msg_redirect_map: [MAP_TYPE_IDS.sockmap],
  bpf_sock_map_update: [MAP_TYPE_IDS.sockmap],
  bpf_sk_redirect_hash: [MAP_TYPE_IDS.sockhash],
  bpf_msg_redirect_hash: [MAP_TYPE_IDS.sockhash],
  bpf_sock_hash_update: [MAP_TYPE_IDS.sockhash],
  bpf_sk_select_reuseport: [MAP_TYPE_IDS.reuseport_sockarray, MAP_TYPE_IDS.sockmap, MAP_TYPE_IDS.sockhash],
  bpf_sk_storage_get: [MAP_TYPE_IDS.sk_storage],
  bpf_sk_storage_delete: [MAP_TYPE_IDS.sk_storage],
  bpf_inode_storage_get: [MAP_TYPE_IDS.inode_storage],
  bpf_inode_storage_delete: [MAP_TYPE_IDS.inode_storage],
  bpf_task_storage_get: [MAP_TYPE_IDS.task_storage],
  bpf_task_storage_delete: [MAP_TYPE_IDS.task_storage],
  bpf_cgrp_storage_get: [MAP_TYPE_IDS.cgrp_storage],
  bpf_cgrp_storage_delete: [MAP_TYPE_IDS.cgrp_storage],
};

/** True when the helper may be passed a map of this type. */
export function mapFuncCompatible(mapType: number, helper: string): boolean {
  const only = MAP_ONLY_FUNCS[mapType];
  if (only && !only.includes(helper)) return false;
  const maps = FUNC_ONLY_MAPS[helper];
  return !maps || maps.includes(mapType);
}
