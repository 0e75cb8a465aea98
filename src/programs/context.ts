/**
 * The context table: for each program type, the UAPI struct r1 points to, the
 * kernel's access rules per field (the verifier reads them) and how the
 * runtime fills it. Because BPF pointers are linear-memory addresses, pointer
 * fields (xdp_md.data, __sk_buff.data…) hold real addresses and loads from
 * the context need no rewriting; the runtime writes the struct before a run
 * and reads writable fields back after it.
 */
import type { ProgramTypeName } from './types.js';
import { SK_MSG_MD_CTX } from './contexts/sk_msg.js';
import { BPF_SOCK_OPS_CTX } from './contexts/sock_ops.js';
import { BPF_SOCKOPT_CTX } from './contexts/sockopt.js';
import { SK_REUSEPORT_MD_CTX } from './contexts/sk_reuseport.js';
import { LIRC_SAMPLE_CTX } from './contexts/lirc.js';

/** What the verifier gives a register loaded from the field. */
export type ContextFieldKind =
  | 'scalar'
  | 'packet'        // PTR_TO_PACKET
  | 'packet_end'    // PTR_TO_PACKET_END
  | 'packet_meta'   // PTR_TO_PACKET_META
  | 'sock'          // PTR_TO_SOCK_COMMON, or PTR_TO_SOCKET with sockType 'sock'
  | 'flow_keys'     // PTR_TO_FLOW_KEYS (flow dissector's __sk_buff.flow_keys)
  | 'btf_ptr';

export interface ContextField {
  readonly name: string;
  readonly offset: number;
  /** Size of the field in the UAPI struct. */
  readonly size: 1 | 2 | 4 | 8;
  readonly kind: ContextFieldKind;
  readonly writable: boolean;
  /** Narrower loads the kernel accepts (e.g. a u8 load of a u32 field). */
  readonly narrowLoads?: boolean;
  /** Forbidden to this program type (reads and writes). */
  readonly hidden?: boolean;
  /** Raw area (cb[], pt_regs, tracepoint record): loads and stores of any size up to 8, aligned to it. */
  readonly anySize?: boolean;
  /** A pointer field that may be NULL (e.g. __sk_buff.sk). */
  readonly maybeNull?: boolean;
  /** kind 'sock': PTR_TO_SOCKET ('sock') rather than PTR_TO_SOCK_COMMON (the default). */
  readonly sockType?: 'sock_common' | 'sock';
}

export interface ContextSpec {
  /** UAPI struct name, e.g. xdp_md. */
  readonly struct: string;
  readonly size: number;
  readonly fields: readonly ContextField[];
  /**
   * The kernel compares a negative offset with sizeof() unsigned, so aligned
   * reads below the struct pass (tracepoint programs).
   */
  readonly negativeOffsetsReadable?: boolean;
}

export interface ProgramTypeSpec {
  readonly name: ProgramTypeName;
  /** null for types whose r1 is not a context struct (raw). */
  readonly context: ContextSpec | null;
  /** How the 64-bit r0 becomes the result the kernel reports. */
  readonly retval: 'u64' | 'u32';
}

/** struct xdp_md (include/uapi/linux/bpf.h). */
export const XDP_MD: ContextSpec = {
  struct: 'xdp_md',
  size: 24,
  fields: [
    { name: 'data', offset: 0, size: 4, kind: 'packet', writable: false },
    { name: 'data_end', offset: 4, size: 4, kind: 'packet_end', writable: false },
    { name: 'data_meta', offset: 8, size: 4, kind: 'packet_meta', writable: false },
    { name: 'ingress_ifindex', offset: 12, size: 4, kind: 'scalar', writable: false },
    { name: 'rx_queue_index', offset: 16, size: 4, kind: 'scalar', writable: false },
    { name: 'egress_ifindex', offset: 20, size: 4, kind: 'scalar', writable: false },
  ],
};

