// The README's first command runs this: every bundled example through the CLI.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = ['dist/src/cli/main.js'];
const ipv4Header = '4500003c1c4640004006 0000ac100a63ac100a0c';
const runs = [
  ['RFC 1071 checksum of an IPv4 header (expect 45542 = 0xb1e6)',
    ['test-run', '--unverified', '--raw', 'examples/raw/checksum.bin', '--data-hex', ipv4Header]],
  ['byte classifier over a short text', ['test-run', '--unverified', '--raw', 'examples/raw/classify.bin', '--data-hex', '48656c6c6f2c20776f726c6421']],
  ['disassembly of the checksum program', ['disasm', 'examples/raw/checksum.bin']],
];
let failed = 0;
for (const [title, args] of runs) {
  console.log(`\n$ ebpf-wasm ${args.join(' ')}    # ${title}`);
  const r = spawnSync(process.execPath, [...cli, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
