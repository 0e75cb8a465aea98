/**
 * Reader of the bpf_conformance suite's `.data` test files, following the
 * upstream runner's processing rules (see bpf_conformance/README.md):
 * CR and `#` comments are stripped first, then any line containing `--` is a
 * section header chosen by substring in a fixed order, empty lines are
 * ignored, and text before the first header is ignored.
 */
import { INSTRUCTION_BYTES } from './opcodes.js';
import type { Instruction } from './instruction.js';
import type { ConformanceGroup } from './spec.js';

/** The sections of a `.data` file, already decoded. */
export interface ConformanceData {
  /** The `-- asm` section, one source line per line (comments removed). */
  asm?: string;
  /**
   * 1-based line of the file where `asm` starts (empty lines are kept in
   * `asm`), so `assemble(asm, { firstLine: asmFirstLine })` names file lines.
   */
  asmFirstLine?: number;
  /** The `-- raw` program as little-endian bytes, 8 per slot. */
  raw?: Uint8Array;
  /** How `raw` was written: 64-bit words (the README's form) or bytes (as in `negative/unused-*`). */
  rawForm?: 'words' | 'bytes';
  /** The `-- mem` input memory. */
  mem?: Uint8Array;
  /** The expected r0 (64-bit, unsigned). */
  result?: bigint;
  /** The expected error text (last line of `-- error`; '' when the section is empty). */
  error?: string;
  /** Set when the upstream runner would skip this file, with the reason. */
  skipReason?: string;
}

type Section = 'asm' | 'result' | 'mem' | 'raw' | 'ignored' | 'error';

/** Header substrings in the order the runner tests them. */
const HEADERS: ReadonlyArray<readonly [string, Section]> = [
  ['asm', 'asm'], ['result', 'result'], ['mem', 'mem'], ['raw', 'raw'],
  ['no register offset', 'ignored'], [' c', 'ignored'], ['error', 'error'],
];
const HEADER_MARK = '--';
const COMMENT = '#';
const HEX_PREFIX = '0x';
const BYTE_RE = /^[0-9a-fA-F]{2}$/;
const U64_MASK = (1n << 64n) - 1n;

function parseU64(tok: string): bigint {
  const t = tok.trim();
  const v = t.toLowerCase().includes(HEX_PREFIX) ? BigInt(t.replace(/^(-?)0x/i, '$10x')) : BigInt(t);
  return BigInt.asUintN(64, v) & U64_MASK;
}

/** Raw words (hex with `0x`, else decimal) or, when every line is 8 two-digit hex tokens, bytes. */
function parseRaw(lines: readonly string[]): { bytes: Uint8Array; form: 'words' | 'bytes' } {
  const rows = lines.map((l) => l.split(/\s+/).filter((t) => t !== ''));
  const byteForm = rows.length > 0 && rows.every((r) => r.length === INSTRUCTION_BYTES && r.every((t) => BYTE_RE.test(t)));
  if (byteForm) {
    return { bytes: new Uint8Array(rows.flat().map((t) => parseInt(t, 16))), form: 'bytes' };
  }
  const words = rows.flat().map(parseU64);
  const bytes = new Uint8Array(words.length * INSTRUCTION_BYTES);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setBigUint64(i * INSTRUCTION_BYTES, w, true));
  return { bytes, form: 'words' };
}

/**
 * Parses a bpf_conformance `.data` file.
 * @param text the file contents
 * @returns the decoded sections; `skipReason` is set when the upstream runner
 *   would skip the file (an unknown section header, or neither `result` nor `error`).
 */
