"""Shared by the verifier labelling scripts: load programs into the running
kernel with raw bpf() (ctypes) and record the verifier's verdict, errno and
first error line. Needs root."""
import ctypes, ctypes.util, json, os, platform, re, struct

libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
SYS_BPF = 321  # x86_64
BPF_MAP_CREATE, BPF_PROG_LOAD = 0, 5
# The kernel's enum bpf_prog_type / bpf_map_type (the same numbers as src/programs/types.ts and src/maps/constants.ts).
PROG_TYPES = {'socket_filter': 1, 'kprobe': 2, 'sched_cls': 3, 'sched_act': 4, 'tracepoint': 5, 'xdp': 6,
              'perf_event': 7, 'cgroup_skb': 8, 'cgroup_sock': 9, 'lwt_in': 10, 'lwt_out': 11, 'lwt_xmit': 12,
              'sock_ops': 13, 'sk_skb': 14, 'cgroup_device': 15, 'sk_msg': 16, 'raw_tracepoint': 17,
              'cgroup_sock_addr': 18, 'lwt_seg6local': 19, 'lirc_mode2': 20, 'sk_reuseport': 21, 'flow_dissector': 22,
              'cgroup_sysctl': 23, 'raw_tracepoint_writable': 24, 'cgroup_sockopt': 25, 'tracing': 26, 'lsm': 29,
              'sk_lookup': 30, 'syscall': 31, 'netfilter': 32}
MAP_TYPES = {'hash': 1, 'array': 2, 'prog_array': 3, 'perf_event_array': 4, 'percpu_hash': 5, 'percpu_array': 6,
             'stack_trace': 7, 'cgroup_array': 8, 'lru_hash': 9, 'lru_percpu_hash': 10, 'lpm_trie': 11,
             'array_of_maps': 12, 'hash_of_maps': 13, 'devmap': 14, 'sockmap': 15, 'cpumap': 16, 'xskmap': 17,
             'sockhash': 18, 'cgroup_storage': 19, 'reuseport_sockarray': 20, 'percpu_cgroup_storage': 21, 'queue': 22,
             'stack': 23, 'sk_storage': 24, 'devmap_hash': 25, 'ringbuf': 27, 'inode_storage': 28, 'task_storage': 29,
             'bloom_filter': 30, 'cgrp_storage': 32}
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
LOG_SIZE = 1 << 24
# BPF_PROG_LOAD log_level (1: the labels; 4: statistics for timing).
LOG_LEVEL = 1
# An fd that is certainly not a map, for lddw indexes with no map.
NOT_A_MAP_FD = 999999


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    r = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    return r, ctypes.get_errno()


BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4
BPF_F_SLEEPABLE = 1 << 4


def possible_cpus():
    # libbpf_num_possible_cpus: /sys/devices/system/cpu/possible, e.g. "0-3"
    with open('/sys/devices/system/cpu/possible') as f:
        return sum(int(b) - int(a) + 1 if '-' in r else 1 for r in f.read().strip().split(',') for a, _, b in [r.partition('-')])


def map_create(m):
    t = m['type'] if isinstance(m['type'], int) else MAP_TYPES[m['type']]
    inner = map_create(m['inner']) if m.get('inner') else 0  # map-in-map: the inner template
    max_entries = m['maxEntries']
    if t == BPF_MAP_TYPE_PERF_EVENT_ARRAY and max_entries == 0:
        max_entries = possible_cpus()  # libbpf sizes an unsized perf event array to the possible CPUs
    try:
        attr = struct.pack('<IIIIII', t, m['keySize'], m['valueSize'], max_entries, m.get('flags', 0), inner)
        attr += bytes(128 - len(attr))
        fd, err = bpf(BPF_MAP_CREATE, attr)
    finally:
        if inner:
            os.close(inner)
    if fd < 0:
        raise OSError(err, f"map create {m}: {os.strerror(err)}")
    return fd


BPF_BTF_LOAD = 18
BTF_KIND_INT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO = 1, 12, 13


def func_btf(n):
    """A minimal BTF: int, one `int (void)` prototype and n static FUNCs f0..f{n-1}; returns its fd."""
    strs = b'\0int\0' + b''.join(f'f{i}'.encode() + b'\0' for i in range(n))
    types = struct.pack('<IIII', 1, BTF_KIND_INT << 24, 4, (1 << 24) | 32)      # [1] int: signed, 32 bits
    types += struct.pack('<III', 0, BTF_KIND_FUNC_PROTO << 24, 1)               # [2] int (void)
    off = 5
    for i in range(n):                                                          # [3+i] static fi
        types += struct.pack('<III', off, BTF_KIND_FUNC << 24, 2)
        off += len(f'f{i}') + 1
    blob = struct.pack('<HBBIIIII', 0xeB9F, 1, 0, 24, 0, len(types), len(types), len(strs)) + types + strs
    buf = ctypes.create_string_buffer(blob, len(blob))
    attr = struct.pack('<QQIII', ctypes.addressof(buf), 0, len(blob), 0, 0) + bytes(64)
    fd, err = bpf(BPF_BTF_LOAD, attr)
    if fd < 0:
        raise OSError(err, f"BTF load: {os.strerror(err)}")
    return fd


