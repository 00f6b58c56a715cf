/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_POLL_ADD and POLL_REMOVE: one-shot on a pipe that
 * becomes readable, on one already writable; multishot (IORING_CQE_F_MORE,
 * one CQE per new event), removal (-ECANCELED), updates of events and
 * user_data, LEVEL, and prep errors.
 */
#include <poll.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void poll_add(int fd, unsigned events, unsigned flags, uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	if (flags & IORING_POLL_ADD_MULTI)
		io_uring_prep_poll_multishot(sqe, fd, events);
	else
		io_uring_prep_poll_add(sqe, fd, events);
	sqe->len |= flags & IORING_POLL_ADD_LEVEL;
	sqe->user_data = ud;
}

int main(void)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	char c;
	int fds[2];

	t_ring_init(&ring, 16, 0);
	t_pipe(fds);

	/* Writable at once. */
	poll_add(fds[1], POLLOUT, 0, 1);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 1, POLLOUT, 0);

	/* Readable later. */
	poll_add(fds[0], POLLIN, 0, 2);
	t_submit(&ring, 1);
	usleep(20 * 1000);
	t_eq(io_uring_cq_ready(&ring), 0);
	t_eq(write(fds[1], "a", 1), 1);
	t_expect_cqe(&ring, 2, POLLIN, 0);
	t_eq(read(fds[0], &c, 1), 1);

	/* Multishot: one CQE per write, F_MORE each time. */
	poll_add(fds[0], POLLIN, IORING_POLL_ADD_MULTI, 3);
	t_submit(&ring, 1);
	for (int i = 0; i < 3; i++) {
		t_eq(write(fds[1], "b", 1), 1);
		t_expect_cqe(&ring, 3, POLLIN, IORING_CQE_F_MORE);
		usleep(5 * 1000);
	}
	t_eq(io_uring_cq_ready(&ring), 0);
	/* Drain the pipe: an update re-arms the poll, and a still readable
	 * pipe would fire at once. */
	for (int i = 0; i < 3; i++)
		t_eq(read(fds[0], &c, 1), 1);
	/* Update its user_data, then remove it under the new one. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_update(sqe, 3, 4, 0, IORING_POLL_UPDATE_USER_DATA);
	sqe->user_data = 5;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 5, 0, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_remove(sqe, 3);
	sqe->user_data = 6;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 6, -ENOENT, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_remove(sqe, 4);
	sqe->user_data = 7;
	t_submit(&ring, 1);
	{
		int got4 = 0, got7 = 0;

		for (int i = 0; i < 2; i++) {
			cqe = t_wait_cqe(&ring);
			if (cqe->user_data == 4) {
				t_eq(cqe->res, -ECANCELED);
				t_eq(cqe->flags, 0);
				got4++;
			} else {
				t_check_cqe(cqe, 7, 0, 0);
				got7++;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		t_assert(got4 == 1 && got7 == 1);
	}

	/* Update events: waiting for POLLIN, changed to POLLOUT: fires. */
	poll_add(fds[1], POLLIN, 0, 8);
	t_submit(&ring, 1);
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_update(sqe, 8, 0, POLLOUT, IORING_POLL_UPDATE_EVENTS);
	sqe->user_data = 9;
	t_submit(&ring, 1);
	{
		int got8 = 0, got9 = 0;

		for (int i = 0; i < 2; i++) {
			cqe = t_wait_cqe(&ring);
			if (cqe->user_data == 8) {
				t_eq(cqe->res, POLLOUT);
				got8++;
			} else {
				t_check_cqe(cqe, 9, 0, 0);
				got9++;
			}
			io_uring_cqe_seen(&ring, cqe);
		}
		t_assert(got8 == 1 && got9 == 1);
	}

	/* Prep errors. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, fds[0], POLLIN);
	sqe->addr = 1;
	sqe->user_data = 10;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 10, -EINVAL, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_add(sqe, fds[0], POLLIN);
	sqe->len = 1u << 5;
	sqe->user_data = 11;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 11, -EINVAL, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_multishot(sqe, fds[0], POLLIN);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = 12;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 12, -EINVAL, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_poll_remove(sqe, 1);
	sqe->len = IORING_POLL_ADD_MULTI;
	sqe->user_data = 13;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 13, -EINVAL, 0);
	/* A bad fd. */
	poll_add(999, POLLIN, 0, 14);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 14, -EBADF, 0);
	io_uring_queue_exit(&ring);
	return 0;
}
