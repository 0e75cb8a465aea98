export * from './kinds.js';
export * from './btf.js';
export * from './ext.js';
export * from './core.js';
export * from './write.js';
