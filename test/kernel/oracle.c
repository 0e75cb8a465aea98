// SPDX-License-Identifier: MIT
/*
 * Kernel oracle: loads a BPF object with libbpf and runs its programs in the
 * running kernel through BPF_PROG_TEST_RUN, printing results in the exact
 * format of `ebpf-wasm test-run` / `ebpf-wasm run`, so that the engine can be
 * compared with the kernel byte for byte.
 *
 *   oracle load OBJ.o
 *   oracle test-run OBJ.o [--prog NAME] [--data-hex HEX | --data FILE]
 *          [--ctx-hex HEX] [--repeat N] [--map-init MAP=FILE]... [--pid N]
 *          [--dump-maps]
 *   oracle run-pcap OBJ.o [--prog NAME] --pcap FILE [--map-init MAP=FILE]...
 *          [--pid N] [--dump-maps]
 *
 * Output of test-run:
 *   retval: R              the kernel's u32 retval, unsigned decimal
 *   data_out: HEX          only when data was given (lowercase, no spaces)
 *   ctx_out: HEX           only when --ctx-hex was given and the kernel returned a context
 *   duration_ns: N         the kernel's average per repetition (0 for raw_tracepoint)
 * Output of run-pcap, per record (numbered from 1, like tshark's frame numbers):
 *   packet N retval R data_out HEX
 *   packet N error -E      when the kernel refused the run (e.g. EINVAL)
 * Then, with --dump-maps, every map sorted by name (byte order):
 *   map NAME type=T key_size=K value_size=V max_entries=M entries=N
 *   KEYHEX VALUEHEX        one line per entry, sorted by key bytes
 *   end map NAME
 * T is libbpf's map type name (hash, lru_hash, percpu_array, lpm_trie, ...).
 * Per-CPU values are what the kernel's lookup returns: every possible CPU's
 * value, each rounded up to 8 bytes, concatenated. A ringbuf map prints its
 * pending records instead (entries = record count, one record's bytes per
 * line, no key). Global-data maps (.bss, .data, .rodata) appear under
 * libbpf's names (e.g. flow_cou.bss) with key 00000000.
 *
 * --repeat N: the kernel's repeat; for raw_tracepoint programs, which the
 * kernel does not repeat, N separate runs.
 *
 * --map-init MAP=FILE reads lines "KEYHEX VALUEHEX" ('#' starts a comment).
 * For global-data maps the value replaces the initial image before load (so
 * it can set `const volatile` .rodata config); other maps are updated after
 * load (a per-CPU value may be given once, for every CPU, or in full).
 *
 * The process pins itself to CPU 0, so per-CPU state lands in CPU 0's slot.
 * --pid N runs everything in a child whose pid (= tgid) is N, set through
 * /proc/sys/kernel/ns_last_pid, so bpf_get_current_pid_tgid() is
 * deterministic (needs the initial pid namespace).
 *
 * Build: gcc -O2 -o oracle oracle.c -lbpf -lelf -lz
 * Exit status: 0 ok, 1 load/run failure, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_MAP_INITS 32

struct buf {
	uint8_t *p;
	size_t n;
};

static struct {
	const char *mode, *obj, *prog, *data_hex, *data_file, *ctx_hex, *pcap;
	const char *map_init[MAX_MAP_INITS];
	int n_map_init, repeat, dump_maps, pid;
} opt;

static void usage(void)
{
	fprintf(stderr,
		"usage: oracle load OBJ.o\n"
		"       oracle test-run OBJ.o [--prog NAME] [--data-hex HEX | --data FILE] [--ctx-hex HEX]\n"
		"                     [--repeat N] [--map-init MAP=FILE]... [--pid N] [--dump-maps]\n"
		"       oracle run-pcap OBJ.o [--prog NAME] --pcap FILE [--map-init MAP=FILE]... [--pid N] [--dump-maps]\n");
	exit(2);
}

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("oracle: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses hex, ignoring whitespace; returns -1 on bad input. */
static int parse_hex(const char *s, size_t len, struct buf *out)
{
	size_t i, n = 0;
	int hi = -1;

	out->p = malloc(len / 2 + 1);
	for (i = 0; i < len; i++) {
		int v;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
			continue;
		v = hexval((unsigned char)s[i]);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
		} else {
			out->p[n++] = hi << 4 | v;
			hi = -1;
		}
	}
	out->n = n;
	return hi < 0 ? 0 : -1;
}