def first_error_line(log):
    """The first line of the trailing block that is neither trace nor statistics."""
    m = re.search(r'infinite loop detected at insn \d+', log)
    if m:  # printed mid-line, after an unterminated trace line
        return m.group(0)
    lines = [l for l in log.split('\n')]
    while lines and (lines[-1].strip() == '' or lines[-1].startswith('processed ') or lines[-1].startswith('verification time')
                     or lines[-1].startswith('stack depth')):
        lines.pop()
    trace = re.compile(r'^(\d+: |from \d+ to \d+|; |\d+: R|func#|last_idx|regs=|parent |mark_precise|frame\d|Func#|Live regs|Global function)')
    block = []
    while lines and not trace.match(lines[-1]):
        block.append(lines.pop())
    block.reverse()
    line = block[0] if block else (lines[-1] if lines else '')
    # A few kernel messages lack their newline and run into the statistics.
    return re.sub(r'processed \d+ insns.*$', '', line)


def load(prog, patch_srcs):
    """BPF_PROG_LOAD at log level 1 after pointing `lddw src∈patch_srcs imm=K` at the K-th map's fd."""
    insns = bytearray(bytes.fromhex(prog['hex']))
    fds = [map_create(m) for m in prog['maps']]
    try:
        for i in range(0, len(insns), 8):
            if insns[i] == 0x18 and (insns[i + 1] >> 4) in patch_srcs:
                k = struct.unpack_from('<i', insns, i + 4)[0]
                struct.pack_into('<i', insns, i + 4, fds[k] if 0 <= k < len(fds) else NOT_A_MAP_FD)
        ibuf = ctypes.create_string_buffer(bytes(insns), max(len(insns), 1))
        lic = ctypes.create_string_buffer(prog['license'].encode() + b'\0')
        log = ctypes.create_string_buffer(LOG_SIZE)
        # libbpf loads SEC("syscall") programs sleepable (SEC_SLEEPABLE); the kernel requires it
        flags = prog.get('progFlags', 0) | (BPF_F_SLEEPABLE if prog['type'] == 'syscall' else 0)
        attr = struct.pack('<IIQQIIQII', PROG_TYPES[prog['type']], len(insns) // 8, ctypes.addressof(ibuf),
                           ctypes.addressof(lic), LOG_LEVEL, LOG_SIZE, ctypes.addressof(log), 0, flags)
        attr += bytes(16 + 4)  # prog_name, prog_ifindex
        funcs = prog.get('funcInfo') or []
        btf = func_btf(len(funcs)) if funcs else 0
        finfo = ctypes.create_string_buffer(b''.join(struct.pack('<II', off, 3 + i) for i, off in enumerate(funcs)) or b'\0')
        # expected_attach_type, prog_btf_fd, func_info_rec_size, func_info, func_info_cnt
        attr += struct.pack('<IIIQI', prog.get('expectedAttachType', 0), btf, 8 if funcs else 0,
                            ctypes.addressof(finfo) if funcs else 0, len(funcs))
        attr += bytes(256 - len(attr))
        try:
            fd, err = bpf(BPF_PROG_LOAD, attr)
        finally:
            if btf:
                os.close(btf)
        text = log.value.decode('utf-8', 'replace')
        if fd >= 0:
            os.close(fd)
        return fd >= 0, (0 if fd >= 0 else err), text
    finally:
        for f in fds:
            os.close(f)


def label_all(progs, dst, patch_srcs, only=(), describe=lambda p: ''):
    """Labels `progs` and writes {kernel, labels} to dst; with name filters, prints instead."""
    labels = {}
    for p in progs:
        if only and not any(o in p['name'] for o in only):
            continue
        ok, err, text = load(p, patch_srcs)
        m = re.search(r'processed (\d+) insns', text)
        entry = {'ok': ok, 'errno': err, 'error': '' if ok else first_error_line(text), 'processed': int(m.group(1)) if m else None}
        labels[p['name']] = entry
        if only:
            print(p['name'], describe(p), entry)
            print(text[-3000:])
    if not only:
        with open(dst, 'w') as f:
            json.dump({'kernel': platform.release(), 'labels': labels}, f, indent=0, sort_keys=True)
        n = len(labels); acc = sum(1 for v in labels.values() if v['ok'])
        print(f'{n} programs labelled, {acc} accepted ({100 * acc / n:.1f}%)')
