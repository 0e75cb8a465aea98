/**
 * Kernel-style log text: instructions as print_bpf_insn prints them and
 * register state as print_verifier_state does.
 */
import { BTF_TRUST_PREFIX } from './btf-access.js';
import { AluOp, AtomicOp, ATOMIC_FETCH, CallSrc, JmpOp, LddwSrc } from '../isa/opcodes.js';
import { lddwValue, type Instruction } from '../isa/instruction.js';
import type { HelperRegistry } from '../helpers/table.js';
import type { Reg } from './reg.js';
import type { State } from './state.js';
import { S64_MIN, S64_MAX, U64_MAX, S32_MIN, S32_MAX, U32_MAX, tnumIsConst, tnumIsUnknown, s64 } from './tnum.js';

const ALU_SYM: Record<number, string> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=', [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=', [AluOp.MOV]: '=', [AluOp.ARSH]: 's>>=',
};
const JMP_SYM: Record<number, string> = {
  [JmpOp.JEQ]: '==', [JmpOp.JGT]: '>', [JmpOp.JGE]: '>=', [JmpOp.JSET]: '&', [JmpOp.JNE]: '!=', [JmpOp.JSGT]: 's>',
  [JmpOp.JSGE]: 's>=', [JmpOp.JLT]: '<', [JmpOp.JLE]: '<=', [JmpOp.JSLT]: 's<', [JmpOp.JSLE]: 's<=',
};
const SIZE_NAME: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

export function disasm(insn: Instruction, helpers?: HelperRegistry): string {
  const s = insn.spec;
  const r = (n: number): string => (s.width === 32 && (s.kind === 'alu' || s.kind === 'jcond' || s.kind === 'neg') ? `w${n}` : `r${n}`);
  const mem = (reg: number, size: number): string => `*(${SIZE_NAME[size]} *)(r${reg} ${signed(insn.off)})`;
  switch (s.kind) {
    case 'alu': {
      const src = s.source === 'imm' ? `${insn.imm}` : r(insn.src);
      const sdiv = insn.off === 1 && (s.aluOp === AluOp.DIV || s.aluOp === AluOp.MOD) ? 's' : '';
      return `${r(insn.dst)} ${sdiv}${ALU_SYM[s.aluOp!]} ${src}`;
    }
    case 'neg': return `${r(insn.dst)} = -${r(insn.dst)}`;
    case 'movsx': return `${s.width === 32 ? 'w' : 'r'}${insn.dst} = (s${s.size})${s.width === 32 ? 'w' : 'r'}${insn.src}`;
    case 'end': return `r${insn.dst} = ${s.order === 'swap' ? 'bswap' : s.order}${s.size} r${insn.dst}`;
    case 'lddw':
      if (insn.src === LddwSrc.MAP_FD || insn.src === LddwSrc.MAP_IDX) return `r${insn.dst} = map[id:${insn.imm}]`;
      if (insn.src === LddwSrc.MAP_VALUE || insn.src === LddwSrc.MAP_IDX_VALUE) return `r${insn.dst} = map[id:${insn.imm}][0]+${insn.immHi}`;
      return `r${insn.dst} = 0x${lddwValue(insn).toString(16)}`;
    case 'ldabs': return `r0 = *(${SIZE_NAME[s.size!]} *)skb[${insn.imm}]`;
    case 'ldind': return `r0 = *(${SIZE_NAME[s.size!]} *)skb[r${insn.src} + ${insn.imm}]`;
    case 'ldx': return `r${insn.dst} = ${mem(insn.src, s.size!)}`;
    case 'ldxs': return `r${insn.dst} = *(s${s.size! * 8} *)(r${insn.src} ${signed(insn.off)})`;
    case 'st': return `${mem(insn.dst, s.size!)} = ${insn.imm}`;
    case 'stx': return `${mem(insn.dst, s.size!)} = r${insn.src}`;
    case 'atomic': {
      const w = s.size === 8 ? '64' : '';
      const p = `(${SIZE_NAME[s.size!]} *)(r${insn.dst} ${signed(insn.off)})`;
      const op = s.atomicOp!;
      if (op === AtomicOp.XCHG) return `r${insn.src} = atomic${w}_xchg(${p}, r${insn.src})`;
      if (op === AtomicOp.CMPXCHG) return `r0 = atomic${w}_cmpxchg(${p}, r0, r${insn.src})`;
      const base = op & ~ATOMIC_FETCH;
      const name = base === AtomicOp.ADD ? 'add' : base === AtomicOp.OR ? 'or' : base === AtomicOp.AND ? 'and' : 'xor';
      if (op & ATOMIC_FETCH) return `r${insn.src} = atomic${w}_fetch_${name}(${p}, r${insn.src})`;
      return `lock *${p.slice(1, p.indexOf(' *)'))} *)(r${insn.dst} ${signed(insn.off)}) ${ALU_SYM[base]} r${insn.src}`;
    }
    case 'ja': return `goto pc${signed(s.width === 32 ? insn.imm : insn.off)}`;
    case 'may_goto': return `may_goto pc${signed(insn.off)}`;
    case 'jcond': {
      const src = s.source === 'imm' ? hex(insn.imm) : r(insn.src);
      return `if ${r(insn.dst)} ${JMP_SYM[s.jmpOp!]} ${src} goto pc${signed(insn.off)}`;
    }
    case 'call':
      if (insn.src === CallSrc.LOCAL) return `call pc${signed(insn.imm)}`;
      if (insn.src === CallSrc.KFUNC) return `call kernel-function#${insn.imm}`;
      return `call ${helpers?.get(insn.imm)?.name ?? 'unknown'}#${insn.imm}`;
    case 'callx': return `callx r${insn.dst}`;
    case 'exit': return 'exit';
  }
  return s.name;
}

