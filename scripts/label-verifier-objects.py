#!/usr/bin/env python3
"""Labels every program of test/fixtures/verifier/objects.json (scripts/gen-verifier-objects.mjs:
every object under examples/ and test/fixtures/) with the running kernel's verdict (needs root).

Each program is loaded the way users load it: through libbpf (bpf_object__load of the object
file with only that program autoloaded, its type forced when objects.json gives an explicit one),
so the object's BTF, map BTF types, frozen .rodata, __ksym/kfunc resolution against vmlinux BTF
and func/line info all reach the kernel. A program whose prog-array initialiser fails with only it
loaded is retried with every program of the object loaded (its own log still decides). Objects
libbpf cannot open (a legacy `maps` section, dropped in libbpf 1.0), objects listed in RAW below,
and programs libbpf refuses before the kernel verifies them (the reason is kept as `libbpf`) fall
back to the raw load: maps created from objects.json, `lddw src=1|2 imm=K` patched to the K-th
map's fd, a minimal BTF for func_info. Each label records its loader.
Writes test/fixtures/verifier/objects-labels.json, keyed FILE:PROGRAM.

    sudo python3 scripts/label-verifier-objects.py [name-filter...]
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verifier_labels import ROOT, label_all, load, libbpf_programs, load_libbpf, libbpf_error

objs = json.load(open(os.path.join(ROOT, 'test/fixtures/verifier/objects.json')))['objects']
progs = [dict(p, name=f"{f}:{p['name']}", file=f, prog=p['name']) for f, o in objs.items() for p in o['programs']]
opened = {}
# Objects whose meaning is not the running kernel's: loaded raw, as the engine links them.
RAW = {'test/fixtures/elf/core.o': "CO-RE against the fixture's own target BTF (core_target.o), not vmlinux"}


def loader(p):
    path = os.path.join(ROOT, p['file'])
    if p['file'] not in opened:
        opened[p['file']] = [] if p['file'] in RAW else libbpf_programs(path) or []
    if p['prog'] in opened[p['file']]:
        forced = p['type'] if p.get('explicitType') else None
        ok, err, text = load_libbpf(path, p['prog'], forced)
        if not ok and 'failed to initialize slot' in ''.join(__import__('verifier_labels')._libbpf_msgs):
            ok, err, text = load_libbpf(path, p['prog'], forced, all_progs=True)
        if ok or text.strip():
            return ok, err, text, 'libbpf'
        return (*load(p, (1, 2)), 'raw (libbpf: ' + libbpf_error() + ')')
    return (*load(p, (1, 2)), 'raw')


label_all(progs, os.path.join(ROOT, 'test/fixtures/verifier/objects-labels.json'), (1, 2), sys.argv[1:],
          describe=lambda p: p['section'], loader=loader)
