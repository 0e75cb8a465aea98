/**
 * `run`'s stages in one process, CPU time (user + sys) and wall time: scanning
 * a seeded 1,000,000-packet capture, loading the object (JIT compile), the
 * packet loop alone (second of two runs, warm), and the loop writing the
 * output pcapng to a file as `run --out` does.
 * Run: npm run build && node dist/bench/run-stages.bench.js [OBJ.o] [jit|interpreter] [PACKETS]
 */
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CaptureOutput } from '../src/cli/commands/run.js';
import { loadObjectForCli } from '../src/cli/commands/test-run-object.js';
import { scanCapture } from '../src/pcap/scan.js';
import { Machine } from '../src/runtime/machine.js';
import { loadTier, type TierName } from '../src/runtime/tier.js';
import { runTable, type TableRunSpec } from '../src/runtime/workers/run-table.js';
import { EMPTY_WORLD } from '../src/runtime/world.js';
import { generateCapture } from '../test/support/run-traffic.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const obj = process.argv[2] ?? join(ROOT, 'examples/flow_counter/flow_counter.o');
const tier = (process.argv[3] ?? 'jit') as TierName;
const packets = Number(process.argv[4] ?? 1_000_000);
const tmp = mkdtempSync(join(tmpdir(), 'ebpf-wasm-run-stages-'));
const pcap = join(tmp, 'traffic.pcap');
writeFileSync(pcap, generateCapture(packets, 0x5eed));

let cpu = process.cpuUsage(), t = performance.now();
const lap = (what: string): void => {
  const u = process.cpuUsage(cpu), ms = (u.user + u.system) / 1000, wall = performance.now() - t;
  console.log(`${what.padEnd(22)} cpu ${ms.toFixed(0).padStart(5)} ms (${Math.round(packets / (ms / 1000)).toLocaleString('en')} packets/s)  wall ${wall.toFixed(0)} ms`);
  cpu = process.cpuUsage(); t = performance.now();
};

const file = readFileSync(pcap);
const table = scanCapture(new Uint8Array(file.buffer, file.byteOffset, file.byteLength));
lap('scan');
await loadTier(tier);
const machine = new Machine({ cpus: 1 });
const prog = loadObjectForCli({ path: obj, mapInit: [], unverified: false, load: { machine, tier } }).program();
lap('load + compile');
const spec: TableRunSpec = {
  machine, program: prog.loaded, instructions: prog.instructions, table, cpus: 1, spread: 'flow', keepData: false,
  ingressIfindex: 0, clockStepNs: 0, seed: 0,
};
await runTable(spec);
cpu = process.cpuUsage(); t = performance.now();
await runTable(spec);
lap('loop');
const fd = openSync(join(tmp, 'out.pcapng'), 'w');
const out = new CaptureOutput('pcapng', prog.type, EMPTY_WORLD, table, (c) => { writeSync(fd, c); });
await runTable({ ...spec, sink: (i, r, s, a, b, e) => out.packet(i, r, s, a, b, e) });
out.end();
closeSync(fd);
lap('loop + pcapng output');
console.log(`${packets} packets, ${obj.replace(ROOT, '')}, ${tier}`);
