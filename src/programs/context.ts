/**
 * The context table: for each program type, the UAPI struct r1 points to, the
 * kernel's access rules per field (the verifier reads them) and how the
 * runtime fills it. Because BPF pointers are linear-memory addresses, pointer
 * fields (xdp_md.data, __sk_buff.data…) hold real addresses and loads from
 * the context need no rewriting; the runtime writes the struct before a run
 * and reads writable fields back after it.
 */
import type { ProgramTypeName } from './types.js';

/** What the verifier gives a register loaded from the field. */
export type ContextFieldKind =
  | 'scalar'
  | 'packet'        // PTR_TO_PACKET
  | 'packet_end'    // PTR_TO_PACKET_END
  | 'packet_meta'   // PTR_TO_PACKET_META
  | 'sock'          // PTR_TO_SOCK_COMMON etc. (per type)
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
}

export interface ContextSpec {
  /** UAPI struct name, e.g. xdp_md. */
  readonly struct: string;
  readonly size: number;
  readonly fields: readonly ContextField[];
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

/** Program types known to the engine so far; the loader/program-types work fills in the rest. */
export const PROGRAM_TYPES: Partial<Record<ProgramTypeName, ProgramTypeSpec>> = {
  raw: { name: 'raw', context: null, retval: 'u64' },
  xdp: { name: 'xdp', context: XDP_MD, retval: 'u32' },
};
