/**
 * bpf_redirect called from XDP (net/core/filter.c, bpf_xdp_redirect): the
 * tc/lwt version lives in skb.ts; an XDP program (xdp-tutorial's
 * packet03-redirecting, Katran) gets XDP_REDIRECT for flags 0 and
 * XDP_ABORTED for any flag (BPF_F_INGRESS included: XDP has no ingress
 * redirect). The device is not recorded as a redirect target: BPF_PROG_TEST_RUN
 * without live frames reports only the action, and so does this engine.
 * Registered before the world helpers: their bpf_redirect (which records the
 * device in a world run, src/runtime/world-helpers.ts) wraps this one.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperRuntime } from './table.js';
import { skbOf } from '../programs/skb.js';
import { XdpAction } from '../programs/xdp.js';

/** The run on rt's CPU is an skb one (tc, lwt): skbOf finds its sk_buff. */
function inSkbRun(rt: HelperRuntime): boolean {
  try { skbOf(rt as Machine, rt.cpu); return true; } catch { return false; }
}

export function registerXdpRedirect(registry: HelperRegistry): HelperRegistry {
  const spec = registry.byHelperName('bpf_redirect');
  const skbImpl = spec?.impl?.js;
  if (!spec || !skbImpl) throw new Error('registerXdpRedirect: register the skb helpers first');
  const types = spec.programTypes === 'all' || spec.programTypes === undefined ? spec.programTypes : [...new Set([...spec.programTypes, 'xdp' as const])];
  registry.register('bpf_redirect', {
    js: (rt, ifindex, flags, a3, a4, a5) => {
      if (inSkbRun(rt)) return skbImpl(rt, ifindex, flags, a3, a4, a5);
      return BigInt(BigInt.asUintN(64, flags) !== 0n ? XdpAction.ABORTED : XdpAction.REDIRECT);
    },
  }, { ...(spec.proto ? { proto: spec.proto } : {}), ...(types ? { programTypes: types } : {}) });
  return registry;
}
