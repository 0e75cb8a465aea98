// Every example and test object, loaded with the verifier on: each program of
// each object under examples/ and test/fixtures/ (types from sections, or the
// explicit type a fixture with non-libbpf section names needs) against the
// kernel's verdict on the same program (test/fixtures/verifier/objects.json from
// scripts/gen-verifier-objects.mjs, labelled by scripts/label-verifier-objects.py).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseObject } from '../src/loader/object.js';
import type { ObjectSpec } from '../src/loader/spec.js';
import { loadObject, verifyProgram } from '../src/object/index.js';
import { withCore } from '../src/object/object.js';
import { kernelBtf } from '../src/btf/kernel/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import type { ProgramTypeName } from '../src/programs/types.js';
import { ROOT } from './support/paths.js';

interface Entry { name: string; section: string; type: ProgramTypeName; explicitType: boolean; funcInfo: number[]; hex: string }
interface Label { ok: boolean; errno: number; error: string; processed: number | null; loader?: string }
const dir = join(ROOT, 'test', 'fixtures', 'verifier');
const listed: Record<string, { error?: string; programs: Entry[] }> = JSON.parse(readFileSync(join(dir, 'objects.json'), 'utf8')).objects;
const labels: Record<string, Label> = JSON.parse(readFileSync(join(dir, 'objects-labels.json'), 'utf8')).labels;

/** Programs the kernel itself refuses as built: tp_btf needs an attach BTF id and ksyms from vmlinux BTF, which the engine has not. */
const KERNEL_REJECTS: Record<string, string> = {
  'test/fixtures/elf/core.o:core_direct': 'Tracing programs must provide btf_id',
  'test/fixtures/elf/globals.o:use_ksym': "pseudo btf_id 0 in ldimm64 isn't KIND_VAR or KIND_FUNC",
  // a field the kernel does not have: libbpf poisons the instruction and the reached poison fails the load
  'test/fixtures/core/core.o:core_poison': 'failed to resolve CO-RE relocation <byte_off> [26] struct task_struct___old.state (0:0 @ offset 0)',
};
/** Verifier fixtures whose bad_* programs are refused on purpose: our error must be the kernel's first error line. */
const MEANT_TO_FAIL = /^test\/fixtures\/(verifier-[^/]+|kfuncs)\/[^:]+:bad_|^test\/fixtures\/sockprogs\/rejects\.o:/;
/** Objects with no loadable program, and why. */
const NO_PROGRAMS = /^(examples\/raw|test\/fixtures\/conformance-elf|test\/fixtures\/asm)\/|core_target\.o$|main\.o$/; // .text-only code (raw type / link inputs)
const PARSE_FAILS: Record<string, RegExp> = {
  'test/fixtures/elf/extern_bad.o': /undefined symbol/,
  'test/fixtures/kfuncs/unknown.o': /EW4044: section xdp, offset 0x0, symbol bpf_kfunc_nobody_has: unknown kfunc/,
  'test/fixtures/kfuncs/badproto.o': /EW4044: .*symbol bpf_task_release: kfunc bpf_task_release: declared void \(scalar\), the engine's is void \(pointer\)/,
};

function objects(d: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    if (statSync(p).isDirectory()) out.push(...objects(p));
    else if (name.endsWith('.o')) out.push(relative(ROOT, p));
  }
  return out;
}
const files = [...objects(join(ROOT, 'examples')), ...objects(join(ROOT, 'test', 'fixtures'))].sort();

test('objects.json lists every object and program as the loader links them now', () => {
  assert.equal(Object.keys(listed).sort(), files);
  for (const f of files) {
    let spec: ObjectSpec;
    try {
      spec = parseObject(readFileSync(join(ROOT, f)));
    } catch (e) {
      assert.ok(PARSE_FAILS[f]?.test((e as Error).message), `${f}: ${(e as Error).message}`);
      continue;
    }
    assert.equal(spec.programs.map((p) => p.name), listed[f]!.programs.map((p) => p.name), f);
    spec.programs.forEach((p, i) => assert.is(Buffer.from(p.instructions).toString('hex'), listed[f]!.programs[i]!.hex, `${f}:${p.name} (rerun scripts/gen-verifier-objects.mjs)`));
    if (!spec.programs.length) assert.ok(NO_PROGRAMS.test(f), `${f} has no programs`);
  }
});

