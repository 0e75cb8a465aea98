// Shared helpers for the ELF/BTF loader tests (not a test file itself).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LoadError } from '../src/diagnostics/index.js';

export const FIXTURES = fileURLToPath(new URL('../../test/fixtures/elf/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURES + name));
}

/** Runs `fn`, returns the LoadError it throws; any other outcome fails. */
export function loadError(fn: () => unknown): LoadError {
  try { fn(); } catch (e) {
    if (e instanceof LoadError) return e;
    throw new Error(`expected a LoadError, got ${(e as Error)?.stack ?? String(e)}`);
  }
  throw new Error('expected a LoadError, but it succeeded');
}

/** Deterministic PRNG (mulberry32) for the fuzz loops. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** Runs an LLVM tool if installed; undefined when absent. */
export function llvm(tool: string, args: string[]): string | undefined {
  const r = spawnSync(`${tool}-19`, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout;
}
