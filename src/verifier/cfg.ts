/**
 * Pass 1: the control-flow checks the kernel makes before abstract
 * interpretation (add_subprog, check_subprogs, check_cfg): call and jump
 * targets, subprogram boundaries, the last instruction of each subprogram,
 * jumps into lddw, back edges, unreachable code.
 */
import { CallSrc, LddwSrc } from '../isa/opcodes.js';
import { jumpTarget, type Instruction, type Program } from '../isa/instruction.js';

export interface CfgError { pc: number; message: string }

export interface Cfg {
  /** Start slot of each subprogram, ascending; 0 is the main program. */
  subprogs: number[];
  /** Slots where the state is checked against earlier states. */
  prunePoints: Uint8Array;
  /** Back edges (from, to) found by the depth-first walk. */
  backEdges: Array<[number, number]>;
  /** Static call graph: subprogram index → called subprogram indexes. */
  calls: number[][];
}

const isJump = (i: Instruction): boolean => i.spec.kind === 'ja' || i.spec.kind === 'jcond' || i.spec.kind === 'may_goto';
const isLocalCall = (i: Instruction): boolean => i.spec.kind === 'call' && i.src === CallSrc.LOCAL;
const isFuncRef = (i: Instruction): boolean => i.spec.kind === 'lddw' && i.src === LddwSrc.FUNC;

export function subprogOf(subprogs: readonly number[], pc: number): number {
  let k = 0;
  for (let i = 0; i < subprogs.length; i++) if (subprogs[i]! <= pc) k = i;
  return k;
}

export function checkCfg(prog: Program, opts: { allowLoops: boolean; afterSubprogs?: () => CfgError | undefined }): { cfg?: Cfg; error?: CfgError } {
  const n = prog.slotCount;
  const insns = prog.instructions;
  const at = (pc: number): Instruction | undefined => {
    const idx = pc >= 0 && pc < n ? prog.indexBySlot[pc]! : -1;
    return idx >= 0 ? insns[idx] : undefined;
  };
  // Subprograms: local call targets and function references.
  const starts = new Set<number>([0]);
  for (const insn of insns) {
    if (isLocalCall(insn) || isFuncRef(insn)) {
      const t = insn.pc + 1 + insn.imm;
      if (t < 0 || t >= n) return { error: { pc: insn.pc, message: 'call to invalid destination' } };
      starts.add(t);
    }
  }
  const subprogs = [...starts].sort((a, b) => a - b);
  // Jumps stay inside their subprogram; each subprogram ends with exit or ja.
  for (let s = 0; s < subprogs.length; s++) {
    const start = subprogs[s]!, end = s + 1 < subprogs.length ? subprogs[s + 1]! : n;
    for (let pc = start; pc < end; pc++) {
      const insn = at(pc);
      if (!insn) continue;
      if (isJump(insn)) {
        const t = jumpTarget(insn);
        if (t < start || t >= end) return { error: { pc, message: `jump out of range from insn ${pc} to ${t}` } };
      }
    }
    let last = end - 1;
    while (last > start && !at(last)) last--;
    const li = at(last)!;
    if (li.spec.kind !== 'exit' && li.spec.kind !== 'ja') return { error: { pc: last, message: 'last insn is not an exit or jmp' } };
  }
  // The kernel resolves ldimm64 pseudo sources between check_subprogs and check_cfg.
  const resolved = opts.afterSubprogs?.();
  if (resolved) return { error: resolved };
  // Depth-first walk from pc 0 following jumps and calls.
  const prune = new Uint8Array(n);
  const state = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const backEdges: Array<[number, number]> = [];
  const succ = (insn: Instruction): number[] => {
    const k = insn.spec.kind;
    const next = insn.pc + insn.spec.slots;
    if (k === 'exit') return [];
    if (k === 'ja') return [jumpTarget(insn)];
    if (k === 'jcond' || k === 'may_goto') return [next, jumpTarget(insn)];
    if (isLocalCall(insn) || isFuncRef(insn)) return [next, insn.pc + 1 + insn.imm];
    return [next];
  };
  const stack: Array<[number, number]> = [[0, 0]];
  state[0] = 1;
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const insn = at(top[0])!;
    const ss = succ(insn);
    if (top[1] >= ss.length) { state[top[0]] = 2; stack.pop(); continue; }
    const w = ss[top[1]++]!;
    if (w < 0 || w >= n) return { error: { pc: insn.pc, message: `jump out of range from insn ${insn.pc} to ${w}` } };
    if (!at(w)) return { error: { pc: insn.pc, message: `jump into the middle of ldimm64 insn ${w - 1}` } };
    const k = insn.spec.kind;
    if (k === 'jcond') prune[w] = 1;
    if (k === 'may_goto') { prune[w] = 1; prune[insn.pc] = 1; }
    if (k === 'ja') prune[w] = 1;
    if (k === 'call') { prune[insn.pc] = 1; if (w === insn.pc + 1) prune[w] = 1; }
    if (state[w] === 1) {
      backEdges.push([insn.pc, w]);
      if (!opts.allowLoops) return { error: { pc: insn.pc, message: `back-edge from insn ${insn.pc} to ${w}` } };
      continue;
    }
    if (state[w] === 2) continue;
    state[w] = 1;
    stack.push([w, 0]);
  }
  for (let pc = 0; pc < n; pc++) {
    if (at(pc) && state[pc] === 0) return { error: { pc, message: `unreachable insn ${pc}` } };
  }
  const calls: number[][] = subprogs.map(() => []);
  for (const insn of insns) {
    // A callback runs on top of the frame that passes it (check_max_stack_depth follows ld_imm64 src=4 too).
    if (isLocalCall(insn) || isFuncRef(insn)) calls[subprogOf(subprogs, insn.pc)]!.push(subprogs.indexOf(insn.pc + 1 + insn.imm));
  }
  return { cfg: { subprogs, prunePoints: prune, backEdges, calls } };
}
