// SPDX-License-Identifier: MIT
/*
 * kbench: the Linux kernel's side of the benchmarks. Loads a BPF object with
 * libbpf, runs programs through BPF_PROG_TEST_RUN with `repeat` over one
 * packet or over every packet of a pcap, and prints the kernel's own
 * `duration` (mean ns per repetition, the kernel's JIT when
 * net.core.bpf_jit_enable=1) as one JSON line.
 *
 *   kbench OBJ.o [--prog NAME]... [--data-hex HEX | --pcap FILE]
 *          [--repeat N] [--trials T] [--map-init MAP=FILE]... [--fill MAP=N]...
 *
 * --prog: programs to time (default: every program of the object), in order.
 * --repeat N: the kernel's repeat per packet (default 1000).
 * --trials T: the whole set of packets T times per program (default 5); the
 *   caller takes the median of the trial means.
 * --map-init MAP=FILE: "KEYHEX VALUEHEX" lines; global-data maps before
 *   load, the others after (as test/kernel/oracle.c).
 * --fill MAP=N: N entries before the runs: u32 keys 0..N-1 (an LPM trie:
 *   /24 prefixes of address k<<8 in network order), value u64 1.
 * Without --data-hex or --pcap the programs run on a 64-byte zero frame.
 *
 * Every program's duration includes the kernel's per-repetition overhead of
 * BPF_PROG_TEST_RUN (bh disable/enable, timer checks); "baseline" times a
 * two-instruction program of the same type (r0 = 0/XDP_PASS; exit) on the
 * same packets, which is that overhead plus an empty program.
 *
 * Output: {"object", "repeat", "trials", "packets", "jit", "programs": [{
 *   "name", "type", "trial_mean_ns": [..], "packet_ns": [..last trial..],
 *   "retvals": [..one run per fresh packet..], "errors": N }], "baselines": {TYPE: [..]}}
 * Exit: 0 ok, 1 failure, 2 usage, 3 bpf() refused (then {"skipped": WHY}).
 * Build: gcc -O2 -o kbench kbench.c -lbpf  (bench/kernel/kernel.ts does it
 * on first use).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define MAX_LIST 64
#define PCAP_GLOBAL_HEADER 24
#define PCAP_RECORD_HEADER 16
#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define DEFAULT_FRAME 64
#define LPM_FILL_PREFIX 24

struct buf {
	uint8_t *p;
	size_t n;
};

static struct {
	const char *obj, *data_hex, *pcap;
	const char *progs[MAX_LIST], *inits[MAX_LIST], *fills[MAX_LIST];
	int n_progs, n_inits, n_fills, repeat, trials;
} opt = { .repeat = 1000, .trials = 5 };

static struct buf *packets;
static size_t n_packets;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("kbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr, "usage: kbench OBJ.o [--prog NAME]... [--data-hex HEX | --pcap FILE] [--repeat N] [--trials T]\n"
			"              [--map-init MAP=FILE]... [--fill MAP=N]...\n");
	exit(2);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Hex digits with optional whitespace; -1 on anything else or an odd count. */
static int parse_hex(const char *s, size_t len, struct buf *out)
{
	int hi = -1;

	out->p = malloc(len / 2 + 1);
	out->n = 0;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')
			continue;
		if ((v = hexval((unsigned char)s[i])) < 0)
			return -1;
		if (hi < 0)
			hi = v;
		else
			out->p[out->n++] = hi << 4 | v, hi = -1;
	}
	return hi < 0 ? 0 : -1;
}

static void add_packet(const uint8_t *p, size_t n)
{
	packets = realloc(packets, (n_packets + 1) * sizeof *packets);
	packets[n_packets].p = malloc(n ? n : 1);
	memcpy(packets[n_packets].p, p, n);
	packets[n_packets++].n = n;
}

