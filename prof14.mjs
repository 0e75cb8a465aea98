import { compileProgram } from '/work/wt/jit/dist/src/jit/index.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
const body = (n) => { const a=[]; for (let i=0;i<n;i++) a.push(i%3==0?['add_imm',{dst:i%6,imm:i}]: i%3==1?['ldxdw',{dst:1,src:10,off:-8*(1+i%60)}]:['jgt_imm',{dst:2,imm:i,off:1}]); a.push(['exit']); return prog(...a); };
const p = body(4000);
for (let i=0;i<40;i++) compileProgram(p, {verified:true, cache:false});
globalThis.__on = true;
const ts=[];
for (let i=0;i<20;i++) { const t=performance.now(); compileProgram(p, {verified:true, cache:false}); ts.push(performance.now()-t); }
ts.sort((a,b)=>a-b);
console.log(globalThis.__T.map(x => (x/20).toFixed(2)), 'median total', ts[10].toFixed(1));
