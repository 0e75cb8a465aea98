/**
 * A typed object API over one map: get/set/delete/has and iteration, with
 * codecs turning keys and values into bytes. Errors other than "not found"
 * are MapErrors with the kernel's errno.
 */
import { BPF_ANY } from './constants.js';
import { isErrno, type BpfMaps, type MapInfo } from './syscall.js';

export interface Codec<T> {
  readonly size: number;
  encode(v: T): Uint8Array;
  decode(b: Uint8Array): T;
}

export const u32: Codec<number> = {
  size: 4,
  encode: (v) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return b; },
  decode: (b) => new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true),
};
export const u64: Codec<bigint> = {
  size: 8,
  encode: (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true); return b; },
  decode: (b) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true),
};
export function bytes(size: number): Codec<Uint8Array> {
  return { size, encode: (v) => v, decode: (b) => b.slice() };
}
/** A per-CPU value: one decoded value per CPU (slots 8-byte aligned, as the kernel lays them out). */
export function perCpu<T>(inner: Codec<T>, ncpus: number): Codec<T[]> {
  const stride = (inner.size + 7) & ~7;
  return {
    size: stride * ncpus,
    encode: (vs) => { const b = new Uint8Array(stride * ncpus); vs.forEach((v, i) => b.set(inner.encode(v), i * stride)); return b; },
    decode: (b) => Array.from({ length: ncpus }, (_, i) => inner.decode(b.subarray(i * stride, i * stride + inner.size))),
  };
}

export class TypedMap<K, V> {
  readonly info: MapInfo;
  constructor(readonly maps: BpfMaps, readonly fd: number, readonly key: Codec<K>, readonly value: Codec<V>) {
    this.info = maps.map(fd);
  }

  get(k: K): V | undefined {
    try {
      return this.value.decode(this.maps.bpf_map_lookup_elem(this.fd, this.key.encode(k)));
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return undefined;
      throw e;
    }
  }
  set(k: K, v: V, flags = BPF_ANY): this {
    this.maps.bpf_map_update_elem(this.fd, this.key.encode(k), this.value.encode(v), flags);
    return this;
  }
  delete(k: K): boolean {
    try {
      this.maps.bpf_map_delete_elem(this.fd, this.key.encode(k));
      return true;
    } catch (e) {
      if (isErrno(e, 'ENOENT')) return false;
      throw e;
    }
  }
  has(k: K): boolean { return this.get(k) !== undefined; }

  *keys(): IterableIterator<K> {
    let cur: Uint8Array | null = null;
    for (;;) {
      try {
        cur = this.maps.bpf_map_get_next_key(this.fd, cur);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return;
        throw e;
      }
      yield this.key.decode(cur);
    }
  }
  *entries(): IterableIterator<[K, V]> {
    for (const k of this.keys()) {
      const v = this.get(k);
      // an entry deleted meanwhile is skipped
      if (v !== undefined) yield [k, v];
    }
  }
  [Symbol.iterator](): IterableIterator<[K, V]> { return this.entries(); }
}
