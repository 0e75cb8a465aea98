/**
 * bpf_xdp_get_buff_len (net/core/filter.c): the frame's whole length,
 * data_end - data plus the fragments of a multi-buffer frame. Katran's
 * balancer calls it for its packet-size statistics. Test runs here build no
 * fragments (as bpf_xdp_load_bytes in src/programs/xdp.ts), so the length is
 * the linear part's, after any adjust_head/adjust_tail of the run.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry } from './table.js';
import { XDP_MD } from '../programs/context.js';

export function registerXdpBuffLen(registry: HelperRegistry): HelperRegistry {
  const off = (name: string): number => {
    const f = XDP_MD.fields.find((x) => x.name === name);
    if (!f) throw new Error(`xdp_md has no ${name}`);
    return f.offset;
  };
  const DATA = off('data'), DATA_END = off('data_end');
  registry.register('bpf_xdp_get_buff_len', {
    js: (rt, ctxArg) => {
      const dv = new DataView((rt as Machine).memory.buffer);
      const ctx = Number(ctxArg);
      return BigInt(dv.getUint32(ctx + DATA_END, true) - dv.getUint32(ctx + DATA, true));
    },
  }, { proto: { ret: 'integer', args: ['ptr_to_ctx'], gplOnly: false }, programTypes: ['xdp'] });
  return registry;
}
