/**
 * What the socket program types (sk_skb, sk_msg, sock_ops, cgroup_sockopt,
 * sk_reuseport) share: the socket a run is for, its addresses, and the
 * machine's maps. The kernel cannot BPF_PROG_TEST_RUN these types, so a run
 * simulates one event on a socket that the caller describes with
 * `setSocketCall` before `testRun`:
 *
 *   const fd = obj.maps_.socket({ family: 'inet', protocol: 'tcp' });
 *   setSocketCall(obj.machine, { sock: fd, local: '10.0.0.1:80', remote: '10.0.0.2:40000' });
 *
 * The socket is a simulated object of the machine's maps (src/maps/README.md,
 * "Objects"): its struct bpf_sock gets the addresses, so ctx->sk reads them,
 * and sockmap/sockhash/reuseport array helpers find it. Context fields follow
 * the kernel's conversions: addresses in network order, remote_port the
 * wire-order port in the low 16 bits, local_port host order.
 */
import type { Machine } from '../runtime/machine.js';
import type { BpfMaps, SimObject } from '../maps/syscall.js';
import type { HelperRegistry, HelperRuntime } from './table.js';
import { mergeSockProgHelperTypes } from './sock-types.js';
import type { ProgramTypeName } from '../programs/types.js';
import { BPF_SOCK } from '../programs/contexts/sk_buff.js';
import { TestRunError } from '../programs/skb.js';
import { SOCK_LAYOUT } from '../maps/syscall.js';

const EINVAL = 22;
export const AF_INET = 2, AF_INET6 = 10;

export type SocketObject = SimObject & { kind: 'socket' };

/** An address as the kernel stores it: 4 or 16 bytes in network order, port in host order. */
export interface Endpoint { family: number; ip: Uint8Array; port: number }

export interface SocketCall {
  /** The socket: an fd from the object's maps (`obj.maps_.socket(...)`). */
  sock: number;
  /** "a.b.c.d:port" or "[v6]:port". */
  local: string;
  remote: string;
}

/** The resolved call the runtimes use. */
export interface ResolvedCall { sock: SocketObject; local: Endpoint; remote: Endpoint; maps: BpfMaps }

const calls = new WeakMap<Machine, SocketCall>();

/** Sets the socket the next runs of socket program types on `machine` are for. */
export function setSocketCall(machine: Machine, call: SocketCall): void {
  calls.set(machine, call);
}

/** The machine's maps, once an object loaded them (src/object/object.ts attaches them). */
export function machineMaps(machine: Machine): BpfMaps | undefined {
  return (machine as Machine & { bpfMaps?: BpfMaps }).bpfMaps;
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]!)) return undefined;
    const v = Number(parts[i]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const g = h.split(':').map((x) => (/^[0-9a-f]{1,4}$/i.test(x) ? parseInt(x, 16) : NaN));
    return g.some(Number.isNaN) ? undefined : g;
  };
  const head = groups(halves[0]!), tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0)) return undefined;
  const all = [...head, ...Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => { out[2 * i] = g >> 8; out[2 * i + 1] = g & 0xff; });
  return out;
}

/** "10.0.0.1:80" or "[2001:db8::1]:80". */
export function parseEndpoint(text: string): Endpoint {
  const m6 = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const m4 = /^([\d.]+):(\d+)$/.exec(text);
  const ip = m6 ? parseV6(m6[1]!) : m4 ? parseV4(m4[1]!) : undefined;
  const port = Number((m6 ?? m4)?.[2]);
  if (!ip || !(port >= 0 && port <= 0xffff)) throw new TestRunError(EINVAL, `socket address "${text}" is neither a.b.c.d:port nor [v6]:port`);
  return { family: ip.length === 4 ? AF_INET : AF_INET6, ip, port };
}

/**
 * The call set for `machine`, checked: the socket is an inet/inet6 socket of
 * its maps and both addresses are of its family. Writes the addresses into
 * the socket's struct bpf_sock (src = local, dst = remote, as sk_to_full_sk).
 */
