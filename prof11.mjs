import binaryen from 'binaryen';
binaryen.setOptimizeLevel(0); binaryen.setShrinkLevel(0);
const mk = () => { const m = new binaryen.Module(); m.setFeatures(binaryen.Features.Atomics|binaryen.Features.SignExt|binaryen.Features.MutableGlobals);
  m.addFunction('f', binaryen.createType([binaryen.i32]), binaryen.i32, [], m.i32.add(m.local.get(0, binaryen.i32), m.i32.const(1)));
  m.addFunctionExport('f','f'); return m; };
for (const lv of [2, 0, 2, 0]) {
  binaryen.setOptimizeLevel(lv);
  for (let i = 0; i < 200; i++) { const m = mk(); m.emitBinary(); m.dispose(); }
  let t = performance.now();
  for (let i = 0; i < 1000; i++) { const m = mk(); m.emitBinary(); m.dispose(); }
  console.log('level', lv, 'create+emit us', ((performance.now() - t)).toFixed(1));
  t = performance.now();
  for (let i = 0; i < 1000; i++) { const m = mk(); m.dispose(); }
  console.log('level', lv, 'create only us', ((performance.now() - t)).toFixed(1));
}
const m = mk();

