/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_LINK_TIMEOUT: a read that does not finish in time
 * is cancelled (-ECANCELED) and the timeout says -ETIME; a request that
 * finishes first cancels the timeout (-ECANCELED); the rest of a chain
 * after a timed-out request is cancelled; a blocking worker read is
 * interrupted; the prep rules (needs a preceding linked request, not after
 * another link timeout); LINK_TIMEOUT_UPDATE.
 */
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void expect_pair(uint64_t ua, int ra, uint64_t ub, int rb)
{
	struct io_uring_cqe *cqe;
	int got_a = 0, got_b = 0;

	for (int i = 0; i < 2; i++) {
		cqe = t_wait_cqe(&ring);
		if (cqe->user_data == ua) {
			t_eq(cqe->res, ra);
			got_a++;
		} else {
			t_check_cqe(cqe, ub, rb, 0);
			got_b++;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	t_eq(got_a, 1);
	t_eq(got_b, 1);
}

int main(void)
{
	struct __kernel_timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	struct __kernel_timespec big = { .tv_sec = 10 };
	struct io_uring_sqe *sqe;
	char buf[16];
	int fds[2];

	t_ring_init(&ring, 16, 0);
	t_pipe(fds);

	/* Read on an empty pipe: timed out. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 1;
	sqe = t_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->user_data = 2;
	t_submit(&ring, 2);
	expect_pair(1, -ECANCELED, 2, -ETIME);

	/* A NOP finishes first: the timeout is cancelled. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 3;
	sqe = t_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &big, 0);
	sqe->user_data = 4;
	t_submit(&ring, 2);
	expect_pair(3, 0, 4, -ECANCELED);

	/* Data arrives in time. */
	t_eq(write(fds[1], "hi", 2), 2);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 5;
	sqe = t_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &big, 0);
	sqe->user_data = 6;
	t_submit(&ring, 2);
	expect_pair(5, 2, 6, -ECANCELED);

	/* read -> timeout -> nop: the nop is cancelled after the timeout. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 7;
	sqe = t_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 8;
	sqe = t_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 9;
	t_submit(&ring, 3);
	{
		int seen[3] = { 0 };

		for (int i = 0; i < 3; i++) {
			struct io_uring_cqe *cqe = t_wait_cqe(&ring);

			switch (cqe->user_data) {
			case 7: t_eq(cqe->res, -ECANCELED); seen[0]++; break;
			case 8: t_eq(cqe->res, -ETIME); seen[1]++; break;
			case 9: t_eq(cqe->res, -ECANCELED); seen[2]++; break;
			default: t_fail("unexpected user_data %llu",
					(unsigned long long)cqe->user_data);
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		t_assert(seen[0] == 1 && seen[1] == 1 && seen[2] == 1);
	}

	/* A read forced onto a worker (blocking) is interrupted. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK | IOSQE_ASYNC;
	sqe->user_data = 10;
	sqe = t_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->user_data = 11;
	t_submit(&ring, 2);
	{
		struct io_uring_cqe *cqe;
		int r10 = 1, r11 = 1;

		for (int i = 0; i < 2; i++) {
			cqe = t_wait_cqe(&ring);
			if (cqe->user_data == 10)
				r10 = cqe->res;
			else if (cqe->user_data == 11)
				r11 = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		t_eq(r11, -ETIME);
		t_assert(r10 == -ECANCELED || r10 == -EINTR);
	}

	/* Prep: no preceding link member; after another link timeout. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &ts, 0);
	sqe->user_data = 12;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 12, -EINVAL, 0);

	/* LINK_TIMEOUT_UPDATE: a 10 s link timeout shortened to 10 ms. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 13;
	sqe = t_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &big, 0);
	sqe->user_data = 14;
	t_submit(&ring, 2);
	sqe = t_get_sqe(&ring);
	{
		struct __kernel_timespec s10 = { .tv_nsec = 10 * 1000 * 1000 };

		io_uring_prep_timeout_update(sqe, &s10, 14,
					     IORING_LINK_TIMEOUT_UPDATE);
		sqe->user_data = 15;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 15, 0, 0);
		expect_pair(13, -ECANCELED, 14, -ETIME);
	}
	io_uring_queue_exit(&ring);
	close(fds[0]);
	close(fds[1]);
	return 0;
}
