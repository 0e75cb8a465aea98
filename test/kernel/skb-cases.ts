/**
 * The skb differential corpus: programs (conformance assembler text) × packets
 * × ctx_in variants, run both by this engine and by the kernel's
 * BPF_PROG_TEST_RUN (test/kernel/skb-testrun.c). Shared by the differential
 * test and the script that regenerates the stored kernel results.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assemble, encode } from '../../src/isa/index.js';
import { ROOT } from '../support/paths.js';
import { PROGRAM_TYPE_IDS, type ProgramTypeName } from '../../src/programs/types.js';

// ---------------------------------------------------------------- packets

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const cat = (...parts: Uint8Array[]) => { const o = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let k = 0; for (const p of parts) { o.set(p, k); k += p.length; } return o; };
const u16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);

function ipChecksum(h: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += (h[i]! << 8) | (h[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

const MAC_HOST = hex('000000000000');
const MAC_SRC = hex('020000000001');
export function eth(type: number, payload: Uint8Array, dst = MAC_HOST): Uint8Array {
  return cat(dst, MAC_SRC, u16(type), payload);
}
export function ipv4(proto: number, l4: Uint8Array, opts = new Uint8Array(0), tos = 0): Uint8Array {
  const ihl = 5 + opts.length / 4;
  const h = cat(Uint8Array.of(0x40 | ihl, tos), u16(ihl * 4 + l4.length), u16(0x1234), u16(0x4000), Uint8Array.of(64, proto),
    u16(0), hex('0a000001'), hex('0a000002'), opts);
  h.set(u16(ipChecksum(h)), 10);
  return cat(h, l4);
}
export function ipv6(next: number, l4: Uint8Array, first = hex('60012345')): Uint8Array {
  return cat(first, u16(l4.length), Uint8Array.of(next, 64),
    hex('20010db8000000000000000000000001'), hex('20010db8000000000000000000000002'), l4);
}
const payload = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);
export const udp = (n = 12) => cat(u16(12345), u16(53), u16(8 + n), u16(0xbeef), payload(n));
export const tcp = (n = 8) => cat(u16(40000), u16(80), hex('0000000100000000'), Uint8Array.of(0x50, 0x18), u16(512), u16(0xcafe), u16(0), payload(n, 3));
const arp = hex('0001080006040001020000000001c0a80001000000000000c0a80002');
const vlanTag = (tci: number, inner: number) => cat(u16(tci), u16(inner));

export interface Packet { name: string; data: Uint8Array }
export const PACKETS: Packet[] = [
  { name: 'ipv4-udp', data: eth(0x0800, ipv4(17, udp())) },
  { name: 'ipv4-tcp', data: eth(0x0800, ipv4(6, tcp())) },
  { name: 'ipv4-tcp-opts', data: eth(0x0800, ipv4(6, tcp(20), hex('01010101'))) },
  { name: 'ipv4-udp-zero-csum', data: (() => { const p = eth(0x0800, ipv4(17, udp(6))); p[40] = 0; p[41] = 0; return p; })() },
  { name: 'ipv4-ect0', data: eth(0x0800, ipv4(17, udp(), undefined, 0xb8 | 2)) },
  { name: 'ipv4-ect1', data: eth(0x0800, ipv4(6, tcp(), undefined, 1)) },
  { name: 'ipv4-ce', data: eth(0x0800, ipv4(17, udp(), undefined, 3)) },
  { name: 'ipv6-ect0', data: eth(0x86dd, ipv6(17, udp(), hex('6b812345'))) },
  { name: 'ipv4-dns', data: eth(0x0800, ipv4(17, cat(u16(33333), u16(53), u16(8 + 12), u16(0x1c2d), payload(12)))) },
  { name: 'ipv4-http', data: eth(0x0800, ipv4(6, cat(u16(40001), u16(80), hex('000000010000000050180200'), u16(0x1111), u16(0), payload(30)))) },
  { name: 'ipv4-icmp', data: eth(0x0800, ipv4(1, hex('0800f7ff00000000'))) },
  { name: 'ipv4-min', data: eth(0x0800, ipv4(253, new Uint8Array(0))) },
  { name: 'ipv4-short', data: eth(0x0800, ipv4(17, udp()).subarray(0, 19)) },
  { name: 'ipv6-udp', data: eth(0x86dd, ipv6(17, udp())) },
  { name: 'ipv6-tcp', data: eth(0x86dd, ipv6(6, tcp())) },
  { name: 'ipv6-short', data: eth(0x86dd, ipv6(17, udp()).subarray(0, 39)) },
  { name: 'arp', data: eth(0x0806, arp) },
  { name: 'arp-bcast', data: eth(0x0806, arp, hex('ffffffffffff')) },
  { name: 'ipv4-mcast', data: eth(0x0800, ipv4(17, udp()), hex('01005e000001')) },
  { name: 'ipv4-otherhost', data: eth(0x0800, ipv4(17, udp()), hex('020000000002')) },
  { name: 'vlan-ipv4-udp', data: eth(0x8100, cat(vlanTag(0x2064, 0x0800), ipv4(17, udp()))) },
  { name: 'qinq-ipv4', data: eth(0x88a8, cat(vlanTag(0x0005, 0x8100), vlanTag(0x0007, 0x0800), ipv4(17, udp()))) },
  { name: 'eth-only', data: eth(0x0806, new Uint8Array(0)) },
  { name: 'short-15', data: eth(0x0806, Uint8Array.of(1)) },
  { name: 'too-short-13', data: new Uint8Array(13) },
  { name: '802.3-llc', data: eth(0x0040, hex('aaaa03000000080045')) },
  { name: '802.3-raw', data: eth(0x0040, hex('ffff0000000000000000')) },
  { name: 'ipv4-3712', data: (() => { const p = eth(0x0800, ipv4(17, udp(3712 - 14 - 20 - 8))); return p; })() },
  { name: 'ipv4-3713', data: eth(0x0800, ipv4(17, udp(3713 - 14 - 20 - 8))) },
];
/** The everyday subset most programs run on. */
export const COMMON = PACKETS.filter((p) => !p.name.startsWith('ipv4-37'));

