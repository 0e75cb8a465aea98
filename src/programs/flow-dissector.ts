/**
 * BPF_PROG_TYPE_FLOW_DISSECTOR: r1 points to a struct __sk_buff of which the
 * program may read only data, data_end (packet pointers) and flow_keys (a
 * pointer to struct bpf_flow_keys it fills in); net/core/filter.c,
 * flow_dissector_is_valid_access.
 *
 * BPF_PROG_TEST_RUN (net/bpf/test_run.c, bpf_prog_test_run_flow_dissector,
 * and bpf_flow_dissect in net/core/flow_dissector.c):
 *  - the frame must hold an Ethernet header (else EINVAL); skb->data is the
 *    frame's first byte and dissection starts at nhoff = thoff = ETH_HLEN
 *    with n_proto = the EtherType as it is on the wire;
 *  - flags and cpu are refused (EINVAL); ctx_in, if any, is a bpf_flow_keys
 *    whose only non-zero field may be `flags` (else EINVAL), which the run
 *    sees in flow_keys->flags; ctx_out returns ctx_in unchanged;
 *  - the keys are zeroed before every repetition, and after it nhoff is
 *    clamped to [ETH_HLEN, len] and thoff to [nhoff, len] (clamp_t u16);
 *  - data_out is the struct bpf_flow_keys, retval r0's low 32 bits (BPF_OK,
 *    BPF_DROP, BPF_FLOW_DISSECTOR_CONTINUE).
 * The keys live in the context region right after __sk_buff.
 */
import type { ProgramTypeRuntime } from './runtime.js';
import { TestRunError } from './skb.js';
import { SKB, SK_BUFF_SIZE } from './contexts/sk_buff.js';
import { BPF_FLOW_KEYS as K, BPF_FLOW_KEYS_SIZE } from './contexts/flow_keys.js';

const EINVAL = 22;
const ETH_HLEN = 14;
const ETH_TYPE_OFFSET = 12;

interface Run { keys: number; len: number; ctxIn?: Uint8Array }
const runs = new WeakMap<object, Run[]>();

const clamp = (v: number, lo: number, hi: number): number => Math.min(Math.max(v, lo), hi);

export const flowDissectorRuntime: ProgramTypeRuntime = {
  name: 'flow_dissector',
  prepare(machine, cpu, input) {
    if (input.flags) throw new TestRunError(EINVAL, `flow_dissector: test_run takes no flags (0x${input.flags.toString(16)})`);
    if (cpu !== 0) throw new TestRunError(EINVAL, `flow_dissector: test_run takes no cpu (${cpu})`);
    const data = input.data ?? new Uint8Array(0);
    if (data.length < ETH_HLEN) throw new TestRunError(EINVAL, `flow_dissector: a frame of ${data.length} bytes has no Ethernet header`);
    if (data.length > machine.layout.packetCapacity) {
      throw new RangeError(`packet of ${data.length} bytes exceeds the packet capacity of ${machine.layout.packetCapacity}`);
    }
    let flags = 0;
    let ctxIn: Uint8Array | undefined;
    if (input.ctx && input.ctx.length) {
      // bpf_ctx_init: a longer ctx_in must have a zero tail (E2BIG); verify_user_bpf_flow_keys: only flags set
      ctxIn = new Uint8Array(BPF_FLOW_KEYS_SIZE);
      ctxIn.set(input.ctx.subarray(0, BPF_FLOW_KEYS_SIZE));
      if (input.ctx.subarray(BPF_FLOW_KEYS_SIZE).some((b) => b !== 0)) throw new TestRunError(7, 'flow_dissector: ctx_in larger than struct bpf_flow_keys with a non-zero tail (E2BIG)');
      if (ctxIn.some((b, i) => b !== 0 && (i < K.flags || i >= K.flags + 4))) throw new TestRunError(EINVAL, 'flow_dissector: ctx_in may set only bpf_flow_keys.flags');
      flags = new DataView(ctxIn.buffer).getUint32(K.flags, true);
    }
    const area = machine.area(cpu);
    const mem = new Uint8Array(machine.memory.buffer);
    const dv = new DataView(machine.memory.buffer);
    mem.set(data, area.packetData);
    const keys = area.ctx + SK_BUFF_SIZE;
    mem.fill(0, area.ctx, keys + BPF_FLOW_KEYS_SIZE);
    dv.setUint32(area.ctx + SKB.data!, area.packetData, true);
    dv.setUint32(area.ctx + SKB.data_end!, area.packetData + data.length, true);
    dv.setUint32(area.ctx + SKB.flow_keys!, keys, true);
    dv.setUint16(keys + K.nhoff, ETH_HLEN, true);
    dv.setUint16(keys + K.thoff, ETH_HLEN, true);
    mem.copyWithin(keys + K.n_proto, area.packetData + ETH_TYPE_OFFSET, area.packetData + ETH_TYPE_OFFSET + 2);
    dv.setUint32(keys + K.flags, flags, true);
    let list = runs.get(machine);
    if (!list) runs.set(machine, list = []);
    list[cpu] = { keys, len: data.length, ...(ctxIn ? { ctxIn } : {}) };
    return { r1: area.ctx, regions: machine.regions(cpu, area.packetData, area.packetData + data.length, SK_BUFF_SIZE + BPF_FLOW_KEYS_SIZE) };
  },
  finish(machine, cpu, r0lo) {
    const run = runs.get(machine)?.[cpu];
    if (!run) throw new Error('flow_dissector: finish without prepare');
    const dv = new DataView(machine.memory.buffer);
    const nhoff = clamp(dv.getUint16(run.keys + K.nhoff, true), ETH_HLEN, run.len);
    dv.setUint16(run.keys + K.nhoff, nhoff, true);
    dv.setUint16(run.keys + K.thoff, clamp(dv.getUint16(run.keys + K.thoff, true), nhoff, run.len), true);
    return {
      retval: BigInt(r0lo >>> 0),
      dataOut: new Uint8Array(machine.memory.buffer.slice(run.keys, run.keys + BPF_FLOW_KEYS_SIZE)),
      ...(run.ctxIn ? { ctxOut: run.ctxIn.slice() } : {}),
    };
  },
};
