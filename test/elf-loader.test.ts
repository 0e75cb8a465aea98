import { test } from 'uvu';
import { kfuncByName } from '../src/kfuncs/table.js';
import * as assert from 'uvu/assert';
import { decode, jumpTarget, lddwValue, CallSrc, LddwSrc } from '../src/isa/index.js';
import { parseObject, loadElfEntry, matchSection, applyCoreRelocations, MapType, BPF_F_RDONLY_PROG, CORE_POISON_HELPER, type ObjectSpec, type ProgramSpec } from '../src/loader/index.js';
import { readElf } from '../src/elf/index.js';
import { dv, fixture, llvm, loadError, FIXTURES } from './fixtures/elf/helpers.js';

const spec = (name: string, target?: ObjectSpec['btf']): ObjectSpec => parseObject(fixture(name), target ? { targetBtf: target } : {});
const prog = (s: ObjectSpec, name: string): ProgramSpec => {
  const p = s.programs.find((x) => x.name === name);
  if (!p) throw new Error(`no program ${name}`);
  return p;
};
const insnAt = (p: ProgramSpec, pc: number) => decode(p.instructions).instructions.find((i) => i.pc === pc)!;

test('programs by SEC: several per section and several sections', () => {
  const s = spec('progs.o');
  assert.equal(s.programs.map((p) => [p.name, p.section, p.type, p.attachType ?? null, p.attachTo ?? null]), [
    ['xdp_pass', 'xdp', 'xdp', 'XDP', null],
    ['xdp_drop', 'xdp', 'xdp', 'XDP', null],
    ['sock_filter', 'socket', 'socket_filter', null, null],
    ['tc_prog', 'tc', 'sched_cls', null, null],
    ['kprobe_open', 'kprobe/do_sys_open', 'kprobe', null, 'do_sys_open'],
    ['tp_execve', 'tracepoint/syscalls/sys_enter_execve', 'tracepoint', null, 'syscalls/sys_enter_execve'],
    ['cg_egress', 'cgroup_skb/egress', 'cgroup_skb', 'CGROUP_INET_EGRESS', null],
    ['optional_prog', '?tc', 'sched_cls', null, null],
    ['dfs_order', 'tc/ingress', 'sched_cls', 'TCX_INGRESS', null],
  ]);
  assert.equal(s.programs.map((p) => p.autoload), [true, true, true, true, true, true, true, false, true]);
  assert.is(s.license, 'GPL');
  assert.is(s.kernelVersion, 0x050a00);
  assert.ok(s.programs.every((p) => p.license === 'GPL'));
});

test('.text subprograms are appended and calls fixed like libbpf', () => {
  const s = spec('progs.o');
  const drop = prog(s, 'xdp_drop');
  assert.equal(drop.functions.map((f) => [f.name, f.pc, f.slots, f.section]), [
    ['xdp_drop', 0, 17, 'xdp'], ['loop_cb', 17, 6, '.text'], ['global_mul', 23, 6, '.text'], ['add3', 29, 3, '.text'],
  ]);
  assert.is(drop.slotCount, 32);
  // bpf_loop callback: lddw src=4 (FUNC) pointing at loop_cb.
  const cb = insnAt(drop, 5);
  assert.is(cb.spec.kind, 'lddw');
  assert.is(cb.src, LddwSrc.FUNC);
  assert.is(cb.pc + cb.imm + 1, 17);
  // Call to the global (non-static) function, and its own call to the static add3.
  const call = insnAt(drop, 12);
  assert.equal([call.src, jumpTarget(call)], [CallSrc.LOCAL, 23]);
  const inner = insnAt(drop, 26);
  assert.equal([inner.src, jumpTarget(inner)], [CallSrc.LOCAL, 29]);
  assert.equal(drop.relocations.map((r) => [r.pc, r.kind, r.target, r.pointer ?? false]), [
    [5, 'call', 'loop_cb', true], [12, 'call', 'global_mul', false], [26, 'call', 'add3', false],
  ]);
  // BTF func_info follows the functions to their new places.
  assert.equal(drop.funcInfo.map((f) => [f.pc, f.name]), [[0, 'xdp_drop'], [17, 'loop_cb'], [23, 'global_mul'], [29, 'add3']]);
  assert.ok(drop.lineInfo.some((l) => l.pc >= 29 && l.source.includes('x + 3')));
  // Depth-first placement, as libbpf: a callee's own callees come before the caller's next callee.
  const dfs = prog(s, 'dfs_order');
  assert.equal(dfs.functions.map((f) => [f.name, f.pc]), [['dfs_order', 0], ['mid_a', 7], ['leaf_c', 10], ['mid_b', 13]]);
  assert.equal([jumpTarget(insnAt(dfs, 1)), jumpTarget(insnAt(dfs, 5)), jumpTarget(insnAt(dfs, 7))], [7, 13, 10]);
  // Programs without calls get no subprograms.
  assert.equal(prog(s, 'tp_execve').functions.length, 1);
});

