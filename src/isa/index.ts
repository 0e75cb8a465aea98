export * from './opcodes.js';
export * from './spec.js';
export * from './instruction.js';
export * from './decode.js';
export * from './encode.js';
export * from './assemble.js';
export * from './disassemble.js';
export * from './conformance-data.js';
