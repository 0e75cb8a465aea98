#!/usr/bin/env python3
"""The kernel's verification time for every program of test/fixtures/verifier/objects.json:
BPF_PROG_LOAD at log level 4 (BPF_LOG_STATS) 11 times through the shared bpf() module, median of
`verification time N usec`, with `processed N insns`. Needs root. Our side: bench/verifier.bench.ts.

    sudo python3 scripts/verifier-kernel-times.py [name-filter]
"""
import json, os, re, statistics, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verifier_labels
from verifier_labels import ROOT

verifier_labels.LOG_LEVEL = 4
objs = json.load(open(os.path.join(ROOT, 'test/fixtures/verifier/objects.json')))['objects']
print('| program | kernel processed insns | kernel µs (median of 11) |')
print('|---|---|---|')
for f, o in objs.items():
    for p in o['programs']:
        name = f"{os.path.basename(f)[:-2]}:{p['name']}"
        if sys.argv[1:] and sys.argv[1] not in name:
            continue
        times, processed = [], None
        for _ in range(11):
            ok, _, text = verifier_labels.load(p, (1, 2))
            if not ok:
                break
            times.append(int(re.search(r'verification time (\d+) usec', text).group(1)))
            processed = int(re.search(r'processed (\d+) insns', text).group(1))
        if times:
            print(f'| {name} | {processed} | {statistics.median(times):,.0f} |')
