/**
 * Program types the kernel cannot BPF_PROG_TEST_RUN (kprobe, kretprobe,
 * uprobe, tracepoint, perf_event) and the parts of sk_lookup that need real
 * sockets: expected results follow the kernel's semantics, cited per test.
 * Each case runs in the interpreter and the JIT.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { loadObject, type BpfObject } from '../src/object/index.js';
import { MAP_KERNELS_WASM_URL } from '../src/maps/kernels.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { LoadedProgram } from '../src/runtime/test-run.js';
import { assemble, decode, encode } from '../src/isa/index.js';
import { BPF_DEVCG, PT_REGS } from '../src/programs/tracing-ctx.js';
import { setUserMemory, USER_SPACE_BASE, taskStructAddress, SIM_TASK_STRUCT } from '../src/programs/task.js';
import { registerSocket, SOCK_STATE } from '../src/programs/sockets.js';
import { TestRunError } from '../src/programs/skb.js';
import { formatTracePrintk } from '../src/helpers/printk.js';

const DIR = join(ROOT, 'test', 'fixtures', 'progtypes');
const kernels = new WebAssembly.Module(readFileSync(MAP_KERNELS_WASM_URL));
const TIERS: TierName[] = ['interpreter', 'jit'];
const TASK = { pid: 4243, tgid: 4242, uid: 1000, gid: 100, comm: 'sim-task' };
const FILENAME = '/etc/hostname';
const FILENAME_ADDR = USER_SPACE_BASE + 0x7ffc_0000n;

function tracing(tier: TierName): BpfObject {
  const obj = loadObject(new Uint8Array(readFileSync(join(DIR, 'tracing.o'))), { name: 'tracing', kernels, tier });
  setUserMemory(obj.machine, [{ address: FILENAME_ADDR, bytes: new TextEncoder().encode(FILENAME + '\0') }]);
  return obj;
}

/** struct seen of tracing.c, slot `slot`. */
function seen(obj: BpfObject, slot: number) {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = obj.map('seen').lookup(key)!;
  const dv = new DataView(v.buffer, v.byteOffset);
  const cstr = (b: Uint8Array): string => new TextDecoder().decode(b.subarray(0, b.indexOf(0) < 0 ? b.length : b.indexOf(0)));
  return {
    a: dv.getBigUint64(0, true), b: dv.getBigUint64(8, true), c: dv.getBigUint64(16, true),
    pidTgid: dv.getBigUint64(24, true), strLen: dv.getBigInt64(32, true), str: cstr(v.subarray(40, 72)),
    comm: cstr(v.subarray(72, 88)), cpu: dv.getUint32(88, true),
  };
}

function regs(values: Record<string, bigint>, size = 168): Uint8Array {
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  for (const [k, v] of Object.entries(values)) dv.setBigUint64(PT_REGS[k]!, BigInt.asUintN(64, v), true);
  return b;
}

const pidTgid = (BigInt(TASK.tgid) << 32n) | BigInt(TASK.pid);

test('before the tiers: the JIT is loaded', async () => { await loadTier('jit'); });

