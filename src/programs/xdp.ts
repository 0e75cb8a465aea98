/**
 * XDP: r1 points to struct xdp_md whose data/data_end/data_meta hold real
 * packet addresses. The packet buffer follows the kernel's test_run layout: a
 * frame of at least a page with XDP_PACKET_HEADROOM before the data and room
 * for skb_shared_info at the end, so adjust_head/meta/tail see the same
 * limits as in the kernel.
 */
import { PACKET_HEADROOM, PACKET_TAILROOM } from '../runtime/layout.js';
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperRuntime } from '../helpers/table.js';
import { XDP_MD } from './context.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import { resetMachineRedirect, machineRedirect, type RedirectTarget } from '../maps/redirect.js';

export const XdpAction = { ABORTED: 0, DROP: 1, PASS: 2, TX: 3, REDIRECT: 4 } as const;
export const XDP_ACTION_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] as const;

/** sizeof(struct xdp_frame): the kernel keeps it at data_hard_start, so data cannot move into it. */
const XDP_FRAME_BYTES = 40;
const ETH_HLEN = 14;
const PAGE_BYTES = 4096;
/** xdp_metalen_invalid: metadata is a multiple of 4 bytes, at most 32. */
const XDP_META_MAX = 32;
const EINVAL = 22, EACCES = 13, EFAULT = 14;

const OFF = Object.fromEntries(XDP_MD.fields.map((f) => [f.name, f.offset])) as Record<string, number>;

/** Per-CPU frame geometry of the current packet (the kernel's xdp_buff beyond xdp_md). */
interface XdpFrame { hardStart: number; hardEnd: number }
const frames = new WeakMap<Machine, XdpFrame[]>();

function frameOf(machine: Machine, cpu: number): XdpFrame {
  const f = frames.get(machine)?.[cpu];
  if (!f) throw new Error('XDP helper called outside an XDP run');
  return f;
}

/** Whether `cpu`'s current packet run is XDP's (helpers shared with tc, bpf_check_mtu, ask). */
export function isXdpRun(machine: Machine, cpu: number): boolean { return frames.get(machine)?.[cpu] !== undefined; }
/** An skb run starts on `cpu`: the XDP frame geometry no longer applies. */
export function endXdpRun(machine: Machine, cpu: number): void { const l = frames.get(machine); if (l) l[cpu] = undefined as unknown as XdpFrame; }

export const xdpRuntime: ProgramTypeRuntime = {
  name: 'xdp',
  prepare(machine, cpu, input: TestRunInput) {
    const area = machine.area(cpu);
    const data = input.data ?? new Uint8Array(0);
    const frameBytes = Math.max(PAGE_BYTES, PACKET_HEADROOM + data.length + PACKET_TAILROOM);
    if (area.packetBase + frameBytes > area.packetLimit) {
      throw new RangeError(`packet of ${data.length} bytes exceeds the packet capacity of ${machine.layout.packetCapacity}`);
    }
    const mem = new Uint8Array(machine.memory.buffer);
    mem.fill(0, area.packetBase, area.packetBase + frameBytes);
    mem.set(data, area.packetData);
    const dv = new DataView(machine.memory.buffer);
    mem.fill(0, area.ctx, area.ctx + XDP_MD.size);
    if (input.ctx) mem.set(input.ctx.subarray(0, XDP_MD.size), area.ctx);
    dv.setUint32(area.ctx + OFF.data!, area.packetData, true);
    dv.setUint32(area.ctx + OFF.data_meta!, area.packetData, true);
    dv.setUint32(area.ctx + OFF.data_end!, area.packetData + data.length, true);
    if (input.ingressIfindex !== undefined) dv.setUint32(area.ctx + OFF.ingress_ifindex!, input.ingressIfindex, true);
    if (input.rxQueueIndex !== undefined) dv.setUint32(area.ctx + OFF.rx_queue_index!, input.rxQueueIndex, true);
    let list = frames.get(machine);
    if (!list) frames.set(machine, list = []);
    list[cpu] = { hardStart: area.packetBase, hardEnd: area.packetBase + frameBytes - PACKET_TAILROOM };
    resetMachineRedirect(machine, cpu);
    return {
      r1: area.ctx,
      regions: machine.regions(cpu, area.packetBase, area.packetBase + frameBytes, XDP_MD.size),
    };
  },
  finish(machine, cpu, r0lo): TestRunOutput {
    const area = machine.area(cpu);
    const dv = new DataView(machine.memory.buffer);
    const meta = dv.getUint32(area.ctx + OFF.data_meta!, true);
    const end = dv.getUint32(area.ctx + OFF.data_end!, true);
    // test_run returns the frame from data_meta (metadata, then packet)
    const out: TestRunOutput & { redirect?: RedirectTarget } = {
      retval: BigInt(r0lo >>> 0),
      dataOut: new Uint8Array(machine.memory.buffer.slice(meta, end)),
      ctxOut: new Uint8Array(machine.memory.buffer.slice(area.ctx, area.ctx + XDP_MD.size)),
    };
    // bpf_redirect_map's target (src/maps/redirect.ts)
    if (r0lo >>> 0 === XdpAction.REDIRECT) {
      const t = machineRedirect(machine, cpu, dv.getUint32(area.ctx + OFF.ingress_ifindex!, true));
      if (t) out.redirect = t;
    }
    return out;
  },
};

