/**
 * BPF_PROG_TYPE_SK_SKB (sk_skb/stream_parser, sk_skb/stream_verdict,
 * sk_skb/verdict): programs a sockmap runs on the data a TCP socket
 * receives (net/core/skmsg.c, net/strparser/strparser.c). r1 points to
 * __sk_buff; skb->data is the stream data itself (no headers). A parser
 * returns the length of the message that starts the buffer (0: more bytes
 * needed, < 0: error); a verdict returns SK_PASS (1) or SK_DROP (0), and
 * bpf_sk_redirect_map/hash make SK_PASS send the message to another socket
 * (its egress, or its ingress with BPF_F_INGRESS: sk_psock_verdict_apply).
 *
 * The kernel has no BPF_PROG_TEST_RUN for sk_skb. testRun simulates one
 * call: `data` is the skb's data, the socket comes from setSocketCall
 * (helpers/sockprogs.ts) and fills family/addresses/ports and sk; ctx_in
 * may give the other scalar fields (priority, ifindex, hash, cb…; default
 * 0). The output adds `redirect` (the target when the helper succeeded) and
 * `verdict`. `runStream` feeds a parser and a verdict program with chunks as
 * strparser does.
 *
 * Context rules: sk_skb_is_valid_access (context.ts SK_BUFF_SK_SKB); data
 * and data_end are direct packet pointers, data_end = data + headlen
 * (bpf_compute_data_end_sk_skb); the whole skb is linear here.
 * Helpers (sk_skb_func_proto): bpf_skb_load_bytes, bpf_skb_pull_data
 * (sk_skb_pull_data), bpf_skb_change_tail/head (sk_skb_change_*),
 * bpf_skb_adjust_room (sk_skb_adjust_room: push or pull at the head),
 * bpf_sk_redirect_map/hash (the map kernels), bpf_get_socket_cookie.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperJsImpl } from '../helpers/table.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import type { LoadedProgram } from '../runtime/test-run.js';
import { PACKET_TAILROOM } from '../runtime/layout.js';
import { TestRunError, htons, setSkbRun, skbOf, syncPacket, reserveRoom, type SimSkb } from './skb.js';
import { SKB, SK_BUFF_SIZE } from './contexts/sk_buff.js';
import { CHECKSUM, ETH_P } from './skb-constants.js';
import { machineRedirect, resetMachineRedirect, type RedirectTarget } from '../maps/redirect.js';
import { AF_INET, beginSocketRun, endSocketRun, neg, resolveCall, writeSockFields } from '../helpers/sockprogs.js';

const EINVAL = 22, EFAULT = 14, ENOMEM = 12, EMSGSIZE = 90;
/** enum sk_action. */
export const SK_ACTION = { SK_DROP: 0, SK_PASS: 1 } as const;
/** sk_skb_adjust_room: |len_diff| above this is EFAULT. */
const SK_SKB_ADJUST_MAX = 0xfff;
/** The largest skb data a run takes (one 64 KiB TCP receive). */
const SK_SKB_MAX_DATA = 0xffff;

/** Pointers and the socket fields the runtime computes; ctx_in leaves them zero or they are ignored. */
const COMPUTED = ['len', 'data', 'data_end', 'data_meta', 'sk', 'family', 'remote_ip4', 'local_ip4', 'remote_port', 'local_port', 'protocol'];

export interface SkSkbOutput extends TestRunOutput {
  /** Where SK_PASS sends the message after bpf_sk_redirect_map/hash (undefined: no redirect). */
  redirect?: RedirectTarget;
  verdict: 'pass' | 'drop' | 'redirect';
}

