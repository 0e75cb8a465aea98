import { translate } from '/work/wt/jit/dist/src/jit/translate.js';
import { prog } from '/work/wt/jit/dist/test/jit-asm.js';
import { HelperRegistry } from '/work/wt/jit/dist/src/helpers/table.js';
const helpers = new HelperRegistry();
const mk = (n, kind) => { const a=[]; for (let i=0;i<n;i++) a.push(kind==='alu' ? ['add_imm',{dst:i%6,imm:i}] : kind==='jmp' ? ['jgt_imm',{dst:2,imm:i,off:0}] : (i%3==0?['add_imm',{dst:i%6,imm:i}]: i%3==1?['ldxdw',{dst:1,src:10,off:-8*(1+i%60)}]:['jgt_imm',{dst:2,imm:i,off:0}])); a.push(['exit']); return prog(...a); };
for (const kind of ['alu', 'jmp', 'mix']) for (const budgeted of [false, true]) {
  const p = mk(4000, kind);
  const T = { tr: 0, emit: 0 }; const reps = 20;
  for (let i=0;i<reps+5;i++) {
    let t = performance.now();
    const tr = translate(p, { helpers, memory: { initialPages: 7, maximumPages: 16384, shared: false }, sandbox: false, budgeted, defaultBudget: 100n, batchContext: null });
    const a = performance.now() - t; t = performance.now();
    const b = tr.ir.emitBinary(); const e = performance.now() - t;
    tr.ir.dispose();
    if (i >= 5) { T.tr += a; T.emit += e; }
  }
  console.log(kind, budgeted, Object.entries(T).map(([k,v])=>`${k} ${(v/reps).toFixed(3)}`).join(' '));
}
