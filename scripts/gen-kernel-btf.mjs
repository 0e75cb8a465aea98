#!/usr/bin/env node
/**
 * Regenerates src/btf/kernel/vmlinux-btf.ts, the built-in kernel BTF: the
 * kernel types the simulation provides, cut out of a real kernel's BTF with
 * their real sizes and member offsets.
 *
 *   npm run build && node scripts/gen-kernel-btf.mjs [/sys/kernel/btf/vmlinux]
 *
 * Uses our own BTF parser and encoder (dist/src/btf). What is kept:
 *  - STRUCTS: every member ('*') or the listed members (anonymous members
 *    that contain a listed name are kept, cut the same way);
 *  - any other named struct/union that a kept type refers to becomes opaque:
 *    its real name and size, no members (it exists, its fields do not);
 *  - ENUMS, FUNCS (with their FUNC_PROTO: fentry/fexit/fmod_ret/lsm targets)
 *    and TYPEDEFS (btf_trace_<tp>: tp_btf targets) by name, and whatever
 *    they refer to by the same rules.
 * Output order follows this configuration, so the result only depends on it
 * and on the input kernel.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { parseBtf, encodeBtf } = await import(join(root, 'dist/src/btf/index.js'));

/** Contexts and UAPI structs: all members. Kernel objects: the members the simulation fills in. */
export const STRUCTS = {
  // program contexts (include/uapi/linux/bpf.h, arch/x86 pt_regs)
  xdp_md: '*', __sk_buff: '*', bpf_sock: '*', bpf_sock_addr: '*', bpf_sock_ops: '*', sk_msg_md: '*',
  sk_reuseport_md: '*', bpf_sk_lookup: '*', bpf_flow_keys: '*', bpf_cgroup_dev_ctx: '*', bpf_sysctl: '*',
  bpf_sockopt: '*', bpf_raw_tracepoint_args: '*', bpf_perf_event_data: '*', pt_regs: '*', bpf_fentry_test_t: '*',
  // tracepoint records of the events the tracepoint runtime documents
  trace_entry: '*', trace_event_raw_sys_enter: '*', trace_event_raw_sys_exit: '*',
  trace_event_raw_sched_process_exec: '*', trace_event_raw_sched_process_fork: '*',
  trace_event_raw_sched_process_template: '*', trace_event_raw_sched_switch: '*',
  // kernel objects (subsets)
  task_struct: ['__state', 'flags', 'prio', 'static_prio', 'normal_prio', 'mm', 'exit_code', 'exit_signal', 'pid', 'tgid',
    'real_parent', 'parent', 'group_leader', 'start_time', 'real_cred', 'cred', 'comm', 'loginuid', 'sessionid'],
  cred: ['uid', 'gid', 'suid', 'sgid', 'euid', 'egid', 'fsuid', 'fsgid'],
  sk_buff: ['len', 'data_len', 'mac_len', 'hdr_len', 'protocol', 'mark', 'priority', 'pkt_type', 'hash', 'skb_iif',
    'transport_header', 'network_header', 'mac_header', 'tail', 'end', 'head', 'data', 'dev', 'sk', 'tstamp'],
  net_device: ['name', 'ifindex', 'mtu', 'flags'],
  sock_common: ['skc_daddr', 'skc_rcv_saddr', 'skc_dport', 'skc_num', 'skc_family', 'skc_state'],
  sock: ['__sk_common', 'sk_protocol', 'sk_type', 'sk_mark', 'sk_priority'],
  file: ['f_path', 'f_inode', 'f_flags', 'f_mode', 'f_pos'],
  path: '*', qstr: '*',
  dentry: ['d_name', 'd_parent', 'd_inode', 'd_iname'],
  inode: ['i_mode', 'i_uid', 'i_gid', 'i_ino', 'i_size'],
  linux_binprm: ['file', 'filename', 'interp', 'argc', 'envc'],
  filename: ['name', 'uptr'],
};
export const ENUMS = ['xdp_action', 'sk_action', 'pid_type'];
/** fentry/fexit/fmod_ret targets: the BPF_PROG_TEST_RUN ones (net/bpf/test_run.c) and common traced functions. */
export const FUNCS = [
  ...[...Array(10).keys()].map((i) => `bpf_fentry_test${i + 1}`), 'bpf_modify_return_test', 'bpf_modify_return_test2',
  'do_unlinkat', 'do_sys_openat2', 'vfs_read', 'vfs_write', 'vfs_open', 'tcp_v4_connect', 'tcp_sendmsg', 'security_file_open',
  // lsm/ hooks: LSM programs attach to bpf_lsm_<hook>
  'bpf_lsm_file_open', 'bpf_lsm_bprm_check_security', 'bpf_lsm_task_alloc', 'bpf_lsm_socket_connect', 'bpf_lsm_path_unlink',
];
/** tp_btf targets: btf_trace_<event> typedefs (a pointer to the tracepoint's FUNC_PROTO, void *ctx first). */
export const TYPEDEFS = ['btf_trace_sys_enter', 'btf_trace_sys_exit', 'btf_trace_netif_receive_skb', 'btf_trace_net_dev_queue', 'btf_trace_sched_process_exec', 'btf_trace_sched_process_fork',
  'btf_trace_sched_process_exit', 'btf_trace_sched_switch', 'btf_trace_sched_wakeup'];

