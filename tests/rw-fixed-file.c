/* SPDX-License-Identifier: MIT */
/*
 * Description: I/O through registered files (IOSQE_FIXED_FILE): reads and
 * writes by table index, the table keeps the file after close(), empty
 * (sparse) slots and indexes past the table give -EBADF, files_update fills
 * and clears slots, and a fixed-file SQE without any table gives -EBADF.
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void fixed_read(uint64_t ud, int idx, void *buf, unsigned len,
		       uint64_t off, int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_read(sqe, idx, buf, len, off);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

int main(void)
{
	char buf[4096];
	int fd, fds[2], ret;
	struct io_uring_sqe *sqe;

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(8192, 6);
	t_pipe(fds);

	/* No table at all. */
	fixed_read(1, 0, buf, 10, 0, -EBADF);

	{
		int table[4] = { fd, -1, fds[0], fds[1] };

		ret = io_uring_register_files(&ring, table, 4);
		if (ret)
			t_fail("register_files: %s", t_errname(ret));
	}
	/* The table holds its own reference: closing ours changes nothing. */
	close(fd);

	fixed_read(2, 0, buf, 4096, 100, 4096);
	t_assert(t_check_pattern(buf, 4096, 100, 6) < 0);
	fixed_read(3, 1, buf, 10, 0, -EBADF);		/* sparse slot */
	fixed_read(4, 4, buf, 10, 0, -EBADF);		/* past the end */
	fixed_read(5, 1000000, buf, 10, 0, -EBADF);
	fixed_read(6, -1, buf, 10, 0, -EBADF);

	/* Pipe through fixed slots 2 (read) and 3 (write). */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, 3, "fixed", 5, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
	sqe->user_data = 7;
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, 2, buf, sizeof(buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 8;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 7, 5, 0);
	t_expect_cqe(&ring, 8, 5, 0);
	t_assert(!memcmp(buf, "fixed", 5));

	/* Fill the hole at 1 with the pipe's read end, then clear it. */
	ret = io_uring_register_files_update(&ring, 1, &fds[0], 1);
	t_eq(ret, 1);
	t_eq(write(fds[1], "upd", 3), 3);
	fixed_read(9, 1, buf, sizeof(buf), 0, 3);
	{
		int none = -1;

		t_eq(io_uring_register_files_update(&ring, 1, &none, 1), 1);
	}
	fixed_read(10, 1, buf, 10, 0, -EBADF);

	/* Replace slot 0 by the pipe: the old file is dropped. */
	t_eq(io_uring_register_files_update(&ring, 0, &fds[0], 1), 1);
	t_eq(write(fds[1], "re", 2), 2);
	fixed_read(11, 0, buf, sizeof(buf), 0, 2);

	/* Fixed and normal fd numbers are separate namespaces. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fds[1], "n", 1, 0);	/* normal fd */
	sqe->user_data = 12;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 12, 1, 0);
	fixed_read(13, 2, buf, 1, 0, 1);

	/* After unregistering, fixed SQEs fail again. */
	t_eq(io_uring_unregister_files(&ring), 0);
	fixed_read(14, 2, buf, 1, 0, -EBADF);

	/* A sparse table, filled later. */
	t_eq(io_uring_register_files_sparse(&ring, 16), 0);
	fixed_read(15, 5, buf, 1, 0, -EBADF);
	t_eq(io_uring_register_files_update(&ring, 5, &fds[0], 1), 1);
	t_eq(write(fds[1], "s", 1), 1);
	fixed_read(16, 5, buf, 1, 0, 1);
	fixed_read(17, 16, buf, 1, 0, -EBADF);

	t_expect_no_cqe(&ring);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
