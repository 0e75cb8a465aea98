#!/bin/sh
# Rebuilds every example object (examples/<name>/<name>.o) from its C source
# with clang-19, the way libbpf projects build theirs. Debug paths are made
# relative, so the objects do not depend on where the tree is checked out.
#   examples/build.sh            rebuild all
#   examples/build.sh NAME...    rebuild some
# (examples/raw/ has its own build.sh.)
set -e
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
names=${*:-"xdp_firewall flow_counter xdp_lb tc_rewrite socket_filter trace_counter"}
for n in $names; do
	(cd "$n" && $CLANG -O2 -g -target bpf -mcpu=v3 -I"$ARCH_INC" \
		-fdebug-prefix-map="$PWD"=. -Wall -Werror \
		-c "$n.c" -o "$n.o")
	echo "examples/$n/$n.o"
done
