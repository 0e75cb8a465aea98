/**
 * Drives the conformance plugin exactly as the upstream bpf_conformance runner
 * does: one process per test, argv = [mem-hex] [options...], program hex on
 * stdin, r0 parsed from the first stdout line. Expected values are compared
 * here, never handed to the engine.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFORMANCE, PLUGIN } from './paths.js';

export interface ConformanceCase {
  name: string; program_hex: string; mem_hex: string; expected: string; groups: string[]; cpu_version: string;
}

export function loadCases(): ConformanceCase[] {
  return readFileSync(join(CONFORMANCE, 'assembled.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export interface PluginResult { name: string; ok: boolean; detail: string }

function runOne(c: ConformanceCase, options: string[], stdinHex = c.program_hex): Promise<PluginResult> {
  return new Promise((resolve) => {
    const argv = [PLUGIN, ...(c.mem_hex ? [c.mem_hex] : []), ...options];
    const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      if (code !== 0) return resolve({ name: c.name, ok: false, detail: `exit ${code}: ${err.trim()}` });
      const first = out.split('\n')[0]!.trim();
      const m = /^(?:0x)?([0-9a-fA-F]+)/.exec(first);
      if (!m) return resolve({ name: c.name, ok: false, detail: `unparseable output '${first}'` });
      const got = BigInt('0x' + m[1]);
      const want = BigInt.asUintN(64, c.expected.includes('0x') ? BigInt(c.expected) : BigInt(c.expected));
      resolve({ name: c.name, ok: got === want, detail: got === want ? '' : `got 0x${got.toString(16)}, want 0x${want.toString(16)}` });
    });
    child.stdin.end(stdinHex);
  });
}

/** Runs every case with `concurrency` plugin processes at a time. */
export async function runPlugin(cases: ConformanceCase[], options: string[], concurrency = 4,
  stdinFor?: (c: ConformanceCase) => string): Promise<PluginResult[]> {
  const results: PluginResult[] = new Array(cases.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runOne(cases[i]!, options, stdinFor ? stdinFor(cases[i]!) : cases[i]!.program_hex);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}