const input = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const src = parseBtf(new Uint8Array(readFileSync(input)), { section: input });

const out = [src.types[0]];
const memo = new Map();

/** The members of struct `t` to keep under `filter` ('*' or a list of names), with the filter for anonymous ones. */
function keptMembers(t, filter) {
  if (filter === '*') return t.members.map((m) => [m, '*']);
  const contains = (id, depth = 0) => {
    const x = src.resolve(id);
    if ((x.kind !== 'STRUCT' && x.kind !== 'UNION') || depth > 32) return false;
    return x.members.some((m) => (m.name ? filter.includes(m.name) : contains(m.type, depth + 1)));
  };
  return t.members.filter((m) => (m.name ? filter.includes(m.name) : contains(m.type))).map((m) => [m, filter]);
}

/** Copies source type `id` (and what it needs) into `out`; returns its new id. */
function add(id, filter) {
  const t = src.type(id);
  if (t.kind === 'VOID') return 0;
  const composite = t.kind === 'STRUCT' || t.kind === 'UNION';
  if (composite && t.name) filter = STRUCTS[t.name] ?? [];
  const key = composite && !t.name ? `${id}:${filter === '*' ? '*' : filter.join(',')}` : `${id}`;
  if (memo.has(key)) return memo.get(key);
  const nid = out.length;
  memo.set(key, nid);
  out.push(null); // placeholder: members may refer back to this type
  const sub = (x) => add(x, '*');
  let n;
  switch (t.kind) {
    case 'STRUCT': case 'UNION':
      n = { ...t, members: keptMembers(t, filter).map(([m, f]) => ({ ...m, type: add(m.type, f) })) };
      break;
    case 'PTR': case 'TYPEDEF': case 'VOLATILE': case 'CONST': case 'RESTRICT': case 'TYPE_TAG': case 'FUNC': case 'VAR':
      n = { ...t, type: sub(t.type) };
      break;
    case 'ARRAY': n = { ...t, type: sub(t.type), indexType: sub(t.indexType) }; break;
    case 'FUNC_PROTO': n = { ...t, returnType: sub(t.returnType), params: t.params.map((p) => ({ ...p, type: sub(p.type) })) }; break;
    case 'INT': case 'ENUM': case 'ENUM64': case 'FWD': case 'FLOAT': n = { ...t }; break;
    default: throw new Error(`${t.kind} ${t.name} is not expected in the kernel subset`);
  }
  out[nid] = { ...n, id: nid };
  return nid;
}

