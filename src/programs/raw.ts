/** The `raw` pseudo type as a ProgramTypeRuntime: r1 = data, r2 = length, r0 is 64-bit. */
import type { ProgramTypeRuntime } from './runtime.js';

export const rawRuntime: ProgramTypeRuntime = {
  name: 'raw',
  prepare(machine, cpu, input) {
    const area = machine.area(cpu);
    const data = input.data;
    const len = data?.length ?? 0;
    if (len > machine.layout.packetCapacity) {
      throw new RangeError(`input of ${len} bytes exceeds the packet capacity of ${machine.layout.packetCapacity}`);
    }
    if (data) new Uint8Array(machine.memory.buffer, area.packetData, len).set(data);
    return { r1: data ? area.packetData : 0, r2: len, regions: machine.regions(cpu, area.packetData, area.packetData + len, 0) };
  },
  finish(machine, cpu, r0lo, r0hi) {
    return { retval: (BigInt(r0hi >>> 0) << 32n) | BigInt(r0lo >>> 0), dataOut: new Uint8Array(0) };
  },
};
