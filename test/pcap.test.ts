import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCapture, writePcap, PcapError } from '../src/pcap/pcap.js';

const packets = [
  { timestampNs: 1_700_000_000_123_456_789n, data: new Uint8Array([1, 2, 3, 4, 5]) },
  { timestampNs: 1_700_000_001_000_000_000n, data: new Uint8Array(60).fill(0xab) },
  { timestampNs: 1_700_000_002_000_000_001n, data: new Uint8Array(0) },
];

function pcapError(bytes: Uint8Array): PcapError {
  try { readCapture(bytes); } catch (e) { if (e instanceof PcapError) return e; throw e; }
  throw new Error('expected a PcapError');
}

test('pcap round trip keeps data and nanosecond timestamps', () => {
  const cap = readCapture(writePcap(packets));
  assert.is(cap.format, 'pcap');
  assert.is(cap.packets.length, 3);
  cap.packets.forEach((p, i) => {
    assert.equal(p.data, packets[i]!.data);
    assert.is(p.timestampNs, packets[i]!.timestampNs);
  });
});

test('big-endian microsecond pcap is read', () => {
  const b = new Uint8Array(24 + 16 + 2);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 0xa1b2c3d4, false); dv.setUint16(4, 2, false); dv.setUint16(6, 4, false);
  dv.setUint32(16, 65535, false); dv.setUint32(20, 1, false);
  dv.setUint32(24, 10, false); dv.setUint32(28, 5, false); dv.setUint32(32, 2, false); dv.setUint32(36, 2, false);
  b[40] = 0xaa; b[41] = 0xbb;
  const cap = readCapture(b);
  assert.is(cap.packets[0]!.timestampNs, 10_000_005_000n);
  assert.equal([...cap.packets[0]!.data], [0xaa, 0xbb]);
});

test('every truncation names a record and offset; earlier records are kept with onError stop', () => {
  const full = writePcap(packets);
  const boundaries = new Set([24, 24 + 16 + 5, 24 + 16 + 5 + 16 + 60, full.length]);
  for (let n = 0; n < full.length; n++) {
    const cut = full.slice(0, n);
    if (boundaries.has(n)) { readCapture(cut); continue; }
    const e = pcapError(cut);
    assert.ok(e.offset <= n, `offset ${e.offset} at cut ${n}`);
    if (n < 24) continue; // no global header: nothing to keep
    const partial = readCapture(cut, { onError: 'stop' });
    assert.ok(partial.error);
    assert.is(partial.packets.length, e.record);
  }
});

test('wrong magic and oversize records', () => {
  const bad = writePcap(packets); bad[0] = 0x00;
  assert.match(pcapError(bad).message, /wrong magic/);
  const big = writePcap(packets, 1, 10);
  const e = pcapError(big);
  assert.is(e.record, 1); assert.is(e.offset, 24 + 16 + 5);
  assert.match(e.message, /exceeds the snapshot length 10/);
  const hugeSnap = writePcap(packets); new DataView(hugeSnap.buffer).setUint32(16, 0x7fffffff, true);
  assert.match(pcapError(hugeSnap).message, /snapshot length/);
});

function pcapng(): Uint8Array {
  const blocks: number[][] = [];
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const u16 = (v: number) => [v & 0xff, v >>> 8];
  const block = (type: number, body: number[]) => { const len = 12 + body.length; blocks.push([...u32(type), ...u32(len), ...body, ...u32(len)]); };
  block(0x0a0d0d0a, [...u32(0x1a2b3c4d), ...u16(1), ...u16(0), ...u32(0xffffffff), ...u32(0xffffffff)]);
  block(1, [...u16(1), ...u16(0), ...u32(0), ...u16(9), ...u16(1), 9, 0, 0, 0, ...u16(0), ...u16(0)]); // ns resolution
  const ts = 1_700_000_000_000_000_123n;
  block(6, [...u32(0), ...u32(Number(ts >> 32n)), ...u32(Number(ts & 0xffffffffn)), ...u32(3), ...u32(3), 7, 8, 9, 0]);
  return new Uint8Array(blocks.flat());
}

test('pcapng: section, interface with if_tsresol, enhanced packet', () => {
  const cap = readCapture(pcapng());
  assert.is(cap.format, 'pcapng');
  assert.is(cap.packets.length, 1);
  assert.equal([...cap.packets[0]!.data], [7, 8, 9]);
  assert.is(cap.packets[0]!.timestampNs, 1_700_000_000_000_000_123n);
  const full = pcapng();
  for (let n = 1; n < full.length; n++) {
    if (n === 28 || n === 28 + 32) continue; // block boundaries
    try { readCapture(full.slice(0, n)); assert.unreachable(`cut ${n} accepted`); } catch (e) { assert.instance(e, PcapError); }
  }
});

test.run();
