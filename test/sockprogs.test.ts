/**
 * The socket program types the kernel cannot BPF_PROG_TEST_RUN (sk_skb,
 * sk_msg, sock_ops, cgroup_sockopt, sk_reuseport, lirc_mode2): the fixtures
 * in test/fixtures/sockprogs run in both tiers on simulated sockets, with
 * expected results derived from the kernel function cited per test. When
 * bpf() works, the kernel's verifier is asked to load every fixture program
 * too (loadcheck.c), and the engine's verifier must agree.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { loadObject, type BpfObject } from '../src/object/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { setSocketAddress, setSocketCall } from '../src/helpers/sockprogs.js';
import { runStream, type SkSkbOutput } from '../src/programs/sk-skb.js';
import type { SkMsgOutput } from '../src/programs/sk-msg.js';
import type { SockOpsOutput } from '../src/programs/sock-ops.js';
import { runGetsockopt, runSetsockopt } from '../src/programs/cgroup-sockopt.js';
import { setMigratingSocket, type SkReuseportOutput } from '../src/programs/sk-reuseport.js';
import type { LircOutput } from '../src/programs/lirc.js';
import { SKB } from '../src/programs/contexts/sk_buff.js';
import { SOCK_OPS, SOCK_OPS_OP, SOCK_OPS_CB_FLAG } from '../src/programs/contexts/sock_ops.js';
import { LIRC_MODE2 } from '../src/programs/contexts/lirc.js';
import { verifyProgram } from '../src/object/object.js';
import type { RedirectTarget } from '../src/maps/redirect.js';

const DIR = join(ROOT, 'test', 'fixtures', 'sockprogs');
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const TIERS: TierName[] = ['interpreter', 'jit'];
const SK_PASS = 1n, SK_DROP = 0n;

function load(name: string, tier: TierName): BpfObject {
  return loadObject(new Uint8Array(readFileSync(join(DIR, `${name}.o`))), { name, kernels, tier });
}

const u32key = (k: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, k, true); return b; };
/** A socket fd as the 8-byte value of the fixtures' sockmaps. */
const u32val = (fd: number): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setUint32(0, fd, true); return b; };
/** Latin-1: one byte per character. */
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** A message of the fixtures' framing: 2-byte big-endian length, then the body. */
const frame = (body: string): Uint8Array => { const b = bytes(body); const out = new Uint8Array(b.length + 2); out[0] = b.length >> 8; out[1] = b.length & 0xff; out.set(b, 2); return out; };

/** `seen` slot as a DataView. */
function seen(obj: BpfObject, slot = 0): DataView {
  const v = obj.map('seen').lookup(u32key(slot))!;
  return new DataView(v.buffer, v.byteOffset, v.byteLength);
}

/** A u32 load of network-order bytes on little-endian. */
const rawIp4 = (ip: string): number => { const b = new Uint8Array(ip.split('.').map(Number)); return new DataView(b.buffer).getUint32(0, true); };
/** remote_port: the wire-order port in the low 16 bits of a u32 load. */
const rawPort = (p: number): number => ((p & 0xff) << 8) | (p >> 8);

test('before the tiers: the JIT is loaded', async () => { await loadTier('jit'); });


/** A second established TCP socket, the redirect target, in sock_map[1] and sock_hash{2}. */
function peer(obj: BpfObject): bigint {
  const fd = obj.maps_.socket({ family: 'inet', protocol: 'tcp' });
  obj.map('sock_map').update(u32key(1), u32val(fd));
  obj.map('sock_hash').update(u32key(2), u32val(fd));
  const o = obj.maps_.object(fd) as { cookie: bigint };
  return o.cookie;
}

function skSkb(tier: TierName) {
  const obj = load('sk_skb', tier);
  const fd = obj.maps_.socket({ family: 'inet', protocol: 'tcp' });
  setSocketCall(obj.machine, { sock: fd, local: '10.0.0.1:8080', remote: '10.0.0.2:40000' });
  const verdict = (data: Uint8Array) => obj.program('verdict').loaded.testRun({ data }) as unknown as SkSkbOutput;
  return { obj, verdict, peerCookie: peer(obj) };
}

const socketTarget = (t: RedirectTarget | undefined): { cookie: bigint; ingress: boolean } | undefined => (t && t.kind === 'socket' ? { cookie: t.cookie, ingress: t.ingress } : undefined);
const str = (b: Uint8Array) => String.fromCharCode(...b);
const le32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return b; };

