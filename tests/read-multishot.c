/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_READ_MULTISHOT on a pipe with a buffer ring: one
 * CQE per write with IORING_CQE_F_MORE and the buffer id, -ENOBUFS ends it
 * when the ring runs dry, EOF ends it with res 0, cancellation ends it with
 * -ECANCELED; prep errors (no BUFFER_SELECT, addr or len set); a regular
 * file is refused (-EBADFD).
 */
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void mshot(int fd, int bgid, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_read_multishot(sqe, fd, 0, 0, bgid);
	sqe->user_data = ud;
}

int main(void)
{
	static char bufs[4][64];
	struct io_uring_buf_ring *br;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int fds[2], err, fd;

	t_ring_init(&ring, 16, 0);
	t_pipe(fds);
	br = io_uring_setup_buf_ring(&ring, 4, 1, 0, &err);
	t_assert(br);
	for (int i = 0; i < 3; i++)
		io_uring_buf_ring_add(br, bufs[i], 64, (unsigned short)i,
				      io_uring_buf_ring_mask(4), i);
	io_uring_buf_ring_advance(br, 3);

	mshot(fds[0], 1, 1);
	t_submit(&ring, 1);
	for (int i = 0; i < 2; i++) {
		t_eq(write(fds[1], "abcd", 4), 4);
		cqe = t_wait_cqe(&ring);
		t_eq(cqe->user_data, 1);
		t_eq(cqe->res, 4);
		t_eq(cqe->flags, IORING_CQE_F_MORE | IORING_CQE_F_BUFFER |
			       ((unsigned)i << IORING_CQE_BUFFER_SHIFT));
		io_uring_cqe_seen(&ring, cqe);
	}
	/* EOF: the last buffer is not needed; res 0, no F_MORE. */
	close(fds[1]);
	t_expect_cqe(&ring, 1, 0, 0);
	close(fds[0]);

	/* Dry ring: the second write ends it with -ENOBUFS. */
	t_pipe(fds);
	mshot(fds[0], 1, 2);
	t_submit(&ring, 1);
	t_eq(write(fds[1], "xy", 2), 2);
	t_expect_cqe(&ring, 2, 2, IORING_CQE_F_MORE | IORING_CQE_F_BUFFER |
		     (2u << IORING_CQE_BUFFER_SHIFT));
	t_eq(write(fds[1], "z", 1), 1);
	t_expect_cqe(&ring, 2, -ENOBUFS, 0);

	/* Cancelled while waiting. */
	io_uring_buf_ring_add(br, bufs[3], 64, 3, io_uring_buf_ring_mask(4), 0);
	io_uring_buf_ring_advance(br, 1);
	{
		char c;

		t_eq(read(fds[0], &c, 1), 1);	/* drain the "z" */
	}
	mshot(fds[0], 1, 3);
	t_submit(&ring, 1);
	usleep(10 * 1000);
	sqe = t_get_sqe(&ring);
	io_uring_prep_cancel64(sqe, 3, 0);
	sqe->user_data = 4;
	t_submit(&ring, 1);
	{
		int got3 = 0, got4 = 0;

		for (int i = 0; i < 2; i++) {
			cqe = t_wait_cqe(&ring);
			if (cqe->user_data == 3) {
				t_eq(cqe->res, -ECANCELED);
				t_eq(cqe->flags, 0);
				got3++;
			} else {
				t_check_cqe(cqe, 4, 0, 0);
				got4++;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		t_assert(got3 == 1 && got4 == 1);
	}

	/* Prep errors. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_multishot(sqe, fds[0], 0, 0, 1);
	sqe->flags &= ~IOSQE_BUFFER_SELECT;
	sqe->user_data = 5;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, -EINVAL, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_multishot(sqe, fds[0], 16, 0, 1);
	sqe->user_data = 6;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -EINVAL, 0);
	/* A regular file cannot be polled. */
	fd = t_temp_fd(4096, 1);
	mshot(fd, 1, 7);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 7, -EBADFD, 0);
	io_uring_free_buf_ring(&ring, br, 4, 1);
	io_uring_queue_exit(&ring);
	return 0;
}
