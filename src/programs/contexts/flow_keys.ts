/** struct bpf_flow_keys (include/uapi/linux/bpf.h): what a flow dissector fills in. */
export const BPF_FLOW_KEYS = {
  nhoff: 0, thoff: 2, addr_proto: 4, is_frag: 6, is_first_frag: 7, is_encap: 8, ip_proto: 9,
  n_proto: 10, sport: 12, dport: 14, ipv4_src: 16, ipv4_dst: 20, ipv6_src: 16, ipv6_dst: 32,
  flags: 48, flow_label: 52,
} as const;
export const BPF_FLOW_KEYS_SIZE = 56;

/** BPF_FLOW_DISSECTOR_F_*: the flags a caller may pass in bpf_flow_keys.flags. */
export const FLOW_DISSECTOR_FLAGS = {
  PARSE_1ST_FRAG: 1 << 0,
  STOP_AT_FLOW_LABEL: 1 << 1,
  STOP_AT_ENCAP: 1 << 2,
} as const;

/** enum flow_dissector return codes (BPF_OK…). */
export const FLOW_DISSECTOR_RET = { BPF_OK: 0, BPF_DROP: 2, BPF_FLOW_DISSECTOR_CONTINUE: 129 } as const;
