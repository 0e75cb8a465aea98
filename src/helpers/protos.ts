/**
 * Verifier prototypes of the common helpers (the kernel's bpf_func_proto):
 * return type, argument types, GPL-only flag, packet-changing flag and the
 * program types whose get_func_proto offers them.
 */
import type { HelperProto, HelperRegistry, HelperArgType as A, HelperRetType } from './table.js';
import type { ProgramTypeName } from '../programs/types.js';
import { MAP_HELPERS } from './maps.js';
import { mergeSockProgHelperTypes } from './sock-types.js';

const SKB: readonly ProgramTypeName[] = ['socket_filter', 'sched_cls', 'sched_act', 'cgroup_skb'];
const TC: readonly ProgramTypeName[] = ['sched_cls', 'sched_act'];
const TRACING: readonly ProgramTypeName[] = ['kprobe', 'tracepoint', 'raw_tracepoint', 'perf_event', 'raw_tracepoint_writable'];
const NET: readonly ProgramTypeName[] = [...SKB, 'xdp'];

type Row = readonly [name: string, ret: HelperRetType, args: readonly A[], gplOnly: boolean, types: readonly ProgramTypeName[] | 'all', changesPacket?: boolean];

/** Size arguments follow their memory argument, as in the kernel. */
export const HELPER_PROTOS: readonly Row[] = [
  ['bpf_map_lookup_elem', 'ptr_to_map_value_or_null', ['const_map_ptr', 'ptr_to_map_key'], false, 'all'],
  ['bpf_map_update_elem', 'integer', ['const_map_ptr', 'ptr_to_map_key', 'ptr_to_map_value', 'anything'], false, 'all'],
  ['bpf_map_delete_elem', 'integer', ['const_map_ptr', 'ptr_to_map_key'], false, 'all'],
  ['bpf_map_push_elem', 'integer', ['const_map_ptr', 'ptr_to_map_value', 'anything'], false, 'all'],
  ['bpf_map_pop_elem', 'integer', ['const_map_ptr', 'ptr_to_uninit_map_value'], false, 'all'],
  ['bpf_map_peek_elem', 'integer', ['const_map_ptr', 'ptr_to_uninit_map_value'], false, 'all'],
  ['bpf_probe_read', 'integer', ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'], true, TRACING],
  ['bpf_probe_read_str', 'integer', ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'], true, TRACING],
  ['bpf_probe_read_user', 'integer', ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'], true, 'all'],
  ['bpf_probe_read_kernel', 'integer', ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'], true, 'all'],
  ['bpf_probe_read_user_str', 'integer', ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'], true, 'all'],
  ['bpf_probe_read_kernel_str', 'integer', ['ptr_to_uninit_mem', 'const_size_or_zero', 'anything'], true, 'all'],
  ['bpf_ktime_get_ns', 'integer', [], false, 'all'],
  ['bpf_ktime_get_boot_ns', 'integer', [], false, 'all'],
  ['bpf_ktime_get_coarse_ns', 'integer', [], false, NET],
  ['bpf_jiffies64', 'integer', [], false, 'all'],
  ['bpf_trace_printk', 'integer', ['ptr_to_mem', 'const_size'], true, 'all'],
  ['bpf_get_prandom_u32', 'integer', [], false, 'all'],
  ['bpf_get_smp_processor_id', 'integer', [], false, 'all'],
  ['bpf_get_numa_node_id', 'integer', [], false, 'all'],
  ['bpf_tail_call', 'void', ['ptr_to_ctx', 'const_map_ptr', 'anything'], false, 'all'],
  ['bpf_get_current_pid_tgid', 'integer', [], false, 'all'],
  ['bpf_get_current_uid_gid', 'integer', [], false, 'all'],
  ['bpf_get_current_comm', 'integer', ['ptr_to_uninit_mem', 'const_size'], false, 'all'],
  ['bpf_get_current_task', 'integer', [], true, 'all'],
  ['bpf_get_current_cgroup_id', 'integer', [], false, 'all'],
  ['bpf_get_cgroup_classid', 'integer', [], false, 'all'],
  ['bpf_skb_store_bytes', 'integer', ['ptr_to_ctx', 'anything', 'ptr_to_mem', 'const_size', 'anything'], false, TC, true],
  ['bpf_skb_load_bytes', 'integer', ['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size'], false, [...SKB, 'sk_skb']],
  ['bpf_l3_csum_replace', 'integer', ['ptr_to_ctx', 'anything', 'anything', 'anything', 'anything'], false, TC, true],
  ['bpf_l4_csum_replace', 'integer', ['ptr_to_ctx', 'anything', 'anything', 'anything', 'anything'], false, TC, true],
  ['bpf_csum_diff', 'integer', ['ptr_to_mem_or_null', 'const_size_or_zero', 'ptr_to_mem_or_null', 'const_size_or_zero', 'anything'], false, [...TC, 'xdp', 'lwt_in', 'lwt_out', 'lwt_xmit']],
  ['bpf_clone_redirect', 'integer', ['ptr_to_ctx', 'anything', 'anything'], false, TC, true],
  ['bpf_redirect', 'integer', ['anything', 'anything'], false, [...TC, 'xdp', 'lwt_xmit']],
  ['bpf_redirect_map', 'integer', ['const_map_ptr', 'anything', 'anything'], false, ['xdp']],
  ['bpf_get_hash_recalc', 'integer', ['ptr_to_ctx'], false, TC],
  ['bpf_get_socket_cookie', 'integer', ['ptr_to_ctx'], false, SKB],
  ['bpf_perf_event_output', 'integer', ['ptr_to_ctx', 'const_map_ptr', 'anything', 'ptr_to_mem', 'const_size_or_zero'], true, [...TRACING, ...NET]],
  ['bpf_perf_event_read', 'integer', ['const_map_ptr', 'anything'], true, TRACING],
  ['bpf_get_stackid', 'integer', ['ptr_to_ctx', 'const_map_ptr', 'anything'], true, TRACING],
  ['bpf_xdp_adjust_head', 'integer', ['ptr_to_ctx', 'anything'], false, ['xdp'], true],
  ['bpf_xdp_adjust_tail', 'integer', ['ptr_to_ctx', 'anything'], false, ['xdp'], true],
  ['bpf_xdp_adjust_meta', 'integer', ['ptr_to_ctx', 'anything'], false, ['xdp'], true],
  ['bpf_skb_pull_data', 'integer', ['ptr_to_ctx', 'anything'], false, TC, true],
  ['bpf_skb_change_tail', 'integer', ['ptr_to_ctx', 'anything', 'anything'], false, TC, true],
  ['bpf_skb_vlan_push', 'integer', ['ptr_to_ctx', 'anything', 'anything'], false, TC, true],
  ['bpf_skb_vlan_pop', 'integer', ['ptr_to_ctx'], false, TC, true],
  ['bpf_ringbuf_output', 'integer', ['const_map_ptr', 'ptr_to_mem', 'const_size_or_zero', 'anything'], false, 'all'],
  ['bpf_ringbuf_reserve', 'ptr_to_alloc_mem_or_null', ['const_map_ptr', 'const_alloc_size_or_zero', 'anything'], false, 'all'],
  ['bpf_ringbuf_submit', 'void', ['ptr_to_alloc_mem', 'anything'], false, 'all'],
  ['bpf_ringbuf_discard', 'void', ['ptr_to_alloc_mem', 'anything'], false, 'all'],
  ['bpf_ringbuf_query', 'integer', ['const_map_ptr', 'anything'], false, 'all'],
  ['bpf_loop', 'integer', ['anything', 'ptr_to_func', 'ptr_to_stack_or_null', 'anything'], false, 'all'],
  ['bpf_for_each_map_elem', 'integer', ['const_map_ptr', 'ptr_to_func', 'ptr_to_stack_or_null', 'anything'], false, 'all'],
  ['bpf_spin_lock', 'void', ['ptr_to_spin_lock'], false, 'all'],
  ['bpf_spin_unlock', 'void', ['ptr_to_spin_lock'], false, 'all'],
  // fmt: ptr_to_const_str (a frozen read-only map value); the verifier checks the format against data_len / 8 arguments
  ['bpf_snprintf', 'integer', ['ptr_to_uninit_mem', 'const_size_or_zero', 'ptr_to_const_str', 'ptr_to_mem_or_null', 'const_size_or_zero'], true, 'all'],
  ['bpf_check_mtu', 'integer', ['ptr_to_ctx', 'anything', 'ptr_to_int', 'anything', 'anything'], false, [...TC, 'xdp']],
  ['bpf_xdp_load_bytes', 'integer', ['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size'], false, ['xdp']],
  ['bpf_xdp_store_bytes', 'integer', ['ptr_to_ctx', 'anything', 'ptr_to_mem', 'const_size'], false, ['xdp']],
  ['bpf_get_current_task_btf', 'ptr_to_btf_id', [], true, TRACING],
];

/** Installs the prototypes onto a registry (idempotent). */
export function installHelperProtos(registry: HelperRegistry): HelperRegistry {
  for (const [name, ret, args, gplOnly, types, changesPacket] of HELPER_PROTOS) {
    const spec = registry.byHelperName(name);
    if (!spec) continue;
    const proto: HelperProto = changesPacket ? { ret, args, gplOnly, changesPacket } : { ret, args, gplOnly };
    spec.proto = proto;
    spec.programTypes = types;
  }
  // the map kernels' helpers carry their prototypes in src/helpers/maps.ts
  for (const h of MAP_HELPERS) {
    const spec = registry.get(h.id);
    if (spec && !spec.proto) { spec.proto = h.proto; spec.programTypes = h.programTypes ?? 'all'; }
  }
  mergeSockProgHelperTypes(registry);
  return registry;
}
