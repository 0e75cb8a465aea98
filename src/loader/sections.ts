/**
 * libbpf's SEC() conventions: which program type and expected attach type a
 * section name implies. Patterns (as in libbpf's section_defs):
 *   "name"   matches exactly,
 *   "name+"  matches "name" or "name/<target>" (target recorded as attachTo),
 *   "name/"  matches any "name/<suffix>".
 * The first matching row wins, so more specific rows come first. Sections
 * no row matches still yield programs, of type UNSPEC (the caller decides).
 */

export type ProgramTypeName =
  | 'UNSPEC' | 'SOCKET_FILTER' | 'KPROBE' | 'SCHED_CLS' | 'SCHED_ACT' | 'TRACEPOINT' | 'XDP' | 'PERF_EVENT'
  | 'CGROUP_SKB' | 'CGROUP_SOCK' | 'LWT_IN' | 'LWT_OUT' | 'LWT_XMIT' | 'SOCK_OPS' | 'SK_SKB' | 'CGROUP_DEVICE'
  | 'SK_MSG' | 'RAW_TRACEPOINT' | 'CGROUP_SOCK_ADDR' | 'LWT_SEG6LOCAL' | 'LIRC_MODE2' | 'SK_REUSEPORT'
  | 'FLOW_DISSECTOR' | 'CGROUP_SYSCTL' | 'RAW_TRACEPOINT_WRITABLE' | 'CGROUP_SOCKOPT' | 'TRACING' | 'STRUCT_OPS'
  | 'EXT' | 'LSM' | 'SK_LOOKUP' | 'SYSCALL' | 'NETFILTER';

