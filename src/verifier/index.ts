/**
 * The verifier's public API: verify(program, options) runs pass 1 (control
 * flow) and pass 2 (abstract interpretation) and returns the verdict, a
 * kernel-style log, the first error with its pc, and statistics.
 */
import { decode, decodeAt, readSlot } from '../isa/decode.js';
import type { Program } from '../isa/instruction.js';
import { Class, CallSrc, INSTRUCTION_BYTES, JmpOp, AluOp, CLASS_MASK, OP_MASK, REGISTER_COUNT, Mode, MODE_MASK, LddwSrc } from '../isa/opcodes.js';
import { SPECS_BY_OPCODE } from '../isa/spec.js';
import { DecodeError, VerifierError } from '../diagnostics/index.js';
import { HelperRegistry } from '../helpers/table.js';
import { installHelperProtos } from '../helpers/protos.js';
import type { ProgramTypeName } from '../programs/types.js';
import { checkCfg } from './cfg.js';
import { Checker, Reject, INSN_LIMIT, type CheckStats } from './verifier.js';
import { type VerifierMap, MAP_TYPE_IDS, mapTypeId } from './maps.js';
import type { GlobalFunc } from './global-func.js';
export type { GlobalFunc, GlobalArg } from './global-func.js';
import type { TracingTarget } from './btf-access.js';
export type { TracingTarget, TracingKind } from './btf-access.js';

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
  /**
   * BTF func_info records (instruction offset of each function, in order).
   * The kernel needs them for ld_imm64 src=4 (callbacks such as bpf_loop's);
   * when given they must match the subprogram layout.
   */
  funcInfo?: readonly { readonly insnOff: number; readonly global?: GlobalFunc }[];
  /** BTF line_info: source lines the level-1 trace shows before their instructions (`; line @ file:N`). */
  lineInfo?: readonly LineInfo[];
  /**
   * BTF-typed tracing programs (tp_btf, fentry, fexit, fmod_ret, lsm): the attach target resolved in
   * the kernel BTF; pointer arguments then load as PTR_TO_BTF_ID. Without it every slot is a scalar.
   */
  tracing?: TracingTarget;
}

export interface LineInfo { readonly insnOff: number; readonly source: string; readonly fileName: string; readonly line: number }

export interface VerifyResult {
  ok: boolean;
  log: string;
  error?: { pc: number; message: string };
  stats: CheckStats;
}

/** BPF_LOG_STATS: verification time, stack depth. */
const LOG_STATS = 4;

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
  if (cls === Class.LD && ((opcode & MODE_MASK) === Mode.ABS || (opcode & MODE_MASK) === Mode.IND)) return 'BPF_LD_[ABS|IND] uses reserved fields';
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

/**
 * check_subprogs on the raw slots, which the kernel runs before it looks
 * inside any instruction: call targets, jumps leaving their subprogram, and
 * the last instruction of each subprogram (a cut-off lddw half is just a slot).
 */
function rawCheckSubprogs(bytes: Uint8Array): { pc: number; message: string } | undefined {
  const n = bytes.length / INSTRUCTION_BYTES;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const code = (i: number): number => bytes[i * INSTRUCTION_BYTES]!;
  const src = (i: number): number => bytes[i * INSTRUCTION_BYTES + 1]! >> 4;
  const off = (i: number): number => v.getInt16(i * INSTRUCTION_BYTES + 2, true);
  const imm = (i: number): number => v.getInt32(i * INSTRUCTION_BYTES + 4, true);
  const starts = new Set<number>([0]);
  for (let i = 0; i < n; i++) {
    const c = code(i);
    if ((c === (Class.JMP | JmpOp.CALL) && src(i) === 1) || (c === (Class.LD | 0x18) && src(i) === 4)) {
      const t = i + imm(i) + 1;
      if (t < 0 || t >= n) return { pc: i, message: 'call to invalid destination' };
      starts.add(t);
    }
  }
  const subs = [...starts].sort((a, b) => a - b);
  for (let s = 0; s < subs.length; s++) {
    const start = subs[s]!, end = s + 1 < subs.length ? subs[s + 1]! : n;
    for (let i = start; i < end; i++) {
      const c = code(i), cls = c & CLASS_MASK, op = c & OP_MASK;
      if ((cls === Class.JMP || cls === Class.JMP32) && op !== JmpOp.EXIT && op !== JmpOp.CALL) {
        const t = i + (c === (Class.JMP32 | JmpOp.JA) ? imm(i) : off(i)) + 1;
        if (t < start || t >= end) return { pc: i, message: `jump out of range from insn ${i} to ${t}` };
      }
      if (i === end - 1 && c !== (Class.JMP | JmpOp.EXIT) && c !== (Class.JMP | JmpOp.JA) && c !== (Class.JMP32 | JmpOp.JA)) {
        return { pc: i, message: 'last insn is not an exit or jmp' };
      }
    }
  }
  return undefined;
}

