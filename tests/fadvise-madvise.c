/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_FADVISE and IORING_OP_MADVISE: every common advice
 * value, the 32-bit (len) and 64-bit (fadvise: addr, madvise: off) length
 * fields, MADV_DONTNEED really dropping anonymous pages, and errors: unknown
 * advice, bad fd, pipe, reserved fields, unaligned or unmapped memory.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static void run1(struct io_uring_sqe *sqe, uint64_t ud, int want)
{
	sqe->user_data = ud;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, ud, want, 0);
}

static void test_fadvise(void)
{
	static const int advice[] = {
		POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
		POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE,
	};
	struct io_uring_sqe *sqe;
	int fd, fds[2];

	fd = t_temp_fd(65536, 1);
	for (unsigned i = 0; i < sizeof(advice) / sizeof(advice[0]); i++) {
		sqe = t_get_sqe(&ring);
		io_uring_prep_fadvise(sqe, fd, 4096, 8192, advice[i]);
		run1(sqe, i, 0);
		sqe = t_get_sqe(&ring);
		io_uring_prep_fadvise64(sqe, fd, 0, 1LL << 33, advice[i]);
		run1(sqe, 100 + i, 0);
	}
	/* len 0 means "to the end of the file". */
	sqe = t_get_sqe(&ring);
	io_uring_prep_fadvise(sqe, fd, 0, 0, POSIX_FADV_WILLNEED);
	run1(sqe, 10, 0);

	sqe = t_get_sqe(&ring);
	io_uring_prep_fadvise(sqe, fd, 0, 4096, 99);
	run1(sqe, 11, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fadvise(sqe, 1000, 0, 4096, POSIX_FADV_NORMAL);
	run1(sqe, 12, -EBADF);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fadvise(sqe, fd, 0, 4096, POSIX_FADV_NORMAL);
	sqe->buf_index = 1;
	run1(sqe, 13, -EINVAL);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fadvise(sqe, fd, 0, 4096, POSIX_FADV_NORMAL);
	sqe->splice_fd_in = 1;
	run1(sqe, 14, -EINVAL);
	t_pipe(fds);
	sqe = t_get_sqe(&ring);
	io_uring_prep_fadvise(sqe, fds[0], 0, 4096, POSIX_FADV_NORMAL);
	run1(sqe, 15, -ESPIPE);
	close(fds[0]);
	close(fds[1]);
	close(fd);
}

static void test_madvise(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 16 * (size_t)pg;
	struct io_uring_sqe *sqe;
	char *mem;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t_assert(mem != MAP_FAILED);
	memset(mem, 0x5a, len);

	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem, (unsigned)len, MADV_WILLNEED);
	run1(sqe, 20, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem, (unsigned)len, MADV_SEQUENTIAL);
	run1(sqe, 21, 0);
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem, (unsigned)len, MADV_NORMAL);
	run1(sqe, 22, 0);

	/* MADV_DONTNEED on private anonymous memory: reads back as zero. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem + pg, (unsigned)pg, MADV_DONTNEED);
	run1(sqe, 23, 0);
	t_assert(mem[0] == 0x5a);
	t_assert(mem[pg] == 0 && mem[2 * pg - 1] == 0);
	t_assert(mem[2 * pg] == 0x5a);
	/* The 64-bit length form (length in sqe->off). */
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise64(sqe, mem + 4 * pg, 2 * pg, MADV_DONTNEED);
	run1(sqe, 24, 0);
	t_assert(mem[4 * pg] == 0 && mem[6 * pg - 1] == 0);
	t_assert(mem[6 * pg] == 0x5a);

	/* Errors. */
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem + 1, (unsigned)pg, MADV_DONTNEED);
	run1(sqe, 30, -EINVAL);				/* unaligned */
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem, (unsigned)pg, 12345);
	run1(sqe, 31, -EINVAL);				/* unknown advice */
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem, (unsigned)pg, MADV_NORMAL);
	sqe->buf_index = 1;
	run1(sqe, 32, -EINVAL);				/* reserved */
	munmap(mem, len);
	sqe = t_get_sqe(&ring);
	io_uring_prep_madvise(sqe, mem, (unsigned)len, MADV_WILLNEED);
	run1(sqe, 33, -ENOMEM);				/* not mapped */
}

int main(void)
{
	t_ring_init(&ring, 8, 0);
	test_fadvise();
	test_madvise();
	t_expect_no_cqe(&ring);
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
