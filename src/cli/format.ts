/**
 * Output of `test-run` / `run` on objects, in exactly the kernel oracle's
 * format (test/kernel/oracle.c), plus bpftool-shaped JSON map dumps.
 */
import { readFileSync } from 'node:fs';
import type { BpfMap, BpfObject } from '../object/object.js';
import { MAP_TYPE } from '../maps/constants.js';
import { parseHexBytes, toHex } from './hex.js';

/** Maps sorted by name, byte order (the oracle's strcmp). */
export function sortedMaps(obj: BpfObject): BpfMap[] {
  return [...obj.maps.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One map as the oracle's `--dump-maps` prints it. */
export function formatMap(m: BpfMap): string {
  const head = (n: number): string => `map ${m.name} type=${m.typeName} key_size=${m.keySize} value_size=${m.valueSize} max_entries=${m.maxEntries} entries=${n}\n`;
  if (m.type === MAP_TYPE.ringbuf) {
    const recs = m.consumeRecords();
    return head(recs.length) + recs.map((r) => toHex(r) + '\n').join('') + `end map ${m.name}\n`;
  }
  if (m.keySize === 0) return head(0) + `end map ${m.name}\n`;
  const ents = m.entries();
  return head(ents.length) + ents.map(([k, v]) => `${toHex(k)} ${toHex(v)}\n`).join('') + `end map ${m.name}\n`;
}

export function formatMaps(obj: BpfObject): string {
  return sortedMaps(obj).map(formatMap).join('');
}

const hexList = (b: Uint8Array): string[] => [...b].map((x) => '0x' + x.toString(16).padStart(2, '0'));

/** bpftool `-j map dump` of one map: [{key, value}] or, per-CPU, [{key, values: [{cpu, value}]}]. */
export function mapJson(m: BpfMap): unknown[] {
  if (m.type === MAP_TYPE.ringbuf) return m.consumeRecords().map((r) => ({ value: hexList(r) }));
  if (m.keySize === 0) return [];
  return m.entries().map(([k, v]) => {
    if (!m.perCpu) return { key: hexList(k), value: hexList(v) };
    const stride = (m.valueSize + 7) & ~7;
    const values = [];
    for (let cpu = 0; cpu * stride < v.length; cpu++) values.push({ cpu, value: hexList(v.subarray(cpu * stride, cpu * stride + m.valueSize)) });
    return { key: hexList(k), values };
  });
}

export function mapsJson(obj: BpfObject): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of sortedMaps(obj)) out[m.name] = mapJson(m);
  return out;
}

/**
 * `--map-init MAP=FILE`: lines "KEYHEX VALUEHEX" ('#' comments). Returns the
 * map name and its entries; checks sizes against the map the way the oracle does.
 */
export function readMapInit(arg: string): { map: string; file: string; entries: [Uint8Array, Uint8Array][] } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`--map-init ${arg}: expected MAP=FILE`);
  const map = arg.slice(0, eq), file = arg.slice(eq + 1);
  const entries: [Uint8Array, Uint8Array][] = [];
  readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const sp = line.search(/[ \t]/);
    if (sp < 0) throw new Error(`${file}:${i + 1}: expected KEYHEX VALUEHEX`);
    entries.push([parseHexBytes(line.slice(0, sp), `${file}:${i + 1}: key`), parseHexBytes(line.slice(sp + 1), `${file}:${i + 1}: value`)]);
  });
  return { map, file, entries };
}

/** Applies a --map-init to a live (non-global-data) map; a per-CPU value may be given once for every CPU. */
export function applyMapInit(m: BpfMap, file: string, entries: [Uint8Array, Uint8Array][]): void {
  const want = m.userValueSize;
  for (const [k, v0] of entries) {
    if (k.length !== m.keySize) throw new Error(`${file}: key of ${k.length} bytes, map ${m.name} has key_size ${m.keySize}`);
    let v = v0;
    if (v.length !== want && m.perCpu && v.length === m.valueSize) {
      const stride = (m.valueSize + 7) & ~7;
      v = new Uint8Array(want);
      for (let c = 0; c * stride < want; c++) v.set(v0, c * stride);
    }
    if (v.length !== want) throw new Error(`${file}: value of ${v.length} bytes, map ${m.name} needs ${want}`);
    m.update(k, v, 0);
  }
}
