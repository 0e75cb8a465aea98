/**
 * Member offsets, struct sizes and attach targets looked up in a kernel BTF
 * given by the caller. Kept apart from index.ts, which holds the built-in
 * BTF's bytes, so that the generator and run-time code need not load them.
 */
import { LoadError } from '../../diagnostics/index.js';
import type { Btf } from '../btf.js';

/** Byte offset and size of a member path ("cred", "d_name.name", "comm") of a kernel struct. */
export interface KernelField { readonly offset: number; readonly size: number }

export function kernelField(struct: string, path: string, btf: Btf): KernelField {
  const t = btf.find('STRUCT', struct);
  if (!t) throw new LoadError('BtfBad', { section: btf.source.section }, `no struct ${struct} in the built-in kernel BTF`);
  let id = t.id, offset = 0, size = 0;
  for (const name of path.split('.')) {
    const m = btf.findMember(id, name);
    if (!m || m.bitfieldSize) throw new LoadError('BtfBad', { section: btf.source.section }, `struct ${struct} has no byte-addressable member ${path}`);
    offset += m.byteOffset;
    id = m.type;
    size = btf.sizeof(id);
  }
  return { offset, size };
}

/** sizeof(struct `name`) in the built-in kernel BTF. */
export function kernelStructSize(name: string, btf: Btf): number {
  const t = btf.find('STRUCT', name);
  if (!t) throw new LoadError('BtfBad', { section: btf.source.section }, `no struct ${name} in the built-in kernel BTF`);
  return btf.sizeof(t.id);
}

/**
 * The function prototype a BTF-typed tracing program attaches to: FUNC
 * `name` (fentry/fexit/fmod_ret/lsm: lsm hooks are FUNC bpf_lsm_<hook>), or,
 * for tp_btf, the typedef btf_trace_<name> whose first parameter (void *ctx)
 * is not an argument. Undefined when the built-in BTF has no such target.
 */
export function kernelAttachTarget(kind: 'func' | 'tp_btf', name: string, btf: Btf):
  { readonly protoId: number; readonly params: readonly { name: string; type: number }[]; readonly returnType: number } | undefined {
  if (kind === 'func') {
    const f = btf.find('FUNC', name);
    if (!f || f.kind !== 'FUNC') return undefined;
    const p = btf.type(f.type);
    if (p.kind !== 'FUNC_PROTO') return undefined;
    return { protoId: p.id, params: p.params, returnType: p.returnType };
  }
  const td = btf.find('TYPEDEF', `btf_trace_${name}`);
  if (!td || td.kind !== 'TYPEDEF') return undefined;
  const ptr = btf.resolve(td.type);
  if (ptr.kind !== 'PTR') return undefined;
  const p = btf.resolve(ptr.type);
  if (p.kind !== 'FUNC_PROTO') return undefined;
  return { protoId: p.id, params: p.params.slice(1), returnType: p.returnType };
}
