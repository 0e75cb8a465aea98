/**
 * The engine's kfunc table: the kernel functions a program may call through
 * `extern … __ksym` declarations, with BTF-style prototypes (argument and
 * return kinds, KF_* flags, program types) and implementations.
 *
 * The kernel resolves a kfunc call by its vmlinux BTF id (call src_reg=2,
 * imm=id). The engine has no vmlinux BTF: the loader puts the kfunc's id in
 * this table in imm instead, the verifier checks the call against the
 * prototype here, and the runtime runs it as the helper KFUNC_HELPER_BASE + id
 * (the kernel's fixup turns kfunc calls into direct calls the same way), so both
 * tiers reach it like any helper. Prototypes and flags are kernel 6.18's
 * (kernel/bpf/helpers.c, kernel/bpf/cpumask.c); program types are the ones
 * BPF_PROG_LOAD on this kernel accepts (test/fixtures/kfuncs, labelled by it).
 */
import type { HelperJsImpl } from '../helpers/table.js';
import type { ProgramTypeName } from '../programs/types.js';
import { bitOps, cpumaskCreate, cpumaskRelease, cpumaskWeight, dynptrFromSkb, dynptrFromXdp, dynptrSlice, rcuLock, taskAcquire, taskFromPid, taskRelease } from './impl.js';

/** include/linux/btf.h KF_* flags. */
export const KF_ACQUIRE = 1 << 0;
export const KF_RELEASE = 1 << 1;
export const KF_RET_NULL = 1 << 2;
export const KF_TRUSTED_ARGS = 1 << 4;
export const KF_SLEEPABLE = 1 << 5;
export const KF_RCU = 1 << 7;

/**
 * An argument: a scalar, a pointer to a kernel struct (PTR_TO_BTF_ID), the context, a struct bpf_dynptr
 * on the stack (`ptr__uninit`: initialised by the call), memory or NULL (`buffer__opt`) sized by the
 * next argument, a constant size (`__szk`).
 */
export type KfuncArg = { readonly kind: 'scalar' | 'ctx' | 'dynptr_uninit' | 'dynptr' | 'mem_opt' | 'const_size' } | { readonly kind: 'btf'; readonly struct: string };
/** A return: nothing, a scalar, a kernel struct pointer, or a slice of the dynptr argument (mem of the constant size, NULL when out of range). */
export type KfuncRet = { readonly kind: 'void' | 'scalar' } | { readonly kind: 'btf'; readonly struct: string } | { readonly kind: 'slice'; readonly rdonly: boolean };

export interface KfuncSpec {
  /** Index in KFUNCS: the call's imm after loading. */
  readonly id: number;
  readonly name: string;
  readonly args: readonly KfuncArg[];
  readonly ret: KfuncRet;
  readonly flags: number;
  readonly programTypes: readonly ProgramTypeName[] | 'all';
  readonly impl: HelperJsImpl;
}

/**
 * Runtime helper ids of kfuncs: KFUNC_HELPER_BASE + kfunc id, far above the
 * kernel's helper ids (< 256) so the two never meet.
 */
export const KFUNC_HELPER_BASE = 0x10000;

/** generic_kfunc_set (kernel/bpf/helpers.c): the types it is registered for (sched_act and socket filters are not). */
const GENERIC: readonly ProgramTypeName[] = ['xdp', 'sched_cls', 'cgroup_skb', 'tracing', 'syscall'];
/** cpumask_kfunc_set (kernel/bpf/cpumask.c). */
const CPUMASK: readonly ProgramTypeName[] = ['tracing', 'lsm', 'syscall'];

const scalar: KfuncArg = { kind: 'scalar' };
const ptr = (struct: string): KfuncArg & KfuncRet => ({ kind: 'btf', struct });
const VOID: KfuncRet = { kind: 'void' };
const ctx: KfuncArg = { kind: 'ctx' };
const DYNPTR_NEW: KfuncArg = { kind: 'dynptr_uninit' }, DYNPTR: KfuncArg = { kind: 'dynptr' };
const MEM_OPT: KfuncArg = { kind: 'mem_opt' }, SIZE: KfuncArg = { kind: 'const_size' };
/** bpf_kfunc_set_skb: the types this kernel accepts bpf_dynptr_from_skb for (checked by BPF_PROG_LOAD). */
const SKB_DYNPTR: readonly ProgramTypeName[] = ['sched_cls', 'sched_act', 'socket_filter', 'cgroup_skb'];
const SCALAR: KfuncRet = { kind: 'scalar' };