// ---------------------------------------------------------------- ctx_in variants

export interface CtxVariant { name: string; ctx?: Uint8Array }
function ctx(fields: Record<number, number | bigint>, size = 192): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  for (const [off, v] of Object.entries(fields)) {
    if (typeof v === 'bigint') dv.setBigUint64(+off, v, true); else dv.setUint32(+off, v, true);
  }
  return b;
}
export const CTXS: CtxVariant[] = [
  { name: 'none' },
  { name: 'zero', ctx: ctx({}) },
  { name: 'fields', ctx: ctx({ 8: 0xabcd, 32: 7, 36: 3, 48: 1, 52: 2, 56: 3, 60: 4, 64: 0xffffffff, 152: 1000n, 164: 2, 176: 1400, 184: 99n }) },
  { name: 'ifindex1', ctx: ctx({ 40: 1 }) },
  { name: 'ifindex-missing', ctx: ctx({ 40: 0x7fff0000 }) },
  { name: 'wire_len', ctx: ctx({ 160: 3000 }) },
  { name: 'wire_len-small', ctx: ctx({ 160: 20 }) },
  { name: 'wire_len-big', ctx: ctx({ 160: 65537 }) },
  { name: 'gso_segs-big', ctx: ctx({ 164: 65536 }) },
  { name: 'bad-len', ctx: ctx({ 0: 1 }) },
  { name: 'bad-tc_index', ctx: ctx({ 44: 1 }) },
  { name: 'bad-hash', ctx: ctx({ 68: 1 }) },
  { name: 'bad-tstamp_type', ctx: ctx({ 180: 1 }) },
  { name: 'short', ctx: ctx({ 8: 5 }, 12) },
  { name: 'long-zero-tail', ctx: ctx({ 8: 5 }, 200) },
  { name: 'long-tail', ctx: (() => { const b = ctx({ 8: 5 }, 200); b[199] = 1; return b; })() },
];

// ---------------------------------------------------------------- programs

export interface ProgramCase {
  name: string;
  type: ProgramTypeName;
  /** Conformance-assembler text, or the ELF section of test/fixtures/skb/progs.o (clang-compiled). */
  asm?: string;
  section?: string;
  /** Packets to run it on (default COMMON). */
  packets?: Packet[];
  /** BPF_PROG_TEST_RUN repeat (default 1). */
  repeat?: number;
  /** ctx variants (default: none and fields). */
  ctxs?: CtxVariant[];
}

/** Stores r0 into cb[i] via r6 (the ctx). */
const cb = (i: number) => `stxw [%r6+${48 + 4 * i}], %r0`;
const ld = (off: number, size: 'w' | 'dw' | 'b' = 'w') => `ldx${size} %r0, [%r6+${off}]`;

const FIELDS_SF = `
mov %r6, %r1
${ld(0)}
${cb(0)}
${ld(4)}
${cb(1)}
${ld(16)}
${cb(2)}
${ld(40)}
${cb(3)}
${ld(20)}
${ld(24)}
${ld(28)}
${ld(12)}
${ld(44)}
${ld(68)}
${ld(84)}
${ld(164)}
${ld(176)}
${cb(4)}
${ld(8)}
ldxw %r1, [%r6+32]
add %r0, %r1
ldxw %r1, [%r6+36]
add %r0, %r1
exit`;

const LDABS = `
mov %r6, %r1
ldabsb 0
${cb(0)}
ldabsh 2
${cb(1)}
ldabsw 16
${cb(2)}
ldabsb 9
${cb(3)}
ldabsw 36
${cb(4)}
mov %r0, -1
exit`;

const LDIND = `
mov %r6, %r1
ldabsb 0
and %r0, 15
lsh %r0, 2
mov %r7, %r0
ldindh %r7, 0
${cb(0)}
ldindh %r7, 2
${cb(1)}
ldindw %r7, 4
${cb(2)}
mov %r8, 30
ldindb %r8, 0
${cb(3)}
ldindb %r8, -31
${cb(4)}
mov %r0, 0x1234
exit`;

const loadBytes = (off: number, len: number, helper = 26, start = -1) => `
mov %r6, %r1
stdw [%r10-16], 0
stdw [%r10-8], 0
mov %r2, ${off}
mov %r3, %r10
add %r3, -16
mov %r4, ${len}
${start >= 0 ? `mov %r5, ${start}` : ''}
call ${helper}
${cb(0)}
ldxw %r0, [%r10-16]
${cb(1)}
ldxw %r0, [%r10-12]
${cb(2)}
ldxw %r0, [%r10-8]
${cb(3)}
ldxw %r0, [%r10-4]
${cb(4)}
ldxw %r0, [%r6+0]
exit`;

