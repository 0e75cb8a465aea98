// BPF_MAP_TYPE_LPM_TRIE: the kernel's path-compressed binary trie. Keys are
// struct bpf_lpm_trie_key (u32 prefixlen, then data_size bytes, big-endian
// bit order). Intermediate nodes join two subtrees and hold no value;
// get_next_key walks the trie in postorder, as the kernel does. Updates take
// the map lock; lookups walk without it.

import {
  M_KEY, M_VALUE, M_MAX, M_LOCK, M_COUNT, F0, F1, F2,
  BPF_NOEXIST, BPF_EXIST,
  EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC,
  spinLock, spinUnlock, round8,
  copyBytes, zeroBytes,
} from './common';
import { kalloc, kfree } from './alloc';

const L_ROOT = F0;
const L_DSIZE = F1;
const L_MAXPLEN = F2;

const N_CHILD0: usize = 0;
const N_CHILD1: usize = 4;
const N_PLEN: usize = 8;
const N_FLAGS: usize = 12;
const N_DATA: usize = 16;
const FLAG_IM: u32 = 1;

/** Scratch path for get_next_key: at most max_prefixlen + 1 nodes (2049). */
const PATH_SLOTS: u32 = 2064;
let pathBuf: usize = 0;

export function lpmInit(map: usize): i32 {
  const ds = load<u32>(map, M_KEY) - 4;
  store<u32>(map, ds, L_DSIZE);
  store<u32>(map, ds * 8, L_MAXPLEN);
  return 0;
}

function freeTree(n: usize): void {
  if (n == 0) return;
  freeTree(<usize>load<u32>(n, N_CHILD0));
  freeTree(<usize>load<u32>(n, N_CHILD1));
  kfree(n);
}
export function lpmFree(map: usize): void { freeTree(<usize>load<u32>(map, L_ROOT)); }

@inline function extractBit(data: usize, index: u32): u32 {
  return (<u32>load<u8>(data + (index >> 3)) >> (7 - (index & 7))) & 1;
}

/** Matching leading bits of node and key, bounded by both prefix lengths. */
function prefixMatch(map: usize, node: usize, key: usize): u32 {
  const plen = load<u32>(node, N_PLEN);
  const kplen = load<u32>(key);
  const limit = plen < kplen ? plen : kplen;
  const a = node + N_DATA;
  const b = key + 4;
  let bits: u32 = 0;
  let i: usize = 0;
  // 32 bits at a time (big-endian bit order), then bytes
  while (bits + 32 <= limit) {
    const x = bswap<u32>(load<u32>(a + i) ^ load<u32>(b + i));
    if (x != 0) {
      bits += clz<u32>(x);
      return bits < limit ? bits : limit;
    }
    bits += 32;
    i += 4;
  }
  while (bits < limit) {
    const x = load<u8>(a + i) ^ load<u8>(b + i);
    if (x != 0) {
      bits += clz<u32>(<u32>x) - 24;
      return bits < limit ? bits : limit;
    }
    bits += 8;
    i++;
  }
  return limit;
}

@inline function valueOf(map: usize, n: usize): usize {
  return n + N_DATA + round8(load<u32>(map, L_DSIZE));
}

export function lpmLookup(map: usize, key: usize): usize {
  const maxp = load<u32>(map, L_MAXPLEN);
  if (load<u32>(key) > maxp) return 0;
  let found: usize = 0;
  let node = <usize>atomic.load<u32>(map + L_ROOT);
  while (node != 0) {
    const m = prefixMatch(map, node, key);
    if (m == maxp) { found = node; break; }
    const plen = load<u32>(node, N_PLEN);
    if (m < plen) break;
    if ((load<u32>(node, N_FLAGS) & FLAG_IM) == 0) found = node;
    node = <usize>atomic.load<u32>(node + (extractBit(key + 4, plen) != 0 ? N_CHILD1 : N_CHILD0));
  }
  return found == 0 ? 0 : valueOf(map, found);
}

function newNode(map: usize, plen: u32, data: usize, value: usize): usize {
  const ds = load<u32>(map, L_DSIZE);
  const n = kalloc(<u32>N_DATA + round8(ds) + load<u32>(map, M_VALUE));
  if (n == 0) return 0;
  store<u32>(n, plen, N_PLEN);
  copyBytes(n + N_DATA, data, ds);
  if (value != 0) copyBytes(valueOf(map, n), value, load<u32>(map, M_VALUE));
  else store<u32>(n, FLAG_IM, N_FLAGS);
  return n;
}