type Row = readonly [name: string, args: readonly KfuncArg[], ret: KfuncRet, flags: number, types: readonly ProgramTypeName[] | 'all', impl: HelperJsImpl];
const ROWS: readonly Row[] = [
  // common_btf_ids: every program type
  ['bpf_rcu_read_lock', [], VOID, 0, 'all', rcuLock],
  ['bpf_rcu_read_unlock', [], VOID, 0, 'all', rcuLock],
  ['bpf_task_from_pid', [scalar], ptr('task_struct'), KF_ACQUIRE | KF_RET_NULL, GENERIC, taskFromPid],
  ['bpf_task_acquire', [ptr('task_struct')], ptr('task_struct'), KF_ACQUIRE | KF_RCU | KF_RET_NULL, GENERIC, taskAcquire],
  ['bpf_task_release', [ptr('task_struct')], VOID, KF_RELEASE, GENERIC, taskRelease],
  ['bpf_cpumask_create', [], ptr('bpf_cpumask'), KF_ACQUIRE | KF_RET_NULL, CPUMASK, cpumaskCreate],
  ['bpf_cpumask_release', [ptr('bpf_cpumask')], VOID, KF_RELEASE, CPUMASK, cpumaskRelease],
  ['bpf_cpumask_set_cpu', [scalar, ptr('bpf_cpumask')], VOID, KF_RCU, CPUMASK, bitOps.set],
  ['bpf_cpumask_clear_cpu', [scalar, ptr('bpf_cpumask')], VOID, KF_RCU, CPUMASK, bitOps.clear],
  ['bpf_cpumask_test_cpu', [scalar, ptr('cpumask')], SCALAR, KF_RCU, CPUMASK, bitOps.test],
  ['bpf_cpumask_weight', [ptr('cpumask')], SCALAR, KF_RCU, CPUMASK, cpumaskWeight],
  // packet dynptrs (net/core/filter.c bpf_kfunc_set_xdp/skb; the slices are common kfuncs)
  ['bpf_dynptr_from_xdp', [ctx, scalar, DYNPTR_NEW], SCALAR, 0, ['xdp'], dynptrFromXdp],
  ['bpf_dynptr_from_skb', [ctx, scalar, DYNPTR_NEW], SCALAR, 0, SKB_DYNPTR, dynptrFromSkb],
  ['bpf_dynptr_slice', [DYNPTR, scalar, MEM_OPT, SIZE], { kind: 'slice', rdonly: true }, KF_RET_NULL, 'all', dynptrSlice],
  ['bpf_dynptr_slice_rdwr', [DYNPTR, scalar, MEM_OPT, SIZE], { kind: 'slice', rdonly: false }, KF_RET_NULL, 'all', dynptrSlice],
];

export const KFUNCS: readonly KfuncSpec[] = ROWS.map(([name, args, ret, flags, programTypes, impl], id) => ({ id, name, args, ret, flags, programTypes, impl }));
const BY_NAME = new Map(KFUNCS.map((k) => [k.name, k]));

export function kfuncByName(name: string): KfuncSpec | undefined { return BY_NAME.get(name); }
export function kfuncById(id: number): KfuncSpec | undefined { return Number.isInteger(id) && id >= 0 ? KFUNCS[id] : undefined; }

/**
 * Kernel structs whose first member is another struct: a pointer to the outer
 * one may be passed where the inner one is expected (btf_struct_ids_match
 * walking member 0), except to release kfuncs, which match strictly.
 */
export const FIRST_MEMBER: Readonly<Record<string, string>> = { bpf_cpumask: 'cpumask' };

export function kfuncAllowed(k: KfuncSpec, type: ProgramTypeName): boolean {
  return k.programTypes === 'all' || k.programTypes.includes(type);
}
