/* SPDX-License-Identifier: MIT */
/*
 * nop: NOP round trips per second, ursa against the kernel's io_uring.
 *
 *   nop [-t seconds] [-r repeats]
 *
 * For each batch size (1 and 32) and each backend, one ring is set up and
 * driven for -t seconds with: prepare `batch` NOPs, io_uring_submit(), then
 * reap exactly `batch` CQEs with io_uring_peek_batch_cqe() +
 * io_uring_cq_advance() (blocking in io_uring_wait_cqe() only when nothing
 * is ready).  This measures the fixed cost of the submit/complete path.
 * Each configuration runs -r times, backends interleaved, and the median is
 * reported.  Figures only: nothing here asserts anything about timing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <ursa/ursa.h>

#define MAX_REPS	15
#define RING_ENTRIES	64
#define MAX_BATCH	32
/* Read the clock about once per this many NOPs. */
#define CLOCK_EVERY	256

static const unsigned batches[] = { 1, 32 };
#define NBATCH (sizeof(batches) / sizeof(batches[0]))

enum { COL_KERNEL, COL_URSA, NCOL };
static const char *const col_name[NCOL] = { "kernel", "ursa" };
static const enum ursa_backend col_backend[NCOL] = {
	URSA_BACKEND_KERNEL, URSA_BACKEND_URSA,
};

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void machine_info(void)
{
	struct utsname u;
	char line[256], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (!strncmp(line, "model name", 10) && colon) {
				snprintf(model, sizeof(model), "%s",
					 colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		fclose(f);
	}
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	printf("machine: %ld CPUs online (%s), Linux %s %s\n",
	       sysconf(_SC_NPROCESSORS_ONLN), model, u.release, u.machine);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *fmt_rate(char *buf, size_t len, double v)
{
	if (v >= 1e6)
		snprintf(buf, len, "%.3f M", v / 1e6);
	else
		snprintf(buf, len, "%.1f k", v / 1e3);
	return buf;
}

static int ring_init(enum ursa_backend be, struct io_uring *ring)
{
	ursa_set_backend(be);
	return io_uring_queue_init(RING_ENTRIES, ring, 0);
}

/*
 * One batch: submit `batch` NOPs and reap as many CQEs.  Returns the number
 * of failed NOPs (res != 0), or -1 if the ring itself failed.
 */
static int one_batch(struct io_uring *ring, unsigned batch)
{
	struct io_uring_cqe *cqes[MAX_BATCH];
	unsigned i, reaped = 0;
	int ret, bad = 0;

	for (i = 0; i < batch; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe) {
			fprintf(stderr, "nop: SQ full\n");
			return -1;
		}
		io_uring_prep_nop(sqe);
		io_uring_sqe_set_data64(sqe, i);
	}
	ret = io_uring_submit(ring);
	if (ret != (int)batch) {
		fprintf(stderr, "nop: io_uring_submit returned %d (%s), "
			"expected %u\n", ret, ret < 0 ? strerror(-ret) : "short",
			batch);
		return -1;
	}
	while (reaped < batch) {
		unsigned n = io_uring_peek_batch_cqe(ring, cqes, batch - reaped);

		if (!n) {
			struct io_uring_cqe *cqe;

			/* Nothing ready yet: block, then peek again. */
			ret = io_uring_wait_cqe(ring, &cqe);
			if (ret < 0 && ret != -EINTR) {
				fprintf(stderr, "nop: io_uring_wait_cqe: %s\n",
					strerror(-ret));
				return -1;
			}
			continue;
		}
		for (i = 0; i < n; i++)
			bad += cqes[i]->res != 0;
		io_uring_cq_advance(ring, n);
		reaped += n;
	}
	return bad;
}

/* Runs NOP batches for `secs`; returns ops/s, or a negative on failure. */
static double measure(enum ursa_backend be, unsigned batch, double secs)
{
	struct io_uring ring;
	unsigned long long ops = 0, next_check;
	double t0, t, end;
	int ret, bad = 0;

	ret = ring_init(be, &ring);
	if (ret < 0) {
		fprintf(stderr, "nop: io_uring_queue_init (%s): %s\n",
			be == URSA_BACKEND_KERNEL ? "kernel" : "ursa",
			strerror(-ret));
		return -1;
	}
	/* Short warm-up so first-touch costs stay out of the figure. */
	end = now_sec() + (secs / 20 < 0.2 ? secs / 20 : 0.2);
	do {
		for (int i = 0; i < 64; i++)
			if (one_batch(&ring, batch) < 0)
				goto fail;
	} while (now_sec() < end);

	t0 = now_sec();
	end = t0 + secs;
	next_check = CLOCK_EVERY;
	for (;;) {
		ret = one_batch(&ring, batch);
		if (ret < 0)
			goto fail;
		bad += ret;
		ops += batch;
		if (ops >= next_check) {
			t = now_sec();
			if (t >= end)
				break;
			next_check = ops + CLOCK_EVERY;
		}
	}
	io_uring_queue_exit(&ring);
	if (bad)
		fprintf(stderr, "nop: warning: %d NOPs completed with an "
			"error\n", bad);
	return (double)ops / (t - t0);
fail:
	io_uring_queue_exit(&ring);
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: nop [-t seconds] [-r repeats]\n"
		"  -t seconds  duration of each measurement (default 2)\n"
		"  -r repeats  runs per configuration, median reported "
		"(default 3, max %d)\n", MAX_REPS);
}

