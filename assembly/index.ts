// Map kernels: the exports called by JIT code (wasm→wasm), by the interpreter
// and by the user-space bpf() API. A map handle is the address of its header
// in linear memory, the value an `lddw` map reference becomes. Program-side
// exports take pointers as i32 and flags as i64, and return pointers as i32
// and results as i64 (negative errno), so helper calls need no conversion.

import {
  M_TYPE, M_KEY, M_VALUE, M_MAX, M_FLAGS, M_ID, M_VSTRIDE, M_KSTRIDE, M_SPIN, M_EXTRA, M_COUNT, MAP_HEADER_BYTES,
  T_HASH, T_ARRAY, T_PROG_ARRAY, T_PERCPU_HASH, T_PERCPU_ARRAY, T_LRU_HASH, T_LRU_PERCPU_HASH, T_LPM_TRIE,
  T_ARRAY_OF_MAPS, T_HASH_OF_MAPS, T_QUEUE, T_STACK, T_RINGBUF, T_BLOOM_FILTER,
  T_PERF_EVENT_ARRAY, T_STACK_TRACE, T_CGROUP_ARRAY, T_CGROUP_STORAGE, T_PERCPU_CGROUP_STORAGE, T_SOCKMAP,
  T_SK_STORAGE, T_INODE_STORAGE, T_TASK_STORAGE, T_CGRP_STORAGE, T_REUSEPORT_SOCKARRAY, T_SOCKHASH, T_DEVMAP, T_DEVMAP_HASH, T_CPUMAP, T_XSKMAP,
  EINVAL, ENOMEM, ENOTSUPP, EOPNOTSUPP,
  cpu, ncpus, setCpu, setNcpus, round8, spinLock, spinUnlock,
} from './common';
import { allocInit, allocNcpus, kalloc, kfree, nextMapId, heapBrk, redirectBase, setRedirectBase, callchainBase, setCallchainBase, currentBase, setCurrentBase } from './alloc';
import {
  hashInit, hashFree, hashLookup, hashLookupPercpu, hashUpdate, hashDelete, hashSysLookup,
  hashLookupAndDelete, hashGetNextKey,
} from './hash';
import {
  arrayInit, arrayFree, arrayLookup, arrayLookupPercpu, arrayUpdate, arrayDelete, arraySysLookup,
  arrayGetNextKey, arraySlot,
} from './array';
import { lpmInit, lpmFree, lpmLookup, lpmUpdate, lpmDelete, lpmSysLookup, lpmGetNextKey } from './lpm';
import { queueInit, queueFree, queuePush, queuePop, queuePeek } from './queue';
import { bloomInit, bloomFree, bloomPush, bloomPeek } from './bloom';
import {
  ringbufInit, ringbufFree, ringbufReserve, ringbufSubmit, ringbufDiscard, ringbufOutput, ringbufQuery,
} from './ringbuf';
import { perfEventCreate, perfEventFree, perfEventOutput } from './perfbuf';
import {
  redirInit, redirFree, redirLookup, redirStore, redirDelete, redirSysLookup, redirectMap, redirectReset,
  REDIRECT_RECORD_BYTES,
} from './redirect';
import {
  stackInit, stackFree, getStackid, getStack, stackSysLookup, stackDelete, stackGetNextKey, CALLCHAIN_CPU_BYTES,
} from './stackmap';
import {
  sockInit, sockFree, sockmapLookup, sockhashLookup, sockmapStore, sockmapDelete, sockmapSysLookup,
  sockRedirectMap, sockRedirectHash,
} from './sockmap';
import { currentTaskUnderCgroup, skbUnderCgroup, getLocalStorage, currentTask, testRunStorageReset, CURRENT_CPU_BYTES } from './cgroup';
import { storageGet, storageDelete } from './localstorage';