for (const tier of TIERS) {
  test(`${tier}: every fixture program passes the engine's verifier`, () => {
    for (const name of ['sk_skb', 'sk_msg', 'sockops', 'sockopt', 'reuseport', 'lirc']) {
      const obj = load(name, tier);
      for (const p of obj.programs.values()) assert.ok(p.loaded.verification, `${name}/${p.name} verified`);
    }
  });

  // sk_skb: __sk_buff fields as sk_skb_convert_ctx_access reads them from the socket (family, addresses,
  // ports) and the skb; priority and tc_index are writable (sk_skb_is_valid_access)
  test(`${tier}: sk_skb verdict reads __sk_buff and the socket, writes priority/tc_index, passes`, () => {
    const obj = load('sk_skb', tier);
    const fd = obj.maps_.socket({ family: 'inet', protocol: 'tcp' });
    setSocketCall(obj.machine, { sock: fd, local: '10.0.0.1:8080', remote: '10.0.0.2:40000' });
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setUint32(SKB.hash!, 0xabcd, true);
    new DataView(ctx.buffer).setUint32(SKB.ingress_ifindex!, 1, true);
    const r = obj.program('verdict').loaded.testRun({ data: frame('Pxyz'), ctx }) as unknown as SkSkbOutput;
    assert.is(r.retval, SK_PASS);
    assert.is(r.verdict, 'pass');
    assert.is(r.redirect, undefined);
    const s = seen(obj);
    assert.is(s.getUint32(0, true), 6); // len
    assert.is(s.getUint32(12, true), 0x0008); // protocol: htons(ETH_P_IP)
    assert.is(s.getUint32(32, true), 1); // ingress_ifindex from ctx_in
    assert.is(s.getUint32(48, true), 0xabcd); // hash from ctx_in
    assert.is(s.getUint32(56, true), 2); // family AF_INET
    assert.is(s.getUint32(60, true), rawIp4('10.0.0.2')); // remote_ip4
    assert.is(s.getUint32(64, true), rawIp4('10.0.0.1')); // local_ip4
    assert.is(s.getUint32(100, true), rawPort(40000)); // remote_port
    assert.is(s.getUint32(104, true), 8080); // local_port (host order)
    assert.is(s.getUint32(116, true), 2); // skb->sk->family
    assert.is(s.getUint32(120, true), 6); // data_end - data after bpf_skb_pull_data(4)
    assert.is(s.getBigUint64(144, true), (obj.maps_.object(fd) as { cookie: bigint }).cookie); // bpf_get_socket_cookie
    const out = new DataView(r.ctxOut!.buffer);
    assert.is(out.getUint32(SKB.priority!, true), 7);
    assert.is(out.getUint32(SKB.tc_index!, true), 9);
    assert.equal([...r.dataOut], [...frame('Pxyz')]);
  });

  // bpf_sk_redirect_map/hash: SK_PASS with the socket recorded (BPF_F_INGRESS kept), SK_DROP for an empty slot
  test(`${tier}: sk_skb redirects through sockmap and sockhash`, () => {
    const { verdict, peerCookie } = skSkb(tier);
    let r = verdict(frame('R\x01'));
    assert.is(r.retval, SK_PASS); assert.is(r.verdict, 'redirect');
    assert.equal(socketTarget(r.redirect), { cookie: peerCookie, ingress: false });
    r = verdict(frame('I\x01'));
    assert.equal(socketTarget(r.redirect), { cookie: peerCookie, ingress: true });
    r = verdict(frame('H\x02'));
    assert.is(r.verdict, 'redirect');
    assert.equal(socketTarget(r.redirect), { cookie: peerCookie, ingress: false });
    r = verdict(frame('R\x03'));
    assert.is(r.retval, SK_DROP); assert.is(r.verdict, 'drop');
    r = verdict(frame('D\x00'));
    assert.is(r.retval, SK_DROP); assert.is(r.redirect, undefined);
  });

  // sk_skb_adjust_room pushes zeroed bytes at the head or pulls them; mode/flags EINVAL, more than the
  // skb ENOMEM; sk_skb_change_tail/head add zeroed bytes at the end / head
  test(`${tier}: sk_skb adjust_room, change_tail and change_head reshape the message`, () => {
    const { obj, verdict } = skSkb(tier);
    const ret = () => seen(obj).getBigInt64(128, true);
    const lenAfter = () => seen(obj).getUint32(136, true);
    let r = verdict(frame('A\x04'));
    assert.is(ret(), 0n); assert.is(lenAfter(), 8);
    assert.equal([...r.dataOut], [...bytes('now!'), ...frame('A\x04')]);
    r = verdict(frame('S\x02'));
    assert.is(ret(), 0n); assert.is(lenAfter(), 2);
    assert.is(str(r.dataOut), 'S\x02');
    r = verdict(frame('S\xc8'));
    assert.is(ret(), -12n); assert.is(lenAfter(), 4);
    r = verdict(frame('T\x03'));
    assert.is(ret(), 0n);
    assert.equal([...r.dataOut], [...frame('T\x03'), 0, 0, 0]);
    r = verdict(frame('E\x05'));
    assert.is(ret(), 0n); assert.is(seen(obj).getUint32(140, true), 0);
    assert.equal([...r.dataOut], [0, 0, 0, 0, 0, ...frame('E\x05')]);
    r = verdict(frame('X\x00'));
    assert.is(ret(), -22n); assert.is(lenAfter(), 4);
  });

  // strparser (__strp_recv): the parser sees everything not yet cut; 0 (too few bytes: bpf_skb_load_bytes
  // fails) waits; each whole message goes to the verdict program
  test(`${tier}: sk_skb stream: parser cuts messages across chunks, verdict judges each`, () => {
    const { obj, peerCookie } = skSkb(tier);
    const stream = new Uint8Array([...frame('Paaa'), ...frame('Dbb'), ...frame('R\x01'), ...frame('Pzz')]);
    const chunks = [stream.subarray(0, 1), stream.subarray(1, 9), stream.subarray(9, 14), stream.subarray(14, 17)];
    const res = runStream(obj.program('parser').loaded, obj.program('verdict').loaded, chunks);
    assert.is(res.error, undefined);
    assert.equal(res.messages.map((m) => [str(m.message), m.verdict]), [['\x00\x04Paaa', 'pass'], ['\x00\x03Dbb', 'drop'], ['\x00\x02R\x01', 'redirect']]);
    assert.is(socketTarget(res.messages[2]!.redirect)!.cookie, peerCookie);
    assert.is(str(res.pending), '\x00\x03');
    // the parser ran last on the 2 pending bytes (the length prefix of 'Pzz')
    assert.is(seen(obj).getUint32(124, true), 2);
    const big = runStream(obj.program('parser').loaded, obj.program('verdict').loaded, [frame('Pxxxxxxxx')], { maxMessage: 8 });
    assert.is(big.error, 90); // EMSGSIZE
  });

  test(`${tier}: sk_skb/verdict passes data and drops an empty skb`, () => {
    const { obj } = skSkb(tier);
    const p = obj.program('skb_verdict').loaded;
    assert.is(p.testRun({ data: bytes('x') }).retval, SK_PASS);
    assert.is(p.testRun({ data: new Uint8Array(0) }).retval, SK_DROP);
  });

  // sk_msg: sk_msg_convert_ctx_access reads family/addresses/ports from the socket, size from sg.size
  function skMsg(tier: TierName, family: 'inet' | 'inet6' = 'inet') {
    const obj = load('sk_msg', tier);
    const fd = obj.maps_.socket({ family, protocol: 'tcp' });
    setSocketCall(obj.machine, family === 'inet'
      ? { sock: fd, local: '192.168.1.1:443', remote: '192.168.1.2:50000' }
      : { sock: fd, local: '[2001:db8::1]:443', remote: '[2001:db8::2]:50000' });
    const run = (m: string) => obj.program('msg_verdict').loaded.testRun({ data: bytes(m) }) as unknown as SkMsgOutput;
    return { obj, run, peerCookie: peer(obj) };
  }

  test(`${tier}: sk_msg reads sk_msg_md (IPv4 and IPv6) and passes`, () => {
    let { obj, run } = skMsg(tier);
    let r = run('Phello');
    assert.is(r.retval, SK_PASS); assert.is(r.verdict, 'pass');
    let s = seen(obj);
    assert.is(s.getUint32(0, true), 2);
    assert.is(s.getUint32(4, true), rawIp4('192.168.1.2'));
    assert.is(s.getUint32(8, true), rawIp4('192.168.1.1'));
    assert.is(s.getUint32(44, true), rawPort(50000));
    assert.is(s.getUint32(48, true), 443);
    assert.is(s.getUint32(52, true), 6); // size
    assert.is(s.getUint32(56, true), 2); // sk->family
    assert.is(s.getUint32(60, true), 6); // sk->protocol
    assert.is(s.getUint32(64, true), 6); // one element: data..data_end is the whole message
    assert.equal(r.elements, [6]);
    ({ obj, run } = skMsg(tier, 'inet6'));
    r = run('P6');
    s = seen(obj);
    assert.is(s.getUint32(0, true), 10);
    assert.is(s.getUint32(4, true), 0); // remote_ip4 of an IPv6 socket
    assert.is(s.getUint32(12, true), rawIp4('32.1.13.184')); // remote_ip6[0] = 2001:0db8
    assert.is(s.getUint32(24, true), rawIp4('0.0.0.2')); // remote_ip6[3]
    assert.is(s.getUint32(40, true), rawIp4('0.0.0.1')); // local_ip6[3]
  });

  test(`${tier}: sk_msg redirects, drops, applies and corks`, () => {
    const { obj, run, peerCookie } = skMsg(tier);
    let r = run('R\x01');
    assert.is(r.verdict, 'redirect'); assert.equal(socketTarget(r.redirect), { cookie: peerCookie, ingress: false });
    r = run('r\x01');
    assert.equal(socketTarget(r.redirect), { cookie: peerCookie, ingress: true });
    r = run('H\x02');
    assert.is(r.verdict, 'redirect');
    r = run('R\x00');
    assert.is(r.retval, SK_DROP);
    r = run('D\x00');
    assert.is(r.retval, SK_DROP); assert.is(r.verdict, 'drop');
    r = run('A\x20xxxx');
    assert.is(r.applyBytes, 0x20); assert.is(r.corkBytes, 0); assert.is(seen(obj).getBigInt64(80, true), 0n);
    r = run('C\x40');
    assert.is(r.corkBytes, 0x40); assert.is(r.applyBytes, 0);
  });

  // bpf_msg_push_data inside the element splits it (front, new, back) and data..data_end is then the
  // first element; bpf_msg_pull_data(0, size) makes it one element again
  test(`${tier}: sk_msg push, pull and pop data`, () => {
    const { obj, run } = skMsg(tier);
    let r = run('U1234');
    let s = seen(obj);
    assert.is(s.getBigInt64(80, true), 0n); assert.is(s.getBigInt64(88, true), 0n);
    assert.is(str(r.dataOut), 'Uxyz1234');
    assert.is(s.getUint32(68, true), 8); // size after the push
    assert.is(s.getUint32(72, true), 8); // pulled: one element
    assert.equal(r.elements, [8]);
    r = run('O12345');
    s = seen(obj);
    assert.is(s.getBigInt64(80, true), 0n);
    assert.is(str(r.dataOut), 'O345');
    assert.equal(r.elements, [1, 3]);
    assert.is(s.getUint32(72, true), 1); // data..data_end: the first element only
    assert.is(s.getUint32(76, true), 'O'.charCodeAt(0));
    r = run('P12345');
    s = seen(obj);
    assert.is(s.getBigInt64(80, true), 0n);
    assert.is(s.getUint32(72, true), 3); // [2, 5)
    assert.is(s.getUint32(76, true), '2'.charCodeAt(0));
    r = run('E1');
    s = seen(obj);
    assert.is(s.getBigInt64(80, true), -22n); // end past the message
    assert.is(s.getBigInt64(88, true), -22n); // flags
  });

  function sockOps(tier: TierName, op: number, fields: Record<string, number> = {}, fullsock = true) {
    const obj = load('sockops', tier);
    const fd = obj.maps_.socket({ family: 'inet', protocol: 'tcp' });
    setSocketCall(obj.machine, { sock: fd, local: '10.1.0.1:22', remote: '10.1.0.9:51000' });
    return { obj, fd, run: (o = op, data?: Uint8Array) => {
      const ctx = new Uint8Array(224);
      const dv = new DataView(ctx.buffer);
      dv.setUint32(SOCK_OPS.op!, o, true);
      dv.setUint32(SOCK_OPS.is_fullsock!, fullsock ? 1 : 0, true);
      for (const [k, v] of Object.entries(fields)) {
        if (k === 'bytes_received' || k === 'bytes_acked' || k === 'skb_hwtstamp') dv.setBigUint64(SOCK_OPS[k]!, BigInt(v), true);
        else dv.setUint32(SOCK_OPS[k]!, v, true);
      }
      return obj.program('sock_ops').loaded.testRun({ ctx, ...(data ? { data } : {}) }) as unknown as SockOpsOutput;
    } };
  }

  // tcp_call_bpf: reply is the answer when the program returns 1; the tcp_sock fields come through as the
  // kernel's conversions read them
  test(`${tier}: sock_ops reads bpf_sock_ops and replies to TIMEOUT_INIT/RWND_INIT`, () => {
    const { obj, run } = sockOps(tier, SOCK_OPS_OP.TIMEOUT_INIT, {
      'args[0]': 11, 'args[3]': 44, snd_cwnd: 10, srtt_us: 800, state: 1, mss_cache: 1448, sk_txhash: 0x77,
      bytes_received: 5000, bytes_acked: 7000, skb_tcp_flags: 0x12, skb_hwtstamp: 99, sacked_out: 3,
    });
    let r = run(SOCK_OPS_OP.TIMEOUT_INIT, bytes('Skb'));
    assert.is(r.retval, 1n); assert.is(r.result, 10);
    const s = seen(obj);
    assert.is(s.getUint32(0, true), SOCK_OPS_OP.TIMEOUT_INIT);
    assert.is(s.getUint32(4, true), 11); assert.is(s.getUint32(16, true), 44);
    assert.is(s.getUint32(20, true), 2);
    assert.is(s.getUint32(24, true), rawIp4('10.1.0.9')); assert.is(s.getUint32(28, true), rawIp4('10.1.0.1'));
    assert.is(s.getUint32(64, true), rawPort(51000)); assert.is(s.getUint32(68, true), 22);
    assert.is(s.getUint32(72, true), 1); // is_fullsock
    assert.is(s.getUint32(76, true), 10); assert.is(s.getUint32(80, true), 800);
    assert.is(s.getUint32(88, true), 1); assert.is(s.getUint32(112, true), 1448); assert.is(s.getUint32(160, true), 3);
    assert.is(s.getUint32(164, true), 0x77);
    assert.is(s.getBigUint64(168, true), 5000n); assert.is(s.getBigUint64(176, true), 7000n); assert.is(s.getBigUint64(184, true), 99n);
    assert.is(s.getUint32(192, true), 3); // skb_len
    assert.is(s.getUint32(196, true), 0x12); // skb_tcp_flags
    assert.is(s.getUint32(200, true), 3); assert.is(s.getUint32(204, true), 'S'.charCodeAt(0));
    assert.is(s.getUint32(208, true), 2); // sk->family
    r = run(SOCK_OPS_OP.RWND_INIT);
    assert.is(r.result, 40);
    assert.is(new DataView(r.ctxOut!.buffer).getUint32(SOCK_OPS.reply!, true), 40);
  });

  // without a full socket the tcp_sock fields read 0 and sk is NULL (SOCK_OPS_GET_FIELD / _GET_SK)
  test(`${tier}: sock_ops on a request socket: tcp_sock fields read 0`, () => {
    const { obj, run } = sockOps(tier, SOCK_OPS_OP.NEEDS_ECN, { snd_cwnd: 10, srtt_us: 800 }, false);
    const r = run();
    assert.is(r.result, 1);
    const s = seen(obj);
    assert.is(s.getUint32(72, true), 0); assert.is(s.getUint32(76, true), 0); assert.is(s.getUint32(80, true), 0);
    assert.is(s.getUint32(208, true), 0); // sk NULL
    assert.is(s.getUint32(20, true), 2); // family still there
  });

  // PASSIVE_ESTABLISHED_CB: bpf_sock_map_update/bpf_sock_hash_update add the socket (sock_map_op_okay),
  // bpf_sock_ops_cb_flags_set keeps the known flags and returns the unknown ones, setsockopt/getsockopt
  // on the socket (SO_SNDBUF doubled by sk_setsockopt), sk_txhash written
  test(`${tier}: sock_ops established: sockmap/sockhash update, cb flags, setsockopt, getsockopt`, () => {
    const { obj, fd, run } = sockOps(tier, SOCK_OPS_OP.PASSIVE_ESTABLISHED_CB);
    const r = run();
    assert.is(r.retval, 1n);
    const s = seen(obj);
    assert.is(s.getBigInt64(216, true), 0n); assert.is(s.getBigInt64(224, true), 0n);
    const cookie = (obj.maps_.object(fd) as { cookie: bigint }).cookie;
    assert.is(new DataView(obj.map('sock_map').lookup(u32key(0))!.buffer).getBigUint64(0, true), cookie);
    assert.is(new DataView(obj.map('sock_hash').lookup(u32key(22))!.buffer).getBigUint64(0, true), cookie);
    assert.is(s.getBigInt64(232, true), 0x100n); // the unknown flag comes back
    const flags = SOCK_OPS_CB_FLAG.STATE | SOCK_OPS_CB_FLAG.RTT;
    assert.is(s.getUint32(212, true), flags); assert.is(r.cbFlags, flags);
    assert.is(s.getBigInt64(240, true), 0n); assert.is(s.getBigInt64(248, true), 0n);
    assert.is(s.getBigInt64(256, true), 0n); assert.is(s.getBigInt64(264, true), 0n);
    assert.is(s.getInt32(272, true), 1); assert.is(s.getInt32(276, true), 131072);
    assert.is(s.getBigUint64(280, true), (obj.maps_.object(fd) as { cookie: bigint }).cookie); // bpf_get_socket_cookie
    assert.is(new DataView(r.ctxOut!.buffer).getUint32(SOCK_OPS.sk_txhash!, true), 0x5eed);
    // a second establish: sock_hash key 22 exists and BPF_NOEXIST refuses it; the flags stay on the socket
    const r2 = run(SOCK_OPS_OP.ACTIVE_ESTABLISHED_CB);
    assert.is(seen(obj).getBigInt64(224, true), -17n);
    assert.is(seen(obj).getUint32(84, true), flags);
    assert.is(r2.retval, 1n);
    // STATE_CB is not an op that may add to a map, but the program does not try there
    assert.is(run(SOCK_OPS_OP.STATE_CB).result, 0);
  });

  // cgroup/getsockopt: the handler's answer is in the buffer and retval; the program rewrote IP_TOS
  test(`${tier}: cgroup getsockopt reads bpf_sockopt, rewrites an answer, refuses one`, () => {
    const obj = load('sockopt', tier);
    const fd = obj.maps_.socket({ family: 'inet6', protocol: 'udp' });
    setSocketCall(obj.machine, { sock: fd, local: '[::1]:53', remote: '[::1]:5353' });
    const p = obj.program('getsockopt_prog').loaded;
    let r = runGetsockopt(p, { level: 0, optname: 1, optval: le32(0), retval: -95, userOptlen: 4 });
    let s = seen(obj, 0);
    assert.equal([s.getUint32(0, true), s.getUint32(4, true), s.getInt32(8, true), s.getInt32(12, true)], [0, 1, 4, -95]);
    assert.is(s.getUint32(16, true), 16); // max(16, optlen) buffer
    assert.is(s.getUint32(20, true), 10); assert.is(s.getUint32(24, true), 2); // AF_INET6, SOCK_DGRAM
    assert.equal(r.result, { kind: 'get', retval: 0, optval: new Uint8Array([0x42]) });
    // SO_SNDBUF passes the handler's answer through
    r = runGetsockopt(p, { level: 1, optname: 7, optval: le32(212992), retval: 0, userOptlen: 4 });
    assert.equal(r.result, { kind: 'get', retval: 0, optval: le32(212992) });
    r = runGetsockopt(p, { level: 1, optname: 0xbad, optval: le32(0), retval: 0, userOptlen: 4 });
    assert.equal(r.result, { kind: 'error', errno: 1 });
    // the handler failed and the program kept it: the caller sees the handler's error
    r = runGetsockopt(p, { level: 1, optname: 99, optval: new Uint8Array(0), retval: -92, userOptlen: 4 });
    assert.equal(r.result, { kind: 'error', errno: 92 });
  });

  test(`${tier}: cgroup setsockopt doubles, bypasses, rewrites and refuses`, () => {
    const obj = load('sockopt', tier);
    const fd = obj.maps_.socket({ family: 'inet', protocol: 'tcp' });
    setSocketCall(obj.machine, { sock: fd, local: '10.0.0.1:80', remote: '10.0.0.2:1234' });
    const p = obj.program('setsockopt_prog').loaded;
    let r = runSetsockopt(p, { level: 1, optname: 7, optval: le32(1000) });
    const s = seen(obj, 1);
    assert.equal([s.getUint32(0, true), s.getUint32(4, true), s.getInt32(8, true)], [1, 7, 4]);
    assert.is(s.getUint32(16, true), 16); assert.is(s.getUint32(24, true), 1); // SOCK_STREAM
    assert.is(s.getUint32(28, true), 0xe8); // first byte of 1000
    assert.equal(r.result, { kind: 'set', level: 1, optname: 7, optval: le32(2000) });
    r = runSetsockopt(p, { level: 0xdead, optname: 1, optval: le32(1) });
    assert.equal(r.result, { kind: 'bypass' });
    r = runSetsockopt(p, { level: 6, optname: 1, optval: le32(1) });
    assert.equal(r.result, { kind: 'set', level: 0, optname: 1, optval: new Uint8Array([0x10]) });
    r = runSetsockopt(p, { level: 1, optname: 0xbad, optval: le32(1) });
    assert.equal(r.result, { kind: 'error', errno: 1 });
    // a value too small for SO_SNDBUF's int: the program refuses it
    r = runSetsockopt(p, { level: 1, optname: 7, optval: new Uint8Array(0) });
    assert.is(r.retval, 1n); // 16-byte buffer: the read is in bounds; the doubled 0 is written but optlen stays 0
    assert.equal(r.result, { kind: 'set', level: 1, optname: 7, optval: new Uint8Array(0) });
  });

  function reuseport(tier: TierName) {
    const obj = load('reuseport', tier);
    const a = obj.maps_.socket({ family: 'inet', protocol: 'udp', reuseport: true, bound: true, state: 'close' });
    const b = obj.maps_.socket({ family: 'inet', protocol: 'udp', reuseport: true, bound: true, state: 'close' });
    const tcp = obj.maps_.socket({ family: 'inet', protocol: 'tcp', reuseport: true, state: 'listen' });
    setSocketAddress(obj.machine, b, '0.0.0.0:5353');
    setSocketAddress(obj.machine, tcp, '0.0.0.0:5353');
    obj.map('reuse_map').update(u32key(0), u32val(a));
    obj.map('reuse_map').update(u32key(1), u32val(b));
    obj.map('reuse_map').update(u32key(3), u32val(tcp));
    setSocketCall(obj.machine, { sock: a, local: '0.0.0.0:5353', remote: '10.9.9.9:4000' });
    const cookie = (fd: number) => (obj.maps_.object(fd) as { cookie: bigint }).cookie;
    const md = (hash: number) => { const c = new Uint8Array(56); const dv = new DataView(c.buffer); dv.setUint32(20, 0x0008, true); dv.setUint32(24, 17, true); dv.setUint32(28, 1, true); dv.setUint32(32, hash, true); return c; };
    const run = (hash: number, data = new Uint8Array([0x0f, 0xa0, 0x14, 0xe9, 0, 12, 0, 0])) =>
      obj.program('select_sk').loaded.testRun({ ctx: md(hash), data }) as unknown as SkReuseportOutput;
    return { obj, a, b, tcp, cookie, run };
  }

  // sk_select_reuseport: the socket under the key if in the caller's group; ENOENT for an empty slot,
  // EPROTOTYPE for a socket of another protocol; SK_PASS without a selection falls back to the hash
  test(`${tier}: sk_reuseport reads sk_reuseport_md and selects through the reuseport array`, () => {
    const { obj, b, cookie, run } = reuseport(tier);
    let r = run(5); // 5 % 4 = 1
    assert.is(r.retval, SK_PASS); assert.is(r.outcome, 'selected'); assert.is(r.selected, cookie(b));
    const s = seen(obj);
    assert.equal([0, 4, 8, 12, 16, 20, 24].map((o) => s.getUint32(o, true)), [8, 0x0008, 17, 1, 5, 8, 0x0f]);
    assert.is(s.getUint32(28, true), 2); assert.is(s.getUint32(32, true), 17);
    assert.is(s.getBigInt64(48, true), 0n);
    r = run(2);
    assert.is(seen(obj).getBigInt64(48, true), -2n); assert.is(r.outcome, 'hash');
    r = run(3);
    assert.is(seen(obj).getBigInt64(48, true), -91n); assert.is(r.outcome, 'hash');
    r = run(1, new Uint8Array([0xdd, 0]));
    assert.is(r.retval, SK_DROP); assert.is(r.outcome, 'refused');
  });

  test(`${tier}: sk_reuseport/migrate sees the migrating socket`, () => {
    const { obj, b, cookie } = reuseport(tier);
    const old = obj.maps_.socket({ family: 'inet', protocol: 'tcp', state: 'established' });
    const p = obj.program('migrate').loaded;
    let r = p.testRun({ data: new Uint8Array(8) }) as unknown as SkReuseportOutput;
    assert.is(seen(obj).getUint32(36, true), 0); assert.is(r.outcome, 'hash');
    setMigratingSocket(obj.machine, old);
    r = p.testRun({ data: new Uint8Array(8) }) as unknown as SkReuseportOutput;
    assert.is(seen(obj).getUint32(36, true), 1); assert.is(seen(obj).getUint32(40, true), 1); // TCP_ESTABLISHED
    assert.is(r.outcome, 'selected'); assert.is(r.selected, cookie(b));
  });

  test(`${tier}: lirc_mode2 decodes samples into rc events`, () => {
    const obj = load('lirc', tier);
    const p = obj.program('ir_decoder').loaded;
    const run = (v: number) => p.testRun({ ctx: le32(v) }) as unknown as LircOutput;
    assert.equal(run(LIRC_MODE2.PULSE | 551).rcEvents, [{ kind: 'keydown', protocol: 19, scancode: 55n, toggle: true }]);
    assert.equal(seen(obj).getUint32(4, true), LIRC_MODE2.PULSE); assert.is(seen(obj).getUint32(8, true), 551);
    assert.equal(run(LIRC_MODE2.PULSE | 1200).rcEvents, [{ kind: 'repeat' }]);
    assert.equal(run(LIRC_MODE2.SPACE | 700).rcEvents, [{ kind: 'pointer_rel', x: 7, y: -1 }]);
    assert.equal(run(LIRC_MODE2.TIMEOUT | 5000).rcEvents, []);
    assert.is(seen(obj).getBigInt64(16, true), 0n);
  });
}

