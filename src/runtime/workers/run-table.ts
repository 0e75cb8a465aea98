/**
 * Runs a packet table through a program (what `run` does): one CPU on this
 * thread, or `cpus` worker threads — one simulated CPU each — over the
 * machine's shared memory, packets spread by flow hash (RSS-like) or round
 * robin, results merged in packet order. Node-only (worker_threads): the edge
 * entry uses ../capture-run.ts instead.
 */
import { Worker } from 'node:worker_threads';
import { EbpfError } from '../../diagnostics/index.js';
import type { PacketTable } from '../../pcap/scan.js';
import type { ProgramTypeName } from '../../programs/types.js';
import { verdictName } from '../capture-run.js';
import { allocResults, allocStop, mergeCpu, NOT_RUN, runCpu, type CaptureEvent, type CpuRunOptions, type CpuRunResult, type PacketError, type ResultTables, type Spread } from '../capture-engine.js';
import type { LayoutOptions } from '../layout.js';
import type { Machine } from '../machine.js';
import type { LoadedProgram } from '../test-run.js';
import type { Executor } from '../tier.js';
import type { World } from '../world.js';

export interface TableRunSpec {
  machine: Machine;
  program: LoadedProgram;
  /** Patched instructions of the program (what workers decode for the interpreter tier). */
  instructions: Uint8Array;
  table: PacketTable;
  cpus: number;
  spread: Spread;
  keepData: boolean;
  ingressIfindex: number;
  clockStepNs: number;
  seed: number;
  /** cpus > 1: how workers rebuild the machine (the same layout options, the shared map kernels). */
  workers?: { layoutOptions: LayoutOptions; kernelsModule: WebAssembly.Module; world: World };
  onProgress?: (done: number, total: number) => void;
  /** Go on after a packet that fails, as the kernel does (see CpuRunOptions.continueOnError); default: stop there. */
  continueOnError?: boolean;
  /** One CPU only: each packet's verdict and data_out as it runs (see CpuRunOptions.sink). */
  sink?: CpuRunOptions['sink'];
}

export interface TableRunResult {
  /** Packets run (every packet below `stopAt`). */
  packets: number;
  stopAt: number;
  verdicts: Map<string, number>;
  results: ResultTables;
  /** Each CPU's data store (data_out bytes at results.outOff/outLen). */
  stores: Uint8Array[];
  packetsPerCpu: number[];
  events: CaptureEvent[];
  /** Wall time of the packet loop (workers: from the start signal to the last CPU done). */
  elapsedMs: number;
  error?: CaptureRunStopped;
  /** continueOnError: the packets that failed (not run), in packet order; the others ran. */
  packetErrors: PacketError[];
}

/** A run stopped at a packet: names it (1-based, as tshark numbers them) and its index. */
export class CaptureRunStopped extends EbpfError {
  constructor(readonly packetIndex: number, readonly causeMessage: string, readonly causeCode?: number) {
    super('CaptureRunStopped', `packet ${packetIndex + 1} (index ${packetIndex}): ${causeMessage}`);
    this.name = 'CaptureRunStopped';
  }
}

/** What a capture worker gets (structured-cloned; the memory and the tables are shared). */
export interface CaptureWorkerData {
  memory: WebAssembly.Memory;
  layoutOptions: LayoutOptions;
  kernelsModule: WebAssembly.Module;
  world: World;
  instructions: Uint8Array;
  compiled?: unknown;
  type: ProgramTypeName;
  unverified: boolean;
  budget?: number;
  seed: number;
  table: PacketTable;
  stopAt: Int32Array;
  go: Int32Array;
  /** [cpu]: the packet index this CPU has reached (for the progress bar). */
  progress: Int32Array;
  run: CpuRunOptions;
}

export type WorkerReply = CpuRunResult & { ready?: true };

const PROGRESS_MS = 200;

/** Per-CPU seeds: CPU 0 keeps the seed, others get distinct streams (the kernel's prandom state is per CPU). */
export function cpuSeed(seed: number, cpu: number): number {
  return (seed + Math.imul(cpu, 0x9e3779b9)) >>> 0;
}

/** Copies a table into SharedArrayBuffers so that workers read it in place. */
export function shareTable(t: PacketTable): PacketTable {
  const share = <T extends Uint8Array | Int32Array | Float64Array>(a: T, make: (b: SharedArrayBuffer) => T): T => {
    if (a.buffer instanceof SharedArrayBuffer) return a;
    const b = make(new SharedArrayBuffer(a.byteLength));
    b.set(a as never);
    return b;
  };
  return {
    ...t, bytes: share(t.bytes, (b) => new Uint8Array(b)), dataOff: share(t.dataOff, (b) => new Int32Array(b)),
    capLen: share(t.capLen, (b) => new Int32Array(b)), origLen: share(t.origLen, (b) => new Int32Array(b)),
    tsSec: share(t.tsSec, (b) => new Float64Array(b)), tsNsec: share(t.tsNsec, (b) => new Int32Array(b)),
  };
}

