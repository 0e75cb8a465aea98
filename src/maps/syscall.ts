/**
 * The user-space map API over the AssemblyScript kernels: libbpf-style
 * functions on file descriptors (bpf_map_create, bpf_map_update_elem, …) and
 * bpf(cmd, attr) with the syscall's attribute fields. Attribute checks follow
 * the kernel's map_alloc_check functions so that the same bad input gives the
 * same errno; element semantics live in the kernels.
 */
import { MapError } from '../diagnostics/index.js';
import {
  MAP_TYPE, MAP_TYPE_MAX, MAP_FLAG, BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_CMD, ERRNO, BPF_OBJ_NAME_LEN, MAX_BPF_STACK,
  KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE, LPM_DATA_SIZE_MAX, PAGE_SIZE, BLOOM_NR_HASH_FUNCS_MASK,
  errnoName, mapTypeName, type ErrnoName,
  PERF_TYPE_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT, BPF_NOEXIST, CPUMAP_QSIZE_MAX, NR_CPUS, PERF_MAX_STACK, LOCAL_STORAGE_MAX_VALUE,
} from './constants.js';
import type { MapKernels, MapKernelExports } from './kernels.js';

export interface MapCreateOpts {
  map_flags?: number;
  inner_map_fd?: number;
  map_extra?: number | bigint;
  numa_node?: number;
  /** Offset of `struct bpf_spin_lock` in the value (the kernel learns it from BTF). */
  spin_lock_off?: number;
}

/** A map as user space sees it (struct bpf_map_info). */
export interface MapInfo {
  readonly fd: number;
  readonly id: number;
  /** Address of the map header in linear memory: the map pointer programs see. */
  readonly handle: number;
  readonly type: number;
  readonly name: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly extra: bigint;
  readonly spinLockOff: number;
  frozen: boolean;
  /** Map-in-map: the inner map template. */
  readonly inner?: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number };
}

/**
 * A program as prog arrays see it: an fd and an id. `attach` is its expected
 * attach type where maps care (devmap/cpumap entries run XDP programs loaded
 * for BPF_XDP_DEVMAP / BPF_XDP_CPUMAP).
 */
export interface ProgramRef { readonly fd: number; readonly id: number; readonly name: string; readonly attach?: 'xdp_devmap' | 'xdp_cpumap' }

/**
 * Simulated kernel objects that maps take by fd (src/maps/README.md, "Objects"):
 * a perf event (perf_event_open) for perf event arrays, a socket for xskmap.
 */
/** A simulated task (for task storage and the current context) or inode (inode storage). */
export interface TaskObject { readonly kind: 'task'; readonly fd: number; readonly id: number; readonly addr: number; readonly pid: number; readonly tgid: number; readonly comm: string }
export interface InodeObject { readonly kind: 'inode'; readonly fd: number; readonly id: number; readonly addr: number; readonly ino: bigint; readonly path: string }

export type SimObject =
  | CgroupObject
  | TaskObject
  | InodeObject
  | { readonly kind: 'perf_event'; readonly fd: number; readonly id: number; readonly addr: number; readonly cpu: number; readonly type: number; readonly config: number; readonly dataBytes: number }
  | {
    readonly kind: 'socket'; readonly fd: number; readonly id: number; readonly addr: number;
    readonly family: SocketFamily; readonly protocol: 'tcp' | 'udp'; readonly state: SocketState;
    /** The socket cookie (bpf_get_socket_cookie; what sockmap lookups return to user space). */
    readonly cookie: bigint;
    readonly ifindex: number; readonly queueId: number; readonly bound: boolean;
    /** SO_REUSEPORT is set (reuseport arrays). */
    readonly reuseport: boolean;
  };

/** A simulated cgroup (cgroup v2 directory): its id and parent; `addr` holds {u64 id, u32 parent, u32 level}. */
export interface CgroupObject { readonly kind: 'cgroup'; readonly fd: number; readonly id: number; readonly addr: number; readonly cgroupId: bigint; readonly parentFd?: number; readonly path: string }

export type SocketFamily = 'xdp' | 'inet' | 'inet6' | 'unix';
export type SocketState = 'established' | 'listen' | 'close';

export interface SocketOpts {
  family?: SocketFamily;
  /** inet/inet6/unix: the protocol (unix: tcp means SOCK_STREAM, udp SOCK_DGRAM). */
  protocol?: 'tcp' | 'udp';
  state?: SocketState;
  /** AF_XDP: the device and queue the socket is bound to; `bound` is xsk_is_setup_for_bpf_map. */
  ifindex?: number;
  queueId?: number;
  bound?: boolean;
  reuseport?: boolean;
}

/** struct bpf_sock as a program reads a socket object, then the simulation's own fields. */
export const SOCK_LAYOUT = {
  bound_dev_if: 0, family: 4, type: 8, protocol: 12, state: 72, rx_queue_mapping: 76, size: 80,
  /** Beyond struct bpf_sock: the object id, cookie and AF_XDP queue. */
  id: 80, cookie: 88, queue_id: 96, bytes: 112,
} as const;
const AF = { unix: 1, inet: 2, inet6: 10, xdp: 44 } as const;
const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3;
const IPPROTO = { tcp: 6, udp: 17 } as const;
const TCP_STATE = { established: 1, close: 7, listen: 10 } as const;

/** A simulated network device (what an ifindex names): devmaps hold them. */
export interface NetDevice { readonly ifindex: number; readonly name: string }

const ACCESS_MASK = MAP_FLAG.RDONLY | MAP_FLAG.WRONLY | MAP_FLAG.RDONLY_PROG | MAP_FLAG.WRONLY_PROG;
const HTAB_CREATE_FLAG_MASK = MAP_FLAG.NO_PREALLOC | MAP_FLAG.NO_COMMON_LRU | MAP_FLAG.NUMA_NODE | ACCESS_MASK | MAP_FLAG.ZERO_SEED;
const ARRAY_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE | MAP_FLAG.MMAPABLE | ACCESS_MASK | MAP_FLAG.PRESERVE_ELEMS | MAP_FLAG.INNER_MAP;
const LPM_CREATE_FLAG_MASK = MAP_FLAG.NO_PREALLOC | MAP_FLAG.NUMA_NODE | ACCESS_MASK;
const QUEUE_STACK_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE | ACCESS_MASK;
const BLOOM_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE | MAP_FLAG.ZERO_SEED | ACCESS_MASK;
const RINGBUF_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE;
const DEV_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE | MAP_FLAG.RDONLY | MAP_FLAG.WRONLY;
const XSK_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE | MAP_FLAG.RDONLY | MAP_FLAG.WRONLY;
const CPUMAP_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE;
const SOCK_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE | MAP_FLAG.RDONLY | MAP_FLAG.WRONLY;

const STACK_CREATE_FLAG_MASK = MAP_FLAG.NUMA_NODE | MAP_FLAG.RDONLY | MAP_FLAG.WRONLY | MAP_FLAG.STACK_BUILD_ID;
/** sizeof(struct bpf_stack_build_id). */
const STACK_BUILD_ID_BYTES = 32;
/** The largest perf ring here (the kernels address memory with 32-bit offsets). */
const PERF_RING_MAX = 1 << 30;
/** sizeof(struct htab_elem) on x86-64. */
const HTAB_ELEM_SIZE = 48;

const T = MAP_TYPE;
const HASH_TYPES = new Set<number>([T.hash, T.percpu_hash, T.lru_hash, T.lru_percpu_hash, T.hash_of_maps]);
const ARRAY_TYPES = new Set<number>([T.array, T.percpu_array, T.prog_array, T.array_of_maps]);
const PERCPU_TYPES = new Set<number>([T.percpu_hash, T.lru_percpu_hash, T.percpu_array, T.percpu_cgroup_storage]);
const MAP_IN_MAP = new Set<number>([T.array_of_maps, T.hash_of_maps]);
const FD_VALUE_TYPES = new Set<number>([T.prog_array, T.array_of_maps, T.hash_of_maps, T.perf_event_array, T.cgroup_array]);
const SOCK_TYPES = new Set<number>([T.sockmap, T.sockhash, T.reuseport_sockarray]);
const CGROUP_STORAGE_TYPES = new Set<number>([T.cgroup_storage, T.percpu_cgroup_storage]);
/** Local storages: the owner kind whose fd keys user-space operations. */
const LOCAL_STORAGE_OWNER: Partial<Record<number, 'socket' | 'task' | 'inode' | 'cgroup'>> = {
  [T.sk_storage]: 'socket', [T.task_storage]: 'task', [T.inode_storage]: 'inode', [T.cgrp_storage]: 'cgroup',
};
const LOCAL_STORAGE_TYPES = new Set<number>([T.sk_storage, T.task_storage, T.inode_storage, T.cgrp_storage]);
/** Owners a local storage map can hold here (the kernel has no limit but memory). */
const LOCAL_STORAGE_CAPACITY = 1 << 16;
/** Cgroups × attach types a cgroup storage map can hold here (the kernel has no limit but memory). */
const CGROUP_STORAGE_CAPACITY = 4096;
/** sizeof(struct bpf_cgroup_storage_key): u64 cgroup inode id, u32 attach type, padding. */
const CGROUP_STORAGE_KEY_BYTES = 16;
/** Redirect maps: user space passes targets (ifindex, CPU, socket fd) that are validated here. */
const REDIRECT_TYPES = new Set<number>([T.devmap, T.devmap_hash, T.cpumap, T.xskmap]);
/** The XDP program entries of devmap and cpumap values (struct bpf_devmap_val / bpf_cpumap_val). */
const REDIRECT_SLOT_BYTES = 8;
/** Types that may be inner maps (the kernel's map_meta_equal). */
const INNER_OK = new Set<number>([T.hash, T.array, T.percpu_hash, T.percpu_array, T.lru_hash, T.lru_percpu_hash, T.lpm_trie, T.queue, T.stack, T.ringbuf, T.bloom_filter]);
const IMPLEMENTED = new Set<number>([...HASH_TYPES, ...ARRAY_TYPES, T.lpm_trie, T.queue, T.stack, T.bloom_filter, T.ringbuf, T.perf_event_array, ...REDIRECT_TYPES, T.stack_trace, ...SOCK_TYPES, T.cgroup_array, ...CGROUP_STORAGE_TYPES, ...LOCAL_STORAGE_TYPES]);