/** Which __sk_buff fields a program type may read and write (the kernel's *_is_valid_access). */
interface SkBuffView {
  readonly hide: readonly string[]; readonly write: readonly string[]; readonly packet: boolean;
  /** tstamp_type is readable (one byte) by tc programs only. */
  readonly tstampType?: boolean;
}

const u32Field = (name: string, offset: number): ContextField =>
  ({ name, offset, size: 4, kind: 'scalar', writable: false, narrowLoads: true });

/** struct __sk_buff as a program type sees it. */
function skBuff(view: SkBuffView): ContextSpec {
  const base: ContextField[] = [
    u32Field('len', 0), u32Field('pkt_type', 4), u32Field('mark', 8), u32Field('queue_mapping', 12),
    u32Field('protocol', 16), u32Field('vlan_present', 20), u32Field('vlan_tci', 24), u32Field('vlan_proto', 28),
    u32Field('priority', 32), u32Field('ingress_ifindex', 36), u32Field('ifindex', 40), u32Field('tc_index', 44),
    { name: 'cb', offset: 48, size: 4, kind: 'scalar', writable: false, anySize: true },
    u32Field('hash', 68), u32Field('tc_classid', 72),
    { name: 'data', offset: 76, size: 4, kind: view.packet ? 'packet' : 'scalar', writable: false },
    { name: 'data_end', offset: 80, size: 4, kind: view.packet ? 'packet_end' : 'scalar', writable: false },
    u32Field('napi_id', 84),
    ...['family', 'remote_ip4', 'local_ip4', 'remote_ip6[0]', 'remote_ip6[1]', 'remote_ip6[2]', 'remote_ip6[3]',
      'local_ip6[0]', 'local_ip6[1]', 'local_ip6[2]', 'local_ip6[3]', 'remote_port', 'local_port'].map((n, i) => u32Field(n, 88 + 4 * i)),
    { name: 'data_meta', offset: 140, size: 4, kind: view.packet ? 'packet_meta' : 'scalar', writable: false },
    { name: 'flow_keys', offset: 144, size: 8, kind: 'btf_ptr', writable: false, hidden: true },
    { name: 'tstamp', offset: 152, size: 8, kind: 'scalar', writable: false },
    u32Field('wire_len', 160), u32Field('gso_segs', 164),
    { name: 'sk', offset: 168, size: 8, kind: 'sock', writable: false, maybeNull: true },
    u32Field('gso_size', 176),
    { name: 'tstamp_type', offset: 180, size: 1, kind: 'scalar', writable: false, hidden: !view.tstampType },
    { name: 'padding', offset: 181, size: 1, kind: 'scalar', writable: false, hidden: true, anySize: true },
    { name: 'hwtstamp', offset: 184, size: 8, kind: 'scalar', writable: false },
  ];
  const fields = base.map((f): ContextField => {
    // family … local_port (88..140) are hidden together ('family' in the view); cb[0..4] is one 20-byte raw area.
    const sockField = f.offset >= 88 && f.offset < 140;
    const hidden = f.hidden || view.hide.includes(sockField ? 'family' : f.name);
    return { ...f, hidden, writable: view.write.includes(f.name) };
  });
  return { struct: '__sk_buff', size: 192, fields };
}

export const SK_BUFF_SOCKET_FILTER = skBuff({
  hide: ['tc_classid', 'data', 'data_meta', 'data_end', 'tstamp', 'wire_len', 'hwtstamp', 'family'], write: ['cb'], packet: false,
});
export const SK_BUFF_TC = skBuff({
  hide: ['family'], write: ['mark', 'tc_index', 'priority', 'tc_classid', 'cb', 'tstamp', 'queue_mapping'], packet: true, tstampType: true,
});
export const SK_BUFF_CGROUP = skBuff({
  hide: ['tc_classid', 'data_meta', 'wire_len'], write: ['mark', 'priority', 'cb', 'tstamp'], packet: true,
});
/** sk_skb (sk_skb_is_valid_access): no mark, tc_classid, data_meta, tstamp, wire_len, hwtstamp; writes tc_index and priority only. */
export const SK_BUFF_SK_SKB = skBuff({
  hide: ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp', 'mark'], write: ['tc_index', 'priority'], packet: true,
});

