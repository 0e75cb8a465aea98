/**
 * The simulated world a capture run happens in: the interfaces packets
 * arrive on and leave by, the seed of everything random and the clock. The
 * same JSON is accepted by `run --world FILE` and by the API (parseWorld).
 *
 * {
 *   "interfaces": [{ "ifindex": 1, "name": "lo", "mtu": 65536, "mac": "00:00:00:00:00:00" },
 *                  { "ifindex": 2, "name": "eth0", "mtu": 1500, "mac": "02:00:00:00:00:01" }],
 *   "ingress": 2,          // ifindex packets arrive on (default: the first non-loopback interface)
 *   "routes": [{ "dst": "0.0.0.0/0", "via": "192.0.2.1", "dev": 2, "metric": 100 },
 *              { "dst": "198.51.100.0/24", "type": "blackhole" }],
 *   "neighbours": [{ "ip": "192.0.2.1", "mac": "02:00:00:00:00:fe", "dev": 2 }],
 *   "seed": 7,             // bpf_get_prandom_u32 (overridden by --seed)
 *   "clock_step_ns": 1000  // packet i sees first timestamp + i * step (default: the capture's timestamps)
 * }
 *
 * Interfaces may list "addresses" ("192.0.2.10/24", "2001:db8::10/64"): each
 * gives a connected route (prefsrc = the address) and a local one.
 * Interfaces forward unless "forwarding": false. bpf_fib_lookup (XDP and tc)
 * looks routes up by longest prefix, then lowest metric, with the kernel's
 * struct bpf_fib_lookup in and out and its BPF_FIB_LKUP_RET_* codes; XDP's
 * bpf_redirect records the target interface, which `run` tags the packet with.
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
  forwarding: boolean;
  addresses: Prefix[];
}

/** An IPv4 (32-bit) or IPv6 (128-bit) prefix; addresses as unsigned BigInts in network order. */
export interface Prefix { family: 4 | 6; addr: bigint; len: number }

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'local';
export interface WorldRoute { dst: Prefix; via?: Prefix; dev?: number; metric: number; type: RouteType; src?: bigint; mtu?: number }
export interface WorldNeighbour { ip: Prefix; mac: Uint8Array; dev: number }

export interface World {
  interfaces: WorldInterface[];
  routes: WorldRoute[];
  neighbours: WorldNeighbour[];
  /** ifindex packets arrive on; 0 when the world has no interfaces: BPF_PROG_TEST_RUN's default (XDP: the loopback, 1). */
  ingress: number;
  seed?: number;
  clockStepNs?: number;
}

const ETH_ALEN = 6;
const IFNAMSIZ = 16;
/** ETH_MIN_MTU and IP_MAX_MTU. */
const MTU_MIN = 68, MTU_MAX = 65535 + 1;
const LOOPBACK_IFINDEX = 1;

/** The world of a run without --world: no interfaces, packets arriving as BPF_PROG_TEST_RUN's (XDP: on the loopback, ifindex 1). */
export const EMPTY_WORLD: World = { interfaces: [], routes: [], neighbours: [], ingress: 0 };

/** "a.b.c.d", "a.b.c.d/n", IPv6 text (with ::), "x/n". */
export function parsePrefix(s: unknown, where: string, wantLen: boolean): Prefix {
  if (typeof s !== 'string') throw new WorldError(where, `expected an address string, not ${JSON.stringify(s)}`);
  const [a, l, extra] = s.split('/');
  if (extra !== undefined || (wantLen && l === undefined)) throw new WorldError(where, `expected ${wantLen ? 'ADDRESS/LENGTH' : 'an address'}, not ${s}`);
  let family: 4 | 6, addr: bigint;
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a!)) {
    const parts = a!.split('.').map(Number);
    if (parts.some((p) => p > 255)) throw new WorldError(where, `bad IPv4 address ${a}`);
    family = 4; addr = parts.reduce((v, p) => (v << 8n) | BigInt(p), 0n);
  } else if (/^[0-9a-fA-F:]+$/.test(a!) && a!.includes(':')) {
    const halves = a!.split('::');
    if (halves.length > 2) throw new WorldError(where, `bad IPv6 address ${a}`);
    const groups = (h: string): string[] => (h === '' ? [] : h.split(':'));
    const head = groups(halves[0]!), tail = halves.length === 2 ? groups(halves[1]!) : [];
    const fill = 8 - head.length - tail.length;
    if (fill < 0 || (halves.length === 1 && fill !== 0) || [...head, ...tail].some((g) => g.length === 0 || g.length > 4)) throw new WorldError(where, `bad IPv6 address ${a}`);
    family = 6; addr = [...head, ...Array<string>(fill).fill('0'), ...tail].reduce((v, g) => (v << 16n) | BigInt(parseInt(g, 16)), 0n);
  } else throw new WorldError(where, `not an IPv4 or IPv6 address: ${a}`);
  const max = family === 4 ? 32 : 128;
  const len = l === undefined ? max : Number(l);
  if (!Number.isInteger(len) || len < 0 || len > max || (l !== undefined && !/^\d+$/.test(l))) throw new WorldError(where, `prefix length ${l} outside 0..${max}`);
  return { family, addr, len };
}

