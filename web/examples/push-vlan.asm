# Pushes an 802.1Q tag (VLAN 100) in front of the EtherType with
# bpf_xdp_adjust_head(-4), moving the MAC addresses forward, then XDP_TX.
mov %r6, %r1
mov %r2, -4
call 44
jne %r0, 0, abort
ldxw %r2, [%r6+0]
ldxw %r3, [%r6+4]
mov %r4, %r2
add %r4, 18
jgt %r4, %r3, abort
ldxdw %r4, [%r2+4]
stxdw [%r2+0], %r4
ldxw %r4, [%r2+12]
stxw [%r2+8], %r4
sth [%r2+12], 0x0081
sth [%r2+14], 0x6400
mov %r0, 3
exit
abort:
mov %r0, 0
exit