/** XDP reads are 4 bytes exactly; egress_ifindex is only for devmap programs. */
export const XDP_MD_VERIFIER: ContextSpec = {
  ...XDP_MD,
  fields: XDP_MD.fields.map((f) => (f.name === 'egress_ifindex' ? { ...f, hidden: true } : f)),
};

/** struct pt_regs (x86_64): 21 registers, read-only. */
export const PT_REGS: ContextSpec = {
  struct: 'pt_regs', size: 168,
  fields: [{ name: 'regs', offset: 0, size: 8, kind: 'scalar', writable: false, anySize: true }],
};
/**
 * struct bpf_perf_event_data (pe_prog_is_valid_access): the pt_regs are read
 * 8 bytes at a time, sample_period and addr also narrower; read-only.
 */
export const BPF_PERF_EVENT_DATA: ContextSpec = {
  struct: 'bpf_perf_event_data', size: 184,
  fields: [
    ...[...Array(21).keys()].map((i): ContextField => ({ name: `regs[${i}]`, offset: 8 * i, size: 8, kind: 'scalar', writable: false })),
    { name: 'sample_period', offset: 168, size: 8, kind: 'scalar', writable: false, narrowLoads: true },
    { name: 'addr', offset: 176, size: 8, kind: 'scalar', writable: false, narrowLoads: true },
  ],
};
/** A tracepoint record; the first 8 bytes (common fields) are not readable. */
export const TRACEPOINT_CTX: ContextSpec = {
  struct: 'trace_entry', size: 8192, negativeOffsetsReadable: true,
  fields: [{ name: 'fields', offset: 8, size: 8, kind: 'scalar', writable: false, anySize: true }],
};
/** struct bpf_raw_tracepoint_args: up to 12 u64 arguments. */
export const RAW_TRACEPOINT_ARGS: ContextSpec = {
  struct: 'bpf_raw_tracepoint_args', size: 96,
  fields: [{ name: 'args', offset: 0, size: 8, kind: 'scalar', writable: false, anySize: true }],
};

/**
 * The trampoline context of BTF-typed tracing programs (tp_btf, fentry,
 * fexit, fmod_ret, lsm): u64 arguments and a return-value slot, read-only
 * (bpf_tracing_btf_ctx_access). Given the attach target (VerifyOptions.tracing),
 * the verifier types each slot by its prototype instead (src/verifier/btf-access.ts:
 * pointer arguments become PTR_TO_BTF_ID); without one every slot is a scalar.
 */
export const BTF_TRACING_CTX: ContextSpec = {
  struct: 'u64 args[]', size: 104,
  fields: [{ name: 'args', offset: 0, size: 8, kind: 'scalar', writable: false, anySize: true }],
};

/**
 * The flow dissector's view of __sk_buff (flow_dissector_is_valid_access):
 * data and data_end (4-byte reads only), flow_keys (8-byte read); no writes.
 */
export const SK_BUFF_FLOW_DISSECTOR: ContextSpec = {
  struct: '__sk_buff', size: 192,
  fields: [
    { name: 'data', offset: 76, size: 4, kind: 'packet', writable: false },
    { name: 'data_end', offset: 80, size: 4, kind: 'packet_end', writable: false },
    { name: 'flow_keys', offset: 144, size: 8, kind: 'flow_keys', writable: false },
  ],
};

/**
 * A syscall program's context is the caller's buffer: any aligned offset
 * below U16_MAX, read or written (syscall_prog_is_valid_access).
 */
export const SYSCALL_CTX: ContextSpec = {
  struct: 'syscall_ctx', size: 0xffff,
  fields: [{ name: 'buf', offset: 0, size: 8, kind: 'scalar', writable: true, anySize: true }],
};

/**
 * struct bpf_sk_lookup (sk_lookup_is_valid_access): read-only; sk is the
 * selected socket or NULL; the u32 fields allow narrow loads; remote_port is
 * a __be16 that may also be read as a u32 together with its zero padding.
 */