for (const tier of TIERS) {
  // BPF_KPROBE's arguments are PT_REGS_PARM1..3 = di, si, dx on x86-64 (tools/lib/bpf/bpf_tracing.h)
  test(`${tier}: kprobe reads pt_regs, the current task and a user string`, () => {
    const obj = tracing(tier);
    const p = obj.program('kp_openat2');
    const r = p.loaded.testRun({ ctx: regs({ rdi: -100n, rsi: FILENAME_ADDR, rip: 0xffffffff812345a0n }), task: TASK });
    assert.is(r.retval, 0n);
    const s = seen(obj, 0);
    assert.is(s.a, BigInt.asUintN(64, -100n)); // int dfd, sign-extended by the compiler's (u64) cast
    assert.is(s.b, FILENAME_ADDR);
    assert.is(s.c, 0xffffffff812345a0n);
    assert.is(s.pidTgid, pidTgid);
    assert.is(s.comm, TASK.comm);
    // bpf_probe_read_user_str: the length with the NUL (strncpy_from_user_nofault)
    assert.is(s.strLen, BigInt(FILENAME.length + 1));
    assert.is(s.str, FILENAME);
  });

  test(`${tier}: kretprobe sees the return value in ax; its r0 is the record/skip verdict`, () => {
    const obj = tracing(tier);
    const p = obj.program('krp_openat2');
    assert.is(p.loaded.testRun({ ctx: regs({ rax: 3n }), task: TASK }).retval, 1n);
    assert.is(seen(obj, 1).a, 3n);
    assert.is(p.loaded.testRun({ ctx: regs({ rax: -2n }) }).retval, 0n);
    assert.is(seen(obj, 1).a, BigInt.asUintN(64, -2n));
  });

  test(`${tier}: uprobe (a kprobe program on user registers) reads user memory; unmapped is EFAULT`, () => {
    const obj = tracing(tier);
    const p = obj.program('up_readline');
    p.loaded.testRun({ ctx: regs({ rdi: FILENAME_ADDR + 5n, rsp: 0x7ffd_1000n }) });
    let s = seen(obj, 2);
    assert.is(s.str, FILENAME.slice(5));
    assert.is(s.b, 0x7ffd_1000n);
    p.loaded.testRun({ ctx: regs({ rdi: 0x1234n }) });
    s = seen(obj, 2);
    assert.is(s.strLen, -14n); // -EFAULT, buffer zeroed
    assert.is(s.str, '');
  });

  // record layout: /sys/kernel/tracing/events/syscalls/sys_enter_openat/format
  test(`${tier}: tracepoint reads its record as the format file lays it out`, () => {
    const obj = tracing(tier);
    const rec = new Uint8Array(48);
    const dv = new DataView(rec.buffer);
    dv.setUint16(0, 782, true); dv.setInt32(4, TASK.pid, true);
    dv.setInt32(8, 257, true); dv.setBigUint64(16, BigInt.asUintN(64, -100n), true);
    dv.setBigUint64(24, FILENAME_ADDR, true); dv.setBigUint64(32, 0o102n, true); dv.setBigUint64(40, 0o644n, true);
    const r = obj.program('tp_openat').loaded.testRun({ ctx: rec, task: TASK });
    assert.is(r.retval, 1n);
    const s = seen(obj, 3);
    assert.equal([s.a, s.b, s.c, s.str], [257n, 0o102n, 0o644n, FILENAME]);
  });

  test(`${tier}: perf_event reads sample_period, addr and the sampled registers`, () => {
    const obj = tracing(tier);
    const ctx = new Uint8Array(184);
    ctx.set(regs({ rip: 0x401000n }), 0);
    new DataView(ctx.buffer).setBigUint64(168, 100003n, true);
    new DataView(ctx.buffer).setBigUint64(176, 0xdead000n, true);
    obj.program('pe_sample').loaded.testRun({ ctx, cpu: 0 });
    const s = seen(obj, 4);
    assert.equal([s.a, s.b, s.c, s.cpu], [100003n, 0xdead000n, 0x401000n, 0]);
  });

  test(`${tier}: simulated tracing runs refuse data and oversized contexts`, () => {
    const obj = tracing(tier);
    const p = obj.program('kp_openat2').loaded;
    assert.throws(() => p.testRun({ data: new Uint8Array(4) }), (e: unknown) => e instanceof TestRunError && e.errno === 22);
    assert.throws(() => p.testRun({ ctx: new Uint8Array(169) }), (e: unknown) => e instanceof TestRunError && e.errno === 22);
  });

  // bpf_sk_lookup_assign (net/core/filter.c) on sockets of the model in sockets.ts; the socket is a plain
  // address here, which only unverified code may pass (the verifier wants a sock pointer, from a sockmap lookup)
  test(`${tier}: sk_lookup selects a modelled socket; the kernel's refusals`, () => {
    const SOCK = 0x20000;
    const asm = (flags: number) => `mov %r6, %r1\nmov %r2, ${SOCK}\nmov %r3, ${flags}\ncall 124\nstxdw [%r10-8], %r0\nmov %r0, 1\nexit`;
    const ctx = new Uint8Array(72);
    const dv = new DataView(ctx.buffer);
    dv.setUint32(8, 2, true); dv.setUint32(12, 6, true); dv.setUint32(60, 80, true);
    const run = (sock: Parameters<typeof registerSocket>[2], flags = 0) => {
      const p = new LoadedProgram(decode(encode(assemble(asm(flags)))), { type: 'sk_lookup', unverified: true, tier });
      registerSocket(p.machine, SOCK, sock);
      return p;
    };
    const listener = { cookie: 0x1234n, family: 2, protocol: 6, state: SOCK_STATE.TCP_LISTEN };
    const out = run(listener).testRun({ ctx });
    assert.is(out.retval, 1n);
    assert.is(new DataView(out.ctxOut!.buffer).getBigUint64(0, true), 0x1234n);
    // the return value of the helper is not visible in r0; check the refusal paths through the cookie staying 0
    for (const bad of [
      { ...listener, state: SOCK_STATE.TCP_ESTABLISHED },       // ESOCKTNOSUPPORT: TCP not listening
      { ...listener, protocol: 17, state: SOCK_STATE.TCP_CLOSE }, // EPROTOTYPE
      { ...listener, family: 10, v6only: true },               // EAFNOSUPPORT
      { ...listener, refcounted: true },                        // ESOCKTNOSUPPORT
    ]) assert.is(new DataView(run(bad).testRun({ ctx }).ctxOut!.buffer).getBigUint64(0, true), 0n, JSON.stringify(bad, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    // a dual-stack v6 listener serves a v4 lookup
    assert.is(new DataView(run({ ...listener, family: 10 }).testRun({ ctx }).ctxOut!.buffer).getBigUint64(0, true), 0x1234n);
    // reuseport group without BPF_SK_LOOKUP_F_NO_REUSEPORT: test_run fails with EOPNOTSUPP
    assert.throws(() => run({ ...listener, reuseport: true }).testRun({ ctx }), (e: unknown) => e instanceof TestRunError && e.errno === 95);
    assert.is(run({ ...listener, reuseport: true }, 2).testRun({ ctx }).retval, 1n);
  });
}

// __cgroup_bpf_check_dev_permission (kernel/bpf/cgroup.c): r0 = 1 allows, 0 refuses (EPERM to the caller)
for (const tier of TIERS) {
  test(`${tier}: cgroup_device decides per access type and device`, () => {
    const obj = loadObject(new Uint8Array(readFileSync(join(DIR, 'cgroup_dev.o'))), { name: 'cgroup_dev', kernels, tier });
    const p = obj.program('dev_policy').loaded;
    const dev = (access: number, type: number, major: number, minor: number) => {
      const b = new Uint8Array(12);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, (access << 16) | type, true); dv.setUint32(4, major, true); dv.setUint32(8, minor, true);
      return p.testRun({ ctx: b }).retval;
    };
    const { ACC_MKNOD, ACC_READ, ACC_WRITE, DEV_BLOCK, DEV_CHAR } = BPF_DEVCG;
    assert.is(dev(ACC_READ | ACC_WRITE, DEV_CHAR, 1, 3), 1n);
    assert.is(dev(ACC_READ, DEV_CHAR, 1, 5), 1n);
    assert.is(dev(ACC_MKNOD, DEV_CHAR, 1, 3), 0n);
    assert.is(dev(ACC_READ, DEV_BLOCK, 1, 3), 0n);
    assert.is(dev(ACC_READ, DEV_CHAR, 4, 1), 0n);
    assert.is(dev(ACC_WRITE, DEV_CHAR, 4, 2), 0n);
    const entries = obj.map('denied').entries().map(([k, v]) => [new DataView(k.buffer, k.byteOffset).getUint32(0, true), new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)]);
    assert.equal(entries.sort((a, b) => Number(a[0]) - Number(b[0])), [[1, 2n], [4, 2n]]);
  });
}

