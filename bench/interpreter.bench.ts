/**
 * Interpreter speed: ns per executed instruction on a loop-heavy program
 * (RFC 1071 checksum over 1500 bytes) and a branch-heavy one (byte
 * classifier over 1500 bytes of mixed text). Run: npm run bench
 */
import { readFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import { decode } from '../src/isa/decode.js';
import { Interpreter } from '../src/interpreter/interpreter.js';
import { Machine } from '../src/runtime/machine.js';
import { prepareRawInput } from '../src/runtime/raw.js';

const root = new URL('../../', import.meta.url);
const RUNS_PER_SAMPLE = 20;

function payload(): Uint8Array {
  const text = 'GET /index.html HTTP/1.1\r\nHost: example.org\r\nUser-Agent: ebpf-wasm/0.1 (x86_64)\r\n\tAccept: */*\r\n';
  const out = new Uint8Array(1500);
  for (let i = 0; i < out.length; i++) out[i] = i % 97 === 0 ? 0xc3 : text.charCodeAt(i % text.length);
  return out;
}

const bench = new Bench({ time: 1500, warmup: true, warmupTime: 300 });
const executedBy: Record<string, number> = {};
for (const name of ['checksum', 'classify']) {
  const program = decode(new Uint8Array(readFileSync(new URL(`examples/raw/${name}.bin`, root))));
  for (const unverified of [true, false]) {
    const machine = new Machine();
    const interp = new Interpreter(program, machine, { unverified });
    const input = prepareRawInput(machine, payload());
    interp.run(0, input);
    const label = `${name} 1500 B (${unverified ? 'sandboxed' : 'unchecked'})`;
    executedBy[label] = interp.executed;
    bench.add(label, () => { for (let i = 0; i < RUNS_PER_SAMPLE; i++) interp.run(0, input); });
  }
}
await bench.run();
const rows = bench.tasks.map((t) => {
  const r = t.result as unknown as { latency?: { p50?: number }; median?: number };
  const medianMs = r.latency?.p50 ?? r.median ?? NaN;
  const perRunNs = (medianMs * 1e6) / RUNS_PER_SAMPLE;
  return { program: t.name, executed: executedBy[t.name], 'median µs/run': (perRunNs / 1000).toFixed(2), 'ns/insn': (perRunNs / executedBy[t.name]!).toFixed(2) };
});
console.table(rows);
