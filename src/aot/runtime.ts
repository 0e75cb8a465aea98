/** The Binaryen-free half of src/aot (what `ebpf-wasm/runtime` exports). */
export {
  loadPrecompiled, checkModuleBytes, PrecompiledMap, PrecompiledProgram,
  type LoadPrecompiledOptions, type PrecompiledInput, type PrecompiledSet,
} from './load.js';
export type { AotManifest, AotMap, AotProgram, AotLayout, AotField, AotModuleEntry } from './manifest.js';
export { sha256Hex } from './sha256.js';
export { ENGINE_NAME, ENGINE_VERSION, MANIFEST_FORMAT } from './version.js';
