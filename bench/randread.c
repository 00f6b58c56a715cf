/* SPDX-License-Identifier: MIT */
/*
 * randread: 4 KiB random buffered reads from the page cache, ursa against
 * the kernel's io_uring and a plain pread() loop.
 *
 *   randread [-d dir] [-s MiB] [-t seconds] [-r repeats] [-S]
 *
 * A file of -s MiB (default 256) is created in -d (default "."), unlinked
 * at once (so nothing is left behind), and read end to end so it sits in the
 * page cache.  When /dev/shm is tmpfs (and -d is not already tmpfs) the same
 * is done there too; -S skips that.
 *
 * Every method walks the same precomputed sequence of random 4 KiB-aligned
 * offsets from its start.  The io_uring loop keeps `qd` reads in flight: it
 * submits, reaps whatever has completed (waiting for at least one), and
 * immediately replaces each completed read with the next offset; the code is
 * identical for both backends, only the ring's backend differs.  The pread
 * loop is inherently queue depth 1.  Each configuration runs -r times,
 * methods interleaved, and the median IOPS is reported.  Figures only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <liburing.h>
#include <ursa/ursa.h>

#define BS		4096
#define MAX_REPS	15
#define MAX_QD		256
#define NOFFS		(1u << 20)	/* offsets in the sequence (cycled) */
#define CLOCK_EVERY	256		/* read the clock every N reads */
#define TMPFS_MAGIC_	0x01021994

static const unsigned qds[] = { 1, 32 };
#define NQD (sizeof(qds) / sizeof(qds[0]))

enum { M_KERNEL, M_URSA, M_PREAD, NMETH };
static const char *const meth_name[NMETH] = { "kernel", "ursa", "pread" };

static uint64_t *offs;		/* byte offsets, all 4 KiB aligned */

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
	if (v < 0)
		snprintf(buf, len, "n/a");
	else if (v >= 1e6)
		snprintf(buf, len, "%.3f M", v / 1e6);
	else
		snprintf(buf, len, "%.1f k", v / 1e3);
	return buf;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static const char *fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0xEF53: return "ext2/3/4";
	case TMPFS_MAGIC_: return "tmpfs";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x794c7630: return "overlayfs";
	case 0x6969: return "nfs";
	case 0x65735546: return "fuse";
	default: return "other";
	}
}

static bool is_tmpfs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 &&
	       (unsigned long)sf.f_type == TMPFS_MAGIC_;
}

/*
 * Creates the test file in dir, returns an O_RDONLY descriptor to it (the
 * name is already unlinked), or -1.
 */
static int make_file(const char *dir, uint64_t size)
{
	char path[PATH_MAX];
	uint64_t seed = 0x9e3779b97f4a7c15ull, done = 0;
	uint64_t *chunk;
	const size_t chunk_len = 1 << 20;
	int wfd, rfd;

	snprintf(path, sizeof(path), "%s/ursa-randread.XXXXXX", dir);
	wfd = mkstemp(path);
	if (wfd < 0) {
		fprintf(stderr, "randread: cannot create a file in %s: %s\n",
			dir, strerror(errno));
		return -1;
	}
	rfd = open(path, O_RDONLY);
	unlink(path);
	if (rfd < 0) {
		fprintf(stderr, "randread: open %s: %s\n", path,
			strerror(errno));
		close(wfd);
		return -1;
	}
	chunk = malloc(chunk_len);
	if (!chunk)
		goto fail;
	while (done < size) {
		size_t n = size - done < chunk_len ? size - done : chunk_len;
		ssize_t w;

		/* Non-zero data so no filesystem can shortcut the reads. */
		for (size_t i = 0; i < chunk_len / 8; i++)
			chunk[i] = xorshift64(&seed);
		w = pwrite(wfd, chunk, n, (off_t)done);
		if (w <= 0) {
			fprintf(stderr, "randread: writing the test file: %s\n",
				w < 0 ? strerror(errno) : "no progress");
			goto fail;
		}
		done += (uint64_t)w;
	}
	free(chunk);
	close(wfd);
	return rfd;
fail:
	free(chunk);
	close(wfd);
	close(rfd);
	return -1;
}

