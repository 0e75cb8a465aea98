#!/usr/bin/env python3
"""Labels the verifier mutation family with the running kernel's verdicts (needs root).

For each program of test/fixtures/verifier/mutations.json (scripts/gen-verifier-mutations.mjs):
create its maps with BPF_MAP_CREATE (global data as arrays of their value size),
patch every `lddw src=1|2 imm=K` to the K-th map's fd, load it with BPF_PROG_LOAD
at log_level 1, and record the verdict, errno and first error line of the log.
Writes test/fixtures/verifier/mutations-labels.json.

    sudo python3 scripts/label-verifier-mutations.py [name-filter...]
    MUTATIONS=/tmp/m.json sudo -E python3 scripts/label-verifier-mutations.py   # writes /tmp/m-labels.json
"""
import json, os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verifier_labels import ROOT, label_all

src = os.environ.get('MUTATIONS', os.path.join(ROOT, 'test/fixtures/verifier/mutations.json'))
dst = re.sub(r'\.json$', '-labels.json', src) if 'MUTATIONS' in os.environ else os.path.join(ROOT, 'test/fixtures/verifier/mutations-labels.json')
label_all(json.load(open(src)), dst, (1, 2), sys.argv[1:], describe=lambda p: p['mutation'])
