/**
 * The load plan for the kernel oracle's single-program mode (test/kernel/oracle.c
 * --plan): OUR loader's parse of an object (src/loader: programs, map specs,
 * relocations, global data, BTF) written as plain lines that oracle.c turns into
 * bpf() calls (BPF_BTF_LOAD, BPF_MAP_CREATE, BPF_MAP_UPDATE_ELEM, BPF_MAP_FREEZE,
 * BPF_PROG_LOAD). The kernel still verifies and runs the program; only the ELF
 * plumbing is ours, so objects libbpf refuses as a whole (legacy `maps`
 * section, pinning, a sibling program the kernel rejects, sections without a
 * libbpf type) can still be run one program at a time.
 *
 *   node dist/test/kernel/plan.js OBJ.o --prog NAME [--type PROGTYPE] > PLAN
 *
 * Lines (numbers decimal, blobs lowercase hex, `-` for none):
 *   btf HEX                         the object's .BTF, DATASEC sizes and offsets filled in as libbpf does
 *   map NAME TYPE KS VS MAX FLAGS EXTRA BTFKEY BTFVAL FREEZE INTERNAL INNER DATA
 *                                   INNER: TYPE,KS,VS,MAX,FLAGS of a map-in-map's template or `-`
 *   prog NAME TYPE ATTACH INSNS LICENSEHEX FUNCINFO
 *                                   in the object's order; the others fill prog arrays;
 *                                   FUNCINFO: PC:TYPEID,... (bpf_func_info, needs the btf line) or `-`
 *   entry N                         the program to run (index among the prog lines)
 *   reloc PROG PC MAP               lddw at PC (src 1 or 2, as parsed) gets MAP's fd in imm
 *   slot MAP INDEX map|prog N       a map-in-map / prog-array initial slot
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { release } from 'node:os';
import { parseObject } from '../../src/loader/object.js';
import type { MapSpec, ObjectSpec, ProgramSpec } from '../../src/loader/spec.js';
import { readElf, type ElfFile } from '../../src/elf/reader.js';
import { BtfKind, BTF_TYPE_SIZE, INFO_KIND_MASK, INFO_KIND_SHIFT, INFO_VLEN_MASK } from '../../src/btf/kinds.js';
import { internalMapName, objectNameFromPath } from '../../src/object/object.js';
import { PROGRAM_TYPE_IDS, type ProgramTypeName } from '../../src/programs/types.js';
import { ATTACH_TYPES } from '../../src/loader/sections.js';

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Bytes that follow a btf_type of each kind: fixed, plus per vlen entry (linux/btf.h). */
const KIND_EXTRA: Record<number, { fixed: number; perVlen: number }> = {
  [BtfKind.INT]: { fixed: 4, perVlen: 0 }, [BtfKind.PTR]: { fixed: 0, perVlen: 0 }, [BtfKind.ARRAY]: { fixed: 12, perVlen: 0 },
  [BtfKind.STRUCT]: { fixed: 0, perVlen: 12 }, [BtfKind.UNION]: { fixed: 0, perVlen: 12 }, [BtfKind.ENUM]: { fixed: 0, perVlen: 8 },
  [BtfKind.FWD]: { fixed: 0, perVlen: 0 }, [BtfKind.TYPEDEF]: { fixed: 0, perVlen: 0 }, [BtfKind.VOLATILE]: { fixed: 0, perVlen: 0 },
  [BtfKind.CONST]: { fixed: 0, perVlen: 0 }, [BtfKind.RESTRICT]: { fixed: 0, perVlen: 0 }, [BtfKind.FUNC]: { fixed: 0, perVlen: 0 },
  [BtfKind.FUNC_PROTO]: { fixed: 0, perVlen: 8 }, [BtfKind.VAR]: { fixed: 4, perVlen: 0 }, [BtfKind.DATASEC]: { fixed: 0, perVlen: 12 },
  [BtfKind.FLOAT]: { fixed: 0, perVlen: 0 }, [BtfKind.DECL_TAG]: { fixed: 4, perVlen: 0 }, [BtfKind.TYPE_TAG]: { fixed: 0, perVlen: 0 },
  [BtfKind.ENUM64]: { fixed: 0, perVlen: 12 },
};
/** btf_var linkage (linux/btf.h): the kernel takes static and global-allocated only. */
const BTF_VAR_GLOBAL_ALLOCATED = 1, BTF_VAR_GLOBAL_EXTERN = 2;

/**
 * The .BTF section with what libbpf fixes before BPF_BTF_LOAD: clang leaves a
 * DATASEC's size (and sometimes its variables' offsets) at 0, and extern
 * .kconfig variables are made global-allocated in the .kconfig map.
 */
