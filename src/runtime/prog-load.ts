/**
 * bpf(BPF_PROG_LOAD, attr) as the kernel behaves: the attribute checks of
 * bpf_prog_load, the verifier, and the verifier log's rules (bpf_vlog_init /
 * bpf_vlog_finalize in kernel/bpf/log.c): a log written NUL-terminated into the
 * caller's buffer, rotating (keeps the end) unless BPF_LOG_FIXED (keeps the
 * start), ENOSPC whenever it did not fit (even over a rejection), and
 * log_true_size, the bytes a buffer needs (with its NUL), also without a buffer.
 */
import { decode, decodeAt } from '../isa/decode.js';
import { DecodeError } from '../diagnostics/index.js';
import type { Program } from '../isa/instruction.js';
import { PROGRAM_TYPE_IDS, programTypeByKernelId, type ProgramTypeName } from '../programs/types.js';
import { verify, type VerifierMap, type VerifyOptions } from '../verifier/index.js';
import type { CheckStats } from '../verifier/verifier.js';
import { VERIFIER_ERRNO, verifierErrno, type VerifierErrnoName } from '../verifier/errno.js';
import { loadHelpers } from './verify-load.js';

/** Log level bits (BPF_LOG_LEVEL1/2, BPF_LOG_STATS, BPF_LOG_FIXED); others are invalid. */
export const BPF_LOG = { LEVEL1: 1, LEVEL2: 2, STATS: 4, FIXED: 8 } as const;
const BPF_LOG_MASK = BPF_LOG.LEVEL1 | BPF_LOG.LEVEL2 | BPF_LOG.STATS | BPF_LOG.FIXED;
/** log_size above UINT_MAX >> 2 is refused. */
const MAX_LOG_SIZE = 0xffffffff >>> 2;

/** prog_flags the kernel knows (include/uapi/linux/bpf.h). */
export const BPF_F = {
  STRICT_ALIGNMENT: 1 << 0, ANY_ALIGNMENT: 1 << 1, TEST_RND_HI32: 1 << 2, TEST_STATE_FREQ: 1 << 3, SLEEPABLE: 1 << 4,
  XDP_HAS_FRAGS: 1 << 5, XDP_DEV_BOUND_ONLY: 1 << 6, TEST_REG_INVARIANTS: 1 << 7, TOKEN_FD: 1 << 16,
} as const;
const KNOWN_FLAGS = Object.values(BPF_F).reduce((a, b) => a | b, 0);
/**
 * Flags that change nothing the engine checks: TEST_RND_HI32 (random upper
 * halves after 32-bit ops: our zero-extension is explicit), ANY_ALIGNMENT (we
 * check alignment as on an efficient-unaligned-access machine anyway),
 * TEST_STATE_FREQ and TEST_REG_INVARIANTS (verifier self-tests), XDP_HAS_FRAGS.
 */
const NEUTRAL_FLAGS = BPF_F.TEST_RND_HI32 | BPF_F.ANY_ALIGNMENT | BPF_F.TEST_STATE_FREQ | BPF_F.TEST_REG_INVARIANTS | BPF_F.XDP_HAS_FRAGS;

/** BPF_COMPLEXITY_LIMIT_INSNS: the most instructions a privileged load may have. */
const MAX_INSNS = 1_000_000;

/** expected_attach_type values a type accepts, where bpf_prog_load_check_attach restricts them (enum bpf_attach_type). */
const ATTACH_RULES: Partial<Record<ProgramTypeName, readonly number[]>> = {
  cgroup_skb: [0, 1], // CGROUP_INET_INGRESS, CGROUP_INET_EGRESS
};

export const PROG_LOAD_ERRNO = { ...VERIFIER_ERRNO } as const;
export type ProgLoadErrnoName = VerifierErrnoName;

export interface ProgLoadAttr {
  /** prog_type: a kernel type name or number. */
  progType: ProgramTypeName | number;
  /** insns (insn_cnt = its 8-byte slots). */
  insns: Uint8Array | Program;
  license: string;
  logLevel?: number;
  /** log_buf; log_size defaults to its length. Omit (with logSize 0) to only learn log_true_size. */
  logBuf?: Uint8Array;
  logSize?: number;
  /** Ignored since Linux 5.0, as there. */
  kernVersion?: number;
  progFlags?: number;
  expectedAttachType?: number;
  /** BTF func_info records: instruction offset and FUNC type id of every function, in order. */
  funcInfo?: readonly { readonly insnOff: number; readonly typeId?: number }[];
  /** BTF line_info records (checked like check_btf_line; their source lines show in the level-1 log). */
  lineInfo?: VerifyOptions['lineInfo'];
  /** The maps `lddw src=1/2 imm=K` refer to (the K-th; the kernel takes fds). */
  maps?: readonly VerifierMap[];
  /** Check as a caller without CAP_BPF. */
  unprivileged?: boolean;
}

/** A loaded program (the kernel's fd). */
export interface ProgHandle { readonly type: ProgramTypeName; readonly program: Program; readonly license: string; readonly stats: CheckStats }

