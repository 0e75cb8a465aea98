import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { assemble, decode, encode } from '../src/isa/index.js';
import { LoadedProgram } from '../src/runtime/test-run.js';
import { Machine } from '../src/runtime/machine.js';
import { ExecutionError } from '../src/diagnostics/index.js';
import { TestRunError, type SkbTestRunOutput } from '../src/programs/skb.js';
import {
  SK_BUFF_CGROUP_SKB, SK_BUFF_LWT, SK_BUFF_SIZE, SK_BUFF_SOCKET_FILTER, SK_BUFF_TC, SKB,
} from '../src/programs/contexts/sk_buff.js';
import { TC_ACT } from '../src/programs/tc.js';
import { csumFold, csumPartial, csumReplace2, csumReplace4 } from '../src/helpers/csum.js';
import type { ProgramTypeName } from '../src/programs/types.js';
import { eth, ipv4, ipv6, udp } from './kernel/skb-cases.js';

function load(type: ProgramTypeName, asm: string, machine?: Machine): LoadedProgram {
  return new LoadedProgram(decode(encode(assemble(asm))), { type, unverified: true }, machine);
}
const UDP4 = eth(0x0800, ipv4(17, udp()));
const errno = (fn: () => unknown): number => {
  try { fn(); } catch (e) { if (e instanceof TestRunError) return e.errno; throw e; }
  return 0;
};

test('__sk_buff layout and per-type access rules', () => {
  assert.is(SK_BUFF_SIZE, 192);
  assert.is(SKB.data, 76); assert.is(SKB.data_meta, 140); assert.is(SKB.tstamp, 152); assert.is(SKB.hwtstamp, 184);
  const names = (s: typeof SK_BUFF_TC, w?: boolean) => s.fields.filter((f) => w === undefined || f.writable === w).map((f) => f.name);
  assert.equal(names(SK_BUFF_SOCKET_FILTER, true), ['cb[0]', 'cb[1]', 'cb[2]', 'cb[3]', 'cb[4]']);
  assert.not.ok(names(SK_BUFF_SOCKET_FILTER).includes('data'));
  assert.equal(names(SK_BUFF_TC, true).sort(), ['cb[0]', 'cb[1]', 'cb[2]', 'cb[3]', 'cb[4]', 'mark', 'priority', 'queue_mapping',
    'tc_classid', 'tc_index', 'tstamp'].sort());
  assert.ok(names(SK_BUFF_TC).includes('data_meta'));
  assert.not.ok(names(SK_BUFF_TC).includes('family'));
  assert.ok(names(SK_BUFF_CGROUP_SKB).includes('local_ip4'));
  assert.not.ok(names(SK_BUFF_LWT).includes('data_meta'));
  assert.is(SK_BUFF_TC.fields.find((f) => f.name === 'data')!.kind, 'packet');
  assert.is(SK_BUFF_TC.fields.find((f) => f.name === 'sk')!.kind, 'sock');
});

test('socket filter: network-header view, ld_abs on it, data_out a frame with a zeroed MAC header', () => {
  const p = load('socket_filter', 'ldxw %r0, [%r1+0]\nexit');
  const r = p.testRun({ data: UDP4 });
  assert.is(r.retval, BigInt(UDP4.length - 14));
  assert.equal(r.dataOut.subarray(14), UDP4.subarray(14));
  assert.equal(r.dataOut.subarray(0, 14), new Uint8Array(14));
  // ld_abs offset 9 is the IPv4 protocol byte; past the end the program returns 0
  assert.is(load('socket_filter', 'mov %r6, %r1\nldabsb 9\nexit').testRun({ data: UDP4 }).retval, 17n);
  assert.is(load('socket_filter', 'mov %r6, %r1\nldabsb 40\nexit').testRun({ data: UDP4 }).retval, 0n);
  assert.is(load('socket_filter', 'mov %r6, %r1\nldabsb 39\nexit').testRun({ data: UDP4 }).retval, BigInt(UDP4[UDP4.length - 1]!));
  // r0 is reported as 32 bits and never truncates data_out
  const big = load('socket_filter', 'lddw %r0, 0x100000004\nexit').testRun({ data: UDP4 });
  assert.is(big.retval, 4n); assert.is(big.dataOut.length, UDP4.length);
});

