/** Capture-file encodings: classic pcap and pcapng (draft-ietf-opsawg-pcapng). */
export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_GLOBAL_HEADER_BYTES = 24;
export const PCAP_RECORD_HEADER_BYTES = 16;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
/** Obsolete packet block, still written by old tools. */
export const PCAPNG_PB = 0x00000002;
export const PCAPNG_OPT_END = 0;
export const PCAPNG_OPT_IF_TSRESOL = 9;
/** Smallest block: type, total length, trailing total length. */
export const PCAPNG_MIN_BLOCK_BYTES = 12;

/** LINKTYPE_ETHERNET */
export const LINKTYPE_ETHERNET = 1;
/** LINKTYPE_RAW (IPv4/IPv6 without a link header). */
export const LINKTYPE_RAW = 101;
/** Largest snapshot length we accept (the libpcap limit for most link types). */
export const MAX_SNAPLEN = 262144;