// bad input is a TestRunError (EW8001) naming the problem, never a crash
test('bad socket calls and contexts are refused with an errno', () => {
  const obj = load('sk_msg', 'interpreter');
  const p = obj.program('msg_verdict').loaded;
  const errnoOf = (f: () => unknown): number | undefined => { try { f(); } catch (e) { return (e as { errno?: number }).errno; } return undefined; };
  assert.is(errnoOf(() => p.testRun({ data: bytes('P') })), 22); // no setSocketCall
  const fd = obj.maps_.socket({ family: 'inet', protocol: 'tcp' });
  for (const bad of ['10.0.0.1', '10.0.0.256:80', '[::1:80', '10.0.0.1:70000', '[1:2:3:4:5:6:7:8:9]:1']) {
    setSocketCall(obj.machine, { sock: fd, local: bad, remote: '10.0.0.2:1' });
    assert.is(errnoOf(() => p.testRun({ data: bytes('P') })), 22, bad);
  }
  setSocketCall(obj.machine, { sock: fd, local: '[::1]:80', remote: '10.0.0.2:1' }); // family mismatch
  assert.is(errnoOf(() => p.testRun({ data: bytes('P') })), 22);
  setSocketCall(obj.machine, { sock: 999, local: '10.0.0.1:80', remote: '10.0.0.2:1' });
  assert.is(errnoOf(() => p.testRun({ data: bytes('P') })), 22);
  const xsk = obj.maps_.socket({ family: 'xdp' });
  setSocketCall(obj.machine, { sock: xsk, local: '10.0.0.1:80', remote: '10.0.0.2:1' });
  assert.is(errnoOf(() => p.testRun({ data: bytes('P') })), 22);
  const lirc = load('lirc', 'interpreter').program('ir_decoder').loaded;
  assert.is(errnoOf(() => lirc.testRun({ ctx: new Uint8Array(3) })), 22);
  assert.is(errnoOf(() => lirc.testRun({ data: new Uint8Array(4), ctx: new Uint8Array(4) })), 22);
  const so = load('sockopt', 'interpreter').program('setsockopt_prog').loaded;
  assert.is(errnoOf(() => so.testRun({})), 22); // not through runSetsockopt/runGetsockopt
});

