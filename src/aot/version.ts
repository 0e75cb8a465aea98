/**
 * The engine version precompiled modules are tied to (package.json's
 * "version"; test/aot.test.ts checks they agree). A manifest from another
 * version is refused: the module ABI, helper table and map kernels may differ.
 */
export const ENGINE_NAME = 'ebpf-wasm';
export const ENGINE_VERSION = '0.1.0';
/** Shape of manifest.json; bumped when a field changes meaning. */
export const MANIFEST_FORMAT = 1;
