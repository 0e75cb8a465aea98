// Loads XDP programs with BPF_PROG_LOAD and runs them once with BPF_PROG_TEST_RUN.
// stdin: records of (u32 instruction count, u32 packet length, instructions, packet).
// stdout, one line per record: "ok <retval> <packet out hex>", "reject <errno> <first log line>",
// or "runerr <errno>". Built by test/jit-kernel.test.ts at run time (gcc ... -lbpf).
#include <bpf/bpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int read_all(void *buf, size_t n) {
  return fread(buf, 1, n, stdin) == n ? 0 : -1;
}

int main(void) {
  static char log[1 << 24];
  uint32_t hdr[2];
  while (read_all(hdr, sizeof hdr) == 0) {
    uint32_t ninsn = hdr[0], plen = hdr[1];
    struct bpf_insn *insns = malloc(ninsn * sizeof *insns + 1);
    unsigned char *pkt = malloc(plen + 1), *out = malloc(plen + 512);
    if (read_all(insns, ninsn * sizeof *insns) || read_all(pkt, plen)) return 2;
    // no log on the first try (logging costs verifier time); on failure, again with the log for the reason
    int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "diff", "GPL", insns, ninsn, NULL);
    if (fd < 0) {
      int err = errno;
      if (err == E2BIG) {  // the verifier gave up on its complexity limit: verifying again for the log costs as much
        printf("reject %d BPF program is too large\n", err);
        fflush(stdout);
        free(insns); free(pkt); free(out);
        continue;
      }
      LIBBPF_OPTS(bpf_prog_load_opts, lopts, .log_buf = log, .log_size = sizeof log, .log_level = 1);
      log[0] = 0;
      int fd2 = bpf_prog_load(BPF_PROG_TYPE_XDP, "diff", "GPL", insns, ninsn, &lopts);
      if (fd2 >= 0) close(fd2);
      // the verifier's reason is the last line before its "processed N insns" summary
      char *last = log, *prev = log;
      for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "processed ", 10) == 0) break;
        prev = last; last = line;
      }
      (void)prev;
      printf("reject %d %s\n", err, last);
    } else {
      LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = plen, .data_out = out,
                  .data_size_out = plen + 512, .repeat = 1);
      if (bpf_prog_test_run_opts(fd, &topts) < 0) {
        printf("runerr %d\n", errno);
      } else {
        printf("ok %u ", topts.retval);
        for (uint32_t i = 0; i < topts.data_size_out; i++) printf("%02x", out[i]);
        printf("\n");
      }
      close(fd);
    }
    fflush(stdout);
    free(insns); free(pkt); free(out);
  }
  return 0;
}
