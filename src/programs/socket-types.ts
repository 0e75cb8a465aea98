/** Registers the helpers of the socket program types (sk_skb, sk_msg, sock_ops, cgroup_sockopt, sk_reuseport, lirc_mode2). */
import type { HelperRegistry } from '../helpers/table.js';
import { registerSockProgHelpers } from '../helpers/sockprogs.js';
import { registerSkSkbHelpers } from './sk-skb.js';
import { registerSkMsgHelpers } from './sk-msg.js';
import { registerSockOpsHelpers } from './sock-ops.js';
import { registerSkReuseportHelpers } from './sk-reuseport.js';
import { registerLircHelpers } from './lirc.js';

export function registerSocketProgramHelpers(registry: HelperRegistry): void {
  registerSockProgHelpers(registry);
  registerSkSkbHelpers(registry);
  registerSkMsgHelpers(registry);
  registerSockOpsHelpers(registry);
  registerSkReuseportHelpers(registry);
  registerLircHelpers(registry);
}
