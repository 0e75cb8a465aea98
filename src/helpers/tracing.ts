/**
 * Helpers that read the simulated task and address spaces
 * (src/programs/task.ts): bpf_get_current_*, bpf_probe_read_* and
 * bpf_trace_printk. Semantics follow kernel/bpf/helpers.c and
 * kernel/trace/bpf_trace.c (6.18); the verifier prototypes stay in protos.ts.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperRuntime } from './table.js';
import { NULL_GUARD_BYTES } from '../runtime/layout.js';
import {
  commBytes, currentTask, helperWritable, kernelReadable, readUser, readUserPrefix, taskStructAddress, USER_SPACE_BASE,
} from '../programs/task.js';
import { formatTracePrintk, MAX_BPRINTF_VARARGS } from './printk.js';

const EFAULT = 14, ERANGE = 34, EINVAL = 22;
const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
const bytesAt = (rt: HelperRuntime, addr: bigint, size: number): Uint8Array =>
  new Uint8Array(rt.memory.buffer, Number(addr), size);

/** A destination the verifier would have refused (unverified code only): the helper fails without writing. */
const badDst = (rt: HelperRuntime, dst: bigint, size: number): boolean => !helperWritable(rt as Machine, rt.cpu, dst, size);

/**
 * copy_from_kernel_nofault_allowed on x86-64 refuses user addresses (below
 * TASK_SIZE_MAX + PAGE_SIZE): here the null page and simulated user space.
 */
function kernelAddressAllowed(addr: bigint): boolean {
  return addr >= BigInt(NULL_GUARD_BYTES) && addr < USER_SPACE_BASE;
}

/** Bytes of kernel memory at [addr, addr+size) or an errno (ERANGE, EFAULT). */
export function readKernel(m: Machine, addr: bigint, size: number): Uint8Array | number {
  if (!kernelAddressAllowed(addr)) return ERANGE;
  if (!kernelReadable(m, m.cpu, addr, size)) return EFAULT;
  return bytesAt(m, addr, size);
}

