/**
 * BPF_PROG_TYPE_SK_MSG (SEC "sk_msg"): the verdict a sockmap runs on each
 * sendmsg/sendfile of its sockets (net/core/skmsg.c, net/ipv4/tcp_bpf.c).
 * r1 points to struct sk_msg_md; the message is a scatterlist of up to
 * MAX_MSG_FRAGS elements and data..data_end spans only the first one
 * (sk_msg_compute_data_pointers) until bpf_msg_pull_data linearizes a range.
 * r0 is SK_PASS (1) or SK_DROP (0); bpf_msg_redirect_map/hash make SK_PASS
 * send the message to another socket; bpf_msg_apply_bytes and
 * bpf_msg_cork_bytes set how many bytes the verdict covers and how many to
 * gather before the next run.
 *
 * No kernel test_run: testRun simulates one sendmsg on the socket given by
 * setSocketCall, `data` the message (one scatterlist element, as
 * sk_msg_memcopy_from_iter fills a fresh page for a small send). The
 * output adds the verdict, the redirect target, apply/cork bytes, the
 * message after the helpers (dataOut) and its element sizes.
 *
 * Helpers, following net/core/filter.c: bpf_msg_pull_data (flags or
 * end <= start, start or end past the message: EINVAL; elements first..last
 * merge into one), bpf_msg_push_data (start past the end: EINVAL; the new
 * bytes are one element before, inside (splitting) or after the element
 * holding start; when the scatterlist has no free slot for it the element
 * is copied together with the new bytes; new bytes are zeroed here, the
 * kernel leaves a fresh page's contents), bpf_msg_pop_data (flags, or the
 * range past the message: EINVAL; popping inside an element splits it),
 * then data/data_end span the first element again.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperProto, HelperRuntime } from '../helpers/table.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import type { RunRegions } from '../runtime/layout.js';
import { TestRunError } from './skb.js';
import { SK_MSG_MD as M, SK_MSG_MD_SIZE } from './contexts/sk_msg.js';
import { machineRedirect, resetMachineRedirect, type RedirectTarget } from '../maps/redirect.js';
import { beginSocketRun, endSocketRun, neg, resolveCall, writeSockFields } from '../helpers/sockprogs.js';
import { SK_ACTION } from './sk-skb.js';

const EINVAL = 22, ENOMEM = 12;
/** MAX_MSG_FRAGS = MAX_SKB_FRAGS (17 on x86-64 with 4 KiB pages). */
export const MAX_MSG_FRAGS = 17;

/** The kernel's struct sk_msg beyond what the program reads. */
interface SimMsg {
  ctx: number;
  /** The message bytes, flat; `elems` are the scatterlist element lengths. */
  bytes: Uint8Array;
  elems: number[];
  /** The part of `bytes` mapped at the data window: [winStart, winStart + winLen). */
  winStart: number;
  winLen: number;
  applyBytes: number;
  corkBytes: number;
  window: number;
  windowMax: number;
  regions: RunRegions;
}

const msgs = new WeakMap<Machine, (SimMsg | undefined)[]>();

function msgOf(rt: HelperRuntime): { m: Machine; s: SimMsg } {
  const m = rt as Machine;
  const s = msgs.get(m)?.[m.cpu];
  if (!s) throw new Error('sk_msg helper called outside an sk_msg run');
  return { m, s };
}

/** Copies the program's writes in the data window back into the message. */
function syncBack(m: Machine, s: SimMsg): void {
  s.bytes.set(new Uint8Array(m.memory.buffer, s.window, s.winLen), s.winStart);
}

/** Maps [start, start + len) of the message at the data window and updates data/data_end/size. */
function mapWindow(m: Machine, s: SimMsg, start: number, len: number): void {
  s.winStart = start;
  s.winLen = len;
  new Uint8Array(m.memory.buffer).set(s.bytes.subarray(start, start + len), s.window);
  const dv = new DataView(m.memory.buffer);
  dv.setBigUint64(s.ctx + M.data, BigInt(s.window), true);
  dv.setBigUint64(s.ctx + M.data_end, BigInt(s.window + len), true);
  dv.setUint32(s.ctx + M.size, s.bytes.length, true);
  s.regions.data = { start: s.window, end: s.window + len };
}

