/** Sample packets for the packet box (hex), built here so the page needs no data files. */

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function checksum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (b[off + i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function ipv4(proto: number, payload: Uint8Array, src = [10, 1, 2, 3], ttl = 64): Uint8Array {
  const p = new Uint8Array(34 + payload.length);
  p.set([0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00]);
  const total = 20 + payload.length;
  p.set([0x45, 0, total >> 8, total & 0xff, 0x12, 0x34, 0x40, 0, ttl, proto, 0, 0], 14);
  p.set(src, 26);
  p.set([10, 9, 8, 7], 30);
  const c = checksum(p, 14, 20);
  p[24] = c >> 8; p[25] = c & 0xff;
  p.set(payload, 34);
  return p;
}

function ports(dst: number, header: number, len: number): Uint8Array {
  const p = new Uint8Array(header + len);
  p.set([0x9c, 0x40, dst >> 8, dst & 0xff]);
  for (let i = header; i < p.length; i++) p[i] = (i * 7) & 0xff;
  return p;
}

function icmpEcho(): Uint8Array {
  const p = new Uint8Array(40);
  p[0] = 8;
  for (let i = 8; i < p.length; i++) p[i] = i;
  return p;
}

export const SAMPLE_PACKETS: readonly { name: string; hex: string }[] = [
  { name: 'ICMP echo request', hex: hex(ipv4(1, icmpEcho())) },
  { name: 'TCP to port 80', hex: hex(ipv4(6, ports(80, 20, 16))) },
  { name: 'TCP to port 23 (telnet)', hex: hex(ipv4(6, ports(23, 20, 16))) },
  { name: 'UDP to port 53, 1000 B payload', hex: hex(ipv4(17, ports(53, 8, 1000))) },
  { name: 'TCP from 192.0.2.7', hex: hex(ipv4(6, ports(80, 20, 16), [192, 0, 2, 7])) },
  { name: 'ARP', hex: '00112233445566778899aabb08060001080006040001' + '00'.repeat(20) },
];
