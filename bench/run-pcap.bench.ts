/**
 * End-to-end `ebpf-wasm run` throughput: a seeded 1,000,000-packet capture
 * (test/support/run-traffic.ts) through the examples, writing the output
 * capture, as a user runs it (a fresh process: startup, load, JIT compile,
 * scan, run, write). Prints, per case, the process's wall time and CPU time
 * (user + sys, from /usr/bin/time when present) as packets/s, and the packet
 * loop's own rate from --json. Run: npm run build && node dist/bench/run-pcap.bench.js [PACKETS]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateCapture } from '../test/support/run-traffic.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const PACKETS = Number(process.argv[2] ?? 1_000_000);
const TIME = '/usr/bin/time';

const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-run-bench-'));
const pcap = join(tmp, 'traffic.pcap');
writeFileSync(pcap, generateCapture(PACKETS, 0x5eed));
const out = join(tmp, 'out.pcapng');

const cases: [string, string[]][] = [
  ['flow_counter jit', ['examples/flow_counter/flow_counter.o', '--tier', 'jit']],
  ['flow_counter jit --cpus 2', ['examples/flow_counter/flow_counter.o', '--tier', 'jit', '--cpus', '2']],
  ['xdp_firewall jit', ['examples/xdp_firewall/xdp_firewall.o', '--tier', 'jit', '--map-init', 'blocklist=examples/xdp_firewall/blocklist.txt']],
  ['xdp_lb jit', ['examples/xdp_lb/xdp_lb.o', '--tier', 'jit', '--map-init', 'vips=examples/xdp_lb/vips.txt', '--map-init', 'backends=examples/xdp_lb/backends.txt']],
  ['flow_counter interpreter', ['examples/flow_counter/flow_counter.o', '--tier', 'interpreter']],
];

const timed = existsSync(TIME);
console.log(`${PACKETS} packets, --out pcapng; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log('case'.padEnd(28), 'wall pkt/s'.padStart(12), 'cpu pkt/s'.padStart(12), 'loop pkt/s'.padStart(12));
for (const [name, args] of cases) {
  const argv = [CLI, 'run', ...args, '--pcap', pcap, '--out', out, '--json'];
  const t0 = performance.now();
  const r = timed
    ? spawnSync(TIME, ['-f', 'CPU %U %S', process.execPath, ...argv], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 })
    : spawnSync(process.execPath, argv, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) { console.log(name, 'failed:', r.stderr); continue; }
  const j = JSON.parse(r.stdout) as { packets: number; packets_per_second: number };
  const m = /CPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const cpu = m ? Number(m[1]) + Number(m[2]) : NaN;
  console.log(name.padEnd(28), String(Math.round(j.packets / wall)).padStart(12), (m ? String(Math.round(j.packets / cpu)) : '-').padStart(12), String(j.packets_per_second).padStart(12));
}
