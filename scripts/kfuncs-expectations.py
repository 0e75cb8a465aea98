#!/usr/bin/env python3
"""Runs the kfunc fixture's programs (test/fixtures/kfuncs/kfuncs.o) in the running kernel: each
loaded through libbpf (kfunc calls resolved against vmlinux BTF) and run with BPF_PROG_TEST_RUN.
Writes test/fixtures/kfuncs/kernel.json; with --print, prints the same JSON to stdout instead
(test/kfuncs.test.ts compares the live kernel with the stored file). Needs root.

    sudo python3 scripts/kfuncs-expectations.py [--print]
"""
import ctypes, json, os, platform, struct, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verifier_labels import ROOT, bpf, _lib

DIR = 'test/fixtures/kfuncs'
BPF_PROG_TEST_RUN = 10
ETH = '0' * 26  # the rest of an Ethernet header: test runs of packet programs need at least 14 bytes
# (case name, object, program, packet bytes as hex or None for a context-less run)
CASES = [
    ('xdp_task pid 0', 'kfuncs.o', 'xdp_task', '00' + ETH),
    ('tc_task pid 0', 'kfuncs.o', 'tc_task', '00' + ETH),
    ('cg_task', 'kfuncs.o', 'cg_task', '45' + ETH),
    ('xdp_rcu', 'kfuncs.o', 'xdp_rcu', '00' + ETH),
    ('sys_task', 'kfuncs.o', 'sys_task', None),
    ('sys_cpumask', 'kfuncs.o', 'sys_cpumask', None),
    ('xdp_dyn sum 3', 'dynptr.o', 'xdp_dyn', '01aa00000002' + '00' * 10),
    ('xdp_dyn sum 5', 'dynptr.o', 'xdp_dyn', '05bb' + '00' * 12),
    ('tc_dyn 0x99', 'dynptr.o', 'tc_dyn', '00' * 10 + '99' + '00' * 5),
    ('tc_dyn other', 'dynptr.o', 'tc_dyn', '00' * 16),
    ('sf_dyn', 'dynptr.o', 'sf_dyn', '2a' + '00' * 15),
    ('cg_dyn', 'dynptr.o', 'cg_dyn', '45' + '00' * 19),
    ('act_dyn', 'dynptr.o', 'act_dyn', '00' * 14),
]


def run(obj_file, prog, data):
    lib = _lib()
    lib.bpf_object__find_program_by_name.restype = ctypes.c_void_p
    lib.bpf_object__find_program_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.bpf_program__fd.argtypes = [ctypes.c_void_p]
    path = os.path.join(ROOT, DIR, obj_file)
    obj = lib.bpf_object__open_file(path.encode(), None)
    if not obj or lib.libbpf_get_error(obj):
        raise OSError(f'libbpf cannot open {path}')
    try:
        p = lib.bpf_object__next_program(obj, None)
        while p:
            lib.bpf_program__set_autoload(p, lib.bpf_program__name(p).decode() == prog)
            p = lib.bpf_object__next_program(obj, p)
        if lib.bpf_object__load(obj):
            raise OSError(f'{prog}: load failed')
        fd = lib.bpf_program__fd(lib.bpf_object__find_program_by_name(obj, prog.encode()))
        din = bytes.fromhex(data) if data is not None else b''
        ibuf = ctypes.create_string_buffer(din, max(len(din), 1))
        obuf = ctypes.create_string_buffer(max(len(din), 1) + 256)
        attr = bytearray(struct.pack('<IIIIQQII', fd, 0, len(din), len(obuf) if din else 0,
                                     ctypes.addressof(ibuf) if din else 0, ctypes.addressof(obuf) if din else 0, 1 if din else 0, 0))
        # (a syscall program's run takes no data, no repeat)
        attr += bytes(80 - len(attr))
        r, err = bpf(BPF_PROG_TEST_RUN, attr)
        if r < 0:
            return {'errno': err}
        # bpf() wrote the attr copy we passed; read retval and data_size_out back from it
        retval, _, size_out = struct.unpack_from('<III', _last_attr[0], 4)
        out = {'retval': retval}
        if din:
            out['dataOut'] = obuf.raw[:size_out].hex()
        return out
    finally:
        lib.bpf_object__close(obj)


_last_attr = [b'']


def _bpf_keep(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    from verifier_labels import libc, SYS_BPF
    r = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    _last_attr[0] = buf.raw
    return r, ctypes.get_errno()


bpf = _bpf_keep  # noqa: F811 (test run reads the attr back)

out = {'kernel': platform.release(), 'cases': [dict(name=n, object=o, prog=p, data=d, **run(o, p, d)) for n, o, p, d in CASES]}
text = json.dumps(out, indent=1) + '\n'
if '--print' in sys.argv[1:]:
    sys.stdout.write(text)
else:
    open(os.path.join(ROOT, 'test/fixtures/kfuncs/kernel.json'), 'w').write(text)
    print(f"{len(out['cases'])} cases: " + ', '.join(f"{c['name']}={c.get('retval', c.get('errno'))}" for c in out['cases']))
