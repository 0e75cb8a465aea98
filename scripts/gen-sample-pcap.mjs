#!/usr/bin/env node
// Writes examples/sample.pcap: a deterministic capture of a few hundred
// Ethernet frames that exercises every bundled example — IPv4/IPv6, TCP
// sessions (80, 443, 22, 8080, handshakes, FIN, RST), UDP (DNS, other
// ports, a fragmented datagram), ICMP/ICMPv6, ARP, 802.1Q-tagged frames,
// IPv4 with options, sources from the firewall's blocklisted prefixes and
// flows to the load balancer's VIPs. Checksums (IPv4, TCP, UDP, ICMP,
// ICMPv6) are correct; timestamps ascend (nanosecond pcap).
//
//   npm run build && node scripts/gen-sample-pcap.mjs [OUT]
//
// The same seed always gives the same bytes: the kernel expectations in
// test/fixtures/kernel/ are computed from this file.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { writePcap } from '../dist/src/pcap/pcap.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../examples/sample.pcap', import.meta.url));

// ---------------------------------------------------------------- PRNG
let seed = 0x5eed1234;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const randInt = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = (a) => a[Math.floor(rand() * a.length)];
const randBytes = (n) => Uint8Array.from({ length: n }, () => randInt(0, 255));

// ---------------------------------------------------------------- bytes
const ascii = (s) => new TextEncoder().encode(s);
function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const o = new Uint8Array(n);
  let off = 0;
  for (const p of parts) { o.set(p, off); off += p.length; }
  return o;
}
const u16 = (v) => Uint8Array.of((v >>> 8) & 255, v & 255);
const u32 = (v) => Uint8Array.of((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
const mac = (s) => Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
const ip4 = (s) => Uint8Array.from(s.split('.').map(Number));
function ip6(s) {
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [], t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return concat(...groups.map((g) => u16(parseInt(g, 16))));
}

function csum(...parts) { // RFC 1071 over the concatenation
  const b = concat(...parts);
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += (b[i] << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
function putCsum(buf, off, parts) { const c = csum(...parts); buf[off] = c >>> 8; buf[off + 1] = c & 255; }

// ---------------------------------------------------------------- layers
const ETH_IP = 0x0800, ETH_ARP = 0x0806, ETH_IP6 = 0x86dd, ETH_VLAN = 0x8100;

function ether(dst, src, type, payload, { vlan, padTo60 = false } = {}) {
  let f = vlan !== undefined
    ? concat(mac(dst), mac(src), u16(ETH_VLAN), u16(vlan), u16(type), payload)
    : concat(mac(dst), mac(src), u16(type), payload);
  if (padTo60 && f.length < 60) f = concat(f, new Uint8Array(60 - f.length));
  return f;
}

const ipIds = new Map();
function ipv4(src, dst, proto, payload, { ttl = 64, tos = 0, df = true, id, options, fragOff = 0, mf = false } = {}) {
  const opt = options ?? new Uint8Array(0);
  const ihl = 5 + opt.length / 4;
  if (id === undefined) { id = ipIds.get(src) ?? (0x1000 + randInt(0, 0x7000)); ipIds.set(src, (id + 1) & 0xffff); }
  const flags = (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (fragOff >>> 3);
  const h = concat(Uint8Array.of(0x40 | ihl, tos), u16(ihl * 4 + payload.length), u16(id), u16(flags),
    Uint8Array.of(ttl, proto), u16(0), ip4(src), ip4(dst), opt);
  putCsum(h, 10, [h]);
  return concat(h, payload);
}

function ipv6(src, dst, next, payload, { hop = 64 } = {}) {
  return concat(u32(0x60000000), u16(payload.length), Uint8Array.of(next, hop), ip6(src), ip6(dst), payload);
}

function pseudo4(src, dst, proto, len) { return concat(ip4(src), ip4(dst), Uint8Array.of(0, proto), u16(len)); }
function pseudo6(src, dst, next, len) { return concat(ip6(src), ip6(dst), u32(len), Uint8Array.of(0, 0, 0, next)); }

const TCP_FIN = 1, TCP_SYN = 2, TCP_RST = 4, TCP_PSH = 8, TCP_ACK = 16;
function tcp(sport, dport, seq, ack, flags, payload, pseudo, { options = new Uint8Array(0), win = 64240 } = {}) {
  const doff = 5 + options.length / 4;
  const h = concat(u16(sport), u16(dport), u32(seq), u32(ack), Uint8Array.of(doff << 4, flags), u16(win), u16(0), u16(0), options);
  const seg = concat(h, payload);
  putCsum(seg, 16, [pseudo(seg.length), seg]);
  return seg;
}
function udp(sport, dport, payload, pseudo) {
  const seg = concat(u16(sport), u16(dport), u16(8 + payload.length), u16(0), payload);
  let c = csum(pseudo(seg.length), seg);
  if (c === 0) c = 0xffff;
  seg[6] = c >>> 8; seg[7] = c & 255;
  return seg;
}
function icmp4(type, code, id, seq, payload) {
  const m = concat(Uint8Array.of(type, code), u16(0), u16(id), u16(seq), payload);
  putCsum(m, 2, [m]);
  return m;
}
function icmp6(type, code, body, pseudo) {
  const m = concat(Uint8Array.of(type, code), u16(0), body);
  putCsum(m, 2, [pseudo(m.length), m]);
  return m;
}
const synOptions = () => concat(Uint8Array.of(2, 4, 0x05, 0xb4, 4, 2, 8, 10), u32(randInt(1, 0x7fffffff)), u32(0), Uint8Array.of(1, 3, 3, 7));

function dnsQuery(id, name, type = 1) {
  const labels = concat(...name.split('.').map((l) => concat(Uint8Array.of(l.length), ascii(l))), Uint8Array.of(0));
  return concat(u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), labels, u16(type), u16(1));
}
function dnsAnswer(query, addr) {
  const a = query.slice();
  a[2] = 0x81; a[3] = 0x80; a[7] = 1; // response, RA; ANCOUNT 1
  return concat(a, u16(0xc00c), u16(1), u16(1), u32(300), u16(4), ip4(addr));
}

// ---------------------------------------------------------------- network
const GW = '02:00:00:00:00:fe';
const clientMac = (i) => `02:00:00:00:0c:${i.toString(16).padStart(2, '0')}`;
const serverMac = (ip) => `02:00:00:00:5e:${Number(ip.split('.')[3]).toString(16).padStart(2, '0')}`;
const WEB = '10.0.0.10', DNS = '10.0.0.53', SSH = '10.0.0.22', ALT = '10.0.0.80';
const VIP_TCP = '10.0.0.100', VIP_DNS = '10.0.0.101';
const BLOCKED = ['198.51.100.7', '198.51.100.200', '203.0.113.130', '203.0.113.250', '192.0.2.7'];
const NEAR_MISS = ['198.51.101.1', '203.0.113.5', '192.0.2.8']; // just outside the blocklisted prefixes

// A conversation is a list of frames that must stay in order.
const convs = [];
const conv = (frames) => convs.push(frames);

function tcpSession({ cli, cliMac, srv, srvMac, dport, req, resp, ttl = 64, tos = 0, vlan, v6 = false, full = true }) {
  const sport = randInt(32768, 60999);
  let cs = randInt(1, 0x7fffffff) >>> 0, ss = randInt(1, 0x7fffffff) >>> 0;
  const frames = [];
  const c2s = (flags, payload = new Uint8Array(0), options) => {
    const seg = tcp(sport, dport, cs, flags & TCP_ACK ? ss : 0, flags, payload,
      (l) => (v6 ? pseudo6(cli, srv, 6, l) : pseudo4(cli, srv, 6, l)), { options });
    cs = (cs + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
    frames.push(ether(srvMac, cliMac, v6 ? ETH_IP6 : ETH_IP, v6 ? ipv6(cli, srv, 6, seg) : ipv4(cli, srv, 6, seg, { ttl, tos }), { vlan }));
  };
  const s2c = (flags, payload = new Uint8Array(0), options) => {
    const seg = tcp(dport, sport, ss, cs, flags, payload,
      (l) => (v6 ? pseudo6(srv, cli, 6, l) : pseudo4(srv, cli, 6, l)), { options, win: 65160 });
    ss = (ss + payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
    frames.push(ether(cliMac, srvMac, v6 ? ETH_IP6 : ETH_IP, v6 ? ipv6(srv, cli, 6, seg) : ipv4(srv, cli, 6, seg), { vlan }));
  };
  c2s(TCP_SYN, undefined, synOptions());
  s2c(TCP_SYN | TCP_ACK, undefined, synOptions());
  c2s(TCP_ACK);
  if (req) { c2s(TCP_PSH | TCP_ACK, req); s2c(TCP_ACK); }
  if (resp) { s2c(TCP_PSH | TCP_ACK, resp); c2s(TCP_ACK); }
  if (full) { c2s(TCP_FIN | TCP_ACK); s2c(TCP_FIN | TCP_ACK); c2s(TCP_ACK); }
  conv(frames);
}

const httpGet = (host, path) => ascii(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n`);
const httpOk = (body) => ascii(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
const tlsHello = () => concat(Uint8Array.of(0x16, 0x03, 0x01), u16(96), Uint8Array.of(0x01, 0, 0, 92, 0x03, 0x03), randBytes(32),
  Uint8Array.of(0), u16(4), u16(0x1301), u16(0x1302), Uint8Array.of(1, 0), u16(45), randBytes(45));
const opaque = (n) => randBytes(n);

// ARP: who-has / is-at pairs, padded to the 60-byte minimum as received.
function arp(op, sMac, sIp, tMac, tIp) {
  return concat(u16(1), u16(ETH_IP), Uint8Array.of(6, 4), u16(op), mac(sMac), ip4(sIp), mac(tMac), ip4(tIp));
}
for (let i = 0; i < 4; i++) {
  const c = 10 + i, cip = `192.168.1.${c}`;
  conv([
    ether('ff:ff:ff:ff:ff:ff', clientMac(c), ETH_ARP, arp(1, clientMac(c), cip, '00:00:00:00:00:00', '192.168.1.1'), { padTo60: true }),
    ether(clientMac(c), GW, ETH_ARP, arp(2, GW, '192.168.1.1', clientMac(c), cip), { padTo60: true }),
  ]);
}

// Web traffic to an ordinary server (passes every example; socket_filter keeps it).
for (let i = 0; i < 6; i++) {
  const c = 10 + randInt(0, 20);
  tcpSession({ cli: `192.168.1.${c}`, cliMac: clientMac(c), srv: WEB, srvMac: GW, dport: 80,
    req: httpGet('www.example.test', `/page/${i}`), resp: httpOk(`hello ${i}\n`), ttl: i % 3 === 0 ? 128 : 64 });
}
for (let i = 0; i < 4; i++) {
  const c = 30 + i;
  tcpSession({ cli: `192.168.1.${c}`, cliMac: clientMac(c), srv: WEB, srvMac: GW, dport: 443, req: tlsHello(), resp: opaque(180), full: i !== 3 });
}
// SSH (port 22) and an app on 8080 (tc_rewrite moves it to 80).
for (let i = 0; i < 2; i++) tcpSession({ cli: `192.168.1.${40 + i}`, cliMac: clientMac(40 + i), srv: SSH, srvMac: GW, dport: 22, req: ascii('SSH-2.0-OpenSSH_9.6\r\n'), resp: ascii('SSH-2.0-OpenSSH_9.2p1\r\n') });
for (let i = 0; i < 3; i++) tcpSession({ cli: `192.168.1.${45 + i}`, cliMac: clientMac(45 + i), srv: ALT, srvMac: GW, dport: 8080, req: httpGet('alt.example.test:8080', '/'), resp: httpOk('alt\n'), ttl: i === 1 ? 255 : 64 });

// A connection refused: SYN to port 23, RST-ACK back.
{
  const sport = 51515, seq = 0x1020304;
  const syn = tcp(sport, 23, seq, 0, TCP_SYN, new Uint8Array(0), (l) => pseudo4('192.168.1.12', WEB, 6, l), { options: synOptions() });
  const rst = tcp(23, sport, 0, seq + 1, TCP_RST | TCP_ACK, new Uint8Array(0), (l) => pseudo4(WEB, '192.168.1.12', 6, l), { win: 0 });
  conv([ether(GW, clientMac(12), ETH_IP, ipv4('192.168.1.12', WEB, 6, syn)), ether(clientMac(12), GW, ETH_IP, ipv4(WEB, '192.168.1.12', 6, rst), { padTo60: true })]);
}

// Load balancer VIPs: many clients, so the flow hash spreads them over backends.
for (let i = 0; i < 12; i++) {
  const c = 60 + i;
  tcpSession({ cli: `192.168.1.${c}`, cliMac: clientMac(c), srv: VIP_TCP, srvMac: GW, dport: i % 3 === 2 ? 443 : 80,
    req: i % 3 === 2 ? tlsHello() : httpGet('vip.example.test', `/lb/${i}`), resp: undefined, full: i % 2 === 0 });
}
for (let i = 0; i < 6; i++) {
  const c = 80 + i, cip = `192.168.1.${c}`, sport = randInt(1024, 65535);
  const q = dnsQuery(randInt(0, 0xffff), `svc${i}.example.test`);
  conv([ether(GW, clientMac(c), ETH_IP, ipv4(cip, VIP_DNS, 17, udp(sport, 53, q, (l) => pseudo4(cip, VIP_DNS, 17, l)), { df: false }))]);
}

// DNS to the resolver, with answers; some queries carry ECN bits in the TOS.
for (let i = 0; i < 10; i++) {
  const c = 10 + randInt(0, 40), cip = `192.168.1.${c}`, sport = randInt(1024, 65535);
  const q = dnsQuery(randInt(0, 0xffff), pick(['www.example.test', 'mail.example.test', 'api.example.test', 'cdn.example.test']), i % 4 === 3 ? 28 : 1);
  const a = dnsAnswer(q, `10.0.1.${randInt(1, 250)}`);
  conv([
    ether(GW, clientMac(c), ETH_IP, ipv4(cip, DNS, 17, udp(sport, 53, q, (l) => pseudo4(cip, DNS, 17, l)), { df: false, tos: i % 5 === 0 ? 0x01 : 0, ttl: i % 3 ? 64 : 128 })),
    ether(clientMac(c), GW, ETH_IP, ipv4(DNS, cip, 17, udp(53, sport, a, (l) => pseudo4(DNS, cip, 17, l)), { df: false })),
  ]);
}
// Other UDP: syslog, NTP-ish, random high ports.
for (let i = 0; i < 14; i++) {
  const c = 10 + randInt(0, 40), cip = `192.168.1.${c}`;
  const kind = randInt(0, 3), dst = pick([WEB, ALT, '10.0.0.200']);
  const [dport, payload] = kind === 0 ? [123, concat(Uint8Array.of(0x23), new Uint8Array(39), u32(0xe9a1b2c3 + i), u32(0))] // NTPv4 client request
    : kind === 1 ? [514, ascii(`<134>Jan  1 00:00:0${i % 10} host${c} app[${100 + i}]: event ${i}`)]
      : [randInt(20000, 29999), opaque(randInt(8, 120))];
  conv([ether(GW, clientMac(c), ETH_IP, ipv4(cip, dst, 17, udp(randInt(30000, 65535), dport, payload,
    (l) => pseudo4(cip, dst, 17, l)), { df: false }))]);
}

// ICMP echo request/reply pairs.
for (let i = 0; i < 6; i++) {
  const c = 10 + i, cip = `192.168.1.${c}`, id = randInt(1, 0xffff), payload = opaque(56);
  conv([
    ether(GW, clientMac(c), ETH_IP, ipv4(cip, WEB, 1, icmp4(8, 0, id, i + 1, payload))),
    ether(clientMac(c), GW, ETH_IP, ipv4(WEB, cip, 1, icmp4(0, 0, id, i + 1, payload))),
  ]);
}

// IPv6: web sessions, DNS, ICMPv6 echo.
for (let i = 0; i < 3; i++) {
  const c = 90 + i;
  tcpSession({ cli: `2001:db8:1::${c.toString(16)}`, cliMac: clientMac(c), srv: '2001:db8:100::10', srvMac: GW, dport: i === 2 ? 443 : 80,
    req: i === 2 ? tlsHello() : httpGet('www.example.test', '/v6'), resp: httpOk('six\n'), v6: true });
}
for (let i = 0; i < 4; i++) {
  const c = 95 + i, src = `2001:db8:1::${c.toString(16)}`, dst = '2001:db8:100::53', sport = randInt(1024, 65535);
  const q = dnsQuery(randInt(0, 0xffff), 'www.example.test', 28);
  conv([ether(GW, clientMac(c), ETH_IP6, ipv6(src, dst, 17, udp(sport, 53, q, (l) => pseudo6(src, dst, 17, l))))]);
}
for (let i = 0; i < 3; i++) {
  const c = 99, src = 'fe80::ff:fe00:c63', dst = 'fe80::1', body = concat(u16(0x4242), u16(i + 1), opaque(32));
  conv([
    ether(GW, clientMac(c), ETH_IP6, ipv6(src, dst, 58, icmp6(128, 0, body, (l) => pseudo6(src, dst, 58, l)))),
    ether(clientMac(c), GW, ETH_IP6, ipv6(dst, src, 58, icmp6(129, 0, body, (l) => pseudo6(dst, src, 58, l)))),
  ]);
}

// 802.1Q-tagged traffic (VLAN 100 and 200).
tcpSession({ cli: '192.168.100.10', cliMac: clientMac(0xa0), srv: WEB, srvMac: GW, dport: 80, req: httpGet('vlan.example.test', '/'), resp: httpOk('tagged\n'), vlan: 100 });
{
  const cip = '192.168.200.20', q = dnsQuery(0x7777, 'vlan.example.test');
  conv([ether(GW, clientMac(0xa1), ETH_IP, ipv4(cip, DNS, 17, udp(40000, 53, q, (l) => pseudo4(cip, DNS, 17, l)), { df: false }), { vlan: 200 })]);
  const bsrc = '198.51.100.77', syn = tcp(40001, 80, 1, 0, TCP_SYN, new Uint8Array(0), (l) => pseudo4(bsrc, WEB, 6, l));
  conv([ether(GW, clientMac(0xa2), ETH_IP, ipv4(bsrc, WEB, 6, syn), { vlan: 200 })]); // blocked, even when tagged
}

// Sources from blocklisted prefixes: SYN scans, UDP, ICMP. And near misses.
for (let i = 0; i < 20; i++) {
  const src = pick(BLOCKED), dport = pick([22, 23, 80, 443, 3389, 8080]), dst = i % 2 ? VIP_TCP : WEB;
  const syn = tcp(randInt(1024, 65535), dport, randInt(1, 0x7fffffff) >>> 0, 0, TCP_SYN, new Uint8Array(0), (l) => pseudo4(src, dst, 6, l), { win: 1024 });
  conv([ether(GW, '02:00:00:00:bb:01', ETH_IP, ipv4(src, dst, 6, syn, { ttl: pick([40, 50, 240]), df: false }), { padTo60: true })]);
}
for (let i = 0; i < 4; i++) {
  const src = BLOCKED[i];
  conv([ether(GW, '02:00:00:00:bb:01', ETH_IP, ipv4(src, WEB, 1, icmp4(8, 0, 0x99, i, opaque(16))))]);
  conv([ether(GW, '02:00:00:00:bb:01', ETH_IP, ipv4(src, DNS, 17, udp(randInt(1024, 65535), 53, dnsQuery(i, 'blocked.example.test'), (l) => pseudo4(src, DNS, 17, l)), { df: false }))]);
}
for (const src of NEAR_MISS) {
  const syn = tcp(randInt(1024, 65535), 80, 77, 0, TCP_SYN, new Uint8Array(0), (l) => pseudo4(src, WEB, 6, l), { options: synOptions() });
  conv([ether(GW, '02:00:00:00:bb:02', ETH_IP, ipv4(src, WEB, 6, syn))]);
}

// IPv4 with options (Router Alert + NOP padding to a 4-byte multiple): ihl = 6.
{
  const cip = '192.168.1.20', ra = Uint8Array.of(0x94, 4, 0, 0);
  conv([ether(GW, clientMac(20), ETH_IP, ipv4(cip, WEB, 17, udp(5000, 5001, ascii('with options'), (l) => pseudo4(cip, WEB, 17, l)), { options: ra, ttl: 1 }))]);
  const syn = tcp(50080, 80, 5, 0, TCP_SYN, new Uint8Array(0), (l) => pseudo4(cip, WEB, 6, l));
  conv([ether(GW, clientMac(20), ETH_IP, ipv4(cip, WEB, 6, syn, { options: ra }))]);
}

// A UDP datagram in two IPv4 fragments (UDP checksum over the whole datagram).
{
  const cip = '192.168.1.21', dgram = udp(40404, 9999, opaque(1400), (l) => pseudo4(cip, ALT, 17, l));
  const id = 0x4d4d, first = dgram.slice(0, 1200), rest = dgram.slice(1200);
  conv([
    ether(GW, clientMac(21), ETH_IP, ipv4(cip, ALT, 17, first, { id, df: false, mf: true })),
    ether(GW, clientMac(21), ETH_IP, ipv4(cip, ALT, 17, rest, { id, df: false, fragOff: 1200 })),
  ]);
}

// ---------------------------------------------------------------- interleave and write
const frames = [];
const queue = convs.map((c) => ({ c, i: 0 }));
while (queue.length) {
  const k = Math.floor(rand() * Math.min(queue.length, 6)); // a few conversations overlap at a time
  const q = queue[k];
  frames.push(q.c[q.i++]);
  if (q.i === q.c.length) queue.splice(k, 1);
}
let ts = 1_704_067_200_000_000_000n; // 2024-01-01T00:00:00Z
const packets = frames.map((data) => {
  ts += BigInt(randInt(20_000, 15_000_000)) + BigInt(randInt(0, 999));
  return { timestampNs: ts, data };
});
writeFileSync(out, writePcap(packets, 1, 65535));
process.stdout.write(`${out}: ${packets.length} frames\n`);
