/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_CLOSE of normal fds and of fixed-file slots
 * (sqe->file_index): the fd is really closed; bad fds give -EBADF; an
 * io_uring fd (this ring's or another's) is refused with -EBADF and the
 * ring keeps working; prep errors (off, addr, len, rw_flags, buf_index:
 * -EINVAL; IOSQE_FIXED_FILE: -EBADF; fd and file_index both: -EINVAL);
 * slot errors (no table: -ENXIO, past the end: -EINVAL, empty: -EBADF).
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void do_close(uint64_t ud, int fd, int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_close(sqe, fd);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static void close_slot(uint64_t ud, unsigned slot, int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_close_direct(sqe, slot);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static void bad_field(uint64_t ud, int which, int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_close(sqe, 1000);
	switch (which) {
	case 0: sqe->off = 1; break;
	case 1: sqe->addr = 1; break;
	case 2: sqe->len = 1; break;
	case 3: sqe->rw_flags = 1; break;
	case 4: sqe->buf_index = 1; break;
	case 5: sqe->flags |= IOSQE_FIXED_FILE; break;
	case 6: sqe->file_index = 1; break;	/* and fd 1000 */
	case 7: sqe->addr3 = 1; break;		/* not checked */
	}
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

int main(void)
{
	struct io_uring other;
	int fds[2], fd, i;
	char c;

	t_ring_init(&ring, 8, 0);
	t_ring_init(&other, 4, 0);

	t_pipe(fds);
	do_close(1, fds[1], 0);
	t_eq(fcntl(fds[1], F_GETFD), -1);
	/* the write end is gone: the reader sees EOF */
	t_eq(read(fds[0], &c, 1), 0);
	do_close(2, fds[1], -EBADF);		/* twice */
	do_close(3, fds[0], 0);

	fd = t_temp_fd(100, 1);
	do_close(4, fd, 0);
	t_eq(fcntl(fd, F_GETFD), -1);

	do_close(5, -1, -EBADF);
	do_close(6, 100000, -EBADF);

	/* io_uring fds cannot be closed through IORING_OP_CLOSE. */
	do_close(7, ring.ring_fd, -EBADF);
	do_close(8, other.ring_fd, -EBADF);
	t_prep_nop(&ring, 9);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 9, 0, 0);
	t_prep_nop(&other, 10);
	t_submit(&other, 1);
	t_expect_cqe(&other, 10, 0, 0);

	/* Prep errors. */
	for (i = 0; i < 5; i++)
		bad_field(20 + i, i, -EINVAL);
	bad_field(25, 5, -EBADF);
	bad_field(26, 6, -EINVAL);
	bad_field(27, 7, -EBADF);

	/* Fixed slots. */
	close_slot(30, 0, -ENXIO);		/* no table */
	t_pipe(fds);
	{
		int table[3] = { fds[0], -1, fds[1] };

		t_eq(io_uring_register_files(&ring, table, 3), 0);
	}
	close_slot(31, 1, -EBADF);		/* empty */
	close_slot(32, 3, -EINVAL);		/* past the end */
	close_slot(33, IORING_FILE_INDEX_ALLOC - 1, -EINVAL);	/* file_index ~0 */
	close_slot(34, 2, 0);
	close_slot(35, 2, -EBADF);		/* already empty */
	/* the table's copy is gone, ours is untouched */
	t_eq(write(fds[1], "x", 1), 1);
	close(fds[1]);
	close_slot(36, 0, 0);
	t_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);

	/* A fixed-file read of a closed slot fails. */
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_read(sqe, 0, &c, 1, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		sqe->user_data = 37;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 37, -EBADF, 0);
	}

	io_uring_queue_exit(&other);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