// cb[i] = cb[i] * 3 + i, a round trip through ctx_in and ctx_out
const CB_ROUNDTRIP = `
mov %r6, %r1
${[0, 1, 2, 3, 4].map((i) => `ldxw %r0, [%r6+${48 + 4 * i}]\nmul %r0, 3\nadd %r0, ${i}\n${cb(i)}`).join('\n')}
ldxw %r0, [%r6+48]
exit`;

const FIELDS_TC = `
mov %r6, %r1
${ld(0)}
${cb(0)}
${ld(4)}
${cb(1)}
${ld(16)}
${cb(2)}
ldxw %r0, [%r6+80]
ldxw %r1, [%r6+76]
sub %r0, %r1
${cb(3)}
ldxw %r0, [%r6+140]
ldxw %r1, [%r6+76]
sub %r0, %r1
ldxw %r1, [%r6+160]
lsh %r1, 8
or %r0, %r1
${cb(4)}
ldxw %r0, [%r6+8]
add %r0, 1
stxw [%r6+8], %r0
ldxw %r0, [%r6+32]
xor %r0, 0xff
stxw [%r6+32], %r0
ldxdw %r0, [%r6+152]
add %r0, 1000
stxdw [%r6+152], %r0
stw [%r6+44], 9
stw [%r6+72], 0x10
stw [%r6+12], 3
ldxb %r0, [%r6+180]
ldxdw %r1, [%r6+184]
add %r0, %r1
ldxw %r1, [%r6+164]
add %r0, %r1
ldxw %r1, [%r6+176]
add %r0, %r1
ldxw %r1, [%r6+44]
add %r0, %r1
ldxw %r1, [%r6+72]
add %r0, %r1
ldxw %r1, [%r6+12]
add %r0, %r1
exit`;

/** Direct packet access: decrement the IPv4 TTL and fix the header checksum with bpf_l3_csum_replace. */
const TTL_DEC = `
mov %r6, %r1
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 34
jgt %r4, %r3, short
ldxh %r5, [%r2+12]
jne %r5, 0x0008, notip
ldxh %r7, [%r2+22]
mov %r8, %r7
add %r8, -1
stxb [%r2+22], %r8
mov %r1, %r6
mov %r2, 24
mov %r3, %r7
mov %r4, %r8
and %r4, 0xffff
mov %r5, 2
call 10
${cb(0)}
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 34
jgt %r4, %r3, short
ldxh %r0, [%r2+24]
${cb(1)}
mov %r0, 0
exit
notip:
mov %r0, 1
exit
short:
mov %r0, 2
exit`;

/** Rewrite the IPv4 destination with bpf_skb_store_bytes and fix L3 (size 4) and L4 (pseudo header) checksums. */
const NAT = (l4off: number, l4flags: string) => `
mov %r6, %r1
mov %r1, %r6
mov %r2, 30
mov %r3, %r10
add %r3, -8
mov %r4, 4
call 26
${cb(0)}
stw [%r10-4], 0x0302a8c0
mov %r1, %r6
mov %r2, 30
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 2
call 9
${cb(1)}
mov %r1, %r6
mov %r2, 24
ldxw %r3, [%r10-8]
ldxw %r4, [%r10-4]
mov %r5, 4
call 10
${cb(2)}
mov %r1, %r6
mov %r2, ${l4off}
ldxw %r3, [%r10-8]
ldxw %r4, [%r10-4]
lddw %r5, ${l4flags}
call 11
${cb(3)}
ldxw %r0, [%r6+68]
${cb(4)}
mov %r0, 0
exit`;

/** r0 = helper(...) with immediate args; cb0 = len after, cb1 = protocol after, cb2 = data_end - data. */
const call = (helper: number, args: (number | bigint)[], extra = '') => `
mov %r6, %r1
mov %r1, %r6
${args.map((a, i) => typeof a === 'bigint' ? `lddw %r${i + 2}, ${a < 0n ? '-' : ''}0x${(a < 0n ? -a : a).toString(16)}` : `mov %r${i + 2}, ${a}`).join('\n')}
call ${helper}
mov %r7, %r0
${ld(0)}
${cb(0)}
${ld(16)}
${cb(1)}
ldxw %r0, [%r6+80]
ldxw %r1, [%r6+76]
sub %r0, %r1
${cb(2)}
${extra}
mov %r0, %r7
exit`;

const VLAN_FIELDS = `
${ld(20)}
${cb(3)}
${ld(24)}
ldxw %r1, [%r6+28]
lsh %r1, 16
or %r0, %r1
${cb(4)}`;

const CSUM_DIFF = (fromSize: number, toSize: number, seed: number) => `
stw [%r10-16], 0x11223344
stw [%r10-12], 0x55667788
stw [%r10-8], 0x0a000001
stw [%r10-4], 0xc0a80302
mov %r1, %r10
add %r1, -16
mov %r2, ${fromSize}
mov %r3, %r10
add %r3, -8
mov %r4, ${toSize}
mov %r5, ${seed}
call 28
exit`;

const HASH = `
mov %r6, %r1
mov %r2, 0x12345678
call 48
${cb(0)}
mov %r1, %r6
call 34
${cb(1)}
${ld(68)}
${cb(2)}
mov %r1, %r6
call 41
${ld(68)}
${cb(3)}
mov %r1, %r6
mov %r2, 0x9abc
call 48
mov %r1, %r6
mov %r2, 0
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 2
stw [%r10-4], 0
call 9
${ld(68)}
${cb(4)}
mov %r0, 0
exit`;

