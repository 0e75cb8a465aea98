/** Program-type runtimes by name. */
import type { ProgramTypeName } from './types.js';
import type { ProgramTypeRuntime } from './runtime.js';
import { rawRuntime } from './raw.js';
import { xdpRuntime } from './xdp.js';

export const PROGRAM_TYPE_RUNTIMES: Partial<Record<ProgramTypeName, ProgramTypeRuntime>> = {
  raw: rawRuntime,
  xdp: xdpRuntime,
};

export function programTypeRuntime(name: ProgramTypeName): ProgramTypeRuntime {
  const rt = PROGRAM_TYPE_RUNTIMES[name];
  if (!rt) throw new Error(`program type ${name} cannot be run yet`);
  return rt;
}