static void print_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		putchar(digits[p[i] >> 4]);
		putchar(digits[p[i] & 15]);
	}
}

static struct buf read_file(const char *path)
{
	struct buf b = { 0 };
	size_t cap = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		die("%s: %s", path, strerror(errno));
	for (;;) {
		size_t got;

		if (b.n == cap) {
			cap = cap ? cap * 2 : 65536;
			b.p = realloc(b.p, cap);
		}
		got = fread(b.p + b.n, 1, cap - b.n, f);
		if (!got)
			break;
		b.n += got;
	}
	fclose(f);
	return b;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level != LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

static size_t lookup_size(const struct bpf_map *map)
{
	size_t vs = bpf_map__value_size(map);

	if (is_percpu(bpf_map__type(map)))
		return ((vs + 7) & ~(size_t)7) * libbpf_num_possible_cpus();
	return vs;
}

/* --map-init: global-data maps before load, the others after. */
static void apply_map_inits(struct bpf_object *obj, int after_load)
{
	int i;

	for (i = 0; i < opt.n_map_init; i++) {
		const char *eq = strchr(opt.map_init[i], '=');
		char name[256], *line = NULL;
		struct bpf_map *map;
		size_t cap = 0;
		int lineno = 0;
		FILE *f;

		if (!eq || eq == opt.map_init[i] || (size_t)(eq - opt.map_init[i]) >= sizeof(name))
			die("--map-init %s: expected MAP=FILE", opt.map_init[i]);
		memcpy(name, opt.map_init[i], eq - opt.map_init[i]);
		name[eq - opt.map_init[i]] = 0;
		map = bpf_object__find_map_by_name(obj, name);
		if (!map)
			die("--map-init: no map named %s", name);
		if (!!after_load == !!bpf_map__is_internal(map))
			continue;
		f = fopen(eq + 1, "r");
		if (!f)
			die("--map-init %s: %s", eq + 1, strerror(errno));
		while (getline(&line, &cap, f) >= 0) {
			char *hash = strchr(line, '#'), *sp, *k;
			struct buf key, val;
			size_t want = lookup_size(map);

			lineno++;
			if (hash)
				*hash = 0;
			k = line + strspn(line, " \t\r\n");
			if (!*k)
				continue;
			sp = k + strcspn(k, " \t");
			if (!*sp || parse_hex(k, sp - k, &key) || parse_hex(sp, strlen(sp), &val))
				die("%s:%d: expected KEYHEX VALUEHEX", eq + 1, lineno);
			if (key.n != bpf_map__key_size(map))
				die("%s:%d: key of %zu bytes, map %s has key_size %u", eq + 1, lineno, key.n,
				    name, bpf_map__key_size(map));
			if (bpf_map__is_internal(map)) {
				if (val.n != bpf_map__value_size(map))
					die("%s:%d: value of %zu bytes, %s holds %u", eq + 1, lineno, val.n, name,
					    bpf_map__value_size(map));
				if (bpf_map__set_initial_value(map, val.p, val.n))
					die("%s: cannot set the initial value", name);
			} else {
				if (val.n != want && is_percpu(bpf_map__type(map)) &&
				    val.n == bpf_map__value_size(map)) {
					size_t stride = (val.n + 7) & ~(size_t)7, c;
					uint8_t *all = calloc(1, want);

					for (c = 0; c < want / stride; c++)
						memcpy(all + c * stride, val.p, val.n);
					free(val.p);
					val.p = all;
					val.n = want;
				}
				if (val.n != want)
					die("%s:%d: value of %zu bytes, map %s needs %zu", eq + 1, lineno, val.n, name, want);
				if (bpf_map_update_elem(bpf_map__fd(map), key.p, val.p, BPF_ANY))
					die("%s:%d: update of %s failed: %s", eq + 1, lineno, name, strerror(errno));
			}
			free(key.p);
			free(val.p);
		}
		free(line);
		fclose(f);
	}
}

struct entry {
	uint8_t *key, *val;
	size_t klen;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return memcmp(x->key, y->key, x->klen);
}

static int cmp_map(const void *a, const void *b)
{
	return strcmp(bpf_map__name(*(struct bpf_map *const *)a), bpf_map__name(*(struct bpf_map *const *)b));
}

struct rb_records {
	struct buf *recs;
	size_t n;
};

static int rb_sample(void *ctx, void *data, size_t size)
{
	struct rb_records *r = ctx;

	r->recs = realloc(r->recs, (r->n + 1) * sizeof(*r->recs));
	r->recs[r->n].p = malloc(size ? size : 1);
	memcpy(r->recs[r->n].p, data, size);
	r->recs[r->n].n = size;
	r->n++;
	return 0;
}

static void dump_map(struct bpf_map *map)
{
	enum bpf_map_type type = bpf_map__type(map);
	size_t ks = bpf_map__key_size(map), vs = lookup_size(map), n = 0, cap = 0, i;
	const char *tname = libbpf_bpf_map_type_str(type);
	int fd = bpf_map__fd(map);
	struct entry *ents = NULL;
	uint8_t *prev = NULL, *next;

	if (type == BPF_MAP_TYPE_RINGBUF) {
		struct rb_records r = { 0 };
		struct ring_buffer *rb = ring_buffer__new(fd, rb_sample, &r, NULL);

		if (!rb)
			die("%s: cannot open the ring buffer", bpf_map__name(map));
		if (ring_buffer__consume(rb) < 0)
			die("%s: ring buffer consume failed", bpf_map__name(map));
		ring_buffer__free(rb);
		printf("map %s type=%s key_size=%u value_size=%u max_entries=%u entries=%zu\n", bpf_map__name(map),
		       tname, bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map), r.n);
		for (i = 0; i < r.n; i++) {
			print_hex(r.recs[i].p, r.recs[i].n);
			putchar('\n');
		}
		printf("end map %s\n", bpf_map__name(map));
		return;
	}
	if (ks == 0) {
		printf("map %s type=%s key_size=0 value_size=%u max_entries=%u entries=0\nend map %s\n",
		       bpf_map__name(map), tname ? tname : "unknown", bpf_map__value_size(map),
		       bpf_map__max_entries(map), bpf_map__name(map));
		return;
	}
	for (;;) {
		next = malloc(ks);
		if (bpf_map_get_next_key(fd, prev, next)) {
			free(next);
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ents = realloc(ents, cap * sizeof(*ents));
		}
		ents[n].key = next;
		ents[n].klen = ks;
		ents[n].val = calloc(1, vs);
		if (bpf_map_lookup_elem(fd, next, ents[n].val)) {
			free(ents[n].val); /* deleted under us: skip */
			ents[n].val = NULL;
		} else {
			n++;
		}
		prev = next;
		if (n > bpf_map__max_entries(map) + 1u)
			die("%s: key iteration does not end", bpf_map__name(map));
	}
	qsort(ents, n, sizeof(*ents), cmp_entry);
	printf("map %s type=%s key_size=%zu value_size=%u max_entries=%u entries=%zu\n", bpf_map__name(map),
	       tname ? tname : "unknown", ks, bpf_map__value_size(map), bpf_map__max_entries(map), n);
	for (i = 0; i < n; i++) {
		print_hex(ents[i].key, ks);
		putchar(' ');
		print_hex(ents[i].val, vs);
		putchar('\n');
	}
	printf("end map %s\n", bpf_map__name(map));
}