// __cgroup_bpf_run_filter_sock_addr (kernel/bpf/cgroup.c): r0 = 1 lets the call go on with the
// (possibly rewritten) address, 0 fails it with EPERM
for (const tier of TIERS) {
  test(`${tier}: cgroup_sock_addr rewrites connect addresses and checks bind ports against the task's uid`, () => {
    const obj = loadObject(new Uint8Array(readFileSync(join(DIR, 'sock_addr.o'))), { name: 'sock_addr', kernels, tier });
    const addr = (ip4: number, port: number, protocol = 6) => {
      const b = new Uint8Array(72);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, 2, true); dv.setUint32(4, ip4, false); dv.setUint16(24, port, false);
      dv.setUint32(28, 2, true); dv.setUint32(32, protocol === 6 ? 1 : 2, true); dv.setUint32(36, protocol, true);
      return b;
    };
    const connect = obj.program('connect_redirect').loaded;
    let r = connect.testRun({ ctx: addr(0x0a000001, 80) });
    assert.is(r.retval, 1n);
    let dv = new DataView(r.ctxOut!.buffer);
    assert.equal([dv.getUint32(4, false), dv.getUint16(24, false)], [0x7f000001, 8080]);
    r = connect.testRun({ ctx: addr(0x0a000001, 80, 17) }); // UDP: left alone
    dv = new DataView(r.ctxOut!.buffer);
    assert.equal([r.retval, dv.getUint32(4, false), dv.getUint16(24, false)], [1n, 0x0a000001, 80]);
    assert.is(connect.testRun({ ctx: addr(0x0a000002, 25) }).retval, 0n);
    const count = (proto: number) => {
      const k = new Uint8Array(4); new DataView(k.buffer).setUint32(0, proto, true);
      const v = obj.map('calls').lookup(k)!;
      return new DataView(v.buffer, v.byteOffset).getBigUint64(0, true);
    };
    assert.equal([count(6), count(17)], [2n, 1n]); // ctx->sk is the calling socket
    const bind = obj.program('bind_privileged').loaded;
    assert.is(bind.testRun({ ctx: addr(0, 80), task: { uid: 1000 } }).retval, 0n);
    assert.is(bind.testRun({ ctx: addr(0, 8080), task: { uid: 1000 } }).retval, 1n);
    assert.is(bind.testRun({ ctx: addr(0, 80), task: { uid: 0 } }).retval, 1n);
  });

  // __cgroup_bpf_run_filter_sk: sock_create may set mark/priority/bound_dev_if; 0 fails socket() with EPERM
  test(`${tier}: cgroup_sock sets mark and priority at socket creation and refuses raw sockets to non-root`, () => {
    const obj = loadObject(new Uint8Array(readFileSync(join(DIR, 'sock_addr.o'))), { name: 'sock_addr', kernels, tier });
    const p = obj.program('sock_policy').loaded;
    const sock = (type: number, protocol: number) => {
      const b = new Uint8Array(80);
      const dv = new DataView(b.buffer);
      dv.setUint32(4, 2, true); dv.setUint32(8, type, true); dv.setUint32(12, protocol, true);
      return b;
    };
    let r = p.testRun({ ctx: sock(2, 17), task: { uid: 1000 } });
    assert.equal([r.retval, new DataView(r.ctxOut!.buffer).getUint32(16, true)], [1n, 0x42]);
    r = p.testRun({ ctx: sock(1, 6) });
    assert.equal([r.retval, new DataView(r.ctxOut!.buffer).getUint32(20, true)], [1n, 6]);
    assert.is(p.testRun({ ctx: sock(3, 1), task: { uid: 1000 } }).retval, 0n);
    assert.is(p.testRun({ ctx: sock(3, 1), task: { uid: 0 } }).retval, 1n);
  });
}

