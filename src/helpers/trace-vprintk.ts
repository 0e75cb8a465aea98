/**
 * bpf_trace_vprintk (kernel/trace/bpf_trace.c): bpf_trace_printk with its
 * arguments in an array, which libbpf's bpf_printk() calls for more than
 * three arguments (xdp-tools and libbpf-bootstrap's BPF_KSYSCALL example do).
 * data_len must be a multiple of 8 and at most MAX_BPRINTF_VARARGS u64s, data
 * non-NULL when data_len is set (else -EINVAL); the format follows
 * bpf_bprintf_prepare's rules with each conversion taking the next u64; the
 * line goes to the trace buffer and the result is bstr_printf's length.
 * GPL-only; offered to every program type (bpf_base_func_proto, perfmon).
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry } from './table.js';
import { formatTracePrintk, MAX_BPRINTF_VARARGS } from './printk.js';
import { programReadable, readKernel, readStr } from './tracing.js';

const EINVAL = 22, EFAULT = 14;
const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
/** sizeof(u64): one argument slot of data. */
const ARG_BYTES = 8;

export function registerTraceVprintk(registry: HelperRegistry): HelperRegistry {
  registry.register('bpf_trace_vprintk', {
    js: (rt, fmt, fmtSizeArg, data, dataLenArg) => {
      const m = rt as Machine;
      const fmtSize = Number(BigInt.asUintN(32, fmtSizeArg)), len = Number(BigInt.asUintN(32, dataLenArg));
      if (len % ARG_BYTES !== 0 || len > MAX_BPRINTF_VARARGS * ARG_BYTES || (len !== 0 && data === 0n)) return neg(EINVAL);
      // the verifier proves both buffers readable; unverified code gets EFAULT instead of a fault
      if (!programReadable(m, fmt, fmtSize) || (len !== 0 && !programReadable(m, data, len))) return neg(EFAULT);
      const fmtBytes = new Uint8Array(m.memory.buffer, Number(fmt), fmtSize);
      const dv = new DataView(m.memory.buffer);
      const args: bigint[] = [];
      for (let i = 0; i < len / ARG_BYTES; i++) args.push(dv.getBigUint64(Number(data) + ARG_BYTES * i, true));
      const r = formatTracePrintk(fmtBytes, args, (addr, max) => readStr(m, addr, max),
        (addr, size) => { const got = readKernel(m, addr, size); return typeof got === 'number' ? undefined : got; });
      if (typeof r === 'number') return neg(r);
      rt.trace(r.text.endsWith('\n') ? r.text.slice(0, -1) : r.text);
      return BigInt(r.length);
    },
  }, {
    proto: { ret: 'integer', args: ['ptr_to_mem', 'const_size', 'ptr_to_mem_or_null', 'const_size_or_zero'], gplOnly: true },
    programTypes: 'all',
  });
  return registry;
}
