/**
 * Runs every packet of a capture through a program, as the kernel would see
 * them arrive on one interface: the simulated clock follows the capture's
 * timestamps, each packet gets a fresh context, and the results (verdict,
 * rewritten packet) are collected in order. A trap stops the run with an
 * error naming the packet index; the results before it are kept. With
 * continueOnError the run goes on and every failed packet is listed.
 */
import { EbpfError } from '../diagnostics/index.js';
import type { Capture } from '../pcap/pcap.js';
import { XDP_ACTION_NAMES } from '../programs/xdp.js';
import type { LoadedProgram } from './test-run.js';

export interface PacketOutcome {
  index: number;
  timestampNs: bigint;
  retval: bigint;
  dataOut: Uint8Array;
}

export interface CaptureRunResult {
  packets: number;
  /** Count per verdict name (XDP_PASS…) or per raw retval for other types. */
  verdicts: Map<string, number>;
  outcomes: PacketOutcome[];
  elapsedMs: number;
  /** Set when a packet trapped; outcomes holds the packets before it. */
  error?: CaptureRunError;
  /** continueOnError: every packet that failed (the others ran), in order. */
  errors: CaptureRunError[];
}

export class CaptureRunError extends EbpfError {
  constructor(readonly packetIndex: number, override readonly cause: unknown) {
    super('BadInput', `packet ${packetIndex}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CaptureRunError';
  }
}

export function verdictName(type: string, retval: bigint): string {
  if (type === 'xdp' && retval < BigInt(XDP_ACTION_NAMES.length)) return XDP_ACTION_NAMES[Number(retval)]!;
  return `retval ${retval}`;
}

export interface CaptureRunOptions {
  /** Keep every packet's data_out (for --out); off saves memory on large captures. */
  keepData?: boolean;
  ingressIfindex?: number;
  onProgress?: (done: number, total: number) => void;
  /** Go on with the next packet after a failed one, as the kernel's BPF_PROG_TEST_RUN answers it with an errno and takes the next. */
  continueOnError?: boolean;
}

export function runCapture(program: LoadedProgram, capture: Capture, opts: CaptureRunOptions = {}): CaptureRunResult {
  const result: CaptureRunResult = { packets: 0, verdicts: new Map(), outcomes: [], elapsedMs: 0, errors: [] };
  const t0 = performance.now();
  const total = capture.packets.length;
  const progressEvery = Math.max(1, Math.floor(total / 100));
  for (let i = 0; i < total; i++) {
    const pkt = capture.packets[i]!;
    program.machine.setClock(pkt.timestampNs);
    let out;
    try {
      out = program.testRun({ data: pkt.data, ingressIfindex: opts.ingressIfindex });
    } catch (e) {
      if (opts.continueOnError) { result.errors.push(new CaptureRunError(i, e)); continue; }
      result.error = new CaptureRunError(i, e);
      break;
    }
    const name = verdictName(program.options.type, out.retval);
    result.verdicts.set(name, (result.verdicts.get(name) ?? 0) + 1);
    result.outcomes.push({
      index: i, timestampNs: pkt.timestampNs, retval: out.retval,
      dataOut: opts.keepData === false ? new Uint8Array(0) : out.dataOut,
    });
    result.packets++;
    if (opts.onProgress && i % progressEvery === 0) opts.onProgress(i + 1, total);
  }
  result.elapsedMs = performance.now() - t0;
  return result;
}
