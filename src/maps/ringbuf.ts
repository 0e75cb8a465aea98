/**
 * The user-space side of BPF_MAP_TYPE_RINGBUF (libbpf's ring_buffer__poll):
 * reads committed records between the consumer and producer positions, skips
 * discarded ones, stops at a record still being written (BUSY), and advances
 * the consumer position that the kernels' reserve checks against.
 */
import { MapError } from '../diagnostics/index.js';
import { MAP_TYPE, ERRNO, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './constants.js';
import type { BpfMaps } from './syscall.js';

// map header fields of a ring buffer (assembly/ringbuf.ts)
const R_DATA = 48;
const R_MASK = 52;
const R_CONS = 56;
const R_PROD = 64;

export class RingBufferConsumer {
  private readonly maps: BpfMaps;
  private readonly handle: number;

  constructor(maps: BpfMaps, fd: number) {
    const m = maps.map(fd);
    if (m.type !== MAP_TYPE.ringbuf) throw new MapError('EINVAL', ERRNO.EINVAL, `map fd ${fd} is not a ringbuf`);
    this.maps = maps;
    this.handle = m.handle;
  }

  private view(): DataView { return new DataView(this.maps.bytes().buffer); }

  get consumerPos(): bigint { return this.view().getBigUint64(this.handle + R_CONS, true); }
  get producerPos(): bigint { return this.view().getBigUint64(this.handle + R_PROD, true); }
  get size(): number { return this.view().getUint32(this.handle + R_MASK, true) + 1; }
  /** Bytes reserved but not consumed (bpf_ringbuf_query BPF_RB_AVAIL_DATA). */
  get available(): bigint { return this.producerPos - this.consumerPos; }

  /**
   * Hands each committed sample (a copy) to `onSample`, in order; returns how
   * many were consumed. A callback returning a negative number stops early.
   */
  consume(onSample: (data: Uint8Array) => number | void, max = Infinity): number {
    const mem = this.maps.bytes();
    const dv = new DataView(mem.buffer);
    const data = dv.getUint32(this.handle + R_DATA, true);
    const mask = dv.getUint32(this.handle + R_MASK, true);
    let cons = dv.getBigUint64(this.handle + R_CONS, true);
    const prod = dv.getBigUint64(this.handle + R_PROD, true);
    let n = 0;
    while (cons < prod && n < max) {
      const off = Number(cons & BigInt(mask));
      const hdr = Atomics.load(new Int32Array(mem.buffer, data + off, 1), 0) >>> 0;
      if (hdr & BPF_RINGBUF_BUSY_BIT) break;
      const len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
      const total = (len + BPF_RINGBUF_HDR_SZ + 7) & ~7;
      let stop = false;
      if (!(hdr & BPF_RINGBUF_DISCARD_BIT)) {
        const sample = new Uint8Array(len);
        const start = off + BPF_RINGBUF_HDR_SZ;
        const size = mask + 1;
        for (let i = 0; i < len; i++) sample[i] = mem[data + ((start + i) % size)]!;
        n++;
        const r = onSample(sample);
        stop = typeof r === 'number' && r < 0;
      }
      cons += BigInt(total);
      dv.setBigUint64(this.handle + R_CONS, cons, true);
      if (stop) break;
    }
    return n;
  }
}
