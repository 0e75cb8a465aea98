/**
 * A capture as a packet table: offsets into the file's bytes and timestamps
 * in typed arrays, no per-packet objects or copies. This is what `run` reads
 * (a million packets cost a few typed arrays, and the file's bytes can live in
 * a SharedArrayBuffer that worker threads read in place). Bad input stops the
 * scan with a PcapError naming the record index and byte offset; the packets
 * before it stay in the table.
 */
import {
  MAX_SNAPLEN, PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_MIN_BLOCK_BYTES, PCAPNG_OPT_END,
  PCAPNG_OPT_IF_TSRESOL, PCAPNG_PB, PCAPNG_SHB, PCAPNG_SPB, PCAP_GLOBAL_HEADER_BYTES, PCAP_MAGIC_NS, PCAP_MAGIC_US,
  PCAP_RECORD_HEADER_BYTES, LINKTYPE_ETHERNET,
} from './constants.js';
import { PcapError } from './pcap.js';

const NS_PER_SEC = 1_000_000_000;
const NS_PER_US = 1000;
const US_PER_SEC = 1_000_000;
/** Smallest record a table is sized for before it grows (header + an empty frame). */
const MIN_RECORD_GUESS = 64;

export interface PacketTable {
  format: 'pcap' | 'pcapng';
  linkType: number;
  snapLength: number;
  /** The file: packet i is bytes[dataOff[i], dataOff[i] + capLen[i]). */
  bytes: Uint8Array;
  count: number;
  dataOff: Int32Array;
  capLen: Int32Array;
  origLen: Int32Array;
  /** Timestamp: whole seconds and the nanoseconds within the second. */
  tsSec: Float64Array;
  tsNsec: Int32Array;
  /** Set when the scan stopped at bad input: the packets before it are in the table. */
  error?: PcapError;
}

export function timestampNs(t: PacketTable, i: number): bigint {
  return BigInt(t.tsSec[i]!) * BigInt(NS_PER_SEC) + BigInt(t.tsNsec[i]!);
}

class TableBuilder {
  count = 0;
  dataOff: Int32Array; capLen: Int32Array; origLen: Int32Array; tsSec: Float64Array; tsNsec: Int32Array;
  constructor(guess: number) {
    const n = Math.max(16, guess);
    this.dataOff = new Int32Array(n); this.capLen = new Int32Array(n); this.origLen = new Int32Array(n);
    this.tsSec = new Float64Array(n); this.tsNsec = new Int32Array(n);
  }
  push(off: number, cap: number, orig: number, sec: number, nsec: number): void {
    if (this.count === this.dataOff.length) this.grow();
    const i = this.count++;
    this.dataOff[i] = off; this.capLen[i] = cap; this.origLen[i] = orig; this.tsSec[i] = sec; this.tsNsec[i] = nsec;
  }
  private grow(): void {
    const n = this.dataOff.length * 2;
    const g = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => { const b = make(n); b.set(a); return b; };
    this.dataOff = g(this.dataOff, (k) => new Int32Array(k)); this.capLen = g(this.capLen, (k) => new Int32Array(k));
    this.origLen = g(this.origLen, (k) => new Int32Array(k)); this.tsSec = g(this.tsSec, (k) => new Float64Array(k));
    this.tsNsec = g(this.tsNsec, (k) => new Int32Array(k));
  }
  finish(base: Omit<PacketTable, 'count' | 'dataOff' | 'capLen' | 'origLen' | 'tsSec' | 'tsNsec'>): PacketTable {
    const n = this.count;
    return {
      ...base, count: n, dataOff: this.dataOff.subarray(0, n), capLen: this.capLen.subarray(0, n),
      origLen: this.origLen.subarray(0, n), tsSec: this.tsSec.subarray(0, n), tsNsec: this.tsNsec.subarray(0, n),
    };
  }
}

/**
 * Scans a pcap or pcapng file. A bad file header throws (there is nothing to
 * keep); a bad record ends the table there with `error` set.
 */