/* Little-endian pcap (µs or ns timestamps), Ethernet or raw: the records' bytes. */
static void read_pcap(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t hdr[PCAP_GLOBAL_HEADER], rec[PCAP_RECORD_HEADER];
	uint32_t magic, snap;
	long offset = PCAP_GLOBAL_HEADER;

	if (!f)
		die("%s: %s", path, strerror(errno));
	if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr)
		die("%s: shorter than a pcap header", path);
	memcpy(&magic, hdr, 4);
	memcpy(&snap, hdr + 16, 4);
	if (magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS)
		die("%s: not a little-endian pcap (magic %08x; pcapng is not read here)", path, magic);
	for (size_t idx = 1;; idx++) {
		uint32_t incl;
		uint8_t *data;
		size_t got = fread(rec, 1, sizeof rec, f);

		if (got == 0)
			break;
		if (got != sizeof rec)
			die("%s: packet %zu: truncated record header at offset %ld", path, idx, offset);
		memcpy(&incl, rec + 8, 4);
		if (incl > snap || incl > 262144)
			die("%s: packet %zu: captured length %u exceeds the snaplen %u at offset %ld", path, idx, incl, snap, offset);
		data = malloc(incl + 1);
		if (fread(data, 1, incl, f) != incl)
			die("%s: packet %zu: truncated data at offset %ld", path, idx, offset);
		add_packet(data, incl);
		free(data);
		offset += PCAP_RECORD_HEADER + incl;
	}
	fclose(f);
	if (!n_packets)
		die("%s: no packets", path);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

static int split(const char *arg, const char *what, char *name, size_t cap)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) >= cap)
		die("%s %s: expected MAP=VALUE", what, arg);
	memcpy(name, arg, eq - arg);
	name[eq - arg] = 0;
	return eq - arg + 1;
}

/* Global-data maps take their image before load, the others are updated after. */
static void map_inits(struct bpf_object *obj, int after_load)
{
	for (int i = 0; i < opt.n_inits; i++) {
		char name[256], *line = NULL;
		const char *file = opt.inits[i] + split(opt.inits[i], "--map-init", name, sizeof name);
		struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
		size_t cap = 0;
		int lineno = 0;
		FILE *f;

		if (!map)
			die("--map-init: no map named %s", name);
		if (!!after_load == !!bpf_map__is_internal(map))
			continue;
		if (!(f = fopen(file, "r")))
			die("--map-init %s: %s", file, strerror(errno));
		while (getline(&line, &cap, f) >= 0) {
			char *hash = strchr(line, '#'), *k, *sp;
			struct buf key, val;

			lineno++;
			if (hash)
				*hash = 0;
			k = line + strspn(line, " \t\r\n");
			if (!*k)
				continue;
			sp = k + strcspn(k, " \t");
			if (!*sp || parse_hex(k, sp - k, &key) || parse_hex(sp, strlen(sp), &val))
				die("%s:%d: expected KEYHEX VALUEHEX", file, lineno);
			if (key.n != bpf_map__key_size(map) || val.n != bpf_map__value_size(map))
				die("%s:%d: key/value of %zu/%zu bytes, map %s has %u/%u", file, lineno, key.n, val.n, name,
				    bpf_map__key_size(map), bpf_map__value_size(map));
			if (bpf_map__is_internal(map) ? bpf_map__set_initial_value(map, val.p, val.n)
						      : bpf_map_update_elem(bpf_map__fd(map), key.p, val.p, BPF_ANY))
				die("%s:%d: cannot set %s: %s", file, lineno, name, strerror(errno));
			free(key.p);
			free(val.p);
		}
		free(line);
		fclose(f);
	}
}

