/**
 * The kernel's side of the benchmarks from TypeScript: builds kbench.c with
 * gcc and libbpf on first use (into dist/bench/kernel/, rebuilt when the
 * source is newer), runs it and parses its JSON. When bpf() is refused (not
 * root, a seccomp sandbox) the result says why and the benches print that
 * instead of kernel figures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/bench/kernel/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Exit status of kbench when bpf() is refused. */
const EXIT_SKIPPED = 3;

export interface KernelTiming {
  /** Mean of the packets' durations, per trial (ns per repetition). */
  trial_mean_ns: number[];
  /** Per packet, last trial. */
  packet_ns: number[];
  /** Per packet, one run on the fresh packet before the timed runs (negative: -errno of a refused run). */
  retvals: number[];
  errors: number;
}
export interface KernelProgram extends KernelTiming { name: string; type: string }
export interface KernelRun {
  object: string;
  repeat: number;
  trials: number;
  packets: number;
  /** net.core.bpf_jit_enable (1: the kernel's JIT; -1: unknown). */
  jit: number;
  programs: KernelProgram[];
  /** An empty program of each type timed the same way: the test-run floor. */
  baselines: Record<string, KernelTiming>;
}
export type KernelResult = { ok: true; run: KernelRun } | { ok: false; reason: string };

let built: string | undefined;

/** Path of the kbench binary, built if missing or older than its source. */
export function kbenchBinary(): string {
  if (built) return built;
  const src = join(ROOT, 'bench', 'kernel', 'kbench.c');
  const dir = join(ROOT, 'dist', 'bench', 'kernel');
  const bin = join(dir, 'kbench');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(dir, { recursive: true });
    const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', bin, src, '-lbpf'], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`building ${src} failed (gcc and libbpf-dev needed):\n${cc.stderr}`);
  }
  return (built = bin);
}

/** Runs kbench with these arguments (see kbench.c); paths are relative to the repository root. */
export function kernelBench(args: readonly string[]): KernelResult {
  let bin: string;
  try {
    bin = kbenchBinary();
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const r = spawnSync(bin, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status === EXIT_SKIPPED) return { ok: false, reason: (JSON.parse(r.stdout) as { skipped: string }).skipped };
  if (r.status !== 0) throw new Error(`kbench ${args.join(' ')} failed (status ${r.status}):\n${r.stderr}`);
  return { ok: true, run: JSON.parse(r.stdout) as KernelRun };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * tinybench clock in CPU time (ms): user + system CPU of this process. The
 * shared machine runs at a load of 20+ on 2 cores, so wall-clock samples of a
 * millisecond or more mostly include time spent preempted; the kernel's
 * test-run duration leaves out the time it yields (its timer stops around
 * cond_resched), so CPU time is the like-for-like measure. Resolution: the
 * scheduler's ns runtime, ~1 µs per read (a constant in every task,
 * cancelled by the subtractions).
 */
export function cpuNowMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