/** The kernel's trie_check_add_elem: a new entry needs room and no BPF_EXIST. */
function checkAdd(map: usize, flags: u64): i32 {
  if (flags == BPF_EXIST) return -ENOENT;
  const c = load<u32>(map, M_COUNT);
  if (c == load<u32>(map, M_MAX)) return -ENOSPC;
  store<u32>(map, c + 1, M_COUNT);
  return 0;
}

export function lpmUpdate(map: usize, key: usize, value: usize, flags: u64): i32 {
  if (flags > BPF_EXIST) return -EINVAL;
  const kplen = load<u32>(key);
  const maxp = load<u32>(map, L_MAXPLEN);
  if (kplen > maxp) return -EINVAL;
  const nn = newNode(map, kplen, key + 4, value);
  if (nn == 0) return -ENOMEM;
  const lk = map + M_LOCK;
  spinLock(lk);
  let slot = map + L_ROOT;
  let node: usize = 0;
  let m: u32 = 0;
  while ((node = <usize>load<u32>(slot)) != 0) {
    m = prefixMatch(map, node, key);
    const plen = load<u32>(node, N_PLEN);
    if (plen != m || plen == kplen || plen == maxp) break;
    slot = node + (extractBit(key + 4, plen) != 0 ? N_CHILD1 : N_CHILD0);
  }
  let ret: i32 = 0;
  if (node == 0) {
    ret = checkAdd(map, flags);
    if (ret == 0) atomic.store<u32>(slot, <u32>nn);
  } else if (load<u32>(node, N_PLEN) == m) {
    // same prefix: replace the node (or fill an intermediate one)
    if ((load<u32>(node, N_FLAGS) & FLAG_IM) != 0) ret = checkAdd(map, flags);
    else if (flags == BPF_NOEXIST) ret = -EEXIST;
    if (ret == 0) {
      store<u32>(nn, load<u32>(node, N_CHILD0), N_CHILD0);
      store<u32>(nn, load<u32>(node, N_CHILD1), N_CHILD1);
      atomic.store<u32>(slot, <u32>nn);
      kfree(node);
    }
  } else {
    ret = checkAdd(map, flags);
    if (ret == 0) {
      if (m == kplen) {
        // the new prefix covers the node: it becomes the parent
        const c = nn + (extractBit(node + N_DATA, m) != 0 ? N_CHILD1 : N_CHILD0);
        store<u32>(c, <u32>node);
        atomic.store<u32>(slot, <u32>nn);
      } else {
        const im = newNode(map, m, node + N_DATA, 0);
        if (im == 0) {
          store<u32>(map, load<u32>(map, M_COUNT) - 1, M_COUNT);
          ret = -ENOMEM;
        } else {
          if (extractBit(key + 4, m) != 0) {
            store<u32>(im, <u32>node, N_CHILD0);
            store<u32>(im, <u32>nn, N_CHILD1);
          } else {
            store<u32>(im, <u32>nn, N_CHILD0);
            store<u32>(im, <u32>node, N_CHILD1);
          }
          atomic.store<u32>(slot, <u32>im);
        }
      }
    }
  }
  spinUnlock(lk);
  if (ret != 0) kfree(nn);
  return ret;
}

