// The bpf_conformance suite through the JIT: program bytes and memory from
// assembled.jsonl; the expected r0 is only compared, never fed to the engine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRawJit } from '../src/jit/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shared = process.env.EBPF_WASM_SHARED ?? join(root, '..', 'shared');
const file = join(shared, 'bpf_conformance', 'assembled.jsonl');

interface Case { name: string; program_hex: string; mem_hex: string; expected: string }
const hex = (s: string): Uint8Array => new Uint8Array(s.trim().split(/\s+/).filter(Boolean).map((x) => parseInt(x, 16)));

if (!existsSync(file)) {
  test('conformance suite (absent)', () => { console.log(`SKIP: ${file} not found`); });
} else {
  const cases: Case[] = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Case);
  test('all 313 conformance programs give the expected r0 through the JIT', () => {
    assert.is(cases.length, 313);
    const failures: string[] = [];
    for (const c of cases) {
      try {
        const r0 = runRawJit(hex(c.program_hex), hex(c.mem_hex));
        if (r0 !== BigInt.asUintN(64, BigInt(c.expected))) failures.push(`${c.name}: got 0x${r0.toString(16)}, want ${c.expected}`);
      } catch (e) {
        failures.push(`${c.name}: ${(e as Error).message}`);
      }
    }
    assert.equal(failures, [], failures.join('\n'));
    console.log(`NOTE: conformance ${cases.length - failures.length}/${cases.length} through the JIT`);
  });
}
test.run();
