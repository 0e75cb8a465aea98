// PTR_TO_BTF_ID in BTF-typed tracing programs: context slots typed by the attach target's prototype
// (kernel/bpf/btf.c btf_ctx_access) and loads through kernel struct pointers (check_ptr_to_btf_access,
// btf_struct_walk), with the kernel's messages. Offsets come from the built-in kernel BTF, whose
// release is the labelling kernel's. Expected results are checked against the running kernel:
// VERIFIER_DUMP=/tmp/btfid.json node test/run.mjs verifier-btfid, then
// sudo python3 scripts/label-verifier-btfid.py /tmp/btfid.json writes test/fixtures/verifier/btfid-labels.json,
// which this test compares with every expectation it labels (tp_btf; fentry-family loads are EPERM here).
import { test } from 'uvu';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { verify, type TracingKind, type TracingTarget } from '../src/verifier/index.js';
import { assemble, encode } from '../src/isa/index.js';
import { kernelAttachTarget, kernelBtf, kernelField, kernelStructSize } from '../src/btf/kernel/index.js';
import { kfuncByName } from '../src/kfuncs/index.js';

/** `call src=2` (BPF_PSEUDO_KFUNC_CALL). */
const PSEUDO_KFUNC_CALL = 2;
const CALL = 0x85;
/** Turns `call -N` placeholders into kfunc calls of kfuncs[N-1]; returns [pc, name] pairs for the labeller. */
function patchKfuncs(bytes: Uint8Array, kfuncs: readonly string[]): [number, string][] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: [number, string][] = [];
  for (let pc = 0; pc < bytes.length / 8; pc++) {
    const n = -dv.getInt32(pc * 8 + 4, true);
    if (bytes[pc * 8] !== CALL || n < 1 || n > kfuncs.length) continue;
    const name = kfuncs[n - 1]!;
    bytes[pc * 8 + 1] = PSEUDO_KFUNC_CALL << 4;
    dv.setInt32(pc * 8 + 4, kfuncByName(name)!.id, true);
    out.push([pc, name]);
  }
  return out;
}

const LABELS = 'test/fixtures/verifier/btfid-labels.json';
const labels: Record<string, { ok: boolean; error: string }> = existsSync(LABELS) ? JSON.parse(readFileSync(LABELS, 'utf8')).labels : {};
/** BTF_KIND_FUNC / BTF_KIND_TYPEDEF: how the labeller finds the attach target in vmlinux BTF. */
const BTF_KIND = { FUNC: 12, TYPEDEF: 8 } as const;
/** BPF_TRACE_RAW_TP, BPF_TRACE_FENTRY, BPF_TRACE_FEXIT, BPF_MODIFY_RETURN, BPF_LSM_MAC. */
const ATTACH_TYPE: Record<TracingKind, number> = { tp_btf: 23, fentry: 24, fexit: 25, fmod_ret: 26, lsm: 27 };

function target(kind: TracingKind, to: string): TracingTarget {
  const name = kind === 'lsm' ? `bpf_lsm_${to}` : to;
  const t = kernelAttachTarget(kind === 'tp_btf' ? 'tp_btf' : 'func', name)!;
  assert.ok(t, `${kind}/${to} is in the built-in kernel BTF`);
  return { kind, name, btf: kernelBtf(), params: t.params, returnType: t.returnType };
}

const dump: object[] = [];
let labelled = 0;
/** Verifies; null when accepted, else the error message. Checks `expected` and, when labelled, the kernel's verdict. */
function check(kind: TracingKind, to: string, asm: string, expected: string | null, license = 'GPL', kfuncNames: readonly string[] = []): void {
  const bytes = encode(assemble(asm));
  const kfuncs = patchKfuncs(bytes, kfuncNames);
  const tgt = target(kind, to);
  const r = verify(bytes, { type: kind === 'lsm' ? 'lsm' : 'tracing', tracing: tgt, license });
  const ours = r.ok ? null : r.error!.message;
  const name = `btfid/${dump.length}`;
  dump.push({
    name, family: 'btfid', type: kind === 'lsm' ? 'lsm' : 'tracing', license, maps: [], hex: Buffer.from(bytes).toString('hex'),
    expectedAttachType: ATTACH_TYPE[kind], attachBtf: { kind: kind === 'tp_btf' ? BTF_KIND.TYPEDEF : BTF_KIND.FUNC, name: kind === 'tp_btf' ? `btf_trace_${to}` : tgt.name }, kfuncs, ours, expected,
  });
  assert.is(ours, expected, `${name}: ${asm.replace(/\n/g, '; ')}`);
  const label = labels[name];
  if (label && kind === 'tp_btf') {
    labelled++;
    assert.is(label.ok ? null : label.error, expected, `${name}: the kernel's verdict`);
  }
}

