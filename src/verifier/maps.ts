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