/** enum bpf_prog_type values, by name. */
export const PROGRAM_TYPES: Readonly<Record<ProgramTypeName, number>> = {
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7,
  CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14,
  CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19, LIRC_MODE2: 20,
  SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24, CGROUP_SOCKOPT: 25,
  TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
};

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
  d('socket', 'SOCKET_FILTER'),
  d('sk_reuseport/migrate', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT_OR_MIGRATE'),
  d('sk_reuseport', 'SK_REUSEPORT', 'SK_REUSEPORT_SELECT'),
  d('kprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  d('kretprobe.multi+', 'KPROBE', 'TRACE_KPROBE_MULTI'),
  d('kprobe.session+', 'KPROBE', 'TRACE_KPROBE_SESSION'),
  d('uprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', S),
  d('uretprobe.multi.s+', 'KPROBE', 'TRACE_UPROBE_MULTI', S),
  d('uprobe.session.s+', 'KPROBE', 'TRACE_UPROBE_SESSION', S),
  d('uprobe.session+', 'KPROBE', 'TRACE_UPROBE_SESSION'),
  d('uprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  d('uretprobe.multi+', 'KPROBE', 'TRACE_UPROBE_MULTI'),
  d('kprobe+', 'KPROBE'),
  d('kretprobe+', 'KPROBE'),
  d('uprobe.s+', 'KPROBE', undefined, S),
  d('uretprobe.s+', 'KPROBE', undefined, S),
  d('uprobe+', 'KPROBE'),
  d('uretprobe+', 'KPROBE'),
  d('ksyscall+', 'KPROBE'),
  d('kretsyscall+', 'KPROBE'),
  d('usdt.s+', 'KPROBE', undefined, S),
  d('usdt+', 'KPROBE'),
  d('tc/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  d('tc/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  d('tcx/ingress', 'SCHED_CLS', 'TCX_INGRESS'),
  d('tcx/egress', 'SCHED_CLS', 'TCX_EGRESS'),
  d('netkit/primary', 'SCHED_CLS', 'NETKIT_PRIMARY'),
  d('netkit/peer', 'SCHED_CLS', 'NETKIT_PEER'),
  d('tc', 'SCHED_CLS'),
  d('classifier', 'SCHED_CLS'),
  d('action', 'SCHED_ACT'),
  d('tracepoint.s+', 'TRACEPOINT', undefined, S),
  d('tp.s+', 'TRACEPOINT', undefined, S),
  d('tracepoint+', 'TRACEPOINT'),
  d('tp+', 'TRACEPOINT'),
  d('raw_tracepoint.s+', 'RAW_TRACEPOINT', undefined, S),
  d('raw_tp.s+', 'RAW_TRACEPOINT', undefined, S),
  d('raw_tracepoint.w+', 'RAW_TRACEPOINT_WRITABLE'),
  d('raw_tp.w+', 'RAW_TRACEPOINT_WRITABLE'),
  d('raw_tracepoint+', 'RAW_TRACEPOINT'),
  d('raw_tp+', 'RAW_TRACEPOINT'),
  d('tp_btf.s+', 'TRACING', 'TRACE_RAW_TP', S),
  d('tp_btf+', 'TRACING', 'TRACE_RAW_TP'),
  d('fentry.s+', 'TRACING', 'TRACE_FENTRY', S),
  d('fmod_ret.s+', 'TRACING', 'MODIFY_RETURN', S),
  d('fexit.s+', 'TRACING', 'TRACE_FEXIT', S),
  d('fentry+', 'TRACING', 'TRACE_FENTRY'),
  d('fmod_ret+', 'TRACING', 'MODIFY_RETURN'),
  d('fexit+', 'TRACING', 'TRACE_FEXIT'),
  d('freplace+', 'EXT'),
  d('lsm.s+', 'LSM', 'LSM_MAC', S),
  d('lsm_cgroup+', 'LSM', 'LSM_CGROUP'),
  d('lsm+', 'LSM', 'LSM_MAC'),
  d('iter.s+', 'TRACING', 'TRACE_ITER', S),
  d('iter+', 'TRACING', 'TRACE_ITER'),
  d('syscall', 'SYSCALL', undefined, S),
  d('xdp.frags/devmap', 'XDP', 'XDP_DEVMAP', F),
  d('xdp/devmap', 'XDP', 'XDP_DEVMAP'),
  d('xdp.frags/cpumap', 'XDP', 'XDP_CPUMAP', F),
  d('xdp/cpumap', 'XDP', 'XDP_CPUMAP'),
  d('xdp.frags', 'XDP', 'XDP', F),
  d('xdp', 'XDP', 'XDP'),
  d('perf_event', 'PERF_EVENT'),
  d('lwt_in', 'LWT_IN'),
  d('lwt_out', 'LWT_OUT'),
  d('lwt_xmit', 'LWT_XMIT'),
  d('lwt_seg6local', 'LWT_SEG6LOCAL'),
  d('sockops', 'SOCK_OPS', 'CGROUP_SOCK_OPS'),
  d('sk_skb/stream_parser', 'SK_SKB', 'SK_SKB_STREAM_PARSER'),
  d('sk_skb/stream_verdict', 'SK_SKB', 'SK_SKB_STREAM_VERDICT'),
  d('sk_skb/verdict', 'SK_SKB', 'SK_SKB_VERDICT'),
  d('sk_skb', 'SK_SKB'),
  d('sk_msg', 'SK_MSG', 'SK_MSG_VERDICT'),
  d('lirc_mode2', 'LIRC_MODE2', 'LIRC_MODE2'),
  d('flow_dissector', 'FLOW_DISSECTOR', 'FLOW_DISSECTOR'),
  d('cgroup_skb/ingress', 'CGROUP_SKB', 'CGROUP_INET_INGRESS'),
  d('cgroup_skb/egress', 'CGROUP_SKB', 'CGROUP_INET_EGRESS'),
  d('cgroup/skb', 'CGROUP_SKB'),
  d('cgroup/sock_create', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  d('cgroup/sock_release', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_RELEASE'),
  d('cgroup/sock', 'CGROUP_SOCK', 'CGROUP_INET_SOCK_CREATE'),
  d('cgroup/post_bind4', 'CGROUP_SOCK', 'CGROUP_INET4_POST_BIND'),
  d('cgroup/post_bind6', 'CGROUP_SOCK', 'CGROUP_INET6_POST_BIND'),
  d('cgroup/bind4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_BIND'),
  d('cgroup/bind6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_BIND'),
  d('cgroup/connect4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_CONNECT'),
  d('cgroup/connect6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_CONNECT'),
  d('cgroup/connect_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_CONNECT'),
  d('cgroup/sendmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_SENDMSG'),
  d('cgroup/sendmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_SENDMSG'),
  d('cgroup/sendmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_SENDMSG'),
  d('cgroup/recvmsg4', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP4_RECVMSG'),
  d('cgroup/recvmsg6', 'CGROUP_SOCK_ADDR', 'CGROUP_UDP6_RECVMSG'),
  d('cgroup/recvmsg_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_RECVMSG'),
  d('cgroup/getpeername4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETPEERNAME'),
  d('cgroup/getpeername6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETPEERNAME'),
  d('cgroup/getpeername_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETPEERNAME'),
  d('cgroup/getsockname4', 'CGROUP_SOCK_ADDR', 'CGROUP_INET4_GETSOCKNAME'),
  d('cgroup/getsockname6', 'CGROUP_SOCK_ADDR', 'CGROUP_INET6_GETSOCKNAME'),
  d('cgroup/getsockname_unix', 'CGROUP_SOCK_ADDR', 'CGROUP_UNIX_GETSOCKNAME'),
  d('cgroup/sysctl', 'CGROUP_SYSCTL', 'CGROUP_SYSCTL'),
  d('cgroup/getsockopt', 'CGROUP_SOCKOPT', 'CGROUP_GETSOCKOPT'),
  d('cgroup/setsockopt', 'CGROUP_SOCKOPT', 'CGROUP_SETSOCKOPT'),
  d('cgroup/dev', 'CGROUP_DEVICE', 'CGROUP_DEVICE'),
  d('struct_ops.s+', 'STRUCT_OPS', undefined, S),
  d('struct_ops+', 'STRUCT_OPS'),
  d('sk_lookup', 'SK_LOOKUP', 'SK_LOOKUP'),
  d('netfilter', 'NETFILTER', 'NETFILTER'),
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

/** The program type a section name implies; UNSPEC when no convention matches. */
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
  return { def: undefined, type: 'UNSPEC', sleepable: false, frags: false };
}
