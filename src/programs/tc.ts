/**
 * BPF_PROG_TYPE_SCHED_CLS / SCHED_ACT (tc): runs on the frame from the
 * Ethernet header with direct packet access; r0 is a TC_ACT_* verdict, and
 * bpf_redirect's target is reported in the run result.
 */
export { schedClsRuntime, schedActRuntime } from './skb.js';
export { SK_BUFF_TC } from './contexts/sk_buff.js';
export { TC_ACT } from './skb-constants.js';
