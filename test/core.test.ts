/**
 * CO-RE against the built-in kernel BTF (src/btf/kernel): the relocated
 * offsets equal the kernel's (read from /sys/kernel/btf/vmlinux when this
 * machine has it, else from the stored expectations the generator wrote),
 * programs reading the current task through BPF_CORE_READ chains get the
 * simulated task's values in both tiers, and relocations that cannot be
 * satisfied poison or fail with the section, offset and access string.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { loadObject, type BpfObject } from '../src/object/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { parseObject } from '../src/loader/index.js';
import { parseBtf, encodeBtf, resolveCoreRelo, type Btf } from '../src/btf/index.js';
import { kernelBtf, kernelField, kernelStructSize, kernelAttachTarget, KERNEL_BTF_RELEASE } from '../src/btf/kernel/index.js';
import { KERNEL_FIELDS, KERNEL_RELEASE, KERNEL_STRUCT_SIZES, KERNEL_TARGET_ARGS } from '../src/btf/kernel/runtime-layout.js';
import { simTaskLayout, taskStructAddress } from '../src/programs/task.js';
import { LoadError } from '../src/diagnostics/index.js';

const DIR = join(ROOT, 'test', 'fixtures', 'core');
const VMLINUX = '/sys/kernel/btf/vmlinux';
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const TIERS: TierName[] = ['interpreter', 'jit'];
const TASK = { pid: 4243, tgid: 4242, uid: 1000, gid: 100, comm: 'core-task', ppid: 77 };
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));

/** offsets[] of core.c's core_offsets: [struct, member path]; the last entry is a size. */
const OFFSET_FIELDS: Array<[string, string]> = [
  ['task_struct', 'pid'], ['task_struct', 'tgid'], ['task_struct', 'comm'], ['task_struct', 'real_parent'],
  ['task_struct', 'cred'], ['task_struct', '__state'], ['task_struct', 'start_time'], ['cred', 'uid'], ['cred', 'gid'],
  ['sk_buff', 'len'], ['sk_buff', 'data'], ['sk_buff', 'protocol'], ['sk_buff', 'mark'], ['sk_buff', 'priority'],
  ['sk_buff', 'dev'], ['net_device', 'ifindex'], ['file', 'f_path.dentry'], ['file', 'f_inode'], ['dentry', 'd_name.name'],
  ['dentry', 'd_parent'], ['pt_regs', 'si'], ['xdp_md', 'data'], ['__sk_buff', 'len'],
];

/** The real kernel's BTF when this machine exposes it (the source of truth), else the stored subset. */
const live: Btf | undefined = existsSync(VMLINUX) ? parseBtf(new Uint8Array(readFileSync(VMLINUX)), { section: VMLINUX }) : undefined;
const liveRelease = existsSync('/proc/sys/kernel/osrelease') ? readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim() : '';
/** The stored offsets only describe the kernel they were cut from. */
const sameKernel = live !== undefined && liveRelease === KERNEL_BTF_RELEASE;

/** Byte offset of global `name` in its section, from the object's DATASEC. */
function varOffset(name: string): number {
  const btf = parseObject(fixture('core.o')).btf!;
  for (const t of btf.types) {
    if (t.kind !== 'DATASEC') continue;
    for (const v of t.vars) if (btf.type(v.type).name === name) return v.offset;
  }
  throw new Error(`no global ${name}`);
}

/** `n` u32s of global `name` in map `map`. */
function u32s(obj: BpfObject, map: string, name: string, n: number): number[] {
  const v = obj.map(map).lookup(new Uint8Array(4))!;
  const dv = new DataView(v.buffer, v.byteOffset + varOffset(name));
  return [...Array(n).keys()].map((i) => dv.getUint32(4 * i, true));
}

test('before the tiers: the JIT is loaded', async () => { await loadTier('jit'); });

test('built-in kernel BTF: parses, round-trips through the encoder, and names the kernel it came from', () => {
  const btf = kernelBtf();
  assert.ok(btf.count > 100, `${btf.count} types`);
  const again = parseBtf(encodeBtf(btf.types));
  assert.equal(again.types, btf.types);
  assert.match(KERNEL_BTF_RELEASE, /^\d+\.\d+/);
  // subsets keep the real size: the simulated objects are laid out with it
  assert.ok(kernelStructSize('task_struct') > kernelField('task_struct', 'comm').offset);
});

