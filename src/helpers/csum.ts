/**
 * Internet checksum arithmetic as the kernel does it on a little-endian host
 * (include/net/checksum.h, arch/x86 csum_partial). Values are the raw
 * little-endian loads of the big-endian fields, exactly what a BPF program
 * passes to the helpers, so results match the kernel bit for bit.
 *
 * __wsum is an unfolded 32-bit ones'-complement sum; __sum16 a folded,
 * inverted 16-bit one.
 */

/** csum_add: 32-bit add with end-around carry. */
export function csumAdd(a: number, b: number): number {
  const r = ((a >>> 0) + (b >>> 0));
  return (r + (r > 0xffff_ffff ? 1 : 0)) >>> 0;
}

/** csum_sub: a + ~b. */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** csum_fold: fold a 32-bit sum to 16 bits and invert. */
export function csumFold(sum: number): number {
  let s = sum >>> 0;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** csum_from32to16: fold without inverting (the value bpf_csum_diff returns). */
export function csumFrom32to16(sum: number): number {
  const s = sum >>> 0;
  const rot = ((s >>> 16) | (s << 16)) >>> 0;
  return (((s + rot) >>> 0) >>> 16) & 0xffff;
}

/**
 * csum_partial over `len` bytes at `bytes[off]`, plus `seed`: the sum of
 * little-endian 32-bit words (a trailing 1-3 bytes as a zero-padded word),
 * which is what x86-64's 64-bit accumulation folds to.
 */
export function csumPartial(bytes: Uint8Array, off: number, len: number, seed: number): number {
  let s = seed >>> 0;
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const w = (bytes[off + i]! | (bytes[off + i + 1]! << 8) | (bytes[off + i + 2]! << 16) | (bytes[off + i + 3]! << 24)) >>> 0;
    s = csumAdd(s, w);
  }
  if (i < len) {
    let w = 0;
    for (let k = 0; i + k < len; k++) w |= bytes[off + i + k]! << (8 * k);
    s = csumAdd(s, w >>> 0);
  }
  return s;
}

/** csum_replace_by_diff: *sum = csum_fold(csum_add(diff, ~csum_unfold(*sum))). */
export function csumReplaceByDiff(sum16: number, diff: number): number {
  return csumFold(csumAdd(diff, ~sum16 >>> 0));
}

/** csum_replace4: *sum = csum_fold(csum_add(csum_sub(~csum_unfold(*sum), from), to)). */
export function csumReplace4(sum16: number, from: number, to: number): number {
  return csumFold(csumAdd(csumSub(~sum16 >>> 0, from), to));
}

/** csum16_add: 16-bit add with end-around carry. */
export function csum16Add(csum: number, addend: number): number {
  let r = (csum & 0xffff) + (addend & 0xffff);
  r = (r & 0xffff) + (r >>> 16);
  return r & 0xffff;
}

/** csum_replace2: *sum = ~csum16_add(csum16_sub(~(*sum), old), new). */
export function csumReplace2(sum16: number, from: number, to: number): number {
  const sub = csum16Add(~sum16 & 0xffff, ~from & 0xffff);
  return ~csum16Add(sub, to) & 0xffff;
}
