import { Ir } from '/work/wt/jit/dist/src/jit/binaryen.js';
const N = 1333;
for (let rep = 0; rep < 3; rep++) {
  const ir = new Ir();
  let t = performance.now();
  const codes = [];
  for (let i = 0; i < N; i++) {
    const c = [];
    for (let k = 0; k < 3; k++) c.push(ir.set(1, ir.bin64('add', ir.get(1, 'i64'), ir.i64(BigInt(k)))));
    codes.push(ir.block(null, c));
  }
  const t1 = performance.now();
  const rl = ir.relooper();
  const bs = codes.map((c) => rl.addBlock(c));
  for (let i = 0; i < N - 1; i++) { rl.addBranch(bs[i], bs[i + 1], null); }
  const t2 = performance.now();
  const body = rl.render(bs[0], 2);
  const t3 = performance.now();
  ir.addFunction('f', ['i64', 'i64'], 'none', ['i32'], body);
  const b = ir.emitBinary();
  const t4 = performance.now();
  console.log(`exprs ${(t1 - t).toFixed(2)} branches ${(t2 - t1).toFixed(2)} render ${(t3 - t2).toFixed(2)} emit ${(t4 - t3).toFixed(2)} bytes ${b.length}`);
  ir.dispose();
}