const CG_FIELDS = `
mov %r6, %r1
${ld(88)}
${cb(0)}
${ld(96)}
${cb(1)}
${ld(92)}
${cb(2)}
ldxw %r0, [%r6+80]
ldxw %r1, [%r6+76]
sub %r0, %r1
${cb(3)}
${ld(0)}
ldxw %r1, [%r6+132]
add %r0, %r1
ldxw %r1, [%r6+136]
add %r0, %r1
${cb(4)}
stw [%r6+8], 0x77
stw [%r6+32], 5
mov %r0, 1
exit`;

const CG_FIELDS6 = `
mov %r6, %r1
${ld(116)}
${cb(0)}
${ld(128)}
${cb(1)}
${ld(100)}
${cb(2)}
${ld(112)}
${cb(3)}
ldxw %r0, [%r6+76]
jeq %r0, 0, nodata
mov %r0, 1
${cb(4)}
nodata:
mov %r0, 1
exit`;

const SK_FIELDS = `
mov %r6, %r1
ldxdw %r7, [%r6+168]
jeq %r7, 0, nosk
ldxw %r0, [%r7+4]
${cb(0)}
ldxw %r0, [%r7+24]
${cb(1)}
ldxw %r0, [%r7+52]
${cb(2)}
ldxw %r0, [%r7+72]
${cb(3)}
ldxw %r0, [%r7+76]
${cb(4)}
nosk:
mov %r0, 1
exit`;

const LWT_FIELDS = `
mov %r6, %r1
${ld(0)}
${cb(0)}
${ld(16)}
${cb(1)}
ldxw %r0, [%r6+80]
ldxw %r1, [%r6+76]
sub %r0, %r1
${cb(2)}
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 1
jgt %r4, %r3, out
ldxb %r0, [%r2+0]
${cb(3)}
stw [%r6+8], 0x99
out:
mov %r0, 0
exit`;


/**
 * Narrow loads of fields backed by 32-bit sk_buff members. (The kernel rewrites
 * a narrow load of a 16-bit member such as protocol at offset +2 into a load of
 * the member itself; this engine reads the UAPI struct, so those differ.)
 */
const NARROW = `
mov %r6, %r1
ldxb %r0, [%r6+0]
ldxb %r1, [%r6+1]
lsh %r1, 8
or %r0, %r1
${cb(0)}
ldxh %r0, [%r6+16]
ldxh %r1, [%r6+2]
lsh %r1, 16
or %r0, %r1
${cb(1)}
ldxb %r0, [%r6+4]
ldxh %r1, [%r6+40]
lsh %r1, 8
or %r0, %r1
${cb(2)}
ldxb %r0, [%r6+51]
ldxh %r1, [%r6+54]
lsh %r1, 8
or %r0, %r1
${cb(3)}
ldxh %r0, [%r6+8]
exit`;

/** change_head, then write the new bytes through reloaded packet pointers (the data window moved). */
const HEAD_WRITE = `
mov %r6, %r1
mov %r2, 4
mov %r3, 0
call 43
${cb(0)}
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 18
jgt %r4, %r3, out
stw [%r2+0], 0x04030201
ldxw %r0, [%r2+4]
${cb(1)}
ldxh %r0, [%r2+16]
${cb(2)}
out:
ldabsw 0
${cb(3)}
mov %r0, 0
exit`;

/** vlan_pop, then read the new EtherType directly. */
const POP_READ = `
mov %r6, %r1
call 19
${cb(0)}
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+80]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, out
ldxh %r0, [%r2+12]
${cb(1)}
ldxw %r0, [%r6+0]
${cb(2)}
out:
mov %r0, 0
exit`;

const lvl = (level: number) => `mov %r1, %r6\nmov %r2, ${level}\ncall 135`;
const CSUM_LEVEL = `
mov %r6, %r1
${lvl(1)}
${lvl(0)}
${cb(0)}
${lvl(1)}
${lvl(1)}
${lvl(1)}
${lvl(1)}
${lvl(0)}
${cb(1)}
${lvl(2)}
${lvl(0)}
${cb(2)}
mov %r1, %r6
mov %r2, 4
mov %r3, 1
mov %r4, 0
call 50
${lvl(0)}
${cb(3)}
${lvl(1)}
mov %r1, %r6
mov %r2, 4
mov %r3, 1
mov %r4, 32
call 50
${lvl(0)}
${cb(4)}
${lvl(9)}
exit`;

const BPF_F_ADJ = { FIXED_GSO: 1n, IPV4: 2n, IPV6: 4n, GRE: 8n, UDP: 16n, NO_CSUM: 32n, L2_ETH: 64n, DECAP4: 128n, DECAP6: 256n };
const L2LEN = (n: number) => BigInt(n) << 56n;