int main(int argc, char **argv)
{
	double secs = 2.0, res[NBATCH][NCOL][MAX_REPS];
	bool avail[NCOL];
	int reps = 3, opt;
	char b1[32], b2[32];

	while ((opt = getopt(argc, argv, "t:r:h")) != -1) {
		switch (opt) {
		case 't':
			secs = atof(optarg);
			if (!(secs > 0 && secs <= 600)) {
				fprintf(stderr, "nop: bad duration '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "nop: repeats must be 1..%d\n",
					MAX_REPS);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	machine_info();

	/* Probe each backend once so a refusing one is skipped up front. */
	for (int c = 0; c < NCOL; c++) {
		struct io_uring ring;
		int ret = ring_init(col_backend[c], &ring);

		avail[c] = ret >= 0;
		if (ret < 0) {
			printf("%s io_uring unavailable (%s): %s column "
			       "skipped\n", col_name[c], strerror(-ret),
			       col_name[c]);
			continue;
		}
		if (col_backend[c] == URSA_BACKEND_URSA &&
		    !ursa_is_ring_fd(ring.ring_fd))
			printf("note: the ursa ring is not served by ursa's "
			       "engine (ring fd not an ursa ring)\n");
		io_uring_queue_exit(&ring);
	}
	printf("NOP submit+reap, %d x %.1f s per configuration, backends "
	       "interleaved\n", reps, secs);

	for (int r = 0; r < reps; r++) {
		for (size_t b = 0; b < NBATCH; b++) {
			for (int k = 0; k < NCOL; k++) {
				/* Alternate which backend goes first. */
				int c = (r % 2) ? NCOL - 1 - k : k;

				if (!avail[c]) {
					res[b][c][r] = -1;
					continue;
				}
				res[b][c][r] = measure(col_backend[c],
						       batches[b], secs);
				fprintf(stderr, "  run %d/%d batch %2u %-6s: "
					"%s ops/s\n", r + 1, reps, batches[b],
					col_name[c], res[b][c][r] < 0 ?
					"failed" : fmt_rate(b1, sizeof(b1),
							    res[b][c][r]));
			}
		}
	}

	printf("\n%-6s %16s %16s %12s\n", "batch", "kernel ops/s",
	       "ursa ops/s", "ursa/kernel");
	for (size_t b = 0; b < NBATCH; b++) {
		double med[NCOL];

		for (int c = 0; c < NCOL; c++) {
			bool ok = avail[c];

			for (int r = 0; r < reps && ok; r++)
				ok = res[b][c][r] >= 0;
			med[c] = ok ? median(res[b][c], reps) : -1;
		}
		printf("%-6u %16s %16s ", batches[b],
		       med[COL_KERNEL] < 0 ? "n/a" :
		       fmt_rate(b1, sizeof(b1), med[COL_KERNEL]),
		       med[COL_URSA] < 0 ? "n/a" :
		       fmt_rate(b2, sizeof(b2), med[COL_URSA]));
		if (med[COL_KERNEL] > 0 && med[COL_URSA] > 0)
			printf("%11.2fx\n", med[COL_URSA] / med[COL_KERNEL]);
		else
			printf("%12s\n", "n/a");
	}
	printf("(median of %d runs; ops/s = NOPs completed per second of "
	       "wall time)\n", reps);
	return 0;
}
