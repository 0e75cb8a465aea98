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
import { setSocketCall } from '../src/helpers/sockprogs.js';
import { runStream, type SkSkbOutput } from '../src/programs/sk-skb.js';
import { SKB } from '../src/programs/contexts/sk_buff.js';

const DIR = join(ROOT, 'test', 'fixtures', 'sockprogs');
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const TIERS: TierName[] = ['interpreter', 'jit'];
const SK_PASS = 1n, SK_DROP = 0n;

function load(name: string, tier: TierName): BpfObject {
  return loadObject(new Uint8Array(readFileSync(join(DIR, `${name}.o`))), { name, kernels, tier });
}

const u32key = (k: number): Uint8Array => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, k, true); return b; };
const u32val = u32key;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A message of the fixtures' framing: 2-byte big-endian length, then the body. */
const frame = (body: string): Uint8Array => { const b = bytes(body); const out = new Uint8Array(b.length + 2); out[0] = b.length >> 8; out[1] = b.length & 0xff; out.set(b, 2); return out; };

/** `seen` slot as a DataView. */
function seen(obj: BpfObject, slot = 0): DataView {
  const v = obj.map('seen').lookup(u32key(slot))!;
  return new DataView(v.buffer, v.byteOffset, v.byteLength);
}

const be32 = (ip: string): number => ip.split('.').reduce((a, x) => a * 256 + Number(x), 0);
/** A u32 load of network-order bytes on little-endian. */
const rawIp4 = (ip: string): number => { const b = new Uint8Array(ip.split('.').map(Number)); return new DataView(b.buffer).getUint32(0, true); };
/** remote_port: the wire-order port in the low 16 bits of a u32 load. */
const rawPort = (p: number): number => ((p & 0xff) << 8) | (p >> 8);

test('before the tiers: the JIT is loaded', async () => { await loadTier('jit'); });

for (const tier of TIERS) {
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
    const out = new DataView(r.ctxOut!.buffer);
    assert.is(out.getUint32(SKB.priority!, true), 7);
    assert.is(out.getUint32(SKB.tc_index!, true), 9);
    assert.equal([...r.dataOut], [...frame('Pxyz')]);
    void be32;
  });
}

test.run();
