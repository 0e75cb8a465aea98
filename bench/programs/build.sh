#!/bin/sh
# Rebuilds the benchmark programs (bench/programs/<name>.o) with clang-19, as
# examples/build.sh builds the examples.
#   bench/programs/build.sh           rebuild all
#   bench/programs/build.sh NAME...   rebuild some
set -e
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
names=${*:-"map_ops map_heavy parse_count"}
for n in $names; do
	$CLANG -O2 -g -target bpf -mcpu=v3 -I"$ARCH_INC" -fdebug-prefix-map="$PWD"=. -Wall -Werror -c "$n.c" -o "$n.o"
	echo "bench/programs/$n.o"
done
