/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_FSYNC (full, IORING_FSYNC_DATASYNC, ranged) and
 * IORING_OP_SYNC_FILE_RANGE: success on a regular file, write linked to
 * fsync, and errors: unknown fsync flags, unknown sync_file_range flags,
 * non-zero fields the kernel reserves, bad fd, a pipe (no fsync).
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void run1(struct io_uring_sqe *sqe, uint64_t ud, int want)
{
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

int main(void)
{
	struct io_uring_sqe *sqe;
	int fd, fds[2];
	char buf[4096];

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(65536, 2);

	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, 0);
	run1(sqe, 1, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	run1(sqe, 2, 0);
	/* A ranged fsync: off/len select the range. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, 0);
	sqe->off = 4096;
	sqe->len = 8192;
	run1(sqe, 3, 0);

	/* write -> fsync, linked. */
	memset(buf, 'w', sizeof(buf));
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 4;
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	sqe->user_data = 5;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 4, 4096, 0);
	t_expect_cqe(&ring, 5, 0, 0);

	/* Errors. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, 2);		/* unknown flag */
	run1(sqe, 10, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, 0);
	sqe->addr = 1;					/* reserved */
	run1(sqe, 11, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, 0);
	sqe->buf_index = 1;				/* reserved */
	run1(sqe, 12, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fd, 0);
	sqe->splice_fd_in = 1;				/* reserved */
	run1(sqe, 13, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, 1000, 0);
	run1(sqe, 14, -EBADF);
	t_pipe(fds);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fsync(sqe, fds[0], 0);
	run1(sqe, 15, -EINVAL);			/* pipes cannot fsync */

	/* sync_file_range. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_sync_file_range(sqe, fd, 8192, 0,
				      SYNC_FILE_RANGE_WAIT_BEFORE |
				      SYNC_FILE_RANGE_WRITE |
				      SYNC_FILE_RANGE_WAIT_AFTER);
	run1(sqe, 20, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_sync_file_range(sqe, fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	run1(sqe, 21, 0);				/* len 0 = to EOF */
	sqe = t_get_sqe(&ring);
	io_uring_prep_sync_file_range(sqe, fd, 100, 0, 0x100);
	run1(sqe, 22, -EINVAL);			/* unknown flag */
	sqe = t_get_sqe(&ring);
	io_uring_prep_sync_file_range(sqe, fd, 100, 0, SYNC_FILE_RANGE_WRITE);
	sqe->addr = 1;
	run1(sqe, 23, -EINVAL);			/* reserved */
	sqe = t_get_sqe(&ring);
	io_uring_prep_sync_file_range(sqe, 1000, 100, 0, SYNC_FILE_RANGE_WRITE);
	run1(sqe, 24, -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_sync_file_range(sqe, fds[0], 100, 0,
				      SYNC_FILE_RANGE_WRITE);
	run1(sqe, 25, -ESPIPE);		/* not a regular file */

	t_expect_no_cqe(&ring);
	close(fds[0]);
	close(fds[1]);
	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
