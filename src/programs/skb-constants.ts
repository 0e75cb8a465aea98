/**
 * Named constants of the skb program types, in one place: EtherTypes, packet
 * types, tc actions, helper flags (include/uapi/linux/bpf.h, if_ether.h,
 * pkt_cls.h) and the errnos the kernel's skb helpers and test_run return.
 */

export const ETH_HLEN = 14;
export const ETH_ALEN = 6;
export const VLAN_HLEN = 4;
/** Ethernet + one VLAN tag. */
export const VLAN_ETH_HLEN = 18;
export const IPV4_HLEN = 20;
export const IPV6_HLEN = 40;

/** EtherTypes (host order). */
export const ETH_P = {
  IP: 0x0800, ARP: 0x0806, IPV6: 0x86dd, VLAN_8021Q: 0x8100, VLAN_8021AD: 0x88a8,
  /** Novell raw 802.3 (payload starts with 0xFFFF). */
  ETH_802_3: 0x0001,
  /** 802.2 LLC. */
  ETH_802_2: 0x0004,
  /** Values below this are 802.3 lengths, not EtherTypes. */
  ETH_802_3_MIN: 0x0600,
  /** Transparent Ethernet bridging (inner Ethernet frame). */
  TEB: 0x6558,
} as const;

/** skb->pkt_type (include/uapi/linux/if_packet.h). */
export const PACKET = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3 } as const;

/** tc verdicts (include/uapi/linux/pkt_cls.h). */
export const TC_ACT = {
  UNSPEC: -1, OK: 0, RECLASSIFY: 1, SHOT: 2, PIPE: 3, STOLEN: 4, QUEUED: 5, REPEAT: 6, REDIRECT: 7, TRAP: 8,
} as const;

/** Address families of the test_run socket. */
export const AF = { UNSPEC: 0, INET: 2, INET6: 10 } as const;
/** TCP_CLOSE: the state sock_init_data leaves a socket in. */
export const TCP_CLOSE = 7;

/** bpf_skb_store_bytes flags. */
export const BPF_F_RECOMPUTE_CSUM = 1n << 0n;
export const BPF_F_INVALIDATE_HASH = 1n << 1n;
/** bpf_l3/l4_csum_replace: the field size (0, 2 or 4) sits in the low bits of flags. */
export const BPF_F_HDR_FIELD_MASK = 0xfn;
export const BPF_F_PSEUDO_HDR = 1n << 4n;
export const BPF_F_MARK_MANGLED_0 = 1n << 5n;
export const BPF_F_MARK_ENFORCE = 1n << 6n;
export const BPF_F_IPV6 = 1n << 7n;
/** A zero UDP checksum means "none"; a computed zero is sent as this. */
export const CSUM_MANGLED_0 = 0xffff;

/** bpf_skb_adjust_room modes and flags. */
export const BPF_ADJ_ROOM_NET = 0;
export const BPF_ADJ_ROOM_MAC = 1;
export const BPF_F_ADJ_ROOM_FIXED_GSO = 1n << 0n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 = 1n << 1n;
export const BPF_F_ADJ_ROOM_ENCAP_L3_IPV6 = 1n << 2n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_GRE = 1n << 3n;
export const BPF_F_ADJ_ROOM_ENCAP_L4_UDP = 1n << 4n;
export const BPF_F_ADJ_ROOM_NO_CSUM_RESET = 1n << 5n;
export const BPF_F_ADJ_ROOM_ENCAP_L2_ETH = 1n << 6n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV4 = 1n << 7n;
export const BPF_F_ADJ_ROOM_DECAP_L3_IPV6 = 1n << 8n;
export const BPF_ADJ_ROOM_ENCAP_L2_SHIFT = 56n;
export const BPF_ADJ_ROOM_ENCAP_L2_MASK = 0xffn;
export const BPF_F_ADJ_ROOM_ENCAP_L3_MASK = BPF_F_ADJ_ROOM_ENCAP_L3_IPV4 | BPF_F_ADJ_ROOM_ENCAP_L3_IPV6;
export const BPF_F_ADJ_ROOM_DECAP_L3_MASK = BPF_F_ADJ_ROOM_DECAP_L3_IPV4 | BPF_F_ADJ_ROOM_DECAP_L3_IPV6;
export const BPF_F_ADJ_ROOM_MASK = BPF_F_ADJ_ROOM_FIXED_GSO | BPF_F_ADJ_ROOM_ENCAP_L3_MASK | BPF_F_ADJ_ROOM_ENCAP_L4_GRE
  | BPF_F_ADJ_ROOM_ENCAP_L4_UDP | BPF_F_ADJ_ROOM_ENCAP_L2_ETH | (BPF_ADJ_ROOM_ENCAP_L2_MASK << BPF_ADJ_ROOM_ENCAP_L2_SHIFT)
  | BPF_F_ADJ_ROOM_DECAP_L3_MASK;
