/** kfuncs: the table (prototypes, flags, program types) and its registration as runtime helpers. */
import type { HelperRegistry } from '../helpers/table.js';
import { KFUNCS, KFUNC_HELPER_BASE } from './table.js';

export * from './table.js';

/** Registers every kfunc as the runtime helper KFUNC_HELPER_BASE + id (how loaded kfunc calls run in both tiers). */
export function registerKfuncs(registry: HelperRegistry): HelperRegistry {
  for (const k of KFUNCS) registry.register(KFUNC_HELPER_BASE + k.id, { js: k.impl }, { name: `kfunc ${k.name}` });
  return registry;
}
