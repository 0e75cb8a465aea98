import { compileProgram } from '/work/wt/jit/dist/src/jit/index.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
const body = (n) => { const a=[]; for (let i=0;i<n-2;i++) a.push(i%3==0?['add_imm',{dst:i%6,imm:i}]: i%3==1?['ldxdw',{dst:1,src:10,off:-8*(1+i%60)}]:['jgt_imm',{dst:2,imm:i,off:1}]); a.push(["mov_imm",{dst:0,imm:0}]); a.push(["exit"]); return prog(...a); };
const ps = [10, 100, 1000, 4000].map(body);
const t0 = performance.now();
while (performance.now() - t0 < 20000) for (const p of ps) compileProgram(p, {verified:true, cache:false});
for (const [i, n] of [10, 100, 1000, 4000].entries()) for (const opts of [{verified:true},{unverified:true}]) {
  const reps = n >= 1000 ? 30 : 300; const ts = [];
  for (let k=0;k<reps;k++) { const t = performance.now(); compileProgram(ps[i], {...opts, cache:false}); ts.push(performance.now()-t); }
  ts.sort((a,b)=>a-b); console.log(n, JSON.stringify(opts), 'median', ts[reps>>1].toFixed(3), 'ms');
}
