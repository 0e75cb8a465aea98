/**
 * Helpers registered elsewhere that the socket program types may also call
 * (the kernel's sk_skb_func_proto, sk_msg_func_proto, sock_ops_func_proto,
 * cg_sockopt_func_proto, sk_reuseport_func_proto, lirc_mode2_func_proto),
 * by helper name. installHelperProtos merges them into the prototypes'
 * program-type lists; the socket types' own helpers are registered with
 * theirs (sk-skb.ts, sk-msg.ts, sock-ops.ts, cgroup-sockopt.ts,
 * sk-reuseport.ts, lirc.ts).
 */
import type { HelperRegistry } from './table.js';
import type { ProgramTypeName } from '../programs/types.js';

export const SOCK_PROG_HELPER_TYPES: Readonly<Record<string, readonly ProgramTypeName[]>> = {
  bpf_skb_load_bytes: ['sk_skb', 'sk_reuseport'],
  bpf_skb_store_bytes: ['sk_skb'],
  bpf_skb_pull_data: ['sk_skb'],
  bpf_skb_change_tail: ['sk_skb'],
  bpf_skb_change_head: ['sk_skb'],
  bpf_skb_adjust_room: ['sk_skb'],
  bpf_get_socket_uid: ['sk_skb'],
  // sk_reuseport's takes a socket pointer (bpf_get_socket_ptr_cookie): not this prototype
  bpf_get_socket_cookie: ['sk_skb', 'sock_ops'],
  bpf_perf_event_output: ['sk_msg', 'sock_ops'],
  bpf_get_cgroup_classid: ['sk_msg'],
};

/** Adds the socket types to the program-type lists of the helpers above. */
export function mergeSockProgHelperTypes(registry: HelperRegistry): void {
  for (const [name, types] of Object.entries(SOCK_PROG_HELPER_TYPES)) {
    const spec = registry.byHelperName(name);
    if (!spec || spec.programTypes === 'all' || spec.programTypes === undefined) continue;
    spec.programTypes = [...new Set([...spec.programTypes, ...types])];
  }
}
