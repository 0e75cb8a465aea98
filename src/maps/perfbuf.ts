/**
 * The user-space side of BPF_MAP_TYPE_PERF_EVENT_ARRAY, as libbpf's
 * perf_buffer__new / perf_buffer__poll: one simulated BPF_OUTPUT perf event
 * per CPU, stored in the map at the CPU's index, each with its own ring.
 * Polling reads every CPU's records from data_tail to data_head: samples go to
 * `sample(cpu, data)` (data is the raw record, whose size the kernel rounds so
 * the record stays 8-aligned), PERF_RECORD_LOST to `lost(cpu, count)`.
 */
import { MapError } from '../diagnostics/index.js';
import { MAP_TYPE, ERRNO, PERF_RECORD_LOST, PERF_RECORD_SAMPLE } from './constants.js';
import type { BpfMaps } from './syscall.js';

// simulated struct perf_event fields (assembly/perfbuf.ts)
const E_DATA = 12;
const E_SIZE = 16;
const E_HEAD = 24;
const E_TAIL = 32;
const E_LOST_TOTAL = 56;
const HEADER_BYTES = 8;

export interface PerfBufferOpts {
  /** Ring pages per CPU (a power of two), as perf_buffer__new's page_cnt. */
  pageCount: number;
  sample: (cpu: number, data: Uint8Array) => void;
  lost?: (cpu: number, count: bigint) => void;
}

interface CpuBuf { cpu: number; fd: number; addr: number }

export class PerfBuffer {
  private readonly maps: BpfMaps;
  private readonly bufs: CpuBuf[] = [];
  private readonly opts: PerfBufferOpts;

  /** Opens one event per CPU (up to max_entries) and stores it in the map at the CPU's index. */
  constructor(maps: BpfMaps, mapFd: number, opts: PerfBufferOpts) {
    const m = maps.map(mapFd);
    if (m.type !== MAP_TYPE.perf_event_array) throw new MapError('EINVAL', ERRNO.EINVAL, `map fd ${mapFd} is not a perf event array`);
    this.maps = maps;
    this.opts = opts;
    const n = Math.min(maps.ncpus, m.maxEntries);
    for (let cpu = 0; cpu < n; cpu++) {
      const fd = maps.perf_event_open(cpu, opts.pageCount);
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, cpu, true);
      const val = new Uint8Array(4);
      new DataView(val.buffer).setInt32(0, fd, true);
      maps.bpf_map_update_elem(mapFd, key, val);
      const o = maps.object(fd);
      this.bufs.push({ cpu, fd, addr: o && 'kind' in o ? o.addr : 0 });
    }
  }

  /** The perf event fds, by CPU (perf_buffer__buffer_fd). */
  bufferFd(cpu: number): number | undefined { return this.bufs.find((b) => b.cpu === cpu)?.fd; }

  /** Samples lost on a CPU's ring so far (the event's lost_samples). */
  lostSamples(cpu: number): bigint {
    const b = this.bufs.find((x) => x.cpu === cpu);
    return b ? new DataView(this.maps.bytes().buffer).getBigUint64(b.addr + E_LOST_TOTAL, true) : 0n;
  }

  /** Consumes every CPU's pending records; returns how many (samples and lost records) were handled. */
  poll(): number {
    let n = 0;
    for (const b of this.bufs) n += this.consumeBuffer(b);
    return n;
  }

  private consumeBuffer(b: CpuBuf): number {
    const mem = this.maps.bytes();
    const dv = new DataView(mem.buffer);
    const data = dv.getUint32(b.addr + E_DATA, true);
    const size = dv.getUint32(b.addr + E_SIZE, true);
    const head = Atomics.load(new BigUint64Array(mem.buffer, b.addr + E_HEAD, 1), 0);
    let tail = dv.getBigUint64(b.addr + E_TAIL, true);
    // records may wrap at the end of the ring: read them byte by byte modulo the size
    const read = (pos: bigint, len: number): Uint8Array => {
      const out = new Uint8Array(len);
      const off = Number(pos % BigInt(size));
      for (let i = 0; i < len; i++) out[i] = mem[data + ((off + i) % size)]!;
      return out;
    };
    let n = 0;
    while (tail < head) {
      const hdr = new DataView(read(tail, HEADER_BYTES).buffer);
      const type = hdr.getUint32(0, true);
      const recSize = hdr.getUint16(6, true);
      if (recSize < HEADER_BYTES) break; // corrupt: stop rather than spin
      const body = new DataView(read(tail + BigInt(HEADER_BYTES), recSize - HEADER_BYTES).buffer);
      if (type === PERF_RECORD_SAMPLE) {
        const rawSize = body.getUint32(0, true);
        this.opts.sample(b.cpu, new Uint8Array(body.buffer, 4, rawSize));
      } else if (type === PERF_RECORD_LOST) {
        this.opts.lost?.(b.cpu, body.getBigUint64(8, true));
      }
      n++;
      tail += BigInt(recSize);
    }
    // the consumer publishes data_tail, which frees the space for the producer
    Atomics.store(new BigUint64Array(mem.buffer, b.addr + E_TAIL, 1), 0, tail);
    return n;
  }
}
