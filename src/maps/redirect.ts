/**
 * The redirect record bpf_redirect_map leaves per CPU (the kernel's struct
 * bpf_redirect_info), read back as the target the kernel would send the frame
 * to after XDP_REDIRECT: a device (devmap), a CPU (cpumap), an AF_XDP socket
 * (xskmap), or every device of a devmap (BPF_F_BROADCAST); and the socket of
 * bpf_sk_redirect_map / bpf_msg_redirect_map (and their hash variants).
 */
import { MAP_TYPE as T, BPF_F_EXCLUDE_INGRESS } from './constants.js';
import type { BpfMaps } from './syscall.js';

const RI_MAP = 0;
const RI_MAP_TYPE = 4;
const RI_MAP_ID = 8;
const RI_INDEX = 12;
const RI_FLAGS = 16;
const RI_VALUE = 20;

export type RedirectTarget =
  | { kind: 'device'; mapId: number; key: number; ifindex: number; progId: number }
  | { kind: 'cpu'; mapId: number; cpu: number; qsize: number; progId: number }
  | { kind: 'xsk'; mapId: number; key: number; socketFd?: number; queueId: number }
  /** bpf_sk_redirect_map/hash, bpf_msg_redirect_map/hash (key: the sockmap index; 0 for a sockhash). */
  | { kind: 'socket'; mapId: number; key: number; socketFd?: number; cookie: bigint; ingress: boolean }
  | { kind: 'broadcast'; mapId: number; ifindexes: number[]; excludeIngress: boolean };

/** Clears CPU `cpu`'s record (before a run). */
export function resetRedirect(maps: BpfMaps, cpu: number): void { maps.kernels.exports.redirect_reset(cpu); }

/**
 * The target of the last bpf_redirect_map on `cpu`, or undefined when there is
 * none (no call, or the last lookup failed). `ingressIfindex` is left out of a
 * broadcast with BPF_F_EXCLUDE_INGRESS.
 */
export function readRedirect(maps: BpfMaps, cpu: number, ingressIfindex = 0): RedirectTarget | undefined {
  const rec = maps.kernels.exports.redirect_record(cpu);
  const dv = new DataView(maps.bytes().buffer);
  const type = dv.getUint32(rec + RI_MAP_TYPE, true);
  if (type === 0) return undefined;
  const mapId = dv.getUint32(rec + RI_MAP_ID, true);
  const key = dv.getUint32(rec + RI_INDEX, true);
  const value = dv.getUint32(rec + RI_VALUE, true);
  const bcastMap = dv.getUint32(rec + RI_MAP, true);
  if (bcastMap !== 0) {
    const flags = dv.getUint32(rec + RI_FLAGS, true);
    const m = maps.mapByHandle(bcastMap);
    const excludeIngress = (flags & BPF_F_EXCLUDE_INGRESS) !== 0;
    const ifindexes: number[] = [];
    if (m) {
      let k: Uint8Array | null = null;
      for (;;) {
        try { k = maps.bpf_map_get_next_key(m.fd, k); } catch { break; }
        let v: Uint8Array;
        try { v = maps.bpf_map_lookup_elem(m.fd, k); } catch { continue; }
        const ifindex = new DataView(v.buffer, v.byteOffset).getUint32(0, true);
        if (excludeIngress && ifindex === ingressIfindex) continue;
        ifindexes.push(ifindex);
      }
    }
    return { kind: 'broadcast', mapId, ifindexes, excludeIngress };
  }
  switch (type) {
    case T.devmap: case T.devmap_hash:
      return { kind: 'device', mapId, key, ifindex: dv.getUint32(value, true), progId: dv.getUint32(value + 4, true) };
    case T.cpumap:
      return { kind: 'cpu', mapId, cpu: key, qsize: dv.getUint32(value, true), progId: dv.getUint32(value + 4, true) };
    case T.xskmap: case T.sockmap: case T.sockhash: {
      const sock = maps.objectByAddr(value);
      const socketFd = sock?.kind === 'socket' ? sock.fd : undefined;
      if (type === T.xskmap) return { kind: 'xsk', mapId, key, socketFd, queueId: sock?.kind === 'socket' ? sock.queueId : 0 };
      return { kind: 'socket', mapId, key, socketFd, cookie: sock?.kind === 'socket' ? sock.cookie : 0n, ingress: (dv.getUint32(rec + RI_FLAGS, true) & 1) !== 0 };
    }
  }
  return undefined;
}

/** The machine's maps, once an object loaded them (src/object/object.ts attaches them). */
function machineMaps(machine: object): BpfMaps | undefined {
  return (machine as { bpfMaps?: BpfMaps }).bpfMaps;
}

/** For the XDP runtime: clear the record before a run (no-op without maps). */
export function resetMachineRedirect(machine: object, cpu: number): void {
  const maps = machineMaps(machine);
  if (maps) resetRedirect(maps, cpu);
}

/** For the XDP runtime: the target after a run that returned XDP_REDIRECT. */
export function machineRedirect(machine: object, cpu: number, ingressIfindex: number): RedirectTarget | undefined {
  const maps = machineMaps(machine);
  return maps ? readRedirect(maps, cpu, ingressIfindex) : undefined;
}
