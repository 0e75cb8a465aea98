import { compileProgram, instantiate } from '/work/wt/jit/dist/src/jit/index.js';
import { Machine } from '/work/wt/jit/dist/src/runtime/machine.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
const m = new Machine();
const body = (n) => { const a=[]; for (let i=0;i<n-2;i++) a.push(i%3==0?['add_imm',{dst:i%6,imm:i}]: i%3==1?['ldxdw',{dst:1,src:10,off:-8*(1+i%60)}]:['jgt_imm',{dst:2,imm:i,off:1}]); a.push(['mov_imm',{dst:0,imm:0}]); a.push(['exit']); return prog(...a); };
for (const n of [10, 100, 1000, 4000]) {
  const p = body(n);
  for (const opts of [{verified:true},{unverified:true},{verified:true,budget:false}]) {
    const go = () => instantiate(compileProgram(p, {...opts, helpers: m.helpers, layout: m.layout, cache:false}), { memory: m.memory, layout: m.layout });
    const t0 = performance.now(); while (performance.now() - t0 < 2000) go();
    const ts = []; const t1 = performance.now();
    while (performance.now() - t1 < 2000) { const t = performance.now(); go(); ts.push(performance.now()-t); }
    ts.sort((a,b)=>a-b);
    console.log(n, JSON.stringify(opts), 'median', ts[ts.length>>1].toFixed(3), 'ms', 'p10', ts[Math.floor(ts.length/10)].toFixed(3));
  }
}
