/**
 * bpf_skb_set_tunnel_key (net/core/filter.c): attaches tunnel metadata (a
 * metadata dst) to the skb for a collect-metadata tunnel device to
 * encapsulate with; Katran's healthchecking_ipip sends its health checks this
 * way. Checks, in the kernel's order: flags within BPF_F_TUNINFO_IPV6 |
 * BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT | BPF_F_SEQ_NUMBER |
 * BPF_F_NO_TUNNEL_KEY; a size of struct bpf_tunnel_key or of one of its older
 * layouts (read zero-padded); no flow label without BPF_F_TUNINFO_IPV6 and no
 * tunnel_ext. Any failure is -EINVAL. The key is kept per CPU for the run's
 * skb (tunnelKeyOf); BPF_PROG_TEST_RUN sends nothing, so it only shows there.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry } from './table.js';
import type { ProgramTypeName } from '../programs/types.js';
import { programReadable } from './tracing.js';

const EINVAL = 22, EFAULT = 14;
const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));

/** enum { BPF_F_TUNINFO_IPV6, BPF_F_ZERO_CSUM_TX, BPF_F_DONT_FRAGMENT, BPF_F_SEQ_NUMBER, BPF_F_NO_TUNNEL_KEY } (uapi/linux/bpf.h). */
export const TUNNEL_KEY_FLAGS = {
  BPF_F_TUNINFO_IPV6: 1n << 0n, BPF_F_ZERO_CSUM_TX: 1n << 1n, BPF_F_DONT_FRAGMENT: 1n << 2n,
  BPF_F_SEQ_NUMBER: 1n << 3n, BPF_F_NO_TUNNEL_KEY: 1n << 4n,
} as const;
const KNOWN_FLAGS = Object.values(TUNNEL_KEY_FLAGS).reduce((a, f) => a | f, 0n);

/** struct bpf_tunnel_key: field offsets and size. */
const KEY = { tunnel_id: 0, remote: 4, tunnel_tos: 20, tunnel_ttl: 21, tunnel_ext: 22, tunnel_label: 24, local: 28, size: 44 } as const;
/** The older layouts the kernel still accepts: offsetof(remote_ipv6[1]), offsetof(tunnel_ext), offsetof(tunnel_label). */
const COMPAT_SIZES: readonly number[] = [KEY.remote + 4, KEY.tunnel_ext, KEY.tunnel_label];

export interface TunnelKey {
  readonly tunnelId: number;
  /** remote_ipv4 (4 bytes) or remote_ipv6 (16) as stored by the program. */
  readonly remote: Uint8Array;
  readonly local: Uint8Array;
  readonly tos: number;
  readonly ttl: number;
  readonly label: number;
  readonly flags: bigint;
}

const keys = new WeakMap<Machine, (TunnelKey | undefined)[]>();
/** The tunnel key the last bpf_skb_set_tunnel_key on `cpu` attached, if any. */
export function tunnelKeyOf(machine: Machine, cpu: number): TunnelKey | undefined { return keys.get(machine)?.[cpu]; }

const TYPES: readonly ProgramTypeName[] = ['sched_cls', 'sched_act', 'lwt_xmit'];

export function registerTunnelHelpers(registry: HelperRegistry): HelperRegistry {
  registry.register('bpf_skb_set_tunnel_key', {
    js: (rt, _skb, from, sizeArg, flags) => {
      const m = rt as Machine;
      const size = Number(BigInt.asUintN(32, sizeArg));
      if (flags & ~KNOWN_FLAGS) return neg(EINVAL);
      if (size !== KEY.size && !COMPAT_SIZES.includes(size)) return neg(EINVAL);
      if (!programReadable(m, from, size)) return neg(EFAULT); // unverified code only
      const key = new Uint8Array(KEY.size);
      key.set(new Uint8Array(m.memory.buffer, Number(from), size));
      const dv = new DataView(key.buffer);
      const v6 = (flags & TUNNEL_KEY_FLAGS.BPF_F_TUNINFO_IPV6) !== 0n;
      if ((!v6 && dv.getUint32(KEY.tunnel_label, true) !== 0) || dv.getUint16(KEY.tunnel_ext, true) !== 0) return neg(EINVAL);
      const addrLen = v6 ? 16 : 4;
      const perCpu = keys.get(m) ?? [];
      perCpu[m.cpu] = {
        tunnelId: dv.getUint32(KEY.tunnel_id, true),
        remote: key.slice(KEY.remote, KEY.remote + addrLen),
        local: key.slice(KEY.local, KEY.local + addrLen),
        tos: key[KEY.tunnel_tos]!, ttl: key[KEY.tunnel_ttl]!,
        label: v6 ? dv.getUint32(KEY.tunnel_label, true) : 0,
        flags: BigInt.asUintN(64, flags),
      };
      keys.set(m, perCpu);
      return 0n;
    },
  }, {
    proto: { ret: 'integer', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size', 'anything'], gplOnly: false },
    programTypes: TYPES,
  });
  return registry;
}