static void dump_maps(struct bpf_object *obj)
{
	struct bpf_map *map, **maps = NULL;
	size_t n = 0, i;

	bpf_object__for_each_map(map, obj) {
		maps = realloc(maps, (n + 1) * sizeof(*maps));
		maps[n++] = map;
	}
	qsort(maps, n, sizeof(*maps), cmp_map);
	for (i = 0; i < n; i++)
		dump_map(maps[i]);
}

/* Classic pcap (µs or ns, either byte order); pcapng is not needed here. */
struct packet {
	const uint8_t *data;
	uint32_t len;
};

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;

	return swap ? __builtin_bswap32(v) : v;
}

static struct packet *read_pcap(const char *path, size_t *count)
{
	struct buf b = read_file(path);
	struct packet *pk = NULL;
	size_t off = 24, n = 0;
	uint32_t magic;
	int swap;

	if (b.n < 24)
		die("%s: too short for a pcap header", path);
	magic = rd32(b.p, 0);
	if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d)
		swap = 0;
	else if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1)
		swap = 1;
	else
		die("%s: not a classic pcap file (magic %08x)", path, magic);
	if (rd32(b.p + 20, swap) != 1)
		die("%s: link type %u is not Ethernet", path, rd32(b.p + 20, swap));
	while (off < b.n) {
		uint32_t incl;

		if (off + 16 > b.n)
			die("%s: record %zu: truncated header", path, n);
		incl = rd32(b.p + off + 8, swap);
		if (off + 16 + incl > b.n)
			die("%s: record %zu: truncated data", path, n);
		pk = realloc(pk, (n + 1) * sizeof(*pk));
		pk[n].data = b.p + off + 16;
		pk[n].len = incl;
		n++;
		off += 16 + incl;
	}
	*count = n;
	return pk;
}

