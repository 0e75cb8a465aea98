#!/bin/sh
# Rebuilds the raw example programs: C → BPF object (clang-19) → bare
# instruction bytes of .text (what `ebpf-wasm test-run --raw` takes).
set -e
cd "$(dirname "$0")"
for f in checksum classify; do
	clang-19 -O2 -target bpf -mcpu=v3 -c "$f.c" -o "$f.o"
	llvm-objcopy-19 -O binary --only-section=.text "$f.o" "$f.bin"
done
