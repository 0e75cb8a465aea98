/**
 * Basic blocks and functions of a program, by the execution contract's rule:
 * a block starts at pc 0, at every jump, local-call or callback target and after every
 * jump, call and exit. Each local-call target becomes a wasm function holding
 * every block reachable from it by jumps (a flat interpreter follows jumps
 * wherever they lead, so a block may belong to several functions).
 */
import { CallSrc } from '../isa/opcodes.js';
import { isFuncLddw } from '../runtime/callbacks.js';
import { jumpTarget, type Instruction, type Program } from '../isa/instruction.js';

export interface BasicBlock {
  readonly id: number;
  /** Slot of the first instruction. */
  readonly pc: number;
  /** Instruction indices [first, last]. */
  readonly first: number;
  readonly last: number;
  /** Instructions in the block (an lddw counts 1). */
  readonly count: number;
}

/** Where control goes after a block. */
export type Successor =
  | { kind: 'block'; block: number }
  | { kind: 'bad-jump'; pc: number; target: number }
  | { kind: 'fell-off'; pc: number };

export interface Cfg {
  readonly program: Program;
  readonly blocks: readonly BasicBlock[];
  /** Block id by slot of its first instruction, -1 elsewhere. */
  readonly blockAt: Int32Array;
  /** Entry slots of functions: 0 first, then local-call targets in slot order. */
  readonly entries: readonly number[];
}

export function isLocalCall(insn: Instruction): boolean {
  return insn.spec.kind === 'call' && insn.src === CallSrc.LOCAL;
}

function isJump(insn: Instruction): boolean {
  const k = insn.spec.kind;
  return k === 'ja' || k === 'jcond' || k === 'may_goto';
}

/** Ends a block: jumps, calls and exit. */
export function endsBlock(insn: Instruction): boolean {
  const k = insn.spec.kind;
  return isJump(insn) || k === 'call' || k === 'callx' || k === 'exit';
}

export function validTarget(program: Program, target: number): boolean {
  return target >= 0 && target < program.slotCount && program.indexBySlot[target]! >= 0;
}

export function buildCfg(program: Program): Cfg {
  const { instructions, slotCount } = program;
  const leader = new Uint8Array(slotCount + 1);
  leader[0] = 1;
  const entrySet = new Set<number>([0]);
  for (const insn of instructions) {
    if (isFuncLddw(insn)) {
      // a callback (bpf_loop, bpf_for_each_map_elem) is a function of its own
      const t = insn.pc + 1 + insn.imm;
      if (validTarget(program, t)) { leader[t] = 1; entrySet.add(t); }
      continue;
    }
    if (!endsBlock(insn)) continue;
    leader[insn.pc + insn.spec.slots] = 1;
    if (isJump(insn) || isLocalCall(insn)) {
      const t = jumpTarget(insn);
      if (validTarget(program, t)) {
        leader[t] = 1;
        if (isLocalCall(insn)) entrySet.add(t);
      }
    }
  }
  const blocks: BasicBlock[] = [];
  const blockAt = new Int32Array(slotCount).fill(-1);
  let first = 0;
  for (let i = 0; i < instructions.length; i++) {
    const insn = instructions[i]!;
    const next = insn.pc + insn.spec.slots;
    if (endsBlock(insn) || next >= slotCount || leader[next]) {
      const pc = instructions[first]!.pc;
      blockAt[pc] = blocks.length;
      blocks.push({ id: blocks.length, pc, first, last: i, count: i - first + 1 });
      first = i + 1;
    }
  }
  return { program, blocks, blockAt, entries: [...entrySet].sort((a, b) => a - b) };
}

function toSlot(cfg: Cfg, from: Instruction, target: number): Successor {
  if (validTarget(cfg.program, target)) return { kind: 'block', block: cfg.blockAt[target]! };
  return { kind: 'bad-jump', pc: from.pc, target };
}

/** Fall-through successor of the block ending with `insn`. */
export function fallThrough(cfg: Cfg, insn: Instruction): Successor {
  const next = insn.pc + insn.spec.slots;
  if (next >= cfg.program.slotCount) return { kind: 'fell-off', pc: insn.pc };
  return { kind: 'block', block: cfg.blockAt[next]! };
}

/** Jump successor of a jump instruction. */
export function jumpSuccessor(cfg: Cfg, insn: Instruction): Successor {
  return toSlot(cfg, insn, jumpTarget(insn));
}

/** Every successor of a block, taken edge first. */
export function successors(cfg: Cfg, block: BasicBlock): Successor[] {
  const insn = cfg.program.instructions[block.last]!;
  switch (insn.spec.kind) {
    case 'exit': return [];
    case 'ja': return [jumpSuccessor(cfg, insn)];
    case 'jcond': case 'may_goto': return [jumpSuccessor(cfg, insn), fallThrough(cfg, insn)];
    default: return [fallThrough(cfg, insn)];
  }
}

/** Blocks reachable from `entry` without entering calls, in discovery order. */
export function functionBlocks(cfg: Cfg, entry: number): number[] {
  const start = cfg.blockAt[entry]!;
  const seen = new Set<number>([start]);
  const order = [start];
  for (let i = 0; i < order.length; i++) {
    for (const s of successors(cfg, cfg.blocks[order[i]!]!)) {
      if (s.kind === 'block' && !seen.has(s.block)) { seen.add(s.block); order.push(s.block); }
    }
  }
  return order;
}