export const skSkbRuntime: ProgramTypeRuntime = {
  name: 'sk_skb',
  prepare(machine: Machine, cpu: number, input: TestRunInput) {
    if (input.flags) throw new TestRunError(EINVAL, `sk_skb: takes no flags (0x${input.flags.toString(16)})`);
    const data = input.data ?? new Uint8Array(0);
    if (data.length > SK_SKB_MAX_DATA) throw new TestRunError(EINVAL, `sk_skb: ${data.length} bytes of data, at most ${SK_SKB_MAX_DATA}`);
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length > SK_BUFF_SIZE) throw new TestRunError(EINVAL, `sk_skb: a context of ${ctxIn.length} bytes, at most ${SK_BUFF_SIZE}`);
    const call = resolveCall(machine, 'sk_skb');
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    const dv = new DataView(machine.memory.buffer);
    mem.fill(0, area.packetBase, Math.min(area.packetLimit, area.packetData + data.length + PACKET_TAILROOM));
    mem.set(data, area.packetData);
    const ctx = area.ctx;
    mem.fill(0, ctx, ctx + SK_BUFF_SIZE);
    mem.set(ctxIn, ctx);
    for (const f of COMPUTED) dv.setUint32(ctx + SKB[f]!, 0, true);
    dv.setBigUint64(ctx + SKB.sk!, 0n, true);
    writeSockFields(machine, ctx + SKB.family!, call);
    dv.setUint32(ctx + SKB.protocol!, htons(call.local.family === AF_INET ? ETH_P.IP : ETH_P.IPV6), true);
    dv.setBigUint64(ctx + SKB.sk!, BigInt(call.sock.addr), true);
    const d = area.packetData;
    const regions = machine.regions(cpu, d, d + data.length, SK_BUFF_SIZE);
    // the stream skb: data is the payload; no link, network or transport header in front of it
    const s: SimSkb = {
      type: 'sk_skb', ctx, bufStart: area.packetBase, bufEnd: area.packetLimit, data: d, len: data.length,
      mac: -1, network: -1, transport: -1, macLen: 0, directPacketAccess: true, swHash: false, l4Hash: false,
      ipSummed: CHECKSUM.NONE, csumLevel: 0, encapsulation: false, clones: [], regions, ctxIn: new Uint8Array(SK_BUFF_SIZE),
    };
    syncPacket(machine, s);
    setSkbRun(machine, cpu, s);
    beginSocketRun(machine, cpu, 'sk_skb', call);
    resetMachineRedirect(machine, cpu);
    return { r1: ctx, regions };
  },
  finish(machine, cpu, r0lo): SkSkbOutput {
    const s = skbOf(machine, cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    const ctxOut = mem.slice(s.ctx, s.ctx + SK_BUFF_SIZE);
    const dv = new DataView(ctxOut.buffer);
    for (const f of ['data', 'data_end', 'data_meta']) dv.setUint32(SKB[f]!, 0, true);
    dv.setBigUint64(SKB.sk!, 0n, true); // not an address the caller can use
    const retval = BigInt(r0lo >>> 0);
    const redirect = machineRedirect(machine, cpu, 0);
    const out: SkSkbOutput = {
      retval, dataOut: mem.slice(s.data, s.data + s.len), ctxOut,
      verdict: retval !== BigInt(SK_ACTION.SK_PASS) ? 'drop' : redirect ? 'redirect' : 'pass',
    };
    if (redirect && out.verdict === 'redirect') out.redirect = redirect;
    setSkbRun(machine, cpu, undefined);
    endSocketRun(machine, cpu);
    return out;
  },
};

/** One message strparser cut from the stream and what the verdict program did with it. */
export interface StreamMessage { message: Uint8Array; verdict: SkSkbOutput['verdict']; data: Uint8Array; redirect?: RedirectTarget }
export interface StreamResult {
  messages: StreamMessage[];
  /** Bytes received but not yet a whole message. */
  pending: Uint8Array;
  /** The errno that aborted the stream (strp_abort_strp): a parser error or a message above `maxMessage`. */
  error?: number;
}