test('instruction counts agree with llvm-objdump (when installed)', () => {
  for (const f of ['progs.o', 'maps.o', 'globals.o', 'core.o', 'progs-v4.o']) {
    const out = llvm('llvm-objdump', ['-d', '--no-show-raw-insn', FIXTURES + f]);
    if (out === undefined) { console.log('SKIP: llvm-objdump-19 not installed'); return; }
    const counts = new Map<string, number>();
    let cur = '';
    for (const line of out.split('\n')) {
      const m = /^[0-9a-f]+ <(.+)>:$/.exec(line);
      if (m) { cur = m[1]!; counts.set(cur, 0); continue; }
      if (cur && /^\s+\d+:\s/.test(line)) counts.set(cur, counts.get(cur)! + 1);
    }
    for (const p of spec(f).programs) {
      const expected = p.functions.reduce((n, fn) => n + counts.get(fn.name)!, 0);
      assert.is(decode(p.instructions).instructions.length, expected, `${f} ${p.name}`);
    }
  }
});

test('legacy maps and their relocations', () => {
  const s = spec('progs.o');
  assert.equal(s.maps.map((m) => [m.name, m.definition, m.typeName, m.keySize, m.valueSize, m.maxEntries, m.flags]), [
    ['legacy_hash', 'legacy', 'HASH', 4, 8, 64, 0],
    ['legacy_array', 'legacy', 'ARRAY', 4, 16, 4, 0],
  ]);
  const p = prog(s, 'sock_filter');
  assert.equal(p.relocations, [{ pc: 5, kind: 'map', symbol: 'legacy_array', map: 'legacy_array', mapIndex: 1 }]);
  const ld = insnAt(p, 5);
  assert.equal([ld.src, ld.imm, ld.immHi], [LddwSrc.MAP_FD, 1, 0]);
});

