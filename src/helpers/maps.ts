/**
 * The map helpers as `kernel` implementations: exports of the AssemblyScript
 * kernels that JIT code calls wasm→wasm and the interpreter calls through the
 * export. Pointers are i32, u64 flags and sizes i64; results that may be a
 * negative errno are i64 so they reach r0 sign-extended.
 */
import type { HelperRegistry, HelperProto, HelperImpl } from './table.js';
import type { MapKernels } from '../maps/kernels.js';
import type { ProgramTypeName } from '../programs/types.js';

type Sig = HelperImpl['kernel'] & {};

interface MapHelper { id: number; export: string; params: Sig['params']; result: Sig['result']; proto: HelperProto; programTypes?: readonly ProgramTypeName[] }

const gpl = false;
/** The tracing program types (the kernel's bpf_tracing_func_proto users). */
const TRACING: readonly ProgramTypeName[] = ['kprobe', 'tracepoint', 'raw_tracepoint', 'perf_event', 'raw_tracepoint_writable'];
export const MAP_HELPERS: readonly MapHelper[] = [
  { id: 1, export: 'map_lookup_elem', params: ['i32', 'i32'], result: 'i32', proto: { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_map_key'], gplOnly: gpl } },
  { id: 2, export: 'map_update_elem', params: ['i32', 'i32', 'i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_map_key', 'ptr_to_map_value', 'anything'], gplOnly: gpl } },
  { id: 3, export: 'map_delete_elem', params: ['i32', 'i32'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_map_key'], gplOnly: gpl } },
  { id: 25, export: 'perf_event_output', params: ['i32', 'i32', 'i64', 'i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything', 'ptr_to_mem', 'const_size_or_zero'], gplOnly: true }, programTypes: [...TRACING, 'socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb', 'xdp'] },
  { id: 27, export: 'get_stackid', params: ['i32', 'i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything'], gplOnly: true }, programTypes: TRACING },
  { id: 67, export: 'get_stack', params: ['i32', 'i32', 'i64', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_uninit_mem', 'const_size_or_zero', 'anything'], gplOnly: true }, programTypes: TRACING },
  { id: 51, export: 'redirect_map', params: ['i32', 'i64', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'anything', 'anything'], gplOnly: gpl }, programTypes: ['xdp'] },
  { id: 52, export: 'sk_redirect_map', params: ['i32', 'i32', 'i64', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything', 'anything'], gplOnly: gpl }, programTypes: ['sk_skb'] },
  { id: 60, export: 'msg_redirect_map', params: ['i32', 'i32', 'i64', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything', 'anything'], gplOnly: gpl }, programTypes: ['sk_msg'] },
  { id: 71, export: 'msg_redirect_hash', params: ['i32', 'i32', 'i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything'], gplOnly: gpl }, programTypes: ['sk_msg'] },
  { id: 72, export: 'sk_redirect_hash', params: ['i32', 'i32', 'i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'ptr_to_map_key', 'anything'], gplOnly: gpl }, programTypes: ['sk_skb'] },
  { id: 33, export: 'skb_under_cgroup', params: ['i32', 'i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['ptr_to_ctx', 'const_map_ptr', 'anything'], gplOnly: gpl }, programTypes: ['sched_cls', 'sched_act'] },
  { id: 37, export: 'current_task_under_cgroup', params: ['i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'anything'], gplOnly: gpl }, programTypes: TRACING },
  { id: 81, export: 'get_local_storage', params: ['i32', 'i64'], result: 'i32', proto: { ret: 'ptr_to_map_value', args: ['const_map_ptr', 'anything'], gplOnly: gpl }, programTypes: ['cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'cgroup_device', 'cgroup_sysctl', 'cgroup_sockopt', 'sock_ops'] },
  { id: 107, export: 'storage_get', params: ['i32', 'i32', 'i32', 'i64'], result: 'i32', proto: { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_btf_id_sock_common', 'ptr_to_map_value_or_null', 'anything'], gplOnly: gpl }, programTypes: ['cgroup_skb', 'sched_cls', 'sched_act', 'sock_ops', 'cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt', 'sk_msg', 'tracing', 'lsm'] },
  { id: 108, export: 'storage_delete', params: ['i32', 'i32'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_btf_id_sock_common'], gplOnly: gpl }, programTypes: ['cgroup_skb', 'sched_cls', 'sched_act', 'sock_ops', 'cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt', 'sk_msg', 'tracing', 'lsm'] },
  { id: 145, export: 'storage_get', params: ['i32', 'i32', 'i32', 'i64'], result: 'i32', proto: { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_btf_id', 'ptr_to_map_value_or_null', 'anything'], gplOnly: gpl }, programTypes: ['lsm'] },
  { id: 146, export: 'storage_delete', params: ['i32', 'i32'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_btf_id'], gplOnly: gpl }, programTypes: ['lsm'] },
  { id: 156, export: 'storage_get', params: ['i32', 'i32', 'i32', 'i64'], result: 'i32', proto: { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_btf_id', 'ptr_to_map_value_or_null', 'anything'], gplOnly: gpl }, programTypes: [...TRACING, 'tracing', 'lsm'] },
  { id: 157, export: 'storage_delete', params: ['i32', 'i32'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_btf_id'], gplOnly: gpl }, programTypes: [...TRACING, 'tracing', 'lsm'] },
  { id: 210, export: 'storage_get', params: ['i32', 'i32', 'i32', 'i64'], result: 'i32', proto: { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_btf_id', 'ptr_to_map_value_or_null', 'anything'], gplOnly: gpl }, programTypes: [...TRACING, 'tracing', 'lsm', 'cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt', 'cgroup_sysctl'] },
  { id: 211, export: 'storage_delete', params: ['i32', 'i32'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_btf_id'], gplOnly: gpl }, programTypes: [...TRACING, 'tracing', 'lsm', 'cgroup_skb', 'cgroup_sock', 'cgroup_sock_addr', 'cgroup_sockopt', 'cgroup_sysctl'] },
  { id: 87, export: 'map_push_elem', params: ['i32', 'i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_map_value', 'anything'], gplOnly: gpl } },
  { id: 88, export: 'map_pop_elem', params: ['i32', 'i32'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_uninit_map_value'], gplOnly: gpl } },
  { id: 89, export: 'map_peek_elem', params: ['i32', 'i32'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_uninit_map_value'], gplOnly: gpl } },
  { id: 130, export: 'ringbuf_output', params: ['i32', 'i32', 'i64', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'ptr_to_mem', 'const_size_or_zero', 'anything'], gplOnly: gpl } },
  { id: 131, export: 'ringbuf_reserve', params: ['i32', 'i64', 'i64'], result: 'i32', proto: { ret: 'ptr_to_alloc_mem_or_null', args: ['const_map_ptr', 'const_alloc_size_or_zero', 'anything'], gplOnly: gpl } },
  { id: 132, export: 'ringbuf_submit', params: ['i32', 'i64'], result: 'i64', proto: { ret: 'void', args: ['ptr_to_alloc_mem', 'anything'], gplOnly: gpl } },
  { id: 133, export: 'ringbuf_discard', params: ['i32', 'i64'], result: 'i64', proto: { ret: 'void', args: ['ptr_to_alloc_mem', 'anything'], gplOnly: gpl } },
  { id: 134, export: 'ringbuf_query', params: ['i32', 'i64'], result: 'i64', proto: { ret: 'integer', args: ['const_map_ptr', 'anything'], gplOnly: gpl } },
  { id: 195, export: 'map_lookup_percpu_elem', params: ['i32', 'i32', 'i32'], result: 'i32', proto: { ret: 'ptr_to_map_value_or_null', args: ['const_map_ptr', 'ptr_to_map_key', 'anything'], gplOnly: gpl } },
  { id: 93, export: 'spin_lock', params: ['i32'], result: 'i64', proto: { ret: 'void', args: ['ptr_to_spin_lock'], gplOnly: gpl } },
  { id: 94, export: 'spin_unlock', params: ['i32'], result: 'i64', proto: { ret: 'void', args: ['ptr_to_spin_lock'], gplOnly: gpl } },
];

/**
 * Registers the map helpers on `registry`. With `kernels`, checks that every
 * named export exists (and is a function) in this build of the kernels.
 */
export function registerMapHelpers(registry: HelperRegistry, kernels?: MapKernels): void {
  for (const h of MAP_HELPERS) {
    if (kernels && typeof (kernels.instance.exports as Record<string, unknown>)[h.export] !== 'function') {
      throw new Error(`map kernels lack the export ${h.export} for helper ${h.id}`);
    }
    registry.register(h.id, { kernel: { export: h.export, params: h.params, result: h.result } }, { proto: h.proto, programTypes: h.programTypes ?? 'all' });
  }
}
