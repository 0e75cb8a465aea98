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


_vmlinux = None


def vmlinux_func_id(name, kind=12):
    """The vmlinux BTF id of kernel function `name` (or type of BTF `kind`: libbpf's btf__find_by_name_kind), or 0."""
    global _vmlinux
    lib = _lib()
    if _vmlinux is None:
        lib.btf__load_vmlinux_btf.restype = ctypes.c_void_p
        lib.btf__find_by_name_kind.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint32]
        lib.btf__find_by_name_kind.restype = ctypes.c_int
        _vmlinux = lib.btf__load_vmlinux_btf()
    r = lib.btf__find_by_name_kind(_vmlinux, name.encode(), kind)
    return r if r > 0 else 0


def load(prog, patch_srcs):
    """BPF_PROG_LOAD at log level 1 after pointing `lddw src∈patch_srcs imm=K` at the K-th map's fd
    and kfunc calls (the engine's kfunc ids) at the kernel function's vmlinux BTF id."""
    insns = bytearray(bytes.fromhex(prog['hex']))
    for pc, name in prog.get('kfuncs') or []:
        struct.pack_into('<i', insns, pc * 8 + 4, vmlinux_func_id(name))
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
        # BTF-typed tracing: attachBtf {kind: BTF kind number (12 FUNC, 8 TYPEDEF btf_trace_*), name} → attach_btf_id
        tgt = prog.get('attachBtf')
        if tgt:
            attr += struct.pack('<IQII', 0, 0, 0, vmlinux_func_id(tgt['name'], tgt['kind']))  # line_info_rec_size, line_info, line_info_cnt
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


def label_all(progs, dst, patch_srcs, only=(), describe=lambda p: '', loader=None):
    """Labels `progs` and writes {kernel, labels} to dst; with name filters, prints instead.
    `loader(p)` → (ok, errno, log, how) replaces the raw load (how: recorded as the label's `loader`)."""
    labels = {}
    for p in progs:
        if only and not any(o in p['name'] for o in only):
            continue
        ok, err, text, how = loader(p) if loader else (*load(p, patch_srcs), None)
        m = re.search(r'processed (\d+) insns', text)
        entry = {'ok': ok, 'errno': err, 'error': '' if ok else first_error_line(text), 'processed': int(m.group(1)) if m else None}
        if how:
            entry['loader'] = how
        labels[p['name']] = entry
        if only:
            print(p['name'], describe(p), entry)
            print(text[-3000:])
    if not only:
        with open(dst, 'w') as f:
            json.dump({'kernel': platform.release(), 'labels': labels}, f, indent=0, sort_keys=True)
        n = len(labels); acc = sum(1 for v in labels.values() if v['ok'])
        print(f'{n} programs labelled, {acc} accepted ({100 * acc / n:.1f}%)')


# ---- Loading whole objects through libbpf, as users do -------------------------------------------
# libbpf loads the object's .BTF (sanitised), creates maps with their BTF key/value types (so
# bpf_spin_lock finds its field), creates, initialises and freezes .rodata (BPF_F_RDONLY_PROG, so
# ARG_PTR_TO_CONST_STR accepts it), resolves __ksym externs and kfunc calls against vmlinux BTF,
# finds tp_btf/fentry attach ids and passes func_info/line_info. Its verdict is the one users see.
_libbpf = None
_libbpf_msgs = []


