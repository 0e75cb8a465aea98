/**
 * `run --cpus N`: worker threads as simulated CPUs over one shared memory.
 * Over 1,000,000 generated packets, commutative programs must leave the same
 * aggregate maps with 2 CPUs as with 1 (per-CPU values summed over CPUs):
 * flow_counter (hash/LRU/.bss with atomic adds, packets spread by flow hash)
 * and test/fixtures/run/counter.o (per-CPU array, shared array and hash hit
 * by every CPU: round robin, so both CPUs race on the same entries). Any lost
 * update shows as a difference. Prints packets/s at 1 and 2 CPUs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT } from './support/paths.js';
import { generateCapture } from './support/run-traffic.js';

const PACKETS = 1_000_000;
const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-run-cpus-'));
const pcap = join(tmp, 'million.pcap');
writeFileSync(pcap, generateCapture(PACKETS, 0x5eed));

interface MapEntry { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }
interface RunJson { packets: number; packets_per_second: number; packets_per_cpu?: number[]; verdicts: Record<string, number>; maps: Record<string, MapEntry[]> }

function run(obj: string, extra: string[]): RunJson {
  const r = spawnSync(process.execPath, [CLI, 'run', obj, '--pcap', pcap, '--json', '--dump-maps', ...extra], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20 });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RunJson;
}

const le64 = (b: string[], at: number): bigint => {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(parseInt(b[at + i]!, 16));
  return v;
};

/** Each map as key → value; per-CPU values summed over CPUs, u64 by u64. */
function aggregate(maps: Record<string, MapEntry[]>): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, entries] of Object.entries(maps)) {
    const m: Record<string, string> = {};
    for (const e of entries) {
      if (e.values) {
        const words = e.values[0]!.value.length / 8;
        const sums = Array.from({ length: words }, (_, w) => e.values!.reduce((s, c) => s + le64(c.value, w * 8), 0n));
        m[e.key.join('')] = sums.join(',');
      } else {
        const v = e.value ?? [];
        m[e.key.join('')] = v.length % 8 === 0 ? Array.from({ length: v.length / 8 }, (_, w) => le64(v, w * 8)).join(',') : v.join('');
      }
    }
    out[name] = m;
  }
  return out;
}

function note(what: string, one: RunJson, two: RunJson): void {
  const eff = one.packets_per_second > 0 ? two.packets_per_second / (2 * one.packets_per_second) : 0;
  process.stdout.write(`\nNOTE: ${what}: ${one.packets_per_second} packets/s on 1 CPU, ${two.packets_per_second} on 2 (${two.packets_per_cpu!.join('+')} packets), scaling efficiency ${(eff * 100).toFixed(0)}%\n`);
}

test('flow_counter: 2 CPUs (flow hash) leave the same maps as 1 CPU over 1,000,000 packets', () => {
  const one = run('examples/flow_counter/flow_counter.o', ['--cpus', '1']);
  const two = run('examples/flow_counter/flow_counter.o', ['--cpus', '2']);
  assert.is(one.packets, PACKETS);
  assert.is(two.packets, PACKETS);
  assert.equal(two.verdicts, one.verdicts);
  assert.ok(two.packets_per_cpu!.every((n) => n > PACKETS / 10), `both CPUs ran packets: ${two.packets_per_cpu}`);
  const a = aggregate(one.maps), b = aggregate(two.maps);
  assert.ok(Object.keys(a.flows!).length > 100, 'many flows');
  assert.equal(b, a);
  note('flow_counter', one, two);
});

test('per-CPU and shared counters: 2 CPUs in round robin lose no update over 1,000,000 packets', () => {
  const obj = 'test/fixtures/run/counter.o';
  const one = run(obj, ['--cpus', '1']);
  const two = run(obj, ['--cpus', '2', '--spread', 'round-robin']);
  assert.equal(two.packets_per_cpu, [PACKETS / 2, PACKETS / 2]);
  const a = aggregate(one.maps), b = aggregate(two.maps);
  assert.equal(b, a);
  // the per-CPU slots really are per CPU: each CPU counted its own half
  for (const e of two.maps.percpu_counts!) {
    const perCpu = e.values!.map((c) => le64(c.value, 0));
    if (perCpu.reduce((s, x) => s + x, 0n) > 1000n) assert.ok(perCpu[0]! > 0n && perCpu[1]! > 0n, `class ${e.key}: ${perCpu}`);
  }
  const total = Object.values(a.shared_counts!).reduce((s, v) => s + BigInt(v.split(',')[0]!), 0n);
  assert.is(total, BigInt(PACKETS));
  assert.is(Object.values(b.by_length!).reduce((s, v) => s + BigInt(v), 0n), BigInt(PACKETS));
  note('counter', one, two);
});

test.run();
