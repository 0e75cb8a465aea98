#!/usr/bin/env python3
"""Labels the verifier corpus with the running kernel's verdicts (needs root).

For each program of test/fixtures/verifier/corpus.json: create its maps with
BPF_MAP_CREATE, patch every `lddw src=1 imm=K` to the K-th map's fd, load it
with BPF_PROG_LOAD at log_level 1, and record the verdict, errno and the first
error line of the log. Writes test/fixtures/verifier/labels.json.

    sudo python3 scripts/label-verifier-corpus.py [name-filter...]
"""
import json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from verifier_labels import ROOT, label_all

corpus = json.load(open(os.path.join(ROOT, 'test/fixtures/verifier/corpus.json')))
label_all(corpus, os.path.join(ROOT, 'test/fixtures/verifier/labels.json'), (1,), sys.argv[1:])
