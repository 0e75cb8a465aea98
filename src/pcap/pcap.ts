/**
 * Reading pcap and pcapng captures and writing pcap. Bad input (truncated
 * files, wrong magic, records larger than the snapshot length) raises a
 * PcapError naming the record index and byte offset; records read before the
 * error stay available through `readCapture(..., { onError: 'stop' })`.
 */
import { EbpfError } from '../diagnostics/index.js';
import {
  LINKTYPE_ETHERNET, MAX_SNAPLEN, PCAPNG_BYTE_ORDER_MAGIC, PCAPNG_EPB, PCAPNG_IDB, PCAPNG_MIN_BLOCK_BYTES,
  PCAPNG_OPT_END, PCAPNG_OPT_IF_TSRESOL, PCAPNG_PB, PCAPNG_SHB, PCAPNG_SPB, PCAP_GLOBAL_HEADER_BYTES,
  PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_RECORD_HEADER_BYTES, PCAP_VERSION_MAJOR, PCAP_VERSION_MINOR,
} from './constants.js';

export class PcapError extends EbpfError {
  readonly record: number;
  readonly offset: number;
  constructor(record: number, offset: number, message: string) {
    super('BadCapture', `pcap record ${record} at byte offset ${offset}: ${message}`);
    this.name = 'PcapError';
    this.record = record;
    this.offset = offset;
  }
}

export interface CapturedPacket {
  /** Capture timestamp, nanoseconds since the epoch. */
  timestampNs: bigint;
  data: Uint8Array;
  /** Length on the wire (may exceed data.length when the capture truncated it). */
  originalLength: number;
  /** Interface index within the capture (pcapng), 0 for pcap. */
  interfaceId: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  linkType: number;
  snapLength: number;
  packets: CapturedPacket[];
  /** Set when reading stopped at bad input (onError: 'stop'). */
  error?: PcapError;
}

export interface ReadOptions {
  /** 'throw' (default) raises at the first bad record; 'stop' keeps the records before it. */
  onError?: 'throw' | 'stop';
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function readCapture(bytes: Uint8Array, opts: ReadOptions = {}): Capture {
  if (bytes.length < 4) throw new PcapError(0, 0, `file of ${bytes.length} bytes is too short for a capture header`);
  const magic = view(bytes).getUint32(0, true);
  if (magic === PCAPNG_SHB) return readPcapng(bytes, opts);
  return readPcap(bytes, opts);
}

function readPcap(bytes: Uint8Array, opts: ReadOptions): Capture {
  const dv = view(bytes);
  if (bytes.length < PCAP_GLOBAL_HEADER_BYTES) {
    throw new PcapError(0, 0, `truncated global header (${bytes.length} of ${PCAP_GLOBAL_HEADER_BYTES} bytes)`);
  }
  const m = dv.getUint32(0, true);
  let le: boolean, nano: boolean;
  if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS) { le = true; nano = m === PCAP_MAGIC_NS; }
  else {
    const b = dv.getUint32(0, false);
    if (b !== PCAP_MAGIC_US && b !== PCAP_MAGIC_NS) {
      throw new PcapError(0, 0, `wrong magic 0x${m.toString(16).padStart(8, '0')}: not a pcap or pcapng file`);
    }
    le = false; nano = b === PCAP_MAGIC_NS;
  }
  const snapLength = dv.getUint32(16, le);
  const linkType = dv.getUint32(20, le) & 0x0fffffff;
  if (snapLength === 0 || snapLength > MAX_SNAPLEN) {
    throw new PcapError(0, 16, `snapshot length ${snapLength} is outside 1..${MAX_SNAPLEN}`);
  }
  const capture: Capture = { format: 'pcap', linkType, snapLength, packets: [] };
  let off = PCAP_GLOBAL_HEADER_BYTES;
  for (let index = 0; off < bytes.length; index++) {
    try {
      if (off + PCAP_RECORD_HEADER_BYTES > bytes.length) {
        throw new PcapError(index, off, `truncated record header (${bytes.length - off} of ${PCAP_RECORD_HEADER_BYTES} bytes)`);
      }
      const sec = dv.getUint32(off, le), frac = dv.getUint32(off + 4, le);
      const incl = dv.getUint32(off + 8, le), orig = dv.getUint32(off + 12, le);
      if (incl > snapLength) throw new PcapError(index, off, `captured length ${incl} exceeds the snapshot length ${snapLength}`);
      if (!nano && frac >= 1_000_000) throw new PcapError(index, off, `microseconds field ${frac} is out of range`);
      const start = off + PCAP_RECORD_HEADER_BYTES;
      if (start + incl > bytes.length) {
        throw new PcapError(index, off, `truncated packet data (${bytes.length - start} of ${incl} bytes)`);
      }
      capture.packets.push({
        timestampNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n),
        data: bytes.slice(start, start + incl), originalLength: orig, interfaceId: 0,
      });
      off = start + incl;
    } catch (e) {
      if (opts.onError === 'stop' && e instanceof PcapError) { capture.error = e; break; }
      throw e;
    }
  }
  return capture;
}

interface PcapngInterface { linkType: number; snapLength: number; tsUnitsPerSecond: bigint }

