/**
 * Global functions (BTF FUNC with global linkage): the kernel verifies each
 * once, on its own, with arguments taken from its BTF prototype
 * (btf_prepare_func_args), and a call only checks the caller's registers
 * against that prototype (btf_check_func_arg_match) and returns an unknown
 * scalar. Supported argument kinds: scalars, the program type's context
 * pointer, and pointers to sized memory (nullable).
 */
import type { Btf } from '../btf/btf.js';

export type GlobalArg = { readonly kind: 'scalar' } | { readonly kind: 'ctx' } | { readonly kind: 'mem'; readonly size: number };
export interface GlobalFunc {
  readonly name: string;
  readonly args: readonly GlobalArg[];
  /** Why the kernel refuses the prototype (raised at the first call). */
  readonly error?: string;
}

/** BTF_FUNC_GLOBAL. */
const LINKAGE_GLOBAL = 1;
/** MAX_BPF_FUNC_REG_ARGS. */
const MAX_ARGS = 5;

/** The global function behind BTF FUNC `typeId`, or undefined for a static one. `ctxStruct`: the program type's context struct. */
export function globalFuncFromBtf(btf: Btf, typeId: number, ctxStruct: string | undefined): GlobalFunc | undefined {
  let fn;
  try { fn = btf.type(typeId); } catch { return undefined; }
  if (fn.kind !== 'FUNC' || fn.linkage !== LINKAGE_GLOBAL) return undefined;
  const name = fn.name;
  const proto = btf.type(fn.type);
  if (proto.kind !== 'FUNC_PROTO') return { name, args: [], error: `Function ${name} doesn't have BTF prototype` };
  if (proto.params.length > MAX_ARGS) return { name, args: [], error: `Function ${name} has ${proto.params.length} > ${MAX_ARGS} args` };
  const ret = proto.returnType === 0 ? undefined : btf.resolve(proto.returnType);
  if (ret && ret.kind !== 'INT' && ret.kind !== 'ENUM' && ret.kind !== 'ENUM64') {
    return { name, args: [], error: `Global function ${name}() doesn't return scalar. Only those are supported.` };
  }
  const args: GlobalArg[] = [];
  for (let i = 0; i < proto.params.length; i++) {
    const t = btf.resolve(proto.params[i]!.type);
    if (t.kind === 'INT' || t.kind === 'ENUM' || t.kind === 'ENUM64') { args.push({ kind: 'scalar' }); continue; }
    if (t.kind === 'PTR') {
      const to = btf.resolve(t.type);
      if (ctxStruct && to.kind === 'STRUCT' && to.name === ctxStruct) { args.push({ kind: 'ctx' }); continue; }
      let size = -1;
      try { size = btf.sizeof(t.type); } catch { /* void, function pointers, … */ }
      if (size > 0) { args.push({ kind: 'mem', size }); continue; }
    }
    return { name, args, error: `arg#${i} type is not a scalar, context or sized memory pointer in global function ${name}` };
  }
  return { name, args };
}
