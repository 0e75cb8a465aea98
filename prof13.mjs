import { readFileSync } from 'node:fs';
import { decode } from '/work/wt/jit/dist/src/isa/index.js';
import { Machine } from '/work/wt/jit/dist/src/runtime/machine.js';
import { compileProgram, instantiate } from '/work/wt/jit/dist/src/jit/index.js';
const program = decode(new Uint8Array(readFileSync('/work/wt/jit/examples/raw/checksum.bin')));
const m = new Machine({ packetCapacity: 4096 });
const a = m.area(0);
const input = new Uint8Array(1500).map((_, i) => (i * 31 + 7) & 0xff);
new Uint8Array(m.memory.buffer).set(input, a.packetData);
for (const opts of [{ unverified: true }, { verified: true }, { verified: true, budget: false }]) {
  const inst = instantiate(compileProgram(program, { helpers: m.helpers, layout: m.layout, ...opts }), { memory: m.memory, layout: m.layout, helpers: m.helpers, helperRuntime: m });
  inst.setRegions(m.regions(0, a.packetData, a.packetData + 1500, 0));
  for (let i = 0; i < 2000; i++) inst.runU32(a.packetData, 1500);
  const ts = [];
  for (let k = 0; k < 30; k++) { const t = performance.now(); for (let i = 0; i < 200; i++) inst.runU32(a.packetData, 1500); ts.push((performance.now() - t) / 200); }
  ts.sort((x, y) => x - y);
  console.log(JSON.stringify(opts), (ts[15] * 1000).toFixed(2), 'us/run');
}
