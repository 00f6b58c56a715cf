/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers for ursa's tests.
 *
 * Every test is one program: exit 0 = pass, 77 = skip (the reason is the last
 * line printed), anything else = fail.  Tests use only the liburing API and
 * plain syscalls so that the same binary runs on the ursa engine and, with
 * URSA_BACKEND=kernel, on the kernel's io_uring.
 */
#ifndef URSA_TEST_HELPERS_H
#define URSA_TEST_HELPERS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>

#define T_EXIT_PASS 0
#define T_EXIT_FAIL 1
#define T_EXIT_SKIP 77

/* Print "file:line: FAIL: message" and exit with failure. */
#define t_fail(...)                                                         \
	do {                                                                \
		fflush(stdout);                                             \
		fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);       \
		fprintf(stderr, __VA_ARGS__);                               \
		fputc('\n', stderr);                                        \
		exit(T_EXIT_FAIL);                                          \
	} while (0)

/* Print the reason (as the last line of output) and exit with "skip". */
#define t_skip(...)                                                         \
	do {                                                                \
		fflush(stderr);                                             \
		printf("%s:%d: ", __FILE__, __LINE__);                      \
		printf(__VA_ARGS__);                                        \
		putchar('\n');                                              \
		fflush(stdout);                                             \
		exit(T_EXIT_SKIP);                                          \
	} while (0)

#define t_assert(cond)                                                      \
	do {                                                                \
		if (!(cond))                                                \
			t_fail("assertion failed: %s", #cond);              \
	} while (0)

/* Compare two integers; on mismatch print both (and the expressions). */
#define t_eq(got, want)                                                     \
	do {                                                                \
		long long t_g_ = (long long)(got);                          \
		long long t_w_ = (long long)(want);                         \
		if (t_g_ != t_w_)                                           \
			t_fail("%s = %lld (%s), expected %lld (%s)", #got,  \
			       t_g_, t_errname((int)t_g_), t_w_,            \
			       t_errname((int)t_w_));                       \
	} while (0)

/* Check all three visible fields of a CQE. */
#define t_check_cqe(cqe, ud, res_, flags_)                                  \
	t_check_cqe_at(__FILE__, __LINE__, (cqe), (ud), (res_), (flags_))

/*
 * Wait (bounded, a few seconds) for the next CQE, check it, mark it seen.
 * Fails the test on timeout or mismatch.
 */
#define t_expect_cqe(ring, ud, res_, flags_)                                \
	t_expect_cqe_at(__FILE__, __LINE__, (ring), (ud), (res_), (flags_))

/* Submit and check that io_uring_submit() returned exactly n. */
#define t_submit(ring, n)                                                   \
	t_submit_at(__FILE__, __LINE__, (ring), (n))

/* Fail unless the CQ is empty right now. */
#define t_expect_no_cqe(ring) t_expect_no_cqe_at(__FILE__, __LINE__, (ring))

/* A fresh SQE; fails the test if the SQ is full. */
#define t_get_sqe(ring) t_get_sqe_at(__FILE__, __LINE__, (ring))

/* "ursa" or "kernel": the backend selected by URSA_BACKEND (default ursa). */
const char *t_backend(void);
int t_backend_is_kernel(void);

/*
 * io_uring_queue_init() wrappers.  Under the kernel backend, a kernel that
 * refuses io_uring (-ENOSYS, -EPERM) makes the test exit 77.  Any other
 * error is returned (negative errno) so that tests can check it.
 */
int t_setup_ring(struct io_uring *ring, unsigned entries, unsigned flags);
int t_setup_ring_params(struct io_uring *ring, unsigned entries,
			struct io_uring_params *p);
/* Same, but any failure is fatal. */
void t_ring_init(struct io_uring *ring, unsigned entries, unsigned flags);

/* The byte at file offset off in the pattern used by t_create_file(). */
static inline unsigned char t_pattern_byte(uint64_t off, unsigned seed)
{
	return (unsigned char)((off * 31 + seed * 7 + (off >> 8)) & 0xff);
}
void t_fill_pattern(void *buf, size_t len, uint64_t off, unsigned seed);
/* Returns -1 if buf matches the pattern, else the first bad index. */
long t_check_pattern(const void *buf, size_t len, uint64_t off, unsigned seed);

/*
 * Create a file of size bytes filled with the pattern (seed) in $TMPDIR (or
 * /tmp).  Returns a malloc'd path; the caller unlinks and frees it.
 */
char *t_create_file(size_t size, unsigned seed);
/* Open a temporary file already unlinked, size bytes of pattern. */
int t_temp_fd(size_t size, unsigned seed);

/* Compare buffers, report the first difference on stderr; 0 if equal. */
int t_bufcmp(const void *a, const void *b, size_t len, const char *what);

/* pipe2(fds, O_CLOEXEC) or fail. */
void t_pipe(int fds[2]);

/* Open fd count of this process (entries in /proc/self/fd). */
int t_count_fds(void);
/* Thread count of this process (entries in /proc/self/task). */
int t_count_threads(void);

/* Name of an errno value as "-EINVAL" etc. (static storage). */
const char *t_errname(int res);

/* Waits at most this long (seconds) in t_expect_cqe / t_wait_cqe. */
#define T_WAIT_SECS 5

/* Bounded wait for one CQE (not consumed); fails on timeout or error. */
struct io_uring_cqe *t_wait_cqe_at(const char *file, int line,
				   struct io_uring *ring);
#define t_wait_cqe(ring) t_wait_cqe_at(__FILE__, __LINE__, (ring))

void t_check_cqe_at(const char *file, int line, const struct io_uring_cqe *cqe,
		    uint64_t ud, int res, unsigned flags);
void t_expect_cqe_at(const char *file, int line, struct io_uring *ring,
		     uint64_t ud, int res, unsigned flags);
void t_submit_at(const char *file, int line, struct io_uring *ring, int n);
void t_expect_no_cqe_at(const char *file, int line, struct io_uring *ring);
struct io_uring_sqe *t_get_sqe_at(const char *file, int line,
				  struct io_uring *ring);

/*
 * Expected CQEs whose relative order is only partly defined (independent
 * requests, or several chains).  t_reap_cqes waits for n CQEs, matches each
 * to the entry with its user_data (each exactly once), checks res and flags,
 * and records in pos the arrival index (0-based).  t_in_order checks that the
 * listed user_data values arrived in that order.
 */
struct t_cqe_want {
	uint64_t ud;
	int res;
	unsigned flags;
	int pos;
};
#define t_reap_cqes(ring, w, n) t_reap_cqes_at(__FILE__, __LINE__, ring, w, n)
void t_reap_cqes_at(const char *file, int line, struct io_uring *ring,
		    struct t_cqe_want *w, unsigned n);
#define t_in_order(w, n, ...)                                               \
	t_in_order_at(__FILE__, __LINE__, w, n,                             \
		      (const uint64_t[]){ __VA_ARGS__ },                    \
		      sizeof((const uint64_t[]){ __VA_ARGS__ }) /           \
			      sizeof(uint64_t))
void t_in_order_at(const char *file, int line, const struct t_cqe_want *w,
		   unsigned n, const uint64_t *uds, unsigned nuds);

/* A NOP SQE with this user_data. */
struct io_uring_sqe *t_prep_nop(struct io_uring *ring, uint64_t ud);

/* Microseconds on CLOCK_MONOTONIC. */
uint64_t t_now_usec(void);

#endif
