/* SPDX-License-Identifier: MIT */
/*
 * Description: READ, WRITE, READV and WRITEV on a regular file: data at
 * explicit offsets, off = -1 uses and advances the file position, short reads
 * at and past EOF, RWF_* flags (NOWAIT, DSYNC, APPEND; HIPRI without IOPOLL and unknown
 * bits are errors), and
 * error results: bad fd, fd opened for the other direction, bad buffer
 * pointer, bad iovec array, too many iovecs, a directory, negative offset.
 */
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "helpers/helpers.h"

#define FSIZE 16384

static struct io_uring ring;

/* Submit one prepared SQE and check its CQE. */
static void run1(struct io_uring_sqe *sqe, uint64_t ud, int want)
{
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static void test_offsets(int fd)
{
	static char buf[FSIZE];
	struct io_uring_sqe *sqe;

	/* Several reads at different offsets in one batch. */
	for (unsigned i = 0; i < 4; i++) {
		sqe = t_get_sqe(&ring);
		io_uring_prep_read(sqe, fd, buf + 1000 * i, 1000, 3000 * i + 1);
		sqe->user_data = i;
	}
	t_submit(&ring, 4);
	for (unsigned i = 0; i < 4; i++) {
		struct io_uring_cqe *cqe = t_wait_cqe(&ring);

		t_assert(cqe->user_data < 4);
		t_eq(cqe->res, 1000);
		t_eq(cqe->flags, 0);
		io_uring_cqe_seen(&ring, cqe);
	}
	for (unsigned i = 0; i < 4; i++)
		if (t_check_pattern(buf + 1000 * i, 1000, 3000 * i + 1, 1) >= 0)
			t_fail("read %u returned wrong data", i);

	/* Write at an offset, read it back with pread. */
	t_fill_pattern(buf, 777, 0, 9);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, buf, 777, 5000);
	run1(sqe, 10, 777);
	{
		char chk[777];

		t_eq(pread(fd, chk, sizeof(chk), 5000), 777);
		t_assert(!t_bufcmp(chk, buf, 777, "write"));
		/* Restore the original pattern. */
		t_fill_pattern(chk, 777, 5000, 1);
		t_eq(pwrite(fd, chk, 777, 5000), 777);
	}

	/* Length 0: result 0. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 0, 0);
	run1(sqe, 11, 0);
}

static void test_vectored(int fd)
{
	static char a[100], b[4000], c[1];
	struct iovec iov[3] = {
		{ a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) },
	};
	struct io_uring_sqe *sqe;

	sqe = t_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, iov, 3, 10);
	run1(sqe, 20, 4101);
	t_assert(t_check_pattern(a, 100, 10, 1) < 0);
	t_assert(t_check_pattern(b, 4000, 110, 1) < 0);
	t_assert(t_check_pattern(c, 1, 4110, 1) < 0);

	/* READV crossing EOF: short. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, iov, 3, FSIZE - 150);
	run1(sqe, 21, 150);
	t_assert(t_check_pattern(a, 100, FSIZE - 150, 1) < 0);
	t_assert(t_check_pattern(b, 50, FSIZE - 50, 1) < 0);

	/* WRITEV then read back. */
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	c[0] = 'c';
	sqe = t_get_sqe(&ring);
	io_uring_prep_writev(sqe, fd, iov, 3, FSIZE + 1000);
	run1(sqe, 22, 4101);
	{
		static char chk[4101];

		t_eq(pread(fd, chk, sizeof(chk), FSIZE + 1000), 4101);
		t_assert(chk[0] == 'a' && chk[99] == 'a' && chk[100] == 'b' &&
			 chk[4099] == 'b' && chk[4100] == 'c');
	}
	t_eq(ftruncate(fd, FSIZE), 0);

	/* Zero iovecs: 0. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, iov, 0, 0);
	run1(sqe, 23, 0);
	/* More than UIO_MAXIOV (1024) iovecs: -EINVAL. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, iov, 1025, 0);
	run1(sqe, 24, -EINVAL);
	/* iovec array pointer not mapped: -EFAULT. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, (struct iovec *)8, 2, 0);
	run1(sqe, 25, -EFAULT);
	/* An iovec pointing at unmapped memory: -EFAULT. */
	{
		struct iovec bad = { (void *)8, 100 };

		sqe = t_get_sqe(&ring);
		io_uring_prep_readv(sqe, fd, &bad, 1, 0);
		run1(sqe, 26, -EFAULT);
	}
}

