#!/usr/bin/env python3
"""Labels test/verifier-btfid.test.ts's cases with the running kernel's verdicts (needs root).

    VERIFIER_DUMP=/tmp/btfid.json node test/run.mjs verifier-btfid
    sudo python3 scripts/label-verifier-btfid.py /tmp/btfid.json [name-filter...]

Each case loads raw (BPF_PROG_LOAD, log level 1) as a tracing/lsm program with its
expected_attach_type and attach_btf_id (the target's vmlinux BTF id: the FUNC, or the
btf_trace_<event> TYPEDEF). Writes test/fixtures/verifier/btfid-labels.json.
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verifier_labels import ROOT, label_all

label_all(json.load(open(sys.argv[1])), os.path.join(ROOT, 'test/fixtures/verifier/btfid-labels.json'), (1,), sys.argv[2:])