/* Runs as a child whose pid (and tgid) is `pid`; returns in the child only. */
static void become_pid(int pid)
{
	int attempt;

	for (attempt = 0; attempt < 50; attempt++) {
		int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY), status;
		char num[32];
		pid_t child;

		if (fd < 0)
			die("--pid: /proc/sys/kernel/ns_last_pid: %s", strerror(errno));
		snprintf(num, sizeof(num), "%d", pid - 1);
		if (write(fd, num, strlen(num)) < 0)
			die("--pid: cannot write ns_last_pid: %s", strerror(errno));
		close(fd);
		fflush(stdout);
		child = fork();
		if (child < 0)
			die("fork: %s", strerror(errno));
		if (child == 0) {
			if (getpid() == pid)
				return;
			_exit(111);
		}
		if (waitpid(child, &status, 0) < 0)
			die("waitpid: %s", strerror(errno));
		if (WIFEXITED(status) && WEXITSTATUS(status) == 111)
			continue; /* raced with another fork, or pid in use */
		exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	die("--pid %d: could not obtain that pid (in use?)", pid);
}

static void parse_args(int argc, char **argv)
{
	int i;

	if (argc < 3)
		usage();
	opt.mode = argv[1];
	opt.obj = argv[2];
	opt.repeat = 1;
	opt.pid = -1;
	if (strcmp(opt.mode, "load") && strcmp(opt.mode, "test-run") && strcmp(opt.mode, "run-pcap"))
		usage();
	for (i = 3; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--dump-maps")) {
			opt.dump_maps = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--prog"))
			opt.prog = v;
		else if (!strcmp(a, "--data-hex"))
			opt.data_hex = v;
		else if (!strcmp(a, "--data"))
			opt.data_file = v;
		else if (!strcmp(a, "--ctx-hex"))
			opt.ctx_hex = v;
		else if (!strcmp(a, "--pcap"))
			opt.pcap = v;
		else if (!strcmp(a, "--repeat"))
			opt.repeat = atoi(v);
		else if (!strcmp(a, "--pid"))
			opt.pid = atoi(v);
		else if (!strcmp(a, "--map-init") && opt.n_map_init < MAX_MAP_INITS)
			opt.map_init[opt.n_map_init++] = v;
		else
			usage();
	}
	if (opt.data_hex && opt.data_file)
		usage();
	if (!strcmp(opt.mode, "run-pcap") && !opt.pcap)
		usage();
	if (opt.repeat < 1)
		usage();
}

