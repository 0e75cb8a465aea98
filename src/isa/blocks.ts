/**
 * Basic-block leaders, as the execution contract defines them for the
 * instruction budget: pc 0, every jump, local-call or callback target, and the
 * instruction after every jump, call and exit. Both tiers count executed
 * instructions per block with this table, so they trap on the same programs.
 */
import { jumpTarget, type Program } from './instruction.js';
import { CallSrc, LddwSrc } from './opcodes.js';

/** blockLength[slot] = instructions in the block starting at slot, 0 when slot is not a leader. */
export function blockLengths(program: Program): Int32Array {
  const n = program.slotCount;
  const leader = new Uint8Array(n + 1);
  leader[0] = 1;
  for (const insn of program.instructions) {
    const k = insn.spec.kind;
    const next = insn.pc + insn.spec.slots;
    if (k === 'ja' || k === 'jcond' || k === 'may_goto' || (k === 'call' && insn.src === CallSrc.LOCAL)) {
      const t = jumpTarget(insn);
      if (t >= 0 && t < n) leader[t] = 1;
      leader[next] = 1;
    } else if (k === 'call' || k === 'callx' || k === 'exit') {
      leader[next] = 1;
    } else if (k === 'lddw' && insn.src === LddwSrc.FUNC) {
      // a callback's entry (bpf_loop, bpf_for_each_map_elem) is entered like a local-call target
      const t = insn.pc + 1 + insn.imm;
      if (t >= 0 && t < n) leader[t] = 1;
    }
  }
  const lengths = new Int32Array(n);
  let start = -1, count = 0;
  for (const insn of program.instructions) {
    if (leader[insn.pc]) {
      if (start >= 0) lengths[start] = count;
      start = insn.pc; count = 0;
    }
    count++;
  }
  if (start >= 0) lengths[start] = count;
  return lengths;
}
