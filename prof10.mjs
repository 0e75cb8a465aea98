import { compileProgram } from '/work/wt/jit/dist/src/jit/index.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
const a = []; for (let i=0;i<10;i++) a.push(['add_imm',{dst:i%6,imm:i}]); a.push(['exit']);
const p = prog(...a);
for (let i=0;i<3000;i++) compileProgram(p, {verified:true, cache:false});