/** sk_msg_compute_data_pointers: the first element. */
const firstElement = (m: Machine, s: SimMsg) => mapWindow(m, s, 0, s.elems[0] ?? 0);

/** The element holding byte `at` (the last one when `at` is the end): its index and start offset. */
function elementAt(s: SimMsg, at: number): { i: number; offset: number } {
  let offset = 0;
  for (let i = 0; i < s.elems.length; i++) {
    if (at < offset + s.elems[i]!) return { i, offset };
    if (i === s.elems.length - 1) return { i, offset };
    offset += s.elems[i]!;
  }
  return { i: 0, offset: 0 };
}

export interface SkMsgOutput extends TestRunOutput {
  verdict: 'pass' | 'drop' | 'redirect';
  redirect?: RedirectTarget;
  /** bpf_msg_apply_bytes / bpf_msg_cork_bytes of the run (0: not called). */
  applyBytes: number;
  corkBytes: number;
  /** Scatterlist element lengths of the message after the run. */
  elements: number[];
}

export const skMsgRuntime: ProgramTypeRuntime = {
  name: 'sk_msg',
  prepare(machine: Machine, cpu: number, input: TestRunInput) {
    if (input.flags) throw new TestRunError(EINVAL, `sk_msg: takes no flags (0x${input.flags.toString(16)})`);
    if (input.ctx && input.ctx.length) throw new TestRunError(EINVAL, 'sk_msg: the context comes from the socket (setSocketCall), not ctx_in');
    const call = resolveCall(machine, 'sk_msg');
    const area = machine.area(cpu);
    const data = input.data ?? new Uint8Array(0);
    const windowMax = area.packetLimit - area.packetData;
    if (data.length > windowMax) throw new TestRunError(EINVAL, `sk_msg: a message of ${data.length} bytes, at most ${windowMax} here`);
    const ctx = area.ctx;
    new Uint8Array(machine.memory.buffer).fill(0, ctx, ctx + SK_MSG_MD_SIZE);
    writeSockFields(machine, ctx + M.family, call);
    new DataView(machine.memory.buffer).setBigUint64(ctx + M.sk, BigInt(call.sock.addr), true);
    const regions = machine.regions(cpu, area.packetData, area.packetData, SK_MSG_MD_SIZE);
    const s: SimMsg = {
      ctx, bytes: data.slice(), elems: data.length ? [data.length] : [], winStart: 0, winLen: 0,
      applyBytes: 0, corkBytes: 0, window: area.packetData, windowMax, regions,
    };
    firstElement(machine, s);
    let list = msgs.get(machine);
    if (!list) msgs.set(machine, list = []);
    list[cpu] = s;
    beginSocketRun(machine, cpu, 'sk_msg', call);
    resetMachineRedirect(machine, cpu);
    return { r1: ctx, regions };
  },
  finish(machine, cpu, r0lo): SkMsgOutput {
    const s = msgs.get(machine)?.[cpu];
    if (!s) throw new Error('sk_msg: finish without prepare');
    syncBack(machine, s);
    const retval = BigInt(r0lo >>> 0);
    const redirect = machineRedirect(machine, cpu, 0);
    const verdict = retval !== BigInt(SK_ACTION.SK_PASS) ? 'drop' : redirect ? 'redirect' : 'pass';
    const out: SkMsgOutput = {
      retval, dataOut: s.bytes.slice(), verdict, applyBytes: s.applyBytes, corkBytes: s.corkBytes, elements: [...s.elems],
    };
    if (redirect && verdict === 'redirect') out.redirect = redirect;
    msgs.get(machine)![cpu] = undefined;
    endSocketRun(machine, cpu);
    return out;
  },
};

const u32 = (v: bigint) => Number(v & 0xffffffffn);
const proto = (n: number, changesPacket = false): HelperProto =>
  ({ ret: 'integer', args: ['ptr_to_ctx', ...Array<'anything'>(n).fill('anything')], gplOnly: false, ...(changesPacket ? { changesPacket } : {}) });