export const BPF_SK_LOOKUP_CTX: ContextSpec = {
  struct: 'bpf_sk_lookup', size: 72,
  fields: [
    { name: 'sk', offset: 0, size: 8, kind: 'sock', sockType: 'sock', writable: false, maybeNull: true },
    ...['family', 'protocol', 'remote_ip4', 'remote_ip6[0]', 'remote_ip6[1]', 'remote_ip6[2]', 'remote_ip6[3]']
      .map((n, i) => u32Field(n, 8 + 4 * i)),
    u32Field('remote_port', 36),
    ...['local_ip4', 'local_ip6[0]', 'local_ip6[1]', 'local_ip6[2]', 'local_ip6[3]', 'local_port', 'ingress_ifindex']
      .map((n, i) => u32Field(n, 40 + 4 * i)),
  ],
};

/** struct bpf_cgroup_dev_ctx (cgroup_dev_is_valid_access): read-only; access_type also narrower. */
export const BPF_CGROUP_DEV_CTX: ContextSpec = {
  struct: 'bpf_cgroup_dev_ctx', size: 12,
  fields: [
    u32Field('access_type', 0),
    { name: 'major', offset: 4, size: 4, kind: 'scalar', writable: false },
    { name: 'minor', offset: 8, size: 4, kind: 'scalar', writable: false },
  ],
};

/**
 * struct bpf_sock_addr (sock_addr_is_valid_access), for every attach type at
 * once (see sock-addr.ts): the addresses and user_port are read (narrower
 * too) and written (4 bytes); the rest is read-only, 4 bytes; sk is the socket.
 */
export const BPF_SOCK_ADDR_CTX: ContextSpec = {
  struct: 'bpf_sock_addr', size: 72,
  fields: [
    { name: 'user_family', offset: 0, size: 4, kind: 'scalar', writable: false },
    ...['user_ip4', 'user_ip6[0]', 'user_ip6[1]', 'user_ip6[2]', 'user_ip6[3]', 'user_port']
      .map((n, i): ContextField => ({ ...u32Field(n, 4 + 4 * i), writable: true })),
    ...['family', 'type', 'protocol'].map((n, i): ContextField => ({ name: n, offset: 28 + 4 * i, size: 4, kind: 'scalar', writable: false })),
    ...['msg_src_ip4', 'msg_src_ip6[0]', 'msg_src_ip6[1]', 'msg_src_ip6[2]', 'msg_src_ip6[3]']
      .map((n, i): ContextField => ({ ...u32Field(n, 40 + 4 * i), writable: true })),
    { name: 'sk', offset: 64, size: 8, kind: 'sock', sockType: 'sock', writable: false },
  ],
};

/**
 * struct bpf_sock as cgroup/sock programs see it (sock_filter_is_valid_access),
 * for every attach type at once: bound_dev_if, mark and priority are written
 * (4 bytes; sock_create/release only in the kernel); the rest is read-only
 * with narrow loads; dst_port is a __be16 followed by zero padding.
 */
export const BPF_SOCK_CTX: ContextSpec = {
  struct: 'bpf_sock', size: 80,
  fields: [
    ...['bound_dev_if', 'family', 'type', 'protocol', 'mark', 'priority'].map((n, i): ContextField =>
      ({ name: n, offset: 4 * i, size: 4, kind: 'scalar', writable: ['bound_dev_if', 'mark', 'priority'].includes(n), narrowLoads: !['bound_dev_if', 'mark', 'priority'].includes(n) })),
    ...['src_ip4', 'src_ip6[0]', 'src_ip6[1]', 'src_ip6[2]', 'src_ip6[3]', 'src_port', 'dst_port', 'dst_ip4',
      'dst_ip6[0]', 'dst_ip6[1]', 'dst_ip6[2]', 'dst_ip6[3]', 'state', 'rx_queue_mapping'].map((n, i) => u32Field(n, 24 + 4 * i)),
  ],
};