/** Sets up the heap (first caller) or joins it (later instances); returns 1 if it initialised. */
export function maps_init(heapBase: u32, cpus: u32): u32 {
  const first = allocInit(<usize>heapBase, cpus);
  setNcpus(allocNcpus());
  if (first) {
    setRedirectBase(kalloc(REDIRECT_RECORD_BYTES * cpus));
    setCallchainBase(kalloc(CALLCHAIN_CPU_BYTES * cpus));
    setCurrentBase(kalloc(CURRENT_CPU_BYTES * cpus));
    memory.fill(currentBase(), 0, CURRENT_CPU_BYTES * cpus);
  }
  return first ? 1 : 0;
}
export function set_cpu(c: u32): void { setCpu(c); }
export function get_cpu(): u32 { return cpu; }
export function get_ncpus(): u32 { return ncpus; }
export function heap_alloc(size: u32): usize { return kalloc(size); }
export function heap_free(p: usize): void { kfree(p); }
export function heap_brk(): u32 { return heapBrk(); }

/**
 * Builds a map whose attributes user space has validated. Returns the handle
 * or a negative errno (ENOMEM).
 */
export function map_create(type: u32, keySize: u32, valueSize: u32, maxEntries: u32, flags: u32, extra: u32, spinOff: i32, seed: u32): i32 {
  const map = kalloc(MAP_HEADER_BYTES);
  if (map == 0) return -ENOMEM;
  store<u32>(map, type, M_TYPE);
  store<u32>(map, keySize, M_KEY);
  store<u32>(map, valueSize, M_VALUE);
  store<u32>(map, maxEntries, M_MAX);
  store<u32>(map, flags, M_FLAGS);
  store<u32>(map, nextMapId(), M_ID);
  store<u32>(map, round8(valueSize), M_VSTRIDE);
  store<u32>(map, round8(keySize), M_KSTRIDE);
  store<u32>(map, spinOff < 0 ? 0 : <u32>spinOff + 1, M_SPIN);
  store<u32>(map, extra, M_EXTRA);
  let r: i32 = -EINVAL;
  switch (type) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH: case T_HASH_OF_MAPS: case T_DEVMAP_HASH: case T_SOCKHASH:
    case T_CGROUP_STORAGE: case T_PERCPU_CGROUP_STORAGE:
    case T_SK_STORAGE: case T_INODE_STORAGE: case T_TASK_STORAGE: case T_CGRP_STORAGE:
      r = hashInit(map, seed); break;
    case T_ARRAY: case T_PERCPU_ARRAY: case T_PROG_ARRAY: case T_ARRAY_OF_MAPS: case T_PERF_EVENT_ARRAY: case T_CGROUP_ARRAY:
      r = arrayInit(map); break;
    case T_DEVMAP: case T_CPUMAP: case T_XSKMAP: r = redirInit(map); break;
    case T_STACK_TRACE: r = stackInit(map); break;
    case T_SOCKMAP: case T_REUSEPORT_SOCKARRAY: r = sockInit(map); break;
    case T_LPM_TRIE: r = lpmInit(map); break;
    case T_QUEUE: case T_STACK: r = queueInit(map); break;
    case T_BLOOM_FILTER: r = bloomInit(map, seed); break;
    case T_RINGBUF: r = ringbufInit(map); break;
  }
  if (r < 0) { kfree(map); return r; }
  return <i32>map;
}

export function map_free(map: usize): void {
  switch (load<u32>(map, M_TYPE)) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH: case T_HASH_OF_MAPS: case T_DEVMAP_HASH: case T_SOCKHASH:
    case T_CGROUP_STORAGE: case T_PERCPU_CGROUP_STORAGE:
    case T_SK_STORAGE: case T_INODE_STORAGE: case T_TASK_STORAGE: case T_CGRP_STORAGE:
      hashFree(map); break;
    case T_ARRAY: case T_PERCPU_ARRAY: case T_PROG_ARRAY: case T_ARRAY_OF_MAPS: case T_PERF_EVENT_ARRAY: case T_CGROUP_ARRAY: arrayFree(map); break;
    case T_DEVMAP: case T_CPUMAP: case T_XSKMAP: redirFree(map); break;
    case T_STACK_TRACE: stackFree(map); break;
    case T_SOCKMAP: case T_REUSEPORT_SOCKARRAY: sockFree(map); break;
    case T_LPM_TRIE: lpmFree(map); break;
    case T_QUEUE: case T_STACK: queueFree(map); break;
    case T_BLOOM_FILTER: bloomFree(map); break;
    case T_RINGBUF: ringbufFree(map); break;
  }
  kfree(map);
}

