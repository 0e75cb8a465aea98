/**
 * A minimal socket model for the program types that select or inspect
 * sockets (sk_lookup's bpf_sk_assign). Sockets are registered per machine at
 * the linear-memory address a BPF program holds for them (the address of
 * their struct bpf_sock image); whatever hands a socket pointer to a program
 * (a sockmap/sockhash lookup, when the maps side models them) registers it
 * here so that helpers can find its kernel-side state.
 *
 * Only what bpf_sk_lookup_assign checks is modelled: family, protocol,
 * state, SO_REUSEPORT membership, IPV6_V6ONLY, whether the socket is
 * refcounted (not RCU-freed), and the cookie reported by test_run.
 */
import type { Machine } from '../runtime/machine.js';

export interface SimSocket {
  /** sock_gen_cookie(): what sk_lookup's test_run reports in ctx_out.cookie. */
  readonly cookie: bigint;
  /** AF_INET or AF_INET6. */
  readonly family: number;
  /** IPPROTO_TCP or IPPROTO_UDP. */
  readonly protocol: number;
  /** TCP state (TCP_LISTEN = 10, TCP_CLOSE = 7…). */
  readonly state: number;
  readonly reuseport?: boolean;
  readonly v6only?: boolean;
  readonly refcounted?: boolean;
}

export const SOCK_STATE = { TCP_ESTABLISHED: 1, TCP_CLOSE: 7, TCP_LISTEN: 10 } as const;

const sockets = new WeakMap<Machine, Map<number, SimSocket>>();

/** Makes `sock` known at `address` on `machine` (replacing what was there). */
export function registerSocket(machine: Machine, address: number, sock: SimSocket): void {
  let m = sockets.get(machine);
  if (!m) sockets.set(machine, m = new Map());
  m.set(address, sock);
}

export function unregisterSocket(machine: Machine, address: number): void {
  sockets.get(machine)?.delete(address);
}

export function socketAt(machine: Machine, address: number): SimSocket | undefined {
  return sockets.get(machine)?.get(address);
}
