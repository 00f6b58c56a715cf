/* SPDX-License-Identifier: MIT */
/*
 * Description: registered buffers with READ_FIXED / WRITE_FIXED (whole
 * buffer, a slice in the middle, two buffers), READV_FIXED / WRITEV_FIXED
 * (iovecs inside a registered buffer, kernel 6.15+), and the errors: buf_index out of range,
 * a range that leaves the registered buffer, a sparse (empty) slot, no table,
 * and after unregistering.
 */
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers/helpers.h"

#define BSZ 8192
#define FSIZE (4 * BSZ)

static struct io_uring ring;

static void run1(struct io_uring_sqe *sqe, uint64_t ud, int want)
{
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

int main(void)
{
	static char bufs[2][BSZ] __attribute__((aligned(4096)));
	struct iovec iov[2] = {
		{ bufs[0], BSZ }, { bufs[1], BSZ },
	};
	struct io_uring_sqe *sqe;
	int fd, ret;

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(FSIZE, 4);

	/* No table yet: -EFAULT. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], 100, 0, 0);
	run1(sqe, 1, -EFAULT);

	ret = io_uring_register_buffers(&ring, iov, 2);
	if (ret)
		t_fail("register_buffers: %s", t_errname(ret));

	/* Whole buffer 0 and 1. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], BSZ, 0, 0);
	sqe->user_data = 2;
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1], BSZ, BSZ, 1);
	sqe->user_data = 3;
	t_submit(&ring, 2);
	for (int i = 0; i < 2; i++) {
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_assert(cqe->user_data == 2 || cqe->user_data == 3);
		t_eq(cqe->res, BSZ);
		t_eq(cqe->flags, 0);
		io_uring_cqe_seen(&ring, cqe);
	}
	t_assert(t_check_pattern(bufs[0], BSZ, 0, 4) < 0);
	t_assert(t_check_pattern(bufs[1], BSZ, BSZ, 4) < 0);

	/* A slice in the middle of buffer 1, unaligned. */
	memset(bufs[1], 0, BSZ);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1] + 1001, 3000, 77, 1);
	run1(sqe, 4, 3000);
	t_assert(t_check_pattern(bufs[1] + 1001, 3000, 77, 4) < 0);
	t_assert(bufs[1][1000] == 0 && bufs[1][4001] == 0);

	/* Short read at EOF. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], BSZ, FSIZE - 10, 0);
	run1(sqe, 5, 10);

	/* WRITE_FIXED from a slice, verify with pread. */
	t_fill_pattern(bufs[0], BSZ, 0, 8);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write_fixed(sqe, fd, bufs[0] + 10, 500, 2 * BSZ, 0);
	run1(sqe, 6, 500);
	{
		char chk[500];

		t_eq(pread(fd, chk, 500, 2 * BSZ), 500);
		t_assert(!t_bufcmp(chk, bufs[0] + 10, 500, "write_fixed"));
	}

	/* Errors. */
	/* buf_index past the table. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], 100, 0, 2);
	run1(sqe, 10, -EFAULT);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], 100, 0, 0xffff);
	run1(sqe, 11, -EFAULT);
	/* Address of buffer 1 used with index 0. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[1] + 100, 100, 0, 0);
	run1(sqe, 12, -EFAULT);
	/* Starts inside, ends past the end. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0] + BSZ - 10, 11, 0, 0);
	run1(sqe, 13, -EFAULT);
	/* Starts before the buffer. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write_fixed(sqe, fd, bufs[1] - 1, 10, 0, 1);
	run1(sqe, 14, -EFAULT);
	/* Exactly to the end is fine. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0] + BSZ - 10, 10, 0, 0);
	run1(sqe, 15, 10);
	/* Bad fd, with a valid buffer. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, 1000, bufs[0], 10, 0, 0);
	run1(sqe, 16, -EBADF);

	/* Vectored fixed I/O: iovecs must lie inside the registered buffer. */
	{
		struct iovec v[2] = {
			{ bufs[0] + 100, 200 }, { bufs[0] + 4000, 300 },
		};

		memset(bufs[0], 0, BSZ);
		sqe = t_get_sqe(&ring);
		io_uring_prep_readv_fixed(sqe, fd, v, 2, 1000, 0, 0);
		run1(sqe, 20, 500);
		t_assert(t_check_pattern(bufs[0] + 100, 200, 1000, 4) < 0);
		t_assert(t_check_pattern(bufs[0] + 4000, 300, 1200, 4) < 0);

		t_fill_pattern(bufs[0], BSZ, 0, 12);
		sqe = t_get_sqe(&ring);
		io_uring_prep_writev_fixed(sqe, fd, v, 2, 3 * BSZ, 0, 0);
		run1(sqe, 21, 500);
		{
			char chk[500];

			t_eq(pread(fd, chk, 500, 3 * BSZ), 500);
			t_assert(!t_bufcmp(chk, bufs[0] + 100, 200, "writev 1"));
			t_assert(!t_bufcmp(chk + 200, bufs[0] + 4000, 300,
					   "writev 2"));
		}

		/* One iovec outside the buffer: -EFAULT. */
		v[1].iov_base = bufs[1];
		sqe = t_get_sqe(&ring);
		io_uring_prep_readv_fixed(sqe, fd, v, 2, 0, 0, 0);
		run1(sqe, 22, -EFAULT);
		/* Index out of range. */
		sqe = t_get_sqe(&ring);
		io_uring_prep_readv_fixed(sqe, fd, v, 1, 0, 0, 5);
		run1(sqe, 23, -EFAULT);
	}

	/* After unregistering: -EFAULT again. */
	t_eq(io_uring_unregister_buffers(&ring), 0);
	/* A second unregister: -ENXIO (no table). */
	t_eq(io_uring_unregister_buffers(&ring), -ENXIO);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], 100, 0, 0);
	run1(sqe, 30, -EFAULT);

	/* Sparse table: empty slots fail with -EFAULT until updated. */
	t_eq(io_uring_register_buffers_sparse(&ring, 4), 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], 100, 0, 2);
	run1(sqe, 31, -EFAULT);
	ret = io_uring_register_buffers_update_tag(&ring, 2, &iov[0], NULL, 1);
	t_eq(ret, 1);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, bufs[0], 100, 0, 2);
	run1(sqe, 32, 100);
	t_assert(t_check_pattern(bufs[0], 100, 0, 4) < 0);

	t_expect_no_cqe(&ring);
	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