// __cgroup_bpf_run_filter_sysctl and the bpf_sysctl_* helpers (kernel/bpf/cgroup.c)
for (const tier of TIERS) {
  test(`${tier}: cgroup_sysctl sees names and values, refuses a write and rewrites another`, () => {
    const obj = loadObject(new Uint8Array(readFileSync(join(DIR, 'sysctl.o'))), { name: 'sysctl', kernels, tier });
    const p = obj.program('sysctl_policy').loaded;
    const last = () => {
      const v = obj.map('last').lookup(new Uint8Array(4))!;
      const dv = new DataView(v.buffer, v.byteOffset);
      const str = (o: number, n: number) => { const b = v.subarray(o, o + n); const z = b.indexOf(0); return new TextDecoder().decode(b.subarray(0, z < 0 ? n : z)); };
      return { name: str(0, 32), base: str(32, 16), cur: str(48, 16), newv: str(64, 16), rets: [0, 1, 2, 3, 4].map((i) => dv.getBigInt64(80 + 8 * i, true)) };
    };
    // a read of ip_forward: allowed; no new value (-EINVAL, buffer zeroed); strscpy lengths without the NUL
    let r = p.testRun({ sysctl: { name: 'net/ipv4/ip_forward', current: '1\n' } });
    assert.is(r.retval, 1n);
    assert.is(r.sysctlNewValue, undefined);
    assert.equal(last(), { name: 'net/ipv4/ip_forward', base: 'ip_forward', cur: '1\n', newv: '', rets: [19n, 10n, 2n, -22n, 0n] });
    // a write of ip_forward: refused (EPERM for the writer)
    r = p.testRun({ sysctl: { name: 'net/ipv4/ip_forward', current: '1\n', newValue: '0\n' } });
    assert.is(r.retval, 0n);
    assert.is(last().newv, '0\n');
    // a write of kernel/hostname: allowed with the value replaced
    r = p.testRun({ sysctl: { name: 'kernel/hostname', current: 'box\n', newValue: 'attacker\n' } });
    assert.equal([r.retval, r.sysctlNewValue], [1n, 'sandbox']);
    // a value longer than the buffer: cut, NUL-terminated, -E2BIG
    p.testRun({ sysctl: { name: 'kernel/a_very_long_sysctl_name_here', current: 'x'.repeat(20) } });
    const l = last();
    assert.equal([l.cur, l.rets[0], l.rets[2]], ['x'.repeat(15), -7n, -7n]);
  });
}

