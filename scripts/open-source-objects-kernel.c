// SPDX-License-Identifier: MIT
/*
 * The running kernel's verdict on every program of a BPF object, one
 * program at a time: libbpf opens the object, autoloads only that program
 * (plus the maps every program shares) and calls bpf_object__load, so the
 * kernel's BPF_PROG_LOAD decides. One line per program:
 *
 *   PROG<TAB>ok
 *   PROG<TAB>error<TAB>-ERRNO<TAB>last line of the verifier log (or libbpf's message)
 *
 * and, when libbpf cannot open the object at all:
 *   *<TAB>open-error<TAB>-ERRNO<TAB>libbpf's message
 *
 * What the projects' own loaders do before load, done here too: a program in
 * a section libbpf does not know gets TYPE (argv[2]; libxdp and the
 * xdp-tutorial loader set XDP, Suricata sets socket filter), maps are not
 * pinned, and a map declared with max_entries 0 for user space to size
 * (xdp-tools' per-CPU stats, xdp-bench's cpumap) gets the number of possible CPUs.
 * OSS_DEBUG=1 in the environment prints libbpf's whole output to stderr.
 *
 * Used by scripts/open-source-objects.mjs. Build:
 *   gcc -O2 -o open-source-objects-kernel open-source-objects-kernel.c -lbpf -lelf -lz
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

static char logbuf[1 << 20];

/* Map types whose max_entries 0 means "set by user space before load" (xdp-tools' per-CPU stats
 * arrays, xdp-bench's cpumap); storage maps must keep 0 and libbpf sizes perf/ring buffers itself. */
static int sized_by_user_space(enum bpf_map_type t)
{
	switch ((int)t) {
	case BPF_MAP_TYPE_SK_STORAGE: case BPF_MAP_TYPE_INODE_STORAGE: case BPF_MAP_TYPE_TASK_STORAGE:
	case 32 /* BPF_MAP_TYPE_CGRP_STORAGE: newer than libbpf-dev 1.1's headers */: case BPF_MAP_TYPE_PERF_EVENT_ARRAY: case BPF_MAP_TYPE_RINGBUF:
	case BPF_MAP_TYPE_USER_RINGBUF:
		return 0;
	default:
		return 1;
	}
}
static size_t loglen;

static int collect(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (loglen < sizeof(logbuf) - 1) {
		int n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
		if (n > 0) loglen += (size_t)n < sizeof(logbuf) - loglen ? (size_t)n : sizeof(logbuf) - loglen - 1;
	}
	return 0;
}

/* The most telling line: the verifier log's last line, else libbpf's last error line. */
static void reason(char *out, size_t size)
{
	char *end = strstr(logbuf, "-- END PROG LOAD LOG --");
	char *line = NULL, *p, *save = NULL;
	out[0] = 0;
	if (end) {
		*end = 0;
		for (p = strtok_r(logbuf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
			if (p[0] && strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17)) line = p;
	} else {
		/* libbpf's first failure names the cause; later lines are its consequences */
		for (p = strtok_r(logbuf, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
			if (!line && (strstr(p, "not found") || strstr(p, "fail") || strstr(p, "error") || strstr(p, "unsupported") || strstr(p, "unrecognized"))) line = p;
	}
	if (line) {
		snprintf(out, size, "%s", line);
		for (p = out; *p; p++) if (*p == '\t') *p = ' ';
	}
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *p, *q;
	struct bpf_map *m;
	char why[512];
	int n = 0, i;

	enum bpf_prog_type fallback = BPF_PROG_TYPE_XDP;
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s OBJ.o [xdp|socket_filter|sched_cls]\n", argv[0]);
		return 2;
	}
	if (argc == 3 && !strcmp(argv[2], "socket_filter")) fallback = BPF_PROG_TYPE_SOCKET_FILTER;
	else if (argc == 3 && !strcmp(argv[2], "sched_cls")) fallback = BPF_PROG_TYPE_SCHED_CLS;
	libbpf_set_print(collect);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		int err = -errno;
		reason(why, sizeof(why));
		printf("*\topen-error\t%d\t%s\n", err, why);
		return 0;
	}
	bpf_object__for_each_program(p, obj) n++;
	bpf_object__close(obj);

	for (i = 0; i < n; i++) {
		int k = 0, err;
		const char *name = NULL;
		loglen = 0;
		logbuf[0] = 0;
		obj = bpf_object__open_file(argv[1], NULL);
		if (!obj) return 1;
		bpf_object__for_each_program(q, obj) {
			if (bpf_program__type(q) == BPF_PROG_TYPE_UNSPEC) bpf_program__set_type(q, fallback);
			bpf_program__set_autoload(q, k == i);
			if (k == i) name = bpf_program__name(q);
			k++;
		}
		bpf_object__for_each_map(m, obj) {
			bpf_map__set_pin_path(m, NULL);
			if (bpf_map__max_entries(m) == 0 && sized_by_user_space(bpf_map__type(m)))
				bpf_map__set_max_entries(m, libbpf_num_possible_cpus());
		}
		err = bpf_object__load(obj);
		if (getenv("OSS_DEBUG")) fputs(logbuf, stderr);
		if (err) {
			reason(why, sizeof(why));
			printf("%s\terror\t%d\t%s\n", name, err, why);
		} else {
			printf("%s\tok\n", name);
		}
		bpf_object__close(obj);
		fflush(stdout);
	}
	return 0;
}