export function scanCapture(bytes: Uint8Array): PacketTable {
  if (bytes.length < 4) throw new PcapError(0, 0, `file of ${bytes.length} bytes is too short for a capture header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return dv.getUint32(0, true) === PCAPNG_SHB ? scanPcapng(bytes, dv) : scanPcap(bytes, dv);
}

function scanPcap(bytes: Uint8Array, dv: DataView): PacketTable {
  if (bytes.length < PCAP_GLOBAL_HEADER_BYTES) {
    throw new PcapError(0, 0, `truncated global header (${bytes.length} of ${PCAP_GLOBAL_HEADER_BYTES} bytes)`);
  }
  const m = dv.getUint32(0, true);
  let le: boolean, nano: boolean;
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) { le = true; nano = m === PCAP_MAGIC_NS; }
  else {
    const b = dv.getUint32(0, false);
    if (b !== PCAP_MAGIC_US && b !== PCAP_MAGIC_NS) throw new PcapError(0, 0, `wrong magic 0x${m.toString(16).padStart(8, '0')}: not a pcap or pcapng file`);
    le = false; nano = b === PCAP_MAGIC_NS;
  }
  const snapLength = dv.getUint32(16, le);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  if (snapLength === 0 || snapLength > MAX_SNAPLEN) throw new PcapError(0, 16, `snapshot length ${snapLength} is outside 1..${MAX_SNAPLEN}`);
  const tb = new TableBuilder(Math.ceil(bytes.length / MIN_RECORD_GUESS));
  const n = bytes.length;
  let off = PCAP_GLOBAL_HEADER_BYTES;
  let error: PcapError | undefined;
  for (let index = 0; off < n; index++) {
    if (off + PCAP_RECORD_HEADER_BYTES > n) { error = new PcapError(index, off, `truncated record header (${n - off} of ${PCAP_RECORD_HEADER_BYTES} bytes)`); break; }
    const sec = dv.getUint32(off, le), frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le), orig = dv.getUint32(off + 12, le);
    if (incl > snapLength) { error = new PcapError(index, off, `captured length ${incl} exceeds the snapshot length ${snapLength}`); break; }
    if (nano ? frac >= NS_PER_SEC : frac >= US_PER_SEC) { error = new PcapError(index, off, `${nano ? 'nano' : 'micro'}seconds field ${frac} is out of range`); break; }
    const start = off + PCAP_RECORD_HEADER_BYTES;
    if (start + incl > n) { error = new PcapError(index, off, `truncated packet data (${n - start} of ${incl} bytes)`); break; }
    tb.push(start, incl, orig, sec, nano ? frac : frac * NS_PER_US);
    off = start + incl;
  }
  return tb.finish({ format: 'pcap', linkType, snapLength, bytes, ...(error ? { error } : {}) });
}

interface Iface { linkType: number; snapLength: number; unitsPerSec: bigint }

function scanPcapng(bytes: Uint8Array, dv: DataView): PacketTable {
  const tb = new TableBuilder(Math.ceil(bytes.length / MIN_RECORD_GUESS));
  const ifaces: Iface[] = [];
  let le = true, off = 0, linkType = LINKTYPE_ETHERNET, snapLength = 0;
  let error: PcapError | undefined;
  const n = bytes.length;
  const bad = (index: number, at: number, why: string): PcapError => new PcapError(index, at, why);
  for (let index = 0; off < n && !error; index++) {
    if (off + PCAPNG_MIN_BLOCK_BYTES > n) { error = bad(index, off, 'truncated block header'); break; }
    const type = dv.getUint32(off, le);
    if (index === 0 && type !== PCAPNG_SHB) { error = bad(index, off, 'pcapng file does not start with a section header'); break; }
    if (type === PCAPNG_SHB) {
      if (dv.getUint32(off + 8, true) === PCAPNG_BYTE_ORDER_MAGIC) le = true;
      else if (dv.getUint32(off + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
      else { error = bad(index, off + 8, `bad byte-order magic 0x${dv.getUint32(off + 8, true).toString(16)}`); break; }
      ifaces.length = 0;
    }
    const len = dv.getUint32(off + 4, le);
    if (len < PCAPNG_MIN_BLOCK_BYTES || len % 4 !== 0) { error = bad(index, off, `bad block length ${len}`); break; }
    if (off + len > n) { error = bad(index, off, `truncated block (${n - off} of ${len} bytes)`); break; }
    if (dv.getUint32(off + len - 4, le) !== len) { error = bad(index, off, 'trailing block length does not match'); break; }
    const body = off + 8, bodyEnd = off + len - 4;
    if (type === PCAPNG_IDB) {
      if (bodyEnd - body < 8) { error = bad(index, off, 'truncated interface description'); break; }
      const lt = dv.getUint16(body, le), snap = dv.getUint32(body + 4, le);
      let unitsPerSec = 1_000_000n;
      for (let o = body + 8; o + 4 <= bodyEnd;) {
        const code = dv.getUint16(o, le), olen = dv.getUint16(o + 2, le);
        if (code === PCAPNG_OPT_END) break;
        if (o + 4 + olen > bodyEnd) { error = bad(index, o, 'option runs past its block'); break; }
        if (code === PCAPNG_OPT_IF_TSRESOL && olen >= 1) {
          const r = bytes[o + 4]!;
          unitsPerSec = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r & 0x7f);
        }
        o += 4 + Math.ceil(olen / 4) * 4;
      }
      if (error) break;
      ifaces.push({ linkType: lt, snapLength: snap, unitsPerSec });
      if (ifaces.length === 1) { linkType = lt; snapLength = snap; }
    } else if (type === PCAPNG_EPB || type === PCAPNG_PB) {
      if (bodyEnd - body < 20) { error = bad(index, off, 'truncated packet block'); break; }
      const ifId = type === PCAPNG_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le);
      const iface = ifaces[ifId];
      if (!iface) { error = bad(index, off, `packet names interface ${ifId}, which was not described`); break; }
      const capLen = dv.getUint32(body + 12, le), orig = dv.getUint32(body + 16, le);
      if (iface.snapLength !== 0 && capLen > iface.snapLength) { error = bad(index, off, `captured length ${capLen} exceeds the snapshot length ${iface.snapLength}`); break; }
      if (capLen > MAX_SNAPLEN) { error = bad(index, off, `captured length ${capLen} exceeds ${MAX_SNAPLEN}`); break; }
      if (body + 20 + capLen > bodyEnd) { error = bad(index, off, 'packet data runs past its block'); break; }
      const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
      const sec = ts / iface.unitsPerSec;
      const nsec = ((ts % iface.unitsPerSec) * BigInt(NS_PER_SEC)) / iface.unitsPerSec;
      tb.push(body + 20, capLen, orig, Number(sec), Number(nsec));
    } else if (type === PCAPNG_SPB) {
      const iface = ifaces[0];
      if (!iface) { error = bad(index, off, 'simple packet block before any interface'); break; }
      const orig = dv.getUint32(body, le);
      const capLen = Math.min(orig, bodyEnd - body - 4, iface.snapLength || orig);
      tb.push(body + 4, capLen, orig, 0, 0);
    }
    off += len;
  }
  return tb.finish({ format: 'pcapng', linkType, snapLength, bytes, ...(error ? { error } : {}) });
}
