/**
 * libbpf's SEC() conventions: which program type and expected attach type a
 * section name implies. Patterns (as in libbpf's section_defs):
 *   "name"   matches exactly,
 *   "name+"  matches "name" or "name/<target>" (target recorded as attachTo),
 *   "name/"  matches any "name/<suffix>".
 * The first matching row wins, so more specific rows come first. Sections
 * no row matches still yield programs, of type unspec (the caller decides).
 */

import type { ProgramTypeName } from '../programs/types.js';
export type { ProgramTypeName };

/** enum bpf_attach_type values, by name (without the BPF_ prefix). */
export const ATTACH_TYPES = {
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2, CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4, SK_SKB_STREAM_VERDICT: 5, CGROUP_DEVICE: 6, SK_MSG_VERDICT: 7, CGROUP_INET4_BIND: 8,
  CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11, CGROUP_INET4_POST_BIND: 12,
  CGROUP_INET6_POST_BIND: 13, CGROUP_UDP4_SENDMSG: 14, CGROUP_UDP6_SENDMSG: 15, LIRC_MODE2: 16,
  FLOW_DISSECTOR: 17, CGROUP_SYSCTL: 18, CGROUP_UDP4_RECVMSG: 19, CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22, TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25,
  MODIFY_RETURN: 26, LSM_MAC: 27, TRACE_ITER: 28, CGROUP_INET4_GETPEERNAME: 29, CGROUP_INET6_GETPEERNAME: 30,
  CGROUP_INET4_GETSOCKNAME: 31, CGROUP_INET6_GETSOCKNAME: 32, XDP_DEVMAP: 33, CGROUP_INET_SOCK_RELEASE: 34,
  XDP_CPUMAP: 35, SK_LOOKUP: 36, XDP: 37, SK_SKB_VERDICT: 38, SK_REUSEPORT_SELECT: 39,
  SK_REUSEPORT_SELECT_OR_MIGRATE: 40, PERF_EVENT: 41, TRACE_KPROBE_MULTI: 42, LSM_CGROUP: 43, STRUCT_OPS: 44,
  NETFILTER: 45, TCX_INGRESS: 46, TCX_EGRESS: 47, TRACE_UPROBE_MULTI: 48, CGROUP_UNIX_CONNECT: 49,
  CGROUP_UNIX_SENDMSG: 50, CGROUP_UNIX_RECVMSG: 51, CGROUP_UNIX_GETPEERNAME: 52, CGROUP_UNIX_GETSOCKNAME: 53,
  NETKIT_PRIMARY: 54, NETKIT_PEER: 55, TRACE_KPROBE_SESSION: 56, TRACE_UPROBE_SESSION: 57,
} as const;
export type AttachTypeName = keyof typeof ATTACH_TYPES;

export interface SectionDef {
  readonly pattern: string;
  readonly type: ProgramTypeName;
  readonly attach?: AttachTypeName;
  /** Program may sleep (".s" variants, syscall). */
  readonly sleepable?: boolean;
  /** XDP program handles multi-buffer packets (".frags"). */
  readonly frags?: boolean;
}

const d = (pattern: string, type: ProgramTypeName, attach?: AttachTypeName, extra: { sleepable?: boolean; frags?: boolean } = {}): SectionDef =>
  ({ pattern, type, ...(attach ? { attach } : {}), ...extra });
const S = { sleepable: true } as const;
const F = { frags: true } as const;

