import { compileProgram } from '/work/wt/jit/dist/src/jit/index.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
const body = (n) => { const a=[]; for (let i=0;i<n;i++) a.push(i%3==0?['add_imm',{dst:i%6,imm:i}]: i%3==1?['ldxdw',{dst:1,src:10,off:-8*(1+i%60)}]:['jgt_imm',{dst:2,imm:i,off:1}]); a.push(['exit']); return prog(...a); };
for (const n of [10, 100, 1000, 4000]) {
  const p = body(n);
  for (const opts of [{verified:true},{unverified:true}]) {
    for (let i=0;i<10;i++) compileProgram(p, {...opts, cache:false});
    const reps = n >= 1000 ? 20 : 200;
    const ts = [];
    for (let i=0;i<reps;i++) { const t = performance.now(); compileProgram(p, {...opts, cache:false}); ts.push(performance.now()-t); }
    ts.sort((a,b)=>a-b);
    console.log(n, JSON.stringify(opts), 'median', ts[reps>>1].toFixed(3), 'ms');
  }
}