export function map_count(map: usize): u32 { return load<u32>(map, M_COUNT); }

// ---- program-side helpers ----

/** bpf_map_lookup_elem (1): value pointer or 0 (map-in-map: the inner map). */
export function map_lookup_elem(map: usize, key: usize): usize {
  switch (load<u32>(map, M_TYPE)) {
    case T_ARRAY: {
      // the hot path, inlined: bounds check and stride multiply
      const i = load<u32>(key);
      if (i >= load<u32>(map, M_MAX)) return 0;
      return <usize>load<u32>(map, 48) + <usize>i * load<u32>(map, M_VSTRIDE);
    }
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH: case T_HASH_OF_MAPS:
      return hashLookup(map, key);
    case T_PERCPU_ARRAY: case T_ARRAY_OF_MAPS: case T_PROG_ARRAY: return arrayLookup(map, key);
    case T_LPM_TRIE: return lpmLookup(map, key);
    case T_DEVMAP_HASH: return hashLookup(map, key);
    case T_DEVMAP: case T_CPUMAP: case T_XSKMAP: return redirLookup(map, key);
    case T_SOCKMAP: case T_REUSEPORT_SOCKARRAY: return sockmapLookup(map, key);
    case T_SOCKHASH: return sockhashLookup(map, key);
  }
  return 0;
}

/** bpf_map_update_elem (2). */
export function map_update_elem(map: usize, key: usize, value: usize, flags: u64): i64 {
  switch (load<u32>(map, M_TYPE)) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH:
      return hashUpdate(map, key, value, flags, false);
    case T_ARRAY: case T_PERCPU_ARRAY: return arrayUpdate(map, key, value, flags, false);
    case T_LPM_TRIE: return lpmUpdate(map, key, value, flags);
    case T_QUEUE: case T_STACK: return queuePush(map, value, flags);
    case T_BLOOM_FILTER: return bloomPush(map, value, flags);
  }
  return -EINVAL;
}

/** bpf_map_delete_elem (3). */
export function map_delete_elem(map: usize, key: usize): i64 {
  switch (load<u32>(map, M_TYPE)) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH: case T_HASH_OF_MAPS:
      return hashDelete(map, key);
    case T_ARRAY: case T_PERCPU_ARRAY: return -EINVAL;
    case T_PROG_ARRAY: case T_ARRAY_OF_MAPS: case T_PERF_EVENT_ARRAY: case T_CGROUP_ARRAY: return arrayDelete(map, key);
    case T_CGROUP_STORAGE: case T_PERCPU_CGROUP_STORAGE: return -EINVAL;
    case T_SK_STORAGE: case T_INODE_STORAGE: case T_TASK_STORAGE: case T_CGRP_STORAGE: return hashDelete(map, key);
    case T_LPM_TRIE: return lpmDelete(map, key);
    case T_DEVMAP_HASH: return hashDelete(map, key);
    case T_DEVMAP: case T_CPUMAP: case T_XSKMAP: return redirDelete(map, key);
    case T_STACK_TRACE: return stackDelete(map, key);
    case T_SOCKMAP: case T_REUSEPORT_SOCKARRAY: return sockmapDelete(map, key);
    case T_SOCKHASH: return hashDelete(map, key);
  }
  return -EINVAL;
}

