/**
 * Object loading: `parseObject(bytes)` turns a clang `-target bpf` object
 * into an ObjectSpec — programs (linked with their subprograms), map specs
 * (legacy, BTF-defined, global data, .kconfig), externs, BTF — without
 * creating anything. The runtime step then:
 *   1. creates each MapSpec (ObjectSpec.maps[i]); data maps start with `data`,
 *      .kconfig values are written at each extern's `offset`, read-only maps
 *      are frozen; map-in-map / prog-array `slots` are filled once their
 *      targets exist;
 *   2. patches every program at its relocations: 'map' / 'map_value' /
 *      'kconfig' lddw instructions carry the map index in imm (and the value
 *      offset in the second slot) until replaced by the live map reference;
 *      'ksym' needs kernel BTF ids (or is left 0 when weak);
 *   3. applies 'core' relocations with applyCoreRelocations(prog, spec.btf,
 *      targetBtf) unless parseObject already got `targetBtf`.
 * `loadElfEntry(bytes)` is the conformance plugin's --elf input: the linked
 * bytes of the global function `main`.
 */
export * from './constants.js';
export * from './sections.js';
export * from './spec.js';
export * from './object.js';