test('eth_type_trans: protocol and pkt_type on loopback', () => {
  const p = load('sched_cls', 'ldxw %r0, [%r1+4]\nlsh %r0, 16\nldxw %r2, [%r1+16]\nor %r0, %r2\nexit');
  const run = (f: Uint8Array) => Number(p.testRun({ data: f }).retval);
  assert.is(run(UDP4), 0x0008);
  assert.is(run(eth(0x86dd, ipv6(17, udp()))), 0xdd86);
  assert.is(run(eth(0x0806, new Uint8Array(28), Uint8Array.of(255, 255, 255, 255, 255, 255))) >>> 16, 2); // multicast: lo has no broadcast address
  assert.is(run(eth(0x0806, new Uint8Array(28), Uint8Array.of(2, 0, 0, 0, 0, 9))) >>> 16, 3);
  assert.is(run(eth(0x0040, Uint8Array.of(0xff, 0xff, 0))) & 0xffff, 0x0100); // raw 802.3
  assert.is(run(eth(0x0040, Uint8Array.of(0xaa, 0xaa, 3))) & 0xffff, 0x0400); // 802.2 LLC
});

test('test_run input checks carry the kernel errno', () => {
  const p = load('sched_cls', 'mov %r0, 0\nexit');
  assert.is(errno(() => p.testRun({ data: new Uint8Array(13) })), 22);
  assert.is(errno(() => p.testRun({ data: new Uint8Array(3713) })), 22);
  assert.is(errno(() => p.testRun({ data: UDP4.subarray(0, 33) })), 22);
  const ctx = (off: number, v: number, size = 192) => { const b = new Uint8Array(size); new DataView(b.buffer).setUint32(off, v, true); return b; };
  assert.is(errno(() => p.testRun({ data: UDP4, ctx: ctx(0, 1) })), 22);
  assert.is(errno(() => p.testRun({ data: UDP4, ctx: ctx(40, 77) })), 19);
  assert.is(errno(() => p.testRun({ data: UDP4, ctx: ctx(196, 1, 200) })), 7);
  assert.is(errno(() => p.testRun({ data: UDP4, ctx: ctx(160, 10) })), 22);
  assert.is(errno(() => p.testRun({ data: UDP4, ctx: ctx(8, 5, 12) })), 0);
});

test('ctx_in/ctx_out: mark, priority, cb and tstamp round trip; wire_len and ifindex reported', () => {
  const p = load('sched_cls', `
ldxw %r2, [%r1+8]
add %r2, 1
stxw [%r1+8], %r2
ldxw %r2, [%r1+48]
add %r2, 5
stxw [%r1+64], %r2
ldxdw %r2, [%r1+152]
add %r2, 7
stxdw [%r1+152], %r2
stw [%r1+44], 3
mov %r0, 0
exit`);
  const ctx = new Uint8Array(192);
  const dv = new DataView(ctx.buffer);
  dv.setUint32(8, 41, true); dv.setUint32(48, 10, true); dv.setBigUint64(152, 100n, true); dv.setUint32(32, 6, true);
  const out = new DataView(p.testRun({ data: UDP4, ctx }).ctxOut!.buffer);
  assert.is(out.getUint32(8, true), 42);
  assert.is(out.getUint32(64, true), 15);
  assert.is(out.getBigUint64(152, true), 107n);
  assert.is(out.getUint32(32, true), 6);
  assert.is(out.getUint32(40, true), 1); // loopback
  assert.is(out.getUint32(160, true), UDP4.length); // wire_len = skb->len
  assert.is(out.getUint32(44, true), 0); // tc_index is not reported
});

test('bpf_redirect is recorded in the run result; bad flags give TC_ACT_SHOT', () => {
  const r = load('sched_cls', 'mov %r1, 5\nmov %r2, 1\ncall 23\nexit').testRun({ data: UDP4 }) as SkbTestRunOutput;
  assert.is(r.retval, BigInt(TC_ACT.REDIRECT));
  assert.equal(r.redirect, { ifindex: 5, flags: 1n });
  const bad = load('sched_cls', 'mov %r1, 5\nmov %r2, 2\ncall 23\nexit').testRun({ data: UDP4 }) as SkbTestRunOutput;
  assert.is(bad.retval, BigInt(TC_ACT.SHOT));
  assert.is(bad.redirect, undefined);
});

test('bpf_clone_redirect hands a copy of the frame to loopback', () => {
  const r = load('sched_cls', 'mov %r2, 1\nmov %r3, 0\ncall 13\nexit').testRun({ data: UDP4 }) as SkbTestRunOutput;
  assert.is(r.retval, 0n);
  assert.is(r.clones!.length, 1);
  assert.equal(r.clones![0]!.data, UDP4);
  assert.is(r.clones![0]!.ifindex, 1);
  const missing = load('sched_cls', 'mov %r2, 9\nmov %r3, 0\ncall 13\nexit').testRun({ data: UDP4 });
  assert.is(missing.retval, BigInt(0x100000000 - 22));
});

