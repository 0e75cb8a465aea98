/**
 * Verification on load: the one gate between bytecode and a run without the
 * sandbox's region checks. LoadedProgram and the object API both call it.
 */
import { defaultHelpers } from './machine.js';
import { installHelperProtos } from '../helpers/protos.js';
import type { HelperRegistry } from '../helpers/table.js';
import type { Program } from '../isa/instruction.js';
import { VerifierError } from '../diagnostics/index.js';
import type { ProgramTypeName } from '../programs/types.js';
import { verify, type VerifierMap, type VerifyOptions } from '../verifier/index.js';
import type { CheckStats } from '../verifier/verifier.js';

export interface VerifyForLoadOptions {
  type: ProgramTypeName;
  /** lddw src=1/2 imm K refers to maps[K]. */
  maps?: readonly VerifierMap[];
  /** Default "GPL". */
  license?: string;
  unprivileged?: boolean;
  logLevel?: number;
  /** BTF func_info: the instruction offset of each function (the kernel needs them for callbacks). */
  funcInfo?: VerifyOptions['funcInfo'];
  /** BTF line_info (source lines in the level-1 log). */
  lineInfo?: VerifyOptions['lineInfo'];
  /** BTF-typed tracing programs: the attach target in the kernel BTF (types the context's pointer arguments). */
  tracing?: VerifyOptions['tracing'];
}

export interface VerifiedLoad {
  verified: true;
  stats: CheckStats;
  log: string;
}

/** Verifies `program` as the kernel would at BPF_PROG_LOAD; throws VerifierError (pc, kernel message) on rejection. */
/**
 * The helpers a loaded program may call: the engine's registrations (whose
 * prototypes and program types come with their implementations: xdp, skb…),
 * with the verifier's built-in prototype table taking precedence where both exist.
 */
export function loadHelpers(): HelperRegistry {
  return installHelperProtos(defaultHelpers());
}

export function verifyForLoad(program: Program | Uint8Array, options: VerifyForLoadOptions): VerifiedLoad {
  // `raw` is not a kernel type: there are no context rules to verify it against
  if (options.type === 'raw') {
    throw new VerifierError('VerifierRejected', 0, "program type 'raw' cannot be verified; give a kernel program type or load it unverified");
  }
  // libbpf: "missing BPF prog type, check ELF section name"
  if (options.type === 'unspec') {
    throw new VerifierError('VerifierRejected', 0, 'missing program type (the section name gives none): give one explicitly');
  }
  const r = verify(program, {
    helpers: loadHelpers(),
    type: options.type,
    maps: options.maps ?? [],
    license: options.license ?? 'GPL',
    unprivileged: options.unprivileged,
    logLevel: options.logLevel ?? 0,
    funcInfo: options.funcInfo,
    lineInfo: options.lineInfo,
    ...(options.tracing ? { tracing: options.tracing } : {}),
  });
  if (!r.ok) throw new VerifierError('VerifierRejected', r.error!.pc, r.error!.message, r.log);
  return { verified: true, stats: r.stats, log: r.log };
}
