/**
 * Streaming capture writers into one growing buffer: classic pcap
 * (nanosecond magic) and pcapng with one interface description block per
 * simulated interface and the direction of each packet in its epb_flags, so
 * tshark/tcpdump show which interface a packet left or entered by
 * (`frame.interface_name`, `frame.packet_flags_direction`).
 */
import {
  LINKTYPE_ETHERNET, MAX_SNAPLEN, PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_OPT_END,
  PCAPNG_OPT_IF_TSRESOL, PCAPNG_SHB, PCAP_GLOBAL_HEADER_BYTES, PCAP_MAGIC_NS, PCAP_RECORD_HEADER_BYTES,
  PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR,
} from './constants.js';

/** pcapng option codes and values used here (draft-ietf-opsawg-pcapng §4.2, §4.3). */
const PCAPNG_OPT_IF_NAME = 2;
const PCAPNG_OPT_IF_DESCRIPTION = 3;
const PCAPNG_OPT_EPB_FLAGS = 2;
const PCAPNG_VERSION_MAJOR = 1;
const PCAPNG_VERSION_MINOR = 0;
/** if_tsresol 9: nanoseconds. */
const TSRESOL_NS = 9;
/** epb_flags bits 0-1: direction. */
export const DIRECTION = { unknown: 0, inbound: 1, outbound: 2 } as const;
export type Direction = keyof typeof DIRECTION;
/** EPB fixed part: type, length, interface, ts high, ts low, captured, original. */
const EPB_FIXED_BYTES = 28;
/** epb_flags option (4 + 4) and opt_endofopt (4), then the trailing length. */
const EPB_TAIL_BYTES = 8 + 4 + 4;

const TWO16 = 65536, TWO32 = 4294967296, NS_PER_SEC = 1e9;
/**
 * sec * 1e9 + nsec as 32-bit halves, exactly and without BigInt: sec is split
 * in 16-bit halves so every partial product stays below 2^53.
 */
export function nsSplit(sec: number, nsec: number): [number, number] {
  const x = Math.floor(sec / TWO16) * NS_PER_SEC; // times 2^16
  const y = (sec % TWO16) * NS_PER_SEC + nsec;
  const xlo = (x % TWO16) * TWO16;
  let lo = xlo + (y % TWO32);
  let hi = Math.floor(x / TWO16) + Math.floor(y / TWO32);
  if (lo >= TWO32) { lo -= TWO32; hi++; }
  return [hi, lo];
}

