/**
 * The `raw` program type: a bare program whose r1 points to a private copy of
 * an input memory (0 when there is none) and r2 holds its length, as the
 * conformance suite and uBPF run programs. r0 is the 64-bit result.
 */
import { decode } from '../isa/decode.js';
import type { Program } from '../isa/instruction.js';
import { Interpreter, type RunArgs } from '../interpreter/interpreter.js';
import { rawRuntime } from '../programs/raw.js';
import { Machine } from './machine.js';
import { DEFAULT_PACKET_CAPACITY } from './layout.js';

export interface RawRunOptions {
  /** Run code no verifier accepted, inside the sandbox. */
  unverified?: boolean;
  /** Executed-instruction budget. */
  budget?: number;
  /** Reuse a machine (its CPU 0 area holds the input). */
  machine?: Machine;
  seed?: number;
}

export interface RawRun {
  r0: bigint;
  executed: number;
  machine: Machine;
}

/** Copies `mem` into CPU 0's data area and returns the entry registers and regions (the raw type's prepare). */
export function prepareRawInput(machine: Machine, mem: Uint8Array | undefined): RunArgs {
  return rawRuntime.prepare(machine, 0, { data: mem });
}

export function machineForRaw(mem: Uint8Array | undefined, seed?: number): Machine {
  const capacity = Math.max(DEFAULT_PACKET_CAPACITY, mem?.length ?? 0);
  return new Machine({ packetCapacity: capacity, seed });
}

/** Runs a raw program in the interpreter tier. */
export function runRawInterpreter(program: Program | Uint8Array, mem?: Uint8Array, opts: RawRunOptions = {}): RawRun {
  if (!opts.unverified) throw new Error('runRawInterpreter: raw programs run only unverified, inside the sandbox: pass { unverified: true }');
  const prog = program instanceof Uint8Array ? decode(program) : program;
  const machine = opts.machine ?? machineForRaw(mem, opts.seed);
  const interp = new Interpreter(prog, machine, { unverified: true, budget: opts.budget });
  const input = prepareRawInput(machine, mem);
  const lo = interp.run(0, input);
  return { r0: interp.r0(lo), executed: interp.executed, machine };
}