/** bpf_map_push_elem (87). */
export function map_push_elem(map: usize, value: usize, flags: u64): i64 {
  const t = load<u32>(map, M_TYPE);
  if (t == T_QUEUE || t == T_STACK) return queuePush(map, value, flags);
  if (t == T_BLOOM_FILTER) return bloomPush(map, value, flags);
  return -ENOTSUPP;
}

/** bpf_map_pop_elem (88). */
export function map_pop_elem(map: usize, value: usize): i64 {
  const t = load<u32>(map, M_TYPE);
  if (t == T_QUEUE || t == T_STACK) return queuePop(map, value);
  return -ENOTSUPP;
}

/** bpf_map_peek_elem (89). */
export function map_peek_elem(map: usize, value: usize): i64 {
  const t = load<u32>(map, M_TYPE);
  if (t == T_QUEUE || t == T_STACK) return queuePeek(map, value);
  if (t == T_BLOOM_FILTER) return bloomPeek(map, value);
  return -ENOTSUPP;
}

/** bpf_map_lookup_percpu_elem (195). */
export function map_lookup_percpu_elem(map: usize, key: usize, c: u32): usize {
  switch (load<u32>(map, M_TYPE)) {
    case T_PERCPU_HASH: case T_LRU_PERCPU_HASH: return hashLookupPercpu(map, key, c);
    case T_PERCPU_ARRAY: return arrayLookupPercpu(map, key, c);
  }
  return 0;
}

/** Tail calls: the program id in a prog array slot, 0 if empty. */
export function prog_array_get(map: usize, index: u32): u32 { return arraySlot(map, index); }

/** bpf_perf_event_output (25); the context argument does not matter here. */
export function perf_event_output(ctx: usize, map: usize, flags: u64, data: usize, size: u64): i64 {
  return perfEventOutput(map, flags, data, size);
}
/** A simulated perf event (perf_event_open) with a ring of dataBytes; 0 on ENOMEM. */
export function perf_event_create(type: u32, config: u32, oncpu: u32, dataBytes: u32, id: u64): usize {
  return perfEventCreate(type, config, oncpu, dataBytes, id);
}
export function perf_event_free(ev: usize): void { perfEventFree(ev); }

/** bpf_get_stackid (27): ctx is where the kernel unwinds from; here the CPU's simulated call chain. */
export function get_stackid(ctx: usize, map: usize, flags: u64): i64 { return getStackid(map, flags); }
/** bpf_get_stack (67). */
export function get_stack(ctx: usize, buf: usize, size: u64, flags: u64): i64 { return getStack(buf, <u32>size, flags); }
/** Address of CPU c's simulated call chains (kernel, then user). */
export function callchain_area(c: u32): usize { return callchainBase() + <usize>c * CALLCHAIN_CPU_BYTES; }

/** bpf_sk_redirect_map (52); ctx (the skb) keeps no state here: the target goes to the redirect record. */
export function sk_redirect_map(ctx: usize, map: usize, key: u64, flags: u64): i64 { return sockRedirectMap(map, <u32>key, flags); }
/** bpf_msg_redirect_map (60). */
export function msg_redirect_map(ctx: usize, map: usize, key: u64, flags: u64): i64 { return sockRedirectMap(map, <u32>key, flags); }
/** bpf_sk_redirect_hash (72). */
export function sk_redirect_hash(ctx: usize, map: usize, key: usize, flags: u64): i64 { return sockRedirectHash(map, key, flags); }
/** bpf_msg_redirect_hash (71). */
export function msg_redirect_hash(ctx: usize, map: usize, key: usize, flags: u64): i64 { return sockRedirectHash(map, key, flags); }