test('built-in kernel BTF: offsets and sizes equal the running kernel\'s', () => {
  if (!live) { process.stdout.write(`(no ${VMLINUX}: checked against the stored subset only)\n`); return; }
  if (!sameKernel) { process.stdout.write(`(kernel ${liveRelease} is not ${KERNEL_BTF_RELEASE}: offsets may differ; comparing sizes of UAPI structs only)\n`); }
  let n = 0;
  for (const [s, path] of OFFSET_FIELDS) {
    const uapi = ['pt_regs', 'xdp_md', '__sk_buff'].includes(s);
    if (!sameKernel && !uapi) continue;
    assert.equal(kernelField(s, path), kernelField(s, path, live), `${s}.${path}`);
    n++;
  }
  for (const s of ['task_struct', 'cred', 'sk_buff', 'file', 'dentry', 'xdp_md', '__sk_buff', 'bpf_sock', 'pt_regs']) {
    if (!sameKernel && !['xdp_md', '__sk_buff', 'bpf_sock', 'pt_regs'].includes(s)) continue;
    assert.is(kernelStructSize(s), kernelStructSize(s, live), s);
    n++;
  }
  process.stdout.write(`${n} fields and sizes compared with ${VMLINUX}\n`);
});

test('every CO-RE relocation of core.o resolves against the built-in BTF as against the full kernel BTF', () => {
  const spec = parseObject(fixture('core.o'));
  const local = spec.btf!;
  let n = 0;
  for (const p of spec.programs) {
    for (const r of p.relocations) {
      if (r.kind !== 'core') continue;
      const mine = resolveCoreRelo(local, r.core!, kernelBtf());
      if (live && sameKernel) {
        const theirs = resolveCoreRelo(local, r.core!, live);
        // type ids differ between the subset and the full BTF; everything else must not
        const strip = (x: typeof mine) => ({ ...x, targetTypeId: undefined, target: x.kind === 'TYPE_ID_TARGET' ? undefined : x.target });
        assert.equal(strip(mine), strip(theirs), `${p.name} pc ${r.pc} ${r.core!.kind} ${r.symbol} ${r.core!.access}`);
      }
      n++;
    }
  }
  assert.ok(n >= 40, `${n} relocations`);
  process.stdout.write(`${n} relocations compared${live && sameKernel ? ` with ${VMLINUX}` : ''}\n`);
});

for (const tier of TIERS) {
  test(`${tier}: relocated offsets of kernel fields equal the kernel's`, () => {
    const obj = loadObject(fixture('core.o'), { name: 'core', kernels, tier, unverified: true });
    assert.is(obj.program('core_offsets').loaded.testRun({ ctx: new Uint8Array(168) }).retval, 0n);
    const got = u32s(obj, 'core.bss', 'offsets', 24);
    const ref = live && sameKernel ? live : kernelBtf();
    const want = OFFSET_FIELDS.map(([s, path]) => kernelField(s, path, ref).offset);
    want.push(kernelField('sk_buff', 'protocol', ref).size);
    assert.equal(got, want);
  });

  test(`${tier}: BPF_CORE_READ of the current task, its parent and cred`, () => {
    const obj = loadObject(fixture('core.o'), { name: 'core', kernels, tier, unverified: true });
    const r = obj.program('core_task').loaded.testRun({ ctx: new Uint8Array(168), task: TASK });
    assert.is(r.retval, BigInt(TASK.pid));
    const v = obj.map('core.bss').lookup(new Uint8Array(4))!;
    const dv = new DataView(v.buffer, v.byteOffset);
    const cstr = (o: number): string => { const b = v.subarray(o, o + 16); const z = b.indexOf(0); return new TextDecoder().decode(z < 0 ? b : b.subarray(0, z)); };
    // struct task_result of core.c
    const i32 = (k: number): number => dv.getInt32(4 * k, true);
    assert.equal([i32(0), i32(1), i32(2), i32(3), i32(4), i32(5), i32(6)], [TASK.pid, TASK.tgid, TASK.ppid, TASK.uid, TASK.gid, TASK.uid, TASK.pid]);
    // __state exists, the pre-5.14 "long state" does not; sizes and enums from the kernel
    assert.equal([i32(7), i32(8), i32(9), i32(10), i32(11)], [1, 0, kernelStructSize('task_struct'), 1, 0]);
    assert.is(dv.getBigUint64(48, true), 1n); // PIDTYPE_TGID
    assert.equal([i32(14), i32(15), i32(16)], [1, 0, 1]);
    assert.is(cstr(68), TASK.comm);
    assert.is(cstr(84), 'init');
  });
}

