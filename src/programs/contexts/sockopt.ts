/**
 * struct bpf_sockopt (include/uapi/linux/bpf.h) and cg_sockopt_is_valid_access
 * (kernel/bpf/cgroup.c): sk (PTR_TO_SOCKET), optval/optval_end (a packet,
 * writable) are 8-byte reads; level, optname, optlen, retval 4-byte reads.
 * Writes: optlen always, level and optname in setsockopt programs, retval
 * in getsockopt programs (which alone may read retval). The engine does not
 * know the expected attach type at verification, so the rules here are the
 * union of both (see cgroup-sockopt.ts).
 */
import type { ContextField, ContextSpec } from '../context.js';

export const BPF_SOCKOPT = { sk: 0, optval: 8, optval_end: 16, level: 24, optname: 28, optlen: 32, retval: 36 } as const;
export const BPF_SOCKOPT_SIZE = 40;

const u32 = (name: keyof typeof BPF_SOCKOPT): ContextField =>
  ({ name, offset: BPF_SOCKOPT[name], size: 4, kind: 'scalar', writable: true });

export const BPF_SOCKOPT_CTX: ContextSpec = {
  struct: 'bpf_sockopt', size: BPF_SOCKOPT_SIZE,
  fields: [
    { name: 'sk', offset: BPF_SOCKOPT.sk, size: 8, kind: 'sock', sockType: 'sock', writable: false },
    { name: 'optval', offset: BPF_SOCKOPT.optval, size: 8, kind: 'packet', writable: false },
    { name: 'optval_end', offset: BPF_SOCKOPT.optval_end, size: 8, kind: 'packet_end', writable: false },
    u32('level'), u32('optname'), u32('optlen'), u32('retval'),
  ],
};