int main(int argc, char **argv)
{
	struct bpf_program *prog = NULL, *p;
	struct bpf_object *obj;
	struct buf data = { 0 }, ctx = { 0 };
	int have_data = 0, have_ctx = 0, prog_fd, err;
	cpu_set_t cpus;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	libbpf_set_print(libbpf_print);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		die("cannot pin to CPU 0: %s", strerror(errno));
	if (opt.data_hex) {
		if (parse_hex(opt.data_hex, strlen(opt.data_hex), &data))
			die("--data-hex: invalid hex");
		have_data = 1;
	} else if (opt.data_file) {
		data = read_file(opt.data_file);
		have_data = 1;
	}
	if (opt.ctx_hex) {
		if (parse_hex(opt.ctx_hex, strlen(opt.ctx_hex), &ctx))
			die("--ctx-hex: invalid hex");
		have_ctx = 1;
	}
	if (opt.pid > 0)
		become_pid(opt.pid);

	obj = bpf_object__open_file(opt.obj, NULL);
	if (!obj)
		die("%s: cannot open: %s", opt.obj, strerror(errno));
	bpf_object__for_each_program(p, obj) {
		if (!prog && (!opt.prog || !strcmp(bpf_program__name(p), opt.prog)))
			prog = p;
	}
	if (!prog)
		die("%s: no program%s%s", opt.obj, opt.prog ? " named " : "", opt.prog ? opt.prog : "");
	apply_map_inits(obj, 0);
	err = bpf_object__load(obj);
	if (err)
		die("%s: load failed: %s", opt.obj, strerror(-err));
	if (!strcmp(opt.mode, "load")) {
		bpf_object__for_each_program(p, obj)
			printf("prog %s section=%s insns=%zu: accepted\n", bpf_program__name(p),
			       bpf_program__section_name(p), bpf_program__insn_cnt(p));
		return 0;
	}
	apply_map_inits(obj, 1);
	prog_fd = bpf_program__fd(prog);

	if (!strcmp(opt.mode, "test-run")) {
		size_t out_cap = data.n + 4096, ctx_cap = 4096;
		LIBBPF_OPTS(bpf_test_run_opts, t);
		int raw_tp = bpf_program__type(prog) == BPF_PROG_TYPE_RAW_TRACEPOINT;

		if (have_data) {
			t.data_in = data.p;
			t.data_size_in = data.n;
			t.data_out = calloc(1, out_cap);
			t.data_size_out = out_cap;
		}
		if (have_ctx) {
			t.ctx_in = ctx.p;
			t.ctx_size_in = ctx.n;
			if (!raw_tp) {
				t.ctx_out = calloc(1, ctx_cap);
				t.ctx_size_out = ctx_cap;
			}
		}
		if (!raw_tp) {
			t.repeat = opt.repeat;
			if (bpf_prog_test_run_opts(prog_fd, &t))
				die("BPF_PROG_TEST_RUN: %s", strerror(errno));
		} else {
			/* the kernel does not repeat raw_tracepoint runs: one run per repetition */
			int i;

			for (i = 0; i < opt.repeat; i++)
				if (bpf_prog_test_run_opts(prog_fd, &t))
					die("BPF_PROG_TEST_RUN: %s", strerror(errno));
		}
		printf("retval: %u\n", t.retval);
		if (have_data) {
			fputs("data_out: ", stdout);
			print_hex(t.data_out, t.data_size_out);
			putchar('\n');
		}
		if (have_ctx && t.ctx_out && t.ctx_size_out) {
			fputs("ctx_out: ", stdout);
			print_hex(t.ctx_out, t.ctx_size_out);
			putchar('\n');
		}
		printf("duration_ns: %u\n", t.duration);
	} else {
		uint8_t *out = malloc(65536 + 4096);
		struct packet *pk;
		size_t n, i;

		if (bpf_program__type(prog) == BPF_PROG_TYPE_RAW_TRACEPOINT)
			die("run-pcap: %s is a raw_tracepoint program: it takes a context, not packets",
			    bpf_program__name(prog));
		pk = read_pcap(opt.pcap, &n);

		for (i = 0; i < n; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = pk[i].data, .data_size_in = pk[i].len,
				    .data_out = out, .data_size_out = 65536 + 4096, .repeat = 1);

			if (bpf_prog_test_run_opts(prog_fd, &t)) {
				printf("packet %zu error -%d\n", i + 1, errno);
				continue;
			}
			printf("packet %zu retval %u data_out ", i + 1, t.retval);
			print_hex(out, t.data_size_out);
			putchar('\n');
		}
	}
	if (opt.dump_maps)
		dump_maps(obj);
	fflush(stdout);
	bpf_object__close(obj);
	return 0;
}
