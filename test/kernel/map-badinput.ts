/**
 * Bad input for map creation and element operations, as harness scripts: each
 * case's last line is the operation under test; the expected errno is the
 * kernel's (live, or stored in map-expected.json).
 */
import { MAP_TYPE as T, MAP_FLAG as F } from '../../src/maps/constants.js';

export interface BadCase { name: string; ops: string[] }

const c = (type: number, ks: number, vs: number, max: number, flags = 0, extra: number | string = 0, inner = -1): string =>
  `C ${type} ${ks} ${vs} ${max} ${flags} ${extra} ${inner}`;

/** Each case ends by listing every map it created, so a failed operation that lost an entry shows. */
export function withContents(c: BadCase): string[] {
  const creates = c.ops.filter((o) => o.startsWith('C ')).length;
  return [...c.ops, ...Array.from({ length: creates }, (_, i) => `I ${i}`)];
}

const CASES: BadCase[] = [
  // creation
  { name: 'unknown map type 99', ops: [c(99, 4, 4, 1)] },
  { name: 'map type 0 (unspec)', ops: [c(0, 4, 4, 1)] },
  { name: 'hash key_size 0', ops: [c(T.hash, 0, 4, 1)] },
  { name: 'hash value_size 0', ops: [c(T.hash, 4, 0, 1)] },
  { name: 'hash max_entries 0', ops: [c(T.hash, 4, 4, 0)] },
  { name: 'hash invalid flag MMAPABLE', ops: [c(T.hash, 4, 4, 1, F.MMAPABLE)] },
  { name: 'hash RDONLY|WRONLY', ops: [c(T.hash, 4, 4, 1, F.RDONLY | F.WRONLY)] },
  { name: 'hash RDONLY_PROG|WRONLY_PROG', ops: [c(T.hash, 4, 4, 1, F.RDONLY_PROG | F.WRONLY_PROG)] },
  { name: 'hash NO_COMMON_LRU without LRU', ops: [c(T.hash, 4, 4, 1, F.NO_COMMON_LRU)] },
  { name: 'hash map_extra', ops: [c(T.hash, 4, 4, 1, 0, 3)] },
  { name: 'hash max_entries 2^31+1', ops: [c(T.hash, 4, 4, 0x80000001)] },
  // (no ENOMEM cases: the kernel would really try to allocate gigabytes first)
  { name: 'hash max_entries 2^31', ops: [c(T.hash, 4, 8, 0x80000000)] },
  { name: 'hash max_entries 2^32-1', ops: [c(T.hash, 4, 8, 0xffffffff)] },
  { name: 'hash no-prealloc max_entries 2^31', ops: [c(T.hash, 4, 8, 0x80000000, F.NO_PREALLOC)] },
  { name: 'LPM max_entries 2^32-1 (allocated lazily)', ops: [c(T.lpm_trie, 8, 8, 0xffffffff, F.NO_PREALLOC)] },
  { name: 'hash huge key+value', ops: [c(T.hash, 4, 1 << 22, 1)] },
  { name: 'percpu hash value above 32 KiB', ops: [c(T.percpu_hash, 4, 32769, 1)] },
  { name: 'LRU with NO_PREALLOC', ops: [c(T.lru_hash, 4, 4, 16, F.NO_PREALLOC)] },
  { name: 'array key_size 8', ops: [c(T.array, 8, 4, 4)] },
  { name: 'array value_size 0', ops: [c(T.array, 4, 0, 4)] },
  { name: 'array max_entries 0', ops: [c(T.array, 4, 4, 0)] },
  { name: 'array NO_PREALLOC', ops: [c(T.array, 4, 4, 4, F.NO_PREALLOC)] },
  { name: 'array PRESERVE_ELEMS', ops: [c(T.array, 4, 4, 4, F.PRESERVE_ELEMS)] },
  { name: 'percpu array MMAPABLE', ops: [c(T.percpu_array, 4, 4, 4, F.MMAPABLE)] },
  { name: 'percpu array value above 32 KiB', ops: [c(T.percpu_array, 4, 40000, 4)] },
  { name: 'prog array value_size 8', ops: [c(T.prog_array, 4, 8, 4)] },
  { name: 'LPM without NO_PREALLOC', ops: [c(T.lpm_trie, 8, 4, 4)] },
  { name: 'LPM key_size 4', ops: [c(T.lpm_trie, 4, 4, 4, F.NO_PREALLOC)] },
  { name: 'LPM key_size 261', ops: [c(T.lpm_trie, 261, 4, 4, F.NO_PREALLOC)] },
  { name: 'LPM value_size 0', ops: [c(T.lpm_trie, 8, 0, 4, F.NO_PREALLOC)] },
  { name: 'LPM max_entries 0', ops: [c(T.lpm_trie, 8, 4, 0, F.NO_PREALLOC)] },
  { name: 'queue key_size 4', ops: [c(T.queue, 4, 4, 4)] },
  { name: 'queue value_size 0', ops: [c(T.queue, 0, 0, 4)] },
  { name: 'stack max_entries 0', ops: [c(T.stack, 0, 4, 0)] },
  { name: 'queue NO_PREALLOC', ops: [c(T.queue, 0, 4, 4, F.NO_PREALLOC)] },
  { name: 'bloom key_size 4', ops: [c(T.bloom_filter, 4, 4, 4)] },
  { name: 'bloom map_extra 16', ops: [c(T.bloom_filter, 0, 4, 4, 0, 16)] },
  { name: 'bloom value_size 0', ops: [c(T.bloom_filter, 0, 0, 4)] },
  { name: 'ringbuf max_entries 4095', ops: [c(T.ringbuf, 0, 0, 4095)] },
  { name: 'ringbuf max_entries 12288', ops: [c(T.ringbuf, 0, 0, 12288)] },
  { name: 'ringbuf key_size 4', ops: [c(T.ringbuf, 4, 0, 4096)] },
  { name: 'ringbuf NO_PREALLOC', ops: [c(T.ringbuf, 0, 0, 4096, F.NO_PREALLOC)] },
  { name: 'array of maps without inner map', ops: [c(T.array_of_maps, 4, 4, 4)] },
  { name: 'hash of maps value_size 8', ops: [c(T.array, 4, 4, 4), c(T.hash_of_maps, 4, 8, 4, 0, 0, 0)] },
  { name: 'array of maps with a map-in-map inner', ops: [c(T.array, 4, 4, 4), c(T.array_of_maps, 4, 4, 4, 0, 0, 0), c(T.array_of_maps, 4, 4, 4, 0, 0, 1)] },
  // element operations a type lacks, invalid flags, out of range
  { name: 'array delete', ops: [c(T.array, 4, 4, 4), 'U 0 01000000 05000000 0', 'D 0 01000000'] },
  { name: 'array index out of range update', ops: [c(T.array, 4, 4, 4), 'U 0 01000000 05000000 0', 'U 0 04000000 05000000 0'] },
  { name: 'array NOEXIST', ops: [c(T.array, 4, 4, 4), 'U 0 01000000 05000000 0', 'U 0 01000000 05000000 1'] },
  { name: 'array lookup_and_delete', ops: [c(T.array, 4, 4, 4), 'U 0 01000000 05000000 0', 'X 0 01000000 0'] },
  { name: 'hash flags 3', ops: [c(T.hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'U 0 02000000 05000000 3'] },
  { name: 'hash BPF_F_LOCK without spin lock', ops: [c(T.hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'U 0 01000000 05000000 4'] },
  { name: 'hash lookup flags 2', ops: [c(T.hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'L 0 01000000 2'] },
  { name: 'hash full', ops: [c(T.hash, 4, 4, 2), 'U 0 01000000 05000000 0', 'U 0 02000000 05000000 0', 'U 0 03000000 05000000 0'] },
  { name: 'hash full, update existing', ops: [c(T.hash, 4, 4, 2), 'U 0 01000000 05000000 0', 'U 0 02000000 05000000 0', 'U 0 02000000 06000000 0'] },
  { name: 'hash no-prealloc full', ops: [c(T.hash, 4, 4, 2, F.NO_PREALLOC), 'U 0 01000000 05000000 0', 'U 0 02000000 05000000 0', 'U 0 03000000 05000000 0'] },
  { name: 'LRU flags BPF_F_LOCK', ops: [c(T.lru_hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'U 0 01000000 05000000 4'] },
  { name: 'frozen update', ops: [c(T.hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'F 0', 'U 0 01000000 06000000 0'] },
  { name: 'frozen delete', ops: [c(T.hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'F 0', 'D 0 01000000'] },
  { name: 'freeze twice', ops: [c(T.hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'F 0', 'F 0'] },
  { name: 'frozen lookup works', ops: [c(T.hash, 4, 4, 4), 'U 0 01000000 05000000 0', 'F 0', 'L 0 01000000 0'] },
  { name: 'RDONLY map update', ops: [c(T.hash, 4, 4, 4, F.RDONLY), 'U 0 01000000 05000000 0'] },
  { name: 'WRONLY map lookup', ops: [c(T.hash, 4, 4, 4, F.WRONLY), 'U 0 01000000 05000000 0', 'L 0 01000000 0'] },
  { name: 'LPM prefixlen above max', ops: [c(T.lpm_trie, 8, 4, 4, F.NO_PREALLOC), 'U 0 080000000a000000 05000000 0', 'U 0 210000000a000000 05000000 0'] },
  { name: 'LPM full', ops: [c(T.lpm_trie, 8, 4, 1, F.NO_PREALLOC), 'U 0 080000000a000000 05000000 0', 'U 0 100000000a010000 05000000 0'] },
  { name: 'LPM lookup_and_delete', ops: [c(T.lpm_trie, 8, 4, 4, F.NO_PREALLOC), 'U 0 080000000a000000 05000000 0', 'X 0 080000000a000000 0'] },
  { name: 'queue delete', ops: [c(T.queue, 0, 4, 4), 'U 0 - 05000000 0', 'D 0 -'] },
  { name: 'queue get_next_key', ops: [c(T.queue, 0, 4, 4), 'U 0 - 05000000 0', 'N 0 -'] },
  { name: 'queue push NOEXIST', ops: [c(T.queue, 0, 4, 4), 'U 0 - 05000000 0', 'U 0 - 05000000 1'] },
  { name: 'queue full', ops: [c(T.queue, 0, 4, 1), 'U 0 - 05000000 0', 'U 0 - 06000000 0'] },
  { name: 'stack pop with flags', ops: [c(T.stack, 0, 4, 4), 'U 0 - 05000000 0', 'X 0 - 4'] },
  { name: 'stack pop empty', ops: [c(T.stack, 0, 4, 4), 'U 0 - 05000000 0', 'X 0 - 0', 'X 0 - 0'] },
  { name: 'bloom delete', ops: [c(T.bloom_filter, 0, 4, 4), 'U 0 - 05000000 0', 'D 0 -'] },
  { name: 'bloom pop', ops: [c(T.bloom_filter, 0, 4, 4), 'U 0 - 05000000 0', 'X 0 - 0'] },
  { name: 'bloom get_next_key', ops: [c(T.bloom_filter, 0, 4, 4), 'U 0 - 05000000 0', 'N 0 -'] },
  { name: 'bloom push flags', ops: [c(T.bloom_filter, 0, 4, 4), 'U 0 - 05000000 0', 'U 0 - 05000000 2'] },
  { name: 'ringbuf lookup', ops: [c(T.ringbuf, 0, 0, 4096), 'L 0 - 0'] },
  { name: 'ringbuf update', ops: [c(T.ringbuf, 0, 0, 4096), 'U 0 - - 0'] },
  { name: 'ringbuf get_next_key', ops: [c(T.ringbuf, 0, 0, 4096), 'N 0 -'] },
  { name: 'ringbuf delete', ops: [c(T.ringbuf, 0, 0, 4096), 'D 0 -'] },
  { name: 'prog array update flags', ops: ['P 1', c(T.prog_array, 4, 4, 4), 'U 0 01000000 #0 0', 'U 0 02000000 #0 1'] },
  { name: 'prog array bad fd', ops: ['P 1', c(T.prog_array, 4, 4, 4), 'U 0 01000000 #0 0', 'U 0 02000000 #-1 0'] },
  { name: 'prog array delete empty', ops: ['P 1', c(T.prog_array, 4, 4, 4), 'U 0 01000000 #0 0', 'D 0 02000000'] },
  { name: 'prog array delete out of range', ops: ['P 1', c(T.prog_array, 4, 4, 4), 'U 0 01000000 #0 0', 'D 0 09000000'] },
  { name: 'array of maps incompatible inner', ops: [c(T.array, 4, 4, 4), c(T.array, 4, 8, 4), c(T.array_of_maps, 4, 4, 4, 0, 0, 0), 'U 2 00000000 #0 0', 'U 2 01000000 #1 0'] },
];

export const BAD_CASES: BadCase[] = CASES.map((c) => ({ name: c.name, ops: withContents(c) }));
