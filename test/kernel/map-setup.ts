/** Test plumbing: our maps over a fresh machine memory, and the kernel harness (gcc + libbpf). */
import { readFileSync, mkdirSync, existsSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { computeLayout, createMemory } from '../../src/runtime/layout.js';
import { instantiateMapKernelsSync, MAP_KERNELS_WASM_URL, MAP_KERNELS_SHARED_WASM_URL } from '../../src/maps/kernels.js';
import { BpfMaps } from '../../src/maps/syscall.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let plain: WebAssembly.Module | undefined;

export function newMaps(cpus: number, opts: { shared?: boolean; heapBytes?: number; maxBytes?: number } = {}): BpfMaps {
  const layout = computeLayout({ cpus, shared: opts.shared, heapBytes: opts.heapBytes, maxBytes: opts.maxBytes ?? 1 << 30 });
  const memory = createMemory(layout);
  const mod = opts.shared
    ? new WebAssembly.Module(readFileSync(MAP_KERNELS_SHARED_WASM_URL))
    : (plain ??= new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL)));
  return new BpfMaps(instantiateMapKernelsSync(mod, memory, layout));
}

/** The kernel's possible CPUs, as libbpf counts them. */
export function possibleCpus(): number {
  const s = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let n = 0;
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map(Number);
    n += b === undefined ? 1 : b - a! + 1;
  }
  return n;
}

export type KernelStatus = { ok: true; harness: string } | { ok: false; reason: string; root: boolean };

/** Builds map-harness.c and checks that bpf() works (root, BPF enabled). */
export function kernelHarness(): KernelStatus {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const src = join(ROOT, 'test', 'kernel', 'map-harness.c');
  const dir = join(ROOT, 'dist', 'test', 'kernel');
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, 'map-harness');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    const cc = spawnSync('gcc', ['-O2', '-o', bin, src, '-lbpf'], { encoding: 'utf8' });
    if (cc.status !== 0) return { ok: false, root, reason: `gcc/libbpf unavailable: ${(cc.stderr || cc.error?.message || '').slice(0, 300)}` };
  }
  const probe = spawnSync(bin, [], { input: 'C 1 4 4 1 0 0 -1\n', encoding: 'utf8' });
  if (probe.status !== 0 || probe.stdout.trim() !== '0') return { ok: false, root, reason: `bpf() does not work here (${probe.stdout.trim() || probe.stderr.trim()})` };
  return { ok: true, harness: bin };
}

export function runKernel(harness: string, ops: readonly string[], pin = false): string[] {
  const r = spawnSync(harness, pin ? ['--pin'] : [], { input: ops.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`map-harness failed: ${r.stderr}`);
  return r.stdout.split('\n').slice(0, ops.length);
}
