export * from './constants.js';
export * from './kernels.js';
export * from './syscall.js';
export * from './ringbuf.js';
export * from './object.js';
export * from './perfbuf.js';
export * from './redirect.js';
export * from './stack.js';
