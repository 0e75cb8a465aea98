/**
 * bpf_get_ns_current_pid_tgid (kernel/bpf/helpers.c): the current task's pid
 * and tgid as seen from the pid namespace named by (dev, ino), the st_dev and
 * st_ino of /proc/self/ns/pid that user space passes in (libbpf-bootstrap's
 * minimal_ns sets them through .rodata). The simulated task lives in the
 * initial pid namespace, so its numbers there are its own. A wrong `size`, a
 * dev that does not fit dev_t or a namespace other than the task's gives
 * -EINVAL, and nsdata is zeroed whenever the call fails. Every program type
 * may call it (bpf_base_func_proto since 6.10).
 */
import type { Machine } from '../runtime/machine.js';
import type { HelperRegistry } from './table.js';
import { currentTask, helperWritable } from '../programs/task.js';

const EINVAL = 22, EFAULT = 14;
const neg = (e: number): bigint => BigInt.asUintN(64, BigInt(-e));
/** sizeof(struct bpf_pidns_info): __u32 pid, tgid. */
export const BPF_PIDNS_INFO_SIZE = 8;
/** PROC_PID_INIT_INO (include/linux/proc_ns.h): the initial pid namespace's inode. */
export const PROC_PID_INIT_INO = 0xeffffffcn;
/**
 * The nsfs device of the simulated namespaces: the kernel's dev_t of the nsfs
 * mount, MKDEV(0, 4) on a kernel whose first anonymous devices went to the
 * earliest mounts (what `stat -L -c %d /proc/self/ns/pid` printed on the
 * development machine, a 6.18 kernel).
 */
export const NSFS_DEV = 4n;
/** dev_t is 32 bits: larger values cannot name a device. */
const DEV_T_MAX = 0xffffffffn;

export function registerPidNsHelpers(registry: HelperRegistry): HelperRegistry {
  registry.register('bpf_get_ns_current_pid_tgid', {
    js: (rt, dev, ino, nsdata, sizeArg) => {
      const m = rt as Machine;
      const size = Number(BigInt.asUintN(32, sizeArg));
      // unverified code only: a destination the verifier would refuse
      if (size > 0 && !helperWritable(m, m.cpu, nsdata, size)) return neg(EFAULT);
      const out = new DataView(m.memory.buffer, Number(nsdata), size);
      const fail = (): bigint => { new Uint8Array(m.memory.buffer, Number(nsdata), size).fill(0); return neg(EINVAL); };
      if (size !== BPF_PIDNS_INFO_SIZE || dev > DEV_T_MAX) return fail();
      if (dev !== NSFS_DEV || ino !== PROC_PID_INIT_INO) return fail();
      const t = currentTask(m);
      out.setUint32(0, t.pid >>> 0, true);
      out.setUint32(4, t.tgid >>> 0, true);
      return 0n;
    },
  }, {
    proto: { ret: 'integer', args: ['anything', 'anything', 'ptr_to_uninit_mem', 'const_size'], gplOnly: false },
    programTypes: 'all',
  });
  return registry;
}