/** bpf_current_task_under_cgroup (37). */
export function current_task_under_cgroup(map: usize, idx: u64): i64 { return currentTaskUnderCgroup(map, <u32>idx); }
/** bpf_skb_under_cgroup (33). */
export function skb_under_cgroup(ctx: usize, map: usize, idx: u64): i64 { return skbUnderCgroup(map, <u32>idx); }
/** bpf_get_local_storage (81). */
export function get_local_storage(map: usize, flags: u64): usize { return getLocalStorage(map, flags); }
/** A BPF_PROG_TEST_RUN call starts on CPU c: the cgroup storages it gives the program are fresh (zeroed). */
export function test_run_storage_reset(c: u32): void { testRunStorageReset(c); }
/** Address of CPU c's current context {u32 cgroup, u32 attach type, u32 task}. */
export function current_area(c: u32): usize { return currentBase() + <usize>c * CURRENT_CPU_BYTES; }

/** bpf_sk_storage_get (107), bpf_inode_storage_get (145), bpf_task_storage_get (156), bpf_cgrp_storage_get (210). */
export function storage_get(map: usize, owner: usize, value: usize, flags: u64): usize { return storageGet(map, owner, value, flags); }
/** bpf_sk_storage_delete (108), bpf_inode_storage_delete (146), bpf_task_storage_delete (157), bpf_cgrp_storage_delete (211). */
export function storage_delete(map: usize, owner: usize): i64 { return storageDelete(map, owner); }
/** The current task object of this CPU (what bpf_get_current_task_btf returns here), 0 if none set. */
export function current_task(): usize { return currentTask(); }

/** bpf_redirect_map (51). */
export function redirect_map(map: usize, key: u64, flags: u64): i64 { return redirectMap(map, key, flags); }
/** Address of CPU c's redirect record. */
export function redirect_record(c: u32): usize { return redirectBase() + <usize>c * REDIRECT_RECORD_BYTES; }
export function redirect_reset(c: u32): void { redirectReset(c); }

/** bpf_ringbuf_output (130). */
export function ringbuf_output(map: usize, data: usize, size: u64, flags: u64): i64 { return ringbufOutput(map, data, size, flags); }
/** bpf_ringbuf_reserve (131). */
export function ringbuf_reserve(map: usize, size: u64, flags: u64): usize { return ringbufReserve(map, size, flags); }
/** bpf_ringbuf_submit (132). */
export function ringbuf_submit(sample: usize, flags: u64): i64 { ringbufSubmit(sample, flags); return 0; }
/** bpf_ringbuf_discard (133). */
export function ringbuf_discard(sample: usize, flags: u64): i64 { ringbufDiscard(sample, flags); return 0; }
/** bpf_ringbuf_query (134). */
export function ringbuf_query(map: usize, flags: u64): u64 { return ringbufQuery(map, flags); }

// ---- user space (bpf() commands); fd resolution and attribute checks happen in TypeScript ----

export function sys_lookup(map: usize, key: usize, out: usize, flags: u64): i32 {
  switch (load<u32>(map, M_TYPE)) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH: case T_HASH_OF_MAPS:
      return hashSysLookup(map, key, out, flags);
    case T_ARRAY: case T_PERCPU_ARRAY: case T_PROG_ARRAY: case T_ARRAY_OF_MAPS:
      return arraySysLookup(map, key, out, flags);
    case T_LPM_TRIE: return lpmSysLookup(map, key, out);
    case T_DEVMAP_HASH: return hashSysLookup(map, key, out, 0);
    case T_DEVMAP: case T_CPUMAP: case T_XSKMAP: return redirSysLookup(map, key, out, load<u32>(map, M_VALUE));
    case T_STACK_TRACE: return stackSysLookup(map, key, out, false);
    case T_SOCKMAP: case T_REUSEPORT_SOCKARRAY: return sockmapSysLookup(map, key, out);
    case T_SOCKHASH: return hashSysLookup(map, key, out, 0);
    case T_CGROUP_STORAGE: case T_PERCPU_CGROUP_STORAGE:
    case T_SK_STORAGE: case T_INODE_STORAGE: case T_TASK_STORAGE: case T_CGRP_STORAGE:
      return hashSysLookup(map, key, out, flags);
    case T_QUEUE: case T_STACK: return queuePeek(map, out);
    case T_BLOOM_FILTER: return bloomPeek(map, out);
  }
  return -EOPNOTSUPP;
}