/** Map types with map_direct_value_addr (lddw src=2/6). */
const DIRECT_VALUE_MAP_TYPES: ReadonlySet<number> = new Set([MAP_TYPE_IDS.array]);
const BPF_MAX_VAR_OFF = 1 << 29;

/** resolve_pseudo_ldimm64: every lddw's pseudo source, in program order, before any path is walked. */
function resolvePseudoLdimm64(prog: Program, maps: readonly VerifierMap[], poisoned: ReadonlyMap<number, string>): { pc: number; message: string } | undefined {
  for (const insn of prog.instructions) {
    const p = poisoned.get(insn.pc);
    if (p !== undefined && (insn.opcode & CLASS_MASK) === Class.LDX && p.endsWith('uses reserved fields')) return { pc: insn.pc, message: p };
    if (insn.spec.kind !== 'lddw' || insn.src === LddwSrc.IMM64) continue;
    const fail = (message: string): { pc: number; message: string } => ({ pc: insn.pc, message });
    switch (insn.src) {
      case LddwSrc.BTF_ID: return fail(`pseudo btf_id ${insn.imm} in ldimm64 isn't KIND_VAR or KIND_FUNC`);
      case LddwSrc.FUNC: continue;
      case LddwSrc.MAP_VALUE: case LddwSrc.MAP_IDX_VALUE: break;
      case LddwSrc.MAP_FD: case LddwSrc.MAP_IDX: if ((insn.immHi ?? 0) === 0) break; return fail('unrecognized bpf_ld_imm64 insn');
      default: return fail('unrecognized bpf_ld_imm64 insn');
    }
    if (insn.src === LddwSrc.MAP_IDX || insn.src === LddwSrc.MAP_IDX_VALUE) return fail('fd_idx without fd_array is invalid');
    const m = maps[insn.imm];
    if (!m) return fail(`fd ${insn.imm} is not pointing to valid bpf_map`);
    if (insn.src === LddwSrc.MAP_VALUE) {
      const off = (insn.immHi ?? 0) >>> 0;
      if (off >= BPF_MAX_VAR_OFF) return fail(`direct value offset of ${off} is not allowed`);
      if (!DIRECT_VALUE_MAP_TYPES.has(mapTypeId(m.type))) return fail('no direct value access support for this map type');
      if (m.maxEntries !== 1 || off >= m.valueSize) return fail(`invalid access to map value pointer, value_size=${m.valueSize} off=${off}`);
    }
  }
  return undefined;
}

/** Subprogram starts: 0 and every local call / ld_imm64 src=4 target, ascending. */
function subprogStarts(prog: Program): number[] {
  const starts = new Set<number>([0]);
  for (const insn of prog.instructions) {
    const ref = insn.spec.kind === 'lddw' && insn.src === LddwSrc.FUNC;
    if ((insn.spec.kind === 'call' && insn.src === CallSrc.LOCAL) || ref) starts.add(insn.pc + 1 + insn.imm);
  }
  return [...starts].sort((a, b) => a - b);
}

/** check_btf_func_early / check_btf_func: func_info records name exactly the subprogram starts. */
function checkFuncInfo(prog: Program, funcInfo: readonly { readonly insnOff: number }[]): { pc: number; message: string } | undefined {
  const fail = (message: string): { pc: number; message: string } => ({ pc: 0, message });
  for (let i = 0; i < funcInfo.length; i++) {
    const off = funcInfo[i]!.insnOff;
    if (i === 0 && off !== 0) return fail(`nonzero insn_off ${off} for the first func info record`);
    if (i > 0 && off <= funcInfo[i - 1]!.insnOff) return fail(`same or smaller insn offset (${off}) than previous func info record (${funcInfo[i - 1]!.insnOff})`);
  }
  const sorted = subprogStarts(prog);
  if (sorted.length !== funcInfo.length) return fail("number of funcs in func_info doesn't match number of subprogs");
  if (sorted.some((s, i) => s !== funcInfo[i]!.insnOff)) return fail("func_info BTF section doesn't match subprog layout in BPF program");
  return undefined;
}

