/* SPDX-License-Identifier: MIT */
/*
 * Description: IOSQE_IO_DRAIN: a drained request starts only after every
 * request submitted before it has completed, and requests submitted after it
 * wait for it; this holds across separate submits and for a drained link
 * chain; on an idle ring a drained request runs at once.
 */
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;
static int fds[2];
static char buf[16];

static struct io_uring_sqe *nop(uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *sqe = t_prep_nop(&ring, ud);

	sqe->flags |= flags;
	return sqe;
}

static void pipe_read(uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_read(sqe, fds[0], buf, 1, 0);
	sqe->user_data = ud;
	sqe->flags |= flags;
}

static void settle(void)
{
	usleep(10000);
}

int main(void)
{
	t_ring_init(&ring, 16, 0);
	t_pipe(fds);

	/* Idle ring: runs at once. */
	nop(1, IOSQE_IO_DRAIN);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, 0, 0);

	/* read (pending), DRAIN nop, nop: all wait for the read. */
	pipe_read(2, 0);
	nop(3, IOSQE_IO_DRAIN);
	nop(4, 0);
	t_submit(&ring, 3);
	settle();
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "a", 1), 1);
	t_expect_cqe(&ring, 2, 1, 0);
	t_expect_cqe(&ring, 3, 0, 0);
	t_expect_cqe(&ring, 4, 0, 0);

	/* Without DRAIN the NOPs do not wait. */
	pipe_read(5, 0);
	nop(6, 0);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 6, 0, 0);
	t_eq(write(fds[1], "b", 1), 1);
	t_expect_cqe(&ring, 5, 1, 0);

	/* Across submits: the drain waits for the earlier submit's read. */
	pipe_read(7, 0);
	t_submit(&ring, 1);
	nop(8, IOSQE_IO_DRAIN);
	t_submit(&ring, 1);
	nop(9, 0);
	t_submit(&ring, 1);
	settle();
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "c", 1), 1);
	t_expect_cqe(&ring, 7, 1, 0);
	t_expect_cqe(&ring, 8, 0, 0);
	t_expect_cqe(&ring, 9, 0, 0);

	/* A drained chain: the whole chain waits; later requests wait too. */
	pipe_read(10, 0);
	nop(11, IOSQE_IO_DRAIN | IOSQE_IO_LINK);
	nop(12, IOSQE_IO_LINK);
	nop(13, 0);
	nop(14, 0);
	t_submit(&ring, 5);
	settle();
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "d", 1), 1);
	for (int i = 10; i < 15; i++)
		t_expect_cqe(&ring, i, i == 10 ? 1 : 0, 0);

	/*
	 * Two pending reads then a drain: the drain waits for both; a failed
	 * earlier request still counts as completed.
	 */
	pipe_read(20, 0);
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_read(sqe, 1000, buf, 1, 0);
		sqe->user_data = 21;
	}
	pipe_read(22, IOSQE_IO_LINK);
	nop(23, 0);
	nop(24, IOSQE_IO_DRAIN);
	t_submit(&ring, 5);
	t_expect_cqe(&ring, 21, -EBADF, 0);
	settle();
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "e", 1), 1);
	{
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		/* One of the two reads got the byte. */
		t_assert(cqe->user_data == 20 || cqe->user_data == 22);
		t_eq(cqe->res, 1);
		io_uring_cqe_seen(&ring, cqe);
		if (cqe->user_data == 22)
			t_expect_cqe(&ring, 23, 0, 0);
	}
	settle();
	t_expect_no_cqe(&ring);
	t_eq(write(fds[1], "f", 1), 1);
	{
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_assert(cqe->user_data == 20 || cqe->user_data == 22);
		t_eq(cqe->res, 1);
		io_uring_cqe_seen(&ring, cqe);
		if (cqe->user_data == 22)
			t_expect_cqe(&ring, 23, 0, 0);
	}
	t_expect_cqe(&ring, 24, 0, 0);

	t_expect_no_cqe(&ring);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
