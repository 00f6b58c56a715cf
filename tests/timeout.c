/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_TIMEOUT: relative, absolute, completion count,
 * ETIME_SUCCESS, multishot with a repeat count, TIMEOUT_REMOVE, updates,
 * IORING_TIMEOUT_IMMEDIATE_ARG (ursa; the kernel here may lack it), the
 * early end of a wait when a timeout fires, and the prep errors.
 */
#include <time.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static struct io_uring_sqe *timeout_sqe(struct __kernel_timespec *ts,
					unsigned count, unsigned flags,
					uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_timeout(sqe, ts, count, flags);
	sqe->user_data = ud;
	return sqe;
}

static void nop(uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_nop(sqe);
	sqe->user_data = ud;
}

int main(void)
{
	struct __kernel_timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };
	struct __kernel_timespec big = { .tv_sec = 10 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	uint64_t start;
	long el;

	t_ring_init(&ring, 16, 0);

	/* Relative: -ETIME after about 20 ms. */
	start = t_now_usec();
	timeout_sqe(&ts, 0, 0, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, -ETIME, 0);
	el = (long)(t_now_usec() - start) / 1000;
	if (el < 15 || el > 2000)
		t_fail("20 ms timeout took %ld ms", el);

	/* ETIME_SUCCESS: still -ETIME, but the link goes on. */
	sqe = timeout_sqe(&ts, 0, IORING_TIMEOUT_ETIME_SUCCESS, 2);
	sqe->flags |= IOSQE_IO_LINK;
	nop(102);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 2, -ETIME, 0);
	t_expect_cqe(&ring, 102, 0, 0);

	/* Absolute on CLOCK_MONOTONIC. */
	{
		struct timespec now;
		struct __kernel_timespec abs;

		clock_gettime(CLOCK_MONOTONIC, &now);
		abs.tv_sec = now.tv_sec;
		abs.tv_nsec = now.tv_nsec + 10 * 1000 * 1000;
		if (abs.tv_nsec >= 1000000000) {
			abs.tv_sec++;
			abs.tv_nsec -= 1000000000;
		}
		timeout_sqe(&abs, 0, IORING_TIMEOUT_ABS, 3);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 3, -ETIME, 0);
	}

	/* Completion count: two other CQEs complete it with 0. */
	timeout_sqe(&big, 2, 0, 4);
	t_submit(&ring, 1);
	nop(5);
	nop(6);
	t_submit(&ring, 2);
	{
		int seen4 = 0, seen = 0;

		while (seen < 3) {
			cqe = t_wait_cqe(&ring);
			if (cqe->user_data == 4) {
				t_eq(cqe->res, 0);
				seen4 = 1;
			} else {
				t_eq(cqe->res, 0);
			}
			seen++;
			io_uring_cqe_seen(&ring, cqe);
		}
		t_assert(seen4);
	}

	/* Multishot, 3 repeats: F_MORE, F_MORE, then the last. */
	timeout_sqe(&ts, 3, IORING_TIMEOUT_MULTISHOT, 7);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, -ETIME, IORING_CQE_F_MORE);
	t_expect_cqe(&ring, 7, -ETIME, IORING_CQE_F_MORE);
	t_expect_cqe(&ring, 7, -ETIME, 0);

	/* Remove: the timeout -ECANCELED, the remove 0; again: -ENOENT. */
	timeout_sqe(&big, 0, 0, 8);
	t_submit(&ring, 1);
	sqe = t_get_sqe(&ring);
	io_uring_prep_timeout_remove(sqe, 8, 0);
	sqe->user_data = 9;
	t_submit(&ring, 1);
	{
		struct io_uring_cqe *a = t_wait_cqe(&ring);
		uint64_t ua = a->user_data;
		int ra = a->res;

		io_uring_cqe_seen(&ring, a);
		a = t_wait_cqe(&ring);
		if (ua == 8) {
			t_eq(ra, -ECANCELED);
			t_check_cqe(a, 9, 0, 0);
		} else {
			t_eq(ua, 9);
			t_eq(ra, 0);
			t_check_cqe(a, 8, -ECANCELED, 0);
		}
		io_uring_cqe_seen(&ring, a);
	}
	sqe = t_get_sqe(&ring);
	io_uring_prep_timeout_remove(sqe, 8, 0);
	sqe->user_data = 10;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 10, -ENOENT, 0);

	/* Update: a 10 s timeout moved to 10 ms fires soon. */
	timeout_sqe(&big, 0, 0, 11);
	t_submit(&ring, 1);
	sqe = t_get_sqe(&ring);
	{
		struct __kernel_timespec shortts = { .tv_nsec = 10 * 1000 * 1000 };

		io_uring_prep_timeout_update(sqe, &shortts, 11, 0);
		sqe->user_data = 12;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 12, 0, 0);
		t_expect_cqe(&ring, 11, -ETIME, 0);
	}

	/* A waiting enter ends when a timeout fires, even short of
	 * min_complete. */
	timeout_sqe(&ts, 0, 0, 13);
	t_submit(&ring, 1);
	t_eq(io_uring_submit_and_wait(&ring, 0), 0);
	{
		int r = io_uring_enter(ring.ring_fd, 0, 4, IORING_ENTER_GETEVENTS,
				       NULL);
		t_eq(r, 0);
	}
	t_expect_cqe(&ring, 13, -ETIME, 0);

	/* Prep errors. */
	sqe = timeout_sqe(&ts, 0, 0, 14);
	sqe->len = 2;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 14, -EINVAL, 0);
	timeout_sqe(&ts, 0, IORING_TIMEOUT_BOOTTIME | IORING_TIMEOUT_REALTIME, 15);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 15, -EINVAL, 0);
	timeout_sqe(&ts, 0, IORING_TIMEOUT_MULTISHOT | IORING_TIMEOUT_ABS, 16);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 16, -EINVAL, 0);
	timeout_sqe(&ts, 0, 1u << 12, 17);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 17, -EINVAL, 0);
	{
		struct __kernel_timespec neg = { .tv_sec = -1 };

		timeout_sqe(&neg, 0, 0, 18);
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 18, -EINVAL, 0);
	}
	sqe = timeout_sqe((struct __kernel_timespec *)8, 0, 0, 19);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 19, -EFAULT, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_timeout_remove(sqe, 8, 1u << 12);
	sqe->user_data = 20;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, -EINVAL, 0);

	/* IMMEDIATE_ARG: the time in ns right in sqe->addr (7.1+). */
	sqe = t_get_sqe(&ring);
	io_uring_prep_timeout(sqe, NULL, 0, IORING_TIMEOUT_IMMEDIATE_ARG);
	sqe->addr = 5 * 1000 * 1000;
	sqe->user_data = 21;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, 21);
	if (cqe->res == -EINVAL && t_backend_is_kernel()) {
		io_uring_cqe_seen(&ring, cqe);
	} else {
		t_eq(cqe->res, -ETIME);
		io_uring_cqe_seen(&ring, cqe);
		/* Update with the new time in addr2. */
		timeout_sqe(&big, 0, 0, 22);
		t_submit(&ring, 1);
		sqe = t_get_sqe(&ring);
		io_uring_prep_timeout_update(sqe, NULL, 22,
					     IORING_TIMEOUT_IMMEDIATE_ARG);
		sqe->addr2 = 1000 * 1000;
		sqe->user_data = 23;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 23, 0, 0);
		t_expect_cqe(&ring, 22, -ETIME, 0);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