export function registerSkMsgHelpers(registry: HelperRegistry): void {
  const types = { programTypes: ['sk_msg'] as const };
  registry.register('bpf_msg_apply_bytes', {
    js: (rt, _ctx, bytes) => { msgOf(rt).s.applyBytes = u32(bytes); return 0n; },
  }, { proto: proto(1), ...types });
  registry.register('bpf_msg_cork_bytes', {
    js: (rt, _ctx, bytes) => { msgOf(rt).s.corkBytes = u32(bytes); return 0n; },
  }, { proto: proto(1), ...types });

  registry.register('bpf_msg_pull_data', {
    js: (rt, _ctx, startArg, endArg, flags) => {
      const { m, s } = msgOf(rt);
      syncBack(m, s);
      const start = u32(startArg), end = u32(endArg);
      const total = s.bytes.length;
      if (flags !== 0n || end <= start || start >= total || end > total) return neg(EINVAL);
      const first = elementAt(s, start), last = elementAt(s, end - 1);
      if (last.i > first.i) {
        // linearize first..last into one element
        const merged = s.elems.slice(first.i, last.i + 1).reduce((a, b) => a + b, 0);
        s.elems.splice(first.i, last.i - first.i + 1, merged);
      }
      if (end - start > s.windowMax) return neg(ENOMEM);
      mapWindow(m, s, start, end - start);
      return 0n;
    },
  }, { proto: proto(3, true), ...types });

  registry.register('bpf_msg_push_data', {
    js: (rt, _ctx, startArg, lenArg, flags) => {
      const { m, s } = msgOf(rt);
      syncBack(m, s);
      const start = u32(startArg), len = u32(lenArg);
      const total = s.bytes.length;
      if (flags !== 0n) return neg(EINVAL);
      if (len === 0) return 0n;
      if (start > total) return neg(EINVAL);
      if (total + len > s.windowMax) return neg(ENOMEM);
      const next = new Uint8Array(total + len);
      next.set(s.bytes.subarray(0, start));
      next.set(s.bytes.subarray(start), start + len);
      s.bytes = next;
      if (s.elems.length === 0) s.elems = [len];
      else {
        const { i, offset } = elementAt(s, start);
        const el = s.elems[i]!;
        const front = start - offset, back = el - front;
        const free = MAX_MSG_FRAGS - s.elems.length;
        if (front === 0) {
          if (free >= 1) s.elems.splice(i, 0, len); else s.elems[i] = el + len;
        } else if (back === 0) {
          if (free >= 1) s.elems.splice(i + 1, 0, len); else s.elems[i] = el + len;
        } else if (free >= 2) {
          s.elems.splice(i, 1, front, len, back);
        } else {
          s.elems[i] = el + len; // copied into one new element
        }
      }
      firstElement(m, s);
      return 0n;
    },
  }, { proto: proto(3, true), ...types });

  registry.register('bpf_msg_pop_data', {
    js: (rt, _ctx, startArg, lenArg, flags) => {
      const { m, s } = msgOf(rt);
      syncBack(m, s);
      const start = u32(startArg), len = u32(lenArg);
      const total = s.bytes.length;
      if (flags !== 0n || start >= total || start + len > total) return neg(EINVAL);
      if (len === 0) return 0n;
      const next = new Uint8Array(total - len);
      next.set(s.bytes.subarray(0, start));
      next.set(s.bytes.subarray(start + len), start);
      s.bytes = next;
      // cut [start, start + len) out of the element lengths, splitting the element that holds both ends
      const out: number[] = [];
      let offset = 0;
      for (const el of s.elems) {
        const a = offset, b = offset + el;
        offset = b;
        const cutA = Math.max(a, start), cutB = Math.min(b, start + len);
        if (cutB <= cutA) { out.push(el); continue; }
        const front = cutA - a, back = b - cutB;
        if (front && back && s.elems.length < MAX_MSG_FRAGS) out.push(front, back);
        else if (front + back) out.push(front + back);
      }
      s.elems = out;
      firstElement(m, s);
      return 0n;
    },
  }, { proto: proto(3, true), ...types });
}