export async function runTable(spec: TableRunSpec): Promise<TableRunResult> {
  const multi = spec.cpus > 1;
  const table = multi ? shareTable(spec.table) : spec.table;
  const stopAt = allocStop(table.count, multi);
  const cpuOpts = (cpu: number): CpuRunOptions => ({
    cpu, cpus: spec.cpus, spread: spec.spread, keepData: spec.keepData, ingressIfindex: spec.ingressIfindex, clockStepNs: spec.clockStepNs,
    ...(spec.continueOnError ? { continueOnError: true } : {}),
  });
  const type = spec.program.options.type, unverified = spec.program.options.unverified === true;
  let replies: CpuRunResult[];
  let elapsedMs: number;
  if (!multi) {
    const onProgress = spec.onProgress;
    const t0 = performance.now();
    const r = runCpu(spec.machine, spec.program.executor, type, unverified, spec.program.program, table, stopAt,
      { ...cpuOpts(0), ...(onProgress ? { onProgress: (i: number) => onProgress(i + 1, table.count) } : {}), ...(spec.sink ? { sink: spec.sink } : {}) });
    elapsedMs = performance.now() - t0;
    replies = [r];
  } else {
    if (spec.sink) throw new Error('runTable: a sink needs a single CPU (workers merge their results after the run)');
    if (!spec.workers) throw new Error('runTable: cpus > 1 needs the workers setup (layout options and shared map kernels)');
    if (!spec.machine.layout.shared) throw new Error('runTable: cpus > 1 needs a machine with shared memory');
    const executor = spec.program.executor as Executor & { compiled?: unknown };
    const go = new Int32Array(new SharedArrayBuffer(4));
    const progress = new Int32Array(new SharedArrayBuffer(4 * spec.cpus));
    const workerUrl = new URL('./capture-worker.js', import.meta.url);
    const ready: Promise<void>[] = [];
    const done: Promise<WorkerReply>[] = [];
    const workers: Worker[] = [];
    for (let cpu = 0; cpu < spec.cpus; cpu++) {
      const data: CaptureWorkerData = {
        memory: spec.machine.memory, layoutOptions: spec.workers.layoutOptions, kernelsModule: spec.workers.kernelsModule, world: spec.workers.world,
        instructions: spec.instructions, ...(executor.tier === 'jit' ? { compiled: executor.compiled } : {}),
        type, unverified, ...(spec.program.options.budget !== undefined ? { budget: spec.program.options.budget } : {}),
        seed: cpuSeed(spec.seed, cpu), table: { ...table, error: undefined }, stopAt, go, progress, run: cpuOpts(cpu),
      };
      const w = new Worker(workerUrl, { workerData: data });
      workers.push(w);
      let onReady!: () => void;
      ready.push(new Promise<void>((r) => { onReady = r; }));
      done.push(new Promise<WorkerReply>((resolve, reject) => {
        w.on('message', (m: WorkerReply) => { if (m.ready) onReady(); else resolve(m); });
        w.on('error', reject);
        w.on('exit', (code) => reject(new Error(`capture worker for CPU ${cpu} exited (code ${code}) before reporting`)));
      }));
    }
    // a worker that fails while starting rejects `done` before it is ready
    await Promise.race([Promise.all(ready), Promise.all(done)]);
    const t0 = performance.now();
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    // every packet below the slowest CPU's position is done
    const onProgress = spec.onProgress;
    const timer = onProgress ? setInterval(() => onProgress(Math.min(...progress), table.count), PROGRESS_MS) : undefined;
    try {
      replies = await Promise.all(done);
    } finally {
      if (timer) clearInterval(timer);
      await Promise.all(workers.map((w) => w.terminate()));
    }
    elapsedMs = performance.now() - t0;
  }
  const results = allocResults(table.count);
  replies.forEach((r, cpu) => mergeCpu(results, cpu, r, !multi));
  const stop = stopAt[0]!;
  const counts = new Map<number, number>();
  let packets = 0;
  for (let i = 0; i < stop; i++) {
    if (results.cpuOf[i] === NOT_RUN) continue;
    const r = results.retval[i]!;
    counts.set(r, (counts.get(r) ?? 0) + 1);
    packets++;
  }
  const verdicts = new Map<string, number>();
  for (const [r, n] of counts) verdicts.set(verdictName(type, BigInt(r)), n);
  const events = replies.flatMap((r) => r.events).filter((e) => e.packet < stop).sort((a, b) => a.packet - b.packet);
  const firstError = replies.map((r) => r.error).filter((e) => e !== undefined).sort((a, b) => a!.packet - b!.packet)[0];
  return {
    packets, stopAt: stop, verdicts, results, stores: replies.map((r) => r.data), packetsPerCpu: replies.map((r) => r.packets), events, elapsedMs,
    packetErrors: replies.flatMap((r) => r.errors ?? []).sort((a, b) => a.packet - b.packet),
    ...(firstError ? { error: new CaptureRunStopped(firstError.packet, firstError.message, firstError.code) } : {}),
  };
}
