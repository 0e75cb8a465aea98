// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * trace_counter: counts openat(2) calls per process and streams one event
 * per call to userspace through a ring buffer.
 *
 * Attached to the raw tracepoint sys_enter, which fires on every system
 * call with args[0] = struct pt_regs * and args[1] = the syscall number;
 * a raw tracepoint is cheaper than the syscalls:sys_enter_openat tracepoint
 * (no argument marshalling) and, unlike it, can be exercised with
 * BPF_PROG_TEST_RUN.
 *
 *  - `counts` (hash): tgid -> openat calls
 *  - `events` (ringbuf): struct event per call; a full buffer is counted in
 *    the .bss `dropped_events`
 *  - .rodata `target_tgid`: when non-zero, only that process is traced
 *
 * __NR_openat comes from the target architecture's <asm/unistd.h>, so the
 * object is built per architecture (x86_64: 257, arm64: 56).
 */
#include <linux/bpf.h>
#include <asm/unistd.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 tgid;
	__u32 pid;	/* thread id */
	__u64 count;	/* this process's openat calls so far, this one included */
	__s64 syscall_nr;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8192);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

const volatile __u32 target_tgid = 0;

__u64 dropped_events;

SEC("raw_tracepoint/sys_enter")
int trace_openat(struct bpf_raw_tracepoint_args *ctx)
{
	__s64 nr = ctx->args[1];
	__u64 pid_tgid, one = 1, *cnt, count = 1;
	struct event *e;
	__u32 tgid;

	if (nr != __NR_openat)
		return 0;
	pid_tgid = bpf_get_current_pid_tgid();
	tgid = pid_tgid >> 32;
	if (target_tgid && tgid != target_tgid)
		return 0;

	cnt = bpf_map_lookup_elem(&counts, &tgid);
	if (cnt)
		count = __sync_add_and_fetch(cnt, 1);
	else
		bpf_map_update_elem(&counts, &tgid, &one, BPF_ANY);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped_events, 1);
		return 0;
	}
	e->tgid = tgid;
	e->pid = (__u32)pid_tgid;
	e->count = count;
	e->syscall_nr = nr;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
