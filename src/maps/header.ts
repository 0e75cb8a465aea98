/**
 * The map header in linear memory (the handle programs hold points at it), as
 * assembly/common.ts lays it out: what compiled code reads directly, as the
 * kernel's JIT reads `struct bpf_array` for tail calls and inlined lookups.
 * test/maps-header.test.ts checks these against live maps.
 */
export const MAP_HEADER = {
  /** u32 map type (M_TYPE). */
  type: 0,
  /** u32 max_entries (M_MAX). */
  maxEntries: 12,
  /** u32 value_size rounded up to 8 (M_VSTRIDE): the array's element stride. */
  valueStride: 32,
  /** u32 address of a plain array's elements (F0 of assembly/array.ts). */
  arrayData: 48,
} as const;
