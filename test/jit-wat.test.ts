// Golden .wat snapshots of small programs (test/fixtures/jit/*.wat). Regenerate with JIT_UPDATE_GOLDENS=1.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toWat, type CompileOptions } from '../src/jit/index.js';
import { computeLayout } from '../src/runtime/layout.js';
import type { Program } from '../src/isa/index.js';
import { prog } from './jit-asm.js';

const dir = join(fileURLToPath(new URL('../..', import.meta.url)), 'test', 'fixtures', 'jit');
const layout = computeLayout({ packetCapacity: 4096, heapBytes: 65536 });

const cases: Array<[string, Program, CompileOptions]> = [
  ['return-pass-verified', prog(['mov_imm', { dst: 0, imm: 2 }], ['exit']), { verified: true }],
  ['branch-verified', prog(['mov_imm', { dst: 0, imm: 1 }], ['jeq_imm', { dst: 1, imm: 0, off: 1 }], ['add_imm', { dst: 0, imm: 2 }], ['exit']), { verified: true }],
  ['loop-sandboxed', prog(['mov_imm', { dst: 0, imm: 0 }], ['stxdw', { dst: 10, src: 0, off: -8 }], ['add_imm', { dst: 0, imm: 1 }],
    ['jlt_imm', { dst: 0, imm: 10, off: -3 }], ['exit']), {}],
  ['local-call-verified', prog(['call local', { imm: 1 }], ['exit'], ['mov_reg', { dst: 0, src: 10 }], ['exit']), { verified: true }],
  // verified accesses: a positive offset folds into the memarg, a negative one is an i32 add (no 64-bit sum)
  ['access-offsets-verified', prog(['ldxb', { dst: 0, src: 1, off: 1 }], ['stxh', { dst: 1, src: 0, off: -2 }], ['ldxw', { dst: 2, src: 1, off: 0 }],
    ['add_reg', { dst: 0, src: 2 }], ['exit']), { verified: true, budget: false }],
  ['alu32-div-bswap-verified', prog(['div32_reg', { dst: 1, src: 2 }], ['be32', { dst: 1 }], ['mov_reg', { dst: 0, src: 1 }], ['exit']), { verified: true }],
];

for (const [name, program, opts] of cases) {
  test(`wat golden: ${name}`, () => {
    const wat = toWat(program, { layout, ...opts });
    const file = join(dir, `${name}.wat`);
    if (process.env.JIT_UPDATE_GOLDENS === '1' || !existsSync(file)) {
      writeFileSync(file, wat);
      console.log(`NOTE: wrote ${file}`);
    }
    assert.fixture(wat, readFileSync(file, 'utf8'));
  });
}
test.run();
