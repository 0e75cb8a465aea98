/**
 * A Machine is one simulated host: the linear memory and its layout, the
 * helper registry, and the simulated world helpers read (clock, random
 * numbers, trace output). Tiers execute programs against a Machine.
 */
import { registerKfuncs } from '../kfuncs/index.js';
import { computeLayout, createMemory, type CpuArea, type LayoutOptions, type MemoryLayout, type RunRegions } from './layout.js';
import { HelperRegistry, type HelperRuntime } from '../helpers/table.js';
import { registerCoreHelpers } from '../helpers/core.js';
import { registerXdpHelpers } from '../programs/xdp.js';
import { registerSkbHelpers } from '../helpers/skb.js';
import { registerTracingHelpers } from '../helpers/tracing.js';
import { registerTraceVprintk } from '../helpers/trace-vprintk.js';
import { registerPidNsHelpers } from '../helpers/pidns.js';
import { registerXdpRedirect } from '../helpers/xdp-redirect.js';
import { registerAttachCookie } from '../helpers/attach-cookie.js';
import { registerTunnelHelpers } from '../helpers/tunnel.js';
import { registerXdpBuffLen } from '../helpers/xdp-buff-len.js';
import { registerSkLookupHelpers } from '../programs/sk-lookup.js';
import { registerSysctlHelpers } from '../programs/sysctl.js';
import { registerWorldHelpers } from './world-helpers.js';

export interface MachineOptions extends LayoutOptions {
  /** Seed of bpf_get_prandom_u32 and anything else random. */
  seed?: number;
  /** Start of the simulated monotonic clock, ns. */
  clockStartNs?: bigint;
  /** Clock advance per reading, ns (0: the clock only moves when set). */
  clockStepNs?: bigint;
  helpers?: HelperRegistry;
  /** An existing memory laid out by these options (a worker thread joining a shared machine). */
  memory?: WebAssembly.Memory;
}

/** xorshift128+ reduced to 32-bit output: small, seedable, and identical in every host. */
class Prng {
  private s0: number; private s1: number; private s2: number; private s3: number;
  constructor(seed: number) {
    // splitmix32 to spread the seed over the state
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next() | 1;
  }
  /** xoshiro128** */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 ^= t; this.s3 = rotl(this.s3, 11);
    return r;
  }
}
function rotl(x: number, k: number): number { return (x << k) | (x >>> (32 - k)); }

/** Helper sets modules add to every new machine's defaults (socket-types.ts: the socket-level types' helpers). */
const EXTRA_HELPER_SETS: Array<(registry: HelperRegistry) => void> = [];

export function addDefaultHelperSet(register: (registry: HelperRegistry) => void): void {
  if (!EXTRA_HELPER_SETS.includes(register)) EXTRA_HELPER_SETS.push(register);
}

/** The helpers every machine starts with. */
export function defaultHelpers(): HelperRegistry {
  const registry = registerCoreHelpers(new HelperRegistry());
  registerXdpHelpers(registry);
  registerSkbHelpers(registry);
  // before the world helpers: their bpf_redirect wraps this one (XDP outside a world, tc, lwt)
  registerXdpRedirect(registry);
  registerTracingHelpers(registry);
  registerSkLookupHelpers(registry);
  registerSysctlHelpers(registry);
  registerWorldHelpers(registry);
  registerKfuncs(registry);
  registerTraceVprintk(registry);
  registerPidNsHelpers(registry);
  registerAttachCookie(registry);
  registerTunnelHelpers(registry);
  registerXdpBuffLen(registry);
  for (const register of EXTRA_HELPER_SETS) register(registry);
  return registry;
}

export class Machine implements HelperRuntime {
  readonly layout: MemoryLayout;
  readonly memory: WebAssembly.Memory;
  readonly helpers: HelperRegistry;
  readonly traceLines: string[] = [];
  cpu = 0;
  /** Exports of the AssemblyScript map kernels instance bound to this machine's memory, once loaded. */
  kernelExports?: Record<string, unknown>;
  private clockNs: bigint;
  private readonly clockStep: bigint;
  private readonly prng: Prng;

  constructor(opts: MachineOptions = {}) {
    this.layout = computeLayout(opts);
    this.memory = opts.memory ?? createMemory(this.layout);
    this.helpers = opts.helpers ?? defaultHelpers();
    this.clockNs = opts.clockStartNs ?? 1_000_000_000n;
    this.clockStep = opts.clockStepNs ?? 0n;
    this.prng = new Prng(opts.seed ?? 0);
  }

  area(cpu = 0): CpuArea {
    const a = this.layout.areas[cpu];
    if (!a) throw new RangeError(`no CPU ${cpu} (machine has ${this.layout.cpus})`);
    return a;
  }

  /** Regions of a run on `cpu` whose data window is [dataStart, dataEnd) and context [ctx, ctx+ctxSize). */
  regions(cpu: number, dataStart: number, dataEnd: number, ctxSize: number): RunRegions {
    const a = this.area(cpu);
    return {
      stack: { start: a.stackBase, end: a.stackTop },
      ctx: { start: a.ctx, end: a.ctx + ctxSize },
      data: { start: dataStart, end: dataEnd },
      heap: { start: this.layout.heapBase, end: this.memory.buffer.byteLength },
    };
  }

  setClock(ns: bigint): void { this.clockNs = ns; }
  nowNs(): bigint { const t = this.clockNs; this.clockNs += this.clockStep; return t; }
  bootNs(): bigint { return this.nowNs(); }
  randomU32(): number { return this.prng.nextU32(); }
  trace(line: string): void { this.traceLines.push(line); }
}
