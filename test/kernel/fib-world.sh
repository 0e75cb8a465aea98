#!/usr/bin/env bash
# The kernel's answer for the `run` world tests: builds test/fixtures/run/fib-world.json's
# world in a fresh network namespace (veth interfaces, addresses, routes, neighbours,
# forwarding on) and runs test/fixtures/run/fib.o over test/fixtures/run/fib-packets.pcap
# with the kernel oracle (BPF_PROG_TEST_RUN: packets arrive on the loopback, ifindex 1).
# Root only.   test/kernel/fib-world.sh ORACLE > test/fixtures/run/fib-kernel.txt
set -euo pipefail
oracle=$(realpath "$1")
cd "$(dirname "$0")/../.."
exec unshare --net bash -euo pipefail -c '
  ip link set lo up
  # veth pairs: eth0..eth2 are ifindex 2..4, their unaddressed peers 12..14
  for i in 0 1 2; do ip link add "eth$i" index $((i + 2)) type veth peer name "peer$i" index $((i + 12)); done
  add() { ip link set "$1" address "$2" mtu "$3" up; ip link set "peer${1#eth}" up; ip addr add "$4" dev "$1"; }
  add eth0 02:00:00:00:00:02 1500 192.168.1.1/24
  add eth1 02:00:00:00:00:03 1400 10.0.0.1/24
  add eth2 02:00:00:00:00:04 1500 172.16.0.1/24
  idx() { ip -o link show "$1" | cut -d: -f1; }
  [ "$(idx eth0) $(idx eth1) $(idx eth2)" = "2 3 4" ] || { echo "unexpected ifindexes" >&2; exit 1; }
  ip route add default via 172.16.0.254 metric 100
  ip route add 10.9.0.0/16 via 10.0.0.254 metric 5
  ip route add blackhole 203.0.113.0/24
  ip route add unreachable 198.51.100.0/24
  ip route add prohibit 198.51.100.128/25
  ip neigh add 172.16.0.254 lladdr 02:00:00:00:ac:fe nud permanent dev eth2
  ip neigh add 10.0.0.7 lladdr 02:00:00:00:0a:07 nud permanent dev eth1
  sysctl -qw net.ipv4.conf.all.forwarding=1
  "$0" run-pcap test/fixtures/run/fib.o --pcap test/fixtures/run/fib-packets.pcap --dump-maps
' "$oracle"
