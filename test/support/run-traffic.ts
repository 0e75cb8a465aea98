/**
 * Seeded synthetic traffic for the `run` tests: Ethernet frames (IPv4
 * TCP/UDP over a few thousand flows, some 802.1Q-tagged, IPv6 UDP, ARP) with
 * ascending nanosecond timestamps, written as a pcap. The same seed gives
 * the same bytes.
 */
import { PcapWriter } from '../../src/pcap/writer.js';

const ETH_P_IP = 0x0800, ETH_P_IPV6 = 0x86dd, ETH_P_ARP = 0x0806, ETH_P_8021Q = 0x8100;
const FLOWS = 3000;
const START_SEC = 1_700_000_000;
const GAP_NS = 1000;

export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function generateCapture(count: number, seed: number): Uint8Array {
  const rnd = mulberry32(seed);
  const w = new PcapWriter();
  const f = new Uint8Array(200);
  const be16 = (at: number, v: number): void => { f[at] = v >> 8; f[at + 1] = v & 0xff; };
  for (let i = 0; i < count; i++) {
    f.fill(0);
    f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]);
    const kind = rnd() % 100;
    const payload = rnd() % 64;
    let len: number;
    if (kind < 85) {
      const flow = rnd() % FLOWS;
      let p = 12;
      if (kind >= 80) { be16(p, ETH_P_8021Q); be16(p + 2, flow % 4094 + 1); p += 4; }
      be16(p, ETH_P_IP);
      const ip = p + 2;
      const udp = flow % 3 === 0;
      const l4len = (udp ? 8 : 20) + payload;
      f[ip] = 0x45; be16(ip + 2, 20 + l4len); f[ip + 8] = 64; f[ip + 9] = udp ? 17 : 6;
      f.set([10, (flow >> 8) & 0xff, flow & 0xff, 1], ip + 12);
      f.set([192, 168, flow % 7, 10], ip + 16);
      be16(ip + 20, 1024 + (flow % 50000)); be16(ip + 22, udp ? 53 : 80 + (flow % 3));
      len = ip + 20 + l4len;
    } else if (kind < 95) {
      be16(12, ETH_P_IPV6);
      const ip = 14;
      f[ip] = 0x60; be16(ip + 4, 8 + payload); f[ip + 6] = 17; f[ip + 7] = 64;
      f[ip + 8] = 0xfd; f[ip + 23] = rnd() % 200; f[ip + 24] = 0xfd; f[ip + 39] = 1;
      be16(ip + 40, 5000 + (rnd() % 100)); be16(ip + 42, 443);
      len = ip + 48 + payload;
    } else {
      be16(12, ETH_P_ARP);
      len = 42;
    }
    w.write(START_SEC + Math.floor((i * GAP_NS) / 1e9), (i * GAP_NS) % 1e9, f.subarray(0, Math.max(60, len)), 0, 'inbound');
  }
  return w.bytes();
}
