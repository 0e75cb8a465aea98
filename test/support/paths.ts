import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root (tests run from dist/test/…; the root holds package.json). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** ../shared beside the project, or EBPF_WASM_SHARED. */
export const SHARED = process.env.EBPF_WASM_SHARED ?? join(ROOT, '..', 'shared');
export const CONFORMANCE = join(SHARED, 'bpf_conformance');
export const hasConformance = existsSync(join(CONFORMANCE, 'assembled.jsonl'));
export const PLUGIN = join(ROOT, 'dist', 'src', 'cli', 'conformance-plugin.js');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export function skip(why: string): void {
  process.stdout.write(`SKIP: ${why}\n`);
}