export function resolveCall(machine: Machine, type: ProgramTypeName): ResolvedCall {
  const call = calls.get(machine);
  if (!call) throw new TestRunError(EINVAL, `${type}: no socket for the run (setSocketCall)`);
  const maps = machineMaps(machine);
  if (!maps) throw new TestRunError(EINVAL, `${type}: the machine has no maps (load the program with loadObject)`);
  const obj = maps.object(call.sock);
  const sock = obj && 'kind' in obj && obj.kind === 'socket' ? obj : undefined;
  if (!sock) throw new TestRunError(EINVAL, `${type}: fd ${call.sock} is not a socket`);
  if (sock.family !== 'inet' && sock.family !== 'inet6') throw new TestRunError(EINVAL, `${type}: socket fd ${call.sock} is ${sock.family}, not inet/inet6`);
  const local = parseEndpoint(call.local), remote = parseEndpoint(call.remote);
  const family = sock.family === 'inet' ? AF_INET : AF_INET6;
  if (local.family !== family || remote.family !== family) throw new TestRunError(EINVAL, `${type}: addresses ${call.local} / ${call.remote} are not of the socket's family`);
  const mem = new Uint8Array(machine.memory.buffer);
  const dv = new DataView(machine.memory.buffer);
  const a = sock.addr;
  mem.fill(0, a + BPF_SOCK.src_ip4, a + BPF_SOCK.state);
  if (family === AF_INET) {
    mem.set(local.ip, a + BPF_SOCK.src_ip4);
    mem.set(remote.ip, a + BPF_SOCK.dst_ip4);
  } else {
    mem.set(local.ip, a + BPF_SOCK.src_ip6);
    mem.set(remote.ip, a + BPF_SOCK.dst_ip6);
  }
  dv.setUint32(a + BPF_SOCK.src_port, local.port, true);
  dv.setUint16(a + BPF_SOCK.dst_port, remote.port, false); // __be16
  return { sock, local, remote, maps };
}

/**
 * Binds socket `fd` of `machine`'s maps to `local` (its struct bpf_sock
 * src_ip/src_port), for sockets that are not the one a run is for (the
 * other members of a reuseport group).
 */
export function setSocketAddress(machine: Machine, fd: number, local: string): void {
  const maps = machineMaps(machine);
  const obj = maps?.object(fd);
  if (!obj || !('kind' in obj) || obj.kind !== 'socket') throw new TestRunError(EINVAL, `fd ${fd} is not a socket`);
  const ep = parseEndpoint(local);
  const mem = new Uint8Array(machine.memory.buffer);
  mem.set(ep.ip, obj.addr + (ep.family === AF_INET ? BPF_SOCK.src_ip4 : BPF_SOCK.src_ip6));
  new DataView(machine.memory.buffer).setUint32(obj.addr + BPF_SOCK.src_port, ep.port, true);
}

/**
 * Writes the family, addresses and ports of a call into a context whose
 * layout has them as in __sk_buff, sk_msg_md and bpf_sock_ops: family,
 * remote_ip4, local_ip4, remote_ip6[4], local_ip6[4], remote_port,
 * local_port from `familyOff` on.
 */
export function writeSockFields(machine: Machine, at: number, call: ResolvedCall): void {
  const mem = new Uint8Array(machine.memory.buffer);
  const dv = new DataView(machine.memory.buffer);
  mem.fill(0, at, at + 52);
  dv.setUint32(at, call.local.family, true);
  if (call.local.family === AF_INET) {
    mem.set(call.remote.ip, at + 4);
    mem.set(call.local.ip, at + 8);
  } else {
    mem.set(call.remote.ip, at + 12);
    mem.set(call.local.ip, at + 28);
  }
  dv.setUint16(at + 44, call.remote.port, false); // skc_dport: wire order in the low half
  dv.setUint32(at + 48, call.local.port, true); // skc_num: host order
}

/** The cookie of the socket at `addr` (a struct bpf_sock of the maps), 0n when none. */
export function socketCookie(machine: Machine, addr: number): bigint {
  if (!addr) return 0n;
  return new DataView(machine.memory.buffer).getBigUint64(addr + SOCK_LAYOUT.cookie, true);
}

/** The socket of the run on each CPU, for helpers that act on "the program's socket". */
const runs = new WeakMap<Machine, (ResolvedCall & { type: ProgramTypeName } | undefined)[]>();

export function beginSocketRun(machine: Machine, cpu: number, type: ProgramTypeName, call: ResolvedCall): void {
  let list = runs.get(machine);
  if (!list) runs.set(machine, list = []);
  list[cpu] = { ...call, type };
}
export function endSocketRun(machine: Machine, cpu: number): void {
  const list = runs.get(machine);
  if (list) list[cpu] = undefined;
}
/** The socket run on the helper's CPU, undefined outside one. */
export function socketRun(rt: HelperRuntime): (ResolvedCall & { type: ProgramTypeName }) | undefined {
  const m = rt as Machine;
  return runs.get(m)?.[m.cpu];
}

/**
 * bpf_get_socket_cookie for the socket types: the cookie of the run's socket
 * (sk_skb: skb->sk, sock_ops: bpf_sock->sk). The skb types' own sockets are
 * not objects of the maps: not modelled there.
 */
export function registerSockProgHelpers(registry: HelperRegistry): void {
  registry.register('bpf_get_socket_cookie', {
    js: (rt) => {
      const run = socketRun(rt);
      if (!run) throw new Error('bpf_get_socket_cookie is modelled for sk_skb and sock_ops runs only');
      return run.sock.cookie;
    },
  });
  mergeSockProgHelperTypes(registry);
}

/** -errno as the u64 a helper returns. */
export const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
