/**
 * Ahead-of-time modules: `compileObject` (Binaryen; Node, build steps) and
 * `loadPrecompiled` (Binaryen-free; every host, re-exported by ebpf-wasm/runtime).
 */
export { compileObject, manifestJson, type CompileObjectOptions, type CompiledSet } from './compile.js';
export * from './runtime.js';
