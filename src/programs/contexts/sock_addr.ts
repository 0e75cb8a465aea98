/** struct bpf_sock_addr (include/uapi/linux/bpf.h). */
export const BPF_SOCK_ADDR = {
  user_family: 0, user_ip4: 4, user_ip6: 8, user_port: 24, family: 28, type: 32, protocol: 36,
  msg_src_ip4: 40, msg_src_ip6: 44, sk: 64,
} as const;
export const BPF_SOCK_ADDR_SIZE = 72;
