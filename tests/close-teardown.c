/* SPDX-License-Identifier: MIT */
/*
 * Description: ring teardown leaks nothing: creating and destroying many
 * rings (plain, SQPOLL, DEFER_TASKRUN, CQE32, with registered files and
 * buffers, with requests still pending at exit, many open at once) returns
 * the process's open fd count and thread count (/proc/self/task) to their
 * starting values; pending requests do not keep anything alive.
 */
#include <unistd.h>

#include "helpers/helpers.h"

static int fds[2];
static char buf[64];

/* Wait (bounded) for the thread count to come back to at most want. */
static void wait_threads(int want, const char *what)
{
	uint64_t end = t_now_usec() + 3000000;
	int n;

	while ((n = t_count_threads()) > want) {
		if (t_now_usec() > end)
			t_fail("%s: %d threads, expected %d", what, n, want);
		usleep(2000);
	}
}

/* SQPOLL: submit counts SQEs the SQ thread has not released yet: >= n. */
static void submit_n(struct io_uring *ring, int n)
{
	int ret = io_uring_submit(ring);

	if (ring->flags & IORING_SETUP_SQPOLL ? ret < n : ret != n)
		t_fail("io_uring_submit = %d, expected %d", ret, n);
}

static void use_ring(unsigned flags, int extras, int leave_pending)
{
	struct io_uring ring;
	struct io_uring_params p;
	struct io_uring_sqe *sqe;
	int ret;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.sq_thread_idle = 10;
	ret = t_setup_ring_params(&ring, 8, &p);
	if (ret)
		t_fail("setup flags 0x%x: %s", flags, t_errname(ret));
	for (int i = 0; i < 3; i++)
		t_prep_nop(&ring, i);
	submit_n(&ring, 3);
	for (int i = 0; i < 3; i++)
		t_expect_cqe(&ring, i, 0, 0);
	if (extras) {
		struct iovec iov = { buf, sizeof(buf) };

		t_eq(io_uring_register_files(&ring, fds, 2), 0);
		t_eq(io_uring_register_buffers(&ring, &iov, 1), 0);
	}
	if (leave_pending) {
		/* A read that never completes: exit must cancel it. */
		sqe = t_get_sqe(&ring);
		io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
		sqe->user_data = 99;
		submit_n(&ring, 1);
	}
	io_uring_queue_exit(&ring);
}

static void round_of(int n)
{
	static const unsigned modes[] = {
		0,
		IORING_SETUP_SQPOLL,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_CQE32,
		IORING_SETUP_COOP_TASKRUN,
	};

	for (int i = 0; i < n; i++)
		use_ring(modes[i % 5], i % 3 == 0, i % 4 == 1);
}

int main(void)
{
	struct io_uring rings[64];
	int fd0, th0;

	int th_start;

	t_pipe(fds);
	th_start = t_count_threads();

	/*
	 * Warm up once: process-wide state created lazily on first use (a
	 * shared worker pool, say) is allowed to stay.  Give threads that are
	 * on their way out (kernel SQPOLL threads exit asynchronously) a
	 * moment, so the reference count is not inflated by them.
	 */
	round_of(5);
	{
		uint64_t end = t_now_usec() + 500000;

		while (t_count_threads() > th_start && t_now_usec() < end)
			usleep(2000);
	}
	th0 = t_count_threads();
	fd0 = t_count_fds();

	/* Sequential create/destroy. */
	round_of(100);
	t_eq(t_count_fds(), fd0);
	wait_threads(th0, "after 100 rings");

	/* Many at once, then all closed. */
	for (int i = 0; i < 64; i++) {
		int ret = t_setup_ring(&rings[i], 4, 0);

		if (ret)
			t_fail("ring %d: %s", i, t_errname(ret));
		t_prep_nop(&rings[i], i);
		t_submit(&rings[i], 1);
	}
	t_assert(t_count_fds() >= fd0 + 64);
	for (int i = 0; i < 64; i++) {
		t_expect_cqe(&rings[i], i, 0, 0);
		io_uring_queue_exit(&rings[i]);
	}
	t_eq(t_count_fds(), fd0);
	wait_threads(th0, "after 64 rings");

	/* Closing the pipe after the rings went away is still fine. */
	close(fds[0]);
	close(fds[1]);
	t_eq(t_count_fds(), fd0 - 2);
	return T_EXIT_PASS;
}