test('runtime-layout.ts (what runs use without parsing the BTF) equals the built-in BTF', () => {
  assert.is(KERNEL_RELEASE, KERNEL_BTF_RELEASE, 'rerun scripts/gen-kernel-btf.mjs');
  assert.ok(Object.keys(KERNEL_FIELDS).length >= 16 && Object.keys(KERNEL_TARGET_ARGS).length >= 20);
  for (const [k, f] of Object.entries(KERNEL_FIELDS)) {
    const [struct, ...path] = k.split('.');
    assert.equal(kernelField(struct!, path.join('.')), f, k);
  }
  for (const [name, size] of Object.entries(KERNEL_STRUCT_SIZES)) assert.is(kernelStructSize(name), size, name);
  for (const [k, n] of Object.entries(KERNEL_TARGET_ARGS)) {
    const [kind, name] = k.split(':') as ['func' | 'tp_btf', string];
    assert.is(kernelAttachTarget(kind, name)?.params.length, n, k);
  }
});

test('the simulated task_struct sits at the kernel offsets', () => {
  const obj = loadObject(fixture('core.o'), { name: 'core', kernels, unverified: true });
  obj.program('core_task').loaded.testRun({ ctx: new Uint8Array(168), task: TASK });
  const at = taskStructAddress(obj.machine, 0);
  const dv = new DataView(obj.machine.memory.buffer);
  assert.is(dv.getInt32(at + kernelField('task_struct', 'pid').offset, true), TASK.pid);
  assert.is(dv.getInt32(at + kernelField('task_struct', 'tgid').offset, true), TASK.tgid);
  const parent = Number(dv.getBigUint64(at + kernelField('task_struct', 'real_parent').offset, true));
  assert.is(parent, at + simTaskLayout().parentAt);
  assert.is(dv.getInt32(parent + kernelField('task_struct', 'tgid').offset, true), TASK.ppid);
});

test('a field the kernel lacks poisons its instruction: the run stops at the poisoned call', () => {
  const spec = parseObject(fixture('core.o'), { targetBtf: kernelBtf() });
  const p = spec.programs.find((x) => x.name === 'core_poison')!;
  const relo = p.relocations.find((r) => r.kind === 'core')!;
  assert.is(relo.core!.result!.poison, true);
  assert.is(relo.core!.access, '0:0');
  const obj = loadObject(fixture('core.o'), { name: 'core', kernels, unverified: true });
  let err: unknown;
  try { obj.program('core_poison').loaded.testRun({ ctx: new Uint8Array(168) }); } catch (e) { err = e; }
  assert.ok(err instanceof Error, 'the poisoned call traps');
  assert.match(String((err as Error).message), /195896080|0xbad2310|unknown helper|helper/i);
});

test('verified load of a reachable poisoned relocation names section, offset, kind and access', () => {
  const spec = parseObject(fixture('core.o'));
  const r = spec.programs.find((x) => x.name === 'core_poison')!.relocations.find((x) => x.kind === 'core')!;
  let err: unknown;
  try { loadObject(fixture('core.o'), { name: 'core', kernels, autoload: { core_task: false, core_offsets: false, core_poison: true } }); } catch (e) { err = e; }
  assert.ok(err instanceof LoadError, String(err));
  const e = err as LoadError;
  assert.equal([e.codeName, e.section, e.offset], ['CoreRelocation', 'kprobe/core_poison', r.core!.insnOff]);
  assert.match(e.message, /FIELD_BYTE_OFFSET struct task_struct___old\.state \(access 0:0\)/);
});

test('targetBtf: null keeps the compiled-in offsets', () => {
  const obj = loadObject(fixture('core.o'), { name: 'core', kernels, unverified: true, targetBtf: null });
  obj.program('core_offsets').loaded.testRun({ ctx: new Uint8Array(168) });
  // local vmlinux.h: task_struct { char comm[16]; pid_t tgid; pid_t pid; … }
  assert.equal(u32s(obj, 'core.bss', 'offsets', 3), [20, 16, 0]);
});

test('an unresolvable relocation names the section, instruction offset and access string', () => {
  const spec = parseObject(fixture('core.o'));
  const p = spec.programs.find((x) => x.name === 'core_task')!;
  const r = p.relocations.find((x) => x.kind === 'core')!;
  // An access string that walks past the local type's members.
  const bad = { ...p, relocations: [{ ...r, core: { ...r.core!, access: '0:99' } }] };
  let err: unknown;
  try { loadObject({ ...spec, programs: [bad] }, { name: 'core', kernels, unverified: true }); } catch (e) { err = e; }
  assert.ok(err instanceof LoadError, String(err));
  const e = err as LoadError;
  assert.is(e.codeName, 'CoreRelocation');
  assert.is(e.section, 'kprobe/do_unlinkat');
  assert.is(e.offset, r.core!.insnOff);
  assert.match(e.message, /0:99/);
});

test.run();
