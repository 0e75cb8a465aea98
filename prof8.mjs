import { compileProgram } from '/work/wt/jit/dist/src/jit/index.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
const body = (n) => { const a=[]; for (let i=0;i<n;i++) a.push(i%3==0?['add_imm',{dst:i%6,imm:i}]: i%3==1?['ldxdw',{dst:1,src:10,off:-8*(1+i%60)}]:['jgt_imm',{dst:2,imm:i,off:1}]); a.push(['exit']); return prog(...a); };
const p = body(4000);
for (let i=0;i<60;i++) compileProgram(p, {verified:true, cache:false});