test('packet-moving helpers move the data window: new bytes are accessible, old bounds are not', () => {
  // grow the tail by 100 bytes and write the last one through data
  const grow = load('sched_cls', `
mov %r6, %r1
ldxw %r2, [%r6+0]
add %r2, 100
mov %r3, 0
call 38
ldxw %r2, [%r6+76]
ldxw %r3, [%r6+0]
add %r2, %r3
stb [%r2-1], 0x77
mov %r0, 0
exit`);
  const r = grow.testRun({ data: UDP4 });
  assert.is(r.dataOut.length, UDP4.length + 100);
  assert.is(r.dataOut[r.dataOut.length - 1], 0x77);
  // after shrinking, the bytes past the new end are outside the sandbox
  const shrink = load('sched_cls', `
mov %r6, %r1
mov %r2, 20
mov %r3, 0
call 38
ldxw %r2, [%r6+76]
ldxb %r0, [%r2+30]
exit`);
  try { shrink.testRun({ data: UDP4 }); assert.unreachable(); } catch (e) {
    assert.instance(e, ExecutionError); assert.is((e as ExecutionError).pc, 5);
  }
  // adjust_room: ld_abs sees the moved packet
  const room = load('sched_cls', `
mov %r6, %r1
mov %r2, 8
mov %r3, 1
mov %r4, 0
call 50
ldabsh 22
exit`);
  const rr = room.testRun({ data: UDP4 });
  assert.is(rr.retval, 0x4500n); // the IPv4 header now starts 8 bytes later (BPF_ADJ_ROOM_MAC inserts after the MAC header)
  assert.is(rr.dataOut.length, UDP4.length + 8);
});

test('helpers are limited to the kernel\'s program types', () => {
  const h = new Machine().helpers;
  const types = (n: string) => h.byHelperName(n)!.programTypes as readonly string[];
  assert.ok(types('bpf_skb_load_bytes').includes('socket_filter'));
  assert.not.ok(types('bpf_skb_store_bytes').includes('socket_filter'));
  assert.ok(types('bpf_skb_store_bytes').includes('lwt_xmit'));
  assert.not.ok(types('bpf_skb_adjust_room').includes('lwt_xmit'));
  assert.ok(h.byHelperName('bpf_skb_adjust_room')!.proto!.changesPacket);
  assert.is(h.byHelperName('bpf_skb_load_bytes')!.id, 26);
  assert.is(h.byHelperName('bpf_redirect')!.id, 23);
});

test('checksum arithmetic', () => {
  // RFC 1071 example words 0001 f203 f4f5 f6f7 sum to ddf2; as little-endian loads
  const b = Uint8Array.of(0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7);
  assert.is(csumFold(csumPartial(b, 0, 8, 0)), (~0xf2dd) & 0xffff);
  // an incremental update equals recomputing
  const hdr = ipv4(17, udp()).slice(0, 20);
  const dv = new DataView(hdr.buffer);
  const old = dv.getUint16(8, true), sum = dv.getUint16(10, true);
  hdr[8] = hdr[8]! - 1;
  const fresh = (() => { const h = hdr.slice(); h[10] = 0; h[11] = 0; return csumFold(csumPartial(h, 0, 20, 0)); })();
  assert.is(csumReplace2(sum, old, dv.getUint16(8, true)), fresh);
  assert.is(csumReplace4(sum, old, dv.getUint16(8, true)), fresh);
});

test('repeat reruns the program on the same skb, as the kernel does', () => {
  const p = load('sched_cls', 'mov %r6, %r1\nldxw %r0, [%r6+8]\nadd %r0, 1\nstxw [%r6+8], %r0\nmov %r1, %r6\nmov %r2, 4\nmov %r3, 0\ncall 43\nmov %r0, 0\nexit');
  const r = p.testRun({ data: UDP4, repeat: 3 });
  assert.is(r.dataOut.length, UDP4.length + 12);
  assert.is(new DataView(r.ctxOut!.buffer).getUint32(8, true), 3);
  // the next test run starts afresh
  assert.is(p.testRun({ data: UDP4 }).dataOut.length, UDP4.length + 4);
});

test.run();
