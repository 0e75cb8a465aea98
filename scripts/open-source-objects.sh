#!/usr/bin/env bash
# Builds the BPF objects of a few widely used open-source projects, unmodified,
# OUTSIDE the repository, so that scripts/open-source-objects.mjs can load them
# (docs/OPEN-SOURCE-OBJECTS.md records the result).
#
#   scripts/open-source-objects.sh [CACHE]      (default: $OSS_CACHE or /tmp/ebpf-wasm-oss)
#
# Sources come from a local bare mirror when one exists ($OSS_MIRROR/owner+name/repo,
# default /work/.mirror), else from a shallow clone of GitHub. Each project is
# compiled with its own include paths and defines (what its Makefile passes),
# with Debian's clang-19 -O2 -g -target bpf, libbpf-dev's <bpf/*.h> and the
# kernel UAPI headers. libbpf-bootstrap needs a vmlinux.h: generated from
# /sys/kernel/btf/vmlinux with bpftool (apt-get install bpftool).
#
# Output: CACHE/obj/<project>/<path with / replaced by __>.o, and
# CACHE/objects.tsv: project, commit, source path, object path, build status
# ("ok" or "build-failed: first error line").
set -uo pipefail

CACHE=${1:-${OSS_CACHE:-/tmp/ebpf-wasm-oss}}
MIRROR=${OSS_MIRROR:-/work/.mirror}
CLANG=${CLANG:-clang-19}
ARCH_INC=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
mkdir -p "$CACHE/src" "$CACHE/obj"
TSV=$CACHE/objects.tsv
: > "$TSV"

# fetch REPO [PATHS...]: exports the newest commit of REPO into CACHE/src/<owner+name>
fetch() {
  local repo=$1; shift
  local key=${repo/\//+} dir=$CACHE/src/${repo/\//+}
  rm -rf "$dir"; mkdir -p "$dir"
  if [ -d "$MIRROR/$key/repo" ]; then
    git --git-dir="$MIRROR/$key/repo" archive HEAD "$@" | tar -x -C "$dir"
    git --git-dir="$MIRROR/$key/repo" rev-parse HEAD > "$dir/.commit"
  else
    local tmp=$CACHE/clone-$key
    rm -rf "$tmp"
    git clone -q --depth 1 "https://github.com/$repo" "$tmp" || { echo "cannot fetch $repo" >&2; return 1; }
    git -C "$tmp" archive HEAD "$@" | tar -x -C "$dir"
    git -C "$tmp" rev-parse HEAD > "$dir/.commit"
    rm -rf "$tmp"
  fi
}

# build REPO SRC(relative) [clang flags...]: compiles one source, records the result
build() {
  local repo=$1 src=$2; shift 2
  local dir=$CACHE/src/${repo/\//+}
  local out=$CACHE/obj/${repo/\//+}/${src//\//__}
  out=${out%.c}.o
  mkdir -p "$(dirname "$out")"
  local status=ok log
  if ! log=$(cd "$dir/$(dirname "$src")" && "$CLANG" -O2 -g -target bpf -I"$ARCH_INC" "$@" -c "$(basename "$src")" -o "$out" 2>&1); then
    status="build-failed: $(printf '%s\n' "$log" | grep -m1 'error' | sed 's/\t/ /g')"
    rm -f "$out"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$repo" "$(cat "$dir/.commit")" "$src" "$out" "$status" >> "$TSV"
  echo "$repo $src: $status"
}

# --- xdp-project/xdp-tutorial: every *_kern*.c lesson (common/ headers, system libbpf) ---
R=xdp-project/xdp-tutorial
fetch $R && {
  D=$CACHE/src/${R/\//+}
  for f in $(cd "$D" && ls */*kern*.c | sort); do build $R "$f" -I../common -I../headers; done
}

# --- libbpf/libbpf-bootstrap: examples/c/*.bpf.c against this kernel's vmlinux.h ---
R=libbpf/libbpf-bootstrap
fetch $R examples && {
  D=$CACHE/src/${R/\//+}
  mkdir -p "$D/vmlinux"
  if command -v bpftool >/dev/null && [ -r /sys/kernel/btf/vmlinux ]; then
    bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$D/vmlinux/vmlinux.h"
  fi
  for f in $(cd "$D" && ls examples/c/*.bpf.c | sort); do build $R "$f" -D__TARGET_ARCH_x86 -I"$D/vmlinux" -I. ; done
}

# --- facebookincubator/katran: the balancer, healthchecking, decap, root/pktcntr (katran/lib/Makefile-bpf flags) ---
R=facebookincubator/katran
fetch $R katran && {
  D=$CACHE/src/${R/\//+}
  for f in katran/lib/bpf/balancer.bpf.c katran/lib/bpf/healthchecking.bpf.c katran/lib/bpf/healthchecking_ipip.c \
           katran/lib/bpf/xdp_pktcntr.c katran/lib/bpf/xdp_root.c katran/decap/bpf/decap.bpf.c \
           $(cd "$D" && ls katran/decap/tc_bpf/*.bpf.c katran/tpr/bpf/*.bpf.c 2>/dev/null | sort); do
    # the decap flavours need the defines their build (BUCK/CMake) passes; tpr includes <bpf/vmlinux/vmlinux.h>
    case $f in
      */decap.bpf.c) extra=(-DDECAP_TPR_STATS -DINLINE_DECAP_GUE) ;;
      */tc_decap.bpf.c) extra=(-DINLINE_DECAP_GUE) ;;
      */tc_srcmatch.bpf.c) extra=(-DKDE_GUE_PORT=6080) ;;
      */tcp_pkt_router.bpf.c) mkdir -p "$D/inc/bpf/vmlinux"; cp "$CACHE/src/libbpf+libbpf-bootstrap/vmlinux/vmlinux.h" "$D/inc/bpf/vmlinux/" 2>/dev/null
        extra=(-I"$D/inc" -D__TARGET_ARCH_x86) ;;
      *) extra=() ;;
    esac
    build $R "$f" -I"$D" -I"$D/katran/lib/linux_includes" -D__KERNEL__ -Wno-unused-value -Wno-pointer-sign -Wno-compare-distinct-pointer-types "${extra[@]}"
  done
}