function scalarStr(r: Reg): string {
  if (tnumIsConst(r.var)) return `${s64(r.var.value)}`;
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.smin !== S64_MIN && r.smin !== 0n) parts.push(`smin=${r.smin}`);
  if (r.smax !== S64_MAX && r.smax !== s64(r.umax)) parts.push(`smax=${r.smax}`);
  if (r.umin !== 0n) parts.push(`umin=${r.umin}`);
  if (r.umax !== U64_MAX) parts.push(`umax=${r.umax}`);
  if (r.s32min !== S32_MIN && r.s32min !== 0n && BigInt(r.s32min) !== r.smin) parts.push(`smin32=${r.s32min}`);
  if (r.s32max !== S32_MAX && r.s32max !== r.smax) parts.push(`smax32=${r.s32max}`);
  if (r.u32min !== 0n && r.u32min !== r.umin) parts.push(`umin32=${r.u32min}`);
  if (r.u32max !== U32_MAX && r.u32max !== r.umax) parts.push(`umax32=${r.u32max}`);
  if (!tnumIsUnknown(r.var) && !(r.umax === (r.var.value | r.var.mask) && r.var.value === 0n)) {
    parts.push(`var_off=(0x${r.var.value.toString(16)}; 0x${r.var.mask.toString(16)})`);
  }
  return `scalar(${parts.join(',')})`;
}

export function regValueStr(r: Reg): string {
  switch (r.type) {
    case 'scalar': return scalarStr(r);
    case 'fp': return `fp${r.off + Number(s64(r.var.value))}`;
    default: {
      const parts: string[] = [];
      if (r.id) parts.push(`id=${r.id}`);
      if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
      if (r.off) parts.push(`off=${r.off}`);
      if (r.type === 'pkt' || r.type === 'pkt_meta') parts.push(`r=${r.range}`);
      if (r.type === 'map_value' || r.type === 'map_ptr' || r.type === 'map_key') parts.push(`map=${r.map}`);
      if (r.type === 'mem') parts.push(`sz=${r.memSize}`);
      if (!tnumIsConst(r.var) || r.var.value !== 0n) parts.push(`var_off=(0x${r.var.value.toString(16)}; 0x${r.var.mask.toString(16)})`);
      // PTR_TO_BTF_ID: [trusted_]ptr_[or_null_]<struct>
      if (r.type === 'btf_id') return `${BTF_TRUST_PREFIX[r.trust]}ptr_${r.maybeNull ? 'or_null_' : ''}${r.btf}(${parts.join(',')})`;
      const t = r.type === 'mem' && r.ringbuf ? 'ringbuf_mem' : r.type;
      return `${t}${r.maybeNull ? '_or_null' : ''}(${parts.join(',')})`;
    }
  }
}

export function regStateStr(n: number, r: Reg): string { return `R${n}=${regValueStr(r)}`; }

/** One frame's live registers and stack slots, as print_verifier_state does. */
export function stateStr(s: State, frameIdx = s.frames.length - 1): string {
  const f = s.frames[frameIdx]!;
  const out: string[] = [];
  f.regs.forEach((r, i) => { if (r.type !== 'not_init') out.push(regStateStr(i, r)); });
  f.stack.forEach((sl, spi) => {
    if (!sl) return;
    if (sl.spill && sl.bytes[7] === 1) out.push(`fp${-(spi + 1) * 8}=${regValueStr(sl.spill)}`);
    else if (sl.bytes.some((b) => b !== 0)) out.push(`fp${-(spi + 1) * 8}=${sl.bytes.map((b) => '?rmz'[b]).join('')}`);
  });
  return (frameIdx > 0 ? `frame${frameIdx}: ` : '') + out.join(' ');
}