const SMALL_COPY = 16;
function copyIn(dst: Uint8Array, at: number, src: Uint8Array, start: number, n: number): void {
  if (n < SMALL_COPY) for (let k = 0; k < n; k++) dst[at + k] = src[start + k]!;
  else dst.set(src.subarray(start, start + n), at);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const pad4 = (n: number): number => (n + 3) & ~3;

/** Output buffered up to this many bytes before it is handed to the writer's sink. */
const CHUNK_BYTES = 1 << 20;

class Grow {
  buf: Uint8Array;
  dv: DataView;
  len = 0;
  constructor(private readonly sink?: (chunk: Uint8Array) => void) {
    this.buf = new Uint8Array(sink ? 2 * CHUNK_BYTES : 1 << 16);
    this.dv = new DataView(this.buf.buffer);
    this.u32 = new Uint32Array(this.buf.buffer);
  }
  /** Word view for 4-aligned little-endian fields (used only on little-endian hosts). */
  u32: Uint32Array;
  ensure(n: number): void {
    if (this.sink && this.len >= CHUNK_BYTES) this.flush();
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b; this.dv = new DataView(b.buffer); this.u32 = new Uint32Array(b.buffer);
  }
  flush(): void {
    if (this.sink && this.len > 0) { this.sink(this.buf.subarray(0, this.len)); this.len = 0; }
  }
  bytes(): Uint8Array { return this.buf.subarray(0, this.len); }
}

/**
 * With a sink, the writer hands over its output in chunks of about 1 MiB (the
 * caller writes them to a file) and bytes() returns only what is left after
 * the last chunk: call end() to flush it instead.
 */
export interface CaptureWriter {
  /** Flushes what is buffered to the sink. */
  end(): void;
  /** Appends a packet (ns timestamp as seconds + nanoseconds) that left or entered interface `iface` (an index into the writer's interfaces). */
  write(sec: number, nsec: number, data: Uint8Array, iface: number, direction: Direction, origLen?: number): void;
  /** write() of src[start, start + n), without a subarray. */
  writeFrom(sec: number, nsec: number, src: Uint8Array, start: number, n: number, iface: number, direction: Direction, origLen: number): void;
  bytes(): Uint8Array;
  readonly packets: number;
}

export interface WriterInterface { name: string; description?: string; linkType?: number }

/** Classic pcap: interfaces are not recorded (every packet goes in one stream). */
export class PcapWriter implements CaptureWriter {
  private readonly g: Grow;
  packets = 0;
  constructor(linkType = LINKTYPE_ETHERNET, snapLength = MAX_SNAPLEN, sink?: (chunk: Uint8Array) => void) {
    this.g = new Grow(sink);
    const { g } = this;
    g.ensure(PCAP_GLOBAL_HEADER_BYTES);
    g.dv.setUint32(0, PCAP_MAGIC_NS, true);
    g.dv.setUint16(4, PCAP_VERSION_MAJOR, true);
    g.dv.setUint16(6, PCAP_VERSION_MINOR, true);
    g.dv.setUint32(16, snapLength, true);
    g.dv.setUint32(20, linkType, true);
    g.len = PCAP_GLOBAL_HEADER_BYTES;
  }
  write(sec: number, nsec: number, data: Uint8Array, iface: number, dir: Direction, origLen = data.length): void {
    this.writeFrom(sec, nsec, data, 0, data.length, iface, dir, origLen);
  }
  writeFrom(sec: number, nsec: number, src: Uint8Array, start: number, n: number, _iface: number, _dir: Direction, origLen: number): void {
    const g = this.g;
    g.ensure(PCAP_RECORD_HEADER_BYTES + n);
    const o = g.len;
    g.dv.setUint32(o, sec, true);
    g.dv.setUint32(o + 4, nsec, true);
    g.dv.setUint32(o + 8, n, true);
    g.dv.setUint32(o + 12, Math.max(origLen, n), true);
    copyIn(g.buf, o + PCAP_RECORD_HEADER_BYTES, src, start, n);
    g.len = o + PCAP_RECORD_HEADER_BYTES + n;
    this.packets++;
  }
  bytes(): Uint8Array { return this.g.bytes(); }
  end(): void { this.g.flush(); }
}

/** pcapng: a section header, one IDB per interface (nanosecond timestamps), then EPBs. */
export class PcapngWriter implements CaptureWriter {
  private readonly g: Grow;
  packets = 0;
  constructor(interfaces: readonly WriterInterface[], snapLength = MAX_SNAPLEN, sink?: (chunk: Uint8Array) => void) {
    const g = this.g = new Grow(sink);
    // SHB: type, length, byte-order magic, version, section length -1, no options
    const shbLen = 28;
    g.ensure(shbLen);
    g.dv.setUint32(0, PCAPNG_SHB, true);
    g.dv.setUint32(4, shbLen, true);
    g.dv.setUint32(8, PCAPNG_BYTE_ORDER_MAGIC, true);
    g.dv.setUint16(12, PCAPNG_VERSION_MAJOR, true);
    g.dv.setUint16(14, PCAPNG_VERSION_MINOR, true);
    g.dv.setInt32(16, -1, true);
    g.dv.setInt32(20, -1, true);
    g.dv.setUint32(24, shbLen, true);
    g.len = shbLen;
    const enc = new TextEncoder();
    for (const i of interfaces) {
      const opts: [number, Uint8Array][] = [[PCAPNG_OPT_IF_NAME, enc.encode(i.name)], [PCAPNG_OPT_IF_TSRESOL, new Uint8Array([TSRESOL_NS])]];
      if (i.description) opts.push([PCAPNG_OPT_IF_DESCRIPTION, enc.encode(i.description)]);
      const optBytes = opts.reduce((n, [, v]) => n + 4 + pad4(v.length), 0) + 4;
      const len = 8 + 8 + optBytes + 4;
      g.ensure(len);
      const o = g.len;
      g.buf.fill(0, o, o + len);
      g.dv.setUint32(o, PCAPNG_IDB, true);
      g.dv.setUint32(o + 4, len, true);
      g.dv.setUint16(o + 8, i.linkType ?? LINKTYPE_ETHERNET, true);
      g.dv.setUint32(o + 12, snapLength, true);
      let p = o + 16;
      for (const [code, v] of opts) {
        g.dv.setUint16(p, code, true); g.dv.setUint16(p + 2, v.length, true);
        g.buf.set(v, p + 4); p += 4 + pad4(v.length);
      }
      g.dv.setUint32(p, PCAPNG_OPT_END, true);
      g.dv.setUint32(o + len - 4, len, true);
      g.len = o + len;
    }
  }
  write(sec: number, nsec: number, data: Uint8Array, iface: number, direction: Direction, origLen = data.length): void {
    this.writeFrom(sec, nsec, data, 0, data.length, iface, direction, origLen);
  }
  writeFrom(sec: number, nsec: number, src: Uint8Array, start: number, n: number, iface: number, direction: Direction, origLen: number): void {
    const g = this.g;
    const len = EPB_FIXED_BYTES + pad4(n) + EPB_TAIL_BYTES;
    g.ensure(len);
    const o = g.len, dv = g.dv;
    const [tsHi, tsLo] = nsSplit(sec, nsec);
    if (LITTLE_ENDIAN_HOST) {
      // pcapng blocks are 4-byte multiples: every field here is word-aligned
      const u = g.u32, w = o >> 2, pad = pad4(n);
      u[w] = PCAPNG_EPB; u[w + 1] = len; u[w + 2] = iface; u[w + 3] = tsHi; u[w + 4] = tsLo; u[w + 5] = n; u[w + 6] = Math.max(origLen, n);
      if (pad !== n) u[w + 7 + (pad >> 2) - 1] = 0;
      copyIn(g.buf, o + EPB_FIXED_BYTES, src, start, n);
      const t = w + 7 + (pad >> 2);
      u[t] = PCAPNG_OPT_EPB_FLAGS | (4 << 16); u[t + 1] = DIRECTION[direction]; u[t + 2] = PCAPNG_OPT_END; u[t + 3] = len;
      g.len = o + len;
      this.packets++;
      return;
    }
    dv.setUint32(o, PCAPNG_EPB, true);
    dv.setUint32(o + 4, len, true);
    dv.setUint32(o + 8, iface, true);
    dv.setUint32(o + 12, tsHi, true);
    dv.setUint32(o + 16, tsLo, true);
    dv.setUint32(o + 20, n, true);
    dv.setUint32(o + 24, Math.max(origLen, n), true);
    copyIn(g.buf, o + EPB_FIXED_BYTES, src, start, n);
    let p = o + EPB_FIXED_BYTES + n;
    const padded = o + EPB_FIXED_BYTES + pad4(n);
    while (p < padded) g.buf[p++] = 0;
    dv.setUint16(p, PCAPNG_OPT_EPB_FLAGS, true); dv.setUint16(p + 2, 4, true);
    dv.setUint32(p + 4, DIRECTION[direction], true);
    dv.setUint32(p + 8, PCAPNG_OPT_END, true);
    dv.setUint32(p + 12, len, true);
    g.len = o + len;
    this.packets++;
  }
  bytes(): Uint8Array { return this.g.bytes(); }
  end(): void { this.g.flush(); }
}
