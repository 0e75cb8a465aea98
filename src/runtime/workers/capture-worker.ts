/**
 * One simulated CPU of a `run --cpus N`: rebuilds the machine over the shared
 * memory (same layout, its own map-kernel instance set to this CPU, so
 * per-CPU maps see this CPU's slot), binds the program (the main thread's
 * compiled JIT module, or the instructions for the interpreter; the main
 * thread verified them), waits for the start signal and runs its packets.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { registerMapHelpers } from '../../helpers/maps.js';
import { decode } from '../../isa/decode.js';
import type { CompiledProgram } from '../../jit/abi.js';
import { CompiledExecutor } from '../../jit/executor.js';
import { instantiateMapKernelsSync } from '../../maps/kernels.js';
import { runCpu } from '../capture-engine.js';
import { Machine } from '../machine.js';
import { setWorld } from '../world-helpers.js';
import { createExecutor, type Executor } from '../tier.js';
import type { CaptureWorkerData, WorkerReply } from './run-table.js';

const d = workerData as CaptureWorkerData;
const cpu = d.run.cpu;
const machine = new Machine({ ...d.layoutOptions, memory: d.memory, seed: d.seed });
const kernels = instantiateMapKernelsSync(d.kernelsModule, d.memory, machine.layout, cpu);
machine.kernelExports = kernels.exports as unknown as Record<string, unknown>;
registerMapHelpers(machine.helpers, kernels);
setWorld(machine, d.world, d.type);
const program = decode(d.instructions);
const req = { program, machine, type: d.type, unverified: d.unverified, ...(d.budget !== undefined ? { budget: d.budget } : {}) };
const executor: Executor = d.compiled ? new CompiledExecutor(d.compiled as CompiledProgram, req) : createExecutor('interpreter', req);

parentPort!.postMessage({ ready: true });
Atomics.wait(d.go, 0, 0);
const r: WorkerReply = runCpu(machine, executor, d.type, d.unverified, program, d.table, d.stopAt, { ...d.run, onProgress: (i) => Atomics.store(d.progress, cpu, i) });
Atomics.store(d.progress, cpu, d.table.count);
parentPort!.postMessage(r, [r.data.buffer, r.ran.buffer, r.ret.buffer, r.off.buffer, r.len.buffer, r.eg.buffer] as ArrayBuffer[]);