test('every program of every object: our verdict is the kernel\'s, and all but the kernel\'s own rejects are accepted', () => {
  let n = 0, accepted = 0, meantToFail = 0;
  const wrong: string[] = [];
  const noVerdict: string[] = [];
  for (const f of files) {
    if (PARSE_FAILS[f]) continue;
    // CO-RE as the kernel's loader saw it: libbpf resolves against the kernel's BTF (ours: the
    // built-in kernel BTF, as loadObject does); the labeller's raw path keeps the compiled-in values
    const raw = parseObject(readFileSync(join(ROOT, f)));
    const core = withCore(raw, kernelBtf());
    for (const p of raw.programs.map((r, i) => (labels[`${f}:${r.name}`]?.loader === 'libbpf' ? core.programs[i]! : r))) {
      const key = `${f}:${p.name}`;
      const entry = listed[f]!.programs.find((e) => e.name === p.name)!;
      const label = labels[key];
      assert.ok(label, `${key} unlabelled (rerun scripts/label-verifier-objects.py)`);
      // The kernel here refuses fentry/fexit/fmod_ret/lsm loads with EPERM before its verifier
      // runs (no log, nothing processed): it gives no verdict to compare with.
      if (!label.ok && label.processed === null && !label.error) { noVerdict.push(`${key} (errno ${label.errno})`); continue; }
      n++;
      let ours = '';
      try {
        verifyProgram({ ...p, type: entry.type }, raw);
        accepted++;
      } catch (e) {
        ours = (e as Error).message;
      }
      if (label.ok !== !ours) wrong.push(`${key}: kernel ${label.ok ? 'accepts' : `rejects (${label.error})`}, we ${ours ? `reject (${ours})` : 'accept'}`);
      if (!label.ok && MEANT_TO_FAIL.test(key)) {
        meantToFail++;
        if (!ours.includes(label.error)) wrong.push(`${key}: kernel rejects with "${label.error}", we ${ours ? `with "${ours}"` : 'accept'}`);
        continue;
      }
      if (!label.ok) {
        assert.is(label.error, KERNEL_REJECTS[key], `${key}: kernel rejects unexpectedly: ${label.error}`);
        if (ours.includes(label.error)) continue;
        assert.ok(ours, `${key}: we accept what the kernel rejects`);
      }
    }
  }
  process.stdout.write(`\nNOTE: ${n} programs in ${files.length} objects: kernel accepts ${Object.values(labels).filter((l) => l.ok).length}, we accept ${accepted}; ${meantToFail} refused on purpose with the kernel's message\n`);
  if (noVerdict.length) process.stdout.write(`NOTE: ${noVerdict.length} programs the kernel here refuses to load before verifying, not compared: ${noVerdict.join(', ')}\n`);
  assert.equal(wrong, []);
  assert.is(accepted, n - Object.keys(KERNEL_REJECTS).length - meantToFail);
  assert.ok(meantToFail > 0, 'the bad_* fixtures ran');
});

const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const bytes = (f: string): Uint8Array => readFileSync(join(ROOT, f));

test('loadObject verifies a bpf_loop callback (BTF func_info) and a map-in-map lookup', () => {
  const progs = loadObject(bytes('test/fixtures/elf/progs.o'), { kernels, autoload: { optional_prog: false } });
  assert.ok(progs.programs.get('xdp_drop'));
  const maps = loadObject(bytes('test/fixtures/elf/maps.o'), { kernels });
  assert.ok(maps.programs.get('entry'));
});

test('a section libbpf gives no type loads verified with an explicit type, and is refused without one', () => {
  const tc = { tc_dnat: 'sched_cls', tc_ipip: 'sched_cls', tc_vlan_pad: 'sched_cls' } as const;
  const obj = loadObject(bytes('test/fixtures/skb/progs.o'), { kernels, programTypes: tc });
  for (const name of Object.keys(tc)) assert.is(obj.programs.get(name)!.spec.type, 'sched_cls', name);
  assert.throws(() => loadObject(bytes('test/fixtures/skb/progs.o'), { kernels }), /program tc_dnat: .*missing program type/);
  assert.throws(() => loadObject(bytes('test/fixtures/skb/progs.o'), { kernels, programTypes: { nope: 'xdp' } }), /programTypes: no program named nope/);
});

test.run();