static void test_file_position(int fd)
{
	char buf[300];
	struct io_uring_sqe *sqe;

	/* off = -1: read at the current position and advance it. */
	t_eq(lseek(fd, 100, SEEK_SET), 100);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 50, -1);
	run1(sqe, 30, 50);
	t_assert(t_check_pattern(buf, 50, 100, 1) < 0);
	t_eq(lseek(fd, 0, SEEK_CUR), 150);

	/* Linked reads with off = -1 continue where the previous one ended. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 100, -1);
	sqe->flags |= IOSQE_IO_LINK;
	sqe->user_data = 31;
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf + 100, 100, -1);
	sqe->user_data = 32;
	t_submit(&ring, 2);
	t_expect_cqe(&ring, 31, 100, 0);
	t_expect_cqe(&ring, 32, 100, 0);
	t_assert(t_check_pattern(buf, 200, 150, 1) < 0);
	t_eq(lseek(fd, 0, SEEK_CUR), 350);

	/* An explicit offset leaves the position alone. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 10, 0);
	run1(sqe, 33, 10);
	t_eq(lseek(fd, 0, SEEK_CUR), 350);

	/* off = -1 on a write: at the position, which advances. */
	memcpy(buf, "position", 8);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, buf, 8, -1);
	run1(sqe, 34, 8);
	t_eq(lseek(fd, 0, SEEK_CUR), 358);
	t_eq(pread(fd, buf + 100, 8, 350), 8);
	t_assert(!memcmp(buf + 100, "position", 8));
	t_fill_pattern(buf, 8, 350, 1);
	t_eq(pwrite(fd, buf, 8, 350), 8);

	/* READV with off = -1 too. */
	{
		struct iovec iov = { buf, 42 };

		sqe = t_get_sqe(&ring);
		io_uring_prep_readv(sqe, fd, &iov, 1, -1);
		run1(sqe, 35, 42);
		t_assert(t_check_pattern(buf, 42, 358, 1) < 0);
		t_eq(lseek(fd, 0, SEEK_CUR), 400);
	}

	/* Position at EOF: 0. */
	t_eq(lseek(fd, 0, SEEK_END), FSIZE);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 100, -1);
	run1(sqe, 36, 0);
	t_eq(lseek(fd, 0, SEEK_CUR), FSIZE);
}

static void test_eof(int fd)
{
	char buf[1000];
	struct io_uring_sqe *sqe;

	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 1000, FSIZE - 300);
	run1(sqe, 40, 300);
	t_assert(t_check_pattern(buf, 300, FSIZE - 300, 1) < 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 1000, FSIZE);
	run1(sqe, 41, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 1000, FSIZE * 4);
	run1(sqe, 42, 0);
}

static void test_rw_flags(int fd)
{
	char buf[512];
	struct io_uring_sqe *sqe;

	/* RWF_NOWAIT on a cached file: completes normally. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 512, 0);
	sqe->rw_flags = RWF_NOWAIT;
	run1(sqe, 50, 512);
	t_assert(t_check_pattern(buf, 512, 0, 1) < 0);

	/*
	 * RWF_HIPRI (polled I/O) on a ring without IORING_SETUP_IOPOLL: the
	 * kernel refuses it with -EINVAL (it does not silently drop it).
	 */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 512, 512);
	sqe->rw_flags = RWF_HIPRI;
	run1(sqe, 51, -EINVAL);

	/* RWF_DSYNC write. */
	t_fill_pattern(buf, 100, 1000, 1);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, buf, 100, 1000);
	sqe->rw_flags = RWF_DSYNC;
	run1(sqe, 52, 100);

	/* RWF_APPEND: the data goes to the end whatever the offset. */
	memcpy(buf, "tail", 4);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, buf, 4, 0);
	sqe->rw_flags = RWF_APPEND;
	run1(sqe, 53, 4);
	{
		char chk[4];

		t_eq(pread(fd, chk, 4, FSIZE), 4);
		t_assert(!memcmp(chk, "tail", 4));
		t_eq(pread(fd, chk, 4, 0), 4);
		t_assert(t_check_pattern(chk, 4, 0, 1) < 0);
	}
	t_eq(ftruncate(fd, FSIZE), 0);

	/* Unknown RWF bit: -EOPNOTSUPP. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 512, 0);
	sqe->rw_flags = 1 << 30;
	run1(sqe, 54, -EOPNOTSUPP);
}

static void test_errors(int fd)
{
	char buf[64];
	struct io_uring_sqe *sqe;
	int rfd, wfd, dfd;
	char path[64];

	/* Bad fds. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, 1000, buf, 64, 0);
	run1(sqe, 60, -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, -1, buf, 64, 0);
	run1(sqe, 61, -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_readv(sqe, 1000, &(struct iovec){ buf, 64 }, 1, 0);
	run1(sqe, 62, -EBADF);

	/* Direction not allowed by the open mode: -EBADF. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rfd = open(path, O_RDONLY);
	wfd = open(path, O_WRONLY);
	t_assert(rfd >= 0 && wfd >= 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, rfd, buf, 64, 0);
	run1(sqe, 63, -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, wfd, buf, 64, 0);
	run1(sqe, 64, -EBADF);
	close(rfd);
	close(wfd);

	/* Bad buffer pointers: -EFAULT. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, (void *)8, 64, 0);
	run1(sqe, 65, -EFAULT);
	sqe = t_get_sqe(&ring);
	io_uring_prep_write(sqe, fd, (void *)8, 64, 0);
	run1(sqe, 66, -EFAULT);

	/* A directory: -EISDIR. */
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	t_assert(dfd >= 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, dfd, buf, 64, 0);
	run1(sqe, 67, -EISDIR);
	close(dfd);

	/* A negative offset other than -1: -EINVAL. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_read(sqe, fd, buf, 64, (uint64_t)-2);
	run1(sqe, 68, -EINVAL);
}

int main(void)
{
	int fd;

	t_ring_init(&ring, 8, 0);
	fd = t_temp_fd(FSIZE, 1);
	t_assert(ring.features & IORING_FEAT_RW_CUR_POS);

	test_offsets(fd);
	test_vectored(fd);
	test_file_position(fd);
	test_eof(fd);
	test_rw_flags(fd);
	test_errors(fd);
	t_expect_no_cqe(&ring);

	close(fd);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
