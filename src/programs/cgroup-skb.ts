/**
 * BPF_PROG_TYPE_CGROUP_SKB: runs on the skb from the network header; r0 bit 0
 * allows (1) or drops (0). Socket fields (family, addresses) are readable.
 * Direct packet access through data/data_end.
 */
export { cgroupSkbRuntime } from './skb.js';
export { SK_BUFF_CGROUP_SKB } from './contexts/sk_buff.js';
