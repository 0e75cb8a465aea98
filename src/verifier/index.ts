/**
 * The verifier's public API: verify(program, options) runs pass 1 (control
 * flow) and pass 2 (abstract interpretation) and returns the verdict, a
 * kernel-style log, the first error with its pc, and statistics.
 */
import { decode, decodeAt, readSlot } from '../isa/decode.js';
import type { Program } from '../isa/instruction.js';
import { Class, INSTRUCTION_BYTES, JmpOp, AluOp, CLASS_MASK, OP_MASK, REGISTER_COUNT, Mode, MODE_MASK } from '../isa/opcodes.js';
import { SPECS_BY_OPCODE } from '../isa/spec.js';
import { DecodeError, VerifierError } from '../diagnostics/index.js';
import { HelperRegistry } from '../helpers/table.js';
import { installHelperProtos } from '../helpers/protos.js';
import type { ProgramTypeName } from '../programs/types.js';
import { checkCfg } from './cfg.js';
import { Checker, Reject, INSN_LIMIT, type CheckStats } from './verifier.js';
import type { VerifierMap } from './maps.js';

export type { VerifierMap } from './maps.js';
export { MAP_TYPE_IDS } from './maps.js';

export interface VerifyOptions {
  type: ProgramTypeName;
  /** lddw src=1 imm K refers to maps[K]. */
  maps?: readonly VerifierMap[];
  /** License string; GPL-only helpers need a GPL-compatible one. Default "GPL". */
  license?: string;
  /** Bit 0: instruction trace, bit 1: verbose states, bit 2: statistics. */
  logLevel?: number;
  /** Apply the rules for callers without CAP_BPF/CAP_PERFMON. */
  unprivileged?: boolean;
  /** Helper registry with prototypes; default: the kernel's helpers with the built-in prototypes. */
  helpers?: HelperRegistry;
  /** Processed-instruction limit (the kernel's is 1,000,000). */
  insnLimit?: number;
}

export interface VerifyResult {
  ok: boolean;
  log: string;
  error?: { pc: number; message: string };
  stats: CheckStats;
}

/** The kernel's license_is_gpl_compatible. */
const GPL_COMPATIBLE = ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'];

let defaultHelpers: HelperRegistry | undefined;
function helpersDefault(): HelperRegistry {
  defaultHelpers ??= installHelperProtos(new HelperRegistry());
  return defaultHelpers;
}

const CLASS_NAMES: Record<number, string> = {
  [Class.LD]: 'BPF_LD', [Class.LDX]: 'BPF_LDX', [Class.ST]: 'BPF_ST', [Class.STX]: 'BPF_STX',
};

/** The kernel's wording for an instruction whose reserved fields are set. */
function reservedMessage(opcode: number): string {
  const cls = opcode & CLASS_MASK;
  const op = opcode & OP_MASK;
  if (cls === Class.ALU || cls === Class.ALU64) {
    if (op === AluOp.MOV) return 'BPF_MOV uses reserved fields';
    if (op === AluOp.NEG) return 'BPF_NEG uses reserved fields';
    if (op === AluOp.END) return 'BPF_END uses reserved fields';
    return 'BPF_ALU uses reserved fields';
  }
  if (cls === Class.JMP || cls === Class.JMP32) {
    if (op === JmpOp.JA) return 'BPF_JA uses reserved fields';
    if (op === JmpOp.CALL) return 'BPF_CALL uses reserved fields';
    if (op === JmpOp.EXIT) return 'BPF_EXIT uses reserved fields';
    return 'BPF_JMP/JMP32 uses reserved fields';
  }
  if (cls === Class.STX && (opcode & MODE_MASK) === Mode.ATOMIC) return 'BPF_ATOMIC uses reserved fields';
  return `${CLASS_NAMES[cls] ?? 'BPF_LD'} uses reserved fields`;
}

/**
 * Decodes like the kernel reads: unknown opcodes fail at once; reserved-field
 * and bad-register errors are kept and reported when the instruction is reached.
 */
