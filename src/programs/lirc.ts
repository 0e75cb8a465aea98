/**
 * BPF_PROG_TYPE_LIRC_MODE2 (SEC "lirc_mode2"): an IR decoder attached to a
 * lirc device runs on every raw sample (drivers/media/rc/bpf-lirc.c); r1
 * points to the u32 sample (LIRC_MODE2 encoding), read-only; r0 is ignored.
 * bpf_rc_keydown, bpf_rc_repeat and bpf_rc_pointer_rel report what it
 * decoded to the rc device (rc_keydown, rc_repeat, input_report_rel) and
 * return 0; all three are GPL-only.
 *
 * No kernel test_run (and this kernel has no CONFIG_BPF_LIRC_MODE2):
 * testRun takes the sample as ctx (4 bytes) and reports the rc events of
 * the run in `rcEvents`.
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry, HelperProto } from '../helpers/table.js';
import type { ProgramTypeRuntime, TestRunInput, TestRunOutput } from './runtime.js';
import { TestRunError } from './skb.js';
import { LIRC_SAMPLE_SIZE } from './contexts/lirc.js';

const EINVAL = 22;

export type RcEvent =
  | { kind: 'keydown'; protocol: number; scancode: bigint; toggle: boolean }
  | { kind: 'repeat' }
  | { kind: 'pointer_rel'; x: number; y: number };

export interface LircOutput extends TestRunOutput { rcEvents: RcEvent[] }

const events = new WeakMap<Machine, (RcEvent[] | undefined)[]>();

export const lircMode2Runtime: ProgramTypeRuntime = {
  name: 'lirc_mode2',
  prepare(machine: Machine, cpu: number, input: TestRunInput) {
    if (input.flags) throw new TestRunError(EINVAL, `lirc_mode2: takes no flags (0x${input.flags.toString(16)})`);
    if (input.data) throw new TestRunError(EINVAL, 'lirc_mode2: takes the sample as ctx, not data_in');
    const ctxIn = input.ctx ?? new Uint8Array(0);
    if (ctxIn.length !== LIRC_SAMPLE_SIZE) throw new TestRunError(EINVAL, `lirc_mode2: the sample is ${LIRC_SAMPLE_SIZE} bytes, not ${ctxIn.length}`);
    const area = machine.area(cpu);
    new Uint8Array(machine.memory.buffer).set(ctxIn, area.ctx);
    let list = events.get(machine);
    if (!list) events.set(machine, list = []);
    list[cpu] = [];
    return { r1: area.ctx, regions: machine.regions(cpu, area.packetData, area.packetData, LIRC_SAMPLE_SIZE) };
  },
  finish(machine, cpu, r0lo): LircOutput {
    const rcEvents = events.get(machine)?.[cpu] ?? [];
    events.get(machine)![cpu] = undefined;
    return { retval: BigInt(r0lo >>> 0), dataOut: new Uint8Array(0), rcEvents };
  },
};

function record(rt: unknown, e: RcEvent): bigint {
  const m = rt as Machine;
  const list = events.get(m)?.[m.cpu];
  if (!list) throw new Error('rc helper called outside a lirc_mode2 run');
  list.push(e);
  return 0n;
}

const gpl = (n: number): HelperProto => ({ ret: 'integer', args: ['ptr_to_ctx', ...Array<'anything'>(n).fill('anything')], gplOnly: true });

export function registerLircHelpers(registry: HelperRegistry): void {
  const types = { programTypes: ['lirc_mode2'] as const };
  registry.register('bpf_rc_keydown', {
    js: (rt, _s, protocol, scancode, toggle) => record(rt, { kind: 'keydown', protocol: Number(protocol & 0xffffffffn), scancode, toggle: (toggle & 0xffffffffn) !== 0n }),
  }, { proto: gpl(3), ...types });
  registry.register('bpf_rc_repeat', { js: (rt) => record(rt, { kind: 'repeat' }) }, { proto: gpl(0), ...types });
  registry.register('bpf_rc_pointer_rel', {
    js: (rt, _s, x, y) => record(rt, { kind: 'pointer_rel', x: Number(BigInt.asIntN(32, x)), y: Number(BigInt.asIntN(32, y)) }),
  }, { proto: gpl(2), ...types });
}
