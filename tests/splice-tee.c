/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_SPLICE and IORING_OP_TEE: file -> pipe and
 * pipe -> file with explicit offsets and with the file position (-1),
 * tee duplicating pipe data, SPLICE_F_FD_IN_FIXED and a fixed output,
 * a splice that waits for data in an empty pipe, SPLICE_F_NONBLOCK
 * (-EAGAIN), a short transfer failing its link, len 0, the errors
 * (bad flags, tee offsets, an offset on a pipe, bad fds, bad fixed slots),
 * and ring teardown ending a splice blocked on an empty pipe.
 */
#include <fcntl.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int splice_one(uint64_t ud, int in, int64_t off_in, int out,
		      int64_t off_out, unsigned len, unsigned flags,
		      unsigned sqe_flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_splice(sqe, in, off_in, out, off_out, len, flags);
	sqe->flags |= sqe_flags;
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static int tee_one(uint64_t ud, int in, int out, unsigned len, unsigned flags)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_tee(sqe, in, out, len, flags);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void read_exact(int fd, const char *want)
{
	char buf[128] = { 0 };
	size_t n = strlen(want);

	t_eq(read(fd, buf, n), (ssize_t)n);
	t_assert(!memcmp(buf, want, n));
}

int main(void)
{
	struct io_uring_sqe *sqe;
	int p1[2], p2[2], fd, flags;
	char buf[64];

	t_ring_init(&ring, 8, 0);
	t_pipe(p1);
	t_pipe(p2);
	fd = open("file", O_CREAT | O_RDWR | O_TRUNC, 0644);
	t_assert(fd >= 0);
	t_eq(write(fd, "0123456789abcdefghij", 20), 20);

	/* file -> pipe at an offset */
	t_eq(splice_one(1, fd, 5, p1[1], -1, 10, 0, 0), 10);
	read_exact(p1[0], "56789abcde");
	/* file -> pipe at the file position, which advances */
	t_eq(lseek(fd, 3, SEEK_SET), 3);
	t_eq(splice_one(2, fd, -1, p1[1], -1, 4, 0, 0), 4);
	read_exact(p1[0], "3456");
	t_eq(lseek(fd, 0, SEEK_CUR), 7);
	/* pipe -> file at an offset; the position does not move */
	t_eq(write(p1[1], "HELLO", 5), 5);
	t_eq(splice_one(3, p1[0], -1, fd, 100, 5, 0, 0), 5);
	t_eq(pread(fd, buf, 5, 100), 5);
	t_assert(!memcmp(buf, "HELLO", 5));
	t_eq(lseek(fd, 0, SEEK_CUR), 7);

	/* tee: the data stays in the first pipe */
	t_eq(write(p1[1], "abcdef", 6), 6);
	t_eq(tee_one(4, p1[0], p2[1], 6, 0), 6);
	read_exact(p2[0], "abcdef");
	read_exact(p1[0], "abcdef");
	t_eq(tee_one(5, fd, p2[1], 6, 0), -EINVAL);	/* not a pipe */

	/* fixed input and fixed output */
	{
		int table[2] = { fd, p1[1] };

		t_eq(io_uring_register_files(&ring, table, 2), 0);
	}
	t_eq(splice_one(6, 0, 10, p1[1], -1, 3, SPLICE_F_FD_IN_FIXED, 0), 3);
	read_exact(p1[0], "abc");
	t_eq(splice_one(7, fd, 0, 1, -1, 2, 0, IOSQE_FIXED_FILE), 2);
	read_exact(p1[0], "01");
	t_eq(splice_one(8, 0, 2, 1, -1, 2, SPLICE_F_FD_IN_FIXED,
			IOSQE_FIXED_FILE), 2);
	read_exact(p1[0], "23");
	t_eq(splice_one(9, 2, 0, p1[1], -1, 2, SPLICE_F_FD_IN_FIXED, 0), -EBADF);
	t_eq(splice_one(10, -1, 0, p1[1], -1, 2, SPLICE_F_FD_IN_FIXED, 0), -EBADF);
	t_eq(io_uring_unregister_files(&ring), 0);
	t_eq(splice_one(11, 0, 0, p1[1], -1, 2, SPLICE_F_FD_IN_FIXED, 0), -EBADF);

	/* len 0: nothing moves, but both files must exist */
	t_eq(splice_one(12, p1[0], -1, p2[1], -1, 0, 0, 0), 0);
	t_eq(splice_one(13, 1000, -1, p2[1], -1, 0, 0, 0), -EBADF);
	t_eq(splice_one(14, p1[0], -1, 1000, -1, 0, 0, 0), -EBADF);
	t_eq(tee_one(15, p1[0], p2[1], 0, 0), 0);

	/* errors */
	t_eq(splice_one(16, p1[0], -1, p2[1], -1, 4, 0x10, 0), -EINVAL);
	t_eq(splice_one(17, p1[0], 0, fd, 0, 4, 0, 0), -ESPIPE);
	t_eq(splice_one(18, fd, -5, p1[1], -1, 4, 0, 0), -EINVAL);
	t_eq(splice_one(19, 1000, -1, p2[1], -1, 4, 0, 0), -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_tee(sqe, p1[0], p2[1], 4, 0);
	sqe->off = 1;
	sqe->user_data = 20;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 20, -EINVAL, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_tee(sqe, p1[0], p2[1], 4, 0);
	sqe->splice_off_in = 1;
	sqe->user_data = 21;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, -EINVAL, 0);

	/* an empty pipe: SPLICE_F_NONBLOCK says so at once */
	flags = fcntl(p1[0], F_GETFL);
	t_assert(!(flags & O_NONBLOCK));
	t_eq(splice_one(22, p1[0], -1, fd, 0, 4, SPLICE_F_NONBLOCK, 0), -EAGAIN);

	/* ... without it the splice waits for the writer */
	sqe = t_get_sqe(&ring);
	io_uring_prep_splice(sqe, p1[0], -1, fd, 200, 8, 0);
	sqe->user_data = 23;
	t_submit(&ring, 1);
	usleep(100 * 1000);
	t_expect_no_cqe(&ring);
	t_eq(write(p1[1], "late", 4), 4);
	t_expect_cqe(&ring, 23, 4, 0);		/* what the pipe had */
	t_eq(pread(fd, buf, 4, 200), 4);
	t_assert(!memcmp(buf, "late", 4));

	/* a short splice fails its link */
	t_eq(write(p1[1], "xyz", 3), 3);
	sqe = t_get_sqe(&ring);
	io_uring_prep_splice(sqe, p1[0], -1, fd, 300, 10, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 24;
	t_prep_nop(&ring, 25);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 24, 3, 0);
	t_expect_cqe(&ring, 25, -ECANCELED, 0);
	/* a full one does not */
	t_eq(write(p1[1], "0123456789", 10), 10);
	sqe = t_get_sqe(&ring);
	io_uring_prep_splice(sqe, p1[0], -1, fd, 300, 10, 0);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 26;
	t_prep_nop(&ring, 27);
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 26, 10, 0);
	t_expect_cqe(&ring, 27, 0, 0);

	/* Tearing the ring down ends a splice still waiting for data. */
	{
		uint64_t t0;

		sqe = t_get_sqe(&ring);
		io_uring_prep_splice(sqe, p1[0], -1, fd, 0, 8, 0);
		sqe->user_data = 28;
		t_submit(&ring, 1);
		usleep(50 * 1000);
		t0 = t_now_usec();
		io_uring_queue_exit(&ring);
		t_assert(t_now_usec() - t0 < 2000000);
	}

	close(fd);
	unlink("file");
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	return T_EXIT_PASS;
}