/* Reads the whole file once; returns the fraction of pages resident. */
static double warm(int fd, uint64_t size)
{
	char *buf = malloc(1 << 20), *map;
	unsigned char *vec;
	size_t pages = (size_t)((size + 4095) / 4096), resident = 0;

	if (buf) {
		for (uint64_t off = 0; off < size; off += 1 << 20)
			if (pread(fd, buf, 1 << 20, (off_t)off) <= 0)
				break;
		free(buf);
	}
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return -1;
	vec = malloc(pages);
	if (vec && mincore(map, size, vec) == 0) {
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
	} else {
		resident = 0;
		pages = 0;
	}
	free(vec);
	munmap(map, size);
	return pages ? (double)resident / (double)pages : -1;
}

/* pread() loop over the offset sequence for `secs`; returns reads/s. */
static double measure_pread(int fd, double secs)
{
	static char buf[BS] __attribute__((aligned(4096)));
	unsigned long long ops = 0, next_check = CLOCK_EVERY;
	unsigned idx = 0;
	double t0 = now_sec(), t, end = t0 + secs;

	for (;;) {
		ssize_t n = pread(fd, buf, BS, (off_t)offs[idx]);

		if (n != BS) {
			fprintf(stderr, "randread: pread at %llu: %s\n",
				(unsigned long long)offs[idx],
				n < 0 ? strerror(errno) : "short read");
			return -1;
		}
		idx = (idx + 1) & (NOFFS - 1);
		if (++ops >= next_check) {
			t = now_sec();
			if (t >= end)
				break;
			next_check = ops + CLOCK_EVERY;
		}
	}
	return (double)ops / (t - t0);
}

static void queue_read(struct io_uring *ring, int fd, char *bufs,
		       unsigned slot, unsigned *idx)
{
	/* The SQ has qd entries and at most qd reads are ever queued. */
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	io_uring_prep_read(sqe, fd, bufs + (size_t)slot * BS, BS, offs[*idx]);
	io_uring_sqe_set_data64(sqe, slot);
	*idx = (*idx + 1) & (NOFFS - 1);
}

/*
 * Keeps qd reads in flight on a ring of the given backend for `secs`;
 * returns completed reads/s, or a negative on failure.
 */
