/**
 * Pass 2: abstract interpretation over every path (the kernel's do_check),
 * with state pruning, the kernel's memory-access, ALU, branch and helper
 * rules, and a kernel-style log.
 */
import { AluOp, AtomicOp, ATOMIC_FETCH, CallSrc, FRAME_POINTER, JmpOp, LddwSrc, MAX_CALL_FRAMES, STACK_FRAME_BYTES } from '../isa/opcodes.js';
import { jumpTarget, lddwValue, type Instruction, type Program } from '../isa/instruction.js';
import type { HelperArgType, HelperRegistry, HelperSpec } from '../helpers/table.js';
import { type ContextSpec, BTF_TRACING_CTX, VERIFIER_CONTEXTS, contextFieldSpan } from '../programs/context.js';
import type { ProgramTypeName } from '../programs/types.js';
import { type Reg, type RegType, regsEqual, notInit, unknownScalar, knownScalar, pointer, markKnown, setUnknown, isConst, isPointer, isPkt, syncBounds, boundsInvalid, coerceToSize, signExtend, mark32Unbounded } from './reg.js';
import { tnumIsConst, tnumAdd, tnumSub, tnumConst, tnumStr, tnumSubreg, S64_MIN, S64_MAX, U64_MAX, s64, u64, u32 } from './tnum.js';
import { scalarAluOp, scalarNeg, branchTaken, refine, negateJmp, swapJmp, JSET_NOT } from './alu.js';
import { type State, type Frame, type Checkpoint, type Slot, SB, SLOT_BYTES, newFrame, cloneState, allRegs, statesEqualExact, stateSubsumes } from './state.js';
import { type Cfg, subprogOf } from './cfg.js';
import { type VerifierMap, MAP_TYPE_IDS, SPIN_LOCK_BYTES, mapTypeId, mapFuncCompatible, mapIsRdonly } from './maps.js';
import { formatTracePrintk } from '../helpers/printk.js';
import { FIRST_MEMBER, KF_ACQUIRE, KF_RCU, KF_RELEASE, KF_RET_NULL, kfuncAllowed, kfuncById, type KfuncSpec } from '../kfuncs/table.js';
import type { LineInfo } from './index.js';
import type { GlobalFunc } from './global-func.js';
import { type TracingTarget, BTF_TRUST_PREFIX, MAX_BPF_FUNC_ARGS, btfCtxAccess, btfStructAccess, isRcuField } from './btf-access.js';

interface ArgMeta { map: number; allocSize: number; releaseRef: number; keyInArray: boolean; subprog: number }
import { disasm, regStateStr, stateStr } from './log.js';

/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS. */
export const INSN_LIMIT = 1_000_000;
/** BPF_MAX_VAR_OFF: largest variable offset the kernel tracks for pointers. */
const MAX_VAR_OFF = 1 << 29;
/** BPF_MAX_VAR_SIZ: largest size a helper size argument may have. */
const MAX_VAR_SIZ = 1 << 29;
/** MAX_PACKET_OFF: packet offsets are u16. */
const MAX_PACKET_OFF = 0xffff;
/** Stack depths are rounded up to this when summed across frames. */
const STACK_ROUND = 32;
/** Bytes of struct bpf_sock the verifier lets a sock_common pointer read. */
const SOCK_COMMON_READ_BYTES = 80;
/** sizeof(struct bpf_flow_keys): the bound of PTR_TO_FLOW_KEYS accesses (check_flow_keys_access). */
const FLOW_KEYS_BYTES = 56;
/** sizeof(struct bpf_dynptr): two stack slots. */
const DYNPTR_BYTES = 16;
/** sizeof(struct bpf_sock). */
const BPF_SOCK_BYTES = 80;

/**
 * bpf_sock_is_valid_access: what a PTR_TO_SOCKET may read. The u32 fields
 * (state, family, type, protocol, src_port, rx_queue_mapping, the addresses)
 * also narrower (the scalar ones from their first byte only); dst_port is a __be16 read as 2 bytes, 1 byte or, with its
 * zero padding, 4; the rest of the padding after it never; anything else
 * 4 bytes exactly.
 */
function bpfSockReadOk(off: number, size: number): boolean {
  if (off < 0 || off >= BPF_SOCK_BYTES || off % size !== 0) return false;
  const narrowOk = (fieldOff: number, fieldSize: number): boolean =>
    off >= fieldOff && off + size <= fieldOff + fieldSize && size <= fieldSize;
  // bpf_sock: bound_dev_if 0, family 4, type 8, protocol 12, mark 16, priority 20, src_ip4 24, src_ip6 28..44,
  // src_port 44, dst_port 48 (+2 padding), dst_ip4 52, dst_ip6 56..72, state 72, rx_queue_mapping 76
  // the addresses are ctx ranges (any byte); family, type, protocol, src_port, state and
  // rx_queue_mapping are matched at their first byte only
  for (const f of [24, 28, 32, 36, 40, 52, 56, 60, 64, 68]) if (off >= f && off < f + 4) return narrowOk(f, 4);
  if ([4, 8, 12, 44, 72, 76].includes(off)) return size <= 4;
  if (off >= 48 && off < 50) return size === 4 ? off === 48 : narrowOk(48, 2);
  if (off >= 50 && off < 52) return false;
  return size === 4;
}

export class Reject extends Error {
  constructor(readonly pc: number, message: string) { super(message); }
}

export interface CheckOptions {
  type: ProgramTypeName;
  maps: readonly VerifierMap[];
  gplCompatible: boolean;
  privileged: boolean;
  logLevel: number;
  helpers: HelperRegistry;
  insnLimit: number;
  /** Instructions with reserved-field errors, raised when reached (as the kernel does). */
  poisoned: ReadonlyMap<number, string>;
  /** innerMaps[K]: index in `maps` of map K's inner-map template (map-in-map), else -1 or absent. */
  innerMaps?: readonly number[];
  /** The program came with BTF func_info (needed for ld_imm64 src=4 callbacks). */
  hasFuncInfo?: boolean;
  /** BTF line_info records, ascending by instruction. */
  lineInfo?: readonly LineInfo[];
  /** Global functions by first instruction: verified on their own, calls checked against the prototype. */
  globals?: ReadonlyMap<number, GlobalFunc>;
  /** BTF-typed tracing programs: the attach target, which types the context's slots (btf_ctx_access). */
  tracing?: TracingTarget;
}

/**
 * Helpers that call a BPF callback, and how the callback's frame starts
 * (set_loop_callback_state, set_map_elem_callback_state): argument registers
 * built from the caller's; every one must return a value in [0, 1].
 */
/** The kernel struct behind a map pointer, by map type (named in the write-refusal message). */
const MAP_STRUCT_NAMES: Partial<Record<number, string>> = Object.fromEntries([
  ...(['hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash', 'hash_of_maps'] as const).map((t) => [MAP_TYPE_IDS[t], 'bpf_htab']),
  ...(['array', 'percpu_array', 'prog_array', 'perf_event_array', 'array_of_maps'] as const).map((t) => [MAP_TYPE_IDS[t], 'bpf_array']),
]);

/** bpf_loop counts up to this are unrolled rather than widened (see pushCallback). */
const UNROLL_LIMIT = 64;
const CALLBACK_HELPERS: Record<string, { ret: { min: number; max: number } }> = {
  bpf_loop: { ret: { min: 0, max: 1 } },
  bpf_for_each_map_elem: { ret: { min: 0, max: 1 } },
};

export interface CheckStats {
  processed: number; maxStatesPerInsn: number; totalStates: number; peakStates: number;
  /** Deepest stack use of each subprogram (the kernel's `stack depth` line). */
  stackDepth?: readonly number[];
}

const ALU_STR: Record<number, string> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=', [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.NEG]: 'neg', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=', [AluOp.MOV]: '=',
  [AluOp.ARSH]: 's>>=', [AluOp.END]: 'endian',
};

/** The kernel's reg_type_str. */
export function regTypeStr(r: Reg): string {
  // reg_type_str: PTR_TO_BTF_ID is "ptr_" with its flags around it
  if (r.type === 'btf_id') return `${BTF_TRUST_PREFIX[r.trust]}ptr_${r.maybeNull ? 'or_null_' : ''}`;
  let s: string = r.type;
  if (r.type === 'mem' && r.ringbuf) s = 'ringbuf_mem';
  if (r.type === 'mem' && r.rdonly) s = 'rdonly_mem';
  return r.maybeNull ? `${s}_or_null` : s;
}

