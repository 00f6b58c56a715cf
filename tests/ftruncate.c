/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_FTRUNCATE (kernel 6.9+): shrink, grow (zero
 * filled), truncate to 0, and errors: negative length, bad fd, fd not open
 * for writing, a pipe, reserved fields non-zero.
 */
#include <fcntl.h>
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

static void trunc1(uint64_t ud, int fd, long long len, int want)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);

	io_uring_prep_ftruncate(sqe, fd, len);
	run1(sqe, ud, want);
}

int main(void)
{
	struct io_uring_sqe *sqe;
	int fd, rfd, fds[2];
	char buf[100], path[64];

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(8192, 7);

	trunc1(1, fd, 1000, 0);
	t_eq(fsize(fd), 1000);
	t_eq(pread(fd, buf, 100, 900), 100);
	t_assert(t_check_pattern(buf, 100, 900, 7) < 0);

	trunc1(2, fd, 5000, 0);
	t_eq(fsize(fd), 5000);
	t_eq(pread(fd, buf, 100, 1000), 100);
	for (int i = 0; i < 100; i++)
		t_assert(buf[i] == 0);

	trunc1(3, fd, 0, 0);
	t_eq(fsize(fd), 0);

	/* Errors. */
	trunc1(10, fd, -1, -EINVAL);
	trunc1(11, 1000, 10, -EBADF);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY);
	t_assert(rfd >= 0);
	trunc1(12, rfd, 10, -EINVAL);		/* as ftruncate(2): not writable */
	close(rfd);
	t_pipe(fds);
	trunc1(13, fds[1], 10, -EINVAL);
	close(fds[0]);
	close(fds[1]);
	sqe = t_get_sqe(&ring);
	io_uring_prep_ftruncate(sqe, fd, 10);
	sqe->len = 1;
	run1(sqe, 14, -EINVAL);			/* reserved */
	sqe = t_get_sqe(&ring);
	io_uring_prep_ftruncate(sqe, fd, 10);
	sqe->addr = 1;
	run1(sqe, 15, -EINVAL);			/* reserved */
	sqe = t_get_sqe(&ring);
	io_uring_prep_ftruncate(sqe, fd, 10);
	sqe->rw_flags = 1;
	run1(sqe, 16, -EINVAL);			/* reserved */
	t_eq(fsize(fd), 0);

	t_expect_no_cqe(&ring);
	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
