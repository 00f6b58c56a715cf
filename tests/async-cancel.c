/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_ASYNC_CANCEL and IORING_REGISTER_SYNC_CANCEL:
 * by user_data, -ENOENT for nothing, ALL by fd, by opcode, ANY, a timeout
 * cancelled, a read blocked in a worker interrupted (-EALREADY for the
 * cancel, the read ends), prep errors; sync cancel with and without a
 * match.
 */
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;
static char buf[64];

static void read_pipe(int fd, uint64_t ud, unsigned flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_read(sqe, fd, buf, sizeof(buf), 0);
	sqe->flags |= flags;
	sqe->user_data = ud;
}

static struct io_uring_sqe *cancel_sqe(uint64_t target, unsigned flags,
				       uint64_t ud)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_cancel64(sqe, target, (int)flags);
	sqe->user_data = ud;
	return sqe;
}

/* Reap n CQEs; check those listed, in any order. */
static void reap(int n, const uint64_t *ud, const int *res)
{
	int found[16] = { 0 };

	for (int i = 0; i < n; i++) {
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);
		int j;

		for (j = 0; j < n; j++) {
			if (ud[j] == cqe->user_data && !found[j]) {
				if (cqe->res != res[j])
					t_fail("user_data %llu: res %d, want %d",
					       (unsigned long long)ud[j], cqe->res,
					       res[j]);
				found[j] = 1;
				break;
			}
		}
		if (j == n)
			t_fail("unexpected CQE %llu",
			       (unsigned long long)cqe->user_data);
		io_uring_cqe_seen(&ring, cqe);
	}
}

int main(void)
{
	struct __kernel_timespec big = { .tv_sec = 10 };
	struct io_uring_sqe *sqe;
	int fds[2], fds2[2];

	t_ring_init(&ring, 32, 0);
	t_pipe(fds);
	t_pipe(fds2);

	/* By user_data. */
	read_pipe(fds[0], 1, 0);
	t_submit(&ring, 1);
	cancel_sqe(1, 0, 2);
	t_submit(&ring, 1);
	reap(2, (uint64_t[]){ 1, 2 }, (int[]){ -ECANCELED, 0 });

	/* Nothing to cancel. */
	cancel_sqe(12345, 0, 3);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 3, -ENOENT, 0);

	/* ALL on one fd: three reads, a fourth on another pipe stays. */
	read_pipe(fds[0], 4, 0);
	read_pipe(fds[0], 5, 0);
	read_pipe(fds[0], 6, 0);
	read_pipe(fds2[0], 7, 0);
	t_submit(&ring, 4);
	sqe = t_get_sqe(&ring);
	io_uring_prep_cancel_fd(sqe, fds[0], IORING_ASYNC_CANCEL_ALL);
	sqe->user_data = 8;
	t_submit(&ring, 1);
	reap(4, (uint64_t[]){ 4, 5, 6, 8 },
	     (int[]){ -ECANCELED, -ECANCELED, -ECANCELED, 3 });

	/* By opcode: the READ on fds2; a timeout is left alone. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_timeout(sqe, &big, 0, 0);
	sqe->user_data = 9;
	t_submit(&ring, 1);
	sqe = cancel_sqe(0, IORING_ASYNC_CANCEL_OP | IORING_ASYNC_CANCEL_ALL, 10);
	sqe->len = IORING_OP_READ;
	t_submit(&ring, 1);
	reap(2, (uint64_t[]){ 7, 10 }, (int[]){ -ECANCELED, 1 });

	/* The timeout, by user_data. */
	cancel_sqe(9, 0, 11);
	t_submit(&ring, 1);
	reap(2, (uint64_t[]){ 9, 11 }, (int[]){ -ECANCELED, 0 });

	/* ANY: everything pending. */
	read_pipe(fds[0], 12, 0);
	read_pipe(fds2[0], 13, 0);
	t_submit(&ring, 2);
	cancel_sqe(0, IORING_ASYNC_CANCEL_ANY, 14);
	t_submit(&ring, 1);
	reap(3, (uint64_t[]){ 12, 13, 14 }, (int[]){ -ECANCELED, -ECANCELED, 2 });

	/* A read sent to a worker (IOSQE_ASYNC) on a pipe: the worker does
	 * not hold it but waits for readiness, so it is cancelled like any
	 * parked request. */
	read_pipe(fds[0], 15, IOSQE_ASYNC);
	t_submit(&ring, 1);
	usleep(50 * 1000);
	cancel_sqe(15, 0, 16);
	t_submit(&ring, 1);
	{
		int r15 = 1, r16 = 1;

		for (int i = 0; i < 2; i++) {
			struct io_uring_cqe *cqe = t_wait_cqe(&ring);

			if (cqe->user_data == 15)
				r15 = cqe->res;
			else if (cqe->user_data == 16)
				r16 = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		}
		t_eq(r16, 0);
		t_eq(r15, -ECANCELED);
	}

	/* Prep errors: unknown flag, FD together with ANY, off set. */
	cancel_sqe(1, 1u << 10, 17);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 17, -EINVAL, 0);
	sqe = cancel_sqe(1, IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ANY, 18);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 18, -EINVAL, 0);
	sqe = cancel_sqe(1, 0, 19);
	sqe->off = 1;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 19, -EINVAL, 0);
	/* A bad fd to match: -EBADF. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_cancel_fd(sqe, 999, 0);
	sqe->user_data = 20;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, -EBADF, 0);

	/* Sync cancel: a pending read, then nothing. */
	read_pipe(fds[0], 21, 0);
	t_submit(&ring, 1);
	{
		struct io_uring_sync_cancel_reg reg;

		memset(&reg, 0, sizeof(reg));
		reg.addr = 21;
		reg.timeout.tv_sec = -1;
		reg.timeout.tv_nsec = -1;
		t_eq(io_uring_register_sync_cancel(&ring, &reg), 0);
		t_expect_cqe(&ring, 21, -ECANCELED, 0);
		t_eq(io_uring_register_sync_cancel(&ring, &reg), -ENOENT);
		reg.flags = 1u << 10;
		t_eq(io_uring_register_sync_cancel(&ring, &reg), -EINVAL);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
