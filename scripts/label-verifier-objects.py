#!/usr/bin/env python3
"""Labels every program of test/fixtures/verifier/objects.json (scripts/gen-verifier-objects.mjs:
every object under examples/ and test/fixtures/) with the running kernel's verdict (needs root):
maps created (map-in-map with their inner template), `lddw src=1|2 imm=K` patched to the K-th
map's fd, BTF func_info passed (a minimal BTF, functions static), BPF_PROG_LOAD at log level 1.
Writes test/fixtures/verifier/objects-labels.json, keyed FILE:PROGRAM.

    sudo python3 scripts/label-verifier-objects.py [name-filter...]
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verifier_labels import ROOT, label_all

objs = json.load(open(os.path.join(ROOT, 'test/fixtures/verifier/objects.json')))['objects']
progs = [dict(p, name=f"{f}:{p['name']}") for f, o in objs.items() for p in o['programs']]
label_all(progs, os.path.join(ROOT, 'test/fixtures/verifier/objects-labels.json'), (1, 2), sys.argv[1:], describe=lambda p: p['section'])
