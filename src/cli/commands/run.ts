/**
 * `ebpf-wasm run PROG.o --pcap IN …` (and `run-pcap`, the oracle's spelling,
 * which implies --per-packet): every packet of a capture through one program,
 * the clock following the capture's timestamps.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readCapture, writePcap, type WritePacket } from '../../pcap/pcap.js';
import { runCapture } from '../../runtime/capture-run.js';
import { formatMaps, mapsJson } from '../format.js';
import { toHex } from '../hex.js';
import { intOption, loadObjectForCli, ObjectUsageError, selectProgram } from './test-run-object.js';

/** Whether a verdict means the packet does not go on (for --out). */
export function isDropped(type: string, retval: bigint): boolean {
  const r = BigInt.asUintN(32, retval);
  switch (type) {
    case 'xdp': return r === 0n || r === 1n; // XDP_ABORTED, XDP_DROP
    case 'sched_cls': case 'sched_act': return r === 2n; // TC_ACT_SHOT
    case 'socket_filter': case 'cgroup_skb': return r === 0n;
    case 'lwt_in': case 'lwt_out': case 'lwt_xmit': return r === 2n; // BPF_DROP
    default: return false;
  }
}

const causeMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    const w = 30, f = Math.round((done / total) * w);
    process.stderr.write(`\r[${'#'.repeat(f)}${' '.repeat(w - f)}] ${done}/${total}`);
  };
}

export async function runObject(argv: string[], perPacketDefault = false): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      prog: { type: 'string' }, pcap: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' },
      json: { type: 'boolean' }, 'dump-maps': { type: 'boolean' }, unverified: { type: 'boolean' },
      'per-packet': { type: 'boolean' }, 'map-init': { type: 'string', multiple: true }, budget: { type: 'string' }, cpus: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new ObjectUsageError('run takes one object file');
  if (values.pcap === undefined) throw new ObjectUsageError('run needs --pcap FILE');
  const capture = readCapture(new Uint8Array(readFileSync(values.pcap)));
  const obj = loadObjectForCli({
    path: positionals[0]!, mapInit: values['map-init'] ?? [], unverified: values.unverified === true,
    seed: intOption(values.seed, '--seed', 0), budget: intOption(values.budget, '--budget', 1),
    cpus: intOption(values.cpus, '--cpus', 1),
  });
  const prog = selectProgram(obj, values.prog);
  if (prog.type === 'raw_tracepoint') throw new ObjectUsageError(`run: ${prog.name} is a raw_tracepoint program: it takes a context, not packets`);
  const perPacket = values['per-packet'] === true || perPacketDefault;
  const onProgress = progressBar();
  const res = runCapture(prog.loaded, capture, { keepData: perPacket || values.out !== undefined, ...(onProgress ? { onProgress } : {}) });
  if (onProgress) process.stderr.write('\r' + ' '.repeat(50) + '\r');

  if (values.out !== undefined) {
    const kept: WritePacket[] = res.outcomes.filter((o) => !isDropped(prog.type, o.retval)).map((o) => ({ timestampNs: o.timestampNs, data: o.dataOut }));
    writeFileSync(values.out, writePcap(kept, capture.linkType));
  }
  const rate = res.elapsedMs > 0 ? Math.round((res.packets * 1000) / res.elapsedMs) : 0;
  const verdicts = [...res.verdicts].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const summary = `packets: ${res.packets}\n` + verdicts.map(([k, n]) => `${k}: ${n}\n`).join('') + `rate: ${rate} packets/s\n`;

  if (values.json) {
    const j: Record<string, unknown> = { program: prog.name, type: prog.type, packets: res.packets, verdicts: Object.fromEntries(verdicts), packets_per_second: rate };
    if (perPacket) j.per_packet = res.outcomes.map((o) => ({ packet: o.index + 1, retval: Number(BigInt.asUintN(32, o.retval)), data_out: toHex(o.dataOut) }));
    if (res.error) j.error = { packet: res.error.packetIndex + 1, index: res.error.packetIndex, message: causeMessage(res.error.cause) };
    if (values['dump-maps']) j.maps = mapsJson(obj);
    process.stdout.write(JSON.stringify(j) + '\n');
  } else {
    let s = '';
    if (perPacket) {
      for (const o of res.outcomes) s += `packet ${o.index + 1} retval ${BigInt.asUintN(32, o.retval)} data_out ${toHex(o.dataOut)}\n`;
      process.stderr.write(summary);
    } else s += summary;
    if (values['dump-maps']) s += formatMaps(obj);
    process.stdout.write(s);
  }
  if (res.error) {
    process.stderr.write(`ebpf-wasm: run stopped at packet ${res.error.packetIndex + 1} (index ${res.error.packetIndex}) of ${capture.packets.length}; ${res.packets} packets counted before it: ${causeMessage(res.error.cause)}\n`);
    return 1;
  }
  return 0;
}
