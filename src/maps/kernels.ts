/**
 * Loading the AssemblyScript map kernels (`assembly/`, built to
 * dist/assembly/maps.wasm and maps.shared.wasm) over the machine's memory.
 * Each simulated CPU (worker thread) instantiates the module once over the
 * same memory; the heap's state lives in memory, so instances agree.
 */
import type { MemoryLayout } from '../runtime/layout.js';

/** The kernels' exports, as the host and the interpreter call them. */
export interface MapKernelExports {
  maps_init(heapBase: number, cpus: number): number;
  set_cpu(cpu: number): void;
  get_cpu(): number;
  get_ncpus(): number;
  heap_alloc(size: number): number;
  heap_free(ptr: number): void;
  heap_brk(): number;
  map_create(type: number, keySize: number, valueSize: number, maxEntries: number, flags: number, extra: number, spinOff: number, seed: number): number;
  map_free(map: number): void;
  map_count(map: number): number;
  map_lookup_elem(map: number, key: number): number;
  map_update_elem(map: number, key: number, value: number, flags: bigint): bigint;
  map_delete_elem(map: number, key: number): bigint;
  map_push_elem(map: number, value: number, flags: bigint): bigint;
  map_pop_elem(map: number, value: number): bigint;
  map_peek_elem(map: number, value: number): bigint;
  map_lookup_percpu_elem(map: number, key: number, cpu: number): number;
  spin_lock(lock: number): bigint;
  spin_unlock(lock: number): bigint;
  prog_array_get(map: number, index: number): number;
  perf_event_output(ctx: number, map: number, flags: bigint, data: number, size: bigint): bigint;
  perf_event_create(type: number, config: number, oncpu: number, dataBytes: number, id: bigint): number;
  perf_event_free(ev: number): void;
  get_stackid(ctx: number, map: number, flags: bigint): bigint;
  get_stack(ctx: number, buf: number, size: bigint, flags: bigint): bigint;
  callchain_area(cpu: number): number;
  sk_redirect_map(ctx: number, map: number, key: bigint, flags: bigint): bigint;
  msg_redirect_map(ctx: number, map: number, key: bigint, flags: bigint): bigint;
  sk_redirect_hash(ctx: number, map: number, key: number, flags: bigint): bigint;
  msg_redirect_hash(ctx: number, map: number, key: number, flags: bigint): bigint;
  current_task_under_cgroup(map: number, idx: bigint): bigint;
  skb_under_cgroup(ctx: number, map: number, idx: bigint): bigint;
  get_local_storage(map: number, flags: bigint): number;
  current_area(cpu: number): number;
  /** A BPF_PROG_TEST_RUN call starts on `cpu`: its cgroup storages are zeroed (assembly/cgroup.ts). */
  test_run_storage_reset(cpu: number): void;
  storage_get(map: number, owner: number, value: number, flags: bigint): number;
  storage_delete(map: number, owner: number): bigint;
  current_task(): number;
  redirect_map(map: number, key: bigint, flags: bigint): bigint;
  redirect_record(cpu: number): number;
  redirect_reset(cpu: number): void;
  ringbuf_output(map: number, data: number, size: bigint, flags: bigint): bigint;
  ringbuf_reserve(map: number, size: bigint, flags: bigint): number;
  ringbuf_submit(sample: number, flags: bigint): bigint;
  ringbuf_discard(sample: number, flags: bigint): bigint;
  ringbuf_query(map: number, flags: bigint): bigint;
  sys_lookup(map: number, key: number, out: number, flags: bigint): number;
  sys_update(map: number, key: number, value: number, flags: bigint): number;
  sys_delete(map: number, key: number): number;
  sys_get_next_key(map: number, key: number, next: number): number;
  sys_lookup_and_delete(map: number, key: number, out: number, flags: bigint): number;
}

export interface MapKernels {
  readonly exports: MapKernelExports;
  readonly instance: WebAssembly.Instance;
  readonly memory: WebAssembly.Memory;
  readonly layout: MemoryLayout;
}

/** Where the build puts the kernels, relative to this module (dist/src/maps → dist/assembly). */
export const MAP_KERNELS_WASM_URL = new URL('../../assembly/maps.wasm', import.meta.url);
export const MAP_KERNELS_SHARED_WASM_URL = new URL('../../assembly/maps.shared.wasm', import.meta.url);

/**
 * Instantiates the kernels over `memory` (the variant must match its
 * sharedness) for one simulated CPU. The first instance initialises the heap.
 */
export async function instantiateMapKernels(
  module: WebAssembly.Module | BufferSource,
  memory: WebAssembly.Memory,
  layout: MemoryLayout,
  cpu = 0,
): Promise<MapKernels> {
  const mod = module instanceof WebAssembly.Module ? module : await WebAssembly.compile(module);
  const instance = await WebAssembly.instantiate(mod, { env: { memory } });
  const exports = instance.exports as unknown as MapKernelExports;
  exports.maps_init(layout.heapBase, layout.cpus);
  exports.set_cpu(cpu);
  return { exports, instance, memory, layout };
}

/** Synchronous variant for an already compiled module. */
export function instantiateMapKernelsSync(module: WebAssembly.Module, memory: WebAssembly.Memory, layout: MemoryLayout, cpu = 0): MapKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as MapKernelExports;
  exports.maps_init(layout.heapBase, layout.cpus);
  exports.set_cpu(cpu);
  return { exports, instance, memory, layout };
}