function readPcapng(bytes: Uint8Array, opts: ReadOptions): Capture {
  const dv = view(bytes);
  let le = true;
  const interfaces: PcapngInterface[] = [];
  const capture: Capture = { format: 'pcapng', linkType: LINKTYPE_ETHERNET, snapLength: 0, packets: [] };
  let off = 0;
  for (let index = 0; off < bytes.length; index++) {
    try {
      if (off + PCAPNG_MIN_BLOCK_BYTES > bytes.length) throw new PcapError(index, off, 'truncated block header');
      const type = dv.getUint32(off, le);
      if (type === PCAPNG_SHB) {
        const bom = dv.getUint32(off + 8, true);
        if (bom === PCAPNG_BYTE_ORDER_MAGIC) le = true;
        else if (dv.getUint32(off + 8, false) === PCAPNG_BYTE_ORDER_MAGIC) le = false;
        else throw new PcapError(index, off + 8, `bad byte-order magic 0x${bom.toString(16)}`);
        interfaces.length = 0; // a new section starts a new interface list
      }
      const len = dv.getUint32(off + 4, le);
      if (len < PCAPNG_MIN_BLOCK_BYTES || len % 4 !== 0) throw new PcapError(index, off, `bad block length ${len}`);
      if (off + len > bytes.length) throw new PcapError(index, off, `truncated block (${bytes.length - off} of ${len} bytes)`);
      if (dv.getUint32(off + len - 4, le) !== len) throw new PcapError(index, off, 'trailing block length does not match');
      const body = off + 8, bodyEnd = off + len - 4;
      if (type === PCAPNG_IDB) {
        if (bodyEnd - body < 8) throw new PcapError(index, off, 'truncated interface description');
        const linkType = dv.getUint16(body, le);
        const snapLength = dv.getUint32(body + 4, le);
        let tsUnitsPerSecond = 1_000_000n;
        for (let o = body + 8; o + 4 <= bodyEnd;) {
          const code = dv.getUint16(o, le), olen = dv.getUint16(o + 2, le);
          if (code === PCAPNG_OPT_END) break;
          if (o + 4 + olen > bodyEnd) throw new PcapError(index, o, 'option runs past its block');
          if (code === PCAPNG_OPT_IF_TSRESOL && olen >= 1) {
            const r = bytes[o + 4]!;
            tsUnitsPerSecond = r & 0x80 ? 1n << BigInt(r & 0x7f) : 10n ** BigInt(r & 0x7f);
          }
          o += 4 + Math.ceil(olen / 4) * 4;
        }
        interfaces.push({ linkType, snapLength, tsUnitsPerSecond });
        if (interfaces.length === 1) { capture.linkType = linkType; capture.snapLength = snapLength; }
      } else if (type === PCAPNG_EPB || type === PCAPNG_PB) {
        if (bodyEnd - body < 20) throw new PcapError(index, off, 'truncated packet block');
        const ifId = type === PCAPNG_EPB ? dv.getUint32(body, le) : dv.getUint16(body, le);
        const iface = interfaces[ifId];
        if (!iface) throw new PcapError(index, off, `packet names interface ${ifId}, which was not described`);
        const ts = (BigInt(dv.getUint32(body + 4, le)) << 32n) | BigInt(dv.getUint32(body + 8, le));
        const capLen = dv.getUint32(body + 12, le), orig = dv.getUint32(body + 16, le);
        if (iface.snapLength !== 0 && capLen > iface.snapLength) {
          throw new PcapError(index, off, `captured length ${capLen} exceeds the snapshot length ${iface.snapLength}`);
        }
        if (capLen > MAX_SNAPLEN) throw new PcapError(index, off, `captured length ${capLen} exceeds ${MAX_SNAPLEN}`);
        if (body + 20 + capLen > bodyEnd) throw new PcapError(index, off, `packet data runs past its block`);
        capture.packets.push({
          timestampNs: (ts * 1_000_000_000n) / iface.tsUnitsPerSecond,
          data: bytes.slice(body + 20, body + 20 + capLen), originalLength: orig, interfaceId: ifId,
        });
      } else if (type === PCAPNG_SPB) {
        const iface = interfaces[0];
        if (!iface) throw new PcapError(index, off, 'simple packet block before any interface');
        const orig = dv.getUint32(body, le);
        const capLen = Math.min(orig, bodyEnd - body - 4, iface.snapLength || orig);
        capture.packets.push({ timestampNs: 0n, data: bytes.slice(body + 4, body + 4 + capLen), originalLength: orig, interfaceId: 0 });
      } else if (index === 0 && type !== PCAPNG_SHB) {
        throw new PcapError(index, off, 'pcapng file does not start with a section header');
      }
      off += len;
    } catch (e) {
      if (opts.onError === 'stop' && e instanceof PcapError) { capture.error = e; break; }
      throw e;
    }
  }
  return capture;
}

export interface WritePacket { timestampNs: bigint; data: Uint8Array; originalLength?: number }

/** Classic pcap with nanosecond timestamps (tcpdump and tshark read it). */
export function writePcap(packets: readonly WritePacket[], linkType = LINKTYPE_ETHERNET, snapLength = MAX_SNAPLEN): Uint8Array {
  let size = PCAP_GLOBAL_HEADER_BYTES;
  for (const p of packets) size += PCAP_RECORD_HEADER_BYTES + p.data.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PCAP_MAGIC_NS, true);
  dv.setUint16(4, PCAP_VERSION_MAJOR, true);
  dv.setUint16(6, PCAP_VERSION_MINOR, true);
  dv.setUint32(16, snapLength, true);
  dv.setUint32(20, linkType, true);
  let off = PCAP_GLOBAL_HEADER_BYTES;
  for (const p of packets) {
    dv.setUint32(off, Number(p.timestampNs / 1_000_000_000n), true);
    dv.setUint32(off + 4, Number(p.timestampNs % 1_000_000_000n), true);
    dv.setUint32(off + 8, p.data.length, true);
    dv.setUint32(off + 12, p.originalLength ?? p.data.length, true);
    out.set(p.data, off + PCAP_RECORD_HEADER_BYTES);
    off += PCAP_RECORD_HEADER_BYTES + p.data.length;
  }
  return out;
}
