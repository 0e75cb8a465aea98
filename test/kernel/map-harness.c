/*
 * Runs map operations read from stdin against the Linux kernel's own maps
 * (bpf() through libbpf) and prints one result line per operation, in the
 * format test/maps-kernel.test.ts produces from ebpf-wasm's maps.
 *
 *   C type key_size value_size max_entries map_flags map_extra inner(-1|map#) [spin_lock_off]
 *                                 -> "<map#>" | "-errno"  (spin_lock_off: BTF declares a struct bpf_spin_lock there)
 *   U map# key|- value flags      -> "0" | "-errno"       (prog array / map-in-map values: object #)
 *   L map# key|- flags [value]    -> "0 <value>" | "-errno"
 *   D map# key|-                  -> "0" | "-errno"
 *   N map# key|-                  -> "0 <key>" | "-errno"
 *   X map# key|- flags            -> "0 <value>" | "-errno"   (lookup_and_delete)
 *   F map#                        -> "0" | "-errno"   (freeze)
 *   I map#                        -> "<n> k=v k=v ..." (every entry, kernel order)
 *   P n                           -> "0" (loads n trivial programs: objects #0..n-1 for prog arrays)
 *   B map# chunk del elem_flags   -> "<n> k=v ... rc=<final errno>" (lookup[_and_delete]_batch until it stops)
 *   Y map# elem_flags k,k,.. v,v,.. -> "<errno or 0> <count>" (update_batch)
 *   Z map# elem_flags k,k,..      -> "<errno or 0> <count>" (delete_batch)
 * Keys and values are hex ("-" for none). Map-in-map lookups print the inner map's #, prog arrays the program's #.
 * Build: gcc -O2 -o map-harness map-harness.c -lbpf
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

static int maps[4096], mtype[4096], mks[4096], mvs[4096], nmaps;
static unsigned int mids[4096];
static int progs[256], nprogs;
static unsigned int pids[256];
static int ncpus = 1;

static int unhex(const char *s, unsigned char *out, int max) {
  if (!s || strcmp(s, "-") == 0) return -1;
  int n = strlen(s) / 2;
  if (n > max) n = max;
  for (int i = 0; i < n; i++) { unsigned v; sscanf(s + 2 * i, "%2x", &v); out[i] = v; }
  return n;
}
static void hex(const unsigned char *b, int n) { for (int i = 0; i < n; i++) printf("%02x", b[i]); }
static int is_percpu(int t) { return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_LRU_PERCPU_HASH; }
static int is_fdval(int t) { return t == BPF_MAP_TYPE_PROG_ARRAY || t == BPF_MAP_TYPE_ARRAY_OF_MAPS || t == BPF_MAP_TYPE_HASH_OF_MAPS; }
static int uvsize(int m) { return is_fdval(mtype[m]) ? 4 : is_percpu(mtype[m]) ? ((mvs[m] + 7) & ~7) * ncpus : mvs[m]; }

static void print_value(int m, unsigned char *v) {
  if (is_fdval(mtype[m])) {
    unsigned int id; memcpy(&id, v, 4);
    int idx = -1;
    if (mtype[m] == BPF_MAP_TYPE_PROG_ARRAY) { for (int i = 0; i < nprogs; i++) if (pids[i] == id) idx = i; }
    else for (int i = 0; i < nmaps; i++) if (maps[i] >= 0 && mids[i] == id) idx = i;
    printf("#%d", idx);
  } else hex(v, uvsize(m));
}

int main(int argc, char **argv) {
  char line[1 << 16];
  static unsigned char key[1024], key2[1024], val[1 << 20];
  if (argc > 1 && strcmp(argv[1], "--pin") == 0) {
    cpu_set_t set; CPU_ZERO(&set); CPU_SET(0, &set); sched_setaffinity(0, sizeof set, &set);
  }
  ncpus = libbpf_num_possible_cpus();
  setvbuf(stdout, NULL, _IOFBF, 1 << 20);
  while (fgets(line, sizeof line, stdin)) {
    char *tok[12] = {0}; int nt = 0;
    for (char *p = strtok(line, " \n"); p && nt < 12; p = strtok(NULL, " \n")) tok[nt++] = p;
    if (nt == 0) continue;
    int r = 0;
    switch (tok[0][0]) {
    case 'C': {
      int inner = atoi(tok[7]);
      LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = strtoul(tok[5], 0, 0), .map_extra = strtoull(tok[6], 0, 0));
      if (inner >= 0) o.inner_map_fd = maps[inner];
      if (nt > 8 && atoi(tok[8]) >= 0) {
        /* BTF for a u32 key and a value struct holding a bpf_spin_lock at the offset */
        struct btf *btf = btf__new_empty();
        int u32_id = btf__add_int(btf, "unsigned int", 4, 0);
        int lock_id = btf__add_struct(btf, "bpf_spin_lock", 4);
        btf__add_field(btf, "val", u32_id, 0, 0);
        int val_id = btf__add_struct(btf, "val", atoi(tok[3]));
        btf__add_field(btf, "lock", lock_id, atoi(tok[8]) * 8, 0);
        if (btf__load_into_kernel(btf) < 0) { printf("btf %d\n", -errno); break; }
        o.btf_fd = btf__fd(btf); o.btf_key_type_id = u32_id; o.btf_value_type_id = val_id;
      }
      int fd = bpf_map_create(atoi(tok[1]), "t", atoi(tok[2]), atoi(tok[3]), strtoul(tok[4], 0, 0), &o);
      if (fd < 0) { printf("%d\n", -errno); break; }
      struct bpf_map_info info = {0}; __u32 len = sizeof info;
      bpf_obj_get_info_by_fd(fd, &info, &len);
      maps[nmaps] = fd; mtype[nmaps] = atoi(tok[1]); mks[nmaps] = atoi(tok[2]); mvs[nmaps] = atoi(tok[3]); mids[nmaps] = info.id;
      printf("%d\n", nmaps++);
      break;
    }
    case 'P': {
      struct bpf_insn insns[2] = { { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 }, { .code = BPF_JMP | BPF_EXIT } };
      int n = atoi(tok[1]);
      for (int i = 0; i < n; i++) {
        int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns, 2, NULL);
        struct bpf_prog_info info = {0}; __u32 len = sizeof info;
        bpf_obj_get_info_by_fd(fd, &info, &len);
        progs[nprogs] = fd; pids[nprogs++] = info.id;
      }
      printf("0\n");
      break;
    }
    case 'U': {
      int m = atoi(tok[1]);
      int kn = unhex(tok[2], key, sizeof key);
      memset(val, 0, uvsize(m));
      if (is_fdval(mtype[m])) {
        int idx = atoi(tok[3] + 1);
        int fd = idx < 0 ? 9999 : mtype[m] == BPF_MAP_TYPE_PROG_ARRAY ? progs[idx] : maps[idx];
        memcpy(val, &fd, 4);
      } else unhex(tok[3], val, sizeof val);
      r = bpf_map_update_elem(maps[m], kn < 0 ? NULL : key, val, strtoull(tok[4], 0, 0));
      printf("%d\n", r < 0 ? -errno : 0);
      break;
    }
    case 'L': case 'X': {
      int m = atoi(tok[1]);
      int kn = unhex(tok[2], key, sizeof key);
      memset(val, 0, uvsize(m));
      if (nt > 4) unhex(tok[4], val, sizeof val);
      unsigned long long fl = strtoull(tok[3], 0, 0);
      if (tok[0][0] == 'L') r = bpf_map_lookup_elem_flags(maps[m], kn < 0 ? NULL : key, val, fl);
      else r = bpf_map_lookup_and_delete_elem_flags(maps[m], kn < 0 ? NULL : key, val, fl);
      if (r < 0) printf("%d\n", -errno);
      else if (mtype[m] == BPF_MAP_TYPE_BLOOM_FILTER) printf("0\n");
      else { printf("0 "); print_value(m, val); printf("\n"); }
      break;
    }
    case 'D': {
      int m = atoi(tok[1]);
      int kn = unhex(tok[2], key, sizeof key);
      r = bpf_map_delete_elem(maps[m], kn < 0 ? NULL : key);
      printf("%d\n", r < 0 ? -errno : 0);
      break;
    }
    case 'N': {
      int m = atoi(tok[1]);
      int kn = unhex(tok[2], key, sizeof key);
      r = bpf_map_get_next_key(maps[m], kn < 0 ? NULL : key, key2);
      if (r < 0) printf("%d\n", -errno); else { printf("0 "); hex(key2, mks[m]); printf("\n"); }
      break;
    }
    case 'F': {
      r = bpf_map_freeze(maps[atoi(tok[1])]);
      printf("%d\n", r < 0 ? -errno : 0);
      break;
    }
    case 'I': {
      int m = atoi(tok[1]), n = 0;
      if (m >= nmaps) { printf("-9\n"); break; }
      static char buf[1 << 24]; int off = 0; buf[0] = 0;
      void *prev = NULL;
      while (bpf_map_get_next_key(maps[m], prev, key2) == 0) {
        memcpy(key, key2, mks[m]); prev = key;
        if (bpf_map_lookup_elem(maps[m], key, val) != 0) continue;
        n++;
        off += sprintf(buf + off, " ");
        for (int i = 0; i < mks[m]; i++) off += sprintf(buf + off, "%02x", key[i]);
        off += sprintf(buf + off, "=");
        if (is_fdval(mtype[m])) {
          unsigned int id; memcpy(&id, val, 4); int idx = -1;
          if (mtype[m] == BPF_MAP_TYPE_PROG_ARRAY) { for (int i = 0; i < nprogs; i++) if (pids[i] == id) idx = i; }
          else for (int i = 0; i < nmaps; i++) if (mids[i] == id) idx = i;
          off += sprintf(buf + off, "#%d", idx);
        } else for (int i = 0; i < uvsize(m); i++) off += sprintf(buf + off, "%02x", val[i]);
        if (off > (1 << 24) - (1 << 21)) break;
      }
      printf("%d%s\n", n, buf);
      break;
    }
    case 'B': {
      int m = atoi(tok[1]), chunk = atoi(tok[2]), del = atoi(tok[3]), n = 0;
      LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = strtoull(tok[4], 0, 0));
      static unsigned char keys[1 << 20], vals[1 << 22], inb[1024], outb[1024];
      static char buf[1 << 24]; int off = 0; buf[0] = 0;
      void *in = NULL;
      int rc = 0;
      for (int guard = 0; guard < 100000; guard++) {
        __u32 count = chunk;
        int r2 = del ? bpf_map_lookup_and_delete_batch(maps[m], in, outb, keys, vals, &count, &bo)
                     : bpf_map_lookup_batch(maps[m], in, outb, keys, vals, &count, &bo);
        rc = r2 < 0 ? -errno : 0;
        if (rc != 0 && rc != -ENOENT) count = 0; /* early errors leave count alone */
        for (__u32 i = 0; i < count; i++) {
          n++;
          off += sprintf(buf + off, " ");
          for (int j = 0; j < mks[m]; j++) off += sprintf(buf + off, "%02x", keys[i * mks[m] + j]);
          off += sprintf(buf + off, "=");
          for (int j = 0; j < uvsize(m); j++) off += sprintf(buf + off, "%02x", vals[i * uvsize(m) + j]);
        }
        if (rc != 0) break;
        memcpy(inb, outb, sizeof inb); in = inb;
      }
      printf("%d%s rc=%d\n", n, buf, rc);
      break;
    }
    case 'Y': case 'Z': {
      int m = atoi(tok[1]);
      LIBBPF_OPTS(bpf_map_batch_opts, bo, .elem_flags = strtoull(tok[2], 0, 0));
      static unsigned char keys[1 << 16], vals[1 << 20];
      __u32 count = 0;
      for (char *p = strtok(tok[3], ","); p; p = strtok(NULL, ",")) unhex(p, keys + mks[m] * count++, mks[m]);
      int r2;
      if (tok[0][0] == 'Y') {
        __u32 c2 = 0;
        for (char *p = strtok(tok[4], ","); p; p = strtok(NULL, ",")) unhex(p, vals + uvsize(m) * c2++, uvsize(m));
        r2 = bpf_map_update_batch(maps[m], keys, vals, &count, &bo);
      } else r2 = bpf_map_delete_batch(maps[m], keys, &count, &bo);
      printf("%d %u\n", r2 < 0 ? -errno : 0, count);
      break;
    }
    default:
      printf("?\n");
    }
  }
  fflush(stdout);
  return 0;
}