static double measure_ring(enum ursa_backend be, int fd, unsigned qd,
			   double secs)
{
	struct io_uring ring;
	struct io_uring_cqe *cqes[MAX_QD];
	unsigned long long ops = 0, next_check = CLOCK_EVERY;
	unsigned idx = 0, inflight = 0;
	double t0, t = 0, end;
	char *bufs;
	int ret;
	bool failed = false;

	if (posix_memalign((void **)&bufs, 4096, (size_t)qd * BS))
		return -1;
	ursa_set_backend(be);
	ret = io_uring_queue_init(qd, &ring, 0);
	if (ret < 0) {
		fprintf(stderr, "randread: io_uring_queue_init (%s): %s\n",
			be == URSA_BACKEND_KERNEL ? "kernel" : "ursa",
			strerror(-ret));
		free(bufs);
		return -1;
	}

	t0 = now_sec();
	end = t0 + secs;
	for (unsigned s = 0; s < qd; s++)
		queue_read(&ring, fd, bufs, s, &idx);
	inflight = qd;
	for (;;) {
		unsigned n;

		ret = io_uring_submit(&ring);
		if (ret < 0) {
			fprintf(stderr, "randread: io_uring_submit: %s\n",
				strerror(-ret));
			failed = true;
			break;
		}
		n = io_uring_peek_batch_cqe(&ring, cqes, qd);
		if (!n) {
			struct io_uring_cqe *cqe;

			ret = io_uring_wait_cqe(&ring, &cqe);
			if (ret < 0 && ret != -EINTR) {
				fprintf(stderr, "randread: io_uring_wait_cqe: "
					"%s\n", strerror(-ret));
				failed = true;
				break;
			}
			n = io_uring_peek_batch_cqe(&ring, cqes, qd);
		}
		for (unsigned i = 0; i < n; i++) {
			if (cqes[i]->res != BS) {
				fprintf(stderr, "randread: read returned %d "
					"(%s)\n", cqes[i]->res,
					cqes[i]->res < 0 ?
					strerror(-cqes[i]->res) : "short");
				failed = true;
			}
			/* Refill the slot at once: depth stays at qd. */
			queue_read(&ring, fd, bufs,
				   (unsigned)io_uring_cqe_get_data64(cqes[i]),
				   &idx);
		}
		io_uring_cq_advance(&ring, n);
		if (failed)
			break;
		ops += n;
		if (ops >= next_check) {
			t = now_sec();
			if (t >= end)
				break;
			next_check = ops + CLOCK_EVERY;
		}
	}

	/* Drain what is still in flight before the buffers go away. */
	ret = io_uring_submit(&ring);
	while (inflight && ret >= 0) {
		struct io_uring_cqe *cqe;

		/* Queued refills were submitted above: qd in flight. */
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR) {
			ret = 0;
			continue;
		}
		if (ret < 0)
			break;
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
	}
	io_uring_queue_exit(&ring);
	free(bufs);
	return failed ? -1 : (double)ops / (t - t0);
}

static double measure(int m, int fd, unsigned qd, double secs)
{
	switch (m) {
	case M_KERNEL: return measure_ring(URSA_BACKEND_KERNEL, fd, qd, secs);
	case M_URSA: return measure_ring(URSA_BACKEND_URSA, fd, qd, secs);
	default: return measure_pread(fd, secs);
	}
}

static bool probe(enum ursa_backend be, const char *name)
{
	struct io_uring ring;
	int ret;

	ursa_set_backend(be);
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0) {
		printf("%s io_uring unavailable (%s): %s column skipped\n",
		       name, strerror(-ret), name);
		return false;
	}
	if (be == URSA_BACKEND_URSA && !ursa_is_ring_fd(ring.ring_fd))
		printf("note: the ursa ring is not served by ursa's engine "
		       "(ring fd not an ursa ring)\n");
	io_uring_queue_exit(&ring);
	return true;
}

static void print_ratio(double a, double b)
{
	if (a > 0 && b > 0)
		printf(" %11.2fx", a / b);
	else
		printf(" %12s", "n/a");
}

