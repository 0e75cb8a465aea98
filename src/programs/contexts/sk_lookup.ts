/** struct bpf_sk_lookup (include/uapi/linux/bpf.h). */
export const BPF_SK_LOOKUP = {
  sk: 0, cookie: 0, family: 8, protocol: 12, remote_ip4: 16, remote_ip6: 20, remote_port: 36,
  local_ip4: 40, local_ip6: 44, local_port: 60, ingress_ifindex: 64,
} as const;
export const BPF_SK_LOOKUP_SIZE = 72;
