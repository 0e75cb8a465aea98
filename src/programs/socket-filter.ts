/**
 * BPF_PROG_TYPE_SOCKET_FILTER: runs on the skb from the network header
 * (len = frame - 14); r0 is the number of bytes to keep (0 drops). test_run
 * reports r0 and does not truncate data_out. ld_abs/ld_ind read skb->data.
 */
export { socketFilterRuntime } from './skb.js';
export { SK_BUFF_SOCKET_FILTER } from './contexts/sk_buff.js';