export type ProgLoadResult =
  | { ok: true; prog: ProgHandle; logTrueSize: number }
  | { ok: false; errno: number; errnoName: ProgLoadErrnoName; reason: string; logTrueSize: number; error?: { pc: number; message: string } };

const refuse = (errnoName: ProgLoadErrnoName, reason: string, logTrueSize = 0): ProgLoadResult =>
  ({ ok: false, errno: PROG_LOAD_ERRNO[errnoName], errnoName, reason, logTrueSize });

/** bpf(BPF_PROG_LOAD, attr). */
export function bpfProgLoad(attr: ProgLoadAttr): ProgLoadResult {
  const flags = attr.progFlags ?? 0;
  if (flags & ~KNOWN_FLAGS) return refuse('EINVAL', `unknown prog_flags 0x${(flags & ~KNOWN_FLAGS).toString(16)}`);
  if (flags & BPF_F.TOKEN_FD) return refuse('EINVAL', 'BPF_F_TOKEN_FD without a BPF token');
  const slots = attr.insns instanceof Uint8Array ? attr.insns.length / 8 : attr.insns.slotCount;
  if (slots === 0 || slots > MAX_INSNS || !Number.isInteger(slots)) return refuse('E2BIG', `insn_cnt ${slots} out of range`);
  const type = typeof attr.progType === 'number' ? programTypeByKernelId(attr.progType) : attr.progType;
  if (!type || type === 'unspec' || type === 'raw' || !(type in PROGRAM_TYPE_IDS)) return refuse('EINVAL', `unknown prog_type ${String(attr.progType)}`);
  const attach = ATTACH_RULES[type];
  if (attach && !attach.includes(attr.expectedAttachType ?? 0)) return refuse('EINVAL', `expected_attach_type ${attr.expectedAttachType} not allowed for ${type}`);
  // Flags that would change the verdict in ways the engine does not model.
  const unmodelled = flags & ~NEUTRAL_FLAGS;
  if (unmodelled & BPF_F.STRICT_ALIGNMENT) return refuse('EOPNOTSUPP', 'BPF_F_STRICT_ALIGNMENT is not modelled');
  if (unmodelled & (BPF_F.SLEEPABLE | BPF_F.XDP_DEV_BOUND_ONLY)) return refuse('EOPNOTSUPP', `prog_flags 0x${unmodelled.toString(16)} not modelled`);

  // bpf_vlog_init
  const level = attr.logLevel ?? 0;
  const buf = attr.logBuf;
  const size = attr.logSize ?? buf?.length ?? 0;
  if (!!buf !== !!size) return refuse('EINVAL', 'log_buf and log_size must be given together');
  if (buf && level === 0) return refuse('EINVAL', 'log_buf without log_level');
  if (level & ~BPF_LOG_MASK) return refuse('EINVAL', `log_level 0x${level.toString(16)} has unknown bits`);
  if (size > MAX_LOG_SIZE) return refuse('EINVAL', `log_size ${size} too large`);
  if (buf && size > buf.length) return refuse('EINVAL', `log_size ${size} exceeds the ${buf.length}-byte buffer`);

  const r = verify(attr.insns, {
    type, license: attr.license, logLevel: level & ~BPF_LOG.FIXED, maps: attr.maps ?? [], helpers: loadHelpers(),
    unprivileged: attr.unprivileged, funcInfo: attr.funcInfo, lineInfo: attr.lineInfo,
  });
  // bpf_vlog_finalize: log_true_size counts the NUL
  const text = new TextEncoder().encode(r.log);
  const logTrueSize = level && text.length ? text.length + 1 : 0;
  if (buf) {
    const keep = Math.min(text.length, size - 1);
    const part = level & BPF_LOG.FIXED ? text.subarray(0, keep) : text.subarray(text.length - keep);
    buf.set(part, 0);
    buf[keep] = 0;
    if (logTrueSize > size) return refuse('ENOSPC', 'the log did not fit in log_size bytes', logTrueSize);
  }
  if (!r.ok) {
    const errnoName = verifierErrno(r.error!.message);
    return { ok: false, errno: PROG_LOAD_ERRNO[errnoName], errnoName, reason: r.error!.message, logTrueSize, error: r.error };
  }
  const program = attr.insns instanceof Uint8Array ? decodeAccepted(attr.insns) : attr.insns;
  return { ok: true, prog: { type, program, license: attr.license, stats: r.stats }, logTrueSize };
}

/** `ja -1`: what sanitize_dead_code puts in place of instructions no path reaches. */
const JA_SELF = [0x05, 0, 0xff, 0xff, 0, 0, 0, 0];

/**
 * Decodes an accepted program. An instruction the verifier never reached may
 * still carry reserved fields (it is only checked when reached); like the
 * kernel's sanitize_dead_code, it becomes `ja -1`.
 */
function decodeAccepted(bytes: Uint8Array): Program {
  const fixed = bytes.slice();
  const slots = fixed.length / 8;
  for (let slot = 0; slot < slots; slot++) {
    try {
      if (decodeAt(fixed, slot, slots).spec.slots === 2) slot++;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      fixed.set(JA_SELF, slot * 8);
    }
  }
  return decode(fixed);
}
