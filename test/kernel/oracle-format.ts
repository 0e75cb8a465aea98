/**
 * Parser for the kernel oracle's output (test/kernel/oracle.c), which is also
 * the format `ebpf-wasm test-run` / `ebpf-wasm run` print: tests use it to
 * check fixtures and to compare the engine with the kernel.
 */
export interface OracleMap {
  name: string; type: string; keySize: number; valueSize: number; maxEntries: number;
  /** [keyHex, valueHex]; a ringbuf's entries have keyHex '' and one record each. */
  entries: [string, string][];
}
export interface OraclePacket { index: number; retval?: number; error?: number; dataOut?: string }
export interface OracleOutput {
  loads: { prog: string; section: string; insns: number }[];
  retval?: number; dataOut?: string; ctxOut?: string; durationNs?: number;
  packets: OraclePacket[];
  maps: OracleMap[];
}

const HEX = /^(?:[0-9a-f]{2})*$/;
const PERCPU = new Set(['percpu_hash', 'percpu_array', 'lru_percpu_hash', 'percpu_cgroup_storage']);
export const isPerCpu = (type: string): boolean => PERCPU.has(type);

/** Parses oracle output; throws on any line out of the grammar, naming its line number. */
export function parseOracleOutput(text: string): OracleOutput {
  const out: OracleOutput = { loads: [], packets: [], maps: [] };
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('output does not end with a newline');
  let map: OracleMap | undefined, expected = 0;
  const fail = (i: number, why: string): never => { throw new Error(`line ${i + 1}: ${why}: ${lines[i]!.slice(0, 120)}`); };
  lines.forEach((line, i) => {
    let m: RegExpExecArray | null;
    if (map) {
      if (line === `end map ${map.name}`) {
        if (map.entries.length !== expected) fail(i, `map ${map.name}: ${map.entries.length} entries, header says ${expected}`);
        out.maps.push(map); map = undefined; return;
      }
      if (map.type === 'ringbuf') {
        if (!HEX.test(line)) fail(i, 'bad ringbuf record');
        map.entries.push(['', line]); return;
      }
      const [k, v, extra] = line.split(' ');
      if (extra !== undefined || !k || !v || !HEX.test(k) || !HEX.test(v)) fail(i, 'expected KEYHEX VALUEHEX');
      if (k!.length !== 2 * map.keySize) fail(i, `key of ${k!.length / 2} bytes, key_size ${map.keySize}`);
      const stride = (map.valueSize + 7) & ~7;
      if (isPerCpu(map.type) ? v!.length % (2 * stride) !== 0 || v!.length === 0 : v!.length !== 2 * map.valueSize) fail(i, 'value size');
      if (map.entries.length && map.entries[map.entries.length - 1]![0] >= k!) fail(i, 'keys not sorted');
      map.entries.push([k!, v!]); return;
    }
    if ((m = /^prog (\S+) section=(\S+) insns=(\d+): accepted$/.exec(line))) out.loads.push({ prog: m[1]!, section: m[2]!, insns: +m[3]! });
    else if ((m = /^retval: (\d+)$/.exec(line))) out.retval = +m[1]!;
    else if ((m = /^data_out: ([0-9a-f]*)$/.exec(line)) && HEX.test(m[1]!)) out.dataOut = m[1]!;
    else if ((m = /^ctx_out: ([0-9a-f]*)$/.exec(line)) && HEX.test(m[1]!)) out.ctxOut = m[1]!;
    else if ((m = /^duration_ns: (\d+)$/.exec(line))) out.durationNs = +m[1]!;
    else if ((m = /^packet (\d+) retval (\d+) data_out ([0-9a-f]*)$/.exec(line)) && HEX.test(m[3]!)) out.packets.push({ index: +m[1]!, retval: +m[2]!, dataOut: m[3]! });
    else if ((m = /^packet (\d+) error -(\d+)$/.exec(line))) out.packets.push({ index: +m[1]!, error: +m[2]! });
    else if ((m = /^map (\S+) type=(\S+) key_size=(\d+) value_size=(\d+) max_entries=(\d+) entries=(\d+)$/.exec(line))) {
      if (out.maps.length && out.maps[out.maps.length - 1]!.name >= m[1]!) fail(i, 'maps not sorted by name');
      map = { name: m[1]!, type: m[2]!, keySize: +m[3]!, valueSize: +m[4]!, maxEntries: +m[5]!, entries: [] };
      expected = +m[6]!;
    } else fail(i, 'unexpected line');
  });
  if (map) throw new Error(`map ${map.name} is not closed`);
  out.packets.forEach((p, i) => { if (p.index !== i + 1) throw new Error(`packet ${p.index} out of order`); });
  return out;
}

/**
 * A form of the output that does not depend on the machine: duration_ns
 * masked, per-CPU values cut to CPU 0's slot (the oracle pins itself to CPU 0;
 * the other slots must be zero, else an error is thrown).
 */
export function normalizeOracleOutput(text: string): string {
  const parsed = parseOracleOutput(text);
  const percpu = new Map(parsed.maps.filter((m) => isPerCpu(m.type)).map((m) => [m.name, (m.valueSize + 7) & ~7]));
  let current: string | undefined;
  return text.split('\n').map((line) => {
    if (line.startsWith('duration_ns: ')) return 'duration_ns: *';
    const h = /^map (\S+) /.exec(line);
    if (h) { current = h[1]; return line; }
    if (line.startsWith('end map ')) { current = undefined; return line; }
    const stride = current !== undefined ? percpu.get(current) : undefined;
    if (stride === undefined) return line;
    const [k, v] = line.split(' ');
    if (!/^0*$/.test(v!.slice(2 * stride))) throw new Error(`map ${current}: key ${k} has a non-zero value on a CPU other than 0`);
    return `${k} ${v!.slice(0, 2 * stride)}`;
  }).join('\n');
}