/* All measurements for one location; returns 0, or -1 if it could not run. */
static int run_location(const char *dir, uint64_t size, double secs,
			int reps, const bool avail[NMETH])
{
	static double res[NQD][NMETH][MAX_REPS];
	struct statfs sf;
	char b[3][32], real[PATH_MAX];
	double cached;
	int fd;

	fd = make_file(dir, size);
	if (fd < 0)
		return -1;
	cached = warm(fd, size);
	printf("\n== %s (%s): %llu MiB file, %.0f%% in page cache ==\n",
	       realpath(dir, real) ? real : dir,
	       statfs(dir, &sf) == 0 ? fs_name((long)sf.f_type) : "?",
	       (unsigned long long)(size >> 20),
	       cached < 0 ? -1.0 : cached * 100);

	for (int r = 0; r < reps; r++) {
		for (int k = 0; k < NMETH; k++) {
			/* Alternate the order of the ring backends. */
			int m = k == M_PREAD ? M_PREAD :
				(r % 2 ? M_URSA - k : k);

			for (size_t q = 0; q < NQD; q++) {
				if (m == M_PREAD && q > 0) {
					res[q][m][r] = res[0][m][r];
					continue;
				}
				res[q][m][r] = avail[m] ?
					measure(m, fd, qds[q], secs) : -1;
				if (!avail[m])
					continue;
				fprintf(stderr, "  run %d/%d %-6s qd %2u: %s "
					"IOPS\n", r + 1, reps, meth_name[m],
					m == M_PREAD ? 1 : qds[q],
					fmt_rate(b[0], sizeof(b[0]),
						 res[q][m][r]));
			}
		}
	}
	close(fd);

	printf("%-4s %14s %14s %14s %12s %12s\n", "QD", "kernel IOPS",
	       "ursa IOPS", "pread IOPS", "ursa/kernel", "ursa/pread");
	for (size_t q = 0; q < NQD; q++) {
		double med[NMETH];

		for (int m = 0; m < NMETH; m++) {
			bool ok = avail[m];

			for (int r = 0; r < reps && ok; r++)
				ok = res[q][m][r] >= 0;
			med[m] = ok ? median(res[q][m], reps) : -1;
		}
		printf("%-4u %14s %14s %14s", qds[q],
		       fmt_rate(b[0], sizeof(b[0]), med[M_KERNEL]),
		       fmt_rate(b[1], sizeof(b[1]), med[M_URSA]),
		       fmt_rate(b[2], sizeof(b[2]), med[M_PREAD]));
		print_ratio(med[M_URSA], med[M_KERNEL]);
		print_ratio(med[M_URSA], med[M_PREAD]);
		printf("\n");
	}
	printf("(median of %d runs of %.1f s; pread is always one read at a "
	       "time)\n", reps, secs);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: randread [-d dir] [-s MiB] [-t seconds] "
		"[-r repeats] [-S]\n"
		"  -d dir      where to create the test file (default .)\n"
		"  -s MiB      test file size (default 256)\n"
		"  -t seconds  duration of each measurement (default 2)\n"
		"  -r repeats  runs per configuration, median reported "
		"(default 3, max %d)\n"
		"  -S          skip the extra run on /dev/shm (tmpfs)\n",
		MAX_REPS);
}

int main(int argc, char **argv)
{
	const char *dir = ".";
	double secs = 2.0;
	uint64_t size = 256ull << 20, seed = 0x2545f4914f6cdd1dull;
	bool avail[NMETH] = { true, true, true }, shm = true;
	int reps = 3, opt, status = 0;
	long long mib;

	while ((opt = getopt(argc, argv, "d:s:t:r:Sh")) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			mib = atoll(optarg);
			if (mib < 1 || mib > (1ll << 24)) {
				fprintf(stderr, "randread: bad size '%s'\n",
					optarg);
				return 2;
			}
			size = (uint64_t)mib << 20;
			break;
		case 't':
			secs = atof(optarg);
			if (!(secs > 0 && secs <= 600)) {
				fprintf(stderr, "randread: bad duration '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS) {
				fprintf(stderr, "randread: repeats must be "
					"1..%d\n", MAX_REPS);
				return 2;
			}
			break;
		case 'S':
			shm = false;
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

	offs = malloc(NOFFS * sizeof(*offs));
	if (!offs) {
		fprintf(stderr, "randread: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < NOFFS; i++)
		offs[i] = (xorshift64(&seed) % (size / BS)) * BS;

	avail[M_KERNEL] = probe(URSA_BACKEND_KERNEL, "kernel");
	avail[M_URSA] = probe(URSA_BACKEND_URSA, "ursa");
	printf("4 KiB random buffered reads (O_RDONLY), %d x %.1f s per "
	       "configuration, methods interleaved\n", reps, secs);

	if (run_location(dir, size, secs, reps, avail) < 0)
		status = 1;
	if (shm && !is_tmpfs(dir) && is_tmpfs("/dev/shm")) {
		if (run_location("/dev/shm", size, secs, reps, avail) < 0)
			status = 1;
	}
	free(offs);
	return status;
}
