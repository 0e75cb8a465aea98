/**
 * Simulated kernel objects laid out as the built-in kernel BTF says: write
 * a struct's members by path at the kernel's offsets (writeKernelStruct),
 * and a kernel sk_buff over given packet bytes (placeKernelSkb) for
 * BTF-typed programs that get one as an argument (tp_btf/netif_receive_skb,
 * fentry on networking functions). Members not written read as zero.
 */
import { kernelField, kernelStructSize } from './index.js';

export type KernelValue = number | bigint | Uint8Array;

/**
 * Writes members of kernel struct `struct` at `addr` in `memory`: integers
 * (numbers, bigints) little-endian in the member's size, byte arrays copied
 * (at most the member's size). Paths go through nested members ("f_path.dentry").
 */
export function writeKernelStruct(memory: ArrayBuffer, addr: number, struct: string, values: Readonly<Record<string, KernelValue>>): void {
  const dv = new DataView(memory);
  const bytes = new Uint8Array(memory);
  for (const [path, v] of Object.entries(values)) {
    const f = kernelField(struct, path);
    if (v instanceof Uint8Array) {
      if (v.length > f.size) throw new RangeError(`${struct}.${path}: ${v.length} bytes do not fit its ${f.size}`);
      bytes.set(v, addr + f.offset);
      continue;
    }
    const big = BigInt(v);
    switch (f.size) {
      case 1: dv.setUint8(addr + f.offset, Number(BigInt.asUintN(8, big))); break;
      case 2: dv.setUint16(addr + f.offset, Number(BigInt.asUintN(16, big)), true); break;
      case 4: dv.setUint32(addr + f.offset, Number(BigInt.asUintN(32, big)), true); break;
      case 8: dv.setBigUint64(addr + f.offset, BigInt.asUintN(64, big), true); break;
      default: throw new RangeError(`${struct}.${path} is ${f.size} bytes: give its bytes`);
    }
  }
}

export interface KernelSkbOptions {
  /** Packet bytes from the MAC header; skb->data points to them. */
  readonly data: Uint8Array;
  /** skb->protocol as the ethertype (host order; stored big-endian as the kernel's __be16). */
  readonly protocol?: number;
  readonly mark?: number;
  readonly priority?: number;
  /** The receiving device: skb->dev->ifindex / ->name, and skb->skb_iif. */
  readonly ifindex?: number;
  readonly devName?: string;
}

/** Bytes placeKernelSkb needs for a packet of `dataLength` bytes. */
export function kernelSkbBytes(dataLength: number): number {
  const align8 = (n: number): number => Math.ceil(n / 8) * 8;
  const dev = kernelField('net_device', 'name');
  return align8(kernelStructSize('sk_buff')) + align8(dev.offset + dev.size) + dataLength;
}

/**
 * Lays out a kernel sk_buff, its net_device (up to the members the
 * simulation provides) and the packet bytes at [start, end); returns the
 * sk_buff's address. Linear skb: len = the packet's length, data_len 0,
 * head = data, tail = end = len (offsets: NET_SKBUFF_DATA_USES_OFFSET on 64-bit).
 */
export function placeKernelSkb(memory: ArrayBuffer, start: number, end: number, o: KernelSkbOptions): number {
  const need = kernelSkbBytes(o.data.length);
  if (start + need > end) throw new RangeError(`a kernel sk_buff with ${o.data.length} packet bytes needs ${need} bytes, ${end - start} free`);
  new Uint8Array(memory).fill(0, start, start + need);
  const align8 = (n: number): number => Math.ceil(n / 8) * 8;
  const skb = start;
  const dev = skb + align8(kernelStructSize('sk_buff'));
  const devName = kernelField('net_device', 'name');
  const data = dev + align8(devName.offset + devName.size);
  new Uint8Array(memory).set(o.data, data);
  const name = new Uint8Array(devName.size);
  name.set(new TextEncoder().encode(o.devName ?? 'eth0').subarray(0, devName.size - 1));
  writeKernelStruct(memory, dev, 'net_device', { ifindex: o.ifindex ?? 1, name });
  const proto = o.protocol ?? 0;
  writeKernelStruct(memory, skb, 'sk_buff', {
    len: o.data.length, data_len: 0, head: BigInt(data), data: BigInt(data), tail: o.data.length, end: o.data.length,
    protocol: ((proto & 0xff) << 8) | ((proto >> 8) & 0xff), mark: o.mark ?? 0, priority: o.priority ?? 0,
    skb_iif: o.ifindex ?? 1, dev: BigInt(dev),
  });
  return skb;
}
