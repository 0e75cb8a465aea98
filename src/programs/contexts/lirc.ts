/**
 * The lirc_mode2 context: one u32 raw IR sample (LIRC_MODE2 encoding: mode
 * in the top byte, value in the low 24 bits), read only and exactly
 * (lirc_mode2_is_valid_access, drivers/media/rc/bpf-lirc.c).
 */
import type { ContextSpec } from '../context.js';

export const LIRC_SAMPLE_SIZE = 4;

export const LIRC_SAMPLE_CTX: ContextSpec = {
  struct: 'lirc_mode2_sample', size: LIRC_SAMPLE_SIZE,
  fields: [{ name: 'sample', offset: 0, size: 4, kind: 'scalar', writable: false }],
};

/** LIRC_MODE2_* (include/uapi/linux/lirc.h): the sample's top byte. */
export const LIRC_MODE2 = { SPACE: 0x00000000, PULSE: 0x01000000, FREQUENCY: 0x02000000, TIMEOUT: 0x03000000, OVERFLOW: 0x04000000 } as const;
export const LIRC_VALUE_MASK = 0x00ffffff;