function lenientDecode(bytes: Uint8Array): { prog?: Program; error?: { pc: number; message: string }; poisoned: Map<number, string> } {
  const poisoned = new Map<number, string>();
  if (bytes.length === 0 || bytes.length % INSTRUCTION_BYTES) return { error: { pc: 0, message: 'invalid program length' }, poisoned };
  const fixed = bytes.slice();
  const slots = bytes.length / INSTRUCTION_BYTES;
  for (let slot = 0; slot < slots; slot++) {
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const insn = decodeAt(fixed, slot, slots);
        if (insn.spec.unverifiedOnly) return { error: { pc: slot, message: `unknown opcode ${hex2(insn.opcode)}` }, poisoned };
        if (insn.spec.slots === 2) slot++;
        break;
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        const raw = readSlot(fixed, slot);
        const b = slot * INSTRUCTION_BYTES;
        switch (e.codeName) {
          case 'UnknownOpcode': {
            const cands = SPECS_BY_OPCODE[raw.opcode];
            if (cands && raw.opcode === (Class.LD | 0x18)) return { error: { pc: slot, message: 'unrecognized bpf_ld_imm64 insn' }, poisoned };
            if (cands && (raw.opcode & MODE_MASK) === Mode.ATOMIC && (raw.opcode & CLASS_MASK) === Class.STX) {
              return { error: { pc: slot, message: `BPF_ATOMIC uses invalid atomic opcode ${hex2(raw.imm & 0xff)}` }, poisoned };
            }
            if (cands) { // a known opcode with a bad discriminator: the kernel reports reserved fields
              if (!poisoned.has(slot)) poisoned.set(slot, reservedMessage(raw.opcode));
              const spec = cands[0]!;
              const d = spec.discriminator!;
              if (d.field === 'off') { fixed[b + 2] = d.value & 0xff; fixed[b + 3] = (d.value >> 8) & 0xff; }
              if (d.field === 'imm') { fixed.set([d.value & 0xff, 0, 0, 0], b + 4); }
              if (d.field === 'src') fixed[b + 1] = (fixed[b + 1]! & 0x0f) | (d.value << 4);
              continue;
            }
            return { error: { pc: slot, message: `unknown opcode ${hex2(raw.opcode)}` }, poisoned };
          }
          case 'ReservedFieldNonZero': {
            if (!poisoned.has(slot)) poisoned.set(slot, reservedMessage(raw.opcode));
            const spec = (SPECS_BY_OPCODE[raw.opcode] ?? [])[0]!;
            if (spec.fields.dst === 'zero') fixed[b + 1] = fixed[b + 1]! & 0xf0;
            if (spec.fields.src === 'zero') fixed[b + 1] = fixed[b + 1]! & 0x0f;
            if (spec.fields.off === 'zero') { fixed[b + 2] = 0; fixed[b + 3] = 0; }
            if (spec.fields.imm === 'zero') fixed.set([0, 0, 0, 0], b + 4);
            continue;
          }
          case 'InvalidRegister': {
            const reg = raw.dst >= REGISTER_COUNT ? raw.dst : raw.src;
            if (!poisoned.has(slot)) poisoned.set(slot, `R${reg} is invalid`);
            if (raw.dst >= REGISTER_COUNT) fixed[b + 1] = fixed[b + 1]! & 0xf0;
            if (raw.src >= REGISTER_COUNT) fixed[b + 1] = fixed[b + 1]! & 0x0f;
            continue;
          }
          case 'TruncatedLddw':
            return { error: { pc: slot, message: 'last insn is not an exit or jmp' }, poisoned };
          default:
            return { error: { pc: e.pc, message: 'invalid bpf_ld_imm64 insn' }, poisoned };
        }
      }
    }
  }
  return { prog: decode(fixed), poisoned };
}
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Verifies a program (decoded, or raw bytes decoded as the kernel reads them). */
export function verify(program: Program | Uint8Array, options: VerifyOptions): VerifyResult {
  const logLevel = options.logLevel ?? 0;
  const privileged = !options.unprivileged;
  const emptyStats: CheckStats = { processed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0 };
  const finish = (lines: readonly string[], stats: CheckStats, error?: { pc: number; message: string }): VerifyResult => {
    const out = logLevel & 3 ? [...lines] : [];
    if (error && logLevel) out.push(error.message);
    if (logLevel) {
      out.push(`processed ${stats.processed} insns (limit ${options.insnLimit ?? INSN_LIMIT}) max_states_per_insn ${stats.maxStatesPerInsn} total_states ${stats.totalStates} peak_states ${stats.peakStates} mark_read 0`);
    }
    const res: VerifyResult = { ok: !error, log: out.length ? out.join('\n') + '\n' : '', stats };
    if (error) res.error = error;
    return res;
  };
  let prog: Program;
  let poisoned = new Map<number, string>();
  if (program instanceof Uint8Array) {
    const d = lenientDecode(program);
    if (d.error) return finish([], emptyStats, d.error);
    prog = d.prog!;
    poisoned = d.poisoned;
  } else prog = program;
  const c = checkCfg(prog, { allowLoops: privileged });
  if (c.error) return finish([], emptyStats, c.error);
  const checker = new Checker(prog, c.cfg!, {
    type: options.type,
    maps: options.maps ?? [],
    gplCompatible: GPL_COMPATIBLE.includes(options.license ?? 'GPL'),
    privileged,
    logLevel,
    helpers: options.helpers ?? helpersDefault(),
    insnLimit: options.insnLimit ?? INSN_LIMIT,
    poisoned,
  });
  try {
    checker.run();
  } catch (e) {
    if (e instanceof Reject) return finish(checker.logLines, checker.stats(), { pc: e.pc, message: e.message });
    throw e;
  }
  return finish(checker.logLines, checker.stats());
}

/** verify(), throwing a VerifierError (EW5xxx) on rejection. */
export function verifyOrThrow(program: Program | Uint8Array, options: VerifyOptions): VerifyResult {
  const r = verify(program, options);
  if (!r.ok) throw new VerifierError('VerifierRejected', r.error!.pc, r.error!.message, r.log);
  return r;
}