export function registerTracingHelpers(registry: HelperRegistry): HelperRegistry {
  registry.register('bpf_get_current_pid_tgid', {
    js: (rt) => { const t = currentTask(rt as Machine); return (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0); },
  });
  registry.register('bpf_get_current_uid_gid', {
    js: (rt) => { const t = currentTask(rt as Machine); return (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0); },
  });
  registry.register('bpf_get_current_cgroup_id', { js: (rt) => currentTask(rt as Machine).cgroupId });
  // strscpy_pad: the comm cut to size - 1 bytes, NUL-padded to size
  registry.register('bpf_get_current_comm', {
    js: (rt, buf, size) => {
      const n = Number(size);
      if (n === 0 || badDst(rt, buf, n)) return neg(EINVAL);
      const dst = bytesAt(rt, buf, n);
      const comm = commBytes(currentTask(rt as Machine).comm);
      dst.fill(0);
      dst.set(comm.subarray(0, Math.min(n - 1, comm.indexOf(0) < 0 ? comm.length : comm.indexOf(0))));
      return 0n;
    },
  });
  registry.register('bpf_get_current_task', { js: (rt) => BigInt(taskStructAddress(rt as Machine, rt.cpu)) });
  registry.register('bpf_get_current_task_btf', { js: (rt) => BigInt(taskStructAddress(rt as Machine, rt.cpu)) });

  // bpf_probe_read_kernel_common: on a fault the destination is zeroed
  const probeKernel = (rt: HelperRuntime, dst: bigint, size: bigint, src: bigint): bigint => {
    const n = Number(size);
    if (n === 0) return 0n;
    if (badDst(rt, dst, n)) return neg(EFAULT);
    const out = bytesAt(rt, dst, n);
    const got = readKernel(rt as Machine, src, n);
    if (typeof got === 'number') { out.fill(0); return neg(got); }
    out.set(got.slice());
    return 0n;
  };
  const probeUser = (rt: HelperRuntime, dst: bigint, size: bigint, src: bigint): bigint => {
    const n = Number(size);
    if (n === 0) return 0n;
    if (badDst(rt, dst, n)) return neg(EFAULT);
    const out = bytesAt(rt, dst, n);
    const got = readUser(rt as Machine, src, n);
    if (!got) { out.fill(0); return neg(EFAULT); }
    out.set(got);
    return 0n;
  };
  // strncpy_from_kernel_nofault: up to size bytes, stops after a NUL, always NUL-terminates; length with the NUL
  const probeKernelStr = (rt: HelperRuntime, dst: bigint, size: bigint, src: bigint): bigint => {
    const n = Number(size);
    if (n === 0) return 0n;
    if (badDst(rt, dst, n)) return neg(EFAULT);
    const out = bytesAt(rt, dst, n);
    if (!kernelAddressAllowed(src)) { out.fill(0); return neg(ERANGE); }
    let i = 0;
    for (; i < n; i++) {
      if (!kernelReadable(rt as Machine, rt.cpu, src + BigInt(i), 1)) { out.fill(0); return neg(EFAULT); }
      const b = new Uint8Array(rt.memory.buffer)[Number(src) + i]!;
      out[i] = b;
      if (b === 0) return BigInt(i + 1);
    }
    out[n - 1] = 0;
    return BigInt(n);
  };
  // strncpy_from_user_nofault: as above, but an unterminated string that runs into unmapped memory faults
  const probeUserStr = (rt: HelperRuntime, dst: bigint, size: bigint, src: bigint): bigint => {
    const n = Number(size);
    if (n === 0) return 0n;
    if (badDst(rt, dst, n)) return neg(EFAULT);
    const out = bytesAt(rt, dst, n);
    const avail = readUserPrefix(rt as Machine, src, n);
    const nul = avail.indexOf(0);
    if (nul >= 0) { out.fill(0); out.set(avail.subarray(0, nul + 1)); return BigInt(nul + 1); }
    if (avail.length < n) { out.fill(0); return neg(EFAULT); }
    out.set(avail);
    out[n - 1] = 0;
    return BigInt(n);
  };
  registry.register('bpf_probe_read_kernel', { js: probeKernel });
  registry.register('bpf_probe_read_user', { js: probeUser });
  registry.register('bpf_probe_read_kernel_str', { js: probeKernelStr });
  registry.register('bpf_probe_read_user_str', { js: probeUserStr });
  // bpf_probe_read(_str) (x86-64): user addresses go to the user variant, the rest to the kernel one
  registry.register('bpf_probe_read', { js: (rt, d, s, src) => (src >= USER_SPACE_BASE ? probeUser : probeKernel)(rt, d, s, src) });
  registry.register('bpf_probe_read_str', { js: (rt, d, s, src) => (src >= USER_SPACE_BASE ? probeUserStr : probeKernelStr)(rt, d, s, src) });

  registry.register('bpf_trace_printk', {
    js: (rt, fmt, fmtSize, a1, a2, a3) => {
      const m = rt as Machine;
      if (badDst(rt, fmt, Number(fmtSize))) return neg(EFAULT);
      const r = formatTracePrintk(bytesAt(rt, fmt, Number(fmtSize)), [a1, a2, a3], (addr, max) => readStr(m, addr, max),
        (addr, size) => { const got = readKernel(m, addr, size); return typeof got === 'number' ? undefined : got; });
      if (typeof r === 'number') return neg(r);
      rt.trace(r.text.endsWith('\n') ? r.text.slice(0, -1) : r.text);
      return BigInt(r.length);
    },
  });

  /**
   * bpf_snprintf (kernel/bpf/helpers.c): data_len a multiple of 8, at most
   * 12 u64 arguments, data non-NULL when data_len is set, else -EINVAL; the
   * format under bpf_bprintf_prepare's rules (the formatter above, each
   * conversion taking the next u64); bstr_printf writes at most str_size - 1
   * bytes and a NUL into str; the result is the whole text's length + 1.
   */
  registry.register('bpf_snprintf', {
    js: (rt, str, strSize, fmt, data, dataLen) => {
      const m = rt as Machine;
      const size = Number(BigInt.asUintN(32, strSize)), len = Number(BigInt.asUintN(32, dataLen));
      if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len !== 0 && data === 0n)) return neg(EINVAL);
      // ARG_PTR_TO_CONST_STR: a NUL-terminated string in readable memory (the verifier checks it is read-only)
      const fmtBytes = readCString(m, fmt);
      if (fmtBytes === undefined) return neg(EFAULT);
      if (len !== 0 && !programReadable(m, data, len)) return neg(EFAULT);
      const dv = new DataView(m.memory.buffer);
      const args: bigint[] = [];
      for (let i = 0; i < len / 8; i++) args.push(dv.getBigUint64(Number(data) + 8 * i, true));
      // %s, %pI4 and friends read kernel memory: here any memory the program itself may reach (stack, maps, context, packet) too
      const r = formatTracePrintk(fmtBytes, args, (addr, max) => readStr(m, addr, max, true),
        (addr, n) => programReadable(m, addr, n) ? bytesAt(m, addr, n).slice() : undefined);
      if (typeof r === 'number') return neg(r);
      if (size > 0) {
        if (badDst(rt, str, size)) return neg(EFAULT);
        const out = bytesAt(rt, str, size);
        const n = Math.min(r.length, size - 1);
        for (let i = 0; i < n; i++) out[i] = r.text.charCodeAt(i) & 0xff;
        out[n] = 0;
      }
      return BigInt(r.length + 1);
    },
  });
  return registry;
}

/** A NUL-terminated string at addr with its NUL, or undefined when it runs into unreadable memory. */
function readCString(m: Machine, addr: bigint): Uint8Array | undefined {
  const mem = new Uint8Array(m.memory.buffer);
  for (let i = 0; ; i++) {
    if (!programReadable(m, addr + BigInt(i), 1)) return undefined;
    if (mem[Number(addr) + i] === 0) return mem.slice(Number(addr), Number(addr) + i + 1);
  }
}

/** Kernel memory of the run or memory a program reaches (stack, context, packet, map heap). */
export function programReadable(m: Machine, addr: bigint, size: number): boolean {
  return addr >= BigInt(NULL_GUARD_BYTES) && (kernelReadable(m, m.cpu, addr, size) || helperWritable(m, m.cpu, addr, size));
}

/** A %s argument: a kernel string (bpf_bprintf_prepare copies it with strncpy_from_kernel_nofault). */
export function readStr(m: Machine, addr: bigint, max: number, programMemory = false): string | undefined {
  if (!kernelAddressAllowed(addr)) return undefined;
  if (programMemory && programReadable(m, addr, 1)) {
    const mem = new Uint8Array(m.memory.buffer);
    let s = '';
    for (let i = 0; i < max - 1 && programReadable(m, addr + BigInt(i), 1); i++) {
      const b = mem[Number(addr) + i]!;
      if (b === 0) break;
      s += String.fromCharCode(b);
    }
    return s;
  }
  const mem = new Uint8Array(m.memory.buffer);
  let s = '';
  for (let i = 0; i < max - 1; i++) {
    if (!kernelReadable(m, m.cpu, addr + BigInt(i), 1)) return i === 0 ? undefined : s;
    const b = mem[Number(addr) + i]!;
    if (b === 0) break;
    s += String.fromCharCode(b);
  }
  return s;
}