static void fill_maps(struct bpf_object *obj)
{
	for (int i = 0; i < opt.n_fills; i++) {
		char name[256];
		const char *count = opt.fills[i] + split(opt.fills[i], "--fill", name, sizeof name);
		struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
		long n = atol(count);
		int lpm, fd;
		uint8_t *value, key[8];

		if (!map || n <= 0 || (unsigned long)n > bpf_map__max_entries(map))
			die("--fill %s: no such map, or a count outside 1..max_entries", opt.fills[i]);
		lpm = bpf_map__type(map) == BPF_MAP_TYPE_LPM_TRIE;
		if (bpf_map__key_size(map) != (lpm ? 8u : 4u) || bpf_map__value_size(map) < 8)
			die("--fill %s: needs a u32 key (LPM: 8-byte key) and a value of at least 8 bytes", name);
		value = calloc(1, bpf_map__value_size(map));
		value[0] = 1; /* u64 1, little endian */
		fd = bpf_map__fd(map);
		for (uint32_t k = 0; k < (uint32_t)n; k++) {
			if (lpm) {
				uint32_t plen = LPM_FILL_PREFIX, addr = htonl(k << 8);

				memcpy(key, &plen, 4);
				memcpy(key + 4, &addr, 4);
			} else {
				memcpy(key, &k, 4);
			}
			if (bpf_map_update_elem(fd, key, value, BPF_ANY))
				die("--fill %s: update %u: %s", name, k, strerror(errno));
		}
		free(value);
	}
}

/* r0 = 0 (XDP: XDP_PASS); exit — the test-run floor of a program type. */
static int baseline_prog(enum bpf_prog_type type)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = type == BPF_PROG_TYPE_XDP ? XDP_PASS : 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(type, "kbench_base", "GPL", insns, 2, NULL);

	if (fd < 0)
		die("baseline program of type %d: %s", type, strerror(errno));
	return fd;
}

struct timing {
	double *trial_mean;
	uint32_t *packet_ns, *retvals;
	int errors;
};

static struct timing time_prog(int fd)
{
	struct timing t = { calloc(opt.trials, sizeof(double)), calloc(n_packets, 4), calloc(n_packets, 4), 0 };
	uint8_t *out = malloc(65536 + 4096);

	/* retvals of one run per fresh packet (with repeat, the kernel reports the last run's) */
	for (size_t i = 0; i < n_packets; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = packets[i].p, .data_size_in = packets[i].n,
			    .data_out = out, .data_size_out = 65536 + 4096, .repeat = 1);
		if (bpf_prog_test_run_opts(fd, &ro) < 0)
			t.errors++, t.retvals[i] = (uint32_t)-errno;
		else
			t.retvals[i] = ro.retval;
	}
	for (int trial = 0; trial < opt.trials; trial++) {
		double sum = 0;
		size_t ok = 0;

		for (size_t i = 0; i < n_packets; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = packets[i].p, .data_size_in = packets[i].n,
				    .data_out = out, .data_size_out = 65536 + 4096, .repeat = opt.repeat);
			if (bpf_prog_test_run_opts(fd, &ro) < 0)
				continue;
			t.packet_ns[i] = ro.duration;
			sum += ro.duration;
			ok++;
		}
		t.trial_mean[trial] = ok ? sum / ok : -1;
	}
	free(out);
	return t;
}

static void print_timing(struct timing *t)
{
	printf("\"trial_mean_ns\":[");
	for (int i = 0; i < opt.trials; i++)
		printf("%s%.2f", i ? "," : "", t->trial_mean[i]);
	printf("],\"packet_ns\":[");
	for (size_t i = 0; i < n_packets; i++)
		printf("%s%u", i ? "," : "", t->packet_ns[i]);
	printf("],\"retvals\":[");
	for (size_t i = 0; i < n_packets; i++)
		printf("%s%d", i ? "," : "", (int32_t)t->retvals[i]);
	printf("],\"errors\":%d", t->errors);
}

