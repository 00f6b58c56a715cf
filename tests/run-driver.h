/* SPDX-License-Identifier: MIT */
/*
 * Shared by the tests/run-*.c ursa-run tests: each program is its own
 * driver (no arguments: run itself, with "--child", under deny-io_uring
 * and/or ursa-run and check the outcome) and its own subject.  Also a raw
 * io_uring ring (syscalls and mmap, no library) for the subjects.
 * Header-only and self-contained: run-liburing.c builds against the
 * system's headers, not ursa's.
 */
#ifndef URSA_TESTS_RUN_DRIVER_H
#define URSA_TESTS_RUN_DRIVER_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/io_uring.h>

/* Helpers a given test may not use. */
#define DRV_FN	static __attribute__((unused))

/* deny-io_uring's exit code when seccomp is refused (src/run/run.h). */
#define DRV_EXIT_NOSECCOMP	98

static char drv_self[PATH_MAX];		/* this program */
static char drv_run[PATH_MAX];		/* $B/run */
static int drv_failed;

__attribute__((format(printf, 1, 2))) static void drv_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
	drv_failed = 1;
}

__attribute__((noreturn, format(printf, 1, 2))) static void drv_skip(const char *fmt, ...)
{
	va_list ap;

	printf("skip: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	exit(77);
}

DRV_FN void drv_init(void)
{
	ssize_t n = readlink("/proc/self/exe", drv_self, sizeof(drv_self) - 1);
	char *slash;

	if (n <= 0) {
		perror("readlink /proc/self/exe");
		exit(1);
	}
	drv_self[n] = 0;
	snprintf(drv_run, sizeof(drv_run), "%s", drv_self);
	slash = strrchr(drv_run, '/');
	*slash = 0;
	slash = strrchr(drv_run, '/');
	if (!slash)
		exit(1);
	snprintf(slash, sizeof(drv_run) - (size_t)(slash - drv_run), "/run");
	/* line-buffered so a parent reading our pipe sees the order we saw */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* "$B/run/NAME" (allocated; drivers are short-lived) */
DRV_FN const char *drv_tool(const char *name)
{
	char *b;

	if (asprintf(&b, "%s/%s", drv_run, name) < 0)
		exit(1);
	return b;
}

struct drv_result {
	int status;		/* exit code, or 128+signal, or -1 timeout */
	char out[65536];	/* stdout and stderr, interleaved */
};

/*
 * Run argv with changes to the environment ("K=V" sets K, "-K" removes it),
 * capture its output, bound its time.
 */
DRV_FN void drv_run_prog(struct drv_result *r, int timeout_s,
			 const char *const *env, const char *const *argv)
{
	int p[2];
	pid_t pid;
	size_t len = 0;
	struct timespec t0, t;

	memset(r, 0, sizeof(*r));
	if (pipe2(p, O_CLOEXEC)) {
		perror("pipe2");
		exit(1);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		for (; env && *env; env++) {
			if ((*env)[0] == '-') {
				unsetenv(*env + 1);
			} else {
				char k[256];
				const char *eq = strchr(*env, '=');

				snprintf(k, sizeof(k), "%.*s", (int)(eq - *env), *env);
				setenv(k, eq + 1, 1);
			}
		}
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > timeout_s) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		n = read(p[0], r->out + len, sizeof(r->out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= sizeof(r->out) - 1)
			len = 0;	/* keep the tail only */
	}
	close(p[0]);
	r->out[len] = 0;
	{
		int st;

		waitpid(pid, &st, 0);
		if (t.tv_sec - t0.tv_sec > timeout_s)
			r->status = -1;
		else if (WIFEXITED(st))
			r->status = WEXITSTATUS(st);
		else
			r->status = 128 + WTERMSIG(st);
	}
}

DRV_FN void drv_show(const char *what, const struct drv_result *r)
{
	printf("---- %s: status %d ----\n%s", what, r->status, r->out);
	if (r->out[0] && r->out[strlen(r->out) - 1] != '\n')
		putchar('\n');
}

/* Expect status (and, if non-NULL, every needle in the output). */
DRV_FN bool drv_expect(const char *what, const struct drv_result *r, int status,
		       const char *const *needles)
{
	bool ok = r->status == status;

	for (; ok && needles && *needles; needles++)
		if (!strstr(r->out, *needles)) {
			drv_fail("%s: output lacks \"%s\"", what, *needles);
			drv_show(what, r);
			return false;
		}
	if (!ok) {
		drv_fail("%s: status %d, expected %d", what, r->status, status);
		drv_show(what, r);
		return false;
	}
	printf("ok: %s\n", what);
	return true;
}

/* Does deny-io_uring work here (seccomp allowed)?  Skip the test if not. */
DRV_FN void drv_need_seccomp(void)
{
	struct drv_result *r = malloc(sizeof(*r));
	const char *argv[] = { drv_tool("deny-io_uring"), "/bin/true", NULL };

	drv_run_prog(r, 10, NULL, argv);
	if (r->status == DRV_EXIT_NOSECCOMP)
		drv_skip("this environment refuses seccomp filters (%s)", r->out);
	if (r->status != 0) {
		drv_show("deny-io_uring /bin/true", r);
		exit(1);
	}
	free(r);
}

/* Does the kernel serve io_uring to this process? */
DRV_FN bool drv_kernel_io_uring(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 2, &p);
	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

/* ------------------------------------------------ a raw ring, no library */

struct rring {
	int fd;
	unsigned sq_entries, cq_entries, features;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	struct io_uring_sqe *sqes;
	void *sq_map, *cq_map;
	size_t sq_len, cq_len, sqe_len;
};

/*
 * The io_uring syscalls, through libc's syscall() or, with rr_asm set, by
 * a syscall instruction of this program (what fio and liburing do): under
 * ursa-run the first is interposed, the second trapped.  -errno on error.
 */
static bool rr_asm;

static long rr_sys(long nr, long a0, long a1, long a2, long a3, long a4,
		   long a5)
{
	long r;

	if (rr_asm) {
		register long r10 __asm__("r10") = a3;
		register long r8 __asm__("r8") = a4;
		register long r9 __asm__("r9") = a5;

		__asm__ volatile("syscall"
				 : "=a"(r)
				 : "a"(nr), "D"(a0), "S"(a1), "d"(a2),
				   "r"(r10), "r"(r8), "r"(r9)
				 : "rcx", "r11", "memory");
		return r;
	}
	r = syscall(nr, a0, a1, a2, a3, a4, a5);
	return r < 0 ? -errno : r;
}

DRV_FN long rr_setup(unsigned entries, struct io_uring_params *p)
{
	return rr_sys(__NR_io_uring_setup, entries, (long)p, 0, 0, 0, 0);
}

DRV_FN long rr_enter(int fd, unsigned submit, unsigned wait, unsigned flags)
{
	return rr_sys(__NR_io_uring_enter, fd, submit, wait, flags, 0, 0);
}

DRV_FN long rr_register(int fd, unsigned op, void *arg, unsigned nr)
{
	return rr_sys(__NR_io_uring_register, fd, op, (long)arg, nr, 0, 0);
}

/* Set up and map a ring the way pre-liburing programs do: three maps
 * unless the kernel says one covers SQ and CQ.  -errno on failure. */
DRV_FN int rr_init(struct rring *r, unsigned entries)
{
	struct io_uring_params p;
	long fd;
	char *sq, *cq;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	fd = rr_setup(entries, &p);
	if (fd < 0)
		return (int)fd;
	r->fd = (int)fd;
	r->sq_entries = p.sq_entries;
	r->cq_entries = p.cq_entries;
	r->features = p.features;
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -errno;
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		cq = sq;
	} else {
		cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
		if (cq == MAP_FAILED)
			return -errno;
	}
	r->sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqe_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		return -errno;
	r->sq_map = sq;
	r->cq_map = cq;
	r->sq_head = (unsigned *)(sq + p.sq_off.head);
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

DRV_FN void rr_unmap(struct rring *r)
{
	munmap(r->sqes, r->sqe_len);
	if (r->cq_map != r->sq_map)
		munmap(r->cq_map, r->cq_len);
	munmap(r->sq_map, r->sq_len);
}

DRV_FN struct io_uring_sqe *rr_sqe(struct rring *r)
{
	unsigned tail = *r->sq_tail;
	unsigned idx = tail & *r->sq_mask;
	struct io_uring_sqe *sqe = &r->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	return sqe;
}

/* Reap one CQE (it must be there); returns its res, user_data in *ud. */
DRV_FN int rr_reap(struct rring *r, unsigned long long *ud)
{
	unsigned head = *r->cq_head;
	struct io_uring_cqe *cqe;
	int res;

	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -EAGAIN;
	cqe = &r->cqes[head & *r->cq_mask];
	res = cqe->res;
	if (ud)
		*ud = cqe->user_data;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

/* n NOPs submitted and waited for; 0 or -errno (of enter or of a CQE). */
DRV_FN int rr_nops(struct rring *r, unsigned n)
{
	long ret;

	for (unsigned i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = rr_sqe(r);

		sqe->opcode = IORING_OP_NOP;
		sqe->user_data = 0x1000 + i;
	}
	ret = rr_enter(r->fd, n, n, IORING_ENTER_GETEVENTS);
	if (ret < 0)
		return (int)ret;
	if (ret != (long)n)
		return -EIO;
	for (unsigned i = 0; i < n; i++) {
		unsigned long long ud;
		int res = rr_reap(r, &ud);

		if (res || ud != 0x1000 + i)
			return res ? res : -EPROTO;
	}
	return 0;
}

/* What serves fd: "ursa" (a memfd named [io_uring]), "kernel", or "?". */
DRV_FN const char *rr_backend(int fd)
{
	char path[64], link[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n <= 0)
		return "?";
	link[n] = 0;
	if (strstr(link, "memfd:[io_uring]"))
		return "ursa";
	if (strstr(link, "anon_inode:[io_uring]"))
		return "kernel";
	return "?";
}

#endif
