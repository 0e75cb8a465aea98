/** Shapes of the generated skeleton modules that test/gen-skeleton.test.ts imports at run time. */
import type { BpfMap, BpfObject, BpfProgram, LoadObjectOptions, RodataValue } from '../src/object/index.js';

interface Skeleton<P extends string, M extends string> {
  readonly obj: BpfObject;
  readonly progs: Record<P, BpfProgram>;
  readonly maps: Record<M, BpfMap>;
}
type Loader<P extends string, M extends string> = {
  load(o?: Omit<LoadObjectOptions, 'name' | 'rodata'> & { rodata?: Record<string, RodataValue> }): Skeleton<P, M>;
  bytes(): Uint8Array;
  readonly mapSpecs: Record<M, { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }>;
};
export declare const XdpFirewallSkeleton: Loader<'xdp_firewall', 'blocklist' | 'rule_hits' | 'verdicts'>;
export declare const GlobalsSkeleton: Loader<'use_globals' | 'use_ksym', 'data' | 'rodata' | 'data_custom' | 'rodata_banner' | 'bss' | 'kconfig'>;
