export * from './constants.js';
export * from './sections.js';
export * from './spec.js';
export * from './object.js';