/**
 * What strparser does with `chunks` arriving on the socket (__strp_recv):
 * the parser runs on everything received and not yet cut (len = those
 * bytes); 0 waits for more; a length L ≤ received cuts the first L bytes
 * as a message for the verdict program (then the parser runs again on the
 * rest); a negative result aborts the stream with that error; L above
 * `maxMessage` (the socket's receive buffer) aborts it with EMSGSIZE.
 */
export function runStream(parser: LoadedProgram, verdict: LoadedProgram, chunks: readonly Uint8Array[], opts: { maxMessage?: number; ctx?: Uint8Array } = {}): StreamResult {
  const maxMessage = opts.maxMessage ?? SK_SKB_MAX_DATA;
  const messages: StreamMessage[] = [];
  let buf: Uint8Array = new Uint8Array(0);
  for (const chunk of chunks) {
    const next = new Uint8Array(buf.length + chunk.length);
    next.set(buf); next.set(chunk, buf.length);
    buf = next;
    while (buf.length > 0) {
      const want = Number(BigInt.asIntN(32, parser.testRun({ data: buf, ...(opts.ctx ? { ctx: opts.ctx } : {}) }).retval));
      if (want < 0) return { messages, pending: buf, error: -want };
      if (want > maxMessage) return { messages, pending: buf, error: EMSGSIZE };
      if (want === 0 || want > buf.length) break;
      const message = buf.slice(0, want);
      buf = buf.slice(want);
      const r = verdict.testRun({ data: message, ...(opts.ctx ? { ctx: opts.ctx } : {}) }) as unknown as SkSkbOutput;
      messages.push({ message, verdict: r.verdict, data: r.dataOut, ...(r.redirect ? { redirect: r.redirect } : {}) });
    }
  }
  return { messages, pending: buf };
}

const inSkSkbRun = (m: Machine): SimSkb | undefined => {
  try {
    const s = skbOf(m, m.cpu);
    return s.type === 'sk_skb' ? s : undefined;
  } catch { return undefined; }
};

/** sk_skb_adjust_room (net/core/filter.c): mode and flags must be 0; grows or shrinks at the head. */
const skSkbAdjustRoom: HelperJsImpl = (rt, _ctx, lenArg, mode, flags) => {
  const m = rt as Machine;
  const s = skbOf(m, m.cpu);
  const diff = Number(BigInt.asIntN(32, lenArg));
  const abs = Math.abs(diff);
  if (flags !== 0n || (mode & 0xffffffffn) !== 0n) return neg(EINVAL);
  if (abs > SK_SKB_ADJUST_MAX) return neg(EFAULT);
  if (diff >= 0) {
    if (!reserveRoom(m, s, abs, 0)) { syncPacket(m, s); return neg(ENOMEM); }
    s.data -= abs; s.len += abs;
    new Uint8Array(m.memory.buffer).fill(0, s.data, s.data + abs);
  } else {
    if (abs > s.len) { syncPacket(m, s); return neg(ENOMEM); } // pskb_may_pull
    s.data += abs; s.len -= abs;
  }
  syncPacket(m, s);
  return 0n;
};

export function registerSkSkbHelpers(registry: HelperRegistry): void {
  // the skb helpers of helpers/skb.ts work on the sk_skb's SimSkb as they are (sk_skb_pull_data and
  // sk_skb_change_tail/head differ from tc's in recomputing data_end, which syncPacket does);
  // sk_skb_adjust_room is another function under the same id
  const tcAdjust = registry.byHelperName('bpf_skb_adjust_room')?.impl?.js;
  if (!tcAdjust) throw new Error('bpf_skb_adjust_room has no js implementation to extend');
  registry.register('bpf_skb_adjust_room', {
    js: (rt, r1, r2, r3, r4, r5) => (inSkSkbRun(rt as Machine) ? skSkbAdjustRoom(rt, r1, r2, r3, r4, r5) : tcAdjust(rt, r1, r2, r3, r4, r5)),
  });
}