function fail(name: ErrnoName, message: string): never {
  throw new MapError(name, ERRNO[name], message);
}
function failNo(errno: number, message: string): never {
  const n = errnoName(errno) ?? `E${errno}`;
  throw new MapError(n, errno, message);
}

const round8 = (n: number): number => (n + 7) & ~7;
const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Lookups whose ENOENT callers usually just test. */
export function isErrno(e: unknown, name: ErrnoName): boolean {
  return e instanceof MapError && e.errno === ERRNO[name];
}

export class BpfMaps {
  readonly kernels: MapKernels;
  private readonly k: MapKernelExports;
  private readonly memory: WebAssembly.Memory;
  private readonly fds = new Map<number, MapInfo | ProgramRef | SimObject>();
  /** Network devices by ifindex (devmap targets); `lo` exists as in every namespace. */
  readonly devices = new Map<number, NetDevice>([[1, { ifindex: 1, name: 'lo' }]]);
  private nextObjId = 1;
  /** Simulated objects by address: map slots keep them alive after their fd closes. */
  private readonly objects = new Map<number, SimObject>();
  private readonly byHandle = new Map<number, MapInfo>();
  private readonly byId = new Map<number, MapInfo>();
  private nextFd = 3;
  private nextProgId = 1;
  private seedState: number;
  private scratch = 0;
  private scratchBytes = 0;
  private u8: Uint8Array;
  readonly ncpus: number;

  constructor(kernels: MapKernels, opts: { seed?: number } = {}) {
    this.kernels = kernels;
    this.k = kernels.exports;
    this.memory = kernels.memory;
    this.u8 = new Uint8Array(this.memory.buffer);
    this.ncpus = this.k.get_ncpus();
    this.seedState = (opts.seed ?? 0x2545f491) >>> 0;
  }

  // ---- memory plumbing ----

  /** The current byte view of linear memory (renewed after growth). */
  bytes(): Uint8Array {
    const buf = this.memory.buffer;
    if (this.u8.byteLength !== buf.byteLength || this.u8.buffer !== buf) this.u8 = new Uint8Array(buf);
    return this.u8;
  }

  /**
   * The cached view on hot paths: growth detaches a plain memory's buffer
   * (byteLength 0); a shared memory only grows inside allocating kernel calls,
   * after which callers use bytes().
   */
  private view(): Uint8Array {
    return this.u8.byteLength === 0 ? this.bytes() : this.u8;
  }

  /** Scratch space in linear memory for keys and values passed to the kernels. */
  private scratchFor(bytes: number): number {
    if (bytes > this.scratchBytes) {
      if (this.scratch) this.k.heap_free(this.scratch);
      let n = 4096;
      while (n < bytes) n *= 2;
      const p = this.k.heap_alloc(n);
      if (!p) fail('ENOMEM', 'no memory for a user-space buffer');
      this.scratch = p;
      this.scratchBytes = n;
      this.bytes();
    }
    return this.scratch;
  }

  private nextSeed(): number {
    // xorshift32: deterministic per BpfMaps instance
    let x = this.seedState;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.seedState = x;
    return x;
  }

  // ---- objects ----

  map(fd: number): MapInfo {
    const m = this.fds.get(fd);
    if (!m || !('handle' in m)) {
      // an open fd of another kind (stdio, a program) is EINVAL; a closed one EBADF
      if (fd >= 0 && fd <= 2 || m) fail('EINVAL', `fd ${fd} is not a map`);
      fail('EBADF', `fd ${fd} is not open`);
    }
    return m;
  }

  /** The map whose header is at `handle` (what a program's map pointer holds). */
  mapByHandle(handle: number): MapInfo | undefined { return this.byHandle.get(handle); }
  mapById(id: number): MapInfo | undefined { return this.byId.get(id); }
  maps(): IterableIterator<MapInfo> { return this.byHandle.values(); }

  /** Gives a program an fd and id so prog arrays (and devmap/cpumap entries, by `attach`) can hold it. */
  registerProgram(name = '', attach?: ProgramRef['attach']): ProgramRef {
    const ref: ProgramRef = { fd: this.nextFd++, id: this.nextProgId++, name, ...(attach ? { attach } : {}) };
    this.fds.set(ref.fd, ref);
    return ref;
  }

  /** The object behind an fd, whatever its kind (undefined when closed; stdio is not listed). */
  object(fd: number): MapInfo | ProgramRef | SimObject | undefined { return this.fds.get(fd); }

