/**
 * Helpers that need nothing but the simulated world: clocks, random numbers,
 * CPU and NUMA ids. Ids and names come from the kernel table.
 */
import type { HelperRegistry } from './table.js';

const U32 = 0xffff_ffffn;

export function registerCoreHelpers(registry: HelperRegistry): HelperRegistry {
  const noArgs = { ret: 'integer', args: [], gplOnly: false } as const;
  registry.register('bpf_ktime_get_ns', { js: (rt) => rt.nowNs() }, { proto: noArgs, programTypes: 'all' });
  registry.register('bpf_ktime_get_boot_ns', { js: (rt) => rt.bootNs() }, { proto: noArgs, programTypes: 'all' });
  registry.register('bpf_ktime_get_coarse_ns', { js: (rt) => rt.nowNs() }, { proto: noArgs, programTypes: 'all' });
  // jiffies at the kernel's default HZ=250
  registry.register('bpf_jiffies64', { js: (rt) => rt.nowNs() / 4_000_000n }, { proto: noArgs, programTypes: 'all' });
  registry.register('bpf_get_prandom_u32', { js: (rt) => BigInt(rt.randomU32()) & U32 }, { proto: noArgs, programTypes: 'all' });
  registry.register('bpf_get_smp_processor_id', { js: (rt) => BigInt(rt.cpu) }, { proto: noArgs, programTypes: 'all' });
  registry.register('bpf_get_numa_node_id', { js: () => 0n }, { proto: noArgs, programTypes: 'all' });
  return registry;
}