export const PROGRAMS: ProgramCase[] = [
  // socket filter
  { name: 'sf-fields', type: 'socket_filter', asm: FIELDS_SF, ctxs: CTXS },
  { name: 'sf-ldabs', type: 'socket_filter', asm: LDABS },
  { name: 'sf-ldind', type: 'socket_filter', asm: LDIND },
  { name: 'sf-load-bytes', type: 'socket_filter', asm: loadBytes(0, 16) },
  { name: 'sf-load-bytes-far', type: 'socket_filter', asm: loadBytes(30, 8) },
  { name: 'sf-load-rel-mac', type: 'socket_filter', asm: loadBytes(0, 16, 68, 0) },
  { name: 'sf-load-rel-net', type: 'socket_filter', asm: loadBytes(4, 16, 68, 1) },
  { name: 'sf-load-rel-bad', type: 'socket_filter', asm: loadBytes(0, 4, 68, 2) },
  { name: 'sf-cb-roundtrip', type: 'socket_filter', asm: CB_ROUNDTRIP, ctxs: [CTXS[0]!, CTXS[2]!] },
  { name: 'sf-ret-big', type: 'socket_filter', asm: 'lddw %r0, 0x1234567800000009\nexit', packets: PACKETS },
  // tc
  { name: 'tc-fields', type: 'sched_cls', asm: FIELDS_TC, ctxs: CTXS },
  { name: 'act-fields', type: 'sched_act', asm: FIELDS_TC },
  { name: 'tc-ldabs', type: 'sched_cls', asm: LDABS },
  { name: 'tc-ttl', type: 'sched_cls', asm: TTL_DEC },
  { name: 'tc-nat-udp', type: 'sched_cls', asm: NAT(40, '0x34') },
  { name: 'tc-nat-tcp', type: 'sched_cls', asm: NAT(50, '0x14') },
  { name: 'tc-l4-size2', type: 'sched_cls', asm: call(11, [40, 0x3500, 0x3600, 0x2]) },
  { name: 'tc-l4-diff', type: 'sched_cls', asm: call(11, [40, 0, 0x12345, 0x10]) },
  { name: 'tc-l4-bad-from', type: 'sched_cls', asm: call(11, [40, 1, 0x12345, 0]) },
  { name: 'tc-l4-odd', type: 'sched_cls', asm: call(11, [41, 1, 2, 2]) },
  { name: 'tc-l4-badflag', type: 'sched_cls', asm: call(11, [40, 1, 2, 0x102]) },
  { name: 'tc-l4-size3', type: 'sched_cls', asm: call(11, [40, 1, 2, 3]) },
  { name: 'tc-l3-far', type: 'sched_cls', asm: call(10, [0x10000, 1, 2, 2]) },
  { name: 'tc-l3-past-end', type: 'sched_cls', asm: call(10, [58, 1, 2, 2]) },
  { name: 'tc-l3-diff', type: 'sched_cls', asm: call(10, [24, 0, 0xffff, 0]) },
  { name: 'tc-store-bad-flags', type: 'sched_cls', asm: call(9, [0, 0, 0, 4]).replace('call 9', 'mov %r3, %r10\nadd %r3, -8\nstdw [%r10-8], 0\nmov %r4, 4\nmov %r5, 4\ncall 9') },
  { name: 'tc-store-past-end', type: 'sched_cls', asm: call(9, [0]).replace('call 9', 'ldxw %r2, [%r6+0]\nadd %r2, -3\nmov %r3, %r10\nadd %r3, -8\nstdw [%r10-8], -1\nmov %r4, 4\nmov %r5, 0\ncall 9') },
  { name: 'tc-store-at-end', type: 'sched_cls', asm: call(9, [0]).replace('call 9', 'ldxw %r2, [%r6+0]\nadd %r2, -4\nmov %r3, %r10\nadd %r3, -8\nstdw [%r10-8], -1\nmov %r4, 4\nmov %r5, 1\ncall 9') },
  { name: 'tc-csum-diff-both', type: 'sched_cls', asm: CSUM_DIFF(8, 8, 0) },
  { name: 'tc-csum-diff-to', type: 'sched_cls', asm: CSUM_DIFF(0, 8, 0x1234) },
  { name: 'tc-csum-diff-from', type: 'sched_cls', asm: CSUM_DIFF(8, 0, 0x1234) },
  { name: 'tc-csum-diff-none', type: 'sched_cls', asm: CSUM_DIFF(0, 0, 0x54321) },
  { name: 'tc-csum-diff-bad', type: 'sched_cls', asm: CSUM_DIFF(6, 8, 0) },
  { name: 'tc-csum-update', type: 'sched_cls', asm: call(40, [0x1234]) },
  { name: 'tc-hash', type: 'sched_cls', asm: HASH },
  { name: 'tc-change-type', type: 'sched_cls', asm: call(32, [3], `${ld(4)}\n${cb(3)}`) },
  { name: 'tc-change-type-bad', type: 'sched_cls', asm: call(32, [4], `${ld(4)}\n${cb(3)}`) },
  { name: 'tc-pull-all', type: 'sched_cls', asm: call(39, [0]) },
  { name: 'tc-pull-60', type: 'sched_cls', asm: call(39, [60]) },
  { name: 'tc-load-rel-net', type: 'sched_cls', asm: loadBytes(0, 16, 68, 1) },
  { name: 'tc-load-bytes', type: 'sched_cls', asm: loadBytes(10, 16) },
  { name: 'tc-cgroup-classid', type: 'sched_cls', asm: call(17, []) },
  { name: 'tc-redirect', type: 'sched_cls', asm: 'mov %r1, 1\nmov %r2, 0\ncall 23\nexit' },
  { name: 'tc-redirect-ingress', type: 'sched_cls', asm: 'mov %r1, 5\nmov %r2, 1\ncall 23\nexit' },
  { name: 'tc-redirect-badflags', type: 'sched_cls', asm: 'mov %r1, 1\nmov %r2, 2\ncall 23\nexit' },
  { name: 'tc-clone-redirect-missing', type: 'sched_cls', asm: call(13, [0x7fff0000, 0]) },
  { name: 'tc-clone-redirect-badflags', type: 'sched_cls', asm: call(13, [1, 4]) },
  // packet-moving helpers
  { name: 'tc-room-mac+8', type: 'sched_cls', asm: call(50, [8, 1, 0n]) },
  { name: 'tc-room-net+8', type: 'sched_cls', asm: call(50, [8, 0, 0n]) },
  { name: 'tc-room-net-8', type: 'sched_cls', asm: call(50, [-8, 0, 0n]) },
  { name: 'tc-room-mac-20', type: 'sched_cls', asm: call(50, [-20, 1, 0n]) },
  { name: 'tc-room-net-all', type: 'sched_cls', asm: call(50, [-1000, 0, 0n]) },
  { name: 'tc-room-4095', type: 'sched_cls', asm: call(50, [4095, 1, 0n]) },
  { name: 'tc-room-4096', type: 'sched_cls', asm: call(50, [4096, 1, 0n]) },
  { name: 'tc-room-mode2', type: 'sched_cls', asm: call(50, [8, 2, 0n]) },
  { name: 'tc-room-badflag', type: 'sched_cls', asm: call(50, [8, 0, 1n << 9n]) },
  { name: 'tc-room-encap-ipip', type: 'sched_cls', asm: call(50, [20, 1, BPF_F_ADJ.IPV4], `mov %r1, %r6\nmov %r2, 20\nmov %r3, 1\nlddw %r4, 0x2\ncall 50\n${cb(3)}`) },
  { name: 'tc-room-encap-46', type: 'sched_cls', asm: call(50, [40, 1, BPF_F_ADJ.IPV4 | BPF_F_ADJ.IPV6]) },
  { name: 'tc-room-encap-6in4-udp', type: 'sched_cls', asm: call(50, [48, 1, BPF_F_ADJ.IPV6 | BPF_F_ADJ.UDP]) },
  { name: 'tc-room-encap-gre-eth', type: 'sched_cls', asm: call(50, [50, 1, BPF_F_ADJ.IPV4 | BPF_F_ADJ.GRE | BPF_F_ADJ.L2_ETH | L2LEN(14)]) },
  { name: 'tc-room-encap-eth-short', type: 'sched_cls', asm: call(50, [50, 1, BPF_F_ADJ.IPV4 | BPF_F_ADJ.L2_ETH | L2LEN(10)]) },
  { name: 'tc-room-encap-l2-big', type: 'sched_cls', asm: call(50, [20, 1, BPF_F_ADJ.IPV4 | L2LEN(30)]) },
  { name: 'tc-room-decap4', type: 'sched_cls', asm: call(50, [-20, 1, BPF_F_ADJ.DECAP4]) },
  { name: 'tc-room-decap6-from4', type: 'sched_cls', asm: call(50, [-8, 0, BPF_F_ADJ.DECAP6]) },
  { name: 'tc-room-decap-grow', type: 'sched_cls', asm: call(50, [8, 0, BPF_F_ADJ.DECAP4]) },
  { name: 'tc-room-decap-both', type: 'sched_cls', asm: call(50, [-8, 0, BPF_F_ADJ.DECAP4 | BPF_F_ADJ.DECAP6]) },
  { name: 'tc-room-shrink-encapflag', type: 'sched_cls', asm: call(50, [-8, 0, BPF_F_ADJ.IPV4]) },
  { name: 'tc-tail+10', type: 'sched_cls', asm: call(38, [0, 0], '').replace('call 38', 'ldxw %r2, [%r6+0]\nadd %r2, 10\ncall 38') },
  { name: 'tc-tail-10', type: 'sched_cls', asm: call(38, [0, 0], '').replace('call 38', 'ldxw %r2, [%r6+0]\nadd %r2, -10\ncall 38') },
  { name: 'tc-tail-14', type: 'sched_cls', asm: call(38, [14, 0]) },
  { name: 'tc-tail-13', type: 'sched_cls', asm: call(38, [13, 0]) },
  { name: 'tc-tail-max', type: 'sched_cls', asm: call(38, [16064, 0]) },
  { name: 'tc-tail-max+1', type: 'sched_cls', asm: call(38, [16065, 0]) },
  { name: 'tc-tail-flags', type: 'sched_cls', asm: call(38, [100, 1]) },
  { name: 'tc-tail-after-encap', type: 'sched_cls', asm: call(50, [20, 1, BPF_F_ADJ.IPV4], 'mov %r1, %r6\nmov %r2, 100\nmov %r3, 0\ncall 38\n' + cb(3)) },
  { name: 'tc-head+14', type: 'sched_cls', asm: call(43, [14, 0]) },
  { name: 'tc-head+3', type: 'sched_cls', asm: call(43, [3, 0], 'mov %r1, %r6\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 16\ncall 26\nldxw %r0, [%r10-16]\n' + cb(3)) },
  { name: 'tc-head-flags', type: 'sched_cls', asm: call(43, [14, 1]) },
  { name: 'tc-head-huge', type: 'sched_cls', asm: call(43, [16000, 0]) },
  { name: 'tc-proto-4to6', type: 'sched_cls', asm: call(31, [0xdd86, 0]) },
  { name: 'tc-proto-6to4', type: 'sched_cls', asm: call(31, [0x0008, 0]) },
  { name: 'tc-proto-flags', type: 'sched_cls', asm: call(31, [0xdd86, 1]) },
  { name: 'tc-vlan-push', type: 'sched_cls', asm: call(18, [0x0081, 0x2005], VLAN_FIELDS) },
  { name: 'tc-vlan-push-ad', type: 'sched_cls', asm: call(18, [0xa888, 7], VLAN_FIELDS) },
  { name: 'tc-vlan-push-bogus', type: 'sched_cls', asm: call(18, [0x1234, 7], VLAN_FIELDS) },
  { name: 'tc-vlan-push-twice', type: 'sched_cls', asm: call(18, [0x0081, 5], `mov %r1, %r6\nmov %r2, 0xa888\nmov %r3, 9\ncall 18\nmov %r7, %r0\n${ld(0)}\n${cb(0)}\n${ld(16)}\n${cb(1)}` + VLAN_FIELDS) },
  { name: 'tc-vlan-pop', type: 'sched_cls', asm: call(19, [], VLAN_FIELDS) },
  { name: 'tc-vlan-pop-twice', type: 'sched_cls', asm: call(19, [], `mov %r1, %r6\ncall 19\nmov %r7, %r0\n${ld(0)}\n${cb(0)}\n${ld(16)}\n${cb(1)}` + VLAN_FIELDS) },
  { name: 'tc-vlan-push-pop', type: 'sched_cls', asm: call(18, [0x0081, 5], `mov %r1, %r6\nmov %r2, 0x0081\nmov %r3, 6\ncall 18\nmov %r1, %r6\ncall 19\nmov %r7, %r0\n${ld(0)}\n${cb(0)}\n${ld(16)}\n${cb(1)}` + VLAN_FIELDS) },
  { name: 'tc-room-then-ldabs', type: 'sched_cls', asm: call(50, [8, 1, 0n], 'ldabsw 14\n' + cb(3) + '\nldabsb 22\n' + cb(4)) },
  { name: 'tc-tail-big', type: 'sched_cls', asm: call(38, [4000, 0], 'ldxw %r2, [%r6+76]\nldxw %r3, [%r6+80]\nmov %r4, %r2\nadd %r4, 4000\njgt %r4, %r3, +2\nstb [%r2+3999], 0x5a\nldxb %r0, [%r2+3999]\n' + cb(3)), packets: PACKETS },
  { name: 'sf-narrow', type: 'socket_filter', asm: NARROW, ctxs: [CTXS[0]!, CTXS[2]!] },
  { name: 'tc-narrow', type: 'sched_cls', asm: NARROW },
  { name: 'tc-head-write', type: 'sched_cls', asm: HEAD_WRITE },
  { name: 'tc-pop-read', type: 'sched_cls', asm: POP_READ },
  { name: 'tc-clone-redirect-lo', type: 'sched_cls', asm: call(13, [1, 0]) },
  { name: 'tc-clone-redirect-lo-ingress', type: 'sched_cls', asm: call(13, [1, 1]) },
  { name: 'act-redirect', type: 'sched_act', asm: 'mov %r1, 1\nmov %r2, 1\ncall 23\nexit' },
  { name: 'act-room', type: 'sched_act', asm: call(50, [-4, 0, 0n]) },
  { name: 'lwt-xmit-nat', type: 'lwt_xmit', asm: NAT(26, '0x34').replace(/mov %r2, 30/g, 'mov %r2, 16').replace('mov %r2, 24', 'mov %r2, 10') },
  { name: 'lwt-xmit-redirect', type: 'lwt_xmit', asm: 'mov %r1, 1\nmov %r2, 0\ncall 23\nexit' },
  { name: 'lwt-in-load-bytes', type: 'lwt_in', asm: loadBytes(0, 16) },
  { name: 'lwt-out-pull', type: 'lwt_out', asm: call(39, [10]) },
  { name: 'tc-ecn', type: 'sched_cls', asm: call(97, []) },
  { name: 'cg-ecn', type: 'cgroup_skb', asm: call(97, []).replace('mov %r0, %r7\nexit', '${cb(3)}\nmov %r0, 1\nexit'.replace('${cb(3)}', 'mov %r0, %r7\nstxw [%r6+60], %r0')) },
  { name: 'tc-csum-level', type: 'sched_cls', asm: CSUM_LEVEL },
  { name: 'tc-tstamp-mono', type: 'sched_cls', asm: call(192, [5000, 1], `ldxdw %r0, [%r6+152]\n${cb(3)}\nldxb %r0, [%r6+180]\n${cb(4)}`) },
  { name: 'tc-tstamp-tai0', type: 'sched_cls', asm: call(192, [0, 2]) },
  { name: 'tc-tstamp-real', type: 'sched_cls', asm: call(192, [77, 0], `ldxdw %r0, [%r6+152]\n${cb(3)}\nldxb %r0, [%r6+180]\n${cb(4)}`) },
  { name: 'tc-tstamp-bad', type: 'sched_cls', asm: call(192, [77, 3]) },
  { name: 'sf-socket-uid', type: 'socket_filter', asm: call(47, []).replace(/ldxw %r0, \[%r6\+80\]\nldxw %r1, \[%r6\+76\]\nsub %r0, %r1\n/, '') },
  { name: 'tc-socket-uid', type: 'sched_cls', asm: call(47, []) },
  // clang-compiled (test/fixtures/skb/progs.c)
  { name: 'c-tc-dnat', type: 'sched_cls', section: 'tc/dnat', ctxs: [CTXS[0]!, CTXS[1]!, CTXS[2]!] },
  { name: 'c-sf-http', type: 'socket_filter', section: 'socket', ctxs: [CTXS[0]!, CTXS[2]!] },
  { name: 'c-cg-allow', type: 'cgroup_skb', section: 'cgroup_skb/ingress', ctxs: [CTXS[0]!, CTXS[2]!] },
  { name: 'c-tc-ipip', type: 'sched_cls', section: 'tc/ipip', ctxs: [CTXS[0]!, CTXS[2]!] },
  { name: 'c-tc-vlan-pad', type: 'sched_cls', section: 'tc/vlan_pad', ctxs: [CTXS[0]!, CTXS[2]!] },
  { name: 'tc-tunnel-key', type: 'sched_cls', asm: loadBytes(0, 16, 20).replace('mov %r2, 0\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 16', 'mov %r2, %r10\nadd %r2, -16\nmov %r3, 16\nmov %r4, 0').replace('stdw [%r10-16], 0', 'stdw [%r10-16], -1') },
  { name: 'tc-tunnel-opt', type: 'sched_cls', asm: loadBytes(0, 16, 29).replace('mov %r2, 0\nmov %r3, %r10\nadd %r3, -16\nmov %r4, 16', 'mov %r2, %r10\nadd %r2, -16\nmov %r3, 16').replace('stdw [%r10-16], 0', 'stdw [%r10-16], -1') },
  { name: 'tc-route-realm', type: 'sched_cls', asm: call(24, []) },
  { name: 'lwt-route-realm', type: 'lwt_out', asm: call(24, []) },
  { name: 'tc-skb-cgroup-classid', type: 'sched_cls', asm: call(151, []) },
  // repeat: every repetition runs on the same skb
  { name: 'tc-fields-x3', type: 'sched_cls', asm: FIELDS_TC, repeat: 3 },
  { name: 'tc-head+14-x3', type: 'sched_cls', asm: call(43, [14, 0]), repeat: 3 },
  { name: 'tc-room-mac+8-x4', type: 'sched_cls', asm: call(50, [8, 1, 0n]), repeat: 4 },
  { name: 'sf-cb-roundtrip-x5', type: 'socket_filter', asm: CB_ROUNDTRIP, repeat: 5, ctxs: [CTXS[2]!] },
  { name: 'c-tc-dnat-x2', type: 'sched_cls', section: 'tc/dnat', repeat: 2 },
  // cgroup_skb
  { name: 'cg-fields', type: 'cgroup_skb', asm: CG_FIELDS, ctxs: CTXS },
  { name: 'cg-fields6', type: 'cgroup_skb', asm: CG_FIELDS6 },
  { name: 'cg-sk', type: 'cgroup_skb', asm: SK_FIELDS },
  { name: 'cg-load-bytes', type: 'cgroup_skb', asm: loadBytes(0, 16).replace('ldxw %r0, [%r6+0]\nexit', 'mov %r0, 1\nexit') },
  // lwt
  { name: 'lwt-in-fields', type: 'lwt_in', asm: LWT_FIELDS },
  { name: 'lwt-out-fields', type: 'lwt_out', asm: LWT_FIELDS },
  { name: 'lwt-xmit-fields', type: 'lwt_xmit', asm: LWT_FIELDS },
  { name: 'lwt-xmit-head', type: 'lwt_xmit', asm: call(43, [14, 0]) },
  { name: 'lwt-xmit-tail', type: 'lwt_xmit', asm: call(38, [30, 0]) },
];