export const SECTION_DEFS: readonly SectionDef[] = [
  d('socket', 'socket_filter'),
  d('sk_reuseport/migrate', 'sk_reuseport', 'SK_REUSEPORT_SELECT_OR_MIGRATE'),
  d('sk_reuseport', 'sk_reuseport', 'SK_REUSEPORT_SELECT'),
  d('kprobe.multi+', 'kprobe', 'TRACE_KPROBE_MULTI'),
  d('kretprobe.multi+', 'kprobe', 'TRACE_KPROBE_MULTI'),
  d('kprobe.session+', 'kprobe', 'TRACE_KPROBE_SESSION'),
  d('uprobe.multi.s+', 'kprobe', 'TRACE_UPROBE_MULTI', S),
  d('uretprobe.multi.s+', 'kprobe', 'TRACE_UPROBE_MULTI', S),
  d('uprobe.session.s+', 'kprobe', 'TRACE_UPROBE_SESSION', S),
  d('uprobe.session+', 'kprobe', 'TRACE_UPROBE_SESSION'),
  d('uprobe.multi+', 'kprobe', 'TRACE_UPROBE_MULTI'),
  d('uretprobe.multi+', 'kprobe', 'TRACE_UPROBE_MULTI'),
  d('kprobe+', 'kprobe'),
  d('kretprobe+', 'kprobe'),
  d('uprobe.s+', 'kprobe', undefined, S),
  d('uretprobe.s+', 'kprobe', undefined, S),
  d('uprobe+', 'kprobe'),
  d('uretprobe+', 'kprobe'),
  d('ksyscall+', 'kprobe'),
  d('kretsyscall+', 'kprobe'),
  d('usdt.s+', 'kprobe', undefined, S),
  d('usdt+', 'kprobe'),
  d('tc/ingress', 'sched_cls', 'TCX_INGRESS'),
  d('tc/egress', 'sched_cls', 'TCX_EGRESS'),
  d('tcx/ingress', 'sched_cls', 'TCX_INGRESS'),
  d('tcx/egress', 'sched_cls', 'TCX_EGRESS'),
  d('netkit/primary', 'sched_cls', 'NETKIT_PRIMARY'),
  d('netkit/peer', 'sched_cls', 'NETKIT_PEER'),
  d('tc', 'sched_cls'),
  d('classifier', 'sched_cls'),
  d('action', 'sched_act'),
  d('tracepoint.s+', 'tracepoint', undefined, S),
  d('tp.s+', 'tracepoint', undefined, S),
  d('tracepoint+', 'tracepoint'),
  d('tp+', 'tracepoint'),
  d('raw_tracepoint.s+', 'raw_tracepoint', undefined, S),
  d('raw_tp.s+', 'raw_tracepoint', undefined, S),
  d('raw_tracepoint.w+', 'raw_tracepoint_writable'),
  d('raw_tp.w+', 'raw_tracepoint_writable'),
  d('raw_tracepoint+', 'raw_tracepoint'),
  d('raw_tp+', 'raw_tracepoint'),
  d('tp_btf.s+', 'tracing', 'TRACE_RAW_TP', S),
  d('tp_btf+', 'tracing', 'TRACE_RAW_TP'),
  d('fentry.s+', 'tracing', 'TRACE_FENTRY', S),
  d('fmod_ret.s+', 'tracing', 'MODIFY_RETURN', S),
  d('fexit.s+', 'tracing', 'TRACE_FEXIT', S),
  d('fentry+', 'tracing', 'TRACE_FENTRY'),
  d('fmod_ret+', 'tracing', 'MODIFY_RETURN'),
  d('fexit+', 'tracing', 'TRACE_FEXIT'),
  d('freplace+', 'ext'),
  d('lsm.s+', 'lsm', 'LSM_MAC', S),
  d('lsm_cgroup+', 'lsm', 'LSM_CGROUP'),
  d('lsm+', 'lsm', 'LSM_MAC'),
  d('iter.s+', 'tracing', 'TRACE_ITER', S),
  d('iter+', 'tracing', 'TRACE_ITER'),
  d('syscall', 'syscall', undefined, S),
  d('xdp.frags/devmap', 'xdp', 'XDP_DEVMAP', F),
  d('xdp/devmap', 'xdp', 'XDP_DEVMAP'),
  d('xdp.frags/cpumap', 'xdp', 'XDP_CPUMAP', F),
  d('xdp/cpumap', 'xdp', 'XDP_CPUMAP'),
  d('xdp.frags', 'xdp', 'XDP', F),
  d('xdp', 'xdp', 'XDP'),
  d('perf_event', 'perf_event'),
  d('lwt_in', 'lwt_in'),
  d('lwt_out', 'lwt_out'),
  d('lwt_xmit', 'lwt_xmit'),
  d('lwt_seg6local', 'lwt_seg6local'),
  d('sockops', 'sock_ops', 'CGROUP_SOCK_OPS'),
  d('sk_skb/stream_parser', 'sk_skb', 'SK_SKB_STREAM_PARSER'),
  d('sk_skb/stream_verdict', 'sk_skb', 'SK_SKB_STREAM_VERDICT'),
  d('sk_skb/verdict', 'sk_skb', 'SK_SKB_VERDICT'),
  d('sk_skb', 'sk_skb'),
  d('sk_msg', 'sk_msg', 'SK_MSG_VERDICT'),
  d('lirc_mode2', 'lirc_mode2', 'LIRC_MODE2'),
  d('flow_dissector', 'flow_dissector', 'FLOW_DISSECTOR'),
  d('cgroup_skb/ingress', 'cgroup_skb', 'CGROUP_INET_INGRESS'),
  d('cgroup_skb/egress', 'cgroup_skb', 'CGROUP_INET_EGRESS'),
  d('cgroup/skb', 'cgroup_skb'),
  d('cgroup/sock_create', 'cgroup_sock', 'CGROUP_INET_SOCK_CREATE'),
  d('cgroup/sock_release', 'cgroup_sock', 'CGROUP_INET_SOCK_RELEASE'),
  d('cgroup/sock', 'cgroup_sock', 'CGROUP_INET_SOCK_CREATE'),
  d('cgroup/post_bind4', 'cgroup_sock', 'CGROUP_INET4_POST_BIND'),
  d('cgroup/post_bind6', 'cgroup_sock', 'CGROUP_INET6_POST_BIND'),
  d('cgroup/bind4', 'cgroup_sock_addr', 'CGROUP_INET4_BIND'),
  d('cgroup/bind6', 'cgroup_sock_addr', 'CGROUP_INET6_BIND'),
  d('cgroup/connect4', 'cgroup_sock_addr', 'CGROUP_INET4_CONNECT'),
  d('cgroup/connect6', 'cgroup_sock_addr', 'CGROUP_INET6_CONNECT'),
  d('cgroup/connect_unix', 'cgroup_sock_addr', 'CGROUP_UNIX_CONNECT'),
  d('cgroup/sendmsg4', 'cgroup_sock_addr', 'CGROUP_UDP4_SENDMSG'),
  d('cgroup/sendmsg6', 'cgroup_sock_addr', 'CGROUP_UDP6_SENDMSG'),
  d('cgroup/sendmsg_unix', 'cgroup_sock_addr', 'CGROUP_UNIX_SENDMSG'),
  d('cgroup/recvmsg4', 'cgroup_sock_addr', 'CGROUP_UDP4_RECVMSG'),
  d('cgroup/recvmsg6', 'cgroup_sock_addr', 'CGROUP_UDP6_RECVMSG'),
  d('cgroup/recvmsg_unix', 'cgroup_sock_addr', 'CGROUP_UNIX_RECVMSG'),
  d('cgroup/getpeername4', 'cgroup_sock_addr', 'CGROUP_INET4_GETPEERNAME'),
  d('cgroup/getpeername6', 'cgroup_sock_addr', 'CGROUP_INET6_GETPEERNAME'),
  d('cgroup/getpeername_unix', 'cgroup_sock_addr', 'CGROUP_UNIX_GETPEERNAME'),
  d('cgroup/getsockname4', 'cgroup_sock_addr', 'CGROUP_INET4_GETSOCKNAME'),
  d('cgroup/getsockname6', 'cgroup_sock_addr', 'CGROUP_INET6_GETSOCKNAME'),
  d('cgroup/getsockname_unix', 'cgroup_sock_addr', 'CGROUP_UNIX_GETSOCKNAME'),
  d('cgroup/sysctl', 'cgroup_sysctl', 'CGROUP_SYSCTL'),
  d('cgroup/getsockopt', 'cgroup_sockopt', 'CGROUP_GETSOCKOPT'),
  d('cgroup/setsockopt', 'cgroup_sockopt', 'CGROUP_SETSOCKOPT'),
  d('cgroup/dev', 'cgroup_device', 'CGROUP_DEVICE'),
  d('struct_ops.s+', 'struct_ops', undefined, S),
  d('struct_ops+', 'struct_ops'),
  d('sk_lookup', 'sk_lookup', 'SK_LOOKUP'),
  d('netfilter', 'netfilter', 'NETFILTER'),
];

