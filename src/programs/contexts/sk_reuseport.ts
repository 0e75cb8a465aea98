/**
 * struct sk_reuseport_md (include/uapi/linux/bpf.h) and
 * sk_reuseport_is_valid_access (net/core/filter.c): read-only; data and
 * data_end 8-byte packet pointers, hash a u32 read exactly, sk
 * (PTR_TO_SOCKET) and migrating_sk (PTR_TO_SOCK_COMMON_OR_NULL) 8 bytes;
 * len, ip_protocol and bind_inany also narrower, eth_protocol at least 2
 * bytes (the engine's context table cannot say "at least 2": it takes 1 too).
 */
import type { ContextField, ContextSpec } from '../context.js';

export const SK_REUSEPORT_MD = {
  data: 0, data_end: 8, len: 16, eth_protocol: 20, ip_protocol: 24, bind_inany: 28, hash: 32, sk: 40, migrating_sk: 48,
} as const;
export const SK_REUSEPORT_MD_SIZE = 56;

const narrow = (name: keyof typeof SK_REUSEPORT_MD): ContextField =>
  ({ name, offset: SK_REUSEPORT_MD[name], size: 4, kind: 'scalar', writable: false, narrowLoads: true });

export const SK_REUSEPORT_MD_CTX: ContextSpec = {
  struct: 'sk_reuseport_md', size: SK_REUSEPORT_MD_SIZE,
  fields: [
    { name: 'data', offset: SK_REUSEPORT_MD.data, size: 8, kind: 'packet', writable: false },
    { name: 'data_end', offset: SK_REUSEPORT_MD.data_end, size: 8, kind: 'packet_end', writable: false },
    narrow('len'), narrow('eth_protocol'), narrow('ip_protocol'), narrow('bind_inany'),
    { name: 'hash', offset: SK_REUSEPORT_MD.hash, size: 4, kind: 'scalar', writable: false },
    { name: 'sk', offset: SK_REUSEPORT_MD.sk, size: 8, kind: 'sock', sockType: 'sock', writable: false },
    { name: 'migrating_sk', offset: SK_REUSEPORT_MD.migrating_sk, size: 8, kind: 'sock', sockType: 'sock_common', maybeNull: true, writable: false },
  ],
};
