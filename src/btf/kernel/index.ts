/**
 * The built-in kernel BTF: the kernel types the simulation provides
 * (program contexts, task_struct / sk_buff / file / … subsets, tracepoint
 * records, fentry/lsm targets), cut from a real kernel's BTF by
 * scripts/gen-kernel-btf.mjs with that kernel's sizes and offsets. It is
 * the default CO-RE target of loadObject, the type source of the BTF-typed
 * tracing program types, and the layout of the simulated kernel objects
 * (task.ts writes task_struct and cred at these offsets).
 */
import { parseBtf, type Btf } from '../btf.js';
import { KERNEL_BTF_HEX, KERNEL_BTF_RELEASE } from './vmlinux-btf.js';
import * as fields from './fields.js';
import { fromHex } from '../../aot/manifest.js';
import type { KernelField } from './fields.js';

export { KERNEL_BTF_RELEASE };

let cached: Btf | undefined;

/** The built-in kernel BTF (parsed once). */
export function kernelBtf(): Btf {
  cached ??= parseBtf(fromHex(KERNEL_BTF_HEX), { section: `built-in kernel BTF (Linux ${KERNEL_BTF_RELEASE})` });
  return cached;
}

export type { KernelField };

/** Byte offset and size of a member path ("cred", "d_name.name", "comm") of a kernel struct (default: the built-in BTF). */
export function kernelField(struct: string, path: string, btf: Btf = kernelBtf()): KernelField {
  return fields.kernelField(struct, path, btf);
}

/** sizeof(struct `name`) in the built-in kernel BTF (or `btf`). */
export function kernelStructSize(name: string, btf: Btf = kernelBtf()): number {
  return fields.kernelStructSize(name, btf);
}

/** The prototype a BTF-typed tracing program attaches to (see fields.ts), in the built-in kernel BTF by default. */
export function kernelAttachTarget(kind: 'func' | 'tp_btf', name: string, btf: Btf = kernelBtf()): ReturnType<typeof fields.kernelAttachTarget> {
  return fields.kernelAttachTarget(kind, name, btf);
}