# --- xdp-project/xdp-tools: the filters, dump, bench, forward, monitor, trafficgen, lib/util and lib/testing programs ---
R=xdp-project/xdp-tools
fetch $R && {
  D=$CACHE/src/${R/\//+}
  for f in $(cd "$D" && ls xdp-filter/xdpfilt_*.c xdp-dump/xdpdump_*.c xdp-bench/*.bpf.c xdp-forward/*.bpf.c \
             xdp-monitor/*.bpf.c xdp-trafficgen/*.bpf.c lib/util/*.bpf.c lib/libxdp/xsk_def_xdp_prog*.c 2>/dev/null | sort) \
             lib/testing/test_long_func_name.c lib/testing/xdp_adjust_tail.c lib/testing/xdp_drop.c lib/testing/xdp_pass.c; do
    # HAVE_LIBBPF_*: what xdp-tools' configure finds in libbpf-dev 1.1 (else it declares helpers itself)
    build $R "$f" -std=gnu2x -DHAVE_LIBBPF_BPF_PROGRAM__TYPE -DHAVE_LIBBPF_BPF_PROGRAM__FLAGS -DHAVE_LIBBPF_BPF_MAP__SET_AUTOCREATE -I"$D/headers" -I"$D/lib/util" -Wno-unused-value -Wno-pointer-sign -Wno-compare-distinct-pointer-types
  done
}

# --- OISF/suricata: ebpf/ XDP and socket filters (ebpf/Makefile.am flags) ---
R=OISF/suricata
fetch $R ebpf && {
  for f in ebpf/bypass_filter.c ebpf/filter.c ebpf/lb.c ebpf/vlan_filter.c ebpf/xdp_filter.c ebpf/xdp_lb.c; do
    build $R "$f" -Iinclude -D__KERNEL__ -D__ASM_SYSREG_H -Wno-unused-value
  done
}

echo "objects: $(grep -c $'\tok$' "$TSV") built, $(grep -vc $'\tok$' "$TSV") failed; table in $TSV"