export function sys_update(map: usize, key: usize, value: usize, flags: u64): i32 {
  switch (load<u32>(map, M_TYPE)) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH: case T_HASH_OF_MAPS:
      return hashUpdate(map, key, value, flags, true);
    case T_ARRAY: case T_PERCPU_ARRAY: case T_PROG_ARRAY: case T_ARRAY_OF_MAPS: case T_PERF_EVENT_ARRAY: case T_CGROUP_ARRAY:
      return arrayUpdate(map, key, value, flags, true);
    case T_CGROUP_STORAGE: case T_PERCPU_CGROUP_STORAGE:
    case T_SK_STORAGE: case T_INODE_STORAGE: case T_TASK_STORAGE: case T_CGRP_STORAGE:
      return hashUpdate(map, key, value, flags, true);
    case T_LPM_TRIE: return lpmUpdate(map, key, value, flags);
    case T_DEVMAP_HASH: return hashUpdate(map, key, value, flags, true);
    case T_DEVMAP: case T_CPUMAP: case T_XSKMAP: return redirStore(map, key, value);
    case T_SOCKMAP: case T_REUSEPORT_SOCKARRAY: return sockmapStore(map, key, value);
    case T_SOCKHASH: return hashUpdate(map, key, value, flags, true);
    case T_QUEUE: case T_STACK: return queuePush(map, value, flags);
    case T_BLOOM_FILTER: return bloomPush(map, value, flags);
  }
  return -EOPNOTSUPP;
}

export function sys_delete(map: usize, key: usize): i32 {
  return <i32>map_delete_elem(map, key);
}

export function sys_get_next_key(map: usize, key: usize, next: usize): i32 {
  switch (load<u32>(map, M_TYPE)) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH: case T_HASH_OF_MAPS:
      return hashGetNextKey(map, key, next);
    case T_ARRAY: case T_PERCPU_ARRAY: case T_PROG_ARRAY: case T_ARRAY_OF_MAPS: case T_PERF_EVENT_ARRAY: case T_CGROUP_ARRAY:
    case T_DEVMAP: case T_CPUMAP: case T_XSKMAP: case T_SOCKMAP: case T_REUSEPORT_SOCKARRAY:
      return arrayGetNextKey(map, key, next);
    case T_LPM_TRIE: return lpmGetNextKey(map, key, next);
    case T_DEVMAP_HASH: return hashGetNextKey(map, key, next);
    case T_STACK_TRACE: return stackGetNextKey(map, key, next);
    case T_SOCKHASH: case T_CGROUP_STORAGE: case T_PERCPU_CGROUP_STORAGE: return hashGetNextKey(map, key, next);
  }
  return -EINVAL;
}

export function sys_lookup_and_delete(map: usize, key: usize, out: usize, flags: u64): i32 {
  switch (load<u32>(map, M_TYPE)) {
    case T_HASH: case T_PERCPU_HASH: case T_LRU_HASH: case T_LRU_PERCPU_HASH:
      return hashLookupAndDelete(map, key, out, flags);
    case T_QUEUE: case T_STACK: return queuePop(map, out);
    case T_STACK_TRACE: return stackSysLookup(map, key, out, true);
  }
  return -ENOTSUPP;
}

/**
 * bpf_spin_lock / bpf_spin_unlock (helpers 93, 94): `lock` points at the
 * struct bpf_spin_lock inside a map value, the same word BPF_F_LOCK updates
 * and lookups from user space take (copyValueLocked), taken with the same
 * atomic compare-exchange, so programs and user space exclude each other
 * across worker threads. The verifier guarantees a lock is released before
 * exit and never taken twice.
 */
export function spin_lock(lock: usize): i64 { spinLock(lock); return 0; }
export function spin_unlock(lock: usize): i64 { spinUnlock(lock); return 0; }
