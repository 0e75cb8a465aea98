#!/usr/bin/env node
/**
 * The ebpf-wasm command line: a thin layer over the library API.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EbpfError } from '../diagnostics/index.js';
import { parseHexBytes, toHex } from './hex.js';
import { loadProgramFile } from './program-file.js';
import { runRawBytes } from './run-bytes.js';
import { encode } from '../isa/encode.js';
import { assembleToBytes } from '../isa/assemble.js';
import { disassemble } from '../isa/disassemble.js';
import { parseObject } from '../loader/object.js';
import type { ObjectSpec, ProgramSpec } from '../loader/spec.js';
import { describeMap, disassembleProgramSpec } from '../loader/describe.js';
import { ObjectUsageError, testRunObject } from './commands/test-run-object.js';
import { runObject } from './commands/run.js';
import { mapDump } from './commands/map-dump.js';
import { verifyCommand, VERIFY_USAGE, parseProgramType, parseMapArg } from './commands/verify.js';
import { verifyForLoad } from '../runtime/verify-load.js';
import { benchCommand, BENCH_USAGE } from './commands/bench.js';
import { compileCommand, COMPILE_USAGE } from './commands/compile.js';
import { genCommand, GEN_USAGE } from './commands/gen-skeleton.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
function isElf(b: Uint8Array): boolean {
  return ELF_MAGIC.every((v, i) => b[i] === v);
}
function selectPrograms(spec: ObjectSpec, name: string | undefined): readonly ProgramSpec[] {
  if (name === undefined) return spec.programs;
  const p = spec.programs.find((x) => x.name === name);
  if (!p) throw new UsageError(`no program '${name}' (the object has: ${spec.programs.map((x) => x.name).join(', ')})`);
  return [p];
}

const USAGE = `usage: ebpf-wasm <command> [options]

commands:
  asm FILE.s -o FILE.bin
      assemble conformance-syntax assembly into 8-byte instructions
  disasm FILE [--prog NAME] [--syntax llvm|conformance]
      disassemble an object's programs (with BTF source lines), instruction bytes, hex text or
      assembly (default: llvm-objdump syntax)
  maps PROG.o
      the maps an object defines
  test-run PROG.o [--prog NAME] [--data FILE | --data-hex HEX] [--ctx FILE | --ctx-hex HEX] [--repeat N]
           [--map-init MAP=FILE]... [--dump-maps] [--json] [--unverified] [--tier jit|interpreter]
      BPF_PROG_TEST_RUN on a program of an object, printed as the kernel oracle prints it
      (default tier: jit; the interpreter is the reference)
  run PROG.o --pcap IN [--prog NAME] [--out OUT.pcapng] [--out-format pcapng|pcap] [--tier jit|interpreter]
           [--cpus N] [--spread flow|round-robin] [--seed S] [--clock-step NS] [--world FILE]
           [--map-init MAP=FILE]... [--per-packet] [--json] [--dump-maps] [--unverified] [--budget N]
      every packet of a capture (pcap or pcapng) through a program in a simulated world: verdict
      counts, packets/s, events, maps decoded through BTF; --out writes the packets that go on,
      tagged by interface and direction; --cpus N runs N worker threads (docs/RUN.md)
      (run-pcap: the oracle's spelling, with --per-packet; there --cpus N is the possible CPUs)
  map dump PROG.o [--map NAME] [--json] [--map-init MAP=FILE]...
      an object's maps after loading (--json: bpftool -j map dump shape)
  test-run --raw FILE [--data-hex HEX | --data FILE] [--tier interpreter|jit] [--unverified] [--budget N]
           [--type TYPE [--map SPEC]...]
      run a bare program (r1 = data, r2 = length) and print its r0 as 'retval: N'
      FILE: instruction bytes, hex text, or conformance-syntax assembly (.s/.asm)
      with --type the program is verified as that type first (rejection: exit 1)
${VERIFY_USAGE}
${BENCH_USAGE}
${COMPILE_USAGE}
${GEN_USAGE}`;

type Handler = (argv: string[]) => Promise<number>;

const commands: Record<string, Handler> = {
  verify: verifyCommand,
  asm: async (argv) => {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
    if (positionals.length !== 1 || !values.output) throw new UsageError('asm takes FILE.s -o FILE.bin');
    const bytes = assembleToBytes(readFileSync(positionals[0]!, 'utf8'));
    writeFileSync(values.output, bytes);
    process.stdout.write(`${values.output}: ${bytes.length / 8} instruction slots\n`);
    return 0;
  },
  disasm: async (argv) => {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { syntax: { type: 'string' }, prog: { type: 'string' } } });
    if (positionals.length !== 1) throw new UsageError('disasm takes one file');
    const syntax = values.syntax ?? 'llvm';
    if (syntax !== 'llvm' && syntax !== 'conformance') throw new UsageError(`--syntax takes llvm or conformance, not ${syntax}`);
    const bytes = new Uint8Array(readFileSync(positionals[0]!));
    if (isElf(bytes)) {
      const spec = parseObject(bytes);
      const progs = selectPrograms(spec, values.prog);
      process.stdout.write(progs.map((p) => disassembleProgramSpec(p, syntax)).join('\n'));
      return 0;
    }
    process.stdout.write(disassemble(loadProgramFile(positionals[0]!), { syntax, showPc: syntax === 'llvm' }));
    return 0;
  },
  maps: async (argv) => {
    const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError('maps takes one object file');
    const spec = parseObject(new Uint8Array(readFileSync(positionals[0]!)));
    process.stdout.write(spec.maps.map((m) => describeMap(m) + '\n').join(''));
    return 0;
  },
  'test-run': async (argv) => {
    const { values, positionals } = parseArgs({
      args: argv, allowPositionals: true,
      options: {
        raw: { type: 'boolean' }, 'data-hex': { type: 'string' }, data: { type: 'string' },
        tier: { type: 'string' }, unverified: { type: 'boolean' }, budget: { type: 'string' },
        type: { type: 'string' }, map: { type: 'string', multiple: true },
      },
    });
    if (positionals.length !== 1) throw new UsageError('test-run takes one program file');
    if (!values.raw) throw new UsageError('test-run on object files arrives with the loader; use --raw for bare programs');
    // the JIT is the default tier; the interpreter is the reference
    const tier = values.tier ?? 'jit';
    if (tier !== 'interpreter' && tier !== 'jit') throw new UsageError(`--tier takes interpreter or jit, not ${tier}`);
    if (values['data-hex'] !== undefined && values.data !== undefined) throw new UsageError('give --data-hex or --data, not both');
    const data = values['data-hex'] !== undefined ? parseHexBytes(values['data-hex'], '--data-hex')
      : values.data !== undefined ? new Uint8Array(readFileSync(values.data)) : undefined;
    const program = loadProgramFile(positionals[0]!);
    const budget = values.budget !== undefined ? Number(values.budget) : undefined;
    if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) throw new UsageError('--budget takes a positive integer');
    if (!values.unverified && values.type === undefined) {
      throw new UsageError('a raw program has no verifier verdict (the verifier needs a program type); pass --type TYPE to verify it, or --unverified to run it inside the sandbox');
    }
    if (values.type !== undefined) {
      // verified as the given type (rejection throws a VerifierError: exit 1); the raw run itself stays sandboxed
      let type, maps;
      try { type = parseProgramType(values.type); maps = (values.map ?? []).map(parseMapArg); } catch (e) { throw new UsageError((e as Error).message); }
      const v = verifyForLoad(program, { type, maps });
      process.stderr.write(`verified as ${type} (processed ${v.stats.processed} insns)\n`);
    }
    const run = await runRawBytes(encode(program.instructions), data, { tier, unverified: true, budget });
    process.stdout.write(`retval: ${run.r0}\n`);
    if (data) process.stdout.write(`data_out: ${toHex(run.dataOut)}\n`);
    return 0;
  },
};

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(USAGE); return cmd ? 0 : 2; }
  if (cmd === 'test-run' && !rest.includes('--raw')) return testRunObject(rest);
  if (cmd === 'run') return runObject(rest);
  if (cmd === 'run-pcap') return runObject(rest, true);
  if (cmd === 'map') return mapDump(rest);
  if (cmd === 'bench') return benchCommand(rest);
  if (cmd === 'compile') return compileCommand(rest);
  if (cmd === 'gen') return genCommand(rest);
  const handler = commands[cmd];
  if (!handler) { process.stderr.write(`ebpf-wasm: unknown command '${cmd}'\n${USAGE}`); return 2; }
  return handler(rest);
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  if (e instanceof UsageError || e instanceof ObjectUsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`ebpf-wasm: ${e.message}\n`); process.exitCode = 2;
  } else if (e instanceof EbpfError || e instanceof Error) {
    process.stderr.write(`ebpf-wasm: ${e.message}\n`); process.exitCode = 1;
  } else { process.stderr.write(`ebpf-wasm: ${String(e)}\n`); process.exitCode = 1; }
});
