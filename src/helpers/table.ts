/**
 * The helper table: every kernel helper by id and name (generated from
 * libbpf's bpf_helper_defs.h), the prototype the verifier reads (the kernel's
 * bpf_func_proto: return type, argument types, GPL-only), the program types
 * that may call it, and its implementation in this engine.
 *
 * Implementations come in two forms. A `js` implementation receives the five
 * argument registers as unsigned 64-bit BigInts; it serves rare helpers. A
 * `kernel` implementation names an export of the AssemblyScript kernels with
 * an i32/i64 signature, which JIT code calls wasm→wasm and the interpreter
 * calls through the export: hot helpers (maps) never cross into JS.
 */
import { KERNEL_HELPERS } from './ids.js';
import type { ProgramTypeName } from '../programs/types.js';

/** The kernel's enum bpf_arg_type, lower-cased without the ARG_ prefix. */
export type HelperArgType =
  | 'anything' | 'const_map_ptr' | 'ptr_to_map_key' | 'ptr_to_map_value' | 'ptr_to_map_value_or_null'
  | 'ptr_to_uninit_map_value' | 'ptr_to_mem' | 'ptr_to_mem_or_null' | 'ptr_to_uninit_mem' | 'const_size'
  | 'const_size_or_zero' | 'const_alloc_size_or_zero' | 'ptr_to_ctx' | 'ptr_to_ctx_or_null' | 'ptr_to_long'
  | 'ptr_to_int' | 'ptr_to_sock_common' | 'ptr_to_socket' | 'ptr_to_socket_or_null' | 'ptr_to_btf_id'
  | 'ptr_to_btf_id_or_null' | 'ptr_to_btf_id_sock_common' | 'ptr_to_spin_lock' | 'ptr_to_func'
  | 'ptr_to_stack_or_null' | 'ptr_to_const_str' | 'ptr_to_timer' | 'ptr_to_kptr' | 'ptr_to_dynptr'
  | 'ptr_to_alloc_mem' | 'ptr_to_percpu_btf_id' | 'ptr_to_stack' | 'ptr_to_task_btf_id';

/** The kernel's enum bpf_return_type, lower-cased without the RET_ prefix. */
export type HelperRetType =
  | 'integer' | 'void' | 'ptr_to_map_value' | 'ptr_to_map_value_or_null' | 'ptr_to_socket_or_null'
  | 'ptr_to_tcp_sock_or_null' | 'ptr_to_sock_common_or_null' | 'ptr_to_mem_or_null' | 'ptr_to_alloc_mem_or_null'
  | 'ptr_to_btf_id' | 'ptr_to_btf_id_or_null' | 'ptr_to_mem_or_btf_id' | 'ptr_to_mem_or_btf_id_or_null';

export interface HelperProto {
  readonly ret: HelperRetType;
  /** Up to five argument types, r1 first. */
  readonly args: readonly HelperArgType[];
  readonly gplOnly: boolean;
  /** The helper reads or writes packet data (invalidates packet pointers when it may move them). */
  readonly changesPacket?: boolean;
}

/** Services a helper implementation may use; the runtime provides them. */
export interface HelperRuntime {
  readonly memory: WebAssembly.Memory;
  /** Simulated CPU of this run. */
  readonly cpu: number;
  /** Simulated monotonic clock, nanoseconds. */
  nowNs(): bigint;
  /** Simulated boot-time clock, nanoseconds. */
  bootNs(): bigint;
  /** Seeded pseudo-random u32. */
  randomU32(): number;
  /** Text written by bpf_trace_printk and friends. */
  trace(line: string): void;
}

export type HelperJsImpl = (rt: HelperRuntime, r1: bigint, r2: bigint, r3: bigint, r4: bigint, r5: bigint) => bigint;

export interface HelperImpl {
  readonly js?: HelperJsImpl;
  /** An export of the AssemblyScript kernels with this exact wasm signature. */
  readonly kernel?: { readonly export: string; readonly params: readonly ('i32' | 'i64')[]; readonly result: 'i32' | 'i64' };
}

export interface HelperSpec {
  readonly id: number;
  readonly name: string;
  /** The C prototype, from libbpf's bpf_helper_defs.h. */
  readonly cReturn: string;
  readonly cParams: string;
  /** Undefined until the helper is modelled for the verifier. */
  proto?: HelperProto;
  /** Program types that may call it; 'all' for the kernel's base set. */
  programTypes?: readonly ProgramTypeName[] | 'all';
  impl?: HelperImpl;
}

/** Helpers by id. A registry starts with the kernel's list; implementations are registered onto it. */
export class HelperRegistry {
  private readonly byId = new Map<number, HelperSpec>();
  private readonly byName = new Map<string, HelperSpec>();

  constructor() {
    for (const [id, name, cReturn, cParams] of KERNEL_HELPERS) this.define({ id, name, cReturn, cParams });
  }

  private define(spec: HelperSpec): void {
    this.byId.set(spec.id, spec);
    this.byName.set(spec.name, spec);
  }

  /**
   * Registers an implementation (and optionally a prototype) for a helper. Ids
   * unknown to the kernel (user extensions) need a name and prototype.
   */
  register(idOrName: number | string, impl: HelperImpl, extra: { proto?: HelperProto; programTypes?: readonly ProgramTypeName[] | 'all'; name?: string } = {}): HelperSpec {
    let spec = typeof idOrName === 'number' ? this.byId.get(idOrName) : this.byName.get(idOrName);
    if (!spec) {
      if (typeof idOrName !== 'number' || !extra.name) throw new Error(`unknown helper ${idOrName}: a new helper needs a numeric id and a name`);
      spec = { id: idOrName, name: extra.name, cReturn: 'long', cParams: '' };
      this.define(spec);
    }
    spec.impl = impl;
    if (extra.proto) spec.proto = extra.proto;
    if (extra.programTypes) spec.programTypes = extra.programTypes;
    return spec;
  }

  get(id: number): HelperSpec | undefined { return this.byId.get(id); }
  byHelperName(name: string): HelperSpec | undefined { return this.byName.get(name); }
  all(): IterableIterator<HelperSpec> { return this.byId.values(); }
}