/** Programs the kernel refuses (rejects.c): the engine's verifier refuses every one. */
const REJECTS = [
  'ops_write_replylong1', 'ops_write_family', 'ops_u8_read_op', 'ops_write_skb_data', 'ops_return_2',
  'skb_write_cb', 'skb_read_mark', 'skb_read_tc_classid', 'msg_write_size', 'msg_u32_read_data',
  'reuse_write_packet', 'reuse_u16_read_hash', 'sockopt_return_2', 'sockopt_write_sk', 'lirc_write_sample', 'lirc_read_past_sample',
];

/** The engine verifier's reason for refusing each program of rejects.c (the message after "pc N: "). */
function engineRefusals(): Map<string, string> {
  const obj = loadObject(new Uint8Array(readFileSync(join(DIR, 'rejects.o'))), { name: 'rejects', kernels, unverified: true });
  const out = new Map<string, string>();
  for (const p of obj.programs.values()) {
    try { verifyProgram(p.spec, obj.spec); } catch (e) { out.set(p.name, String((e as Error).message).replace(/^.*pc \d+: /s, '')); }
  }
  return out;
}

test('the engine refuses what the kernel refuses (rejects.c)', () => {
  const refused = engineRefusals();
  assert.equal([...refused.keys()].sort(), [...REJECTS].sort());
  for (const [name, why] of refused) {
    const expected = name.includes('_return_2') ? /^At program exit the register R0 has smin=2 smax=2 should have been in \[0, 1\]$/
      : name.includes('write_skb_data') || name.includes('write_packet') ? /^cannot write into packet$/ : /^invalid bpf_context access off=\d+ size=\d$/;
    assert.match(why, expected, name);
  }
});