  /** Adds a simulated network device (devmap targets name devices by ifindex). */
  addDevice(ifindex: number, name: string): NetDevice {
    if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0x7fffffff) fail('EINVAL', `ifindex ${ifindex} is not a positive int`);
    const d = { ifindex, name };
    this.devices.set(ifindex, d);
    return d;
  }

  /**
   * perf_event_open for the events perf event arrays hold: by default the
   * software event PERF_COUNT_SW_BPF_OUTPUT bound to `cpu`, with a ring of
   * `pages` pages (a power of two, as mmap of the perf buffer requires).
   */
  perf_event_open(cpu: number, pages: number, attr: { type?: number; config?: number } = {}): number {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.ncpus) fail('EINVAL', `no CPU ${cpu} (the machine has ${this.ncpus})`);
    if (!isPow2(pages)) fail('EINVAL', `perf buffer of ${pages} pages: the page count must be a power of two`);
    if (pages * PAGE_SIZE > PERF_RING_MAX) fail('ENOMEM', `perf buffer of ${pages} pages above ${PERF_RING_MAX / PAGE_SIZE} pages`);
    const type = attr.type ?? PERF_TYPE_SOFTWARE, config = attr.config ?? PERF_COUNT_SW_BPF_OUTPUT;
    const id = this.nextObjId++;
    const dataBytes = pages * PAGE_SIZE;
    const addr = this.k.perf_event_create(type, config, cpu, dataBytes, BigInt(id));
    this.bytes();
    if (!addr) fail('ENOMEM', `no memory for a perf buffer of ${pages} pages`);
    const ev: SimObject = { kind: 'perf_event', fd: this.nextFd++, id, addr, cpu, type, config, dataBytes };
    this.fds.set(ev.fd, ev);
    this.objects.set(addr, ev);
    return ev.fd;
  }

  /**
   * A simulated socket. AF_XDP sockets are what xskmap holds; `bound` is the
   * kernel's xsk_is_setup_for_bpf_map (rx ring, umem and bind done).
   */
  socket(opts: SocketOpts = {}): number {
    const id = this.nextObjId++;
    const addr = this.k.heap_alloc(SOCK_LAYOUT.bytes);
    if (!addr) fail('ENOMEM', 'no memory for a socket');
    const family = opts.family ?? 'xdp';
    const protocol = opts.protocol ?? 'tcp';
    const sock: SimObject = {
      kind: 'socket', fd: this.nextFd++, id, addr, family, protocol, state: opts.state ?? 'established', cookie: BigInt(id),
      ifindex: opts.ifindex ?? 1, queueId: opts.queueId ?? 0, bound: opts.bound ?? true, reuseport: opts.reuseport ?? false,
    };
    const dv = new DataView(this.bytes().buffer);
    const L = SOCK_LAYOUT;
    dv.setUint32(addr + L.bound_dev_if, family === 'xdp' ? sock.ifindex : 0, true);
    dv.setUint32(addr + L.family, AF[family], true);
    dv.setUint32(addr + L.type, family === 'xdp' ? SOCK_RAW : protocol === 'tcp' ? SOCK_STREAM : SOCK_DGRAM, true);
    dv.setUint32(addr + L.protocol, family === 'xdp' || family === 'unix' ? 0 : IPPROTO[protocol], true);
    dv.setUint32(addr + L.state, TCP_STATE[sock.state], true);
    dv.setInt32(addr + L.rx_queue_mapping, -1, true);
    dv.setUint32(addr + L.id, id, true);
    dv.setBigUint64(addr + L.cookie, sock.cookie, true);
    dv.setUint32(addr + L.queue_id, sock.queueId, true);
    this.fds.set(sock.fd, sock);
    this.objects.set(addr, sock);
    return sock.fd;
  }

  /**
   * A simulated cgroup (mkdir in cgroup v2) below `parentFd` (none: the root's
   * child). Its id is what bpf_get_current_cgroup_id and storage keys use.
   */
  cgroup(path: string, parentFd?: number): number {
    let parent: CgroupObject | undefined;
    if (parentFd !== undefined) {
      const p = this.fds.get(parentFd);
      if (!p || !('kind' in p) || p.kind !== 'cgroup') fail('EBADF', `fd ${parentFd} is not a cgroup`);
      parent = p;
    }
    const addr = this.k.heap_alloc(16);
    if (!addr) fail('ENOMEM', 'no memory for a cgroup');
    const id = this.nextObjId++;
    // cgroup ids are kernfs inode numbers: 1 is the root, children count up
    const cgroupId = BigInt(id + 1);
    const dv = new DataView(this.bytes().buffer);
    dv.setBigUint64(addr, cgroupId, true);
    dv.setUint32(addr + 8, parent?.addr ?? 0, true);
    dv.setUint32(addr + 12, parent ? new DataView(this.bytes().buffer).getUint32(parent.addr + 12, true) + 1 : 1, true);
    const cg: CgroupObject = { kind: 'cgroup', fd: this.nextFd++, id, addr, cgroupId, ...(parentFd !== undefined ? { parentFd } : {}), path };
    this.fds.set(cg.fd, cg);
    this.objects.set(addr, cg);
    return cg.fd;
  }

  /** A simulated task (its pidfd): task storage owners and the current task; the object is {u32 pid, u32 tgid, char comm[16]}. */
  task(pid: number, tgid = pid, comm = ''): number {
    const addr = this.k.heap_alloc(32);
    if (!addr) fail('ENOMEM', 'no memory for a task');
    const dv = new DataView(this.bytes().buffer);
    dv.setUint32(addr, pid >>> 0, true);
    dv.setUint32(addr + 4, tgid >>> 0, true);
    const name = new TextEncoder().encode(comm).subarray(0, 15);
    this.bytes().set(name, addr + 8);
    const t: TaskObject = { kind: 'task', fd: this.nextFd++, id: this.nextObjId++, addr, pid, tgid, comm };
    this.fds.set(t.fd, t);
    this.objects.set(addr, t);
    return t.fd;
  }

  /** A simulated open file (inode storage owners); the object is {u64 ino}. */
  inode(path: string): number {
    const addr = this.k.heap_alloc(16);
    if (!addr) fail('ENOMEM', 'no memory for an inode');
    const id = this.nextObjId++;
    const ino = BigInt(1000 + id);
    new DataView(this.bytes().buffer).setBigUint64(addr, ino, true);
    const o: InodeObject = { kind: 'inode', fd: this.nextFd++, id, addr, ino, path };
    this.fds.set(o.fd, o);
    this.objects.set(addr, o);
    return o.fd;
  }

  /**
   * What attaching a program that uses cgroup storage map `mapFd` to cgroup
   * `cgroupFd` with `attachType` does to the map: the cgroup's storage is
   * allocated, zeroed (once per cgroup and attach type; per cgroup for
   * 8-byte keys).
   */
  cgroupStorageAttach(mapFd: number, cgroupFd: number, attachType: number): void {
    const m = this.map(mapFd);
    if (!CGROUP_STORAGE_TYPES.has(m.type)) fail('EINVAL', `map fd ${mapFd} is not a cgroup storage`);
    const cg = this.fds.get(cgroupFd);
    if (!cg || !('kind' in cg) || cg.kind !== 'cgroup') fail('EBADF', `fd ${cgroupFd} is not a cgroup`);
    const vs = this.userValueSize(m);
    const s = this.scratchFor(CGROUP_STORAGE_KEY_BYTES + round8(vs));
    const dv = new DataView(this.bytes().buffer);
    dv.setBigUint64(s, cg.cgroupId, true);
    dv.setUint32(s + 8, attachType >>> 0, true);
    dv.setUint32(s + 12, 0, true);
    this.bytes().fill(0, s + CGROUP_STORAGE_KEY_BYTES, s + CGROUP_STORAGE_KEY_BYTES + vs);
    const r = this.k.sys_update(m.handle, s, s + CGROUP_STORAGE_KEY_BYTES, BigInt(BPF_NOEXIST));
    this.bytes();
    if (r < 0 && r !== -ERRNO.EEXIST) failNo(-r, `cannot allocate ${mapTypeName(m.type)} for cgroup ${cg.cgroupId}`);
  }

  /**
   * Sets CPU `cpu`'s current context for the next runs: the task's cgroup and
   * the running program's attach type (bpf_get_local_storage, the
   * *_under_cgroup helpers), and the current task (task storage).
   */
  setCurrent(cpu: number, ctx: { cgroupFd?: number; attachType?: number; taskFd?: number }): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.ncpus) fail('EINVAL', `no CPU ${cpu} (the machine has ${this.ncpus})`);
    const at = this.k.current_area(cpu);
    const dv = new DataView(this.bytes().buffer);
    const addrOf = (fd: number | undefined, kind: string): number => {
      if (fd === undefined) return 0;
      const o = this.fds.get(fd);
      if (!o || !('kind' in o) || o.kind !== kind) fail('EBADF', `fd ${fd} is not a ${kind}`);
      return o.addr;
    };
    dv.setUint32(at, addrOf(ctx.cgroupFd, 'cgroup'), true);
    dv.setUint32(at + 4, (ctx.attachType ?? 0) >>> 0, true);
    dv.setUint32(at + 8, addrOf(ctx.taskFd, 'task'), true);
  }

  /** The simulated object whose memory is at `addr` (a perf event or socket a map slot holds, even after its fd closed). */
  objectByAddr(addr: number): SimObject | undefined { return this.objects.get(addr); }

  /** Bytes of a value as user space passes it (per-CPU: every CPU's, 8-aligned). */
  userValueSize(m: MapInfo): number {
    return PERCPU_TYPES.has(m.type) ? round8(m.valueSize) * this.ncpus : m.valueSize;
  }

  /**
   * Closes an fd. The map's memory is freed unless a map-in-map still holds
   * it (the kernel's reference); programs using a map keep its fd open.
   */
  close(fd: number): void {
    const m = this.fds.get(fd);
    if (!m) fail('EBADF', `fd ${fd} is not open`);
    this.fds.delete(fd);
    // programs and simulated objects stay alive: map slots may still hold them (the kernel's references)
    if (!('handle' in m)) return;
    if (this.heldByOuterMap(m.handle)) return;
    this.byHandle.delete(m.handle);
    this.byId.delete(m.id);
    this.k.map_free(m.handle);
  }

  private heldByOuterMap(handle: number): boolean {
    for (const outer of this.byHandle.values()) {
      if (!MAP_IN_MAP.has(outer.type)) continue;
      let k: Uint8Array | null = null;
      for (;;) {
        try { k = this.bpf_map_get_next_key(outer.fd, k); } catch { break; }
        const s = this.scratchFor(16);
        this.view().set(k.subarray(0, outer.keySize), s);
        if (this.k.sys_lookup(outer.handle, s, s + 8, 0n) === 0 && new DataView(this.view().buffer).getUint32(s + 8, true) === handle) return true;
      }
    }
    return false;
  }

  // ---- BPF_MAP_CREATE ----

  bpf_map_create(type: number, name: string | null, keySize: number, valueSize: number, maxEntries: number, opts: MapCreateOpts = {}): number {
    const flags = (opts.map_flags ?? 0) >>> 0;
    const extra = BigInt(opts.map_extra ?? 0);
    const spinOff = opts.spin_lock_off ?? -1;
    for (const [k, v] of [['key_size', keySize], ['value_size', valueSize], ['max_entries', maxEntries]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) fail('EINVAL', `${k} must be a u32, got ${v}`);
    }
    if (extra !== 0n && type !== T.bloom_filter && type !== T.arena) fail('EINVAL', 'map_extra is only for bloom filters and arenas');
    if ((flags & MAP_FLAG.RDONLY) && (flags & MAP_FLAG.WRONLY)) fail('EINVAL', 'BPF_F_RDONLY and BPF_F_WRONLY together');
    if (!Number.isInteger(type) || type <= 0 || type >= MAP_TYPE_MAX) fail('EINVAL', `unknown map type ${type}`);
    const tname = mapTypeName(type) ?? String(type);
    let inner: MapInfo | undefined;
    if (MAP_IN_MAP.has(type)) {
      // the kernel builds the inner map template before the size checks
      const im = this.map(opts.inner_map_fd ?? 0);
      if (MAP_IN_MAP.has(im.type)) fail('EINVAL', 'an inner map cannot itself hold maps');
      if (!INNER_OK.has(im.type)) fail('ENOTSUPP', `a ${mapTypeName(im.type)} map cannot be an inner map`);
      inner = im;
    }
    this.checkAlloc(type, tname, keySize, valueSize, maxEntries, flags, extra);
    if ((type === T.lru_hash || type === T.lru_percpu_hash) && (flags & MAP_FLAG.NO_COMMON_LRU)) {
      // htab_map_alloc: every CPU's LRU list gets the same number of elements
      const up = Math.ceil(maxEntries / this.ncpus) * this.ncpus;
      maxEntries = up <= 0xffffffff ? up : Math.floor(maxEntries / this.ncpus) * this.ncpus;
    }
    if (!IMPLEMENTED.has(type)) fail('EINVAL', `map type ${tname} is not implemented by this engine`);
    if (spinOff >= 0) {
      if (type !== T.hash && type !== T.array) fail('EOPNOTSUPP', `bpf_spin_lock is not allowed in ${tname} values`);
      if (spinOff % 4 !== 0 || spinOff + 4 > valueSize) fail('EINVAL', `bpf_spin_lock at ${spinOff} does not fit a ${valueSize}-byte value`);
    }
    if (name !== null) {
      if (name.length >= BPF_OBJ_NAME_LEN) fail('EINVAL', `map name longer than ${BPF_OBJ_NAME_LEN - 1} characters`);
      if (!/^[A-Za-z0-9_.]*$/.test(name)) fail('EINVAL', `map name ${JSON.stringify(name)} has characters other than letters, digits, '_' and '.'`);
    }
    const seed = flags & MAP_FLAG.ZERO_SEED ? 0 : this.nextSeed();
    const kernelValue = FD_VALUE_TYPES.has(type) ? 4 : type === T.devmap_hash || type === T.sockhash ? REDIRECT_SLOT_BYTES : valueSize;
    // cgroup storages have no max_entries: a lazily allocated hash of bounded capacity holds them
    const storage = CGROUP_STORAGE_TYPES.has(type) || LOCAL_STORAGE_TYPES.has(type);
    const capacity = CGROUP_STORAGE_TYPES.has(type) ? CGROUP_STORAGE_CAPACITY : LOCAL_STORAGE_CAPACITY;
    const handle = this.k.map_create(type, keySize, kernelValue, storage ? capacity : maxEntries,
      storage ? flags | MAP_FLAG.NO_PREALLOC : flags, Number(extra & 0xffffffffn), spinOff, seed);
    if (handle < 0) failNo(-handle, `cannot allocate a ${tname} map of ${maxEntries} entries`);
    const id = new DataView(this.bytes().buffer).getUint32(handle + 20, true);
    const info: MapInfo = {
      fd: this.nextFd++, id, handle, type, name: name ?? '', keySize, valueSize, maxEntries, flags, extra,
      spinLockOff: spinOff, frozen: false,
      inner: inner && { type: inner.type, keySize: inner.keySize, valueSize: inner.valueSize, maxEntries: inner.maxEntries, flags: inner.flags },
    };
    this.fds.set(info.fd, info);
    this.byHandle.set(handle, info);
    this.byId.set(id, info);
    return info.fd;
  }

  /** The kernel's per-type map_alloc_check (and the checks its map_alloc makes first). */
  private checkAlloc(type: number, tname: string, ks: number, vs: number, max: number, flags: number, extra: bigint): void {
    const accessOk = !((flags & MAP_FLAG.RDONLY_PROG) && (flags & MAP_FLAG.WRONLY_PROG));
    if (HASH_TYPES.has(type)) {
      const lru = type === T.lru_hash || type === T.lru_percpu_hash;
      const percpu = type === T.percpu_hash || type === T.lru_percpu_hash;
      if (type === T.hash_of_maps && vs !== 4) fail('EINVAL', 'hash of maps values are u32 map fds (value_size 4)');
      if ((flags & ~HTAB_CREATE_FLAG_MASK) || !accessOk) fail('EINVAL', `invalid map_flags 0x${flags.toString(16)} for ${tname}`);
      if (!lru && (flags & MAP_FLAG.NO_COMMON_LRU)) fail('EINVAL', 'BPF_F_NO_COMMON_LRU needs an LRU map');
      if (lru && (flags & MAP_FLAG.NO_PREALLOC)) fail('ENOTSUPP', 'LRU maps are always preallocated');
      if (max === 0 || ks === 0 || vs === 0) fail('EINVAL', 'key_size, value_size and max_entries must be non-zero');
      if (ks + vs >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) fail('E2BIG', `key_size + value_size ${ks + vs} too large`);
      if (percpu && round8(vs) > PCPU_MIN_UNIT_SIZE) fail('E2BIG', `per-CPU value_size ${vs} above ${PCPU_MIN_UNIT_SIZE}`);
      if (max >= 0x80000000) fail('E2BIG', `max_entries ${max} needs 2^31 or more buckets`);
      return;
    }
    if (ARRAY_TYPES.has(type)) {
      const percpu = type === T.percpu_array;
      if (type === T.prog_array || type === T.array_of_maps) {
        if (vs !== 4) fail('EINVAL', `${tname} values are u32 fds (value_size 4)`);
        if (flags & (MAP_FLAG.RDONLY_PROG | MAP_FLAG.WRONLY_PROG)) fail('EINVAL', `${tname} takes no program access flags`);
      }
      if (max === 0 || ks !== 4 || vs === 0 || (flags & ~ARRAY_CREATE_FLAG_MASK) || !accessOk) {
        fail('EINVAL', `${tname} needs key_size 4, value_size > 0, max_entries > 0 and valid flags (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
      }
      if (flags & MAP_FLAG.PRESERVE_ELEMS) fail('EINVAL', 'BPF_F_PRESERVE_ELEMS is for perf event arrays');
      if (percpu && (flags & MAP_FLAG.MMAPABLE)) fail('EINVAL', 'a per-CPU array cannot be mmapable');
      if (vs > 0x7fffffff) fail('E2BIG', `value_size ${vs} above INT_MAX`);
      if (percpu && round8(vs) > PCPU_MIN_UNIT_SIZE) fail('E2BIG', `per-CPU value_size ${vs} above ${PCPU_MIN_UNIT_SIZE}`);
      return;
    }
    switch (type) {
      case T.lpm_trie:
        if (max === 0 || !(flags & MAP_FLAG.NO_PREALLOC) || (flags & ~LPM_CREATE_FLAG_MASK) || !accessOk ||
            ks < 4 + 1 || ks > 4 + LPM_DATA_SIZE_MAX || vs < 1 || vs > KMALLOC_MAX_SIZE - MAX_BPF_STACK - 40 - LPM_DATA_SIZE_MAX) {
          fail('EINVAL', `LPM trie needs BPF_F_NO_PREALLOC, key_size 5..${4 + LPM_DATA_SIZE_MAX} (prefixlen + data), value_size > 0, max_entries > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        return;
      case T.queue: case T.stack:
        if (max === 0 || ks !== 0 || vs === 0 || (flags & ~QUEUE_STACK_CREATE_FLAG_MASK) || !accessOk) {
          fail('EINVAL', `${tname} needs key_size 0, value_size > 0, max_entries > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        if (vs > KMALLOC_MAX_SIZE) fail('E2BIG', `value_size ${vs} too large`);
        return;
      case T.bloom_filter:
        if (ks !== 0 || vs === 0 || max === 0 || (flags & ~BLOOM_CREATE_FLAG_MASK) || !accessOk || (extra & ~BigInt(BLOOM_NR_HASH_FUNCS_MASK)) !== 0n) {
          fail('EINVAL', `bloom filter needs key_size 0, value_size > 0, max_entries > 0, map_extra = hash count 0..15 (got ${ks}/${vs}/${max}/${extra})`);
        }
        return;
      case T.perf_event_array:
        // fd_array_map_alloc_check, then array_map_alloc_check
        if (vs !== 4 || (flags & (MAP_FLAG.RDONLY_PROG | MAP_FLAG.WRONLY_PROG))) fail('EINVAL', `perf event array values are u32 perf event fds (value_size 4), no program access flags`);
        if (max === 0 || ks !== 4 || (flags & ~ARRAY_CREATE_FLAG_MASK) || (flags & (MAP_FLAG.MMAPABLE | MAP_FLAG.INNER_MAP))) {
          fail('EINVAL', `perf event array needs key_size 4, max_entries > 0 and valid flags (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        return;
      case T.devmap: case T.devmap_hash:
        if (max === 0 || ks !== 4 || (vs !== 4 && vs !== 8) || (flags & ~DEV_CREATE_FLAG_MASK)) {
          fail('EINVAL', `${tname} needs key_size 4, value_size 4 (ifindex) or 8 (ifindex + program fd), max_entries > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        if (type === T.devmap_hash && max > 0x80000000) fail('EINVAL', `devmap_hash max_entries ${max} above 2^31`);
        return;
      case T.cpumap:
        if (max === 0 || ks !== 4 || (vs !== 4 && vs !== 8) || (flags & ~CPUMAP_CREATE_FLAG_MASK)) {
          fail('EINVAL', `cpumap needs key_size 4, value_size 4 (qsize) or 8 (qsize + program fd), max_entries > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        if (max > NR_CPUS) fail('E2BIG', `cpumap max_entries ${max} above NR_CPUS ${NR_CPUS}`);
        return;
      case T.reuseport_sockarray:
        // reuseport_array_alloc_check, then array_map_alloc_check
        if ((vs !== 4 && vs !== 8) || max === 0 || ks !== 4 || (flags & ~ARRAY_CREATE_FLAG_MASK) || !accessOk ||
            (flags & (MAP_FLAG.MMAPABLE | MAP_FLAG.INNER_MAP | MAP_FLAG.PRESERVE_ELEMS))) {
          fail('EINVAL', `reuseport_sockarray needs key_size 4, value_size 4 or 8 (socket fd), max_entries > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        return;
      case T.sockmap: case T.sockhash:
        if (max === 0 || (type === T.sockmap ? ks !== 4 : ks === 0) || (vs !== 4 && vs !== 8) || (flags & ~SOCK_CREATE_FLAG_MASK)) {
          fail('EINVAL', `${tname} needs key_size ${type === T.sockmap ? '4' : '> 0'}, value_size 4 or 8 (socket fd), max_entries > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        if (type === T.sockhash && ks > MAX_BPF_STACK) fail('E2BIG', `sockhash key_size ${ks} above ${MAX_BPF_STACK}`);
        return;
      case T.cgroup_array:
        // fd_array_map_alloc_check, then array_map_alloc_check
        if (vs !== 4 || (flags & (MAP_FLAG.RDONLY_PROG | MAP_FLAG.WRONLY_PROG))) fail('EINVAL', 'cgroup array values are u32 cgroup fds (value_size 4), no program access flags');
        if (max === 0 || ks !== 4 || (flags & ~ARRAY_CREATE_FLAG_MASK) || (flags & (MAP_FLAG.MMAPABLE | MAP_FLAG.INNER_MAP | MAP_FLAG.PRESERVE_ELEMS))) {
          fail('EINVAL', `cgroup array needs key_size 4, max_entries > 0 and valid flags (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        return;
      case T.cgroup_storage: case T.percpu_cgroup_storage: {
        const maxValue = type === T.percpu_cgroup_storage ? Math.min(LOCAL_STORAGE_MAX_VALUE, PCPU_MIN_UNIT_SIZE) : LOCAL_STORAGE_MAX_VALUE;
        if (ks !== CGROUP_STORAGE_KEY_BYTES && ks !== 8) fail('EINVAL', `${tname} keys are struct bpf_cgroup_storage_key (16 bytes) or a u64 cgroup id, got key_size ${ks}`);
        if (vs === 0) fail('EINVAL', `${tname} needs value_size > 0`);
        if (vs > maxValue) fail('E2BIG', `${tname} value_size ${vs} above ${maxValue}`);
        if ((flags & ~(MAP_FLAG.NUMA_NODE | ACCESS_MASK)) || !accessOk) fail('EINVAL', `invalid map_flags 0x${flags.toString(16)} for ${tname}`);
        if (max !== 0) fail('EINVAL', `${tname} takes max_entries 0 (storage is per cgroup)`);
        return;
      }
      case T.sk_storage: case T.task_storage: case T.inode_storage: case T.cgrp_storage:
        // bpf_local_storage_map_alloc_check (the kernel also wants BTF key and value types, which maps here do not carry)
        if ((flags & ~(MAP_FLAG.NO_PREALLOC | MAP_FLAG.CLONE)) || !(flags & MAP_FLAG.NO_PREALLOC) || max !== 0 || ks !== 4 || vs === 0) {
          fail('EINVAL', `${tname} needs BPF_F_NO_PREALLOC, key_size 4 (an owner fd), max_entries 0, value_size > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        if (vs > LOCAL_STORAGE_MAX_VALUE) fail('E2BIG', `${tname} value_size ${vs} above ${LOCAL_STORAGE_MAX_VALUE}`);
        return;
      case T.stack_trace: {
        if (flags & ~STACK_CREATE_FLAG_MASK) fail('EINVAL', `invalid map_flags 0x${flags.toString(16)} for stack_trace`);
        const elem = flags & MAP_FLAG.STACK_BUILD_ID ? STACK_BUILD_ID_BYTES : 8;
        if (max === 0 || ks !== 4 || vs < 8 || vs % 8 !== 0 || vs % elem !== 0 || vs / elem > PERF_MAX_STACK) {
          fail('EINVAL', `stack_trace needs key_size 4, max_entries > 0, value_size a multiple of ${elem} holding at most ${PERF_MAX_STACK} frames (got ${ks}/${vs}/${max})`);
        }
        if (max > 0x80000000) fail('E2BIG', `stack_trace max_entries ${max} above 2^31`);
        return;
      }
      case T.xskmap:
        if (max === 0 || ks !== 4 || vs !== 4 || (flags & ~XSK_CREATE_FLAG_MASK)) {
          fail('EINVAL', `xskmap needs key_size 4, value_size 4 (socket fd), max_entries > 0 (got ${ks}/${vs}/${max}/0x${flags.toString(16)})`);
        }
        return;
      case T.ringbuf:
        if (flags & ~RINGBUF_CREATE_FLAG_MASK) fail('EINVAL', `invalid map_flags 0x${flags.toString(16)} for ringbuf`);
        if (ks !== 0 || vs !== 0 || !isPow2(max) || max % PAGE_SIZE !== 0) {
          fail('EINVAL', `ringbuf needs key_size 0, value_size 0 and max_entries a power-of-2 multiple of ${PAGE_SIZE} (got ${ks}/${vs}/${max})`);
        }
        return;
    }
  }

  // ---- element commands ----

  private checkKey(m: MapInfo, key: Uint8Array | null): void {
    if (m.keySize === 0) return;
    if (!key || key.length < m.keySize) fail('EINVAL', `key must have ${m.keySize} bytes, got ${key ? key.length : 'none'}`);
  }
  private checkValue(m: MapInfo, value: Uint8Array, want: number): void {
    if (value.length < want) fail('EINVAL', `value must have ${want} bytes, got ${value.length}`);
  }
  private checkLockFlag(m: MapInfo, flags: number): void {
    if ((flags & BPF_F_LOCK) && m.spinLockOff < 0) fail('EINVAL', 'BPF_F_LOCK on a map without bpf_spin_lock');
  }

  private noSysAccess(m: MapInfo, what: string): never | void {
    if (m.type === T.ringbuf) fail('ENOTSUPP', `${what} is not supported on ringbuf maps`);
  }

  bpf_map_lookup_elem(fd: number, key: Uint8Array | null, value?: Uint8Array): Uint8Array {
    return this.bpf_map_lookup_elem_flags(fd, key, value, 0);
  }

  /** Local storages: user space names the owner by fd; the map is keyed by the owner object. */
  private ownerKey(m: MapInfo, key: Uint8Array | null): Uint8Array {
    if (!key || key.length < 4) fail('EINVAL', 'local storage keys are 4-byte fds');
    const want = LOCAL_STORAGE_OWNER[m.type]!;
    const fd = new DataView(key.buffer, key.byteOffset).getInt32(0, true);
    const o = this.fds.get(fd);
    if (!o && !(fd >= 0 && fd <= 2)) fail('EBADF', `fd ${fd} is not open`);
    // every open file has an inode; sockets, pidfds and cgroups must be what the map stores
    let owner: number | undefined;
    if (o && 'kind' in o && (o.kind === want || want === 'inode')) owner = o.addr;
    else if (o && want === 'inode') owner = 'handle' in o ? o.handle : undefined;
    if (owner === undefined) fail(want === 'socket' ? 'ENOTSOCK' : 'EBADF', `fd ${fd} is not a ${want}`);
    return new Uint8Array(new Uint32Array([owner]).buffer);
  }

  bpf_map_lookup_elem_flags(fd: number, key: Uint8Array | null, value: Uint8Array | undefined, flags: number): Uint8Array {
    const m0 = this.map(fd);
    if (LOCAL_STORAGE_TYPES.has(m0.type)) key = this.ownerKey(m0, key);
    const m = m0;
    if (flags & ~BPF_F_LOCK) fail('EINVAL', `invalid lookup flags 0x${flags.toString(16)}`);
    this.checkLockFlag(m, flags);
    if (m.flags & MAP_FLAG.WRONLY) fail('EPERM', 'map is write-only from user space');
    this.noSysAccess(m, 'lookup');
    if ((m.type === T.queue || m.type === T.stack || m.type === T.bloom_filter) && flags) fail('EINVAL', 'flags on a queue/stack/bloom lookup');
    this.checkKey(m, key);
    // perf event arrays have no map_fd_sys_lookup_elem
    if (m.type === T.perf_event_array || m.type === T.cgroup_array) fail('ENOTSUPP', `${mapTypeName(m.type)} entries cannot be read from user space`);
    if (SOCK_TYPES.has(m.type)) return this.sockLookup(m, key!, value);
    const ks = round8(m.keySize);
    const fdVal = FD_VALUE_TYPES.has(m.type);
    const vsz = fdVal ? 4 : this.userValueSize(m);
    const s = this.scratchFor(ks + round8(vsz));
    const mem = this.view();
    if (m.keySize) copyIn(mem, key!, s, m.keySize);
    const vptr = s + ks;
    if (m.type === T.bloom_filter) {
      // a bloom lookup tests the value user space passes
      if (!value) fail('EINVAL', 'bloom filter lookup needs the value to test');
      this.checkValue(m, value, m.valueSize);
      copyIn(mem, value, vptr, m.valueSize);
    }
    const r = this.k.sys_lookup(m.handle, s, vptr, flags === 0 ? 0n : BigInt(flags));
    if (r < 0) failNo(-r, this.elemMessage(m, 'lookup', -r));
    const out = value ?? new Uint8Array(fdVal && m.type !== T.prog_array ? 4 : vsz);
    if (m.type === T.array_of_maps || m.type === T.hash_of_maps) {
      // user space sees the inner map's id
      const addr = mem[vptr]! | (mem[vptr + 1]! << 8) | (mem[vptr + 2]! << 16) | (mem[vptr + 3]! << 24);
      new DataView(out.buffer, out.byteOffset).setUint32(0, this.byHandle.get(addr)?.id ?? 0, true);
    } else if (m.type !== T.bloom_filter) {
      for (let i = 0; i < vsz; i++) out[i] = mem[vptr + i]!;
    }
    return out;
  }

  /**
   * bpf_fd_reuseport_array_update_elem: the socket must be TCP/UDP over
   * IPv4/IPv6, hashed (a listening TCP or bound UDP socket) with SO_REUSEPORT.
   */
  private reuseportValue(m: MapInfo, key: Uint8Array, o: SimObject & { kind: 'socket' }, flags: number): Uint8Array {
    const index = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
    const s = this.scratchFor(16);
    copyIn(this.view(), key, s, 4);
    const exists = index < m.maxEntries && this.k.map_lookup_elem(m.handle, s) !== 0;
    if (exists && flags === BPF_NOEXIST) fail('EEXIST', `index ${index} holds a socket (BPF_NOEXIST)`);
    if (!exists && flags === BPF_EXIST) fail('ENOENT', `index ${index} holds no socket (BPF_EXIST)`);
    if (o.family !== 'inet' && o.family !== 'inet6') fail('ENOTSUPP', `a ${o.family} socket cannot be in a reuseport array`);
    const hashed = o.protocol === 'tcp' ? o.state === 'listen' : o.bound;
    if (!hashed || !o.reuseport) fail('EINVAL', `socket fd ${o.fd} is not ${o.protocol === 'tcp' ? 'listening' : 'bound'} with SO_REUSEPORT`);
    const slot = new Uint8Array(REDIRECT_SLOT_BYTES);
    new DataView(slot.buffer).setUint32(0, o.addr, true);
    return slot;
  }

  /** sock_map_lookup_sys / sock_hash_lookup_sys: the socket cookie, for 8-byte values only. */
  private sockLookup(m: MapInfo, key: Uint8Array, value?: Uint8Array): Uint8Array {
    if (m.valueSize !== 8) fail('ENOSPC', `${mapTypeName(m.type)} lookups return the 8-byte socket cookie: value_size is ${m.valueSize}`);
    const s = this.scratchFor(round8(m.keySize) + 16);
    copyIn(this.view(), key, s, m.keySize);
    const addr = this.k.map_lookup_elem(m.handle, s);
    const sock = addr ? this.objects.get(addr) : undefined;
    if (!sock || sock.kind !== 'socket') fail('ENOENT', this.elemMessage(m, 'lookup', ERRNO.ENOENT));
    const out = value ?? new Uint8Array(8);
    new DataView(out.buffer, out.byteOffset).setBigUint64(0, sock.cookie, true);
    return out;
  }

  bpf_map_update_elem(fd: number, key: Uint8Array | null, value: Uint8Array, flags = BPF_ANY): void {
    const m = this.map(fd);
    if (LOCAL_STORAGE_TYPES.has(m.type)) {
      key = this.ownerKey(m, key);
      if ((flags & ~BPF_F_LOCK) > BPF_EXIST) fail('EINVAL', `invalid ${mapTypeName(m.type)} update flags 0x${flags.toString(16)}`);
    }
    this.checkLockFlag(m, flags);
    if (m.flags & MAP_FLAG.RDONLY) fail('EPERM', 'map is read-only from user space');
    if (m.frozen) fail('EPERM', 'map is frozen');
    this.noSysAccess(m, 'update');
    this.checkKey(m, key);
    if (m.type === T.stack_trace) fail('EINVAL', 'stack traces are stored by bpf_get_stackid, not by user space');
    const ks = round8(m.keySize);
    const vsz = FD_VALUE_TYPES.has(m.type) ? 4 : this.userValueSize(m);
    this.checkValue(m, value, vsz);
    let stored = value;
    let kflags = flags;
    if (CGROUP_STORAGE_TYPES.has(m.type)) {
      // storage exists once a program is attached: user space can only rewrite it
      if (flags & ~(BPF_F_LOCK | BPF_EXIST)) fail('EINVAL', `${mapTypeName(m.type)} updates take BPF_ANY or BPF_EXIST (got 0x${flags.toString(16)})`);
      kflags = (flags & BPF_F_LOCK) | BPF_EXIST;
    } else if (SOCK_TYPES.has(m.type)) {
      stored = this.sockValue(m, key!, value, flags);
    } else if (REDIRECT_TYPES.has(m.type)) {
      const r = this.redirectValue(m, key!, value, flags);
      if (r === null) {
        // ifindex/qsize 0 empties the slot, as a delete would
        const s = this.scratchFor(8);
        copyIn(this.view(), key!, s, 4);
        this.k.sys_delete(m.handle, s);
        return;
      }
      stored = r;
      // devmap_hash never checks BPF_EXIST; BPF_NOEXIST was checked against the entry
      if (m.type === T.devmap_hash) kflags = BPF_ANY;
    } else if (FD_VALUE_TYPES.has(m.type)) {
      // fd arrays check flags and the index before resolving the fd
      if (m.type !== T.hash_of_maps) {
        if (flags !== BPF_ANY) fail('EINVAL', `${mapTypeName(m.type)} updates take BPF_ANY only`);
        const index = new DataView(key!.buffer, key!.byteOffset).getUint32(0, true);
        if (index >= m.maxEntries) fail('E2BIG', `index ${index} out of range (max_entries ${m.maxEntries})`);
      }
      stored = this.resolveFdValue(m, value, flags);
    }
    const svz = Math.max(vsz, stored.length);
    const s = this.scratchFor(ks + round8(svz));
    const mem = this.view();
    if (m.keySize) copyIn(mem, key!, s, m.keySize);
    copyIn(mem, stored, s + ks, svz);
    const r = this.k.sys_update(m.handle, s, s + ks, kflags === 0 ? 0n : BigInt(kflags));
    // the update may have grown memory
    if (this.u8.byteLength === 0 || this.u8.byteLength !== this.memory.buffer.byteLength) this.bytes();
    if (r < 0) failNo(-r, this.elemMessage(m, 'update', -r, flags));
  }

  /**
   * Validates a redirect map update as the kernel's dev_map_update_elem,
   * dev_map_hash_update_elem, cpu_map_update_elem and xsk_map_update_elem, in
   * their order; returns the 8-byte slot to store, or null to empty the slot.
   */
  private redirectValue(m: MapInfo, key: Uint8Array, value: Uint8Array, flags: number): Uint8Array | null {
    const index = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
    const dv = new DataView(value.buffer, value.byteOffset);
    const first = dv.getUint32(0, true);
    const progFd = m.valueSize >= 8 ? dv.getInt32(4, true) : 0;
    const slot = new Uint8Array(REDIRECT_SLOT_BYTES);
    const out = new DataView(slot.buffer);
    const tname = mapTypeName(m.type);
    const xdpProg = (attach: 'xdp_devmap' | 'xdp_cpumap', errno: ErrnoName): number => {
      if (progFd <= 0) return 0;
      const p = this.fds.get(progFd);
      if (!p || 'handle' in p || 'kind' in p || p.attach !== attach) fail(errno, `fd ${progFd} is not an XDP program loaded for ${attach === 'xdp_devmap' ? 'BPF_XDP_DEVMAP' : 'BPF_XDP_CPUMAP'}`);
      return p.id;
    };
    const device = (): void => {
      if (!this.devices.has(first)) fail('EINVAL', `no network device with ifindex ${first}`);
    };
    switch (m.type) {
      case T.devmap: {
        if (flags > BPF_EXIST) fail('EINVAL', `invalid ${tname} update flags 0x${flags.toString(16)}`);
        if (index >= m.maxEntries) fail('E2BIG', `index ${index} out of range (max_entries ${m.maxEntries})`);
        if (flags === BPF_NOEXIST) fail('EEXIST', 'devmap entries always exist (BPF_NOEXIST)');
        if (first === 0) {
          if (progFd > 0) fail('EINVAL', 'a program fd needs an ifindex');
          return null;
        }
        device();
        out.setUint32(0, first, true);
        out.setUint32(4, xdpProg('xdp_devmap', 'EINVAL'), true);
        return slot;
      }
      case T.devmap_hash: {
        if (flags > BPF_EXIST || first === 0) fail('EINVAL', `invalid ${tname} update (flags 0x${flags.toString(16)}, ifindex ${first})`);
        if (flags === BPF_NOEXIST) {
          const s = this.scratchFor(16);
          copyIn(this.view(), key, s, 4);
          if (this.k.sys_lookup(m.handle, s, s + 8, 0n) === 0) fail('EEXIST', `key ${index} exists (BPF_NOEXIST)`);
        }
        device();
        out.setUint32(0, first, true);
        out.setUint32(4, xdpProg('xdp_devmap', 'EINVAL'), true);
        return slot;
      }
      case T.cpumap: {
        if (flags > BPF_EXIST) fail('EINVAL', `invalid cpumap update flags 0x${flags.toString(16)}`);
        if (index >= m.maxEntries) fail('E2BIG', `CPU ${index} out of range (max_entries ${m.maxEntries})`);
        if (flags === BPF_NOEXIST) fail('EEXIST', 'cpumap entries always exist (BPF_NOEXIST)');
        if (first > CPUMAP_QSIZE_MAX) fail('EOVERFLOW', `qsize ${first} above ${CPUMAP_QSIZE_MAX}`);
        if (index >= this.ncpus) fail('ENODEV', `CPU ${index} is not possible (the machine has ${this.ncpus})`);
        if (first === 0) return null;
        // a bad program makes the entry allocation fail as a whole
        out.setUint32(0, first, true);
        out.setUint32(4, xdpProg('xdp_cpumap', 'ENOMEM'), true);
        return slot;
      }
      default: { // xskmap
        if (flags > BPF_EXIST) fail('EINVAL', `invalid xskmap update flags 0x${flags.toString(16)}`);
        if (index >= m.maxEntries) fail('E2BIG', `index ${index} out of range (max_entries ${m.maxEntries})`);
        const o = this.fds.get(first);
        if (!o && !(first <= 2)) fail('EBADF', `fd ${first} is not open`);
        if (!o || !('kind' in o) || o.kind !== 'socket') fail('ENOTSOCK', `fd ${first} is not a socket`);
        if (o.family !== 'xdp' || !o.bound) fail('EOPNOTSUPP', `fd ${first} is not an AF_XDP socket bound with rx ring and umem`);
        const s = this.scratchFor(16);
        copyIn(this.view(), key, s, 4);
        const exists = this.k.map_lookup_elem(m.handle, s) !== 0;
        if (exists && flags === BPF_NOEXIST) fail('EEXIST', `index ${index} holds a socket (BPF_NOEXIST)`);
        if (!exists && flags === BPF_EXIST) fail('ENOENT', `index ${index} is empty (BPF_EXIST)`);
        out.setUint32(0, o.addr, true);
        return slot;
      }
    }
  }

  /**
   * sock_map_update_elem_sys: the fd must be a socket whose state allows a
   * map (TCP established or listening, a connected unix stream socket, any
   * UDP socket), then the flags and index as sock_map_update_common /
   * sock_hash_update_common. Returns the slot (the socket's address).
   */
  private sockValue(m: MapInfo, key: Uint8Array, value: Uint8Array, flags: number): Uint8Array {
    if (m.type === T.reuseport_sockarray) {
      const index = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
      if (flags > BPF_EXIST) fail('EINVAL', `invalid reuseport_sockarray update flags 0x${flags.toString(16)}`);
      if (index >= m.maxEntries) fail('E2BIG', `index ${index} out of range (max_entries ${m.maxEntries})`);
    }
    const dv = new DataView(value.buffer, value.byteOffset);
    const ufd = m.valueSize === 8 ? dv.getBigUint64(0, true) : BigInt(dv.getUint32(0, true));
    if (ufd > 0x7fffffffn) fail('EINVAL', `socket fd ${ufd} above S32_MAX`);
    const fd = Number(ufd);
    const o = this.fds.get(fd);
    if (!o && fd > 2) fail('EBADF', `fd ${fd} is not open`);
    if (!o || !('kind' in o) || o.kind !== 'socket') fail('ENOTSOCK', `fd ${fd} is not a socket`);
    if (m.type === T.reuseport_sockarray) return this.reuseportValue(m, key, o, flags);
    const stream = o.protocol === 'tcp';
    const allowed = o.family === 'xdp' ? false
      : o.family === 'unix' && stream ? o.state === 'established'
      : stream ? o.state === 'established' || o.state === 'listen' : true;
    if (!allowed) fail('EOPNOTSUPP', `socket fd ${fd} (${o.family} ${o.protocol}, ${o.state}) cannot join a ${mapTypeName(m.type)}`);
    if (flags > BPF_EXIST) fail('EINVAL', `invalid ${mapTypeName(m.type)} update flags 0x${flags.toString(16)}`);
    const s = this.scratchFor(round8(m.keySize) + 16);
    copyIn(this.view(), key, s, m.keySize);
    if (m.type === T.sockmap) {
      const index = new DataView(key.buffer, key.byteOffset).getUint32(0, true);
      if (index >= m.maxEntries) fail('E2BIG', `index ${index} out of range (max_entries ${m.maxEntries})`);
    }
    const exists = this.k.map_lookup_elem(m.handle, s) !== 0;
    if (exists && flags === BPF_NOEXIST) fail('EEXIST', 'the key holds a socket (BPF_NOEXIST)');
    if (!exists && flags === BPF_EXIST) fail('ENOENT', 'the key holds no socket (BPF_EXIST)');
    const slot = new Uint8Array(REDIRECT_SLOT_BYTES);
    new DataView(slot.buffer).setUint32(0, o.addr, true);
    return slot;
  }

  /** Prog arrays and maps of maps take fds from user space; the kernel stores the objects. */
  private resolveFdValue(m: MapInfo, value: Uint8Array, flags: number): Uint8Array {
    if (m.type !== T.hash_of_maps && flags !== BPF_ANY) fail('EINVAL', `${mapTypeName(m.type)} updates take BPF_ANY only`);
    const fd = new DataView(value.buffer, value.byteOffset).getInt32(0, true);
    const obj = this.fds.get(fd);
    const out = new Uint8Array(4);
    const dv = new DataView(out.buffer);
    if (m.type === T.cgroup_array) {
      // cgroup_v1v2_get_from_fd: a file that is not a cgroup directory is EBADF
      if (!obj || !('kind' in obj) || obj.kind !== 'cgroup') fail('EBADF', `fd ${fd} is not a cgroup`);
      dv.setUint32(0, obj.addr, true);
      return out;
    }
    if (m.type === T.perf_event_array) {
      // perf_event_get: any open file that is not a perf event is EBADF too
      if (!obj || !('kind' in obj) || obj.kind !== 'perf_event') fail('EBADF', `fd ${fd} is not a perf event`);
      dv.setUint32(0, obj.addr, true);
      return out;
    }
    if (m.type === T.prog_array) {
      if (!obj || 'handle' in obj || 'kind' in obj) fail('EBADF', `fd ${fd} is not a program`);
      dv.setUint32(0, obj.id, true);
      return out;
    }
    const im = this.map(fd);
    const t = m.inner!;
    const sameMax = im.maxEntries === t.maxEntries || (t.flags & MAP_FLAG.INNER_MAP) !== 0;
    if (im.type !== t.type || im.keySize !== t.keySize || im.valueSize !== t.valueSize || im.flags !== t.flags || !sameMax) {
      fail('EINVAL', `map fd ${fd} does not match the inner map template`);
    }
    dv.setUint32(0, im.handle, true);
    return out;
  }

  bpf_map_delete_elem(fd: number, key: Uint8Array | null): void {
    const m = this.map(fd);
    if (LOCAL_STORAGE_TYPES.has(m.type)) key = this.ownerKey(m, key);
    if (m.flags & MAP_FLAG.RDONLY) fail('EPERM', 'map is read-only from user space');
    if (m.frozen) fail('EPERM', 'map is frozen');
    this.noSysAccess(m, 'delete');
    if (m.type === T.bloom_filter) fail('EOPNOTSUPP', 'bloom filters cannot delete');
    if (m.type === T.queue || m.type === T.stack) fail('EINVAL', `${mapTypeName(m.type)} has no keys to delete (use lookup_and_delete)`);
    this.checkKey(m, key);
    const s = this.scratchFor(round8(m.keySize));
    this.bytes().set(key!.subarray(0, m.keySize), s);
    const r = this.k.sys_delete(m.handle, s);
    if (r < 0) failNo(-r, this.elemMessage(m, 'delete', -r));
  }

  /** Next key after `key` (null or a missing key: the first). Throws ENOENT after the last. */
  bpf_map_get_next_key(fd: number, key: Uint8Array | null, next?: Uint8Array): Uint8Array {
    const m = this.map(fd);
    if (m.flags & MAP_FLAG.WRONLY) fail('EPERM', 'map is write-only from user space');
    this.noSysAccess(m, 'get_next_key');
    if (m.type === T.bloom_filter) fail('EOPNOTSUPP', 'bloom filters have no keys');
    if (LOCAL_STORAGE_TYPES.has(m.type)) fail('ENOTSUPP', `${mapTypeName(m.type)} cannot be iterated by key`);
    if (m.type === T.queue || m.type === T.stack) fail('EINVAL', `${mapTypeName(m.type)} has no keys`);
    const ks = round8(m.keySize);
    const s = this.scratchFor(2 * ks);
    if (key) {
      if (key.length < m.keySize) fail('EINVAL', `key must have ${m.keySize} bytes`);
      this.bytes().set(key.subarray(0, m.keySize), s);
    }
    const r = this.k.sys_get_next_key(m.handle, key ? s : 0, s + ks);
    if (r < 0) failNo(-r, r === -ERRNO.ENOENT ? 'no next key' : this.elemMessage(m, 'get_next_key', -r));
    const out = next ?? new Uint8Array(m.keySize);
    out.set(this.bytes().subarray(s + ks, s + ks + m.keySize));
    return out;
  }

  bpf_map_lookup_and_delete_elem(fd: number, key: Uint8Array | null, value?: Uint8Array, flags = 0): Uint8Array {
    const m = this.map(fd);
    if (flags && (m.type === T.queue || m.type === T.stack)) fail('EINVAL', 'flags on a queue/stack pop');
    this.checkLockFlag(m, flags);
    if (m.flags & (MAP_FLAG.RDONLY | MAP_FLAG.WRONLY) || m.frozen) fail('EPERM', 'lookup_and_delete needs read and write access');
    if (!(HASH_TYPES.has(m.type) && m.type !== T.hash_of_maps) && m.type !== T.queue && m.type !== T.stack && m.type !== T.stack_trace) {
      fail('ENOTSUPP', `lookup_and_delete is not supported on ${mapTypeName(m.type)} maps`);
    }
    this.checkKey(m, key);
    const ks = round8(m.keySize);
    const vsz = this.userValueSize(m);
    const s = this.scratchFor(ks + round8(vsz));
    if (m.keySize) this.bytes().set(key!.subarray(0, m.keySize), s);
    const r = this.k.sys_lookup_and_delete(m.handle, s, s + ks, BigInt(flags));
    if (r < 0) failNo(-r, this.elemMessage(m, 'lookup_and_delete', -r));
    const out = value ?? new Uint8Array(vsz);
    out.set(this.bytes().subarray(s + ks, s + ks + vsz));
    return out;
  }

  bpf_map_freeze(fd: number): void {
    const m = this.map(fd);
    // a frozen map has lost write permission, which freeze checks first
    if (m.frozen || (m.flags & MAP_FLAG.RDONLY)) fail('EPERM', 'map is already frozen or read-only');
    m.frozen = true;
  }

  /**
   * Batch lookup (and delete): up to `count` entries after the cursor
   * `inBatch` (here the last key returned; null starts). `done` is the
   * kernel's ENOENT: the map is exhausted.
   */
  bpf_map_lookup_batch(fd: number, inBatch: Uint8Array | null, count: number, opts: BatchOpts = {}, del = false): BatchResult {
    const m = this.map(fd);
    const elemFlags = opts.elem_flags ?? 0;
    const batchable = HASH_TYPES.has(m.type) || m.type === T.array || m.type === T.percpu_array || m.type === T.lpm_trie;
    if (!batchable || (del && !HASH_TYPES.has(m.type))) fail('ENOTSUPP', `batch ${del ? 'lookup_and_delete' : 'lookup'} is not supported on ${mapTypeName(m.type)} maps`);
    if ((elemFlags & ~BPF_F_LOCK) || opts.flags) fail('EINVAL', `invalid batch flags (elem_flags 0x${elemFlags.toString(16)})`);
    this.checkLockFlag(m, elemFlags);
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let cur = inBatch;
    let done = false;
    while (keys.length < count) {
      let k: Uint8Array;
      try {
        // deleted entries make iteration restart from the first key, which is where the rest is
        k = this.bpf_map_get_next_key(fd, del ? null : cur);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) { done = true; break; }
        throw e;
      }
      keys.push(k);
      values.push(del ? this.bpf_map_lookup_and_delete_elem(fd, k, undefined, elemFlags) : this.bpf_map_lookup_elem_flags(fd, k, undefined, elemFlags));
      cur = k;
    }
    return { keys, values, outBatch: cur, done };
  }

  bpf_map_lookup_and_delete_batch(fd: number, inBatch: Uint8Array | null, count: number, opts: BatchOpts = {}): BatchResult {
    return this.bpf_map_lookup_batch(fd, inBatch, count, opts, true);
  }

  /**
   * Updates entries in order; stops at the first failure, throwing its errno
   * with `opts.count` set to the entries done (the kernel's batch.count).
   */
  bpf_map_update_batch(fd: number, keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOpts = {}): number {
    const m = this.map(fd);
    const elemFlags = opts.elem_flags ?? 0;
    if (!HASH_TYPES.has(m.type) && m.type !== T.array && m.type !== T.percpu_array && m.type !== T.lpm_trie) {
      fail('ENOTSUPP', `batch update is not supported on ${mapTypeName(m.type)} maps`);
    }
    if ((elemFlags & ~BPF_F_LOCK) || opts.flags) fail('EINVAL', `invalid batch flags (elem_flags 0x${elemFlags.toString(16)})`);
    this.checkLockFlag(m, elemFlags);
    if (keys.length !== values.length) fail('EINVAL', 'keys and values differ in count');
    for (let i = 0; i < keys.length; i++) {
      opts.count = i;
      this.bpf_map_update_elem(fd, keys[i]!, values[i]!, elemFlags);
    }
    opts.count = keys.length;
    return keys.length;
  }

  bpf_map_delete_batch(fd: number, keys: readonly Uint8Array[], opts: BatchOpts = {}): number {
    const m = this.map(fd);
    const elemFlags = opts.elem_flags ?? 0;
    // arrays cannot delete, so they have no batch delete
    if (!HASH_TYPES.has(m.type) && m.type !== T.lpm_trie) fail('ENOTSUPP', `batch delete is not supported on ${mapTypeName(m.type)} maps`);
    if ((elemFlags & ~BPF_F_LOCK) || opts.flags) fail('EINVAL', `invalid batch flags (elem_flags 0x${elemFlags.toString(16)})`);
    this.checkLockFlag(m, elemFlags);
    for (let i = 0; i < keys.length; i++) {
      opts.count = i;
      this.bpf_map_delete_elem(fd, keys[i]!);
    }
    opts.count = keys.length;
    return keys.length;
  }

  private elemMessage(m: MapInfo, op: string, errno: number, flags = 0): string {
    const t = mapTypeName(m.type);
    switch (errno) {
      case ERRNO.ENOENT: return `${op}: no such element in ${t} map ${m.id}`;
      case ERRNO.EEXIST: return `${op}: element exists (BPF_NOEXIST) in ${t} map ${m.id}`;
      case ERRNO.E2BIG: return `${op}: ${t} map ${m.id} is full or the index is out of range (max_entries ${m.maxEntries})`;
      case ERRNO.ENOSPC: return `${op}: ${t} map ${m.id} is full (max_entries ${m.maxEntries})`;
      case ERRNO.EINVAL: return `${op}: invalid argument for ${t} map ${m.id} (flags 0x${flags.toString(16)})`;
      case ERRNO.ENOMEM: return `${op}: out of map memory`;
      default: return `${op} failed on ${t} map ${m.id}`;
    }
  }

  // ---- bpf(cmd, attr) ----

  /**
   * The bpf() syscall's map commands with `union bpf_attr`'s field names.
   * Buffers are Uint8Arrays; the result is the new fd (BPF_MAP_CREATE), the
   * batch count, or 0. Failures throw MapError carrying the errno.
   */
  bpf(cmd: number, attr: BpfAttr): number {
    switch (cmd) {
      case BPF_CMD.MAP_CREATE:
        return this.bpf_map_create(attr.map_type ?? 0, attr.map_name ?? null, attr.key_size ?? 0, attr.value_size ?? 0, attr.max_entries ?? 0, {
          map_flags: attr.map_flags, inner_map_fd: attr.inner_map_fd, map_extra: attr.map_extra, spin_lock_off: attr.spin_lock_off,
        });
      case BPF_CMD.MAP_LOOKUP_ELEM:
        this.bpf_map_lookup_elem_flags(need(attr.map_fd), attr.key ?? null, attr.value, attr.flags ?? 0);
        return 0;
      case BPF_CMD.MAP_UPDATE_ELEM:
        this.bpf_map_update_elem(need(attr.map_fd), attr.key ?? null, attr.value ?? fail('EINVAL', 'no value'), attr.flags ?? 0);
        return 0;
      case BPF_CMD.MAP_DELETE_ELEM:
        this.bpf_map_delete_elem(need(attr.map_fd), attr.key ?? null);
        return 0;
      case BPF_CMD.MAP_GET_NEXT_KEY:
        this.bpf_map_get_next_key(need(attr.map_fd), attr.key ?? null, attr.next_key);
        return 0;
      case BPF_CMD.MAP_LOOKUP_AND_DELETE_ELEM:
        this.bpf_map_lookup_and_delete_elem(need(attr.map_fd), attr.key ?? null, attr.value, attr.flags ?? 0);
        return 0;
      case BPF_CMD.MAP_FREEZE:
        this.bpf_map_freeze(need(attr.map_fd));
        return 0;
      case BPF_CMD.MAP_LOOKUP_BATCH:
      case BPF_CMD.MAP_LOOKUP_AND_DELETE_BATCH: {
        const r = this.bpf_map_lookup_batch(need(attr.map_fd), attr.in_batch ?? null, attr.count ?? 0,
          { elem_flags: attr.elem_flags, flags: attr.flags }, cmd === BPF_CMD.MAP_LOOKUP_AND_DELETE_BATCH);
        const m = this.map(need(attr.map_fd));
        const vs = FD_VALUE_TYPES.has(m.type) ? 4 : this.userValueSize(m);
        r.keys.forEach((k, i) => attr.keys?.set(k, i * m.keySize));
        r.values.forEach((v, i) => attr.values?.set(v, i * vs));
        if (r.outBatch && attr.out_batch) attr.out_batch.set(r.outBatch);
        attr.count = r.keys.length;
        if (r.done) fail('ENOENT', `batch reached the end after ${r.keys.length} entries`);
        return r.keys.length;
      }
      case BPF_CMD.MAP_UPDATE_BATCH:
      case BPF_CMD.MAP_DELETE_BATCH: {
        const m = this.map(need(attr.map_fd));
        const n = attr.count ?? 0;
        const vs = FD_VALUE_TYPES.has(m.type) ? 4 : this.userValueSize(m);
        const keys = Array.from({ length: n }, (_, i) => (attr.keys ?? new Uint8Array()).subarray(i * m.keySize, (i + 1) * m.keySize));
        const opts: BatchOpts = { elem_flags: attr.elem_flags, flags: attr.flags, count: n };
        try {
          if (cmd === BPF_CMD.MAP_DELETE_BATCH) return this.bpf_map_delete_batch(m.fd, keys, opts);
          const values = Array.from({ length: n }, (_, i) => (attr.values ?? new Uint8Array()).subarray(i * vs, (i + 1) * vs));
          return this.bpf_map_update_batch(m.fd, keys, values, opts);
        } finally {
          attr.count = opts.count;
        }
      }
      case BPF_CMD.MAP_GET_FD_BY_ID: {
        const m = this.byId.get(attr.map_id ?? 0);
        if (!m) fail('ENOENT', `no map with id ${attr.map_id}`);
        return m.fd;
      }
      case BPF_CMD.MAP_GET_NEXT_ID: {
        const ids = [...this.byId.keys()].filter((i) => i > (attr.start_id ?? 0)).sort((a, b) => a - b);
        if (ids.length === 0) fail('ENOENT', 'no more map ids');
        attr.next_id = ids[0];
        return 0;
      }
    }
    fail('EINVAL', `bpf command ${cmd} is not a map command this engine implements`);
  }
}

/** Copies n bytes in; a loop beats subarray+set for the small keys and values maps hold. */
function copyIn(mem: Uint8Array, src: Uint8Array, at: number, n: number): void {
  if (n > 64) { mem.set(src.length === n ? src : src.subarray(0, n), at); return; }
  for (let i = 0; i < n; i++) mem[at + i] = src[i]!;
}

function need(fd: number | undefined): number {
  if (fd === undefined) fail('EBADF', 'map_fd missing');
  return fd;
}

export interface BatchOpts {
  elem_flags?: number;
  flags?: number;
  /** Out: entries processed (set also when an update/delete batch fails part-way). */
  count?: number;
}

export interface BatchResult { keys: Uint8Array[]; values: Uint8Array[]; outBatch: Uint8Array | null; done: boolean }

/** The fields of union bpf_attr used by the map commands. */
export interface BpfAttr {
  map_type?: number;
  key_size?: number;
  value_size?: number;
  max_entries?: number;
  map_flags?: number;
  inner_map_fd?: number;
  map_name?: string;
  map_extra?: number | bigint;
  /** Stand-in for the BTF that tells the kernel where bpf_spin_lock sits. */
  spin_lock_off?: number;
  map_fd?: number;
  key?: Uint8Array;
  value?: Uint8Array;
  next_key?: Uint8Array;
  flags?: number;
  in_batch?: Uint8Array;
  out_batch?: Uint8Array;
  keys?: Uint8Array;
  values?: Uint8Array;
  count?: number;
  elem_flags?: number;
  map_id?: number;
  start_id?: number;
  next_id?: number;
}
