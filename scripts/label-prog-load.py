#!/usr/bin/env python3
"""Runs the BPF_PROG_LOAD attribute cases of test/fixtures/verifier/prog-load-cases.json through the
running kernel (needs root) and records errno, log_true_size and the log the buffer got back
(first and last line, first error line) in test/fixtures/verifier/prog-load-labels.json.
logSize "true" / "true-1" is the log_true_size of the same load without a buffer, or one less.

    sudo python3 scripts/label-prog-load.py
"""
import ctypes, json, os, platform, struct, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verifier_labels import ROOT, PROG_TYPES, SYS_BPF, BPF_PROG_LOAD, libc, first_error_line, func_btf

LINE_COL = 1 << 10  # line 1, column 0; every record names the BTF string "int" (offset 1) as file and line

ATTR_SIZE = 160
LOG_TRUE_SIZE_OFF = 140  # offsetof(union bpf_attr, log_true_size)


def prog_load(c, log_size, with_buf):
    insns = bytes.fromhex(c['hex'])
    ibuf = ctypes.create_string_buffer(insns, max(len(insns), 1))
    lic = ctypes.create_string_buffer(c.get('license', 'GPL').encode() + b'\0')
    log = ctypes.create_string_buffer(max(log_size, 1)) if with_buf else None
    t = c['type'] if isinstance(c['type'], int) else PROG_TYPES[c['type']]
    attr = struct.pack('<IIQQIIQII', t, len(insns) // 8, ctypes.addressof(ibuf), ctypes.addressof(lic), c['logLevel'],
                       log_size, ctypes.addressof(log) if log else 0, c.get('kernVersion', 0), c.get('flags', 0))
    funcs, lines = c.get('funcInfo') or [], c.get('lineInfo') or []
    btf = func_btf(len(funcs)) if funcs else 0
    finfo = ctypes.create_string_buffer(b''.join(struct.pack('<II', off, 3 + i) for i, off in enumerate(funcs)) or b'\0')
    linfo = ctypes.create_string_buffer(b''.join(struct.pack('<IIII', off, 1, 1, LINE_COL) for off in lines) or b'\0')
    attr += bytes(20) + struct.pack('<IIIQIIQI', c.get('expectedAttachType', 0), btf, 8 if funcs else 0, ctypes.addressof(finfo) if funcs else 0,
                                    len(funcs), 16 if lines else 0, ctypes.addressof(linfo) if lines else 0, len(lines))
    attr += bytes(ATTR_SIZE - len(attr))
    a = ctypes.create_string_buffer(attr, ATTR_SIZE)
    fd = libc.syscall(SYS_BPF, BPF_PROG_LOAD, a, ATTR_SIZE)
    err = ctypes.get_errno()
    if fd >= 0:
        os.close(fd)
    if btf:
        os.close(btf)
    true_size = struct.unpack_from('<I', a.raw, LOG_TRUE_SIZE_OFF)[0]
    text = log.value.decode('utf-8', 'replace') if log else ''
    return (0 if fd >= 0 else err), true_size, text


cases = json.load(open(os.path.join(ROOT, 'test/fixtures/verifier/prog-load-cases.json')))
out = {}
for c in cases:
    size = c['logSize']
    if isinstance(size, str):
        _, true_size, _ = prog_load(c, 0, False)
        size = true_size - (1 if size == 'true-1' else 0)
    errno, true_size, text = prog_load(c, size, c.get('buf', size > 0))
    lines = [l for l in text.split('\n') if l]
    out[c['name']] = {'errno': errno, 'logTrueSize': true_size, 'logSize': size, 'bufLen': len(text),
                      'first': lines[0] if lines else '', 'last': lines[-1] if lines else '',
                      'error': first_error_line(text) if errno and text else ''}
with open(os.path.join(ROOT, 'test/fixtures/verifier/prog-load-labels.json'), 'w') as f:
    json.dump({'kernel': platform.release(), 'labels': out}, f, indent=1, sort_keys=True)
for k, v in out.items():
    print(k, v)