/**
 * The kernel's verifier on the fixtures (BPF_PROG_LOAD through libbpf, loadcheck.c): it accepts every
 * program but lirc_mode2's (CONFIG_BPF_LIRC_MODE2 is not set on this kernel: EINVAL before the
 * verifier) and refuses every program of rejects.c. Runs whenever bpf() works; a skip as root fails.
 */
test('kernel BPF_PROG_LOAD agrees on the fixtures', () => {
  const root = process.getuid?.() === 0;
  const bin = join(tmpdir(), `sockprogs-loadcheck-${process.pid}`);
  const cc = spawnSync('gcc', ['-O2', '-o', bin, join(DIR, 'loadcheck.c'), '-lbpf'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    assert.ok(!root, `running as root but loadcheck.c does not build: ${cc.stderr}`);
    console.log('SKIP: no gcc/libbpf for the kernel check');
    return;
  }
  const results = new Map<string, string>();
  const logs = new Map<string, string>();
  for (const name of ['sk_skb', 'sk_msg', 'sockops', 'sockopt', 'reuseport', 'lirc', 'rejects']) {
    const r = spawnSync(bin, [join(DIR, `${name}.o`)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [verdict, prog, errno] = line.split(' ');
      results.set(`${name}/${prog}`, verdict === 'ok' ? 'ok' : `fail ${errno}`);
    }
    for (const block of r.stderr.split(/^--- /m).slice(1)) {
      const nl = block.indexOf('\n');
      logs.set(`${name}/${block.slice(0, nl)}`, block.slice(nl + 1));
    }
  }
  const refused = engineRefusals();
  if (results.get('sk_skb/verdict') === 'fail 1') {
    assert.ok(!root, 'running as root but BPF_PROG_LOAD is not permitted');
    console.log('SKIP: bpf() is not permitted');
    return;
  }
  let ran = 0;
  for (const [k, v] of results) {
    ran++;
    if (k.startsWith('rejects/')) {
      if (k.startsWith('rejects/lirc_')) { assert.is(v, 'fail 22', k); continue; } // no lirc_mode2 in this kernel
      assert.ok(v.startsWith('fail'), `${k}: the kernel refuses it`);
      // the same reason, word for word, in the kernel's verifier log
      const why = refused.get(k.slice('rejects/'.length))!;
      assert.ok(logs.get(k)?.split('\n').includes(why), `${k}: kernel log has "${why}"`);
    } else if (k.startsWith('lirc/')) {
      assert.is(v, 'fail 22', `${k}: lirc_mode2 is not configured in this kernel`);
    } else {
      assert.is(v, 'ok', `${k}: the kernel accepts it`);
    }
  }
  assert.is(ran, 26);
  console.log(`NOTE: kernel BPF_PROG_LOAD checked ${ran} programs`);
});

test.run();