const f = (path: string): number => kernelField('task_struct', path).offset;
const TGID = f('tgid'), PID = f('pid'), REAL_PARENT = f('real_parent'), COMM = f('comm'), CRED = f('cred');
const TASK_SIZE = kernelStructSize('task_struct');
const FILE = kernelField('linux_binprm', 'file').offset, F_FLAGS = kernelField('file', 'f_flags').offset;
const UID = kernelField('cred', 'uid').offset;
/** r1 = the sched_process_exec task_struct argument (trusted PTR_TO_BTF_ID). */
const TASK = 'ldxdw %r1, [%r1+0]\n';
const EXEC = 'sched_process_exec';

test('tp_btf: a task_struct argument reads scalar members (p->tgid, comm bytes)', () => {
  check('tp_btf', EXEC, `${TASK}ldxw %r0, [%r1+${TGID}]\nexit`, null);
  check('tp_btf', EXEC, `${TASK}ldxw %r0, [%r1+${PID}]\nldxb %r2, [%r1+${COMM + 15}]\nldxdw %r2, [%r1+${COMM + 8}]\nexit`, null);
  // the loaded member is a scalar bounded by its size: it may index nothing but is a plain value
  check('tp_btf', EXEC, `${TASK}ldxw %r0, [%r1+${TGID}]\njgt %r0, 0xffffffff, +1\nexit\nldxdw %r0, [%r0+0]\nexit`, null);
});

test('tp_btf: pointer members chain (p->real_parent->tgid, p->cred->uid, bprm->file->f_flags)', () => {
  check('tp_btf', EXEC, `${TASK}ldxdw %r1, [%r1+${REAL_PARENT}]\nldxw %r0, [%r1+${TGID}]\nexit`, null);
  check('tp_btf', EXEC, `${TASK}ldxdw %r1, [%r1+${CRED}]\nldxw %r0, [%r1+${UID}]\nexit`, null);
  check('tp_btf', EXEC, `ldxdw %r1, [%r1+16]\nldxdw %r1, [%r1+${FILE}]\nldxw %r0, [%r1+${F_FLAGS}]\nexit`, null);
});

test('tp_btf: accesses outside the struct or across members are refused with the kernel messages', () => {
  check('tp_btf', EXEC, `${TASK}ldxw %r0, [%r1+${TASK_SIZE}]\nexit`, `access beyond struct task_struct at off ${TASK_SIZE} size 4`);
  check('tp_btf', EXEC, `${TASK}ldxdw %r0, [%r1+${TASK_SIZE - 4}]\nexit`, `access beyond struct task_struct at off ${TASK_SIZE - 4} size 8`);
  check('tp_btf', EXEC, `${TASK}ldxw %r0, [%r1-8]\nexit`, 'R1 is ptr_task_struct invalid negative access: off=-8');
  check('tp_btf', EXEC, `${TASK}ldxw %r0, [%r1+${REAL_PARENT}]\nexit`,
    `cannot access ptr member real_parent with moff ${REAL_PARENT} in struct task_struct with off ${REAL_PARENT} size 4`);
  check('tp_btf', EXEC, `${TASK}ldxdw %r0, [%r1+${COMM + 12}]\nexit`,
    `access beyond the end of member comm (mend:${COMM + 16}) in struct task_struct with off ${COMM + 12} size 8`);
});

test('tp_btf: stores through the pointer and into the context are refused', () => {
  check('tp_btf', EXEC, `${TASK}stw [%r1+${TGID}], 0\nmov %r0, 0\nexit`, 'only read is supported');
  check('tp_btf', EXEC, `${TASK}mov %r2, 1\nstxw [%r1+${TGID}], %r2\nmov %r0, 0\nexit`, 'only read is supported');
  check('tp_btf', EXEC, 'stdw [%r1+0], 0\nmov %r0, 0\nexit', 'invalid bpf_context access off=0 size=8');
});

test('tp_btf: context slots follow the prototype: scalars, missing arguments, misaligned slots', () => {
  check('tp_btf', EXEC, 'ldxdw %r2, [%r1+8]\nldxw %r0, [%r2+0]\nexit', "R2 invalid mem access 'scalar'");
  check('tp_btf', EXEC, 'ldxdw %r0, [%r1+24]\nexit', "func 'sched_process_exec' doesn't have 4-th argument");
  check('tp_btf', EXEC, 'ldxw %r0, [%r1+4]\nexit', "func 'sched_process_exec' offset 4 is not multiple of 8");
  check('tp_btf', EXEC, 'ldxdw %r0, [%r1+96]\nexit', 'invalid bpf_context access off=96 size=8');
});

