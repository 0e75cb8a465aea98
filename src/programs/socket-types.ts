/**
 * The socket-level program types (sk_skb, sk_msg, sock_ops, cgroup_sockopt, sk_reuseport,
 * lirc_mode2): importing this module registers their runtimes and adds their helpers to every
 * new machine. The object loader and the package root import it; the edge runtime bundle does
 * not, which keeps it under issue #8's size goal.
 */
import type { HelperRegistry } from '../helpers/table.js';
import { cgroupSockoptRuntime } from './cgroup-sockopt.js';
import { registerSockProgHelpers } from '../helpers/sockprogs.js';
import { registerSkSkbHelpers, skSkbRuntime } from './sk-skb.js';
import { registerSkMsgHelpers, skMsgRuntime } from './sk-msg.js';
import { registerSockOpsHelpers, sockOpsRuntime } from './sock-ops.js';
import { registerSkReuseportHelpers, skReuseportRuntime } from './sk-reuseport.js';
import { lircMode2Runtime, registerLircHelpers } from './lirc.js';
import { registerProgramTypeRuntimes } from './registry.js';
import { addDefaultHelperSet } from '../runtime/machine.js';

export function registerSocketProgramHelpers(registry: HelperRegistry): void {
  registerSockProgHelpers(registry);
  registerSkSkbHelpers(registry);
  registerSkMsgHelpers(registry);
  registerSockOpsHelpers(registry);
  registerSkReuseportHelpers(registry);
  registerLircHelpers(registry);
}

registerProgramTypeRuntimes({
  sk_skb: skSkbRuntime,
  sk_msg: skMsgRuntime,
  sock_ops: sockOpsRuntime,
  cgroup_sockopt: cgroupSockoptRuntime,
  sk_reuseport: skReuseportRuntime,
  lirc_mode2: lircMode2Runtime,
});
addDefaultHelperSet(registerSocketProgramHelpers);