/** The bytes of section `name` of an ELF64 little-endian object (the programs need no relocation). */
function elfSection(file: Uint8Array, name: string): Uint8Array {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const shoff = Number(dv.getBigUint64(0x28, true)), shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true), shstrndx = dv.getUint16(0x3e, true);
  const sh = (i: number) => ({
    name: dv.getUint32(shoff + i * shentsize, true),
    offset: Number(dv.getBigUint64(shoff + i * shentsize + 0x18, true)),
    size: Number(dv.getBigUint64(shoff + i * shentsize + 0x20, true)),
  });
  const strtab = sh(shstrndx);
  const str = (o: number) => { let e = strtab.offset + o; while (file[e]) e++; return new TextDecoder().decode(file.subarray(strtab.offset + o, e)); };
  for (let i = 0; i < shnum; i++) {
    const h = sh(i);
    if (str(h.name) === name) return file.slice(h.offset, h.offset + h.size);
  }
  throw new Error(`no section ${name}`);
}
let progsObject: Uint8Array | undefined;
const compiled = (section: string) => elfSection(progsObject ??= new Uint8Array(readFileSync(join(ROOT, 'test/fixtures/skb/progs.o'))), section);

export interface SkbCase { id: string; program: ProgramCase; bytes: Uint8Array; packet: Packet; ctx: CtxVariant }

/** Every (program, packet, ctx) combination of the corpus. */
export function allCases(): SkbCase[] {
  const out: SkbCase[] = [];
  for (const program of PROGRAMS) {
    const bytes = program.section ? compiled(program.section) : encode(assemble(program.asm!));
    for (const packet of program.packets ?? COMMON) {
      for (const c of program.ctxs ?? [CTXS[0]!, CTXS[2]!]) {
        out.push({ id: `${program.name}/${packet.name}/${c.name}`, program, bytes, packet, ctx: c });
      }
    }
  }
  return out;
}

export const kernelTypeId = (t: ProgramTypeName) => PROGRAM_TYPE_IDS[t];
export const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export const fromHex = hex;
