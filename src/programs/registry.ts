/** Program-type runtimes by name. */
import type { ProgramTypeName } from './types.js';
import type { ProgramAttach, ProgramTypeRuntime } from './runtime.js';
import { rawRuntime } from './raw.js';
import { xdpRuntime } from './xdp.js';
import { socketFilterRuntime } from './socket-filter.js';
import { schedActRuntime, schedClsRuntime } from './tc.js';
import { cgroupSkbRuntime } from './cgroup-skb.js';
import { lwtInRuntime, lwtOutRuntime, lwtXmitRuntime } from './lwt.js';
import { rawTracepointRuntime } from './raw-tracepoint.js';
import { syscallRuntime } from './syscall.js';
import { flowDissectorRuntime } from './flow-dissector.js';
import { skLookupRuntime } from './sk-lookup.js';
import { cgroupSockAddrRuntime, cgroupSockRuntime } from './sock-addr.js';
import { cgroupSysctlRuntime } from './sysctl.js';
import { cgroupDeviceRuntime, kprobeRuntime, perfEventRuntime, tracepointRuntime } from './tracing-ctx.js';
import { tracingRuntime } from './fentry.js';
import { lsmRuntime } from './lsm.js';

export const PROGRAM_TYPE_RUNTIMES: Partial<Record<ProgramTypeName, ProgramTypeRuntime>> = {
  raw: rawRuntime,
  xdp: xdpRuntime,
  socket_filter: socketFilterRuntime,
  sched_cls: schedClsRuntime,
  sched_act: schedActRuntime,
  cgroup_skb: cgroupSkbRuntime,
  lwt_in: lwtInRuntime,
  lwt_out: lwtOutRuntime,
  lwt_xmit: lwtXmitRuntime,
  raw_tracepoint: rawTracepointRuntime,
  syscall: syscallRuntime,
  flow_dissector: flowDissectorRuntime,
  sk_lookup: skLookupRuntime,
  kprobe: kprobeRuntime,
  tracepoint: tracepointRuntime,
  perf_event: perfEventRuntime,
  cgroup_device: cgroupDeviceRuntime,
  cgroup_sock_addr: cgroupSockAddrRuntime,
  cgroup_sock: cgroupSockRuntime,
  cgroup_sysctl: cgroupSysctlRuntime,
  tracing: tracingRuntime,
  lsm: lsmRuntime,
};

/**
 * Adds runtimes kept out of this module: the socket-level types (socket-types.ts) register
 * themselves when the loader or the package root is imported, so the edge runtime bundle,
 * which has neither, stays small.
 */
export function registerProgramTypeRuntimes(runtimes: Partial<Record<ProgramTypeName, ProgramTypeRuntime>>): void {
  Object.assign(PROGRAM_TYPE_RUNTIMES, runtimes);
}

/** Types whose runtime lives in socket-types.ts. */
const SOCKET_LEVEL_TYPES: readonly ProgramTypeName[] = ['sk_skb', 'sk_msg', 'sock_ops', 'cgroup_sockopt', 'sk_reuseport', 'lirc_mode2'];

export function programTypeRuntime(name: ProgramTypeName, attach?: ProgramAttach): ProgramTypeRuntime {
  const rt = PROGRAM_TYPE_RUNTIMES[name];
  if (!rt && SOCKET_LEVEL_TYPES.includes(name)) throw new Error(`program type ${name} is not in this bundle: the socket-level types run with the package root or the object loader (import 'ebpf-wasm')`);
  if (!rt) throw new Error(`program type ${name} cannot be run yet`);
  return rt.forAttach ? rt.forAttach(attach ?? {}) : rt;
}