test('BTF-defined maps: types, sizes, flags, pinning, numa, map-in-map and prog-array initialisers', () => {
  const s = spec('maps.o');
  const m = Object.fromEntries(s.maps.map((x) => [x.name, x]));
  assert.equal(s.maps.map((x) => x.name), ['inner1', 'inner2', 'outer', 'jmp_table', 'hash_map', 'percpu_map', 'ringbuf', 'lru_map', 'array_map']);
  assert.equal([m['hash_map']!.type, m['hash_map']!.keySize, m['hash_map']!.valueSize, m['hash_map']!.maxEntries, m['hash_map']!.flags],
    [MapType.HASH, 8, 8, 128, 1]);
  assert.is(s.btf!.type(m['hash_map']!.keyType!).name, 'key_t');
  assert.equal([m['array_map']!.keySize, m['array_map']!.valueSize, m['array_map']!.pinning, m['array_map']!.numaNode], [4, 24, 1, 1]);
  assert.equal([m['percpu_map']!.typeName, m['ringbuf']!.typeName, m['ringbuf']!.maxEntries, m['lru_map']!.typeName], ['PERCPU_ARRAY', 'RINGBUF', 4096, 'LRU_HASH']);
  const outer = m['outer']!;
  assert.equal([outer.typeName, outer.keySize, outer.valueSize, outer.maxEntries], ['ARRAY_OF_MAPS', 4, 4, 4]);
  assert.equal([outer.innerMap!.name, outer.innerMap!.typeName, outer.innerMap!.valueSize, outer.innerMap!.maxEntries], ['outer.inner', 'ARRAY', 4, 1]);
  assert.equal(outer.slots, [{ index: 0, map: 'inner1' }, { index: 2, map: 'inner2' }]);
  assert.equal(m['jmp_table']!.slots, [{ index: 0, program: 'tail0' }, { index: 1, program: 'tail1' }]);
  const entry = prog(s, 'entry');
  assert.equal(entry.relocations.map((r) => [r.pc, r.kind, r.map]), [
    [7, 'map', 'hash_map'], [15, 'map', 'outer'], [25, 'map', 'percpu_map'], [34, 'map', 'ringbuf'],
    [43, 'map', 'lru_map'], [48, 'map', 'array_map'], [52, 'map', 'jmp_table'],
  ]);
  for (const r of entry.relocations) {
    const i = insnAt(entry, r.pc);
    assert.equal([i.src, i.imm], [LddwSrc.MAP_FD, s.maps.findIndex((x) => x.name === r.map)]);
  }
  assert.is(s.license, 'Dual BSD/GPL');
});