function fixedBtf(raw: Uint8Array, spec: ObjectSpec, elf: ElfFile): Uint8Array {
  const b = raw.slice();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hdrLen = v.getUint32(4, true), typeOff = v.getUint32(8, true), typeLen = v.getUint32(12, true), strOff = v.getUint32(16, true);
  const str = (off: number): string => {
    const at = hdrLen + strOff + off;
    let e = at;
    while (e < b.length && b[e] !== 0) e++;
    return Buffer.from(b.subarray(at, e)).toString('latin1');
  };
  const types: { at: number; kind: number; name: string }[] = [{ at: -1, kind: 0, name: '' }];
  for (let p = hdrLen + typeOff, end = p + typeLen; p < end;) {
    const info = v.getUint32(p + 4, true);
    const kind = (info >>> INFO_KIND_SHIFT) & INFO_KIND_MASK, vlen = info & INFO_VLEN_MASK;
    const extra = KIND_EXTRA[kind];
    if (!extra) throw new Error(`BTF type ${types.length}: unknown kind ${kind}`);
    types.push({ at: p, kind, name: str(v.getUint32(p, true)) });
    p += BTF_TYPE_SIZE + extra.fixed + extra.perVlen * vlen;
  }
  // libbpf's mark_btf_static: hidden global subprograms become static FUNCs (linkage in the vlen bits)
  const hidden = new Set(spec.hiddenFuncs ?? []);
  for (const t of types) {
    if (t.kind !== BtfKind.FUNC || !hidden.has(t.name)) continue;
    const info = v.getUint32(t.at + 4, true);
    v.setUint32(t.at + 4, (info & ~INFO_VLEN_MASK) >>> 0, true);
  }
  for (const t of types) {
    if (t.kind !== BtfKind.DATASEC) continue;
    // an ELF section (its size, its symbols' offsets), or the .kconfig map libbpf lays out
    const sec = elf.sections.find((x) => x.name === t.name);
    const kmap = spec.maps.find((x) => x.section === t.name && x.definition === 'kconfig');
    const size = sec ? sec.size : kmap?.valueSize;
    if (size === undefined) continue;
    if (v.getUint32(t.at + 8, true) === 0) v.setUint32(t.at + 8, size, true);
    const vlen = v.getUint32(t.at + 4, true) & INFO_VLEN_MASK;
    for (let k = 0; k < vlen; k++) {
      const s = t.at + BTF_TYPE_SIZE + 12 * k;
      const varT = types[v.getUint32(s, true)];
      if (!varT || varT.kind !== BtfKind.VAR) continue;
      const off = sec ? elf.symbols.find((y) => y.shndx === sec.index && y.name === varT.name)?.value
        : kmap?.variables?.find((x) => x.name === varT.name)?.offset;
      if (off !== undefined) v.setUint32(s + 4, off, true);
      if (v.getUint32(varT.at + BTF_TYPE_SIZE, true) === BTF_VAR_GLOBAL_EXTERN) v.setUint32(varT.at + BTF_TYPE_SIZE, BTF_VAR_GLOBAL_ALLOCATED, true);
    }
  }
  return b;
}

/** The running kernel's kconfig (libbpf reads /proc/config.gz or /boot/config-$(uname -r)). */
function kernelConfig(): Map<string, string> {
  let text = '';
  try { text = gunzipSync(readFileSync('/proc/config.gz')).toString('utf8'); } catch {
    try { text = readFileSync(`/boot/config-${release()}`, 'utf8'); } catch { /* none: weak externs read 0 */ }
  }
  const out = new Map<string, string>();
  for (const l of text.split('\n')) { const m = /^(CONFIG_\w+)=(.*)$/.exec(l); if (m) out.set(m[1]!, m[2]!); }
  return out;
}

/** The .kconfig image as libbpf fills it from the running kernel. */
function kconfigImage(spec: ObjectSpec, m: MapSpec): Uint8Array {
  const img = new Uint8Array(m.valueSize);
  const cfg = kernelConfig();
  const [a = 0, b = 0, c = 0] = release().split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (const e of spec.externs) {
    if (e.kind !== 'kconfig' || e.offset === undefined || e.size === undefined) continue;
    let val: bigint | undefined;
    let s: string | undefined;
    if (e.name === 'LINUX_KERNEL_VERSION') val = BigInt((a << 16) + (b << 8) + Math.min(c, 255));
    // libbpf's own features, probed rather than read from the config: bpf cookies (helper present
    // since 5.15, so 1 here) and the syscall wrapper (a kprobe on __<arch>_sys_bpf: 0 where the
    // kernel has no kprobe PMU, as on this test machine)
    else if (e.name === 'LINUX_HAS_BPF_COOKIE') val = a > 5 || (a === 5 && b >= 15) ? 1n : 0n;
    else if (e.name === 'LINUX_HAS_SYSCALL_WRAPPER') val = existsSync('/sys/bus/event_source/devices/kprobe/type') ? 1n : 0n;
    else {
      const raw = cfg.get(e.name);
      if (raw === undefined) { if (!e.weak) throw new Error(`kconfig extern ${e.name}: not in the running kernel's config`); continue; }
      if (raw === 'y' || raw === 'm' || raw === 'n') val = e.size === 1 ? BigInt(raw === 'y' ? 1 : raw === 'm' ? 2 : 0) : undefined;
      else if (raw.startsWith('"')) s = JSON.parse(raw) as string;
      else val = BigInt(raw);
    }
    if (s !== undefined) img.set(new TextEncoder().encode(s).subarray(0, e.size - 1), e.offset);
    else if (val !== undefined) for (let i = 0; i < e.size; i++) img[e.offset + i] = Number((val >> BigInt(8 * i)) & 0xffn);
  }
  return img;
}

