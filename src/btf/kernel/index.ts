/**
 * The built-in kernel BTF: the kernel types the simulation provides
 * (program contexts, task_struct / sk_buff / file / … subsets, tracepoint
 * records, fentry/lsm targets), cut from a real kernel's BTF by
 * scripts/gen-kernel-btf.mjs with that kernel's sizes and offsets. It is
 * the default CO-RE target of loadObject, the type source of the BTF-typed
 * tracing program types, and the layout of the simulated kernel objects
 * (task.ts writes task_struct and cred at these offsets).
 */
import { LoadError } from '../../diagnostics/index.js';
import { parseBtf, type Btf } from '../btf.js';
import { KERNEL_BTF_BASE64, KERNEL_BTF_RELEASE } from './vmlinux-btf.js';

export { KERNEL_BTF_RELEASE };

let cached: Btf | undefined;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The built-in kernel BTF (parsed once). */
export function kernelBtf(): Btf {
  cached ??= parseBtf(decodeBase64(KERNEL_BTF_BASE64), { section: `built-in kernel BTF (Linux ${KERNEL_BTF_RELEASE})` });
  return cached;
}

/** Byte offset and size of a member path ("cred", "d_name.name", "comm") of a kernel struct. */
export interface KernelField { readonly offset: number; readonly size: number }

export function kernelField(struct: string, path: string, btf: Btf = kernelBtf()): KernelField {
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
export function kernelStructSize(name: string, btf: Btf = kernelBtf()): number {
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
export function kernelAttachTarget(kind: 'func' | 'tp_btf', name: string, btf: Btf = kernelBtf()):
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
