// Lists every program of every object under examples/ and test/fixtures/ as the
// verifier sees it at load (loader-linked instructions, `lddw src=1/2 imm=K` naming
// the K-th map, kfunc calls by name, map-in-map inner templates, BTF func_info offsets, license, type
// from the section or the explicit type below) into test/fixtures/verifier/objects.json.
// scripts/label-verifier-objects.py loads each into the running kernel;
// test/verifier-objects.test.ts checks that we and the kernel accept them all.
//
//     npm run build && node scripts/gen-verifier-objects.mjs
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { parseObject } from '../dist/src/loader/object.js';
import { ATTACH_TYPES } from '../dist/src/loader/sections.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Sections libbpf gives no type (non-libbpf names): the type the fixture's users load them as. */
export const EXPLICIT_TYPES = {
  'test/fixtures/skb/progs.o:tc_dnat': 'sched_cls',
  'test/fixtures/skb/progs.o:tc_ipip': 'sched_cls',
  'test/fixtures/skb/progs.o:tc_vlan_pad': 'sched_cls',
};

function objects(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...objects(p));
    else if (name.endsWith('.o')) out.push(relative(root, p));
  }
  return out;
}

const toMap = (m) => ({
  type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name,
  ...(m.innerMap ? { inner: toMap(m.innerMap) } : {}),
});

const files = [...objects(join(root, 'examples')), ...objects(join(root, 'test', 'fixtures'))].sort();
const out = { objects: {} };
for (const file of files) {
  let spec;
  try {
    spec = parseObject(readFileSync(join(root, file)));
  } catch (e) {
    out.objects[file] = { error: e.message, programs: [] };
    continue;
  }
  const maps = spec.maps.map(toMap);
  out.objects[file] = {
    programs: spec.programs.map((p) => {
      const type = EXPLICIT_TYPES[`${file}:${p.name}`] ?? p.type;
      return {
        name: p.name, section: p.section, type, explicitType: type !== p.type,
        expectedAttachType: p.attachType ? ATTACH_TYPES[p.attachType] : 0,
        license: p.license || spec.license, maps, funcInfo: p.funcInfo.map((f) => f.pc),
        // kfunc calls carry the engine's kfunc id; the raw labeller swaps in the vmlinux BTF id by name
        kfuncs: p.relocations.filter((r) => r.kind === 'kfunc' && r.kfuncId !== undefined).map((r) => [r.pc, r.symbol]),
        hex: Buffer.from(p.instructions).toString('hex'),
      };
    }),
  };
}
writeFileSync(join(root, 'test', 'fixtures', 'verifier', 'objects.json'), JSON.stringify(out, null, 1) + '\n');
const n = Object.values(out.objects).reduce((a, o) => a + o.programs.length, 0);
console.log(`${files.length} objects, ${n} programs`);