export interface SectionMatch {
  readonly def: SectionDef | undefined;
  readonly type: ProgramTypeName;
  readonly attach?: AttachTypeName;
  /** What follows "prefix/" for "+" patterns (kprobe/do_sys_open → do_sys_open). */
  readonly attachTo?: string;
  readonly sleepable: boolean;
  readonly frags: boolean;
}

function matches(pattern: string, name: string): { ok: boolean; attachTo?: string } {
  if (pattern.endsWith('+')) {
    const p = pattern.slice(0, -1);
    if (name === p) return { ok: true };
    if (name.startsWith(p + '/')) return { ok: true, attachTo: name.slice(p.length + 1) };
    return { ok: false };
  }
  if (pattern.endsWith('/')) return { ok: name.startsWith(pattern) && name.length > pattern.length };
  return { ok: name === pattern };
}

/** The program type a section name implies; 'unspec' when no convention matches. */
export function matchSection(name: string): SectionMatch {
  for (const def of SECTION_DEFS) {
    const m = matches(def.pattern, name);
    if (!m.ok) continue;
    return {
      def, type: def.type, ...(def.attach ? { attach: def.attach } : {}),
      ...(m.attachTo !== undefined && m.attachTo !== '' ? { attachTo: m.attachTo } : {}),
      sleepable: def.sleepable ?? false, frags: def.frags ?? false,
    };
  }
  return { def: undefined, type: 'unspec', sleepable: false, frags: false };
}