/** bpf_xdp_adjust_head, bpf_xdp_adjust_meta, bpf_xdp_adjust_tail with the kernel's limits and errnos. */
export function registerXdpHelpers(registry: HelperRegistry): void {
  const read = (m: Machine, ctx: number) => {
    const dv = new DataView(m.memory.buffer);
    return { dv, data: dv.getUint32(ctx + OFF.data!, true), end: dv.getUint32(ctx + OFF.data_end!, true), meta: dv.getUint32(ctx + OFF.data_meta!, true) };
  };
  const neg = (e: number) => BigInt(-e);
  registry.register('bpf_xdp_adjust_head', {
    js: (rt, ctxArg, deltaArg) => {
      const m = rt as Machine, ctx = Number(ctxArg), delta = Number(BigInt.asIntN(32, deltaArg));
      const f = frameOf(m, m.cpu);
      const { dv, data, end, meta } = read(m, ctx);
      const metalen = data - meta;
      const next = data + delta;
      if (next < f.hardStart + XDP_FRAME_BYTES + metalen || next > end - ETH_HLEN) return neg(EINVAL);
      const mem = new Uint8Array(m.memory.buffer);
      if (metalen) mem.copyWithin(meta + delta, meta, data);
      dv.setUint32(ctx + OFF.data_meta!, meta + delta, true);
      dv.setUint32(ctx + OFF.data!, next, true);
      return 0n;
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything'], gplOnly: false, changesPacket: true }, programTypes: ['xdp'] });
  registry.register('bpf_xdp_adjust_meta', {
    js: (rt, ctxArg, deltaArg) => {
      const m = rt as Machine, ctx = Number(ctxArg), delta = Number(BigInt.asIntN(32, deltaArg));
      const f = frameOf(m, m.cpu);
      const { dv, data, meta } = read(m, ctx);
      const next = meta + delta;
      if (next < f.hardStart + XDP_FRAME_BYTES || next > data) return neg(EINVAL);
      const len = data - next;
      if (len % 4 !== 0 || len > XDP_META_MAX) return neg(EACCES);
      dv.setUint32(ctx + OFF.data_meta!, next, true);
      return 0n;
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything'], gplOnly: false, changesPacket: true }, programTypes: ['xdp'] });
  registry.register('bpf_xdp_adjust_tail', {
    js: (rt, ctxArg, deltaArg) => {
      const m = rt as Machine, ctx = Number(ctxArg), delta = Number(BigInt.asIntN(32, deltaArg));
      const f = frameOf(m, m.cpu);
      const { dv, data, end } = read(m, ctx);
      const next = end + delta;
      if (next > f.hardEnd || next < data + ETH_HLEN) return neg(EINVAL);
      if (delta > 0) new Uint8Array(m.memory.buffer).fill(0, end, next); // grown tail reads as zeros
      dv.setUint32(ctx + OFF.data_end!, next, true);
      return 0n;
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything'], gplOnly: false, changesPacket: true }, programTypes: ['xdp'] });

  /**
   * bpf_xdp_load_bytes / bpf_xdp_store_bytes (net/core/filter.c
   * bpf_xdp_pointer on a linear buffer): offset or len above 0xffff is
   * -EFAULT, offset + len beyond data_end - data is -EINVAL, else the bytes
   * are copied and the result is 0. Test runs build no fragments.
   */
  const xdpBytes = (store: boolean) => (rt: HelperRuntime, ctxArg: bigint, offArg: bigint, bufArg: bigint, lenArg: bigint): bigint => {
    const m = rt as Machine, ctx = Number(ctxArg);
    const off = Number(BigInt.asUintN(32, offArg)), len = Number(BigInt.asUintN(32, lenArg)), buf = Number(bufArg);
    if (off > 0xffff || len > 0xffff) return neg(EFAULT);
    const { data, end } = read(m, ctx);
    if (off + len > end - data) return neg(EINVAL);
    const mem = new Uint8Array(m.memory.buffer);
    if (store) mem.copyWithin(data + off, buf, buf + len);
    else mem.copyWithin(buf, data + off, data + off + len);
    return 0n;
  };
  registry.register('bpf_xdp_load_bytes', { js: xdpBytes(false) },
    { proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_uninit_mem', 'const_size'], gplOnly: false }, programTypes: ['xdp'] });
  registry.register('bpf_xdp_store_bytes', { js: xdpBytes(true) },
    { proto: { ret: 'integer', args: ['ptr_to_ctx', 'anything', 'ptr_to_mem', 'const_size'], gplOnly: false }, programTypes: ['xdp'] });
}