test('tp_btf: pointer arithmetic: constant offsets move the pointer, variable ones are refused at the access', () => {
  check('tp_btf', EXEC, `${TASK}add %r1, ${TGID}\nldxw %r0, [%r1+0]\nexit`, null);
  check('tp_btf', EXEC, `${TASK}add %r1, ${TGID + 8}\nldxw %r0, [%r1-8]\nexit`, null);
  check('tp_btf', EXEC, `ldxdw %r2, [%r1+8]\n${TASK}and %r2, 4\nadd %r1, %r2\nldxw %r0, [%r1+0]\nexit`,
    'R1 is ptr_task_struct invalid variable offset: off=0, var_off=(0x0; 0x4)');
  check('tp_btf', EXEC, `${TASK}and %r1, 1\nmov %r0, 0\nexit`, 'R1 bitwise operator &= on pointer prohibited');
});

test('tp_btf: kernel structs need a GPL-compatible license', () => {
  check('tp_btf', EXEC, `${TASK}ldxw %r0, [%r1+${TGID}]\nexit`, "Cannot access kernel 'struct task_struct' from non-GPL compatible program", 'MIT');
});

// fentry/fexit/fmod_ret/lsm loads are refused here before verification (EPERM), so these follow btf_ctx_access's source.
test('tp_btf: a pointer argument is loaded whole', () => {
  check('tp_btf', EXEC, `ldxw %r1, [%r1+0]\nldxw %r0, [%r1+${TGID}]\nexit`, "func 'sched_process_exec' size 4 must be 8");
  check('tp_btf', EXEC, 'ldxw %r0, [%r1+8]\nexit', null); // pid_t old_pid: a scalar, any aligned size
});

test('fentry/fexit/fmod_ret/lsm: argument count and the return-value slot', () => {
  check('fentry', 'bpf_fentry_test1', 'ldxdw %r0, [%r1+0]\nexit', null);
  check('fentry', 'bpf_fentry_test1', 'ldxdw %r0, [%r1+8]\nexit', "func 'bpf_fentry_test1' doesn't have 2-th argument");
  check('fexit', 'bpf_fentry_test1', 'ldxdw %r0, [%r1+8]\nexit', null);
  check('fmod_ret', 'bpf_modify_return_test', 'ldxdw %r0, [%r1+16]\nexit', null);
  check('lsm', 'file_open', `ldxdw %r1, [%r1+0]\nldxw %r0, [%r1+${F_FLAGS}]\nmov %r0, 0\nexit`, null);
  check('lsm', 'file_open', 'ldxdw %r0, [%r1+8]\nmov %r0, 0\nexit', null);
});

test('kfuncs: tracing arguments are trusted, RCU fields (real_parent, group_leader) pass to KF_RCU kfuncs, others not', () => {
  const KF = ['bpf_task_acquire', 'bpf_task_release'];
  const acquireRelease = 'call -1\njeq %r0, 0, +2\nmov %r1, %r0\ncall -2\nmov %r0, 0\nexit';
  check('tp_btf', EXEC, `${TASK}${acquireRelease}`, null, 'GPL', KF);
  check('tp_btf', EXEC, `${TASK}ldxdw %r1, [%r1+${REAL_PARENT}]\n${acquireRelease}`, null, 'GPL', KF);
  check('tp_btf', EXEC, `${TASK}ldxdw %r1, [%r1+${f('group_leader')}]\n${acquireRelease}`, null, 'GPL', KF);
  check('tp_btf', EXEC, `${TASK}ldxdw %r1, [%r1+${f('parent')}]\n${acquireRelease}`, 'R1 must be a rcu pointer', 'GPL', KF);
  check('tp_btf', EXEC, `${TASK}ldxdw %r1, [%r1+${f('parent')}]\ncall -2\nmov %r0, 0\nexit`, 'R1 must be referenced or trusted', 'GPL', KF);
});

test('log: BTF pointers print as the kernel prints them', () => {
  const bytes = encode(assemble(`${TASK}ldxdw %r2, [%r1+${REAL_PARENT}]\nldxw %r0, [%r2+${TGID}]\nexit`));
  const r = verify(bytes, { type: 'tracing', tracing: target('tp_btf', EXEC), logLevel: 2 });
  assert.ok(r.ok, r.error?.message);
  assert.match(r.log, /R1=trusted_ptr_task_struct\(\)/);
  assert.match(r.log, /R2=rcu_ptr_task_struct\(\)/);
});

test('every labelled tp_btf case was compared with the kernel', () => {
  if (process.env.VERIFIER_DUMP) writeFileSync(process.env.VERIFIER_DUMP, JSON.stringify(dump, null, 1));
  process.stdout.write(`\nNOTE: ${dump.length} cases, ${labelled} compared with the kernel's labels (${LABELS})\n`);
  assert.ok(process.env.VERIFIER_DUMP || labelled > 0, `no kernel labels in ${LABELS}`);
});

test.run();