/** Adjustments are limited to 4095 bytes at a time. */
export const BPF_ADJ_ROOM_MAX_DIFF = 0xfff;

/** Offsets past INT_MAX are refused by load/store_bytes. */
export const INT_MAX = 0x7fff_ffff;
/** csum_replace and load_bytes_relative take header offsets up to 0xffff. */
export const BPF_HELPER_MAX_HDR_OFFSET = 0xffff;
/** VLAN tags vlan_get_protocol looks through. */
export const VLAN_MAX_DEPTH = 8;

/** bpf_skb_load_bytes_relative start headers. */
export const BPF_HDR_START_MAC = 0;
export const BPF_HDR_START_NET = 1;

/** bpf_redirect / bpf_clone_redirect flags. */
export const BPF_F_INGRESS = 1n;

/**
 * BPF_SKB_MAX_LEN = SKB_MAX_ALLOC: an order-2 allocation (16 KiB) less the
 * aligned skb_shared_info (320 bytes on x86-64).
 */
export const SKB_SHARED_INFO_BYTES = 320;
export const BPF_SKB_MAX_LEN = 16384 - SKB_SHARED_INFO_BYTES;
/** test_run: data_size_in must fit a page with NET_SKB_PAD (64) headroom and skb_shared_info. */
export const NET_SKB_PAD = 64;
export const SKB_TEST_MAX_DATA = 4096 - NET_SKB_PAD - SKB_SHARED_INFO_BYTES;
/** Upper limits convert___skb_to_skb checks. */
export const GSO_LEGACY_MAX_SIZE = 65536;
export const GSO_MAX_SEGS = 65535;
/** Loopback: the device test_run receives the frame on. */
export const LOOPBACK_IFINDEX = 1;

/** skb->ip_summed; test_run's skb starts as CHECKSUM_NONE. */
export const CHECKSUM = { NONE: 0, UNNECESSARY: 1, COMPLETE: 2, PARTIAL: 3 } as const;
/** Nested checksums a CHECKSUM_UNNECESSARY skb can vouch for, beyond the first. */
export const SKB_MAX_CSUM_LEVEL = 3;
/** bpf_csum_level levels. */
export const BPF_CSUM_LEVEL = { QUERY: 0, INC: 1, DEC: 2, RESET: 3 } as const;
/** bpf_skb_set_tstamp clocks (skb->tstamp_type). */
export const BPF_SKB_CLOCK = { REALTIME: 0, MONOTONIC: 1, TAI: 2 } as const;
/** The ECN field of the IPv4 TOS / IPv6 traffic class. */
export const INET_ECN_MASK = 3;
export const INET_ECN_CE = 3;

/** Errnos (positive; helpers return them negated). ENOTSUPP is the kernel-internal 524. */
export const E = {
  ENOENT: 2, E2BIG: 7, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENODEV: 19, EINVAL: 22, ERANGE: 34, EBADMSG: 74, EOPNOTSUPP: 95, EALREADY: 114, ENOTSUPP: 524,
} as const;
