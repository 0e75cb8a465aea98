#!/usr/bin/env node
/**
 * Plugin for the bpf_conformance runner:
 *   ebpf-wasm-conformance-plugin [MEM-HEX] [--tier interpreter|jit] [--elf] [--debug]
 * The program arrives on stdin as hex bytes (an ELF object with --elf); r0 is
 * printed as hex on stdout. Code runs unverified, inside the sandbox, as other
 * runtimes' plugins do: the suite holds programs the kernel's verifier rejects.
 */
import { readFileSync } from 'node:fs';
import { parseHexBytes } from './hex.js';
import { runProgramBytes, type Tier } from './run-bytes.js';

async function main(argv: string[]): Promise<number> {
  let mem: Uint8Array | undefined;
  let tier: Tier = 'interpreter';
  let elf = false;
  let debug = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--tier') {
      const t = argv[++i];
      if (t !== 'interpreter' && t !== 'jit') throw new Error(`--tier takes interpreter or jit, not ${t}`);
      tier = t;
    } else if (a === '--elf') elf = true;
    else if (a === '--debug') debug = true;
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else if (i === 0) mem = parseHexBytes(a, 'memory argument');
    else throw new Error(`unexpected argument ${a}`);
  }
  const input = parseHexBytes(readFileSync(0, 'utf8'), 'program on stdin');
  const r0 = await runProgramBytes(input, mem, { tier, elf, unverified: true });
  if (debug) process.stderr.write(`tier=${tier} r0=0x${r0.toString(16)}\n`);
  process.stdout.write(`0x${r0.toString(16)}\n`);
  return 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
