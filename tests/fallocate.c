/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_FALLOCATE: extending a file (mode 0), KEEP_SIZE,
 * PUNCH_HOLE (reads back zeros), and errors: zero length, negative offset,
 * unknown mode bits, reserved fields, bad fd, read-only fd, pipe.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void run1(struct io_uring_sqe *sqe, uint64_t ud, int want)
{
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static long long fsize(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		t_fail("fstat");
	return (long long)st.st_size;
}

int main(void)
{
	struct io_uring_sqe *sqe;
	int fd, rfd, fds[2];
	char buf[4096], path[64];

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(4096, 3);

	/* Mode 0 grows the file to offset + len. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, 0, 0, 65536);
	run1(sqe, 1, 0);
	t_eq(fsize(fd), 65536);
	/* Existing data untouched, new range reads as zeros. */
	t_eq(pread(fd, buf, 4096, 0), 4096);
	t_assert(t_check_pattern(buf, 4096, 0, 3) < 0);
	t_eq(pread(fd, buf, 4096, 8192), 4096);
	for (int i = 0; i < 4096; i++)
		t_assert(buf[i] == 0);

	/* KEEP_SIZE allocates beyond EOF without changing the size. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, FALLOC_FL_KEEP_SIZE, 65536, 65536);
	run1(sqe, 2, 0);
	t_eq(fsize(fd), 65536);

	/* PUNCH_HOLE (needs KEEP_SIZE) zeroes the range. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd,
				FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				0, 4096);
	run1(sqe, 3, 0);
	t_eq(pread(fd, buf, 4096, 0), 4096);
	for (int i = 0; i < 4096; i++)
		t_assert(buf[i] == 0);
	t_eq(fsize(fd), 65536);
	/* PUNCH_HOLE without KEEP_SIZE: -EOPNOTSUPP. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, FALLOC_FL_PUNCH_HOLE, 0, 4096);
	run1(sqe, 4, -EOPNOTSUPP);

	/* Errors. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, 0, 0, 0);
	run1(sqe, 10, -EINVAL);				/* len 0 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, 0, (uint64_t)-4096, 4096);
	run1(sqe, 11, -EINVAL);				/* offset < 0 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, 0x40000000, 0, 4096);
	run1(sqe, 12, -EOPNOTSUPP);			/* unknown mode */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, 0, 0, 4096);
	sqe->rw_flags = 1;
	run1(sqe, 13, -EINVAL);				/* reserved */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fd, 0, 0, 4096);
	sqe->buf_index = 1;
	run1(sqe, 14, -EINVAL);				/* reserved */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, 1000, 0, 0, 4096);
	run1(sqe, 15, -EBADF);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY);
	t_assert(rfd >= 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, rfd, 0, 0, 4096);
	run1(sqe, 16, -EBADF);				/* not open for writing */
	close(rfd);

	t_pipe(fds);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fallocate(sqe, fds[1], 0, 0, 4096);
	run1(sqe, 17, -ESPIPE);
	close(fds[0]);
	close(fds[1]);

	t_expect_no_cqe(&ring);
	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
