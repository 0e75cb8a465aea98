import { translate } from '/work/wt/jit/dist/src/jit/translate.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
import { HelperRegistry } from '/work/wt/jit/dist/src/helpers/table.js';
const body = (n) => { const a=[]; for (let i=0;i<n;i++) a.push(i%3==0?['add_imm',{dst:i%6,imm:i}]: i%3==1?['ldxdw',{dst:1,src:10,off:-8*(1+i%60)}]:['jgt_imm',{dst:2,imm:i,off:1}]); a.push(['exit']); return prog(...a); };
const helpers = new HelperRegistry();
for (const n of [10, 100, 4000]) {
  const p = body(n);
  const T = { tr: [], emit: [], mod: [] };
  const reps = n > 1000 ? 20 : 200;
  for (let i=0;i<reps+10;i++) {
    let t = performance.now();
    const tr = translate(p, { helpers, memory: { initialPages: 7, maximumPages: 16384, shared: false }, sandbox: false, budgeted: true, defaultBudget: 100n, batchContext: null });
    const a = performance.now() - t; t = performance.now();
    const b = tr.ir.emitBinary(); const e = performance.now() - t; t = performance.now();
    new WebAssembly.Module(b); const mm = performance.now() - t;
    tr.ir.dispose();
    if (i >= 10) { T.tr.push(a); T.emit.push(e); T.mod.push(mm); }
  }
  console.log(n, Object.entries(T).map(([k,v])=>{v.sort((a,b)=>a-b); return `${k} ${v[v.length>>1].toFixed(3)}`}).join(' '));
}
