/**
 * struct __sk_buff (include/uapi/linux/bpf.h), the context of every skb-based
 * program type, and the kernel's per-type access rules (net/core/filter.c
 * *_is_valid_access): a field missing from a type's `fields` cannot be
 * accessed at all by that type; `writable` says whether stores are allowed.
 *
 * The runtime writes every field of the layout (SK_BUFF_LAYOUT) before a run;
 * pointer fields hold real linear-memory addresses.
 */
import type { ContextField, ContextFieldKind, ContextSpec } from '../context.js';

export const SK_BUFF_SIZE = 192;
/** struct bpf_sock, which __sk_buff.sk points to (kept right after __sk_buff in the ctx region). */
export const BPF_SOCK_SIZE = 80;

interface LayoutField { name: string; offset: number; size: 1 | 2 | 4 | 8; kind: ContextFieldKind }

const f = (name: string, offset: number, size: 1 | 2 | 4 | 8 = 4, kind: ContextFieldKind = 'scalar'): LayoutField =>
  ({ name, offset, size, kind });

/** Every field of struct __sk_buff; arrays as one entry per element. */
export const SK_BUFF_LAYOUT: readonly LayoutField[] = [
  f('len', 0), f('pkt_type', 4), f('mark', 8), f('queue_mapping', 12), f('protocol', 16),
  f('vlan_present', 20), f('vlan_tci', 24), f('vlan_proto', 28), f('priority', 32),
  f('ingress_ifindex', 36), f('ifindex', 40), f('tc_index', 44),
  f('cb[0]', 48), f('cb[1]', 52), f('cb[2]', 56), f('cb[3]', 60), f('cb[4]', 64),
  f('hash', 68), f('tc_classid', 72),
  f('data', 76, 4, 'packet'), f('data_end', 80, 4, 'packet_end'), f('napi_id', 84),
  f('family', 88), f('remote_ip4', 92), f('local_ip4', 96),
  f('remote_ip6[0]', 100), f('remote_ip6[1]', 104), f('remote_ip6[2]', 108), f('remote_ip6[3]', 112),
  f('local_ip6[0]', 116), f('local_ip6[1]', 120), f('local_ip6[2]', 124), f('local_ip6[3]', 128),
  f('remote_port', 132), f('local_port', 136),
  f('data_meta', 140, 4, 'packet_meta'), f('flow_keys', 144, 8, 'btf_ptr'),
  f('tstamp', 152, 8), f('wire_len', 160), f('gso_segs', 164), f('sk', 168, 8, 'sock'),
  f('gso_size', 176), f('tstamp_type', 180, 1), f('hwtstamp', 184, 8),
];

/** Byte offsets of __sk_buff fields by name. */
export const SKB: Readonly<Record<string, number>> = Object.fromEntries(SK_BUFF_LAYOUT.map((x) => [x.name, x.offset]));
export const SKB_CB = 48;
export const SKB_CB_BYTES = 20;

/** struct bpf_sock field offsets. */
export const BPF_SOCK = {
  bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28,
  src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76,
} as const;

const SOCK_FIELDS = ['family', 'remote_ip4', 'local_ip4', 'remote_ip6[0]', 'remote_ip6[1]', 'remote_ip6[2]',
  'remote_ip6[3]', 'local_ip6[0]', 'local_ip6[1]', 'local_ip6[2]', 'local_ip6[3]', 'remote_port', 'local_port'];
const CB = ['cb[0]', 'cb[1]', 'cb[2]', 'cb[3]', 'cb[4]'];
/** Explicit-size fields: loads must be of the full size (no narrow loads). */
const FULL_SIZE_ONLY = new Set(['data', 'data_end', 'data_meta', 'flow_keys', 'tstamp', 'sk', 'hwtstamp', 'tstamp_type']);

function spec(denied: readonly string[], writable: readonly string[]): ContextSpec {
  const deny = new Set(['flow_keys', ...denied]);
  const write = new Set(writable);
  const fields: ContextField[] = SK_BUFF_LAYOUT.filter((x) => !deny.has(x.name)).map((x) => ({
    name: x.name, offset: x.offset, size: x.size, kind: x.kind, writable: write.has(x.name),
    ...(FULL_SIZE_ONLY.has(x.name) ? {} : { narrowLoads: true }),
  }));
  return { struct: '__sk_buff', size: SK_BUFF_SIZE, fields };
}

/** sk_filter_is_valid_access: no packet pointers, socket fields or timestamps; only cb[] is writable. */
export const SK_BUFF_SOCKET_FILTER = spec(
  ['data', 'data_end', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp', 'tstamp_type', 'tc_classid', ...SOCK_FIELDS], CB);

/** tc_cls_act_is_valid_access: packet pointers incl. data_meta; no socket fields. */
export const SK_BUFF_TC = spec(
  SOCK_FIELDS,
  ['mark', 'tc_index', 'priority', ...CB, 'tc_classid', 'tstamp', 'queue_mapping']);

/** cg_skb_is_valid_access: socket fields readable; mark, priority, cb[] and (CAP_BPF) tstamp writable. */
export const SK_BUFF_CGROUP_SKB = spec(
  ['tc_classid', 'data_meta', 'wire_len', 'tstamp_type'],
  ['mark', 'priority', ...CB, 'tstamp']);

/** lwt_is_valid_access: data/data_end but no data_meta, timestamps or socket fields. */
export const SK_BUFF_LWT = spec(
  ['tc_classid', 'data_meta', 'tstamp', 'wire_len', 'hwtstamp', 'tstamp_type', ...SOCK_FIELDS],
  ['mark', 'priority', ...CB]);

/** The __sk_buff access rules of each skb program type (for PROGRAM_TYPES / the verifier). */
export const SK_BUFF_CONTEXTS = {
  socket_filter: SK_BUFF_SOCKET_FILTER,
  sched_cls: SK_BUFF_TC,
  sched_act: SK_BUFF_TC,
  cgroup_skb: SK_BUFF_CGROUP_SKB,
  lwt_in: SK_BUFF_LWT,
  lwt_out: SK_BUFF_LWT,
  lwt_xmit: SK_BUFF_LWT,
} as const;
