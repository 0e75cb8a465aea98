/**
 * BPF_PROG_TYPE_LWT_IN / LWT_OUT / LWT_XMIT: run on the skb from the network
 * header with direct packet access; lwt_xmit may also change the packet.
 */
export { lwtInRuntime, lwtOutRuntime, lwtXmitRuntime } from './skb.js';
export { SK_BUFF_LWT } from './contexts/sk_buff.js';
