// BPF_MAP_TYPE_SOCKMAP (a u32 socket-object slot per index) and SOCKHASH (a
// hash map whose 8-byte values hold the socket object's address,
// assembly/hash.ts), with bpf_sk_redirect_map/hash and
// bpf_msg_redirect_map/hash. Sockets are simulated objects laid out as
// struct bpf_sock (src/maps/README.md, "Objects"); user space checks that a
// socket may join a map (sock_map_sk_state_allowed) before storing it.
// Redirects leave the target in this CPU's redirect record.

import {
  M_TYPE, M_MAX, M_ID, F0,
  T_SOCKMAP, T_SOCKHASH, T_REUSEPORT_SOCKARRAY,
  E2BIG, EINVAL, ENOENT, ENOMEM,
  cpu,
} from './common';
import { kalloc, kfree, redirectBase } from './alloc';
import { hashLookup } from './hash';
import { REDIRECT_RECORD_BYTES } from './redirect';

const S_DATA = F0;

// struct bpf_sock fields the redirect checks
const SK_PROTOCOL: usize = 12;
const SK_STATE: usize = 72;
const IPPROTO_TCP: u32 = 6;
const TCP_ESTABLISHED: u32 = 1;
const TCP_LISTEN: u32 = 10;

const SK_DROP: i64 = 0;
const SK_PASS: i64 = 1;
const BPF_F_INGRESS: u64 = 1;

// redirect record fields (assembly/redirect.ts)
const RI_MAP_TYPE: usize = 4;
const RI_MAP_ID: usize = 8;
const RI_INDEX: usize = 12;
const RI_FLAGS: usize = 16;
const RI_VALUE: usize = 20;

export function sockInit(map: usize): i32 {
  const total = <u64>load<u32>(map, M_MAX) * 4;
  if (total > 0x7fff0000) return -ENOMEM;
  const data = kalloc(<u32>total);
  if (data == 0) return -ENOMEM;
  store<u32>(map, <u32>data, S_DATA);
  return 0;
}

export function sockFree(map: usize): void { kfree(<usize>load<u32>(map, S_DATA)); }

/** The socket at a sockmap index, 0 if none (programs' bpf_map_lookup_elem). */
export function sockmapLookup(map: usize, key: usize): usize {
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return 0;
  return <usize>atomic.load<u32>(<usize>load<u32>(map, S_DATA) + <usize>i * 4);
}

/** The socket under a sockhash key, 0 if none. */
export function sockhashLookup(map: usize, key: usize): usize {
  const v = hashLookup(map, key);
  return v == 0 ? 0 : <usize>load<u32>(v);
}

/** Stores a socket user space has checked (value: u32 address). */
export function sockmapStore(map: usize, key: usize, value: usize): i32 {
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return -EINVAL;
  atomic.store<u32>(<usize>load<u32>(map, S_DATA) + <usize>i * 4, load<u32>(value));
  return 0;
}

/**
 * sock_map_delete_elem: out of range or empty is EINVAL (__sock_map_delete
 * finds no socket); a reuseport array says E2BIG and ENOENT.
 */
export function sockmapDelete(map: usize, key: usize): i32 {
  const reuse = load<u32>(map, M_TYPE) == T_REUSEPORT_SOCKARRAY;
  const i = load<u32>(key);
  if (i >= load<u32>(map, M_MAX)) return reuse ? -E2BIG : -EINVAL;
  const old = atomic.xchg<u32>(<usize>load<u32>(map, S_DATA) + <usize>i * 4, 0);
  return old != 0 ? 0 : reuse ? -ENOENT : -EINVAL;
}

/** User-space lookup: the socket's address (user space turns it into the socket cookie). */
export function sockmapSysLookup(map: usize, key: usize, out: usize): i32 {
  const sk = sockmapLookup(map, key);
  if (sk == 0) return -ENOENT;
  store<u64>(out, <u64>sk);
  return 0;
}

/** sock_map_redirect_allowed: a TCP socket that is not listening, else an established one. */
function redirectAllowed(sk: usize): bool {
  const state = load<u32>(sk, SK_STATE);
  if (load<u32>(sk, SK_PROTOCOL) == IPPROTO_TCP) return state != TCP_LISTEN;
  return state == TCP_ESTABLISHED;
}

function redirect(map: usize, sk: usize, index: u32, flags: u64): i64 {
  if ((flags & ~BPF_F_INGRESS) != 0) return SK_DROP;
  if (sk == 0 || !redirectAllowed(sk)) return SK_DROP;
  const ri = redirectBase() + <usize>cpu * REDIRECT_RECORD_BYTES;
  store<u32>(ri, <u32>sk, RI_VALUE);
  store<u32>(ri, index, RI_INDEX);
  store<u32>(ri, load<u32>(map, M_ID), RI_MAP_ID);
  store<u32>(ri, load<u32>(map, M_TYPE), RI_MAP_TYPE);
  store<u32>(ri, <u32>(flags & BPF_F_INGRESS), RI_FLAGS);
  return SK_PASS;
}

/** bpf_sk_redirect_map (52) / bpf_msg_redirect_map (60): SK_PASS with the target recorded, or SK_DROP. */
export function sockRedirectMap(map: usize, key: u32, flags: u64): i64 {
  if (load<u32>(map, M_TYPE) != T_SOCKMAP) return SK_DROP;
  const i = key;
  if (i >= load<u32>(map, M_MAX)) return SK_DROP;
  return redirect(map, <usize>atomic.load<u32>(<usize>load<u32>(map, S_DATA) + <usize>i * 4), i, flags);
}

/** bpf_sk_redirect_hash (72) / bpf_msg_redirect_hash (71). */
export function sockRedirectHash(map: usize, key: usize, flags: u64): i64 {
  if (load<u32>(map, M_TYPE) != T_SOCKHASH) return SK_DROP;
  return redirect(map, sockhashLookup(map, key), 0, flags);
}
