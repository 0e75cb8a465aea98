/**
 * The simulated world a capture run happens in: the interfaces packets
 * arrive on and leave by, the seed of everything random and the clock. The
 * same JSON is accepted by `run --world FILE` and by the API (parseWorld).
 *
 * {
 *   "interfaces": [{ "ifindex": 1, "name": "lo", "mtu": 65536, "mac": "00:00:00:00:00:00" },
 *                  { "ifindex": 2, "name": "eth0", "mtu": 1500, "mac": "02:00:00:00:00:01" }],
 *   "ingress": 2,          // ifindex packets arrive on (default: the first non-loopback interface)
 *   "seed": 7,             // bpf_get_prandom_u32 (overridden by --seed)
 *   "clock_step_ns": 1000  // packet i sees first timestamp + i * step (default: the capture's timestamps)
 * }
 */
import { EbpfError } from '../diagnostics/index.js';

export class WorldError extends EbpfError {
  constructor(readonly where: string, message: string) {
    super('BadWorld', `world ${where}: ${message}`);
    this.name = 'WorldError';
  }
}

export interface WorldInterface {
  ifindex: number;
  name: string;
  mtu: number;
  /** Six bytes. */
  mac: Uint8Array;
}

export interface World {
  interfaces: WorldInterface[];
  /** ifindex packets arrive on; 0 when the world has no interfaces (BPF_PROG_TEST_RUN's default). */
  ingress: number;
  seed?: number;
  clockStepNs?: number;
}

const ETH_ALEN = 6;
const IFNAMSIZ = 16;
/** ETH_MIN_MTU and IP_MAX_MTU. */
const MTU_MIN = 68, MTU_MAX = 65535 + 1;
const LOOPBACK_IFINDEX = 1;

/** The world of a run without --world: no interfaces, ingress_ifindex 0, as BPF_PROG_TEST_RUN. */
export const EMPTY_WORLD: World = { interfaces: [], ingress: 0 };

function parseMac(s: unknown, where: string): Uint8Array {
  if (typeof s !== 'string' || !/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(s)) throw new WorldError(where, `mac must look like 02:00:00:00:00:01, not ${JSON.stringify(s)}`);
  return Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
}

function uint(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new WorldError(where, `expected an integer in ${min}..${max}, not ${JSON.stringify(v)}`);
  return v;
}

/** Validates a world description (parsed JSON or an object built by the API). */
export function parseWorld(j: unknown): World {
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new WorldError('', 'must be a JSON object');
  const o = j as Record<string, unknown>;
  const known = new Set(['interfaces', 'ingress', 'seed', 'clock_step_ns']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw new WorldError(k, `unknown key (expected ${[...known].join(', ')})`);
  const interfaces: WorldInterface[] = [];
  if (o.interfaces !== undefined) {
    if (!Array.isArray(o.interfaces)) throw new WorldError('interfaces', 'must be an array');
    o.interfaces.forEach((x, i) => {
      const w = `interfaces[${i}]`;
      if (typeof x !== 'object' || x === null) throw new WorldError(w, 'must be an object');
      const r = x as Record<string, unknown>;
      const ifindex = uint(r.ifindex, `${w}.ifindex`, 1, 0x7fffffff);
      if (typeof r.name !== 'string' || r.name.length === 0 || r.name.length >= IFNAMSIZ) throw new WorldError(`${w}.name`, `must be 1..${IFNAMSIZ - 1} characters`);
      const mtu = r.mtu === undefined ? 1500 : uint(r.mtu, `${w}.mtu`, MTU_MIN, MTU_MAX);
      const mac = r.mac === undefined ? new Uint8Array(ETH_ALEN) : parseMac(r.mac, `${w}.mac`);
      if (interfaces.some((p) => p.ifindex === ifindex)) throw new WorldError(`${w}.ifindex`, `ifindex ${ifindex} appears twice`);
      if (interfaces.some((p) => p.name === r.name)) throw new WorldError(`${w}.name`, `name ${r.name} appears twice`);
      interfaces.push({ ifindex, name: r.name, mtu, mac });
    });
  }
  let ingress = 0;
  if (o.ingress !== undefined) {
    ingress = uint(o.ingress, 'ingress', 1, 0x7fffffff);
    if (!interfaces.some((i) => i.ifindex === ingress)) throw new WorldError('ingress', `no interface with ifindex ${ingress}`);
  } else if (interfaces.length > 0) {
    ingress = (interfaces.find((i) => i.ifindex !== LOOPBACK_IFINDEX) ?? interfaces[0]!).ifindex;
  }
  const world: World = { interfaces, ingress };
  if (o.seed !== undefined) world.seed = uint(o.seed, 'seed', 0, 0xffffffff);
  if (o.clock_step_ns !== undefined) world.clockStepNs = uint(o.clock_step_ns, 'clock_step_ns', 0, Number.MAX_SAFE_INTEGER);
  return world;
}

/** The interface named by ifindex, or a placeholder for one the world does not describe. */
export function interfaceName(world: World, ifindex: number): string {
  return world.interfaces.find((i) => i.ifindex === ifindex)?.name ?? `if${ifindex}`;
}
