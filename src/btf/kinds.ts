/**
 * BTF encodings (linux/btf.h, Documentation/bpf/btf.rst) and BTF.ext /
 * CO-RE relocation encodings (libbpf's libbpf_internal.h, relo_core.h).
 * The only place these numbers appear.
 */

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** Size of the fixed part of struct btf_header. */
export const BTF_HEADER_SIZE = 24;
/** btf_type: name_off, info, size/type. */
export const BTF_TYPE_SIZE = 12;
/** The kernel's bound on type chains (typedef → const → …), to stop cycles. */
export const MAX_RESOLVE_DEPTH = 32;
/** BTF type ids are below this (the kernel's BTF_MAX_TYPE). */
export const BTF_MAX_TYPE = 0x000fffff;

export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export type BtfKindValue = (typeof BtfKind)[keyof typeof BtfKind];
export type BtfKindName = Exclude<keyof typeof BtfKind, 'UNKN'>;
export const BTF_KIND_NAMES: Readonly<Record<number, BtfKindName>> = Object.fromEntries(
  Object.entries(BtfKind).filter(([k]) => k !== 'UNKN').map(([k, v]) => [v, k])) as Record<number, BtfKindName>;

/** Fields of btf_type.info. */
export const INFO_VLEN_MASK = 0xffff;
export const INFO_KIND_SHIFT = 24;
export const INFO_KIND_MASK = 0x1f;
export const INFO_KIND_FLAG = 0x80000000;

/** Bits of the u32 that follows a BTF_KIND_INT. */
export const INT_ENCODING_SHIFT = 24;
export const INT_OFFSET_SHIFT = 16;
export const INT_BITS_MASK = 0xff;
export const IntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** With kind_flag set, a struct member's offset packs bitfield size and bit offset. */
export const MEMBER_BITFIELD_SIZE_SHIFT = 24;
export const MEMBER_BIT_OFFSET_MASK = 0xffffff;

/** Linkage of FUNC (vlen) and VAR. */
export const FuncLinkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;
export const VarLinkage = { STATIC: 0, GLOBAL_ALLOCATED: 1, GLOBAL_EXTERN: 2 } as const;

/** Sizes of the per-kind trailing data. */
export const BTF_ARRAY_SIZE = 12;
export const BTF_MEMBER_SIZE = 12;
export const BTF_ENUM_SIZE = 8;
export const BTF_ENUM64_SIZE = 12;
export const BTF_PARAM_SIZE = 8;
export const BTF_VAR_SIZE = 4;
export const BTF_VAR_SECINFO_SIZE = 12;
export const BTF_DECL_TAG_SIZE = 4;
export const BTF_INT_SIZE = 4;

/** BTF.ext header: fixed part up to line_info, then the optional CO-RE part. */
export const BTF_EXT_HEADER_MIN = 24;
export const BTF_EXT_HEADER_CORE = 32;
/** Minimal record sizes (a producer may use larger records; extra is skipped). */
export const FUNC_INFO_MIN = 8;
export const LINE_INFO_MIN = 16;
export const CORE_RELO_MIN = 16;
/** line_col packs line << 10 | column. */
export const LINE_COL_SHIFT = 10;
export const LINE_COL_COLUMN_MASK = 0x3ff;

/** enum bpf_core_relo_kind. */
export const CoreReloKind = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;
export type CoreReloKindName = keyof typeof CoreReloKind;
export const CORE_RELO_KIND_NAMES: Readonly<Record<number, CoreReloKindName>> = Object.fromEntries(
  Object.entries(CoreReloKind).map(([k, v]) => [v, k])) as Record<number, CoreReloKindName>;
