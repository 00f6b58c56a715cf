/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for ursa's tests: ring setup with the "kernel refuses
 * io_uring" skip, pattern files, bounded CQE waits and CQE checks.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"

const char *t_backend(void)
{
	const char *b = getenv("URSA_BACKEND");

	if (b && !strcmp(b, "kernel"))
		return "kernel";
	return "ursa";
}

int t_backend_is_kernel(void)
{
	return !strcmp(t_backend(), "kernel");
}

/* -ENOSYS: no io_uring in this kernel; -EPERM: io_uring_disabled/seccomp. */
static int refused(int ret)
{
	return t_backend_is_kernel() && (ret == -ENOSYS || ret == -EPERM);
}

int t_setup_ring_params(struct io_uring *ring, unsigned entries,
			struct io_uring_params *p)
{
	int ret = io_uring_queue_init_params(entries, ring, p);

	if (refused(ret))
		t_skip("kernel refuses io_uring (%s)", t_errname(ret));
	return ret;
}

int t_setup_ring(struct io_uring *ring, unsigned entries, unsigned flags)
{
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	return t_setup_ring_params(ring, entries, &p);
}

void t_ring_init(struct io_uring *ring, unsigned entries, unsigned flags)
{
	int ret = t_setup_ring(ring, entries, flags);

	if (ret)
		t_fail("io_uring_queue_init(%u, flags 0x%x): %s", entries,
		       flags, t_errname(ret));
}

void t_fill_pattern(void *buf, size_t len, uint64_t off, unsigned seed)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = t_pattern_byte(off + i, seed);
}

long t_check_pattern(const void *buf, size_t len, uint64_t off, unsigned seed)
{
	const unsigned char *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i] != t_pattern_byte(off + i, seed))
			return (long)i;
	return -1;
}

static void write_pattern(int fd, size_t size, unsigned seed)
{
	unsigned char buf[8192];
	size_t done = 0;

	while (done < size) {
		size_t n = size - done < sizeof(buf) ? size - done : sizeof(buf);
		ssize_t w;

		t_fill_pattern(buf, n, done, seed);
		w = pwrite(fd, buf, n, (off_t)done);
		if (w <= 0)
			t_fail("pwrite: %s", strerror(errno));
		done += (size_t)w;
	}
}

char *t_create_file(size_t size, unsigned seed)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if (asprintf(&path, "%s/ursa-test-XXXXXX", dir) < 0)
		t_fail("asprintf");
	fd = mkstemp(path);
	if (fd < 0)
		t_fail("mkstemp(%s): %s", path, strerror(errno));
	write_pattern(fd, size, seed);
	close(fd);
	return path;
}

int t_temp_fd(size_t size, unsigned seed)
{
	char *path = t_create_file(size, seed);
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		t_fail("open(%s): %s", path, strerror(errno));
	unlink(path);
	free(path);
	return fd;
}

int t_bufcmp(const void *a, const void *b, size_t len, const char *what)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < len; i++) {
		if (x[i] != y[i]) {
			fprintf(stderr, "%s: differs at byte %zu: 0x%02x != 0x%02x\n",
				what ? what : "buffer", i, x[i], y[i]);
			return 1;
		}
	}
	return 0;
}

void t_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC))
		t_fail("pipe2: %s", strerror(errno));
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		t_fail("opendir(%s): %s", path, strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int t_count_fds(void)
{
	/* opendir's own fd is counted too; subtract it. */
	return count_dir("/proc/self/fd") - 1;
}

int t_count_threads(void)
{
	return count_dir("/proc/self/task");
}

const char *t_errname(int res)
{
	static char other[2][32];
	static int which;
	const char *name;

	if (res >= 0)
		return "";
	switch (-res) {
	case EPERM: name = "-EPERM"; break;
	case ENOENT: name = "-ENOENT"; break;
	case EINTR: name = "-EINTR"; break;
	case EIO: name = "-EIO"; break;
	case ENXIO: name = "-ENXIO"; break;
	case E2BIG: name = "-E2BIG"; break;
	case EBADF: name = "-EBADF"; break;
	case EAGAIN: name = "-EAGAIN"; break;
	case ENOMEM: name = "-ENOMEM"; break;
	case EACCES: name = "-EACCES"; break;
	case EFAULT: name = "-EFAULT"; break;
	case EBUSY: name = "-EBUSY"; break;
	case EEXIST: name = "-EEXIST"; break;
	case ENODEV: name = "-ENODEV"; break;
	case ENOTDIR: name = "-ENOTDIR"; break;
	case EISDIR: name = "-EISDIR"; break;
	case EINVAL: name = "-EINVAL"; break;
	case ENFILE: name = "-ENFILE"; break;
	case EMFILE: name = "-EMFILE"; break;
	case EFBIG: name = "-EFBIG"; break;
	case ENOSPC: name = "-ENOSPC"; break;
	case ESPIPE: name = "-ESPIPE"; break;
	case EPIPE: name = "-EPIPE"; break;
	case ERANGE: name = "-ERANGE"; break;
	case ENOSYS: name = "-ENOSYS"; break;
	case ETIME: name = "-ETIME"; break;
	case EBADR: name = "-EBADR"; break;
	case EBADFD: name = "-EBADFD"; break;
	case EOVERFLOW: name = "-EOVERFLOW"; break;
	case EOPNOTSUPP: name = "-EOPNOTSUPP"; break;
	case ECANCELED: name = "-ECANCELED"; break;
	case ETIMEDOUT: name = "-ETIMEDOUT"; break;
	case EALREADY: name = "-EALREADY"; break;
	case ENOBUFS: name = "-ENOBUFS"; break;
	default:
		which ^= 1;
		snprintf(other[which], sizeof(other[which]), "-%d", -res);
		return other[which];
	}
	return name;
}

uint64_t t_now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct io_uring_cqe *t_wait_cqe_at(const char *file, int line,
				   struct io_uring *ring)
{
	struct __kernel_timespec ts = { .tv_sec = T_WAIT_SECS, .tv_nsec = 0 };
	struct io_uring_cqe *cqe = NULL;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret) {
		fprintf(stderr, "%s:%d: FAIL: waiting for a CQE: %s\n", file,
			line, ret == -ETIME ? "timed out" : t_errname(ret));
		exit(T_EXIT_FAIL);
	}
	return cqe;
}

