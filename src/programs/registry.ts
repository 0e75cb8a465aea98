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
import { skSkbRuntime } from './sk-skb.js';
import { skMsgRuntime } from './sk-msg.js';
import { sockOpsRuntime } from './sock-ops.js';
import { cgroupSockoptRuntime } from './cgroup-sockopt.js';
import { skReuseportRuntime } from './sk-reuseport.js';
import { lircMode2Runtime } from './lirc.js';

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
  sk_skb: skSkbRuntime,
  sk_msg: skMsgRuntime,
  sock_ops: sockOpsRuntime,
  cgroup_sockopt: cgroupSockoptRuntime,
  sk_reuseport: skReuseportRuntime,
  lirc_mode2: lircMode2Runtime,
};

export function programTypeRuntime(name: ProgramTypeName, attach?: ProgramAttach): ProgramTypeRuntime {
  const rt = PROGRAM_TYPE_RUNTIMES[name];
  if (!rt) throw new Error(`program type ${name} cannot be run yet`);
  return rt.forAttach ? rt.forAttach(attach ?? {}) : rt;
}
