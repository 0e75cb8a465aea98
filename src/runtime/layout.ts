/**
 * The linear-memory layout shared by every tier: the interpreter, JIT-compiled
 * code and the AssemblyScript map kernels all address one WebAssembly.Memory.
 *
 *   [0, 0x1000)                 null guard: never a valid BPF address
 *   [0x1000, 0x10000)           AssemblyScript kernels' static data (asc --memoryBase)
 *   [0x10000, heapBase)         one CpuArea per simulated CPU (worker thread)
 *   [heapBase, memory end)      map storage, managed by the kernels' allocator
 *
 * A BPF pointer is a linear-memory address held zero-extended in a 64-bit
 * register, so 32-bit UAPI context fields (xdp_md.data, __sk_buff.data) hold
 * real packet pointers and need no conversion. The memory's maximum is kept
 * below 2 GiB so every address is a non-negative i32.
 */
import { MAX_CALL_FRAMES, STACK_FRAME_BYTES } from '../isa/opcodes.js';

export const WASM_PAGE_BYTES = 65536;
export const NULL_GUARD_BYTES = 0x1000;
export const KERNEL_STATIC_BASE = 0x1000;
export const KERNEL_STATIC_BYTES = 0xf000;
export const CPU_AREAS_BASE = KERNEL_STATIC_BASE + KERNEL_STATIC_BYTES;

/** All frames of one CPU: frame k's r10 is stackTop - k * STACK_FRAME_BYTES. */
export const STACK_BYTES = MAX_CALL_FRAMES * STACK_FRAME_BYTES;
/** The UAPI context struct (largest is __sk_buff/bpf_sock_ops, under 256 bytes). */
export const CTX_BYTES = 1024;
/** Simulated kernel objects behind the context: the current task, its parent and cred at the kernel's sizes (task.ts). */
export const KOBJ_BYTES = 8192;
/** Helper scratch space (format buffers, temporary keys). */
export const SCRATCH_BYTES = 8192;
/** XDP_PACKET_HEADROOM: room for bpf_xdp_adjust_head/meta. */
export const PACKET_HEADROOM = 256;
/** Room after the data for bpf_xdp_adjust_tail growth (the kernel's skb_shared_info size). */
export const PACKET_TAILROOM = 320;
/** Default largest packet (or raw memory input) per CPU. */
export const DEFAULT_PACKET_CAPACITY = 65536;

export interface CpuArea {
  readonly cpu: number;
  readonly base: number;
  readonly stackBase: number;
  /** r10 of the outermost frame. */
  readonly stackTop: number;
  readonly ctx: number;
  readonly kobj: number;
  readonly scratch: number;
  /** Start of the packet buffer (data_hard_start); data starts PACKET_HEADROOM later. */
  readonly packetBase: number;
  readonly packetData: number;
  /** One past the last byte usable by data + tailroom. */
  readonly packetLimit: number;
  readonly end: number;
}

export interface LayoutOptions {
  /** Simulated CPUs (worker threads), 1..64. */
  cpus?: number;
  /** Largest packet or raw input, bytes. */
  packetCapacity?: number;
  /** Initial map heap, bytes. */
  heapBytes?: number;
  /** Memory maximum, bytes (≤ 2 GiB); a shared memory needs one. */
  maxBytes?: number;
  /** Share memory between worker threads (SharedArrayBuffer). */
  shared?: boolean;
}

export interface MemoryLayout {
  readonly cpus: number;
  readonly packetCapacity: number;
  readonly cpuAreaBytes: number;
  readonly areas: readonly CpuArea[];
  readonly heapBase: number;
  readonly initialPages: number;
  readonly maximumPages: number;
  readonly shared: boolean;
}

const MAX_CPUS = 64;
const MAX_MEMORY_BYTES = 0x8000_0000;

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

export function computeLayout(opts: LayoutOptions = {}): MemoryLayout {
  const cpus = opts.cpus ?? 1;
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > MAX_CPUS) throw new RangeError(`cpus must be 1..${MAX_CPUS}, got ${cpus}`);
  const packetCapacity = alignUp(opts.packetCapacity ?? DEFAULT_PACKET_CAPACITY, 8);
  const packetBytes = PACKET_HEADROOM + packetCapacity + PACKET_TAILROOM;
  const cpuAreaBytes = alignUp(STACK_BYTES + CTX_BYTES + KOBJ_BYTES + SCRATCH_BYTES + packetBytes, 4096);
  const areas: CpuArea[] = [];
  for (let cpu = 0; cpu < cpus; cpu++) {
    const base = CPU_AREAS_BASE + cpu * cpuAreaBytes;
    const stackBase = base;
    const ctx = stackBase + STACK_BYTES;
    const kobj = ctx + CTX_BYTES;
    const scratch = kobj + KOBJ_BYTES;
    const packetBase = scratch + SCRATCH_BYTES;
    areas.push({
      cpu, base, stackBase, stackTop: stackBase + STACK_BYTES, ctx, kobj, scratch,
      packetBase, packetData: packetBase + PACKET_HEADROOM, packetLimit: packetBase + packetBytes,
      end: base + cpuAreaBytes,
    });
  }
  const heapBase = alignUp(CPU_AREAS_BASE + cpus * cpuAreaBytes, WASM_PAGE_BYTES);
  const initialBytes = heapBase + alignUp(opts.heapBytes ?? 4 * WASM_PAGE_BYTES, WASM_PAGE_BYTES);
  const maxBytes = Math.min(opts.maxBytes ?? 1024 * 1024 * 1024, MAX_MEMORY_BYTES);
  if (initialBytes > maxBytes) throw new RangeError(`layout needs ${initialBytes} bytes, above the maximum ${maxBytes}`);
  return {
    cpus, packetCapacity, cpuAreaBytes, areas, heapBase,
    initialPages: initialBytes / WASM_PAGE_BYTES,
    maximumPages: Math.floor(maxBytes / WASM_PAGE_BYTES),
    shared: opts.shared ?? false,
  };
}

/** The memory for a layout; JIT modules import it with the same limits. */
export function createMemory(layout: MemoryLayout): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: layout.initialPages, maximum: layout.maximumPages, shared: layout.shared });
}

/**
 * A window of memory a running program may touch. The sandbox for unverified
 * code allows an access only inside one of the run's regions.
 */
export interface Region { readonly start: number; readonly end: number }

/**
 * The regions of one run: the CPU's whole stack, the context struct, the
 * packet or raw input, and the map heap (values returned by lookups).
 */
export interface RunRegions {
  stack: Region;
  ctx: Region;
  data: Region;
  heap: Region;
  /**
   * skb programs: where the MAC and network headers start (-1: unset) and the
   * buffer head, for ld_abs/ld_ind's SKF_LL_OFF / SKF_NET_OFF offsets.
   */
  headers?: { mac: number; network: number; head: number };
}

/** Negative ld_abs/ld_ind offsets address the MAC or network header (linux/filter.h). */
export const SKF_NET_OFF = -0x100000;
export const SKF_LL_OFF = -0x200000;
