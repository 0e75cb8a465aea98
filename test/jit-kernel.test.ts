// Kernel differential: random XDP programs loaded with BPF_PROG_LOAD and run with BPF_PROG_TEST_RUN
// (test/kernel/prog-run.c, built here with gcc against libbpf), then through the JIT; retval (32-bit)
// and the packet afterwards must match for every program the kernel accepted.
// JIT_KERNEL_PROGRAMS=n for more programs. Needs root; as non-root it prints SKIP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from '../src/isa/index.js';
import { Machine } from '../src/runtime/machine.js';
import { XDP_MD } from '../src/programs/context.js';
import { compileProgram, instantiate } from '../src/jit/index.js';
import { Generator, type GenProgram } from './jit-gen.js';

const PROGRAMS = Number(process.env.JIT_KERNEL_PROGRAMS ?? 500);
const SEED = Number(process.env.JIT_KERNEL_SEED ?? 7);
const root = fileURLToPath(new URL('../..', import.meta.url));
const LAYOUT = { packetCapacity: 4096, heapBytes: 65536 };
const U32 = 0xffff_ffffn;

function runJit(m: Machine, g: GenProgram): { retval: number; packet: Uint8Array } {
  const a = m.area(0);
  const bytes = new Uint8Array(m.memory.buffer);
  bytes.set(g.data, a.packetData);
  const field = (n: string) => XDP_MD.fields.find((f) => f.name === n)!.offset;
  const dv = new DataView(m.memory.buffer);
  dv.setUint32(a.ctx + field('data'), a.packetData, true);
  dv.setUint32(a.ctx + field('data_end'), a.packetData + g.data.length, true);
  dv.setUint32(a.ctx + field('data_meta'), a.packetData, true);
  const c = compileProgram(g.program, { helpers: m.helpers, layout: m.layout, unverified: true, programType: 'xdp', cache: false });
  const inst = instantiate(c, { memory: m.memory, layout: m.layout, helpers: m.helpers, helperRuntime: m });
  inst.setRegions(m.regions(0, a.packetData, a.packetData + g.data.length, XDP_MD.size));
  const r0 = inst.run(a.ctx);
  return { retval: Number(r0 & U32), packet: new Uint8Array(m.memory.buffer).slice(a.packetData, a.packetData + g.data.length) };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test(`kernel and JIT agree on random XDP programs the kernel accepts`, () => {
  if (process.getuid?.() !== 0) { console.log('SKIP: the kernel differential needs root (bpf())'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-wasm-kernel-'));
  try {
    const exe = join(dir, 'prog-run');
    const cc = spawnSync('gcc', ['-O1', '-o', exe, join(root, 'test', 'kernel', 'prog-run.c'), '-lbpf'], { encoding: 'utf8' });
    assert.is(cc.status, 0, `gcc failed (running as root, so this is a failure, not a skip): ${cc.error ?? cc.stderr}`);
    const machine0 = new Machine(LAYOUT);
    const gen = new Generator(SEED, { layout: machine0.layout, helperIds: [], kernelSafe: true });
    const programs: GenProgram[] = [];
    const chunks: Buffer[] = [];
    for (let i = 0; i < PROGRAMS; i++) {
      const g = gen.generate();
      programs.push(g);
      const code = encode(g.program.instructions);
      const hdr = Buffer.alloc(8);
      hdr.writeUInt32LE(code.length / 8, 0);
      hdr.writeUInt32LE(g.data.length, 4);
      chunks.push(hdr, Buffer.from(code), Buffer.from(g.data));
    }
    const run = spawnSync(exe, [], { input: Buffer.concat(chunks), encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.is(run.status, 0, `prog-run failed: ${run.stderr}`);
    const lines = run.stdout.trim().split('\n');
    assert.is(lines.length, PROGRAMS);
    let accepted = 0, ran = 0;
    const rejected = new Map<string, number>();
    const diffs: string[] = [];
    lines.forEach((line, i) => {
      const [status, a, ...rest] = line.split(' ');
      if (status === 'reject') {
        accepted += 0;
        const why = rest.join(' ').replace(/\d+/g, 'N').slice(0, 60);
        rejected.set(why, (rejected.get(why) ?? 0) + 1);
        return;
      }
      accepted++;
      if (status !== 'ok') { diffs.push(`program ${i}: kernel test run failed (${line})`); return; }
      ran++;
      const retval = Number(a);
      const out = rest[0] ?? '';
      let jit;
      try { jit = runJit(new Machine(LAYOUT), programs[i]!); } catch (e) { diffs.push(`program ${i}: JIT trapped: ${(e as Error).message}`); return; }
      if (jit.retval !== retval) diffs.push(`program ${i}: retval kernel ${retval}, jit ${jit.retval}`);
      if (hex(jit.packet) !== out) diffs.push(`program ${i}: packet kernel ${out}, jit ${hex(jit.packet)}`);
    });
    const top = [...rejected].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([k, v]) => `${v}× "${k}"`).join('; ');
    console.log(`NOTE: kernel accepted ${accepted}/${PROGRAMS} and ran ${ran}; ${diffs.length} differences; top rejections: ${top}`);
    assert.equal(diffs.slice(0, 10), [], `${diffs.length} differences`);
    assert.ok(ran >= PROGRAMS * 0.3, `only ${ran} of ${PROGRAMS} programs ran in the kernel`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
