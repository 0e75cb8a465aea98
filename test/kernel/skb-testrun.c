// Loads BPF programs into the running kernel and runs them with
// BPF_PROG_TEST_RUN, for the skb differential test. Raw bpf(2), no libbpf.
//
// stdin, one command per line:
//   prog <prog_type> <instructions as hex>
//   run <data hex> <ctx_in hex or -> [repeat]
// stdout, one line per command:
//   prog ok | prog err <errno> <first verifier log line>
//   run <err> <retval> <data_out hex or -> <ctx_out hex or ->   (err: 0 or errno)
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static char logbuf[1 << 20];
static unsigned char data_out[1 << 17], data_in[1 << 17];
static unsigned char ctx_in[4096], ctx_out[4096];
static char line[1 << 20];

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int unhex(const char *s, unsigned char *out, size_t cap) {
  size_t n = strlen(s);
  if (n % 2 || n / 2 > cap) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -1;
    out[i] = (unsigned char)v;
  }
  return (int)(n / 2);
}

static void puthex(const unsigned char *p, size_t n) {
  if (!n) { fputs("-", stdout); return; }
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

int main(void) {
  int fd = -1;
  static unsigned char insns[1 << 19];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    char *cmd = strtok(line, " ");
    if (!cmd) continue;
    if (!strcmp(cmd, "prog")) {
      int type = atoi(strtok(NULL, " "));
      int n = unhex(strtok(NULL, " "), insns, sizeof insns);
      if (fd >= 0) close(fd);
      union bpf_attr a;
      memset(&a, 0, sizeof a);
      a.prog_type = type;
      a.insns = (uintptr_t)insns;
      a.insn_cnt = n / 8;
      a.license = (uintptr_t)"GPL";
      a.log_buf = (uintptr_t)logbuf;
      a.log_size = sizeof logbuf;
      a.log_level = 1;
      logbuf[0] = 0;
      fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
      if (fd < 0) {
        int e = errno;
        // the last non-empty log line names the rejection
        char *last = logbuf, *p;
        for (p = strtok(logbuf, "\n"); p; p = strtok(NULL, "\n"))
          if (*p && strncmp(p, "processed ", 10)) last = p;
        printf("prog err %d %s\n", e, last);
      } else {
        printf("prog ok\n");
      }
    } else if (!strcmp(cmd, "run")) {
      int dn = unhex(strtok(NULL, " "), data_in, sizeof data_in);
      char *c = strtok(NULL, " ");
      int cn = (c && strcmp(c, "-")) ? unhex(c, ctx_in, sizeof ctx_in) : 0;
      char *rep = strtok(NULL, " ");
      union bpf_attr a;
      memset(&a, 0, sizeof a);
      memset(ctx_out, 0, sizeof ctx_out);
      a.test.prog_fd = fd;
      a.test.data_in = (uintptr_t)data_in;
      a.test.data_size_in = dn;
      a.test.data_out = (uintptr_t)data_out;
      a.test.data_size_out = sizeof data_out;
      if (cn > 0) { a.test.ctx_in = (uintptr_t)ctx_in; a.test.ctx_size_in = cn; }
      a.test.ctx_out = (uintptr_t)ctx_out;
      a.test.ctx_size_out = sizeof(struct __sk_buff);
      a.test.repeat = rep ? atoi(rep) : 1;
      long r = sys_bpf(BPF_PROG_TEST_RUN, &a);
      if (r < 0) { printf("run %d 0 - -\n", errno); continue; }
      printf("run 0 %u ", a.test.retval);
      puthex(data_out, a.test.data_size_out);
      putchar(' ');
      puthex(ctx_out, a.test.ctx_size_out);
      putchar('\n');
    }
    fflush(stdout);
  }
  return 0;
}
