// Cgroups as the maps see them: simulated cgroup objects ({u64 id, u32
// parent, u32 level}, created by user space, src/maps/README.md "Objects"),
// the per-CPU current context of a run (the task's cgroup and the attach type
// of the running program), BPF_MAP_TYPE_CGROUP_ARRAY (an fd array of cgroups,
// assembly/array.ts) with bpf_skb_under_cgroup / bpf_current_task_under_cgroup,
// and the cgroup storages (CGROUP_STORAGE, PERCPU_CGROUP_STORAGE: hash maps
// keyed by {u64 cgroup id, u32 attach type} or the id alone, whose entries
// exist once a program using the map is attached to the cgroup) with
// bpf_get_local_storage.

import {
  M_MAX, M_TYPE, M_VALUE, F0,
  E2BIG, EAGAIN, ENOENT,
  T_PERCPU_CGROUP_STORAGE,
  cpu,
} from './common';
import { currentBase, kalloc, kfree } from './alloc';
import { hashLookup } from './hash';

// cgroup object
const CG_ID: usize = 0;
const CG_PARENT: usize = 8;

// per-CPU current context
const CUR_CGROUP: usize = 0;   // cgroup object of the running task (0: none)
const CUR_ATTACH: usize = 4;   // attach type of the running program
const CUR_TASK: usize = 8;     // task object (task local storage)
const CUR_KEY: usize = 16;     // scratch: a cgroup storage key {u64 id, u32 attach type, u32 pad}; local storage keys reuse it
// BPF_PROG_TEST_RUN's cgroup storages: net/bpf/test_run.c allocates one per storage type
// (shared, per-CPU) for each test-run call, unlinked from the map, freed after it:
// {u32 address, u32 size} of each, zeroed by test_run_storage_reset before every call
const CUR_TR_SHARED: usize = 32;
const CUR_TR_PERCPU: usize = 40;
export const CURRENT_CPU_BYTES: u32 = 48;

@inline export function current(): usize { return currentBase() + <usize>cpu * CURRENT_CPU_BYTES; }
export function currentTask(): usize { return <usize>load<u32>(current(), CUR_TASK); }

/** True when cgroup `cg` is `ancestor` or below it. */
function under(cg: usize, ancestor: usize): bool {
  while (cg != 0) {
    if (cg == ancestor) return true;
    cg = <usize>load<u32>(cg, CG_PARENT);
  }
  return false;
}

function arrayCgroup(map: usize, idx: u32): i64 {
  if (idx >= load<u32>(map, M_MAX)) return -E2BIG;
  const cg = <usize>atomic.load<u32>(<usize>load<u32>(map, F0) + <usize>idx * 4);
  if (cg == 0) return -EAGAIN;
  return <i64>cg;
}

/** bpf_current_task_under_cgroup (37): 1 if the current task's cgroup is under map[idx]. */
export function currentTaskUnderCgroup(map: usize, idx: u32): i64 {
  const cg = arrayCgroup(map, idx);
  if (cg < 0) return cg;
  return under(<usize>load<u32>(current(), CUR_CGROUP), <usize>cg) ? 1 : 0;
}

/** bpf_skb_under_cgroup (33): the skb's socket belongs to the current task's cgroup here; none is -ENOENT. */
export function skbUnderCgroup(map: usize, idx: u32): i64 {
  const mine = <usize>load<u32>(current(), CUR_CGROUP);
  if (mine == 0) return -ENOENT;
  const cg = arrayCgroup(map, idx);
  if (cg < 0) return cg;
  return under(mine, <usize>cg) ? 1 : 0;
}

/** The current test-run call's storage of `map`'s storage type (zeroed at the call's start). */
function testRunStorage(cur: usize, map: usize): usize {
  const slot = cur + (load<u32>(map, M_TYPE) == T_PERCPU_CGROUP_STORAGE ? CUR_TR_PERCPU : CUR_TR_SHARED);
  const size = load<u32>(map, M_VALUE);
  let p = <usize>load<u32>(slot);
  if (p == 0 || load<u32>(slot, 4) < size) {
    kfree(p);
    p = kalloc(size);
    if (p == 0) return 0;
    memory.fill(p, 0, size);
    store<u32>(slot, <u32>p);
    store<u32>(slot, size, 4);
  }
  return p;
}

/** A new BPF_PROG_TEST_RUN call on CPU c: its cgroup storages start zeroed. */
export function testRunStorageReset(c: u32): void {
  const cur = currentBase() + <usize>c * CURRENT_CPU_BYTES;
  for (let at = CUR_TR_SHARED; at <= CUR_TR_PERCPU; at += CUR_TR_PERCPU - CUR_TR_SHARED) {
    const p = <usize>load<u32>(cur + at);
    if (p != 0) memory.fill(p, 0, load<u32>(cur + at, 4));
  }
}

/**
 * bpf_get_local_storage (81): the running program's storage for its cgroup (per-CPU: this CPU's slot);
 * with no current cgroup (a BPF_PROG_TEST_RUN), the test-run call's own storage.
 */
export function getLocalStorage(map: usize, flags: u64): usize {
  const cur = current();
  const cg = <usize>load<u32>(cur, CUR_CGROUP);
  if (cg == 0) return testRunStorage(cur, map);
  const key = cur + CUR_KEY;
  store<u64>(key, load<u64>(cg, CG_ID));
  store<u32>(key + 8, load<u32>(cur, CUR_ATTACH));
  store<u32>(key + 12, 0);
  // hashLookup gives this CPU's slot of a per-CPU storage
  return hashLookup(map, key);
}