const bits = (p: Prefix): number => (p.family === 4 ? 32 : 128);
/** The prefix's network: host bits cleared. */
function network(p: Prefix): bigint {
  const host = BigInt(bits(p) - p.len);
  return (p.addr >> host) << host;
}
export function prefixContains(p: Prefix, family: 4 | 6, addr: bigint): boolean {
  if (p.family !== family) return false;
  const host = BigInt(bits(p) - p.len);
  return (addr >> host) === (p.addr >> host);
}

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
  const known = new Set(['interfaces', 'ingress', 'seed', 'clock_step_ns', 'routes', 'neighbours']);
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
      if (r.forwarding !== undefined && typeof r.forwarding !== 'boolean') throw new WorldError(`${w}.forwarding`, 'must be true or false');
      if (r.addresses !== undefined && !Array.isArray(r.addresses)) throw new WorldError(`${w}.addresses`, 'must be an array');
      const addresses = ((r.addresses as unknown[] | undefined) ?? []).map((a, k) => parsePrefix(a, `${w}.addresses[${k}]`, true));
      interfaces.push({ ifindex, name: r.name, mtu, mac, forwarding: r.forwarding !== false, addresses });
    });
  }
  let ingress = 0;
  if (o.ingress !== undefined) {
    ingress = uint(o.ingress, 'ingress', 1, 0x7fffffff);
    if (!interfaces.some((i) => i.ifindex === ingress)) throw new WorldError('ingress', `no interface with ifindex ${ingress}`);
  } else if (interfaces.length > 0) {
    ingress = (interfaces.find((i) => i.ifindex !== LOOPBACK_IFINDEX) ?? interfaces[0]!).ifindex;
  }
  const hasDev = (ifindex: number, where: string): number => {
    if (!interfaces.some((i) => i.ifindex === ifindex)) throw new WorldError(where, `no interface with ifindex ${ifindex}`);
    return ifindex;
  };
  const routes: WorldRoute[] = [];
  // every interface address: a local route for itself, a connected route for its subnet
  for (const i of interfaces) {
    for (const a of i.addresses) {
      routes.push({ dst: { ...a, len: bits(a) }, dev: i.ifindex, metric: 0, type: 'local', src: a.addr });
      routes.push({ dst: { ...a, addr: network(a) }, dev: i.ifindex, metric: 0, type: 'unicast', src: a.addr });
    }
  }
  if (o.routes !== undefined) {
    if (!Array.isArray(o.routes)) throw new WorldError('routes', 'must be an array');
    o.routes.forEach((x, k) => {
      const w = `routes[${k}]`;
      if (typeof x !== 'object' || x === null) throw new WorldError(w, 'must be an object');
      const r = x as Record<string, unknown>;
      for (const key of Object.keys(r)) if (!['dst', 'via', 'dev', 'metric', 'type', 'src', 'mtu'].includes(key)) throw new WorldError(`${w}.${key}`, 'unknown key');
      const dst = parsePrefix(r.dst, `${w}.dst`, true);
      const type = (r.type ?? 'unicast') as RouteType;
      if (!['unicast', 'blackhole', 'unreachable', 'prohibit'].includes(type)) throw new WorldError(`${w}.type`, `expected unicast, blackhole, unreachable or prohibit, not ${JSON.stringify(r.type)}`);
      const via = r.via !== undefined ? parsePrefix(r.via, `${w}.via`, false) : undefined;
      if (via && via.family !== dst.family) throw new WorldError(`${w}.via`, 'gateway of another family than the destination');
      let dev = r.dev !== undefined ? hasDev(uint(r.dev, `${w}.dev`, 1, 0x7fffffff), `${w}.dev`) : undefined;
      if (type === 'unicast' && dev === undefined) {
        // like `ip route add … via GW`: the device of the connected route that holds the gateway
        const on = via && interfaces.find((i) => i.addresses.some((a) => prefixContains(a, via.family, via.addr)));
        if (!on) throw new WorldError(w, 'a unicast route needs "dev" (or a "via" inside an interface\'s subnet)');
        dev = on.ifindex;
      }
      const src = r.src !== undefined ? parsePrefix(r.src, `${w}.src`, false).addr : undefined;
      routes.push({
        dst, type, metric: r.metric === undefined ? 0 : uint(r.metric, `${w}.metric`, 0, 0xffffffff),
        ...(via ? { via } : {}), ...(dev !== undefined ? { dev } : {}), ...(src !== undefined ? { src } : {}),
        ...(r.mtu !== undefined ? { mtu: uint(r.mtu, `${w}.mtu`, MTU_MIN, MTU_MAX) } : {}),
      });
    });
  }
  const neighbours: WorldNeighbour[] = [];
  if (o.neighbours !== undefined) {
    if (!Array.isArray(o.neighbours)) throw new WorldError('neighbours', 'must be an array');
    o.neighbours.forEach((x, k) => {
      const w = `neighbours[${k}]`;
      if (typeof x !== 'object' || x === null) throw new WorldError(w, 'must be an object');
      const r = x as Record<string, unknown>;
      neighbours.push({ ip: parsePrefix(r.ip, `${w}.ip`, false), mac: parseMac(r.mac, `${w}.mac`), dev: hasDev(uint(r.dev, `${w}.dev`, 1, 0x7fffffff), `${w}.dev`) });
    });
  }
  const world: World = { interfaces, routes, neighbours, ingress };
  if (o.seed !== undefined) world.seed = uint(o.seed, 'seed', 0, 0xffffffff);
  if (o.clock_step_ns !== undefined) world.clockStepNs = uint(o.clock_step_ns, 'clock_step_ns', 0, Number.MAX_SAFE_INTEGER);
  return world;
}

/** The interface named by ifindex, or a placeholder for one the world does not describe. */
export function interfaceName(world: World, ifindex: number): string {
  return world.interfaces.find((i) => i.ifindex === ifindex)?.name ?? `if${ifindex}`;
}
