// Local storage: BPF_MAP_TYPE_SK_STORAGE, TASK_STORAGE, INODE_STORAGE and
// CGRP_STORAGE. Each is a hash map (assembly/hash.ts) keyed by the owner
// object's address: a simulated socket, task, inode or cgroup
// (src/maps/README.md, "Objects"); user space names owners by fd and the
// TypeScript side turns the fd into the address. Programs reach a value with
// bpf_*_storage_get (BPF_LOCAL_STORAGE_GET_F_CREATE makes it) and remove it
// with bpf_*_storage_delete.

import { M_VALUE, EINVAL, EEXIST } from './common';
import { kalloc, kfree } from './alloc';
import { hashLookup, hashUpdate, hashDelete } from './hash';
import { current } from './cgroup';

const BPF_LOCAL_STORAGE_GET_F_CREATE: u64 = 1;
const BPF_NOEXIST: u64 = 1;
/** The current context's scratch word holds the owner key (this CPU's memory). */
const KEY_SCRATCH: usize = 24;

function ownerKey(owner: usize): usize {
  const k = current() + KEY_SCRATCH;
  store<u32>(k, <u32>owner);
  return k;
}

/** bpf_{sk,task,inode,cgrp}_storage_get: the owner's value, created from `init` (or zeroed) with F_CREATE; 0 otherwise. */
export function storageGet(map: usize, owner: usize, init: usize, flags: u64): usize {
  if (owner == 0 || (flags & ~BPF_LOCAL_STORAGE_GET_F_CREATE) != 0) return 0;
  const key = ownerKey(owner);
  const v = hashLookup(map, key);
  if (v != 0 || flags == 0) return v;
  let src = init;
  if (src == 0) {
    src = kalloc(load<u32>(map, M_VALUE));
    if (src == 0) return 0;
  }
  const r = hashUpdate(map, key, src, BPF_NOEXIST, false);
  if (init == 0) kfree(src);
  // a racing creator made it first: the value is there either way
  if (r < 0 && r != -EEXIST) return 0;
  return hashLookup(map, ownerKey(owner));
}

/** bpf_{sk,task,inode,cgrp}_storage_delete: -ENOENT when the owner has none. */
export function storageDelete(map: usize, owner: usize): i64 {
  if (owner == 0) return -EINVAL;
  return hashDelete(map, ownerKey(owner));
}