export function planFor(path: string, progName: string, typeOverride?: string): string {
  const bytes = new Uint8Array(readFileSync(path));
  const spec = parseObject(bytes.slice());
  const objName = objectNameFromPath(path);
  const entry = spec.programs.find((p) => p.name === progName);
  if (!entry) throw new Error(`${path}: no program named ${progName}`);
  const lines: string[] = [];
  const elf = readElf(bytes);
  const btfSec = elf.sections.find((s) => s.name === '.BTF');
  const btf = btfSec !== undefined && spec.btf !== undefined;
  if (btf) lines.push(`btf ${hex(fixedBtf(btfSec.data, spec, elf))}`);
  spec.maps.forEach((m) => {
    const internal = m.definition === 'data' || m.definition === 'kconfig';
    const name = internal ? internalMapName(objName, m.section) : m.name;
    const data = m.definition === 'kconfig' ? kconfigImage(spec, m) : m.data;
    const i = m.innerMap;
    lines.push(['map', name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.mapExtra, m.keyType ?? 0, m.valueType ?? 0,
      m.readonly ? 1 : 0, internal ? 1 : 0, i ? [i.type, i.keySize, i.valueSize, i.maxEntries, i.flags].join(',') : '-',
      data && data.length ? hex(data) : '-'].join(' '));
  });
  // the entry and the programs prog-array slots name (loaded for the tail calls), in the object's
  // order as libbpf loads them: their kernel ids, which prog arrays hold, rank the same
  const named = new Set<string>([entry.name]);
  for (const m of spec.maps) for (const s of m.slots ?? []) if (s.program !== undefined) named.add(s.program);
  const progs: ProgramSpec[] = spec.programs.filter((p) => named.has(p.name));
  lines.push(`entry ${progs.indexOf(entry)}`);
  progs.forEach((p, k) => {
    const type = (p === entry && typeOverride ? typeOverride : p.type) as ProgramTypeName;
    const typeId = PROGRAM_TYPE_IDS[type];
    if (typeId === undefined || typeId <= 0) throw new Error(`${p.name}: program type ${type} has no kernel id (give --type)`);
    const attach = p.attachType !== undefined ? ATTACH_TYPES[p.attachType] : 0;
    const fi = btf && p.funcInfo.length ? p.funcInfo.map((f) => `${f.pc}:${f.typeId}`).join(',') : '-';
    lines.push(`prog ${p.name} ${typeId} ${attach} ${hex(p.instructions)} ${hex(new TextEncoder().encode(p.license || spec.license))} ${fi}`);
    for (const r of p.relocations) {
      if (r.kind === 'map' || r.kind === 'map_value' || r.kind === 'kconfig') {
        if (r.mapIndex === undefined) throw new Error(`${p.name}: relocation at pc ${r.pc} names no map`);
        lines.push(`reloc ${k} ${r.pc} ${r.mapIndex}`);
      } else if (r.kind === 'ksym' && !r.weak) throw new Error(`${p.name}: kernel symbol ${r.symbol} at pc ${r.pc}: not supported by the plan`);
    }
  });
  spec.maps.forEach((m, mi) => {
    for (const s of m.slots ?? []) {
      if (s.map !== undefined) {
        const t = spec.maps.findIndex((x) => x.name === s.map);
        if (t >= 0) lines.push(`slot ${mi} ${s.index} map ${t}`);
      } else if (s.program !== undefined) {
        const t = progs.findIndex((x) => x.name === s.program);
        if (t >= 0) lines.push(`slot ${mi} ${s.index} prog ${t}`);
      }
    }
  });
  return lines.join('\n') + '\n';
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const at = (f: string): string | undefined => { const i = args.indexOf(f); return i >= 0 ? args[i + 1] : undefined; };
  const obj = args[0], prog = at('--prog');
  if (!obj || !prog) { process.stderr.write('usage: plan OBJ.o --prog NAME [--type PROGTYPE]\n'); process.exit(2); }
  try { process.stdout.write(planFor(obj, prog, at('--type'))); } catch (e) { process.stderr.write(`plan: ${(e as Error).message}\n`); process.exit(1); }
}
