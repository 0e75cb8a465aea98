/** Hex text (pairs separated by any whitespace, optional 0x) → bytes, with a clear error. */
export function parseHexBytes(text: string, what: string): Uint8Array {
  const compact = text.replace(/0x/gi, '').replace(/[\s,]+/g, '');
  if (compact.length % 2 !== 0 || /[^0-9a-fA-F]/.test(compact)) {
    const bad = /[^0-9a-fA-F]/.exec(compact);
    throw new Error(bad ? `${what}: invalid hex character '${bad[0]}' at offset ${bad.index}` : `${what}: odd number of hex digits`);
  }
  const out = new Uint8Array(compact.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(compact.substr(i * 2, 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}