// unverified code in the sandbox: helper destinations outside the run's memory fail instead of writing
test('tracing helpers refuse destinations outside the sandbox (unverified code)', () => {
  // retval is r0's low 32 bits: -EINVAL = 4294967274, -EFAULT = 4294967282
  const run = (asm: string) => new LoadedProgram(decode(encode(assemble(asm))), { type: 'raw_tracepoint', unverified: true }).testRun({}).retval;
  assert.is(run('mov %r1, 0\nmov %r2, 16\ncall 16\nexit'), 4294967274n);
  assert.is(run('mov %r1, 16\nmov %r2, 8\nmov %r3, %r10\ncall 113\nexit'), 4294967282n); // -EFAULT
  assert.is(run('mov %r1, 0\nmov %r2, 5\ncall 6\nexit'), 4294967282n);
  assert.is(run('mov %r1, 0x1000\nmov %r2, 0x7fffffff\nmov %r3, 0\ncall 114\nexit'), 4294967282n);
});

test('the simulated task_struct holds the current task at its documented offsets', () => {
  const obj = tracing('interpreter');
  obj.program('kp_openat2').loaded.testRun({ ctx: regs({}), task: TASK });
  const dv = new DataView(obj.machine.memory.buffer);
  const at = taskStructAddress(obj.machine, 0);
  assert.is(dv.getUint32(at + SIM_TASK_STRUCT.pid, true), TASK.pid);
  assert.is(dv.getUint32(at + SIM_TASK_STRUCT.tgid, true), TASK.tgid);
});

// bpf_bprintf_prepare + bstr_printf: a few paths the kernel fixtures do not reach
test('trace_printk formats as the kernel: %pi4/%pI6, %pks, %px, width and sign flags', () => {
  const mem = (addr: bigint, size: number) => (addr === 1n ? new Uint8Array([10, 0, 0, 1]) : addr === 2n ? new Uint8Array(16).fill(0x11) : undefined);
  const fmt = (s: string) => new TextEncoder().encode(s + '\0');
  const f = (s: string, args: bigint[]) => formatTracePrintk(fmt(s), args, () => 'kstr', mem);
  assert.equal(f('%pi4 %pI4', [1n, 1n]), { text: '010.000.000.001 10.0.0.1', length: 24 });
  assert.equal(f('%pI6', [2n]), { text: '1111:1111:1111:1111:1111:1111:1111:1111', length: 39 });
  assert.equal(f('%pks|%+d|%-3x|', [0n, 5n, 10n]), { text: 'kstr|+5|a  |', length: 12 });
  assert.equal(f('% d|%05d|%lld', [5n, -42n, -1n]), { text: ' 5|-0042|-1', length: 11 });
  assert.is(f('%d %d %d %d', [1n, 2n, 3n]), 22); // at most three conversions
  assert.equal(f('%px', [0xffff888000001000n]), { text: 'ffff888000001000', length: 16 });
  assert.is(f('%n', [0n]), 22);
  assert.is(f('%sd', [0n]), 22); // %s must be followed by a space, punctuation or the end
  assert.is(formatTracePrintk(new Uint8Array([0x61, 1, 0]), [], () => ''), 22); // non-printable
});

test.run();