const MEM_TYPES_MSG = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';
/** The types ARG_PTR_TO_BTF_ID_SOCK_COMMON accepts (btf_id_sock_common_types), as check_reg_type lists them. */
const SOCK_COMMON_ARG_TYPES: readonly RegType[] = ['sock_common', 'sock'];
const SOCK_COMMON_ARG_MSG = 'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_';
const MEM_ARG_TYPES: readonly RegType[] = ['fp', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem'];

interface Pending { state: State; pc: number; from: number }

/** reg_not_null: only these pointers are known non-NULL (not fp, ctx or packet pointers). */
const NOT_NULL_TYPES: ReadonlySet<RegType> = new Set<RegType>(['map_value', 'map_key', 'sock_common', 'sock', 'mem', 'map_ptr']);
const regNotNull = (r: Reg): boolean => !r.maybeNull && NOT_NULL_TYPES.has(r.type);

/** Packet ranges below zero: the pointer is known to be at or past pkt_end (mark_pkt_end). */
const BEYOND_PKT_END = -2;
const AT_PKT_END = -1;

/** is_pkt_ptr_branch_taken: a packet pointer marked at/beyond the end decides its next compare with pkt_end. */
function pktBranchTaken(dst: Reg, src: Reg, op: number): boolean | null {
  let pkt: Reg;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') { pkt = src; op = swapJmp(op); } else return null;
  if (pkt.range >= 0) return null;
  switch (op) {
    case JmpOp.JLE: case JmpOp.JGT:
      if (pkt.range === BEYOND_PKT_END) return op === JmpOp.JGT;
      break;
    case JmpOp.JLT: case JmpOp.JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === JmpOp.JGE;
      break;
  }
  return null;
}

export class Checker {
  private readonly ctx: ContextSpec | null;
  private readonly ctxRules: (typeof VERIFIER_CONTEXTS)[ProgramTypeName];
  private idGen = 0;
  private processed = 0;
  private jmpsProcessed = 0;
  private prevJmps = 0;
  private prevInsns = 0;
  private readonly explored = new Map<number, Checkpoint[]>();
  private totalStates = 0;
  /** The kernel's max_states_per_insn: most states already kept at an instruction when another is added. */
  private maxStatesPerInsn = 0;
  private peakStates = 0;
  private curStates = 0;
  /** Deepest stack use of each subprogram. */
  private readonly stackDepth: number[];
  private readonly log: string[] = [];
  private cur!: State;
  private pc = 0;
  private pending: Pending[] = [];
  /** Global functions called so far (first instructions, in call order), and the one being verified on its own. */
  private readonly globalsCalled: number[] = [];
  private verifyingGlobal: GlobalFunc | null = null;

  constructor(private readonly prog: Program, private readonly cfg: Cfg, private readonly o: CheckOptions) {
    this.ctxRules = VERIFIER_CONTEXTS[o.type];
    this.ctx = this.ctxRules?.ctx ?? null;
    this.stackDepth = cfg.subprogs.map(() => 0);
  }

  get logLines(): readonly string[] { return this.log; }
  stats(): CheckStats {
    return { processed: this.processed, maxStatesPerInsn: this.maxStatesPerInsn, totalStates: this.totalStates, peakStates: this.peakStates, stackDepth: [...this.stackDepth] };
  }

  private verbose(line: string): void { if (this.o.logLevel & 3) this.log.push(line); }
  private fail(message: string): never { throw new Reject(this.pc, message); }
  private at(pc: number): Instruction { return this.prog.instructions[this.prog.indexBySlot[pc]!]!; }
  private get frame(): Frame { return this.cur.frames[this.cur.frames.length - 1]!; }
  private get regs(): Reg[] { return this.frame.regs; }

  // ---- main loop ---------------------------------------------------------------

  run(): void {
    const init = newFrame(0, -1, 0);
    init.regs[1] = this.ctx ? pointer('ctx') : unknownScalar();
    if (this.o.logLevel & 2) this.verbose('func#0 @0'); // the kernel prints subprogram starts at level 2
    this.walk(0, init);
    // do_check_subprogs: every global function a verified path called, on its own, args from BTF
    for (let i = 0; i < this.globalsCalled.length; i++) {
      const start = this.globalsCalled[i]!;
      const g = this.o.globals!.get(start)!;
      const sub = subprogOf(this.cfg.subprogs, start);
      const f = newFrame(0, -1, sub);
      g.args.forEach((a, k) => {
        f.regs[k + 1] = a.kind === 'scalar' ? unknownScalar() : a.kind === 'ctx' ? pointer('ctx')
          : pointer('mem', { memSize: a.size, maybeNull: true, id: this.newId() });
      });
      if (this.o.logLevel & 3) this.verbose(`Validating ${g.name}() func#${sub}...`);
      this.verifyingGlobal = g;
      this.walk(start, f);
    }
    this.verifyingGlobal = null;
    this.checkMaxStackDepth();
  }

  private walk(start: number, init: Frame): void {
    this.cur = { frames: [init], refs: [], parent: null };
    const pending: Pending[] = this.pending;
    if (this.o.logLevel & 3) this.verbose(`${start}: ${stateStr(this.cur)}`);
    let pc = start;
    for (;;) {
      this.pc = pc;
      const next = this.step(pc, pending);
      if (next === null) {
        this.endPath(this.cur);
        const p = pending.pop();
        if (!p) break;
        this.cur = p.state;
        pc = p.pc;
        if (this.o.logLevel & 3) this.verbose(`from ${p.from} to ${p.pc}: ${stateStr(this.cur)}`);
      } else pc = next;
    }
  }

  /** A path ended (exit or pruned): its checkpoint ancestors may become complete. */
  private endPath(s: State): void {
    let c = s.parent;
    while (c) {
      c.branches--;
      if (c.branches > 0) break;
      c = c.parent;
    }
  }

  /** Returns the next pc, or null when the path ends. */
  private step(pc: number, pending: Pending[]): number | null {
    if (++this.processed > this.o.insnLimit) {
      this.fail(`BPF program is too large. Processed ${this.processed} insn`);
    }
    if (this.cfg.prunePoints[pc]) {
      if (this.o.logLevel & 2) this.verbose(`${pc}: ${stateStr(this.cur)}`);
      const v = this.isStateVisited(pc);
      if (v) {
        if (this.o.logLevel & 3) this.verbose(`${pc}: safe`);
        return null;
      }
    }
    const insn = this.at(pc);
    if (this.o.logLevel & 3) this.verboseLinfo(pc);
    if (this.o.logLevel & 3) this.verbose(`${pc}: (${insn.opcode.toString(16).padStart(2, '0')}) ${disasm(insn, this.o.helpers)}`);
    const poison = this.o.poisoned.get(pc);
    if (poison) this.fail(poison);
    const next = pc + insn.spec.slots;
    const k = insn.spec.kind;
    if (k === 'ja' || k === 'jcond' || k === 'may_goto' || k === 'call' || k === 'exit') this.jmpsProcessed++;
    switch (k) {
      case 'alu': case 'neg': case 'movsx': case 'end':
        this.checkAlu(insn);
        this.traceReg(insn.dst);
        return next;
      case 'lddw':
        this.checkLddw(insn);
        this.traceReg(insn.dst);
        return next;
      case 'ldx': case 'ldxs':
        this.readReg(insn.src);
        this.checkWritableDst(insn.dst);
        this.checkMemAccess(insn.src, insn.off, insn.spec.size!, 'read', insn.dst, k === 'ldxs');
        this.traceReg(insn.dst);
        return next;
      case 'st':
        this.readReg(insn.dst);
        this.checkMemAccess(insn.dst, insn.off, insn.spec.size!, 'write', -1, false, insn.imm);
        return next;
      case 'stx':
        this.readReg(insn.src);
        this.readReg(insn.dst);
        this.checkMemAccess(insn.dst, insn.off, insn.spec.size!, 'write', insn.src, false);
        return next;
      case 'atomic':
        this.checkAtomic(insn);
        return next;
      case 'ldabs': case 'ldind':
        this.checkLdAbs(insn);
        return next;
      case 'ja':
        return jumpTarget(insn);
      case 'may_goto': {
        // Either leave the loop now or go on; the budget makes every loop finite.
        const st = cloneState(this.cur);
        this.pushBranch(pending, st, jumpTarget(insn), pc);
        return next;
      }
      case 'jcond':
        return this.checkCondJmp(insn, pending);
      case 'call':
        // do_check: only bpf_spin_unlock may be called with a lock held (static subprograms may)
        if (this.cur.lock && insn.src !== CallSrc.LOCAL && !(insn.src === CallSrc.HELPER && this.o.helpers.get(insn.imm)?.name === 'bpf_spin_unlock')) {
          this.fail('function calls are not allowed while holding a lock');
        }
        if (insn.src === CallSrc.LOCAL) return this.checkFuncCall(insn);
        if (insn.src === CallSrc.KFUNC) this.checkKfuncCall(insn);
        else this.checkHelperCall(insn);
        return next;
      case 'callx':
        this.fail(`unknown opcode ${insn.opcode.toString(16).padStart(2, '0')}`);
      // eslint-disable-next-line no-fallthrough
      case 'exit':
        return this.checkExit();
    }
    return this.fail(`unknown insn class ${insn.opcode & 7}`);
  }

  private prevLinfo: LineInfo | undefined;
  /** verbose_linfo: the source line of pc's line_info record, once per line (columns are not shown). */
  private verboseLinfo(pc: number): void {
    const all = this.o.lineInfo;
    if (!all?.length) return;
    let l: LineInfo | undefined;
    for (const x of all) { if (x.insnOff > pc) break; l = x; }
    const prev = this.prevLinfo;
    if (!l || l === prev || (prev && prev.fileName === l.fileName && prev.line === l.line)) return;
    this.verbose(`; ${l.source.trimStart()} @ ${l.fileName.replace(/^.*\//, '')}:${l.line}`);
    this.prevLinfo = l;
  }

  private traceReg(r: number): void {
    if (this.o.logLevel & 3) {
      const last = this.log.length - 1;
      this.log[last] = `${this.log[last]!.padEnd(37)} ; ${regStateStr(r, this.regs[r]!)}`;
    }
  }

  private pushBranch(pending: Pending[], st: State, pc: number, from: number): void {
    if (st.parent) st.parent.branches++;
    pending.push({ state: st, pc, from });
    if (pending.length > 8192) this.fail(`The sequence of ${pending.length} jumps is too complex.`);
  }

  private isStateVisited(pc: number): boolean {
    const list = this.explored.get(pc) ?? [];
    const isMayGoto = this.at(pc).spec.kind === 'may_goto';
    const callsCallback = this.callbackOf(this.at(pc)) !== undefined;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      if (callsCallback) {
        // Another turn of a callback loop: converged once it adds nothing (RANGE_WITHIN, in progress or not).
        if (stateSubsumes(c.state, this.cur)) { c.hits++; return true; }
      } else if (c.branches > 0) {
        // A state still being explored: reaching it again unchanged is a loop that never ends.
        if (statesEqualExact(c.state, this.cur)) this.fail(`infinite loop detected at insn ${pc}`);
        if (isMayGoto && this.sameShape(c.state, this.cur)) return true;
      } else if (stateSubsumes(c.state, this.cur)) {
        c.hits++;
        return true;
      }
      // Like the kernel, forget states that keep failing to match.
      if (++c.misses > c.hits * 3 + 3) { list.splice(i, 1); i--; this.curStates--; }
    }
    // Like the kernel, checkpoint only after at least 2 jumps and 8 instructions (callback calls always: they loop).
    if (!callsCallback && (this.jmpsProcessed - this.prevJmps < 2 || this.processed - this.prevInsns < 8)) return false;
    this.prevJmps = this.jmpsProcessed;
    this.prevInsns = this.processed;
    this.maxStatesPerInsn = Math.max(this.maxStatesPerInsn, list.length);
    const cp: Checkpoint = { state: cloneState(this.cur), pc, branches: 1, parent: this.cur.parent, hits: 0, misses: 0 };
    cp.state.parent = cp.parent;
    list.push(cp);
    this.explored.set(pc, list);
    this.cur.parent = cp;
    this.totalStates++;
    this.curStates++;
    this.peakStates = Math.max(this.peakStates, this.curStates);
    return false;
  }

  /** may_goto widening: same register and slot types, scalars of any value. */
  private sameShape(a: State, b: State): boolean {
    if (a.frames.length !== b.frames.length) return false;
    for (let i = 0; i < a.frames.length; i++) {
      const fa = a.frames[i]!, fb = b.frames[i]!;
      for (let r = 0; r < fa.regs.length; r++) {
        const x = fa.regs[r]!, y = fb.regs[r]!;
        if (x.type !== y.type || (x.type !== 'scalar' && x.off !== y.off)) return false;
      }
    }
    return true;
  }

  // ---- registers -----------------------------------------------------------------

  private readReg(r: number): Reg {
    const reg = this.regs[r]!;
    if (reg.type === 'not_init') this.fail(`R${r} !read_ok`);
    return reg;
  }
  private checkWritableDst(r: number): void {
    if (r === FRAME_POINTER) this.fail('frame pointer is read only');
  }
  private newId(): number { return ++this.idGen; }

  // ---- ALU -----------------------------------------------------------------------

  private checkAlu(insn: Instruction): void {
    const op = insn.spec.aluOp!;
    const bits = insn.spec.width;
    const k = insn.spec.kind;
    if (k === 'neg' || k === 'end') {
      this.readReg(insn.dst);
      this.checkWritableDst(insn.dst);
      const d = this.regs[insn.dst]!;
      if (isPointer(d)) {
        if (!this.o.privileged) this.fail(`R${insn.dst} pointer arithmetic prohibited`);
        setUnknown(d);
        return;
      }
      if (k === 'neg') { scalarNeg(d, bits); return; }
      this.byteSwap(d, insn);
      return;
    }
    if (op === AluOp.MOV) {
      if (insn.spec.source === 'reg') this.readReg(insn.src);
      this.checkWritableDst(insn.dst);
      const regs = this.regs;
      if (insn.spec.source === 'imm') {
        regs[insn.dst] = knownScalar(bits === 64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
        return;
      }
      const src = regs[insn.src]!;
      if (k === 'movsx') {
        if (isPointer(src)) this.fail(`R${insn.src} sign-extension part of pointer`);
        const d = { ...src, id: 0 };
        signExtend(d, insn.spec.size! / 8);
        if (bits === 32) coerceToSize(d, 4);
        regs[insn.dst] = d;
        return;
      }
      if (bits === 64) {
        if (src.type === 'scalar' && !src.id && !isConst(src)) src.id = this.newId();
        regs[insn.dst] = { ...src };
        return;
      }
      if (isPointer(src)) {
        if (!this.o.privileged) this.fail(`R${insn.src} partial copy of pointer`);
        regs[insn.dst] = unknownScalar();
        coerceToSize(regs[insn.dst]!, 4);
        return;
      }
      const d = { ...src, id: 0 };
      coerceToSize(d, 4);
      regs[insn.dst] = d;
      return;
    }
    // Binary operations.
    if (insn.spec.source === 'reg') this.readReg(insn.src);
    this.readReg(insn.dst);
    this.checkWritableDst(insn.dst);
    if (insn.spec.source === 'imm') {
      if ((op === AluOp.DIV || op === AluOp.MOD) && insn.imm === 0) this.fail('div by zero');
      if ((op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && (insn.imm < 0 || insn.imm >= bits)) this.fail(`invalid shift ${insn.imm}`);
    }
    const regs = this.regs;
    const dst = regs[insn.dst]!;
    const src = insn.spec.source === 'reg' ? regs[insn.src]! : knownScalar(bits === 64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
    if (insn.spec.source === 'imm' && bits === 32) markKnown(src, BigInt(insn.imm));
    const opStr = ALU_STR[op]!;
    if (isPointer(src) && insn.spec.source === 'reg') {
      if (isPointer(dst)) {
        if (op === AluOp.SUB && this.o.privileged) { setUnknown(dst); return; }
        if (bits === 32 && !this.o.privileged) this.fail(`R${insn.dst} 32-bit pointer arithmetic prohibited`);
        this.fail(`R${insn.dst} pointer ${opStr} pointer prohibited`);
      }
      // scalar op= pointer
      this.adjustPtr(insn, insn.dst, src, dst, op, bits, true);
      return;
    }
    if (isPointer(dst)) {
      this.adjustPtr(insn, insn.dst, dst, src, op, bits, false);
      return;
    }
    scalarAluOp(dst, src, op, bits);
  }

  private byteSwap(d: Reg, insn: Instruction): void {
    const bits = insn.spec.size!;
    const bytes = bits / 8;
    if (insn.spec.order === 'le') { coerceToSize(d, bytes); d.id = 0; return; }
    if (isConst(d)) {
      let v = d.var.value, out = 0n;
      for (let i = 0; i < bytes; i++) { out = (out << 8n) | (v & 0xffn); v >>= 8n; }
      markKnown(d, out);
      return;
    }
    setUnknown(d);
    coerceToSize(d, bytes);
  }

  /** The kernel's adjust_ptr_min_max_vals: pointer ± scalar. */
  private adjustPtr(insn: Instruction, dstno: number, ptr: Reg, off: Reg, op: number, bits: number, scalarIsDst: boolean): void {
    const opStr = ALU_STR[op]!;
    if (bits === 32) {
      if (op === AluOp.SUB && this.o.privileged) { setUnknown(this.regs[dstno]!); return; }
      this.fail(`R${dstno} 32-bit pointer arithmetic prohibited`);
    }
    if (ptr.maybeNull) this.fail(`R${dstno} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
    const known = isConst(off);
    const smin = off.smin, smax = off.smax, umin = off.umin, umax = off.umax;
    const arithOk = ['ctx', 'map_value', 'map_key', 'fp', 'pkt_meta', 'pkt', 'mem', 'btf_id'].includes(ptr.type) ||
      (ptr.type === 'flow_keys' && known) ||
      (ptr.type === 'map_ptr' && known && smin === 0n && op === AluOp.ADD);
    if (!arithOk) this.fail(`R${dstno} pointer arithmetic on ${regTypeStr(ptr)} prohibited`);
    const dst = this.regs[dstno]!;
    if ((known && (smin !== smax || umin !== umax)) || smin > smax || umin > umax) { setUnknown(dst); return; }
    // check_reg_sane_offset on the offset and on the pointer.
    const tname = regTypeStr(ptr);
    if (known && (smin >= BigInt(MAX_VAR_OFF) || smin <= -BigInt(MAX_VAR_OFF))) this.fail(`math between ${tname} pointer and ${smin} is not allowed`);
    for (const r of [off, ptr]) {
      if (r === ptr && (ptr.off >= MAX_VAR_OFF || ptr.off <= -MAX_VAR_OFF)) this.fail(`${tname} pointer offset ${ptr.off} is not allowed`);
      if (r.smin === S64_MIN) this.fail(`math between ${tname} pointer and register with unbounded min value is not allowed`);
      if (r.smin >= BigInt(MAX_VAR_OFF) || r.smin <= -BigInt(MAX_VAR_OFF)) this.fail(`value ${r.smin} makes ${tname} pointer be out of bounds`);
    }
    const res: Reg = { ...ptr };
    mark32Unbounded(res);
    switch (op) {
      case AluOp.ADD: {
        const sum = ptr.off + Number(smin);
        if (known && sum === (sum | 0)) { res.off = sum; break; }
        this.addVar(res, ptr, off, 1n);
        break;
      }
      case AluOp.SUB: {
        if (scalarIsDst) this.fail(`R${dstno} tried to subtract pointer from scalar`);
        if (ptr.type === 'fp') this.fail(`R${dstno} subtraction from stack pointer prohibited`);
        const diff = ptr.off - Number(smin);
        if (known && diff === (diff | 0)) { res.off = diff; break; }
        this.addVar(res, ptr, off, -1n);
        break;
      }
      case AluOp.AND: case AluOp.OR: case AluOp.XOR:
        this.fail(`R${dstno} bitwise operator ${opStr} on pointer prohibited`);
      // eslint-disable-next-line no-fallthrough
      default:
        this.fail(`R${dstno} pointer arithmetic with ${opStr} operator prohibited`);
    }
    syncBounds(res);
    if (!this.o.privileged) this.sanitizePtr(dstno, res);
    this.regs[dstno] = res;
    void insn;
  }

  private addVar(res: Reg, ptr: Reg, off: Reg, sign: bigint): void {
    if (sign > 0n) {
      const smin = ptr.smin + off.smin, smax = ptr.smax + off.smax;
      if (smin < S64_MIN || smax > S64_MAX) { res.smin = S64_MIN; res.smax = S64_MAX; } else { res.smin = smin; res.smax = smax; }
      const umin = ptr.umin + off.umin, umax = ptr.umax + off.umax;
      if (umax > U64_MAX) { res.umin = 0n; res.umax = U64_MAX; } else { res.umin = umin; res.umax = umax; }
      res.var = tnumAdd(ptr.var, off.var);
    } else {
      const smin = ptr.smin - off.smax, smax = ptr.smax - off.smin;
      if (smin < S64_MIN || smax > S64_MAX) { res.smin = S64_MIN; res.smax = S64_MAX; } else { res.smin = smin; res.smax = smax; }
      if (ptr.umin < off.umax) { res.umin = 0n; res.umax = U64_MAX; } else { res.umin = ptr.umin - off.umax; res.umax = ptr.umax - off.umin; }
      res.var = tnumSub(ptr.var, off.var);
    }
    if (isPkt(ptr)) { res.id = this.newId(); res.range = 0; }
  }

  /** Unprivileged programs may not build out-of-bounds pointers (sanitize_check_bounds). */
  private sanitizePtr(dstno: number, r: Reg): void {
    if (r.type === 'fp') {
      const lo = Number(r.smin) + r.off;
      if (!isConst(r) || lo < -STACK_FRAME_BYTES || lo >= 0) this.fail(`R${dstno} stack pointer arithmetic goes out of range, prohibited for !root`);
    }
    if (r.type === 'map_value') {
      const size = this.o.maps[r.map]!.valueSize;
      if (r.smin + BigInt(r.off) < 0n || r.umax + BigInt(r.off) > BigInt(size)) this.fail(`R${dstno} pointer arithmetic of map value goes out of range, prohibited for !root`);
    }
  }

  // ---- 64-bit immediates --------------------------------------------------------------

  private checkLddw(insn: Instruction): void {
    this.checkWritableDst(insn.dst);
    const regs = this.regs;
    switch (insn.src) {
      case LddwSrc.IMM64:
        regs[insn.dst] = knownScalar(lddwValue(insn));
        return;
      case LddwSrc.MAP_FD: case LddwSrc.MAP_IDX: case LddwSrc.MAP_VALUE: case LddwSrc.MAP_IDX_VALUE: {
        const idx = insn.imm;
        const m = this.o.maps[idx];
        if (!m) this.fail(`fd ${idx} is not pointing to valid bpf_map`);
        if (insn.src === LddwSrc.MAP_FD || insn.src === LddwSrc.MAP_IDX) regs[insn.dst] = pointer('map_ptr', { map: idx });
        else {
          const off = insn.immHi!;
          if (off < 0 || off >= m.valueSize) this.fail(`invalid access to map value pointer, value_size=${m.valueSize} off=${off}`);
          regs[insn.dst] = pointer('map_value', { map: idx, off });
        }
        return;
      }
      case LddwSrc.FUNC:
        if (!this.o.hasFuncInfo) this.fail('missing btf func_info');
        regs[insn.dst] = pointer('func', { subprog: subprogOf(this.cfg.subprogs, insn.pc + 1 + insn.imm) });
        return;
      // eslint-disable-next-line no-fallthrough
      default:
        this.fail('unrecognized bpf_ld_imm64 insn');
    }
  }

  // ---- memory ---------------------------------------------------------------------

  private checkAlignment(regno: number, r: Reg, off: number, size: number): void {
    // Only stack accesses are strictly aligned on an architecture with efficient unaligned access.
    if (r.type !== 'fp') return;
    const t = tnumAdd(r.var, tnumConst(BigInt(r.off + off)));
    if ((t.value | t.mask) % BigInt(size) !== 0n || (t.value % BigInt(size)) !== 0n || (t.mask & BigInt(size - 1)) !== 0n) {
      const vs = tnumIsConst(r.var) ? s64(r.var.value).toString() : tnumStr(r.var);
      this.fail(`misaligned stack access off ${vs}+${r.off}+${off} size ${size}`);
    }
    void regno;
  }

  /** check_mem_access: a load (valueReg = destination) or store (valueReg = source, -1 for an immediate). */
  private checkMemAccess(regno: number, insnOff: number, size: number, t: 'read' | 'write', valueReg: number, signExt: boolean, imm?: number): void {
    const reg = this.regs[regno]!;
    this.checkAlignment(regno, reg, insnOff, size);
    const off = insnOff + reg.off;
    const value = valueReg >= 0 && t === 'write' ? this.regs[valueReg]! : null;
    let result: Reg | null = null;
    switch (reg.type) {
      case 'map_value': case 'map_key': {
        if (reg.maybeNull) this.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
        if (t === 'write' && value && isPointer(value) && !this.o.privileged) this.fail(`R${valueReg} leaks addr into map`);
        const m = this.o.maps[reg.map]!;
        this.checkMemRegion(regno, reg, off, size, reg.type === 'map_key' ? m.keySize : m.valueSize, false);
        result = unknownScalar();
        break;
      }
      case 'mem':
        if (reg.maybeNull) this.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
        if (t === 'write' && reg.rdonly) this.fail(`R${regno} cannot write into ${regTypeStr(reg)}`);
        this.checkMemRegion(regno, reg, off, size, reg.memSize, false);
        result = unknownScalar();
        break;
      case 'ctx': {
        if (t === 'write' && value && isPointer(value) && !this.o.privileged) this.fail(`R${valueReg} leaks addr into ctx`);
        this.checkPtrOffReg(regno, reg);
        result = this.checkCtxAccess(off, size, t);
        break;
      }
      case 'fp':
        this.checkStackAccess(regno, reg, off, size, t, valueReg, imm);
        if (t === 'read') {
          const got = this.stackRead(regno, reg, off, size, valueReg);
          if (got) { this.regs[valueReg] = got; this.finishLoad(valueReg, size, signExt, got.type === 'scalar'); }
        }
        return;
      case 'pkt': case 'pkt_meta':
        if (t === 'write' && !this.ctxRules?.packetWrite) this.fail('cannot write into packet');
        if (t === 'write' && value && isPointer(value) && !this.o.privileged) this.fail(`R${valueReg} leaks addr into packet`);
        this.checkPacketAccess(regno, reg, off, size);
        result = unknownScalar();
        break;
      case 'map_ptr': {
        // a map pointer is read through the map's kernel struct (BTF), never written
        const struct = MAP_STRUCT_NAMES[mapTypeId(this.o.maps[reg.map]!.type)];
        if (t === 'write') this.fail(struct ? `only read from ${struct} is supported` : `R${regno} invalid mem access '${regTypeStr(reg)}'`);
        result = unknownScalar();
        break;
      }
      case 'sock_common':
        if (reg.maybeNull || t === 'write' || off < 0 || off + size > SOCK_COMMON_READ_BYTES) this.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
        result = unknownScalar();
        break;
      case 'sock':
        // type_is_sk_pointer does not cover sock_or_null: it falls to the generic refusal
        if (reg.maybeNull) this.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
        if (t === 'write') this.fail(`R${regno} cannot write into ${regTypeStr(reg)}`);
        if (reg.smin < 0n) this.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
        if (!bpfSockReadOk(off, size)) this.fail(`R${regno} invalid ${regTypeStr(reg)} access off=${off} size=${size}`);
        result = unknownScalar();
        break;
      case 'btf_id':
        // kfunc pointers carry no layout (btfId 0): reading through them stays refused
        if (reg.maybeNull || !reg.btfId || !this.o.tracing) this.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
        result = this.checkPtrToBtfAccess(regno, reg, off, size, t, this.o.tracing);
        break;
      case 'flow_keys':
        if (t === 'write' && value && isPointer(value) && !this.o.privileged) this.fail(`R${valueReg} leaks addr into flow keys`);
        this.checkFlowKeysAccess(regno, reg, off, size);
        result = unknownScalar();
        break;
      default:
        this.fail(`R${regno} invalid mem access '${regTypeStr(reg)}'`);
    }
    if (t === 'read' && result) {
      this.regs[valueReg] = result;
      this.finishLoad(valueReg, size, signExt, result.type === 'scalar');
    }
  }

  /**
   * check_ptr_to_btf_access: a read at a constant offset of a kernel struct (btf_struct_access walks
   * its members); tracing programs have no struct they may write.
   */
  private checkPtrToBtfAccess(regno: number, reg: Reg, off: number, size: number, t: 'read' | 'write', target: TracingTarget): Reg {
    const name = reg.btf;
    if (!this.o.privileged) this.fail(`'struct ${name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`);
    if (!this.o.gplCompatible) this.fail(`Cannot access kernel 'struct ${name}' from non-GPL compatible program`);
    if (off < 0) this.fail(`R${regno} is ptr_${name} invalid negative access: off=${off}`);
    if (!tnumIsConst(reg.var) || reg.var.value !== 0n) this.fail(`R${regno} is ptr_${name} invalid variable offset: off=${off}, var_off=${tnumStr(reg.var)}`);
    if (t === 'write') this.fail('only read is supported');
    const r = btfStructAccess(target.btf, reg.btfId, off, size);
    if (r.kind === 'error') this.fail(r.message);
    if (r.kind !== 'ptr') return unknownScalar();
    // a pointer walked to from a trusted or RCU one is RCU-protected if the field is (BTF_TYPE_SAFE_RCU; every
    // walk here is inside the RCU section of a non-sleepable program), else plain (clear_trusted_flags)
    const rcu = reg.trust !== 'plain' && isRcuField(target.btf, reg.btfId, r.field);
    return pointer('btf_id', { btf: r.name, btfId: r.id, trust: rcu ? 'rcu' : 'plain' });
  }

  /** check_flow_keys_access: a constant offset, the access within struct bpf_flow_keys. */
  private checkFlowKeysAccess(regno: number, reg: Reg, off: number, size: number): void {
    if (!tnumIsConst(reg.var)) this.fail(`R${regno} invalid variable offset to flow keys: off=${off}, var_off=${tnumStr(reg.var)}`);
    const at = off + Number(s64(reg.var.value));
    if (size < 0 || at < 0 || at + size > FLOW_KEYS_BYTES) this.fail(`invalid access to flow keys off=${at} size=${size}`);
  }

  private finishLoad(r: number, size: number, signExt: boolean, scalar: boolean): void {
    if (!scalar) return;
    const reg = this.regs[r]!;
    if (size < 8) {
      if (signExt) signExtend(reg, size); else coerceToSize(reg, size);
    }
  }

  private checkPtrOffReg(regno: number, reg: Reg): void {
    if (reg.off !== 0) this.fail(`dereference of modified ${regTypeStr(reg)} ptr R${regno} off=${reg.off} disallowed`);
    if (!tnumIsConst(reg.var) || reg.var.value !== 0n) this.fail(`variable ${regTypeStr(reg)} access var_off=${tnumStr(reg.var)} disallowed`);
  }

  /** check_mem_region_access: fixed offset plus the variable offset's bounds within [0, memSize). */
  private checkMemRegion(regno: number, reg: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
    if (reg.smin < 0n && (reg.smin === S64_MIN || BigInt(off) + reg.smin < 0n)) {
      this.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
    }
    this.memAccessOk(regno, reg, Number(reg.smin) + off, size, memSize, zeroOk);
    if (reg.umax >= BigInt(MAX_VAR_OFF)) this.fail(`R${regno} unbounded memory access, make sure to bounds check any such access`);
    this.memAccessOk(regno, reg, Number(reg.umax) + off, size, memSize, zeroOk);
    // check_map_access: BTF special fields are not plain memory
    const lock = reg.type === 'map_value' ? this.o.maps[reg.map]?.spinLockOff : undefined;
    if (lock !== undefined && Number(reg.smin) + off < lock + SPIN_LOCK_BYTES && lock < Number(reg.umax) + off + size) {
      this.fail('bpf_spin_lock cannot be accessed directly by load/store');
    }
  }

  private memAccessOk(regno: number, reg: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
    const sizeOk = size > 0 || (size === 0 && zeroOk);
    if (off >= 0 && sizeOk && off + size <= memSize) return;
    switch (reg.type) {
      case 'map_key': this.fail(`invalid access to map key, key_size=${memSize} off=${off} size=${size}`);
      // eslint-disable-next-line no-fallthrough
      case 'map_value': this.fail(`invalid access to map value, value_size=${memSize} off=${off} size=${size}`);
      // eslint-disable-next-line no-fallthrough
      case 'pkt': case 'pkt_meta': case 'pkt_end':
        this.fail(`invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`);
      // eslint-disable-next-line no-fallthrough
      default: this.fail(`invalid access to memory, mem_size=${memSize} off=${off} size=${size}`);
    }
  }

  private checkPacketAccess(regno: number, reg: Reg, off: number, size: number): void {
    if (reg.smin < 0n) this.fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
    if (reg.range < 0) this.fail(`R${regno} offset is outside of the packet`); // at or beyond pkt_end
    this.memAccessOk(regno, reg, off, size, reg.range, false);
  }

  private checkCtxAccess(off: number, size: number, t: 'read' | 'write'): Reg {
    const ctx = this.ctx;
    const bad = (): never => this.fail(`invalid bpf_context access off=${off} size=${size}`);
    const tracing = this.o.tracing;
    if (tracing && ctx === BTF_TRACING_CTX) {
      // bpf_tracing_btf_ctx_access, then btf_ctx_access types the slot by the target's prototype
      if (off < 0 || off >= MAX_BPF_FUNC_ARGS * 8 || t !== 'read' || off % size !== 0) bad();
      const r = btfCtxAccess(tracing, off, size);
      if (r.kind === 'error') this.fail(r.message);
      if (r.kind === 'scalar') return unknownScalar();
      return pointer('btf_id', { btf: r.name, btfId: r.id, trust: tracing.kind === 'tp_btf' || tracing.kind === 'lsm' ? 'trusted' : 'plain' });
    }
    if (ctx && off < 0 && ctx.negativeOffsetsReadable && off % size === 0 && t === 'read') return unknownScalar();
    if (!ctx || off < 0 || off >= ctx.size || off % size !== 0) return bad();
    const f = ctx.fields.find((x) => off >= x.offset && off < x.offset + contextFieldSpan(ctx, x));
    if (!f || f.hidden) return bad();
    if (f.anySize) {
      if (off + size > f.offset + contextFieldSpan(ctx, f)) bad();
      if (t === 'write' && !f.writable) bad();
      return unknownScalar();
    }
    if (t === 'write') {
      if (!f.writable || size !== f.size) bad();
      return unknownScalar();
    }
    if (size !== f.size && !(size < f.size && f.narrowLoads)) bad();
    switch (f.kind) {
      case 'packet': return pointer('pkt', { id: 0 });
      case 'packet_meta': return pointer('pkt_meta');
      case 'packet_end': return pointer('pkt_end');
      case 'sock': {
        const r = pointer(f.sockType ?? 'sock_common', { maybeNull: !!f.maybeNull });
        if (r.maybeNull) r.id = this.newId();
        return r;
      }
      case 'flow_keys': return pointer('flow_keys');
      default: return unknownScalar();
    }
  }

  // ---- stack ------------------------------------------------------------------------

  private stackFrame(reg: Reg): Frame { return this.cur.frames[reg.frameno]!; }

  /** check_stack_access_within_bounds. */
  private stackBounds(regno: number, reg: Reg, off: number, size: number, t: 'read' | 'write'): [number, number] {
    const extra = t === 'read' ? ' read from' : ' write to';
    let min: number, max: number;
    if (tnumIsConst(reg.var)) {
      min = Number(s64(reg.var.value)) + off;
      max = min + size;
    } else {
      if (reg.smax >= BigInt(MAX_VAR_OFF) || reg.smin <= -BigInt(MAX_VAR_OFF)) this.fail(`invalid unbounded variable-offset${extra} stack R${regno}`);
      min = Number(reg.smin) + off;
      max = Number(reg.smax) + off + size;
    }
    if (min < -STACK_FRAME_BYTES || max > 0 || size < 0 || min >= 0) {
      if (tnumIsConst(reg.var)) this.fail(`invalid${extra} stack R${regno} off=${off + Number(s64(reg.var.value))} size=${size}`);
      this.fail(`invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.var)} off=${off} size=${size}`);
    }
    const f = this.stackFrame(reg);
    this.stackDepth[f.subprog] = Math.max(this.stackDepth[f.subprog]!, -min);
    return [min, max];
  }

  private slotAt(f: Frame, addr: number, create: boolean): [Slot | undefined, number] {
    const slot = -addr - 1;
    const spi = slot >> 3;
    let s = f.stack[spi];
    if (!s && create) { s = { bytes: new Array<SB>(SLOT_BYTES).fill(SB.Invalid), spill: null }; f.stack[spi] = s; }
    return [s, slot % SLOT_BYTES];
  }

  private checkStackAccess(regno: number, reg: Reg, off: number, size: number, t: 'read' | 'write', valueReg: number, imm?: number): void {
    const [min, max] = this.stackBounds(regno, reg, off, size, t);
    if (t === 'read') return;
    const f = this.stackFrame(reg);
    this.destroyDynptrs(f, min, max);
    const value = valueReg >= 0 ? this.regs[valueReg]! : null;
    if (!tnumIsConst(reg.var)) {
      const zero = value ? value.type === 'scalar' && isConst(value) && value.var.value === 0n : imm === 0;
      for (let a = min; a < max; a++) {
        const [s, bi] = this.slotAt(f, a, true);
        if (s!.spill) { s!.spill = null; s!.bytes = s!.bytes.map((b) => (b === SB.Invalid ? b : SB.Misc)); }
        if (!(zero && s!.bytes[bi] === SB.Zero)) s!.bytes[bi] = SB.Misc;
      }
      return;
    }
    this.stackWriteFixed(f, min, size, value, imm);
  }

  /** check_stack_write_fixed_off. */
  private stackWriteFixed(f: Frame, addr: number, size: number, value: Reg | null, imm?: number): void {
    const [s] = this.slotAt(f, addr, true);
    const slot = s!;
    const aligned = ((-addr) % SLOT_BYTES) === 0;
    const spill = (r: Reg): void => {
      slot.spill = { ...r };
      for (let i = SLOT_BYTES; i > SLOT_BYTES - size; i--) slot.bytes[i - 1] = SB.Spill;
      for (let i = SLOT_BYTES - size; i > 0; i--) {
        const b = slot.bytes[i - 1]!;
        if (b === SB.Zero || (b === SB.Invalid && this.o.privileged)) continue;
        slot.bytes[i - 1] = SB.Misc;
      }
    };
    if (value && value.type === 'scalar' && aligned && this.o.privileged) {
      if (!value.id && !isConst(value) && size === SLOT_BYTES) value.id = this.newId();
      spill(value);
      if (size < SLOT_BYTES) slot.spill!.id = 0;
      return;
    }
    if (!value && aligned && this.o.privileged && imm !== undefined) {
      spill(knownScalar(BigInt(imm)));
      return;
    }
    if (value && isPointer(value)) {
      if (size !== SLOT_BYTES) this.fail('invalid size of register spill');
      if (value.type === 'fp' && f !== this.frame) this.fail('cannot spill pointers to stack into stack frame of the caller');
      spill(value);
      return;
    }
    if (slot.spill || slot.bytes.includes(SB.Spill)) {
      slot.spill = null;
      slot.bytes = slot.bytes.map((b) => (b === SB.Spill ? SB.Misc : b));
      for (let i = 0; i < SLOT_BYTES; i++) if (slot.bytes[i] !== SB.Invalid) slot.bytes[i] = SB.Misc;
    }
    const zero = value ? value.type === 'scalar' && isConst(value) && value.var.value === 0n : imm === 0;
    for (let a = addr; a < addr + size; a++) {
      const [sl, bi] = this.slotAt(f, a, true);
      if (sl !== slot && sl!.spill) { sl!.spill = null; sl!.bytes = sl!.bytes.map((b) => (b === SB.Spill ? SB.Misc : b)); }
      sl!.bytes[bi] = zero ? SB.Zero : SB.Misc;
    }
  }

  /** check_stack_read_fixed_off / var_off: the value loaded, or null when nothing is loaded. */
  private stackRead(regno: number, reg: Reg, off: number, size: number, dst: number): Reg | null {
    const f = this.stackFrame(reg);
    if (!tnumIsConst(reg.var)) {
      const min = Number(reg.smin) + off, max = Number(reg.smax) + off + size;
      let allZero = true;
      for (let a = min; a < max; a++) {
        const [s, bi] = this.slotAt(f, a, false);
        const b = s ? s.bytes[bi]! : SB.Invalid;
        if (b !== SB.Zero) allZero = false;
        if (b === SB.Invalid && !this.o.privileged) this.fail(`invalid read from stack R${regno} var_off ${tnumStr(reg.var)}+${off} size ${size}`);
      }
      return allZero ? knownScalar(0n) : unknownScalar();
    }
    const addr = Number(s64(reg.var.value)) + off;
    const [s, bi0] = this.slotAt(f, addr, false);
    const slotIdx = -addr - 1;
    const bytes = s ? s.bytes : new Array<SB>(SLOT_BYTES).fill(SB.Invalid);
    if (s && s.spill && bytes[SLOT_BYTES - 1] === SB.Spill) {
      let spillSize = 1;
      for (let i = SLOT_BYTES - 1; i > 0 && bytes[i - 1] === SB.Spill; i--) spillSize++;
      const sp = s.spill;
      if (size !== SLOT_BYTES || spillSize !== SLOT_BYTES) {
        if (sp.type !== 'scalar') this.fail('invalid size of register fill');
        if (size <= spillSize && addr % SLOT_BYTES === 0) {
          const r = { ...sp };
          if (size < SLOT_BYTES) r.id = 0;
          return r;
        }
        let spillCnt = 0, zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const b = bytes[((slotIdx - i) % SLOT_BYTES + SLOT_BYTES) % SLOT_BYTES]!;
          if (b === SB.Spill) { spillCnt++; continue; }
          if (b === SB.Misc) continue;
          if (b === SB.Zero) { zeroCnt++; continue; }
          if (b === SB.Invalid && this.o.privileged) continue;
          this.fail(`invalid read from stack off ${addr}+${i} size ${size}`);
        }
        if ((spillCnt === size && isConst(sp) && sp.var.value === 0n) || zeroCnt === size) return knownScalar(0n);
        return unknownScalar();
      }
      return { ...sp };
    }
    let zeros = 0;
    for (let i = 0; i < size; i++) {
      const a = addr + i;
      const [sl, bi] = this.slotAt(f, a, false);
      const b = sl ? sl.bytes[bi]! : SB.Invalid;
      if (b === SB.Zero) { zeros++; continue; }
      if (b === SB.Misc || b === SB.Spill) continue;
      if (b === SB.Invalid && this.o.privileged) continue;
      this.fail(`invalid read from stack off ${addr}+${i} size ${size}`);
    }
    void bi0; void dst;
    return zeros === size ? knownScalar(0n) : unknownScalar();
  }

  // ---- atomics and legacy packet loads -------------------------------------------------

  private checkAtomic(insn: Instruction): void {
    const op = insn.spec.atomicOp!;
    this.readReg(insn.src);
    this.readReg(insn.dst);
    if (op === AtomicOp.CMPXCHG) this.readReg(0);
    const src = this.regs[insn.src]!;
    if (isPointer(src) && !this.o.privileged) this.fail(`R${insn.src} leaks addr into mem`);
    const dst = this.regs[insn.dst]!;
    if (dst.type === 'ctx' || isPkt(dst) || dst.type === 'sock_common' || dst.type === 'flow_keys' || (dst.type === 'sock' && !dst.maybeNull)) {
      this.fail(`BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dst)} is not allowed`);
    }
    const size = insn.spec.size!;
    const fetch = (op & ATOMIC_FETCH) !== 0;
    const loadReg = op === AtomicOp.CMPXCHG ? 0 : insn.src;
    // check_reg_arg(load_reg, DST_OP) makes the fetch target an unknown scalar before
    // the memory is checked, so a fetch whose address register is its own target
    // dereferences a scalar (strictly aligned: an unknown offset is misaligned).
    if (fetch && loadReg === insn.dst) {
      this.regs[loadReg] = unknownScalar();
      this.fail(`misaligned access off (0x0; 0xffffffffffffffff)+0+${insn.off} size ${size}`);
    }
    // The read half checks the memory; a fetch loads into loadReg.
    const saved = { ...this.regs[loadReg]! };
    this.checkMemAccess(insn.dst, insn.off, size, 'read', loadReg, false);
    if (!fetch) this.regs[loadReg] = saved;
    const value = fetch ? -1 : insn.src;
    if (fetch) {
      const keep = this.regs[loadReg]!;
      this.regs[loadReg] = saved;
      this.checkMemAccess(insn.dst, insn.off, size, 'write', insn.src, false);
      this.regs[loadReg] = keep.type === 'scalar' ? keep : unknownScalar();
    } else this.checkMemAccess(insn.dst, insn.off, size, 'write', value, false);
  }

  private checkLdAbs(insn: Instruction): void {
    const t = this.o.type;
    if (t !== 'socket_filter' && t !== 'sched_cls' && t !== 'sched_act') this.fail('BPF_LD_[ABS|IND] instructions not allowed for this program type');
    const r6 = this.readReg(6);
    if (insn.spec.kind === 'ldind') this.readReg(insn.src);
    if (r6.type !== 'ctx') this.fail('at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    this.checkResourceLeak('BPF_LD_[ABS|IND]', true);
    for (let r = 1; r <= 5; r++) this.regs[r] = notInit();
    // check_ld_abs marks R0 unknown without narrowing it to the load size.
    const r0 = unknownScalar();
    this.regs[0] = r0;
  }

  // ---- conditional jumps ---------------------------------------------------------------

  private checkCondJmp(insn: Instruction, pending: Pending[]): number | null {
    const op = insn.spec.jmpOp!;
    const bits = insn.spec.width;
    if (insn.spec.source === 'reg') {
      this.readReg(insn.src);
      if (isPointer(this.regs[insn.src]!) && !this.o.privileged && !this.pktPair(insn)) this.fail(`R${insn.src} pointer comparison prohibited`);
    }
    this.readReg(insn.dst);
    const regs = this.regs;
    const dst = regs[insn.dst]!;
    const src = insn.spec.source === 'reg' ? regs[insn.src]! : knownScalar(bits === 64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
    const target = jumpTarget(insn);
    const fall = insn.pc + 1;
    const srcIsZero = src.type === 'scalar' && isConst(src) && (bits === 64 ? src.var.value === 0n : u32(src.var.value) === 0n);
    if (isPointer(dst) && !this.o.privileged && !(srcIsZero && dst.maybeNull) && !this.pktPair(insn)) {
      this.fail(`R${insn.dst} pointer comparison prohibited`);
    }
    // Decide the branch when possible.
    let taken: boolean | null = null;
    if (dst.type === 'scalar' && src.type === 'scalar') taken = branchTaken(dst, src, op, bits);
    else if (bits === 64 && insn.spec.source === 'reg' && (isPkt(dst) || dst.type === 'pkt_end') && (isPkt(src) || src.type === 'pkt_end')) {
      taken = pktBranchTaken(dst, src, op);
    }
    else if (isPointer(dst) && srcIsZero && regNotNull(dst) && (op === JmpOp.JEQ || op === JmpOp.JNE)) taken = op === JmpOp.JNE;
    if (taken === true) return target;
    if (taken === false) return fall;
    // Both branches: the jump-taken state is pushed, the fall-through continues.
    const other = cloneState(this.cur);
    const otherFeasible = this.narrow(other, insn, op, true);
    const thisFeasible = this.narrow(this.cur, insn, negateJmp(op), false);
    if (otherFeasible) this.pushBranch(pending, other, target, insn.pc);
    if (!thisFeasible) return null;
    return fall;
  }

  private pktPair(insn: Instruction): boolean {
    const a = this.regs[insn.dst]!, b = this.regs[insn.src]!;
    const k = (r: Reg): boolean => isPkt(r) || r.type === 'pkt_end';
    return insn.spec.source === 'reg' && k(a) && k(b);
  }

  /** Applies what `dst op src` tells to state `st`; false when the branch is infeasible. */
  private narrow(st: State, insn: Instruction, op: number, isTaken: boolean): boolean {
    const bits = insn.spec.width;
    const regs = st.frames[st.frames.length - 1]!.regs;
    const dst = regs[insn.dst]!;
    const src = insn.spec.source === 'reg' ? regs[insn.src]! : knownScalar(bits === 64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
    // NULL checks (64-bit compares with 0 only).
    if (bits === 64 && (op === JmpOp.JEQ || op === JmpOp.JNE)) {
      const zero = (r: Reg): boolean => r.type === 'scalar' && isConst(r) && r.var.value === 0n;
      let ptr: Reg | null = null;
      if (dst.maybeNull && zero(src)) ptr = dst;
      else if (src.maybeNull && zero(dst)) ptr = src;
      if (ptr) {
        this.markPtrOrNull(st, ptr.id, op === JmpOp.JEQ);
        return true;
      }
    }
    if (bits === 64 && insn.spec.source === 'reg' && (isPkt(dst) || dst.type === 'pkt_end') && (isPkt(src) || src.type === 'pkt_end')) {
      this.pktCompare(st, dst, src, op);
      return true;
    }
    if (dst.type !== 'scalar' || src.type !== 'scalar') return true;
    const a = { ...dst }, b = { ...src };
    refine(a, b, op, bits);
    if (boundsInvalid(a) || boundsInvalid(b)) return false;
    Object.assign(dst, a);
    if (insn.spec.source === 'reg') Object.assign(src, b);
    for (const r of [dst, ...(insn.spec.source === 'reg' ? [src] : [])]) {
      if (!r.id) continue;
      for (const x of allRegs(st)) if (x !== r && x.type === 'scalar' && x.id === r.id) Object.assign(x, { ...r });
    }
    void isTaken;
    return true;
  }

  private markPtrOrNull(st: State, id: number, isNull: boolean): void {
    let refId = 0;
    for (const r of allRegs(st)) {
      if (!r.maybeNull || r.id !== id) continue;
      if (isNull) { refId = r.refObjId || refId; Object.assign(r, knownScalar(0n)); continue; }
      r.maybeNull = false;
      // map-in-map: a non-NULL value is the inner map (mark_ptr_or_null_reg)
      const inner = r.type === 'map_value' ? this.o.innerMaps?.[r.map] ?? -1 : -1;
      if (inner >= 0) Object.assign(r, pointer('map_ptr', { map: inner }));
    }
    if (isNull && refId) st.refs = st.refs.filter((x) => x.id !== refId);
  }

  /** try_match_pkt_pointers / find_good_pkt_pointers. */
  private pktCompare(st: State, dst: Reg, src: Reg, op: number): void {
    // Normalise to "pkt' OP end" where pkt' is the packet (or meta) pointer.
    let p = dst, e = src, o = op;
    // Only pkt' vs pkt_end and pkt_meta' vs the initial pkt pointer bound anything
    // (pkt_meta vs pkt_end does not).
    const initPkt = (x: Reg): boolean => x.type === 'pkt' && x.off === 0 && tnumIsConst(x.var) && x.var.value === 0n;
    const pair = (x: Reg, y: Reg): boolean => (x.type === 'pkt' && y.type === 'pkt_end') || (x.type === 'pkt_meta' && initPkt(y));
    if (pair(src, dst)) { p = src; e = dst; o = swapJmp(op); }
    if (!pair(p, e)) return;
    let rightOpen: boolean;
    switch (o) {
      case JmpOp.JLE: rightOpen = false; break;      // p <= end holds here
      case JmpOp.JLT: rightOpen = true; break;       // p < end
      // mark_pkt_end: this register (not its id) is beyond / at the end.
      case JmpOp.JGT: if (p.type === 'pkt') p.range = BEYOND_PKT_END; return;
      case JmpOp.JGE: if (p.type === 'pkt') p.range = AT_PKT_END; return;
      default: return;
    }
    if (p.off < 0 || (p.off === 0 && rightOpen)) return;
    if (p.umax > BigInt(MAX_PACKET_OFF) || p.umax + BigInt(p.off) > BigInt(MAX_PACKET_OFF)) return;
    // p < end proves one byte more than p <= end.
    const range = rightOpen ? p.off + 1 : p.off;
    for (const r of allRegs(st)) {
      if (r.type === p.type && r.id === p.id && r.range < range) r.range = range;
    }
    void JSET_NOT;
  }

  // ---- calls ---------------------------------------------------------------------------

  private checkFuncCall(insn: Instruction): number {
    const frames = this.cur.frames;
    if (frames.length >= MAX_CALL_FRAMES) this.fail(`the call stack of ${frames.length + 1} frames is too deep`);
    const target = insn.pc + 1 + insn.imm;
    const g = this.o.globals?.get(target);
    if (g) return this.callGlobal(insn, target, g);
    const caller = this.frame;
    const callee = newFrame(frames.length, insn.pc, subprogOf(this.cfg.subprogs, target));
    for (let r = 1; r <= 5; r++) callee.regs[r] = { ...caller.regs[r]! };
    frames.push(callee);
    if (this.o.logLevel & 3) this.verbose(`caller:\n ${stateStr(this.cur, frames.length - 2)}\ncallee:\n ${stateStr(this.cur)}`);
    return target;
  }

  /**
   * check_func_call for a global function: the caller's registers against the
   * prototype (btf_check_func_arg_match), then r0 an unknown scalar; the body is
   * verified on its own later.
   */
  private callGlobal(insn: Instruction, target: number, g: GlobalFunc): number {
    if (this.cur.lock) this.fail('global function calls are not allowed while holding a lock,');
    if (g.error) this.fail(g.error);
    const sub = subprogOf(this.cfg.subprogs, target);
    g.args.forEach((a, i) => {
      const regno = i + 1;
      const reg = this.readReg(regno);
      if (a.kind === 'scalar') {
        if (reg.type !== 'scalar') this.fail(`R${regno} is not a scalar`);
      } else if (a.kind === 'ctx') {
        if (reg.type !== 'ctx') this.fail(`arg#${i} expects pointer to ctx`);
        this.checkPtrOffReg(regno, reg);
      } else if (!(reg.type === 'scalar' && isConst(reg) && reg.var.value === 0n)) {
        // check_mem_reg: NULL, or size bytes readable and writable
        if (reg.maybeNull) this.fail(`R${regno} type=${regTypeStr(reg)} expected=${MEM_TYPES_MSG}`);
        if (!MEM_ARG_TYPES.includes(reg.type)) this.fail(`R${regno} type=${regTypeStr(reg)} expected=${MEM_TYPES_MSG}`);
        this.helperMemAccess(regno, reg, a.size, 'read', false);
        this.helperMemAccess(regno, reg, a.size, 'write', false);
      }
    });
    if (this.o.logLevel & 3) this.verbose(`Func#${sub} ('${g.name}') is global and assumed valid.`);
    if (!this.globalsCalled.includes(target)) this.globalsCalled.push(target);
    for (let r = 1; r <= 5; r++) this.regs[r] = notInit();
    this.regs[0] = unknownScalar();
    this.traceReg(0);
    return insn.pc + 1;
  }

  private checkExit(): number | null {
    const frames = this.cur.frames;
    // prepare_func_exit: no stack pointer goes back to a caller (the kernel refuses even the caller's own)
    if (frames.length > 1 && this.frame.regs[0]!.type === 'fp') this.fail('cannot return stack pointer to the caller');
    if (frames.length > 1 && this.frame.callback) {
      const callee = this.frame;
      const r0 = this.frame.regs[0]!;
      if (r0.type !== 'scalar') this.fail('R0 not a scalar value');
      this.checkRetRange(r0, callee.callback!, 'At callback return the register R0');
      frames.pop();
      if (this.o.logLevel & 3) this.verbose(`returning from callee:\n to caller at ${callee.callsite}:`);
      if (callee.callback!.widen) this.widenAfterCallback(callee.callsite);
      // back to the helper call: it may call the callback again
      return callee.callsite;
    }
    if (frames.length > 1) {
      const callee = this.frame;
      // r0 goes back as it is (the caller finds out if it reads an uninitialised one)
      const r0 = callee.regs[0]!;
      frames.pop();
      const caller = this.frame;
      caller.regs[0] = { ...r0 };
      for (let r = 1; r <= 5; r++) caller.regs[r] = notInit();
      if (this.o.logLevel & 3) this.verbose(`returning from callee:\n to caller at ${callee.callsite + 1}:`);
      return callee.callsite + 1;
    }
    this.checkResourceLeak('BPF_EXIT instruction in main prog', true);
    const r0 = this.readReg(0);
    if (this.verifyingGlobal) {
      if (r0.type !== 'scalar') this.fail(`At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
      return null;
    }
    const range = this.ctxRules?.ret;
    if (range) {
      if (r0.type !== 'scalar') this.fail(`At program exit the register R0 is not a known value (${regTypeStr(r0)})`);
      this.checkRetRange(r0, range, 'At program exit the register R0');
    }
    return null;
  }

  /** check_resource_leak: no lock held (when checked), no reference unreleased, no RCU read section open. */
  private checkResourceLeak(prefix: string, checkLock: boolean): void {
    if (checkLock && this.cur.lock) this.fail(`${prefix} cannot be used inside bpf_spin_lock-ed region`);
    if (this.cur.refs.length) {
      const r = this.cur.refs[0]!;
      this.fail(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
    }
    if (checkLock && this.cur.rcu) this.fail(`${prefix} cannot be used inside bpf_rcu_read_lock-ed region`);
  }

  /**
   * check_kfunc_call: a call to the kfunc whose id in the engine's table is imm
   * (the loader's resolution of an `extern … __ksym`): allowed for the program
   * type, arguments as its prototype says (scalars; trusted non-NULL pointers
   * to the right kernel struct), references acquired and released, RCU read
   * sections balanced; r1–r5 clobbered.
   */
  private checkKfuncCall(insn: Instruction): void {
    const k = kfuncById(insn.imm);
    if (!k || insn.off !== 0) this.fail(`kernel btf_id ${insn.imm} is not a function`);
    if (!kfuncAllowed(k, this.o.type)) this.fail(`calling kernel function ${k.name} is not allowed`);
    if (!this.o.gplCompatible) this.fail('cannot call kernel function from non-GPL compatible program');
    if (k.name === 'bpf_rcu_read_lock' || k.name === 'bpf_rcu_read_unlock') {
      const lock = k.name === 'bpf_rcu_read_lock';
      if (lock && this.cur.rcu) this.fail(`nested rcu read lock (kernel function ${k.name})`);
      if (!lock && !this.cur.rcu) this.fail(`unmatched rcu read unlock (kernel function ${k.name})`);
      this.cur.rcu = lock;
    }
    let release = 0, dynptr = 0, sliceSize = 0;
    k.args.forEach((a, i) => {
      const regno = i + 1;
      const reg = this.readReg(regno);
      switch (a.kind) {
        case 'scalar':
          if (reg.type !== 'scalar') this.fail(`R${regno} is not a scalar`);
          return;
        case 'ctx':
          if (reg.type !== 'ctx') this.fail(`arg#${i} expected pointer to ctx, but got ${regTypeStr(reg)}`);
          this.checkPtrOffReg(regno, reg);
          return;
        case 'dynptr_uninit': case 'dynptr':
          dynptr = this.processDynptrArg(regno, i, reg, a.kind === 'dynptr_uninit');
          return;
        case 'mem_opt':
          if (reg.type === 'scalar' && isConst(reg) && reg.var.value === 0n) return;
          if (!MEM_ARG_TYPES.includes(reg.type) || reg.maybeNull) this.fail(`R${regno} type=${regTypeStr(reg)} expected=${MEM_TYPES_MSG}`);
          return; // sized by the next argument
        case 'const_size': {
          if (reg.type !== 'scalar' || !isConst(reg)) this.fail(`R${regno} must be a known constant`);
          sliceSize = Number(reg.var.value);
          const mem = this.regs[regno - 1]!;
          if (k.args[i - 1]?.kind === 'mem_opt' && !(mem.type === 'scalar')) this.helperMemAccess(regno - 1, mem, sliceSize, 'write', false);
          return;
        }
        case 'btf':
          break;
      }
      if (a.kind !== 'btf') return;
      if ((reg.type === 'scalar' && isConst(reg) && reg.var.value === 0n) || reg.maybeNull) this.fail(`Possibly NULL pointer passed to trusted arg${i}`);
      if (reg.type !== 'btf_id') this.fail(`arg#${i} pointer type STRUCT ${a.struct} must point to scalar, or struct with scalar`);
      // KF_TRUSTED_ARGS: fentry arguments and pointers walked to are neither referenced nor trusted; KF_RCU takes RCU ones
      if (reg.trust !== 'trusted' && !reg.refObjId) {
        if (!(k.flags & KF_RCU)) this.fail(`R${regno} must be referenced or trusted`);
        if (reg.trust !== 'rcu') this.fail(`R${regno} must be a rcu pointer`);
      }
      if (!this.btfStructMatches(reg.btf, a.struct, (k.flags & KF_RELEASE) !== 0)) {
        this.fail(`kernel function ${k.name} args#${i} expected pointer to STRUCT ${a.struct} but R${regno} has a pointer to STRUCT ${reg.btf}`);
      }
      if (reg.off !== 0 || !isConst(reg) || reg.var.value !== 0n) this.fail(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      if (k.flags & KF_RELEASE) {
        if (!reg.refObjId) this.fail(`release kernel function ${k.name} expects refcounted PTR_TO_BTF_ID`);
        release = reg.refObjId;
      }
    });
    if (release) this.releaseReference(release);
    const regs = this.regs;
    for (let r = 1; r <= 5; r++) regs[r] = notInit();
    regs[0] = k.ret.kind === 'slice'
      ? pointer('mem', { memSize: sliceSize, maybeNull: true, id: this.newId(), rdonly: k.ret.rdonly, dynptrId: dynptr })
      : this.kfuncReturn(k, insn.pc);
    this.traceReg(0);
  }

  /**
   * process_dynptr_func: a struct bpf_dynptr on the stack at a constant, slot-aligned offset; an
   * uninitialised one becomes a packet dynptr (STACK_DYNPTR in its two slots), an initialised one
   * must be there. Returns the dynptr's id.
   */
  private processDynptrArg(regno: number, argno: number, reg: Reg, init: boolean): number {
    if (reg.type !== 'fp') this.fail(`arg#${argno} expected pointer to stack or const struct bpf_dynptr`);
    if (!isConst(reg)) this.fail('dynptr has to be at a constant offset');
    const off = reg.off + Number(s64(reg.var.value));
    if (off % SLOT_BYTES !== 0 || off > -DYNPTR_BYTES) this.fail(`cannot pass in dynptr at an offset=${off}`);
    const f = this.stackFrame(reg);
    const [first] = this.slotAt(f, off, false);
    const [second] = this.slotAt(f, off + SLOT_BYTES, false);
    if (!init) {
      const ok = first?.spill?.type === 'dynptr' && first.spill.off === 0 && first.bytes.every((b) => b === SB.Dynptr)
        && second?.spill?.type === 'dynptr' && second.spill.off === 1 && second.spill.dynptrId === first.spill.dynptrId;
      if (!ok) this.fail(`Expected an initialized dynptr as arg #${argno}`);
      return first!.spill!.dynptrId;
    }
    this.stackBounds(regno, reg, reg.off, DYNPTR_BYTES, 'write');
    this.destroyDynptrs(f, off, off + DYNPTR_BYTES);
    const id = this.newId();
    for (const [a, half] of [[off, 0], [off + SLOT_BYTES, 1]] as const) {
      const [sl] = this.slotAt(f, a, true);
      sl!.bytes = new Array<SB>(SLOT_BYTES).fill(SB.Dynptr);
      sl!.spill = { ...notInit(), type: 'dynptr', off: half, dynptrId: id };
    }
    return id;
  }

  /** destroy_if_dynptr_stack_slot: a write over a dynptr's bytes invalidates it and its slices. */
  private destroyDynptrs(f: Frame, min: number, max: number): void {
    for (let a = min; a < max; a++) {
      const [sl, bi] = this.slotAt(f, a, false);
      if (!sl || sl.bytes[bi] !== SB.Dynptr || sl.spill?.type !== 'dynptr') continue;
      const id = sl.spill.dynptrId;
      for (const s of f.stack) {
        if (s?.spill?.type === 'dynptr' && s.spill.dynptrId === id) { s.spill = null; s.bytes = new Array<SB>(SLOT_BYTES).fill(SB.Invalid); }
      }
      for (const r of allRegs(this.cur)) if (r.type === 'mem' && r.dynptrId === id) setUnknown(r);
    }
  }

  /** btf_struct_ids_match: the same struct, or (not strict) one reached through first members. */
  private btfStructMatches(have: string, want: string, strict: boolean): boolean {
    for (let s: string | undefined = have, depth = 0; s !== undefined && depth < 8; s = strict ? undefined : FIRST_MEMBER[s], depth++) {
      if (s === want) return true;
    }
    return false;
  }

  /** R0 after a kfunc: a scalar, nothing, or a trusted pointer to a kernel struct (acquired and/or maybe NULL per its flags). */
  private kfuncReturn(k: KfuncSpec, pc: number): Reg {
    const ret = k.ret;
    if (ret.kind !== 'btf') return ret.kind === 'void' ? notInit() : unknownScalar();
    const r0 = pointer('btf_id', { btf: ret.struct, maybeNull: (k.flags & KF_RET_NULL) !== 0 });
    if (r0.maybeNull) r0.id = this.newId();
    if (k.flags & KF_ACQUIRE) {
      const ref = this.newId();
      this.cur.refs.push({ id: ref, insn: pc });
      if (r0.maybeNull) r0.id = ref;
      r0.refObjId = ref;
    }
    return r0;
  }

  /** process_spin_lock: the lock at its BTF offset in a map value, one at a time, unlocked by the same pointer. */
  private processSpinLock(regno: number, isLock: boolean): void {
    const reg = this.regs[regno]!;
    const fn = isLock ? 'bpf_spin_lock' : 'bpf_spin_unlock';
    if (!isConst(reg)) this.fail(`R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
    const m = this.o.maps[reg.map]!;
    if (!m.btf) this.fail(`map '${m.name ?? ''}' has to have BTF in order to use ${fn}`);
    if (m.spinLockOff === undefined) this.fail(`map '${m.name ?? ''}' has no valid bpf_spin_lock`);
    const off = Number(reg.var.value) + reg.off;
    if (off !== m.spinLockOff) this.fail(`off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${m.spinLockOff}`);
    if (isLock) {
      if (this.cur.lock) this.fail('Locking two bpf_spin_locks are not allowed');
      this.cur.lock = { map: reg.map, id: reg.id };
      return;
    }
    if (!this.cur.lock) this.fail('bpf_spin_unlock without taking a lock');
    if (this.cur.lock.map !== reg.map || this.cur.lock.id !== reg.id) this.fail('bpf_spin_unlock of different lock');
    this.cur.lock = null;
  }

  /** check_reg_const_str: a NUL-terminated string at a constant offset in a frozen read-only map value. */
  private checkConstStr(regno: number, reg: Reg): void {
    const m = this.o.maps[reg.map]!;
    if (!mapIsRdonly(m)) this.fail(`R${regno} does not point to a readonly map'`);
    if (!isConst(reg)) this.fail(`R${regno} is not a constant address'`);
    const t = mapTypeId(m.type);
    if (t !== MAP_TYPE_IDS.array || m.maxEntries !== 1) this.fail('no direct value access support for this map type');
    this.checkMemRegion(regno, reg, reg.off, m.valueSize - reg.off, m.valueSize, false);
    const off = reg.off + Number(reg.var.value);
    if (m.frozenData!.subarray(off, m.valueSize).indexOf(0) < 0) this.fail('string is not zero-terminated');
  }

  /** check_bpf_snprintf_call: the format (a checked const string) takes data_len / 8 arguments. */
  private checkSnprintfFormat(): void {
    const fmt = this.regs[3]!, len = this.regs[5]!;
    if (!isConst(len)) this.fail('verifier bug');
    const m = this.o.maps[fmt.map]!;
    const off = fmt.off + Number(fmt.var.value);
    const args = new Array<bigint>(Number(len.var.value / 8n)).fill(0n);
    if (typeof formatTracePrintk(m.frozenData!.subarray(off), args, () => '', () => undefined) === 'number') this.fail('Invalid format string');
  }

  /** verbose_invalid_scalar: r0 within [min, max]. */
  private checkRetRange(r0: Reg, range: { min: number; max: number }, what: string): void {
    if (r0.smin >= BigInt(range.min) && r0.smax <= BigInt(range.max)) return;
    let s = `${what} has`;
    let unknown = true;
    if (r0.smin > S64_MIN) { s += ` smin=${r0.smin}`; unknown = false; }
    if (r0.smax < S64_MAX) { s += ` smax=${r0.smax}`; unknown = false; }
    if (unknown) s += ' unknown scalar value';
    this.fail(`${s} should have been in [${range.min}, ${range.max}]`);
  }

  /** The callback rules of a helper call instruction, if it calls one. */
  private callbackOf(insn: Instruction): { ret: { min: number; max: number } } | undefined {
    if (insn.spec.kind !== 'call' || insn.src !== CallSrc.HELPER) return undefined;
    const spec = this.o.helpers.get(insn.imm);
    return spec ? CALLBACK_HELPERS[spec.name] : undefined;
  }

  /**
   * push_callback_call: explore the callback as a branch that starts in a new
   * frame and, at its exit, returns to this call (so it runs any number of
   * times); the caller goes on past the call (it may run zero times).
   */
  private pushCallback(insn: Instruction, name: string, meta: ArgMeta): void {
    const cb = CALLBACK_HELPERS[name];
    if (!cb) this.fail(`callback functions are not supported for ${name}#${insn.imm}`);
    const frames = this.cur.frames;
    // bpf_loop with a bounded count runs its callback at most that many times in a row
    const bound = name === 'bpf_loop' ? this.regs[1]!.umax : null;
    if (bound !== null && BigInt(this.frame.callbackDepth ?? 0) >= bound) {
      this.frame.callbackDepth = 0;
      if (this.o.logLevel & 2) this.verbose(`frame${frames.length - 1} bpf_loop iteration limit reached`);
      return;
    }
    if (frames.length >= MAX_CALL_FRAMES) this.fail(`the call stack of ${frames.length + 1} frames is too deep`);
    const st = cloneState(this.cur);
    const caller = st.frames[st.frames.length - 1]!;
    caller.callbackDepth = (caller.callbackDepth ?? 0) + 1;
    this.frame.callbackDepth = 0;
    const callee = newFrame(st.frames.length, insn.pc, meta.subprog);
    // Without precision tracking, widening changed scalars could lose a counter the kernel keeps
    // exact; a short bounded loop is unrolled instead (each turn is a concrete state).
    callee.callback = { ...cb.ret, widen: bound === null || bound > BigInt(UNROLL_LIMIT) };
    if (name === 'bpf_loop') {
      callee.regs[1] = unknownScalar(); // the iteration index
      callee.regs[2] = { ...caller.regs[3]! };
    } else { // bpf_for_each_map_elem: the map, the element's key and value, the context
      callee.regs[1] = pointer('map_ptr', { map: meta.map });
      callee.regs[2] = pointer('map_key', { map: meta.map });
      callee.regs[3] = pointer('map_value', { map: meta.map });
      callee.regs[4] = { ...caller.regs[3]! };
    }
    st.frames.push(callee);
    this.pushBranch(this.pending, st, this.cfg.subprogs[meta.subprog]!, insn.pc);
  }

  /**
   * widen_imprecise_scalars: a scalar that changed since the previous turn of
   * the callback loop becomes unknown, so the loop converges (we track no
   * precision, so every changed scalar is widened: sound, possibly stricter).
   */
  private widenAfterCallback(callsite: number): void {
    const prev = (this.explored.get(callsite) ?? []).find((c) => c.branches > 0 && c.state.frames.length === this.cur.frames.length);
    if (!prev) return;
    for (let i = 0; i < this.cur.frames.length; i++) {
      const fo = prev.state.frames[i]!, fc = this.cur.frames[i]!;
      for (let r = 0; r < fc.regs.length; r++) {
        const o = fo.regs[r]!, c = fc.regs[r]!;
        if (o.type === 'scalar' && c.type === 'scalar' && !regsEqual(o, c)) setUnknown(c);
      }
      for (let k = 0; k < fc.stack.length; k++) {
        const c = fc.stack[k]?.spill, o = fo.stack[k]?.spill;
        if (c && o && o.type === 'scalar' && c.type === 'scalar' && !regsEqual(o, c)) setUnknown(c);
      }
    }
  }

  private helperName(id: number, spec: HelperSpec | undefined): string { return spec ? spec.name : id === 0 ? 'bpf_unspec' : 'unknown'; }

  private checkHelperCall(insn: Instruction): void {
    const id = insn.imm;
    const spec = id > 0 ? this.o.helpers.get(id) : undefined;
    if (id !== 0 && !spec) this.fail(`invalid func unknown#${id}`);
    const name = this.helperName(id, spec);
    const proto = spec?.proto;
    const types = spec?.programTypes;
    if (!proto || !types || (types !== 'all' && !types.includes(this.o.type))) this.fail(`program of this type cannot use helper ${name}#${id}`);
    if (proto.gplOnly && !this.o.gplCompatible) this.fail('cannot call GPL-restricted function from non-GPL compatible program');
    const meta: ArgMeta = { map: -1, allocSize: 0, releaseRef: 0, keyInArray: false, subprog: -1 };
    proto.args.forEach((a, i) => this.checkFuncArg(i + 1, a, proto.args, meta, name));
    if (meta.map >= 0) {
      const mt = mapTypeId(this.o.maps[meta.map]!.type);
      if (name === 'bpf_tail_call' && !mapFuncCompatible(mt, name)) this.fail('expected prog array map for tail call');
      if (!mapFuncCompatible(mt, name)) this.fail(`cannot pass map_type ${mt} into func ${name}#${id}`);
    }
    if (name === 'bpf_spin_lock' || name === 'bpf_spin_unlock') this.processSpinLock(1, name === 'bpf_spin_lock');
    if (name === 'bpf_snprintf') this.checkSnprintfFormat();
    if (meta.releaseRef) this.releaseReference(meta.releaseRef);
    if (meta.subprog >= 0) this.pushCallback(insn, name, meta);
    const regs = this.regs;
    for (let r = 1; r <= 5; r++) regs[r] = notInit();
    switch (proto.ret) {
      case 'void':
        regs[0] = notInit();
        break;
      case 'ptr_to_map_value_or_null':
      case 'ptr_to_map_value':
        regs[0] = pointer('map_value', { map: meta.map, maybeNull: proto.ret.endsWith('_or_null') && !meta.keyInArray });
        if (regs[0]!.maybeNull) regs[0]!.id = this.newId();
        break;
      case 'ptr_to_socket_or_null': {
        // RET_PTR_TO_SOCKET_OR_NULL (bpf_sk_lookup_tcp/udp): an acquired reference until released
        // or found NULL; as in check_helper_call, the NULL-check id comes first, then the reference's
        this.newId();
        const ref = this.newId();
        this.cur.refs.push({ id: ref, insn: insn.pc });
        regs[0] = pointer('sock', { maybeNull: true, id: ref, refObjId: ref });
        break;
      }
      case 'ptr_to_alloc_mem_or_null': case 'ptr_to_mem_or_null': {
        const r0 = pointer('mem', { memSize: meta.allocSize, maybeNull: true, ringbuf: name.startsWith('bpf_ringbuf') });
        r0.id = this.newId();
        if (r0.ringbuf) {
          const ref = this.newId();
          this.cur.refs.push({ id: ref, insn: insn.pc });
          r0.id = ref;
          r0.refObjId = ref;
        }
        regs[0] = r0;
        break;
      }
      default:
        regs[0] = unknownScalar();
    }
    if (proto.changesPacket) {
      for (const r of allRegs(this.cur)) if (isPkt(r) || r.type === 'pkt_end' || (r.type === 'mem' && r.dynptrId)) setUnknown(r);
    }
    this.traceReg(0);
  }

  private releaseReference(id: number): void {
    const before = this.cur.refs.length;
    this.cur.refs = this.cur.refs.filter((r) => r.id !== id);
    if (this.cur.refs.length === before) this.fail(`release kernel function called with unreferenced object`);
    for (const r of allRegs(this.cur)) if (r.refObjId === id) setUnknown(r);
  }

  private checkFuncArg(regno: number, type: HelperArgType, args: readonly HelperArgType[], meta: ArgMeta, fname: string): void {
    const reg = this.readReg(regno);
    const expect = (ok: boolean, what: string): void => { if (!ok) this.fail(`R${regno} type=${regTypeStr(reg)} expected=${what}`); };
    const isZero = reg.type === 'scalar' && isConst(reg) && reg.var.value === 0n;
    switch (type) {
      case 'anything':
        if (isPointer(reg) && !this.o.privileged) this.fail(`R${regno} leaks addr into helper function`);
        return;
      case 'const_map_ptr':
        expect(reg.type === 'map_ptr', 'map_ptr');
        meta.map = reg.map;
        return;
      case 'ptr_to_ctx':
      case 'ptr_to_ctx_or_null':
        if (type === 'ptr_to_ctx_or_null' && isZero) return;
        expect(reg.type === 'ctx', 'ctx');
        this.checkPtrOffReg(regno, reg);
        return;
      case 'ptr_to_map_key': case 'ptr_to_map_value': case 'ptr_to_uninit_map_value': case 'ptr_to_map_value_or_null': {
        if (type === 'ptr_to_map_value_or_null' && isZero) return;
        expect(MEM_ARG_TYPES.includes(reg.type) && !reg.maybeNull, MEM_TYPES_MSG);
        if (meta.map < 0) this.fail(`invalid map_ptr to access map->${type === 'ptr_to_map_key' ? 'key' : 'value'}`);
        const m = this.o.maps[meta.map]!;
        const size = type === 'ptr_to_map_key' ? m.keySize : m.valueSize;
        this.helperMemAccess(regno, reg, size, type === 'ptr_to_uninit_map_value' ? 'write' : 'read', false);
        if (type === 'ptr_to_map_key') meta.keyInArray = this.constArrayKey(reg, m);
        return;
      }
      case 'ptr_to_mem': case 'ptr_to_mem_or_null': case 'ptr_to_uninit_mem':
        if (type === 'ptr_to_mem_or_null' && isZero) return;
        expect((MEM_ARG_TYPES.includes(reg.type)) && !reg.maybeNull, MEM_TYPES_MSG);
        return; // checked with the size argument that follows
      case 'const_size': case 'const_size_or_zero': {
        expect(reg.type === 'scalar', 'scalar');
        const memRegno = regno - 1;
        const memReg = this.regs[memRegno]!;
        const memType = args[memRegno - 1];
        const zeroOk = type === 'const_size_or_zero';
        if (reg.smin < 0n) this.fail(`R${regno} min value is negative, either use unsigned or 'var &= const'`);
        if (reg.umin === 0n && !zeroOk) this.fail(`R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
        if (reg.umax >= BigInt(MAX_VAR_SIZ)) this.fail(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        if (memType === 'ptr_to_mem_or_null' && memReg.type === 'scalar') return;
        if (reg.umax === 0n) return;
        this.helperMemAccess(memRegno, memReg, Number(reg.umax), memType === 'ptr_to_uninit_mem' ? 'write' : 'read', zeroOk);
        return;
      }
      case 'const_alloc_size_or_zero':
        if (reg.type !== 'scalar' || !isConst(reg)) this.fail(`R${regno} is not a known constant'`);
        meta.allocSize = Number(reg.var.value);
        return;
      case 'ptr_to_alloc_mem':
        expect(reg.type === 'mem' && reg.ringbuf && !reg.maybeNull, 'ringbuf_mem');
        if (reg.off !== 0 || !isConst(reg) || reg.var.value !== 0n) this.fail(`R${regno} must have zero offset when passed to release func`);
        meta.releaseRef = reg.refObjId;
        return;
      case 'ptr_to_func':
        expect(reg.type === 'func', 'func');
        meta.subprog = reg.subprog;
        return;
      case 'ptr_to_socket': case 'ptr_to_socket_or_null':
        // register_is_null skips the type check of a _OR_NULL argument; a sock_or_null also
        // matches it (check_reg_type drops PTR_MAYBE_NULL from both sides)
        if (type === 'ptr_to_socket_or_null' && isZero) return;
        expect(reg.type === 'sock' && (!reg.maybeNull || type === 'ptr_to_socket_or_null'), 'sock');
        this.checkPtrOffReg(regno, reg);
        return;
      case 'ptr_to_btf_id_sock_common':
        expect(SOCK_COMMON_ARG_TYPES.includes(reg.type) && !reg.maybeNull, SOCK_COMMON_ARG_MSG);
        if (fname === 'bpf_sk_release') {
          // OBJ_RELEASE: the argument must hold a reference, at offset zero
          if (reg.off !== 0 || !isConst(reg) || reg.var.value !== 0n) this.fail(`R${regno} must have zero offset when passed to release func`);
          if (!reg.refObjId) this.fail(`R${regno} must be referenced when passed to release function`);
          meta.releaseRef = reg.refObjId;
        } else this.checkPtrOffReg(regno, reg);
        return;
      case 'ptr_to_stack_or_null':
        if (isZero) return;
        expect(reg.type === 'fp', 'fp');
        return;
      case 'ptr_to_spin_lock':
        expect(reg.type === 'map_value' && !reg.maybeNull, 'map_value');
        return;
      case 'ptr_to_const_str':
        expect(reg.type === 'map_value' && !reg.maybeNull, 'map_value');
        this.checkConstStr(regno, reg);
        return;
      case 'ptr_to_long': case 'ptr_to_int':
        expect(MEM_ARG_TYPES.includes(reg.type), MEM_TYPES_MSG);
        this.helperMemAccess(regno, reg, type === 'ptr_to_long' ? 8 : 4, 'write', false);
        return;
      default:
        this.fail(`unsupported arg type for ${fname}`);
    }
  }

  /** An array lookup with a constant in-range key on the stack cannot fail. */
  private constArrayKey(reg: Reg, m: VerifierMap): boolean {
    const t = mapTypeId(m.type);
    if ((t !== MAP_TYPE_IDS.array && t !== MAP_TYPE_IDS.percpu_array) || reg.type !== 'fp' || !isConst(reg)) return false;
    const addr = reg.off + Number(s64(reg.var.value));
    const f = this.stackFrame(reg);
    let key: bigint | null = null;
    const [s] = this.slotAt(f, addr, false);
    const spillSize = s ? s.bytes.filter((b) => b === SB.Spill).length : 0;
    // A spilled constant counts only when the spill is exactly the key's size.
    if (s?.spill && addr % SLOT_BYTES === 0 && spillSize === m.keySize && isConst(s.spill)) key = u32(s.spill.var.value);
    else {
      let zero = true;
      for (let a = addr; a < addr + m.keySize; a++) {
        const [sl, bi] = this.slotAt(f, a, false);
        if (!sl || sl.bytes[bi] !== SB.Zero) zero = false;
      }
      if (zero) key = 0n;
    }
    return key !== null && key < BigInt(m.maxEntries);
  }

  /** check_helper_mem_access: the helper reads or writes size bytes at reg. */
  private helperMemAccess(regno: number, reg: Reg, size: number, t: 'read' | 'write', zeroOk: boolean): void {
    switch (reg.type) {
      case 'pkt': case 'pkt_meta':
        this.checkPacketAccess(regno, reg, reg.off, size);
        return;
      case 'map_value': case 'map_key': {
        const m = this.o.maps[reg.map]!;
        this.checkMemRegion(regno, reg, reg.off, size, reg.type === 'map_key' ? m.keySize : m.valueSize, zeroOk);
        return;
      }
      case 'mem':
        this.checkMemRegion(regno, reg, reg.off, size, reg.memSize, zeroOk);
        return;
      case 'fp': {
        const [min, max] = this.stackBounds(regno, reg, reg.off, size, t);
        const f = this.stackFrame(reg);
        if (t === 'write') this.destroyDynptrs(f, min, max);
        for (let a = min; a < max; a++) {
          const [s, bi] = this.slotAt(f, a, t === 'write');
          if (t === 'write') {
            if (s!.spill && s!.bytes[SLOT_BYTES - 1] === SB.Spill) { s!.spill = null; s!.bytes = s!.bytes.map((b) => (b === SB.Spill ? SB.Misc : b)); }
            s!.bytes[bi] = SB.Misc;
            continue;
          }
          const b = s ? s.bytes[bi]! : SB.Invalid;
          if (b === SB.Invalid && !this.o.privileged) {
            if (tnumIsConst(reg.var)) this.fail(`invalid read from stack R${regno} off ${min}+${a - min} size ${size}`);
            this.fail(`invalid read from stack R${regno} var_off ${tnumStr(reg.var)}+${a - min} size ${size}`);
          }
        }
        return;
      }
      default:
        this.fail(`R${regno} type=${regTypeStr(reg)} expected=${MEM_TYPES_MSG}`);
    }
  }

  // ---- after the walk ------------------------------------------------------------------------

  /** check_max_stack_depth: the deepest chain of frames, stack sizes rounded up, fits in 512 bytes. */
  private checkMaxStackDepth(): void {
    const round = (d: number): number => Math.ceil(Math.max(d, 1) / STACK_ROUND) * STACK_ROUND;
    const walk = (sp: number, total: number, frames: number, seen: Set<number>): void => {
      const t = total + round(this.stackDepth[sp]!);
      if (t > STACK_FRAME_BYTES) {
        this.pc = this.cfg.subprogs[sp]!;
        this.fail(`combined stack size of ${frames} calls is ${t}. Too large`);
      }
      for (const c of this.cfg.calls[sp] ?? []) if (!seen.has(c)) walk(c, t, frames + 1, new Set([...seen, c]));
    };
    walk(0, 0, 1, new Set([0]));
  }
}

export { u64, tnumSubreg };