static const char *type_name(enum bpf_prog_type type)
{
	const char *s = libbpf_bpf_prog_type_str(type);

	return s ? s : "unknown";
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_program *chosen[MAX_LIST];
	int n_chosen = 0, probe, jit = -1;
	enum bpf_prog_type base_types[MAX_LIST];
	int n_base = 0;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (a[0] != '-') {
			if (opt.obj)
				usage();
			opt.obj = a;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--prog") && opt.n_progs < MAX_LIST)
			opt.progs[opt.n_progs++] = v;
		else if (!strcmp(a, "--map-init") && opt.n_inits < MAX_LIST)
			opt.inits[opt.n_inits++] = v;
		else if (!strcmp(a, "--fill") && opt.n_fills < MAX_LIST)
			opt.fills[opt.n_fills++] = v;
		else if (!strcmp(a, "--data-hex"))
			opt.data_hex = v;
		else if (!strcmp(a, "--pcap"))
			opt.pcap = v;
		else if (!strcmp(a, "--repeat") && atoi(v) > 0)
			opt.repeat = atoi(v);
		else if (!strcmp(a, "--trials") && atoi(v) > 0)
			opt.trials = atoi(v);
		else
			usage();
	}
	if (!opt.obj || (opt.data_hex && opt.pcap))
		usage();

	/* Is bpf() allowed at all? A refusal is a skip, not a failure. */
	probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (probe < 0) {
		printf("{\"skipped\":\"bpf() refused: %s\"}\n", strerror(errno));
		return 3;
	}
	close(probe);

	if (opt.pcap) {
		read_pcap(opt.pcap);
	} else if (opt.data_hex) {
		struct buf b;

		if (parse_hex(opt.data_hex, strlen(opt.data_hex), &b))
			die("--data-hex: invalid hex");
		add_packet(b.p, b.n);
	} else {
		uint8_t zero[DEFAULT_FRAME] = { 0 };

		add_packet(zero, sizeof zero);
	}

	/* one CPU for every run: per-CPU state and caches stay put */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof set, &set);

	libbpf_set_print(libbpf_print);
	obj = bpf_object__open_file(opt.obj, NULL);
	if (!obj)
		die("%s: %s", opt.obj, strerror(errno));
	map_inits(obj, 0);
	if (bpf_object__load(obj))
		die("%s: load failed: %s", opt.obj, strerror(errno));
	map_inits(obj, 1);
	fill_maps(obj);

	if (opt.n_progs) {
		for (int i = 0; i < opt.n_progs; i++) {
			if (!(chosen[n_chosen++] = bpf_object__find_program_by_name(obj, opt.progs[i])))
				die("no program named %s", opt.progs[i]);
		}
	} else {
		bpf_object__for_each_program(prog, obj) if (n_chosen < MAX_LIST) chosen[n_chosen++] = prog;
	}

	if ((f = fopen("/proc/sys/net/core/bpf_jit_enable", "r"))) {
		if (fscanf(f, "%d", &jit) != 1)
			jit = -1;
		fclose(f);
	}
	printf("{\"object\":\"%s\",\"repeat\":%d,\"trials\":%d,\"packets\":%zu,\"jit\":%d,\"programs\":[", opt.obj, opt.repeat,
	       opt.trials, n_packets, jit);
	for (int i = 0; i < n_chosen; i++) {
		enum bpf_prog_type type = bpf_program__type(chosen[i]);
		struct timing t = time_prog(bpf_program__fd(chosen[i]));
		int seen = 0;

		printf("%s{\"name\":\"%s\",\"type\":\"%s\",", i ? "," : "", bpf_program__name(chosen[i]), type_name(type));
		print_timing(&t);
		printf("}");
		for (int j = 0; j < n_base; j++)
			seen |= base_types[j] == type;
		if (!seen)
			base_types[n_base++] = type;
	}
	printf("],\"baselines\":{");
	for (int j = 0; j < n_base; j++) {
		int fd = baseline_prog(base_types[j]);
		struct timing t = time_prog(fd);

		printf("%s\"%s\":{", j ? "," : "", type_name(base_types[j]));
		print_timing(&t);
		printf("}");
		close(fd);
	}
	printf("}}\n");
	bpf_object__close(obj);
	return 0;
}
