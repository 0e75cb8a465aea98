/**
 * `ebpf-wasm map dump PROG.o [--map NAME] [--json]`: an object's maps right
 * after loading (initial data, .rodata, --map-init), in the oracle's text
 * format or as bpftool `-j map dump` JSON.
 */
import { parseArgs } from 'node:util';
import { formatMap, mapJson, sortedMaps } from '../format.js';
import { loadObjectForCli, ObjectUsageError } from './test-run-object.js';

export async function mapDump(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'dump') throw new ObjectUsageError('map takes the subcommand dump');
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: { map: { type: 'string' }, json: { type: 'boolean' }, 'map-init': { type: 'string', multiple: true }, unverified: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new ObjectUsageError('map dump takes one object file');
  // dumping runs no program: loading without the verifier is safe here
  const obj = loadObjectForCli({ path: positionals[0]!, mapInit: values['map-init'] ?? [], unverified: true });
  const maps = values.map !== undefined ? [obj.map(values.map)] : sortedMaps(obj);
  if (values.json) {
    const j = values.map !== undefined ? mapJson(maps[0]!) : Object.fromEntries(maps.map((m) => [m.name, mapJson(m)]));
    process.stdout.write(JSON.stringify(j) + '\n');
  } else process.stdout.write(maps.map(formatMap).join(''));
  return 0;
}
