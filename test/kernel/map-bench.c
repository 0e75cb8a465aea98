/*
 * The Linux kernel's own maps, timed in-kernel: an XDP program of K unrolled
 * bpf_map_lookup_elem (or update) calls on varying keys runs under
 * BPF_PROG_TEST_RUN with `repeat`; ns/op = (duration(K) - duration(0)) / K.
 *   map-bench <hash|lru|array|lpm> <entries> <lookup|update>   -> "<ns per op>"
 * Build: gcc -O2 -o map-bench map-bench.c -lbpf
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#define K 64
static struct bpf_insn prog[K * 12 + 16];
static int n_insn;
static void emit(struct bpf_insn i) { prog[n_insn++] = i; }
static void st_w(int off, int imm) { emit((struct bpf_insn){ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = 10, .off = off, .imm = imm }); }
static void st_dw(int off, int imm) { emit((struct bpf_insn){ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = 10, .off = off, .imm = imm }); }
static void ld_map(int reg, int fd) {
  emit((struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = reg, .src_reg = BPF_PSEUDO_MAP_FD, .imm = fd });
  emit((struct bpf_insn){ 0 });
}
static void mov_reg(int d, int s) { emit((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = d, .src_reg = s }); }
static void add_imm(int d, int imm) { emit((struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = d, .imm = imm }); }
static void mov_imm(int d, int imm) { emit((struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = d, .imm = imm }); }
static void call(int id) { emit((struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = id }); }

static double run(int fd, int lpm, int nops, int entries, int update) {
  n_insn = 0;
  st_dw(-24, 0);
  st_dw(-32, 0);
  for (int j = 0; j < nops; j++) {
    unsigned k = (unsigned)((unsigned long long)j * 7919 % entries);
    /* lookups: /32 addresses inside the filled /24s; updates: the /24s themselves */
    if (lpm) { st_w(-16, update ? 24 : 32); st_w(-12, __builtin_bswap32(update ? k << 8 : (k << 8) | 5)); }
    else st_w(-8, k);
    ld_map(1, fd);
    mov_reg(2, 10); add_imm(2, lpm ? -16 : -8);
    if (update) { mov_reg(3, 10); add_imm(3, -32); mov_imm(4, 0); call(BPF_FUNC_map_update_elem); }
    else call(BPF_FUNC_map_lookup_elem);
  }
  mov_imm(0, 2); // XDP_PASS
  emit((struct bpf_insn){ .code = BPF_JMP | BPF_EXIT });
  char log[65536];
  LIBBPF_OPTS(bpf_prog_load_opts, lo, .log_buf = log, .log_size = sizeof log, .log_level = 0);
  int pfd = bpf_prog_load(BPF_PROG_TYPE_XDP, NULL, "GPL", prog, n_insn, &lo);
  if (pfd < 0) { fprintf(stderr, "prog load: %s\n%s\n", strerror(errno), log); exit(1); }
  unsigned char pkt[64] = {0};
  double best = 1e18;
  for (int t = 0; t < 5; t++) {
    LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = pkt, .data_size_in = sizeof pkt, .repeat = 20000);
    if (bpf_prog_test_run_opts(pfd, &ro) < 0) { perror("test_run"); exit(1); }
    if (ro.duration < best) best = ro.duration;
  }
  return best;
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: map-bench <hash|lru|array|lpm> <entries> <lookup|update>\n"); return 2; }
  const char *kind = argv[1];
  int entries = atoi(argv[2]);
  int update = strcmp(argv[3], "update") == 0;
  int lpm = strcmp(kind, "lpm") == 0;
  int type = !strcmp(kind, "hash") ? BPF_MAP_TYPE_HASH : !strcmp(kind, "lru") ? BPF_MAP_TYPE_LRU_HASH
           : !strcmp(kind, "array") ? BPF_MAP_TYPE_ARRAY : BPF_MAP_TYPE_LPM_TRIE;
  LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = lpm ? BPF_F_NO_PREALLOC : 0);
  int fd = bpf_map_create(type, "bench", lpm ? 8 : 4, 8, entries, &o);
  if (fd < 0) { perror("map create"); return 1; }
  unsigned long long v = 1;
  for (unsigned i = 0; i < (unsigned)entries; i++) {
    if (lpm) {
      unsigned char key[8]; unsigned addr = __builtin_bswap32(i << 8);
      unsigned plen = 24; memcpy(key, &plen, 4); memcpy(key + 4, &addr, 4);
      bpf_map_update_elem(fd, key, &v, 0);
    } else bpf_map_update_elem(fd, &i, &v, 0);
  }
  double base = run(fd, lpm, 0, entries, update), full = run(fd, lpm, K, entries, update);
  printf("%.1f\n", (full - base) / K);
  return 0;
}
