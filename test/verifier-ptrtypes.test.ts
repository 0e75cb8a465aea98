// Corpus-style cases for the flow dissector's PTR_TO_FLOW_KEYS and the socket pointers
// (PTR_TO_SOCKET from bpf_sk_lookup.sk and bpf_sk_lookup_*, ARG_PTR_TO_SOCKET_OR_NULL of
// sk_lookup's bpf_sk_assign, bpf_sk_release): accepted and rejected accesses with the
// kernel's messages (kernel/bpf/verifier.c: check_flow_keys_access, check_sock_access,
// check_reg_type, adjust_ptr_min_max_vals). VERIFIER_DUMP=/tmp/p.json writes every case as a
// corpus entry, for scripts/verifier_labels.py (label_all) to load into the running kernel.
import { test } from 'uvu';
import { writeFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { verify } from '../src/verifier/index.js';
import { assemble, encode } from '../src/isa/index.js';
import { HelperRegistry } from '../src/helpers/table.js';
import { installHelperProtos } from '../src/helpers/protos.js';
import { registerSkLookupHelpers } from '../src/programs/sk-lookup.js';

/** The default prototypes, sk_lookup's bpf_sk_assign, and tc's bpf_sk_lookup_tcp / bpf_sk_release. */
const helpers = installHelperProtos(new HelperRegistry());
registerSkLookupHelpers(helpers);
const unused = { js: () => 0n };
helpers.register('bpf_sk_lookup_tcp', unused, {
  proto: { ret: 'ptr_to_socket_or_null', args: ['ptr_to_ctx', 'ptr_to_mem', 'const_size', 'anything', 'anything'], gplOnly: false },
  programTypes: ['sched_cls'],
});
helpers.register('bpf_sk_release', unused, {
  proto: { ret: 'integer', args: ['ptr_to_btf_id_sock_common'], gplOnly: false }, programTypes: ['sched_cls', 'sk_lookup'],
});

/** BPF_SK_LOOKUP, BPF_CGROUP_INET4_CONNECT: the attach types the kernel wants at load. */
const ATTACH: Record<string, number> = { sk_lookup: 36, cgroup_sock_addr: 10 };
const dump: object[] = [];

/** Verifies the program; null when accepted, else the kernel-style error message. */
function run(type: 'flow_dissector' | 'sk_lookup' | 'sched_cls' | 'cgroup_sock_addr', asm: string): string | null {
  const bytes = encode(assemble(asm));
  const r = verify(bytes, { type, helpers });
  const hex = Buffer.from(bytes).toString('hex');
  dump.push({ name: `ptrtypes/${dump.length}`, family: 'ptrtypes', type, license: 'GPL', maps: [], hex, expectedAttachType: ATTACH[type] ?? 0, ours: r.ok ? null : r.error!.message });
  return r.ok ? null : r.error!.message;
}
const KEYS = 'ldxdw %r2, [%r1+144]\n'; // r2 = skb->flow_keys

test('flow_keys: reads and writes inside struct bpf_flow_keys are accepted', () => {
  assert.is(run('flow_dissector', `${KEYS}ldxh %r3, [%r2+10]\nstxh [%r2+4], %r3\nstw [%r2+48], 1\nldxw %r0, [%r2+52]\nmov %r0, 0\nexit`), null);
  // a known offset moves the pointer; the access is checked at the sum
  assert.is(run('flow_dissector', `${KEYS}add %r2, 48\nldxdw %r0, [%r2+0]\nmov %r0, 0\nexit`), null);
  // spilled and filled, the pointer keeps its type
  assert.is(run('flow_dissector', `${KEYS}stxdw [%r10-8], %r2\nldxdw %r3, [%r10-8]\nldxw %r0, [%r3+48]\nmov %r0, 0\nexit`), null);
});

test('flow_keys: accesses outside the struct are refused with the kernel message', () => {
  assert.is(run('flow_dissector', `${KEYS}ldxw %r0, [%r2+56]\nexit`), 'invalid access to flow keys off=56 size=4');
  assert.is(run('flow_dissector', `${KEYS}ldxdw %r0, [%r2+52]\nexit`), 'invalid access to flow keys off=52 size=8');
  assert.is(run('flow_dissector', `${KEYS}stb [%r2-1], 0\nmov %r0, 0\nexit`), 'invalid access to flow keys off=-1 size=1');
  assert.is(run('flow_dissector', `${KEYS}add %r2, 40\nstxdw [%r2+16], %r1\nmov %r0, 0\nexit`), 'invalid access to flow keys off=56 size=8');
});

test('flow_keys: no variable offset, no atomics, read from the context as 8 bytes only', () => {
  assert.is(run('flow_dissector', `${KEYS}ldxh %r3, [%r2+0]\nadd %r2, %r3\nldxb %r0, [%r2+0]\nexit`), 'R2 pointer arithmetic on flow_keys prohibited');
  assert.is(run('flow_dissector', `${KEYS}mov %r3, 1\nlock add32 [%r2+0], %r3\nmov %r0, 0\nexit`), 'BPF_ATOMIC stores into R2 flow_keys is not allowed');
  assert.is(run('flow_dissector', 'ldxw %r2, [%r1+144]\nmov %r0, 0\nexit'), 'invalid bpf_context access off=144 size=4');
  // any other program type reads a scalar there (or nothing): no flow keys pointer to dereference
  assert.is(run('sched_cls', `${KEYS}mov %r0, 0\nexit`), 'invalid bpf_context access off=144 size=8');
});

test('sk_lookup: bpf_sk_assign takes NULL or a sock, ctx->sk is sock_or_null', () => {
  const assign = (setup: string) => run('sk_lookup', `mov %r6, %r1\n${setup}mov %r1, %r6\nmov %r3, 0\ncall 124\nmov %r0, 1\nexit`);
  assert.is(assign('mov %r2, 0\n'), null);
  // ARG_PTR_TO_SOCKET_OR_NULL also takes a sock_or_null (check_reg_type drops PTR_MAYBE_NULL)
  assert.is(assign('ldxdw %r2, [%r6+0]\n'), null);
  assert.is(assign('mov %r2, 1\n'), 'R2 type=scalar expected=sock');
  assert.is(assign('mov %r2, %r10\nadd %r2, -8\n'), 'R2 type=fp expected=sock');
  assert.is(assign('mov %r2, %r6\n'), 'R2 type=ctx expected=sock');
  // after the NULL check ctx->sk reads as struct bpf_sock; before it, it is not a pointer to read
  assert.is(run('sk_lookup', 'ldxdw %r2, [%r1+0]\njeq %r2, 0, +1\nldxw %r0, [%r2+12]\nmov %r0, 1\nexit'), null);
  assert.is(run('sk_lookup', 'ldxdw %r2, [%r1+0]\nldxw %r0, [%r2+12]\nmov %r0, 1\nexit'), "R2 invalid mem access 'sock_or_null'");
  assert.is(run('sk_lookup', 'ldxdw %r2, [%r1+0]\nadd %r2, 4\nmov %r0, 1\nexit'), 'R2 pointer arithmetic on sock_or_null prohibited, null-check it first');
});

test('sock: bpf_sock reads as bpf_sock_is_valid_access allows, no writes, no arithmetic', () => {
  const sk = (body: string) => run('sk_lookup', `ldxdw %r2, [%r1+0]\njeq %r2, 0, +${body.split('\n').length}\n${body}\nmov %r0, 1\nexit`);
  assert.is(sk('ldxb %r0, [%r2+4]'), null);              // family, narrower
  assert.is(sk('ldxh %r0, [%r2+48]'), null);             // dst_port as a __be16
  assert.is(sk('ldxw %r0, [%r2+48]'), null);             // dst_port with its zero padding
  assert.is(sk('ldxh %r0, [%r2+50]'), 'R2 invalid sock access off=50 size=2');
  assert.is(sk('ldxh %r0, [%r2+16]'), 'R2 invalid sock access off=16 size=2'); // mark: 4 bytes only
  assert.is(sk('ldxw %r0, [%r2+80]'), 'R2 invalid sock access off=80 size=4');
  assert.is(sk('ldxb %r0, [%r2+76]'), null);             // rx_queue_mapping from its first byte
  assert.is(sk('ldxb %r0, [%r2+77]'), 'R2 invalid sock access off=77 size=1');
  assert.is(sk('ldxb %r0, [%r2+27]'), null);             // src_ip4: any byte
  assert.is(sk('ldxdw %r0, [%r2+0]'), 'R2 invalid sock access off=0 size=8');
  assert.is(sk('stw [%r2+16], 1'), 'R2 cannot write into sock');
  assert.is(sk('add %r2, 4'), 'R2 pointer arithmetic on sock prohibited');
  // bpf_sock_addr.sk is a sock (never NULL)
  assert.is(run('cgroup_sock_addr', 'ldxdw %r2, [%r1+64]\nldxw %r0, [%r2+12]\nmov %r0, 1\nexit'), null);
});

test('references: bpf_sk_lookup_tcp returns a referenced sock_or_null that bpf_sk_release must release', () => {
  const lookup = 'mov %r2, %r10\nadd %r2, -16\nstdw [%r10-16], 0\nstdw [%r10-8], 0\nmov %r3, 12\nmov %r4, -1\nmov %r5, 0\ncall 84\n';
  assert.is(run('sched_cls', `${lookup}jeq %r0, 0, +2\nmov %r1, %r0\ncall 86\nmov %r0, 0\nexit`), null);
  assert.is(run('sched_cls', `${lookup}mov %r0, 0\nexit`), 'Unreleased reference id=2 alloc_insn=7');
  assert.is(run('sched_cls', `${lookup}mov %r1, %r0\ncall 86\nmov %r0, 0\nexit`),
    'R1 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_');
  // ctx->sk of sk_lookup holds no reference
  assert.is(run('sk_lookup', 'ldxdw %r1, [%r1+0]\njeq %r1, 0, +1\ncall 86\nmov %r0, 1\nexit'), 'R1 must be referenced when passed to release function');
  // released: the pointer is gone
  assert.is(run('sched_cls', `${lookup}jeq %r0, 0, +4\nmov %r6, %r0\nmov %r1, %r0\ncall 86\nldxw %r0, [%r6+4]\nmov %r0, 0\nexit`), "R6 invalid mem access 'scalar'");
});

test.after(() => { if (process.env.VERIFIER_DUMP) writeFileSync(process.env.VERIFIER_DUMP, JSON.stringify(dump, null, 1)); });

test.run();