test('global data: .data/.rodata/.bss/custom sections with initial bytes, const volatile', () => {
  const s = spec('globals.o');
  const m = Object.fromEntries(s.maps.map((x) => [x.name, x]));
  assert.equal(s.maps.map((x) => [x.name, x.definition, x.valueSize, x.readonly ?? false]), [
    ['.data', 'data', 16, false], ['.rodata', 'data', 29, true], ['.data.custom', 'data', 4, false],
    ['.rodata.banner', 'data', 6, true], ['.bss', 'data', 8, false], ['.kconfig', 'kconfig', 5, true], // libbpf: the last extern's end, unrounded
  ]);
  assert.equal([...m['.data']!.data!], [5, 0, 0, 0, 7, 0, 0, 0, 8, 0, 0, 0, 9, 0, 0, 0]);
  assert.equal(m['.data']!.variables!.map((v) => [v.name, v.offset, v.size, v.global]), [['counter', 0, 4, true], ['hidden', 4, 12, false]]);
  assert.equal(dv(m['.rodata']!.data!).getUint32(16, true), 100);
  assert.equal([...m['.rodata']!.data!.subarray(0, 16)], [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
  assert.equal(new TextDecoder().decode(m['.rodata.banner']!.data!), 'hello\0');
  assert.equal([...m['.bss']!.data!], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.equal(m['.rodata']!.variables!.map((v) => [v.name, v.offset, v.size]).slice(0, 2), [['table', 0, 16], ['cfg_limit', 16, 4]]);
  // bpf_printk's format string is a local object in .rodata.
  const fmt = m['.rodata']!.variables!.find((v) => v.name.includes('fmt'))!;
  assert.equal(new TextDecoder().decode(m['.rodata']!.data!.subarray(fmt.offset, fmt.offset + fmt.size)), 'queue %d\0');
  assert.ok((m['.rodata']!.flags & BPF_F_RDONLY_PROG) !== 0);
  assert.is(s.btf!.type(m['.rodata']!.valueType!).name, '.rodata');
  const p = prog(s, 'use_globals');
  const vals = p.relocations.filter((r) => r.kind === 'map_value').map((r) => [r.pc, r.symbol, r.map, r.offset]);
  assert.equal(vals, [[1, 'counter', '.data', 0], [7, 'banner', '.rodata.banner', 0], [13, 'custom_val', '.data.custom', 0],
    [20, 'table', '.rodata', 0], [26, 'zeroed', '.bss', 0], [32, 'cfg_limit', '.rodata', 16],
    // Static data is reached through the section symbol plus the addend clang put in imm.
    [40, '.data', '.data', 4], [46, '.rodata', '.rodata', 20]]);
  const ld = insnAt(p, 32);
  assert.equal([ld.src, ld.imm, ld.immHi], [LddwSrc.MAP_VALUE, 1, 16]);
  const st = insnAt(p, 40);
  assert.equal([st.src, st.imm, st.immHi], [LddwSrc.MAP_VALUE, 0, 4]);
  // The object's DATASECs get their real sizes and offsets (clang leaves them 0).
  const ds = s.btf!.find('DATASEC', '.rodata')!;
  if (ds.kind !== 'DATASEC') throw new Error('no datasec');
  assert.is(ds.size, 29);
  assert.equal(ds.vars.slice(0, 2).map((v) => [s.btf!.type(v.type).name, v.offset, v.size]), [['table', 0, 16], ['cfg_limit', 16, 4]]);
});

test('.kconfig and __ksym externs are recorded for later resolution', () => {
  const s = spec('globals.o');
  assert.equal(s.externs.map((e) => [e.name, e.kind, e.weak, e.func, e.offset ?? null]), [
    ['CONFIG_BPF_SYSCALL', 'kconfig', true, false, 4],
    ['LINUX_KERNEL_VERSION', 'kconfig', false, false, 0],
    ['bpf_prog_active', 'ksym', false, false, null],
    ['bpf_task_acquire', 'ksym', true, true, null],
  ]);
  const g = prog(s, 'use_globals');
  assert.equal(g.relocations.filter((r) => r.kind === 'kconfig').map((r) => [r.pc, r.symbol, r.map, r.offset, r.weak]),
    [[50, 'LINUX_KERNEL_VERSION', '.kconfig', 0, false], [55, 'CONFIG_BPF_SYSCALL', '.kconfig', 4, true]]);
  const kc = insnAt(g, 55);
  assert.equal([kc.src, kc.imm, kc.immHi], [LddwSrc.MAP_VALUE, s.maps.findIndex((m) => m.name === '.kconfig'), 4]);
  assert.equal(s.maps.find((m) => m.name === '.kconfig')!.variables!.map((v) => [v.name, v.offset, v.size]),
    [['LINUX_KERNEL_VERSION', 0, 4], ['CONFIG_BPF_SYSCALL', 4, 1]]);
  const k = prog(s, 'use_ksym');
  assert.equal(k.relocations.map((r) => [r.pc, r.kind, r.symbol, r.weak]),
    [[0, 'ksym', 'bpf_prog_active', false], [4, 'ksym', 'bpf_task_acquire', true], [8, 'kfunc', 'bpf_task_acquire', true]]);
  assert.is(insnAt(k, 0).src, LddwSrc.BTF_ID);
  assert.is(insnAt(k, 4).src, LddwSrc.IMM64);
  const kf = insnAt(k, 8);
  // a kfunc call's imm is the kfunc's id in the engine's table (src/kfuncs)
  assert.equal([kf.spec.kind, kf.src, kf.imm], ['call', CallSrc.KFUNC, kfuncByName('bpf_task_acquire')!.id]);
});

test('CO-RE: recorded without target, applied with targetBtf', () => {
  const plain = spec('core.o');
  const p0 = prog(plain, 'core_prog');
  const core = p0.relocations.filter((r) => r.kind === 'core');
  assert.is(core.length, 18);
  assert.equal(core.slice(0, 2).map((r) => [r.pc, r.symbol, r.core!.access, r.core!.kind, r.core!.result ?? null]),
    [[1, 'task', '0:0', 'FIELD_BYTE_OFFSET', null], [8, 'task', '0:3:1', 'FIELD_BYTE_OFFSET', null]]);
  // Untouched bytes without a target.
  const sec = readElf(fixture('core.o')).sectionByName('kprobe/core_test')!;
  assert.equal([...p0.instructions], [...sec.data]);

  const target = spec('core_target.o').btf!;
  const p = prog(spec('core.o', target), 'core_prog');
  assert.is(insnAt(p, 1).imm, 12);   // t->pid
  assert.is(insnAt(p, 8).imm, 56);   // t->in.y
  assert.is(insnAt(p, 23).imm, 4);   // bitfield byte size
  assert.is(insnAt(p, 27).imm, 55);  // lshift
  assert.is(insnAt(p, 34).imm, 0);   // field_exists(extra) → 0
  assert.is(insnAt(p, 39).imm, 32);  // sizeof comm
  const poison = insnAt(p, 41);
  assert.equal([poison.spec.kind, poison.imm], ['call', CORE_POISON_HELPER]);
  assert.is(lddwValue(insnAt(p, 58)), 7n); // ST_GONE
  assert.is(insnAt(p, 53).imm, 16);  // sizeof(struct inner)
  assert.is(p.relocations.find((r) => r.pc === 58)!.core!.result!.target, 7);
  // applyCoreRelocations later (the runtime's path) gives the same program and leaves the spec alone.
  const before = p0.instructions.slice();
  const later = applyCoreRelocations(p0, plain.btf!, target);
  assert.equal([...later.instructions], [...p.instructions]);
  assert.equal(later.relocations, p.relocations);
  assert.equal([...p0.instructions], [...before]);
  assert.is(p0.relocations.find((r) => r.pc === 58)!.core!.result, undefined);
});

test('CO-RE on loads: offsets move, unsigned fields widen, signed width changes poison', () => {
  const target = spec('core_target.o').btf!;
  const p = prog(spec('core.o', target), 'core_direct');
  const [widened, signedChanged, same] = [insnAt(p, 0), insnAt(p, 1), insnAt(p, 3)];
  assert.equal([widened.spec.name, widened.off], [decode(new Uint8Array([0x79, 0x12, 8, 0, 0, 0, 0, 0])).instructions[0]!.spec.name, 8]);
  assert.equal([signedChanged.spec.kind, signedChanged.imm], ['call', CORE_POISON_HELPER]);
  assert.is(p.relocations[1]!.core!.result!.failMemSizeAdjust, true);
  assert.equal([same.opcode, same.off], [0x69, 0]);
});

test('CO-RE errors name the program section and record offset', () => {
  const b = fixture('core.o');
  const btf = readElf(b).sectionByName('.BTF')!;
  const text = new TextDecoder('latin1').decode(b.subarray(btf.offset, btf.offset + btf.size));
  const at = text.indexOf('\u00000:3:1\u0000');
  assert.ok(at > 0);
  const c = b.slice();
  c[btf.offset + at + 3] = '9'.charCodeAt(0); // 0:3:1 → 0:9:1, member 9 of struct task does not exist
  parseObject(c); // recorded only: fine without a target
  const e = loadError(() => parseObject(c, { targetBtf: spec('core_target.o').btf! }));
  assert.equal([e.codeName, e.section, e.offset, e.symbol], ['CoreRelocation', 'kprobe/core_test', 64, 'task']);
  assert.match(e.message, /member 9 out of range/);
});

test('deterministic: same bytes give deep-equal specs; input is not modified', () => {
  for (const f of ['progs.o', 'progs-v4.o', 'maps.o', 'globals.o', 'core.o', 'kinds.o', 'main.o']) {
    const b = fixture(f), before = b.slice();
    const a = parseObject(b), c = parseObject(b.slice());
    assert.equal(a, c, f);
    assert.equal([...b], [...before], f);
  }
});

test('every linked program decodes (v3 and v4 objects)', () => {
  for (const f of ['progs.o', 'progs-v4.o', 'maps.o', 'globals.o', 'core.o', 'kinds.o']) {
    for (const p of spec(f).programs) {
      const d = decode(p.instructions);
      assert.is(d.slotCount, p.slotCount, `${f} ${p.name}`);
      for (const i of d.instructions) {
        if (i.spec.kind === 'call' && i.src === CallSrc.LOCAL) {
          const t = jumpTarget(i);
          assert.ok(p.functions.some((fn) => fn.pc === t), `${f} ${p.name} pc ${i.pc} calls ${t}`);
        }
      }
    }
  }
  assert.equal(spec('progs-v4.o').programs.map((p) => p.name), spec('progs.o').programs.map((p) => p.name));
});

test('conformance --elf entry: global main with its static helper', () => {
  const code = loadElfEntry(fixture('main.o'));
  const d = decode(code);
  assert.is(d.slotCount, 7);
  const call = d.instructions[1]!;
  assert.equal([call.spec.kind, call.src, jumpTarget(call)], ['call', CallSrc.LOCAL, 4]);
  // A global .text function of another object links its callees too.
  assert.is(decode(loadElfEntry(fixture('progs.o'), 'global_mul')).slotCount, 9);
  assert.is(loadError(() => loadElfEntry(fixture('progs.o'), 'nope')).codeName, 'LoaderNoEntry');
  assert.match(loadError(() => loadElfEntry(fixture('progs.o'), 'add3')).message, /not global/);
  const e = loadError(() => loadElfEntry(fixture('progs.o'), 'xdp_pass'));
  assert.is(e.codeName, 'LoaderNoEntry');
  assert.is(e.symbol, 'legacy_hash');
});

test('SEC() conventions table', () => {
  const cases: [string, string, string | undefined, string | undefined][] = [
    ['xdp', 'xdp', 'XDP', undefined], ['xdp.frags', 'xdp', 'XDP', undefined], ['xdp/devmap', 'xdp', 'XDP_DEVMAP', undefined],
    ['socket', 'socket_filter', undefined, undefined], ['tc', 'sched_cls', undefined, undefined],
    ['classifier', 'sched_cls', undefined, undefined], ['classifier/foo', 'unspec', undefined, undefined], ['tcx/ingress', 'sched_cls', 'TCX_INGRESS', undefined],
    ['tcx/egress', 'sched_cls', 'TCX_EGRESS', undefined], ['action', 'sched_act', undefined, undefined],
    ['kprobe/sys_open', 'kprobe', undefined, 'sys_open'], ['kretprobe/sys_open', 'kprobe', undefined, 'sys_open'],
    ['uprobe//bin/sh:main', 'kprobe', undefined, '/bin/sh:main'], ['tracepoint/sched/sched_switch', 'tracepoint', undefined, 'sched/sched_switch'],
    ['tp/a/b', 'tracepoint', undefined, 'a/b'], ['tp_btf/sched_switch', 'tracing', 'TRACE_RAW_TP', 'sched_switch'],
    ['raw_tracepoint/sys_enter', 'raw_tracepoint', undefined, 'sys_enter'], ['raw_tp/x', 'raw_tracepoint', undefined, 'x'],
    ['fentry/do_unlinkat', 'tracing', 'TRACE_FENTRY', 'do_unlinkat'], ['fexit/do_unlinkat', 'tracing', 'TRACE_FEXIT', 'do_unlinkat'],
    ['lsm/file_open', 'lsm', 'LSM_MAC', 'file_open'], ['perf_event', 'perf_event', undefined, undefined],
    ['cgroup_skb/ingress', 'cgroup_skb', 'CGROUP_INET_INGRESS', undefined], ['cgroup/sock_create', 'cgroup_sock', 'CGROUP_INET_SOCK_CREATE', undefined],
    ['cgroup/connect4', 'cgroup_sock_addr', 'CGROUP_INET4_CONNECT', undefined], ['cgroup/connect6', 'cgroup_sock_addr', 'CGROUP_INET6_CONNECT', undefined],
    ['sockops', 'sock_ops', 'CGROUP_SOCK_OPS', undefined], ['sk_skb/stream_verdict', 'sk_skb', 'SK_SKB_STREAM_VERDICT', undefined],
    ['sk_skb', 'sk_skb', undefined, undefined], ['sk_msg', 'sk_msg', 'SK_MSG_VERDICT', undefined], ['sk_lookup', 'sk_lookup', 'SK_LOOKUP', undefined],
    ['flow_dissector', 'flow_dissector', 'FLOW_DISSECTOR', undefined], ['lwt_xmit', 'lwt_xmit', undefined, undefined],
    ['syscall', 'syscall', undefined, undefined], ['mystery', 'unspec', undefined, undefined], ['xdpfoo', 'unspec', undefined, undefined],
    ['xdp/foo', 'unspec', undefined, undefined], ['kprobe.multi/vfs_*', 'kprobe', 'TRACE_KPROBE_MULTI', 'vfs_*'], ['tp_btf.s/x', 'tracing', 'TRACE_RAW_TP', 'x'],
    ['kprobe', 'kprobe', undefined, undefined], ['kprobex/y', 'unspec', undefined, undefined], ['cgroup/sock', 'cgroup_sock', 'CGROUP_INET_SOCK_CREATE', undefined],
  ];
  for (const [name, type, attach, to] of cases) {
    const m = matchSection(name);
    assert.equal([m.type, m.attach, m.attachTo], [type, attach, to], name);
  }
  assert.ok(matchSection('xdp.frags').frags);
  assert.ok(matchSection('fentry.s/x').sleepable);
  assert.ok(matchSection('syscall').sleepable);
});

test('loader errors name section, offset and symbol', () => {
  // A .maps initialiser against something that is not a map.
  const b = fixture('maps.o');
  const elf = readElf(b);
  const rel = elf.relSectionFor(elf.sectionByName('.maps')!.index)!;
  const hashSym = elf.symbols.find((s) => s.name === 'tail0')!;
  let c: Uint8Array = b.slice();
  dv(c).setUint32(rel.offset + 12, hashSym.index, true); // inner1 slot now names a function
  let e = loadError(() => parseObject(c));
  assert.is(e.codeName, 'LoaderBadMap');
  assert.is(e.section, '.rel.maps');
  assert.is(e.symbol, 'tail0');
  // A program section whose size is not whole instructions.
  c = fixture('progs.o');
  const pe = readElf(c);
  const tc = pe.sectionByName('tc')!;
  const shoff = Number(dv(c).getBigUint64(40, true));
  dv(c).setBigUint64(shoff + tc.index * 64 + 32, BigInt(tc.size - 3), true);
  e = loadError(() => parseObject(c));
  assert.is(e.section, 'tc');
  // A .bss claiming a petabyte (NOBITS sizes are not backed by the file).
  c = fixture('globals.o');
  const bss = readElf(c).sectionByName('.bss')!;
  dv(c).setBigUint64(Number(dv(c).getBigUint64(40, true)) + bss.index * 64 + 32, 1n << 50n, true);
  e = loadError(() => parseObject(c));
  assert.equal([e.codeName, e.section], ['LoaderBadData', '.bss']);
  // A call to an undefined function that is not a __ksym extern.
  e = loadError(() => parseObject(fixture('extern_bad.o')));
  assert.equal([e.codeName, e.section, e.symbol], ['ElfMissingSymbol', '.relxdp', 'defined_elsewhere']);
  // License without NUL.
  c = fixture('core.o');
  const lic = readElf(c).sectionByName('license')!;
  c.fill(0x41, lic.offset, lic.offset + lic.size);
  e = loadError(() => parseObject(c));
  assert.equal([e.codeName, e.section], ['LoaderBadData', 'license']);
});

test.run();
