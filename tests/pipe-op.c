/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_PIPE: normal fds (flags O_NONBLOCK, O_CLOEXEC
 * honoured; a bad fds pointer gives -EFAULT and leaves no fd behind) and
 * direct descriptors (ALLOC picks two free slots; an explicit slot takes
 * it and the next one, and reports both; a write end past the table undoes
 * the read end; O_CLOEXEC is -EINVAL; no table: -ENFILE for ALLOC, -ENXIO
 * for a slot), data through both kinds, and prep errors (fd, off, addr3,
 * unknown flags: -EINVAL; len and buf_index are not checked).
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int do_pipe(uint64_t ud, int *fds, int flags, int direct, unsigned slot)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	if (direct)
		io_uring_prep_pipe_direct(sqe, fds, flags, slot);
	else
		io_uring_prep_pipe(sqe, fds, flags);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void fixed_io(uint64_t ud, int write, int slot, void *buf, unsigned len,
		     int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	if (write)
		io_uring_prep_write(sqe, slot, buf, len, 0);
	else
		io_uring_prep_read(sqe, slot, buf, len, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static void bad_prep(uint64_t ud, int which)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	int fds[2];

	io_uring_prep_pipe(sqe, fds, 0);
	switch (which) {
	case 0: sqe->fd = 1; break;
	case 1: sqe->off = 1; break;
	case 2: sqe->addr3 = 1; break;
	case 3: sqe->pipe_flags = O_APPEND; break;
	}
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, -EINVAL, 0);
}

int main(void)
{
	int fds[2], nfds;
	char buf[16];

	t_ring_init(&ring, 8, 0);

	/* Normal fds. */
	fds[0] = fds[1] = -1;
	t_eq(do_pipe(1, fds, 0, 0, 0), 0);
	t_assert(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]);
	t_eq(fcntl(fds[0], F_GETFD), 0);
	t_assert(!(fcntl(fds[0], F_GETFL) & O_NONBLOCK));
	t_eq(write(fds[1], "pipe", 4), 4);
	t_eq(read(fds[0], buf, sizeof(buf)), 4);
	t_assert(!memcmp(buf, "pipe", 4));
	close(fds[0]);
	close(fds[1]);

	t_eq(do_pipe(2, fds, O_NONBLOCK | O_CLOEXEC, 0, 0), 0);
	t_eq(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	t_eq(fcntl(fds[1], F_GETFD), FD_CLOEXEC);
	t_assert(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
	t_eq(read(fds[0], buf, 1), -1);
	t_eq(errno, EAGAIN);
	close(fds[0]);
	close(fds[1]);

	/* A bad pointer: no fds appear. */
	nfds = t_count_fds();
	t_eq(do_pipe(3, NULL, 0, 0, 0), -EFAULT);
	t_eq(do_pipe(4, (int *)8, 0, 0, 0), -EFAULT);
	t_eq(t_count_fds(), nfds);

	/* Prep errors. */
	bad_prep(5, 0);
	bad_prep(6, 1);
	bad_prep(7, 2);
	bad_prep(8, 3);
	{
		struct io_uring_sqe *sqe = t_get_sqe(&ring);

		io_uring_prep_pipe(sqe, fds, 0);
		sqe->len = 5;
		sqe->buf_index = 3;
		sqe->user_data = 9;
		t_submit(&ring, 1);
		t_expect_cqe(&ring, 9, 0, 0);
		close(fds[0]);
		close(fds[1]);
	}

	/* Direct descriptors without a table. */
	t_eq(do_pipe(10, fds, 0, 1, IORING_FILE_INDEX_ALLOC), -ENFILE);
	t_eq(do_pipe(11, fds, 0, 1, 0), -ENXIO);

	/* (ursa's table holds a private dup per slot: count fds only with
	 * the table gone) */
	nfds = t_count_fds();
	t_eq(io_uring_register_files_sparse(&ring, 4), 0);
	fds[0] = fds[1] = -1;
	t_eq(do_pipe(12, fds, 0, 1, IORING_FILE_INDEX_ALLOC), 0);
	t_eq(fds[0], 0);
	t_eq(fds[1], 1);
	fixed_io(13, 1, 1, "direct", 6, 6);
	fixed_io(14, 0, 0, buf, sizeof(buf), 6);
	t_assert(!memcmp(buf, "direct", 6));

	/* An explicit slot: read end there, write end next; both reported. */
	t_eq(do_pipe(15, fds, 0, 1, 2), 0);
	t_eq(fds[0], 2);
	t_eq(fds[1], 3);
	fixed_io(16, 1, 3, "xy", 2, 2);
	fixed_io(17, 0, 2, buf, sizeof(buf), 2);

	/* The write end would fall off the table: the read end is undone,
	 * and what slot 3 held is gone too (the install replaced it). */
	fds[0] = fds[1] = -7;
	t_eq(do_pipe(18, fds, 0, 1, 3), -EINVAL);
	t_eq(fds[0], -7);
	fixed_io(19, 0, 3, buf, 1, -EBADF);
	t_eq(do_pipe(20, fds, 0, 1, 4), -EINVAL);	/* past the end */
	t_eq(do_pipe(21, fds, O_CLOEXEC, 1, 0), -EINVAL);
	t_eq(do_pipe(22, fds, O_CLOEXEC, 1, IORING_FILE_INDEX_ALLOC), -EINVAL);
	/* slot 0 untouched by the failures */
	fixed_io(23, 1, 1, "ok", 2, 2);
	fixed_io(24, 0, 0, buf, sizeof(buf), 2);

	/* A full table. */
	t_eq(do_pipe(25, fds, 0, 1, IORING_FILE_INDEX_ALLOC), -ENFILE);

	/* A bad pointer with direct slots: the slots are given back. */
	t_eq(io_uring_unregister_files(&ring), 0);
	t_eq(io_uring_register_files_sparse(&ring, 2), 0);
	t_eq(do_pipe(26, NULL, 0, 1, IORING_FILE_INDEX_ALLOC), -EFAULT);
	t_eq(do_pipe(27, fds, 0, 1, IORING_FILE_INDEX_ALLOC), 0);
	t_assert((fds[0] == 0 && fds[1] == 1) || (fds[0] == 1 && fds[1] == 0));
	fixed_io(28, 1, fds[1], "z", 1, 1);
	fixed_io(29, 0, fds[0], buf, 1, 1);
	t_eq(io_uring_unregister_files(&ring), 0);
	/* no process fd left over (ursa's slot dups go with their last
	 * reference, which a request drops just after its CQE) */
	for (int i = 0; i < 100 && t_count_fds() != nfds; i++)
		usleep(10 * 1000);
	t_eq(t_count_fds(), nfds);

	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
