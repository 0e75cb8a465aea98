export * from './constants.js';
export * from './reader.js';