/** struct bpf_sysctl (sysctl_is_valid_access): write is read-only, file_pos read (narrower too) and written (4 bytes). */
export const BPF_SYSCTL_CTX: ContextSpec = {
  struct: 'bpf_sysctl', size: 8,
  fields: [u32Field('write', 0), { ...u32Field('file_pos', 4), writable: true }],
};

/** Byte span of a field: raw areas extend to the next field or the end of the struct. */
export function contextFieldSpan(ctx: ContextSpec, field: ContextField): number {
  if (!field.anySize) return field.size;
  if (field.name === 'cb') return 20;
  if (field.name === 'padding') return 3;
  return ctx.size - field.offset;
}

/** The kernel's check_return_code ranges (programs not listed accept any r0). */
export interface ReturnRange { readonly min: number; readonly max: number }

/** Program types known to the engine so far; the loader/program-types work fills in the rest. */
export const PROGRAM_TYPES: Partial<Record<ProgramTypeName, ProgramTypeSpec>> = {
  raw: { name: 'raw', context: null, retval: 'u64' },
  xdp: { name: 'xdp', context: XDP_MD, retval: 'u32' },
};

/** The context and return-value rules the verifier applies per program type. */
export const VERIFIER_CONTEXTS: Partial<Record<ProgramTypeName, { readonly ctx: ContextSpec; readonly ret?: ReturnRange; readonly packetWrite: boolean }>> = {
  socket_filter: { ctx: SK_BUFF_SOCKET_FILTER, packetWrite: false },
  sched_cls: { ctx: SK_BUFF_TC, packetWrite: true },
  sched_act: { ctx: SK_BUFF_TC, packetWrite: true },
  cgroup_skb: { ctx: SK_BUFF_CGROUP, ret: { min: 0, max: 1 }, packetWrite: false },
  xdp: { ctx: XDP_MD_VERIFIER, packetWrite: true },
  kprobe: { ctx: PT_REGS, packetWrite: false },
  perf_event: { ctx: BPF_PERF_EVENT_DATA, packetWrite: false },
  tracepoint: { ctx: TRACEPOINT_CTX, packetWrite: false },
  raw_tracepoint: { ctx: RAW_TRACEPOINT_ARGS, packetWrite: false },
  syscall: { ctx: SYSCALL_CTX, packetWrite: false },
  flow_dissector: { ctx: SK_BUFF_FLOW_DISSECTOR, packetWrite: false },
  sk_lookup: { ctx: BPF_SK_LOOKUP_CTX, ret: { min: 0, max: 1 }, packetWrite: false },
  cgroup_device: { ctx: BPF_CGROUP_DEV_CTX, ret: { min: 0, max: 1 }, packetWrite: false },
  cgroup_sock_addr: { ctx: BPF_SOCK_ADDR_CTX, ret: { min: 0, max: 1 }, packetWrite: false },
  cgroup_sock: { ctx: BPF_SOCK_CTX, ret: { min: 0, max: 1 }, packetWrite: false },
  cgroup_sysctl: { ctx: BPF_SYSCTL_CTX, ret: { min: 0, max: 1 }, packetWrite: false },
  tracing: { ctx: BTF_TRACING_CTX, packetWrite: false },
  lsm: { ctx: BTF_TRACING_CTX, packetWrite: false },
  // socket program types (sk-skb.ts, sk-msg.ts, sock-ops.ts, cgroup-sockopt.ts, sk-reuseport.ts, lirc.ts)
  sk_skb: { ctx: SK_BUFF_SK_SKB, packetWrite: true },
  sk_msg: { ctx: SK_MSG_MD_CTX, packetWrite: true },
  sock_ops: { ctx: BPF_SOCK_OPS_CTX, ret: { min: 0, max: 1 }, packetWrite: false },
  cgroup_sockopt: { ctx: BPF_SOCKOPT_CTX, ret: { min: 0, max: 1 }, packetWrite: true },
  sk_reuseport: { ctx: SK_REUSEPORT_MD_CTX, packetWrite: false },
  lirc_mode2: { ctx: LIRC_SAMPLE_CTX, packetWrite: false },
};