export function lpmDelete(map: usize, key: usize): i32 {
  const kplen = load<u32>(key);
  if (kplen > load<u32>(map, L_MAXPLEN)) return -EINVAL;
  const lk = map + M_LOCK;
  spinLock(lk);
  let trim = map + L_ROOT;
  let trim2 = trim;
  let parent: usize = 0;
  let node: usize = 0;
  let m: u32 = 0;
  while ((node = <usize>load<u32>(trim)) != 0) {
    m = prefixMatch(map, node, key);
    const plen = load<u32>(node, N_PLEN);
    if (plen != m || plen == kplen) break;
    parent = node;
    trim2 = trim;
    trim = node + (extractBit(key + 4, plen) != 0 ? N_CHILD1 : N_CHILD0);
  }
  if (node == 0 || load<u32>(node, N_PLEN) != kplen || load<u32>(node, N_PLEN) != m || (load<u32>(node, N_FLAGS) & FLAG_IM) != 0) {
    spinUnlock(lk);
    return -ENOENT;
  }
  store<u32>(map, load<u32>(map, M_COUNT) - 1, M_COUNT);
  const c0 = load<u32>(node, N_CHILD0);
  const c1 = load<u32>(node, N_CHILD1);
  if (c0 != 0 && c1 != 0) {
    // still joins two subtrees: keep it as an intermediate node
    store<u32>(node, load<u32>(node, N_FLAGS) | FLAG_IM, N_FLAGS);
    spinUnlock(lk);
    return 0;
  }
  if (parent != 0 && (load<u32>(parent, N_FLAGS) & FLAG_IM) != 0 && c0 == 0 && c1 == 0) {
    // the intermediate parent now has one child: splice it out
    const other = load<u32>(parent, N_CHILD0) == <u32>node ? load<u32>(parent, N_CHILD1) : load<u32>(parent, N_CHILD0);
    atomic.store<u32>(trim2, other);
    spinUnlock(lk);
    kfree(parent);
    kfree(node);
    return 0;
  }
  atomic.store<u32>(trim, c0 != 0 ? c0 : c1);
  spinUnlock(lk);
  kfree(node);
  return 0;
}

export function lpmSysLookup(map: usize, key: usize, out: usize): i32 {
  const v = lpmLookup(map, key);
  if (v == 0) return -ENOENT;
  copyBytes(out, v, load<u32>(map, M_VALUE));
  return 0;
}

function copyKey(map: usize, n: usize, next: usize): i32 {
  store<u32>(next, load<u32>(n, N_PLEN));
  copyBytes(next + 4, n + N_DATA, load<u32>(map, L_DSIZE));
  return 0;
}

function leftmost(map: usize, from: usize, next: usize): i32 {
  let found: usize = 0;
  let node = from;
  while (node != 0) {
    if ((load<u32>(node, N_FLAGS) & FLAG_IM) != 0) {
      node = <usize>load<u32>(node, N_CHILD0);
    } else {
      found = node;
      node = <usize>load<u32>(node, N_CHILD0);
      if (node == 0) node = <usize>load<u32>(found, N_CHILD1);
    }
  }
  if (found == 0) return -ENOENT;
  return copyKey(map, found, next);
}

/** Postorder successor of the key's node; an unknown key starts at the leftmost leaf. */
export function lpmGetNextKey(map: usize, key: usize, next: usize): i32 {
  const lk = map + M_LOCK;
  spinLock(lk);
  const ret = getNext(map, key, next);
  spinUnlock(lk);
  return ret;
}

function getNext(map: usize, key: usize, next: usize): i32 {
  const root = <usize>load<u32>(map, L_ROOT);
  if (root == 0) return -ENOENT;
  const maxp = load<u32>(map, L_MAXPLEN);
  if (key == 0 || load<u32>(key) > maxp) return leftmost(map, root, next);
  if (pathBuf == 0) {
    pathBuf = kalloc(PATH_SLOTS * 4);
    if (pathBuf == 0) return -ENOMEM;
  }
  const kplen = load<u32>(key);
  let sp: i32 = -1;
  let node = root;
  let m: u32 = 0;
  while (node != 0) {
    sp++;
    store<u32>(pathBuf + (<usize>sp << 2), <u32>node);
    m = prefixMatch(map, node, key);
    const plen = load<u32>(node, N_PLEN);
    if (plen != m || plen == kplen) break;
    node = <usize>load<u32>(node + (extractBit(key + 4, plen) != 0 ? N_CHILD1 : N_CHILD0));
  }
  if (node == 0 || load<u32>(node, N_PLEN) != m || (load<u32>(node, N_FLAGS) & FLAG_IM) != 0) {
    return leftmost(map, root, next);
  }
  node = <usize>load<u32>(pathBuf + (<usize>sp << 2));
  while (sp > 0) {
    const parent = <usize>load<u32>(pathBuf + (<usize>(sp - 1) << 2));
    if (<usize>load<u32>(parent, N_CHILD0) == node) {
      const right = <usize>load<u32>(parent, N_CHILD1);
      if (right != 0) return leftmost(map, right, next);
    }
    if ((load<u32>(parent, N_FLAGS) & FLAG_IM) == 0) return copyKey(map, parent, next);
    node = parent;
    sp--;
  }
  return -ENOENT;
}
