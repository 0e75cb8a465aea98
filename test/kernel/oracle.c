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
 *   any mode: --plan PLAN   single-program mode without libbpf's object loader
 *             --type TYPE   the program's type (libbpf's name) where its section gives none
 *             --single      accepted for the engine's sake (it loads one program); the plan is that already
 *
 * --plan PLAN: PLAN is test/kernel/plan.ts's output for OBJ.o and one program:
 * OUR loader's parse (maps, global data, BTF, relocations). This file then does
 * what libbpf's bpf_object__load would with the low-level bpf.h calls: loads
 * the BTF, creates every map (global data initialised, .rodata/.kconfig
 * frozen), patches the map fds into the instructions and loads the program
 * (and the programs its prog arrays name) with the plan's type and expected
 * attach type. The kernel still verifies and runs it; only the ELF plumbing is
 * ours. It serves objects libbpf refuses as a whole; where libbpf loads the
 * object too, test/objects-kernel.test.ts checks that both paths agree.
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
#include <ctype.h>
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
	const char *mode, *obj, *prog, *data_hex, *data_file, *ctx_hex, *pcap, *plan, *type;
	const char *map_init[MAX_MAP_INITS];
	int n_map_init, repeat, dump_maps, pid;
} opt;

static void usage(void)
{
	fprintf(stderr,
		"usage: oracle load OBJ.o\n"
		"       oracle test-run OBJ.o [--prog NAME] [--data-hex HEX | --data FILE] [--ctx-hex HEX]\n"
		"                     [--repeat N] [--map-init MAP=FILE]... [--pid N] [--dump-maps]\n"
		"       oracle run-pcap OBJ.o [--prog NAME] --pcap FILE [--map-init MAP=FILE]... [--pid N] [--dump-maps]\n"
		"       any mode: --plan PLAN (single-program mode, PLAN from test/kernel/plan.ts)\n");
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

/*
 * A map as the oracle sees it, whichever loader made it: libbpf's object
 * (lb set) or the plan (single-program mode).
 */
#define MAX_MAPS 64
struct omap {
	char name[64];
	enum bpf_map_type type;
	uint32_t ks, vs, max, flags, extra, btf_key, btf_val;
	int fd, internal, freeze, has_inner;
	uint32_t inner[5]; /* type, key size, value size, max entries, flags */
	struct buf data;   /* global data: the initial image */
	struct bpf_map *lb;
};
static struct omap omaps[MAX_MAPS];
static int n_omaps;

static struct omap *find_omap(const char *name)
{
	int i;

	for (i = 0; i < n_omaps; i++)
		if (!strcmp(omaps[i].name, name))
			return &omaps[i];
	return NULL;
}

static size_t lookup_size(const struct omap *m)
{
	size_t vs = m->vs;

	if (is_percpu(m->type))
		return ((vs + 7) & ~(size_t)7) * libbpf_num_possible_cpus();
	return vs;
}

/* libbpf's maps, after open (fd -1) or after load. */
static void omaps_from_object(struct bpf_object *obj)
{
	struct bpf_map *map;

	n_omaps = 0;
	bpf_object__for_each_map(map, obj) {
		struct omap *m;

		if (n_omaps >= MAX_MAPS)
			die("more than %d maps", MAX_MAPS);
		m = &omaps[n_omaps++];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", bpf_map__name(map));
		m->type = bpf_map__type(map);
		m->ks = bpf_map__key_size(map);
		m->vs = bpf_map__value_size(map);
		m->max = bpf_map__max_entries(map);
		m->internal = bpf_map__is_internal(map);
		m->fd = bpf_map__fd(map);
		m->lb = map;
	}
}

/* --map-init: global-data maps before load, the others after. */
static void apply_map_inits(int after_load)
{
	int i;

	for (i = 0; i < opt.n_map_init; i++) {
		const char *eq = strchr(opt.map_init[i], '=');
		char name[256], *line = NULL;
		struct omap *map;
		size_t cap = 0;
		int lineno = 0;
		FILE *f;

		if (!eq || eq == opt.map_init[i] || (size_t)(eq - opt.map_init[i]) >= sizeof(name))
			die("--map-init %s: expected MAP=FILE", opt.map_init[i]);
		memcpy(name, opt.map_init[i], eq - opt.map_init[i]);
		name[eq - opt.map_init[i]] = 0;
		map = find_omap(name);
		if (!map)
			die("--map-init: no map named %s", name);
		if (!!after_load == !!map->internal)
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
			if (key.n != map->ks)
				die("%s:%d: key of %zu bytes, map %s has key_size %u", eq + 1, lineno, key.n,
				    name, map->ks);
			if (map->internal) {
				if (val.n != map->vs)
					die("%s:%d: value of %zu bytes, %s holds %u", eq + 1, lineno, val.n, name,
					    map->vs);
				if (map->lb && bpf_map__set_initial_value(map->lb, val.p, val.n))
					die("%s: cannot set the initial value", name);
				if (!map->lb) {
					free(map->data.p);
					map->data.p = malloc(val.n);
					memcpy(map->data.p, val.p, val.n);
					map->data.n = val.n;
				}
			} else {
				if (val.n != want && is_percpu(map->type) &&
				    val.n == map->vs) {
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
				if (bpf_map_update_elem(map->fd, key.p, val.p, BPF_ANY))
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
	return strcmp(((const struct omap *)a)->name, ((const struct omap *)b)->name);
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

static void dump_map(const struct omap *map)
{
	enum bpf_map_type type = map->type;
	size_t ks = map->ks, vs = lookup_size(map), n = 0, cap = 0, i;
	const char *tname = libbpf_bpf_map_type_str(type);
	int fd = map->fd;
	struct entry *ents = NULL;
	uint8_t *prev = NULL, *next;

	if (type == BPF_MAP_TYPE_RINGBUF) {
		struct rb_records r = { 0 };
		struct ring_buffer *rb = ring_buffer__new(fd, rb_sample, &r, NULL);

		if (!rb)
			die("%s: cannot open the ring buffer", map->name);
		if (ring_buffer__consume(rb) < 0)
			die("%s: ring buffer consume failed", map->name);
		ring_buffer__free(rb);
		printf("map %s type=%s key_size=%u value_size=%u max_entries=%u entries=%zu\n", map->name,
		       tname, map->ks, map->vs, map->max, r.n);
		for (i = 0; i < r.n; i++) {
			print_hex(r.recs[i].p, r.recs[i].n);
			putchar('\n');
		}
		printf("end map %s\n", map->name);
		return;
	}
	if (ks == 0) {
		printf("map %s type=%s key_size=0 value_size=%u max_entries=%u entries=0\nend map %s\n",
		       map->name, tname ? tname : "unknown", map->vs,
		       map->max, map->name);
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
		if (n > map->max + 1u)
			die("%s: key iteration does not end", map->name);
	}
	qsort(ents, n, sizeof(*ents), cmp_entry);
	printf("map %s type=%s key_size=%zu value_size=%u max_entries=%u entries=%zu\n", map->name,
	       tname ? tname : "unknown", ks, map->vs, map->max, n);
	for (i = 0; i < n; i++) {
		print_hex(ents[i].key, ks);
		putchar(' ');
		print_hex(ents[i].val, vs);
		putchar('\n');
	}
	printf("end map %s\n", map->name);
}

static void dump_maps(void)
{
	int i;

	qsort(omaps, n_omaps, sizeof(*omaps), cmp_map);
	for (i = 0; i < n_omaps; i++)
		dump_map(&omaps[i]);
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
		/* the engine's --single (load one program); the plan is single-program already */
		if (!strcmp(a, "--single"))
			continue;
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
		else if (!strcmp(a, "--plan"))
			opt.plan = v;
		else if (!strcmp(a, "--type"))
			opt.type = v;
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


/* ---- single-program mode: the plan (test/kernel/plan.ts) ---- */

#define MAX_PROGS 16
struct oprog {
	char name[64];
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
	struct buf insns;
	char license[128];
	struct bpf_func_info *func_info;
	int n_func_info, fd;
};
static struct oprog oprogs[MAX_PROGS];
static int n_oprogs, entry_prog;

/* the kernel's object names: up to 15 characters of [A-Za-z0-9_.] */
static void kernel_name(char *dst, const char *src)
{
	size_t i;

	for (i = 0; i < BPF_OBJ_NAME_LEN - 1 && src[i]; i++)
		dst[i] = (isalnum((unsigned char)src[i]) || src[i] == '_' || src[i] == '.') ? src[i] : '_';
	dst[i] = 0;
}

static struct buf hex_token(const char *tok, const char *what, int lineno)
{
	struct buf b = { 0 };

	if (!strcmp(tok, "-"))
		return b;
	if (parse_hex(tok, strlen(tok), &b))
		die("%s:%d: bad hex in %s", opt.plan, lineno, what);
	return b;
}

/* Reads the plan; maps and programs are created later, by load_plan. */
static void read_plan(struct buf *btf, char ***slot_lines, int *n_slots, char ***reloc_lines, int *n_relocs)
{
	FILE *f = fopen(opt.plan, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0;

	if (!f)
		die("--plan %s: %s", opt.plan, strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		char *save = NULL, *kw;

		lineno++;
		line[strcspn(line, "\n")] = 0;
		kw = strtok_r(line, " ", &save);
		if (!kw)
			continue;
		if (!strcmp(kw, "entry")) {
			char *t = strtok_r(NULL, " ", &save);

			entry_prog = t ? atoi(t) : -1;
		} else if (!strcmp(kw, "btf")) {
			*btf = hex_token(strtok_r(NULL, " ", &save), "btf", lineno);
		} else if (!strcmp(kw, "map")) {
			struct omap *m;
			char *t[13], *inner;
			int k;

			if (n_omaps >= MAX_MAPS)
				die("%s:%d: more than %d maps", opt.plan, lineno, MAX_MAPS);
			for (k = 0; k < 13; k++)
				if (!(t[k] = strtok_r(NULL, " ", &save)))
					die("%s:%d: map line with %d fields, expected 13", opt.plan, lineno, k);
			m = &omaps[n_omaps++];
			memset(m, 0, sizeof(*m));
			m->fd = -1;
			snprintf(m->name, sizeof(m->name), "%s", t[0]);
			m->type = strtoul(t[1], NULL, 10);
			m->ks = strtoul(t[2], NULL, 10);
			m->vs = strtoul(t[3], NULL, 10);
			m->max = strtoul(t[4], NULL, 10);
			m->flags = strtoul(t[5], NULL, 10);
			m->extra = strtoul(t[6], NULL, 10);
			m->btf_key = strtoul(t[7], NULL, 10);
			m->btf_val = strtoul(t[8], NULL, 10);
			m->freeze = atoi(t[9]);
			m->internal = atoi(t[10]);
			inner = t[11];
			if (strcmp(inner, "-")) {
				m->has_inner = 1;
				if (sscanf(inner, "%u,%u,%u,%u,%u", &m->inner[0], &m->inner[1], &m->inner[2], &m->inner[3],
					   &m->inner[4]) != 5)
					die("%s:%d: bad inner map %s", opt.plan, lineno, inner);
			}
			m->data = hex_token(t[12], "map data", lineno);
		} else if (!strcmp(kw, "prog")) {
			struct oprog *p;
			char *t[6], *fi, *save2 = NULL;
			struct buf lic;
			int k;

			if (n_oprogs >= MAX_PROGS)
				die("%s:%d: more than %d programs", opt.plan, lineno, MAX_PROGS);
			for (k = 0; k < 6; k++)
				if (!(t[k] = strtok_r(NULL, " ", &save)))
					die("%s:%d: prog line with %d fields, expected 6", opt.plan, lineno, k);
			p = &oprogs[n_oprogs++];
			snprintf(p->name, sizeof(p->name), "%s", t[0]);
			p->type = strtoul(t[1], NULL, 10);
			p->attach = strtoul(t[2], NULL, 10);
			p->insns = hex_token(t[3], "instructions", lineno);
			lic = hex_token(t[4], "license", lineno);
			snprintf(p->license, sizeof(p->license), "%.*s", (int)lic.n, lic.p ? (char *)lic.p : "");
			p->fd = -1;
			fi = strcmp(t[5], "-") ? strtok_r(t[5], ",", &save2) : NULL;
			for (; fi; fi = strtok_r(NULL, ",", &save2)) {
				p->func_info = realloc(p->func_info, (p->n_func_info + 1) * sizeof(*p->func_info));
				if (sscanf(fi, "%u:%u", &p->func_info[p->n_func_info].insn_off,
					   &p->func_info[p->n_func_info].type_id) != 2)
					die("%s:%d: bad func info %s", opt.plan, lineno, fi);
				p->n_func_info++;
			}
		} else if (!strcmp(kw, "reloc") || !strcmp(kw, "slot")) {
			char ***dst = kw[0] == 'r' ? reloc_lines : slot_lines;
			int *n = kw[0] == 'r' ? n_relocs : n_slots;

			*dst = realloc(*dst, (*n + 1) * sizeof(**dst));
			(*dst)[(*n)++] = strdup(save ? save : "");
		} else {
			die("%s:%d: unknown line %s", opt.plan, lineno, kw);
		}
	}
	free(line);
	fclose(f);
	if (entry_prog < 0 || entry_prog >= n_oprogs)
		die("%s: no entry program", opt.plan);
}

/* What bpf_object__load does, for the plan: BTF, maps, relocations, programs, slots. */
static int load_plan(void)
{
	static char log[1 << 20];
	struct buf btf = { 0 };
	char **slots = NULL, **relocs = NULL;
	int n_slots = 0, n_relocs = 0, btf_fd = -1, i;

	read_plan(&btf, &slots, &n_slots, &relocs, &n_relocs);
	apply_map_inits(0);
	if (btf.n) {
		LIBBPF_OPTS(bpf_btf_load_opts, bo, .log_buf = log, .log_size = sizeof(log), .log_level = 1);

		log[0] = 0;
		btf_fd = bpf_btf_load(btf.p, btf.n, &bo);
		/* BTF only matters for what needs it (spin locks, ...): the kernel then says so */
		if (btf_fd < 0)
			fprintf(stderr, "oracle: %s: BTF not loaded (%s), maps created without it: %s\n", opt.plan,
				strerror(errno), log);
	}
	for (i = 0; i < n_omaps; i++) {
		struct omap *m = &omaps[i];
		LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = m->flags, .map_extra = m->extra);
		char kname[BPF_OBJ_NAME_LEN];
		int inner_fd = -1;
		uint32_t max = m->max;

		/* libbpf sizes a perf event array without max_entries to the possible CPUs */
		if (m->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !max)
			max = libbpf_num_possible_cpus();
		if (btf_fd >= 0 && (m->btf_key || m->btf_val)) {
			mo.btf_fd = btf_fd;
			mo.btf_key_type_id = m->btf_key;
			mo.btf_value_type_id = m->btf_val;
		}
		if (m->has_inner) {
			char iname[BPF_OBJ_NAME_LEN];

			kernel_name(iname, m->name);
			inner_fd = bpf_map_create(m->inner[0], iname, m->inner[1], m->inner[2], m->inner[3], NULL);
			if (inner_fd < 0)
				die("map %s: inner map template: %s", m->name, strerror(errno));
			mo.inner_map_fd = inner_fd;
		}
		kernel_name(kname, m->name);
		m->fd = bpf_map_create(m->type, kname, m->ks, m->vs, max, &mo);
		if (m->fd < 0 && mo.btf_fd) {
			/* libbpf retries without BTF too */
			mo.btf_fd = mo.btf_key_type_id = mo.btf_value_type_id = 0;
			m->fd = bpf_map_create(m->type, kname, m->ks, m->vs, max, &mo);
		}
		if (m->fd < 0)
			die("map %s (type %u): create failed: %s", m->name, m->type, strerror(errno));
		if (inner_fd >= 0)
			close(inner_fd);
		m->max = max;
		if (m->internal && m->ks) {
			uint32_t zero = 0;
			uint8_t *img = calloc(1, m->vs ? m->vs : 1);

			memcpy(img, m->data.p ? m->data.p : img, m->data.n < m->vs ? m->data.n : m->vs);
			if (bpf_map_update_elem(m->fd, &zero, img, BPF_ANY))
				die("map %s: initial value: %s", m->name, strerror(errno));
			free(img);
		}
		if (m->freeze && bpf_map_freeze(m->fd))
			die("map %s: freeze: %s", m->name, strerror(errno));
	}
	for (i = 0; i < n_relocs; i++) {
		unsigned p, pc, mi;
		struct oprog *pr;

		if (sscanf(relocs[i], "%u %u %u", &p, &pc, &mi) != 3 || p >= (unsigned)n_oprogs || mi >= (unsigned)n_omaps)
			die("%s: bad reloc %s", opt.plan, relocs[i]);
		pr = &oprogs[p];
		if ((size_t)(pc + 2) * sizeof(struct bpf_insn) > pr->insns.n)
			die("%s: reloc at pc %u past the end of %s", opt.plan, pc, pr->name);
		((struct bpf_insn *)pr->insns.p)[pc].imm = omaps[mi].fd;
	}
	for (i = 0; i < n_oprogs; i++) {
		struct oprog *p = &oprogs[i];
		LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = p->attach, .log_buf = log,
			    .log_size = sizeof(log), .log_level = 0);
		char kname[BPF_OBJ_NAME_LEN];

		kernel_name(kname, p->name);
		if (btf_fd >= 0 && p->n_func_info) {
			po.prog_btf_fd = btf_fd;
			po.func_info = p->func_info;
			po.func_info_cnt = p->n_func_info;
			po.func_info_rec_size = sizeof(*p->func_info);
		}
		log[0] = 0;
		p->fd = bpf_prog_load(p->type, kname, p->license, (struct bpf_insn *)p->insns.p,
				      p->insns.n / sizeof(struct bpf_insn), &po);
		if (p->fd < 0) {
			int e = errno;

			/* again with the verifier's log, for the reason */
			po.log_level = 1;
			bpf_prog_load(p->type, kname, p->license, (struct bpf_insn *)p->insns.p,
				      p->insns.n / sizeof(struct bpf_insn), &po);
			fprintf(stderr, "%s", log);
			die("%s: prog '%s': load failed: %s", opt.obj, p->name, strerror(e));
		}
	}
	for (i = 0; i < n_slots; i++) {
		unsigned mi, idx, t;
		char kind[8];
		int fd;

		if (sscanf(slots[i], "%u %u %7s %u", &mi, &idx, kind, &t) != 4 || mi >= (unsigned)n_omaps)
			die("%s: bad slot %s", opt.plan, slots[i]);
		if (!strcmp(kind, "map") && t < (unsigned)n_omaps)
			fd = omaps[t].fd;
		else if (!strcmp(kind, "prog") && t < (unsigned)n_oprogs)
			fd = oprogs[t].fd;
		else
			die("%s: bad slot %s", opt.plan, slots[i]);
		if (bpf_map_update_elem(omaps[mi].fd, &idx, &fd, BPF_ANY))
			die("map %s: slot %u: %s", omaps[mi].name, idx, strerror(errno));
	}
	return oprogs[entry_prog].fd;
}

int main(int argc, char **argv)
{
	struct bpf_program *prog = NULL, *p;
	struct bpf_object *obj = NULL;
	enum bpf_prog_type prog_type;
	const char *prog_name;
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

	if (opt.plan) {
		prog_fd = load_plan();
		prog_type = oprogs[entry_prog].type;
		prog_name = oprogs[entry_prog].name;
		if (opt.prog && strcmp(opt.prog, prog_name))
			die("--prog %s: the plan is for %s", opt.prog, prog_name);
		if (!strcmp(opt.mode, "load")) {
			printf("prog %s type=%s insns=%zu: accepted\n", prog_name, libbpf_bpf_prog_type_str(prog_type),
			       oprogs[entry_prog].insns.n / sizeof(struct bpf_insn));
			return 0;
		}
	} else {
		obj = bpf_object__open_file(opt.obj, NULL);
		if (!obj)
			die("%s: cannot open: %s", opt.obj, strerror(errno));
		bpf_object__for_each_program(p, obj) {
			if (!prog && (!opt.prog || !strcmp(bpf_program__name(p), opt.prog)))
				prog = p;
		}
		if (!prog)
			die("%s: no program%s%s", opt.obj, opt.prog ? " named " : "", opt.prog ? opt.prog : "");
		if (opt.type) {
			/* bpf_program__set_type for a section that names no type (the plan carries its own) */
			enum bpf_prog_type t;

			for (t = 1; libbpf_bpf_prog_type_str(t) && strcmp(libbpf_bpf_prog_type_str(t), opt.type); t++)
				;
			if (!libbpf_bpf_prog_type_str(t) || bpf_program__set_type(prog, t))
				die("--type %s: not a program type", opt.type);
		}
		omaps_from_object(obj);
		apply_map_inits(0);
		err = bpf_object__load(obj);
		if (err)
			die("%s: load failed: %s", opt.obj, strerror(-err));
		if (!strcmp(opt.mode, "load")) {
			bpf_object__for_each_program(p, obj)
				printf("prog %s section=%s insns=%zu: accepted\n", bpf_program__name(p),
				       bpf_program__section_name(p), bpf_program__insn_cnt(p));
			return 0;
		}
		omaps_from_object(obj);
		prog_fd = bpf_program__fd(prog);
		prog_type = bpf_program__type(prog);
		prog_name = bpf_program__name(prog);
	}
	apply_map_inits(1);

	if (!strcmp(opt.mode, "test-run")) {
		size_t out_cap = data.n + 4096, ctx_cap = 4096;
		LIBBPF_OPTS(bpf_test_run_opts, t);
		int raw_tp = prog_type == BPF_PROG_TYPE_RAW_TRACEPOINT;

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

		if (prog_type == BPF_PROG_TYPE_RAW_TRACEPOINT)
			die("run-pcap: %s is a raw_tracepoint program: it takes a context, not packets", prog_name);
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
		dump_maps();
	fflush(stdout);
	if (obj)
		bpf_object__close(obj);
	return 0;
}
