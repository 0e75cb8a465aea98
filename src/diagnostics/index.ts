/**
 * Numbered diagnostics. Every error the engine raises carries a stable code
 * (like the AssemblyScript compiler's DiagnosticCode) so that tools and tests
 * can match on the code rather than on message text, plus a location.
 *
 * Ranges: 1xxx decode/encode, 2xxx assembler, 3xxx execution (interpreter and
 * JIT sandbox), 4xxx ELF/BTF loading, 5xxx verifier, 6xxx maps, 7xxx JIT
 * compilation, 8xxx host input (pcap, CLI, files).
 */
export const DiagnosticCode = {
  // decode / encode
  TruncatedProgram: 1001,
  UnknownOpcode: 1002,
  InvalidRegister: 1003,
  ReservedFieldNonZero: 1004,
  TruncatedLddw: 1005,
  InvalidLddwSecondSlot: 1006,
  InvalidImmediate: 1007,
  EmptyProgram: 1008,
  // assembler
  AsmSyntax: 2001,
  AsmUnknownMnemonic: 2002,
  AsmOperand: 2003,
  AsmUnknownLabel: 2004,
  AsmRange: 2005,
  // execution
  MemoryAccessViolation: 3001,
  InstructionBudgetExhausted: 3002,
  UnknownHelper: 3003,
  CallDepthExceeded: 3004,
  JumpOutOfRange: 3005,
  FellOffEnd: 3006,
  UnsupportedInstruction: 3007,
  HelperFault: 3008,
  TailCallLimit: 3009,
  // ELF / BTF loading
  ElfTruncated: 4001,
  ElfBadMagic: 4002,
  ElfUnsupported: 4003,
  ElfBadSectionHeader: 4004,
  ElfBadString: 4005,
  ElfBadSymbol: 4006,
  ElfBadRelocation: 4007,
  ElfUnsupportedRelocation: 4008,
  ElfUnknownSectionType: 4009,
  ElfMissingSymbol: 4010,
  BtfBad: 4020,
  BtfBadTypeId: 4021,
  BtfUnknownKind: 4022,
  BtfExtBad: 4023,
  CoreRelocation: 4030,
  LoaderBadProgram: 4040,
  LoaderBadMap: 4041,
  LoaderBadData: 4042,
  LoaderNoEntry: 4043,
  LoaderUnknownKfunc: 4044,
  // maps
  MapOperation: 6001,
  MapBadFd: 6002,
  // verifier
  VerifierRejected: 5001,
  VerifierCfg: 5002,
  VerifierTooComplex: 5003,
  // JIT
  JitUnsupported: 7001,
  JitTooLarge: 7002,
  // ahead-of-time modules (src/aot): a precompiled set that does not fit this engine or itself
  AotManifest: 7020,
  AotEngineVersion: 7021,
  AotChecksum: 7022,
  AotModuleInvalid: 7023,
  AotModuleMismatch: 7024,
  AotModuleMissing: 7025,
  AotLayoutMismatch: 7026,
  // host input
  BadInput: 8001,
  BadCapture: 8002,
  BadWorld: 8003,
  CaptureRunStopped: 8004,
} as const;

export type DiagnosticCodeName = keyof typeof DiagnosticCode;

/** Base class of every error the engine throws on purpose. */
export class EbpfError extends Error {
  readonly code: number;
  readonly codeName: DiagnosticCodeName;
  constructor(codeName: DiagnosticCodeName, message: string) {
    super(`EW${DiagnosticCode[codeName]}: ${message}`);
    this.name = 'EbpfError';
    this.code = DiagnosticCode[codeName];
    this.codeName = codeName;
  }
}

/** An error about one instruction of a program: names its pc (slot index). */
export class ProgramError extends EbpfError {
  readonly pc: number;
  constructor(codeName: DiagnosticCodeName, pc: number, message: string) {
    super(codeName, `pc ${pc}: ${message}`);
    this.name = 'ProgramError';
    this.pc = pc;
  }
}

/** Malformed bytecode. */
export class DecodeError extends ProgramError {
  constructor(codeName: DiagnosticCodeName, pc: number, message: string) {
    super(codeName, pc, message);
    this.name = 'DecodeError';
  }
}

/** A fault while running a program (sandbox violation, budget, bad helper). */
export class ExecutionError extends ProgramError {
  constructor(codeName: DiagnosticCodeName, pc: number, message: string) {
    super(codeName, pc, message);
    this.name = 'ExecutionError';
  }
}

/** Assembler input error: names the source line. */
export class AsmError extends EbpfError {
  readonly line: number;
  constructor(codeName: DiagnosticCodeName, line: number, message: string) {
    super(codeName, `line ${line}: ${message}`);
    this.name = 'AsmError';
    this.line = line;
  }
}

/**
 * Malformed or unsupported object file input. Names the place: a section
 * (by name or index), a byte offset into the file or section, and/or a symbol.
 */
export interface LoadPlace {
  readonly section?: string;
  readonly offset?: number;
  readonly symbol?: string;
}

export class LoadError extends EbpfError {
  readonly section?: string;
  readonly offset?: number;
  readonly symbol?: string;
  /** The message without its place prefix (to re-raise with a fuller place). */
  readonly detail: string;
  constructor(codeName: DiagnosticCodeName, place: LoadPlace, message: string) {
    const where: string[] = [];
    if (place.section !== undefined) where.push(`section ${place.section}`);
    if (place.offset !== undefined) where.push(`offset 0x${place.offset.toString(16)}`);
    if (place.symbol !== undefined) where.push(`symbol ${place.symbol}`);
    super(codeName, `${where.length ? where.join(', ') + ': ' : ''}${message}`);
    this.name = 'LoadError';
    this.detail = message;
    if (place.section !== undefined) this.section = place.section;
    if (place.offset !== undefined) this.offset = place.offset;
    if (place.symbol !== undefined) this.symbol = place.symbol;
  }
}

/**
 * A failed map operation: the errno the kernel returns for the same operation
 * on the same map type (name and number), plus a message saying why.
 */
export class MapError extends EbpfError {
  readonly errno: number;
  readonly errnoName: string;
  constructor(errnoName: string, errno: number, message: string, codeName: DiagnosticCodeName = 'MapOperation') {
    super(codeName, `${errnoName}: ${message}`);
    this.name = 'MapError';
    this.errno = errno;
    this.errnoName = errnoName;
  }
}

/** The verifier rejected a program: names the pc and keeps the kernel's message and log. */
export class VerifierError extends ProgramError {
  /** The kernel-worded message, without code or pc. */
  readonly kernelMessage: string;
  readonly log: string;
  constructor(codeName: DiagnosticCodeName, pc: number, message: string, log = '') {
    super(codeName, pc, message);
    this.name = 'VerifierError';
    this.kernelMessage = message;
    this.log = log;
  }
}

/**
 * A precompiled (AOT) set that cannot be loaded: names the manifest entry
 * (program or map) and, for modules, the file.
 */
export class AotError extends EbpfError {
  readonly program?: string;
  readonly file?: string;
  constructor(codeName: DiagnosticCodeName, place: { program?: string; file?: string; map?: string }, message: string) {
    const where: string[] = [];
    if (place.program !== undefined) where.push(`program ${place.program}`);
    if (place.map !== undefined) where.push(`map ${place.map}`);
    if (place.file !== undefined) where.push(`file ${place.file}`);
    super(codeName, `${where.length ? where.join(', ') + ': ' : ''}${message}`);
    this.name = 'AotError';
    if (place.program !== undefined) this.program = place.program;
    if (place.file !== undefined) this.file = place.file;
  }
}
