/* SPDX-License-Identifier: MIT */
/*
 * Description: IORING_OP_STATX: the result matches statx(2) for a path,
 * for an fd with AT_EMPTY_PATH, for a symlink with and without
 * AT_SYMLINK_NOFOLLOW, relative to a directory fd; the path is copied at
 * submit; errors: empty path without AT_EMPTY_PATH (-ENOENT), NULL path
 * even with it (-EFAULT), bad buffer (-EFAULT), reserved mask bit and bad
 * flags (-EINVAL), missing file (-ENOENT), and prep errors (buf_index,
 * splice_fd_in: -EINVAL; IOSQE_FIXED_FILE: -EBADF).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helpers/helpers.h"

static struct io_uring ring;

static int do_statx(uint64_t ud, int dfd, const char *path, int flags,
		    unsigned mask, struct statx *stx)
{
	struct io_uring_sqe *sqe = t_get_sqe(&ring);
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_statx(sqe, dfd, path, flags, mask, stx);
	sqe->user_data = ud;
	t_submit(&ring, 1);
	cqe = t_wait_cqe(&ring);
	t_eq(cqe->user_data, ud);
	t_eq(cqe->flags, 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res;
}

static void same(const struct statx *a, const struct statx *b)
{
	t_eq(a->stx_mask & STATX_BASIC_STATS, b->stx_mask & STATX_BASIC_STATS);
	t_eq(a->stx_ino, b->stx_ino);
	t_eq(a->stx_size, b->stx_size);
	t_eq(a->stx_mode, b->stx_mode);
	t_eq(a->stx_nlink, b->stx_nlink);
	t_eq(a->stx_uid, b->stx_uid);
	t_eq(a->stx_dev_major, b->stx_dev_major);
	t_eq(a->stx_dev_minor, b->stx_dev_minor);
}

int main(void)
{
	struct statx got, want;
	struct io_uring_sqe *sqe;
	char path[32];
	int fd, dfd;

	t_ring_init(&ring, 8, 0);

	fd = open("file", O_CREAT | O_RDWR, 0600);
	t_assert(fd >= 0);
	t_eq(write(fd, "0123456789", 10), 10);
	t_assert(symlink("file", "link") == 0);
	t_assert(mkdir("dir", 0700) == 0);

	memset(&got, 0xa5, sizeof(got));
	t_eq(do_statx(1, AT_FDCWD, "file", 0, STATX_BASIC_STATS, &got), 0);
	t_eq(statx(AT_FDCWD, "file", 0, STATX_BASIC_STATS, &want), 0);
	same(&got, &want);
	t_eq(got.stx_size, 10);

	/* the fd itself */
	memset(&got, 0, sizeof(got));
	t_eq(do_statx(2, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &got), 0);
	same(&got, &want);

	/* symlinks */
	t_eq(do_statx(3, AT_FDCWD, "link", 0, STATX_BASIC_STATS, &got), 0);
	same(&got, &want);
	t_eq(do_statx(4, AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW,
		      STATX_BASIC_STATS, &got), 0);
	t_assert(S_ISLNK(got.stx_mode));
	t_eq(got.stx_size, 4);

	/* relative to a directory fd */
	dfd = open("dir", O_RDONLY | O_DIRECTORY);
	t_assert(dfd >= 0);
	t_eq(do_statx(5, dfd, "../file", 0, STATX_BASIC_STATS, &got), 0);
	same(&got, &want);
	t_eq(do_statx(6, dfd, "file", 0, STATX_BASIC_STATS, &got), -ENOENT);
	t_eq(do_statx(7, dfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &got), 0);
	t_assert(S_ISDIR(got.stx_mode));
	close(dfd);

	/* Path copied at submit (the op runs on a worker afterwards). */
	strcpy(path, "file");
	sqe = t_get_sqe(&ring);
	io_uring_prep_statx(sqe, AT_FDCWD, path, 0, STATX_BASIC_STATS, &got);
	sqe->user_data = 8;
	t_submit(&ring, 1);
	strcpy(path, "missing");
	t_expect_cqe(&ring, 8, 0, 0);
	same(&got, &want);

	/* Errors. */
	t_eq(do_statx(10, AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &got), -ENOENT);
	t_eq(do_statx(11, fd, "", 0, STATX_BASIC_STATS, &got), -ENOENT);
	t_eq(do_statx(12, fd, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &got), -EFAULT);
	t_eq(do_statx(13, AT_FDCWD, "file", 0, STATX_BASIC_STATS,
		      (struct statx *)8), -EFAULT);
	t_eq(do_statx(14, AT_FDCWD, "file", 0, 0x80000000u, &got), -EINVAL);
	t_eq(do_statx(15, AT_FDCWD, "file", 0x40000000, STATX_BASIC_STATS, &got),
	     -EINVAL);
	t_eq(do_statx(16, 1000, "file2", 0, STATX_BASIC_STATS, &got), -EBADF);
	t_eq(do_statx(17, AT_FDCWD, "file/x", 0, STATX_BASIC_STATS, &got), -ENOTDIR);

	sqe = t_get_sqe(&ring);
	io_uring_prep_statx(sqe, AT_FDCWD, "file", 0, STATX_BASIC_STATS, &got);
	sqe->buf_index = 1;
	sqe->user_data = 20;
	sqe = t_get_sqe(&ring);
	io_uring_prep_statx(sqe, AT_FDCWD, "file", 0, STATX_BASIC_STATS, &got);
	sqe->splice_fd_in = 1;
	sqe->user_data = 21;
	/* a failing prep stops the batch: one at a time */
	t_eq(io_uring_submit(&ring), 1);
	t_expect_cqe(&ring, 20, -EINVAL, 0);
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 21, -EINVAL, 0);

	sqe = t_get_sqe(&ring);
	io_uring_prep_statx(sqe, 0, "file", 0, STATX_BASIC_STATS, &got);
	sqe->flags |= IOSQE_FIXED_FILE;
	sqe->user_data = 22;
	t_submit(&ring, 1);
	t_expect_cqe(&ring, 22, -EBADF, 0);

	close(fd);
	unlink("link");
	unlink("file");
	rmdir("dir");
	io_uring_queue_exit(&ring);
	return T_EXIT_PASS;
}
