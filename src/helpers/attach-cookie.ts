/**
 * bpf_get_attach_cookie (kernel/trace/bpf_trace.c and friends): the u64 the
 * attaching link carries (libbpf's bpf_program__attach_*_opts .bpf_cookie;
 * its USDT support stores a spec id there and libbpf-bootstrap's usdt
 * example reads it). A program run through BPF_PROG_TEST_RUN, as here, has no
 * link: the run context's cookie is 0, which is what the kernel returns then.
 */
import type { HelperRegistry } from './table.js';
import type { ProgramTypeName } from '../programs/types.js';

/** The types whose get_func_proto offers it (kprobe/uprobe, tracepoint, perf_event, raw_tp, fentry/fexit/lsm). */
const COOKIE_TYPES: readonly ProgramTypeName[] = ['kprobe', 'tracepoint', 'perf_event', 'raw_tracepoint', 'tracing', 'lsm'];
/** The cookie of a run without an attachment. */
const NO_LINK_COOKIE = 0n;

export function registerAttachCookie(registry: HelperRegistry): HelperRegistry {
  registry.register('bpf_get_attach_cookie', { js: () => NO_LINK_COOKIE }, {
    proto: { ret: 'integer', args: ['ptr_to_ctx'], gplOnly: false },
    programTypes: COOKIE_TYPES,
  });
  return registry;
}