void t_check_cqe_at(const char *file, int line, const struct io_uring_cqe *cqe,
		    uint64_t ud, int res, unsigned flags)
{
	if (cqe->user_data == ud && cqe->res == res && cqe->flags == flags)
		return;
	fprintf(stderr,
		"%s:%d: FAIL: CQE {user_data %llu, res %d %s, flags 0x%x}, "
		"expected {user_data %llu, res %d %s, flags 0x%x}\n",
		file, line, (unsigned long long)cqe->user_data, cqe->res,
		t_errname(cqe->res), cqe->flags, (unsigned long long)ud, res,
		t_errname(res), flags);
	exit(T_EXIT_FAIL);
}

void t_expect_cqe_at(const char *file, int line, struct io_uring *ring,
		     uint64_t ud, int res, unsigned flags)
{
	struct __kernel_timespec ts = { .tv_sec = T_WAIT_SECS, .tv_nsec = 0 };
	struct io_uring_cqe *cqe = NULL;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret) {
		fprintf(stderr, "%s:%d: FAIL: waiting for the CQE {user_data %llu, "
			"res %d %s, flags 0x%x}: %s\n", file, line,
			(unsigned long long)ud, res, t_errname(res), flags,
			ret == -ETIME ? "timed out" : t_errname(ret));
		exit(T_EXIT_FAIL);
	}

	t_check_cqe_at(file, line, cqe, ud, res, flags);
	io_uring_cqe_seen(ring, cqe);
}

void t_submit_at(const char *file, int line, struct io_uring *ring, int n)
{
	int ret = io_uring_submit(ring);

	if (ret != n) {
		fprintf(stderr, "%s:%d: FAIL: io_uring_submit = %d %s, expected %d\n",
			file, line, ret, t_errname(ret), n);
		exit(T_EXIT_FAIL);
	}
}

void t_expect_no_cqe_at(const char *file, int line, struct io_uring *ring)
{
	struct io_uring_cqe *cqe = NULL;

	if (io_uring_peek_cqe(ring, &cqe) == 0 && cqe) {
		fprintf(stderr,
			"%s:%d: FAIL: unexpected CQE {user_data %llu, res %d %s, flags 0x%x}\n",
			file, line, (unsigned long long)cqe->user_data,
			cqe->res, t_errname(cqe->res), cqe->flags);
		exit(T_EXIT_FAIL);
	}
}

struct io_uring_sqe *t_get_sqe_at(const char *file, int line,
				  struct io_uring *ring)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe) {
		fprintf(stderr, "%s:%d: FAIL: SQ ring full\n", file, line);
		exit(T_EXIT_FAIL);
	}
	return sqe;
}

struct io_uring_sqe *t_prep_nop(struct io_uring *ring, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(ring);

	io_uring_prep_nop(sqe);
	sqe->user_data = ud;
	return sqe;
}

void t_reap_cqes_at(const char *file, int line, struct io_uring *ring,
		    struct t_cqe_want *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		w[i].pos = -1;
	for (unsigned k = 0; k < n; k++) {
		struct io_uring_cqe *cqe = t_wait_cqe_at(file, line, ring);
		unsigned i;

		for (i = 0; i < n; i++)
			if (w[i].ud == cqe->user_data && w[i].pos < 0)
				break;
		if (i == n) {
			fprintf(stderr,
				"%s:%d: FAIL: unexpected CQE {user_data %llu, res %d %s, flags 0x%x}\n",
				file, line, (unsigned long long)cqe->user_data,
				cqe->res, t_errname(cqe->res), cqe->flags);
			exit(T_EXIT_FAIL);
		}
		t_check_cqe_at(file, line, cqe, w[i].ud, w[i].res, w[i].flags);
		w[i].pos = (int)k;
		io_uring_cqe_seen(ring, cqe);
	}
}

void t_in_order_at(const char *file, int line, const struct t_cqe_want *w,
		   unsigned n, const uint64_t *uds, unsigned nuds)
{
	int last = -1;

	for (unsigned j = 0; j < nuds; j++) {
		int pos = -1;

		for (unsigned i = 0; i < n; i++)
			if (w[i].ud == uds[j])
				pos = w[i].pos;
		if (pos < 0 || pos < last) {
			fprintf(stderr, "%s:%d: FAIL: CQE for user_data %llu "
				"out of order (arrived %d, previous %d)\n",
				file, line, (unsigned long long)uds[j], pos,
				last);
			exit(T_EXIT_FAIL);
		}
		last = pos;
	}
}