def _lib():
    global _libbpf, _print_cb
    if _libbpf is None:
        lib = ctypes.CDLL('libbpf.so.1', use_errno=True)
        vp, cp = ctypes.c_void_p, ctypes.c_char_p
        lib.bpf_object__open_file.restype = vp
        lib.bpf_object__open_file.argtypes = [cp, vp]
        lib.libbpf_get_error.argtypes = [vp]
        lib.libbpf_get_error.restype = ctypes.c_long
        lib.bpf_object__next_program.restype = vp
        lib.bpf_object__next_program.argtypes = [vp, vp]
        lib.bpf_program__name.restype = cp
        lib.bpf_program__name.argtypes = [vp]
        lib.bpf_program__set_autoload.argtypes = [vp, ctypes.c_bool]
        lib.bpf_program__set_type.argtypes = [vp, ctypes.c_int]
        lib.bpf_program__set_log_level.argtypes = [vp, ctypes.c_uint32]
        lib.bpf_program__set_log_buf.argtypes = [vp, vp, ctypes.c_size_t]
        lib.bpf_object__next_map.restype = vp
        lib.bpf_object__next_map.argtypes = [vp, vp]
        lib.bpf_map__set_pin_path.argtypes = [vp, cp]
        lib.bpf_object__load.argtypes = [vp]
        lib.bpf_object__close.argtypes = [vp]
        vsnprintf = libc.vsnprintf
        vsnprintf.argtypes = [vp, ctypes.c_size_t, cp, vp]

        @ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)
        def _print(level, fmt, ap):
            buf = ctypes.create_string_buffer(4096)
            vsnprintf(buf, 4096, fmt, ap)
            _libbpf_msgs.append(buf.value.decode('utf-8', 'replace'))
            return 0
        _print_cb = _print  # keep the callback alive
        lib.libbpf_set_print.restype = vp
        lib.libbpf_set_print.argtypes = [vp]
        lib.libbpf_set_print(ctypes.cast(_print, vp))
        _libbpf = lib
    return _libbpf


def libbpf_programs(path):
    """Program names libbpf finds in an object, or None when libbpf cannot open it (e.g. a legacy `maps` section)."""
    lib = _lib()
    obj = lib.bpf_object__open_file(path.encode(), None)
    if not obj or lib.libbpf_get_error(obj):
        return None
    names, p = [], lib.bpf_object__next_program(obj, None)
    while p:
        names.append(lib.bpf_program__name(p).decode())
        p = lib.bpf_object__next_program(obj, p)
    lib.bpf_object__close(obj)
    return names


def load_libbpf(path, name, prog_type=None, all_progs=False):
    """bpf_object__load of `path` with only program `name` autoloaded (every program with all_progs: a
    prog-array initialiser needs its targets loaded), type forced when given, log level 1, map pinning
    off (no bpffs needed). Returns (ok, errno, log); log is '' when libbpf failed before the kernel verified."""
    lib = _lib()
    del _libbpf_msgs[:]
    obj = lib.bpf_object__open_file(path.encode(), None)
    if not obj or lib.libbpf_get_error(obj):
        raise OSError(f'libbpf cannot open {path}')
    log = ctypes.create_string_buffer(LOG_SIZE)
    try:
        p = lib.bpf_object__next_program(obj, None)
        while p:
            mine = lib.bpf_program__name(p).decode() == name
            lib.bpf_program__set_autoload(p, mine or all_progs)
            if mine:
                if prog_type:
                    lib.bpf_program__set_type(p, PROG_TYPES[prog_type])
                lib.bpf_program__set_log_level(p, LOG_LEVEL)
                lib.bpf_program__set_log_buf(p, ctypes.addressof(log), LOG_SIZE)
            p = lib.bpf_object__next_program(obj, p)
        m = lib.bpf_object__next_map(obj, None)
        while m:
            lib.bpf_map__set_pin_path(m, None)
            m = lib.bpf_object__next_map(obj, m)
        r = lib.bpf_object__load(obj)
        text = log.value.decode('utf-8', 'replace')
        if r == 0:
            return True, 0, text
        return False, -r, text
    finally:
        lib.bpf_object__close(obj)


def libbpf_error():
    """The first libbpf warning of the last load that says why (not the generic 'failed to load')."""
    generic = re.compile(r"failed to load object|failed to load: -|skipped loading|BPF program load failed|-- BEGIN|-- END")
    for m in _libbpf_msgs:
        if re.search(r'incompatible|failed|error|invalid|not found|cannot|unknown', m, re.I) and not generic.search(m):
            return m.strip()
    return ''