export function parseConformanceData(text: string): ConformanceData {
  const lines = new Map<Section, Array<{ text: string; line: number }>>();
  const seen = new Set<Section>();
  let section: Section | undefined;
  let skipReason: string | undefined;
  text.split('\n').forEach((rawLine, i) => {
    let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const hash = line.indexOf(COMMENT);
    if (hash >= 0) line = line.slice(0, hash);
    if (line.includes(HEADER_MARK)) {
      const hit = HEADERS.find(([needle]) => line.includes(needle));
      if (!hit) {
        skipReason ??= `unknown section header '${line.trim()}'`;
        section = undefined;
        return;
      }
      section = hit[1];
      seen.add(section);
      return;
    }
    if (section === undefined) return;
    // Empty asm lines are kept so that asm line numbers map to file lines.
    if (line.trim() === '' && (section !== 'asm' || !lines.has('asm'))) return;
    let list = lines.get(section);
    if (!list) lines.set(section, (list = []));
    list.push({ text: line, line: i + 1 });
  });

  const out: ConformanceData = {};
  const asm = lines.get('asm');
  if (asm) {
    while (asm.length > 0 && asm[asm.length - 1]!.text.trim() === '') asm.pop();
    out.asm = asm.map((l) => l.text).join('\n');
    out.asmFirstLine = asm[0]?.line ?? 1;
  } else if (seen.has('asm')) {
    out.asm = '';
  }
  const raw = lines.get('raw');
  if (raw) {
    const { bytes, form } = parseRaw(raw.map((l) => l.text));
    out.raw = bytes;
    out.rawForm = form;
  }
  const mem = lines.get('mem');
  if (mem) {
    const toks = mem.flatMap((l) => l.text.split(/\s+/)).filter((t) => t !== '');
    out.mem = new Uint8Array(toks.map((t) => parseInt(t, 16)));
  }
  const result = lines.get('result');
  if (result) out.result = parseU64(result[result.length - 1]!.text);
  if (seen.has('error')) {
    const err = lines.get('error');
    out.error = err ? err[err.length - 1]!.text.trim() : '';
  }
  if (skipReason) out.skipReason = skipReason;
  else if (out.result === undefined && out.error === undefined) out.skipReason = 'no result or error section';
  return out;
}

/** What a program needs, as the conformance runner derives it from its instruction table. */
export interface ConformanceRequirements {
  /** Union of the instructions' groups, sorted (no implied subsets added). */
  groups: ConformanceGroup[];
  /** Highest cpu version any instruction needs. */
  cpuVersion: 1 | 2 | 3 | 4;
}

/** Groups a 64-bit group brings along when it is enabled. */
const IMPLIED_GROUPS: Readonly<Partial<Record<ConformanceGroup, ConformanceGroup>>> = {
  base64: 'base32', atomic64: 'atomic32', divmul64: 'divmul32',
};
/** The runner's default groups (callx and packet are off). */
export const DEFAULT_CONFORMANCE_GROUPS: readonly ConformanceGroup[] = ['base32', 'base64', 'atomic32', 'atomic64', 'divmul32', 'divmul64'];
/** The runner's default `--cpu_version`. */
export const DEFAULT_CONFORMANCE_CPU_VERSION = 3;

/**
 * Groups and cpu version a program requires, from the spec table (as the
 * runner computes a test's requirements).
 * @param instructions the program, e.g. `decode(bytes).instructions`
 */
export function conformanceRequirements(instructions: readonly Instruction[]): ConformanceRequirements {
  const groups = [...new Set(instructions.map((i) => i.spec.group))].sort();
  let cpuVersion: ConformanceRequirements['cpuVersion'] = 1;
  for (const i of instructions) if (i.spec.cpuVersion > cpuVersion) cpuVersion = i.spec.cpuVersion;
  return { groups, cpuVersion };
}

/**
 * Whether the runner would run a test with these requirements, or why it would skip it.
 * @param req from `conformanceRequirements`
 * @param enabled enabled groups (64-bit groups imply their 32-bit subsets) and cpu version
 * @returns undefined when it runs, else the skip reason
 */
export function conformanceSkipReason(
  req: ConformanceRequirements,
  enabled: { groups?: readonly ConformanceGroup[]; cpuVersion?: number } = {},
): string | undefined {
  const cpu = enabled.cpuVersion ?? DEFAULT_CONFORMANCE_CPU_VERSION;
  if (req.cpuVersion > cpu) return `needs cpu version v${req.cpuVersion} (have v${cpu})`;
  const have = new Set(enabled.groups ?? DEFAULT_CONFORMANCE_GROUPS);
  for (const g of [...have]) { const sub = IMPLIED_GROUPS[g]; if (sub) have.add(sub); }
  const missing = req.groups.filter((g) => !have.has(g));
  return missing.length > 0 ? `needs group(s) ${missing.join(', ')}` : undefined;
}
