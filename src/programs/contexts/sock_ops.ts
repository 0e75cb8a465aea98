/**
 * struct bpf_sock_ops (include/uapi/linux/bpf.h, 6.18: skb_hwtstamp ends it)
 * and sock_ops_is_valid_access (net/core/filter.c): only reply (offset 4,
 * the first u32 of the args/reply/replylong union) and sk_txhash are
 * written, 4 bytes; reads are 4 bytes except bytes_received, bytes_acked,
 * skb_hwtstamp and the pointers (8), and skb_tcp_flags (narrower too). sk
 * is PTR_TO_SOCKET_OR_NULL, skb_data/skb_data_end a read-only packet.
 */
import type { ContextField, ContextSpec } from '../context.js';

/** The u32 fields from family to sk_txhash, in order. */
const U32_FIELDS = [
  'family', 'remote_ip4', 'local_ip4', 'remote_ip6[0]', 'remote_ip6[1]', 'remote_ip6[2]', 'remote_ip6[3]',
  'local_ip6[0]', 'local_ip6[1]', 'local_ip6[2]', 'local_ip6[3]', 'remote_port', 'local_port', 'is_fullsock',
  'snd_cwnd', 'srtt_us', 'bpf_sock_ops_cb_flags', 'state', 'rtt_min', 'snd_ssthresh', 'rcv_nxt', 'snd_nxt',
  'snd_una', 'mss_cache', 'ecn_flags', 'rate_delivered', 'rate_interval_us', 'packets_out', 'retrans_out',
  'total_retrans', 'segs_in', 'data_segs_in', 'segs_out', 'data_segs_out', 'lost_out', 'sacked_out', 'sk_txhash',
] as const;
const FAMILY_OFF = 20;

/** Byte offsets of bpf_sock_ops fields by name. */
export const SOCK_OPS: Readonly<Record<string, number>> = {
  op: 0, reply: 4, 'args[0]': 4, 'args[1]': 8, 'args[2]': 12, 'args[3]': 16,
  ...Object.fromEntries(U32_FIELDS.map((n, i) => [n, FAMILY_OFF + 4 * i])),
  bytes_received: 168, bytes_acked: 176, sk: 184, skb_data: 192, skb_data_end: 200, skb_len: 208,
  skb_tcp_flags: 212, skb_hwtstamp: 216,
};
export const SOCK_OPS_SIZE = 224;

const u32 = (name: string, offset: number, writable = false): ContextField => ({ name, offset, size: 4, kind: 'scalar', writable });
const u64 = (name: string): ContextField => ({ name, offset: SOCK_OPS[name]!, size: 8, kind: 'scalar', writable: false });

export const BPF_SOCK_OPS_CTX: ContextSpec = {
  struct: 'bpf_sock_ops', size: SOCK_OPS_SIZE,
  fields: [
    u32('op', 0),
    u32('reply', 4, true), u32('args[1]', 8), u32('args[2]', 12), u32('args[3]', 16),
    ...U32_FIELDS.map((n) => u32(n, SOCK_OPS[n]!, n === 'sk_txhash')),
    u64('bytes_received'), u64('bytes_acked'),
    { name: 'sk', offset: SOCK_OPS.sk!, size: 8, kind: 'sock', sockType: 'sock', maybeNull: true, writable: false },
    { name: 'skb_data', offset: SOCK_OPS.skb_data!, size: 8, kind: 'packet', writable: false },
    { name: 'skb_data_end', offset: SOCK_OPS.skb_data_end!, size: 8, kind: 'packet_end', writable: false },
    u32('skb_len', SOCK_OPS.skb_len!),
    { ...u32('skb_tcp_flags', SOCK_OPS.skb_tcp_flags!), narrowLoads: true },
    u64('skb_hwtstamp'),
  ],
};

/** enum BPF_SOCK_OPS_* (include/uapi/linux/bpf.h). */
export const SOCK_OPS_OP = {
  VOID: 0, TIMEOUT_INIT: 1, RWND_INIT: 2, TCP_CONNECT_CB: 3, ACTIVE_ESTABLISHED_CB: 4, PASSIVE_ESTABLISHED_CB: 5,
  NEEDS_ECN: 6, BASE_RTT: 7, RTO_CB: 8, RETRANS_CB: 9, STATE_CB: 10, TCP_LISTEN_CB: 11, RTT_CB: 12,
  PARSE_HDR_OPT_CB: 13, HDR_OPT_LEN_CB: 14, WRITE_HDR_OPT_CB: 15,
} as const;

/** BPF_SOCK_OPS_*_CB_FLAG; BPF_SOCK_OPS_ALL_CB_FLAGS is their union. */
export const SOCK_OPS_CB_FLAG = {
  RTO: 1 << 0, RETRANS: 1 << 1, STATE: 1 << 2, RTT: 1 << 3, PARSE_ALL_HDR_OPT: 1 << 4,
  PARSE_UNKNOWN_HDR_OPT: 1 << 5, WRITE_HDR_OPT: 1 << 6,
} as const;
export const SOCK_OPS_ALL_CB_FLAGS = 0x7f;
