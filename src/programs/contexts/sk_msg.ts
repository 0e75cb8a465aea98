/**
 * struct sk_msg_md (include/uapi/linux/bpf.h) and sk_msg_is_valid_access
 * (net/core/filter.c): read-only; data/data_end are 8-byte packet pointers,
 * sk an 8-byte PTR_TO_SOCKET; every other field is a u32 read exactly.
 */
import type { ContextField, ContextSpec } from '../context.js';

export const SK_MSG_MD = {
  data: 0, data_end: 8, family: 16, remote_ip4: 20, local_ip4: 24, remote_ip6: 28, local_ip6: 44,
  remote_port: 60, local_port: 64, size: 68, sk: 72,
} as const;
export const SK_MSG_MD_SIZE = 80;

const u32 = (name: string, offset: number): ContextField => ({ name, offset, size: 4, kind: 'scalar', writable: false });

export const SK_MSG_MD_CTX: ContextSpec = {
  struct: 'sk_msg_md', size: SK_MSG_MD_SIZE,
  fields: [
    { name: 'data', offset: SK_MSG_MD.data, size: 8, kind: 'packet', writable: false },
    { name: 'data_end', offset: SK_MSG_MD.data_end, size: 8, kind: 'packet_end', writable: false },
    ...['family', 'remote_ip4', 'local_ip4', 'remote_ip6[0]', 'remote_ip6[1]', 'remote_ip6[2]', 'remote_ip6[3]',
      'local_ip6[0]', 'local_ip6[1]', 'local_ip6[2]', 'local_ip6[3]', 'remote_port', 'local_port', 'size']
      .map((n, i) => u32(n, SK_MSG_MD.family + 4 * i)),
    { name: 'sk', offset: SK_MSG_MD.sk, size: 8, kind: 'sock', sockType: 'sock', writable: false },
  ],
};