/** check_btf_line: records ascending inside the program, on instruction starts, one at each function start. */
function checkLineInfo(prog: Program, lineInfo: readonly LineInfo[], subprogs: readonly number[]): { pc: number; message: string } | undefined {
  const fail = (message: string): { pc: number; message: string } => ({ pc: 0, message });
  let s = 0;
  for (let i = 0; i < lineInfo.length; i++) {
    const off = lineInfo[i]!.insnOff, prev = i ? lineInfo[i - 1]!.insnOff : 0;
    if ((i && off <= prev) || off >= prog.slotCount || off < 0) {
      return fail(`Invalid line_info[${i}].insn_off:${off} (prev_offset:${prev} prog->len:${prog.slotCount})`);
    }
    if (prog.indexBySlot[off] === undefined || prog.indexBySlot[off]! < 0) return fail(`Invalid insn code at line_info[${i}].insn_off`);
    if (s < subprogs.length) {
      if (off === subprogs[s]) s++;
      else if (subprogs[s]! < off) return fail(`missing bpf_line_info for func#${s}`);
    }
  }
  if (s !== subprogs.length) return fail(`missing bpf_line_info for ${subprogs.length - s} funcs starting from func#${s}`);
  return undefined;
}

/**
 * The map list the checker indexes: the program's maps, then each map-in-map's
 * inner template (innerOf[K] is the index of map K's template, or -1).
 */
function expandMaps(maps: readonly VerifierMap[]): { all: VerifierMap[]; innerOf: number[] } {
  const all = [...maps];
  const innerOf = maps.map((m) => {
    if (!m.inner) return -1;
    all.push(m.inner);
    return all.length - 1;
  });
  return { all, innerOf };
}

/** Verifies a program (decoded, or raw bytes decoded as the kernel reads them). */
export function verify(program: Program | Uint8Array, options: VerifyOptions): VerifyResult {
  const t0 = performance.now();
  const logLevel = options.logLevel ?? 0;
  const privileged = !options.unprivileged;
  const emptyStats: CheckStats = { processed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0 };
  const finish = (lines: readonly string[], stats: CheckStats, error?: { pc: number; message: string }): VerifyResult => {
    // At level 1 the kernel rewinds the log over every path that reached exit (pop_stack's
    // bpf_vlog_reset): an accepted program leaves only its statistics.
    const out = logLevel & 2 || (logLevel & 1 && error) ? [...lines] : [];
    if (error && logLevel) out.push(error.message);
    if (logLevel & LOG_STATS) {
      out.push(`verification time ${Math.round((performance.now() - t0) * 1000)} usec`);
      out.push(`stack depth ${(stats.stackDepth ?? [0]).join('+')}`);
    }
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
    if (program.length && program.length % INSTRUCTION_BYTES === 0) {
      const e = rawCheckSubprogs(program);
      if (e) return finish([], emptyStats, e);
    }
    const d = lenientDecode(program);
    if (d.error) return finish([], emptyStats, d.error);
    prog = d.prog!;
    poisoned = d.poisoned;
  } else prog = program;
  const maps = options.maps ?? [];
  const funcInfo = options.funcInfo?.length ? options.funcInfo : undefined;
  const c = checkCfg(prog, {
    allowLoops: privileged,
    afterSubprogs: () => (funcInfo && checkFuncInfo(prog, funcInfo))
      || (options.lineInfo?.length ? checkLineInfo(prog, options.lineInfo, subprogStarts(prog)) : undefined)
      || resolvePseudoLdimm64(prog, maps, poisoned),
  });
  const expanded = expandMaps(maps);
  if (c.error) return finish([], emptyStats, c.error);
  const checker = new Checker(prog, c.cfg!, {
    type: options.type,
    maps: expanded.all,
    innerMaps: expanded.innerOf,
    hasFuncInfo: !!funcInfo,
    globals: new Map((funcInfo ?? []).filter((f) => f.global).map((f) => [f.insnOff, f.global!])),
    lineInfo: options.lineInfo,
    gplCompatible: GPL_COMPATIBLE.includes(options.license ?? 'GPL'),
    privileged,
    logLevel,
    helpers: options.helpers ?? helpersDefault(),
    insnLimit: options.insnLimit ?? INSN_LIMIT,
    poisoned,
    ...(options.tracing ? { tracing: options.tracing } : {}),
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
