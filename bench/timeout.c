/* SPDX-License-Identifier: MIT */
/*
 * Timer scale: arm N timeouts (IORING_OP_TIMEOUT) of random durations and
 * wait for all of them, on ursa and on the kernel's io_uring in one run.
 * Reports arm time (submitting them all), CPU time of the whole process
 * (user + system, every thread), total time, and the median and p99
 * lateness (CQE seen minus the time it was due).  Figures only.
 *
 *   timeout [-n count] [-m max_ms] [-r repeats]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>
#include <ursa/ursa.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double cpu_sec(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	bool ok;
	double arm_ms, cpu_ms, total_ms, p50_us, p99_us;
};

static unsigned extra_flags;

static struct result run(enum ursa_backend backend, unsigned n, unsigned max_ms,
			 unsigned seed)
{
	struct result res = { 0 };
	struct __kernel_timespec *ts = calloc(n, sizeof(*ts));
	uint64_t *due = calloc(n, sizeof(*due)), *late = calloc(n, sizeof(*late));
	struct io_uring_params p;
	struct io_uring ring;
	uint64_t t0, t_armed;
	double c0;
	unsigned i, got = 0;

	memset(&p, 0, sizeof(p));
	/* A CQ as large as allowed (65536): reaped as they come. */
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP | extra_flags;
	p.cq_entries = n;
	ursa_set_backend(backend);
	if (!ts || !due || !late || io_uring_queue_init_params(n < 4096 ? 256 : 4096, &ring, &p))
		goto out;
	srand(seed);
	for (i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(rand() % (max_ms * 1000)) * 1000;

		ts[i].tv_sec = (long long)(d / 1000000000ull);
		ts[i].tv_nsec = (long long)(d % 1000000000ull);
	}
	c0 = cpu_sec();
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		if (!sqe) {
			io_uring_submit(&ring);
			sqe = io_uring_get_sqe(&ring);
		}
		io_uring_prep_timeout(sqe, &ts[i], 0, 0);
		sqe->user_data = i;
		due[i] = now_ns() + (uint64_t)ts[i].tv_sec * 1000000000ull +
			 (uint64_t)ts[i].tv_nsec;
	}
	io_uring_submit(&ring);
	t_armed = now_ns();
	while (got < n) {
		struct io_uring_cqe *cqe;
		unsigned head, k = 0;

		if (io_uring_wait_cqe(&ring, &cqe))
			goto out_ring;
		uint64_t t = now_ns();
		io_uring_for_each_cqe(&ring, head, cqe) {
			uint64_t id = cqe->user_data;

			if (id < n && cqe->res == -ETIME)
				late[got++] = t > due[id] ? t - due[id] : 0;
			k++;
		}
		io_uring_cq_advance(&ring, k);
	}
	res.total_ms = (double)(now_ns() - t0) / 1e6;
	res.cpu_ms = (cpu_sec() - c0) * 1e3;
	res.arm_ms = (double)(t_armed - t0) / 1e6;
	qsort(late, n, sizeof(*late), cmp_u64);
	res.p50_us = (double)late[n / 2] / 1e3;
	res.p99_us = (double)late[(size_t)n * 99 / 100] / 1e3;
	res.ok = true;
out_ring:
	io_uring_queue_exit(&ring);
out:
	free(ts);
	free(due);
	free(late);
	return res;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double med(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	unsigned n = 100000, max_ms = 1000, reps = 3;
	double v[2][5][16];
	bool ok[2] = { true, true };
	const char *name[2] = { "kernel", "ursa" };
	int opt, r, b;

	int only = -1;

	while ((opt = getopt(argc, argv, "n:m:r:b:d")) != -1) {
		switch (opt) {
		case 'd':
			extra_flags = IORING_SETUP_SINGLE_ISSUER |
				      IORING_SETUP_DEFER_TASKRUN;
			break;
		case 'b': only = !strcmp(optarg, "ursa") ? 1 : 0; break;
		case 'n': n = (unsigned)atoi(optarg); break;
		case 'm': max_ms = (unsigned)atoi(optarg); break;
		case 'r': reps = (unsigned)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: timeout [-n count] [-m max_ms] [-r repeats] [-b ursa|kernel] [-d]\n"
				"  -d: rings with SINGLE_ISSUER|DEFER_TASKRUN\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 16 || n < 100 || !max_ms)
		return 2;
	printf("timeouts: %u of random durations in [0, %u ms), %u runs each, "
	       "%ld CPUs%s\n", n, max_ms, reps, sysconf(_SC_NPROCESSORS_ONLN),
	       extra_flags ? ", DEFER_TASKRUN rings" : "");
	for (r = 0; r < (int)reps; r++) {
		for (b = 0; b < 2; b++) {
			int which = (r & 1) ? 1 - b : b;

			if (only >= 0 && which != only) {
				ok[which] = false;
				continue;
			}
			struct result x = run(which ? URSA_BACKEND_URSA :
					      URSA_BACKEND_KERNEL, n, max_ms,
					      1234 + (unsigned)r);

			if (!x.ok) {
				ok[which] = false;
				continue;
			}
			v[which][0][r] = x.arm_ms;
			v[which][1][r] = x.cpu_ms;
			v[which][2][r] = x.total_ms;
			v[which][3][r] = x.p50_us;
			v[which][4][r] = x.p99_us;
			printf("  run %d %-6s arm %8.1f ms  cpu %8.1f ms  total %8.1f ms"
			       "  late p50 %8.1f us  p99 %8.1f us\n", r + 1,
			       name[which], x.arm_ms, x.cpu_ms, x.total_ms,
			       x.p50_us, x.p99_us);
		}
	}
	printf("\n%-8s %10s %10s %10s %12s %12s\n", "backend", "arm ms",
	       "cpu ms", "total ms", "late p50 us", "late p99 us");
	double m[2][5];
	for (b = 0; b < 2; b++) {
		if (!ok[b]) {
			printf("%-8s n/a (could not run)\n", name[b]);
			continue;
		}
		for (int k = 0; k < 5; k++)
			m[b][k] = med(v[b][k], (int)reps);
		printf("%-8s %10.1f %10.1f %10.1f %12.1f %12.1f\n", name[b],
		       m[b][0], m[b][1], m[b][2], m[b][3], m[b][4]);
	}
	if (ok[0] && ok[1])
		printf("%-8s %10.2fx %9.2fx %9.2fx %11.2fx %11.2fx\n",
		       "ursa/krn", m[1][0] / m[0][0], m[1][1] / m[0][1],
		       m[1][2] / m[0][2], m[1][3] / m[0][3], m[1][4] / m[0][4]);
	printf("(median of %u runs; for arm, cpu and lateness lower is better)\n",
	       reps);
	return 0;
}