const missing = [];
const one = (kind, name) => {
  const t = src.find(kind, name);
  if (t) add(t.id, '*'); else missing.push(`${kind} ${name}`);
};
for (const name of Object.keys(STRUCTS)) one('STRUCT', name);
for (const name of ENUMS) { if (src.find('ENUM', name)) one('ENUM', name); else one('ENUM64', name); }
for (const name of FUNCS) one('FUNC', name);
for (const name of TYPEDEFS) one('TYPEDEF', name);

const bytes = encodeBtf(out);
// Self-check: the encoding parses back to the same types.
const back = parseBtf(bytes, { section: 'built-in kernel BTF' });
if (back.count !== out.length) throw new Error('round trip changed the type count');
const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
// hex rather than base64: gzip finds the BTF's byte patterns again in hex (4.9 KB vs 5.9 KB gzip)
const hex = Buffer.from(bytes).toString('hex');
const lines = hex.match(/.{1,128}/g) ?? [];
const file = `/**
 * GENERATED by scripts/gen-kernel-btf.mjs from ${input} of Linux ${release}
 * (${out.length - 1} types, ${bytes.length} bytes). Do not edit; rerun the script.
${missing.length ? ` * Not in that kernel: ${missing.join(', ')}.\n` : ''} */
export const KERNEL_BTF_RELEASE = ${JSON.stringify(release)};
export const KERNEL_BTF_HEX =
${lines.map((l) => `  '${l}'`).join(' +\n')};
`;
writeFileSync(join(root, 'src/btf/kernel/vmlinux-btf.ts'), file);

// The few numbers run-time code needs (the simulated task's layout, tracing targets' argument
// counts), so that runs do not parse the BTF and bundles without the loader leave it out.
const { kernelField, kernelStructSize, kernelAttachTarget } = await import(pathToFileURL(join(root, 'dist/src/btf/kernel/fields.js')).href);
const TASK_FIELDS = ['pid', 'tgid', 'comm', 'real_parent', 'parent', 'group_leader', 'cred', 'real_cred'];
const CRED_FIELDS = ['uid', 'gid', 'suid', 'sgid', 'euid', 'egid', 'fsuid', 'fsgid'];
const fields = {};
for (const f of TASK_FIELDS) fields[`task_struct.${f}`] = kernelField('task_struct', f, back);
for (const f of CRED_FIELDS) fields[`cred.${f}`] = kernelField('cred', f, back);
const sizes = { task_struct: kernelStructSize('task_struct', back), cred: kernelStructSize('cred', back) };
const argCounts = {};
for (const name of FUNCS) { const t = kernelAttachTarget('func', name, back); if (t) argCounts[`func:${name}`] = t.params.length; }
for (const td of TYPEDEFS) { const name = td.replace(/^btf_trace_/, ''); const t = kernelAttachTarget('tp_btf', name, back); if (t) argCounts[`tp_btf:${name}`] = t.params.length; }
writeFileSync(join(root, 'src/btf/kernel/runtime-layout.ts'), `/**
 * GENERATED by scripts/gen-kernel-btf.mjs with vmlinux-btf.ts (Linux ${release}). Do not edit.
 * What run-time code needs from the built-in kernel BTF, precomputed: byte offset and size of
 * the simulated objects' members, struct sizes, and the tracing targets' argument counts.
 * test/core.test.ts checks these against the BTF.
 */
export const KERNEL_RELEASE = ${JSON.stringify(release)};
export const KERNEL_FIELDS: Readonly<Record<string, { readonly offset: number; readonly size: number }>> = ${JSON.stringify(fields, null, 1).replace(/\n\s*/g, ' ')};
export const KERNEL_STRUCT_SIZES: Readonly<Record<string, number>> = ${JSON.stringify(sizes)};
/** "func:<name>" (fentry/fexit/fmod_ret; lsm: func:bpf_lsm_<hook>) or "tp_btf:<event>" → argument count. */
export const KERNEL_TARGET_ARGS: Readonly<Record<string, number>> = ${JSON.stringify(argCounts, null, 1).replace(/\n\s*/g, ' ')};
`);
console.log(`${out.length - 1} types, ${bytes.length} bytes; missing: ${missing.join(', ') || 'none'}`);
