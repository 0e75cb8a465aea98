/**
 * The errno BPF_PROG_LOAD returns for a verifier rejection, from the kernel's
 * message: most checks return EACCES, the ones below something else. Checked
 * against the kernel's errnos on the labelled corpus and mutations
 * (test/prog-load.test.ts).
 */
export const VERIFIER_ERRNO = { E2BIG: 7, EBADF: 9, EACCES: 13, EINVAL: 22, ENOSPC: 28, EPROTO: 71, EOPNOTSUPP: 95 } as const;
export type VerifierErrnoName = keyof typeof VERIFIER_ERRNO;

const RULES: ReadonlyArray<readonly [RegExp, VerifierErrnoName]> = [
  // check_subprogs, check_cfg, decoding and resolve_pseudo_ldimm64
  [/^(jump out of range|unreachable insn|last insn is not an exit or jmp|call to invalid destination|back-edge from insn|jump into the middle of ldimm64)/, 'EINVAL'],
  [/^(unknown opcode|unrecognized bpf_ld_imm64 insn|invalid bpf_ld_imm64 insn|BPF_ATOMIC uses invalid atomic opcode|invalid program length)/, 'EINVAL'],
  [/ uses reserved fields$|^R\d+ is invalid$|^pseudo btf_id /, 'EINVAL'],
  [/^fd -?\d+ is not pointing to valid bpf_map/, 'EBADF'],
  [/^fd_idx without fd_array is invalid/, 'EPROTO'],
  [/^(nonzero insn_off|same or smaller insn offset|number of funcs in func_info|func_info BTF section|missing btf func_info)/, 'EINVAL'],
  [/^(Invalid line_info\[|Invalid insn code at line_info|missing bpf_line_info for )/, 'EINVAL'],
  // do_check
  [/^(invalid shift|div by zero|infinite loop detected|math between .* pointer and|cannot return stack pointer|invalid func unknown#)/, 'EINVAL'],
  [/^cannot spill pointers to stack into stack frame of the caller/, 'EINVAL'],
  [/^(program of this type cannot use helper|cannot call GPL-restricted function|cannot pass map_type|expected prog array map for tail call)/, 'EINVAL'],
  [/ has to have BTF in order to use |^BPF_LD_\[ABS\|IND\] instructions not allowed|^Unreleased reference|^R\d+ offset is outside of the packet/, 'EINVAL'],
  [/^At (program exit|callback return) the register R0 has/, 'EINVAL'],
  [/^Cannot access kernel 'struct |^R\d+ must be (referenced or trusted|a rcu pointer)$/, 'EINVAL'],
  [/^(the call stack of \d+ frames is too deep|BPF program is too large|The sequence of \d+ jumps is too complex)/, 'E2BIG'],
];

/** Stack accesses inside the frame that run past fp (check_stack_access_within_bounds) are EINVAL, others EACCES. */
const STACK_ACCESS = /^invalid (?:read from|write to) stack R\d+ off=(-?\d+) size=(\d+)/;
const MAX_BPF_STACK = 512;

export function verifierErrno(message: string): VerifierErrnoName {
  const s = STACK_ACCESS.exec(message);
  if (s) {
    const off = Number(s[1]), size = Number(s[2]);
    return off < 0 && off >= -MAX_BPF_STACK && off + size > 0 ? 'EINVAL' : 'EACCES';
  }
  for (const [re, e] of RULES) if (re.test(message)) return e;
  return 'EACCES';
}
